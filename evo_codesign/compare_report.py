"""The report of a comparison: ``summary.csv``, ``tests.csv`` and the figures
(:func:`report`), and the scoring of the runs overlapped with drawing the figures of their
fronts where workers can be forked (:func:`finish_and_report`; :mod:`evo_codesign.compare`
calls both)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd

from .config import Config
from .io.atomic import atomic_write_text
from .rank_agreement import rank_heatmap
from .summary import eaf_jobs, strategy_tests, summary_table

if TYPE_CHECKING:  # pragma: no cover
    from .compare import Comparison
    from .strategies import StrategyResult

__all__ = ["report", "finish_and_report", "import_report_modules"]


def import_report_modules(plots: bool) -> None:
    """Import what :func:`report` needs here while the runs work in forked workers: scipy.stats
    for the tables (0.45-0.7 s on the development machine, ``benchmarks/fixed_costs.py``) and,
    with ``plots``, matplotlib (0.33-0.37 s, the same benchmark), which the workers that draw the figures, forked
    afterwards, then have too. The imports share the cores with the runs, so the runs end about
    half their time later; done after the runs, they would add their whole time. (Importing
    matplotlib instead once a core fell idle near the end of the runs took the same time within
    the machine's noise, ``benchmarks/compare_speed.py --against``, but only when the last runs
    left a core idle long enough.)"""
    from . import stats  # noqa: F401

    if plots:
        from .plot import figures, fronts  # noqa: F401
        import mpl_toolkits.mplot3d  # noqa: F401


def report(cfg: Config, out: Path, result: Comparison, *, repeats: int, plots: bool = True, pdf: bool = False) -> None:
    """``summary.csv``, ``tests.csv`` and (``plots``) the figures: fronts overlaid (2-D and 3-D),
    hypervolume against evaluations on the table's scale, and for cell spaces the rank heatmap.
    The figures of the fronts are drawn in ``cfg.run.n_jobs`` processes where workers can be
    forked (:func:`~evo_codesign.runner.fork_safe`), else one after another."""
    _write_tables(out, result)
    if not plots:
        return
    from .runner import effective_n_jobs, fork_map, fork_safe

    formats = _formats(pdf)
    jobs = [functools.partial(_drawn, formats, job)
            for job in _fronts_jobs(cfg, out, result.fronts, list(result.per_run["strategy"].unique()), repeats)]
    if effective_n_jobs(cfg.run.n_jobs) > 1 and fork_safe():
        drawn = _slowest_first(fork_map, jobs, cfg.run.n_jobs)
    else:
        drawn = [job() for job in jobs]
    result.plots = _in_order(drawn, _drawn(formats, _hv_job(out, result)))


def finish_and_report(cfg: Config, out: Path, finish: Callable[[], Comparison], results: list[StrategyResult], *,
                      repeats: int, plots: bool, pdf: bool) -> Comparison:
    """``finish()`` (score the runs and write them) and :func:`report`. Where workers can be
    forked (:func:`~evo_codesign.runner.fork_safe`), the figures that show the fronts alone (2-D
    and 3-D fronts, the rank heatmap, the attainment surfaces) are drawn in ``cfg.run.n_jobs``
    of them from the runs' fronts while this process scores the runs, writes the tables and draws
    the hypervolume figure (the one that needs the scores): no core waits for the scoring."""
    from .runner import effective_n_jobs, fork_map, fork_safe

    if not (plots and effective_n_jobs(cfg.run.n_jobs) > 1 and fork_safe()):
        result = finish()
        report(cfg, out, result, repeats=repeats, plots=plots, pdf=pdf)
        return result
    formats = _formats(pdf)
    fronts = pd.concat([r.front for r in results], ignore_index=True)
    strategies = list(dict.fromkeys(r.strategy for r in results))
    jobs = [functools.partial(_drawn, formats, job) for job in _fronts_jobs(cfg, out, fronts, strategies, repeats)]
    here: dict[str, Any] = {}

    def score_and_tables() -> None:  # in this process, while the workers draw
        here["result"] = finish()
        _write_tables(out, here["result"])
        here["hv"] = _drawn(formats, _hv_job(out, here["result"]))

    drawn = _slowest_first(functools.partial(fork_map, after_fork=score_and_tables), jobs, cfg.run.n_jobs)
    result = here["result"]
    result.plots = _in_order(drawn, here["hv"])
    return result


def _formats(pdf: bool) -> tuple[str, ...]:
    return ("png", "pdf") if pdf else ("png",)


def _write_tables(out: Path, result: Comparison) -> None:
    """``summary.csv`` and ``tests.csv`` of the scored runs (into ``result`` too)."""
    result.table = summary_table(result.per_run)
    atomic_write_text(out / "summary.csv", result.table.to_csv(index=False), durable=False)
    result.tests = strategy_tests(result.per_run)
    if result.tests is not None:
        atomic_write_text(out / "tests.csv", result.tests.to_csv(index=False), durable=False)


def _slowest_first(fork_map: Callable[..., list[Any]], jobs: list[Callable[[], Any]], n_jobs: int) -> list[Any]:
    """The :func:`_fronts_jobs` in forked workers, the two slowest first (the rank heatmap, with
    its evaluations, and the 2-D fronts) so that the workers finish close together; results in
    the jobs' order."""
    order = [2, 0, 1, *range(3, len(jobs))]
    done = fork_map(_call, [jobs[i] for i in order], n_jobs=n_jobs)
    return [paths for _, paths in sorted(zip(order, done), key=lambda t: t[0])]


def _in_order(fronts_paths: list[list[Path]], hv_paths: list[Path]) -> list[Path]:
    """The figures' paths in their usual order: fronts, 3-D fronts, hypervolume, rank heatmap, EAFs."""
    two_d, three_d, heatmap, *eafs = fronts_paths
    return [p for paths in (two_d, three_d, hv_paths, heatmap, *eafs) for p in paths]


def _call(job: Callable[[], Any]) -> Any:
    return job()


def _drawn(formats: tuple[str, ...], job: Callable[[], Any]) -> list[Path]:
    """The paths a figure job wrote, in these formats."""
    from .plot.base import figure_formats

    with figure_formats(formats):
        paths = job()
    return [paths] if isinstance(paths, Path) else list(paths)


def _fronts_jobs(cfg: Config, out: Path, fronts: pd.DataFrame, strategies: list[str],
                 repeats: int) -> list[Callable[[], Any]]:
    """The figures of :func:`report` that show the fronts alone, each a call of its own: the 2-D
    fronts, the 3-D fronts, the rank heatmap, then the attainment surfaces."""
    from .plot.figures import plot_fronts
    from .plot.runs import objective_axis

    objs = [c[2:] for c in fronts.columns if c.startswith("f_")]
    axes = [objective_axis(o) for o in objs]
    title = f"final fronts, {repeats} seeds per strategy"
    return [functools.partial(plot_fronts, fronts, axes, out / "fronts", title=title, three_d=False),
            functools.partial(plot_fronts, fronts, axes, out / "fronts", title=title, two_d=False),
            functools.partial(rank_heatmap, cfg, fronts, out, "found"),
            *eaf_jobs(fronts, out, strategies)]


def _hv_job(out: Path, result: Comparison) -> Callable[[], Any]:
    """The hypervolume figure of scored runs: the archives' anytime curves and the final fronts."""
    from .plot.figures import plot_hv_curves

    ref = result.reference
    curves = result.curves
    if ref.hv > 0:  # the same scale as the table's hv and hv_archive columns
        curves = curves.assign(hv=curves["hv"] / ref.hv)
    what = {"union": "the union of every run's archive", "exact": "the exact front (enumerated)",
            "file": "the reference file's front"}[ref.kind]
    late = [s for s, c in curves.groupby("strategy") if len(c) and (c.groupby("seed")["hv"].apply(
        lambda v: float(v.iloc[0])) == 0).all()] if len(curves) else []
    note = (", ".join(late) + ": 0 until the first joint design (decoupled search's phase 1 evaluates cells "
            "without hardware; semi-decoupled search first probes for a proxy accelerator)") if late else ""
    return functools.partial(
        plot_hv_curves, curves, out / "hv_vs_evaluations", reference_hv=1.0,
        final=result.per_run[["strategy", "evaluations", "hv"]], note=note,
        ylabel=f"hypervolume / that of {what}", reference_label=what,
        title="lines: median over seeds of every joint design evaluated so far, all phases (the "
              "table's hv_archive); diamonds: final fronts (the table's hv). Objectives "
              f"normalised by the reference's bounds, reference point {ref.ref_point:g} in each")

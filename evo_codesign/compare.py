"""Strategies x seeds at equal budgets, scored against a fixed reference on anytime curves.

The reference is the exact Pareto front when one is given (an enumerable space, see
:mod:`evo_codesign.strategies.reference`), else a reference file (``reference_file``: a
best-known front saved by an earlier comparison with ``save_reference``, so numbers compare across
tables), else the union of every run's *archive*. A run's archive is every joint design it
evaluated, in every phase, recomputed in the final objective space from the metrics its log holds
(:func:`evo_codesign.io.history.archive`): semi-decoupled search's NAS designs on the proxy and
XPert's lossless-precision designs count; decoupled search's hardware-agnostic NAS evaluates
cells without hardware, which count as evaluations but add no design. Every evaluation counts,
semi-decoupled search's proxy probes included.

Objectives are normalised with bounds frozen from the reference; hypervolume uses the reference
point 1.1 in every normalised objective and is reported as a fraction of the reference's. Per run:
``hv`` (the final front, at most ``pop_size`` designs), ``hv_archive`` (the archive), the anytime
curve (the archive's hypervolume every 50 evaluations) with ``auc`` (its mean over the budget)
and ``hv_at_25`` / ``hv_at_50`` (at that share of the budget), IGD+ of the final front, and
evaluations to 95 % / 99 % (NaN if never; they depend on phase budgets, so read them only with a
``nas_fraction`` sweep). :func:`report` writes ``summary.csv`` (medians with bootstrap 95 %
intervals, std with ddof 1), ``tests.csv`` (pairwise Mann-Whitney tests, Holm-corrected, with
Vargha-Delaney A12: :func:`strategy_tests`) and the figures, attainment surfaces included. Scoring
is :mod:`evo_codesign.scoring` (shared with ``tune``). Only feasible designs are scored; when no
run's final front holds one, nothing is scored and :attr:`Comparison.warning` names the constraint
that binds. The output folder is locked for the whole comparison and every file in it is written
atomically.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .config import Config
from .errors import ExistingRunError, UsageError
from .evaluate import build_evaluator
from .io.atomic import atomic_write_text
from .io.history import archive, archive_curve, evaluation_log
from .io.lock import folder_lock
from .metrics import evals_to_fraction
from .callbacks import RunsProgress, run_with_progress
from .compare_report import finish_and_report, import_report_modules, report
from .rank_agreement import rank_heatmap, rank_matrix, run_dirs_heatmap
from .scoring import Reference, anytime_scores
from .summary import SCORES, eaf_plots, strategy_tests, summary_table
from .strategies import StrategyResult, get, option_names, run_strategy, space_for, strategies_for

__all__ = ["compare", "summary_table", "strategy_tests", "eaf_plots", "SCORES", "rank_matrix", "report", "rank_heatmap",
           "run_dirs_heatmap", "Comparison"]

log = logging.getLogger(__name__)


def _archive(result: StrategyResult, evaluator: Any) -> pd.DataFrame:
    """Every joint design the run evaluated, all phases, in the final objective space
    (:func:`evo_codesign.io.history.archive`), numbered from the run's first evaluation (set-up
    evaluations included). An evaluator that cannot recompute objectives from logged metrics
    (no ``needed_metrics``) gives the last phase's log."""
    objectives = list(evaluator.objective_names)
    if hasattr(evaluator, "needed_metrics"):
        arch, _ = archive(result.run_dirs or [result.final_run], evaluator)
        arch["evaluation"] = arch["evaluation"] + result.setup_evaluations
        return arch
    log_, _ = evaluation_log(result.final_run)
    first = result.setup_evaluations + sum(result.phase_evaluations[:-1])
    return log_.assign(evaluation=first + np.arange(1, len(log_) + 1))[["evaluation", *[f"f_{o}" for o in objectives],
                                                                        "feasible"]]


def _archive_F(arch: pd.DataFrame, objectives: Sequence[str]) -> np.ndarray:
    ok = arch["feasible"].to_numpy(dtype=bool) if len(arch) else np.zeros(0, dtype=bool)
    return arch.loc[ok, [f"f_{o}" for o in objectives]].to_numpy(dtype=float) if len(arch) \
        else np.zeros((0, len(objectives)))


def _curve(result: StrategyResult, arch: pd.DataFrame, objectives: Sequence[str], ref: Reference) -> pd.DataFrame:
    """The run's anytime curve: its archive's hypervolume every 50 evaluations up to its last."""
    c = archive_curve(arch, objectives, ref.bounds, result.evaluations)
    return c.assign(strategy=result.strategy, seed=result.seed)


def _run_one(task: tuple, on_generation: Any = None) -> tuple[StrategyResult, pd.DataFrame]:
    """One run and its archive (read back from its logs where it ran, in its worker)."""
    name, cfg, seed, out, embedding, resume, evaluator, options = task
    r = run_strategy(name, cfg, seed, out, embedding=embedding, resume=resume, evaluator=evaluator,
                     on_generation=on_generation, **options)
    return r, _archive(r, evaluator)


def _options_for(strategies: Sequence[str], options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each strategy's share of the options; an option no chosen strategy has is an error."""
    per = {s: {k: v for k, v in options.items() if k in option_names(s)} for s in strategies}
    unused = [k for k in options if not any(k in per[s] for s in strategies)]
    if unused:
        raise UsageError(f"option(s) {unused} apply to none of the strategies {list(strategies)}; "
                         f"their options: { {s: option_names(s) for s in strategies} }")
    return per


def _check(cfg: Config, out: Path, strategies: Sequence[str], repeats: int, resume: bool) -> None:
    if repeats < 1:
        raise UsageError(f"repeats must be at least 1, got {repeats}")
    for s in strategies:  # fail before any run starts, not after the first strategies have run
        why = get(s).applicable(cfg)
        if why:
            raise UsageError(why)
    if len(set(strategies)) != len(strategies):
        raise UsageError(f"strategies: {list(strategies)} names a strategy twice")
    if not resume:
        taken = [out / f"seed{cfg.seed + k}" / s for s in strategies for k in range(repeats)
                 if (out / f"seed{cfg.seed + k}" / s).exists()]
        if taken:
            raise ExistingRunError(f"{out} already holds runs of this comparison ({taken[0]} ...); pass --resume "
                                   f"(resume=True) to continue them, or choose another --out")


def feasible_F(result: StrategyResult) -> np.ndarray:
    """A run's final front objectives (minimisation form), its feasible designs only."""
    if "feasible" not in result.front or not len(result.F):
        return result.F
    return result.F[result.front["feasible"].to_numpy(dtype=bool)]


def _score(results: list[StrategyResult], curves: pd.DataFrame, ref: Reference | None, budget: int) -> pd.DataFrame:
    rows = []
    nan = float("nan")
    for r in results:
        c = curves[(curves.strategy == r.strategy) & (curves.seed == r.seed)] if len(curves) else curves
        F = feasible_F(r)
        ok = ref is not None and ref.hv > 0
        frac = c.hv.to_numpy(dtype=float) / ref.hv if ok and len(c) else np.zeros(0)
        anytime = anytime_scores(c.evaluations.to_numpy(), frac, budget) if ok else {}
        rows.append({"strategy": r.strategy, "seed": r.seed, "evaluations": r.evaluations, "wall_s": r.wall_s,
                     "feasible": int(len(F)),
                     # the final front (at most pop_size designs)
                     "hv": ref.hv_fraction(F) if ok else nan,
                     # the archive: every joint design the run evaluated, all phases
                     "hv_archive": float(frac.max()) if len(frac) else nan,
                     "auc": anytime.get("auc", nan), "hv_at_25": anytime.get("hv_at_25", nan),
                     "hv_at_50": anytime.get("hv_at_50", nan),
                     "igd_plus": ref.igd_plus(F) if ref is not None else nan,
                     "evals_to_95": evals_to_fraction(c.evaluations, frac, 1.0, 0.95) if ok else nan,
                     "evals_to_99": evals_to_fraction(c.evaluations, frac, 1.0, 0.99) if ok else nan,
                     **{k: v for k, v in r.details.items() if np.isscalar(v)}})
    return pd.DataFrame(rows)


@dataclass
class Comparison:
    """What :func:`compare` found: one row per run (``per_run``), hypervolume curves, every final
    front, the reference scored against, the summary table and the plots written."""

    per_run: pd.DataFrame
    curves: pd.DataFrame
    fronts: pd.DataFrame
    reference: Reference | None
    table: pd.DataFrame | None = None
    plots: list[Path] = field(default_factory=list)
    #: runs whose final front holds no feasible design, each with the constraint that binds; and
    #: ``warning``: set when no run has one (nothing could be scored)
    infeasible: list[str] = field(default_factory=list)
    warning: str | None = None
    #: seconds this process spent compiling or loading the kernels first (in no run's ``wall_s``)
    compile_s: float = 0.0
    #: the statistical tests between strategies (``tests.csv``; :func:`evo_codesign.stats.tests_table`)
    tests: pd.DataFrame | None = None
    #: every run's final front and archive (feasible, minimisation form): what a saved reference unites
    found: list[np.ndarray] = field(default_factory=list, repr=False)

    def __iter__(self):  # ``per_run, curves, fronts = compare(...)`` keeps working
        return iter((self.per_run, self.curves, self.fronts))


def compare(cfg: Config, out: str | Path, *, strategies: Sequence[str] | None = None, repeats: int = 3,
            reference_F: np.ndarray | None = None, embedding: Any = None, resume: bool = False,
            evaluator: Any = None, plots: bool = True, progress: bool = False,
            reference_file: str | Path | None = None, save_reference: str | Path | None = None,
            pdf: bool = False, **options: Any) -> Comparison:
    """Run every strategy for ``repeats`` seeds (cfg.seed, cfg.seed + 1, ...) at ``cfg.search.budget``,
    the runs in ``cfg.run.n_jobs`` parallel workers (results do not depend on it), score them and
    write everything into ``out`` (with :func:`report`: ``summary.csv`` and, with ``plots``, the figures).

    ``strategies``: default, every strategy that applies to the config's space
    (:func:`~evo_codesign.strategies.strategies_for`). ``reference_F``: the exact front
    (minimisation form) to score against; default, the union of all final fronts. ``embedding``:
    the space every strategy searches (default the config's genome). ``resume``: continue the runs
    already in ``out`` (an interrupted comparison loses nothing). ``evaluator``: the one evaluator
    every run shares (default: the config's). ``options``: strategy options (``nas_fraction``,
    ``max_archs``, ``proxy``), each passed to the strategies that have it. ``reference_file``:
    score against that fixed reference (:meth:`~evo_codesign.scoring.Reference.read`) instead of
    this comparison's union; ``save_reference``: write the non-dominated union of every run's
    archive (and of ``reference_file``'s front) there, with its bounds, for later comparisons.
    ``pdf``: figures as PDF too (default PNG only). ``progress``: one bar
    over every run's evaluations on stderr, when it is a terminal (:class:`~evo_codesign.callbacks.RunsProgress`).
    Unpacks as ``(per_run, curves, fronts)``.
    """
    out = Path(out)
    strategies = list(strategies) if strategies is not None else strategies_for(cfg)
    for s in strategies:
        get(s)  # unknown names: an error listing the registered ones
    per_strategy = _options_for(strategies, options)
    from .jit import warm_up

    compile_s = warm_up()  # before any run's clock starts (worker processes load the cache themselves)
    from .runner import frozen_heap, one_blas_thread, shared_before_fork

    # frozen_heap: the collector skips what is imported already; one_blas_thread: the runs and the
    # figures keep the cores busy (and a process forked so starts no BLAS threads to spin)
    with folder_lock(out, what="compare"), frozen_heap(), one_blas_thread():
        _check(cfg, out, strategies, repeats, resume)
        if evaluator is None:
            evaluator = build_evaluator(cfg, space_for(cfg))  # built once, shared by every run
        if not resume:
            from .feasibility import check_satisfiable
            check_satisfiable(evaluator, space_for(cfg), seed=cfg.seed)
        shared_before_fork(evaluator)  # the surrogate's domain, run.json's versions: once, not per worker
        # independent runs: in parallel workers when run.n_jobs != 1 (each run is deterministic on its own)
        tasks = [(s, cfg, cfg.seed + k, out / f"seed{cfg.seed + k}", embedding, resume, evaluator, per_strategy[s])
                 for s in strategies for k in range(repeats)]
        log.info("compare: %d runs (%s x %d seeds) into %s", len(tasks), ", ".join(strategies), repeats, out)
        bar = RunsProgress(len(tasks) * cfg.search.budget, len(tasks), progress, "compare",
                           evaluator.objective_names)
        try:
            runs = run_with_progress(_run_one, tasks, n_jobs=cfg.run.n_jobs, progress=bar,
                                     summary=lambda ra: (ra[0].evaluations, feasible_F(ra[0])),
                                     label=lambda t: f"{t[0]} s{t[2]}",
                                     after_fork=functools.partial(import_report_modules, plots))
        finally:
            bar.close()
        fixed = Reference.read(reference_file, evaluator.objective_names) if reference_file is not None else None
        results, archives = [r for r, _ in runs], [a for _, a in runs]

        def finish() -> Comparison:  # score the runs and write them
            result = _assemble(results, archives, evaluator, reference_F, cfg.search.budget, fixed)
            result.compile_s = compile_s
            _write(out, result, list(evaluator.objective_names))
            if save_reference is not None:
                _save_reference(save_reference, result, fixed, evaluator, cfg)
            return result

        scored = reference_F is not None or fixed is not None or any(
            len(F) for F in _found(results, archives, evaluator.objective_names))
        result = finish_and_report(cfg, out, finish, results, repeats=repeats, plots=plots and scored, pdf=pdf)
    return result


def _assemble(results: list[StrategyResult], archives: list[pd.DataFrame], evaluator: Any,
              reference_F: np.ndarray | None, budget: int, reference: Reference | None = None) -> Comparison:
    """Score the runs (and their archives, :func:`_archive`) against ``reference_F`` (an exact front),
    else ``reference`` (a file's), else the union of every run's archive (every feasible joint
    design any run evaluated)."""
    from .feasibility import constraint_limits, infeasible_front_message

    objectives = list(evaluator.objective_names)
    limits, names = constraint_limits(evaluator), list(evaluator.constraint_names)
    found = _found(results, archives, objectives)
    feasible = found[:len(results)]
    infeasible = [f"{r.strategy} seed {r.seed}: {infeasible_front_message(r.front, limits, names)}"
                  for r, F in zip(results, feasible) if not len(F)]
    fronts = pd.concat([r.front for r in results], ignore_index=True)
    if reference_F is not None:
        ref: Reference | None = Reference.exact(reference_F)
    elif reference is not None:
        ref = reference
    elif any(len(F) for F in found):
        ref = Reference.from_fronts(found)
    else:
        ref = None
    curves = pd.concat([_curve(r, a, objectives, ref) for r, a in zip(results, archives)], ignore_index=True) \
        if ref is not None else pd.DataFrame(columns=["evaluations", "hv", "strategy", "seed"])
    result = Comparison(_score(results, curves, ref, budget), curves, fronts, ref, infeasible=infeasible)
    result.found = found
    if not any(len(F) for F in feasible):
        why = infeasible_front_message(fronts, limits, names) or "no feasible design"
        result.warning = f"no run found a feasible design, so nothing was scored: {why}"
    return result


def _found(results: list[StrategyResult], archives: list[pd.DataFrame], objectives: Sequence[str]) -> list[np.ndarray]:
    """Every run's feasible final front, then every run's feasible archive (minimisation form)."""
    return [feasible_F(r) for r in results] + [_archive_F(a, list(objectives)) for a in archives]


def _save_reference(path: str | Path, result: Comparison, fixed: Reference | None, evaluator: Any, cfg: Config) -> None:
    """The non-dominated union of every run's archive and final front (and the given reference's
    front), bounds from all of those points: a best-known front later comparisons can share."""
    parts = [F for F in result.found if len(F)] + ([fixed.front] if fixed is not None else [])
    if not parts:
        raise UsageError(f"--save-reference {path}: no run found a feasible design; nothing to save")
    union = Reference.from_fronts(parts)
    union.write(path, evaluator.objective_names, source="union of every run's archive",
                space=repr(space_for(cfg)), budget=int(cfg.search.budget), runs=int(len(result.per_run)))


def _write(out: Path, result: Comparison, objectives: list[str]) -> None:
    atomic_write_text(out / "runs.csv", result.per_run.to_csv(index=False))
    atomic_write_text(out / "hv_curves.csv", result.curves.to_csv(index=False))
    atomic_write_text(out / "fronts.csv", result.fronts.to_csv(index=False))
    ref = result.reference.to_dict() if result.reference is not None else {"reference": None}
    atomic_write_text(out / "reference.json", json.dumps({**ref, "objectives": objectives}, indent=1))

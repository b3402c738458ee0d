"""Strategies x seeds at equal budgets, scored against a reference front.

The reference is the exact Pareto front when one is given (an enumerable space, see
:mod:`evo_codesign.strategies.reference`), otherwise the union of every run's final front.
Objectives are normalised with bounds frozen from that reference (the exact front, or the union)
and stored in the output; hypervolume uses the reference point 1.1 in every normalised objective,
IGD+ is measured against the reference front (moocore), and "evaluations to 95 % / 99 %" is the
first unique evaluation count at which a run's best-so-far front reaches that fraction of the
reference hypervolume (NaN if never). ``hv`` scores a run's final front (its last population's
non-dominated designs, at most ``pop_size`` of them); ``hv_evaluated`` scores every design its last
phase evaluated, which is what the curves show. Multi-phase strategies only produce designs in the final
objective space in their last phase, so their curves start after the earlier phases' evaluations.
Scoring is :mod:`evo_codesign.scoring` (shared with ``tune``); :func:`report` writes the summary
table and the plots, and :func:`compare` calls it. Only feasible front designs are scored; when no
run's final front holds one, nothing is scored and :attr:`Comparison.warning` names the constraint
that binds. The output folder is locked for the whole comparison and every file in it is written
atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .config import Config
from .errors import CorruptFileError, ExistingRunError, UsageError
from .evaluate import build_evaluator
from .io.atomic import atomic_write_text
from .io.history import evaluation_log, hv_curve
from .io.lock import folder_lock
from .io.readers import read_json
from .metrics import evals_to_fraction
from .runner import run_independent
from .scoring import Reference
from .strategies import StrategyResult, get, option_names, run_strategy, space_for, strategies_for

__all__ = ["compare", "summary_table", "rank_matrix", "report", "rank_heatmap", "run_dirs_heatmap", "Comparison"]

log = logging.getLogger(__name__)


def _curve(result: StrategyResult, objectives: Sequence[str], ref: Reference) -> pd.DataFrame:
    run_log, _ = evaluation_log(result.final_run)
    c = hv_curve(run_log, objectives, ref.bounds)
    c["evaluations"] += sum(result.phase_evaluations[:-1])
    return c.assign(strategy=result.strategy, seed=result.seed)


def _run_one(task: tuple) -> StrategyResult:
    name, cfg, seed, out, embedding, resume, evaluator, options = task
    return run_strategy(name, cfg, seed, out, embedding=embedding, resume=resume, evaluator=evaluator, **options)


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


def _score(results: list[StrategyResult], curves: pd.DataFrame, ref: Reference | None) -> pd.DataFrame:
    rows = []
    nan = float("nan")
    for r in results:
        c = curves[(curves.strategy == r.strategy) & (curves.seed == r.seed)] if len(curves) else curves
        F = feasible_F(r)
        ok = ref is not None and ref.hv > 0
        rows.append({"strategy": r.strategy, "seed": r.seed, "evaluations": r.evaluations, "wall_s": r.wall_s,
                     "feasible": int(len(F)),
                     "hv": ref.hv_fraction(F) if ok else nan,
                     # every design the run evaluated (in its last phase), not only its final population
                     "hv_evaluated": float(c.hv.max()) / ref.hv if ok and len(c) else nan,
                     "igd_plus": ref.igd_plus(F) if ref is not None else nan,
                     "evals_to_95": evals_to_fraction(c.evaluations, c.hv, ref.hv, 0.95) if ok else nan,
                     "evals_to_99": evals_to_fraction(c.evaluations, c.hv, ref.hv, 0.99) if ok else nan,
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

    def __iter__(self):  # ``per_run, curves, fronts = compare(...)`` keeps working
        return iter((self.per_run, self.curves, self.fronts))


def compare(cfg: Config, out: str | Path, *, strategies: Sequence[str] | None = None, repeats: int = 3,
            reference_F: np.ndarray | None = None, embedding: Any = None, resume: bool = False,
            evaluator: Any = None, plots: bool = True, **options: Any) -> Comparison:
    """Run every strategy for ``repeats`` seeds (cfg.seed, cfg.seed + 1, ...) at ``cfg.search.budget``,
    the runs in ``cfg.run.n_jobs`` parallel workers (results do not depend on it), score them and
    write everything into ``out`` (with :func:`report`: ``summary.csv`` and, with ``plots``, the figures).

    ``strategies``: default, every strategy that applies to the config's space
    (:func:`~evo_codesign.strategies.strategies_for`). ``reference_F``: the exact front
    (minimisation form) to score against; default, the union of all final fronts. ``embedding``:
    the space every strategy searches (default the config's genome). ``resume``: continue the runs
    already in ``out`` (an interrupted comparison loses nothing). ``evaluator``: the one evaluator
    every run shares (default: the config's). ``options``: strategy options (``nas_fraction``,
    ``max_archs``, ``proxy``), each passed to the strategies that have it. Unpacks as ``(per_run,
    curves, fronts)``.
    """
    out = Path(out)
    strategies = list(strategies) if strategies is not None else strategies_for(cfg)
    for s in strategies:
        get(s)  # unknown names: an error listing the registered ones
    per_strategy = _options_for(strategies, options)
    with folder_lock(out, what="compare"):
        _check(cfg, out, strategies, repeats, resume)
        if evaluator is None:
            evaluator = build_evaluator(cfg, space_for(cfg))  # built once, shared by every run
        if not resume:
            from .feasibility import check_satisfiable
            check_satisfiable(evaluator, space_for(cfg), seed=cfg.seed)
        # independent runs: in parallel workers when run.n_jobs != 1 (each run is deterministic on its own)
        tasks = [(s, cfg, cfg.seed + k, out / f"seed{cfg.seed + k}", embedding, resume, evaluator, per_strategy[s])
                 for s in strategies for k in range(repeats)]
        log.info("compare: %d runs (%s x %d seeds) into %s", len(tasks), ", ".join(strategies), repeats, out)
        results: list[StrategyResult] = run_independent(_run_one, tasks, n_jobs=cfg.run.n_jobs)
        result = _assemble(results, evaluator, reference_F)
        _write(out, result, list(evaluator.objective_names))
        report(cfg, out, result, repeats=repeats, plots=plots and result.reference is not None)
    return result


def _assemble(results: list[StrategyResult], evaluator: Any, reference_F: np.ndarray | None) -> Comparison:
    from .feasibility import constraint_limits, infeasible_front_message

    objectives = list(evaluator.objective_names)
    limits, names = constraint_limits(evaluator), list(evaluator.constraint_names)
    feasible = [feasible_F(r) for r in results]
    infeasible = [f"{r.strategy} seed {r.seed}: {infeasible_front_message(r.front, limits, names)}"
                  for r, F in zip(results, feasible) if not len(F)]
    fronts = pd.concat([r.front for r in results], ignore_index=True)
    if reference_F is not None:
        ref: Reference | None = Reference.exact(reference_F)
    elif any(len(F) for F in feasible):
        ref = Reference.from_fronts(feasible)
    else:
        ref = None
    curves = pd.concat([_curve(r, objectives, ref) for r in results], ignore_index=True) if ref is not None \
        else pd.DataFrame(columns=["gen", "evaluations", "hv", "strategy", "seed"])
    result = Comparison(_score(results, curves, ref), curves, fronts, ref, infeasible=infeasible)
    if not any(len(F) for F in feasible):
        why = infeasible_front_message(fronts, limits, names) or "no feasible design"
        result.warning = f"no run found a feasible design, so nothing was scored: {why}"
    return result


def _write(out: Path, result: Comparison, objectives: list[str]) -> None:
    atomic_write_text(out / "runs.csv", result.per_run.to_csv(index=False))
    atomic_write_text(out / "hv_curves.csv", result.curves.to_csv(index=False))
    atomic_write_text(out / "fronts.csv", result.fronts.to_csv(index=False))
    ref = result.reference.to_dict() if result.reference is not None else {"reference": None}
    atomic_write_text(out / "reference.json", json.dumps({**ref, "objectives": objectives}, indent=1))


def report(cfg: Config, out: Path, result: Comparison, *, repeats: int, plots: bool = True) -> None:
    """``summary.csv`` and (``plots``) the figures: fronts overlaid (2-D and 3-D), hypervolume
    against evaluations on the table's scale, and for cell spaces the rank heatmap."""
    result.table = summary_table(result.per_run)
    atomic_write_text(out / "summary.csv", result.table.to_csv(index=False))
    if not plots:
        return
    from .plot.figures import plot_fronts, plot_hv_curves
    from .plot.runs import objective_label

    fronts, ref = result.fronts, result.reference
    objs = [c for c in fronts.columns if c.startswith("f_")]
    paths = plot_fronts({s: f for s, f in fronts.groupby("strategy")}, {c: objective_label(c[2:]) for c in objs},
                        out / "fronts", title=f"final fronts, {repeats} seeds per strategy")
    curves = result.curves
    if ref.hv > 0:  # the same scale as the table's hv column
        curves = curves.assign(hv=curves["hv"] / ref.hv)
    paths += plot_hv_curves(curves, out / "hv_vs_evaluations", reference_hv=1.0,
                            ylabel=f"hypervolume / {ref.kind} front's")
    paths += rank_heatmap(cfg, fronts, out, "found")
    result.plots = paths


def _median_unreached_inf(v: pd.Series) -> float:
    m = float(np.median(v.fillna(np.inf).to_numpy(dtype=float)))
    return m if np.isfinite(m) else float("nan")


def summary_table(per_run: pd.DataFrame) -> pd.DataFrame:
    """strategy, evaluations, wall time, hypervolume mean and spread, IGD+, evaluations to 95 %/99 %."""
    g = per_run.groupby("strategy", sort=False)
    t = pd.DataFrame({
        "evaluations": g["evaluations"].mean(),
        "wall_s": g["wall_s"].mean(),
        "hv_mean": g["hv"].mean(), "hv_std": g["hv"].std(ddof=0), "hv_min": g["hv"].min(), "hv_max": g["hv"].max(),
        "igd_plus_mean": g["igd_plus"].mean(),
        # a run that never reached the target counts as infinitely slow: the median is NaN when
        # more than half of the runs never got there (pandas' median would just skip them)
        "evals_to_95_median": g["evals_to_95"].apply(_median_unreached_inf),
        "reached_95": g["evals_to_95"].apply(lambda v: f"{int(v.notna().sum())}/{len(v)}"),
        "evals_to_99_median": g["evals_to_99"].apply(_median_unreached_inf),
        "reached_99": g["evals_to_99"].apply(lambda v: f"{int(v.notna().sum())}/{len(v)}"),
    })
    if "hv_evaluated" in per_run:
        t.insert(t.columns.get_loc("igd_plus_mean"), "hv_evaluated_mean", g["hv_evaluated"].mean())
    for col in ("premise_spearman_min", "premise_spearman_median"):
        if col in per_run:
            t[col] = g[col].mean()
    return t.reset_index()


def _design_label(row: pd.Series, k: int) -> str:
    parts = []
    if "accelerator.dataflow" in row:
        parts.append(f"{row['accelerator.dataflow']} {row['accelerator.array_rows']}x{row['accelerator.array_cols']}")
    if "imc.crossbar_size" in row:
        parts.append(f"xbar{row['imc.crossbar_size']} {row['imc.adc_type']}{row['imc.adc_bits']}")
    return f"{k}: " + " / ".join(parts)


def rank_matrix(cfg: Config, fronts: pd.DataFrame, *, n_cells: int = 50, max_designs: int = 12, seed: int = 0,
                evaluator: Any = None) -> pd.DataFrame:
    """Spearman rank correlation of ``n_cells`` random cells' latency between the distinct hardware
    designs of ``fronts`` (at most ``max_designs``, spread over dataflows): the semi-decoupled
    premise, checked on the accelerators the comparison actually found. Rows/columns are labelled
    by dataflow and array size (PE array) or crossbar size and ADC. Cell space only."""
    from scipy.stats import spearmanr

    space = space_for(cfg)
    if "cell" not in space:
        raise UsageError("rank_matrix needs the cell space (space.neural = 'cell')")
    ev = evaluator if evaluator is not None else build_evaluator(cfg, space)
    X = fronts[[f"x_{g}" for g in space.gene_names]].to_numpy(dtype=np.int64)
    hw = np.setdiff1d(np.arange(space.n_var), np.arange(space.slices["cell"].start, space.slices["cell"].stop))
    _, first = np.unique(X[:, hw], axis=0, return_index=True)
    designs = fronts.iloc[np.sort(first)]
    if "accelerator.dataflow" in designs:  # round-robin over dataflows, so every dataflow shows up
        designs = designs.assign(_k=designs.groupby("accelerator.dataflow").cumcount()).sort_values("_k", kind="stable")
    designs = designs.iloc[:max_designs]
    cells = space["cell"].sample(np.random.default_rng(seed), n_cells)
    # every (design, cell) pair in one evaluation: rows are design-major
    batch = np.repeat(designs[[f"x_{g}" for g in space.gene_names]].to_numpy(dtype=np.int64), n_cells, axis=0)
    batch[:, space.slices["cell"]] = np.tile(cells, (len(designs), 1))
    lat = ev.metrics(batch)["latency_ms"].reshape(len(designs), n_cells)
    labels = [_design_label(row, k) for k, (_, row) in enumerate(designs.iterrows())]
    M = np.atleast_2d(spearmanr(lat, axis=1).statistic) if len(designs) > 1 else np.ones((1, 1))
    return pd.DataFrame(M, index=labels, columns=labels)


def rank_heatmap(cfg: Config, fronts: pd.DataFrame, out: Path, what: str) -> list[Path]:
    """Spearman heatmap (and ``rank_correlation.csv``) of 50 random cells' latency between the
    accelerators on ``fronts``; nothing for spaces without cells or empty fronts."""
    from .plot.figures import plot_rank_heatmap

    if cfg.space.neural != "cell" or not len(fronts):
        return []
    M = rank_matrix(cfg, fronts)
    atomic_write_text(out / "rank_correlation.csv", M.to_csv())
    return plot_rank_heatmap(M, out / "rank_correlation",
                             title=f"Spearman of 50 random cells' latency between {what} accelerators")


def run_dirs_heatmap(run_dirs: Sequence[str | Path], out: str | Path) -> list[Path]:
    """:func:`rank_heatmap` of the front accelerators of run directories (runs and strategy phases
    record their config in ``run.json``; cell-space ones get the heatmap)."""
    from .config import config_from_dict
    from .io.frames import read_front

    info = read_json(Path(run_dirs[0]) / "run.json", CorruptFileError, what="run file", expect=dict)
    if not isinstance(info.get("config"), dict):
        return []
    fronts = pd.concat([read_front(d) for d in run_dirs], ignore_index=True)
    return rank_heatmap(config_from_dict(info["config"]), fronts, Path(out), "front")

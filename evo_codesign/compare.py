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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .config import Config
from .evaluate import build_evaluator
from .io.history import evaluation_log, hv_curve
from .metrics import Bounds, evals_to_fraction, igd_plus, nondominated, normalised_hv
from .runner import run_independent
from .search import space_for
from .strategies import STRATEGIES, StrategyResult, run_strategy, strategies_for
from .strategies.phased import not_applicable

__all__ = ["compare", "summary_table", "rank_matrix"]


def _curve(result: StrategyResult, objectives: Sequence[str], bounds: Bounds) -> pd.DataFrame:
    log, _ = evaluation_log(result.final_run)
    c = hv_curve(log, objectives, bounds)
    c["evaluations"] += sum(result.phase_evaluations[:-1])
    return c.assign(strategy=result.strategy, seed=result.seed)


def _run_one(task: tuple) -> StrategyResult:
    name, cfg, seed, out, embedding, resume, evaluator, options = task
    return run_strategy(name, cfg, seed, out, embedding=embedding, resume=resume, evaluator=evaluator, **options)


def compare(cfg: Config, out: str | Path, *, strategies: Sequence[str] | None = None, repeats: int = 3,
            reference_F: np.ndarray | None = None, embedding: Any = None, resume: bool = False,
            evaluator: Any = None, **options: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run every strategy for ``repeats`` seeds (cfg.seed, cfg.seed + 1, ...) at ``cfg.search.budget``,
    the runs in ``cfg.run.n_jobs`` parallel workers (results do not depend on it).

    ``strategies``: default, every strategy that applies to the config's space
    (:func:`~evo_codesign.strategies.strategies_for`). ``reference_F``: the exact front
    (minimisation form) to score against; default, the union of all final fronts. ``embedding``:
    the space every strategy searches (default the config's genome). ``resume``: continue the runs
    already in ``out`` (an interrupted comparison loses nothing). ``evaluator``: the one evaluator
    every run shares (default: the config's). Returns ``(per_run, curves,
    fronts)``: one row per run with its scores, hypervolume curves, and the tidy frame of every
    final front. Everything is also written into ``out``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    strategies = list(strategies) if strategies is not None else strategies_for(cfg)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; allowed: {list(STRATEGIES)}")
    for s in strategies:  # fail before any run starts, not after the first strategies have run
        why = not_applicable(s, cfg)
        if why:
            raise ValueError(why)
    if evaluator is None:
        evaluator = build_evaluator(cfg, space_for(cfg))  # built once, shared by every run
    if not resume:
        taken = [out / f"seed{cfg.seed + k}" / s for s in strategies for k in range(repeats)
                 if (out / f"seed{cfg.seed + k}" / s).exists()]
        if taken:
            raise FileExistsError(f"{out} already holds runs of this comparison ({taken[0]} ...); pass --resume "
                                  f"(resume=True) to continue them, or choose another --out")
    # independent runs: in parallel workers when run.n_jobs != 1 (each run is deterministic on its own)
    tasks = [(s, cfg, cfg.seed + k, out / f"seed{cfg.seed + k}", embedding, resume, evaluator, options)
             for s in strategies for k in range(repeats)]
    results: list[StrategyResult] = run_independent(_run_one, tasks, n_jobs=cfg.run.n_jobs)
    objectives = list(evaluator.objective_names)
    union = np.vstack([r.F for r in results if len(r.F)])
    if reference_F is not None:
        ref_front = np.asarray(reference_F, dtype=float)
        kind, bounds = "exact", Bounds.from_points(ref_front)
    else:
        ref_front = union[nondominated(union)]
        kind, bounds = "union", Bounds.from_points(union)
    ref_hv = normalised_hv(ref_front, bounds)
    curves = pd.concat([_curve(r, objectives, bounds) for r in results], ignore_index=True)
    rows = []
    for r in results:
        c = curves[(curves.strategy == r.strategy) & (curves.seed == r.seed)]
        rows.append({"strategy": r.strategy, "seed": r.seed, "evaluations": r.evaluations, "wall_s": r.wall_s,
                     "hv": normalised_hv(r.F, bounds) / ref_hv if ref_hv > 0 else float("nan"),
                     # every design the run evaluated (in its last phase), not only its final population
                     "hv_evaluated": float(c.hv.max()) / ref_hv if ref_hv > 0 and len(c) else float("nan"),
                     "igd_plus": igd_plus(bounds.normalise(r.F), bounds.normalise(ref_front)),
                     "evals_to_95": evals_to_fraction(c.evaluations, c.hv, ref_hv, 0.95),
                     "evals_to_99": evals_to_fraction(c.evaluations, c.hv, ref_hv, 0.99),
                     **{k: v for k, v in r.details.items() if np.isscalar(v)}})
    per_run = pd.DataFrame(rows)
    fronts = pd.concat([r.front for r in results], ignore_index=True)
    per_run.to_csv(out / "runs.csv", index=False)
    curves.to_csv(out / "hv_curves.csv", index=False)
    fronts.to_csv(out / "fronts.csv", index=False)
    (out / "reference.json").write_text(json.dumps({"reference": kind, "bounds": bounds.to_dict(),
                                                    "reference_hv": ref_hv,
                                                    "reference_points": int(len(ref_front)),
                                                    "hv_reference_point": 1.1, "objectives": objectives}, indent=1))
    return per_run, curves, fronts


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


def rank_matrix(cfg: Config, fronts: pd.DataFrame, *, n_cells: int = 50, max_designs: int = 12, seed: int = 0,
                evaluator: Any = None) -> pd.DataFrame:
    """Spearman rank correlation of ``n_cells`` random cells' latency between the distinct hardware
    designs of ``fronts`` (at most ``max_designs``, spread over dataflows): the semi-decoupled
    premise, checked on the accelerators the comparison actually found. Rows/columns are labelled
    by dataflow and array size (PE array) or crossbar size and ADC. Cell space only."""
    from .metrics import spearman
    space = space_for(cfg)
    if "cell" not in space:
        raise ValueError("rank_matrix needs the cell space (space.neural = 'cell')")
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
    labels = []
    for _, row in designs.iterrows():
        parts = []
        if "accelerator.dataflow" in row:
            parts.append(f"{row['accelerator.dataflow']} {row['accelerator.array_rows']}x{row['accelerator.array_cols']}")
        if "imc.crossbar_size" in row:
            parts.append(f"xbar{row['imc.crossbar_size']} {row['imc.adc_type']}{row['imc.adc_bits']}")
        labels.append(f"{len(labels)}: " + " / ".join(parts))
    M = np.array([[spearman(a, b) for b in lat] for a in lat])
    return pd.DataFrame(M, index=labels, columns=labels)

"""A comparison's tables and statistics: per-strategy summaries with bootstrap intervals, pairwise
rank tests with Holm correction and A12 (``tests.csv``), and attainment-surface figures."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = ["SCORES", "summary_table", "strategy_tests", "eaf_plots", "eaf_jobs"]

#: per-run scores the summary and the statistical tests report, with the better direction
SCORES = {"hv": "max", "hv_archive": "max", "auc": "max", "hv_at_25": "max", "hv_at_50": "max", "igd_plus": "min"}


def strategy_tests(per_run: pd.DataFrame) -> pd.DataFrame | None:
    """Pairwise two-sided Mann-Whitney tests between strategies on each score of :data:`SCORES`,
    Holm-corrected within a score, with Vargha-Delaney A12 (:func:`evo_codesign.stats.tests_table`);
    None with one strategy or with fewer than two runs each."""
    from . import stats

    scores = [c for c in SCORES if c in per_run and per_run[c].notna().all()]
    sizes = per_run.groupby("strategy").size()
    if len(sizes) < 2 or sizes.min() < 2 or not scores:
        return None
    return stats.tests_table(per_run, by="strategy", scores=scores, senses={k: SCORES[k] for k in scores})


def eaf_plots(fronts: pd.DataFrame, out: Path, strategies: Sequence[str], *, max_pairs: int = 3,
              min_runs: int = 5) -> list[Path]:
    """Empirical attainment surfaces (``eaf_X_Y.png``) of every strategy on the 2-D projections
    that pair accuracy (or the first objective) with each other objective, and EAF differences
    (``eafdiff_A_B_X_Y.png``) of the coupled strategy against the others on the first projection
    (:mod:`evo_codesign.stats`). Only with ``min_runs`` runs per strategy or more (best, median and
    worst of fewer runs say little); differences need equal run counts."""
    return [job() for job in eaf_jobs(fronts, out, strategies, max_pairs=max_pairs, min_runs=min_runs)]


def eaf_jobs(fronts: pd.DataFrame, out: Path, strategies: Sequence[str], *, max_pairs: int = 3,
             min_runs: int = 5) -> list[Callable[[], Path]]:
    """:func:`eaf_plots`'s figures as one call each (to draw them in several processes; each
    imports :mod:`evo_codesign.stats`, with scipy.stats, where it runs)."""
    objs = [c[2:] for c in fronts.columns if c.startswith("f_")]
    runs = fronts.groupby("strategy")["seed"].nunique() if len(fronts) else pd.Series(dtype=int)
    if len(objs) < 2 or not len(runs) or runs.min() < max(2, min_runs):
        return []
    x0 = "accuracy" if "accuracy" in objs else objs[0]
    pairs = [(o, x0) for o in objs if o != x0][:max_pairs]
    jobs: list[Callable[[], Path]] = [
        functools.partial(_stats_call, "plot_eaf", fronts, x, y, out / f"eaf_{x}_{y}.png",
                          title=f"attainment over {int(runs.min())} seeds") for x, y in pairs]
    base = "coupled" if "coupled" in strategies else strategies[0]
    x, y = pairs[0]
    jobs += [functools.partial(_stats_call, "plot_eafdiff", fronts, x, y, base, other,
                               out / f"eafdiff_{base}_{other}_{x}_{y}.png", title=f"{base} vs {other}")
             for other in strategies if other != base and runs.get(base) == runs.get(other)]
    return jobs


def _stats_call(name: str, *args, **kwargs):
    from . import stats

    return getattr(stats, name)(*args, **kwargs)


def _median_unreached_inf(v: pd.Series) -> float:
    m = float(np.median(v.fillna(np.inf).to_numpy(dtype=float)))
    return m if np.isfinite(m) else float("nan")


def summary_table(per_run: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: runs, evaluations, wall time; the final front's hypervolume (mean, std with
    ddof 1, min, max, median and its bootstrap 95 % interval); the archive's hypervolume and the
    anytime curve's area (median and interval); IGD+; evaluations to 95 %/99 % of the reference."""
    from . import stats

    g = per_run.groupby("strategy", sort=False)
    t = pd.DataFrame({
        "runs": g.size(),
        "evaluations": g["evaluations"].mean(),
        "wall_s": g["wall_s"].mean(),
        "hv_mean": g["hv"].mean(), "hv_std": g["hv"].std(ddof=1), "hv_min": g["hv"].min(), "hv_max": g["hv"].max(),
        "igd_plus_mean": g["igd_plus"].mean(),
        # a run that never reached the target counts as infinitely slow: the median is NaN when
        # more than half of the runs never got there (pandas' median would just skip them)
        "evals_to_95_median": g["evals_to_95"].apply(_median_unreached_inf),
        "reached_95": g["evals_to_95"].apply(lambda v: f"{int(v.notna().sum())}/{len(v)}"),
        "evals_to_99_median": g["evals_to_99"].apply(_median_unreached_inf),
        "reached_99": g["evals_to_99"].apply(lambda v: f"{int(v.notna().sum())}/{len(v)}"),
    })
    at = t.columns.get_loc("igd_plus_mean")
    for score in ("auc", "hv_archive", "hv"):  # medians with bootstrap intervals, where every run has the score
        if score in per_run and per_run[score].notna().all() and len(per_run):
            ci = stats.score_summary(per_run, by="strategy", scores=[score]).set_index("strategy")
            for j, (col, src) in enumerate((("median", "median"), ("ci_low", "median_ci_low"),
                                            ("ci_high", "median_ci_high"))):
                t.insert(at + j, f"{score}_{col}", ci[src].reindex(t.index))
    for col in ("premise_spearman_min", "premise_spearman_median", "proxy_probes", "space_log10"):
        if col in per_run:
            t[col] = g[col].mean()
    return t.reset_index()

"""Comparing search strategies the way EMO papers do: medians with bootstrap intervals, pairwise
rank-sum tests with Holm's correction, Vargha-Delaney effect sizes, and empirical attainment
functions (EAFs) and their differences on 2-D projections of the fronts.

Pure functions of arrays or tidy frames (a row per run for scores, a row per front design for
fronts: ``compare``'s ``runs.csv`` and ``fronts.csv``); inputs are never changed. Only
:func:`plot_eaf` and :func:`plot_eafdiff` draw (matplotlib imported when called).

* :func:`median_ci`: the median and its seeded percentile-bootstrap interval (scipy.stats.bootstrap;
  Efron & Tibshirani 1993, ch. 13);
* :func:`mann_whitney`: the two-sided Wilcoxon rank-sum / Mann-Whitney U test (scipy: exact when a
  sample has at most 8 values and no ties, else normal with tie and continuity corrections);
* :func:`holm`: Holm's step-down adjustment (Holm 1979, Scand. J. Statist. 6(2)), which controls
  the family-wise error rate without assuming independence;
* :func:`a12`, :func:`a12_magnitude`: Vargha & Delaney's A (2000, J. Educ. Behav. Stat. 25(2),
  101-132), P(X > Y) + P(X = Y) / 2, and their labels on max(A, 1 - A);
* :func:`score_summary`, :func:`tests_table`: those per strategy and per pair of strategies;
* :func:`eaf`, :func:`attainment_surfaces`, :func:`eafdiff`: moocore's EAF and EAF differences
  (Fonseca et al. 2011; Lopez-Ibanez et al. 2010), objectives in their natural sense.

Scores must not be NaN: a run that never reached a target is worst, not missing, so fill such
values first (``runs.fillna({"evals_to_95": np.inf})``); infinities are ranked and bootstrapped.
Standard deviations use ``ddof = 1`` (the sample estimate).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Mapping, Sequence

import moocore
import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["median_ci", "mann_whitney", "holm", "a12", "a12_magnitude", "A12_THRESHOLDS", "score_summary",
           "tests_table", "eaf", "attainment_surfaces", "eafdiff", "front_points", "plot_eaf", "plot_eafdiff"]

#: Vargha & Delaney (2000), section "Interpreting A": on max(A, 1 - A), below 0.56 negligible,
#: below 0.64 small, below 0.71 medium, otherwise large
A12_THRESHOLDS = ((0.56, "negligible"), (0.64, "small"), (0.71, "medium"))


def _sample(values, what: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()  # a view or a copy; never written to
    if np.isnan(x).any():
        raise ValueError(f"{what}: NaN in {x.tolist()}; fill missing scores first (a target never reached is "
                         f"+inf for evaluations-to-target)")
    return x


# -- one sample ------------------------------------------------------------------------------------

def _quantile(dist: np.ndarray, q: float) -> float:
    # numpy's linear interpolation between two equal infinities gives NaN; they are the answer
    lo, hi = np.quantile(dist, q, method="lower"), np.quantile(dist, q, method="higher")
    return float(lo) if lo == hi else float(np.quantile(dist, q))


def median_ci(values, *, confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0
              ) -> tuple[float, float, float]:
    """(median, low, high): the sample median and its percentile-bootstrap ``confidence``
    interval from ``n_resamples`` resamples drawn with ``numpy.random.default_rng(seed)``
    (scipy.stats.bootstrap, ``method="percentile"``). Fewer than two values give NaN bounds;
    values all equal give a zero-width interval."""
    x = _sample(values)
    if not len(x):
        raise ValueError("median_ci: no values")
    m = float(np.median(x))
    if len(x) < 2:
        return m, math.nan, math.nan
    if np.all(x == x[0]):
        return m, m, m
    with np.errstate(invalid="ignore"):  # scipy's standard error of infinite medians is NaN; unused here
        res = _st.bootstrap((x,), np.median, n_resamples=n_resamples, confidence_level=confidence,
                            method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(lo) and np.isfinite(hi)):  # infinite values: the percentiles taken without NaN
        alpha = (1.0 - confidence) / 2
        lo, hi = _quantile(res.bootstrap_distribution, alpha), _quantile(res.bootstrap_distribution, 1 - alpha)
    return m, lo, hi


# -- two samples -----------------------------------------------------------------------------------

def _two(x, y, what: str) -> tuple[np.ndarray, np.ndarray]:
    a, b = _sample(x, "x"), _sample(y, "y")
    if not len(a) or not len(b):
        raise ValueError(f"{what}: both samples need values (got {len(a)} and {len(b)})")
    return a, b


def mann_whitney(x, y) -> tuple[float, float]:
    """(U, p): the two-sided Mann-Whitney U test of ``x`` against ``y``; U is x's statistic (the
    number of (x, y) pairs with x > y, ties counting one half)."""
    a, b = _two(x, y, "mann_whitney")
    if np.all(np.concatenate([a, b]) == a[0]):  # every value tied: no evidence either way
        return len(a) * len(b) / 2.0, 1.0
    r = _st.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    return float(r.statistic), float(r.pvalue)


def a12(x, y) -> float:
    """Vargha-Delaney A: the probability that a value of ``x`` is larger than one of ``y``, ties
    counting one half (0.5 = no difference). For a score that is minimised, A < 0.5 favours x."""
    a, b = _two(x, y, "a12")
    greater = (a[:, None] > b[None, :]).sum()
    equal = (a[:, None] == b[None, :]).sum()
    return float((greater + 0.5 * equal) / (len(a) * len(b)))


def a12_magnitude(a: float) -> str:
    """Vargha & Delaney's label for an A value, on max(A, 1 - A): negligible, small, medium, large."""
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"A12 must be in [0, 1], got {a}")
    d = max(a, 1.0 - a)
    for limit, label in A12_THRESHOLDS:
        if d < limit:
            return label
    return "large"


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values, in the input's order: sorted ascending,
    ``p_(i) * (m - i + 1)`` for i = 1..m, made non-decreasing by a running maximum, capped at 1."""
    p = _sample(pvalues, "p-values")
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    return adj[np.argsort(order, kind="stable")]


# -- tables ----------------------------------------------------------------------------------------

def _groups(df: pd.DataFrame, by: str, scores: Sequence[str]) -> list[tuple[object, pd.DataFrame]]:
    missing = [c for c in [by, *scores] if c not in df.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the frame; it has {list(df.columns)}")
    if not len(scores):
        raise ValueError("scores: name at least one score column")
    return list(df.groupby(by, sort=False))


def score_summary(df: pd.DataFrame, *, by: str = "strategy", scores: Sequence[str], confidence: float = 0.95,
                  n_resamples: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """One row per (group, score): n, mean, std (ddof 1), median and its bootstrap interval
    (:func:`median_ci`), min, max. Groups in order of first appearance."""
    rows = []
    for name, g in _groups(df, by, scores):
        for s in scores:
            v = _sample(g[s], f"{s} of {by} {name!r}")
            med, lo, hi = median_ci(v, confidence=confidence, n_resamples=n_resamples, seed=seed)
            rows.append({by: name, "score": s, "n": len(v), "mean": float(np.mean(v)),
                         "std": float(np.std(v, ddof=1)) if len(v) > 1 else math.nan, "median": med,
                         "median_ci_low": lo, "median_ci_high": hi, "min": float(np.min(v)), "max": float(np.max(v))})
    return pd.DataFrame(rows)


def tests_table(df: pd.DataFrame, by: str = "strategy", scores: Sequence[str] = ("hv",), *,
                senses: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per (score, pair of groups): ``a``, ``b``, ``n_a``, ``n_b``, their medians, the
    two-sided Mann-Whitney ``U`` (a's) and ``p``, ``p_holm`` (Holm over the pairs of that score),
    ``a12`` (P(a > b) + P(a = b) / 2) and its ``magnitude``. With ``senses`` (score -> "max" or
    "min"), ``better`` names the group whose values tend to be better (by A12; "" at 0.5).
    Groups in order of first appearance; pairs in that order."""
    groups = _groups(df, by, scores)
    if len(groups) < 2:
        raise ValueError(f"tests_table: need at least two {by} groups, got {[g for g, _ in groups]}")
    senses = dict(senses or {})
    if any(v not in ("min", "max") for v in senses.values()):
        raise ValueError(f"senses must be 'min' or 'max', got {senses}")
    rows = []
    for s in scores:
        vals = {name: _sample(g[s], f"{s} of {by} {name!r}") for name, g in groups}
        block = []
        for (na, _), (nb, _) in itertools.combinations(groups, 2):
            x, y = vals[na], vals[nb]
            u, p = mann_whitney(x, y)
            a = a12(x, y)
            row = {"score": s, "a": na, "b": nb, "n_a": len(x), "n_b": len(y), "median_a": float(np.median(x)),
                   "median_b": float(np.median(y)), "U": u, "p": p, "a12": a, "magnitude": a12_magnitude(a)}
            if s in senses:  # A > 0.5: a's values tend to be larger
                row["better"] = "" if a == 0.5 else na if (a > 0.5) == (senses[s] == "max") else nb
            block.append(row)
        for row, ph in zip(block, holm([r["p"] for r in block])):
            row["p_holm"] = float(ph)
        rows += block
    cols = ["score", "a", "b", "n_a", "n_b", "median_a", "median_b", "U", "p", "p_holm", "a12", "magnitude"]
    out = pd.DataFrame(rows)
    return out[cols + (["better"] if "better" in out.columns else [])]


# -- attainment ------------------------------------------------------------------------------------

def _signs(maximise, n: int) -> np.ndarray:
    m = np.broadcast_to(np.asarray(maximise, dtype=bool), (n,))
    return np.where(m, -1.0, 1.0)


def _points(points, sets) -> tuple[np.ndarray, np.ndarray]:
    P = np.asarray(points, dtype=float)
    S = np.asarray(sets).ravel()
    if P.ndim != 2 or P.shape[1] != 2:
        raise ValueError(f"points must be an (n, 2) array (a 2-D projection), got shape {P.shape}")
    if len(S) != len(P):
        raise ValueError(f"sets must give one run per point: {len(S)} labels for {len(P)} points")
    if not np.isfinite(P).all():
        raise ValueError("points must be finite")
    return P, S


def eaf(points, /, sets, *, percentiles: Sequence[float] = (), maximise: bool | Sequence[bool] = False) -> np.ndarray:
    """moocore's EAF of 2-D ``points`` (one run per label in ``sets``) with objectives in their
    natural sense (``maximise`` per objective): rows (x, y, percentile), the percentile being the
    share of runs (in %) that attain the point. All levels unless ``percentiles``."""
    P, S = _points(points, sets)
    sign = _signs(maximise, 2)
    out = moocore.eaf(P * sign, S, percentiles=list(percentiles))
    out[:, :2] *= sign
    return out


def attainment_surfaces(points, /, sets, *, maximise: bool | Sequence[bool] = False) -> dict[str, np.ndarray]:
    """The best (attained by at least one run), median (at least half of the runs) and worst
    (every run) attainment surfaces: each an (n, 2) array of its corner points in natural units,
    sorted by the first objective."""
    P, S = _points(points, sets)
    n = len(np.unique(S))
    E = eaf(P, S, maximise=maximise)
    rows = {name: E[np.isclose(E[:, 2], 100.0 * k / n)][:, :2]
            for name, k in (("best", 1), ("median", math.ceil(n / 2)), ("worst", n))}
    return {name: r[np.argsort(r[:, 0], kind="stable")] for name, r in rows.items()}


def eafdiff(a_points, a_sets, b_points, b_sets, *, maximise: bool | Sequence[bool] = False) -> np.ndarray:
    """Where the EAFs of two strategies differ (moocore.eafdiff, as rectangles): rows
    (x_low, y_low, x_high, y_high, diff) in natural units (a corner may be infinite), ``diff``
    being the share of a's runs minus the share of b's runs that attain the rectangle (in
    [-1, 1]; positive: a attains it more often). Both need the same number of runs."""
    A, SA = _points(a_points, a_sets)
    B, SB = _points(b_points, b_sets)
    n_a, n_b = len(np.unique(SA)), len(np.unique(SB))
    if n_a != n_b:  # moocore's C code takes the first half of the sets as a's and the rest as b's
        raise ValueError(f"eafdiff needs as many runs of a as of b (got {n_a} and {n_b})")
    sign = _signs(maximise, 2)
    R = moocore.eafdiff(np.column_stack([A * sign, SA]), np.column_stack([B * sign, SB]), rectangles=True)
    # back to natural units; moocore gives the difference in numbers of runs
    return np.asarray(R, dtype=float) * np.r_[sign, sign, 1.0 / n_a]


def front_points(fronts: pd.DataFrame, x: str, y: str, *, run: str = "seed", feasible_only: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(points, sets) of a fronts frame's objectives ``x`` and ``y`` (names, or ``f_`` columns),
    one set per ``run``; designs marked infeasible (a ``feasible`` column) are left out."""
    cols = [c if c in fronts.columns else f"f_{c}" for c in (x, y)]
    missing = [c for c in [*cols, run] if c not in fronts.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in the fronts frame; it has {list(fronts.columns)}")
    f = fronts[fronts["feasible"].astype(bool)] if feasible_only and "feasible" in fronts.columns else fronts
    return f[cols].to_numpy(dtype=float), f[run].to_numpy()


# -- figures ---------------------------------------------------------------------------------------

def _axis(name: str, senses: Mapping[str, str] | None) -> tuple[str, str]:
    """(label with unit and better direction, sense) of an objective name or ``f_`` column."""
    from .objectives import available, get

    o = name[2:] if name.startswith("f_") else name
    obj = get(o) if o in available() else None
    sense = (senses or {}).get(o) or (senses or {}).get(name) or (obj.sense if obj else "min")
    text = f"{obj.label} ({obj.unit})" if obj else o
    return f"{text}, {'higher' if sense == 'max' else 'lower'} is better", sense


def _frame(P: np.ndarray, sign: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(axis limits (2, 2), the worse end of each axis, log-scale flags) around points ``P``; an
    axis is a log axis by the rule of every other figure (:meth:`evo_codesign.plot.base.Axis.is_log`)."""
    from .plot.base import Axis
    lo, hi = P.min(axis=0), P.max(axis=0)
    logs = np.array([Axis(str(j), "").is_log(P[:, j]) for j in range(P.shape[1])], dtype=bool)
    pad = np.where(hi > lo, 0.05 * (hi - lo), np.maximum(np.abs(hi) * 0.05, 1e-9))
    lo, hi = np.where(logs, lo / 1.15, lo - pad), np.where(logs, hi * 1.15, hi + pad)
    return np.stack([lo, hi]), np.where(sign > 0, hi, lo), logs  # surfaces run off at the worse end


def _decorate(ax, lim: np.ndarray, logs: np.ndarray, xlabel: str, ylabel: str) -> None:
    from matplotlib.ticker import NullLocator
    ax.set(xscale="log" if logs[0] else "linear", yscale="log" if logs[1] else "linear", xlim=tuple(lim[:, 0]),
           ylim=tuple(lim[:, 1]), xlabel=xlabel, ylabel=ylabel)
    for axis, log in zip((ax.xaxis, ax.yaxis), logs):
        if log:  # labels at the decades only, as on the fronts: minor labels crowd an axis of 1-2 decades
            axis.set_minor_locator(NullLocator())
    ax.grid(alpha=0.3)


def _staircase(S: np.ndarray, sign: np.ndarray, worst: np.ndarray) -> np.ndarray:
    """The polyline of an attainment surface: its corners joined by steps that keep the region
    attained (in minimisation form: up-right of the corners), closed at the plot's worse edges."""
    if not len(S):
        return np.zeros((0, 2))
    M = S * sign
    M = M[np.argsort(M[:, 0], kind="stable")]
    wx, wy = worst * sign
    pts = [(M[0, 0], wy)]
    for i in range(len(M)):
        pts += [(M[i, 0], M[i, 1]), (M[i + 1, 0] if i + 1 < len(M) else wx, M[i, 1])]
    return np.asarray(pts) * sign


def plot_eaf(fronts: pd.DataFrame, x: str, y: str, out: str | Path, *, by: str = "strategy", run: str = "seed",
             senses: Mapping[str, str] | None = None, title: str = "") -> Path:
    """A PNG of each strategy's best, median and worst attainment surfaces on objectives ``x``
    and ``y`` (natural units; axis labels with unit and which way is better). Returns its path."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .plot.figures import save_figure, strategy_colours

    (xl, sx), (yl, sy) = _axis(x, senses), _axis(y, senses)
    sign = _signs([sx == "max", sy == "max"], 2)
    P_all, _ = front_points(fronts, x, y, run=run)
    if not len(P_all):
        raise ValueError(f"plot_eaf: no feasible design of {x} and {y} to plot")
    lim, worst, logs = _frame(P_all, sign)
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    names = list(pd.unique(fronts[by]))
    colours = strategy_colours([str(n) for n in names])
    styles = {"best": ":", "median": "-", "worst": "--"}
    runs = {}
    for name in names:
        P, S = front_points(fronts[fronts[by] == name], x, y, run=run)
        if len(P):
            runs[name] = len(np.unique(S))
            for level, surface in attainment_surfaces(P, S, maximise=sign < 0).items():
                line = _staircase(surface, sign, worst)
                ax.plot(line[:, 0], line[:, 1], styles[level], color=colours[str(name)], lw=1.6)
    _decorate(ax, lim, logs, xl, yl)
    ax.set_title(title or f"empirical attainment, {by} x {run}")
    handles = [Line2D([], [], color=colours[str(n)], lw=2, label=f"{n} ({k} runs)") for n, k in runs.items()]
    ax.add_artist(ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title=by, fontsize=8))
    levels = [Line2D([], [], color="0.3", ls=styles[k], label=text) for k, text in
              (("best", "best: attained by >= 1 run"), ("median", "median: by >= half of the runs"),
               ("worst", "worst: by every run"))]
    ax.legend(handles=levels, loc="lower left", bbox_to_anchor=(1.01, 0.0), title="attainment level", fontsize=8)
    return save_figure(fig, Path(out).with_suffix(""), formats=("png",))[0]


def plot_eafdiff(fronts: pd.DataFrame, x: str, y: str, a: str, b: str, out: str | Path, *, by: str = "strategy",
                 run: str = "seed", senses: Mapping[str, str] | None = None, title: str = "") -> Path:
    """A PNG of where strategy ``a``'s EAF exceeds ``b``'s (left) and the reverse (right), shaded by
    the difference in the share of runs attaining each region, with the grand best and worst
    attainment surfaces of all runs of both. Returns its path."""
    from matplotlib import cm, colors
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    from .plot.figures import save_figure

    (xl, sx), (yl, sy) = _axis(x, senses), _axis(y, senses)
    sign = _signs([sx == "max", sy == "max"], 2)
    A, SA = front_points(fronts[fronts[by] == a], x, y, run=run)
    B, SB = front_points(fronts[fronts[by] == b], x, y, run=run)
    for name, P in ((a, A), (b, B)):
        if not len(P):
            raise ValueError(f"plot_eafdiff: {by} {name!r} has no feasible design in the frame")
    R = eafdiff(A, SA, B, SB, maximise=sign < 0)
    lim, worst, logs = _frame(np.vstack([A, B]), sign)
    ia, ib = pd.factorize(SA)[0], pd.factorize(SB)[0]
    runs_of_both = np.concatenate([ia, ia.max() + 1 + ib]) + 1  # a's runs, then b's, never merged
    grand = attainment_surfaces(np.vstack([A, B]), runs_of_both, maximise=sign < 0)
    norm = colors.Normalize(vmin=0.0, vmax=1.0)
    # light grey (a small difference, still visible) to black (every run of one, none of the other)
    cmap = colors.LinearSegmentedColormap.from_list("eafdiff", ["#dddddd", "#000000"])
    fig = Figure(figsize=(11, 4.6))
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for k, (ax, (who, other, pick)) in enumerate(zip(axes, ((a, b, R[:, 4] > 0), (b, a, R[:, 4] < 0)))):
        for x0, y0, x1, y1, d in R[pick]:
            xs, ys = np.clip([x0, x1], *lim[:, 0]), np.clip([y0, y1], *lim[:, 1])
            ax.add_patch(Rectangle((xs.min(), ys.min()), abs(xs[1] - xs[0]), abs(ys[1] - ys[0]), lw=0,
                                   facecolor=cmap(norm(abs(d)))))
        for level, ls in (("best", "-"), ("worst", "--")):
            line = _staircase(grand[level], sign, worst)
            ax.plot(line[:, 0], line[:, 1], ls, color="black", lw=1.2)
        _decorate(ax, lim, logs, xl, yl if k == 0 else "")
        ax.set_title(f"{who} attains more often than {other}", fontsize=10)
    bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes), fraction=0.035, pad=0.02)
    bar.set_label("difference in the share of runs attaining the region")
    axes[1].legend(handles=[Line2D([], [], color="black", ls="-", label="grand best (>= 1 run of either)"),
                            Line2D([], [], color="black", ls="--", label="grand worst (every run of both)")],
                   loc="best", fontsize=8, title="attainment level")
    fig.suptitle(title or f"EAF differences, {a} ({len(np.unique(SA))} runs) vs {b} ({len(np.unique(SB))} runs)")
    return save_figure(fig, Path(out).with_suffix(""), formats=("png",))[0]

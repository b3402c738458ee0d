"""Hypervolume curves, rank-correlation heatmaps and decoded designs; the fronts are
:mod:`evo_codesign.plot.fronts`, the conventions every figure keeps :mod:`evo_codesign.plot.base`
(both re-exported here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .base import Axis, PngFile, better_label, save_figure, strategy_colours, wrap
from .fronts import fronts_figures, plot_fronts

__all__ = ["Axis", "save_figure", "plot_fronts", "fronts_figures", "plot_hv_curves", "hv_figure",
           "plot_rank_heatmap", "plot_design", "wrap", "better_label", "strategy_colours", "PngFile"]


# ---------------------------------------------------------------------------------------------
# Hypervolume against evaluations
# ---------------------------------------------------------------------------------------------

def _median_band(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Step functions of every seed on the union grid of evaluation counts: grid, median, min, max,
    from the first count at which every seed has a value (a median over the seeds that happen to
    have started would move for that reason alone)."""
    grid = np.unique(df["evaluations"].to_numpy())
    per_seed = []
    for _, s in df.groupby("seed"):
        s = s.sort_values("evaluations")
        # step function: the best front found so far holds until the next generation
        idx = np.searchsorted(s["evaluations"].to_numpy(), grid, side="right") - 1
        per_seed.append(np.where(idx >= 0, s[column].to_numpy()[np.clip(idx, 0, None)], np.nan))
    M = np.vstack(per_seed)
    full = ~np.isnan(M).any(axis=0)
    grid, M = grid[full], M[:, full]
    return grid, np.median(M, axis=0), M.min(axis=0), M.max(axis=0), len(per_seed)


def plot_hv_curves(curves: pd.DataFrame, stem: str | Path, **kwargs: Any) -> list[Path]:
    """:func:`hv_figure` written to ``stem.png``/``.pdf``; returns the paths."""
    return save_figure(hv_figure(curves, **kwargs), stem)


def hv_figure(curves: pd.DataFrame, *, reference_hv: float | None = None,
              ylabel: str = "hypervolume of every design evaluated so far", title: str = "",
              final: pd.DataFrame | None = None, note: str = "", reference_label: str = "reference front") -> Figure:
    """Hypervolume against unique evaluations per strategy: the median over seeds (line) with the
    min-max band. ``curves`` columns: ``strategy``, ``seed``, ``evaluations``, ``hv``.

    ``final``: optional per-run scores of the *final* fronts (``strategy``, ``evaluations``,
    ``hv``), drawn as a diamond (median) with a min-max bar at each strategy's median evaluations,
    so a table that scores final fronts and curves that score every evaluated design can be read
    together. ``reference_hv``: a dashed line (``reference_label``). ``note``: a line of text under
    the axes (what the curves leave out, e.g. where phased strategies start)."""
    fig = Figure(figsize=(8.6, 4.6), layout="constrained")
    ax = fig.add_subplot(111)
    colours = strategy_colours(curves["strategy"].astype(str).unique()) if len(curves) else {}
    handles = []
    for strategy, df in curves.groupby(curves["strategy"].astype(str), sort=True):
        grid, med, lo, hi, n = _median_band(df, "hv")
        c = colours[strategy]
        ax.step(grid, med, where="post", color=c, lw=1.4)
        ax.fill_between(grid, lo, hi, step="post", color=c, alpha=0.18, lw=0)
        handles.append(Line2D([], [], color=c, lw=1.4, label=f"{strategy} (n={n})"))
    if final is not None and len(final):
        groups = list(final.groupby(final["strategy"].astype(str), sort=True))
        # side by side around each strategy's median evaluations, 1.2 % of the axis apart
        step = 0.012 * float(max(final["evaluations"].max(), curves["evaluations"].max() if len(curves) else 0))
        for k, (strategy, f) in enumerate(groups):
            c = colours.get(strategy, "k")
            x = float(np.median(f["evaluations"])) + (k - (len(groups) - 1) / 2) * step
            v = f["hv"].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if not len(v):
                continue
            ax.errorbar([x], [np.median(v)], yerr=[[np.median(v) - v.min()], [v.max() - np.median(v)]], fmt="D",
                        color=c, markeredgecolor="k", markeredgewidth=0.5, ms=6, capsize=3, lw=1, zorder=5,
                        clip_on=False)
        handles.append(Line2D([], [], ls="", marker="D", color="0.5", markeredgecolor="k", markeredgewidth=0.5,
                              label="final front: median,\nmin-max over seeds"))
    if reference_hv is not None:
        ax.axhline(reference_hv, color="k", ls="--", lw=1)
        handles.append(Line2D([], [], color="k", ls="--", lw=1, label=wrap(reference_label, 26)))
    ax.set_xlabel("unique designs evaluated", fontsize=9)
    ax.set_ylabel(wrap(ylabel, 48), fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    if title:
        ax.set_title(wrap(title, 95), fontsize=9)
    if note:
        fig.supxlabel(wrap(note, 130), fontsize=7, color="0.3")
    return fig


# ---------------------------------------------------------------------------------------------
# Rank correlations and designs
# ---------------------------------------------------------------------------------------------

def plot_rank_heatmap(matrix: pd.DataFrame, stem: str | Path, *, title: str = "Spearman rank correlation",
                      vmin: float | None = None, colorbar_label: str = "Spearman rank correlation") -> list[Path]:
    """Square matrix of rank correlations. Rows carry the full labels; columns only the row
    number each label starts with (``"3: ..."`` -> ``3``), or the label itself when it has none."""
    M = matrix.to_numpy(dtype=float)
    n = len(matrix)
    size = max(4.5, 0.42 * n + 2.5)
    # room for the row labels beside the square (about 0.055 in a character at 7 pt), so long
    # labels (designs found by many seeds) do not squeeze the matrix
    labels_in = 0.055 * max((len(str(i)) for i in matrix.index), default=0)
    fig = Figure(figsize=(size + max(3.2, labels_in + 1.2), size), layout="constrained")
    ax = fig.add_subplot(111)
    lo = vmin if vmin is not None else float(np.nanmin(M))
    im = ax.imshow(M, vmin=lo, vmax=1.0, cmap="viridis")
    cols = [re.match(r"^(\d+):", str(c)).group(1) if re.match(r"^(\d+):", str(c)) else str(c)
            for c in matrix.columns]
    ax.set_xticks(range(n), cols, fontsize=7, rotation=0 if all(len(c) <= 3 for c in cols) else 60,
                  ha="center" if all(len(c) <= 3 for c in cols) else "right")
    ax.set_yticks(range(n), [str(i) for i in matrix.index], fontsize=7)
    if n <= 16:
        for i in range(n):
            for j in range(n):
                # inside the axes: no part of the layout (constrained layout would measure every one)
                ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="w" if M[i, j] < (lo + 1) / 2 else "k", in_layout=False)
    cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    cb.set_label(colorbar_label, fontsize=8)
    ax.set_title(wrap(title, 70), fontsize=9)
    return save_figure(fig, stem)


def plot_design(decoded: Mapping[str, Any], stem: str | Path, *, objectives: Mapping[str, str] | None = None,
                title: str = "design") -> list[Path]:
    """A decoded genome as a readable panel: cell nodes, hardware genes and objective values."""
    lines: list[str] = []
    for seg, d in decoded.items():
        lines.append(f"[{seg}]")
        if seg == "cell":
            for cell in ("normal", "reduce"):
                pairs = d[cell]
                for k in range(4):
                    (oa, ia), (ob, ib) = pairs[2 * k], pairs[2 * k + 1]
                    lines.append(f"  {cell:6s} node {k + 2}: {oa}({ia}) + {ob}({ib})")
        else:
            lines += [f"  {k}: {v}" for k, v in d.items()]
    if objectives:
        lines.append("[objectives]")
        lines += [f"  {k}: {v}" for k, v in objectives.items()]
    height = 0.2 * len(lines) + 0.8
    fig = Figure(figsize=(7, height))
    # the title in the first 0.4 in, the panel below it (a suptitle would sit on the first lines)
    fig.text(0.01, 1 - 0.1 / height, title, va="top", ha="left", fontsize=10, fontweight="bold")
    fig.text(0.01, 1 - 0.45 / height, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=8)
    return save_figure(fig, stem)

"""Pareto fronts, hypervolume curves, rank-correlation heatmaps and decoded designs."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["save_figure", "plot_fronts", "plot_hv_curves", "plot_rank_heatmap", "plot_design"]

_MARKERS = "os^Dv<>pP*X"


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf`` (parents created), each atomically; returns the paths."""
    from ..io.atomic import atomic_write_with, disk_error

    stem = Path(stem)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(stem.parent, e, "create") from None
    FigureCanvasAgg(fig)
    paths = []
    for fmt in formats:
        p = stem.with_suffix(f".{fmt}")
        atomic_write_with(p, lambda buf: fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight"))
        paths.append(p)
    return paths


def plot_fronts(fronts: Mapping[str, pd.DataFrame], objectives: Mapping[str, str], stem: str | Path, *,
                title: str = "") -> list[Path]:
    """Overlay the fronts of several runs.

    ``fronts``: label -> frame with one column per objective; ``objectives``: column -> axis label
    with units (e.g. ``{"f_latency": "latency (ms)"}``). Writes a grid of every 2-D projection
    (``stem``) and, with three or more objectives, a 3-D view of the first three (``stem_3d``).
    """
    cols = list(objectives)
    pairs = list(itertools.combinations(cols, 2))
    if not pairs:
        raise ValueError("plot_fronts needs at least two objectives")
    ncol = min(3, len(pairs))
    nrow = int(np.ceil(len(pairs) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 3.6 * nrow))
    for k, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        for j, (label, df) in enumerate(fronts.items()):
            ax.scatter(df[a], df[b], s=14, marker=_MARKERS[j % len(_MARKERS)], alpha=0.75, label=label)
        ax.set_xlabel(objectives[a])
        ax.set_ylabel(objectives[b])
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    paths = save_figure(fig, stem)
    if len(cols) >= 3:
        fig3 = Figure(figsize=(6, 5))
        ax = fig3.add_subplot(111, projection="3d")
        a, b, c = cols[:3]
        for j, (label, df) in enumerate(fronts.items()):
            ax.scatter(df[a], df[b], df[c], s=12, marker=_MARKERS[j % len(_MARKERS)], label=label)
        ax.set_xlabel(objectives[a])
        ax.set_ylabel(objectives[b])
        ax.set_zlabel(objectives[c])
        ax.legend(fontsize=8)
        if title:
            ax.set_title(title)
        paths += save_figure(fig3, Path(str(stem) + "_3d"))
    return paths


def plot_hv_curves(curves: pd.DataFrame, stem: str | Path, *, reference_hv: float | None = None,
                   ylabel: str = "normalised hypervolume") -> list[Path]:
    """Hypervolume against unique evaluations per strategy: the median over seeds with the min-max
    band. ``curves`` columns: ``strategy``, ``seed``, ``evaluations``, ``hv``."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot(111)
    for strategy, df in curves.groupby("strategy", sort=True):
        grid = np.unique(df["evaluations"].to_numpy())
        per_seed = []
        for _, s in df.groupby("seed"):
            s = s.sort_values("evaluations")
            # step function: the best front found so far holds until the next generation
            idx = np.searchsorted(s["evaluations"].to_numpy(), grid, side="right") - 1
            vals = np.where(idx >= 0, s["hv"].to_numpy()[np.clip(idx, 0, None)], np.nan)
            per_seed.append(vals)
        M = np.vstack(per_seed)
        med = np.nanmedian(M, axis=0)
        line, = ax.plot(grid, med, label=f"{strategy} (n={len(per_seed)})")
        ax.fill_between(grid, np.nanmin(M, axis=0), np.nanmax(M, axis=0), color=line.get_color(), alpha=0.2)
    if reference_hv is not None:
        ax.axhline(reference_hv, color="k", ls="--", lw=1, label="reference front")
    ax.set_xlabel("unique designs evaluated")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, stem)


def plot_rank_heatmap(matrix: pd.DataFrame, stem: str | Path, *, title: str = "Spearman rank correlation",
                      vmin: float | None = None) -> list[Path]:
    """Square matrix of rank correlations (rows/columns: accelerator and dataflow labels)."""
    M = matrix.to_numpy(dtype=float)
    n = len(matrix)
    size = max(4.5, 0.45 * n + 2)
    fig = Figure(figsize=(size + 1, size))
    ax = fig.add_subplot(111)
    lo = vmin if vmin is not None else float(np.nanmin(M))
    im = ax.imshow(M, vmin=lo, vmax=1.0, cmap="viridis")
    ax.set_xticks(range(n), matrix.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n), matrix.index, fontsize=7)
    if n <= 16:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{M[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="w" if M[i, j] < (lo + 1) / 2 else "k")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    fig.tight_layout()
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

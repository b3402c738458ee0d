"""Pareto fronts: one panel per pair of objectives, each strategy's 2-D front highlighted, and a
3-D view of the first three objectives (conventions: :mod:`evo_codesign.plot.base`)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from .base import MARKERS, Axis, better_label, save_figure, strategy_colours, wrap

__all__ = ["plot_fronts", "fronts_figures"]


def _as_axes(objectives: Sequence[Axis] | Mapping[str, str]) -> list[Axis]:
    if isinstance(objectives, Mapping):
        return [Axis(c, label) for c, label in objectives.items()]
    return list(objectives)


def _as_frame(fronts: pd.DataFrame | Mapping[str, pd.DataFrame], colour_by: str) -> pd.DataFrame:
    if isinstance(fronts, pd.DataFrame):
        return fronts
    parts = [df.assign(**{colour_by: label}) for label, df in fronts.items()]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _nondominated(F: np.ndarray) -> np.ndarray:
    from ..metrics import nondominated

    return nondominated(F) if len(F) else np.zeros(0, dtype=bool)


def plot_fronts(fronts: pd.DataFrame | Mapping[str, pd.DataFrame], objectives: Sequence[Axis] | Mapping[str, str],
                stem: str | Path, *, title: str = "", colour_by: str = "strategy", marker_by: str = "seed",
                three_d: bool = True, two_d: bool = True) -> list[Path]:
    """:func:`fronts_figures` written to ``stem.png``/``.pdf`` (and ``stem_3d.*``); returns the paths.
    ``two_d=False``: only the 3-D view (two processes can draw the two views at once)."""
    figs = fronts_figures(fronts, objectives, title=title, colour_by=colour_by, marker_by=marker_by, three_d=three_d,
                          two_d=two_d)
    paths = save_figure(figs[0], stem) if two_d else []
    if len(figs) > int(two_d):
        paths += save_figure(figs[-1], Path(str(stem) + "_3d"))
    return paths


class _Style:
    """Who gets which colour and marker in a figure of fronts."""

    def __init__(self, colour_by: str, marker_by: str, colours: Mapping[str, str], markers: Mapping[Any, str]):
        self.colour_by, self.marker_by, self.colours, self.markers = colour_by, marker_by, colours, markers


def _panel(ax: Any, df: pd.DataFrame, feasible: np.ndarray, a: Axis, b: Axis, log_x: bool, log_y: bool,
           st: _Style) -> None:
    """One pair of objectives: every design faded, each strategy's 2-D front bold with its staircase.

    One scatter per (strategy, marker) draws both kinds of points (per-point size, alpha and
    edge; the bold ones last, so on top), and the data artists stay out of the layout
    computation (they are clipped to the axes), which makes the main job's figure faster to
    build and to save, looking the same."""
    xy = df[[a.column, b.column]].to_numpy(dtype=float)
    ok = feasible & ~np.isnan(xy).any(axis=1)
    group = df[st.colour_by].astype(str).to_numpy()
    sub_of = df[st.marker_by].to_numpy() if st.marker_by in df else None
    # Each scatter would work out the limits of every artist added before it (matplotlib's
    # add_collection unstales the view first): autoscaling is off while they are added and
    # requested once at the end, which gives the same limits from the same data
    ax.set_autoscale_on(False)
    for g, colour in st.colours.items():
        rows = np.flatnonzero(ok & (group == g))
        if not len(rows):
            continue
        nd = _nondominated(xy[rows] * [_sign(a), _sign(b)])
        rgba = np.array(to_rgba(colour))
        for s, marker in st.markers.items():
            on = (sub_of[rows] == s) if s is not None and sub_of is not None else np.ones(len(rows), dtype=bool)
            order = np.r_[np.flatnonzero(on & ~nd), np.flatnonzero(on & nd)]  # bold ones drawn last
            if not len(order):
                continue
            bold = nd[order]
            colours = np.tile(rgba, (len(order), 1))
            colours[:, 3] = np.where(bold, 0.95, 0.22)
            pts = ax.scatter(xy[rows[order], 0], xy[rows[order], 1], s=np.where(bold, 24, 9), marker=marker,
                             c=colours, edgecolors=np.where(bold[:, None], to_rgba("k"), colours),
                             linewidths=np.where(bold, 0.35, 0.0), zorder=4)
            pts.set_in_layout(False)
        front = xy[rows[nd]]
        front = front[np.argsort(front[:, 0] * _sign(a), kind="stable")]
        line, = ax.step(front[:, 0], front[:, 1], where="post", color=colour, lw=1.1, alpha=0.85, zorder=3)
        line.set_in_layout(False)
    bad = ~feasible
    if bad.any():
        ax.scatter(xy[bad, 0], xy[bad, 1], s=10, marker="x", color="0.6", alpha=0.5, zorder=1).set_in_layout(False)
    ax.autoscale(True)
    # log axes carry labels at the decades only; minor ticks would crowd six small panels
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(better_label(a), fontsize=8)
    ax.set_ylabel(better_label(b), fontsize=8)
    ax.tick_params(labelsize=7, which="both")
    ax.grid(alpha=0.3, which="major")


def _sign(a: Axis) -> float:
    return -1.0 if a.sense == "max" else 1.0


def _natural(v: Any) -> tuple:
    """Sort key putting numbers in numeric order (seed 2 before seed 10), then text."""
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))


def _legend(st: _Style, *, infeasible: bool, pooled: int = 0) -> list[Line2D]:
    handles = [Line2D([], [], ls="-", marker="o", color=c, markeredgecolor="k", markeredgewidth=0.35, label=g)
               for g, c in st.colours.items()]
    handles += [Line2D([], [], ls="", marker=m, color="0.35", label=f"{st.marker_by} {s}")
                for s, m in st.markers.items() if s is not None]
    if pooled:
        handles.append(Line2D([], [], ls="", marker="o", color="0.35", label=f"{pooled} {st.marker_by}s pooled"))
    handles += [Line2D([], [], ls="", marker="o", color="0.35", markeredgecolor="k", markeredgewidth=0.35,
                       label="non-dominated in\nthe panel's 2-D projection"),
                Line2D([], [], ls="", marker="o", color="0.35", alpha=0.25, label="dominated in that\nprojection")]
    if infeasible:
        handles.append(Line2D([], [], ls="", marker="x", color="0.6", label="infeasible"))
    return handles


def fronts_figures(fronts: pd.DataFrame | Mapping[str, pd.DataFrame], objectives: Sequence[Axis] | Mapping[str, str],
                   *, title: str = "", colour_by: str = "strategy", marker_by: str = "seed",
                   three_d: bool = True, two_d: bool = True) -> list[Figure]:
    """Fronts of several runs, one panel per pair of objectives.

    ``fronts``: one frame (one row per design, a column per objective, ``colour_by`` and
    ``marker_by`` columns naming the strategy and seed) or a mapping label -> frame. ``objectives``:
    :class:`Axis` per objective (or column -> label, all minimised). In each panel every design is a
    faded dot; the designs that are non-dominated *in that 2-D projection* among their strategy's
    (seeds pooled) are drawn bold and joined by the strategy's staircase, so the panel shows each
    strategy's trade-off between the two objectives. Infeasible designs (``feasible`` False) are grey
    crosses and never on a staircase. Returns that figure and, with three or more objectives and
    ``three_d``, a 3-D view of the first three (``two_d=False``: only that view)."""
    axes = _as_axes(objectives)
    df = _as_frame(fronts, colour_by)
    pairs = list(itertools.combinations(range(len(axes)), 2))
    if not pairs:
        raise ValueError("plot_fronts needs at least two objectives")
    missing = [a.column for a in axes if a.column not in df]
    if missing:
        raise ValueError(f"plot_fronts: the fronts have no column(s) {missing}")
    if colour_by not in df:
        df = df.assign(**{colour_by: "front"})
    groups = sorted(df[colour_by].astype(str).unique())
    colours = strategy_colours(groups)
    subgroups = sorted(df[marker_by].unique(), key=_natural) if marker_by in df else [None]
    pooled = len(subgroups) if len(subgroups) > len(MARKERS) else 0
    if pooled:  # more seeds than distinct markers: one marker, the seeds pooled (the legend says so)
        subgroups = [None]
    markers = {s: MARKERS[k % len(MARKERS)] for k, s in enumerate(subgroups)}
    feasible = df["feasible"].astype(bool).to_numpy() if "feasible" in df else np.ones(len(df), dtype=bool)
    logs = [a.is_log(df.loc[feasible, a.column]) if feasible.any() else False for a in axes]

    figs = [_fronts_2d(df, axes, pairs, logs, title, colour_by, marker_by, colours, markers, feasible, pooled)] \
        if two_d else []
    if len(axes) >= 3 and three_d:
        figs.append(_fronts_3d(df, axes[:3], logs[:3], title, colour_by, marker_by, colours, markers, feasible))
    return figs


def _fronts_2d(df: pd.DataFrame, axes: Sequence[Axis], pairs: Sequence[tuple[int, int]], logs: Sequence[bool],
               title: str, colour_by: str, marker_by: str, colours: Mapping[str, str], markers: Mapping[Any, str],
               feasible: np.ndarray, pooled: int) -> Figure:
    ncol = min(3, len(pairs))
    nrow = int(np.ceil(len(pairs) / ncol))
    fig = Figure(figsize=(3.9 * ncol + 1.9, 3.4 * nrow + 0.6), layout="constrained")
    style = _Style(colour_by, marker_by, colours, markers)
    for k, (i, j) in enumerate(pairs):
        _panel(fig.add_subplot(nrow, ncol, k + 1), df, feasible, axes[i], axes[j], logs[i], logs[j], style)
    handles = _legend(style, infeasible=bool((~feasible).any()), pooled=pooled)
    fig.legend(handles=handles, loc="outside right upper", fontsize=7, frameon=False)
    if title:
        fig.suptitle(wrap(title, 100), fontsize=10)
    return fig


def _fronts_3d(df: pd.DataFrame, axes: Sequence[Axis], logs: Sequence[bool], title: str, colour_by: str,
               marker_by: str, colours: Mapping[str, str], markers: Mapping[Any, str], feasible: np.ndarray) -> Figure:
    """The first three objectives in 3-D (log axes as log10 values); feasible designs only."""
    fig = Figure(figsize=(7.2, 6.0), layout="constrained")
    ax = fig.add_subplot(111, projection="3d")
    ok = df[feasible]

    def coord(log: bool, v: pd.Series) -> np.ndarray:
        v = v.to_numpy(dtype=float)
        return np.log10(v) if log else v

    for g in sorted(colours):
        sub = ok[ok[colour_by].astype(str) == g]
        for s, m in markers.items():
            on = sub[sub[marker_by] == s] if s is not None else sub
            if len(on):
                ax.scatter(*(coord(lg, on[a.column]) for a, lg in zip(axes, logs)), s=12, marker=m,
                           color=colours[g], alpha=0.8, depthshade=True).set_in_layout(False)
    for setter, a, lg in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), axes, logs):
        better = "lower\u00a0is\u00a0better" if a.sense == "min" else "higher\u00a0is\u00a0better"
        setter(wrap(("log10 " if lg else "") + a.label + f", {better}", 30), fontsize=7)
    ax.tick_params(labelsize=6)
    handles = [Line2D([], [], ls="", marker="o", color=colours[g], label=g) for g in sorted(colours)]
    handles += [Line2D([], [], ls="", marker=m, color="0.35", label=f"{marker_by} {s}")
                for s, m in markers.items() if s is not None]
    fig.legend(handles=handles, loc="outside right upper", fontsize=7, frameon=False)
    if title:
        fig.suptitle(wrap(title, 80), fontsize=10)
    return fig

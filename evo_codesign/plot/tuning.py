"""The GA tuning figure: hypervolume per setting, one dot per seed and the mean."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .figures import save_figure, wrap

__all__ = ["plot_tuning"]

# The tuned SearchConfig fields in table order, with the short names the labels use. Kept here
# rather than imported from evo_codesign.tuning, because plot imports nothing above it.
_SHORT = {"pop_size": "pop", "crossover_prob": "cx", "swap_prob": "swap", "mutation_prob_var": "mut",
          "long_jump": "jump"}


def _label(row: Mapping[str, Any], n_var: int) -> str:
    parts = []
    for n, short in _SHORT.items():
        if n not in row:
            continue
        v = row[n]
        if n == "mutation_prob_var":
            v = "1/n" if v == 0 else f"{v * n_var:.3g}/n"
        elif isinstance(v, float):
            v = f"{v:g}"
        parts.append(f"{short} {v}")
    return f"{row['setting_id']}: " + ", ".join(parts)


def plot_tuning(trials: pd.DataFrame, summary: pd.DataFrame, stem: str | Path, *, n_var: int,
                title: str = "") -> list[Path]:
    """Hypervolume per setting (fraction of the union front's): one dot per seed, a diamond at the
    mean; settings sorted by rank, best at the top; the package defaults in red. ``trials`` and
    ``summary`` are :class:`~evo_codesign.tuning.TuneResult`'s frames. Mutation is shown in units
    of 1/``n_var`` (``2/n`` = twice the default rate). Writes ``stem.png`` and ``stem.pdf``."""
    ran = summary[summary["runs"] > 0].sort_values("rank", ascending=False)  # best drawn at the top
    fig = Figure(figsize=(9.0, 1.2 + 0.32 * max(len(ran), 3)))
    ax = fig.add_subplot(111)
    labels = []
    for y, (_, row) in enumerate(ran.iterrows()):
        colour = "tab:red" if row["is_default"] else "tab:blue"
        hv = trials.loc[trials["setting_id"] == row["setting_id"], "hv"].to_numpy(dtype=float)
        # a small fixed vertical offset per seed keeps equal scores visible without randomness
        offsets = np.linspace(-0.15, 0.15, len(hv)) if len(hv) > 1 else np.zeros(len(hv))
        ax.scatter(hv, y + offsets, s=14, color=colour, alpha=0.55, zorder=2)
        ax.scatter([row["hv_mean"]], [y], s=60, marker="D", color=colour, edgecolor="k", zorder=3)
        labels.append(_label(row, n_var) + ("  (defaults)" if row["is_default"] else ""))
    ax.set_yticks(range(len(labels)), labels, fontsize=7, family="monospace")
    for tick, (_, row) in zip(ax.get_yticklabels(), ran.iterrows()):
        if row["is_default"]:
            tick.set_color("tab:red")
            tick.set_fontweight("bold")
    ax.set_xlabel(wrap("hypervolume of a run's final front / that of the union of every run's final front "
                       "(objectives normalised by the union's bounds, reference point 1.1; dots: seeds, "
                       "diamonds: means)", 90), fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, stem)

"""``evo-codesign plot RUN_DIR...``: fronts overlaid, hypervolume vs evaluations, a decoded design,
and for cell-space runs the rank heatmap of the front accelerators."""

from __future__ import annotations

import argparse

HELP = "fronts overlaid, hypervolume vs evaluations and a decoded design (PNG + PDF)"


def add_arguments(pl: argparse.ArgumentParser) -> None:
    pl.add_argument("run_dirs", nargs="+")
    pl.add_argument("--out", default="plots", help="output folder (default plots/)")
    pl.add_argument("--design", type=int, default=0, help="index of the first run's front design to draw")


def run(args: argparse.Namespace) -> int:
    from ..compare import run_dirs_heatmap
    from ..plot.runs import plot_runs

    paths = plot_runs(args.run_dirs, args.out, design=args.design)
    paths += run_dirs_heatmap(args.run_dirs, args.out)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0

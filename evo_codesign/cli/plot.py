"""``evo-codesign plot RUN_DIR...``: fronts overlaid, hypervolume vs evaluations, a decoded design,
and for cell-space runs the rank heatmap of the front accelerators."""

from __future__ import annotations

import argparse

HELP = "fronts overlaid, hypervolume vs evaluations and a decoded design (PNG + PDF)"


def add_arguments(pl: argparse.ArgumentParser) -> None:
    pl.add_argument("run_dirs", nargs="+")
    pl.add_argument("--out", default="plots", help="output folder (default plots/)")
    pl.add_argument("--design", type=int, default=0,
                    help="which design of the first run's front to draw: the 'design' column of "
                         "`evo-codesign front RUN_DIR` (default 0)")
    pl.add_argument("--pdf", action="store_true", help="also write every figure as PDF (default PNG only)")


def run(args: argparse.Namespace) -> int:
    from ..compare import run_dirs_heatmap
    from ..plot.base import figure_formats
    from ..plot.runs import plot_runs

    with figure_formats(("png", "pdf") if args.pdf else ("png",)):
        paths = plot_runs(args.run_dirs, args.out, design=args.design)
        paths += run_dirs_heatmap(args.run_dirs, args.out)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0

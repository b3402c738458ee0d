"""``evo-codesign front RUN_DIR``: a run's Pareto front."""

from __future__ import annotations

import argparse

from ._common import print_front

HELP = "print the Pareto front of a run"


def add_arguments(f: argparse.ArgumentParser) -> None:
    f.add_argument("run_dir")
    f.add_argument("--json", action="store_true", help="one JSON object per design")


def run(args: argparse.Namespace) -> int:
    from ..search import load_front

    print_front(load_front(args.run_dir), as_json=args.json)
    return 0

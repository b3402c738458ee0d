"""``evo-codesign resume RUN_DIR``: continue an interrupted run; its front equals an uninterrupted run's."""

from __future__ import annotations

import argparse

from ._common import print_front, warn_infeasible

HELP = "continue an interrupted run (from its last checkpoint, or replayed from its evaluation log)"


def add_arguments(rs: argparse.ArgumentParser) -> None:
    rs.add_argument("run_dir")
    rs.add_argument("--progress", action="store_true", help="show a progress bar")


def run(args: argparse.Namespace) -> int:
    from ..search import resume_search

    res = resume_search(args.run_dir, progress=args.progress)
    print(f"resumed {res.run_dir}: {res.evaluations} unique designs, {res.generations} generations, "
          f"{res.feasible} feasible designs on the front")
    print_front(res.front)
    return warn_infeasible("resume", res.warning)

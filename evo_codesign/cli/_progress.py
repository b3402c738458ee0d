"""The ``--progress / --no-progress`` option of the long commands (``compare``, ``tune``)."""

from __future__ import annotations

import argparse

__all__ = ["add_progress_argument"]


def add_progress_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="a progress bar on stderr with the ETA over all evaluations and, labelled, the runs "
                        "finished and hv_seen: the hypervolume of the feasible designs seen so far against bounds "
                        "frozen at the first ones (it never falls); shown only when stderr is a terminal "
                        "(default on; --no-progress: none)")

"""``evo-codesign warmup``: compile the cost kernels (or load them from the cache) and say where they are kept."""

from __future__ import annotations

import argparse

HELP = "compile the cost kernels once (later runs load them from the cache) and show the cache folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = ("The first run on a machine compiles the Numba kernels (10-30 s on 2 cores); every command does "
                "this before it starts timing, so no run's wall time includes it. NUMBA_CACHE_DIR overrides the "
                "cache folder.")


def run(args: argparse.Namespace) -> int:
    from ..jit import cache_dir, warm_up

    s = warm_up()
    print(f"kernels compiled or loaded in {s:.1f} s; cache: {cache_dir()}")
    return 0

"""Exact-front enumeration: designs per second with 1 thread and with N threads, in one run.

    python benchmarks/enumeration_speed.py [--cells 300] [--threads 2]

Enumerates the reference space of ``--cells`` random cells x the default 4,032-design PE-array grid
(:func:`evo_codesign.strategies.reference.reference_space`) through the one evaluator, once
serially and once with ``--threads`` threads (the Numba cost kernels release the GIL), after a
warm-up, and prints both rates, their ratio and whether the fronts are identical.
"""

from __future__ import annotations

import argparse

import numpy as np

from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.strategies.reference import exact_front, reference_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    cfg = load_config(overrides={"space.hardware": "dataflow"})
    E = reference_space(cfg, n_cells=args.cells)
    ev = build_evaluator(cfg, E.base)
    ev(E.expand(E.middle()))  # compile the kernels and fill the workload caches before timing
    serial = exact_front(cfg, E, evaluator=ev, n_jobs=1)
    threaded = exact_front(cfg, E, evaluator=ev, n_jobs=args.threads)
    same = np.array_equal(serial.F, threaded.F) and np.array_equal(serial.X, threaded.X)
    print(f"{serial.n_designs:,} designs, exact front {len(serial.F)}")
    print(f"1 thread:  {serial.wall_s:6.1f} s  {serial.n_designs / serial.wall_s:,.0f} designs/s")
    print(f"{args.threads} threads: {threaded.wall_s:6.1f} s  {threaded.n_designs / threaded.wall_s:,.0f} designs/s")
    print(f"speed-up {serial.wall_s / threaded.wall_s:.2f}x; identical fronts: {same}")


if __name__ == "__main__":
    main()

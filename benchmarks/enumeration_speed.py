"""Exact-front enumeration: designs per second, genome by genome vs the cross product, in one run.

    python benchmarks/enumeration_speed.py [--cells 1000] [--old-cells 100] [--threads 2] [--big 25000]

1. ``--old-cells`` random cells x the default 4,032-design PE-array grid
   (:func:`evo_codesign.strategies.reference.reference_space`) enumerated both ways: genome by
   genome through the evaluator (``exact_front(..., product=False)``, the path every search uses)
   and as the cross product (each network's workload and accuracy once, each design's per-layer
   costs once); prints both rates, the ratio and whether the fronts are identical (they must be:
   same designs, same objective bits).
2. ``--cells`` cells through the cross product on 1 thread and on ``--threads`` threads.
3. ``--big`` cells (25,000 x 4,032 = 10^8 designs; 0 skips it) on ``--threads`` threads, with the
   peak memory of the process.
Kernels are compiled before timing (a warm-up evaluation).
"""

from __future__ import annotations

import argparse
import resource

import numpy as np

from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.strategies.reference import exact_front, reference_space


def _rate(ex) -> str:
    return f"{ex.wall_s:6.2f} s  {ex.n_designs / ex.wall_s / 1e6:6.2f} M designs/s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--old-cells", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--big", type=int, default=25000, help="cells of the 10^8-design run (0: skip)")
    args = ap.parse_args()
    cfg = load_config(overrides={"space.hardware": "dataflow"})

    E = reference_space(cfg, n_cells=args.old_cells)
    ev = build_evaluator(cfg, E.base)
    ev(E.expand(E.middle()))  # compile the kernels before timing
    exact_front(cfg, E.restricted({"accelerator.array_rows": [4]}), evaluator=ev)
    old = exact_front(cfg, E, evaluator=ev, product=False)
    new = exact_front(cfg, E, evaluator=ev)
    same = np.array_equal(old.F, new.F) and np.array_equal(old.X, new.X) and old.n_feasible == new.n_feasible
    print(f"{old.n_designs:,} designs ({args.old_cells} cells x the default PE-array grid), "
          f"exact front {len(new.F)} points, {new.n_feasible:,} feasible")
    print(f"  genome by genome, 1 thread:  {_rate(old)}")
    print(f"  cross product,    1 thread:  {_rate(new)}")
    print(f"  speed-up {old.wall_s / new.wall_s:.1f}x; identical fronts: {same}")

    E = reference_space(cfg, n_cells=args.cells)
    one = exact_front(cfg, E, evaluator=ev, n_jobs=1)
    many = exact_front(cfg, E, evaluator=ev, n_jobs=args.threads)
    same = np.array_equal(one.F, many.F) and np.array_equal(one.X, many.X)
    print(f"{one.n_designs:,} designs ({args.cells} cells), exact front {len(one.F)} points")
    print(f"  cross product, 1 thread:   {_rate(one)}   (issue target >= 5 M designs/s per core)")
    print(f"  cross product, {args.threads} threads:  {_rate(many)}   identical: {same}")

    if args.big:
        E = reference_space(cfg, n_cells=args.big)
        big = exact_front(cfg, E, evaluator=ev, n_jobs=args.threads)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        print(f"{big.n_designs:,} designs ({args.big} cells), {args.threads} threads: {_rate(big)}; "
              f"exact front {len(big.F)} points, {big.n_feasible:,} feasible; peak memory {peak:.2f} GB "
              f"(issue target: 10^8 designs in under 60 s on 2 cores)")


if __name__ == "__main__":
    main()

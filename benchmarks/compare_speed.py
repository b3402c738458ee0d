"""The main job's wall time, serial and on 2 workers, and 30 seeds x every strategy, in one run.

    python benchmarks/compare_speed.py [--repeats 3] [--budget 2000] [--seeds 30] [--workers 2]

1. ``evo-codesign compare --repeats 3 --budget 2000`` (the README's main job, embedded defaults)
   as a library call with its plots, with 1 and with ``--workers`` worker processes: wall times,
   the speed-up and whether the per-run results are identical (they must be).
2. ``--seeds`` seeds x every strategy at ``--budget`` without plots on ``--workers`` workers (the
   comparison issue's statistics need 30 seeds).
Kernels are compiled (or loaded from the cache) first and reported separately.
Issue targets: main job under 5 s warm on 2 cores, >= 1.6x with 2 workers, 30 seeds under 60 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from evo_codesign.compare import compare
from evo_codesign.config import load_config
from evo_codesign.jit import warm_up


def _timed(cfg, repeats: int, plots: bool) -> tuple[float, pd.DataFrame]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        r = compare(cfg, f"{d}/cmp", repeats=repeats, plots=plots)
        return time.perf_counter() - t0, r.per_run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"kernels compiled or loaded in {warm_up():.1f} s (not in any time below)")
    serial = load_config(overrides={"search.budget": args.budget})
    parallel = load_config(overrides={"search.budget": args.budget, "run.n_jobs": args.workers})
    t1, a = _timed(serial, args.repeats, True)
    t2, b = _timed(parallel, args.repeats, True)
    cols = ["strategy", "seed", "evaluations", "hv", "hv_archive", "auc"]
    same = a[cols].equals(b[cols])
    print(f"main job (compare --repeats {args.repeats} --budget {args.budget}, with plots): "
          f"1 worker {t1:.1f} s, {args.workers} workers {t2:.1f} s, speed-up {t1 / t2:.2f}x; identical runs: {same}")
    t3, c = _timed(parallel, args.seeds, False)
    print(f"{args.seeds} seeds x {c.strategy.nunique()} strategies at budget {args.budget} ({len(c)} runs, "
          f"{int(c.evaluations.sum()):,} evaluations) on {args.workers} workers: {t3:.1f} s")


if __name__ == "__main__":
    main()

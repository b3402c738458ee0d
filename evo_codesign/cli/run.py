"""``evo-codesign run``: one fully coupled search into a run directory, its front printed."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ._common import add_config_argument, load, print_front, warn_infeasible

HELP = "run a co-design search (NSGA-II) from a TOML config; no config = embedded defaults"


def add_arguments(r: argparse.ArgumentParser) -> None:
    add_config_argument(r)
    r.add_argument("--seed", type=int, help="root seed (overrides the config)")
    r.add_argument("--n-jobs", type=int, help="workers for large batches (overrides run.n_jobs)")
    r.add_argument("--budget", type=int, help="unique designs to evaluate (overrides search.budget)")
    r.add_argument("--out", help="run directory (default runs/run-seed<N>-<time>)")
    r.add_argument("--progress", action="store_true", help="show a progress bar")
    r.add_argument("--scheduler", metavar="ADDRESS",
                   help="evaluate on this dask scheduler (tcp://host:port; sets run.backend = dask)")


def run(args: argparse.Namespace) -> int:
    from ..search import run_search

    cfg = load(args.config, **{"seed": args.seed, "run.n_jobs": args.n_jobs, "search.budget": args.budget,
                               "run.scheduler": args.scheduler, "run.backend": "dask" if args.scheduler else None})
    out = Path(args.out) if args.out else Path("runs") / f"run-seed{cfg.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    from ..runner import evaluation_backend

    with evaluation_backend(cfg.run):  # [run] backend = "dask": every batch on the cluster
        res = run_search(cfg, out, progress=args.progress or cfg.run.progress)
    print(f"run directory: {res.run_dir}")
    print(f"{res.evaluations} unique designs evaluated in {res.generations} generations, {res.wall_s:.2f} s; "
          f"front of {len(res.front)} designs ({res.feasible} feasible):")
    print_front(res.front)
    return warn_infeasible("run", res.warning)

"""Are the package's NSGA-II defaults good? Tune them on the embedded default config.

    python benchmarks/tune_ga.py [--budget 2000] [--repeats 3] [--trials 12] [--method grid] [--n-jobs 1]
                                 [--focused] [--seed 1] [--storage URL] [--out benchmarks/out/tune]

``--focused`` replaces the default grid by the 24 settings around the first pass's leaders (pop
size 20/50/100 x crossover 0.7/0.9 x swap 0.1/0.5 x per-gene mutation 1/n_var or 4/n_var, long
jump 0.1); run it with other seeds (``--seed 11 --repeats 5``) to confirm a recommendation before
making it the package default.

The embedded default config is the DARTS/NB301 cell space on the hybrid (PE array + crossbar)
target with the objectives accuracy, latency, energy and area. ``--trials`` settings (the package
defaults first, then the first settings of Optuna's grid of
:func:`evo_codesign.tuning.default_space`, shuffled with ``--seed``) each run ``--repeats`` fully
coupled searches at ``--budget`` unique evaluations. ``--storage sqlite:///tune.db`` keeps the
study (the same command with a larger ``--trials`` continues it, in the same ``--out``). Prints
the ranked table (hv = hypervolume of a run's final feasible front as a fraction of the union
front's) and the ratio that matters: the recommended setting's mean hypervolume over the defaults'.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from evo_codesign.config import load_config
from evo_codesign.search import space_for
from evo_codesign.tuning import ALIASES, METHODS, TUNABLE, tune


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=2000, help="unique evaluations per run (default 2000)")
    ap.add_argument("--repeats", type=int, default=3, help="seeds per setting (default 3)")
    ap.add_argument("--trials", type=int, default=12, help="settings, the defaults included (default 12)")
    ap.add_argument("--method", default="grid", choices=(*METHODS, *ALIASES), help="Optuna sampler (default grid)")
    ap.add_argument("--n-jobs", type=int, default=1, help="parallel runs (default 1)")
    ap.add_argument("--focused", action="store_true", help="the 24 settings around the first pass's leaders")
    ap.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--storage", help="Optuna storage URL (e.g. sqlite:///tune.db); default in-memory")
    ap.add_argument("--out", type=Path, help="output folder (default benchmarks/out/tune/<time>)")
    args = ap.parse_args()
    cfg = load_config(overrides={"search.budget": args.budget, "run.n_jobs": args.n_jobs, "seed": args.seed})
    space = None
    if args.focused:
        n_var = space_for(cfg).n_var
        space = {"pop_size": (20, 50, 100), "crossover_prob": (0.7, 0.9), "swap_prob": (0.1, 0.5),
                 "mutation_prob_var": (0.0, round(4.0 / n_var, 4)), "long_jump": (0.1,)}
    # a fresh folder per session by default; an explicit --out is what a stored study continues in
    out = args.out or Path(__file__).resolve().parent / "out" / "tune" / time.strftime("%Y%m%d-%H%M%S")
    t0 = time.perf_counter()
    res = tune(cfg, out, method=args.method, trials=args.trials, repeats=args.repeats, space=space,
               storage=args.storage)
    wall = time.perf_counter() - t0

    cols = ["rank", "setting_id", "is_default", *TUNABLE, "hv_mean", "hv_std", "hv_min", "hv_max", "wall_s_mean"]
    with pd.option_context("display.width", 220, "display.max_columns", None, "display.float_format", "{:.4f}".format):
        print(f"== {res.method} tuning ({res.notes['sampler']}), {cfg.space.neural} x {cfg.space.hardware}, "
              f"budget {args.budget} unique evaluations, {args.repeats} seeds, {len(res.summary)} settings, "
              f"{wall:.1f} s (mutation_prob_var 0 = 1/n_var, {res.n_var} genes) ==")
        print(res.summary[cols].to_string(index=False))
    # A shuffled grid subset need not try every candidate value (the earlier max-min spread did).
    candidates = json.loads((out / "tuning.json").read_text())["space"]
    missed = {n: [v for v in vals if v not in set(res.summary[n])] for n, vals in candidates.items()}
    print("candidate values never tried: " + (", ".join(f"{n} {v}" for n, v in missed.items() if v) or "none"))
    rec = res.recommended
    print("\nrecommended: " + ", ".join(f"{n}={rec[n]}" for n in TUNABLE) + f" ({rec['setting_id']})")
    print("defaults:    " + ", ".join(f"{n}={res.defaults[n]}" for n in TUNABLE))
    print(f"mean hypervolume: recommended {res.recommended_hv:.4f}, defaults {res.defaults_hv:.4f} -> "
          f"ratio {res.hv_ratio:.3f}")
    print(f"tables, runs and plots in {out}")


if __name__ == "__main__":
    main()

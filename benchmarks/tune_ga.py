"""Are the package's NSGA-II defaults good? Tune them on the embedded default config.

    python benchmarks/tune_ga.py [--budget 2000] [--repeats 3] [--trials 12] [--method grid] [--n-jobs 1]
                                 [--focused] [--seed 1] [--out benchmarks/out/tune]

``--focused`` replaces the default grid by the 24 settings around the first pass's leaders (pop
size 20/50/100 x crossover 0.7/0.9 x swap 0.1/0.5 x per-gene mutation 1/n_var or 4/n_var, long
jump 0.1); run it with other seeds (``--seed 11 --repeats 5``) to confirm a recommendation before
making it the package default.

The embedded default config is the DARTS/NB301 cell space on the hybrid (PE array + crossbar)
target with the objectives accuracy, latency, energy and area. ``--trials`` settings (the package
defaults first, then a spread subset of :func:`evo_codesign.tuning.default_space`) each run
``--repeats`` fully coupled searches at ``--budget`` unique evaluations. Prints the ranked table
(hv = hypervolume of a run's final feasible front as a fraction of the union front's) and the
ratio that matters: the recommended setting's mean hypervolume over the defaults'.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from evo_codesign.config import load_config
from evo_codesign.search import space_for
from evo_codesign.tuning import TUNABLE, tune


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=2000, help="unique evaluations per run (default 2000)")
    ap.add_argument("--repeats", type=int, default=3, help="seeds per setting (default 3)")
    ap.add_argument("--trials", type=int, default=12, help="settings, the defaults included (default 12)")
    ap.add_argument("--method", default="grid", choices=("grid", "random", "optuna"))
    ap.add_argument("--n-jobs", type=int, default=1, help="parallel runs (default 1)")
    ap.add_argument("--focused", action="store_true", help="the 24 settings around the first pass's leaders")
    ap.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "tune")
    args = ap.parse_args()
    cfg = load_config(overrides={"search.budget": args.budget, "run.n_jobs": args.n_jobs, "seed": args.seed})
    space = None
    if args.focused:
        n_var = space_for(cfg).n_var
        space = {"pop_size": (20, 50, 100), "crossover_prob": (0.7, 0.9), "swap_prob": (0.1, 0.5),
                 "mutation_prob_var": (0.0, round(4.0 / n_var, 4)), "long_jump": (0.1,)}
    out = args.out / time.strftime("%Y%m%d-%H%M%S")  # never mix with an earlier session
    t0 = time.perf_counter()
    res = tune(cfg, out, method=args.method, trials=args.trials, repeats=args.repeats, space=space)
    wall = time.perf_counter() - t0

    cols = ["rank", "setting_id", "is_default", *TUNABLE, "hv_mean", "hv_std", "hv_min", "hv_max", "wall_s_mean"]
    with pd.option_context("display.width", 220, "display.max_columns", None, "display.float_format", "{:.4f}".format):
        print(f"== {args.method} tuning, {cfg.space.neural} x {cfg.space.hardware}, budget {args.budget} unique "
              f"evaluations, {args.repeats} seeds, {len(res.summary)} settings, {wall:.1f} s "
              f"(mutation_prob_var 0 = 1/n_var, {res.n_var} genes) ==")
        print(res.summary[cols].to_string(index=False))
    rec = res.recommended
    print("\nrecommended: " + ", ".join(f"{n}={rec[n]}" for n in TUNABLE) + f" ({rec['setting_id']})")
    print("defaults:    " + ", ".join(f"{n}={res.defaults[n]}" for n in TUNABLE))
    print(f"mean hypervolume: recommended {res.recommended_hv:.4f}, defaults {res.defaults_hv:.4f} -> "
          f"ratio {res.hv_ratio:.3f}")
    print(f"tables, runs and plots in {out}")


if __name__ == "__main__":
    main()

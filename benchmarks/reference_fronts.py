"""Every strategy against the EXACT Pareto front of an enumerable space, in two regimes.

    python benchmarks/reference_fronts.py [--cells 1000] [--budget 4000] [--repeats 3] [--long-budget 20000] [--max-archs 30] [--n-jobs 1]
                                          [--regimes open small] [--out benchmarks/out/reference]

The space: ``--cells`` distinct random DARTS cells x a grid of PE-array designs (the other genes at
the middle of their ranges), objectives accuracy (embedded NB301 surrogate), latency, energy,
area. Regime "open" is :data:`evo_codesign.strategies.reference.DEFAULT_GRIDS` ``["dataflow"]``
(4,032 designs, 16 to 4,096 PEs); regime "small" keeps only 4x4 to 8x8 arrays with little SRAM and
bandwidth (1,792 designs), where the PE count binds and architecture rankings change most. For
each regime the script enumerates every design (1,000 x 4,032 = 4.0 million in "open"), keeps the
exact front, then runs every strategy at ``--budget`` unique evaluations for ``--repeats`` seeds in
that same space and prints the comparison table scored against the exact front: hypervolume as a
fraction of the exact front's (bounds frozen from the exact front, stored in ``reference.json``),
IGD+, and unique evaluations to reach 95 % / 99 % of the exact hypervolume. The last lines are the
search-cost ratios: exhaustive evaluations over each strategy's evaluations to 95 %, and coupled
over semi-decoupled (the analogue of the semi-decoupled paper's 135k vs 3.7k, about 36x). Coupled
search often does not reach 95 % at the common budget, so a coupled run per seed at
``--long-budget`` evaluations measures when it does. NSGA-II runs with the package defaults
(population 50, crossover 0.7, block swap 0.1: see the README's "GA tuning").
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evo_codesign.compare import compare, summary_table
from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.search import space_for
from evo_codesign.strategies import DEFAULT_MAX_ARCHS
from evo_codesign.strategies.reference import DEFAULT_GRIDS, exact_reference

SMALL = {"accelerator.dataflow": DEFAULT_GRIDS["dataflow"]["accelerator.dataflow"],
         "accelerator.array_rows": [4, 8], "accelerator.array_cols": [4, 8],
         "accelerator.l1_bytes": [32, 64], "accelerator.l2_kib": [32, 64],
         "accelerator.noc_bytes_per_cycle": [16, 64], "accelerator.offchip_bytes_per_cycle": [8, 16],
         "accelerator.tile_K": [4, 16], "accelerator.tile_C": [4, 16]}
REGIMES = {"open": DEFAULT_GRIDS["dataflow"], "small": SMALL}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if np.isfinite(a) and np.isfinite(b) and b > 0 else "n/a (not reached)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--budget", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    ap.add_argument("--n-jobs", type=int, default=1, help="threads for the enumeration, workers for the runs")
    ap.add_argument("--max-archs", type=int, default=DEFAULT_MAX_ARCHS,
                    help=f"designs the phased strategies keep from phase 1 (default {DEFAULT_MAX_ARCHS})")
    ap.add_argument("--long-budget", type=int, default=20000,
                    help="budget of an extra coupled run per seed, to see when coupled search gets there "
                         "(0 = skip; default 20000)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "reference")
    args = ap.parse_args()
    out = args.out / time.strftime("%Y%m%d-%H%M%S")
    cfg = load_config(overrides={"space.hardware": "dataflow", "search.budget": args.budget, "run.n_jobs": args.n_jobs})
    ev = build_evaluator(cfg, space_for(cfg))
    for regime in args.regimes:
        grid = REGIMES[regime]
        d = out / regime
        d.mkdir(parents=True)
        E, ex = exact_reference(cfg, d, n_cells=args.cells, grid=grid, seed=0, evaluator=ev, n_jobs=args.n_jobs)
        print(f"\n== regime {regime!r}: {args.cells} cells x {E.size() // args.cells:,} PE-array designs = "
              f"{ex.n_designs:,} designs ({ex.n_feasible:,} feasible) enumerated in {ex.wall_s:.1f} s; "
              f"exact front {len(ex.F)} designs ==")
        per_run, _, _ = compare(cfg, d, repeats=args.repeats, embedding=E, reference_F=ex.F, evaluator=ev,
                                max_archs=args.max_archs)
        t = summary_table(per_run)
        t.to_csv(d / "summary.csv", index=False)
        with pd.option_context("display.width", 220, "display.max_columns", None,
                               "display.float_format", "{:.3f}".format):
            print(t.to_string(index=False))
        e95 = dict(zip(t.strategy, t.evals_to_95_median))
        e99 = dict(zip(t.strategy, t.evals_to_99_median))
        if args.long_budget:
            long_cfg = load_config(overrides={"space.hardware": "dataflow", "search.budget": args.long_budget,
                                              "run.n_jobs": args.n_jobs})
            lr, _, _ = compare(long_cfg, d / "coupled_long", strategies=["coupled"], repeats=args.repeats,
                               embedding=E, reference_F=ex.F, evaluator=ev)
            lt = summary_table(lr)
            print(f"  coupled at budget {args.long_budget}: hv {lt.hv_mean[0]:.3f} +- {lt.hv_std[0]:.3f}, "
                  f"evaluations to 95 % {lt.evals_to_95_median[0]:.0f}, to 99 % {lt.evals_to_99_median[0]:.0f}")
            e95["coupled"], e99["coupled"] = lt.evals_to_95_median[0], lt.evals_to_99_median[0]
        for s in e95:
            print(f"  {s}: exhaustive / evaluations to 95 % = {_ratio(ex.n_designs, e95[s])}, "
                  f"to 99 % = {_ratio(ex.n_designs, e99[s])}")
        if "coupled" in e95 and "semi_decoupled" in e95:
            print(f"  coupled / semi-decoupled evaluations to 95 %: {_ratio(e95['coupled'], e95['semi_decoupled'])}, "
                  f"to 99 %: {_ratio(e99['coupled'], e99['semi_decoupled'])}")
    print(f"\nexact fronts, runs, curves and tables in {out}")


if __name__ == "__main__":
    main()

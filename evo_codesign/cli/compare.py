"""``evo-codesign compare``: every strategy that applies, at equal budgets, N seeds each."""

from __future__ import annotations

import argparse

from ._common import add_config_argument, load, warn_infeasible
from ._progress import add_progress_argument

HELP = "coupled vs decoupled vs semi-decoupled vs two-phase at equal budgets, N seeds each"
#: the phased strategies' default share of designs kept (strategies/_two_stage.py); repeated here
#: so that --help needs no import of the strategies (a test checks the two agree)
DEFAULT_MAX_ARCHS = 30


def add_arguments(cp: argparse.ArgumentParser) -> None:
    add_config_argument(cp, "TOML config")
    cp.add_argument("--repeats", type=int, default=3, help="seeds per strategy (default 3)")
    cp.add_argument("--budget", type=int, help="unique evaluations per run (overrides search.budget)")
    cp.add_argument("--strategies", nargs="+", help="default: every registered strategy that applies to the space "
                                                    "(coupled, decoupled, semi_decoupled, two_phase)")
    cp.add_argument("--nas-fraction", type=float, help="budget share of phase 1 (default 0.5)")
    cp.add_argument("--max-archs", type=int, help=f"designs kept from phase 1 (default {DEFAULT_MAX_ARCHS})")
    cp.add_argument("--resume", action="store_true", help="continue the runs already in --out")
    cp.add_argument("--n-jobs", type=int, help="runs in parallel workers (overrides run.n_jobs; -1 = all cores, "
                                                "-2 = all but one)")
    cp.add_argument("--exact-cells", type=int, default=0, metavar="N",
                    help="score against the exact front of N random cells x a hardware grid, which every strategy "
                         "then searches (enumerated once; default grids for dataflow and imc targets)")
    cp.add_argument("--grid", metavar="GRID.toml",
                    help="with --exact-cells: [accelerator] / [imc] tables of gene -> list of values")
    cp.add_argument("--proxy", metavar="PROXY.toml",
                    help="semi-decoupled's proxy accelerator: [accelerator] (and [imc]) tables of gene values; "
                         "genes not given sit at the middle of their range (default: chosen automatically)")
    cp.add_argument("--exact-structured", action="store_true",
                    help="score against the exact front of the structured space (DARTS_V2's topology, 8 normal-cell "
                         "op genes over 4 ops x 216 PE-array designs = 14.2 M designs), which every strategy searches "
                         "(dataflow target; enumerated once, in seconds)")
    cp.add_argument("--reference", metavar="FILE",
                    help="score against this fixed reference front (written by --save-reference) instead of the "
                         "union of this comparison's archives, so tables compare across comparisons")
    cp.add_argument("--save-reference", metavar="FILE",
                    help="write the non-dominated union of every run's archive (and --reference's front) with its "
                         "bounds to FILE")
    cp.add_argument("--pdf", action="store_true", help="also write every figure as PDF (default PNG only)")
    cp.add_argument("--scheduler", metavar="ADDRESS",
                    help="run on this dask scheduler (tcp://host:port; sets run.backend = dask; --out must be on a "
                         "file system the workers share)")
    cp.add_argument("--out", default="runs/compare", help="output folder (default runs/compare)")
    add_progress_argument(cp)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..compare import compare
    from ..errors import UsageError
    from ..io.gene_tables import read_gene_table
    from ..strategies import space_for

    cfg = load(args.config, **{"search.budget": args.budget, "run.n_jobs": args.n_jobs,
                               "run.scheduler": args.scheduler, "run.backend": "dask" if args.scheduler else None})
    options = {k: v for k, v in (("nas_fraction", args.nas_fraction), ("max_archs", args.max_archs)) if v is not None}
    if args.proxy:
        options["proxy"] = read_gene_table(args.proxy, space_for(cfg), kind="proxy")
    if args.exact_cells and args.exact_structured:
        raise UsageError("--exact-cells and --exact-structured: choose one exact space")
    if (args.exact_cells or args.exact_structured) and args.reference:
        raise UsageError("--reference: an exact space is scored against its exact front; drop one of them")
    if args.exact_cells or args.exact_structured:
        from ..callbacks import EnumerationProgress
        from ..strategies.reference import exact_reference

        grid = read_gene_table(args.grid, space_for(cfg), kind="grid") if args.grid else None
        bar = EnumerationProgress(args.progress)
        try:
            embedding, exact = exact_reference(cfg, args.out, n_cells=args.exact_cells, grid=grid, resume=args.resume,
                                               n_jobs=cfg.run.n_jobs, structured=args.exact_structured, on_chunk=bar)
        finally:
            bar.close()
        options.update(embedding=embedding, reference_F=exact.F)
        print(f"exact front: {exact.n_designs:,} designs ({exact.n_feasible:,} feasible) enumerated in "
              f"{exact.wall_s:.1f} s, {len(exact.F)} on the front (exact_front.csv)")
    elif args.grid:
        raise UsageError("--grid needs --exact-cells N or --exact-structured (the space to enumerate)")
    from ..runner import evaluation_backend

    with evaluation_backend(cfg.run):
        res = compare(cfg, args.out, strategies=args.strategies, repeats=args.repeats, resume=args.resume,
                      progress=args.progress, reference_file=args.reference, save_reference=args.save_reference,
                      pdf=args.pdf, **options)
    if res.compile_s > 0.5:
        print(f"kernels compiled or loaded in {res.compile_s:.1f} s (in no run's wall_s)")
    shown = ["strategy", "runs", "evaluations", "hv_median", "hv_ci_low", "hv_ci_high", "hv_archive_median",
             "auc_median", "igd_plus_mean", "evals_to_95_median", "reached_95", "premise_spearman_median", "wall_s"]
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(res.table[[c for c in shown if c in res.table]].to_string(index=False))
    print("medians over seeds with bootstrap 95 % intervals (hv: final front; hv_archive: every joint design "
          "evaluated; auc: the anytime curve's mean; all fractions of the reference's hypervolume); every "
          "column in summary.csv, pairwise tests in tests.csv")
    print(f"results (runs.csv, summary.csv, tests.csv, hv_curves.csv, fronts.csv, reference.json) in {args.out}"
          + (f"; reference front saved to {args.save_reference}" if args.save_reference else ""))
    if res.plots:
        print("plots: " + ", ".join(str(p) for p in res.plots))
    if res.warning:
        return warn_infeasible("compare", res.warning)
    warn_infeasible("compare", *res.infeasible)  # some runs only: the comparison itself stands
    return 0

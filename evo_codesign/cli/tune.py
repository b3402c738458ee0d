"""``evo-codesign tune``: tune the NSGA-II settings; prints the ranked table and the recommendation
next to the package defaults. Parsing and printing only: the work is :func:`evo_codesign.tuning.tune`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ._common import add_config_argument, load, warn_infeasible
from ._progress import add_progress_argument

HELP = "tune the NSGA-II settings (Optuna grid, random or TPE sampler) at a fixed budget, N seeds each"

# Kept in step with evo_codesign.tuning.METHODS / ALIASES, which --help must not import.
_METHODS_HELP = "grid | random | optuna (TPE; alias tpe)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_argument(p)
    # method is checked in run() rather than by argparse choices, so a bad value is reported like
    # every other bad input (exit status 2, the option named)
    p.add_argument("--method", default="grid", help=f"{_METHODS_HELP} (default grid)")
    p.add_argument("--trials", type=int, default=12,
                   help="distinct settings to try, the defaults included (default 12)")
    p.add_argument("--repeats", type=int, default=3, help="seeds per setting (default 3)")
    p.add_argument("--budget", type=int, help="unique evaluations per run (overrides search.budget)")
    p.add_argument("--n-jobs", type=int, help="parallel runs (overrides run.n_jobs; -1 = all cores, -2 = all but one)")
    p.add_argument("--storage", metavar="URL",
                   help="Optuna storage, e.g. sqlite:///tune.db: the study persists, and the same command "
                        "with a larger --trials continues it (default in-memory)")
    p.add_argument("--study-name", help="study name in --storage (default tune-<method>)")
    p.add_argument("--out", help="output folder (default runs/tune-<time>; with --storage runs/<study name>)")
    add_progress_argument(p)


def _fmt(name: str, v: Any, n_var: int) -> str:
    if name == "mutation_prob_var" and v == 0:
        return f"0 (1/n_var = {1 / n_var:.4g})"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _check(args: argparse.Namespace) -> str:
    """The method name with aliases resolved; a UsageError naming the option otherwise."""
    from ..errors import UsageError
    from ..tuning import ALIASES, METHODS

    if args.method not in METHODS and args.method not in ALIASES:
        raise UsageError(f"--method: unknown method {args.method!r}; choose one of {', '.join([*METHODS, *ALIASES])}")
    for opt in ("trials", "repeats"):
        if getattr(args, opt) < 1:
            raise UsageError(f"--{opt} must be at least 1, got {getattr(args, opt)}")
    return ALIASES.get(args.method, args.method)


def _print_table(res: Any, repeats: int, budget: int) -> None:
    import pandas as pd

    from ..tuning import TUNABLE

    cols = ["rank", "setting_id", *TUNABLE, "runs", "hv_mean", "hv_std", "hv_min", "hv_max", "wall_s_mean"]
    table = res.summary[cols].copy()
    table["setting_id"] = [f"{s}*" if d else s for s, d in zip(res.summary["setting_id"], res.summary["is_default"])]
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(f"{res.method} tuning: budget {budget} unique evaluations, {repeats} seeds per setting; hv = "
              f"fraction of the union front's hypervolume; * = package defaults; mutation_prob_var 0 = 1/n_var "
              f"({res.n_var} genes)")
        print(table.to_string(index=False))
    for s in res.skipped:
        print(f"skipped {s['setting_id']}: {s['reason']}")


def _print_recommendation(res: Any) -> None:
    from ..tuning import TUNABLE

    rec = res.recommended
    width = max(len(n) for n in TUNABLE)
    print(f"{'':{width}}  {'recommended':>22}  {'defaults':>22}")
    for n in TUNABLE:
        v_rec = _fmt(n, rec[n], res.n_var) if rec else "-"
        print(f"{n:{width}}  {v_rec:>22}  {_fmt(n, res.defaults[n], res.n_var):>22}")
    print(f"{'hv mean':{width}}  {res.recommended_hv:>22.4f}  {res.defaults_hv:>22.4f}")
    print(f"recommended / defaults mean hypervolume: {res.hv_ratio:.4f}"
          + (" (the defaults are the recommendation)" if rec.get("setting_id") == "s00" else ""))


def run(args: argparse.Namespace) -> int:
    """Tune and print the ranked table and the recommendation next to the defaults; returns 0."""
    from ..tuning import tune

    method = _check(args)
    cfg = load(args.config, **{"search.budget": args.budget, "run.n_jobs": args.n_jobs})
    if args.out:
        out = Path(args.out)
    elif args.storage:  # a fixed folder, so that the same command continues the stored study
        out = Path("runs") / (args.study_name or f"tune-{method}")
    else:
        out = Path("runs") / f"tune-{time.strftime('%Y%m%d-%H%M%S')}"
    res = tune(cfg, out, method=method, trials=args.trials, repeats=args.repeats, storage=args.storage,
               study_name=args.study_name, progress=args.progress)
    restored = res.notes.get("settings_restored", 0)
    if restored:
        print(f"continued study {res.notes['study_name']!r} ({res.notes['storage']}): {restored} settings from "
              f"earlier sessions, {len(res.summary) - restored} new")
    _print_table(res, args.repeats, cfg.search.budget)
    print()
    _print_recommendation(res)
    print(f"results (trials.csv, summary.csv, tuning.json, runs in trials/) in {res.out}")
    print("plots: " + ", ".join(str(p) for p in res.plots))
    return warn_infeasible("tune", res.warning)

"""``evo-codesign resume RUN_DIR [--budget N]``: continue an interrupted run, or extend a run's
budget; its front equals an uninterrupted run's (with the budget N from the start)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import print_front, warn_infeasible

HELP = ("continue an interrupted run (from its last checkpoint, or replayed from its evaluation log), or extend "
        "a run's budget with --budget")


def add_arguments(rs: argparse.ArgumentParser) -> None:
    rs.add_argument("run_dir")
    rs.add_argument("--budget", type=int, metavar="N",
                    help="extend the run to N unique designs (finished or not); N >= the designs already evaluated")
    rs.add_argument("--scheduler", metavar="ADDRESS",
                    help="evaluate on this dask scheduler (tcp://host:port; run.backend = dask)")
    rs.add_argument("--progress", action="store_true", help="show a progress bar")


def extend_budget(run_dir: str | Path, budget: int) -> int:
    """Set a run's budget to ``budget`` unique designs; returns the budget it had.

    The budget lives in two places, both changed here under the run's lock: the checkpoint's
    termination (:meth:`evo_codesign.engine.UniqueBudget.set_budget`, on the counted designs of
    the checkpoint's generation), then ``run.json`` (``phase_budget`` and the config's
    ``search.budget``), which a run without checkpoint is replayed from. Nothing is evaluated here.
    A budget below the designs already evaluated is refused (:class:`UsageError` naming
    ``--budget``); so is one that would change the population (a run whose budget was below
    ``search.pop_size`` ran with a smaller one). If this is interrupted, run it again."""
    import json

    from ..engine import GAState, UniqueBudget
    from ..errors import CorruptFileError, UsageError
    from ..io.atomic import atomic_write_text
    from ..io.lock import folder_lock
    from ..io.rundir import RunDir
    from ..search import run_config

    run_dir = Path(run_dir)
    with folder_lock(run_dir, what="resume --budget"), RunDir.open(run_dir) as rd:
        info = rd.info()
        cfg = run_config(run_dir, info)
        old = int(info.get("phase_budget", cfg.search.budget))
        done = rd.n_evaluations()
        if budget < done:
            raise UsageError(f"--budget {budget}: {run_dir} has already evaluated {done} unique designs; give at "
                             f"least {done}")
        pop = cfg.search.pop_size
        if budget < pop or old < pop:
            raise UsageError(f"--budget {budget}: a budget below search.pop_size ({pop}) shrinks the population, "
                             f"so {run_dir} (budget {old}) cannot be extended to it; start a new run")
        if rd.has_checkpoint():
            state = rd.load_checkpoint()
            term = getattr(getattr(state, "algorithm", None), "termination", None)
            if not isinstance(state, GAState) or not isinstance(term, UniqueBudget):
                raise CorruptFileError(f"{run_dir / RunDir.CHECKPOINT} does not hold a search state; delete it and "
                                       f"resume again to replay the run from its evaluation log")
            # the designs the checkpoint has counted: what its cache holds once refilled on resume
            term.set_budget(budget, state.algorithm, len(rd.rows(max_gen=state.gen)))
            rd.save_checkpoint(state)
        info["phase_budget"] = budget
        info["config"]["search"]["budget"] = budget
        atomic_write_text(run_dir / RunDir.INFO, json.dumps(info, indent=2, sort_keys=True))
    return old


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..io.lock import folder_lock
    from ..runner import evaluation_backend
    from ..search import resume_search, run_config

    run_cfg = run_config(args.run_dir).run  # first: a missing or foreign folder is refused untouched
    if args.scheduler:  # validated as run.scheduler is
        run_cfg = replace(run_cfg, backend="dask", scheduler=args.scheduler)
    with folder_lock(args.run_dir, what="resume"):
        if args.budget is not None:
            old = extend_budget(args.run_dir, args.budget)
            print(f"budget of {args.run_dir}: {old} -> {args.budget} unique designs")
        with evaluation_backend(run_cfg):
            res = resume_search(args.run_dir, progress=args.progress)
    print(f"resumed {res.run_dir}: {res.evaluations} unique designs, {res.generations} generations, "
          f"{res.feasible} feasible designs on the front")
    print_front(res.front)
    return warn_infeasible("resume", res.warning)

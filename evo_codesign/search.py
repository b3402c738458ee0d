"""One search run end to end, as ``evo-codesign run`` does it: the coupled strategy in a flat run
directory (:mod:`evo_codesign.strategies`), and its resume.

There is one code path for a search (:func:`evo_codesign.strategies._phase.run_phase`): the
same resume check and progress bar as every strategy phase. The run directory's lock is held for
the whole call (:func:`evo_codesign.io.lock.folder_lock`), so a second ``run`` or ``resume`` on
it is refused naming the holder. A run resumes from any state a kill can leave: from its
checkpoint (the evaluation log checked against it), by replaying its seed when it stopped before
the first checkpoint, or from the start when nothing was logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .config import Config, ConfigError, config_from_dict
from .errors import CorruptFileError, UsageError
from .io.frames import read_front
from .io.lock import folder_lock
from .io.rundir import RunDir
from .strategies import run_strategy, space_for

__all__ = ["RunResult", "space_for", "run_search", "resume_search", "load_front", "run_config"]


@dataclass
class RunResult:
    """A finished run. ``feasible``: designs of the front meeting every constraint; ``warning``:
    when there are none, a line naming the constraint that binds (the command line prints it and
    exits with status 3)."""

    run_dir: Path
    front: pd.DataFrame
    evaluations: int
    generations: int
    wall_s: float
    feasible: int = 0
    warning: str | None = None


def _search(cfg: Config, out: Path, *, evaluator: Any, progress: bool, resume: bool, stop_after_gen: int | None,
            on_generation: Callable | None, check: bool = True) -> RunResult:
    from .evaluate import build_evaluator
    from .feasibility import check_satisfiable, constraint_limits, infeasible_front_message

    from .jit import warm_up

    warm_up()  # compile time is not the run's wall time
    t0 = time.perf_counter()
    with folder_lock(out, what="resume" if resume else "run"):
        if evaluator is None:
            evaluator = build_evaluator(cfg, space_for(cfg))
        if check and not resume and not (out / RunDir.INFO).exists():
            check_satisfiable(evaluator, space_for(cfg), seed=cfg.seed)
        res = run_strategy("coupled", cfg, cfg.seed, out, evaluator=evaluator, resume=resume, progress=progress,
                           flat=True, stop_after_gen=stop_after_gen, on_generation=on_generation)
    front = res.front
    n_ok = int(front["feasible"].sum()) if "feasible" in front else len(front)
    warning = None if n_ok or stop_after_gen is not None else infeasible_front_message(
        front, constraint_limits(evaluator), evaluator.constraint_names)
    return RunResult(Path(out), front, res.evaluations, res.generations, time.perf_counter() - t0, n_ok, warning)


def run_search(cfg: Config, out: str | Path, *, evaluator: Any = None, progress: bool | None = None,
               stop_after_gen: int | None = None, on_generation: Callable | None = None,
               check_constraints: bool = True) -> RunResult:
    """Run the configured (fully coupled) search into the run directory ``out``. A limit no design
    of the space can meet is refused first (:func:`evo_codesign.feasibility.check_satisfiable`;
    ``check_constraints=False`` skips that, for callers that checked once for many runs)."""
    return _search(cfg, Path(out), evaluator=evaluator, progress=cfg.run.progress if progress is None else progress,
                   resume=False, stop_after_gen=stop_after_gen, on_generation=on_generation, check=check_constraints)


def run_config(run_dir: str | Path, info: dict | None = None) -> Config:
    """The config a run directory of ``evo-codesign run`` records in its ``run.json``; a damaged or
    missing one, or a comparison's phase, raises an error naming the file."""
    run_dir = Path(run_dir)
    if info is None:
        with RunDir.open(run_dir) as rd:
            info = rd.info()
    where = run_dir / RunDir.INFO
    if info.get("strategy") == "coupled" and "phase" not in info and "config" not in info:
        raise CorruptFileError(f"{where} has no 'config': the run's settings are lost, so it cannot be resumed "
                               f"(the file is damaged or was not written by evo-codesign run)")
    if info.get("strategy") != "coupled" or "phase" in info or "config" not in info:
        raise UsageError(f"{run_dir} is a phase of a {info.get('strategy')!r} comparison run; continue it with "
                         f"`evo-codesign compare ... --resume`")
    try:
        return config_from_dict(info["config"])
    except ConfigError as e:
        raise CorruptFileError(f"{where}: its 'config' is not a valid config ({e})") from None


def resume_search(run_dir: str | Path, *, progress: bool = False) -> RunResult:
    """Continue an interrupted run; the result equals an uninterrupted run."""
    run_dir = Path(run_dir)
    return _search(run_config(run_dir), run_dir, evaluator=None, progress=progress, resume=True,
                   stop_after_gen=None, on_generation=None)


def load_front(run_dir: str | Path) -> pd.DataFrame:
    """A run's ``front.csv``; a missing, empty or damaged one raises an error naming it."""
    return read_front(run_dir)

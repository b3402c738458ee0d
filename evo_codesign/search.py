"""One search run end to end, as ``evo-codesign run`` does it: the coupled strategy in a flat run
directory (:mod:`evo_codesign.strategies`), and its resume.

There is one code path for a search (:func:`evo_codesign.strategies._phase.run_phase`): the
same resume check and progress bar as every strategy phase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .config import Config, config_from_dict
from .errors import MissingFileError, UsageError
from .io.rundir import RunDir
from .strategies import run_strategy, space_for

__all__ = ["RunResult", "space_for", "run_search", "resume_search", "load_front"]


@dataclass
class RunResult:
    run_dir: Path
    front: pd.DataFrame
    evaluations: int
    generations: int
    wall_s: float


def _search(cfg: Config, out: Path, *, evaluator: Any, progress: bool, resume: bool, stop_after_gen: int | None,
            on_generation: Callable | None) -> RunResult:
    t0 = time.perf_counter()
    res = run_strategy("coupled", cfg, cfg.seed, out, evaluator=evaluator, resume=resume, progress=progress,
                       flat=True, stop_after_gen=stop_after_gen, on_generation=on_generation)
    return RunResult(Path(out), res.front, res.evaluations, res.generations, time.perf_counter() - t0)


def run_search(cfg: Config, out: str | Path, *, evaluator: Any = None, progress: bool | None = None,
               stop_after_gen: int | None = None, on_generation: Callable | None = None) -> RunResult:
    """Run the configured (fully coupled) search into the run directory ``out``."""
    return _search(cfg, Path(out), evaluator=evaluator, progress=cfg.run.progress if progress is None else progress,
                   resume=False, stop_after_gen=stop_after_gen, on_generation=on_generation)


def resume_search(run_dir: str | Path, *, progress: bool = False) -> RunResult:
    """Continue an interrupted run; the result equals an uninterrupted run."""
    with RunDir.open(run_dir) as rd:
        info = rd.info()
    if info.get("strategy") != "coupled" or "phase" in info or "config" not in info:
        raise UsageError(f"{run_dir} is a phase of a {info.get('strategy')!r} comparison run; continue it with "
                         f"`evo-codesign compare ... --resume`")
    return _search(config_from_dict(info["config"]), Path(run_dir), evaluator=None, progress=progress, resume=True,
                   stop_after_gen=None, on_generation=None)


def load_front(run_dir: str | Path) -> pd.DataFrame:
    p = Path(run_dir) / "front.csv"
    if not p.exists():
        raise MissingFileError(f"{run_dir} has no front.csv yet (the run has not finished a generation)")
    return pd.read_csv(p)

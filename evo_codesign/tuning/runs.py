"""The runs of a tuning session: one fully coupled search per (setting, seed), serial or in
parallel workers, and the little each run hands back (its final feasible front in minimisation
form and its counts), in a form that Optuna's storages can persist."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..config import Config, config_from_dict, config_to_dict
from ..callbacks import run_with_progress
from ..runner import shared_before_fork
from ..scoring import feasible_minimised
from .space import setting_key

__all__ = ["Runs", "run_to_attr", "run_from_attr"]


@dataclass(frozen=True)
class _Task:
    setting_id: str
    seed: int
    cfg: Config
    run_dir: Path
    evaluator: Any


def _run_task(task: _Task, on_generation: Any = None) -> dict[str, Any]:
    """One fully coupled search; returns only what scoring needs, so little crosses processes.
    ``on_generation``: the session's progress hook (serial runs only)."""
    from ..search import run_search

    # the session checked the constraints against the space once, before any run
    res = run_search(task.cfg, task.run_dir, evaluator=task.evaluator, progress=False, check_constraints=False,
                     on_generation=on_generation)
    ev = task.evaluator
    return {"setting_id": task.setting_id, "seed": task.seed, "evaluations": int(res.evaluations),
            "generations": int(res.generations), "wall_s": float(res.wall_s), "run_dir": str(task.run_dir),
            "F": feasible_minimised(res.front, ev.objective_names, ev.objective_senses), "warning": res.warning}


def run_to_attr(result: Mapping[str, Any]) -> dict[str, Any]:
    """A run's result as JSON (what an Optuna storage keeps as a trial user attribute). Python's
    float repr round-trips exactly, so a resumed session scores bit-identical fronts."""
    return {**result, "F": np.asarray(result["F"], dtype=float).tolist()}


def run_from_attr(attr: Mapping[str, Any], n_obj: int) -> dict[str, Any]:
    """Inverse of :func:`run_to_attr`; ``n_obj`` shapes an empty front as ``(0, n_obj)``."""
    return {**attr, "F": np.asarray(attr["F"], dtype=float).reshape(-1, n_obj)}


def _trial_config(cfg: Config, setting: Mapping[str, Any], seed: int) -> Config:
    d = config_to_dict(cfg)
    d["seed"] = int(seed)
    d["search"].update(setting)
    # Parallelism is over runs; a run's own batches are small, so nesting workers would only
    # oversubscribe the cores.
    d["run"].update(n_jobs=1, progress=False)
    return config_from_dict(d)


class Runs:
    """The settings of one tuning session (ids ``s00``, ``s01``, ... in the order first proposed;
    ``s00`` is the package defaults) and their runs' results. Seeds ``cfg.seed + k`` for
    ``k < repeats``: the same for every setting (common random numbers)."""

    def __init__(self, cfg: Config, out: Path, repeats: int, evaluator: Any, progress: Any = None) -> None:
        self.cfg, self.out, self.repeats, self.evaluator = cfg, out, repeats, evaluator
        self.progress = progress  # a RunsProgress bar (evo_codesign.callbacks), or None
        self.settings: dict[str, dict[str, Any]] = {}   # setting id -> hyperparameters
        self.skipped: dict[str, str] = {}               # setting id -> reason
        self.results: list[dict[str, Any]] = []
        self.by_key: dict[tuple, str] = {}              # setting_key -> setting id

    @property
    def n_obj(self) -> int:
        return len(self.evaluator.objective_names)

    def add(self, setting: Mapping[str, Any]) -> tuple[str, list[_Task]]:
        """Register a new setting; returns its id and its runs (none if it cannot run)."""
        sid = f"s{len(self.settings):02d}"
        self.settings[sid] = dict(setting)
        self.by_key[setting_key(setting)] = sid
        budget = self.cfg.search.budget
        if setting["pop_size"] > budget:
            self.skipped[sid] = (f"pop_size {setting['pop_size']} > budget {budget}: the first generation "
                                 "alone would exceed the budget")
            return sid, []
        tasks = []
        for k in range(self.repeats):
            seed = self.cfg.seed + k
            tasks.append(_Task(sid, seed, _trial_config(self.cfg, setting, seed),
                               self.out / "trials" / f"{sid}-seed{seed}", self.evaluator))
        return sid, tasks

    def restore(self, sid: str, setting: Mapping[str, Any], runs: list[Mapping[str, Any]], skipped: str) -> None:
        """Take back a setting that an earlier session of a stored study completed."""
        if sid != f"s{len(self.settings):02d}":
            raise RuntimeError(f"stored settings out of order: got {sid} after {len(self.settings)} settings")
        self.settings[sid] = dict(setting)
        self.by_key[setting_key(setting)] = sid
        if skipped:
            self.skipped[sid] = skipped
        self.results += [run_from_attr(r, self.n_obj) for r in runs]

    def runs_of(self, sid: str) -> list[dict[str, Any]]:
        return [r for r in self.results if r["setting_id"] == sid]

    def run(self, tasks: list[_Task]) -> list[dict[str, Any]]:
        """Run ``tasks`` (in ``cfg.run.n_jobs`` workers) and keep their results, in task order."""
        for t in tasks:
            # Only a run of a trial interrupted in an earlier session can be here (a fresh session
            # refuses an output folder with runs, and completed settings are never rerun): its
            # partial result is recomputed, identically, from the start.
            if t.run_dir.exists():
                shutil.rmtree(t.run_dir)
        shared_before_fork(self.evaluator)
        res = run_with_progress(_run_task, tasks, n_jobs=self.cfg.run.n_jobs, progress=self.progress,
                                summary=lambda r: (r["evaluations"], r["F"]), label=lambda t: f"{t.setting_id} s{t.seed}")
        self.results += res
        return res

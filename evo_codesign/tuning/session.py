"""``tune``: one tuning session from arguments to written results."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..callbacks import RunsProgress
from ..config import Config, config_to_dict
from ..errors import UsageError
from ..io.lock import folder_lock
from ..runner import effective_n_jobs
from .results import TuneResult, no_feasible_warning, score, write
from .runs import Runs
from .space import default_space, method_name, validated_space
from .study import Session, candidate_choices, fingerprint, import_optuna, open_study

__all__ = ["tune"]


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise UsageError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _check_storage(storage: str | None, study_name: str | None) -> None:
    if storage is not None and (not isinstance(storage, str) or "://" not in storage):
        raise UsageError(f"storage: expected an Optuna storage URL such as 'sqlite:///study.db', got {storage!r}")
    if study_name is not None and (not isinstance(study_name, str) or not study_name.strip()):
        raise UsageError(f"study_name: expected a non-empty string, got {study_name!r}")


def tune(cfg: Config, out: str | Path, *, method: str = "grid", trials: int = 12, repeats: int = 3,
         space: Mapping[str, Sequence[Any]] | None = None, storage: str | None = None,
         study_name: str | None = None, progress: bool = False) -> TuneResult:
    """Tune the NSGA-II settings of a fully coupled search at the budget ``cfg.search.budget``.

    ``method``: ``grid``, ``random`` or ``optuna`` (TPE; alias ``tpe``), each an Optuna sampler
    seeded with ``cfg.seed`` (see :mod:`evo_codesign.tuning.study`); Optuna is the optional extra
    ``tune``. ``space`` maps names in :data:`~evo_codesign.tuning.TUNABLE` to candidate values
    (default :func:`~evo_codesign.tuning.default_space`; a name left out stays at its default).
    ``trials``: distinct settings to try, the defaults included. ``repeats``: seeds per setting.
    ``storage``: an Optuna storage URL (``sqlite:///study.db``; default in-memory) under
    ``study_name`` (default ``tune-<method>``): calling again with the same arguments and a larger
    ``trials`` continues the study, completed settings are not run again. Runs go to
    ``out/trials/<setting>-seed<N>/``, in parallel over (setting, seed) when ``cfg.run.n_jobs != 1``
    (results are the same either way). Writes ``trials.csv``, ``summary.csv``, ``tuning.json`` and
    the plot ``tuning_hv.png``/``.pdf``. ``progress``: one bar over the session's evaluations on
    stderr, when it is a terminal (:class:`~evo_codesign.callbacks.RunsProgress`). Input errors are
    :class:`~evo_codesign.errors.UsageError`.
    """
    from ..search import space_for

    method = method_name(method)
    trials, repeats = _count("trials", trials), _count("repeats", repeats)
    _check_storage(storage, study_name)
    optuna = import_optuna()  # before any run, so a missing extra costs nothing
    joint = space_for(cfg)
    space = validated_space(default_space(joint.n_var) if space is None else space, cfg)
    choices, notes = candidate_choices(space, method, cfg.search.budget)
    out = Path(out)
    from ..jit import warm_up

    warm_up()  # compile time is not the session's wall time
    t0 = time.perf_counter()
    with folder_lock(out, what="tune"):
        runs, notes = _session(cfg, out, optuna, method, choices, notes, joint, trials, repeats, storage, study_name,
                               progress)
        result = score(runs, space, method, joint.n_var, out)
        result.notes = notes
        result.warning = no_feasible_warning(runs)
        write(result, cfg, runs, space, trials=trials, wall_s=time.perf_counter() - t0)
    return result


def _session(cfg: Config, out: Path, optuna: Any, method: str, choices: Any, notes: dict, joint: Any, trials: int,
             repeats: int, storage: str | None, study_name: str | None, progress: bool = False) -> tuple[Runs, dict]:
    """Run the ask/tell loop (in the locked output folder); returns the runs and the study's notes."""
    from ..evaluate import build_evaluator
    from ..feasibility import check_satisfiable

    # Optuna reports every trial at INFO on its own logger; quiet it for this session only and
    # restore the caller's level, so the library leaves logging as it found it.
    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        session_id = fingerprint(config_to_dict(cfg), method, repeats, choices, out)
        busy = (out / "tuning.json").exists() or (out / "trials").exists()
        ev = build_evaluator(cfg, joint)
        if not busy:
            check_satisfiable(ev, joint, seed=cfg.seed)
        study, _ = open_study(optuna, method, choices, cfg.seed, storage, study_name, session_id, out_busy=busy)
        workers = effective_n_jobs(cfg.run.n_jobs)
        if workers > 1:
            # Compile (or load) the cost kernels once here, so workers read Numba's cache instead
            # of compiling side by side.
            ev(joint.sample(np.random.default_rng(0), 4))
        runs = Runs(cfg, out, repeats, ev)
        session = Session(optuna, study, runs, choices)
        session.restore()
        # the bar counts the settings still to run (a continued study has run some already)
        left = max(trials - len(runs.settings), 0) * repeats
        runs.progress = RunsProgress(left * cfg.search.budget, left, progress, "tune", ev.objective_names)
        # grid and random proposals do not depend on scores, so ask enough settings at once to
        # give every worker the same number of runs; TPE needs each score before its next proposal.
        batch = math.lcm(workers, repeats) // repeats if method != "optuna" else 1
        try:
            session.run(trials, batch)
        finally:
            runs.progress.close()
        return runs, {**notes, **session.notes(method, storage)}
    finally:
        optuna.logging.set_verbosity(old)

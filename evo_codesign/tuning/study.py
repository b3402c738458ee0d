"""Settings proposed by Optuna samplers in one ask/tell loop, runs done by :class:`~.runs.Runs`.

Every method is one sampler over categorical distributions of the candidate values:

* ``grid``: ``GridSampler(space, seed)``. Optuna shuffles the product of the candidates with the
  seed and gives trial number ``k`` the ``k``-th shuffled setting, so with ``trials`` below the
  grid size the session takes the first ``trials`` settings of a seeded shuffled grid (position 0
  is displaced by the defaults, enqueued as trial 0; a shuffled setting equal to the defaults is a
  repeat and does not count). The earlier selector chose a greedy max-min Hamming spread instead,
  which guaranteed that every candidate value appears once ``trials`` >= its number of values. A
  random subset of 24 of the 243 default settings misses some value with probability about
  15 x (2/3)^23 = 0.1 %, of 12 settings about 16 %; the ranking only compares settings that ran,
  so a missed value is a setting not tried, not a wrong score. What the shuffle buys is one code
  path for all methods, storages and resumption, and no hand-written selector.
* ``random``: ``RandomSampler(seed)``, draws uniform over the candidates;
* ``optuna`` (alias ``tpe``): ``TPESampler(seed)``; it learns from each trial's score.

The package defaults are enqueued as the first trial (``study.enqueue_trial``), so the
recommendation is measured against them. A proposal equal to a setting already tried is told that
setting's score and does not count towards ``trials``.

Each trial's value is a *provisional* score, because the final scores need every run's front and
TPE needs a score after each trial: the mean over seeds of the run's hypervolume as a fraction of
the union front of the first setting that found feasible designs (normally the defaults), whose
bounds stay frozen for the whole study. The final scores are recomputed by the caller against the
union of all runs (:meth:`evo_codesign.scoring.Reference.from_fronts`).

Every completed trial keeps its runs' fronts and counts as user attributes, so with a persistent
storage (``sqlite:///study.db``) a later call continues the study: completed settings are not run
again, and a trial that an interruption left running is marked failed and its setting enqueued
again (its partial runs are recomputed from the start). ``grid`` and ``random`` then propose what
an uninterrupted session would have; TPE's own random state restarts, so its later proposals may
differ. One process per study: concurrent workers on one study are not supported.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import CorruptFileError, MissingDependencyError, UsageError
from ..scoring import Reference
from .runs import Runs, run_to_attr
from .space import DEFAULTS, TUNABLE, plain, setting_key

__all__ = ["import_optuna", "candidate_choices", "fingerprint", "open_study", "Session"]

_SAMPLERS = {"grid": "GridSampler", "random": "RandomSampler", "optuna": "TPESampler"}


def import_optuna() -> Any:
    """The optuna module, or a :class:`MissingDependencyError` naming the extra to install."""
    try:
        import optuna
    except ImportError as e:
        raise MissingDependencyError('tuning proposes settings with Optuna, the optional extra "tune": '
                                     'pip install -e ".[tune]"') from e
    return optuna


def candidate_choices(space: Mapping[str, tuple], method: str, budget: int) -> tuple[dict[str, tuple], dict]:
    """The values the sampler proposes from, and notes for ``tuning.json``.

    TPE never gets a population above the budget (such a setting cannot run, and TPE would keep
    proposing what it has no score for); grid and random propose them and record them as skipped,
    so a grid's report names every setting of the grid."""
    if method != "optuna":
        return dict(space), {}
    pops = tuple(p for p in space["pop_size"] if p <= budget)
    if not pops:
        raise UsageError(f"space['pop_size']: every candidate {list(space['pop_size'])} exceeds the budget {budget}")
    dropped = [p for p in space["pop_size"] if p > budget]
    notes = {"pop_size_removed": {"values": dropped, "reason": f"pop_size > budget {budget}; never proposed"}}
    return {**space, "pop_size": pops}, notes if dropped else {}


def fingerprint(cfg_dict: Mapping[str, Any], method: str, repeats: int, choices: Mapping[str, tuple],
                out: Path) -> dict[str, Any]:
    """What must not change between the sessions of one stored study (JSON-normalised). The
    ``run`` section (workers, checkpoints, progress) does not change results, so it may differ."""
    doc = {"method": method, "repeats": repeats, "space": {n: list(choices[n]) for n in TUNABLE},
           "config": {k: v for k, v in cfg_dict.items() if k != "run"}, "out": str(Path(out).resolve())}
    return json.loads(json.dumps(doc))


def _sampler(optuna: Any, method: str, choices: Mapping[str, tuple], seed: int) -> Any:
    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if method == "optuna":
        return optuna.samplers.TPESampler(seed=seed)

    class AskTellGridSampler(optuna.samplers.GridSampler):
        """GridSampler whose ``after_trial`` does not call ``study.stop()``: that only works inside
        ``study.optimize`` (in ask/tell it raises once the grid is used up, see its docstring), and
        our loop stops by itself."""

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return AskTellGridSampler({n: list(choices[n]) for n in TUNABLE}, seed=seed)


def _storage(url: str, fn: Any, **kwargs: Any) -> Any:
    """``fn(**kwargs)`` on an Optuna storage; a storage that cannot be opened or read (a damaged or
    foreign database file, an unreachable server) is a :class:`CorruptFileError` naming it."""
    try:
        return fn(**kwargs)
    except Exception as e:  # noqa: BLE001 - only database-layer errors are turned into user errors
        if not type(e).__module__.startswith(("sqlalchemy", "sqlite3", "optuna.exceptions")) and \
                not isinstance(e, (sqlite3.Error, OSError)):
            raise
        first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise CorruptFileError(f"storage {url}: cannot open the study storage ({first})") from None


def open_study(optuna: Any, method: str, choices: Mapping[str, tuple], seed: int, storage: str | None,
               study_name: str | None, session: Mapping[str, Any], *, out_busy: bool) -> tuple[Any, bool]:
    """Create the study, or with a storage that already holds ``study_name``, load it. Returns
    ``(study, resumed)``. Refused: a stored study of another session (``session`` differs), and a
    new study when ``out_busy`` (the output folder holds another session), checked before a new
    study is written into the storage."""
    busy = UsageError(f"{session['out']} already holds a tuning session; choose another output folder")
    sampler = _sampler(optuna, method, choices, seed)
    name = study_name or f"tune-{method}"
    if storage is None:
        if out_busy:
            raise busy
        return optuna.create_study(direction="maximize", sampler=sampler, study_name=name), False
    if name not in _storage(storage, optuna.get_all_study_names, storage=storage):
        if out_busy:
            raise busy
        study = _storage(storage, optuna.create_study, direction="maximize", sampler=sampler, storage=storage,
                         study_name=name)
        study.set_user_attr("session", dict(session))
        return study, False
    study = _storage(storage, optuna.load_study, study_name=name, storage=storage, sampler=sampler)
    stored = study.user_attrs.get("session")
    if stored is None:
        raise UsageError(f"storage: study {name!r} is not an evo-codesign tuning session; choose another study_name")
    changed = [k for k in session if stored.get(k) != session[k]]
    if changed:
        hint = f" (it was tuned into {stored['out']})" if "out" in changed else ""
        raise UsageError(f"storage: study {name!r} was started with other {', '.join(changed)}{hint}; continue it "
                         f"with the same settings or choose another study_name")
    return study, True


class Session:
    """The ask/tell loop over one study; ``runs`` holds the settings and their results."""

    def __init__(self, optuna: Any, study: Any, runs: Runs, choices: Mapping[str, tuple]) -> None:
        self.optuna, self.study, self.runs = optuna, study, runs
        self.dists = {n: optuna.distributions.CategoricalDistribution(choices[n]) for n in TUNABLE}
        self.defaults_in_space = all(DEFAULTS[n] in choices[n] for n in TUNABLE)
        self.values: dict[str, float | None] = {}   # setting id -> trial value (None: skipped)
        self.guide: Reference | None = None
        self.proposals = 0
        self.restored = 0

    def restore(self) -> None:
        """Take back the settings of a stored study; fail the trials an interruption left running
        and enqueue their settings again; enqueue the defaults if they have not run yet."""
        State = self.optuna.trial.TrialState
        trials = self.study.get_trials(deepcopy=False)
        done = sorted((t for t in trials if t.state in (State.COMPLETE, State.FAIL) and "setting_id" in t.user_attrs),
                      key=lambda t: int(t.user_attrs["setting_id"][1:]))
        for t in done:
            a = t.user_attrs
            self.runs.restore(a["setting_id"], a["setting"], a["runs"], a.get("skipped", ""))
            self.values[a["setting_id"]] = t.value if t.state == State.COMPLETE else None
            self._provisional(a["setting_id"])  # rebuilds the guide in setting order
        self.restored = len(done)
        waiting = [t for t in trials if t.state == State.WAITING]
        defaults_queued = any(t.user_attrs.get("defaults") for t in waiting)
        if "s00" not in self.runs.settings and not defaults_queued:
            self.study.enqueue_trial(dict(DEFAULTS) if self.defaults_in_space else {}, user_attrs={"defaults": True})
        for t in trials:
            if t.state == State.RUNNING:
                self.study.tell(t.number, state=State.FAIL)
                if not t.user_attrs.get("defaults"):  # an interrupted defaults trial is enqueued above
                    self.study.enqueue_trial(dict(t.params), user_attrs={"requeued_from": t.number})

    def _ask(self) -> tuple[Any, dict[str, Any]]:
        """The next trial and its setting. The defaults trial has no parameters when the defaults
        lie outside the candidates (a categorical distribution cannot hold them)."""
        waiting = self.study.get_trials(deepcopy=False, states=(self.optuna.trial.TrialState.WAITING,))
        paramless = bool(waiting) and waiting[0].system_attrs.get("fixed_params") == {}
        trial = self.study.ask() if paramless else self.study.ask(self.dists)
        self.proposals += 1
        if trial.user_attrs.get("defaults"):
            return trial, dict(DEFAULTS)
        return trial, {n: plain(trial.params[n]) for n in TUNABLE}

    def _provisional(self, sid: str) -> float | None:
        """Mean over seeds of the runs' hypervolume as a fraction of the guide's (see the module
        docstring); 0.0 before any setting found a feasible design; None for a skipped setting."""
        if sid in self.runs.skipped:
            return None
        runs = self.runs.runs_of(sid)
        if self.guide is None:
            Fs = [r["F"] for r in runs if len(r["F"])]
            if not Fs:
                return 0.0
            self.guide = Reference.from_fronts(Fs)
        return float(np.mean([self.guide.hv_fraction(r["F"]) for r in runs]))

    def _tell(self, trial: Any, sid: str, *, new: bool) -> None:
        State = self.optuna.trial.TrialState
        if new:
            trial.set_user_attr("setting_id", sid)
            trial.set_user_attr("setting", self.runs.settings[sid])
            trial.set_user_attr("runs", [run_to_attr(r) for r in self.runs.runs_of(sid)])
            if sid in self.runs.skipped:
                trial.set_user_attr("skipped", self.runs.skipped[sid])
            self.values[sid] = self._provisional(sid)
        else:
            trial.set_user_attr("duplicate_of", sid)
        value = self.values[sid]
        self.study.tell(trial, value, state=State.FAIL if value is None else None)

    def run(self, trials: int, batch: int) -> None:
        """Ask until ``trials`` distinct settings have run (or the candidates are used up), asking
        ``batch`` new settings before running their runs together. At most 50 proposals per
        requested trial: a random or TPE sampler may repeat itself for long in a small space."""
        n_distinct = math.prod(len(d.choices) for d in self.dists.values()) + (0 if self.defaults_in_space else 1)
        target, cap = min(trials, n_distinct), self.proposals + 50 * trials
        while len(self.runs.settings) < target and self.proposals < cap:
            new, pending, tasks = [], [], []
            want = len(self.runs.settings) + min(batch, target - len(self.runs.settings))
            while len(self.runs.settings) < want and self.proposals < cap:
                trial, setting = self._ask()
                sid = self.runs.by_key.get(setting_key(setting))
                if sid is None:
                    sid, more = self.runs.add(setting)
                    new.append((trial, sid))
                    tasks += more
                elif sid in self.values:
                    self._tell(trial, sid, new=False)  # told at once, so TPE sees it before its next proposal
                else:
                    pending.append((trial, sid))     # a repeat within this batch: its score comes below
            self.runs.run(tasks)
            for trial, sid in new:  # in setting order, so the guide is the first feasible setting's
                self._tell(trial, sid, new=True)
            for trial, sid in pending:
                self._tell(trial, sid, new=False)

    def notes(self, method: str, storage: str | None) -> dict[str, Any]:
        """What ``tuning.json`` records about the study. A storage URL with credentials (``@``) is
        reduced to its scheme, so no password is written beside the results."""
        where = "in-memory" if storage is None else (storage if "@" not in storage else storage.split(":", 1)[0])
        return {"sampler": _SAMPLERS[method], "study_name": self.study.study_name, "storage": where,
                "proposals": self.proposals, "settings_restored": self.restored,
                "guide_bounds": self.guide.bounds.to_dict() if self.guide is not None else None}

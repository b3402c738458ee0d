"""The pymoo Problem: a thin, vectorised ``_evaluate`` over an evaluation cache.

The cache is keyed by the canonical genome (a cell's node edges in canonical order), so a design
evaluated twice costs once and "evaluations" everywhere means *unique designs evaluated*. Each
generation's new rows are appended to the run's evaluation log in one transaction. The cache's
contents are not pickled with the checkpoint: on resume they are reloaded from the log, and only
rows of generations up to the checkpoint count against the budget again, so a resumed run counts
exactly as an uninterrupted one.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from pymoo.core.problem import Problem

from .io.rundir import EvaluationRow, RunDir
from .operators import CanonicalKeys, genome_key
from .protocols import EvalBatch, Evaluator, concat_batches
from .runner import BatchPolicy, evaluate_batches
from .space.joint import JointSpace

__all__ = ["EvalBatch", "Evaluator", "EvaluationCache", "CodesignProblem"]


class EvaluationCache:
    """Unique-design cache in front of an evaluator, with budget accounting and logging."""

    def __init__(self, space: JointSpace, evaluator: Evaluator, log: RunDir | None = None,
                 policy: BatchPolicy | None = None) -> None:
        self.space = space
        self.evaluator = evaluator
        self.log = log
        self.policy = policy or BatchPolicy()
        self.gen = 0
        # key -> (F row, G row, extras: a dict, or (the batch's name -> array dict, row index))
        self._store: dict[bytes, tuple[np.ndarray, np.ndarray, Any]] = {}
        self._counted: set[bytes] = set()
        self._keys = CanonicalKeys(space)

    def __setstate__(self, state: dict) -> None:  # checkpoints of earlier versions had no key memory
        self.__dict__.update(state)
        if "_keys" not in state:
            self._keys = CanonicalKeys(self.space)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_store"], state["_counted"] = {}, set()  # rebuilt from the evaluation log on resume
        return state

    @property
    def n_unique(self) -> int:
        """Unique designs evaluated so far (the budget currency)."""
        return len(self._counted)

    def keys(self, X: np.ndarray) -> list[bytes]:
        return self._keys(np.asarray(X, dtype=np.int64))

    def restore(self, rows: Sequence[EvaluationRow], counted_up_to_gen: int) -> None:
        """Refill from logged rows; rows of generations <= ``counted_up_to_gen`` count as spent."""
        for r in rows:
            k = bytes.fromhex(r.key)
            if len(k) != 16:  # logs of earlier versions keyed rows by the canonical genome itself
                k = genome_key(np.frombuffer(k, dtype=np.int64))
            self._store[k] = (np.asarray(r.f, dtype=float), np.asarray(r.g, dtype=float), r.extra)
            if r.gen <= counted_up_to_gen:
                self._counted.add(k)

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=np.int64)
        keys = self.keys(X)
        new: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            if k not in self._store and k not in new:
                new[k] = i
        if new:
            idx = np.fromiter(new.values(), dtype=np.int64)
            batch = evaluate_batches(self.evaluator, X[idx], self.policy, combine=concat_batches)
            F_new = np.asarray(batch.F, dtype=float)
            G_new = np.asarray(batch.G, dtype=float).reshape(len(idx), -1)
            for j, k in enumerate(new):
                self._store[k] = (F_new[j], G_new[j], (batch.extras, j))
            if self.log is not None:
                self.log.append_arrays(list(new), self.gen, X[idx], F_new, G_new, batch.extras)
        self._counted.update(keys)
        if not keys:
            return np.zeros((0, 0)), np.zeros((0, 0))
        stored = [self._store[k] for k in keys]
        return np.array([s[0] for s in stored]), np.array([s[1] for s in stored])

    def extras(self, X: np.ndarray) -> list[dict]:
        """The evaluator's metrics of each design (as plain Python numbers)."""
        out = []
        for k in self.keys(X):
            e = self._store[k][2]
            if isinstance(e, tuple):
                arrays, j = e
                e = {name: v[j].item() if isinstance(v[j], np.generic) else v[j] for name, v in arrays.items()}
            out.append(e)
        return out


class CodesignProblem(Problem):
    """Vectorised problem over a :class:`JointSpace`; all work goes through the cache."""

    def __init__(self, space: JointSpace, cache: EvaluationCache) -> None:
        ev = cache.evaluator
        super().__init__(n_var=space.n_var, n_obj=len(ev.objective_names), n_ieq_constr=len(ev.constraint_names),
                         xl=space.xl, xu=space.xu, vtype=int)
        self.space = space
        self.cache = cache

    def _evaluate(self, X, out, *args, **kwargs):
        F, G = self.cache(np.rint(X).astype(np.int64))
        out["F"] = F
        if self.n_ieq_constr:
            out["G"] = G

"""The pymoo Problem: a thin, vectorised ``_evaluate`` over an evaluation cache.

The cache is keyed by the canonical genome (a cell's node edges in canonical order), so a design
evaluated twice costs once and "evaluations" everywhere means *unique designs evaluated*. Each
generation's new rows are appended to the run's evaluation log in one transaction. The cache's
contents are not pickled with the checkpoint: on resume they are reloaded from the log, and only
rows of generations up to the checkpoint count against the budget again, so a resumed run counts
exactly as an uninterrupted one.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from pymoo.core.problem import Problem

from .io.rundir import EvaluationRow, RunDir
from .operators import canonical_genomes
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
        self._store: dict[bytes, tuple[np.ndarray, np.ndarray, dict]] = {}
        self._counted: set[bytes] = set()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_store"], state["_counted"] = {}, set()  # rebuilt from the evaluation log on resume
        return state

    @property
    def n_unique(self) -> int:
        """Unique designs evaluated so far (the budget currency)."""
        return len(self._counted)

    def keys(self, X: np.ndarray) -> list[bytes]:
        K = canonical_genomes(self.space, np.asarray(X, dtype=np.int64))
        return [row.tobytes() for row in np.ascontiguousarray(K)]

    def restore(self, rows: Sequence[EvaluationRow], counted_up_to_gen: int) -> None:
        """Refill from logged rows; rows of generations <= ``counted_up_to_gen`` count as spent."""
        for r in rows:
            k = bytes.fromhex(r.key)
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
            rows = []
            for j, (k, i) in enumerate(new.items()):
                extra = {name: v[j].item() if isinstance(v[j], np.generic) else v[j]
                         for name, v in batch.extras.items()}
                self._store[k] = (batch.F[j].astype(float), batch.G[j].astype(float), extra)
                rows.append(EvaluationRow(k.hex(), self.gen, X[i].tolist(), batch.F[j].tolist(),
                                          batch.G[j].tolist(), extra))
            if self.log is not None:
                self.log.append(rows)
        self._counted.update(keys)
        F = np.stack([self._store[k][0] for k in keys])
        G = np.stack([self._store[k][1] for k in keys]) if keys else np.zeros((0, 0))
        return F, G

    def extras(self, X: np.ndarray) -> list[dict]:
        return [self._store[k][2] for k in self.keys(X)]


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

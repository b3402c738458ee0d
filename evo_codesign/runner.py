"""Batched evaluation, in-process or fanned out with joblib.

Measured on the 2-core development machine (FIELD_NOTES): a loky round trip costs about 10 ms
with warm workers and 200 ms for the first call, pymoo's NSGA-II bookkeeping about 4 ms per
generation of 100, and the cost kernels a whole population in milliseconds. So a normal population
is evaluated in-process as one batch; only large batches (sweeps, reference fronts) are split into
chunks and fanned out, and independent runs (seeds x strategies) go to separate workers.

No joblib backend is hard-coded: ``prefer`` is only a hint, so
``with joblib.parallel_config(backend="dask"): ...`` (with a ``dask.distributed.Client``) runs the
same code on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import joblib
from joblib import Parallel, delayed

from .errors import UsageError

__all__ = ["BatchPolicy", "evaluate_batches", "run_independent", "effective_n_jobs"]


def effective_n_jobs(n_jobs: int) -> int:
    """Workers ``n_jobs`` means, by joblib's convention (``joblib.effective_n_jobs``): -1 = all
    cores, -2 = all but one, ...; 0 is an error."""
    if n_jobs == 0:
        raise UsageError("n_jobs must not be 0 (1 = serial, -1 = all cores)")
    return joblib.effective_n_jobs(n_jobs)


@dataclass(frozen=True)
class BatchPolicy:
    """When to fan a batch out. ``min_parallel`` designs per batch before any fan-out pays for a
    worker round trip; ``chunk`` designs per task; ``prefer`` a joblib hint ("threads" suits the
    Numba kernels, which release the GIL)."""

    n_jobs: int = 1
    min_parallel: int = 20_000
    chunk: int = 10_000
    prefer: str | None = "threads"

    def fans_out(self, n: int) -> bool:
        return effective_n_jobs(self.n_jobs) > 1 and n >= self.min_parallel


def evaluate_batches(fn: Callable[[np.ndarray], Any], X: np.ndarray, policy: BatchPolicy = BatchPolicy(),
                     *, combine: Callable[[Sequence[Any]], Any] | None = None) -> Any:
    """``fn(X)`` for a batch, split into chunks and run in parallel when the policy says so.

    ``fn`` must return an array (or tuple of arrays) with one row per design; ``combine`` joins the
    chunk results (default: concatenate arrays, or each member of tuples). Results are identical
    to ``fn(X)`` and do not depend on the number of workers.
    """
    X = np.asarray(X)
    if len(X) <= policy.chunk:
        return fn(X)
    # Large batches go in chunks even serially: the kernels' per-(design, layer) outputs of a
    # 10^5-design batch would not fit in cache (or, for 10^6, in memory) at once.
    chunks = [X[i:i + policy.chunk] for i in range(0, len(X), policy.chunk)]
    if policy.fans_out(len(X)):
        parts = Parallel(n_jobs=policy.n_jobs, prefer=policy.prefer)(delayed(fn)(c) for c in chunks)
    else:
        parts = [fn(c) for c in chunks]
    if combine is not None:
        return combine(parts)
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(len(parts[0])))
    return np.concatenate(parts)


def run_independent(fn: Callable[..., Any], tasks: Iterable[Any], *, n_jobs: int = 1,
                    prefer: str | None = "processes") -> list[Any]:
    """``[fn(task) for task in tasks]``, in parallel workers when ``n_jobs != 1``; order kept."""
    tasks = list(tasks)
    if effective_n_jobs(n_jobs) == 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    return Parallel(n_jobs=n_jobs, prefer=prefer)(delayed(fn)(t) for t in tasks)

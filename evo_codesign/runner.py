"""Batched evaluation, in-process or fanned out with joblib.

Measured on the 2-core development machine (FIELD_NOTES): a loky round trip costs about 10 ms
with warm workers and 200 ms for the first call, pymoo's NSGA-II bookkeeping about 4 ms per
generation of 100, and the cost kernels a whole population in milliseconds. So a normal population
is evaluated in-process as one batch; only large batches (sweeps, reference fronts) are split into
chunks and fanned out, and independent runs (seeds x strategies) go to separate workers.

No joblib backend is hard-coded: ``prefer`` is only a hint, so
``with joblib.parallel_config(backend="dask"): ...`` (with a ``dask.distributed.Client``) runs the
same code on a cluster.

Independent runs on one Linux machine go to workers *forked* from this process
(:func:`fork_map`) when that is safe (:func:`fork_safe`): the process has one thread and no
joblib backend other than loky is configured. A forked worker starts with everything the parent
has imported and compiled, the evaluator included, so it starts in milliseconds; a loky worker
imports the package and loads the Numba cache again (about 2 s each on the development machine,
which made 2 workers slower than 1 on the main job). Elsewhere (macOS, Windows, a notebook kernel
with its threads, a dask or threading backend) runs go through joblib as before. Results are
identical either way: each run is deterministic on its own. ``EVO_CODESIGN_FORK=0`` turns forking off.

A dask cluster can also take *every* batch (``[run] backend = "dask"``, :func:`evaluation_backend`,
:func:`dask_session`): while a session is open in a thread, :func:`evaluate_batches` splits each
batch into one chunk per worker thread and :func:`run_independent` sends each run to the cluster.
This is for evaluators that cost far more than the round trip (a simulator per design); the
evaluator is sent to the workers once per session. Results are concatenated in order, so they
are identical to serial evaluation. The session lives in a :class:`contextvars.ContextVar`, so
work already running on a worker (a run sent by :func:`run_independent`) evaluates in-process.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import math
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import joblib
from joblib import Parallel, delayed

from .blas import one_blas_thread
from .errors import MissingDependencyError, UsageError

__all__ = ["BatchPolicy", "evaluate_batches", "run_independent", "effective_n_jobs", "DaskSession", "dask_session",
           "evaluation_backend", "active_session", "DASK_INSTALL", "fork_safe", "fork_map", "one_blas_thread",
           "frozen_heap", "shared_before_fork"]

#: how to get the optional dask extra (pyproject.toml ``[project.optional-dependencies] dask``)
DASK_INSTALL = "pip install -e .[dask]"
#: seconds to wait for a dask scheduler to answer and for its first worker to connect
DASK_CONNECT_TIMEOUT_S = 30.0


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
    session = _SESSION.get()
    if session is not None and len(X):
        size = min(policy.chunk, max(1, math.ceil(len(X) / session.n_threads)))
        parts = session.map(fn, [X[i:i + size] for i in range(0, len(X), size)])
        return _combine(parts, combine)
    if len(X) <= policy.chunk:
        return fn(X)
    # Large batches go in chunks even serially: the kernels' per-(design, layer) outputs of a
    # 10^5-design batch would not fit in cache (or, for 10^6, in memory) at once.
    chunks = [X[i:i + policy.chunk] for i in range(0, len(X), policy.chunk)]
    if policy.fans_out(len(X)):
        parts = Parallel(n_jobs=policy.n_jobs, prefer=policy.prefer)(delayed(fn)(c) for c in chunks)
    else:
        parts = [fn(c) for c in chunks]
    return _combine(parts, combine)


def _combine(parts: list[Any], combine: Callable[[Sequence[Any]], Any] | None) -> Any:
    if combine is not None:
        return combine(parts)
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(len(parts[0])))
    return np.concatenate(parts)


def run_independent(fn: Callable[..., Any], tasks: Iterable[Any], *, n_jobs: int = 1,
                    prefer: str | None = "processes", on_result: Callable[[Any], None] | None = None,
                    after_fork: Callable[[], None] | None = None) -> list[Any]:
    """``[fn(task) for task in tasks]``, in parallel workers when ``n_jobs != 1`` (or on the open
    dask session's cluster, whatever ``n_jobs``); order kept. Worker processes are forked from this
    one where :func:`fork_safe` allows (:func:`fork_map`, which runs ``after_fork`` once the workers
    are started), else joblib's.
    ``on_result(r)`` is called in this process as each result arrives (in any order when parallel)."""
    tasks = list(tasks)
    session = _SESSION.get()
    if session is not None and len(tasks) > 1:
        out = session.map(fn, tasks)
    elif effective_n_jobs(n_jobs) == 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            out.append(fn(t))
            if on_result is not None:
                on_result(out[-1])
        return out
    elif prefer == "processes" and fork_safe():
        return fork_map(fn, tasks, n_jobs=n_jobs, on_result=on_result, after_fork=after_fork)
    elif on_result is not None:
        return _joblib_streamed(fn, tasks, n_jobs, prefer, on_result)
    else:
        out = Parallel(n_jobs=n_jobs, prefer=prefer)(delayed(fn)(t) for t in tasks)
    if on_result is not None:
        for r in out:
            on_result(r)
    return out


def _indexed(fn: Callable[[Any], Any], i: int, task: Any) -> tuple[int, Any]:
    return i, fn(task)


def _joblib_streamed(fn: Callable[[Any], Any], tasks: list[Any], n_jobs: int, prefer: str | None,
                     on_result: Callable[[Any], None]) -> list[Any]:
    try:
        parallel = Parallel(n_jobs=n_jobs, prefer=prefer, return_as="generator_unordered")
    except ValueError:  # a backend that cannot stream results (joblib.parallel_config): all at the end
        parallel = Parallel(n_jobs=n_jobs, prefer=prefer)
    results: dict[int, Any] = {}
    for i, r in parallel(delayed(_indexed)(fn, i, t) for i, t in enumerate(tasks)):
        results[i] = r
        on_result(r)
    return [results[i] for i in range(len(tasks))]


#: depth of nested :func:`frozen_heap` blocks in this process
_FROZEN_DEPTH = 0


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the objects alive at its start (imported modules, the evaluator, ...) are
    out of the cyclic garbage collector's reach (``gc.freeze``), so its full collections traverse
    only what the block creates: one full collection with a comparison's objects alive takes
    0.11-0.14 s, next to nothing frozen (``benchmarks/fixed_costs.py``). Garbage among the
    frozen objects waits for the end of the outermost block; nested blocks are one."""
    global _FROZEN_DEPTH
    if _FROZEN_DEPTH == 0:
        gc.freeze()
    _FROZEN_DEPTH += 1
    try:
        yield
    finally:
        _FROZEN_DEPTH -= 1
        if _FROZEN_DEPTH == 0:
            gc.unfreeze()


def shared_before_fork(evaluator: Any) -> None:
    """Work out here, once, what every run would otherwise work out in each forked worker on its
    first run: the evaluator's surrogate's training domain (its ``prepare``, where it has one)
    and the package versions and git commit each ``run.json`` records (both cached per process).
    Comparisons and tuning studies call it before their runs."""
    from .io.rundir import git_revision, package_versions

    prepare = getattr(getattr(evaluator, "surrogate", None), "prepare", None)
    if callable(prepare):
        prepare()
    package_versions()
    git_revision()


# -- forked workers --------------------------------------------------------------------------------

#: what the forked workers of the :func:`fork_map` in progress run: (fn, tasks); inherited by fork,
#: never pickled
_FORKED: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def fork_safe() -> bool:
    """Whether :func:`fork_map` may fork workers from this process now: Linux (where fork is the
    POSIX default and no system framework forbids it), this process has a single thread (forking
    a threaded process can copy a lock some other thread holds; a notebook kernel has several),
    the active joblib backend is loky (a configured dask, threading or other backend is used as
    configured) and ``EVO_CODESIGN_FORK`` is not ``0``."""
    if os.environ.get("EVO_CODESIGN_FORK", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() != 1:
        return False
    from joblib.parallel import get_active_backend
    from joblib._parallel_backends import LokyBackend

    return isinstance(get_active_backend(prefer="processes")[0], LokyBackend)


def _forked_call(i: int) -> tuple[int, Any]:
    assert _FORKED is not None, "fork_map's worker has no tasks (was it forked?)"
    fn, tasks = _FORKED
    return i, fn(tasks[i])  # on one BLAS thread, as fork_map forked it


def fork_map(fn: Callable[[Any], Any], tasks: Sequence[Any], *, n_jobs: int,
             on_result: Callable[[Any], None] | None = None,
             after_fork: Callable[[], None] | None = None) -> list[Any]:
    """``[fn(task) for task in tasks]`` in ``n_jobs`` worker processes forked from this one (check
    :func:`fork_safe` first), order kept: ``fn`` and the tasks reach the workers by fork, not by
    pickling; each result is pickled back and passed to ``on_result`` as it arrives. Tasks go out
    one at a time to whichever worker is free. ``after_fork()`` runs here once the workers are
    started (while they work: e.g. import what comes after them, which workers forked later then
    have too). The first error raised by a task is raised here after the tasks not yet started
    are cancelled."""
    global _FORKED
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    tasks = list(tasks)
    if not tasks:
        return []
    workers = max(1, min(effective_n_jobs(n_jobs), len(tasks)))
    _FORKED = (fn, tasks)
    results: dict[int, Any] = {}
    try:
        # frozen_heap: the objects alive now are frozen until the workers are done, so a worker's
        # collections leave them (and the memory pages they share with this process) alone, the
        # gc module's advice for fork without exec. one_blas_thread: workers forked so start no
        # BLAS threads (which spin after each call), nor does this process while they work. With
        # fork, the executor forks all its workers before it starts its own threads.
        with frozen_heap(), one_blas_thread(), ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pending = {pool.submit(_forked_call, i) for i in range(len(tasks))}
            if after_fork is not None:
                after_fork()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    if f.exception() is not None:
                        for p in pending:
                            p.cancel()
                        raise f.exception()
                    i, r = f.result()
                    results[i] = r
                    if on_result is not None:
                        on_result(r)
    finally:
        _FORKED = None
    return [results[i] for i in range(len(tasks))]


# -- dask ------------------------------------------------------------------------------------------

_SESSION: contextvars.ContextVar["DaskSession | None"] = contextvars.ContextVar("evo_codesign_dask_session",
                                                                               default=None)


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    return fn(item)


class DaskSession:
    """A connected ``dask.distributed.Client`` that :func:`evaluate_batches` and
    :func:`run_independent` use while the session is active (see :func:`dask_session`).

    ``map(fn, items)`` is ``[fn(item) for item in items]`` on the cluster, in order; ``fn`` (an
    evaluator, often large) is scattered to every worker once and reused."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self._scattered: dict[int, tuple[Any, Any]] = {}  # id(fn) -> (fn, its future); fn kept alive

    @property
    def n_threads(self) -> int:
        """Worker threads on the cluster now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        entry = self._scattered.get(id(fn))
        if entry is None or entry[0] is not fn:
            entry = (fn, self.client.scatter(fn, broadcast=True, hash=False))
            self._scattered[id(fn)] = entry
        futures = self.client.map(_apply, [entry[1]] * len(items), list(items), pure=False)
        return self.client.gather(futures)


def active_session() -> DaskSession | None:
    """The dask session open in this thread, if any."""
    return _SESSION.get()


def _distributed():
    try:
        import distributed
    except ImportError:
        raise MissingDependencyError(f"run.backend = 'dask' needs dask.distributed, which is not installed: "
                                     f"{DASK_INSTALL}") from None
    return distributed


@contextlib.contextmanager
def dask_session(address: str | None = None, *, n_workers: int = 1, processes: bool = True) -> Iterator[DaskSession]:
    """Connect to the dask scheduler at ``address`` (``tcp://host:port``), or start a
    ``LocalCluster`` of ``n_workers`` single-threaded workers (``processes``: separate processes,
    as the Python parts of an evaluation hold the GIL), and make it take every batch until the
    block ends; then disconnect (and stop a cluster started here)."""
    distributed = _distributed()
    cluster = None
    try:
        if address:
            try:
                client = distributed.Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise UsageError(f"run.scheduler (--scheduler): cannot reach the dask scheduler at {address} "
                                 f"({type(e).__name__}: {e})") from None
        else:
            cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                                               dashboard_address=":0")  # any free port: never a clash
            client = distributed.Client(cluster, set_as_default=False)
            address = cluster.scheduler_address
        try:
            client.wait_for_workers(1, timeout=DASK_CONNECT_TIMEOUT_S)
        except TimeoutError:
            client.close()
            raise UsageError(f"run.scheduler (--scheduler): no dask worker connected to {address} within "
                             f"{DASK_CONNECT_TIMEOUT_S:g} s; start one with `dask worker {address}`") from None
        session = DaskSession(client, address)
        token = _SESSION.set(session)
        try:
            yield session
        finally:
            _SESSION.reset(token)
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def evaluation_backend(run: Any, *, scheduler: str | None = None) -> contextlib.AbstractContextManager:
    """The evaluation backend a ``[run]`` config section asks for, as a context manager: for
    ``backend = "dask"`` (or a ``scheduler`` address given, e.g. by ``--scheduler``) a
    :func:`dask_session` on ``run.scheduler`` (empty: a LocalCluster of ``run.n_jobs`` workers,
    joblib's convention: -1 = all cores); otherwise nothing (serial, or joblib with ``n_jobs``)."""
    address = scheduler or run.scheduler
    if run.backend != "dask" and not address:
        return contextlib.nullcontext()
    _distributed()  # a missing extra is reported before anything starts
    return dask_session(address or None, n_workers=effective_n_jobs(run.n_jobs))

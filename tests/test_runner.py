import numpy as np
import pytest
from joblib import parallel_config

import os
import sys
import threading

from evo_codesign.runner import BatchPolicy, effective_n_jobs, evaluate_batches, fork_map, fork_safe, run_independent


def _square_rows(X):
    return (X.astype(float) ** 2).sum(axis=1), X[:, :1].copy()


def _task(seed):
    return float(np.random.default_rng(seed).random())


def test_policy_decides_fan_out():
    assert not BatchPolicy(n_jobs=1).fans_out(10**6)
    assert not BatchPolicy(n_jobs=2, min_parallel=1000).fans_out(999)
    assert BatchPolicy(n_jobs=2, min_parallel=1000).fans_out(1000)
    assert effective_n_jobs(-1) >= 1
    with pytest.raises(ValueError):
        effective_n_jobs(0)


@pytest.mark.parametrize("prefer", ["threads", "processes"])
def test_chunked_parallel_equals_serial(prefer):
    X = np.random.default_rng(0).integers(0, 100, size=(5000, 7))
    serial = _square_rows(X)
    par = evaluate_batches(_square_rows, X, BatchPolicy(n_jobs=2, min_parallel=100, chunk=700, prefer=prefer))
    assert all(np.array_equal(a, b) for a, b in zip(serial, par))


def test_independent_runs_keep_order():
    assert run_independent(_task, range(6), n_jobs=2) == [_task(s) for s in range(6)]


linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")


def _fails_on_three(k):
    if k == 3:
        raise ValueError(f"task {k} is bad")
    return k


@linux
def test_forked_workers_keep_order_and_report_each_result():
    seen = []
    assert fork_map(_task, list(range(7)), n_jobs=2, on_result=seen.append) == [_task(s) for s in range(7)]
    assert sorted(seen) == sorted(_task(s) for s in range(7))
    captured = {"big": np.arange(10)}  # a closure: it reaches the workers by fork, never pickled
    assert fork_map(lambda k: int(captured["big"][k]), [4, 2], n_jobs=2) == [4, 2]


def _sleep(seconds):
    import time

    time.sleep(seconds)
    return seconds


@linux
def test_forked_results_arrive_as_they_finish():
    import time

    t0 = time.perf_counter()
    arrived = []
    out = fork_map(_sleep, [1.5, 0.05, 0.05], n_jobs=2, on_result=lambda r: arrived.append(time.perf_counter() - t0))
    assert out == [1.5, 0.05, 0.05]
    assert len(arrived) == 3 and arrived[0] < 1.0 < arrived[-1]  # the quick ones did not wait for the slow one


@linux
def test_the_after_fork_hook_runs_here_once_while_the_workers_work():
    import gc
    import time

    t0 = time.perf_counter()
    hook = []
    out = fork_map(_sleep, [0.6, 0.6], n_jobs=2, after_fork=lambda: hook.append((os.getpid(), time.perf_counter() - t0)))
    assert out == [0.6, 0.6]
    assert len(hook) == 1 and hook[0][0] == os.getpid() and hook[0][1] < 0.5  # here, before the workers finished
    assert gc.get_freeze_count() == 0  # the objects frozen for the workers are collectable again


@linux
def test_a_forked_task_error_reaches_the_caller():
    with pytest.raises(ValueError, match="task 3 is bad"):
        fork_map(_fails_on_three, list(range(6)), n_jobs=2)


@linux
def test_workers_are_not_forked_where_that_is_unsafe(monkeypatch):
    import subprocess

    # a fresh interpreter has one thread (this one may hold threads of earlier tests: dask's, loky's)
    probe = [sys.executable, "-c", "from evo_codesign.runner import fork_safe; print(fork_safe())"]
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "True"
    off = subprocess.run(probe, capture_output=True, text=True, check=True, env={**os.environ, "EVO_CODESIGN_FORK": "0"})
    assert off.stdout.strip() == "False"
    monkeypatch.setenv("EVO_CODESIGN_FORK", "0")
    assert not fork_safe()
    monkeypatch.delenv("EVO_CODESIGN_FORK")
    with parallel_config(backend="threading"):
        assert not fork_safe()  # a configured backend is used as configured
        assert run_independent(_task, range(4), n_jobs=2) == [_task(s) for s in range(4)]
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not fork_safe()  # another thread could hold a lock the child would inherit
        seen = []
        assert run_independent(_task, range(4), n_jobs=2, on_result=seen.append) == [_task(s) for s in range(4)]
        assert len(seen) == 4
    finally:
        stop.set()
        t.join()


def test_same_code_runs_on_a_local_dask_cluster():
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    X = np.random.default_rng(1).integers(0, 50, size=(3000, 4))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with parallel_config(backend="dask"):
            par = evaluate_batches(_square_rows, X, BatchPolicy(n_jobs=2, min_parallel=10, chunk=500))
            runs = run_independent(_task, range(4), n_jobs=2)
    assert all(np.array_equal(a, b) for a, b in zip(_square_rows(X), par))
    assert runs == [_task(s) for s in range(4)]


def test_frozen_heap_nests_and_ends_frozen_with_its_outermost_block():
    import gc

    from evo_codesign.runner import frozen_heap

    assert gc.get_freeze_count() == 0
    with frozen_heap():
        outer = gc.get_freeze_count()
        assert outer > 0
        with frozen_heap():
            pass
        assert gc.get_freeze_count() >= outer  # the inner block's end leaves the outer one's objects frozen
    assert gc.get_freeze_count() == 0


def test_shared_before_fork_prepares_the_surrogate_and_the_run_metadata():
    from types import SimpleNamespace

    from evo_codesign.io.rundir import _versions
    from evo_codesign.runner import shared_before_fork

    calls = []
    _versions.cache_clear()
    shared_before_fork(SimpleNamespace(surrogate=SimpleNamespace(prepare=lambda: calls.append(1))))
    assert calls == [1] and _versions.cache_info().currsize == 1  # asked here, cached for the workers
    shared_before_fork(SimpleNamespace())  # an evaluator without a surrogate (or one without prepare)
    shared_before_fork(SimpleNamespace(surrogate=object()))


def _blas_threads_after_products(_):
    import os

    A = np.random.default_rng(0).random((50, 100))
    for _ in range(5):
        A @ A.T
    from threadpoolctl import threadpool_info

    return len(os.listdir("/proc/self/task")), {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@linux
def test_forked_workers_run_blas_on_one_thread_and_start_no_blas_threads():
    for threads, blas in fork_map(_blas_threads_after_products, [0, 1], n_jobs=2):
        assert threads == 1 and blas <= {1}

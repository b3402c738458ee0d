import pickle
import sys

import numpy as np
import pytest

from evo_codesign.config import load_config
from evo_codesign.engine import front_arrays, resume_state, run_until_done, start
from evo_codesign.io.rundir import RunDir
from evo_codesign.problem import CodesignProblem, EvaluationCache
from evo_codesign.space import make_space

from .toy import ToyEvaluator

SPACE = make_space("cell", "dataflow")
SEARCH = load_config(overrides={"search.pop_size": 16, "search.budget": 200}).search


def _run(path, seed=3, stop=None):
    rd = RunDir.create(path, {"seed": seed})
    ev = ToyEvaluator(SPACE)
    st = start(CodesignProblem(SPACE, EvaluationCache(SPACE, ev, rd)), SEARCH, seed)
    st = run_until_done(st, rd, checkpoint_every=3, stop_after_gen=stop)
    return st, rd, ev


def test_budget_is_respected_and_counts_unique_designs(tmp_path):
    st, rd, ev = _run(tmp_path / "a")
    n = st.problem.cache.n_unique
    assert n <= SEARCH.budget and n > SEARCH.budget - SEARCH.pop_size
    assert rd.n_evaluations() == n  # one log row per unique design
    rows = rd.rows()
    assert len({r.key for r in rows}) == len(rows)
    X = np.array([r.x for r in rows])
    assert SPACE.is_valid(X).all()


def test_same_seed_same_front_and_different_seed_differs(tmp_path):
    a, _, _ = _run(tmp_path / "a", seed=5)
    b, _, _ = _run(tmp_path / "b", seed=5)
    c, _, _ = _run(tmp_path / "c", seed=6)
    Xa, Fa, _ = front_arrays(a)
    Xb, Fb, _ = front_arrays(b)
    Xc, _, _ = front_arrays(c)
    assert np.array_equal(Xa, Xb) and np.array_equal(Fa, Fb)
    assert not np.array_equal(Xa, Xc)


@pytest.mark.parametrize("stop", [1, 4, 7])
def test_resume_equals_uninterrupted(tmp_path, stop):
    full, _, _ = _run(tmp_path / "full")
    part, rd, _ = _run(tmp_path / "part", stop=stop)
    # Simulate a crash after generation stop + 1 was logged but before its checkpoint: run one
    # more generation, then put the older checkpoint back.
    ckpt = (tmp_path / "part" / "checkpoint.pkl").read_bytes()
    run_until_done(resume_state(RunDir.open(tmp_path / "part")), RunDir.open(tmp_path / "part"),
                   stop_after_gen=stop + 1)
    logged = RunDir.open(tmp_path / "part").n_evaluations()
    (tmp_path / "part" / "checkpoint.pkl").write_bytes(ckpt)
    resumed = run_until_done(resume_state(RunDir.open(tmp_path / "part")), RunDir.open(tmp_path / "part"))
    assert logged > part.problem.cache.n_unique  # the log really was ahead of the checkpoint
    for x, y in zip(front_arrays(full), front_arrays(resumed)):
        assert np.array_equal(x, y)
    assert resumed.problem.cache.n_unique == full.problem.cache.n_unique
    assert RunDir.open(tmp_path / "part").n_evaluations() == full.problem.cache.n_unique


def test_checkpoint_is_small_and_has_no_cache(tmp_path):
    st, rd, _ = _run(tmp_path / "a")
    blob = pickle.dumps(st)
    state = pickle.loads(blob)
    assert state.problem.cache.n_unique == 0  # refilled from the log on resume, not pickled
    assert len(blob) < 2_000_000


def test_budget_smaller_than_population_is_an_error(tmp_path):
    search = load_config(overrides={"search.pop_size": 16, "search.budget": 8}).search
    with pytest.raises(ValueError, match="budget"):
        start(CodesignProblem(SPACE, EvaluationCache(SPACE, ToyEvaluator(SPACE))), search, 1)


def test_generations_run_with_one_blas_thread(tmp_path):
    from threadpoolctl import threadpool_info

    def blas_threads(_state):
        seen.update(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    seen: set[int] = set()
    rd = RunDir.create(tmp_path / "a", {"seed": 1})
    st = start(CodesignProblem(SPACE, EvaluationCache(SPACE, ToyEvaluator(SPACE), rd)), SEARCH, 1)
    run_until_done(st, rd, on_generation=blas_threads)
    if any(i["user_api"] == "blas" for i in threadpool_info()):  # a BLAS threadpoolctl can see and limit
        assert seen == {1}  # small matrices: BLAS threads would only spin on the other core


def test_one_blas_thread_limits_again_with_its_kept_controller_and_restores():
    """The controller is kept between blocks (found again after an import) and every block limits
    BLAS to one thread and gives the threads back afterwards."""
    from threadpoolctl import threadpool_info

    from evo_codesign import blas as runner

    def blas():
        return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    before = blas()
    if not before:
        pytest.skip("no BLAS library that threadpoolctl can see")
    for _ in range(2):
        with runner.one_blas_thread():
            assert set(blas()) == {1}
        assert blas() == before
    kept = runner._BLAS_CONTROLLER
    with runner.one_blas_thread():
        pass
    assert runner._BLAS_CONTROLLER is kept  # nothing imported in between: the same controller
    import sys
    import types

    sys.modules["_evo_codesign_test_new_module"] = types.ModuleType("_evo_codesign_test_new_module")
    try:
        with runner.one_blas_thread():
            assert set(blas()) == {1}
        assert runner._BLAS_CONTROLLER is not kept  # a module more: the libraries are found again
    finally:
        del sys.modules["_evo_codesign_test_new_module"]
    assert blas() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts a process's threads in /proc")
def test_a_process_forked_with_one_blas_thread_starts_no_blas_threads():
    """What fork_map's workers and a comparison's parent rely on: OpenBLAS starts its thread pool
    (whose threads spin after each call) when its thread count is set, so a library already on
    one thread is left alone, and a child forked while it is on one thread starts none."""
    import os

    from evo_codesign.blas import one_blas_thread

    A, B = np.random.default_rng(0).random((50, 100)), np.random.default_rng(1).random((100, 2000))
    with one_blas_thread():
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a search's block and BLAS calls, then its thread count
            try:
                with one_blas_thread():
                    for _ in range(5):
                        A @ B
                os.write(wr, str(len(os.listdir("/proc/self/task"))).encode())
            finally:
                os._exit(0)
        os.close(wr)
        threads = os.read(rd, 16).decode()
        os.waitpid(pid, 0)
    assert threads == "1"


def test_each_genome_is_canonicalised_once_for_duplicates_and_cache_alike(tmp_path, monkeypatch):
    """Duplicate elimination and the evaluation cache share one key memory: a new individual is
    canonicalised when duplicate elimination checks it and the cache finds its key. The run is the
    one with two memories, bit for bit; a checkpoint keeps them shared, and one written with two
    (an earlier version) is shared again on resume."""
    from evo_codesign import operators
    from evo_codesign.operators import CanonicalKeys

    rows = []
    canonical = operators.canonical_genomes
    monkeypatch.setattr(operators, "canonical_genomes", lambda space, A: rows.append(len(A)) or canonical(space, A))
    st, rd, _ = _run(tmp_path / "shared", seed=4)
    algo, cache = st.algorithm, st.problem.cache
    assert algo.mating.eliminate_duplicates.keys is cache._keys
    assert algo.initialization.eliminate_duplicates.keys is cache._keys
    assert sum(rows) == len(cache._keys._memo) >= cache.n_unique  # each distinct genome once

    # two memories, as before: the same run
    rows.clear()
    rd2 = RunDir.create(tmp_path / "apart", {"seed": 4})
    st2 = start(CodesignProblem(SPACE, EvaluationCache(SPACE, ToyEvaluator(SPACE), rd2)), SEARCH, 4)
    for owner in (st2.algorithm.mating, st2.algorithm.initialization):
        owner.eliminate_duplicates.keys = CanonicalKeys(SPACE)
    st2 = run_until_done(st2, rd2, checkpoint_every=3)
    assert sum(rows) > len(st2.problem.cache._keys._memo)  # genomes canonicalised twice
    for a, b in zip(front_arrays(st), front_arrays(st2)):
        np.testing.assert_array_equal(a, b)
    assert [r.key for r in rd.rows()] == [r.key for r in rd2.rows()]

    back = pickle.loads(pickle.dumps(st))
    assert back.algorithm.mating.eliminate_duplicates.keys is back.problem.cache._keys
    # the checkpoint with two memories, resumed: shared again
    rd3 = RunDir.open(tmp_path / "apart")
    try:
        resumed = resume_state(rd3)
        assert resumed.algorithm.mating.eliminate_duplicates.keys is resumed.problem.cache._keys
    finally:
        rd3.close()

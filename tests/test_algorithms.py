"""Every search engine of evo_codesign.algorithms: budget, determinism, checkpoint + resume, the
strategy contract with a non-default engine, the registry, and pymoo's own ``minimize`` on the
problem (README "Search engines")."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from evo_codesign import algorithms
from evo_codesign.config import ConfigError, load_config
from evo_codesign.engine import UniqueBudget, front_arrays, resume_state, run_until_done, start
from evo_codesign.space.base import GenomeError
from evo_codesign.io.rundir import RunDir
from evo_codesign.problem import CodesignProblem, EvaluationCache
from evo_codesign.space import make_space
from evo_codesign.testing import StrategyContract
from evo_codesign.testing.strategies import CONTRACT_CONFIG

from .toy import ToyEvaluator

SPACE = make_space("cell", "dataflow")
BASE = load_config(overrides={"search.pop_size": 16, "search.budget": 200}).search
ENGINES = [(a, o) for a in ("nsga2", "nsga3", "smsemoa", "moead", "agemoea", "random")
           for o in (("space", "pymoo-default") if a != "random" else ("space",))]
IDS = [f"{a}-{o}" for a, o in ENGINES]


def _search(algorithm, operators, **kw):
    return replace(BASE, algorithm=algorithm, operators=operators, **kw)


def _run(path, search, seed=3, stop=None):
    rd = RunDir.create(path, {"seed": seed})
    st = start(CodesignProblem(SPACE, EvaluationCache(SPACE, ToyEvaluator(SPACE), rd)), search, seed)
    st = run_until_done(st, rd, checkpoint_every=3, stop_after_gen=stop)
    return st, rd


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("engines")
    return {(a, o): _run(d / f"{a}-{o}", _search(a, o)) for a, o in ENGINES}


@pytest.mark.parametrize("engine", ENGINES, ids=IDS)
def test_budget_is_respected_per_generation_and_in_total(full_runs, engine):
    st, rd = full_runs[engine]
    n = st.problem.cache.n_unique
    per_gen = algorithms.offspring_per_generation(st.algorithm)
    assert BASE.budget - per_gen < n <= BASE.budget  # stops only when another generation would not fit
    rows = rd.rows()
    assert len(rows) == n and len({r.key for r in rows}) == n  # one log row per unique design
    assert SPACE.is_valid(np.array([r.x for r in rows])).all()  # every evaluated design is a genome
    gens = np.bincount([r.gen for r in rows])
    assert gens[1] <= BASE.pop_size and (gens[2:] <= per_gen).all()
    X, F, _ = front_arrays(st)
    assert len(X) and SPACE.is_valid(X).all()


@pytest.mark.parametrize("engine", ENGINES, ids=IDS)
def test_same_seed_same_front_other_seed_differs(full_runs, engine, tmp_path):
    a, _ = full_runs[engine]
    b, _ = _run(tmp_path / "b", _search(*engine))
    c, _ = _run(tmp_path / "c", _search(*engine), seed=4)
    for x, y in zip(front_arrays(a), front_arrays(b)):
        assert np.array_equal(x, y)
    assert not np.array_equal(front_arrays(a)[0], front_arrays(c)[0])


@pytest.mark.parametrize("engine", ENGINES, ids=IDS)
def test_checkpoint_and_resume_give_the_uninterrupted_front(full_runs, engine, tmp_path):
    full, _ = full_runs[engine]
    search = _search(*engine)
    part, _ = _run(tmp_path / "p", search, stop=4)  # checkpoint at generation 3 and at the stop
    # a crash after generation 5 was logged but before its checkpoint: put generation 4's back
    ckpt = (tmp_path / "p" / "checkpoint.pkl").read_bytes()
    run_until_done(resume_state(RunDir.open(tmp_path / "p")), RunDir.open(tmp_path / "p"), stop_after_gen=5)
    (tmp_path / "p" / "checkpoint.pkl").write_bytes(ckpt)
    resumed = run_until_done(resume_state(RunDir.open(tmp_path / "p")), RunDir.open(tmp_path / "p"))
    for x, y in zip(front_arrays(full), front_arrays(resumed)):
        assert np.array_equal(x, y)
    assert resumed.gen == full.gen and resumed.problem.cache.n_unique == full.problem.cache.n_unique
    assert RunDir.open(tmp_path / "p").n_evaluations() == full.problem.cache.n_unique


def test_default_engine_is_the_nsga2_built_before_the_registry(tmp_path):
    """NSGA-II + "space" operators is exactly the engine's former NSGA-II (same objects, same draws)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2

    from evo_codesign.operators import (BlockUniformCrossover, CanonicalDuplicates, SpaceMutation, SpaceRepair,
                                        SpaceSampling)

    assert (BASE.algorithm, BASE.operators) == ("nsga2", "space")
    st, _ = _run(tmp_path / "new", BASE, seed=9)
    old = NSGA2(pop_size=BASE.pop_size, n_offsprings=BASE.pop_size, sampling=SpaceSampling(SPACE),
                crossover=BlockUniformCrossover(SPACE, prob=BASE.crossover_prob, swap_prob=BASE.swap_prob),
                mutation=SpaceMutation(SPACE, prob_var=None, long_jump=BASE.long_jump), repair=SpaceRepair(SPACE),
                eliminate_duplicates=CanonicalDuplicates(SPACE))
    problem = CodesignProblem(SPACE, EvaluationCache(SPACE, ToyEvaluator(SPACE)))
    old.setup(problem, termination=UniqueBudget(BASE.budget), seed=9, verbose=False)
    ref = run_until_done(type(st)(old, 0), None)
    for x, y in zip(front_arrays(st), front_arrays(ref)):
        assert np.array_equal(x, y)


def test_unknown_names_are_config_errors_naming_the_key():
    with pytest.raises(ConfigError, match=r"search\.algorithm.*nsga3"):
        load_config(overrides={"search.algorithm": "nsga4"})
    with pytest.raises(ConfigError, match=r"search\.operators.*pymoo-default"):
        load_config(overrides={"search.operators": "sbx"})
    # a config built in code skips validation: building the engine names the key too
    with pytest.raises(ConfigError, match=r"search\.algorithm: unknown value 'nsga4'; allowed: \['nsga2'"):
        algorithms.build_algorithm(SPACE, replace(BASE, algorithm="nsga4"), 2)


def test_a_registered_engine_is_accepted_and_runs(tmp_path):
    from pymoo.algorithms.moo.spea2 import SPEA2

    from evo_codesign.operators import CanonicalDuplicates, SpaceRepair, SpaceSampling

    def build_spea2(space, search, n_obj):
        crossover, mutation = algorithms.space_operators(space, search)
        return SPEA2(pop_size=search.pop_size, sampling=SpaceSampling(space), crossover=crossover, mutation=mutation,
                     repair=SpaceRepair(space), eliminate_duplicates=CanonicalDuplicates(space))

    algorithms.register("spea2-test", build_spea2, doc="SPEA2")
    try:
        search = load_config(overrides={"search.algorithm": "spea2-test", "search.pop_size": 16,
                                        "search.budget": 100}).search
        st, rd = _run(tmp_path / "s", search)
        assert 100 - 16 < st.problem.cache.n_unique <= 100
        with pytest.raises(ValueError, match="already registered"):
            algorithms.register("spea2-test", build_spea2)
    finally:
        algorithms.unregister("spea2-test")
    with pytest.raises(ConfigError, match="spea2-test"):
        load_config(overrides={"search.algorithm": "spea2-test"})


def test_offspring_per_generation_falls_back_to_the_population():
    assert algorithms.offspring_per_generation(SimpleNamespace(n_offsprings=7, pop_size=20)) == 7
    assert algorithms.offspring_per_generation(SimpleNamespace(pop_size=20)) == 20
    with pytest.raises(TypeError, match="n_offsprings nor pop_size"):
        algorithms.offspring_per_generation(SimpleNamespace())
    # the budget check with an engine that has only pop_size: 90 + 20 > 100 stops, 80 + 20 does not
    term = UniqueBudget(100)
    algo = SimpleNamespace(pop_size=20, n_gen=3, problem=SimpleNamespace(cache=SimpleNamespace(n_unique=90)))
    assert term.update(algo) == 1.0
    algo.problem.cache.n_unique = 80
    assert term.update(algo) == pytest.approx(0.8)


def test_reference_directions_have_one_per_population_member():
    for m, n in ((2, 16), (3, 10)):
        R = algorithms.reference_directions(m, n)
        assert R.shape == (n, m) and np.allclose(R.sum(axis=1), 1.0) and (R >= -1e-12).all()
        assert len(np.unique(np.round(R, 9), axis=0)) == n
    R2 = algorithms.reference_directions(2, 5)  # Das-Dennis: evenly spaced
    assert np.allclose(np.sort(R2[:, 0]), [0, 0.25, 0.5, 0.75, 1.0])
    algorithms._ref_dirs.cache_clear()  # recomputed, not cached: the same directions
    assert np.array_equal(algorithms.reference_directions(3, 10), R)


def test_moead_handles_constraints_by_feasibility_first(full_runs):
    st, _ = full_runs[("moead", "space")]
    assert st.problem.n_ieq_constr == 1  # pymoo's own MOEA/D refuses this problem
    G = st.algorithm.pop.get("G")
    assert (G <= 0).mean() >= 0.5  # the population moved to the feasible region


def test_tournaments_break_ties_from_the_algorithms_random_state():
    from pymoo.core.population import Population

    pop = Population.new("X", np.zeros((4, 1)))
    pop.set("CV", np.array([[0.0], [0.0], [2.0], [1.0]]), "F", np.zeros((4, 2)))
    P = np.array([[0, 1]] * 50 + [[2, 3]] * 5 + [[0, 2]] * 5)
    a = algorithms.cv_then_random_tournament(pop, P, random_state=np.random.default_rng(1))[:, 0]
    b = algorithms.cv_then_random_tournament(pop, P, random_state=np.random.default_rng(1))[:, 0]
    assert np.array_equal(a, b)
    assert set(a[:50]) == {0, 1}  # both feasible: a coin
    assert (a[50:55] == 3).all() and (a[55:] == 0).all()  # smaller violation wins


# -- pymoo's own minimize on the problem (README "Search engines") ---------------------------------

def test_pymoo_minimize_with_agemoea_on_the_problem():
    """The README example, on fewer generations."""
    from pymoo.algorithms.moo.age import AGEMOEA
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.optimize import minimize

    from evo_codesign.evaluate import build_evaluator
    from evo_codesign.operators import CanonicalDuplicates, SpaceRepair, SpaceSampling
    from evo_codesign.search import space_for

    cfg = load_config(overrides={"space.hardware": "dataflow"})
    space = space_for(cfg)
    evaluator = build_evaluator(cfg, space)

    def solve(repair):
        problem = CodesignProblem(space, EvaluationCache(space, evaluator))
        algorithm = AGEMOEA(pop_size=20, sampling=SpaceSampling(space),
                            crossover=SBX(eta=15, vtype=float, repair=RoundingRepair()),
                            mutation=PM(eta=15, vtype=float, repair=RoundingRepair()),
                            repair=repair, eliminate_duplicates=CanonicalDuplicates(space))
        return minimize(problem, algorithm, ("n_gen", 5), seed=1, verbose=False), problem

    res, problem = solve(SpaceRepair(space))
    X = np.rint(res.X).astype(np.int64)
    assert len(X) and space.is_valid(X).all()
    assert problem.cache.n_unique == 100  # 5 generations of 20 new designs, none twice
    assert res.F.shape[1] == 4 and (res.F[:, 0] < 0).all()  # minimisation form: accuracy negated
    again, _ = solve(SpaceRepair(space))
    assert np.array_equal(res.F, again.F)
    # pymoo's operators alone do not respect the genome (a cell node takes one input twice)
    with pytest.raises(GenomeError, match="twice"):
        solve(None)


# -- the strategy contract with non-default engines ------------------------------------------------
# two objectives: Das-Dennis reference directions, no s-energy optimisation in the test's time
TWO = ["accuracy", "latency"]


class TestContractMOEAD(StrategyContract):
    """MOEA/D with pymoo's SBX/PM on the fully coupled search."""

    @classmethod
    def contract_config(cls):
        return load_config(overrides={**CONTRACT_CONFIG, "search.algorithm": "moead",
                                      "search.operators": "pymoo-default", "search.objectives": TWO})

    @pytest.fixture(scope="class", params=["coupled"])
    @classmethod
    def strategy_name(cls, request):
        return request.param


class TestContractNSGA3(StrategyContract):
    """NSGA-III in both phases of XPert's two-phase search."""

    @classmethod
    def contract_config(cls):
        return load_config(overrides={**CONTRACT_CONFIG, "search.algorithm": "nsga3", "search.objectives": TWO})

    @pytest.fixture(scope="class", params=["two_phase"])
    @classmethod
    def strategy_name(cls, request):
        return request.param

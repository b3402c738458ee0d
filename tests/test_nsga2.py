"""evo_codesign.nsga2: NSGA-II's selection steps over arrays give pymoo's NSGA2 runs bit for bit."""

import pickle

import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.callback import Callback
from pymoo.core.problem import Problem
from pymoo.optimize import minimize

from evo_codesign.nsga2 import ArrayNSGA2, dominance_and_crowding_tournament


class _Coarse(Problem):
    """Objectives and constraints on a coarse grid: many equal objective vectors, equal crowding
    distances and equal violations, so every tie rule and coin of the tournament is exercised;
    about half the designs are infeasible at first."""

    def __init__(self, n_constr=1):
        super().__init__(n_var=6, n_obj=3, n_ieq_constr=n_constr, xl=0.0, xu=4.0)

    def _evaluate(self, x, out, *args, **kwargs):
        r = np.round(x)
        out["F"] = np.stack([r[:, 0] + r[:, 1], 4 - r[:, 0] + r[:, 2], np.abs(r[:, 3] - r[:, 4])], axis=1)
        if self.n_ieq_constr:
            out["G"] = np.stack([np.round(r[:, 5] - r[:, 1]) - 1.0], axis=1)


class _Trace(Callback):
    def __init__(self):
        super().__init__()
        self.pops = []

    def notify(self, algorithm):
        pop = algorithm.pop
        self.pops.append((pop.get("X").copy(), pop.get("F").copy(), pop.get("CV").copy(),
                          np.array([ind.get("rank") for ind in pop], dtype=object),
                          np.array([ind.get("crowding") for ind in pop], dtype=object), algorithm.opt.get("X").copy()))


@pytest.mark.parametrize("n_constr", [0, 1])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_array_nsga2_runs_are_pymoo_nsga2_runs_bit_for_bit(seed, n_constr):
    traces = []
    for algo in (NSGA2(pop_size=20, n_offsprings=14), ArrayNSGA2(pop_size=20, n_offsprings=14)):
        t = _Trace()
        minimize(_Coarse(n_constr), algo, ("n_gen", 25), seed=seed, callback=t)
        traces.append(t.pops)
    ref, got = traces
    assert len(ref) == len(got) == 25
    for a, b in zip(ref, got):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype or u.dtype == object
            assert np.array_equal(u, v)


def test_the_tournament_breaks_ties_with_the_algorithms_coins_in_order():
    class Algo:  # what the tournament reads of an algorithm
        tournament_type = "comp_by_dom_and_crowding"

    from pymoo.core.population import Population
    pop = Population.new(X=np.zeros((4, 1)), F=np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 2.0], [2.0, 2.0]]))
    for i, ind in enumerate(pop):
        ind.data["crowding"] = [1.0, 1.0, np.inf, 0.5][i]
    P = np.array([[0, 1], [0, 3], [2, 3], [1, 0], [2, 1]])
    for seed in (0, 1):
        algo = Algo()
        algo.random_state = np.random.default_rng(seed)
        S = dominance_and_crowding_tournament(pop, P, algo)
        rng = np.random.default_rng(seed)
        # 0 vs 1: equal objectives and crowding, a coin; 0 dominates 3; 2 and 3: 2 dominates;
        # 1 vs 0: a second coin; 2 vs 1: neither dominates, 2 is less crowded
        assert S.ravel().tolist() == [rng.choice([0, 1]), 0, 2, rng.choice([1, 0]), 2]
    with pytest.raises(ValueError, match="comp_by_rank_and_crowding"):
        algo.tournament_type = "comp_by_rank_and_crowding"
        dominance_and_crowding_tournament(pop, P, algo)


def test_the_algorithm_pickles_mid_run():
    algo = ArrayNSGA2(pop_size=10)
    algo.setup(_Coarse(), termination=("n_gen", 3), seed=5)
    algo.next()
    again = pickle.loads(pickle.dumps(algo))
    algo.next()
    again.next()
    assert np.array_equal(algo.pop.get("X"), again.pop.get("X"))


def test_violations_are_pymoos_cv_bit_for_bit():
    from pymoo.core.population import Population

    from evo_codesign.nsga2 import violations

    rng = np.random.default_rng(0)
    for k in (0, 1, 2, 3, 5, 8, 13, 40):
        G = rng.normal(size=(60, k)) * 10.0 ** rng.integers(-8, 8, size=(60, 1))
        ours, pymoos = Population.new(X=np.zeros((60, 1)), G=G), Population.new(X=np.zeros((60, 1)), G=G)
        assert np.array_equal(violations(ours), pymoos.get("CV")[:, 0])  # pymoo: one individual at a time
    eq = Population.new(X=np.zeros((3, 1)), G=np.ones((3, 1)), H=np.full((3, 1), 0.5))  # equalities: pymoo's own
    assert np.array_equal(violations(eq), eq.get("CV")[:, 0])


@pytest.mark.parametrize("seed", [1, 2])
def test_matings_of_several_rounds_are_pymoos_bit_for_bit(seed):
    """pymoo's integer recipe on a coarse grid: duplicate children are common, so a generation's
    mating runs several rounds of tournaments on one population, which read it once
    (``_tournament_arrays``); runs stay pymoo's own NSGA2's."""
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.operators.selection.tournament import TournamentSelection

    rounds = []

    def counting(pop, P, algorithm, **kwargs):
        rounds.append((algorithm.n_gen, bool(algorithm._mating_arrays)))  # was the population read already?
        return dominance_and_crowding_tournament(pop, P, algorithm, **kwargs)

    def recipe():
        return dict(pop_size=20, n_offsprings=14, sampling=IntegerRandomSampling(),
                    crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                    mutation=PM(eta=15, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)

    traces = []
    for algo in (NSGA2(**recipe()), ArrayNSGA2(selection=TournamentSelection(func_comp=counting), **recipe())):
        t = _Trace()
        res = minimize(_Coarse(1), algo, ("n_gen", 25), seed=seed, callback=t)
        traces.append(t.pops)
    ref, got = traces
    for a, b in zip(ref, got):
        for u, v in zip(a, b):
            assert np.array_equal(u, v)
    gens = [g for g, _ in rounds]
    assert max(gens.count(g) for g in set(gens)) > 1  # some mating took several rounds
    assert sum(again for _, again in rounds) == len(rounds) - len(set(gens))  # read once per mating
    assert res.algorithm._mating_arrays is None  # nothing of a mating outlives it (or is checkpointed)


def test_set_each_stores_what_pymoo_stores():
    from pymoo.core.population import Population

    from evo_codesign.nsga2 import set_each

    F = np.arange(12.0).reshape(4, 3)
    ours, pymoos = Population.new(X=np.zeros((4, 1))), Population.new(X=np.zeros((4, 1)))
    set_each(ours, "F", F)
    pymoos.set("F", F)
    assert all(np.array_equal(a.F, b.F) and a.F.flags["OWNDATA"] for a, b in zip(ours, pymoos))
    set_each(ours, "tag", [1, 2, 3, 4])  # not an attribute: pymoo keeps it in the individual's data
    assert [ind.get("tag") for ind in ours] == [1, 2, 3, 4]
    set_each(ours, "tag", 7)  # one value for all: pymoo's own broadcast
    assert [ind.get("tag") for ind in ours] == [7] * 4
    with pytest.raises(Exception, match="do not match"):
        set_each(ours, "F", F[:2])


def test_a_mating_population_with_an_unevaluated_individual_reads_only_the_tournaments():
    from pymoo.core.population import Population

    algo = ArrayNSGA2(pop_size=4)
    algo.random_state = np.random.default_rng(0)
    pop = Population.new(X=np.zeros((4, 1)), F=np.array([[1.0, 2.0], [2.0, 1.0], [0.0, 0.0], [3.0, 3.0]]))
    pop[3].F = np.array([])  # never evaluated, and in no tournament
    P = np.array([[0, 2], [1, 2]])
    algo._mating_arrays = ()  # as in a mating
    assert dominance_and_crowding_tournament(pop, P, algo).ravel().tolist() == [2, 2]
    assert algo._mating_arrays == ()  # nothing kept from a partial read

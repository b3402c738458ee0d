import numpy as np
import pytest
from pymoo.core.population import Population
from pymoo.core.problem import Problem

from evo_codesign.operators import (BlockUniformCrossover, CanonicalDuplicates, SpaceMutation, SpaceRepair,
                                    SpaceSampling)
from evo_codesign.space import canonicalize, make_space

SPACE = make_space("cell", "hybrid")
PROBLEM = Problem(n_var=SPACE.n_var, xl=SPACE.xl, xu=SPACE.xu, vtype=int)


def test_sampling_uses_random_state_only():
    a = SpaceSampling(SPACE).do(PROBLEM, 30, random_state=np.random.default_rng(1)).get("X")
    b = SpaceSampling(SPACE).do(PROBLEM, 30, random_state=np.random.default_rng(1)).get("X")
    assert np.array_equal(a, b) and SPACE.is_valid(a.astype(int)).all()
    with pytest.raises(TypeError, match="random_state"):
        SpaceSampling(SPACE)._do(PROBLEM, 3, random_state=None)


def test_crossover_keeps_nodes_whole_and_genes_from_parents():
    rng = np.random.default_rng(0)
    P = SPACE.sample(rng, 2 * 200)
    X = np.stack([P[:200], P[200:]])
    Q = BlockUniformCrossover(SPACE, swap_prob=0.5)._do(PROBLEM, X, random_state=rng)
    assert SPACE.is_valid(Q.reshape(-1, SPACE.n_var)).all()  # whole nodes move: no duplicate inputs
    assert ((Q[0] == X[0]) | (Q[0] == X[1])).all() and ((Q[1] == X[0]) | (Q[1] == X[1])).all()
    # children are complementary and something was swapped
    assert np.array_equal(np.sort(np.stack([Q[0], Q[1]]), 0), np.sort(X, 0))
    assert (Q[0] != X[0]).any()
    for block in SPACE.blocks():
        took_a = (Q[0][:, block] == X[0][:, block]).all(axis=1)
        took_b = (Q[0][:, block] == X[1][:, block]).all(axis=1)
        assert (took_a | took_b).all()


def test_mutation_respects_gene_kinds():
    rng = np.random.default_rng(0)
    X = SPACE.sample(rng, 2000)
    M = SpaceMutation(SPACE, prob_var=0.5, long_jump=0.0)._do(PROBLEM, X, random_state=rng)
    assert SPACE.is_valid(M).all()
    changed = M != X
    assert 0.35 < changed.mean() < 0.6
    ordinal = SPACE.ordinal_mask
    step = np.abs(M - X)[:, ordinal]
    assert step.max() == 1  # ordinal genes step to a neighbour (long_jump = 0)
    cat = ~ordinal
    assert changed[:, cat].any()


def test_repair_and_duplicates():
    rng = np.random.default_rng(2)
    X = SPACE.sample(rng, 5)
    raw = X.copy()
    raw[0, 0] = 100
    assert SPACE.is_valid(SpaceRepair(SPACE)._do(PROBLEM, raw)).all()
    # a design whose node edges are swapped is a duplicate of the original
    Y = X.copy()
    Y[1, 0:4] = X[1, [2, 3, 0, 1]]
    assert not np.array_equal(Y[1], X[1])
    assert np.array_equal(canonicalize(Y[1, :32]), canonicalize(X[1, :32]))
    pop = Population.new("X", np.vstack([X, Y[1:2]]))
    kept = CanonicalDuplicates(SPACE).do(pop)
    assert len(kept) == 5
    other = Population.new("X", X[:2])
    assert len(CanonicalDuplicates(SPACE).do(Population.new("X", X), other)) == 3


def _pymoo_do(cls, op, *args, **kwargs):
    """The operator's step as pymoo's own base class does it (per-individual get and set)."""
    return cls.do(op, *args, **kwargs)


@pytest.mark.parametrize("seed", range(6))
def test_operator_steps_are_pymoos_bit_for_bit(seed):
    from pymoo.core.crossover import Crossover
    from pymoo.core.mutation import Mutation
    from pymoo.core.repair import Repair
    rng = np.random.default_rng(seed)
    X = SPACE.sample(rng, 24)
    for genomes in (X, X.astype(float)):  # pymoo hands both kinds around
        parents = rng.integers(0, len(X), (11, 2))
        cx = BlockUniformCrossover(SPACE, prob=0.7)
        ours = cx.do(PROBLEM, Population.new("X", genomes), parents, random_state=np.random.default_rng(seed))
        theirs = _pymoo_do(Crossover, cx, PROBLEM, Population.new("X", genomes), parents,
                           random_state=np.random.default_rng(seed))
        assert ours.get("X").dtype == theirs.get("X").dtype
        assert np.array_equal(ours.get("X"), theirs.get("X"))
        assert all(ind.X.flags["OWNDATA"] for ind in ours)  # no child holds the batch
        mu = SpaceMutation(SPACE, prob=0.6, prob_var=0.2)
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        a = mu.do(PROBLEM, Population.new("X", genomes), random_state=r1)
        b = _pymoo_do(Mutation, mu, PROBLEM, Population.new("X", genomes), random_state=r2)
        assert np.array_equal(a.get("X"), b.get("X")) and a.get("X").dtype == b.get("X").dtype
        assert r1.random() == r2.random()  # the same draws, in the same number
        raw = genomes.copy()
        raw[::3, 40] = 99
        a = SpaceRepair(SPACE).do(PROBLEM, Population.new("X", raw))
        b = _pymoo_do(Repair, SpaceRepair(SPACE), PROBLEM, Population.new("X", raw))
        assert np.array_equal(a.get("X"), b.get("X")) and all(ind.X.flags["OWNDATA"] for ind in a)


def test_an_individual_carries_its_key_until_its_genome_is_set_anew():
    import copy
    import pickle

    from evo_codesign.operators import CanonicalKeys
    rng = np.random.default_rng(4)
    X = SPACE.sample(rng, 6)
    keys = CanonicalKeys(SPACE)
    pop = Population.new("X", X)
    first = keys.of_population(pop)
    assert first == keys(X)
    assert all(ind.__dict__["_evo_key"][0] is ind.X for ind in pop)
    # a new genome (pymoo always sets a new array) is keyed anew, not from what it carried
    pop[0].X = X[1].copy()
    assert keys.of_population(pop)[0] == first[1]
    # copies and checkpoints carry genome and key together
    for other in (copy.deepcopy(pop), pickle.loads(pickle.dumps(pop))):
        assert all(ind.__dict__["_evo_key"][0] is ind.X for ind in other)
        assert keys.of_population(other) == keys(other.get("X"))
    assert CanonicalKeys(SPACE).of_population(pop) == keys.of_population(pop)  # a fresh memory agrees


def test_operator_steps_take_a_seed_instead_of_a_random_state_as_pymoos_do():
    X = SPACE.sample(np.random.default_rng(8), 12)
    parents = np.array([[0, 1], [2, 3], [4, 5]])
    cx, mu = BlockUniformCrossover(SPACE), SpaceMutation(SPACE, prob_var=0.3)
    by_seed = cx.do(PROBLEM, Population.new("X", X), parents, seed=3).get("X")
    by_state = cx.do(PROBLEM, Population.new("X", X), parents, random_state=np.random.default_rng(3)).get("X")
    assert np.array_equal(by_seed, by_state)
    assert np.array_equal(mu.do(PROBLEM, Population.new("X", X), seed=4).get("X"),
                          mu.do(PROBLEM, Population.new("X", X), random_state=np.random.default_rng(4)).get("X"))

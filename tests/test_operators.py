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


def test_set_each_stores_what_pymoo_stores():
    from evo_codesign.operators import set_each

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

"""No inert gene: every hardware gene of the search space changes latency, energy, area or
feasibility for some design and network (a gene that never matters only dilutes the search)."""

import numpy as np
import pytest

from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.space.joint import make_space

SPACES = {"dataflow": make_space("cell", "dataflow"), "imc": make_space("cell", "imc")}


def _evaluator(hardware):
    return CodesignEvaluator(SPACES[hardware], ("latency", "energy", "area"), hardware=hardware)


def _hardware_genes(hardware):
    space = SPACES[hardware]
    return [(i, g) for i, g in enumerate(space.gene_names) if not g.startswith("cell.")]


@pytest.mark.parametrize("hardware", sorted(SPACES))
def test_every_hardware_gene_has_an_effect(hardware):
    space, ev = SPACES[hardware], _evaluator(hardware)
    X = space.sample(np.random.default_rng(0), 40)
    base = ev(X)
    inert = []
    for pos, name in _hardware_genes(hardware):
        moved = False
        for v in range(int(space.xl[pos]), int(space.xu[pos]) + 1):
            Y = X.copy()
            Y[:, pos] = v
            b = ev(Y)
            changed = Y[:, pos] != X[:, pos]
            diff = (np.abs(b.F - base.F) > 1e-12 * np.abs(base.F)).any(axis=1) | \
                (np.sign(b.G) != np.sign(base.G)).any(axis=1)
            if (diff & changed).any():
                moved = True
                break
        if not moved:
            inert.append(name)
    assert not inert, f"genes without any effect on {hardware}: {inert}"

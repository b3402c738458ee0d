"""Contract every accuracy surrogate passes (:class:`SurrogateContract`): provide a ``surrogate``
fixture (an instance). Predictions are float64 of shape (n,), finite, in [0, 100] %, the same in a
batch as one by one and on a second call; inputs are not modified; an invalid cell is refused with
a :class:`~evo_codesign.space.base.GenomeError`; ``describe()`` is JSON-serialisable and says
what the model was fit on; the surrogate pickles (checkpoints and workers need it)."""

from __future__ import annotations

import json
import pickle

import numpy as np

from ..space.base import GenomeError
from ..space.cell import CellSegment

__all__ = ["SurrogateContract", "check_surrogate"]


def _cells(n: int, seed: int = 0) -> np.ndarray:
    return CellSegment().sample(np.random.default_rng(seed), n)


def check_surrogate(surrogate, n: int = 16) -> None:
    X = _cells(n)
    before = X.copy()
    acc = surrogate.predict(X)
    assert np.array_equal(X, before), f"{surrogate.name}: predict() modified its input"
    assert isinstance(acc, np.ndarray) and acc.dtype == np.float64 and acc.shape == (n,), \
        f"{surrogate.name}: predict() must return float64 of shape ({n},), got {getattr(acc, 'shape', acc)}"
    assert np.isfinite(acc).all() and ((acc >= 0) & (acc <= 100)).all(), f"{surrogate.name}: accuracy out of [0, 100]"
    one = np.concatenate([surrogate.predict(X[i:i + 1]) for i in range(n)])
    assert np.allclose(one, acc, rtol=0, atol=1e-9), f"{surrogate.name}: a batch differs from one by one"
    assert np.array_equal(surrogate.predict(X), acc), f"{surrogate.name}: predictions are not deterministic"
    bad = X[:1].copy()
    bad[0, 1] = 99  # an input index no node has
    try:
        surrogate.predict(bad)
    except GenomeError:
        pass
    else:
        raise AssertionError(f"{surrogate.name}: an invalid cell was not refused with GenomeError")
    d = surrogate.describe()
    json.dumps(d)
    assert isinstance(d, dict) and d, f"{surrogate.name}: describe() must say what the model was fit on"
    again = pickle.loads(pickle.dumps(surrogate))
    assert np.array_equal(again.predict(X), acc), f"{surrogate.name}: a pickled copy predicts differently"


class SurrogateContract:
    """pytest contract: provide a ``surrogate`` fixture."""

    def test_surrogate(self, surrogate):
        check_surrogate(surrogate)

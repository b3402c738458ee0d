"""Contract every hardware backend passes (:class:`BackendContract`).

Subclass it in a test module with a ``backend`` fixture returning the
:class:`~evo_codesign.backends.HardwareBackend` to check; pytest collects the ``test_*`` methods.
Each check is also a plain function (``check_*``), and :func:`check_backend` runs them all.
"""

from __future__ import annotations

import copy

import numpy as np

from ..backends import Costs, HardwareBackend
from ..space.joint import make_space
from ._data import designs, workload_of

__all__ = ["BackendContract", "check_backend", "check_finite_positive", "check_batch_is_one_by_one",
           "check_no_input_mutation", "check_monotone", "check_validate", "check_report"]

N_DESIGNS = 24
COST_FIELDS = ("latency_ns", "energy_pj", "area_um2", "adc_energy_pj", "buffer_violation")


def _cost(backend: HardwareBackend, neural: str = "cell", n: int = N_DESIGNS, seed: int = 0):
    space, X = designs(neural, backend.name, n, seed)
    wl = workload_of(space, X)
    return space, X, wl, backend.cost(space, X, wl)


def check_finite_positive(backend: HardwareBackend) -> None:
    """Latency, energy and area are finite and > 0, the rest finite and >= 0, one value per design,
    for random valid designs of the cell and the backbone space."""
    for neural in ("cell", "backbone"):
        space, X, _, c = _cost(backend, neural)
        assert isinstance(c, Costs), f"{backend.name}: cost() must return Costs, got {type(c).__name__}"
        for f in COST_FIELDS:
            v = np.asarray(getattr(c, f))
            assert v.shape == (len(X),), f"{backend.name} ({neural}): {f} has shape {v.shape}, want ({len(X)},)"
            assert np.isfinite(v).all(), f"{backend.name} ({neural}): {f} is not finite"
            if f in ("latency_ns", "energy_pj", "area_um2"):
                assert (v > 0).all(), f"{backend.name} ({neural}): {f} must be positive, min {v.min()}"
            else:
                assert (v >= 0).all(), f"{backend.name} ({neural}): {f} must be >= 0, min {v.min()}"
        if backend.has_crossbars:
            G = len(space["imc"].groups)
            assert c.knobs is not None and c.knobs.shape[:2] == (len(X), G), f"{backend.name}: knobs missing"
            assert c.crossbar_macs_by_group is not None and c.crossbar_macs_by_group.shape == (len(X), G)


def check_batch_is_one_by_one(backend: HardwareBackend) -> None:
    """A batch costs exactly what its designs cost one at a time."""
    space, X, wl, c = _cost(backend, n=8, seed=1)
    for i in range(len(X)):
        one = backend.cost(space, X[i:i + 1], wl.rows(slice(i, i + 1)))
        for f in COST_FIELDS:
            assert np.array_equal(np.asarray(getattr(one, f)), np.asarray(getattr(c, f))[i:i + 1]), \
                f"{backend.name}: design {i}'s {f} differs between a batch and one by one"


def check_no_input_mutation(backend: HardwareBackend) -> None:
    """cost() leaves the genomes, shapes and counts it is given as they were."""
    space, X = designs("cell", backend.name, 8, seed=2)
    wl = workload_of(space, X)
    before = (X.copy(), copy.deepcopy(wl))
    backend.cost(space, X, wl)
    assert np.array_equal(X, before[0]), f"{backend.name}: cost() modified X"
    for f in ("shapes", "counts", "unit", "live_elements", "input_elements", "output_elements"):
        assert np.array_equal(getattr(wl, f), getattr(before[1], f)), f"{backend.name}: cost() modified workload.{f}"


def check_monotone(backend: HardwareBackend, n: int = 40) -> None:
    """Every documented :class:`~evo_codesign.backends.Monotone` holds on random designs."""
    for m in backend.monotone:
        space, X = designs("cell", backend.name, n, seed=3)
        pos = list(space.gene_names).index(m.gene)
        up = X[:, pos] < space.xu[pos]
        if not up.any():
            continue
        X0, X1 = X[up], X[up].copy()
        X1[:, pos] += 1
        wl = workload_of(space, X0)
        a = np.asarray(getattr(backend.cost(space, X0, wl), m.cost))
        b = np.asarray(getattr(backend.cost(space, X1, wl), m.cost))
        tol = 1e-12 * np.maximum(np.abs(a), 1.0)
        bad = (b < a - tol) if m.direction > 0 else (b > a + tol)
        assert not bad.any(), (f"{backend.name}: raising {m.gene} moved {m.cost} against its documented direction "
                               f"for {int(bad.sum())} of {len(a)} designs ({m.why})")


def check_validate(backend: HardwareBackend) -> None:
    """validate() accepts the backend's own space and refuses one without its segments."""
    space = make_space("cell", backend.name)
    backend.validate(space)
    try:
        backend.validate(make_space("cell", None))
    except ValueError:
        return
    raise AssertionError(f"{backend.name}: validate() accepted a space without the segments {backend.segments}")


def check_report(backend: HardwareBackend) -> None:
    """report() on the default description (an empty table) gives one row per layer and a total
    whose energy is at least the sum of the rows'; skipped for backends without a description."""
    from ..errors import UsageError
    from ..workload import cell_network

    space = make_space("cell", None)
    net = cell_network(space.sample(np.random.default_rng(4)), "nb301")
    try:
        rows, total = backend.report({"target": backend.name}, net.layers, list(net.names))
    except UsageError as e:
        if "no design description" in str(e):
            return
        raise
    assert len(rows) == len(net.layers) and total["name"] == "total"
    assert total["energy_pj"] >= sum(r["energy_pj"] for r in rows) * (1 - 1e-12)
    assert all(np.isfinite(r["latency_ns"]) and r["latency_ns"] >= 0 for r in rows)


CHECKS = (check_finite_positive, check_batch_is_one_by_one, check_no_input_mutation, check_monotone, check_validate,
          check_report)


def check_backend(backend: HardwareBackend) -> None:
    """Every check of the contract, in order."""
    for check in CHECKS:
        check(backend)


class BackendContract:
    """pytest contract: provide a ``backend`` fixture."""

    def test_finite_positive_costs(self, backend):
        check_finite_positive(backend)

    def test_batch_is_one_by_one(self, backend):
        check_batch_is_one_by_one(backend)

    def test_no_input_mutation(self, backend):
        check_no_input_mutation(backend)

    def test_documented_monotone(self, backend):
        check_monotone(backend)

    def test_validate(self, backend):
        check_validate(backend)

    def test_report(self, backend):
        check_report(backend)

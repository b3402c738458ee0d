"""Small shared inputs of the contract suites: sampled designs and their workloads."""

from __future__ import annotations

import numpy as np

from ..space.joint import JointSpace, make_space

__all__ = ["designs", "workload_of"]


def designs(neural: str, hardware: str, n: int, seed: int = 0) -> tuple[JointSpace, np.ndarray]:
    """A joint space and ``n`` valid genomes sampled from it (``numpy.random.default_rng(seed)``)."""
    space = make_space(neural, hardware)
    return space, space.sample(np.random.default_rng(seed), n)


def workload_of(space: JointSpace, X: np.ndarray, protocol: str = "nb301"):
    """The designs' networks (a :class:`~evo_codesign.workload.liveness.Workload`), as the evaluator builds them."""
    from ..evaluate import CodesignEvaluator

    # latency needs nothing but the hardware: the cheapest evaluator that knows the workload
    ev = CodesignEvaluator(space, ("latency", "energy"), protocol=protocol, buffer_capacity=False)
    return ev.workload(X)

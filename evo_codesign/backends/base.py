"""Hardware backends: what a hardware target adds to the genome and how its designs are costed.

A :class:`HardwareBackend` names the genome segments it reads (``segments``), the constraints it
can produce, the monotonic behaviour it promises (``monotone``, checked by
:class:`evo_codesign.testing.BackendContract`), and two ways to cost:

* :meth:`~HardwareBackend.cost` for the search: genomes ``X`` of a joint space and their networks
  as a :class:`~evo_codesign.workload.liveness.Workload`: the shape vocabulary ``shapes`` (a
  ``LAYER_DTYPE`` table), ``counts`` (n_designs, n_shapes), how many instances of each shape each
  design's network has, and the live activations per residency unit (what an on-chip buffer must
  hold). Returns :class:`Costs`, one value per design. Pure: arrays in, arrays out, inputs never
  modified.
* :meth:`~HardwareBackend.report` for ``evo-codesign cost``: one design described in TOML (any
  positive sizes, not only genome choices) and one network's layers; per-layer rows and a total.

Backends register under their target name (``[space] hardware = NAME``); registering one also
registers its hardware target with the space (:func:`evo_codesign.space.joint.register_hardware`),
so ``make_space`` builds its segments.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from ..errors import UsageError
from ..objectives import CROSSBAR_TARGETS
from ..registry import Registry
from ..space.joint import NEURAL_SPACES, JointSpace, register_hardware, unregister_hardware
from ..workload.liveness import Workload

__all__ = ["Costs", "Monotone", "HardwareBackend", "register", "unregister", "get", "available", "for_space"]


@dataclass
class Costs:
    """Per-design costs of a batch (each array ``(n,)``): ``latency_ns`` of one inference,
    ``energy_pj`` per inference, ``area_um2``, ``adc_energy_pj`` (0 without crossbars),
    ``buffer_violation`` (``> 0``: a tile overflows a buffer; 0 where the backend has none),
    and for chips with crossbars ``knobs`` (n, n_groups, 7; :data:`evo_codesign.cost.crossbar.KNOBS`)
    and ``crossbar_macs_by_group`` (n, n_groups): each precision group's share of the network's
    MACs that runs on crossbars (what the precision model weighs)."""

    latency_ns: np.ndarray
    energy_pj: np.ndarray
    area_um2: np.ndarray
    adc_energy_pj: np.ndarray
    buffer_violation: np.ndarray
    knobs: np.ndarray | None = None
    crossbar_macs_by_group: np.ndarray | None = None
    dram_bytes: np.ndarray | None = None           # (n,) off-chip traffic per inference, where modelled
    energy_breakdown_pj: dict | None = None        # name -> (n,) pJ per level, where modelled


@dataclass(frozen=True)
class Monotone:
    """A documented monotonic behaviour: raising ``gene`` (joint name, an ordinal gene) one step,
    all else equal, never moves ``cost`` (a :class:`Costs` field) the other way than ``direction``
    (``+1`` non-decreasing, ``-1`` non-increasing). ``why`` says where it comes from."""

    gene: str
    cost: str
    direction: int
    why: str


class HardwareBackend(ABC):
    """One hardware target. Subclasses set the class attributes and implement :meth:`cost`."""

    name: ClassVar[str]
    #: genome segments the backend reads, in genome order (e.g. ``("accelerator",)``)
    segments: ClassVar[tuple[str, ...]]
    description: ClassVar[str] = ""
    #: constraint names the backend's costs can produce (the evaluator adds them when enabled)
    constraints: ClassVar[tuple[str, ...]] = ()
    #: True when the chip has crossbars (objectives such as ``precision_drop`` need them)
    has_crossbars: ClassVar[bool] = False
    monotone: ClassVar[tuple[Monotone, ...]] = ()

    def validate(self, space: JointSpace) -> None:
        """Raise :class:`UsageError` unless ``space`` holds every segment this backend reads."""
        missing = [s for s in self.segments if s not in space]
        if missing:
            raise UsageError(f"hardware {self.name!r} needs the genome segment(s) {missing}; the space has "
                             f"{[s.name for s in space.segments]}")

    @abstractmethod
    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        """Costs of each design's network (see the module docstring). ``constants``: overrides per
        engine, ``{"dataflow": {...}, "imc": {...}}``."""

    def cost_pairs(self, space: JointSpace, X_hw: np.ndarray, workload: Workload, ci: np.ndarray, hi: np.ndarray, *,
                   constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        """Costs of the pairs ``(ci[p], hi[p])``: network ``ci[p]`` of ``workload`` on the hardware of
        genome ``X_hw[hi[p]]`` (only its hardware segments are read). What an enumeration of
        networks x designs and a batch with repeated designs call, so a backend that costs each
        unique design once (:class:`~evo_codesign.backends.dataflow.DataflowBackend`) overrides it.
        The default expands the pairs and calls :meth:`cost`. A pair's costs must not depend on the
        other pairs (the search and the exact fronts then agree bit for bit)."""
        return self.cost(space, np.asarray(X_hw)[hi], workload.rows(ci), constants=constants)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
               live_elements: np.ndarray | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Per-layer rows and the total row of one described design (``evo-codesign cost``).
        ``live_elements`` (per layer): the activation elements live while it runs, from the
        network's graph (an ONNX model's tensor lifetimes); default each layer's input + output."""
        raise UsageError(f"hardware {self.name!r} has no design description for the cost command")


_REGISTRY: Registry[HardwareBackend] = Registry("hardware target")


def register(backend: HardwareBackend, *, replace: bool = False) -> HardwareBackend:
    """Make ``backend`` the hardware target ``backend.name``."""
    _REGISTRY.add(backend.name, backend, replace=replace)
    register_hardware(backend.name, backend.segments, replace=True)
    if backend.has_crossbars:
        CROSSBAR_TARGETS.add(backend.name)
    return backend


def unregister(name: str) -> None:
    """Remove a registered backend (tests that register toy ones clean up with this)."""
    _REGISTRY.remove(name)
    unregister_hardware(name)
    if name not in ("imc", "hybrid"):
        CROSSBAR_TARGETS.discard(name)


def get(name: str) -> HardwareBackend:
    return _REGISTRY.get_entry(name)


def available() -> list[str]:
    return _REGISTRY.names()


def for_space(space: JointSpace) -> HardwareBackend:
    """The backend whose segments are exactly the space's hardware segments."""
    hw = tuple(s.name for s in space.segments if s.name not in NEURAL_SPACES)
    for b in _REGISTRY.values():
        if tuple(b.segments) == hw:
            return b
    raise UsageError(f"no hardware backend reads exactly the segments {list(hw)}; registered: "
                     f"{ {n: list(b.segments) for n, b in _REGISTRY.items()} }")

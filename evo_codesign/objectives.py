"""Objectives: the one place that knows "accuracy is maximised, in %".

An :class:`Objective` names what it measures, its sense, unit and label, what the space must have
for it to exist (``needs``), and the function from the evaluator's per-design metrics (natural
units, see :meth:`evo_codesign.evaluate.CodesignEvaluator.metrics`) to its value. Configs,
the evaluator, result frames, plots, tuning and scoring read sense, unit and label from here.

Adding an objective is one :func:`register` call (in this module or your own)::

    from evo_codesign.objectives import Objective, register
    register(Objective("latency_us", "min", "us", "latency", ("latency_ms",),
                       lambda m: m["latency_ms"] * 1e3))

and ``evo_codesign.testing.ObjectiveContract`` checks it on the real evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from .registry import Registry

__all__ = ["Objective", "NEEDS", "register", "unregister", "get", "available", "senses", "unmet_need", "OBJECTIVES",
           "ObjectivesByName", "CROSSBAR_TARGETS"]

#: What an objective can need from the space, and the message when the space lacks it.
NEEDS: dict[str, str] = {
    "cell": "the NB301 cell space (space.neural = 'cell')",
    "backbone": "the backbone space (space.neural = 'backbone')",
    "surrogate": "an accuracy surrogate (cell space)",
    "crossbars": "crossbars (space.hardware = 'imc' or 'hybrid')",
}


@dataclass(frozen=True)
class Objective:
    """One objective. ``value(metrics)`` gives it in natural units and sense; ``metrics`` names
    the per-design metrics it reads; ``needs`` what the space must have (keys of :data:`NEEDS`)."""

    name: str
    sense: str
    unit: str
    label: str
    metrics: tuple[str, ...]
    value: Callable[[Mapping], object]
    needs: tuple[str, ...] = ()
    hint: str = ""  # said when a need is unmet (which objective to use instead)

    def __post_init__(self) -> None:
        if self.sense not in ("min", "max"):
            raise ValueError(f"objective {self.name!r}: sense must be 'min' or 'max', got {self.sense!r}")
        unknown = [n for n in self.needs if n not in NEEDS]
        if unknown:
            raise ValueError(f"objective {self.name!r}: unknown need(s) {unknown}; allowed: {list(NEEDS)}")

    @property
    def sign(self) -> float:
        """Multiplier from natural sense to minimisation form (and back)."""
        return -1.0 if self.sense == "max" else 1.0

    def minimised(self, metrics: Mapping):
        """The objective in minimisation form (maximised objectives negated)."""
        return -self.value(metrics) if self.sense == "max" else self.value(metrics)


_REGISTRY: Registry[Objective] = Registry("objective")


def register(objective: Objective, *, replace: bool = False) -> Objective:
    """Make ``objective`` available to configs and evaluators under its name."""
    return _REGISTRY.add(objective.name, objective, replace=replace)


def unregister(name: str) -> None:
    """Remove a registered objective (tests that register toy ones clean up with this)."""
    _REGISTRY.remove(name)


def get(name: str) -> Objective:
    return _REGISTRY.get_entry(name)


def available() -> list[str]:
    return _REGISTRY.names()


def senses(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(get(n).sense for n in names)


#: hardware targets whose chips have crossbars (hardware backends add theirs when they register)
CROSSBAR_TARGETS: set[str] = {"imc", "hybrid"}


def unmet_need(objective: Objective, *, neural: str | None, hardware: str | None) -> str | None:
    """Why the space (``neural``, ``hardware``) cannot give this objective, or None."""
    have = {neural, "surrogate" if neural == "cell" else "", "crossbars" if hardware in CROSSBAR_TARGETS else ""}
    missing = [n for n in objective.needs if n not in have]
    if not missing:
        return None
    msg = f"{objective.name!r} needs {' and '.join(NEEDS[n] for n in missing)}"
    return f"{msg}; {objective.hint}" if objective.hint else msg


for _o in (
    Objective("accuracy", "max", "%", "CIFAR-10 accuracy (NB301 surrogate)", ("accuracy",),
              lambda m: m["accuracy"], needs=("cell", "surrogate"),
              hint="the backbone has no accuracy surrogate, use 'capacity_proxy' (a parameter-count proxy)"),
    Objective("capacity_proxy", "max", "M params", "capacity proxy: parameter count (not an accuracy)",
              ("params_m",), lambda m: m["params_m"], needs=("backbone",),
              hint="it is the backbone's objective; use 'accuracy' with cells"),
    Objective("latency", "min", "ms", "latency", ("latency_ms",), lambda m: m["latency_ms"]),
    # inferences per second in the steady state: 1 / latency one at a time, 1 / slowest stage when a
    # crossbar chip is pipelined (evo_codesign/cost/crossbar.py)
    Objective("throughput", "max", "inferences/s", "steady-state throughput", ("throughput_per_s",),
              lambda m: m["throughput_per_s"]),
    Objective("energy", "min", "mJ", "energy per inference", ("energy_mj",), lambda m: m["energy_mj"]),
    Objective("area", "min", "mm2", "chip area", ("area_mm2",), lambda m: m["area_mm2"]),
    Objective("edp", "min", "mJ*ms", "energy-delay product", ("energy_mj", "latency_ms"),
              lambda m: m["energy_mj"] * m["latency_ms"]),
    Objective("edap", "min", "mJ*ms*mm2", "energy-delay-area product", ("energy_mj", "latency_ms", "area_mm2"),
              lambda m: m["energy_mj"] * m["latency_ms"] * m["area_mm2"]),
    Objective("precision_drop", "min", "pp",
              "accuracy lost to crossbar input/ADC precision", ("precision_drop_pp",),
              lambda m: m["precision_drop_pp"], needs=("crossbars",)),
    # NASLib-convention FLOPs: what hardware-agnostic NAS (decoupled search's phase 1) trades
    # accuracy against.
    Objective("flops", "min", "M FLOPs", "FLOPs (NASLib convention)", ("flops_m",), lambda m: m["flops_m"],
              needs=("cell",)),
):
    register(_o)


class ObjectivesByName:
    """Mixin for evaluators that keep the :class:`Objective` entries of their ``objective_names``
    in ``_objectives``: they pickle by name (value functions may be lambdas, which do not pickle,
    and checkpoints and worker processes pickle the evaluator) and are looked up again on load."""

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_objectives", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._objectives = [get(o) for o in self.objective_names]


class _ObjectiveTable(Mapping):
    """Read-only ``name -> (sense, unit, label)`` view of the registry (the earlier ``config.OBJECTIVES``)."""

    def __getitem__(self, name: str) -> tuple[str, str, str]:
        o = _REGISTRY[name]
        return (o.sense, o.unit, o.label)

    def __iter__(self):
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


OBJECTIVES: Mapping[str, tuple[str, str, str]] = _ObjectiveTable()

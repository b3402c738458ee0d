"""Genomes -> objectives ``F`` and constraints ``G``: workload, cost kernels, surrogate.

No pymoo here: reference-front enumeration and every strategy share this one evaluation path.

Pipeline for a batch ``X`` of joint genomes:

1. **Workload.** Cells map to instance counts over one shared vocabulary of layer shapes
   (:class:`~evo_codesign.workload.batch.CellWorkload`); backbones are built and deduplicated
   together (:func:`~evo_codesign.workload.layers.unique_across`). Each design's network is then
   ``counts[i] @ per-shape cost``.
2. **Hardware.** ``dataflow``: every layer on the PE array (:mod:`evo_codesign.cost.dataflow`).
   ``imc``: every layer on crossbar tiles, depthwise convolutions and pools included
   (:mod:`evo_codesign.cost.crossbar`). ``hybrid``: the rule of :mod:`evo_codesign.cost.hybrid`
   (dense and pointwise convolutions and the classifier on crossbars; depthwise convolutions and
   pools on the PE array); latencies and energies add, areas add.
3. **Accuracy** (cell space): the NB301 surrogate's prediction minus the precision degradation of
   :mod:`evo_codesign.precision` for the crossbar part (weighted by each stage's share of the MACs),
   unless the config switches it off. The backbone has no accuracy surrogate: its ``capacity_proxy``
   objective is the parameter count, a proxy, and is labelled so. The ``precision_drop`` objective
   is that degradation on its own (any space with crossbars; XPert's phase 2 trades it).
4. **Objectives** (minimisation form; maximised ones negated) and **constraints** (``G <= 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .config import OBJECTIVES, Config
from .cost import crossbar as xb
from .cost import dataflow as df
from .cost.hybrid import combine, crossbar_leakage_uw, crossbar_mask
from .problem import EvalBatch
from .space.imc import IMC_KNOBS, ImcSegment
from .space.joint import JointSpace
from .workload.backbone import backbone_network
from .workload.batch import VOCAB_FIELDS, cell_workload
# On an IMC-only chip only the MAC layers hold weights on crossbars (pools stream digitally).
from .workload.layers import MAC_OPS, layer_macs, layer_weight_params, unique_across

__all__ = ["CodesignEvaluator", "build_evaluator", "imc_knob_array"]


def imc_knob_array(seg: ImcSegment, X: np.ndarray) -> np.ndarray:
    """Vectorised ``(n, n_groups, 7)`` crossbar knob array straight from IMC genes (no decode)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.int64))
    n, G = len(X), len(seg.groups)
    out = np.empty((n, G, len(xb.KNOBS)))
    for j, knob in enumerate(xb.KNOBS):
        choices = IMC_KNOBS[knob][0]
        table = np.array([xb._knob_value(knob, c) for c in choices])
        if knob in seg.per_group:
            pos = [seg.position(f"{knob}.{g}") for g in seg.groups]
            out[:, :, j] = table[X[:, pos]]
        else:
            out[:, :, j] = table[X[:, seg.position(knob)]][:, None]
    return out


@dataclass
class _Costs:
    latency_ns: np.ndarray
    energy_pj: np.ndarray
    area_um2: np.ndarray
    adc_energy_pj: np.ndarray
    buffer_violation: np.ndarray
    crossbar_macs_by_group: np.ndarray | None = None  # (n, G)


@dataclass(eq=False)  # hashable by identity: dask's joblib backend hashes the task function
class CodesignEvaluator:
    """Evaluates joint genomes of one :class:`JointSpace` for a chosen hardware target."""

    space: JointSpace
    objectives: tuple[str, ...]
    protocol: str = "nb301"
    surrogate: Any = None
    degradation: bool = True
    area_mm2_max: float = math.inf
    power_mw_max: float = math.inf
    accuracy_min: float = 0.0
    buffer_capacity: bool = True
    imc_constants: Mapping[str, float] | None = None
    objective_names: tuple[str, ...] = field(init=False)
    objective_senses: tuple[str, ...] = field(init=False)
    constraint_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.space
        self.neural = "cell" if "cell" in s else ("backbone" if "backbone" in s else None)
        self.target = ("hybrid" if "accelerator" in s and "imc" in s else "dataflow" if "accelerator" in s
                       else "imc" if "imc" in s else None)
        if self.neural is None or self.target is None:
            raise ValueError(f"evaluating needs a neural and a hardware segment, got {s!r}")
        unknown = [o for o in self.objectives if o not in OBJECTIVES]
        if unknown:
            raise ValueError(f"unknown objective(s) {unknown}; allowed: {list(OBJECTIVES)}")
        if "accuracy" in self.objectives and self.neural != "cell":
            raise ValueError("'accuracy' needs the cell space; the backbone uses 'capacity_proxy'")
        if "precision_drop" in self.objectives and self.target == "dataflow":
            raise ValueError("'precision_drop' needs crossbars (hardware 'imc' or 'hybrid')")
        if ("accuracy" in self.objectives or self.accuracy_min > 0) and self.surrogate is None:
            raise ValueError("an accuracy objective or constraint needs a surrogate")
        self.objective_names = tuple(self.objectives)
        self.objective_senses = tuple(OBJECTIVES[o][0] for o in self.objectives)
        cons = []
        if math.isfinite(self.area_mm2_max):
            cons.append("area_mm2")
        if math.isfinite(self.power_mw_max):
            cons.append("power_mw")
        if self.accuracy_min > 0:
            cons.append("accuracy_min")
        if self.buffer_capacity and self.target in ("dataflow", "hybrid"):
            cons.append("buffer_capacity")
        self.constraint_names = tuple(cons)

    # -- pieces ------------------------------------------------------------------------------
    def workload(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(shapes, counts[n, n_shapes]) of the designs' networks."""
        if self.neural == "cell":
            W = cell_workload(self.protocol)
            return W.shapes, W.counts(X[:, self.space.slices["cell"]])
        seg = self.space["backbone"]
        Xb = X[:, self.space.slices["backbone"]]
        uniq, inv = np.unique(Xb, axis=0, return_inverse=True)
        nets = [backbone_network(seg.decode(x)["channels"]) for x in uniq]
        shapes, counts = unique_across([n.layers for n in nets], fields=VOCAB_FIELDS)
        return shapes, counts[inv.reshape(-1)]

    def _crossbar(self, X: np.ndarray, shapes: np.ndarray, counts: np.ndarray) -> tuple[xb.CrossbarResult, np.ndarray]:
        knobs = imc_knob_array(self.space["imc"], X[:, self.space.slices["imc"]])
        return xb.crossbar_cost(knobs, shapes, counts, constants=self.imc_constants), knobs

    def _dataflow(self, X: np.ndarray, shapes: np.ndarray, counts: np.ndarray) -> df.DataflowResult:
        return df.evaluate_designs(X[:, self.space.slices["accelerator"]], shapes, counts)

    def hardware(self, X: np.ndarray, shapes: np.ndarray, counts: np.ndarray) -> tuple[_Costs, np.ndarray | None]:
        n = len(X)
        zeros = np.zeros(n)
        knobs = None
        if self.target == "imc":
            r, knobs = self._crossbar(X, shapes, counts)
            costs = _Costs(r.total("latency_ns"), r.total("energy_pj"), r.total("area_um2"), r.total("e_adc_pj"),
                           zeros, self._macs_by_group(shapes, counts, np.isin(shapes["op"], MAC_OPS)))
            return costs, knobs
        if self.target == "dataflow":
            d = self._dataflow(X, shapes, counts)
            return _Costs(d.latency_ns, d.energy_pj, d.area_um2, zeros, d.buffer_violation), None
        mask = crossbar_mask(shapes)
        r, knobs = self._crossbar(X, shapes[mask], counts[:, mask])
        d = self._dataflow(X, shapes[~mask], counts[:, ~mask])
        tot = combine(r.total("latency_ns"), r.total("energy_pj"), r.total("area_um2"), d.latency_ns, d.energy_pj,
                      d.area_um2, crossbar_leakage_power_uw=crossbar_leakage_uw(r.total("area_um2"),
                                                                                self.imc_constants))
        costs = _Costs(tot["latency_ns"], tot["energy_pj"], tot["area_um2"], r.total("e_adc_pj"),
                       d.buffer_violation, self._macs_by_group(shapes, counts, mask))
        return costs, knobs

    def _macs_by_group(self, shapes: np.ndarray, counts: np.ndarray, on_crossbar: np.ndarray) -> np.ndarray:
        """(n, n_groups) fraction of each design's MACs that run on crossbars, per precision group."""
        G = len(self.space["imc"].groups)
        m = layer_macs(shapes).astype(float)
        total = counts @ m
        out = np.zeros((len(counts), G))
        for g in range(G):
            sel = on_crossbar & (shapes["group"] == g)
            out[:, g] = counts[:, sel] @ m[sel]
        return out / np.where(total > 0, total, 1.0)[:, None]

    def precision_drop(self, knobs: np.ndarray | None, mac_frac: np.ndarray | None, n: int) -> np.ndarray:
        """Accuracy lost to crossbar input/ADC precision, percentage points per design (0 without
        crossbars or with degradation switched off)."""
        if not (self.degradation and knobs is not None and mac_frac is not None):
            return np.zeros(n)
        from .precision import accuracy_drop
        k = {name: knobs[:, :, j] for j, name in enumerate(xb.KNOBS)}
        return accuracy_drop(k["input_bits"].astype(int), k["adc_bits"].astype(int),
                             weight_bits=k["weight_bits"][:, :1].astype(int),
                             cell_bits=k["cell_bits"][:, :1].astype(int),
                             crossbar_size=k["crossbar_size"][:, :1].astype(int), macs_fraction=mac_frac)

    def accuracy(self, X: np.ndarray, knobs: np.ndarray | None, mac_frac: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(accuracy %, precision drop pp) per design."""
        acc = np.asarray(self.surrogate.predict(X[:, self.space.slices["cell"]]), dtype=float)
        drop = self.precision_drop(knobs, mac_frac, len(X))
        return acc - drop, drop

    # -- the evaluation ----------------------------------------------------------------------
    def metrics(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Every per-design quantity in natural units (what the log and result frames show)."""
        X = np.asarray(X, dtype=np.int64)
        shapes, counts = self.workload(X)
        costs, knobs = self.hardware(X, shapes, counts)
        out = {
            "latency_ms": costs.latency_ns * 1e-6,
            "energy_mj": costs.energy_pj * 1e-9,
            "area_mm2": costs.area_um2 * 1e-6,
            # pJ / ns = mW
            "power_mw": np.where(costs.latency_ns > 0, costs.energy_pj / np.maximum(costs.latency_ns, 1e-30), 0.0),
            "adc_energy_mj": costs.adc_energy_pj * 1e-9,
            "macs_m": counts @ layer_macs(shapes).astype(float) * 1e-6,
            "params_m": counts @ layer_weight_params(shapes).astype(float) * 1e-6,
            "buffer_violation": costs.buffer_violation,
        }
        if self.neural == "cell" and self.surrogate is not None:
            out["accuracy"], out["precision_drop_pp"] = self.accuracy(X, knobs, costs.crossbar_macs_by_group)
        elif knobs is not None:
            out["precision_drop_pp"] = self.precision_drop(knobs, costs.crossbar_macs_by_group, len(X))
        return out

    def objectives_from(self, m: Mapping[str, np.ndarray]) -> np.ndarray:
        cols = []
        for o in self.objectives:
            v = {"accuracy": lambda: -m["accuracy"], "capacity_proxy": lambda: -m["params_m"],
                 "latency": lambda: m["latency_ms"], "energy": lambda: m["energy_mj"], "area": lambda: m["area_mm2"],
                 "edp": lambda: m["energy_mj"] * m["latency_ms"],
                 "edap": lambda: m["energy_mj"] * m["latency_ms"] * m["area_mm2"],
                 "precision_drop": lambda: m["precision_drop_pp"]}[o]()
            cols.append(v)
        return np.stack(cols, axis=1)

    def constraints_from(self, m: Mapping[str, np.ndarray]) -> np.ndarray:
        cols = []
        for c in self.constraint_names:
            cols.append({"area_mm2": lambda: m["area_mm2"] - self.area_mm2_max,
                         "power_mw": lambda: m["power_mw"] - self.power_mw_max,
                         "accuracy_min": lambda: self.accuracy_min - m["accuracy"],
                         "buffer_capacity": lambda: m["buffer_violation"]}[c]())
        return np.stack(cols, axis=1) if cols else np.zeros((len(next(iter(m.values()))), 0))

    def __call__(self, X: np.ndarray) -> EvalBatch:
        m = self.metrics(X)
        return EvalBatch(self.objectives_from(m), self.constraints_from(m), m)

    def describe(self) -> dict[str, Any]:
        d = {"neural": self.neural, "target": self.target, "protocol": self.protocol,
             "objectives": {o: OBJECTIVES[o] for o in self.objectives}, "constraints": list(self.constraint_names),
             "precision_degradation": self.degradation}
        if self.surrogate is not None and hasattr(self.surrogate, "describe"):
            d["surrogate"] = self.surrogate.describe()
        return d


def build_evaluator(cfg: Config, space: JointSpace) -> CodesignEvaluator:
    """The evaluator a config describes (surrogate loaded by name when the cell space is used)."""
    surrogate = None
    if cfg.space.neural == "cell" and ("accuracy" in cfg.search.objectives or cfg.constraints.accuracy_min > 0):
        from .surrogate import get_surrogate
        opts = {"path": cfg.surrogate.path} if cfg.surrogate.path else {}
        surrogate = get_surrogate(cfg.surrogate.name, **opts)
    c = cfg.constraints
    return CodesignEvaluator(space, tuple(cfg.search.objectives), protocol=cfg.space.protocol, surrogate=surrogate,
                             degradation=cfg.precision.degradation, area_mm2_max=c.area_mm2_max,
                             power_mw_max=c.power_mw_max, accuracy_min=c.accuracy_min,
                             buffer_capacity=c.buffer_capacity)

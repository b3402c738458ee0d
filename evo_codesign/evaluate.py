"""Genomes -> objectives ``F`` and constraints ``G``: workload, cost kernels, surrogate.

No pymoo here: reference-front enumeration and every strategy share this one evaluation path.

Pipeline for a batch ``X`` of joint genomes:

1. **Workload.** Cells map to instance counts over one shared vocabulary of layer shapes
   (:class:`~evo_codesign.workload.batch.CellWorkload`); backbones are built and deduplicated
   together (:func:`~evo_codesign.workload.layers.unique_across`). Each design's network is then
   ``counts[i] @ per-shape cost``.
2. **Hardware.** The registered backend of the hardware target (:mod:`evo_codesign.backends`):
   ``dataflow``: every layer on the PE array (:mod:`evo_codesign.cost.dataflow`). ``imc``: every
   layer on crossbar tiles, depthwise convolutions and pools included
   (:mod:`evo_codesign.cost.crossbar`). ``hybrid``: the rule of :mod:`evo_codesign.cost.hybrid`
   (dense and pointwise convolutions and the classifier on crossbars; depthwise convolutions and
   pools on the PE array); latencies and energies add, areas add.
3. **Accuracy** (cell space): the NB301 surrogate's prediction minus the precision degradation of
   :mod:`evo_codesign.precision` for the crossbar part (weighted by each stage's share of the MACs),
   unless the config switches it off. The backbone has no accuracy surrogate: its ``capacity_proxy``
   objective is the parameter count, a proxy, and is labelled so. The ``precision_drop`` objective
   is that degradation on its own (any space with crossbars; XPert's phase 2 trades it).
4. **Objectives** (minimisation form; maximised ones negated; :mod:`evo_codesign.objectives`) and
   **constraints** (``G <= 0``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from . import backends
from .backends.crossbar import imc_knob_array
from .config import Config
from .cost import crossbar as xb
from .errors import UsageError
from .objectives import ObjectivesByName, unmet_need
from .objectives import get as get_objective
from .protocols import EvalBatch
from .space.joint import NEURAL_SPACES, JointSpace
from .workload.backbone import backbone_network
from .workload.batch import VOCAB_FIELDS, cell_workload
from .workload.fixed import fixed_workload
from .workload.layers import layer_macs, layer_weight_params, unique_across
from .workload.liveness import Workload, cell_stage_live_elements, sequential_live_elements

__all__ = ["CodesignEvaluator", "build_evaluator", "imc_knob_array", "CONSTRAINTS"]

#: constraint name -> (metric it bounds, evaluator attribute holding the bound, sense): ``"max"``:
#: metric - bound <= 0; ``"min"``: bound - metric <= 0; ``"flag"``: the metric itself is the violation.
CONSTRAINTS: dict[str, tuple[str, str, str]] = {
    "area_mm2": ("area_mm2", "area_mm2_max", "max"),
    "power_mw": ("power_mw", "power_mw_max", "max"),
    "accuracy_min": ("accuracy", "accuracy_min", "min"),
    "buffer_capacity": ("buffer_violation", "", "flag"),
    "crossbar_capacity": ("capacity_violation", "", "flag"),
}


@dataclass(eq=False)  # hashable by identity: dask's joblib backend hashes the task function
class CodesignEvaluator(ObjectivesByName):
    """Evaluates joint genomes of one :class:`JointSpace` with the hardware backend of its target
    (``hardware``; default: the registered backend whose segments the space has)."""

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
    hardware: str | None = None
    #: weights that do not fit the chip's tiles: infeasible (True) or rewritten every inference (False)
    crossbar_capacity: bool = False
    #: the precision model's tables: ``{"constants": PrecisionConstants, "adc_table": AdcTable}``
    #: (:mod:`evo_codesign.precision`; either or both; None: the shipped ones)
    precision_tables: Mapping[str, Any] | None = None
    objective_names: tuple[str, ...] = field(init=False)
    objective_senses: tuple[str, ...] = field(init=False)
    constraint_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        s = self.space
        self.neural = next((n for n in NEURAL_SPACES if n in s), None)
        if self.neural is None:
            raise UsageError(f"evaluating needs a neural and a hardware segment, got {s!r}")
        unknown = set(self.precision_tables or {}) - {"constants", "adc_table"}
        if unknown:
            raise UsageError(f"precision_tables: unknown key(s) {sorted(unknown)}; allowed: constants, adc_table")
        self.backend = backends.get(self.hardware) if self.hardware else backends.for_space(s)
        self.backend.validate(s)
        self.target = self.backend.name
        objs = [get_objective(o) for o in self.objectives]
        for o in objs:
            why = unmet_need(o, neural=self.neural, hardware=self.target)
            if why:
                raise UsageError(why)
        if (any("surrogate" in o.needs for o in objs) or self.accuracy_min > 0) and self.surrogate is None:
            raise UsageError("an accuracy objective or constraint needs a surrogate")
        self._objectives = objs
        self.objective_names = tuple(self.objectives)
        self.objective_senses = tuple(o.sense for o in objs)
        cons = [c for c, on in (("area_mm2", math.isfinite(self.area_mm2_max)),
                                ("power_mw", math.isfinite(self.power_mw_max)),
                                ("accuracy_min", self.accuracy_min > 0)) if on]
        if self.buffer_capacity:
            cons += [c for c in self.backend.constraints if c == "buffer_capacity"]
        if self.crossbar_capacity:
            cons += [c for c in self.backend.constraints if c == "crossbar_capacity"]
        self.constraint_names = tuple(cons)

    # -- pieces ------------------------------------------------------------------------------
    def workload(self, X: np.ndarray) -> Workload:
        """The designs' networks: shape vocabulary, counts[n, n_shapes] and live activations per
        residency unit (:mod:`evo_codesign.workload.liveness`)."""
        if self.neural == "fixed":  # the user's own network, the same for every design
            return fixed_workload(self.space["fixed"].network, len(X))
        if self.neural == "cell":
            W = cell_workload(self.protocol)
            cells = X[:, self.space.slices["cell"]]
            n = len(X)
            p = W.protocol
            return Workload(W.shapes, W.counts(cells), W.shapes["group"].astype(np.int64),
                            cell_stage_live_elements(cells, p), np.full(n, float(p.in_channels * p.image_size ** 2)),
                            np.full(n, float(p.num_classes)))
        seg = self.space["backbone"]
        Xb = X[:, self.space.slices["backbone"]]
        uniq, inv = np.unique(Xb, axis=0, return_inverse=True)
        nets = [backbone_network(seg.decode(x)["channels"]) for x in uniq]
        shapes, counts = unique_across([n.layers for n in nets], fields=VOCAB_FIELDS)
        counts = counts[inv.reshape(-1)]
        first, last = nets[0].layers[0], nets[0].layers[-1]
        return Workload.sequential(shapes, counts, shapes["group"].astype(np.int64), sequential_live_elements(shapes),
                                   float(first["C"]) * first["Y"] * first["X"], float(last["K"]))

    def hardware_costs(self, X: np.ndarray, workload: Workload) -> backends.Costs:
        """The backend's costs of each design's network."""
        consts = {"imc": self.imc_constants} if self.imc_constants is not None else None
        return self.backend.cost(self.space, X, workload, constants=consts)

    def precision_drop(self, costs: backends.Costs, n: int) -> np.ndarray:
        """Accuracy lost to crossbar input/ADC precision, percentage points per design (0 without
        crossbars or with degradation switched off). The ADC's deficit is charged on the rows each
        layer's columns actually sum when the backend reports them (``precision_rows``), else on
        ``crossbar_size`` rows."""
        knobs, mac_frac = costs.knobs, costs.crossbar_macs_by_group
        if not (self.degradation and knobs is not None and mac_frac is not None):
            return np.zeros(n)
        from .precision import accuracy_drop
        k = {name: knobs[:, :, j] for j, name in enumerate(xb.KNOBS)}
        table = dict(self.precision_tables or {})
        rows = getattr(costs, "precision_rows", None)
        if rows is not None:  # one item per (layer shape, row block kind), weighted by its MAC fraction
            g = costs.precision_groups
            return accuracy_drop(k["input_bits"][:, g].astype(int), k["adc_bits"][:, g].astype(int),
                                 weight_bits=k["weight_bits"][:, :1].astype(int),
                                 cell_bits=k["cell_bits"][:, :1].astype(int), crossbar_size=rows.astype(int),
                                 macs_fraction=np.minimum(costs.precision_weights, 1.0), **table)
        return accuracy_drop(k["input_bits"].astype(int), k["adc_bits"].astype(int),
                             weight_bits=k["weight_bits"][:, :1].astype(int),
                             cell_bits=k["cell_bits"][:, :1].astype(int),
                             crossbar_size=k["crossbar_size"][:, :1].astype(int), macs_fraction=mac_frac, **table)

    # -- the evaluation ----------------------------------------------------------------------
    def metrics(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Every per-design quantity in natural units (what the log and result frames show).

        Each distinct network and each distinct hardware design of the batch is worked out once
        (:meth:`metrics_pairs`); a design's values do not depend on the rest of its batch."""
        X = np.asarray(X, dtype=np.int64)
        nsl = self.space.slices[self.neural]
        hw = np.r_[0:nsl.start, nsl.stop:X.shape[1]]
        fc, ci = _unique_rows(X[:, nsl])
        fh, hi = _unique_rows(X[:, hw])
        return self.metrics_pairs(X[fc], X[fh], ci, hi)

    def metrics_product(self, X_networks: np.ndarray, X_hardware: np.ndarray, *,
                        keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """:meth:`metrics` of every network genome of ``X_networks`` (only its neural genes are read)
        on every hardware of ``X_hardware`` (only its hardware genes are read): ``n_net * n_hw``
        designs, network-major (design ``i * n_hw + j`` pairs network ``i`` with hardware ``j``)."""
        n_net, n_hw = len(X_networks), len(X_hardware)
        ci = np.repeat(np.arange(n_net, dtype=np.int64), n_hw)
        hi = np.tile(np.arange(n_hw, dtype=np.int64), n_net)
        return self.metrics_pairs(np.asarray(X_networks, dtype=np.int64), np.asarray(X_hardware, dtype=np.int64),
                                  ci, hi, keys=keys)

    def evaluate_product(self, X_networks: np.ndarray, X_hardware: np.ndarray) -> EvalBatch:
        """Objectives and constraints of :meth:`metrics_product` (bit-identical to evaluating the
        joint genomes one batch at a time)."""
        m = self.metrics_product(X_networks, X_hardware, keys=self.needed_metrics())
        return EvalBatch(self.objectives_from(m), self.constraints_from(m), m)

    def needed_metrics(self) -> tuple[str, ...]:
        """The metrics the objectives and constraints read."""
        names = [m for o in self._objectives for m in o.metrics] + [CONSTRAINTS[c][0] for c in self.constraint_names]
        return tuple(dict.fromkeys(names))

    def metrics_pairs(self, X_networks: np.ndarray, X_hardware: np.ndarray, ci: np.ndarray,
                      hi: np.ndarray, *, keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Metrics of the designs pairing the network of genome ``X_networks[ci[p]]`` with the
        hardware of genome ``X_hardware[hi[p]]``: workload and accuracy once per network, the
        backend's :meth:`~evo_codesign.backends.HardwareBackend.cost_pairs` once per pair.
        ``keys``: only these metrics (default: all)."""
        wl = self.workload(X_networks)
        shapes, counts = wl.shapes, wl.counts
        consts = {"imc": self.imc_constants} if self.imc_constants is not None else None
        costs = self.backend.cost_pairs(self.space, X_hardware, wl, ci, hi, constants=consts)
        # steady state: one inference per interval (a pipelined chip overlaps them; otherwise the latency)
        interval = getattr(costs, "interval_ns", None)
        interval = costs.latency_ns if interval is None else interval
        cell = self.space.slices["cell"] if self.neural == "cell" else None
        # accuracy and precision_drop_pp both read it: worked out once, when first asked
        precision = functools.cache(lambda: self.precision_drop(costs, len(ci)))

        lazy: dict[str, Any] = {
            "latency_ms": lambda: costs.latency_ns * 1e-6,
            "energy_mj": lambda: costs.energy_pj * 1e-9,
            "area_mm2": lambda: costs.area_um2 * 1e-6,
            # pJ / ns = mW, in the steady state
            "power_mw": lambda: np.where(interval > 0, costs.energy_pj / np.maximum(interval, 1e-30), 0.0),
            "adc_energy_mj": lambda: costs.adc_energy_pj * 1e-9,
            "macs_m": lambda: (counts @ layer_macs(shapes).astype(float) * 1e-6)[ci],
            "params_m": lambda: (counts @ layer_weight_params(shapes).astype(float) * 1e-6)[ci],
            "buffer_violation": lambda: costs.buffer_violation,
        }
        if costs.dram_bytes is not None:
            lazy["dram_mb"] = lambda: costs.dram_bytes * 1e-6
        lazy["throughput_per_s"] = lambda: np.where(interval > 0, 1e9 / np.maximum(interval, 1e-30), 0.0)
        for name in ("capacity_violation", "crossbar_utilization"):
            if getattr(costs, name, None) is not None:
                lazy[name] = (lambda n: lambda: getattr(costs, n))(name)
        if cell is not None and self.surrogate is not None:
            lazy["accuracy"] = lambda: (np.asarray(self.surrogate.predict(X_networks[:, cell]), dtype=float)[ci]
                                        - precision())
            lazy["precision_drop_pp"] = precision
        elif costs.knobs is not None:
            lazy["precision_drop_pp"] = precision
        if any("flops_m" in o.metrics for o in self._objectives):
            lazy["flops_m"] = lambda: (cell_workload(self.protocol).flops(X_networks[:, cell]) / 1e6)[ci]
        return {k: f() for k, f in lazy.items() if keys is None or k in keys}

    def objectives_from(self, m: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.stack([o.minimised(m) for o in self._objectives], axis=1)

    def constraints_from(self, m: Mapping[str, np.ndarray]) -> np.ndarray:
        cols = []
        for c in self.constraint_names:
            metric, bound, sense = CONSTRAINTS[c]
            v = m[metric]
            cols.append(v - getattr(self, bound) if sense == "max" else getattr(self, bound) - v if sense == "min"
                        else v)
        return np.stack(cols, axis=1) if cols else np.zeros((len(next(iter(m.values()))), 0))

    def __call__(self, X: np.ndarray) -> EvalBatch:
        m = self.metrics(X)
        return EvalBatch(self.objectives_from(m), self.constraints_from(m), m)

    def describe(self) -> dict[str, Any]:
        d = {"neural": self.neural, "target": self.target, "protocol": self.protocol,
             "objectives": {o.name: (o.sense, o.unit, o.label) for o in self._objectives},
             "constraints": list(self.constraint_names), "precision_degradation": self.degradation}
        if self.surrogate is not None and hasattr(self.surrogate, "describe"):
            d["surrogate"] = self.surrogate.describe()
        if self.neural == "fixed":
            seg = self.space["fixed"]
            d["network"] = {"name": seg.network.name, "source": seg.source, "layers": len(seg.network),
                            "macs": seg.network.macs, "params": seg.network.params,
                            "precision_groups": list(seg.precision_groups)}
        return d


def _unique_rows(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of each distinct row's first occurrence, each row's distinct-row number) of an
    integer matrix: ``np.unique(A, axis=0)``'s ``return_index`` and ``return_inverse``, with the
    distinct rows in the order of their bytes rather than of their values (each row's result is
    its own). Each row is compared as one opaque value: about 15 us for a population of 50
    against 135 us with ``axis=0`` (``benchmarks/fixed_costs.py``), which compares the rows column by column."""
    A = np.ascontiguousarray(A, dtype=np.int64)
    rows = A.view(np.dtype((np.void, A.dtype.itemsize * A.shape[1]))).reshape(-1) if A.shape[1] else \
        np.zeros(len(A), dtype=np.int8)
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1).astype(np.int64, copy=False)


def build_evaluator(cfg: Config, space: JointSpace) -> CodesignEvaluator:
    """The evaluator a config describes (surrogate loaded by name when the cell space is used)."""
    surrogate = None
    needs_surrogate = any("surrogate" in get_objective(o).needs for o in cfg.search.objectives)
    if cfg.space.neural == "cell" and (needs_surrogate or cfg.constraints.accuracy_min > 0):
        from .surrogate import get_surrogate
        opts = {"path": cfg.surrogate.path} if cfg.surrogate.path else {}
        surrogate = get_surrogate(cfg.surrogate.name, **opts)
    c = cfg.constraints
    tables = None
    if cfg.precision.adc_table:
        from .adc_calibration import adc_table
        try:
            tables = {"adc_table": adc_table(cfg.precision.adc_table)}
        except (OSError, ValueError) as e:
            raise UsageError(f"precision.adc_table: {e}") from None
    return CodesignEvaluator(space, tuple(cfg.search.objectives), protocol=cfg.space.protocol, surrogate=surrogate,
                             degradation=cfg.precision.degradation, area_mm2_max=c.area_mm2_max,
                             power_mw_max=c.power_mw_max, accuracy_min=c.accuracy_min,
                             buffer_capacity=c.buffer_capacity, hardware=cfg.space.hardware,
                             crossbar_capacity=c.crossbar_capacity, precision_tables=tables)

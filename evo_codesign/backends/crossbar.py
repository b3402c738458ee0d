"""The crossbar backend: every layer on IMC crossbar tiles (:mod:`evo_codesign.cost.crossbar`),
depthwise convolutions and pools included, on a chip with a tile count, a schedule and a global
buffer that holds the network's live activations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import crossbar as xb
from ..space.imc import CHIP_GENES, IMC_KNOBS, ImcSegment
from ..space.joint import JointSpace
from ..workload.layers import MAC_OPS, layer_macs
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register

__all__ = ["CrossbarBackend", "CrossbarCosts", "imc_knob_array", "chip_knob_array", "macs_by_group",
           "crossbar_part", "precision_items"]


@dataclass
class CrossbarCosts(Costs):
    """:class:`Costs` of a chip with crossbars, with what a crossbar chip adds (each ``(n,)`` unless
    said): ``interval_ns`` (steady-state time between inferences: the latency when sequential, the
    slowest stage when pipelined), ``capacity_violation`` (weights needed / crossbars on the chip - 1,
    > 0 when they do not fit), ``crossbar_utilization`` (busy crossbar-cycles / available), and what
    the precision model reads: ``precision_rows`` (n, m) rows a column sums, ``precision_weights``
    (n, m) the network's MAC fraction on them, ``precision_groups`` (m,) their precision group."""

    interval_ns: np.ndarray | None = None
    capacity_violation: np.ndarray | None = None
    crossbar_utilization: np.ndarray | None = None
    precision_rows: np.ndarray | None = None
    precision_weights: np.ndarray | None = None
    precision_groups: np.ndarray | None = None


def imc_knob_array(seg: ImcSegment, X: np.ndarray) -> np.ndarray:
    """Vectorised ``(n, n_groups, 7)`` crossbar knob array straight from IMC genes (no decode)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.int64))
    n, G = len(X), len(seg.groups)
    out = np.empty((n, G, len(xb.KNOBS)))
    for j, knob in enumerate(xb.KNOBS):
        table = _knob_table(knob, tuple(IMC_KNOBS[knob][0]))
        if knob in seg.per_group:
            pos = [seg.position(f"{knob}.{g}") for g in seg.groups]
            out[:, :, j] = table[X[:, pos]]
        else:
            out[:, :, j] = table[X[:, seg.position(knob)]][:, None]
    return out


def chip_knob_array(seg: ImcSegment, X: np.ndarray) -> np.ndarray:
    """``(n, 3)`` chip knobs (:data:`evo_codesign.cost.crossbar.CHIP_KNOBS`) from IMC genes; a chip
    gene the segment does not search takes the kernel's default (sequential, as many tiles as the
    network needs, one copy)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.int64))
    out = np.tile(xb.chip_array({}), (len(X), 1))
    for j, knob in enumerate(CHIP_GENES):
        if knob in seg.gene_names:
            out[:, j] = _knob_table(knob, tuple(IMC_KNOBS[knob][0]))[X[:, seg.position(knob)]]
    return out


@lru_cache(maxsize=64)
def _knob_table(knob: str, choices: tuple) -> np.ndarray:
    """The kernel's value of each choice of a knob (read-only: looked up every batch)."""
    table = np.array([xb._knob_value(knob, c) for c in choices])
    table.flags.writeable = False
    return table


def macs_by_group(n_groups: int, shapes: np.ndarray, counts: np.ndarray, on_crossbar: np.ndarray) -> np.ndarray:
    """(n, n_groups) fraction of each design's MACs that run on crossbars, per precision group."""
    m = layer_macs(shapes).astype(float)
    total = counts @ m
    out = np.zeros((len(counts), n_groups))
    for g in range(n_groups):
        sel = on_crossbar & (shapes["group"] == g)
        out[:, g] = counts[:, sel] @ m[sel]
    return out / np.where(total > 0, total, 1.0)[:, None]


def precision_items(r: xb.CrossbarResult, shapes: np.ndarray, counts: np.ndarray,
                    network_macs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows (n, 2 s), MAC fractions (n, 2 s), groups (2 s,)) of the ``s`` crossbar shapes: for each,
    its full row blocks and its last one, with the share of the network's MACs each sums over."""
    frac = counts * layer_macs(shapes).astype(float)[None, :] / np.where(network_macs > 0, network_macs, 1.0)[:, None]
    share = r.layer("share_last")
    rows = np.stack([r.layer("rows_full"), r.layer("rows_last")], axis=2).reshape(len(counts), -1)
    weights = np.stack([frac * (1.0 - share), frac * share], axis=2).reshape(len(counts), -1)
    groups = np.repeat(shapes["group"].astype(np.int64), 2)
    return np.maximum(rows, 1.0), weights, groups


def crossbar_part(space: JointSpace, X: np.ndarray, shapes: np.ndarray, counts: np.ndarray,
                  constants: Mapping[str, float] | None, *, live_elements: np.ndarray | None = None,
                  global_buffer: bool = True) -> tuple[xb.CrossbarResult, np.ndarray]:
    """The crossbar kernel's result for the given layers and the designs' knob array."""
    seg = space["imc"]
    A = X[:, space.slices["imc"]]
    knobs = imc_knob_array(seg, A)
    r = xb.crossbar_cost(knobs, shapes, counts, constants=constants, chip=chip_knob_array(seg, A),
                         live_elements=live_elements, global_buffer=global_buffer)
    return r, knobs


def crossbar_costs(r: xb.CrossbarResult, knobs: np.ndarray, mac_frac: np.ndarray, items: tuple, *,
                   latency_ns: np.ndarray, energy_pj: np.ndarray, area_um2: np.ndarray,
                   interval_ns: np.ndarray, buffer_violation: np.ndarray, dram_bytes: np.ndarray) -> CrossbarCosts:
    """A chip's :class:`CrossbarCosts` from its crossbar part ``r`` and its totals."""
    return CrossbarCosts(latency_ns, energy_pj, area_um2, r.total("e_adc_pj"), buffer_violation, knobs, mac_frac,
                         dram_bytes=dram_bytes, energy_breakdown_pj=None, interval_ns=interval_ns,
                         capacity_violation=r.total("capacity_violation"),
                         crossbar_utilization=r.total("xbar_utilization"), precision_rows=items[0],
                         precision_weights=items[1], precision_groups=items[2])


class CrossbarBackend(HardwareBackend):
    name = "imc"
    segments = ("imc",)
    description = "crossbar tiles in NeuroSim's / XPert's terms (evo_codesign/cost/crossbar.py)"
    constraints = ("crossbar_capacity",)
    has_crossbars = True
    monotone = (
        Monotone("imc.adc_bits", "area_um2", +1,
                 "ADC area grows with resolution (SAR linear, flash 2^b - 1 comparators)"),
        Monotone("imc.column_sharing", "latency_ns", +1, "m columns per ADC take m read cycles per input bit"),
        Monotone("imc.tiles", "area_um2", +1, "every tile is silicon, used or not"),
        Monotone("imc.duplication", "latency_ns", -1,
                 "copies split a layer's pixels (pipelined; no effect when sequential)"),
    )

    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        shapes, counts = workload.shapes, workload.counts
        # the global buffer holds the largest set of live activations (one layer at a time)
        r, knobs = crossbar_part(space, X, shapes, counts, (constants or {}).get("imc"),
                                 live_elements=workload.live_elements.max(axis=1))
        # on an IMC-only chip only the MAC layers hold weights on crossbars (pools stream digitally)
        frac = macs_by_group(len(space["imc"].groups), shapes, counts, np.isin(shapes["op"], MAC_OPS))
        items = precision_items(r, shapes, counts, counts @ layer_macs(shapes).astype(float))
        return crossbar_costs(r, knobs, frac, items, latency_ns=r.total("latency_ns"), energy_pj=r.total("energy_pj"),
                              area_um2=r.total("area_um2"), interval_ns=r.total("interval_ns"),
                              buffer_violation=np.zeros(len(X)), dram_bytes=r.total("dram_bits") / 8.0)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
               live_elements: np.ndarray | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from ..cost.imc_config import cost_imc_network, imc_config_from_dict

        rows, total = cost_imc_network(layers, list(names), imc_config_from_dict(raw))
        for r in rows:
            r["engine"] = "crossbar"
        return rows, total


register(CrossbarBackend())

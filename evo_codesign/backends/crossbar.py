"""The crossbar backend: every layer on IMC crossbar tiles (:mod:`evo_codesign.cost.crossbar`),
depthwise convolutions and pools included."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import crossbar as xb
from ..space.imc import IMC_KNOBS, ImcSegment
from ..space.joint import JointSpace
from ..workload.layers import MAC_OPS, layer_macs
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register

__all__ = ["CrossbarBackend", "imc_knob_array", "macs_by_group", "crossbar_part"]


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


def macs_by_group(n_groups: int, shapes: np.ndarray, counts: np.ndarray, on_crossbar: np.ndarray) -> np.ndarray:
    """(n, n_groups) fraction of each design's MACs that run on crossbars, per precision group."""
    m = layer_macs(shapes).astype(float)
    total = counts @ m
    out = np.zeros((len(counts), n_groups))
    for g in range(n_groups):
        sel = on_crossbar & (shapes["group"] == g)
        out[:, g] = counts[:, sel] @ m[sel]
    return out / np.where(total > 0, total, 1.0)[:, None]


def crossbar_part(space: JointSpace, X: np.ndarray, shapes: np.ndarray, counts: np.ndarray,
                  constants: Mapping[str, float] | None) -> tuple[xb.CrossbarResult, np.ndarray]:
    """The crossbar kernel's result for the given layers and the designs' knob array."""
    knobs = imc_knob_array(space["imc"], X[:, space.slices["imc"]])
    return xb.crossbar_cost(knobs, shapes, counts, constants=constants), knobs


class CrossbarBackend(HardwareBackend):
    name = "imc"
    segments = ("imc",)
    description = "crossbar tiles in NeuroSim's / XPert's terms (evo_codesign/cost/crossbar.py)"
    has_crossbars = True
    monotone = (
        Monotone("imc.adc_bits", "area_um2", +1, "ADC area grows with resolution (SAR linear, flash 2^b - 1 comparators)"),
        Monotone("imc.column_sharing", "latency_ns", +1, "m columns per ADC take m read cycles per input bit"),
    )

    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        shapes, counts = workload.shapes, workload.counts
        r, knobs = crossbar_part(space, X, shapes, counts, (constants or {}).get("imc"))
        # on an IMC-only chip only the MAC layers hold weights on crossbars (pools stream digitally)
        frac = macs_by_group(len(space["imc"].groups), shapes, counts, np.isin(shapes["op"], MAC_OPS))
        return Costs(r.total("latency_ns"), r.total("energy_pj"), r.total("area_um2"), r.total("e_adc_pj"),
                     np.zeros(len(X)), knobs, frac)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str]
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from ..cost.imc_config import cost_imc_network, imc_config_from_dict

        rows, total = cost_imc_network(layers, list(names), imc_config_from_dict(raw))
        for r in rows:
            r["engine"] = "crossbar"
        return rows, total


register(CrossbarBackend())

"""The hybrid chip: crossbars for dense and pointwise layers and the classifier, the PE array for
depthwise layers and pools (the split rule and how the parts add: :mod:`evo_codesign.cost.hybrid`).

It is a composition of the two other backends' engines, and the search's evaluator and
``evo-codesign cost`` both use it: latencies and energies add (the engines run one after the
other), areas add, and the crossbar tiles' leakage is charged while the PE array works.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import dataflow as df
from ..cost.hybrid import combine, crossbar_leakage_uw, crossbar_mask
from ..space.joint import JointSpace
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register
from .crossbar import CrossbarBackend, crossbar_part, macs_by_group
from .dataflow import DataflowBackend, pe_array_rows, report_total

__all__ = ["HybridBackend"]


class HybridBackend(HardwareBackend):
    name = "hybrid"
    segments = DataflowBackend.segments + CrossbarBackend.segments
    description = "hybrid chip: crossbars for dense/pointwise layers, the PE array for depthwise layers and pools"
    constraints = DataflowBackend.constraints
    has_crossbars = True
    monotone = (
        Monotone("accelerator.l2_kib", "area_um2", +1, "more SRAM bit cells"),
        Monotone("imc.adc_bits", "area_um2", +1, "ADC area grows with resolution"),
    )

    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        consts = constants or {}
        shapes, counts = workload.shapes, workload.counts
        mask = crossbar_mask(shapes)
        r, knobs = crossbar_part(space, X, shapes[mask], counts[:, mask], consts.get("imc"))
        # the PE array's layers keep their activations in the global buffer, which the crossbars
        # hand off through, when the whole network's live activations of their unit fit
        pe = workload.subset(~mask)
        d = df.evaluate_designs(X[:, space.slices["accelerator"]], pe.shapes, pe.counts,
                                constants=consts.get("dataflow"), workload=pe)
        tot = combine(r.total("latency_ns"), r.total("energy_pj"), r.total("area_um2"), d.latency_ns, d.energy_pj,
                      d.area_um2, crossbar_leakage_power_uw=crossbar_leakage_uw(r.total("area_um2"), consts.get("imc")))
        return Costs(tot["latency_ns"], tot["energy_pj"], tot["area_um2"], r.total("e_adc_pj"), d.buffer_violation,
                     knobs, macs_by_group(len(space["imc"].groups), shapes, counts, mask), dram_bytes=d.dram_bytes)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str]
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from ..cost.accelerator_config import DATAFLOW_KEYS
        from ..cost.imc_config import IMC_KEYS, cost_imc_network, imc_config_from_dict

        imc = imc_config_from_dict(raw, extra_keys=DATAFLOW_KEYS)
        mask = crossbar_mask(layers)
        xi, pi = np.flatnonzero(mask), np.flatnonzero(~mask)
        x_rows, x_total = cost_imc_network(layers[xi], [names[i] for i in xi], imc) if len(xi) else ([], None)
        p_rows, extra, clock = pe_array_rows(raw, layers[pi], [names[i] for i in pi], extra_keys=IMC_KEYS)
        for r in x_rows:
            r["engine"] = "crossbar"
        merged: list[dict] = [None] * len(names)  # type: ignore[list-item]
        for j, i in enumerate(xi):
            merged[i] = x_rows[j]
        for j, i in enumerate(pi):
            merged[i] = p_rows[j]
        x_area = x_total["area_um2"] if x_total else 0.0
        x_lat = sum(r["latency_ns"] for r in x_rows)
        x_energy = sum(r["energy_pj"] for r in x_rows)
        p_lat = sum(r["latency_ns"] for r in p_rows)
        p_energy = sum(r["energy_pj"] for r in p_rows)
        # the same rule as the search: combine() charges the crossbars' leakage over the PE part's time
        tot = combine(x_lat, x_energy, x_area, p_lat, p_energy, extra["area_um2"],
                      crossbar_leakage_power_uw=crossbar_leakage_uw(x_area, imc.constants or None))
        leak = float(tot["e_cross_leak_pj"])
        # utilisation of the PE array alone would mislead on a hybrid total: leave it out
        return merged, report_total(merged, float(tot["area_um2"]), clock,
                                    {"buffer_violation": extra["buffer_violation"], "energy_pj": leak,
                                     "e_cross_leak_pj": leak})


register(HybridBackend())

"""The hybrid chip: crossbars for dense and pointwise layers and the classifier, the PE array for
depthwise layers and pools (the split rule and how the parts add: :mod:`evo_codesign.cost.hybrid`).

It is a composition of the two other backends' engines, and the search's evaluator and
``evo-codesign cost`` both use it: one inference passes both engines (latencies and energies add),
areas add, and the crossbar tiles' leakage is charged while the PE array works. With the
``pipelined`` schedule the PE array is one more pipeline stage, so the engines overlap across
inferences (interval = the slower of the crossbar pipeline and the PE array's share).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import dataflow as df
from ..cost.crossbar import SCHED_PIPELINED
from ..cost.hybrid import combine, crossbar_leakage_uw, crossbar_mask
from ..space.joint import JointSpace
from ..workload.layers import layer_macs
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register
from .crossbar import (CrossbarBackend, chip_knob_array, crossbar_costs, crossbar_part, macs_by_group,
                       precision_items)
from .dataflow import DataflowBackend, pe_array_rows, report_total

__all__ = ["HybridBackend"]


class HybridBackend(HardwareBackend):
    name = "hybrid"
    segments = DataflowBackend.segments + CrossbarBackend.segments
    description = "hybrid chip: crossbars for dense/pointwise layers, the PE array for depthwise layers and pools"
    constraints = DataflowBackend.constraints + CrossbarBackend.constraints
    has_crossbars = True
    monotone = (
        Monotone("accelerator.l2_kib", "area_um2", +1, "more SRAM bit cells"),
        Monotone("imc.adc_bits", "area_um2", +1, "ADC area grows with resolution"),
        Monotone("imc.tiles", "area_um2", +1, "every tile is silicon, used or not"),
    )

    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        consts = constants or {}
        shapes, counts = workload.shapes, workload.counts
        mask = crossbar_mask(shapes)
        # the crossbars hand activations off through the PE array's L2, the chip's global buffer
        r, knobs = crossbar_part(space, X, shapes[mask], counts[:, mask], consts.get("imc"), global_buffer=False)
        # the PE array's layers keep their activations in the global buffer when the whole network's
        # live activations of their unit fit
        pe = workload.subset(~mask)
        d = df.evaluate_designs(X[:, space.slices["accelerator"]], pe.shapes, pe.counts,
                                constants=consts.get("dataflow"), workload=pe)
        pipelined = chip_knob_array(space["imc"], X[:, space.slices["imc"]])[:, 0] == SCHED_PIPELINED
        tot = combine(r.total("latency_ns"), r.total("energy_pj"), r.total("area_um2"), d.latency_ns, d.energy_pj,
                      d.area_um2, crossbar_leakage_power_uw=crossbar_leakage_uw(r.total("area_um2"), consts.get("imc")),
                      crossbar_interval_ns=r.total("interval_ns"), pipelined=pipelined)
        items = precision_items(r, shapes[mask], counts[:, mask], counts @ layer_macs(shapes).astype(float))
        frac = macs_by_group(len(space["imc"].groups), shapes, counts, mask)
        dram = (d.dram_bytes if d.dram_bytes is not None else 0.0) + r.total("dram_bits") / 8.0
        return crossbar_costs(r, knobs, frac, items, latency_ns=tot["latency_ns"], energy_pj=tot["energy_pj"],
                              area_um2=tot["area_um2"], interval_ns=tot["interval_ns"],
                              buffer_violation=d.buffer_violation, dram_bytes=dram)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
               live_elements: np.ndarray | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        from ..cost.accelerator_config import DATAFLOW_KEYS
        from ..cost.imc_config import IMC_KEYS, cost_imc_network, imc_config_from_dict

        imc = imc_config_from_dict(raw, extra_keys=DATAFLOW_KEYS)
        mask = crossbar_mask(layers)
        xi, pi = np.flatnonzero(mask), np.flatnonzero(~mask)
        x_rows, x_total = (cost_imc_network(layers[xi], [names[i] for i in xi], imc, global_buffer=False)
                           if len(xi) else ([], None))
        live = None if live_elements is None else np.asarray(live_elements, dtype=np.float64)[pi]
        p_rows, extra, clock = pe_array_rows(raw, layers[pi], [names[i] for i in pi], extra_keys=IMC_KEYS,
                                             live_elements=live)
        for r in x_rows:  # the PE rows' energy_breakdown_pj has the PE array's parts
            r["engine"] = "crossbar"
            r["crossbar_energy_breakdown_pj"] = r.pop("energy_breakdown_pj")
            r["crossbar_area_breakdown_um2"] = r.pop("area_breakdown_um2")
        merged: list[dict] = [None] * len(names)  # type: ignore[list-item]
        for j, i in enumerate(xi):
            merged[i] = x_rows[j]
        for j, i in enumerate(pi):
            merged[i] = p_rows[j]
        x_area = x_total["area_um2"] if x_total else 0.0
        x_lat = x_total["latency_ns"] if x_total else 0.0
        x_energy = x_total["energy_pj"] if x_total else 0.0
        p_lat = sum(r["latency_ns"] for r in p_rows)
        p_energy = sum(r["energy_pj"] for r in p_rows)
        # the same rule as the search: combine() charges the crossbars' leakage while they idle
        tot = combine(x_lat, x_energy, x_area, p_lat, p_energy, extra["area_um2"],
                      crossbar_leakage_power_uw=crossbar_leakage_uw(x_area, imc.constants or None),
                      crossbar_interval_ns=x_total["interval_ns"] if x_total else 0.0,
                      pipelined=imc.schedule == "pipelined", macs=sum(r["macs"] for r in merged))
        leak = float(tot["e_cross_leak_pj"])
        # what the rows do not carry: the crossbars' idle leakage and the chip-level reprogramming
        extra_energy = float(tot["energy_pj"]) - p_energy - sum(r["energy_pj"] for r in x_rows)
        # utilisation of the PE array alone would mislead on a hybrid total: leave it out
        total = report_total(merged, float(tot["area_um2"]), clock,
                             {"buffer_violation": extra["buffer_violation"], "energy_pj": extra_energy,
                              "e_cross_leak_pj": leak})
        total.update({"latency_ns": float(tot["latency_ns"]), "interval_ns": float(tot["interval_ns"]),
                      "throughput_inferences_per_s": float(tot["throughput_per_s"]), "schedule": imc.schedule,
                      "tops_per_mm2": float(tot["tops_per_mm2"]), "edap": float(tot["edap"])})
        if x_total:
            for k in ("tiles", "tiles_needed", "crossbars", "duplication", "capacity_violation", "reprogram_ns",
                      "stage_balance", "crossbar_utilization"):
                total[f"crossbar_{k}" if not k.startswith("crossbar") else k] = x_total[k]
            total["crossbar_energy_breakdown_pj"] = x_total["energy_breakdown_pj"]
            total["crossbar_area_breakdown_um2"] = x_total["area_breakdown_um2"]
            total["dram_bytes"] = total.get("dram_bytes", 0.0) + x_total["dram_bytes"]
        return merged, total


register(HybridBackend())

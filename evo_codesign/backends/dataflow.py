"""The PE-array backend: every layer on the dataflow accelerator (:mod:`evo_codesign.cost.dataflow`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import dataflow as df
from ..space.joint import JointSpace
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register

__all__ = ["DataflowBackend", "pe_array_rows", "report_total"]


def pe_array_rows(raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
                  extra_keys: tuple[str, ...] = ()) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """Per-layer rows of one described PE-array design (``ACC.toml`` keys), its area/buffer/
    utilisation facts and its clock (MHz). ``extra_keys``: keys of other engines to ignore."""
    from ..cost.accelerator_config import accelerator_config_from_dict

    cfg = accelerator_config_from_dict(raw, extra_keys=extra_keys)
    if not len(layers):
        return [], {"area_um2": 0.0, "buffer_violation": 0.0}, cfg.clock_mhz
    r = df.dataflow_cost(cfg.design(), layers, constants=cfg.constants, clock_mhz=cfg.clock_mhz)
    ns_per_cycle = 1e3 / cfg.clock_mhz
    rows = []
    for i, n in enumerate(names):
        v = {f: float(r.layer(f)[0, i]) for f in ("latency_cycles", "compute_cycles", "energy_pj", "macs",
                                                  "utilization", "dram_bytes", "l1_need_bytes", "l2_need_bytes",
                                                  "buffer_violation")}
        rows.append({"name": n, "engine": "pe_array", **v, "latency_ns": v["latency_cycles"] * ns_per_cycle,
                     "macs": int(v["macs"])})
    # network utilisation: all work over all PE-cycles of compute (pools count as work)
    pe_cycles = float(r.compute_cycles[0]) * cfg.num_pes
    util = float(r.layer("work")[0].sum()) / pe_cycles if pe_cycles > 0 else 0.0
    return rows, {"area_um2": float(r.area_um2[0]), "buffer_violation": float(r.buffer_violation[0]),
                  "utilization": util}, cfg.clock_mhz


def report_total(rows: list[dict], area_um2: float, clock_mhz: float, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The ``total`` row of the cost command: sums over layer rows (each row one instance) plus
    ``extra`` (``energy_pj`` added to the sum, other keys copied)."""
    lat_c = sum(r["latency_cycles"] for r in rows)
    lat_ns = sum(r.get("latency_ns", r["latency_cycles"] * 1e3 / clock_mhz) for r in rows)
    energy = sum(r["energy_pj"] for r in rows) + float(extra.get("energy_pj", 0.0))
    macs = sum(r["macs"] for r in rows)
    area_mm2 = area_um2 * 1e-6
    total = {"name": "total", "latency_cycles": lat_c, "latency_ns": lat_ns,
             "compute_cycles": sum(r["compute_cycles"] for r in rows), "energy_pj": energy, "macs": macs,
             "area_um2": area_um2, "edap": energy * lat_ns * area_mm2,
             "tops_per_w": 2 * macs / energy if energy > 0 else 0.0,
             "tops_per_mm2": 2 * macs / lat_ns / 1000 / area_mm2 if lat_ns > 0 and area_mm2 > 0 else 0.0,
             "buffer_violation": extra.get("buffer_violation", 0.0)}
    total.update({k: v for k, v in extra.items() if k not in total and k != "energy_pj"})
    return total


class DataflowBackend(HardwareBackend):
    name = "dataflow"
    segments = ("accelerator",)
    description = "PE-array accelerator: MAESTRO-style and systolic dataflows (evo_codesign/cost/dataflow.py)"
    constraints = ("buffer_capacity",)
    monotone = (
        Monotone("accelerator.offchip_bytes_per_cycle", "latency_ns", -1,
                 "off-chip transfer time and the first tiles' load shrink with bandwidth; the rest does not move"),
        Monotone("accelerator.noc_bytes_per_cycle", "latency_ns", -1, "NoC ingress/egress time shrinks"),
        Monotone("accelerator.l2_kib", "area_um2", +1, "more SRAM bit cells"),
        Monotone("accelerator.l1_bytes", "area_um2", +1, "more SRAM bit cells in every PE"),
        Monotone("accelerator.array_rows", "area_um2", +1, "more PEs and L1s"),
    )

    def cost(self, space: JointSpace, X: np.ndarray, workload: Workload, *,
             constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        d = df.evaluate_designs(X[:, space.slices["accelerator"]], workload.shapes, workload.counts,
                                constants=(constants or {}).get("dataflow"), workload=workload)
        zeros = np.zeros(len(X))
        return Costs(d.latency_ns, d.energy_pj, d.area_um2, zeros, d.buffer_violation, dram_bytes=d.dram_bytes,
                     energy_breakdown_pj=d.energy_breakdown_pj)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str]
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        rows, extra, clock = pe_array_rows(raw, layers, names)
        return rows, report_total(rows, extra["area_um2"], clock, extra)


register(DataflowBackend())

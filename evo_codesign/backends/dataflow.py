"""The PE-array backend: every layer on the dataflow accelerator (:mod:`evo_codesign.cost.dataflow`)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..cost import dataflow as df
from ..space.joint import JointSpace
from ..workload.liveness import Workload
from .base import Costs, HardwareBackend, Monotone, register

__all__ = ["DataflowBackend", "pe_array_rows", "report_total"]


_ROW_FIELDS = ("compute_cycles", "macs", "utilization", "l1_need_bytes", "l2_need_bytes", "buffer_violation")


def _mapping(cfg: Any) -> dict[str, Any]:
    """What the cost command reports about how layers map onto the array."""
    from ..dataflows import by_name
    from ..space.accelerator import loop_order

    row = by_name(cfg.dataflow)
    return {"dataflow": row.name, "family": row.family, "rows": row.rows, "cols": row.cols, "time": row.time,
            "depthwise": row.depthwise, "loop_order": "".join(loop_order({f"order_{d}": getattr(cfg, f"order_{d}")
                                                                          for d in "KCYX"})),
            "tiles": {d: getattr(cfg, f"tile_{d}") for d in "KCYX"}}


def pe_array_rows(raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
                  extra_keys: tuple[str, ...] = (), live_elements: np.ndarray | None = None
                  ) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """Per-layer rows of one described PE-array design (``ACC.toml`` keys), its area/buffer/
    utilisation facts and its clock (MHz). ``extra_keys``: keys of other engines to ignore.

    The layers run in file order as a sequential network: a layer keeps its input and output in
    L2 when both fit (``activations_on_chip``), otherwise they go through DRAM; the network's input
    and output cross the chip boundary once. ``live_elements`` (per layer) replaces "its input and
    output" by what the network's graph holds live then (skip tensors too), as the search counts."""
    from ..cost.accelerator_config import accelerator_config_from_dict
    from ..cost.constants import DC, dataflow_constants
    from ..workload.liveness import sequential_live_elements

    cfg = accelerator_config_from_dict(raw, extra_keys=extra_keys)
    if not len(layers):
        return [], {"area_um2": 0.0, "buffer_violation": 0.0}, cfg.clock_mhz
    c = dataflow_constants(cfg.constants)
    r = df.dataflow_cost(cfg.design(), layers, constants=c, clock_mhz=cfg.clock_mhz)
    db, e_dram = float(c[DC.data_bytes]), float(c[DC.e_dram])
    live = sequential_live_elements(layers) if live_elements is None else np.asarray(live_elements, dtype=np.float64)
    on_chip = live * db <= cfg.l2_kib * 1024
    boundary = np.zeros(len(layers))  # the network input (first layer) and output (last layer)
    if on_chip[0]:
        boundary[0] += float(layers[0]["C"]) * layers[0]["Y"] * layers[0]["X"] * db
    if on_chip[-1]:
        boundary[-1] += float(layers[-1]["K"]) * _out_pixels(layers[-1]) * db
    mapping = _mapping(cfg)
    rows = []
    for i, n in enumerate(names):
        res = bool(on_chip[i])
        f = (lambda a, b: float(r.layer(b if res else a)[0, i]))
        lat = f("latency_cycles", "latency_res_cycles") + boundary[i] / cfg.offchip_bytes_per_cycle
        parts = {"mac": float(r.layer("e_op_pj")[0, i]), "l1": float(r.layer("e_l1_pj")[0, i]),
                 "l2": f("e_l2_pj", "e_l2_res_pj"), "dram": f("e_dram_pj", "e_dram_res_pj") + boundary[i] * e_dram}
        v = {k: float(r.layer(k)[0, i]) for k in _ROW_FIELDS}
        rows.append({"name": n, "engine": "pe_array", "latency_cycles": lat, "compute_cycles": v["compute_cycles"],
                     "energy_pj": sum(parts.values()), "macs": int(v["macs"]), "utilization": v["utilization"],
                     "dram_bytes": f("dram_bytes", "dram_res_bytes") + boundary[i],
                     "l1_need_bytes": v["l1_need_bytes"], "l2_need_bytes": v["l2_need_bytes"],
                     "buffer_violation": v["buffer_violation"], "latency_ns": lat * 1e3 / cfg.clock_mhz,
                     "activations_on_chip": res, "energy_breakdown_pj": parts, "mapping": mapping})
    # network utilisation: all work over all PE-cycles of compute (pools count as work)
    pe_cycles = float(r.compute_cycles[0]) * cfg.num_pes
    util = float(r.layer("work")[0].sum()) / pe_cycles if pe_cycles > 0 else 0.0
    return rows, {"area_um2": float(r.area_um2[0]), "buffer_violation": float(r.buffer_violation[0]),
                  "utilization": util}, cfg.clock_mhz


def _out_pixels(layer: np.void) -> float:
    from ..workload.layers import output_size

    return float(output_size(int(layer["Y"]), int(layer["R"]), int(layer["stride"]), int(layer["pad"]),
                             int(layer["dilation"])) * output_size(int(layer["X"]), int(layer["S"]),
                                                                   int(layer["stride"]), int(layer["pad"]),
                                                                   int(layer["dilation"])))


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
    breakdowns = [r["energy_breakdown_pj"] for r in rows if "energy_breakdown_pj" in r]
    if breakdowns:
        total["energy_breakdown_pj"] = {k: sum(b[k] for b in breakdowns) for k in breakdowns[0]}
        total["dram_bytes"] = sum(r.get("dram_bytes", 0.0) for r in rows)
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
        # each distinct accelerator runs the kernel once (a population repeats designs)
        _, first, hi = np.unique(X[:, space.slices["accelerator"]], axis=0, return_index=True, return_inverse=True)
        return self._pairs(space, X[first], workload, np.arange(len(X)), hi.reshape(-1), constants, breakdown=True)

    def cost_pairs(self, space: JointSpace, X_hw: np.ndarray, workload: Workload, ci: np.ndarray, hi: np.ndarray, *,
                   constants: Mapping[str, Mapping[str, float]] | None = None) -> Costs:
        return self._pairs(space, X_hw, workload, ci, hi, constants, breakdown=False)

    @staticmethod
    def _pairs(space: JointSpace, X_hw: np.ndarray, workload: Workload, ci: np.ndarray, hi: np.ndarray,
               constants: Mapping[str, Mapping[str, float]] | None, *, breakdown: bool) -> Costs:
        from ._pairs import dataflow_pairs

        t = dataflow_pairs(X_hw[:, space.slices["accelerator"]], workload, ci, hi,
                           constants=(constants or {}).get("dataflow"), breakdown=breakdown)
        return Costs(t.latency_ns, t.energy_pj, t.area_um2, np.zeros(len(ci)), t.buffer_violation,
                     dram_bytes=t.dram_bytes, energy_breakdown_pj=t.energy_breakdown_pj)

    def report(self, raw: Mapping[str, Any], layers: np.ndarray, names: Sequence[str], *,
               live_elements: np.ndarray | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        rows, extra, clock = pe_array_rows(raw, layers, names, live_elements=live_elements)
        return rows, report_total(rows, extra["area_um2"], clock, extra)


register(DataflowBackend())

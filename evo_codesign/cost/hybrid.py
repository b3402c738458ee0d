"""Which layer runs where on a hybrid chip (crossbars + PE array), and how the two parts add up.

The rule, by op code only:

* **crossbars**: dense convolutions including 1x1 pointwise ones (``OP_CONV``, also the stride-2
  convolutions of a factorized reduce) and the classifier (``OP_LINEAR``): their weight matrices
  fill crossbars well;
* **PE array**: depthwise convolutions (``OP_DWCONV``; a k x k kernel per channel fills a crossbar to
  a few percent, see :mod:`evo_codesign.cost.crossbar`), max and average pools and the global
  average pool (no weights to store).

One inference passes both engines in turn, so latencies add, energies add and areas add. How
inferences follow each other depends on the chip's schedule (:mod:`evo_codesign.cost.crossbar`):

* ``sequential``: the next inference starts when the last one ends (interval = latency); while the
  PE array works the crossbar tiles idle but still leak, over the PE part's latency.
* ``pipelined``: the crossbar layers are pipeline stages and the PE array is one more stage (it runs
  all of its layers of one inference while the crossbars work on others), so the engines overlap:
  interval = max(crossbar interval, PE-array latency); the crossbar tiles leak over the whole
  interval, of which their own part has charged its interval.

The PE-array costs come from the dataflow kernel; this module takes them as arrays, so it needs
nothing from it.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..workload.layers import LAYER_DTYPE, OP_AVGPOOL, OP_CONV, OP_DWCONV, OP_GAP, OP_LINEAR, OP_MAXPOOL, op_in
from .constants_imc import imc_constants
from .crossbar import leakage_density_uw_per_um2

__all__ = ["CROSSBAR_OPS", "PE_ARRAY_OPS", "crossbar_mask", "split_layers", "combine", "scatter",
           "crossbar_leakage_uw"]

CROSSBAR_OPS = (OP_CONV, OP_LINEAR)
PE_ARRAY_OPS = (OP_DWCONV, OP_MAXPOOL, OP_AVGPOOL, OP_GAP)


def crossbar_mask(L: np.ndarray) -> np.ndarray:
    """Boolean per row: True where the layer runs on crossbars. Unknown op codes are an error."""
    L = np.asarray(L)
    if L.dtype != LAYER_DTYPE:
        raise TypeError("crossbar_mask needs a LAYER_DTYPE table")
    op = L["op"]
    known = op_in(op, CROSSBAR_OPS + PE_ARRAY_OPS)
    if not known.all():
        raise ValueError(f"unknown op code(s) {sorted(set(op[~known].tolist()))}")
    return op_in(op, CROSSBAR_OPS)


def split_layers(L: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(crossbar_table, pe_table, crossbar_rows, pe_rows)``: the two sub-tables (copies) and the row
    indices they came from, so that per-layer results can be put back with :func:`scatter`."""
    mask = crossbar_mask(L)
    xi, pi = np.flatnonzero(mask), np.flatnonzero(~mask)
    return L[xi].copy(), L[pi].copy(), xi, pi


def scatter(n_rows: int, crossbar_rows: np.ndarray, crossbar_values: np.ndarray, pe_rows: np.ndarray,
            pe_values: np.ndarray) -> np.ndarray:
    """Per-layer values of both parts back in the original row order (last axis = layers)."""
    xv, pv = np.asarray(crossbar_values, dtype=np.float64), np.asarray(pe_values, dtype=np.float64)
    lead = np.broadcast_shapes(xv.shape[:-1], pv.shape[:-1])
    out = np.zeros(lead + (n_rows,))
    out[..., crossbar_rows] = xv
    out[..., pe_rows] = pv
    return out


def crossbar_leakage_uw(area_um2: np.ndarray | float, constants: Mapping[str, float] | None = None) -> np.ndarray:
    """Leakage power (uW) of crossbar tiles of the given area, with the crossbar kernel's density."""
    return leakage_density_uw_per_um2(imc_constants(constants)) * np.asarray(area_um2, dtype=np.float64)


def combine(crossbar_latency_ns: np.ndarray, crossbar_energy_pj: np.ndarray, crossbar_area_um2: np.ndarray,
            pe_latency_ns: np.ndarray, pe_energy_pj: np.ndarray, pe_area_um2: np.ndarray, *,
            macs: np.ndarray | float = 0.0, crossbar_leakage_power_uw: np.ndarray | float = 0.0,
            crossbar_interval_ns: np.ndarray | float | None = None, pipelined: np.ndarray | bool = False,
            ) -> dict[str, np.ndarray]:
    """Chip totals of a hybrid design from its two parts (arrays broadcast over designs).

    ``latency_ns`` of one inference and ``energy_pj`` add, ``area_um2`` adds; ``interval_ns`` is the
    latency where ``pipelined`` is False and max(``crossbar_interval_ns``, PE latency) where it is
    True (default crossbar interval: its latency); the crossbar part's leakage power (uW) is charged
    over the PE part's latency (sequential) or over the rest of the interval (pipelined), as
    ``e_cross_leak_pj``; figures of merit as in :mod:`evo_codesign.cost.crossbar` (EDAP in pJ ns mm^2,
    TOPS/mm^2 over the interval).
    """
    x_lat = np.asarray(crossbar_latency_ns, dtype=np.float64)
    pe_lat = np.asarray(pe_latency_ns, dtype=np.float64)
    x_int = x_lat if crossbar_interval_ns is None else np.asarray(crossbar_interval_ns, dtype=np.float64)
    pip = np.asarray(pipelined, dtype=bool)
    lat = x_lat + pe_lat
    interval = np.where(pip, np.maximum(x_int, pe_lat), lat)
    idle = np.where(pip, interval - x_int, pe_lat)
    cross_leak = np.asarray(crossbar_leakage_power_uw, dtype=np.float64) * idle * 1e-3
    energy = np.asarray(crossbar_energy_pj, dtype=np.float64) + np.asarray(pe_energy_pj, dtype=np.float64) + cross_leak
    area = np.asarray(crossbar_area_um2, dtype=np.float64) + np.asarray(pe_area_um2, dtype=np.float64)
    area_mm2 = area * 1e-6
    ops = 2.0 * np.asarray(macs, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tops_w = np.where(energy > 0, ops / energy, 0.0)
        tops_mm2 = np.where((interval > 0) & (area_mm2 > 0), ops / interval / 1000.0 / area_mm2, 0.0)
        throughput = np.where(interval > 0, 1e9 / interval, 0.0)
    return {"latency_ns": lat, "interval_ns": interval, "throughput_per_s": throughput, "energy_pj": energy,
            "e_cross_leak_pj": cross_leak, "area_um2": area, "edp": energy * lat, "edap": energy * lat * area_mm2,
            "tops_per_w": tops_w, "tops_per_mm2": tops_mm2}

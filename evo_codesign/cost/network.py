"""Network totals of many (network, design) pairs from per-layer costs computed once.

A search batch or an exact-front enumeration costs ``n_pairs`` designs, each one network (a row of
a :class:`~evo_codesign.workload.liveness.Workload`) on one hardware design. Both repeat: an
enumeration pairs every cell with every design of a grid, a GA population repeats designs. The
per-layer kernel (:func:`evo_codesign.cost.dataflow.dataflow_kernel`) therefore runs once per
*unique* (design, layer shape), and :func:`pair_totals` adds, for each pair, the instances of each
shape its network has: each at its resident cost when the residency unit's live activations fit
the design's buffer, at its spilled cost otherwise, plus the network's input and output crossing
the chip boundary. That is the same arithmetic as :func:`~evo_codesign.cost.dataflow.dataflow_cost`
for one design, summed shape by shape in vocabulary order, so a pair's totals do not depend on
which other pairs share its batch: the search and the enumeration give bit-identical values.

Pure: arrays in, arrays out; the kernel releases the GIL, so threads may split the pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["PER_SHAPE_FIELDS", "BREAKDOWN_FIELDS", "PairTotals", "pair_totals"]

#: per (design, shape) values the totals read: spilled then resident (activations on chip)
#: latency, energy and DRAM bytes of one instance
PER_SHAPE_FIELDS = ("latency_cycles", "energy_pj", "dram_bytes", "latency_res_cycles", "energy_res_pj",
                    "dram_res_bytes")
_RES = 3  # offset of the resident fields
#: per (design, shape) energy parts, for the optional breakdown: mac, l1, then l2 and dram spilled, resident
BREAKDOWN_FIELDS = ("e_op_pj", "e_l1_pj", "e_l2_pj", "e_dram_pj", "e_l2_res_pj", "e_dram_res_pj")
_HW_BLOCK = 16  # hardware designs per cache block of a product (16 x 50 shapes x 6 fields x 8 B = 38 KB)


@nb.njit(cache=True, nogil=True, inline="always")
def _pair(c: int, h: int, cnt: np.ndarray, bounds: np.ndarray, live: np.ndarray, inp: np.ndarray, outp: np.ndarray,
          cap: np.ndarray, off: np.ndarray, per: np.ndarray, viol_s: np.ndarray, viol_any: np.ndarray,
          e_dram: float, out: np.ndarray, p: int) -> None:
    """Totals of network ``c`` on design ``h`` into ``out[:, p]``; shapes are sorted by residency
    unit (unit ``u`` is shapes ``bounds[u]`` to ``bounds[u + 1] - 1``), counts dense."""
    lat = 0.0
    en = 0.0
    db = 0.0
    n_units = live.shape[1]
    for u in range(n_units):
        q = per[h, 1] if live[c, u] <= cap[h] else per[h, 0]
        for s in range(bounds[u], bounds[u + 1]):
            n = cnt[c, s]
            lat += n * q[0, s]
            en += n * q[1, s]
            db += n * q[2, s]
    viol = 0.0
    if viol_any[h]:  # most designs overflow no buffer: skip the scan
        for s in range(cnt.shape[1]):
            if cnt[c, s] > 0 and viol_s[h, s] > viol:
                viol = viol_s[h, s]
    edge = 0.0
    if live[c, 0] <= cap[h]:
        edge += inp[c]
    if live[c, n_units - 1] <= cap[h]:
        edge += outp[c]
    out[0, p] = lat + edge / off[h]
    out[1, p] = en + edge * e_dram
    out[2, p] = db + edge
    out[3, p] = viol


@nb.njit(cache=True, nogil=True)
def _pairs_kernel(cnt, bounds, live, inp, outp, cap, off, per, viol_s, viol_any, e_dram, ci, hi, out) -> None:
    for p in range(ci.shape[0]):
        _pair(ci[p], hi[p], cnt, bounds, live, inp, outp, cap, off, per, viol_s, viol_any, e_dram, out, p)


@nb.njit(cache=True, nogil=True)
def _product_kernel(cnt, bounds, live, inp, outp, cap, off, per, viol_s, viol_any, e_dram, out) -> None:
    """Every network x every design, network-major, in blocks of designs that stay in cache."""
    n_c = cnt.shape[0]
    n_h = per.shape[0]
    for h0 in range(0, n_h, _HW_BLOCK):
        h1 = min(h0 + _HW_BLOCK, n_h)
        for c in range(n_c):
            for h in range(h0, h1):
                _pair(c, h, cnt, bounds, live, inp, outp, cap, off, per, viol_s, viol_any, e_dram, out, c * n_h + h)


@nb.njit(cache=True, nogil=True)
def _breakdown_kernel(cnt, bounds, live, cap, parts, ci, hi, out) -> None:
    """Energy per level (mac, l1, l2, dram) without the boundary traffic; ``parts`` (design,
    shape, BREAKDOWN_FIELDS)."""
    for p in range(ci.shape[0]):
        c = ci[p]
        h = hi[p]
        for u in range(live.shape[1]):
            r = 2 if live[c, u] <= cap[h] else 0
            for s in range(bounds[u], bounds[u + 1]):
                n = cnt[c, s]
                out[p, 0] += n * parts[h, s, 0]
                out[p, 1] += n * parts[h, s, 1]
                out[p, 2] += n * parts[h, s, 2 + r]
                out[p, 3] += n * parts[h, s, 3 + r]


def _is_product(ci: np.ndarray, hi: np.ndarray, n_c: int, n_h: int) -> bool:
    """True when the pairs are every network x every design, network-major."""
    if len(ci) != n_c * n_h or not n_c * n_h:
        return False
    return bool((hi.reshape(n_c, n_h) == np.arange(n_h)).all() and (ci.reshape(n_c, n_h) == np.arange(n_c)[:, None]).all())


@dataclass(frozen=True)
class PairTotals:
    """Per-pair network totals: cycles, pJ, DRAM bytes, the worst buffer overflow of any layer the
    network uses, and (when asked for) pJ per level (``mac``, ``l1``, ``l2``, ``dram``)."""

    latency_cycles: np.ndarray
    energy_pj: np.ndarray
    dram_bytes: np.ndarray
    buffer_violation: np.ndarray
    energy_breakdown_pj: dict | None = None


def pair_totals(workload, per_shape: np.ndarray, violation: np.ndarray, capacity_elements: np.ndarray,
                offchip_bytes_per_cycle: np.ndarray, e_dram_pj_per_byte: float, data_bytes: float, ci: np.ndarray,
                hi: np.ndarray, *, parts: np.ndarray | None = None) -> PairTotals:
    """Totals of pairs ``(ci[p], hi[p])``: network ``ci[p]`` of ``workload`` on design ``hi[p]``.

    ``per_shape``: (n_designs, n_shapes, len(PER_SHAPE_FIELDS)) per-instance costs of each shape on
    each design; ``violation`` (n_designs, n_shapes): each shape's buffer overflow;
    ``capacity_elements`` (n_designs,): activation elements the global buffer holds;
    ``offchip_bytes_per_cycle`` (n_designs,). ``parts`` (n_designs, n_shapes, len(BREAKDOWN_FIELDS)):
    also return the energy per level."""
    live = np.ascontiguousarray(workload.live_elements, dtype=np.float64)
    unit = np.asarray(workload.unit, dtype=np.int64)
    order = np.argsort(unit, kind="stable")  # shapes grouped by residency unit, vocabulary order within
    bounds = np.searchsorted(unit[order], np.arange(live.shape[1] + 1)).astype(np.int64)
    cnt = np.ascontiguousarray(np.asarray(workload.counts, dtype=np.float64)[:, order])
    per_shape = np.asarray(per_shape, dtype=np.float64)
    n_h, n_s = per_shape.shape[:2]
    # (design, spilled | resident, latency | energy | DRAM bytes, shape): inner loops read contiguous rows
    per = np.ascontiguousarray(per_shape[:, order].reshape(n_h, n_s, 2, _RES).transpose(0, 2, 3, 1))
    violation = np.ascontiguousarray(np.asarray(violation, dtype=np.float64)[:, order])
    ci = np.ascontiguousarray(ci, dtype=np.int64)
    hi = np.ascontiguousarray(hi, dtype=np.int64)
    db = float(data_bytes)
    cap = np.ascontiguousarray(capacity_elements, dtype=np.float64)
    args = (cnt, bounds, live, np.ascontiguousarray(workload.input_elements, dtype=np.float64) * db,
            np.ascontiguousarray(workload.output_elements, dtype=np.float64) * db, cap,
            np.ascontiguousarray(offchip_bytes_per_cycle, dtype=np.float64), per, violation,
            (violation > 0).any(axis=1) if n_s else np.zeros(n_h, dtype=bool), float(e_dram_pj_per_byte))
    out = np.empty((4, len(ci)))  # one contiguous row per total
    if _is_product(ci, hi, len(live), n_h):
        _product_kernel(*args, out)
    else:
        _pairs_kernel(*args, ci, hi, out)
    breakdown = None
    if parts is not None:
        b = np.zeros((len(ci), 4))
        _breakdown_kernel(cnt, bounds, live, cap, np.ascontiguousarray(np.asarray(parts, dtype=np.float64)[:, order]),
                          ci, hi, b)
        fits = live[ci] <= cap[hi][:, None]  # the network's input and output cross the boundary once
        edge = args[3][ci] * fits[:, 0] + args[4][ci] * fits[:, -1]
        b[:, 3] += edge * float(e_dram_pj_per_byte)
        breakdown = {"mac": b[:, 0], "l1": b[:, 1], "l2": b[:, 2], "dram": b[:, 3]}
    return PairTotals(out[0], out[1], out[2], out[3], breakdown)

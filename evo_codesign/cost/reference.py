"""Straightforward pure-Python restatement of the dataflow model in :mod:`evo_codesign.cost.dataflow`.

Written independently of the kernel's code (named dictionaries, explicit loops over the loop nest
and over spatial folds instead of closed forms), so that the tests can check the compiled kernel
against it on random designs and layers, and the throughput benchmark can time it. It is slow by
design: use :func:`~evo_codesign.cost.dataflow.dataflow_cost` for real work.

Inputs are plain dicts: a design with the keys of
:data:`~evo_codesign.cost.dataflow.DESIGN_COLUMNS` (``dataflow`` as its name, ``l2_bytes`` in bytes),
a layer with the keys of :data:`~evo_codesign.cost.dataflow.LAYER_COLUMNS`, and the constants by
name (:data:`~evo_codesign.cost.constants.DATAFLOW_CONSTANTS`).
"""

from __future__ import annotations

import itertools
import math
from typing import Mapping

from ..dataflows import by_name
from ..workload.layers import OP_AVGPOOL, OP_DWCONV, OP_GAP, OP_MAXPOOL

__all__ = ["reference_layer_cost", "loop_order", "tile_fetches", "simulate_tile_fetches"]

TILE_LOOPS = ("K", "C", "Y", "X")


def loop_order(design: Mapping[str, float]) -> list[str]:
    """Tile loops outermost first: descending importance, ties in K, C, Y, X order."""
    return sorted(TILE_LOOPS, key=lambda d: (-design[f"order_{d}"], TILE_LOOPS.index(d)))


def tile_fetches(order: list[str], trips: Mapping[str, float], depends_on: set[str]) -> float:
    """Closed form of MAESTRO's temporal-reuse rule: the product of the trip counts from the
    outermost loop down to the innermost loop the tensor depends on that advances (more than one
    trip)."""
    relevant = [i for i, d in enumerate(order) if d in depends_on and trips[d] > 1]
    if not relevant:
        return 1.0
    return math.prod(trips[d] for d in order[: relevant[-1] + 1])


def simulate_tile_fetches(order: list[str], trips: Mapping[str, int], depends_on: set[str]) -> int:
    """The same count by walking the loop nest: a fetch whenever the tensor's tile index changes
    (used by the tests to check :func:`tile_fetches`; time linear in the product of the trips)."""
    fetches, last = 0, None
    for idx in itertools.product(*(range(int(trips[d])) for d in order)):
        key = tuple(i for d, i in zip(order, idx) if d in depends_on)
        if key != last:
            fetches += 1
            last = key
    return fetches


def _fold_sizes(extent: float, lanes: float) -> list[float]:
    """Sizes of the spatial folds of a dimension of ``extent`` over ``lanes`` PEs (edge fold last)."""
    sizes, left = [], extent
    while left > 0:
        sizes.append(min(lanes, left))
        left -= lanes
    return sizes


def reference_layer_cost(design: Mapping[str, float | str], layer: Mapping[str, int],
                         constants: Mapping[str, float]) -> dict[str, float]:
    """Cost of one instance of ``layer`` on ``design``; keys as in ``LAYER_FIELDS``."""
    d, L, k = design, layer, constants
    rows, cols = float(d["array_rows"]), float(d["array_cols"])
    dataflow = d["dataflow"]
    db = k["data_bytes"]
    op = L["op"]
    K, C, R, S, Y, X, Q, P = (float(L[n]) for n in ("K", "C", "R", "S", "Y", "X", "Q", "P"))
    stride, dil, pad = float(L["stride"]), float(L["dilation"]), float(L["pad"])
    channelwise = op in (OP_DWCONV, OP_MAXPOOL, OP_AVGPOOL, OP_GAP) or (L["groups"] == L["C"] and L["groups"] > 1)
    weighted = op not in (OP_MAXPOOL, OP_AVGPOOL, OP_GAP)
    c_per_k = 1.0 if channelwise else C / L["groups"]
    work = K * c_per_k * R * S * Q * P

    row = by_name(dataflow)
    # MAESTRO's depthwise mapping: channels across every PE; the channel tile covers the array
    channel_parallel = channelwise and row.depthwise == "channel_parallel"
    tile_k = min(max(d["tile_K"], rows * cols), K) if channel_parallel else min(d["tile_K"], K)
    tile = {"K": tile_k, "C": min(d["tile_C"], c_per_k), "Y": min(d["tile_Y"], Q), "X": min(d["tile_X"], P)}
    halo_y = min((tile["Y"] - 1) * stride + (R - 1) * dil + 1, Y + 2 * pad)
    halo_x = min((tile["X"] - 1) * stride + (S - 1) * dil + 1, X + 2 * pad)
    tiles = {
        "W": tile["K"] * tile["C"] * R * S if weighted else 0.0,
        "I": (tile["K"] if channelwise else tile["C"]) * halo_y * halo_x,
        "O": tile["K"] * tile["Y"] * tile["X"],
    }
    full = {"W": K * c_per_k * R * S if weighted else 0.0, "I": C * Y * X, "O": K * Q * P}
    depends = {"W": {"K", "C"}, "I": ({"K", "Y", "X"} if channelwise else {"C", "Y", "X"}), "O": {"K", "Y", "X"}}
    trips = {"K": math.ceil(K / tile["K"]), "C": math.ceil(c_per_k / tile["C"]), "Y": math.ceil(Q / tile["Y"]),
             "X": math.ceil(P / tile["X"])}
    order = loop_order(d)

    if sum(full.values()) * db <= d["l2_bytes"]:
        dram_elems = sum(full.values())
    else:
        n = {t: tile_fetches(order, trips, depends[t]) for t in tiles}
        first_visits = trips["K"] * trips["Y"] * trips["X"]
        dram_elems = n["W"] * tiles["W"] + n["I"] * tiles["I"] + n["O"] * tiles["O"] \
            + (n["O"] - first_visits) * tiles["O"]

    # spatial mapping: per-axis (tiled extent, tensors that depend on it, full extent)
    serial = channelwise and row.depthwise == "channel_serial"
    # array steps (MAESTRO's top-level iterations): one spatial fold, the window whole, one point of
    # the temporal loops; the operands of the first fold stand for every step (MAESTRO's case 0)
    window_y = min((R - 1) * dil + 1, Y + 2 * pad)
    window_x = min((S - 1) * dil + 1, X + 2 * pad)
    steps, step_operands = 0.0, {"W": 0.0, "I": 0.0, "O": 0.0}
    if channel_parallel:
        lanes = min(rows * cols, tile["K"])
        compute = sum(work / K for _ in _fold_sizes(K, lanes))
        deliveries = {"W": 1.0, "I": 1.0, "O": 1.0}
        share = {"W": lanes, "I": lanes, "O": lanes}
        folds = _fold_sizes(K, lanes)
        steps = len(folds) * Q * P
        step_operands = {"W": folds[0] * R * S if weighted else 0.0, "I": folds[0] * window_y * window_x,
                         "O": folds[0]}
    elif row.family == "row_stationary":
        if R <= rows:
            copies, r_used = max(1.0, min(math.floor(rows / R), tile["K"])), R
        else:
            copies, r_used = 1.0, rows
        c_used = min(cols, tile["Y"])
        compute = 0.0
        # walk the folds: filter-row folds x channel-copy folds x output-row folds
        for _ in _fold_sizes(R, r_used):
            for _ in _fold_sizes(K, copies):
                for _ in _fold_sizes(Q, c_used):
                    compute += c_per_k * S * P
        deliveries = {"W": math.ceil(tile["Y"] / c_used),
                      "I": 1.0 if channelwise else math.ceil(tile["K"] / copies),
                      "O": math.ceil(R / r_used)}
        share = {"W": r_used * copies, "I": r_used * c_used, "O": copies * c_used}
    else:
        kw_rel = {"W", "O"} | ({"I"} if channelwise else set())
        # (tiled extent, tensors that depend on it, full extent) of each dimension an axis can hold
        axis = {
            "K": (1.0, {"W", "O"}, 1.0) if serial else (tile["K"], kw_rel, K),
            "C": (tile["C"], {"W", "I"}, c_per_k),
            "Y": (tile["Y"], {"I", "O"}, Q),
            "X": (tile["X"], {"I", "O"}, P),
            "CRS": (tile["C"] * R * S, {"W", "I"}, c_per_k * R * S),
            "YX": (tile["Y"] * tile["X"], {"I", "O"}, Q * P),
        }
        (t_r, rel_r, full_r), (t_c, rel_c, full_c) = axis[row.rows], axis[row.cols]
        if row.family == "systolic":
            T = axis[row.time][2]
            # SCALE-Sim 3.0.0: every fold runs through the whole array (stationary preload except os)
            per_fold = row.fill_rows * rows + cols + T - 2
            compute = 0.0
            for _ in range(int(K) if serial else 1):
                for _ in _fold_sizes(full_r, rows):
                    for _ in _fold_sizes(full_c, cols):
                        compute += per_fold
        else:
            per_point = work / (full_r * full_c)
            compute = sum(per_point for _ in _fold_sizes(full_r, min(rows, t_r))
                          for _ in _fold_sizes(full_c, min(cols, t_c)))
            spans_r, spans_c = _fold_sizes(full_r, min(rows, t_r)), _fold_sizes(full_c, min(cols, t_c))
            # each PE runs one filter window (R S operations) per step
            steps = sum(per_point / (R * S) for _ in spans_r for _ in spans_c)
            used = {"K": 1.0, "C": 1.0, "Y": 1.0, "X": 1.0, row.rows: spans_r[0]}
            used[row.cols] = spans_c[0]

            # rows are MAESTRO's clusters (a window each), columns the PEs of one (a shared halo)
            def extent(dim: str, window: float, padded: float) -> float:
                if row.rows == dim:
                    return used[dim] * window
                return min((used[dim] - 1) * stride + window, padded)

            halo = extent("Y", window_y, Y + 2 * pad) * extent("X", window_x, X + 2 * pad)
            step_operands = {"W": used["K"] * used["C"] * R * S if weighted else 0.0,
                             "I": (used["K"] if channelwise else 1.0) * used["C"] * halo,
                             "O": used["K"] * used["Y"] * used["X"]}
        folds_r, folds_c = math.ceil(t_r / rows), math.ceil(t_c / cols)
        deliveries = {t: (1 if t in rel_r else folds_r) * (1 if t in rel_c else folds_c) for t in tiles}
        used_r, used_c = min(t_r, rows), min(t_c, cols)
        share = {t: (used_r if t in rel_r else 1.0) * (used_c if t in rel_c else 1.0) for t in tiles}

    # the reuse rule again between L2 and the PEs' L1; evicted partial sums come back in
    n_l1 = {t: tile_fetches(order, trips, depends[t]) for t in tiles}
    psum_back = n_l1["O"] - trips["K"] * trips["Y"] * trips["X"]
    noc_in = (n_l1["W"] * tiles["W"] * deliveries["W"] + n_l1["I"] * tiles["I"] * deliveries["I"]
              + psum_back * tiles["O"] * deliveries["O"]) * db
    noc_out = n_l1["O"] * tiles["O"] * deliveries["O"] * db
    dram_bytes = dram_elems * db
    l1_need = sum(math.ceil(tiles[t] / share[t]) for t in tiles) * db
    l2_need = sum(tiles.values()) * db
    violation = max(0.0, l2_need / d["l2_bytes"] - 1) + max(0.0, l1_need / d["l1_bytes"] - 1)

    # MAESTRO's top-level timing, when the convention is on: each step's operands cross the off-chip
    # link (inputs with weights, outputs back), double-buffered
    per_step = max(step_operands["W"] + step_operands["I"], step_operands["O"]) * db / d["offchip_bytes_per_cycle"]
    staging = k["offchip_step_staging"] * steps * per_step
    stream = max(compute, noc_in / d["noc_bytes_per_cycle"], noc_out / d["noc_bytes_per_cycle"],
                 dram_bytes / d["offchip_bytes_per_cycle"], staging)
    latency = stream + (tiles["W"] + tiles["I"]) * db / d["offchip_bytes_per_cycle"]
    # activations kept in L2 between layers: only weights come from DRAM
    if sum(full.values()) * db <= d["l2_bytes"]:
        dram_res = full["W"] * db
    else:
        dram_res = tile_fetches(order, trips, depends["W"]) * tiles["W"] * db
    latency_res = max(compute, noc_in / d["noc_bytes_per_cycle"], noc_out / d["noc_bytes_per_cycle"],
                      dram_res / d["offchip_bytes_per_cycle"], staging) + tiles["W"] * db / d["offchip_bytes_per_cycle"]

    # at the chip's node (Stillmaker & Baas factor) and operand width (bits / 8)
    width, node = k["data_bytes"], k["node_energy_scale"]
    add = k["e_add_pj"] * width ** k["add_width_exponent"]
    e_mac = node * ((k["e_mac_pj"] - k["e_add_pj"]) * width ** k["mult_width_exponent"] + add)
    per_l1 = node * k["l1_access_mac_ratio"] * k["e_mac_pj"] * width
    per_l2 = node * k["l2_access_mac_ratio"] * k["e_mac_pj"] * width
    # per MAC: weight read, input read, partial-sum read and write (MAESTRO's L1 counts)
    l1_accesses = (4 * work if weighted else work + full["O"]) + (noc_in + noc_out) / db
    l2_accesses = (noc_in + noc_out + dram_bytes) / db
    e_op = work * (e_mac if weighted else node * add)
    e_l1 = l1_accesses * per_l1
    e_l2 = l2_accesses * per_l2
    e_dram = dram_bytes * k["e_dram_pj_per_byte"]
    e_l2_res = (noc_in + noc_out + dram_res) / db * per_l2
    e_dram_res = dram_res * k["e_dram_pj_per_byte"]
    return {
        "compute_cycles": compute, "latency_cycles": latency, "macs": work if weighted else 0.0, "work": work,
        "utilization": work / (compute * rows * cols) if compute > 0 else 0.0,
        "noc_in_bytes": noc_in, "noc_out_bytes": noc_out, "dram_bytes": dram_bytes,
        "l1_accesses": l1_accesses, "l2_accesses": l2_accesses, "e_op_pj": e_op, "e_l1_pj": e_l1, "e_l2_pj": e_l2,
        "e_dram_pj": e_dram, "energy_pj": e_op + e_l1 + e_l2 + e_dram, "l1_need_bytes": l1_need,
        "l2_need_bytes": l2_need, "buffer_violation": violation,
        "latency_res_cycles": latency_res, "dram_res_bytes": dram_res, "e_l2_res_pj": e_l2_res,
        "e_dram_res_pj": e_dram_res, "energy_res_pj": e_op + e_l1 + e_l2_res + e_dram_res,
        "array_steps": steps, "staging_cycles": staging,
    }

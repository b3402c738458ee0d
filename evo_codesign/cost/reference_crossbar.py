"""Plain-Python reference of the crossbar chip cost model (:mod:`evo_codesign.cost.crossbar`).

Written for reading, not speed: one layer at a time, constants by name, a dict per result. The
tests check the Numba kernel against it to rounding error; the throughput benchmark measures the
kernel's speed-up over it. See :mod:`evo_codesign.cost.crossbar` for the model and its sources.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from ..workload.layers import OP_CONV, OP_DWCONV, OP_LINEAR
from .constants_imc import IMC_CONSTANT_NAMES, imc_constants

__all__ = ["adc_conversion", "layer_cost", "network_cost"]

_LAYER_KEYS = (
    "crossbars", "tiles", "utilization", "rows_per_crossbar", "reads", "read_ns", "compute_cycles",
    "latency_cycles", "latency_ns", "e_array_pj", "e_adc_pj", "e_dac_wl_pj", "e_shift_add_pj", "e_buffer_pj",
    "e_interconnect_pj", "e_leak_pj", "energy_pj", "a_array_um2", "a_adc_um2", "a_periph_um2", "area_um2", "macs",
    "on_crossbar", "copies", "vectors", "vector_cycles", "buffer_cycles", "stage_cycles", "global_bits",
    "tile_bits", "cells", "rows_full", "rows_last", "share_last")


def _consts(constants: Mapping[str, float] | np.ndarray | None) -> dict[str, float]:
    arr = constants if isinstance(constants, np.ndarray) else imc_constants(constants)
    return {n: float(v) for n, v in zip(IMC_CONSTANT_NAMES, arr)}


def adc_conversion(adc_type: str, bits: int, active_rows: float,
                   constants: Mapping[str, float] | np.ndarray | None = None) -> dict[str, float]:
    """One conversion of one ADC: ``energy_pj``, ``time_ns``, ``area_um2``, ``power_w``.

    NeuroSim V1.3 (32 nm LP) with ``levelOutput = 2**bits``; the column resistance is the SRAM access
    resistance divided by the number of conducting rows.
    """
    c = _consts(constants)
    levels = 2 ** bits
    r_col = c["sram_access_resistance_ohm"] / max(active_rows, 1e-9)
    if adc_type == "sar":
        time_ns = (bits + 1) * c["sar_ns_per_step"]
        power_w = (c["sar_power_per_bit_uw"] * bits + c["sar_power_base_uw"]) * 1e-6 \
            + c["sar_col_coeff"] * math.exp(c["sar_col_exp"] * math.log10(r_col))
        area = c["min_inverter_area_um2"] * (c["sar_area_n_base"] + (bits - 1) * c["sar_area_n_per_bit"]
                                             + c["sar_area_p_base"] + (bits - 1) * c["sar_area_p_per_bit"])
    elif adc_type == "flash":
        time_ns = c["flash_conversion_ns"]
        power_w = c["flash_power_per_ref_uw"] * (levels - 1) * 1e-6 \
            + c["flash_col_coeff"] * math.exp(c["flash_col_exp"] * math.log10(r_col))
        area = c["min_inverter_area_um2"] * (levels - 1) * (c["flash_area_n_per_ref"] + c["flash_area_p_per_ref"])
    else:
        raise ValueError(f"adc_type must be 'sar' or 'flash', got {adc_type!r}")
    return {"energy_pj": power_w * time_ns * 1e-9 * 1e12, "time_ns": time_ns, "area_um2": area, "power_w": power_w}


def layer_cost(design: Mapping[str, Any], layer: Mapping[str, int],
               constants: Mapping[str, float] | np.ndarray | None = None) -> dict[str, float]:
    """Cost of one layer instance with one copy on one design (knobs as scalars, ``adc_type`` a string).

    ``layer`` has ``op, K, C, R, S, Y, X, Q, P, groups`` (Q x P = output size). What needs the chip
    (H-tree energy and delay, leakage, copies) is left for :func:`network_cost`.
    """
    c = _consts(constants)
    r: dict[str, float] = {k: 0.0 for k in _LAYER_KEYS}
    N = int(design["crossbar_size"])
    m = min(int(design["column_sharing"]), N)
    ib = int(design["input_bits"])
    wb = int(design["weight_bits"])
    b = int(design["adc_bits"])
    vdd2 = c["vdd_v"] ** 2
    scale = c["cap_scale_28_to_32"]
    fa_cap_ff = 3 * c["nd2_cap_ff"] + 2 * c["xor2_cap_ff"]
    e_full_adder = fa_cap_ff * scale * vdd2 / 1000
    e_flipflop = c["dff_cap_ff"] * scale * vdd2 / 1000
    op, K, C = layer["op"], layer["K"], layer["C"]
    R, S, Y, X, Q, P, g = layer["R"], layer["S"], layer["Y"], layer["X"], layer["Q"], layer["P"], layer["groups"]

    input_traffic_bits = C * Y * X * ib
    outputs = K * Q * P
    output_traffic_bits = outputs * c["activation_bits"]
    bus_cycles = math.ceil((input_traffic_bits + output_traffic_bits) / c["bus_bits_per_cycle"])
    gb_energy = input_traffic_bits * c["gb_read_pj_per_bit"] + output_traffic_bits * c["gb_write_pj_per_bit"]
    r["copies"] = 1.0
    r["buffer_cycles"] = bus_cycles
    r["global_bits"] = input_traffic_bits + output_traffic_bits

    if op not in (OP_CONV, OP_DWCONV, OP_LINEAR):  # pooling: digital and memory bound
        r["latency_cycles"] = r["stage_cycles"] = bus_cycles
        r["latency_ns"] = bus_cycles / c["clock_ghz"]
        r["e_shift_add_pj"] = outputs * R * S * c["activation_bits"] * e_full_adder
        r["e_buffer_pj"] = gb_energy
        r["energy_pj"] = r["e_shift_add_pj"] + r["e_buffer_pj"]
        return r

    slices = math.ceil(wb / int(design["cell_bits"]))
    block_rows = (C // g) * R * S
    block_cols = (K // g) * slices
    diagonal = g > 1 and block_rows <= N and block_cols <= N
    if diagonal:  # several groups side by side on the diagonal of one crossbar
        blocks_per_crossbar = min(N // block_rows, N // block_cols)
        crossbars = math.ceil(g / blocks_per_crossbar)
        used_rows = g * block_rows
        used_cols = g * block_cols
        row_blocks = col_blocks = 1
    else:
        row_blocks = math.ceil(block_rows / N)
        col_blocks = math.ceil(block_cols / N)
        crossbars = g * row_blocks * col_blocks
        used_rows = g * block_rows * col_blocks
        used_cols = g * block_cols * row_blocks
    vectors = Q * P
    reads = vectors * ib
    rows_per_crossbar = used_rows / crossbars
    adc = adc_conversion(design["adc_type"], b, rows_per_crossbar * c["input_one_density"], constants)

    bitline_cap_f = N * c["bl_cap_per_cell_ff"] * scale * 1e-15
    settle_ns = c["bitline_rc_factor"] * c["sram_access_resistance_ohm"] * bitline_cap_f * 1e9
    read_cycles = math.ceil(settle_ns * c["clock_ghz"]) + m * math.ceil(adc["time_ns"] * c["clock_ghz"]) + 1
    partial_sums = row_blocks * slices
    tree_cycles = math.ceil(math.log2(partial_sums)) if partial_sums > 1 else 0
    vector_cycles = ib * read_cycles + tree_cycles
    compute_cycles = vectors * vector_cycles
    accumulator_bits = b + ib + wb

    r["crossbars"] = crossbars
    r["tiles"] = math.ceil(crossbars / (c["crossbars_per_pe"] * c["pes_per_tile"]))
    r["cells"] = g * block_rows * block_cols
    r["utilization"] = r["cells"] / (crossbars * N * N)
    r["rows_per_crossbar"] = rows_per_crossbar
    r["reads"] = reads
    r["read_ns"] = read_cycles / c["clock_ghz"]
    r["compute_cycles"] = compute_cycles
    r["vectors"] = vectors
    r["vector_cycles"] = vector_cycles
    r["latency_cycles"] = compute_cycles + bus_cycles
    r["latency_ns"] = r["latency_cycles"] / c["clock_ghz"]
    r["stage_cycles"] = max(compute_cycles, bus_cycles)
    r["tile_bits"] = vectors * (used_rows * ib + K * row_blocks * accumulator_bits)
    rows_in_last_block = block_rows - (row_blocks - 1) * N
    r["rows_full"] = N if row_blocks > 1 else block_rows
    r["rows_last"] = rows_in_last_block
    r["share_last"] = rows_in_last_block / block_rows if row_blocks > 1 else 0.0
    r["e_array_pj"] = reads * used_cols * bitline_cap_f * vdd2 * 1e12
    r["e_adc_pj"] = reads * used_cols * adc["energy_pj"]
    wordline_cap_ff = N * c["wl_cap_per_cell_ff"] * scale
    r["e_dac_wl_pj"] = reads * used_rows * c["input_one_density"] * wordline_cap_ff * vdd2 / 1000
    r["e_shift_add_pj"] = (reads * used_cols * accumulator_bits * (e_full_adder + e_flipflop)
                           + vectors * K * (partial_sums - 1) * accumulator_bits * e_full_adder)
    r["e_buffer_pj"] = (gb_energy + input_traffic_bits * col_blocks * c["rf_read_pj_per_bit"]
                        + vectors * used_rows * ib * c["rf_read_pj_per_bit"])
    r["energy_pj"] = r["e_array_pj"] + r["e_adc_pj"] + r["e_dac_wl_pj"] + r["e_shift_add_pj"] + r["e_buffer_pj"]

    adcs = crossbars * math.ceil(N / m)
    area_scale = c["area_scale_28_to_32"]
    a_full_adder = (3 * c["nd2_area_um2"] + 2 * c["xor2_area_um2"]) * area_scale
    a_flipflop = c["dff_area_um2"] * area_scale
    a_nand2 = c["nd2_area_um2"] * area_scale
    r["a_array_um2"] = crossbars * N * N * c["sram_cell_area_f2"] * (c["feature_size_nm"] / 1000) ** 2
    r["a_adc_um2"] = adcs * adc["area_um2"]
    per_crossbar = N * (a_flipflop + 2 * a_nand2) + (N * a_nand2 if m > 1 else 0.0)
    r["a_periph_um2"] = crossbars * per_crossbar + adcs * accumulator_bits * (a_full_adder + a_flipflop)
    r["area_um2"] = r["a_array_um2"] + r["a_adc_um2"] + r["a_periph_um2"]
    r["macs"] = K * (C // g) * R * S * Q * P
    r["on_crossbar"] = 1.0
    return r


def _duplicate(rows: list[dict[str, float]], counts: Sequence[float], chip: Mapping[str, Any],
               c: dict[str, float]) -> int:
    """Copies per layer (pipelined only): ceil(D n / n_max), D halved until the copies fit the tiles."""
    if chip["schedule"] != "pipelined":
        return 1
    on = [(n, r) for n, r in zip(counts, rows) if r["on_crossbar"]]
    n_max = max([r["vectors"] for n, r in on if n != 0] + [0])
    if n_max == 0:
        return 1
    per_tile = c["crossbars_per_pe"] * c["pes_per_tile"]

    def copies(dup: int, r: dict[str, float]) -> int:
        return max(1, min(dup, math.ceil(dup * int(r["vectors"]) / int(n_max))))

    dup = max(int(chip["duplication"]), 1)
    while dup > 1 and chip["tiles"] > 0:
        if sum(n * r["crossbars"] * copies(dup, r) for n, r in on if n != 0) <= chip["tiles"] * per_tile:
            break
        dup //= 2
    for _, r in on:
        d = copies(dup, r)
        r["copies"] = d
        for key in ("crossbars", "a_array_um2", "a_adc_um2", "a_periph_um2", "area_um2"):
            r[key] *= d
        r["tiles"] = math.ceil(r["crossbars"] / per_tile)
        r["stage_cycles"] = max(math.ceil(r["vectors"] / d) * r["vector_cycles"],
                                math.ceil(r["global_bits"] / (c["bus_bits_per_cycle"] * d)))
    return dup


def _chip_area(design: Mapping[str, Any], rows: list[dict[str, float]], counts: Sequence[float],
               chip: Mapping[str, Any], gb_bits: float, c: dict[str, float], tot: dict[str, float]) -> tuple:
    """Tiles, capacity, the chip's area by part; returns the side of the crossbar part and of a tile."""
    per_tile = c["crossbars_per_pe"] * c["pes_per_tile"]
    used = sum(n * r["crossbars"] for n, r in zip(counts, rows))
    tot["crossbars"] = used
    tot["tiles_needed"] = math.ceil(used / per_tile)
    tot["tiles"] = tiles = chip["tiles"] if chip["tiles"] > 0 else tot["tiles_needed"]
    crossbars_on_chip = tiles * per_tile
    # the chip's crossbars (more or fewer than the network needs) at the network's average crossbar
    scale = crossbars_on_chip / used if used > 0 else 0.0
    for key in ("a_array_um2", "a_adc_um2", "a_periph_um2"):
        tot[key] = sum(n * r[key] for n, r in zip(counts, rows)) * scale
    if used > crossbars_on_chip:
        tot["capacity_violation"] = used / crossbars_on_chip - 1
        tot["dram_bits"] = sum(n * r["cells"] for n, r in zip(counts, rows)) * (used - crossbars_on_chip) / used
    N, m = design["crossbar_size"], min(design["column_sharing"], design["crossbar_size"])
    tile_buffer_bits = math.sqrt(per_tile) * N * c["activation_bits"] * (1 + 1 / m)  # inputs + outputs
    tile_buffers = tiles * tile_buffer_bits * c["dff_area_um2"] * c["area_scale_28_to_32"]
    crossbar_area = tot["a_array_um2"] + tot["a_adc_um2"] + tot["a_periph_um2"]
    tile_side = math.sqrt((crossbar_area + tile_buffers) / tiles) if tiles > 0 else 0.0
    bus_width_um = c["bus_bits_per_cycle"] * c["wire_pitch_um"] / c["htree_fold"]
    tile_trees = tiles * bus_width_um * 0.75 * tile_side * (math.sqrt(per_tile) - 1)
    tot["global_buffer_bits"] = gb_bits
    tot["a_buffer_um2"] = tile_buffers + gb_bits * c["sram_buffer_um2_per_bit"]
    chip_side = math.sqrt(crossbar_area + tot["a_buffer_um2"] + tile_trees)
    global_tree = bus_width_um * 0.75 * chip_side * max(math.sqrt(tiles) - 1, 0.0)
    tot["a_interconnect_um2"] = tile_trees + global_tree
    tot["area_um2"] = crossbar_area + tot["a_buffer_um2"] + tot["a_interconnect_um2"]
    return chip_side, tile_side


def _timing(design: Mapping[str, Any], rows: list[dict[str, float]], counts: Sequence[float],
            chip: Mapping[str, Any], sides: tuple, c: dict[str, float], tot: dict[str, float]) -> None:
    """H-tree energy and wire delay per layer; latency, interval, reprogramming, balance, utilisation."""
    clock = c["clock_ghz"]
    pipelined = chip["schedule"] == "pipelined"
    pj_per_bit_um = c["htree_activity"] * c["wire_cap_ff_per_um"] * (1 + c["htree_repeater_cap_ratio"]) \
        * c["vdd_v"] ** 2 / 1000
    wire_cycles = 2 * sum(math.ceil(1.5 * side * c["htree_ns_per_um"] * clock) for side in sides)
    stages = []
    for n, r in zip(counts, rows):
        if r["on_crossbar"]:
            r["e_interconnect_pj"] = pj_per_bit_um * 1.5 * (r["global_bits"] * sides[0] + r["tile_bits"] * sides[1])
            r["energy_pj"] += r["e_interconnect_pj"]
            stage = r["stage_cycles"] if pipelined else r["compute_cycles"] + r["buffer_cycles"]
            r["latency_cycles"] = stage
        else:
            stage = r["stage_cycles"]
        r["latency_ns"] = r["latency_cycles"] / clock
        if n != 0:
            stages.append((n, stage))
    latency = sum(n * r["latency_cycles"] for n, r in zip(counts, rows))
    tot["compute_cycles"] = sum(n * r["compute_cycles"] for n, r in zip(counts, rows))
    slowest = max([s for _, s in stages] + [0.0])
    if any(n != 0 and r["on_crossbar"] for n, r in zip(counts, rows)):
        latency += wire_cycles  # the network's input in through the H-trees and its output out, once
    if tot["dram_bits"] > 0:  # weights that do not fit: from DRAM into the cells, every inference
        cell_write_pj = (design["crossbar_size"] * c["bl_cap_per_cell_ff"] + c["wl_cap_per_cell_ff"]) \
            * c["cap_scale_28_to_32"] * c["vdd_v"] ** 2 / 1000
        tot["e_reprogram_pj"] = tot["dram_bits"] * (c["dram_pj_per_bit"] + cell_write_pj)
        rewrite = math.ceil(tot["dram_bits"] / min(c["reprogram_bits_per_cycle"], c["bus_bits_per_cycle"]))
        tot["reprogram_ns"] = rewrite / clock
        latency += rewrite
        slowest = max(slowest, rewrite)
    tot["latency_cycles"] = latency
    tot["latency_ns"] = latency / clock
    interval = max(slowest, 1) if pipelined else max(latency, 1)
    tot["interval_ns"] = interval / clock
    tot["throughput_per_s"] = 1e9 / tot["interval_ns"]
    instances = sum(n for n, _ in stages)
    tot["stage_balance"] = (sum(n * s for n, s in stages) / instances / slowest) if instances and slowest else 0.0
    on_chip = tot["tiles"] * c["crossbars_per_pe"] * c["pes_per_tile"]
    busy = sum(n * r["crossbars"] / r["copies"] * r["compute_cycles"] for n, r in zip(counts, rows))
    tot["xbar_utilization"] = busy / (on_chip * interval) if on_chip else 0.0


def network_cost(design_per_group: Sequence[Mapping[str, Any]], layers: Sequence[Mapping[str, int]],
                 counts: Sequence[float], constants: Mapping[str, float] | np.ndarray | None = None, *,
                 chip: Mapping[str, Any] | None = None, gb_bits: float = 0.0
                 ) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Per-layer costs and the chip's totals for one design.

    ``design_per_group[g]`` are the knobs of precision group ``g``; each layer has a ``group`` key.
    ``chip``: ``schedule`` (``"sequential"``/``"pipelined"``), ``tiles`` (0: as many as needed),
    ``duplication``; ``gb_bits``: the global buffer's size.
    """
    c = _consts(constants)
    chip = {"schedule": "sequential", "tiles": 0, "duplication": 1, **(chip or {})}
    rows = [layer_cost(design_per_group[L["group"]], L, constants) for L in layers]
    tot: dict[str, float] = {"capacity_violation": 0.0, "dram_bits": 0.0, "e_reprogram_pj": 0.0, "reprogram_ns": 0.0}
    tot["duplication"] = _duplicate(rows, counts, chip, c)
    sides = _chip_area(design_per_group[0], rows, counts, chip, gb_bits, c, tot)
    _timing(design_per_group[0], rows, counts, chip, sides, c, tot)
    # Whole-chip leakage: one minimum NMOS off-current per minimum inverter area, all of it on all the time,
    # over the interval (a layer: its time's share of it).
    density_uw_per_um2 = c["vdd_v"] * c["ioff_nmos_a_per_m"] * 2 * c["feature_size_nm"] * 1e-9 \
        / c["min_inverter_area_um2"] * 1e6
    tot["leakage_uw"] = density_uw_per_um2 * tot["area_um2"]
    share = tot["interval_ns"] / tot["latency_ns"] if tot["latency_ns"] > 0 else 0.0
    for r in rows:
        r["e_leak_pj"] = tot["leakage_uw"] * r["latency_ns"] * share / 1000
        r["energy_pj"] += r["e_leak_pj"]
    for key in ("e_array_pj", "e_adc_pj", "e_dac_wl_pj", "e_shift_add_pj", "e_buffer_pj", "e_interconnect_pj", "macs"):
        tot[key] = sum(n * r[key] for n, r in zip(counts, rows))
    tot["e_leak_pj"] = tot["leakage_uw"] * tot["interval_ns"] / 1000
    tot["energy_pj"] = sum(tot[k] for k in ("e_array_pj", "e_adc_pj", "e_dac_wl_pj", "e_shift_add_pj", "e_buffer_pj",
                                            "e_interconnect_pj", "e_reprogram_pj", "e_leak_pj"))
    area_mm2 = tot["area_um2"] / 1e6
    tot["edp"] = tot["energy_pj"] * tot["latency_ns"]
    tot["edap"] = tot["edp"] * area_mm2
    tot["tops_per_w"] = 2 * tot["macs"] / tot["energy_pj"] if tot["energy_pj"] > 0 else 0.0
    tot["tops_per_mm2"] = 2 * tot["macs"] / tot["interval_ns"] / 1000 / area_mm2 if area_mm2 > 0 else 0.0
    return rows, tot

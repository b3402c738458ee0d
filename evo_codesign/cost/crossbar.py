"""IMC crossbar chip cost kernel: latency, throughput, energy and area of SRAM crossbar chips.

One Numba kernel, batched over designs x unique layer shapes, in the terms of NeuroSim V1.3 as
configured by XPert (Moitra et al., DAC 2023; Peng et al., IEEE TCAD 2021). Constants and their
sources are in :mod:`evo_codesign.cost.constants_imc`; :mod:`evo_codesign.cost.reference_crossbar`
is a plain-Python copy of the same model that the tests compare against.

Hierarchy (NeuroSim's chip -> tiles -> PEs -> sub-arrays)
---------------------------------------------------------
A crossbar has ``crossbar_size`` (N) rows and columns of 1-device cells; a PE groups
``crossbars_per_pe`` crossbars, a tile ``pes_per_tile`` PEs. Weights are placed at crossbar
granularity and several layers may share a tile (as PUMA's compiler places matrices on any core).
A chip has ``tiles`` tiles (a design knob; 0 = as many as the network needs). Every tile has an
input and an output register-file buffer (NeuroSim's ``Tile.cpp``: one input vector for the tile's
rows, ``N sqrt(crossbars per tile) x activation_bits``, and the digitised outputs, ``1/m`` of that)
and an H-tree to its crossbars; a global H-tree connects the tiles and the global buffer.

Schedules (chip knob ``schedule``)
----------------------------------
* ``sequential`` (NeuroSim's ``pipeline = false``, XPert): one layer at a time. A layer's latency is
  its compute plus moving its input and output over the ``bus_bits_per_cycle`` bus plus the H-trees'
  wire delay; one inference takes the sum, and the next starts when it ends (interval = latency).
* ``pipelined`` (ISAAC, PUMA; NeuroSim's ``pipeline = true``): weights stay resident, every layer
  instance is a pipeline stage that works on a different inference, its transfers overlap its
  compute (double-buffered tile buffers, a port per layer): stage = max(compute, transfer). One
  inference still passes every stage in turn (latency = sum of the stages, an upper bound: ISAAC
  also starts a layer before the previous one has finished); the steady-state interval between
  inferences is the slowest stage, and throughput = 1 / interval.
* **Weight duplication** (pipelined only; knob ``duplication`` = D, the most copies of a layer):
  a layer with ``n`` output pixels gets ``ceil(D n / n_max)`` copies, ``n_max`` the largest pixel count
  on the crossbars, so every stage does about the same work per copy; each copy takes a share of the
  pixels and of the transfers. This is NeuroSim's rule (``Chip.cpp``: speed-up of a layer
  ``(IFM / (IFM_max / speedUpDegree))^2``) with ``D`` in place of the squared speed-up degree; it
  depends on layer sizes only, never on timing. With a fixed tile count copies use spare tiles only:
  D halves until the copies fit (down to 1).

Capacity and reprogramming
--------------------------
A network needs ``ceil(crossbars / crossbars per tile)`` tiles. On a chip with fewer, the weights
of the crossbars that do not fit are written again every inference (batch 1): read from DRAM
(``dram_pj_per_bit``) and written into the cells (NeuroSim ``SubArray.cpp`` / ``Precharger.cpp``:
an SRAM write recharges one bit line of N cells per written cell, ``N C_bl V^2``, plus the cell's share
of its word line), at the DRAM bandwidth or the bus, whichever is lower; the time adds to the latency
and bounds the interval. ``capacity_violation = needed / available - 1`` is reported for searches that
make such designs infeasible instead.

Mapping a layer
---------------
Weights are sliced into ``slices = ceil(weight_bits / cell_bits)`` columns per weight. A convolution
with ``groups = g`` is ``g`` blocks of ``(C/g) R S`` rows x ``(K/g) slices`` columns.

* Dense and pointwise convolutions and linear layers (``g = 1``): the matrix is tiled onto
  ``ceil(rows / N) x ceil(cols / N)`` crossbars; partial sums of row blocks are added digitally.
* Depthwise (and other grouped) convolutions: when a block fits into a crossbar, blocks are placed
  *block-diagonally*, ``min(N // block_rows, N // block_cols)`` per crossbar, each reading its own
  rows into its own columns in the same read (a 3 x 3 depthwise kernel with 8-bit weights on 1-bit
  cells fills a 128 x 128 crossbar to 6 %; each read still takes a full ADC sweep; why a hybrid chip
  sends depthwise layers to its PE array, :mod:`evo_codesign.cost.hybrid`). Larger blocks are tiled
  like dense layers, one group after another.
* Pools and global average pooling never touch a crossbar: they stream through a digital pooling
  unit next to the global buffer, cost buffer traffic and one ``activation_bits`` add/compare per
  window element, and take as long as moving their input and output over the bus.
* For the precision model each layer reports the rows a column actually sums: ``rows_full`` in
  its full row blocks (``N``, or the block's own rows when it fits or sits on the diagonal),
  ``rows_last`` in the last block and ``share_last``, the share of the layer's MACs there.

Latency of a layer
------------------
Inputs are bit-serial: each input vector (one output pixel) takes ``input_bits`` reads. In a read
all crossbars of the layer work in parallel; a read costs the bit-line settling time
(``ln2 R_access C_bitline``, rounded up to whole cycles), then ``m = column_sharing`` conversions
per ADC one after the other (SAR: ``adc_bits + 1`` steps of 1 ns; Flash: one 1 ns comparison), then
one cycle for the last shift-add. Each input vector adds ``ceil(log2(row_blocks x slices))`` cycles of
adder tree. ``compute_cycles`` is that; ``buffer_cycles`` moves the layer's input and output over the
bus. The wire delay of the global and the tile H-tree (``1.5 L`` each way for a tree over a square of
side ``L``: NeuroSim ``HTree.cpp`` root-to-leaf path, at ``htree_ns_per_um``) adds once per inference:
the layers' transfers stream through the synchronous, repeated trees (NeuroSim charges it per
transfer; a few ns per layer either way).

Energy (pJ), each reported separately
------------------------------------
``e_array_pj`` (bit-line precharge of every used column at each read, ``N C_bl V^2``); ``e_adc_pj``
(one conversion per used column per read, NeuroSim's column power times the conversion time);
``e_dac_wl_pj`` (word-line drivers for the rows whose input bit is 1); ``e_shift_add_pj`` (a shift-add
per conversion plus the merging of weight slices and row blocks, and the pools' work); ``e_buffer_pj``
(global-buffer reads of inputs and writes of outputs, tile-buffer writes of each input per column
block and the register-file reads that feed the word lines); ``e_interconnect_pj`` (every activation
bit over the global H-tree, every input bit and partial sum over the tile H-tree: ``activity x
(1 + repeater/wire) x C_wire/um x 1.5 L x V^2`` per bit); ``e_reprogram_pj`` (totals only);
``e_leak_pj`` (leakage density x the whole chip's area x the interval, so an idle tile leaks too).

Area (um^2)
-----------
``a_array_um2`` (cells), ``a_adc_um2`` (``ceil(N / m)`` ADCs per crossbar), ``a_periph_um2`` (per row a
flip-flop and a 2-gate driver, per column a mux gate when ``m > 1``, per ADC a shift-add) for every
crossbar of the chip (per layer: its own copies; on the chip: ``tiles x crossbars per tile`` at the
network's average per crossbar); ``a_buffer_um2`` (tile register files at ZigZag's flip-flop area,
the global buffer at ``sram_buffer_um2_per_bit``, sized by the caller: the live activations of the
sequential network, NeuroSim's half of every layer's input when pipelined); ``a_interconnect_um2``
(H-trees: ``bus bits x wire pitch x 0.75 L (sqrt(leaves) - 1) / fold``, the wire of an H-tree over a
square of side ``L``).

Figures of merit: ``edp = energy_pj x latency_ns``, ``edap = edp x area_mm2``, ``tops_per_w = 2 MACs /
energy_pj``, ``tops_per_mm2 = 2 MACs / interval_ns / 1000 / area_mm2``, ``throughput_per_s = 1e9 /
interval_ns``; ``stage_balance`` = mean / slowest stage (layer instances), ``xbar_utilization`` = busy
crossbar-cycles / (crossbars on the chip x interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numba as nb
import numpy as np

from ..workload.layers import LAYER_DTYPE, OP_CONV, OP_DWCONV, OP_LINEAR, Network, output_size
from .constants_imc import CI, imc_constants

__all__ = [
    "KNOBS", "K_CROSSBAR_SIZE", "K_CELL_BITS", "K_WEIGHT_BITS", "K_ADC_TYPE", "K_ADC_BITS", "K_COLUMN_SHARING",
    "K_INPUT_BITS", "ADC_SAR", "ADC_FLASH", "CHIP_KNOBS", "SCHEDULES", "SCHED_SEQUENTIAL", "SCHED_PIPELINED",
    "LAYER_COLUMNS", "LAYER_FIELDS", "TOTAL_FIELDS", "crossbar_kernel", "leakage_density_uw_per_um2", "layer_array",
    "design_array", "chip_array", "designs_from_genomes", "global_buffer_bits", "CrossbarResult", "crossbar_cost",
    "cost_network",
]

#: Knob order along the last axis of the design array (one row of knobs per precision group).
KNOBS = ("crossbar_size", "cell_bits", "weight_bits", "adc_type", "adc_bits", "column_sharing", "input_bits")
K_CROSSBAR_SIZE, K_CELL_BITS, K_WEIGHT_BITS, K_ADC_TYPE, K_ADC_BITS, K_COLUMN_SHARING, K_INPUT_BITS = range(7)
ADC_SAR, ADC_FLASH = 0, 1
_ADC_CODES = {"sar": ADC_SAR, "flash": ADC_FLASH}
#: Chip-level knobs, one row per design: schedule code, tiles on the chip (0: as many as the
#: network needs), most copies of a layer (pipelined schedule).
CHIP_KNOBS = ("schedule", "tiles", "duplication")
_C_SCHEDULE, _C_TILES, _C_DUP = range(3)
SCHEDULES = ("sequential", "pipelined")
SCHED_SEQUENTIAL, SCHED_PIPELINED = 0, 1
_CHIP_DEFAULTS = {"schedule": "sequential", "tiles": 0, "duplication": 1}

#: Columns of the integer layer array handed to the kernel (Q x P is the output size).
LAYER_COLUMNS = ("op", "K", "C", "R", "S", "Y", "X", "Q", "P", "groups", "group")
_L_OP, _L_K, _L_C, _L_R, _L_S, _L_Y, _L_X, _L_Q, _L_P, _L_G, _L_GROUP = range(11)

#: Per-layer outputs (one instance of the layer, its copies included; multiply by its count for totals).
LAYER_FIELDS = (
    "crossbars", "tiles", "utilization", "rows_per_crossbar", "reads", "read_ns",
    "compute_cycles", "latency_cycles", "latency_ns",
    "e_array_pj", "e_adc_pj", "e_dac_wl_pj", "e_shift_add_pj", "e_buffer_pj", "e_interconnect_pj", "e_leak_pj",
    "energy_pj", "a_array_um2", "a_adc_um2", "a_periph_um2", "area_um2", "macs", "on_crossbar",
    "copies", "vectors", "vector_cycles", "buffer_cycles", "stage_cycles", "global_bits", "tile_bits", "cells",
    "rows_full", "rows_last", "share_last",
)
(_O_XBARS, _O_TILES, _O_UTIL, _O_ROWS, _O_READS, _O_READ_NS, _O_COMPUTE, _O_LAT_CYC, _O_LAT_NS,
 _O_E_ARRAY, _O_E_ADC, _O_E_WL, _O_E_SA, _O_E_BUF, _O_E_IC, _O_E_LEAK, _O_ENERGY,
 _O_A_ARRAY, _O_A_ADC, _O_A_PERIPH, _O_AREA, _O_MACS, _O_ONXBAR,
 _O_COPIES, _O_VECTORS, _O_VEC_CYC, _O_BUF_CYC, _O_STAGE, _O_GBITS, _O_TBITS, _O_CELLS,
 _O_ROWS_FULL, _O_ROWS_LAST, _O_SHARE_LAST) = range(len(LAYER_FIELDS))

#: Network totals per design (the chip: ``crossbars`` used, ``tiles`` on the chip).
TOTAL_FIELDS = (
    "crossbars", "tiles", "tiles_needed", "compute_cycles", "latency_cycles", "latency_ns", "interval_ns",
    "throughput_per_s",
    "e_array_pj", "e_adc_pj", "e_dac_wl_pj", "e_shift_add_pj", "e_buffer_pj", "e_interconnect_pj", "e_reprogram_pj",
    "e_leak_pj", "energy_pj",
    "a_array_um2", "a_adc_um2", "a_periph_um2", "a_buffer_um2", "a_interconnect_um2", "area_um2", "macs",
    "edp", "edap", "tops_per_w", "tops_per_mm2",
    "capacity_violation", "reprogram_ns", "dram_bits", "stage_balance", "xbar_utilization", "duplication",
    "global_buffer_bits", "leakage_uw",
)
(_T_XBARS, _T_TILES, _T_TILES_NEED, _T_COMPUTE, _T_LAT_CYC, _T_LAT_NS, _T_INTERVAL, _T_THROUGHPUT,
 _T_E_ARRAY, _T_E_ADC, _T_E_WL, _T_E_SA, _T_E_BUF, _T_E_IC, _T_E_RP, _T_E_LEAK, _T_ENERGY,
 _T_A_ARRAY, _T_A_ADC, _T_A_PERIPH, _T_A_BUF, _T_A_IC, _T_AREA, _T_MACS,
 _T_EDP, _T_EDAP, _T_TOPSW, _T_TOPSMM2,
 _T_CAPACITY, _T_RP_NS, _T_DRAM_BITS, _T_BALANCE, _T_UTIL, _T_DUP, _T_GB_BITS, _T_LEAK_UW) = range(len(TOTAL_FIELDS))


@nb.njit(cache=True, nogil=True)
def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@nb.njit(cache=True, nogil=True)
def _adc_conversion(adc_type: int, bits: int, active_rows: float, c: np.ndarray) -> tuple[float, float, float]:
    """(energy pJ, time ns, area um^2) of one conversion of one ADC with ``active_rows`` conducting rows."""
    levels = 2.0 ** bits
    r_col = c[CI.sram_access_resistance_ohm] / max(active_rows, 1e-9)  # parallel access transistors
    a_inv = c[CI.min_inverter_area_um2]
    if adc_type == ADC_SAR:
        t_ns = (bits + 1.0) * c[CI.sar_ns_per_step]
        p_w = (c[CI.sar_power_per_bit_uw] * bits + c[CI.sar_power_base_uw]) * 1e-6
        p_w += c[CI.sar_col_coeff] * math.exp(c[CI.sar_col_exp] * math.log10(r_col))
        area = a_inv * (c[CI.sar_area_n_base] + (bits - 1.0) * c[CI.sar_area_n_per_bit]
                        + c[CI.sar_area_p_base] + (bits - 1.0) * c[CI.sar_area_p_per_bit])
    else:
        t_ns = c[CI.flash_conversion_ns]
        p_w = c[CI.flash_power_per_ref_uw] * (levels - 1.0) * 1e-6
        p_w += c[CI.flash_col_coeff] * math.exp(c[CI.flash_col_exp] * math.log10(r_col))
        area = a_inv * (levels - 1.0) * (c[CI.flash_area_n_per_ref] + c[CI.flash_area_p_per_ref])
    return p_w * t_ns * 1e3, t_ns, area  # W x ns = 1e-9 J = 1e3 pJ


@nb.njit(cache=True, nogil=True)
def _layer_cost(kn: np.ndarray, L: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """Cost of one instance of layer ``L`` on knobs ``kn`` with one copy; fills ``out`` (see
    LAYER_FIELDS) except what needs the chip: H-tree energy and delay, leakage, copies."""
    for i in range(out.shape[0]):
        out[i] = 0.0
    N = int(kn[K_CROSSBAR_SIZE])
    cell_bits = int(kn[K_CELL_BITS])
    wbits = int(kn[K_WEIGHT_BITS])
    adc_type = int(kn[K_ADC_TYPE])
    bits = int(kn[K_ADC_BITS])
    m = min(int(kn[K_COLUMN_SHARING]), N)
    ib = int(kn[K_INPUT_BITS])
    clk = c[CI.clock_ghz]
    vdd2 = c[CI.vdd_v] * c[CI.vdd_v]
    cs = c[CI.cap_scale_28_to_32]
    asc = c[CI.area_scale_28_to_32]
    e_fa = (3.0 * c[CI.nd2_cap_ff] + 2.0 * c[CI.xor2_cap_ff]) * cs * vdd2 * 1e-3  # fF V^2 = 1e-3 pJ
    e_dff = c[CI.dff_cap_ff] * cs * vdd2 * 1e-3
    a_fa = (3.0 * c[CI.nd2_area_um2] + 2.0 * c[CI.xor2_area_um2]) * asc
    a_dff = c[CI.dff_area_um2] * asc
    a_nd2 = c[CI.nd2_area_um2] * asc
    act_bits = c[CI.activation_bits]
    bus = c[CI.bus_bits_per_cycle]

    op = L[_L_OP]
    K, C, R, S, Y, X, Q, P, g = L[_L_K], L[_L_C], L[_L_R], L[_L_S], L[_L_Y], L[_L_X], L[_L_Q], L[_L_P], L[_L_G]
    in_bits = float(C) * Y * X * ib
    out_elems = float(K) * Q * P
    out_bits = out_elems * act_bits
    buf_cycles = math.ceil((in_bits + out_bits) / bus)
    gb_energy = in_bits * c[CI.gb_read_pj_per_bit] + out_bits * c[CI.gb_write_pj_per_bit]
    out[_O_COPIES] = 1.0
    out[_O_BUF_CYC] = buf_cycles
    out[_O_GBITS] = in_bits + out_bits

    if op != OP_CONV and op != OP_DWCONV and op != OP_LINEAR:
        # Pools / global pooling: digital, memory bound (see module docstring).
        out[_O_LAT_CYC] = buf_cycles
        out[_O_LAT_NS] = buf_cycles / clk
        out[_O_STAGE] = buf_cycles
        out[_O_E_SA] = out_elems * R * S * act_bits * e_fa
        out[_O_E_BUF] = gb_energy
        out[_O_ENERGY] = out[_O_E_SA] + out[_O_E_BUF]
        return

    slices = _ceil_div(wbits, cell_bits)
    block_rows = (C // g) * R * S
    block_cols = (K // g) * slices
    if g > 1 and block_rows <= N and block_cols <= N:
        per_xbar = min(N // block_rows, N // block_cols)
        n_xbars = _ceil_div(g, per_xbar)
        rows_total = g * block_rows
        cols_total = g * block_cols
        row_blocks = 1
        col_blocks = 1
    else:
        row_blocks = _ceil_div(block_rows, N)
        col_blocks = _ceil_div(block_cols, N)
        n_xbars = g * row_blocks * col_blocks
        rows_total = g * block_rows * col_blocks  # each column block needs the rows again
        cols_total = g * block_cols * row_blocks  # each row block produces its own partial sums
    n_vec = float(Q) * P
    reads = n_vec * ib
    rows_per_xbar = rows_total / n_xbars
    e_conv, t_conv, a_adc_one = _adc_conversion(adc_type, bits, rows_per_xbar * c[CI.input_one_density], c)

    # Latency: whole cycles per read (synchronous design at clock_ghz).
    c_bl_f = N * c[CI.bl_cap_per_cell_ff] * cs * 1e-15
    t_array_ns = c[CI.bitline_rc_factor] * c[CI.sram_access_resistance_ohm] * c_bl_f * 1e9
    read_cycles = math.ceil(t_array_ns * clk) + m * math.ceil(t_conv * clk) + 1
    merge = row_blocks * slices
    tree_cycles = math.ceil(math.log2(merge)) if merge > 1 else 0
    vec_cycles = ib * read_cycles + tree_cycles
    compute_cycles = n_vec * vec_cycles

    acc_bits = bits + ib + wbits
    out[_O_XBARS] = n_xbars
    per_tile = c[CI.crossbars_per_pe] * c[CI.pes_per_tile]
    out[_O_TILES] = math.ceil(n_xbars / per_tile)
    out[_O_CELLS] = float(g) * block_rows * block_cols
    out[_O_UTIL] = out[_O_CELLS] / (float(n_xbars) * N * N)
    out[_O_ROWS] = rows_per_xbar
    out[_O_READS] = reads
    out[_O_READ_NS] = read_cycles / clk
    out[_O_COMPUTE] = compute_cycles
    out[_O_VECTORS] = n_vec
    out[_O_VEC_CYC] = vec_cycles
    out[_O_LAT_CYC] = compute_cycles + buf_cycles
    out[_O_LAT_NS] = out[_O_LAT_CYC] / clk
    out[_O_STAGE] = max(compute_cycles, float(buf_cycles))
    out[_O_TBITS] = n_vec * (rows_total * ib + K * row_blocks * acc_bits)
    # rows a column sums: a full block holds N rows, the last one the rest (a diagonal block its own)
    last = block_rows - (row_blocks - 1) * N
    out[_O_ROWS_FULL] = N if row_blocks > 1 else block_rows
    out[_O_ROWS_LAST] = last
    out[_O_SHARE_LAST] = last / block_rows if row_blocks > 1 else 0.0
    out[_O_E_ARRAY] = reads * cols_total * c_bl_f * 1e15 * vdd2 * 1e-3
    out[_O_E_ADC] = reads * cols_total * e_conv
    out[_O_E_WL] = reads * rows_total * c[CI.input_one_density] * N * c[CI.wl_cap_per_cell_ff] * cs * vdd2 * 1e-3
    out[_O_E_SA] = (reads * cols_total * acc_bits * (e_fa + e_dff)
                    + n_vec * K * (merge - 1) * acc_bits * e_fa)
    # register files: each column block's tiles take the input once, the word-line drivers read it per vector
    out[_O_E_BUF] = (gb_energy + in_bits * col_blocks * c[CI.rf_read_pj_per_bit]
                     + n_vec * rows_total * ib * c[CI.rf_read_pj_per_bit])
    out[_O_ENERGY] = out[_O_E_ARRAY] + out[_O_E_ADC] + out[_O_E_WL] + out[_O_E_SA] + out[_O_E_BUF]
    n_adc = n_xbars * _ceil_div(N, m)
    f2 = (c[CI.feature_size_nm] * 1e-3) ** 2
    out[_O_A_ARRAY] = float(n_xbars) * N * N * c[CI.sram_cell_area_f2] * f2
    out[_O_A_ADC] = n_adc * a_adc_one
    mux = float(N) * a_nd2 if m > 1 else 0.0
    out[_O_A_PERIPH] = n_xbars * (N * (a_dff + 2.0 * a_nd2) + mux) + n_adc * acc_bits * (a_fa + a_dff)
    out[_O_AREA] = out[_O_A_ARRAY] + out[_O_A_ADC] + out[_O_A_PERIPH]
    out[_O_MACS] = float(K) * (C // g) * R * S * Q * P
    out[_O_ONXBAR] = 1.0


@nb.njit(cache=True, nogil=True)
def leakage_density_uw_per_um2(c: np.ndarray) -> float:
    """Leakage power density (uW/um^2): one minimum NMOS off-current per minimum-inverter area at
    vdd (first order; LP transistors, every tile powered all the time)."""
    return (c[CI.vdd_v] * c[CI.ioff_nmos_a_per_m] * 2.0 * c[CI.feature_size_nm] * 1e-9
            / c[CI.min_inverter_area_um2] * 1e6)


@nb.njit(cache=True, nogil=True)
def _copies_of(dup: int, n_vec: float, n_max: float) -> int:
    """Copies of a layer with ``n_vec`` output pixels when the largest has ``n_max``: ceil(D n / n_max)."""
    n = int(n_vec)
    return max(1, min(dup, _ceil_div(dup * n, int(n_max))))


@nb.njit(cache=True, nogil=True)
def _duplicate(chip: np.ndarray, counts: np.ndarray, P: np.ndarray, c: np.ndarray) -> int:
    """Apply weight duplication (pipelined schedule) to the layer rows ``P`` in place; returns the
    duplication degree used (halved from the knob until the copies fit a fixed tile count)."""
    if int(chip[_C_SCHEDULE]) != SCHED_PIPELINED:
        return 1
    n_max = 0.0
    for i in range(P.shape[0]):
        if counts[i] != 0.0 and P[i, _O_ONXBAR] > 0.0:
            n_max = max(n_max, P[i, _O_VECTORS])
    if n_max <= 0.0:
        return 1
    dup = max(int(chip[_C_DUP]), 1)
    room = chip[_C_TILES] * c[CI.crossbars_per_pe] * c[CI.pes_per_tile]
    while dup > 1 and room > 0.0:
        need = 0.0
        for i in range(P.shape[0]):
            if counts[i] != 0.0 and P[i, _O_ONXBAR] > 0.0:
                need += counts[i] * P[i, _O_XBARS] * _copies_of(dup, P[i, _O_VECTORS], n_max)
        if need <= room:
            break
        dup //= 2
    bus = c[CI.bus_bits_per_cycle]
    per_tile = c[CI.crossbars_per_pe] * c[CI.pes_per_tile]
    for i in range(P.shape[0]):
        row = P[i]
        if row[_O_ONXBAR] <= 0.0:
            continue
        d = _copies_of(dup, row[_O_VECTORS], n_max)
        row[_O_COPIES] = d
        for f in (_O_XBARS, _O_A_ARRAY, _O_A_ADC, _O_A_PERIPH, _O_AREA):
            row[f] *= d
        row[_O_TILES] = math.ceil(row[_O_XBARS] / per_tile)
        row[_O_STAGE] = max(math.ceil(row[_O_VECTORS] / d) * row[_O_VEC_CYC], math.ceil(row[_O_GBITS] / (bus * d)))
    return dup


@nb.njit(cache=True, nogil=True)
def _chip_area(kn0: np.ndarray, chip: np.ndarray, gb_bits: float, counts: np.ndarray, P: np.ndarray,
               c: np.ndarray, tot: np.ndarray) -> tuple[float, float]:
    """Tiles, capacity and the chip's area by part into ``tot``; returns the side (um) of the chip's
    crossbar part and of one tile, which the H-trees span."""
    per_tile = c[CI.crossbars_per_pe] * c[CI.pes_per_tile]
    used = 0.0
    cells = 0.0
    for i in range(P.shape[0]):
        w = counts[i]
        if w != 0.0:
            used += w * P[i, _O_XBARS]
            cells += w * P[i, _O_CELLS]
            tot[_T_A_ARRAY] += w * P[i, _O_A_ARRAY]
            tot[_T_A_ADC] += w * P[i, _O_A_ADC]
            tot[_T_A_PERIPH] += w * P[i, _O_A_PERIPH]
    tot[_T_XBARS] = used
    tot[_T_TILES_NEED] = math.ceil(used / per_tile)
    tiles = chip[_C_TILES] if chip[_C_TILES] > 0 else tot[_T_TILES_NEED]
    tot[_T_TILES] = tiles
    on_chip = tiles * per_tile
    scale = on_chip / used if used > 0.0 else 0.0  # idle or missing crossbars at the network's average
    tot[_T_A_ARRAY] *= scale
    tot[_T_A_ADC] *= scale
    tot[_T_A_PERIPH] *= scale
    if used > on_chip:  # the weights that do not fit are written again every inference
        tot[_T_CAPACITY] = used / on_chip - 1.0
        tot[_T_DRAM_BITS] = cells * (used - on_chip) / used
    N = kn0[K_CROSSBAR_SIZE]
    m = min(kn0[K_COLUMN_SHARING], N)
    tile_buf_bits = math.sqrt(per_tile) * N * c[CI.activation_bits] * (1.0 + 1.0 / m)
    a_tile_buf = tiles * tile_buf_bits * c[CI.dff_area_um2] * c[CI.area_scale_28_to_32]
    a_xbar = tot[_T_A_ARRAY] + tot[_T_A_ADC] + tot[_T_A_PERIPH]
    side_tile = math.sqrt((a_xbar + a_tile_buf) / tiles) if tiles > 0 else 0.0
    wire = c[CI.bus_bits_per_cycle] * c[CI.wire_pitch_um] / c[CI.htree_fold]
    a_tile_tree = tiles * wire * 0.75 * side_tile * (math.sqrt(per_tile) - 1.0)
    tot[_T_GB_BITS] = gb_bits
    tot[_T_A_BUF] = a_tile_buf + gb_bits * c[CI.sram_buffer_um2_per_bit]
    side_chip = math.sqrt(a_xbar + tot[_T_A_BUF] + a_tile_tree)
    a_global_tree = wire * 0.75 * side_chip * max(math.sqrt(tiles) - 1.0, 0.0)
    tot[_T_A_IC] = a_tile_tree + a_global_tree
    tot[_T_AREA] = a_xbar + tot[_T_A_BUF] + tot[_T_A_IC]
    return side_chip, side_tile


@nb.njit(cache=True, nogil=True)
def _htree_pj_per_bit_um(c: np.ndarray) -> float:
    """Energy of moving one bit over one um of repeated H-tree wire (pJ)."""
    return (c[CI.htree_activity] * c[CI.wire_cap_ff_per_um] * (1.0 + c[CI.htree_repeater_cap_ratio])
            * c[CI.vdd_v] * c[CI.vdd_v] * 1e-3)


@nb.njit(cache=True, nogil=True)
def _timing(kn0: np.ndarray, chip: np.ndarray, counts: np.ndarray, P: np.ndarray, c: np.ndarray,
            sides: tuple[float, float], tot: np.ndarray) -> None:
    """Per-layer H-tree energy and latency; the network's latency, interval, reprogramming and the
    pipeline's balance and utilisation into ``tot``."""
    clk = c[CI.clock_ghz]
    pipelined = int(chip[_C_SCHEDULE]) == SCHED_PIPELINED
    e_um = _htree_pj_per_bit_um(c)
    e_global, e_tile = e_um * 1.5 * sides[0], e_um * 1.5 * sides[1]
    wire_cycles = 2.0 * (math.ceil(1.5 * sides[0] * c[CI.htree_ns_per_um] * clk)
                         + math.ceil(1.5 * sides[1] * c[CI.htree_ns_per_um] * clk))
    lat = 0.0
    slowest = 0.0
    stages = 0.0
    instances = 0.0
    busy = 0.0
    for i in range(P.shape[0]):
        row = P[i]
        if row[_O_ONXBAR] > 0.0:
            row[_O_E_IC] = row[_O_GBITS] * e_global + row[_O_TBITS] * e_tile
            row[_O_ENERGY] += row[_O_E_IC]
            stage = row[_O_STAGE] if pipelined else row[_O_COMPUTE] + row[_O_BUF_CYC]
            row[_O_LAT_CYC] = stage
        else:
            stage = row[_O_STAGE]
        row[_O_LAT_NS] = row[_O_LAT_CYC] / clk
        w = counts[i]
        if w != 0.0:
            lat += w * row[_O_LAT_CYC]
            tot[_T_COMPUTE] += w * row[_O_COMPUTE]
            slowest = max(slowest, stage)
            stages += w * stage
            instances += w
            busy += w * row[_O_XBARS] / row[_O_COPIES] * row[_O_COMPUTE]
    if busy > 0.0:  # the network's input in through the trees and its output out: once per inference
        lat += wire_cycles
    if tot[_T_DRAM_BITS] > 0.0:
        N = kn0[K_CROSSBAR_SIZE]
        e_cell = (N * c[CI.bl_cap_per_cell_ff] + c[CI.wl_cap_per_cell_ff]) * c[CI.cap_scale_28_to_32] \
            * c[CI.vdd_v] * c[CI.vdd_v] * 1e-3
        tot[_T_E_RP] = tot[_T_DRAM_BITS] * (c[CI.dram_pj_per_bit] + e_cell)
        rp = math.ceil(tot[_T_DRAM_BITS] / min(c[CI.reprogram_bits_per_cycle], c[CI.bus_bits_per_cycle]))
        tot[_T_RP_NS] = rp / clk
        lat += rp
        slowest = max(slowest, rp)
    tot[_T_LAT_CYC] = lat
    tot[_T_LAT_NS] = lat / clk
    interval = max(slowest, 1.0) if pipelined else max(lat, 1.0)
    tot[_T_INTERVAL] = interval / clk
    tot[_T_THROUGHPUT] = 1e9 / tot[_T_INTERVAL]
    tot[_T_BALANCE] = stages / instances / slowest if instances > 0.0 and slowest > 0.0 else 0.0
    on_chip = tot[_T_TILES] * c[CI.crossbars_per_pe] * c[CI.pes_per_tile]
    tot[_T_UTIL] = busy / (on_chip * interval) if on_chip > 0.0 else 0.0


@nb.njit(cache=True, nogil=True)
def _totals(counts: np.ndarray, P: np.ndarray, c: np.ndarray, tot: np.ndarray) -> None:
    """Leakage over the interval (per layer: its share of one inference), energy sums and figures of merit."""
    p_leak_uw = leakage_density_uw_per_um2(c) * tot[_T_AREA]
    tot[_T_LEAK_UW] = p_leak_uw
    share = tot[_T_INTERVAL] / tot[_T_LAT_NS] if tot[_T_LAT_NS] > 0.0 else 0.0
    for i in range(P.shape[0]):
        row = P[i]
        row[_O_E_LEAK] = p_leak_uw * row[_O_LAT_NS] * share * 1e-3  # uW x ns = 1e-3 pJ
        row[_O_ENERGY] += row[_O_E_LEAK]
        w = counts[i]
        if w != 0.0:
            tot[_T_E_ARRAY] += w * row[_O_E_ARRAY]
            tot[_T_E_ADC] += w * row[_O_E_ADC]
            tot[_T_E_WL] += w * row[_O_E_WL]
            tot[_T_E_SA] += w * row[_O_E_SA]
            tot[_T_E_BUF] += w * row[_O_E_BUF]
            tot[_T_E_IC] += w * row[_O_E_IC]
            tot[_T_MACS] += w * row[_O_MACS]
    tot[_T_E_LEAK] = p_leak_uw * tot[_T_INTERVAL] * 1e-3
    tot[_T_ENERGY] = (tot[_T_E_ARRAY] + tot[_T_E_ADC] + tot[_T_E_WL] + tot[_T_E_SA] + tot[_T_E_BUF]
                      + tot[_T_E_IC] + tot[_T_E_RP] + tot[_T_E_LEAK])
    area_mm2 = tot[_T_AREA] * 1e-6
    tot[_T_EDP] = tot[_T_ENERGY] * tot[_T_LAT_NS]
    tot[_T_EDAP] = tot[_T_EDP] * area_mm2
    tot[_T_TOPSW] = 2.0 * tot[_T_MACS] / tot[_T_ENERGY] if tot[_T_ENERGY] > 0 else 0.0
    tot[_T_TOPSMM2] = (2.0 * tot[_T_MACS] / tot[_T_INTERVAL] / 1000.0 / area_mm2 if area_mm2 > 0 else 0.0)


@nb.njit(cache=True, nogil=True)
def crossbar_kernel(knobs: np.ndarray, chip: np.ndarray, gb_bits: np.ndarray, layers: np.ndarray,
                    counts: np.ndarray, consts: np.ndarray, per_layer: np.ndarray, totals: np.ndarray) -> None:
    """Cost every (design, layer) pair and the chip's totals, in place.

    ``knobs``: float64 (n_designs, n_groups, 7) in :data:`KNOBS` order; a layer uses the row of its
    ``group`` column (chip-wide quantities read group 0). ``chip``: float64 (n_designs, 3) in
    :data:`CHIP_KNOBS` order. ``gb_bits``: (n_designs,) global-buffer bits. ``layers``: int64
    (n_layers, 11) in :data:`LAYER_COLUMNS` order. ``counts``: float64 (n_designs, n_layers),
    instances of each layer. ``consts``: :func:`~evo_codesign.cost.constants_imc.imc_constants`.
    Outputs: ``per_layer`` (n_designs, n_layers, len(LAYER_FIELDS)) and ``totals`` (n_designs,
    len(TOTAL_FIELDS)).
    """
    for d in range(knobs.shape[0]):
        tot = totals[d]
        for j in range(tot.shape[0]):
            tot[j] = 0.0
        P = per_layer[d]
        for i in range(layers.shape[0]):
            _layer_cost(knobs[d, layers[i, _L_GROUP]], layers[i], consts, P[i])
        tot[_T_DUP] = _duplicate(chip[d], counts[d], P, consts)
        sides = _chip_area(knobs[d, 0], chip[d], gb_bits[d], counts[d], P, consts, tot)
        _timing(knobs[d, 0], chip[d], counts[d], P, consts, sides, tot)
        _totals(counts[d], P, consts, tot)


# ---------------------------------------------------------------------------------------------
# Python wrapper: shapes arrays, nothing else.
# ---------------------------------------------------------------------------------------------

def layer_array(L: np.ndarray) -> np.ndarray:
    """int64 (n, 11) array in :data:`LAYER_COLUMNS` order from a ``LAYER_DTYPE`` table.

    ``group`` must be a valid precision-group index (use ``Network.unique(by_group=True)``).
    """
    L = np.asarray(L)
    if L.dtype != LAYER_DTYPE:
        raise TypeError("layer_array needs a LAYER_DTYPE table")
    if len(L) and L["group"].min() < 0:
        raise ValueError("layers need their precision group: deduplicate with unique(by_group=True)")
    Q = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
    P = output_size(L["X"].astype(np.int64), L["S"], L["stride"], L["pad"], L["dilation"])
    cols = [L["op"], L["K"], L["C"], L["R"], L["S"], L["Y"], L["X"], Q, P, L["groups"], L["group"]]
    return np.ascontiguousarray(np.stack([np.asarray(a, dtype=np.int64) for a in cols], axis=1))


def _knob_value(name: str, v: Any) -> float:
    if name == "adc_type":
        if v not in _ADC_CODES:
            raise ValueError(f"adc_type must be one of {list(_ADC_CODES)}, got {v!r}")
        return float(_ADC_CODES[v])
    if name == "schedule":
        if v not in SCHEDULES:
            raise ValueError(f"schedule must be one of {list(SCHEDULES)}, got {v!r}")
        return float(SCHEDULES.index(v))
    if name == "tiles" and v is None:
        return 0.0
    iv = int(v)
    if iv != v or iv < (0 if name == "tiles" else 1):
        raise ValueError(f"{name} must be a positive integer{' or 0' if name == 'tiles' else ''}, got {v!r}")
    return float(iv)


def _as_dicts(decoded: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [decoded] if isinstance(decoded, Mapping) else list(decoded)


def design_array(decoded: Mapping[str, Any] | Sequence[Mapping[str, Any]], n_groups: int | None = None) -> np.ndarray:
    """float64 (n_designs, n_groups, 7) knob array from decoded IMC dicts.

    Each dict has the :data:`KNOBS` keys with a scalar (all groups) or a list (one value per group),
    as :meth:`ImcSegment.decode` returns them; ``n_groups`` defaults to the longest list (or 1).
    Other keys (the chip knobs, ``groups``) are left to :func:`chip_array`.
    """
    ds = _as_dicts(decoded)
    if n_groups is None:
        n_groups = max([1] + [len(v) for d in ds for k, v in d.items() if k in KNOBS and isinstance(v, (list, tuple))])
    out = np.empty((len(ds), n_groups, len(KNOBS)), dtype=np.float64)
    for i, d in enumerate(ds):
        missing = [k for k in KNOBS if k not in d]
        if missing:
            raise KeyError(f"IMC design {i} lacks knob(s) {missing}")
        for j, k in enumerate(KNOBS):
            v = d[k]
            if isinstance(v, (list, tuple, np.ndarray)):
                if len(v) != n_groups:
                    raise ValueError(f"IMC design {i}: {k} has {len(v)} values for {n_groups} groups")
                out[i, :, j] = [_knob_value(k, x) for x in v]
            else:
                out[i, :, j] = _knob_value(k, v)
    return out


def chip_array(decoded: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
    """float64 (n_designs, 3) chip-knob array (:data:`CHIP_KNOBS`) from decoded IMC dicts; a missing
    key takes its default (``sequential``, ``tiles = 0``: as many tiles as the network needs, one copy)."""
    ds = _as_dicts(decoded)
    return np.array([[_knob_value(k, d.get(k, _CHIP_DEFAULTS[k])) for k in CHIP_KNOBS] for d in ds],
                    dtype=np.float64).reshape(len(ds), len(CHIP_KNOBS))


def designs_from_genomes(segment: Any, X: np.ndarray) -> np.ndarray:
    """Knob array from IMC-segment genomes (``segment`` an ``ImcSegment``; ``X`` its genes, 1-D or 2-D)."""
    A = np.atleast_2d(np.asarray(X))
    return design_array([segment.decode(x) for x in A], n_groups=len(segment.groups))


def global_buffer_bits(La: np.ndarray, counts: np.ndarray, chip: np.ndarray, consts: np.ndarray,
                       live_elements: np.ndarray | None = None) -> np.ndarray:
    """(n_designs,) bits of the chip's global buffer: the largest live activation set when sequential
    (``live_elements`` per design, e.g. :class:`~evo_codesign.workload.liveness.Workload`'s peak, or
    by default the largest layer input plus output), and when pipelined NeuroSim's rule (``Chip.cpp``:
    half of every layer's input, every layer holding a different inference)."""
    bits = consts[CI.activation_bits]
    inputs = La[:, _L_C].astype(np.float64) * La[:, _L_Y] * La[:, _L_X]
    if live_elements is None:
        own = inputs + La[:, _L_K].astype(np.float64) * La[:, _L_Q] * La[:, _L_P]
        live = np.where(counts > 0, own[None, :], 0.0).max(axis=1, initial=0.0)
    else:
        live = np.broadcast_to(np.asarray(live_elements, dtype=np.float64), (len(counts),))
    pipelined = chip[:, _C_SCHEDULE] == SCHED_PIPELINED
    return np.where(pipelined, counts @ inputs / 2.0, live) * bits


@dataclass(frozen=True)
class CrossbarResult:
    """Kernel outputs: ``per_layer`` (n_designs, n_layers, LAYER_FIELDS), ``totals`` (n_designs, TOTAL_FIELDS)."""

    per_layer: np.ndarray
    totals: np.ndarray

    def layer(self, field: str) -> np.ndarray:
        """(n_designs, n_layers) array of one per-layer field."""
        return self.per_layer[:, :, LAYER_FIELDS.index(field)]

    def total(self, field: str) -> np.ndarray:
        """(n_designs,) array of one network total."""
        return self.totals[:, TOTAL_FIELDS.index(field)]


def _chip_knobs(chip: np.ndarray | None, n: int) -> np.ndarray:
    if chip is None:
        return np.tile(np.array([SCHED_SEQUENTIAL, 0.0, 1.0]), (n, 1))
    out = np.ascontiguousarray(np.broadcast_to(np.asarray(chip, dtype=np.float64), (n, len(CHIP_KNOBS))))
    if ((out[:, _C_SCHEDULE] != SCHED_SEQUENTIAL) & (out[:, _C_SCHEDULE] != SCHED_PIPELINED)).any() \
            or (out[:, _C_TILES] < 0).any() or (out[:, _C_DUP] < 1).any():
        raise ValueError(f"chip knobs must be (schedule code 0/1, tiles >= 0, duplication >= 1), got {out[:3]}")
    return out


def crossbar_cost(knobs: np.ndarray, layers: np.ndarray, counts: np.ndarray | None = None, *,
                  constants: Mapping[str, float] | np.ndarray | None = None, chip: np.ndarray | None = None,
                  live_elements: np.ndarray | None = None, global_buffer: bool = True) -> CrossbarResult:
    """Run :func:`crossbar_kernel`.

    ``layers`` is a ``LAYER_DTYPE`` table (its ``count`` column is the default for every design) or
    an array from :func:`layer_array`; ``counts`` (n_designs, n_layers) overrides it, e.g. the
    matrix of :func:`~evo_codesign.workload.layers.unique_across` for one network per design.
    ``chip`` (n_designs, 3) or (3,): :data:`CHIP_KNOBS` as numbers (:func:`chip_array`); default
    sequential, as many tiles as needed, one copy. ``live_elements`` and ``global_buffer`` size the
    global buffer (:func:`global_buffer_bits`; ``global_buffer=False`` when another engine's buffer
    serves, as the PE array's L2 on a hybrid chip).
    """
    knobs = np.ascontiguousarray(knobs, dtype=np.float64)
    if knobs.ndim != 3 or knobs.shape[2] != len(KNOBS):
        raise ValueError(f"knobs must have shape (n_designs, n_groups, {len(KNOBS)}), got {knobs.shape}")
    if isinstance(layers, np.ndarray) and layers.dtype == LAYER_DTYPE:
        default_counts = layers["count"].astype(np.float64)
        La = layer_array(layers)
    else:
        La = np.ascontiguousarray(layers, dtype=np.int64)
        default_counts = np.ones(len(La))
    if len(La) and La[:, _L_GROUP].max() >= knobs.shape[1]:
        raise ValueError(f"a layer names precision group {La[:, _L_GROUP].max()} but designs have {knobs.shape[1]}")
    n_d = knobs.shape[0]
    cnt = np.broadcast_to(default_counts, (n_d, len(La))) if counts is None else np.asarray(counts, dtype=np.float64)
    cnt = np.ascontiguousarray(np.broadcast_to(cnt, (n_d, len(La))), dtype=np.float64)
    consts = np.ascontiguousarray(constants if isinstance(constants, np.ndarray) else imc_constants(constants),
                                  dtype=np.float64)
    ch = _chip_knobs(chip, n_d)
    gb = global_buffer_bits(La, cnt, ch, consts, live_elements) if global_buffer else np.zeros(n_d)
    per_layer = np.empty((n_d, len(La), len(LAYER_FIELDS)))
    totals = np.empty((n_d, len(TOTAL_FIELDS)))
    crossbar_kernel(knobs, ch, np.ascontiguousarray(gb, dtype=np.float64), La, cnt, consts, per_layer, totals)
    return CrossbarResult(per_layer, totals)


def cost_network(imc: Mapping[str, Any] | Sequence[Mapping[str, Any]], net: Network, *,
                 constants: Mapping[str, float] | None = None) -> CrossbarResult:
    """Cost one network on one or more decoded IMC designs (layers deduplicated by shape and group;
    chip knobs from the dicts, defaults where absent)."""
    U, _ = net.unique(by_group=True)
    n_groups = int(net.layers["group"].max()) + 1
    return crossbar_cost(design_array(imc, n_groups=None if _has_lists(imc) else n_groups), U, constants=constants,
                         chip=chip_array(imc))


def _has_lists(imc: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> bool:
    return any(isinstance(v, (list, tuple)) for d in _as_dicts(imc) for k, v in d.items() if k in KNOBS)

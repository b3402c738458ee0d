"""Dataflow (PE-array) cost kernel in MAESTRO's style, batched over designs x unique layer shapes.

The model follows MAESTRO (Kwon et al., "Understanding reuse, performance, and hardware cost of
DNN dataflows", MICRO 2019; ``maestro-project/maestro``) for the four MAESTRO-style dataflows,
SCALE-Sim 3.0.0 (Samajdar et al., ISPASS 2020; PyPI ``scalesim``) for the three systolic ones, and
NAAS (Lin, Yang, Han, DAC 2021) for the mapping genes (loop order by importance, tiles). A pure
Python restatement of the same model is :mod:`evo_codesign.cost.reference`; the tests check the two
agree on random designs and layers.

**Spatial mapping and compute cycles** (one MAC or one pool compare/add per PE per cycle).
Each MAESTRO-style dataflow puts one loop dimension on the array's rows and one on its columns
(both read from the dataflow table, :mod:`evo_codesign.dataflows`), each limited by its tile:
``nvdla`` K x C (MAESTRO KC-P), ``shidiannao`` Y' x X' (output rows x
output columns; X-P), ``output_stationary`` Y' x K (YK-P). A dimension ``D`` on an axis of ``A``
PEs with tile ``t`` takes ``ceil(D / min(A, t))`` folds; the last fold of a dimension that does not
divide leaves PEs idle (edge folds). Compute cycles = folds_rows x folds_cols x (work per
spatial point), the work per point being the loops that stay temporal.
``eyeriss_rs`` (YR-P) holds a *logical PE set* of R filter rows x Y' output rows and, as Eyeriss
does (Chen et al., ISCA 2016 / JSSC 2017, Sec. V "replication"), stacks ``floor(rows / R)`` copies
of the set vertically, each for a different output channel (at most ``tile_K``); the columns take
``min(cols, tile_Y)`` output rows. Compute = ceil(R / rows) x ceil(K / copies) x ceil(Y' / cols')
x C S X'. (MAESTRO's shipped YR-P fixes the set and leaves extra PEs idle; stacking is what the
Eyeriss chip does and makes larger arrays pay off.)

Systolic arrays take SCALE-Sim's GEMM view with spatial extents ``S_R x S_C`` and temporal extent
``T`` (ws: C R S x K, T = Y'X'; os: Y'X' x K, T = C R S; is: C R S x Y'X', T = K) and its
fill/drain convention, measured on SCALE-Sim 3.0.0 (``benchmarks/scalesim/``): every fold costs the
full array's pipeline whatever part of it the fold uses, ``2 rows + cols + T - 2`` cycles for ws and
is (the stationary operand is shifted in through all rows first) and ``rows + cols + T - 2`` for os,
times ``ceil(S_R / rows) ceil(S_C / cols)`` folds. SCALE-Sim's ``Total Cycles`` is the index of the
last cycle, one less than this count; with that offset the two agree exactly on every golden row.
So on a systolic array a larger array can take *more* cycles for a small layer (a longer pipeline
to fill), as in SCALE-Sim.
Depthwise convolutions and pools are channel-wise (one input channel per output channel); each
dataflow's table row says how they map. ``nvdla`` maps them *channel-parallel*, as MAESTRO's own
depthwise mapping (its ``dpt`` directives: channels spatial over every PE, output rows and columns
temporal, the window whole) and the semi-decoupled paper's MAESTRO runs do: ``ceil(K / min(PEs,
t_K'))`` channel folds of ``R S Y' X'`` cycles, the channel tile ``t_K'`` widened to cover the
array; a K x C mapping would put them on one column (one PE per row), which made depthwise layers
63-80 % of our network latency against MAESTRO's 5-18 % (``python benchmarks/maestro/compare.py``).
The others keep their dense mapping with one input channel per output channel; a systolic array
runs the K channels one after the other.

**Temporal mapping and reuse** (NAAS mapping genes). Tiles ``tile_K, tile_C, tile_Y, tile_X``
(clamped to the layer; Y, X tiles are output rows/columns) are the working set moved between DRAM,
the L2 global buffer and the PEs; the order of the four tile loops comes from the importance genes
(outermost first, ties in K, C, Y, X order). MAESTRO's reuse rule: a tensor's tile is fetched again
whenever a loop it depends on advances; loops it does not depend on that sit *inside* its innermost
relevant loop reuse it (stationary), loops *outside* it force re-fetches. Weights depend on K, C;
inputs on C, Y, X (K, Y, X for channel-wise layers), with the convolution halo
``(t - 1) stride + (R - 1) dilation + 1``; outputs on K, Y, X, and partial sums are written back and
re-read when a C loop sits outside them. When the whole layer fits in L2 only compulsory DRAM
traffic remains. The same rule applies one level down, between L2 and the PEs' L1 (which holds each
PE's share of the tiles: the capacity constraint below): a tile stays in the PEs while loops it does
not depend on run inside it, so the loop order decides NoC traffic at any L2 size. Each delivered
tile goes once per spatial fold of the array dimensions it does not depend on (multicast within a
fold); partial sums leave once per fold of dimensions they reduce over, and come back in when an
outer C loop evicted them. R and S are never tiled (a filter window is small), and the genome has
no order genes for them.

**Activations on chip.** Every layer is costed twice: with its input read from and its output
written to DRAM (``latency_cycles``, ``dram_bytes``, ``energy_pj``...), and with both kept in the L2
global buffer from and for the neighbouring layers (``*_res`` fields: DRAM carries only the weights,
once when the layer fits L2, as re-fetched weight tiles otherwise). Which applies is a property of
the network and the buffer, not of the layer: :class:`~evo_codesign.workload.liveness.Workload`
says which residency units (NB301 stages, or layers of a sequential network) have a live set that
fits L2, and :func:`dataflow_cost` weights each instance accordingly, adding the network's input and
output once. L2 is the one global buffer for weights tiles and live activations (as Eyeriss' global
buffer and NVDLA's convolution buffer are); a unit whose live activations alone exceed it spills.

**Runtime** per layer: the slowest of compute, NoC ingress, NoC egress and off-chip transfer
(double-buffered overlap, MAESTRO's per-step max), plus the non-overlapped off-chip load of the
first weight and input tiles. ``compute_cycles`` is the same model with unlimited bandwidth.

*MAESTRO's off-chip timing* (constant ``offchip_step_staging = 1``; off by default). MAESTRO
times the outermost cluster level step by step (``CA_cost-analysis-engine.hpp``,
``AnalyzeClusterLevel_V2``, the ``cluster_idx == 0`` branch): each iteration takes at least the
off-chip time of the step's weight and input tiles (its L2 buffer requirement from
``UpdateBufferSizeReq``, double-buffered, halved) and of its output tile, whatever was already
on chip; reuse lowers its access counts (energy) but not this time. With the CoDesign hardware
file's ``offchip_bw_cstr: 50`` this, not the PE count, sets MAESTRO's KC-P runtime: a step of
the NVDLA-like array holds ``rows x cols`` weights and ``cols`` input windows for ``rows x cols``
window MACs, about one operand per MAC, so dense layers run at about ``50 P / (P + 64)`` MACs per
cycle (40 at 256 PEs, 47 at 1,024) and channel-parallel depthwise layers, two operands per MAC, at
25, whatever the kernel size; the ShiDianNao-like X-P step (one weight, one input strip, a row of
outputs) never binds on NB301 layers. The kernel counts the same *array steps* (``array_steps``:
one spatial fold, the filter window whole, one point of the loops that stay temporal; two-axis
dataflows and the channel-parallel depthwise mapping; row-stationary and systolic arrays have
none) and, with the convention on, adds ``staging_cycles = steps x max(W_step + I_step, O_step) x
data_bytes / offchip_bytes_per_cycle`` (the first fold's operands for every step, as MAESTRO
sizes every case by case 0) to the bounds. The rows are MAESTRO's clusters and the columns a
cluster's PEs (:mod:`evo_codesign.dataflows`): an output row or column mapped on the rows takes an
input window of its own (MAESTRO's buffer requirement adds the clusters' tiles), one on the
columns shares its halo. It is a timing convention only: DRAM bytes and energy keep the reuse rule,
as MAESTRO's access counts do. Off, our default, a chip whose global buffer keeps the tiles it
reuses is what the model costs. ``benchmarks/maestro/`` checks both against MAESTRO.

**Energy** (pJ): work x MAC (or add/compare) energy; L1 accesses x 1.68 MAC: per MAC the weight
and input reads and the partial sum's read and write (MAESTRO counts each of the four once per MAC
at L1, its CSV's ``input/filter/output l1 read`` and ``output l1 write``; Eyeriss, Chen et al.
ISCA 2016, Sec. III: three reads and one write per MAC), plus NoC fills and drains; L2 accesses
(NoC traffic and DRAM fills) x 18.61 MAC (MAESTRO's multipliers: it charges L2 for the array's
reads, the tensors' fills and the outputs' write-backs); DRAM bytes x DRAM energy (MAESTRO has no
DRAM or MAC term). Totals also come per level (``energy_breakdown_pj``: mac, l1, l2, dram).
Constants and sources: :mod:`evo_codesign.cost.constants`. Leakage and NoC energy are not
modelled.

**Capacity** (unlike MAESTRO, which only warns): L2 must hold one tile of each tensor and each PE's
L1 its share of them (a tensor's tile divided over the spatial dimensions it depends on). The
overflow ``need / capacity - 1`` (L1 plus L2) of the worst layer is the design's buffer constraint
(``G > 0`` infeasible).

**Area** (um^2): PEs (multiplier + adder) and SRAM macros (bit cells times CACTI's periphery
factor) of every L1 and the L2, at 32 nm; the NoC's area is not modelled (no sourced figure; see the
constants table). Energies and areas are at the chip's node and operand width
(:func:`~evo_codesign.cost.constants.kernel_constants`).

Data width: ``data_bytes`` (default 1 byte, int8) bytes per element for every tensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numba as nb
import numpy as np

from ..dataflows import DEPTHWISE, DIMS, FAMILIES, kernel_table
from ..space.accelerator import DATAFLOWS, AcceleratorSegment
from ..workload.layers import LAYER_DTYPE, OP_AVGPOOL, OP_DWCONV, OP_GAP, OP_MAXPOOL, output_size
from .constants import DC, KC, dataflow_constants, kernel_constants

__all__ = ["DESIGN_COLUMNS", "LAYER_COLUMNS", "LAYER_FIELDS", "DataflowResult", "dataflow_kernel", "layer_array",
           "design_array", "designs_from_genomes", "dataflow_cost", "evaluate_designs", "area_um2",
           "DEFAULT_CLOCK_MHZ"]

DEFAULT_CLOCK_MHZ = 1000.0  # all designs compared at one clock unless a config sets clock_mhz

#: Columns of the float64 design array (one row per design).
DESIGN_COLUMNS = ("dataflow", "array_rows", "array_cols", "l1_bytes", "l2_bytes", "noc_bytes_per_cycle",
                  "offchip_bytes_per_cycle", "order_K", "order_C", "order_Y", "order_X",
                  "tile_K", "tile_C", "tile_Y", "tile_X")
(_D_DF, _D_ROWS, _D_COLS, _D_L1, _D_L2, _D_NOC, _D_OFF, _D_OK, _D_OC, _D_OY, _D_OX,
 _D_TK, _D_TC, _D_TY, _D_TX) = range(len(DESIGN_COLUMNS))
#: Columns of the int64 layer array (Q, P: output height and width).
LAYER_COLUMNS = ("op", "K", "C", "R", "S", "Y", "X", "Q", "P", "groups", "stride", "dilation", "pad")
_L_OP, _L_K, _L_C, _L_R, _L_S, _L_Y, _L_X, _L_Q, _L_P, _L_G, _L_STRIDE, _L_DIL, _L_PAD = range(len(LAYER_COLUMNS))
#: Per (design, layer) outputs, for one instance of the layer. Units: cycles, MACs/operations,
#: bytes, accesses (elements), pJ; ``utilization`` in [0, 1]; ``buffer_violation`` >= 0.
#: The ``*_res`` fields are the same layer when its input and output activations stay in the
#: global buffer (L2) between layers (see "Activations on chip" above): only weights touch DRAM.
LAYER_FIELDS = ("compute_cycles", "latency_cycles", "macs", "work", "utilization", "noc_in_bytes", "noc_out_bytes",
                "dram_bytes", "l1_accesses", "l2_accesses", "e_op_pj", "e_l1_pj", "e_l2_pj", "e_dram_pj", "energy_pj",
                "l1_need_bytes", "l2_need_bytes", "buffer_violation",
                "latency_res_cycles", "dram_res_bytes", "e_l2_res_pj", "e_dram_res_pj", "energy_res_pj",
                "array_steps", "staging_cycles")
(_O_COMP, _O_LAT, _O_MACS, _O_WORK, _O_UTIL, _O_NIN, _O_NOUT, _O_DRAM, _O_L1, _O_L2, _O_EOP, _O_EL1, _O_EL2,
 _O_EDRAM, _O_E, _O_L1N, _O_L2N, _O_VIOL, _O_LATR, _O_DRAMR, _O_EL2R, _O_EDRAMR, _O_ER, _O_STEPS,
 _O_STAGE) = range(len(LAYER_FIELDS))

# constant indices as plain ints (Numba cannot read class attributes)
# (the kernel's vector, evo_codesign.cost.constants.kernel_constants: per-access pJ at the chip's node and width)
_C_EMAC, _C_EADD, _C_L1, _C_L2, _C_EDRAM, _C_PEAREA, _C_SRAM, _C_DB, _C_STAGING = (
    KC.e_mac, KC.e_add, KC.e_l1, KC.e_l2, KC.e_dram, KC.pe_area, KC.sram_area, KC.data_bytes, KC.step_staging)
# codes of the dataflow table (evo_codesign/dataflows.py) as plain ints for Numba
_FAM_TWO_AXIS, _FAM_SYSTOLIC, _FAM_RS = FAMILIES["two_axis"], FAMILIES["systolic"], FAMILIES["row_stationary"]
_DIM_K, _DIM_C, _DIM_Y, _DIM_X, _DIM_CRS, _DIM_YX = (DIMS[k] for k in ("K", "C", "Y", "X", "CRS", "YX"))
_DW_SERIAL, _DW_PARALLEL = DEPTHWISE["channel_serial"], DEPTHWISE["channel_parallel"]
#: the dataflow table the kernel reads, one row per dataflow in genome order
DATAFLOW_TABLE = kernel_table()
# tensors a loop dimension is relevant to: bit 1 weights, 2 inputs, 4 outputs
_W, _I, _O = 1, 2, 4


@nb.njit(cache=True, nogil=True, inline="always")
def _axis(dim: int, chw: bool, serial: bool, tK: float, tC: float, tQ: float, tP: float, K: float, Dc: float,
          Q: float, P: float, R: float, S: float, chw_rel: int) -> tuple[float, int, float]:
    """One loop dimension on an array axis: (its tile, the tensors it is relevant to, its full
    extent). A channel-serial dataflow runs channel-wise layers one channel at a time (K = 1)."""
    if dim == _DIM_K:
        if chw and serial:
            return 1.0, _W | _O, 1.0
        return tK, _W | _O | chw_rel, K
    if dim == _DIM_C:
        return tC, _W | _I, Dc
    if dim == _DIM_Y:
        return tQ, _I | _O, Q
    if dim == _DIM_X:
        return tP, _I | _O, P
    if dim == _DIM_CRS:
        return tC * R * S, _W | _I, Dc * R * S
    return tQ * tP, _I | _O, Q * P


@nb.njit(cache=True, nogil=True, inline="always")
def _cdiv(a: float, b: float) -> float:
    return np.ceil(a / b)


@nb.njit(cache=True, nogil=True, inline="always")
def _trip(o: int, nK: float, nC: float, nQ: float, nP: float) -> float:
    return nK if o == 0 else nC if o == 1 else nQ if o == 2 else nP


@nb.njit(cache=True, nogil=True)
def _fetches(o0: int, o1: int, o2: int, o3: int, nK: float, nC: float, nQ: float, nP: float, rel: int) -> float:
    """Times a tile is fetched: product of the trip counts of all loops from the outermost (``o0``)
    down to the innermost loop that the tensor depends on (bit ``1 << dim`` of ``rel``; dims K=0,
    C=1, Y=2, X=3) and that advances (trip count > 1; a loop of one trip never changes the tile);
    1 if there is none."""
    prod = 1.0
    t = _trip(o0, nK, nC, nQ, nP)
    acc = t
    if rel & (1 << o0) and t > 1.0:
        prod = acc
    t = _trip(o1, nK, nC, nQ, nP)
    acc *= t
    if rel & (1 << o1) and t > 1.0:
        prod = acc
    t = _trip(o2, nK, nC, nQ, nP)
    acc *= t
    if rel & (1 << o2) and t > 1.0:
        prod = acc
    t = _trip(o3, nK, nC, nQ, nP)
    acc *= t
    if rel & (1 << o3) and t > 1.0:
        prod = acc
    return prod


@nb.njit(cache=True, nogil=True, inline="always")
def _before(vi: float, i: int, vj: float, j: int) -> bool:
    """Loop i sits outside loop j: higher importance, ties broken by the order K, C, Y, X."""
    return vi > vj or (vi == vj and i < j)


@nb.njit(cache=True, nogil=True)
def _layer(d: np.ndarray, L: np.ndarray, c: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """Cost of one instance of layer ``L`` on design ``d``; fills ``out`` (:data:`LAYER_FIELDS`).
    ``table``: :func:`evo_codesign.dataflows.kernel_table` (the dataflow's row is ``d``'s code)."""
    row = table[int(d[_D_DF])]
    fam, row_dim, col_dim, time_dim, fill_rows, dw_mode = row[0], row[1], row[2], row[3], float(row[4]), row[5]
    rows, cols = d[_D_ROWS], d[_D_COLS]
    db = c[_C_DB]
    op = L[_L_OP]
    K, C, R, S, Y, X, Q, P = (float(L[_L_K]), float(L[_L_C]), float(L[_L_R]), float(L[_L_S]), float(L[_L_Y]),
                              float(L[_L_X]), float(L[_L_Q]), float(L[_L_P]))
    stride, dil, pad = float(L[_L_STRIDE]), float(L[_L_DIL]), float(L[_L_PAD])
    # channel-wise layers: one input channel per output channel (depthwise conv, every pool)
    chw = (op == OP_DWCONV or op == OP_MAXPOOL or op == OP_AVGPOOL or op == OP_GAP
           or (L[_L_G] == L[_L_C] and L[_L_G] > 1))
    has_w = not (op == OP_MAXPOOL or op == OP_AVGPOOL or op == OP_GAP)
    Dc = 1.0 if chw else C / L[_L_G]  # input channels per output channel
    work = K * Dc * R * S * Q * P     # MACs, or compare/add operations of a pool
    macs = work if has_w else 0.0

    # channel-parallel depthwise mapping (MAESTRO's dpt): channels over every PE, so the channel
    # tile covers the array
    chan_par = chw and dw_mode == _DW_PARALLEL and fam == _FAM_TWO_AXIS
    tK = min(max(d[_D_TK], rows * cols), K) if chan_par else min(d[_D_TK], K)
    # tiles (clamped to the layer); input tile = output tile + halo
    tC = min(d[_D_TC], Dc)
    tQ = min(d[_D_TY], Q)
    tP = min(d[_D_TX], P)
    hQ = min((tQ - 1.0) * stride + (R - 1.0) * dil + 1.0, Y + 2.0 * pad)
    hP = min((tP - 1.0) * stride + (S - 1.0) * dil + 1.0, X + 2.0 * pad)
    W_tile = tK * tC * R * S if has_w else 0.0
    I_tile = (tK if chw else tC) * hQ * hP
    O_tile = tK * tQ * tP
    W_full = K * Dc * R * S if has_w else 0.0
    I_full = C * Y * X
    O_full = K * Q * P

    # loop order over the tile loops K, C, Y, X: a sorting network on (importance, index)
    o0, o1, o2, o3 = 0, 1, 2, 3
    v0, v1, v2, v3 = d[_D_OK], d[_D_OC], d[_D_OY], d[_D_OX]
    if not _before(v0, o0, v1, o1):
        o0, o1, v0, v1 = o1, o0, v1, v0
    if not _before(v2, o2, v3, o3):
        o2, o3, v2, v3 = o3, o2, v3, v2
    if not _before(v0, o0, v2, o2):
        o0, o2, v0, v2 = o2, o0, v2, v0
    if not _before(v1, o1, v3, o3):
        o1, o3, v1, v3 = o3, o1, v3, v1
    if not _before(v1, o1, v2, o2):
        o1, o2, v1, v2 = o2, o1, v2, v1
    nK, nC, nQ, nP = _cdiv(K, tK), _cdiv(Dc, tC), _cdiv(Q, tQ), _cdiv(P, tP)
    relW = 0b0011
    relI = 0b1101 if chw else 0b1110
    relO = 0b1101

    if (W_full + I_full + O_full) * db <= d[_D_L2]:
        dram = W_full + I_full + O_full  # the whole layer stays on chip: compulsory traffic only
    else:
        fetch_O = _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relO)
        # outputs: every fetch writes a tile; all but the first visit of each tile re-read partial sums
        dram = (_fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relW) * W_tile
                + _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relI) * I_tile
                + fetch_O * O_tile + (fetch_O - nK * nQ * nP) * O_tile)

    # spatial mapping: compute cycles, NoC delivery factors (folds of dims a tensor does not depend
    # on) and each PE's share of the tiles (L1 need)
    chw_rel = _I if chw else 0
    # an array step (MAESTRO's top-level iteration): one spatial fold, the filter window whole, one
    # point of the loops that stay temporal; its operands are what the fold's PEs hold for it
    # (the operands only when the convention is on: the search's default path skips them)
    staged = c[_C_STAGING] != 0.0
    Rw = min((R - 1.0) * dil + 1.0, Y + 2.0 * pad)
    Sw = min((S - 1.0) * dil + 1.0, X + 2.0 * pad)
    steps, W_step, I_step, O_step = 0.0, 0.0, 0.0, 0.0
    if chan_par:
        lanes = min(rows * cols, tK)
        compute = _cdiv(K, lanes) * (work / K)
        fW, fI, fO = 1.0, 1.0, 1.0          # every tensor depends on the channel: delivered once
        pW = pI = pO = lanes
        steps = _cdiv(K, lanes) * Q * P
        if staged:
            W_step = lanes * R * S if has_w else 0.0
            I_step = lanes * Rw * Sw
            O_step = lanes
    elif fam == _FAM_RS:
        # R-row sets stacked over rows (one output channel each), output rows over columns
        if R <= rows:
            copies = max(1.0, min(np.floor(rows / R), tK))
            r_used = R
        else:
            copies = 1.0
            r_used = rows
        c_used = min(cols, tQ)
        compute = _cdiv(R, r_used) * _cdiv(K, copies) * _cdiv(Q, c_used) * (Dc * S * P)
        fR, fKr, fQc = _cdiv(R, r_used), _cdiv(tK, copies), _cdiv(tQ, c_used)
        fW = fQc                           # weights do not depend on output rows
        fI = 1.0 if chw else fKr           # inputs shared by all channel copies (multicast)
        fO = fR                            # partial sums leave once per filter-row fold
        pW = r_used * copies
        pI = r_used * c_used
        pO = copies * c_used
    else:
        serial = dw_mode == _DW_SERIAL
        sr, rr, Fr = _axis(row_dim, chw, serial, tK, tC, tQ, tP, K, Dc, Q, P, R, S, chw_rel)
        sc, rc, Fc = _axis(col_dim, chw, serial, tK, tC, tQ, tP, K, Dc, Q, P, R, S, chw_rel)
        if fam == _FAM_SYSTOLIC:
            # SCALE-Sim 3.0.0: each fold pays the whole array's fill and drain
            _, _, T = _axis(time_dim, chw, serial, tK, tC, tQ, tP, K, Dc, Q, P, R, S, chw_rel)
            fill = fill_rows * rows
            seq = K if (chw and serial) else 1.0  # channel-serial layers: one GEMM per channel
            compute = _cdiv(Fr, rows) * _cdiv(Fc, cols) * (fill + cols + T - 2.0) * seq
        else:
            compute = _cdiv(Fr, min(rows, sr)) * _cdiv(Fc, min(cols, sc)) * (work / (Fr * Fc))
        fr, fc = _cdiv(sr, rows), _cdiv(sc, cols)
        fW = (1.0 if rr & _W else fr) * (1.0 if rc & _W else fc)
        fI = (1.0 if rr & _I else fr) * (1.0 if rc & _I else fc)
        fO = (1.0 if rr & _O else fr) * (1.0 if rc & _O else fc)
        pr, pc = min(sr, rows), min(sc, cols)
        pW = (pr if rr & _W else 1.0) * (pc if rc & _W else 1.0)
        pI = (pr if rr & _I else 1.0) * (pc if rc & _I else 1.0)
        pO = (pr if rr & _O else 1.0) * (pc if rc & _O else 1.0)
        if fam == _FAM_TWO_AXIS:
            # each PE runs the window (R S MACs) per step; the first (full) fold's operands stand for
            # every step, as MAESTRO sizes every iteration case by case 0's buffer requirement. The
            # rows are MAESTRO's clusters, the columns a cluster's PEs: an output row or column on
            # the rows takes a window of its own (the buffer requirement adds the clusters' tiles),
            # one on the columns shares its halo (the cluster's tile is one sliding-window tile)
            steps = compute / (R * S)
            if staged:
                uY = pr if row_dim == _DIM_Y else pc if col_dim == _DIM_Y else 1.0
                uX = pr if row_dim == _DIM_X else pc if col_dim == _DIM_X else 1.0
                hY = uY * Rw if row_dim == _DIM_Y else min((uY - 1.0) * stride + Rw, Y + 2.0 * pad)
                hX = uX * Sw if row_dim == _DIM_X else min((uX - 1.0) * stride + Sw, X + 2.0 * pad)
                W_step = pW * R * S if has_w else 0.0
                I_step = (pI / (uY * uX)) * hY * hX
                O_step = pO

    # L2 -> PEs with the same reuse rule as DRAM -> L2, one level down: a tile stays in the PEs'
    # L1 while loops it does not depend on run inside it (the L1 holds it: the capacity constraint),
    # so the loop order decides NoC traffic whatever the L2 size; partial sums evicted while an
    # outer C loop runs come back in
    fetch_W = _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relW)
    fetch_I = _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relI)
    fetch_Ot = _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relO)
    noc_in = (fetch_W * W_tile * fW + fetch_I * I_tile * fI + (fetch_Ot - nK * nQ * nP) * O_tile * fO) * db
    noc_out = fetch_Ot * O_tile * fO * db
    dram_b = dram * db

    # capacity: one tile of each tensor in L2; each PE holds its share
    l1_need = (_cdiv(W_tile, pW) + _cdiv(I_tile, pI) + _cdiv(O_tile, pO)) * db
    l2_need = (W_tile + I_tile + O_tile) * db
    viol = max(0.0, l2_need / d[_D_L2] - 1.0) + max(0.0, l1_need / d[_D_L1] - 1.0)

    # MAESTRO's top-level timing (constant offchip_step_staging = 1): every array step brings its
    # weights and inputs over the off-chip link and sends its outputs back, double-buffered, whatever
    # is already on chip; a bound on the step-by-step runtime next to compute, NoC and DRAM
    staging = steps * max(W_step + I_step, O_step) * db / d[_D_OFF] if staged else 0.0

    first = (W_tile + I_tile) * db / d[_D_OFF]
    latency = max(max(max(compute, noc_in / d[_D_NOC]), max(noc_out / d[_D_NOC], dram_b / d[_D_OFF])),
                  staging) + first

    # activations resident in L2 between layers: DRAM carries the weights only (once when the layer
    # fits L2, else as the weight tiles are re-fetched), and only the first weight tile is a
    # non-overlapped off-chip load
    if (W_full + I_full + O_full) * db <= d[_D_L2]:
        dram_res_b = W_full * db
    else:
        dram_res_b = _fetches(o0, o1, o2, o3, nK, nC, nQ, nP, relW) * W_tile * db
    latency_res = (max(max(max(compute, noc_in / d[_D_NOC]), max(noc_out / d[_D_NOC], dram_res_b / d[_D_OFF])),
                       staging) + W_tile * db / d[_D_OFF])

    e_mac = c[_C_EMAC]
    l1_acc = (4.0 * work if has_w else work + O_full) + (noc_in + noc_out) / db
    l2_acc = (noc_in + noc_out + dram_b) / db
    e_op = work * (e_mac if has_w else c[_C_EADD])
    e_l1 = l1_acc * c[_C_L1]
    e_l2 = l2_acc * c[_C_L2]
    e_dram = dram_b * c[_C_EDRAM]
    e_l2_res = (noc_in + noc_out + dram_res_b) / db * c[_C_L2]
    e_dram_res = dram_res_b * c[_C_EDRAM]

    out[_O_COMP] = compute
    out[_O_LAT] = latency
    out[_O_MACS] = macs
    out[_O_WORK] = work
    out[_O_UTIL] = work / (compute * rows * cols) if compute > 0 else 0.0
    out[_O_NIN] = noc_in
    out[_O_NOUT] = noc_out
    out[_O_DRAM] = dram_b
    out[_O_L1] = l1_acc
    out[_O_L2] = l2_acc
    out[_O_EOP] = e_op
    out[_O_EL1] = e_l1
    out[_O_EL2] = e_l2
    out[_O_EDRAM] = e_dram
    out[_O_E] = e_op + e_l1 + e_l2 + e_dram
    out[_O_L1N] = l1_need
    out[_O_L2N] = l2_need
    out[_O_VIOL] = viol
    out[_O_LATR] = latency_res
    out[_O_DRAMR] = dram_res_b
    out[_O_EL2R] = e_l2_res
    out[_O_EDRAMR] = e_dram_res
    out[_O_ER] = e_op + e_l1 + e_l2_res + e_dram_res
    out[_O_STEPS] = steps
    out[_O_STAGE] = staging


@nb.njit(cache=True, nogil=True)
def dataflow_kernel(designs: np.ndarray, layers: np.ndarray, consts: np.ndarray, table: np.ndarray,
                    out: np.ndarray) -> None:
    """Fill ``out`` (n_designs, n_layers, len(LAYER_FIELDS)) for every (design, layer) pair.

    ``designs``: float64 (n_designs, 15) in :data:`DESIGN_COLUMNS` order (``l2_bytes`` in bytes);
    ``layers``: int64 (n_layers, 13) in :data:`LAYER_COLUMNS` order; ``consts``: the vector of
    :func:`~evo_codesign.cost.constants.kernel_constants`; ``table``: :data:`DATAFLOW_TABLE`.
    ``nogil``: threads may share a batch.
    """
    for i in range(designs.shape[0]):
        for j in range(layers.shape[0]):
            _layer(designs[i], layers[j], consts, table, out[i, j])


def layer_array(L: np.ndarray) -> np.ndarray:
    """int64 (n, 13) layer array in :data:`LAYER_COLUMNS` order from a ``LAYER_DTYPE`` table."""
    L = np.asarray(L)
    if L.dtype != LAYER_DTYPE:
        raise TypeError("layer_array needs a LAYER_DTYPE table")
    Q = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
    P = output_size(L["X"].astype(np.int64), L["S"], L["stride"], L["pad"], L["dilation"])
    cols = [L["op"], L["K"], L["C"], L["R"], L["S"], L["Y"], L["X"], Q, P, L["groups"], L["stride"], L["dilation"],
            L["pad"]]
    return np.ascontiguousarray(np.stack([np.asarray(a, dtype=np.int64) for a in cols], axis=1).reshape(-1, 13))


_SEG = AcceleratorSegment()
#: design column -> accelerator gene (``l2_bytes`` comes from ``l2_kib``)
_GENE_FOR = {c: c for c in DESIGN_COLUMNS} | {"l2_bytes": "l2_kib"}


def _gene_table(col: str) -> np.ndarray:
    if col == "dataflow":
        return np.arange(len(DATAFLOWS), dtype=np.float64)
    vals = np.asarray(_SEG.gene(_GENE_FOR[col]).choices, dtype=np.float64)
    return vals * 1024.0 if col == "l2_bytes" else vals


_TABLES = {col: _gene_table(col) for col in DESIGN_COLUMNS}
_POS = {col: _SEG.position(_GENE_FOR[col]) for col in DESIGN_COLUMNS}


def designs_from_genomes(X: np.ndarray) -> np.ndarray:
    """float64 (n, 15) design array straight from accelerator-segment genes (vectorised lookup)."""
    A = np.atleast_2d(np.asarray(X, dtype=np.int64))
    if A.shape[1] != _SEG.n_var:
        raise ValueError(f"accelerator genomes need {_SEG.n_var} genes, got {A.shape[1]}")
    return np.stack([_TABLES[c][A[:, _POS[c]]] for c in DESIGN_COLUMNS], axis=1)


def design_array(decoded: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Design array from decoded accelerator dicts (``AcceleratorSegment.decode``) or equivalent
    dicts with any positive integer sizes (``l2_kib`` in KiB, ``l1_bytes`` per PE)."""
    ds = [decoded] if isinstance(decoded, Mapping) else list(decoded)
    out = np.empty((len(ds), len(DESIGN_COLUMNS)))
    for i, d in enumerate(ds):
        missing = [g for g in _GENE_FOR.values() if g not in d]
        if missing:
            raise ValueError(f"design {i}: missing field(s) {missing}")
        if d["dataflow"] not in DATAFLOWS:
            raise ValueError(f"design {i}: unknown dataflow {d['dataflow']!r}; allowed: {list(DATAFLOWS)}")
        row = {c: float(d[_GENE_FOR[c]]) for c in DESIGN_COLUMNS if c != "dataflow"}
        row["dataflow"] = float(DATAFLOWS.index(d["dataflow"]))
        row["l2_bytes"] *= 1024.0
        for c in DESIGN_COLUMNS:
            if c != "dataflow" and not c.startswith("order_") and not row[c] > 0:
                raise ValueError(f"design {i}: {_GENE_FOR[c]} must be positive, got {d[_GENE_FOR[c]]!r}")
        out[i] = [row[c] for c in DESIGN_COLUMNS]
    return out


def area_um2(designs: np.ndarray, consts: np.ndarray) -> np.ndarray:
    """Area per design (um^2): PEs plus SRAM macros (bit cells and periphery) of all L1s and the
    L2; ``consts`` is the kernel's vector (:func:`~evo_codesign.cost.constants.kernel_constants`)."""
    pes = designs[:, _D_ROWS] * designs[:, _D_COLS]
    sram = pes * designs[:, _D_L1] + designs[:, _D_L2]
    return pes * consts[KC.pe_area] + sram * consts[KC.sram_area]


@dataclass(frozen=True)
class DataflowResult:
    """Kernel outputs: ``per_layer`` (n_designs, n_layers, LAYER_FIELDS) for one instance of each
    layer, and per-design network totals weighted by the layer counts (each instance taking its
    resident or its spilled costs, see :func:`dataflow_cost`): ``latency_cycles``,
    ``compute_cycles``, ``latency_ns`` (at ``clock_mhz``), ``energy_pj``, ``area_um2``, the worst
    ``buffer_violation`` of any layer the network uses (``> 0``: infeasible), ``dram_bytes`` and
    ``energy_breakdown_pj`` (``mac``, ``l1``, ``l2``, ``dram``: pJ per level)."""

    per_layer: np.ndarray
    latency_cycles: np.ndarray
    compute_cycles: np.ndarray
    latency_ns: np.ndarray
    energy_pj: np.ndarray
    area_um2: np.ndarray
    buffer_violation: np.ndarray
    clock_mhz: float
    dram_bytes: np.ndarray | None = None
    energy_breakdown_pj: dict | None = None

    def layer(self, field: str) -> np.ndarray:
        """(n_designs, n_layers) view of one of :data:`LAYER_FIELDS`."""
        return self.per_layer[:, :, LAYER_FIELDS.index(field)]


def _weighted(cnt: np.ndarray, res: np.ndarray | None, out: np.ndarray, spilled: int, resident: int) -> np.ndarray:
    """Network totals of one field: spilled instances at their spilled cost, resident ones at theirs."""
    if res is None:
        return np.einsum("dl,dl->d", cnt, out[:, :, spilled])
    return np.einsum("dl,dl->d", cnt - res, out[:, :, spilled]) + np.einsum("dl,dl->d", res, out[:, :, resident])


def dataflow_cost(designs: np.ndarray, layers: np.ndarray, counts: np.ndarray | None = None, *,
                  constants: Mapping[str, float] | np.ndarray | None = None,
                  clock_mhz: float = DEFAULT_CLOCK_MHZ, resident_counts: np.ndarray | None = None,
                  boundary_bytes: np.ndarray | None = None) -> DataflowResult:
    """Run the kernel and weight per-layer costs into network totals.

    ``designs``: (n_designs, 15) from :func:`design_array` / :func:`designs_from_genomes`;
    ``layers``: a ``LAYER_DTYPE`` table (its ``count`` is the default weight) or a
    :func:`layer_array`; ``counts``: (n_designs, n_layers) or (n_layers,) instances of each layer in
    each design's network, e.g. from :func:`~evo_codesign.workload.layers.unique_across`.
    ``resident_counts``: how many of those instances run with their activations kept in L2
    (:class:`~evo_codesign.workload.liveness.Workload`); default none: every layer reads its input
    from DRAM and writes its output back. ``boundary_bytes``: (n_designs,) network input and
    output bytes that cross the chip boundary besides the layers' own traffic.
    """
    D = np.ascontiguousarray(np.atleast_2d(designs), dtype=np.float64)
    if D.shape[1] != len(DESIGN_COLUMNS):
        raise ValueError(f"designs must have {len(DESIGN_COLUMNS)} columns {DESIGN_COLUMNS}, got {D.shape}")
    if isinstance(layers, np.ndarray) and layers.dtype == LAYER_DTYPE:
        default_counts = layers["count"].astype(np.float64)
        La = layer_array(layers)
    else:
        La = np.ascontiguousarray(layers, dtype=np.int64).reshape(-1, len(LAYER_COLUMNS))
        default_counts = np.ones(len(La))
    cnt = default_counts if counts is None else np.asarray(counts, dtype=np.float64)
    cnt = np.broadcast_to(cnt, (len(D), len(La)))
    res = None if resident_counts is None else np.broadcast_to(np.asarray(resident_counts, dtype=np.float64),
                                                               (len(D), len(La)))
    c = constants if isinstance(constants, np.ndarray) else dataflow_constants(constants)
    k = kernel_constants(c)
    out = np.empty((len(D), len(La), len(LAYER_FIELDS)))
    dataflow_kernel(D, La, np.ascontiguousarray(k, dtype=np.float64), DATAFLOW_TABLE, out)
    edge = np.zeros(len(D)) if boundary_bytes is None else np.asarray(boundary_bytes, dtype=np.float64)
    lat = _weighted(cnt, res, out, _O_LAT, _O_LATR) + edge / D[:, _D_OFF]
    comp = np.einsum("dl,dl->d", cnt, out[:, :, _O_COMP])
    e_dram = _weighted(cnt, res, out, _O_EDRAM, _O_EDRAMR) + edge * k[KC.e_dram]
    parts = {"mac": np.einsum("dl,dl->d", cnt, out[:, :, _O_EOP]), "l1": np.einsum("dl,dl->d", cnt, out[:, :, _O_EL1]),
             "l2": _weighted(cnt, res, out, _O_EL2, _O_EL2R), "dram": e_dram}
    energy = parts["mac"] + parts["l1"] + parts["l2"] + parts["dram"]
    dram = _weighted(cnt, res, out, _O_DRAM, _O_DRAMR) + edge
    viol = np.where(cnt > 0, out[:, :, _O_VIOL], 0.0).max(axis=1) if len(La) else np.zeros(len(D))
    return DataflowResult(out, lat, comp, lat * 1e3 / clock_mhz, energy, area_um2(D, k), viol, clock_mhz, dram, parts)


def evaluate_designs(X_accelerator: np.ndarray, shapes: np.ndarray, counts: np.ndarray, *,
                     constants: Mapping[str, float] | None = None, clock_mhz: float = DEFAULT_CLOCK_MHZ,
                     workload: Any = None) -> DataflowResult:
    """Cost each design's network: accelerator genes (n, 17), shape vocabulary, counts (n, n_shapes).
    With ``workload`` (a :class:`~evo_codesign.workload.liveness.Workload` of those shapes), the
    units whose live activations fit a design's L2 run on chip."""
    D = designs_from_genomes(X_accelerator)
    if workload is None:
        return dataflow_cost(D, shapes, counts, constants=constants, clock_mhz=clock_mhz)
    c = dataflow_constants(constants)
    capacity = D[:, _D_L2] / c[DC.data_bytes]  # L2 is the global buffer that holds the live activations
    return dataflow_cost(D, shapes, counts, constants=c, clock_mhz=clock_mhz,
                         resident_counts=workload.resident_counts(capacity),
                         boundary_bytes=workload.boundary_elements(capacity) * c[DC.data_bytes])

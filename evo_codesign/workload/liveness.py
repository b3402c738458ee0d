"""Live activations: how many activation elements must be held at once, per residency unit.

An accelerator keeps a layer's input and output in its on-chip global buffer, for the next
consumers, when everything live at that point fits (KU Leuven's DeFiNES / Stream model layer fusion
the same way; FIELD_NOTES "Memory hierarchy"). What is live follows the network's graph, with each
tensor freed after its last consumer:

* DARTS / NB301 networks (Liu et al. ICLR 2019; :mod:`evo_codesign.workload.cells`): while cell
  ``i`` runs, the concatenated output of cell ``i - 1`` (read again by cell ``i + 1``), the output
  of cell ``i - 2`` until cell ``i``'s first preprocessing has read it, the two preprocessed inputs
  ``s0``/``s1`` until the last edge that reads them, every finished intermediate node (they are
  concatenated at the end, without a copy), the first edge's output of the node being computed,
  and the edge's own temporaries (a separable or dilated convolution holds two at a time; a pool
  or a factorized reduce one; an identity edge none, it aliases its input).
* A sequential network (the VGG-like backbone, a user's layer table): each layer's input and output.

The unit of residency is a *stage* of the cell network (its precision group: cells between
reductions, the stem with the first, the head with the last) or one layer of a sequential network:
a unit runs from the buffer when its peak live set fits, otherwise each of its layers reads its
input from DRAM and writes its output there (:mod:`evo_codesign.cost.dataflow`, ``*_res`` fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..space.cell import N_NODES, OPS, CellSegment
from .cells import Protocol, _protocol
from .layers import layer_output_elements

__all__ = ["Workload", "cell_stage_live_elements", "sequential_live_elements", "stage_dims"]

_SEG = CellSegment()
N_EDGES = 2 * N_NODES
# temporaries an edge holds beyond its input, in units of the cell's node tensor (C x H x W)
_TEMP = {"max_pool_3x3": 1.0, "avg_pool_3x3": 1.0, "skip_connect": 0.0, "sep_conv_3x3": 2.0,
         "sep_conv_5x5": 2.0, "dil_conv_3x3": 2.0, "dil_conv_5x5": 2.0}
_TEMP_ARR = np.array([_TEMP[o] for o in OPS])
_SKIP = OPS.index("skip_connect")
_OP_COLS = np.array([[c * 2 * N_EDGES + 2 * j for j in range(N_EDGES)] for c in range(2)])  # (2, 8)


@lru_cache(maxsize=None)
def stage_dims(protocol: str | Protocol = "nb301") -> tuple[tuple, ...]:
    """Per cell: (stage, is reduction, C, input resolution, node resolution, elements of the
    previous cell's output, elements of the one before), and the stem's and head's live sizes."""
    p = _protocol(protocol)
    C_stem = p.stem_multiplier * p.init_channels
    stem_out = C_stem * p.image_size ** 2
    prev_prev = prev = stem_out
    C, Y, stage, cells = p.init_channels, p.image_size, 0, []
    for i in range(p.n_cells):
        red = i in p.reduction_cells
        if red:
            C, stage = 2 * C, stage + 1
        H = Y // 2 if red else Y
        # cell 0 reads the stem's output twice: one tensor, not two
        cells.append((stage, red, C, Y, H, prev, prev_prev if i > 0 else 0))
        prev_prev, prev = prev, N_NODES * C * H * H
        Y = H
    stem = p.in_channels * p.image_size ** 2 + stem_out
    head = prev + N_NODES * C  # the last cell's output and the pooled vector
    return tuple(cells), stem, head


def _edge_coefficients(A: np.ndarray, ctype: int, reduction: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per genome and edge: live node tensors beyond the inputs (units of C H W) and live
    preprocessed inputs (0, 1 or 2; units of C Hin Win) while the edge runs."""
    ops = A[:, _OP_COLS[ctype]]                      # (n, 8)
    inp = A[:, _OP_COLS[ctype] + 1]
    j = np.arange(N_EDGES)
    last = [np.where(inp == s, j, -1).max(axis=1) for s in (0, 1)]   # last edge reading s0 / s1
    s_live = sum((j[None, :] <= last[s][:, None]).astype(float) for s in (0, 1))
    strided = reduction & (inp < 2)
    temp = np.where((ops == _SKIP) & strided, 1.0, _TEMP_ARR[ops])   # a strided skip is a factorized reduce
    done = (j // 2).astype(float)[None, :]           # finished nodes
    first_kept = np.zeros_like(temp)                 # the node's first edge output, unless an alias
    first_kept[:, 1::2] = np.where((ops[:, 0::2] == _SKIP) & ~strided[:, 0::2], 0.0, 1.0)
    return done + first_kept + temp, s_live


def cell_stage_live_elements(X: np.ndarray, protocol: str | Protocol = "nb301") -> np.ndarray:
    """(n, n_stages) peak live activation elements of each stage of each cell genome's network."""
    A = np.atleast_2d(np.asarray(X, dtype=np.int64))
    cells, stem, head = stage_dims(protocol)
    n_stages = cells[-1][0] + 1
    out = np.zeros((len(A), n_stages))
    out[:, 0] = stem
    out[:, -1] = np.maximum(out[:, -1], head)
    coef = {red: _edge_coefficients(A, int(red), red) for red in (False, True)}
    for stage, red, C, Y, H, prev, prev_prev in cells:
        node, s_in = C * H * H, C * Y * Y
        pre0 = prev_prev + prev + s_in
        pre1 = prev + 2 * s_in
        a, s_live = coef[red]
        edges = (prev + s_live * s_in + a * node).max(axis=1)
        out[:, stage] = np.maximum(out[:, stage], np.maximum(np.maximum(pre0, pre1), edges))
    return out


def sequential_live_elements(layers: np.ndarray) -> np.ndarray:
    """Per layer row of a sequential network: its input plus its output elements."""
    L = np.asarray(layers)
    return L["C"].astype(np.float64) * L["Y"] * L["X"] + layer_output_elements(L)


@dataclass
class Workload:
    """The networks of a batch of designs, as the hardware backends see them.

    ``shapes``: the layer-shape vocabulary (a ``LAYER_DTYPE`` table); ``counts`` (n, n_shapes):
    instances of each shape in each design's network; ``unit`` (n_shapes,): the residency unit of
    each shape; ``live_elements`` (n, n_units): each unit's peak live activation elements;
    ``input_elements``/``output_elements`` (n,): the network's input and output, which cross the
    chip boundary once per inference."""

    shapes: np.ndarray
    counts: np.ndarray
    unit: np.ndarray
    live_elements: np.ndarray
    input_elements: np.ndarray
    output_elements: np.ndarray

    def fits(self, capacity_elements: np.ndarray) -> np.ndarray:
        """(n, n_units): which units' live activations fit a buffer of that many elements."""
        return self.live_elements <= np.asarray(capacity_elements, dtype=np.float64).reshape(-1, 1)

    def resident_counts(self, capacity_elements: np.ndarray) -> np.ndarray:
        """(n, n_shapes): the instances of each shape that run with their activations on chip."""
        return self.counts * self.fits(capacity_elements)[:, self.unit]

    def boundary_elements(self, capacity_elements: np.ndarray) -> np.ndarray:
        """(n,): network input and output elements that go through DRAM on top of the layers'
        own traffic: the input when the first unit runs on chip, the output when the last does
        (a spilled unit's layers already read and write DRAM)."""
        f = self.fits(capacity_elements)
        return self.input_elements * f[:, 0] + self.output_elements * f[:, -1]

    def rows(self, index) -> "Workload":
        """Some designs' networks (``index``: a slice or indices into the batch)."""
        return Workload(self.shapes, self.counts[index], self.unit, self.live_elements[index],
                        self.input_elements[index], self.output_elements[index])

    def subset(self, mask: np.ndarray) -> "Workload":
        """The same networks restricted to some shapes (the PE-array part of a hybrid chip); the
        live activations stay the whole network's, since every engine shares the buffer."""
        return Workload(self.shapes[mask], self.counts[:, mask], self.unit[mask], self.live_elements,
                        self.input_elements, self.output_elements)

    @classmethod
    def sequential(cls, shapes: np.ndarray, counts: np.ndarray, unit: np.ndarray, live_rows: np.ndarray,
                   input_elements: float, output_elements: float) -> "Workload":
        """Every unit's peak from per-shape live sizes of one sequential network per row."""
        n_units = int(unit.max()) + 1 if len(unit) else 1
        live = np.zeros((len(counts), n_units))
        for u in range(n_units):
            sel = unit == u
            if sel.any():
                live[:, u] = np.where(counts[:, sel] > 0, live_rows[sel][None, :], 0.0).max(axis=1)
        n = len(counts)
        return cls(shapes, counts, unit, live, np.full(n, float(input_elements)), np.full(n, float(output_elements)))

"""The DARTS / NAS-Bench-301 cell space and its converters.

Genome layout (32 genes): for cell ``normal`` then ``reduce``, for pair ``i`` in 0..7, the genes
``{cell}.{i}.op`` (index into :data:`OPS`) and ``{cell}.{i}.input`` (0 = c_{k-2}, 1 = c_{k-1},
2.. = earlier intermediate nodes). Pairs 2k and 2k+1 feed intermediate node k+2 and must take two
*distinct* inputs from 0..k+1 (DARTS, Liu et al. ICLR 2019; NB301, Siems et al. 2020).

Three external forms are supported:

* the NB301/DARTS ``Genotype(normal, normal_concat, reduce, reduce_concat)`` with ``(op, input)``
  pairs (order preserved exactly);
* NASLib's compact form ``((input, op_index) x 8, (input, op_index) x 8)``, op indices into
  :data:`OPS` (NASLib ``naslib/search_spaces/nasbench301/conversions.py`` uses this order);
* NB301's ConfigSpace names (``NetworkSelectorDatasetInfo:darts:edge_normal_0..13``,
  ``...:inputs_node_normal_3..5``), which store each node's inputs as an *unordered* pair, so this
  form round-trips up to :func:`canonicalize` (pairs of a node sorted by input).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Mapping, Sequence

import numpy as np

from .base import Gene, GenomeError, Segment, as_genome_batch

__all__ = [
    "OPS", "CELL_TYPES", "N_NODES", "Genotype", "CellSegment",
    "genotype_to_genome", "genome_to_genotype", "compact_to_genome", "genome_to_compact",
    "configspace_to_genome", "genome_to_configspace", "canonicalize", "CONFIGSPACE_PREFIX",
]

#: Operation order of NASLib's compact encoding and of NB301's ConfigSpace choices.
OPS: tuple[str, ...] = (
    "max_pool_3x3", "avg_pool_3x3", "skip_connect",
    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
)
CELL_TYPES = ("normal", "reduce")
N_NODES = 4  # intermediate nodes per cell
N_PAIRS = 2 * N_NODES
CONCAT = (2, 3, 4, 5)
CONFIGSPACE_PREFIX = "NetworkSelectorDatasetInfo:darts:"
# First ConfigSpace edge id of node k+2: node 2 owns edges 0-1, node 3 edges 2-4, node 4 5-8, node 5 9-13.
_EDGE_OFFSET = (0, 2, 5, 9)

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


def _op_pos(cell: int, pair: int) -> int:
    return cell * 2 * N_PAIRS + 2 * pair


def _in_pos(cell: int, pair: int) -> int:
    return _op_pos(cell, pair) + 1


# Positions of the two input genes of every node, shape (2 cells * 4 nodes, 2), and node sizes.
_PAIR_IN = np.array([[_in_pos(c, 2 * k), _in_pos(c, 2 * k + 1)] for c in range(2) for k in range(N_NODES)])
_NODE_N = np.array([k + 2 for _ in range(2) for k in range(N_NODES)])


class CellSegment(Segment):
    """Normal + reduction cell of the DARTS / NB301 space (32 genes)."""

    def __init__(self, name: str = "cell") -> None:
        genes = []
        for cell in CELL_TYPES:
            for i in range(N_PAIRS):
                genes.append(Gene(f"{cell}.{i}.op", OPS))
                genes.append(Gene(f"{cell}.{i}.input", tuple(range(i // 2 + 2))))
        super().__init__(name, genes, doc="DARTS/NB301 normal and reduction cells")

    def blocks(self) -> list[np.ndarray]:
        """One block per intermediate node: its two (op, input) pairs, so crossover keeps nodes whole."""
        return [np.arange(_op_pos(c, 2 * k), _op_pos(c, 2 * k) + 4) for c in range(2) for k in range(N_NODES)]

    def _structural_ok(self, X: np.ndarray) -> np.ndarray:
        return np.all(X[:, _PAIR_IN[:, 0]] != X[:, _PAIR_IN[:, 1]], axis=1)

    def _structural_violations(self, X: np.ndarray) -> list[tuple[int, int, str]]:
        out = []
        dup = X[:, _PAIR_IN[:, 0]] == X[:, _PAIR_IN[:, 1]]
        for row, j in zip(*np.nonzero(dup)):
            c, k = divmod(int(j), N_NODES)
            out.append((int(row), int(_PAIR_IN[j, 1]),
                        f"{CELL_TYPES[c]} node {k + 2} takes input {int(X[row, _PAIR_IN[j, 0]])} twice "
                        f"(pairs {2 * k} and {2 * k + 1} need distinct inputs)"))
        return out

    def _repair_structure(self, X: np.ndarray) -> np.ndarray:
        # Deterministic: the second edge of a node moves to the next input (cyclically).
        a, b = X[:, _PAIR_IN[:, 0]], X[:, _PAIR_IN[:, 1]]
        X[:, _PAIR_IN[:, 1]] = np.where(a == b, (b + 1) % _NODE_N, b)
        return X

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        X = np.empty((n, self.n_var), dtype=np.int64)
        op_pos = [p for p in range(self.n_var) if p % 2 == 0]
        X[:, op_pos] = rng.integers(0, len(OPS), size=(n, len(op_pos)))
        # Uniform over ordered pairs of distinct inputs, as NB301's sampler draws node inputs.
        first = rng.integers(0, _NODE_N, size=(n, len(_NODE_N)))
        second = rng.integers(0, _NODE_N - 1, size=(n, len(_NODE_N)))
        second = second + (second >= first)
        X[:, _PAIR_IN[:, 0]] = first
        X[:, _PAIR_IN[:, 1]] = second
        return X

    def decode(self, x: Any, *, offset: int = 0) -> dict[str, Any]:
        """``{"normal": [[op, input] x 8], "normal_concat": [2,3,4,5], "reduce": ..., "reduce_concat": ...}``."""
        row = self.validate(x, offset=offset)
        out: dict[str, Any] = {}
        for c, cell in enumerate(CELL_TYPES):
            out[cell] = [[OPS[row[_op_pos(c, i)]], int(row[_in_pos(c, i)])] for i in range(N_PAIRS)]
            out[f"{cell}_concat"] = list(CONCAT)
        return out

    def encode(self, values: Any) -> np.ndarray:
        """Accepts a decoded dict or a :data:`Genotype` (order of pairs kept)."""
        return genotype_to_genome(values, segment=self)


_DEFAULT = None


def _seg(segment: CellSegment | None) -> CellSegment:
    global _DEFAULT
    if segment is not None:
        return segment
    if _DEFAULT is None:
        _DEFAULT = CellSegment()
    return _DEFAULT


def genotype_to_genome(genotype: Any, *, segment: CellSegment | None = None) -> np.ndarray:
    """Genome of a ``Genotype`` namedtuple or a mapping with ``normal`` and ``reduce`` lists."""
    seg = _seg(segment)
    if isinstance(genotype, Mapping):
        get = genotype.get
        keys = set(genotype)
    elif hasattr(genotype, "_fields"):
        get = lambda k, d=None: getattr(genotype, k, d)  # noqa: E731
        keys = set(genotype._fields)
    else:
        raise GenomeError(f"cell: expected a Genotype or a mapping with 'normal' and 'reduce', got {type(genotype).__name__}")
    x = np.empty(seg.n_var, dtype=np.int64)
    for c, cell in enumerate(CELL_TYPES):
        if cell not in keys:
            raise GenomeError(f"cell: missing key {cell!r}")
        pairs = get(cell)
        if not isinstance(pairs, Sequence) or isinstance(pairs, str) or len(pairs) != N_PAIRS:
            raise GenomeError(f"cell: {cell!r} must be a list of {N_PAIRS} [op, input] pairs")
        concat = get(f"{cell}_concat", None)
        if concat is not None and [int(v) for v in concat] != list(CONCAT):
            raise GenomeError(f"cell: {cell}_concat={list(concat)} is outside the NB301 space (must be {list(CONCAT)})")
        for i, pair in enumerate(pairs):
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise GenomeError(f"cell: {cell} pair {i} must be [op, input], got {pair!r}")
            op, inp = pair
            if op not in OPS:
                raise GenomeError(f"cell: {cell} pair {i}: unknown op {op!r}; allowed: {list(OPS)}")
            if isinstance(inp, bool) or not isinstance(inp, (int, np.integer)):
                raise GenomeError(f"cell: {cell} pair {i}: input must be an integer, got {inp!r}")
            x[_op_pos(c, i)] = OPS.index(op)
            x[_in_pos(c, i)] = int(inp)
    seg.validate(x)
    return x


def genome_to_genotype(x: Any, *, segment: CellSegment | None = None) -> Genotype:
    d = _seg(segment).decode(x)
    return Genotype(
        normal=[tuple(p) for p in d["normal"]], normal_concat=list(CONCAT),
        reduce=[tuple(p) for p in d["reduce"]], reduce_concat=list(CONCAT),
    )


def compact_to_genome(compact: Sequence, *, segment: CellSegment | None = None) -> np.ndarray:
    """NASLib compact ``((input, op_index) x 8, (input, op_index) x 8)`` -> genome."""
    if len(compact) != 2:
        raise GenomeError("cell: compact form needs two cells (normal, reduce)")
    d = {}
    for c, cell in enumerate(CELL_TYPES):
        pairs = compact[c]
        if len(pairs) != N_PAIRS:
            raise GenomeError(f"cell: compact {cell} cell must have {N_PAIRS} (input, op) pairs")
        out = []
        for i, (inp, op) in enumerate(pairs):
            if not 0 <= int(op) < len(OPS):
                raise GenomeError(f"cell: compact {cell} pair {i}: op index {op} out of range 0..{len(OPS) - 1}")
            out.append([OPS[int(op)], int(inp)])
        d[cell] = out
    return genotype_to_genome(d, segment=segment)


def genome_to_compact(x: Any, *, segment: CellSegment | None = None) -> tuple:
    row = _seg(segment).validate(x)
    return tuple(
        tuple((int(row[_in_pos(c, i)]), int(row[_op_pos(c, i)])) for i in range(N_PAIRS)) for c in range(2)
    )


def canonicalize(X: Any, *, segment: CellSegment | None = None) -> np.ndarray:
    """Sort the two edges of every node by (input, op): same network, one genome.

    Summation at a node is commutative, so genomes that differ only in the order of a node's two
    edges describe the same network; evaluation caches key on the canonical form.
    """
    seg = _seg(segment)
    A, was_1d = as_genome_batch(X, seg.n_var, what="cell")
    # (design, node of either cell, edge, [op, input]): a node's two (op, input) pairs are adjacent
    E = np.ascontiguousarray(A).reshape(len(A), len(CELL_TYPES) * N_NODES, 2, 2)
    key = E[..., 1] * len(OPS) + E[..., 0]
    swap = key[..., 1] < key[..., 0]
    A = np.where(swap[:, :, None, None], E[:, :, ::-1], E).reshape(A.shape)
    return A[0] if was_1d else A


def genome_to_configspace(x: Any, *, prefix: str = CONFIGSPACE_PREFIX,
                          segment: CellSegment | None = None) -> dict[str, str]:
    """Active NB301 ConfigSpace values (edge ops and node-input pairs) of a genome."""
    row = _seg(segment).validate(x)
    out: dict[str, str] = {}
    for c, cell in enumerate(CELL_TYPES):
        for k in range(N_NODES):
            ins = []
            for i in (2 * k, 2 * k + 1):
                inp = int(row[_in_pos(c, i)])
                out[f"{prefix}edge_{cell}_{_EDGE_OFFSET[k] + inp}"] = OPS[int(row[_op_pos(c, i)])]
                ins.append(inp)
            if k > 0:  # node 2 always takes inputs 0 and 1; NB301 has no choice for it
                out[f"{prefix}inputs_node_{cell}_{k + 2}"] = f"{min(ins)}_{max(ins)}"
    return out


def configspace_to_genome(config: Mapping[str, Any], *, prefix: str = CONFIGSPACE_PREFIX,
                          segment: CellSegment | None = None) -> np.ndarray:
    """Genome of an NB301 configuration (keys with ``prefix``; other keys such as training
    hyperparameters are ignored). Node edges are ordered by input, as in :func:`canonicalize`."""
    d: dict[str, list] = {}
    for cell in CELL_TYPES:
        pairs = []
        for k in range(N_NODES):
            if k == 0:
                ins = (0, 1)
            else:
                key = f"{prefix}inputs_node_{cell}_{k + 2}"
                if key not in config:
                    raise GenomeError(f"cell: configuration lacks {key!r}")
                val = str(config[key])
                try:
                    a, b = (int(v) for v in val.split("_"))
                except ValueError:
                    raise GenomeError(f"cell: {key}={val!r} is not a pair like '0_2'") from None
                if not (0 <= a < b <= k + 1):
                    raise GenomeError(f"cell: {key}={val!r} is not a pair of distinct inputs from 0..{k + 1}")
                ins = (a, b)
            for inp in ins:
                key = f"{prefix}edge_{cell}_{_EDGE_OFFSET[k] + inp}"
                if key not in config:
                    raise GenomeError(f"cell: configuration lacks active edge {key!r}")
                pairs.append([config[key], inp])
        d[cell] = pairs
    return genotype_to_genome(d, segment=segment)

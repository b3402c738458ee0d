"""Layer tables: one numpy structured array per network, one row per layer instance.

Dimension names follow MAESTRO / Timeloop: ``K`` output channels, ``C`` input channels, ``R x S``
kernel, ``Y x X`` *input* height and width, plus ``stride``, ``pad``, ``groups`` and ``dilation``
as in ``torch.nn.Conv2d``. Output size: ``(Y + 2 pad - dilation (R - 1) - 1) // stride + 1``.

Op kinds (:data:`OP_NAMES`): dense convolutions (1x1 pointwise included), depthwise
convolutions (``groups == C == K``), max and average pools (no MACs, but traffic and compare/add
work), global average pool and fully connected layers (``linear``: ``R = S = Y = X = 1``).
``relu`` marks a ReLU applied to the layer's input, ``bn``/``bias`` record a following BatchNorm (2 K affine parameters at training time; folded into
the weights for inference) and a bias vector; ``group`` is the index of the precision group the
layer belongs to (the network stage on NB301, the layer on the XPert backbone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = [
    "OP_CONV", "OP_DWCONV", "OP_MAXPOOL", "OP_AVGPOOL", "OP_GAP", "OP_LINEAR", "OP_NAMES", "MAC_OPS",
    "LAYER_DTYPE", "SHAPE_FIELDS", "Network", "LayerBuilder", "output_size", "layer_macs",
    "layer_weight_params", "unique_layers", "unique_across", "naslib_flops", "layer_output_elements", "op_in",
]

OP_CONV, OP_DWCONV, OP_MAXPOOL, OP_AVGPOOL, OP_GAP, OP_LINEAR = range(6)
OP_NAMES = ("conv", "dwconv", "max_pool", "avg_pool", "global_avg_pool", "linear")
MAC_OPS = (OP_CONV, OP_DWCONV, OP_LINEAR)

LAYER_DTYPE = np.dtype([
    ("op", np.int8), ("K", np.int32), ("C", np.int32), ("R", np.int16), ("S", np.int16),
    ("Y", np.int32), ("X", np.int32), ("stride", np.int16), ("pad", np.int16),
    ("groups", np.int32), ("dilation", np.int16), ("relu", np.int8), ("bn", np.int8), ("bias", np.int8),
    ("group", np.int16), ("count", np.int64),
])
#: Fields that determine a layer's cost on a given design (``group`` is added when precision
#: genes differ per group).
SHAPE_FIELDS = ("op", "K", "C", "R", "S", "Y", "X", "stride", "pad", "groups", "dilation")


@lru_cache(maxsize=32)
def _op_table(codes: tuple[int, ...]) -> np.ndarray:
    table = np.zeros(len(OP_NAMES), dtype=bool)
    table[list(codes)] = True
    return table


def op_in(op: np.ndarray, codes: Sequence[int]) -> np.ndarray:
    """``np.isin(op, codes)`` for a column of op codes: one lookup in a table over :data:`OP_NAMES`
    instead of isin's sort (the cost kernels' glue asks it several times a batch); codes outside
    the table go to ``np.isin``."""
    op = np.asarray(op)
    codes = tuple(int(c) for c in codes)
    if not op.size or op.min() < 0 or op.max() >= len(OP_NAMES) or any(not 0 <= c < len(OP_NAMES) for c in codes):
        return np.isin(op, codes)
    return _op_table(codes)[op]


def output_size(n, kernel, stride, pad, dilation):
    """Output height/width of a convolution or pool (floor convention, as PyTorch)."""
    return (n + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def layer_macs(L: np.ndarray) -> np.ndarray:
    """Multiply-accumulates per row (one instance; multiply by ``count`` for totals). Pools: 0.
    The evaluation asks it several times a batch for the same layer table: the last tables' MACs
    are kept (by their bytes; whole numbers, so the same values) and handed out as copies."""
    L = np.asarray(L)
    key = (L.dtype, L.shape, L.tobytes())
    macs = _MACS_SEEN.get(key)
    if macs is None:
        Q = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
        P = output_size(L["X"].astype(np.int64), L["S"], L["stride"], L["pad"], L["dilation"])
        macs = L["K"].astype(np.int64) * (L["C"] // L["groups"]) * L["R"] * L["S"] * Q * P
        macs = np.where(op_in(L["op"], MAC_OPS), macs, 0)
        if len(_MACS_SEEN) >= 32:
            _MACS_SEEN.clear()
        _MACS_SEEN[key] = macs
    return macs.copy()


#: ``layer_macs`` of the layer tables asked for lately, keyed by (dtype, shape, bytes)
_MACS_SEEN: dict[tuple[Any, tuple[int, ...], bytes], np.ndarray] = {}


def layer_weight_params(L: np.ndarray) -> np.ndarray:
    """Trainable parameters per row: weights + bias + BatchNorm affine (2 K)."""
    L = np.asarray(L)
    w = L["K"].astype(np.int64) * (L["C"] // L["groups"]) * L["R"] * L["S"]
    w = np.where(op_in(L["op"], MAC_OPS), w, 0)
    return w + L["bias"].astype(np.int64) * L["K"] + 2 * L["bn"].astype(np.int64) * L["K"]


def layer_output_elements(L: np.ndarray) -> np.ndarray:
    """K x output height x output width per row."""
    L = np.asarray(L)
    Q = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
    P = output_size(L["X"].astype(np.int64), L["S"], L["stride"], L["pad"], L["dilation"])
    return L["K"].astype(np.int64) * Q * P


def naslib_flops(net: "Network") -> int:
    """FLOPs as NASLib reports them for NB301 networks (NAS-Bench-Suite-Zero ``flops``).

    Found by exact linear regression against the 718 NASLib-labelled networks in
    ``shared/data/nb301-naslib-zc-samples`` (residual < 1e-8 FLOPs for the op-dependent part):
    conv and linear MACs, plus one FLOP per ReLU input element, one per BatchNorm output
    element, ``R x S + 1`` (= 10) per output element of a 3x3 pool, and one per element of each
    node's two-input sum. What stays the same for every network of a protocol (stem, the cells'
    preprocessing and the head) is counted the same way; it leaves 8,704 FLOPs per NB301 network
    (0.006 %) that we could not attribute and do not add.
    """
    L = net.layers
    n = L["count"].astype(np.int64)
    relu_in = L["relu"].astype(np.int64) * L["C"] * L["Y"] * L["X"]
    out = layer_output_elements(L)
    pools = np.isin(L["op"], (OP_MAXPOOL, OP_AVGPOOL))
    extra = relu_in + L["bn"] * out + np.where(pools, (L["R"].astype(np.int64) * L["S"] + 1) * out, 0)
    return int(((layer_macs(L) + extra) * n).sum()) + int(net.meta.get("add_elements", 0))


def unique_layers(L: np.ndarray, *, fields: Sequence[str] = SHAPE_FIELDS) -> tuple[np.ndarray, np.ndarray]:
    """Deduplicate rows by ``fields``: returns ``(unique_table, inverse)``.

    ``unique_table['count']`` is the number of instances (weighted by the input counts) and
    ``inverse[i]`` the unique row of input row ``i``. Costing the unique rows once and weighting
    by ``count`` gives the network total.
    """
    L = np.asarray(L)
    keys = np.stack([L[f].astype(np.int64) for f in fields], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    U = L[first].copy()
    U["count"] = np.bincount(inverse, weights=L["count"], minlength=len(first)).astype(np.int64)
    if "group" not in fields:
        U["group"] = -1  # mixed
    return U, inverse


def unique_across(tables: Iterable[np.ndarray], *, fields: Sequence[str] = SHAPE_FIELDS) -> tuple[np.ndarray, np.ndarray]:
    """Unique shapes over many networks: ``(shapes, counts)`` with ``counts[n, u]`` the number of
    instances of shape ``u`` in network ``n``; network cost = ``counts @ per_shape_cost``."""
    tables = list(tables)
    if not tables:
        return np.zeros(0, dtype=LAYER_DTYPE), np.zeros((0, 0), dtype=np.int64)
    lengths = np.array([len(t) for t in tables])
    allrows = np.concatenate(tables)
    U, inv = unique_layers(allrows, fields=fields)
    net = np.repeat(np.arange(len(tables)), lengths)
    counts = np.zeros((len(tables), len(U)), dtype=np.int64)
    np.add.at(counts, (net, inv), allrows["count"])
    U["count"] = 1
    return U, counts


@dataclass(frozen=True)
class Network:
    """A network as a layer table with one name per row."""

    name: str
    layers: np.ndarray
    names: tuple[str, ...]
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.layers.dtype != LAYER_DTYPE:
            raise TypeError("Network.layers must use LAYER_DTYPE")
        if len(self.names) != len(self.layers):
            raise ValueError("one name per layer row")

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def macs(self) -> int:
        return int((layer_macs(self.layers) * self.layers["count"]).sum())

    @property
    def params(self) -> int:
        return int((layer_weight_params(self.layers) * self.layers["count"]).sum())

    def unique(self, *, by_group: bool = False) -> tuple[np.ndarray, np.ndarray]:
        fields = SHAPE_FIELDS + (("group",) if by_group else ())
        return unique_layers(self.layers, fields=fields)

    @property
    def flops(self) -> int:
        """FLOPs in NASLib's convention (see :func:`naslib_flops`)."""
        return naslib_flops(self)

    def op_counts(self) -> dict[str, int]:
        out = {}
        for code, name in enumerate(OP_NAMES):
            n = int(self.layers["count"][self.layers["op"] == code].sum())
            if n:
                out[name] = n
        return out


class LayerBuilder:
    """Appends layer rows while tracking names; a small helper for network builders."""

    def __init__(self) -> None:
        self._rows: list[tuple] = []
        self._names: list[str] = []

    def add(self, name: str, op: int, K: int, C: int, R: int, S: int, Y: int, X: int, *, stride: int = 1,
            pad: int = 0, groups: int = 1, dilation: int = 1, relu: bool = False, bn: bool = False,
            bias: bool = False, group: int = 0) -> tuple[int, int]:
        """Add one layer; returns its output (height, width)."""
        if C % groups or K % groups:
            raise ValueError(f"layer {name}: channels K={K}, C={C} not divisible by groups={groups}")
        self._rows.append((op, K, C, R, S, Y, X, stride, pad, groups, dilation, int(relu), int(bn), int(bias),
                           group, 1))
        self._names.append(name)
        return output_size(Y, R, stride, pad, dilation), output_size(X, S, stride, pad, dilation)

    def build(self, name: str, **meta) -> Network:
        return Network(name, np.array(self._rows, dtype=LAYER_DTYPE), tuple(self._names), dict(meta))

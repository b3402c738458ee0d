"""An ONNX model -> a layer table: a researcher's own network, as the cost models see it.

``read_onnx(path)`` reads the graph with the ``onnx`` package (the ``onnx`` extra), runs
``onnx.shape_inference`` for every tensor's shape and turns nodes into layer rows, in graph order:

* ``Conv``: ``group``, ``dilations``, ``strides``, ``pads`` and ``auto_pad`` (``SAME_UPPER``,
  ``SAME_LOWER``, ``VALID``); ``groups = C = K > 1`` is a depthwise convolution. A 1-D
  convolution is a 2-D one of height 1.
* ``Gemm`` (``transA``/``transB``) and ``MatMul`` whose second operand is a weight (an initializer,
  a ``Constant`` or computed from those only): a linear layer; a ``MatMul`` over ``T`` tokens
  (``(N, T, C_in)`` inputs) is a 1x1 convolution over ``T x 1`` pixels (the same MACs and weights).
* ``MaxPool``, ``AveragePool`` (``ceil_mode`` included), ``GlobalAveragePool``,
  ``GlobalMaxPool`` and ``ReduceMean`` over height and width (a global average pool).
* Element-wise, activation, normalisation and shape ops (:data:`FREE_OPS`) have no row, as in the
  layer CSV: a ``BatchNormalization`` right after a layer marks it ``bn`` (2 K parameters at
  training time), a ``Relu`` before one marks it ``relu``, a bias input or a following ``Add`` of
  a constant marks ``bias``. Any other op (``ConvTranspose``, ``LSTM``, a ``MatMul`` of two
  activations, ...) is refused naming the node: costing the network without it would mislead.

Sizes are per inference: the first (batch) dimension is dropped; the others must be numbers.
One ``pad`` in the layer table pads both axes on both sides: ONNX pads that differ between sides
or axes become the symmetric pad giving the same output size when there is one (MACs, weights and
output depend only on that), else the padding is folded into the input size (``pad = 0``), exact
but for the input's size; ``meta["notes"]`` names each such layer.

``meta``: ``source``; ``input_elements`` / ``output_elements`` (the graph's inputs and outputs
per inference); ``live_elements``, per row, the activation elements live while the node runs
(every tensor produced and not yet read by its last consumer, from the graph's own lifetimes;
activations and shape ops work in place on their input, their outputs alias it); and
``group_names``: precision groups by resolution (``stage0`` at the largest output size, one more
per smaller size; a row with a 1x1 output, a classifier or a squeeze-excite convolution, joins the
group of the row before it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .fixed import resolution_groups
from .layers import OP_AVGPOOL, OP_CONV, OP_DWCONV, OP_GAP, OP_LINEAR, OP_MAXPOOL, LayerBuilder, Network, output_size
from .onnx_graph import ALIAS_OPS, Graph, OnnxImportError, elements, live_per_node, load_graph

__all__ = ["read_onnx", "OnnxImportError", "FREE_OPS", "LAYER_OPS"]

#: Nodes with a layer row.
LAYER_OPS = ("Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean")
#: Ops without a layer row (element-wise, activation, normalisation, shape and data movement).
FREE_OPS = ALIAS_OPS | {
    "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Log", "Abs", "Neg", "Reciprocal", "Max", "Min", "Sum", "Mean",
    "Softmax", "LogSoftmax", "LayerNormalization", "GroupNormalization", "LRN", "Transpose", "Concat", "Split",
    "Slice", "Gather", "Shape", "Size", "Constant", "ConstantOfShape", "Expand", "Tile", "Pad", "Resize", "Upsample",
    "DepthToSpace", "SpaceToDepth", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "Where", "Equal",
    "Greater", "Less", "Not", "And", "Or", "Range", "Floor", "Ceil", "Round", "Sign", "ArgMax", "ArgMin"}
_AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def _sym_pad(size: int, k: int, s: int, d: int, total: int, target: int) -> list[int]:
    """Symmetric pads that give the output size ``target``, nearest ``total / 2`` first."""
    ok = [q for q in range(0, total + s + 1) if output_size(size, k, s, q, d) == target]
    return sorted(ok, key=lambda q: abs(2 * q - total))


def _window(G: Graph, node: Any, a: dict, HW: tuple[int, int], k: tuple[int, int], one_d: bool) -> dict[str, Any]:
    """Stride, dilation, pad and (maybe folded) input size of a conv or pool window."""
    a = _one_d(a, one_d)
    s = tuple(a.get("strides", (1, 1)))
    dil = tuple(a.get("dilations", (1, 1)))
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto not in _AUTO_PADS:
        raise OnnxImportError(f"{G.where(node)}: auto_pad {auto!r} is not one of {list(_AUTO_PADS)}")
    if s[0] != s[1] or dil[0] != dil[1]:
        raise OnnxImportError(f"{G.where(node)}: strides {list(s)} and dilations {list(dil)} must be the same on "
                              f"both axes (the layer table has one of each)")
    pads = tuple(a.get("pads", (0, 0, 0, 0)))
    if auto in ("SAME_UPPER", "SAME_LOWER"):  # ONNX: output ceil(in / stride), the padding split over both sides
        tot = [max((-(-n // s[0]) - 1) * s[0] + dil[0] * (kk - 1) + 1 - n, 0) for n, kk in zip(HW, k)]
    elif auto == "VALID":
        tot = [0, 0]
    else:
        tot = [pads[0] + pads[2], pads[1] + pads[3]]
    ceil = int(a.get("ceil_mode", 0))
    own = [(n + t - dil[0] * (kk - 1) - 1 + (s[0] - 1 if ceil else 0)) // s[0] + 1 for n, t, kk in zip(HW, tot, k)]
    inferred = G.out_dims(node)  # the graph's own output size wins over the formula
    QP = own if inferred is None else ([1, inferred[-1]] if one_d else list(inferred[-2:]))
    cand = [set(_sym_pad(n, kk, s[0], dil[0], t, q)) for n, kk, t, q in zip(HW, k, tot, QP)]
    common = sorted(cand[0] & cand[1], key=lambda q: abs(2 * q - tot[0]) + abs(2 * q - tot[1]))
    if common:
        return {"stride": s[0], "dilation": dil[0], "pad": common[0], "Y": HW[0], "X": HW[1], "folded": False}
    # no one pad fits both axes: fold the padding into the input, the nearest extent giving the output
    ext = []
    for n, kk, t, q in zip(HW, k, tot, QP):
        fits = [e for e in range(dil[0] * (kk - 1) + 1, n + t + s[0] + 1) if output_size(e, kk, s[0], 0, dil[0]) == q]
        if not fits:
            raise OnnxImportError(f"{G.where(node)}: no input size gives the output {QP} with kernel {list(k)}")
        ext.append(min(fits, key=lambda e: abs(e - n - t)))
    return {"stride": s[0], "dilation": dil[0], "pad": 0, "Y": ext[0], "X": ext[1], "folded": True}


def _spatial(G: Graph, node: Any, x: str) -> tuple[int, tuple[int, int]]:
    """(channels, (height, width)) of a conv/pool input; 1-D inputs have height 1."""
    d = G.shape(node, x, rank=(3, 4))
    return (d[0], (1, d[1])) if len(d) == 2 else (d[0], (d[1], d[2]))


def _pair(v: Any, one_d: bool) -> tuple:
    v = tuple(v)
    return (1,) + v if one_d and len(v) == 1 else v


def _one_d(a: dict, one_d: bool) -> dict:
    """A 1-D window's attributes as a 2-D one of height 1."""
    if not one_d:
        return a
    a = dict(a)
    for key in ("strides", "dilations"):
        if key in a:
            a[key] = _pair(a[key], True)
    if "pads" in a:
        a["pads"] = (0, a["pads"][0], 0, a["pads"][1])
    return a


class _Reader:
    """Walks the graph's nodes in order, adding a layer row for each costed node."""

    def __init__(self, G: Graph) -> None:
        self.G, self.b = G, LayerBuilder()
        self.row_of: dict[str, int] = {}      # output tensor of a layer row -> its row
        self.node_of_row: list[int] = []      # row -> node index
        self.producer: dict[str, str] = {}    # tensor -> op type that produced it
        self.notes: list[str] = []
        self.bn: set[int] = set()
        self.bias: set[int] = set()

    def add(self, i: int, node: Any, op: int, K: int, C: int, R: int, S: int, w: dict, groups: int = 1,
            bias: bool = False) -> None:
        name = node.name or f"{node.op_type.lower()}{i}"
        relu = self.producer.get(node.input[0]) == "Relu"
        self.b.add(name, op, K, C, R, S, w["Y"], w["X"], stride=w["stride"], pad=w["pad"], groups=groups,
                   dilation=w["dilation"], relu=relu, bias=bias)
        r = len(self.node_of_row)
        self.node_of_row.append(i)
        self.row_of[node.output[0]] = r
        if w.get("folded"):
            self.notes.append(f"{name}: padding differs between sides or axes; folded into the input size "
                              f"({w['Y']}x{w['X']}, pad 0): MACs, weights and output exact, input overstated")

    def conv(self, i: int, node: Any) -> None:
        G = self.G
        C, HW = _spatial(G, node, node.input[0])
        one_d = len(G.shape(node, node.input[0])) == 2
        if node.input[1] not in G.const:
            raise OnnxImportError(f"{G.where(node)}: its weight {node.input[1]!r} is not a constant (an initializer "
                                  f"or computed from constants); export the model with its weights")
        wd = G.shape(node, node.input[1])
        a = G.attrs(node)
        g = int(a.get("group", 1))
        K, k = wd[0], _pair(wd[2:], one_d)
        if wd[1] * g != C or K % g:
            raise OnnxImportError(f"{G.where(node)}: weight {list(wd)} with group={g} does not fit {C} input channels")
        w = _window(G, node, a, HW, k, one_d)
        op = OP_DWCONV if g == C == K and g > 1 else OP_CONV
        self.add(i, node, op, K, C, k[0], k[1], w, groups=g, bias=len(node.input) > 2 and bool(node.input[2]))

    def pool(self, i: int, node: Any) -> None:
        G = self.G
        C, HW = _spatial(G, node, node.input[0])
        one_d = len(G.shape(node, node.input[0])) == 2
        op = OP_MAXPOOL if "Max" in node.op_type else OP_AVGPOOL
        if node.op_type.startswith("Global") or node.op_type == "ReduceMean":
            w = {"stride": 1, "dilation": 1, "pad": 0, "Y": HW[0], "X": HW[1]}
            self.add(i, node, OP_GAP if op == OP_AVGPOOL else OP_MAXPOOL, C, C, HW[0], HW[1], w, groups=C)
            return
        a = G.attrs(node)
        k = _pair(a["kernel_shape"], one_d)
        self.add(i, node, op, C, C, k[0], k[1], _window(G, node, a, HW, k, one_d), groups=C)

    def linear(self, i: int, node: Any) -> None:
        G = self.G
        x, wt = node.input[0], node.input[1]
        if wt not in G.const:
            raise OnnxImportError(f"{G.where(node)}: its second operand {wt!r} is an activation, not a weight "
                                  f"(attention-style products have no layer row; only weights can sit in a PE "
                                  f"array's or a crossbar's weight storage as modelled)")
        a = G.attrs(node)
        wd = G.shape(node, wt, rank=(2,))
        xd = G.shape(node, x)
        if node.op_type == "Gemm":
            if a.get("transA", 0):
                raise OnnxImportError(f"{G.where(node)}: transA = 1 (a transposed activation) is not supported")
            K, C = (wd[0], wd[1]) if a.get("transB", 0) else (wd[1], wd[0])
            tokens = 1
        else:
            C, K = wd
            tokens = int(np.prod(xd[:-1])) if len(xd) > 1 else 1
        if (xd[-1] if xd else C) != C:
            raise OnnxImportError(f"{G.where(node)}: input {list(xd)} does not match weight {list(wd)}")
        bias = len(node.input) > 2 and bool(node.input[2])
        w = {"stride": 1, "dilation": 1, "pad": 0, "Y": tokens, "X": 1}
        self.add(i, node, OP_LINEAR if tokens == 1 else OP_CONV, K, C, 1, 1, w, bias=bias)
        if tokens > 1:
            self.notes.append(f"{node.name or node.op_type}: {tokens} tokens, costed as a 1x1 convolution over "
                              f"{tokens}x1 pixels")

    def free(self, node: Any) -> None:
        """Mark the layer before a BatchNormalization (bn) or a constant Add (bias)."""
        src = self.row_of.get(node.input[0]) if node.input else None
        if src is not None and node.op_type == "BatchNormalization":
            self.bn.add(src)
        if node.op_type == "Add" and len(node.input) == 2:  # a MatMul's bias, on either side
            for x, other in (node.input, node.input[::-1]):
                if x in self.row_of and other in self.G.const:
                    self.bias.add(self.row_of[x])
        if node.op_type in ALIAS_OPS and src is not None and node.output:
            self.row_of[node.output[0]] = src  # the layer's output, still (for a following BN or Add)


def _spatial_axes(G: Graph, node: Any) -> bool:
    """True for a ReduceMean over height and width (a global average pool)."""
    a = G.attrs(node)
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        from onnx import numpy_helper

        init = {i.name: i for i in G.g.initializer}
        if node.input[1] not in init:
            return False
        axes = numpy_helper.to_array(init[node.input[1]]).tolist()
    rank = len(G.dims.get(node.input[0]) or ())
    return rank == 4 and axes is not None and sorted(int(x) % 4 for x in axes) == [2, 3]


def _walk(G: Graph) -> _Reader:
    R = _Reader(G)
    for i, node in enumerate(G.g.node):
        op = node.op_type
        if node.output and all(o in G.const for o in node.output if o):
            pass  # computed from constants only (a weight's Transpose, a shape): no work at inference
        elif op == "Conv":
            R.conv(i, node)
        elif op in ("Gemm", "MatMul"):
            R.linear(i, node)
        elif op in ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool") or (
                op == "ReduceMean" and _spatial_axes(G, node)):
            R.pool(i, node)
        elif op in FREE_OPS:
            R.free(node)
        else:
            raise OnnxImportError(f"{G.where(node)}: not supported; layer rows exist for {', '.join(LAYER_OPS)} "
                                  f"(MatMul and Gemm with a constant weight), and element-wise, activation, "
                                  f"normalisation and shape ops are not costed; leaving this node out would "
                                  f"misstate the network's cost")
        for o in node.output:
            R.producer[o] = op
    return R


def read_onnx(path: str | Path) -> Network:
    """The layer table of an ONNX model (see the module docstring); errors name the file and node."""
    p = Path(path)
    G = load_graph(p)
    if not G.inputs:
        raise OnnxImportError(f"{p}: the graph has no input")
    R = _walk(G)
    if not R.node_of_row:
        raise OnnxImportError(f"{p}: no layer to cost (no {', '.join(LAYER_OPS)} node)")
    try:
        net = R.b.build(G.g.name or p.stem, source=str(p))
    except OverflowError as e:  # a size beyond the layer table's fixed-width integers
        raise OnnxImportError(f"{p}: a layer's size does not fit the layer table ({e})") from None
    L = net.layers
    L["bn"][sorted(R.bn)] = 1
    L["bias"][sorted(R.bias)] = 1
    L["group"] = resolution_groups(L)
    live = live_per_node(G)
    net.meta.update(input_elements=sum(elements(G, t) for t in G.inputs),
                    output_elements=sum(elements(G, o.name) for o in G.g.output),
                    live_elements=[float(live[i]) for i in R.node_of_row],
                    group_names=tuple(f"stage{g}" for g in range(int(L["group"].max()) + 1)), notes=R.notes)
    return net

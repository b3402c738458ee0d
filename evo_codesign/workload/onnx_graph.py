"""An ONNX graph as the importer reads it: shapes after ``onnx.shape_inference``, which tensors
are constants, node attributes, and the activation elements live while each node runs.

Lifetimes: a tensor is live from the node that produces it (graph inputs from the start) to its
last consumer (graph outputs to the end); ops that work in place on their input, or view it
(:data:`ALIAS_OPS`), give an output that aliases the input's buffer. Sizes are per inference (the
first, batch, dimension dropped). :mod:`evo_codesign.workload.onnx_import` builds the layer table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EvoCodesignError, MissingDependencyError, MissingFileError

__all__ = ["OnnxImportError", "Graph", "load_graph", "ALIAS_OPS", "live_per_node", "elements"]

#: Unary ops that run in place on their input (a fused epilogue or a view): their output aliases it.
ALIAS_OPS = {"Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Clip", "Elu", "Selu",
              "Celu", "Gelu", "Erf", "Softplus", "Softsign", "Mish", "BatchNormalization", "InstanceNormalization",
              "Dropout", "Identity", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Cast"}


class OnnxImportError(EvoCodesignError):
    """An ONNX model that cannot be read as a layer table; the message names the file and node."""


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("reading ONNX models needs the onnx package: pip install 'evo-codesign[onnx]' "
                                     "(or pip install onnx)") from None
    return onnx


def _load(onnx: Any, p: Path) -> Any:
    if not p.is_file():
        why = "it is a directory" if p.exists() else "it does not exist"
        raise MissingFileError(f"ONNX model {str(p)!r}: {why}")
    try:
        # dimensions are in the graph; weights stored as external data are not needed
        model = onnx.load(str(p), load_external_data=False)
    except Exception as e:  # protobuf's DecodeError and OSError: the file is not a model
        raise OnnxImportError(f"{p}: not an ONNX model ({type(e).__name__}: {str(e)[:120]})") from None
    try:
        return onnx.shape_inference.infer_shapes(model)
    except Exception as e:  # onnx raises its own InferenceError and ValueError variants
        raise OnnxImportError(f"{p}: ONNX shape inference failed ({str(e)[:200]})") from None


class Graph:
    """Tensor shapes, constants and attributes of one ONNX graph."""

    def __init__(self, onnx: Any, model: Any, p: Path) -> None:
        self.p, self.g, self.helper = p, model.graph, onnx.helper
        self.dims: dict[str, tuple] = {}
        self.named: dict[str, list] = {}  # dims with symbolic names, for messages
        for vi in list(self.g.input) + list(self.g.value_info) + list(self.g.output):
            t = vi.type.tensor_type
            if t.HasField("shape"):
                self.dims[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)
                self.named[vi.name] = [d.dim_value if d.HasField("dim_value") else d.dim_param or "?"
                                       for d in t.shape.dim]
        self.const = {i.name for i in self.g.initializer}
        for i in self.g.initializer:
            self.dims[i.name] = tuple(i.dims)
        self.inputs = [i.name for i in self.g.input if i.name not in self.const]
        for n in self.g.node:  # constant folding by name: a node reading constants only makes constants
            if n.op_type == "Constant" or (n.input and all(x in self.const or not x for x in n.input)):
                self.const.update(o for o in n.output if o)
                if n.op_type == "Constant":
                    for a in n.attribute:
                        if a.name == "value":
                            self.dims[n.output[0]] = tuple(a.t.dims)

    def where(self, node: Any) -> str:
        return f"{self.p}: node {node.name or '(unnamed)'!r} ({node.op_type})"

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.helper.get_attribute_value(a) for a in node.attribute}

    def shape(self, node: Any, tensor: str, rank: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """Per-inference dims of an activation (batch dropped) or all dims of a constant."""
        d = self.dims.get(tensor)
        if d is None:
            raise OnnxImportError(f"{self.where(node)}: no shape for tensor {tensor!r} after shape inference")
        if rank is not None and len(d) not in rank:
            raise OnnxImportError(f"{self.where(node)}: tensor {tensor!r} has {len(d)} dimensions {list(d)}; "
                                  f"expected {' or '.join(map(str, rank))}")
        out = d if tensor in self.const else d[1:]
        if any(v is None for v in out):
            raise OnnxImportError(f"{self.where(node)}: tensor {tensor!r} has a symbolic size "
                                  f"{self.named.get(tensor, list(d))}; export the "
                                  f"model with a fixed input size (only the batch dimension may be symbolic)")
        return tuple(int(v) for v in out)

    def out_dims(self, node: Any) -> tuple | None:
        d = self.dims.get(node.output[0])
        return None if d is None or any(v is None for v in d[1:]) else tuple(int(v) for v in d[1:])


def elements(G: Graph, tensor: str) -> float:
    d = G.dims.get(tensor)
    if d is None or any(v is None for v in d[1:]):
        return 0.0  # shape vectors and the like with unknown sizes: negligible
    return float(np.prod(d[1:])) if len(d) > 1 else 1.0


def live_per_node(G: Graph) -> np.ndarray:
    """Activation elements live while each node runs, from the graph's tensor lifetimes."""
    nodes = list(G.g.node)
    root: dict[str, str] = {}
    size, start, end = {}, {}, {}
    for t in G.inputs:
        root[t], size[t], start[t], end[t] = t, elements(G, t), -1, -1
    for i, n in enumerate(nodes):
        for x in n.input:
            if x in root:
                end[root[x]] = max(end[root[x]], i)
        for o in n.output:
            if not o or o in G.const:
                continue
            if n.op_type in ALIAS_OPS and n.input and n.input[0] in root:
                root[o] = root[n.input[0]]
            else:
                root[o], size[o], start[o], end[o] = o, elements(G, o), i, i
    for o in G.g.output:
        if o.name in root:
            end[root[o.name]] = len(nodes)
    diff = np.zeros(len(nodes) + 3)
    for r, sz in size.items():  # +1: graph inputs start at -1
        diff[start[r] + 1] += sz
        diff[end[r] + 2] -= sz
    return np.cumsum(diff)[1:len(nodes) + 1]


def load_graph(path: str | Path) -> Graph:
    """The graph of an ONNX model file, its shapes inferred; errors name the file."""
    onnx = _import_onnx()
    p = Path(path)
    return Graph(onnx, _load(onnx, p), p)

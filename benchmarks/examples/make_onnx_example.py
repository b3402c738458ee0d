"""Write a small CIFAR-sized ONNX model to try ``evo-codesign cost --onnx`` and ``neural = "fixed"``.

    python benchmarks/examples/make_onnx_example.py tiny_resnet.onnx

Built with ``onnx.helper`` (the ``onnx`` extra: ``pip install -e ".[onnx]"``), no deep-learning
framework needed; the weights are seeded random numbers (only their shapes matter to the cost
models). The network, on a 3x32x32 input:

* stem: 3x3 convolution to 16 channels (pad 1), BatchNorm, ReLU;
* a ResNet basic block to 32 channels: 3x3 stride-2 convolution (pad 1), ReLU, 3x3 convolution
  (``auto_pad = SAME_UPPER``), a 1x1 stride-2 shortcut convolution, Add, ReLU;
* a depthwise-separable block: 3x3 depthwise convolution (group 32, pad 1), ReLU, 1x1 pointwise
  convolution to 64 channels, ReLU;
* global average pool, Flatten, a Gemm classifier to 10 classes.

It has 442,368 + 1,179,648 + 2,359,296 + 131,072 + 73,728 + 524,288 + 640 = 4,711,040 MACs.
"""

from __future__ import annotations

import argparse

import numpy as np


def build(rng: np.random.Generator):
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def weight(name: str, *dims: int) -> str:
        inits.append(numpy_helper.from_array(rng.standard_normal(dims).astype(np.float32) * 0.1, name))
        return name

    def conv(name, x, out, w, **attrs):
        nodes.append(helper.make_node("Conv", [x, w], [out], name=name, **attrs))
        return out

    def relu(x):
        nodes.append(helper.make_node("Relu", [x], [x + ".relu"]))
        return x + ".relu"

    t = conv("stem", "input", "stem.out", weight("stem.w", 16, 3, 3, 3), pads=[1, 1, 1, 1])
    bn = [weight(f"stem.bn.{k}", 16) for k in ("scale", "bias", "mean")] + [weight("stem.bn.var", 16)]
    nodes.append(helper.make_node("BatchNormalization", [t] + bn, ["stem.bn"], name="stem.bn"))
    x = relu("stem.bn")
    a = relu(conv("block.conv1", x, "block.c1", weight("block.w1", 32, 16, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1]))
    b = conv("block.conv2", a, "block.c2", weight("block.w2", 32, 32, 3, 3), auto_pad="SAME_UPPER")
    s = conv("block.shortcut", x, "block.sc", weight("block.ws", 32, 16, 1, 1), strides=[2, 2])
    nodes.append(helper.make_node("Add", [b, s], ["block.sum"], name="block.add"))
    x = relu("block.sum")
    x = relu(conv("sep.dw", x, "sep.dw.out", weight("sep.dw.w", 32, 1, 3, 3), group=32, pads=[1, 1, 1, 1]))
    x = relu(conv("sep.pw", x, "sep.pw.out", weight("sep.pw.w", 64, 32, 1, 1)))
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"))
    nodes.append(helper.make_node("Gemm", ["flat", weight("fc.w", 10, 64), weight("fc.b", 10)], ["logits"], name="fc",
                                  transB=1))
    graph = helper.make_graph(nodes, "tiny_resnet", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                   ["batch", 3, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="evo-codesign example")


def main() -> None:
    import onnx

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="where to write the model (.onnx)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    args = ap.parse_args()
    model = build(np.random.default_rng(args.seed))
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    print(f"wrote {args.out}: {len(model.graph.node)} nodes")


if __name__ == "__main__":
    main()

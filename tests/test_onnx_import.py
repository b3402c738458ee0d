"""ONNX import (``evo-codesign cost --onnx``): small models built in code with ``onnx.helper``,
their MACs, parameters, shapes and live activations against hand counts; errors that name the node."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed (pip install -e '.[onnx]')")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from evo_codesign.cli import main  # noqa: E402
from evo_codesign.errors import MissingDependencyError, MissingFileError  # noqa: E402
from evo_codesign.workload.layers import (OP_AVGPOOL, OP_CONV, OP_DWCONV, OP_GAP, OP_LINEAR,  # noqa: E402
                                          OP_MAXPOOL, layer_macs, layer_weight_params)
from evo_codesign.workload.onnx_import import OnnxImportError, read_onnx  # noqa: E402

from .test_cost_cli import EXAMPLES  # noqa: E402


class Model:
    """A graph under construction: ``w`` adds a weight, ``node`` a node; ``save`` writes it."""

    def __init__(self, input_shape=("N", 3, 32, 32)):
        self.nodes, self.inits, self.input_shape = [], [], list(input_shape)

    def w(self, name, *dims):
        self.inits.append(numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name))
        return name

    def node(self, op, inputs, output, name="", **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, **attrs))
        return output

    def save(self, path, output, output_shape, opset=13):
        g = helper.make_graph(self.nodes, "test", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                                 self.input_shape)],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, list(output_shape))],
                              self.inits)
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(path))
        return path


def resnet_block(path):
    """Stem conv (bias, BN, ReLU), a basic block with a stride-2 1x1 shortcut, GAP, Flatten, Gemm."""
    m = Model()
    t = m.node("Conv", ["x", m.w("w0", 16, 3, 3, 3), m.w("b0", 16)], "c0", "stem", pads=[1, 1, 1, 1])
    t = m.node("BatchNormalization", [t] + [m.w(f"bn{k}", 16) for k in "sbmv"], "n0", "bn")
    x = m.node("Relu", [t], "r0")
    a = m.node("Relu", [m.node("Conv", [x, m.w("w1", 32, 16, 3, 3)], "c1", "conv1", strides=[2, 2],
                               pads=[1, 1, 1, 1])], "r1")
    b = m.node("Conv", [a, m.w("w2", 32, 32, 3, 3)], "c2", "conv2", auto_pad="SAME_UPPER")
    s = m.node("Conv", [x, m.w("ws", 32, 16, 1, 1)], "cs", "shortcut", strides=[2, 2])
    t = m.node("Relu", [m.node("Add", [b, s], "sum")], "r2")
    t = m.node("Flatten", [m.node("GlobalAveragePool", [t], "g", "gap")], "f")
    m.node("Gemm", [t, m.w("wf", 10, 32), m.w("bf", 10)], "y", "fc", transB=1)
    return m.save(path, "y", ["N", 10])


#: hand counts: K x C/groups x R x S x output pixels
RESNET_MACS = {"stem": 16 * 27 * 32 * 32, "conv1": 32 * 16 * 9 * 16 * 16, "conv2": 32 * 32 * 9 * 16 * 16,
               "shortcut": 32 * 16 * 16 * 16, "gap": 0, "fc": 10 * 32}
#: weights, + bias, + BatchNorm's 2 K (what PyTorch's parameter count has)
RESNET_PARAMS = 16 * 27 + 16 + 2 * 16 + 32 * 16 * 9 + 32 * 32 * 9 + 32 * 16 + 32 * 10 + 10


def test_resnet_block_macs_params_and_shapes(tmp_path):
    net = read_onnx(resnet_block(tmp_path / "r.onnx"))
    assert net.names == tuple(RESNET_MACS)
    assert dict(zip(net.names, layer_macs(net.layers).tolist())) == RESNET_MACS
    assert net.macs == 4_112_704 and net.params == RESNET_PARAMS == 15_146
    L = net.layers
    assert L["op"].tolist() == [OP_CONV] * 4 + [OP_GAP, OP_LINEAR]
    assert L["pad"].tolist() == [1, 1, 1, 0, 0, 0] and L["stride"].tolist() == [1, 2, 1, 2, 1, 1]
    assert L["Y"].tolist() == [32, 32, 16, 32, 16, 1]
    assert L["bn"].tolist() == [1, 0, 0, 0, 0, 0] and L["bias"].tolist() == [1, 0, 0, 0, 0, 1]
    assert L["relu"].tolist() == [0, 1, 1, 1, 1, 0]  # a ReLU feeds conv1, conv2, the shortcut and the pool
    assert net.meta["input_elements"] == 3 * 32 * 32 and net.meta["output_elements"] == 10
    # stage0 at 32x32; the stride-2 convolutions start stage1; the pool and classifier (1x1) join it
    assert L["group"].tolist() == [0, 1, 1, 1, 1, 1] and net.meta["group_names"] == ("stage0", "stage1")


def test_live_activations_follow_the_graph(tmp_path):
    """The stem's output (ReLU and BN in place) stays live until the shortcut has read it."""
    net = read_onnx(resnet_block(tmp_path / "r.onnx"))
    x, r0, half = 3 * 32 * 32, 16 * 32 * 32, 32 * 16 * 16
    assert net.meta["live_elements"] == [x + r0, r0 + half, r0 + 2 * half, r0 + 2 * half, half + 32, 32 + 10]


def separable_block(path, dilation=1):
    m = Model(("N", 32, 16, 16))
    t = m.node("Conv", ["x", m.w("dw", 32, 1, 3, 3)], "d", "dw", group=32, pads=[dilation] * 4,
               dilations=[dilation] * 2)
    t = m.node("Conv", [m.node("Relu", [t], "r"), m.w("pw", 64, 32, 1, 1)], "p", "pw")
    m.node("MaxPool", [t], "y", "pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    return m.save(path, "y", ["N", 64, 8, 8])


@pytest.mark.parametrize("dilation", [1, 2])
def test_depthwise_separable_block(tmp_path, dilation):
    net = read_onnx(separable_block(tmp_path / "s.onnx", dilation))
    L = net.layers
    assert L["op"].tolist() == [OP_DWCONV, OP_CONV, OP_MAXPOOL]
    assert L["groups"].tolist() == [32, 1, 64] and L["dilation"].tolist() == [dilation, 1, 1]
    assert layer_macs(L).tolist() == [32 * 9 * 16 * 16, 64 * 32 * 16 * 16, 0]
    assert net.params == 32 * 9 + 64 * 32
    # ceil_mode: (16 - 3) / 2 rounded up + 1 = 8 (floor would give 7); one symmetric pad reproduces it
    from evo_codesign.workload.layers import layer_output_elements
    assert layer_output_elements(L[2:]).tolist() == [64 * 8 * 8] and net.meta["output_elements"] == 64 * 8 * 8


def test_pads_no_symmetric_pad_reproduces_are_folded_into_the_input(tmp_path):
    """A 1x7 kernel padded (0, 3): one pad cannot serve both axes, so the padding joins the input."""
    m = Model(("N", 8, 12, 12))
    m.node("Conv", ["x", m.w("w", 8, 8, 1, 7)], "y", "c17", pads=[0, 3, 0, 3])
    net = read_onnx(m.save(tmp_path / "f.onnx", "y", ["N", 8, 12, 12]))
    r = net.layers[0]
    assert (int(r["pad"]), int(r["Y"]), int(r["X"])) == (0, 12, 18)
    assert net.macs == 8 * 8 * 7 * 12 * 12 and "folded into the input size" in net.meta["notes"][0]


def test_same_upper_with_stride_two_keeps_the_output_size(tmp_path):
    """SAME_UPPER pads 32 -> 16 asymmetrically (0, 1); pad 1 on both sides gives the same output."""
    m = Model()
    m.node("Conv", ["x", m.w("w", 8, 3, 3, 3)], "y", "c", strides=[2, 2], auto_pad="SAME_UPPER")
    net = read_onnx(m.save(tmp_path / "s.onnx", "y", ["N", 8, 16, 16]))
    assert int(net.layers[0]["pad"]) == 1 and net.macs == 8 * 27 * 16 * 16 and not net.meta["notes"]


def test_gemm_and_matmul_heads(tmp_path):
    m = Model(("N", 64))
    t = m.node("Gemm", ["x", m.w("w1", 64, 32), m.w("b1", 32)], "h", "fc1")            # transB = 0: (C, K)
    t = m.node("MatMul", [m.node("Relu", [t], "r"), m.w("w2", 32, 10)], "mm", "fc2")
    m.node("Add", [m.w("b2", 10), t], "y", "bias2")                                      # bias on the left
    net = read_onnx(m.save(tmp_path / "g.onnx", "y", ["N", 10]))
    L = net.layers
    assert L["op"].tolist() == [OP_LINEAR, OP_LINEAR] and L["K"].tolist() == [32, 10] and L["C"].tolist() == [64, 32]
    assert L["bias"].tolist() == [1, 1] and net.macs == 64 * 32 + 32 * 10 and net.params == 64 * 32 + 32 + 320 + 10


def test_matmul_over_tokens_is_a_pointwise_convolution(tmp_path):
    m = Model(("N", 49, 96))
    m.node("MatMul", ["x", m.w("w", 96, 384)], "y", "mlp")
    net = read_onnx(m.save(tmp_path / "t.onnx", "y", ["N", 49, 384]))
    r = net.layers[0]
    assert (int(r["op"]), int(r["Y"]), int(r["X"])) == (OP_CONV, 49, 1) and net.macs == 49 * 96 * 384
    assert int(layer_weight_params(net.layers)[0]) == 96 * 384


def test_pools_and_reduce_mean(tmp_path):
    m = Model(("N", 16, 32, 32))
    t = m.node("AveragePool", ["x"], "a", "avg", kernel_shape=[2, 2], strides=[2, 2])
    t = m.node("MaxPool", [t], "b", "max", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    m.node("ReduceMean", [t], "y", "mean", axes=[2, 3], keepdims=0)
    net = read_onnx(m.save(tmp_path / "p.onnx", "y", ["N", 16]))
    L = net.layers
    assert L["op"].tolist() == [OP_AVGPOOL, OP_MAXPOOL, OP_GAP] and L["Y"].tolist() == [32, 16, 16]
    assert L["pad"].tolist() == [0, 1, 0] and net.macs == 0


def _one(tmp_path, op, inputs, attrs=None, input_shape=("N", 8, 8, 8), out_shape=("N", 8, 8, 8), weights=()):
    m = Model(input_shape)
    names = [m.w(n, *d) for n, *d in weights]
    m.node(op, list(inputs) + names, "y", "bad", **(attrs or {}))
    return m.save(tmp_path / "m.onnx", "y", out_shape)


@pytest.mark.parametrize("case, message", [
    (dict(op="ConvTranspose", inputs=["x"], weights=[("w", 8, 8, 3, 3)], attrs={"pads": [1, 1, 1, 1]}),
     r"node 'bad' \(ConvTranspose\): not supported; layer rows exist for Conv"),
    (dict(op="MatMul", inputs=["x", "x"]), r"node 'bad' \(MatMul\): its second operand 'x' is an activation"),
    (dict(op="Conv", inputs=["x"], weights=[("w", 8, 8, 3, 3)], input_shape=("N", 8, "H", "W")),
     r"tensor 'x' has a symbolic size \['N', 8, 'H', 'W'\]; export the model with a fixed input"),
    (dict(op="Relu", inputs=["x"]), r"no layer to cost"),
])
def test_errors_name_the_file_and_node(tmp_path, case, message):
    path = _one(tmp_path, **case)
    with pytest.raises(OnnxImportError, match=message) as e:
        read_onnx(path)
    assert str(path) in str(e.value)


def test_files_that_are_not_models(tmp_path):
    with pytest.raises(MissingFileError, match="does not exist"):
        read_onnx(tmp_path / "none.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(OnnxImportError, match=r"bad.onnx: not an ONNX model|bad.onnx: ONNX shape inference failed"):
        read_onnx(bad)


def test_without_the_onnx_package_the_error_says_how_to_install(tmp_path, monkeypatch):
    path = resnet_block(tmp_path / "r.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'evo-codesign\[onnx\]'"):
        read_onnx(path)


# -- the cost command ----------------------------------------------------------------------------

def _json(capsys, *argv):
    assert main(["cost", *argv, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


RESNET_CSV = """name,K,C,R,S,Y,X,stride,pad,groups,dilation,group,op
stem,16,3,3,3,32,32,1,same,1,1,0,conv
conv1,32,16,3,3,32,32,2,same,1,1,1,conv
conv2,32,32,3,3,16,16,1,same,1,1,1,conv
shortcut,32,16,1,1,32,32,2,0,1,1,1,conv
gap,32,32,16,16,16,16,1,0,32,1,1,global_avg_pool
fc,10,32,1,1,1,1,1,0,1,1,1,linear
"""


@pytest.mark.parametrize("toml", ["accelerator_example.toml", "imc_example.toml", "hybrid_example.toml"])
def test_cost_onnx_matches_the_same_network_as_a_csv(tmp_path, capsys, toml):
    """The model and its hand-written layer table cost the same on every target (a big buffer keeps
    every activation on chip, where the graph's and the CSV's liveness agree)."""
    acc = tmp_path / "a.toml"
    acc.write_text((EXAMPLES / toml).read_text().replace("input_bits = [8, 6, 6]", "input_bits = [8, 6]"))
    csv = tmp_path / "r.csv"
    csv.write_text(RESNET_CSV)
    a = _json(capsys, "--onnx", str(resnet_block(tmp_path / "r.onnx")), "--accelerator", str(acc))
    b = _json(capsys, "--layers", str(csv), "--accelerator", str(acc))
    assert [r["name"] for r in a] == [r["name"] for r in b] == list(RESNET_MACS) + ["total"]
    assert [r["macs"] for r in a[:-1]] == list(RESNET_MACS.values())
    for key in ("latency_ns", "energy_pj", "area_um2", "macs"):
        assert a[-1][key] == pytest.approx(b[-1][key], rel=1e-12), key
    assert a[-1]["params"] == RESNET_PARAMS and b[-1]["params"] == RESNET_PARAMS - 16 - 32 - 10  # CSV: no bias/BN


def test_cost_onnx_text_output_and_notes(tmp_path, capsys):
    m = Model(("N", 8, 12, 12))
    m.node("Conv", ["x", m.w("w", 8, 8, 1, 7)], "y", "c17", pads=[0, 3, 0, 3])
    path = m.save(tmp_path / "f.onnx", "y", ["N", 8, 12, 12])
    assert main(["cost", "--onnx", str(path), "--accelerator", str(EXAMPLES / "accelerator_example.toml")]) == 0
    out = capsys.readouterr()
    assert "c17" in out.out and f"{8 * 8 * 7 * 12 * 12:,} MACs" in out.out
    assert "note: c17: padding differs" in out.err


def test_cost_needs_exactly_one_network(capsys):
    acc = str(EXAMPLES / "accelerator_example.toml")
    with pytest.raises(SystemExit):
        main(["cost", "--accelerator", acc])
    with pytest.raises(SystemExit):
        main(["cost", "--layers", "a.csv", "--onnx", "b.onnx", "--accelerator", acc])
    assert "one of the arguments --layers --onnx is required" in capsys.readouterr().err


def test_cost_keeps_activations_on_chip_by_the_graphs_lifetimes(tmp_path, capsys):
    """With 24 KiB of L2 the skip tensor pushes conv2 and the shortcut off chip (graph lifetimes:
    32,768 live elements) although their own input and output would fit (16,384 and 24,576): the
    cost command decides as a search does."""
    path = str(resnet_block(tmp_path / "r.onnx"))
    acc = tmp_path / "a.toml"
    acc.write_text('dataflow = "nvdla"\nl2_kib = 24\n')
    rows = _json(capsys, "--onnx", path, "--accelerator", str(acc))
    off = {r["name"] for r in rows[:-1] if not r["activations_on_chip"]}
    assert {"conv2", "shortcut"} <= off and "notes" not in rows[-1]
    big = _json(capsys, "--onnx", path, "--accelerator", str(EXAMPLES / "accelerator_example.toml"))
    assert all(r["activations_on_chip"] for r in big[:-1])
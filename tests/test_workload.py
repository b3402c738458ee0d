import json

import numpy as np
import pytest

from evo_codesign.space import CellSegment, genotype_to_genome
from evo_codesign.workload import PROTOCOLS, backbone_network, cell_network, unique_across
from evo_codesign.workload.layers import (LAYER_DTYPE, OP_CONV, OP_DWCONV, OP_MAXPOOL, LayerBuilder, layer_macs,
                                          layer_weight_params, output_size, unique_layers)

from .conftest import shared_file

ALL_SKIP = {"normal": [["skip_connect", 0], ["skip_connect", 1]] * 4,
            "reduce": [["skip_connect", 0], ["skip_connect", 1]] * 4}


def test_output_size_matches_pytorch_formula():
    assert output_size(32, 3, 1, 1, 1) == 32
    assert output_size(32, 3, 2, 1, 1) == 16
    assert output_size(32, 5, 1, 4, 2) == 32  # dil_conv_5x5: pad 4, dilation 2
    assert output_size(7, 3, 2, 0, 1) == 3


def test_hand_counted_layers():
    b = LayerBuilder()
    b.add("conv", OP_CONV, 8, 4, 3, 3, 6, 6, pad=1, bn=True)            # 8*4*9*36 MACs
    b.add("dw", OP_DWCONV, 4, 4, 3, 3, 6, 6, stride=2, pad=1, groups=4)  # 4*1*9*9
    b.add("pool", OP_MAXPOOL, 4, 4, 3, 3, 6, 6, pad=1, groups=4)
    L = b.build("t").layers
    assert layer_macs(L).tolist() == [8 * 4 * 9 * 36, 4 * 9 * 9, 0]
    assert layer_weight_params(L).tolist() == [8 * 4 * 9 + 16, 4 * 9, 0]


def test_kept_macs_are_handed_out_as_copies_and_follow_the_table():
    b = LayerBuilder()
    b.add("conv", OP_CONV, 8, 4, 3, 3, 6, 6, pad=1)
    b.add("pool", OP_MAXPOOL, 4, 4, 3, 3, 6, 6, pad=1, groups=4)
    L = b.build("t").layers
    first = layer_macs(L)
    first[:] = -1  # a caller's own array: the next caller still gets the MACs
    assert layer_macs(L).tolist() == [8 * 4 * 9 * 36, 0]
    wider = L.copy()
    wider["K"][0] = 16  # another table: its own MACs, not the kept ones
    assert layer_macs(wider).tolist() == [16 * 4 * 9 * 36, 0] and layer_macs(L)[0] == 8 * 4 * 9 * 36


def test_all_skip_network_is_counted_by_hand():
    # every edge is the identity except the strided ones in reduction cells (factorized reduce)
    n = cell_network(ALL_SKIP)
    C = 32
    stem = 3 * C * 3 * 9 * 32 * 32
    # preprocessing: (C_prev_prev, C_prev, C, resolution) per cell, NB301 protocol
    pre = 0
    cfg = [(96, 96, 32, 32), (96, 128, 32, 32), (128, 128, 64, 32), (128, 256, 64, 16), (256, 256, 64, 16),
           (256, 256, 128, 16), (256, 512, 128, 8), (512, 512, 128, 8)]
    for i, (cpp, cp, c, res) in enumerate(cfg):  # res: resolution of the cell's inputs after preprocessing
        # after a reduction cell, s0 is factorized-reduced: two 1x1 stride-2 halves of c/2 channels
        pre += 2 * (c // 2) * cpp * res * res if i in (3, 6) else c * cpp * res * res
        pre += c * cp * res * res
    # each reduction cell: all 8 edges read a cell input, so all are strided skips, i.e. factorized
    # reduces C -> C producing (res/2)^2 pixels
    fr = sum(8 * 2 * (c // 2) * c * (res // 2) ** 2 for c, res in ((64, 32), (128, 16)))
    classifier = 512 * 10
    assert n.macs == stem + pre + fr + classifier


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_network_structure(protocol):
    rng = np.random.default_rng(0)
    proto = PROTOCOLS[protocol]
    for x in CellSegment().sample(rng, 5):
        n = cell_network(x, protocol)
        assert n.layers.dtype == LAYER_DTYPE
        assert (n.layers["group"] >= 0).all() and n.layers["group"].max() == 2
        pre = [nm for nm in n.names if nm.endswith(".pre1")]
        assert len(pre) == proto.n_cells
        # depthwise layers are exactly the separable / dilated convs' first halves
        dw = n.layers["op"] == OP_DWCONV
        assert (n.layers["groups"][dw] == n.layers["C"][dw]).all()
        assert n.layers["Y"][:-1].min() == 8 and n.layers["K"][-1] == proto.num_classes  # classifier: Y = 1


def test_unique_shapes_preserve_totals():
    X = CellSegment().sample(np.random.default_rng(1), 20)
    nets = [cell_network(x) for x in X]
    U, counts = unique_across([n.layers for n in nets])
    per_shape = layer_macs(U)
    assert np.array_equal(counts @ per_shape, [n.macs for n in nets])
    for n in nets:
        u, inv = n.unique()
        assert (layer_macs(u) * u["count"]).sum() == n.macs
        assert u["count"].sum() == len(n)
        assert np.array_equal(u[inv][["K", "C", "Y"]], n.layers[["K", "C", "Y"]])
    assert len(U) < sum(len(n) for n in nets) / 20  # shapes are shared heavily across networks


def test_matches_naslib_flops_and_params_for_all_718():
    import pandas as pd
    df = pd.read_csv(shared_file("nb301-naslib-zc-samples", "nb301_surrogate_labels_725.csv"))
    assert len(df) == 718
    flops_err, params_err, exact_params = [], [], 0
    for gj, flops_m, params_m in zip(df["genotype_json"], df["flops_M"], df["params_M"]):
        n = cell_network(json.loads(gj))
        flops_err.append(n.flops / (flops_m * 1e6) - 1)
        params_err.append(n.params / (params_m * 1e6) - 1)
        # NASLib's edge BatchNorms are not affine: without their 2 K parameters the count is exact
        edge_bn = 2 * int(n.layers["K"][(n.layers["bn"] == 1) & np.array([".node" in s for s in n.names])].sum())
        exact_params += round(params_m * 1e6) == n.params - edge_bn
        assert n.macs < n.flops
    fe, pe = np.abs(flops_err), np.abs(params_err)
    print(f"\nNASLib agreement over {len(df)} NB301 networks: FLOPs max {fe.max():.2e} median {np.median(fe):.2e}; "
          f"params max {pe.max():.2e} median {np.median(pe):.2e}; params exact without edge-BN affine: "
          f"{exact_params}/{len(df)}")
    assert fe.max() < 0.02 and pe.max() < 0.02
    assert fe.max() < 1e-4  # the FLOPs convention is exact up to a constant 8,704
    assert exact_params == len(df)


def test_darts_protocol_params_match_papers():
    data = json.loads(shared_file("darts-published-genotypes", "darts_published_genotypes.json").read_text())
    for name, g in data["in_nb301_space"].items():
        n = cell_network(genotype_to_genome(g), "darts")
        assert abs(n.params / 1e6 / g["reported_params_M"] - 1) < 0.05, name


def test_vgg16_backbone():
    n = backbone_network()
    assert n.op_counts() == {"conv": 13, "max_pool": 5, "linear": 1}
    # VGG16 on CIFAR-10: 14.7 M parameters and 313 M MACs (widely reported for this variant)
    assert abs(n.params / 1e6 - 14.72) < 0.01
    assert abs(n.macs / 1e6 - 313.2) < 0.1
    small = backbone_network([64] * 13)
    assert small.macs < n.macs and list(small.layers["group"][small.layers["op"] == OP_CONV]) == list(range(13))
    with pytest.raises(ValueError):
        backbone_network([64] * 12)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_batch_counts_equal_per_network_tables(protocol):
    from evo_codesign.workload import cell_workload
    from evo_codesign.workload.batch import VOCAB_FIELDS
    W = cell_workload(protocol)
    X = CellSegment().sample(np.random.default_rng(11), 40)
    counts = W.counts(X)
    assert counts.shape == (40, len(W.shapes)) and (counts >= 0).all()
    for x, c in zip(X, counts):
        n = cell_network(x, protocol)
        # the same multiset of layers: every row of the per-network table, by vocabulary key
        u, _ = unique_layers(n.layers, fields=VOCAB_FIELDS)
        expect = {tuple(int(r[f]) for f in VOCAB_FIELDS): int(r["count"]) for r in u}
        got = {tuple(int(r[f]) for f in VOCAB_FIELDS): int(k) for r, k in zip(W.shapes, c) if k}
        assert got == expect
    assert np.array_equal(W.flops(X), [cell_network(x, protocol).flops for x in X])
    assert np.array_equal(W.params(X), [cell_network(x, protocol).params for x in X])
    with pytest.raises(Exception, match="twice"):
        bad = X[0].copy()
        bad[3] = bad[1]
        W.counts(bad)


def test_op_in_is_isin():
    from evo_codesign.workload.layers import MAC_OPS, op_in
    rng = np.random.default_rng(0)
    for dtype in (np.int8, np.int16, np.int64):
        for op in (rng.integers(0, 6, 200).astype(dtype), rng.integers(-3, 9, 200).astype(dtype), np.zeros(0, dtype),
                   np.array(3, dtype)):
            for codes in (MAC_OPS, (0,), (), (1, 2, 3, 4), (7,), (-1, 2)):
                got, want = op_in(op, codes), np.isin(op, codes)
                assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)

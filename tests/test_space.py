import ast
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo_codesign.space import (AcceleratorSegment, BackboneSegment, CellSegment, GenomeError, ImcSegment, OPS,
                                canonicalize, compact_to_genome, configspace_to_genome, genome_to_compact,
                                genome_to_configspace, genome_to_genotype, genotype_to_genome, loop_order,
                                make_space)
from evo_codesign.space.joint import HARDWARE_TARGETS

from .conftest import shared_file

CELL = CellSegment()
SPACES = [make_space(n, h) for n in ("cell", "backbone") for h in HARDWARE_TARGETS]


def genomes(space):
    """Hypothesis strategy: valid genomes of a space, drawn through its own sampler."""
    return st.integers(0, 2**32 - 1).map(lambda s: space.sample(np.random.default_rng(s)))


# --- cell ---------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(genomes(CELL))
def test_cell_roundtrips(x):
    assert CELL.is_valid(x)
    assert np.array_equal(genotype_to_genome(genome_to_genotype(x)), x)
    assert np.array_equal(CELL.encode(CELL.decode(x)), x)
    assert np.array_equal(compact_to_genome(genome_to_compact(x)), x)
    cs = genome_to_configspace(x)
    assert np.array_equal(configspace_to_genome(cs), canonicalize(x))
    assert genome_to_configspace(configspace_to_genome(cs)) == cs


def test_published_genotypes_roundtrip():
    data = json.loads(shared_file("darts-published-genotypes", "darts_published_genotypes.json").read_text())
    entries = data["in_nb301_space"]
    assert len(entries) >= 6
    for name, g in entries.items():
        x = genotype_to_genome(g)
        back = genome_to_genotype(x)
        assert [list(p) for p in back.normal] == g["normal"], name
        assert [list(p) for p in back.reduce] == g["reduce"], name
        assert back.normal_concat == g["normal_concat"] and back.reduce_concat == g["reduce_concat"]
        assert np.array_equal(configspace_to_genome(genome_to_configspace(x)), canonicalize(x))


def test_naslib_compact_strings_match_genotypes():
    import pandas as pd
    df = pd.read_csv(shared_file("nb301-naslib-zc-samples", "nb301_surrogate_labels_725.csv"))
    for compact, gj in zip(df["compact"][:200], df["genotype_json"][:200]):
        x = compact_to_genome(ast.literal_eval(compact))
        assert np.array_equal(x, genotype_to_genome(json.loads(gj)))


def test_configspace_names_match_nb301_configspace():
    cs = json.loads(shared_file("nb301-configspace", "configspace.json").read_text())
    hp = {h["name"]: h for h in cs["hyperparameters"]}
    x = CELL.sample(np.random.default_rng(1))
    for key, val in genome_to_configspace(x).items():
        assert key in hp, key
        assert val in hp[key]["choices"], (key, val)
    # the edges we mark active are exactly those NB301's conditions activate
    cfg = genome_to_configspace(x)
    for cond in cs["conditions"]:
        child, parent = cond["child"], cond["parent"]
        if parent in cfg and "edge_" in child:
            assert (child in cfg) == (cfg[parent] in cond["values"]), child


def test_cell_ops_order_is_naslib_order():
    assert OPS == ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                   "dil_conv_3x3", "dil_conv_5x5")


def test_cell_sampler_is_uniform_over_distinct_pairs():
    X = CELL.sample(np.random.default_rng(0), 20000)
    # node 5 of the normal cell (pairs 6, 7 -> input genes at 13, 15): 5 inputs, 20 ordered pairs
    pairs = X[:, 13] * 5 + X[:, 15]
    counts = np.bincount(pairs, minlength=25).reshape(5, 5)
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(5, dtype=bool)]
    assert off.min() > 0.8 * off.mean() and off.max() < 1.2 * off.mean()


def test_cell_error_names_segment_and_position():
    x = genotype_to_genome({"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]] * 4,
                            "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1]] * 4})
    bad = x.copy()
    bad[3] = 0  # pair 1 input = 0 duplicates pair 0 input
    with pytest.raises(GenomeError, match=r"segment 'cell', position 3 .*normal.1.input.*node 2 takes input 0 twice"):
        CELL.decode(bad)
    bad = x.copy()
    bad[5] = 7
    with pytest.raises(GenomeError, match=r"position 5 .*normal.2.input.*value 7 out of range 0..2"):
        CELL.decode(bad)
    with pytest.raises(GenomeError, match="wrong length 31"):
        CELL.decode(x[:-1])
    with pytest.raises(GenomeError, match="unknown op 'conv_7x7'"):
        genotype_to_genome({"normal": [["conv_7x7", 0]] * 8, "reduce": [["max_pool_3x3", 0]] * 8})
    with pytest.raises(GenomeError, match="outside the NB301 space"):
        genotype_to_genome({"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]] * 4, "normal_concat": [2, 3],
                            "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1]] * 4})


def test_joint_error_gives_joint_index():
    space = make_space("cell", "hybrid")
    x = space.sample(np.random.default_rng(0))
    start = space.slices["accelerator"].start
    x[start + 1] = 99
    with pytest.raises(GenomeError, match=rf"segment 'accelerator', position 1 \(genome index {start + 1}\) "
                                          r"\(gene 'array_rows'\): value 99 out of range"):
        space.decode(x)
    with pytest.raises(GenomeError, match="non-integer value 1.5"):
        space.decode(np.full(space.n_var, 1.5))


# --- all segments and joint spaces -------------------------------------------------------------
@pytest.mark.parametrize("space", SPACES, ids=repr)
def test_joint_roundtrip_and_validity(space):
    rng = np.random.default_rng(0)
    X = space.sample(rng, 300)
    assert X.shape == (300, space.n_var) and X.dtype == np.int64
    assert space.is_valid(X).all()
    assert np.array_equal(space.repair(X), X)
    for x in X[:30]:
        assert np.array_equal(space.encode(space.decode(x)), x)
    # same seed, same genomes
    assert np.array_equal(space.sample(np.random.default_rng(0), 300), X)


@pytest.mark.parametrize("space", SPACES, ids=repr)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_repair_maps_any_integer_vector_to_valid(space, data):
    raw = np.array(data.draw(st.lists(st.integers(-1000, 1000), min_size=space.n_var, max_size=space.n_var)))
    before = raw.copy()
    fixed = space.repair(raw)
    assert space.is_valid(fixed)
    assert np.array_equal(raw, before), "repair must not mutate its input"
    assert np.array_equal(space.repair(fixed), fixed)


def test_is_valid_batch_flags_only_bad_rows():
    space = make_space("cell", "dataflow")
    X = space.sample(np.random.default_rng(3), 10)
    X[4, 1] = X[4, 3]  # duplicate inputs of node 2 (normal cell): both inputs must be distinct
    X[7, space.slices["accelerator"].start] = -1
    ok = space.is_valid(X)
    assert ok.tolist() == [i not in (4, 7) for i in range(10)]


def test_split_join_and_slices():
    space = make_space("cell", "hybrid")
    X = space.sample(np.random.default_rng(0), 5)
    parts = space.split(X)
    assert set(parts) == {"cell", "accelerator", "imc"}
    assert np.array_equal(space.join(parts), X)
    # freeze the cell of design 0, resample hardware
    hw = make_space(None, "hybrid").sample(np.random.default_rng(1), 5)
    Y = space.join({"cell": parts["cell"][0], "accelerator": hw[:, :17], "imc": hw[:, 17:]})
    assert (Y[:, space.slices["cell"]] == X[0, space.slices["cell"]]).all()
    assert space.is_valid(Y).all()


def test_accelerator_decode_and_loop_order():
    seg = AcceleratorSegment()
    d = seg.decode(seg.sample(np.random.default_rng(0)))
    assert d["num_pes"] == d["array_rows"] * d["array_cols"]
    assert sorted(d["loop_order"]) == sorted("KCYX")
    assert loop_order({"order_K": 0, "order_C": 5, "order_Y": 3, "order_X": 0}) == ("C", "Y", "K", "X")
    assert min(seg.gene("array_rows").choices) * min(seg.gene("array_cols").choices) <= 16
    assert max(seg.gene("array_rows").choices) * max(seg.gene("array_cols").choices) >= 1024
    with pytest.raises(GenomeError, match="num_pes"):
        seg.encode({**d, "num_pes": 3})
    with pytest.raises(GenomeError, match=r"gene 'dataflow': value 'tpu' is not one of"):
        seg.encode({**d, "dataflow": "tpu"})
    with pytest.raises(GenomeError, match=r"unknown key\(s\) \['pe_count'\]"):
        seg.encode({**d, "pe_count": 4})


def test_imc_per_group_knobs():
    seg = ImcSegment(groups=("a", "b"), per_group=("input_bits", "adc_bits"))
    x = seg.encode({"crossbar_size": 128, "cell_bits": 2, "weight_bits": 8, "adc_type": "sar",
                    "column_sharing": 8, "input_bits": {"a": 4, "b": 8}, "adc_bits": 5})
    d = seg.decode(x)
    assert d["input_bits"] == [4, 8] and d["adc_bits"] == [5, 5] and d["groups"] == ["a", "b"]
    assert np.array_equal(seg.encode(d), x)
    with pytest.raises(GenomeError, match="needs 2 values"):
        seg.encode({**d, "input_bits": [4]})
    with pytest.raises(GenomeError, match=r"gene 'adc_bits.a': value 9"):
        seg.encode({**d, "adc_bits": [9, 4]})
    assert set(ImcSegment().gene("adc_bits").choices) == {3, 4, 5, 6, 7, 8}
    assert ImcSegment().gene("column_sharing").choices == (1, 2, 4, 8, 16, 32)
    assert ImcSegment().gene("crossbar_size").choices == (64, 128, 256)


def test_backbone_imc_groups_are_layers():
    space = make_space("backbone", "imc")
    d = space.decode(space.sample(np.random.default_rng(0)))
    assert len(d["backbone"]["channels"]) == 13
    assert len(d["imc"]["input_bits"]) == 13 and d["imc"]["groups"][0] == "conv1"
    seg = BackboneSegment()
    with pytest.raises(GenomeError, match="value 100 is not one of"):
        seg.encode({"channels": [100] * 13})


def test_sample_refuses_global_state():
    with pytest.raises(TypeError, match="Generator"):
        CELL.sample(np.random.RandomState(0))


def test_canonicalize_is_idempotent_and_order_free():
    X = CELL.sample(np.random.default_rng(5), 200)
    C1 = canonicalize(X)
    assert np.array_equal(canonicalize(C1), C1)
    assert CELL.is_valid(C1).all()
    # swapping the two edges of every node gives the same canonical genome
    Y = X.copy()
    for c in range(2):
        for k in range(4):
            a, b = c * 16 + 4 * k, c * 16 + 4 * k + 2
            Y[:, [a, a + 1, b, b + 1]] = X[:, [b, b + 1, a, a + 1]]
    assert np.array_equal(canonicalize(Y), C1)


def test_canonicalize_sorts_each_nodes_two_edges_by_input_then_op():
    from evo_codesign.space.cell import N_NODES, OPS
    rng = np.random.default_rng(7)
    X = np.vstack([CellSegment().sample(rng, 300), rng.integers(0, 7, (300, 32))])  # also equal edges
    C = canonicalize(X)
    for x, c in zip(X, C):
        want = x.copy()
        for node in range(2 * N_NODES):  # a node's pairs (op, input) are genes 4k..4k+3
            a, b = x[4 * node:4 * node + 2], x[4 * node + 2:4 * node + 4]
            if b[1] * len(OPS) + b[0] < a[1] * len(OPS) + a[0]:
                want[4 * node:4 * node + 4] = np.concatenate([b, a])
        assert np.array_equal(c, want)
    assert np.array_equal(canonicalize(X[3]), C[3]) and canonicalize(X[:0]).shape == (0, 32)
    assert np.array_equal(canonicalize(X.astype(float)), C) and C.dtype == np.int64


def test_joint_repair_is_each_segments_repair():
    from evo_codesign.space.base import Segment
    from evo_codesign.space.joint import JointSpace

    class Halving(Segment):  # a segment with its own repair, not just a structural rule
        def repair(self, X):
            return super().repair(X) // 2

    space = make_space("cell", "hybrid")
    odd = Halving("odd", [space["accelerator"].genes[0]])
    joint = JointSpace([*space.segments, odd])
    rng = np.random.default_rng(3)
    X = rng.integers(-3, 12, (500, joint.n_var))
    before = X.copy()
    R = joint.repair(X)
    want = np.concatenate([s.repair(X[:, joint.slices[s.name]]) for s in joint.segments], axis=1)
    assert np.array_equal(R, want) and R.dtype == want.dtype
    assert np.array_equal(joint.repair(X[5]), want[5])
    assert np.array_equal(X, before)  # the input is never changed

"""Agreement with MAESTRO on NB301-protocol networks, from the golden subset in benchmarks/maestro
(40 networks x 8 settings of MAESTRO's network numbers, its 25 layer shapes x 8 settings on its own
arrays and on square clusters; README there). Asserts what is stable: the shape mapping; that
MAESTRO's printed network energies are its layers' access counts with the preceding layer's L1 part;
the issue's targets in MAESTRO's own timing and bandwidths (network latency Spearman >= 0.97, energy
>= 0.95 against MAESTRO's complete access-count energy, per-layer latency >= 0.9) on both array
shapes; that our own timing (no step staging) misses them at 1,024 PEs, so the convention is what
closes the gap; per-layer energy floors; the ShiDianNao-like X-P cycle for cycle on 1 x P arrays."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evo_codesign.space.cell import genotype_to_genome
from evo_codesign.workload import cell_network
from evo_codesign.workload.layers import OP_DWCONV, LayerBuilder

from .conftest import shared_file

HERE = Path(__file__).resolve().parents[1] / "benchmarks" / "maestro"
NUM_PES = (16, 64, 256, 1024)
SHAPES = ("maestro", "square")
MARGIN = 0.05
#: the issue's targets, in MAESTRO's timing and bandwidths (regime "maestro")
TARGETS = {"spearman_latency": 0.97, "spearman_energy": 0.95, "layer_spearman_latency": 0.90}
#: per-layer Spearman of our L1 + L2 energy against MAESTRO's complete per-layer energy, measured on
#: the golden subset (regime "maestro"); the floors are these minus MARGIN
LAYER_ENERGY_ONCHIP = {
    ("maestro", "nvdla"): {16: 0.961, 64: 0.963, 256: 0.972, 1024: 0.978},
    ("maestro", "shidiannao"): {16: 0.976, 64: 0.972, 256: 0.972, 1024: 0.972},
    ("square", "nvdla"): {16: 0.982, 64: 0.986, 256: 0.987, 1024: 0.978},
    ("square", "shidiannao"): {16: 0.968, 64: 0.964, 256: 0.972, 1024: 0.971},
}


def _load_agreement():
    spec = importlib.util.spec_from_file_location("maestro_agreement", HERE / "agreement.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module by name
    spec.loader.exec_module(mod)
    return mod


A = _load_agreement()


@pytest.fixture(scope="module")
def prep():
    return A.prepare(A.golden_reference())


@pytest.fixture(scope="module")
def table(prep):
    return A.agreement(prep, regimes=("maestro", "provenance"), shapes=SHAPES).set_index(
        ["regime", "array_shape", "dataflow", "num_pes"])


def test_maestro_convention_shapes_are_maestros_25(prep):
    m = A.shape_match(prep)
    assert m["our_shapes"] == m["maestro_shapes"] == m["matched"] == 25
    chk = A.check_against_maestro(prep)  # raises if layer counts or per-layer runtime sums are off
    assert len(chk) == 8 and chk["runtime_max_rel_error"].max() == 0.0
    assert (chk.loc[chk["maestro_dataflow"] == "xp", "energy_max_rel_error"] < 1e-9).all()


def test_maestros_printed_energy_is_its_counts_with_the_preceding_layers_l1_part(prep):
    # kcp network energies are not the sum of the layers' energies (up to 36 % off on this subset),
    # but each layer's L2 part plus the L1 part its predecessor left, to MAESTRO's printed digits
    chk = A.check_against_maestro(prep).set_index("maestro_dataflow")
    assert (chk.loc["kcp", "energy_max_rel_error"] > 0.1).all()
    assert (chk["energy_rebuilt_max_rel_error"] < 2e-6).all()
    alone = prep.reference.layers_alone
    conv = alone[(alone["dataflow"] == "kcp") & (alone["type"] == "CONV")]
    # a kcp CONV layer printed alone shows its L2 part only; every other layer both parts
    np.testing.assert_allclose(conv["energy_nJ"], conv["energy_l2_nJ"], rtol=1e-5)
    rest = alone.drop(conv.index)
    np.testing.assert_allclose(rest["energy_nJ"], rest["energy_complete_nJ"], rtol=1e-5)


def test_dilation_is_dropped_keeping_the_output_size():
    b = LayerBuilder()
    b.add("dil3", OP_DWCONV, 32, 32, 3, 3, 32, 32, pad=2, dilation=2, groups=32)
    b.add("dil5_s2", OP_DWCONV, 64, 64, 5, 5, 32, 32, stride=2, pad=4, dilation=2, groups=64)
    L = b.build("x").layers
    before = L.copy()
    M = A.maestro_convention(L)
    assert np.array_equal(L, before)  # the input is not modified
    shapes = A.maestro_shapes(M)
    assert shapes[["type", "K", "C", "R", "Y_in_padded", "stride"]].values.tolist() == [
        ["DSCONV", 1, 32, 3, 34, 1], ["DSCONV", 1, 64, 5, 36, 2]]
    assert (M["dilation"] == 1).all()


def test_each_network_has_maestros_layer_count():
    cells = json.loads((HERE / "golden_cells.json").read_text())
    nets = pd.read_csv(HERE / "golden_networks.csv").drop_duplicates("cell").set_index("cell")
    for c in cells[:5]:
        conv_like = A.maestro_convention(cell_network(genotype_to_genome(c), "nb301").layers)
        assert len(conv_like) == nets.loc[c["name"], "n_layers_expected"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dataflow", ["nvdla", "shidiannao"])
def test_issue_targets_in_maestros_timing(table, shape, dataflow):
    for pes in NUM_PES:
        row = table.loc[("maestro", shape, dataflow, pes)]
        for col, floor in TARGETS.items():
            assert row[col] >= floor, f"{dataflow} {pes} PEs {shape}: {col} {row[col]:.3f} < {floor}"


def test_our_own_timing_misses_maestros_kcp_at_1024_pes(table):
    # without the step staging our NVDLA-like array is compute-bound where MAESTRO's KC-P is
    # off-chip-bound: per-layer ranks fall far below the target and our latency is 5x too short;
    # the convention restores both (network ranks on this subset: 0.970 and 0.971 against 1.000)
    for shape in SHAPES:
        own, staged = table.loc[("provenance", shape, "nvdla", 1024)], table.loc[("maestro", shape, "nvdla", 1024)]
        assert own["layer_spearman_latency"] < 0.8 and staged["layer_spearman_latency"] > 0.95
        assert own["spearman_latency"] < staged["spearman_latency"]
        assert staged["ratio_latency_median"] == pytest.approx(1.0, abs=0.15)
        assert own["ratio_latency_median"] < 0.3


@pytest.mark.parametrize("key", sorted(LAYER_ENERGY_ONCHIP))
def test_per_layer_energy_floors(table, key):
    shape, dataflow = key
    for pes, measured in LAYER_ENERGY_ONCHIP[key].items():
        got = table.loc[("maestro", shape, dataflow, pes), "layer_spearman_energy_onchip"]
        assert got >= measured - MARGIN, f"{dataflow} {pes} PEs {shape}: {got:.3f} < {measured} - {MARGIN}"


def test_shidiannao_on_a_1xP_array_is_maestros_xp_plus_one_cycle(prep):
    # MAESTRO counts one cycle more than the compute steps. Its X-P at 16 PEs is R times slower on
    # the two stride-2 depthwise layers whose 16 output columns fill the array (L7 3x3, L22 5x5).
    for pes in NUM_PES:
        t = A.layer_table(prep, "xp", pes, shape="maestro")
        off = t.index[t["compute_cycles"] + 1 != t["maestro_runtime_cycles"]].tolist()
        assert off == ([] if pes > 16 else ["L7", "L22"]), (pes, off)
    t = A.layer_table(prep, "xp", 16, shape="maestro")
    np.testing.assert_allclose(t.loc[["L7", "L22"], "maestro_runtime_cycles"] - 1,
                               t.loc[["L7", "L22"], "compute_cycles"] * t.loc[["L7", "L22"], "R"])


def test_layers_alone_differ_from_the_shared_table_only_by_maestros_order_effect():
    # run_maestro.py costed each shape in a MAESTRO process of its own; the shared table's kcp
    # CONV energies carry the preceding layer's influence (all but the first layer, L0)
    key = ["layer", "dataflow", "num_pes"]
    both = pd.read_csv(HERE / "golden_layers_alone.csv").merge(pd.read_csv(HERE / "golden_layers.csv"), on=key,
                                                               suffixes=("", "_shared"))
    assert len(both) == 200 and (both["runtime_cycles"] == both["runtime_cycles_shared"]).all()
    same = both["energy_nJ"] == both["energy_nJ_shared"]
    untouched = (both["dataflow"] == "xp") | (both["type"] == "DSCONV") | (both["layer"] == "L0")
    assert same[untouched].all() and not same[~untouched].any()


def test_golden_subset_is_the_shared_data():
    shared = shared_file("maestro-nb301", "maestro_nb301_networks_200.csv").parent
    golden = pd.read_csv(HERE / "golden_networks.csv")
    full = pd.read_csv(shared / "maestro_nb301_networks_200.csv")
    full = full[full["cell"].isin(golden["cell"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(golden, full)
    pd.testing.assert_frame_equal(pd.read_csv(HERE / "golden_layers.csv"),
                                  pd.read_csv(shared / "maestro_nb301_layer_shapes.csv"))

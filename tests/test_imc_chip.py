"""The crossbar chip: schedules (sequential / pipelined with weight duplication), tile capacity and
reprogramming, chip periphery, the hybrid chip's overlap, the throughput objective, the capacity
constraint, precision on the rows used, and the cost command's breakdowns (issue 13)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from evo_codesign.backends.crossbar import chip_knob_array
from evo_codesign.cli import main
from evo_codesign.cost.constants_imc import IMC_CONSTANTS
from evo_codesign.cost.crossbar import cost_network
from evo_codesign.cost.hybrid import combine
from evo_codesign.cost.imc_config import ImcConfigError, cost_imc_network, imc_config_from_dict
from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.io.genotypes import load_genotypes
from evo_codesign.objectives import get as objective
from evo_codesign.precision import accuracy_drop, lossless_adc_bits
from evo_codesign.space.imc import CHIP_DEFAULTS, ImcSegment
from evo_codesign.space.joint import make_space
from evo_codesign.workload.backbone import backbone_network
from evo_codesign.workload.cells import cell_network

GENOTYPES = Path(__file__).resolve().parents[2] / "shared" / "data" / "darts-published-genotypes" / \
    "darts_published_genotypes.json"
IMC = dict(crossbar_size=128, cell_bits=1, weight_bits=8, adc_type="flash", adc_bits=6, column_sharing=8, input_bits=8)
PER_TILE = IMC_CONSTANTS["crossbars_per_pe"].value * IMC_CONSTANTS["pes_per_tile"].value
EXAMPLES = Path(__file__).resolve().parents[1] / "benchmarks" / "examples"


@pytest.fixture(scope="module")
def cell():
    if GENOTYPES.exists():
        return dict(load_genotypes(GENOTYPES))["DARTS_V2"]
    return make_space("cell", None).sample(np.random.default_rng(0))


def totals(r, *fields):
    return {f: float(r.total(f)[0]) for f in fields}


def test_pipelined_chip_overlaps_inferences(cell):
    net = cell_network(cell)
    seq = cost_network(IMC, net)
    pip = cost_network({**IMC, "schedule": "pipelined"}, net)
    # the same crossbars; one inference takes about as long, but a new one starts every slowest stage
    assert pip.total("crossbars")[0] == seq.total("crossbars")[0]
    assert pip.total("latency_ns")[0] <= seq.total("latency_ns")[0]
    stage = pip.layer("stage_cycles")[0][net.unique(by_group=True)[0]["count"] > 0].max()
    assert pip.total("interval_ns")[0] == pytest.approx(stage / IMC_CONSTANTS["clock_ghz"].value)
    assert seq.total("interval_ns")[0] == seq.total("latency_ns")[0]
    assert pip.total("throughput_per_s")[0] > 20 * seq.total("throughput_per_s")[0]
    # steady-state leakage per inference is charged over the interval, not the latency
    assert pip.total("e_leak_pj")[0] < seq.total("e_leak_pj")[0]
    assert pip.total("xbar_utilization")[0] > 20 * seq.total("xbar_utilization")[0]


def test_duplication_balances_stages_with_copies_of_the_large_layers(cell):
    net = cell_network(cell)
    U, _ = net.unique(by_group=True)
    one = cost_network({**IMC, "schedule": "pipelined"}, net)
    dup = cost_network({**IMC, "schedule": "pipelined", "duplication": 16}, net)
    copies, vectors = dup.layer("copies")[0], dup.layer("vectors")[0]
    on = (dup.layer("on_crossbar")[0] > 0) & (U["count"] > 0)
    n_max = vectors[on].max()
    assert np.array_equal(copies[on], np.maximum(1, np.minimum(16, np.ceil(16 * vectors[on] / n_max))))
    assert copies[on].max() == 16 and copies[on].min() >= 1
    assert dup.total("throughput_per_s")[0] > 4 * one.total("throughput_per_s")[0]
    assert dup.total("stage_balance")[0] > one.total("stage_balance")[0]
    assert dup.total("crossbars")[0] > one.total("crossbars")[0] and dup.total("area_um2")[0] > one.total("area_um2")[0]
    # sequential chips ignore the knob
    seq = cost_network({**IMC, "duplication": 16}, net)
    assert seq.total("duplication")[0] == 1 and seq.total("crossbars")[0] == one.total("crossbars")[0]


def test_a_fixed_tile_count_limits_copies_to_spare_tiles(cell):
    net = cell_network(cell)
    need = float(cost_network(IMC, net).total("tiles_needed")[0])
    tiles = int(2 ** math.ceil(math.log2(need))) * 2  # room for about one more copy of everything
    r = cost_network({**IMC, "schedule": "pipelined", "duplication": 32, "tiles": tiles}, net)
    assert r.total("tiles")[0] == tiles and 1 < r.total("duplication")[0] < 32
    assert r.total("crossbars")[0] <= tiles * PER_TILE and r.total("capacity_violation")[0] == 0


def test_weights_beyond_the_tiles_are_rewritten_every_inference(cell):
    net = cell_network(cell)
    fit = cost_network(IMC, net)
    need = int(fit.total("tiles_needed")[0])
    small = cost_network({**IMC, "tiles": need // 2}, net)
    t = totals(small, "capacity_violation", "dram_bits", "e_reprogram_pj", "reprogram_ns", "area_um2", "energy_pj",
               "latency_ns")
    assert t["capacity_violation"] == pytest.approx(fit.total("crossbars")[0] / (need // 2 * PER_TILE) - 1)
    assert t["dram_bits"] > 0 and t["e_reprogram_pj"] > t["dram_bits"] * IMC_CONSTANTS["dram_pj_per_bit"].value
    bandwidth = min(IMC_CONSTANTS["reprogram_bits_per_cycle"].value, IMC_CONSTANTS["bus_bits_per_cycle"].value)
    assert t["reprogram_ns"] == pytest.approx(math.ceil(t["dram_bits"] / bandwidth))
    assert t["area_um2"] < fit.total("area_um2")[0] and t["energy_pj"] > fit.total("energy_pj")[0]
    big = cost_network({**IMC, "tiles": 4 * need}, net)
    # idle tiles are silicon that leaks
    assert big.total("area_um2")[0] > 3 * fit.total("area_um2")[0]
    assert big.total("e_leak_pj")[0] > fit.total("e_leak_pj")[0]
    assert big.total("e_reprogram_pj")[0] == 0 and big.total("capacity_violation")[0] == 0


def test_hybrid_engines_overlap_only_when_pipelined():
    x_lat, x_int, pe_lat = np.array([100.0, 100.0]), np.array([10.0, 10.0]), np.array([50.0, 5.0])
    seq = combine(x_lat, 1.0, 1e6, pe_lat, 1.0, 1e6, crossbar_leakage_power_uw=2.0, crossbar_interval_ns=x_int)
    pip = combine(x_lat, 1.0, 1e6, pe_lat, 1.0, 1e6, crossbar_leakage_power_uw=2.0, crossbar_interval_ns=x_int,
                  pipelined=True)
    assert np.allclose(seq["interval_ns"], [150.0, 105.0]) and np.allclose(seq["latency_ns"], [150.0, 105.0])
    assert np.allclose(pip["latency_ns"], [150.0, 105.0]) and np.allclose(pip["interval_ns"], [50.0, 10.0])
    assert np.allclose(pip["e_cross_leak_pj"], [2.0 * 40.0e-3, 0.0])
    assert np.allclose(pip["throughput_per_s"], 1e9 / pip["interval_ns"])


def _evaluator(hardware: str, **kw) -> tuple:
    space = make_space("cell", hardware)
    return space, CodesignEvaluator(space, ("latency", "throughput"), hardware=hardware, buffer_capacity=False, **kw)


@pytest.mark.parametrize("hardware", ["imc", "hybrid"])
def test_throughput_objective_and_capacity_constraint(hardware):
    space, ev = _evaluator(hardware)
    X = space.sample(np.random.default_rng(4), 24)
    pos = list(space.gene_names).index("imc.schedule")
    X[:12, pos] = 1  # half of them pipelined
    b = ev(X)
    m = b.extras
    assert objective("throughput").sense == "max" and np.array_equal(b.F[:, 1], -m["throughput_per_s"])
    assert np.all(m["throughput_per_s"] >= 1e3 / m["latency_ms"] * (1 - 1e-12))
    assert "crossbar_capacity" not in ev.constraint_names and (m["capacity_violation"] >= 0).all()
    _, strict = _evaluator(hardware, crossbar_capacity=True)
    g = strict(X).G[:, strict.constraint_names.index("crossbar_capacity")]
    assert np.array_equal(g > 0, m["capacity_violation"] > 0) and (g > 0).any() and (g <= 0).any()


def test_precision_is_charged_on_the_rows_each_layer_uses(cell):
    space, ev = _evaluator("hybrid")
    parts = {"cell": space["cell"].decode(cell), "accelerator": space["accelerator"].decode(
        space["accelerator"].sample(np.random.default_rng(0))), "imc": {**IMC, "adc_bits": 4, "tiles": 64}}
    X = space.encode(parts)[None]
    costs = ev.hardware_costs(X, ev.workload(X))
    rows, w = costs.precision_rows[0], costs.precision_weights[0]
    assert rows.max() <= 128 and (rows[w > 0] < 128).any()
    assert w.sum() == pytest.approx(costs.crossbar_macs_by_group[0].sum())
    # the bits a column needs, weighted by MACs, are fewer than a full crossbar's
    need = float((lossless_adc_bits(rows.astype(int), 1) * w).sum() / w.sum())
    assert need < float(lossless_adc_bits(128, 1))
    used = float(ev.precision_drop(costs, 1)[0])
    charged_on_size = float(accuracy_drop(8, 4, weight_bits=8, cell_bits=1, crossbar_size=128,
                                          macs_fraction=costs.crossbar_macs_by_group[0].sum(keepdims=True)))
    assert 0 <= used < charged_on_size
    # the table is replaceable: the former rule charges more for the same design
    from evo_codesign.precision import legacy_adc_table
    _, legacy = _evaluator("hybrid", precision_tables={"adc_table": legacy_adc_table()})
    assert float(legacy.precision_drop(costs, 1)[0]) > used
    with pytest.raises(ValueError, match="precision_tables"):
        _evaluator("hybrid", precision_tables={"adc": legacy_adc_table()})


def test_chip_genes_default_and_can_be_left_out():
    seg = ImcSegment()
    x = seg.encode({**IMC})
    d = seg.decode(x)
    assert {k: d[k] for k in CHIP_DEFAULTS} == CHIP_DEFAULTS
    plain = ImcSegment(chip_genes=())
    assert "tiles" not in plain.gene_names and len(plain.gene_names) == len(seg.gene_names) - 3
    assert chip_knob_array(plain, plain.encode(dict(IMC))).tolist() == [[0.0, 0.0, 1.0]]  # sequential, fit, 1 copy
    assert chip_knob_array(seg, x).tolist() == [[0.0, 64.0, 1.0]]
    with pytest.raises(ValueError, match="chip genes"):
        ImcSegment(chip_genes=("tile",))


def test_cost_json_totals_for_a_pipelined_imc_chip(tmp_path, capsys):
    acc = tmp_path / "acc.toml"
    acc.write_text('target = "imc"\nschedule = "pipelined"\nduplication = 4\n')
    assert main(["cost", "--layers", str(EXAMPLES / "layers_example.csv"), "--accelerator", str(acc), "--json"]) == 0
    *rows, total = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert total["schedule"] == "pipelined" and total["duplication"] == 4
    assert total["throughput_inferences_per_s"] == pytest.approx(1e9 / total["interval_ns"])
    assert total["interval_ns"] < total["latency_ns"]
    for key in ("array", "adc", "word_line", "shift_add", "buffer", "interconnect", "leakage", "reprogram"):
        assert key in total["energy_breakdown_pj"]
    assert sum(total["energy_breakdown_pj"].values()) == pytest.approx(total["energy_pj"])
    assert set(total["area_breakdown_um2"]) == {"array", "adc", "periphery", "buffer", "interconnect"}
    assert sum(total["area_breakdown_um2"].values()) == pytest.approx(total["area_um2"])
    assert max(r["copies"] for r in rows) == 4


def test_cost_json_for_a_pipelined_hybrid_chip(tmp_path, capsys):
    text = (EXAMPLES / "hybrid_example.toml").read_text() + 'schedule = "pipelined"\n'
    acc = tmp_path / "hybrid.toml"
    acc.write_text(text)
    assert main(["cost", "--layers", str(EXAMPLES / "layers_example.csv"), "--accelerator", str(acc), "--json"]) == 0
    *rows, total = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    x_rows = [r for r in rows if r.get("engine") == "crossbar"]
    assert x_rows and all("crossbar_energy_breakdown_pj" in r for r in x_rows)
    assert total["throughput_inferences_per_s"] == pytest.approx(1e9 / total["interval_ns"])
    assert total["interval_ns"] <= total["latency_ns"] and "crossbar_area_breakdown_um2" in total
    assert total["energy_pj"] >= sum(r["energy_pj"] for r in rows) * (1 - 1e-12)


@pytest.mark.parametrize("raw, key", [({"schedule": "pipeline"}, "schedule"), ({"tiles": -1}, "tiles"),
                                      ({"duplication": 0}, "duplication"), ({"overflow": "drop"}, "overflow")])
def test_chip_keys_are_validated(raw, key):
    with pytest.raises(ImcConfigError, match=key):
        imc_config_from_dict(raw)


def test_infeasible_overflow_is_an_error_naming_tiles():
    net = backbone_network()
    cfg = imc_config_from_dict({"tiles": 8, "overflow": "infeasible", "input_bits": [8] * 13})
    with pytest.raises(ImcConfigError, match="tiles: the network needs"):
        cost_imc_network(net.layers, net.names, cfg)
    rows, total = cost_imc_network(net.layers, net.names, imc_config_from_dict({"tiles": 8, "input_bits": [8] * 13}))
    assert total["capacity_violation"] > 0 and total["energy_breakdown_pj"]["reprogram"] > 0

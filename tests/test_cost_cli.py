"""``evo-codesign cost``: LAYERS.csv and ACC.toml parsing, JSON rows, errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evo_codesign.cli import main
from evo_codesign.cost.accelerator_config import AcceleratorConfig, accelerator_config_from_dict
from evo_codesign.cost.dataflow import dataflow_cost
from evo_codesign.cost.layers_csv import read_layers_csv
from evo_codesign.workload.layers import OP_CONV, OP_DWCONV, OP_LINEAR, OP_MAXPOOL

EXAMPLES = Path(__file__).resolve().parents[1] / "benchmarks" / "examples"
LAYERS = EXAMPLES / "layers_example.csv"
ACC = EXAMPLES / "accelerator_example.toml"


def run_json(capsys, layers: Path, acc: Path) -> list[dict]:
    assert main(["cost", "--layers", str(layers), "--accelerator", str(acc), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def run_error(capsys, layers: Path, acc: Path) -> str:
    assert main(["cost", "--layers", str(layers), "--accelerator", str(acc)]) == 2
    return capsys.readouterr().err


def test_json_rows_and_total(capsys):
    rows = run_json(capsys, LAYERS, ACC)
    *layers, total = rows
    assert [r["name"] for r in layers] == ["conv1", "dw2", "pw2", "dw3", "pw3", "fc"] and total["name"] == "total"
    for r in rows:
        for key in ("name", "latency_cycles", "compute_cycles", "energy_pj", "macs", "latency_ns"):
            assert key in r, key
        assert r["compute_cycles"] <= r["latency_cycles"]
    for key in ("latency_cycles", "compute_cycles", "energy_pj", "macs"):
        assert total[key] == pytest.approx(sum(r[key] for r in layers))
    assert total["macs"] == 884736 + 73728 + 524288 + 147456 + 1048576 + 640
    # 200 MHz in the example: 5 ns per cycle
    assert total["latency_ns"] == pytest.approx(total["latency_cycles"] * 5.0)
    assert total["area_um2"] > 0 and 0 < total["utilization"] <= 1


def test_json_numbers_are_the_kernels(capsys):
    import tomllib

    from evo_codesign.workload.liveness import sequential_live_elements

    rows = run_json(capsys, LAYERS, ACC)
    cfg = accelerator_config_from_dict(tomllib.loads(ACC.read_text()))
    L = read_layers_csv(LAYERS).layers
    r = dataflow_cost(cfg.design(), L, clock_mhz=cfg.clock_mhz)
    # a layer whose input and output fit L2 keeps them on chip: the kernel's resident costs
    on_chip = sequential_live_elements(L) <= cfg.l2_kib * 1024
    assert [row["activations_on_chip"] for row in rows[:-1]] == on_chip.tolist()
    for i, row in enumerate(rows[1:-2], start=1):  # first and last rows also carry the network's input/output
        lat = r.layer("latency_res_cycles" if on_chip[i] else "latency_cycles")[0, i]
        assert row["latency_cycles"] == pytest.approx(lat)
        assert row["energy_pj"] == pytest.approx(r.layer("energy_res_pj" if on_chip[i] else "energy_pj")[0, i])
        assert sum(row["energy_breakdown_pj"].values()) == pytest.approx(row["energy_pj"])
    assert rows[-1]["energy_pj"] == pytest.approx(sum(row["energy_pj"] for row in rows[:-1]))
    assert rows[-1]["energy_breakdown_pj"]["dram"] == pytest.approx(
        sum(row["energy_breakdown_pj"]["dram"] for row in rows[:-1]))
    assert rows[0]["mapping"]["dataflow"] == cfg.dataflow and set(rows[0]["mapping"]["tiles"]) == set("KCYX")


def test_a_buffer_that_holds_the_activations_leaves_weights_input_and_output_in_dram(tmp_path, capsys):
    from evo_codesign.workload.layers import layer_output_elements

    acc = tmp_path / "big.toml"
    acc.write_text('dataflow = "nvdla"\nl2_kib = 4096\n')
    rows = run_json(capsys, LAYERS, acc)
    L = read_layers_csv(LAYERS).layers
    w = float((L["K"].astype(float) * (L["C"] // L["groups"]) * L["R"] * L["S"]
               * np.isin(L["op"], (OP_CONV, OP_DWCONV, OP_LINEAR))).sum())
    io = float(L[0]["C"]) * L[0]["Y"] * L[0]["X"] + float(layer_output_elements(L[-1:])[0])
    assert all(row["activations_on_chip"] for row in rows[:-1])
    assert rows[-1]["dram_bytes"] == pytest.approx(w + io)
    small = tmp_path / "small.toml"
    small.write_text('dataflow = "nvdla"\nl2_kib = 8\n')
    assert run_json(capsys, LAYERS, small)[-1]["dram_bytes"] > 2 * (w + io)


def test_text_output(capsys):
    assert main(["cost", "--layers", str(LAYERS), "--accelerator", str(ACC)]) == 0
    out = capsys.readouterr().out
    assert "latency (cycles)" in out and "latency (us)" in out and out.splitlines()[-1].startswith("total:")
    assert "mm2" in out and "utilization" in out


def test_defaults_fill_omitted_fields(tmp_path, capsys):
    acc = tmp_path / "a.toml"
    acc.write_text('dataflow = "systolic_ws"\n')
    rows = run_json(capsys, LAYERS, acc)
    assert rows[-1]["latency_cycles"] > 0
    cfg = accelerator_config_from_dict({"dataflow": "systolic_ws"})
    assert cfg == AcceleratorConfig(dataflow="systolic_ws")
    assert cfg.clock_mhz == 1000.0 and cfg.array_rows == 16


@pytest.mark.parametrize("text, message", [
    ('dataflow = "nvdla"\narray_rowz = 4\n', "unknown key(s) ['array_rowz']"),
    ('dataflow = "tpu"\n', "dataflow: 'tpu' is not allowed; choose one of"),
    ('array_rows = 0\n', "array_rows: 0 out of range; expected an integer >= 1"),
    ('array_rows = "8"\n', "array_rows: expected an integer >= 1, got '8'"),
    ('clock_mhz = -1\n', "clock_mhz: -1 out of range; expected a finite number > 0"),
    ('target = "gpu"\n', "target: 'gpu' is not one of"),
    ('[constants]\ne_mac = 1.0\n', "constants: unknown key(s) ['e_mac']"),
    ('[constants]\ne_mac_pj = "big"\n', "constants.e_mac_pj: expected a finite number >= 0, got 'big'"),
    ('dataflow = \n', "invalid TOML"),
])
def test_accelerator_errors_name_the_key(tmp_path, capsys, text, message):
    acc = tmp_path / "a.toml"
    acc.write_text(text)
    assert message in run_error(capsys, LAYERS, acc)


def test_constants_override_from_toml(tmp_path, capsys):
    base = run_json(capsys, LAYERS, ACC)[-1]
    acc = tmp_path / "a.toml"
    acc.write_text(ACC.read_text() + "\n[constants]\nl2_access_mac_ratio = 0.0\n")
    cheaper = run_json(capsys, LAYERS, acc)[-1]
    assert cheaper["energy_pj"] < base["energy_pj"] and cheaper["latency_cycles"] == base["latency_cycles"]


@pytest.mark.parametrize("text, message", [
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,x,3,3,8,8,1,1\n", "line 2, column C: 'x' is not an integer"),
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,4,3,3,8,8,0,1\n", "line 2, column stride: 0 must be >= 1"),
    ("name,K,C,R,S,Y,X,pad\nc,8,4,3,3,8,8,1\n", "missing column(s) ['stride']"),
    ("name,K,C,R,S,Y,X,stride,pad,padding\nc,8,4,3,3,8,8,1,1,1\n", "unknown column(s) ['padding']"),
    ("name,K,C,R,S,Y,X,stride,pad,groups\nc,8,6,3,3,8,8,1,1,4\n", "line 2: K=8 and C=6 must be divisible by groups=4"),
    ("name,K,C,R,S,Y,X,stride,pad,op\nc,8,4,3,3,8,8,1,1,deconv\n", "line 2, column op: 'deconv' is not one of"),
    ("name,K,C,R,S,Y,X,stride,pad\n", "no layers"),
    # pad has no default: an unpadded 3x3 convolution would lose its border pixels without a word
    ("name,K,C,R,S,Y,X,stride\nc,8,4,3,3,8,8,1\n", "missing column(s) ['pad']"),
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,4,3,3,8,8,1,\n", "line 2, column pad: empty; pad is required"),
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,4,3,3,8,8,1,half\n", "line 2, column pad: 'half' is not an integer"),
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,4,2,2,8,8,1,same\n", "line 2, column pad: 'same' needs an odd kernel"),
    ("name,K,C,R,S,Y,X,stride,pad\nc,8,4,3,5,8,8,1,same\n", "'same' needs an odd kernel with R = S"),
])
def test_layers_errors_name_row_and_column(tmp_path, capsys, text, message):
    bad = tmp_path / "l.csv"
    bad.write_text(text)
    assert message in run_error(capsys, bad, ACC)


def test_layers_csv_infers_the_op(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("name,K,C,R,S,Y,X,stride,pad,groups,dilation,op\n"
                 "conv,8,4,3,3,8,8,1,1,1,1,\n"
                 "dw,8,8,3,3,8,8,1,2,8,2,\n"
                 "fc,10,8,1,1,1,1,1,0,,,\n"
                 "pool,8,8,3,3,8,8,2,1,8,1,max_pool\n")
    net = read_layers_csv(p)
    assert list(net.layers["op"]) == [OP_CONV, OP_DWCONV, OP_LINEAR, OP_MAXPOOL]
    assert list(net.layers["dilation"]) == [1, 2, 1, 1] and list(net.layers["pad"]) == [1, 2, 0, 1]


@pytest.mark.parametrize("toml", ["imc_example.toml", "hybrid_example.toml"])
def test_other_targets_share_the_json_fields(capsys, toml):
    rows = run_json(capsys, LAYERS, EXAMPLES / toml)
    assert rows[-1]["name"] == "total" and len(rows) == 7
    for r in rows:
        for key in ("name", "latency_cycles", "compute_cycles", "energy_pj", "macs"):
            assert key in r, key
    assert rows[-1]["macs"] == sum(r["macs"] for r in rows[:-1])


@pytest.mark.parametrize("toml", ["accelerator_example.toml", "imc_example.toml", "hybrid_example.toml"])
def test_json_breakdowns_add_up_to_the_totals(capsys, toml):
    """Every energy and area part the kernels compute reaches the JSON, and the parts add up: the
    PE array's (mac, l1, l2, dram; pes, l1, l2), the crossbars' (array, adc, ... ; array, adc,
    periphery, buffer, interconnect) and, on a hybrid chip, the crossbars' idle leakage."""
    *rows, total = run_json(capsys, LAYERS, EXAMPLES / toml)
    energy = (sum(total.get("energy_breakdown_pj", {}).values())
              + sum(total.get("crossbar_energy_breakdown_pj", {}).values()) + total.get("e_cross_leak_pj", 0.0))
    area = sum(sum(total.get(k, {}).values()) for k in ("area_breakdown_um2", "crossbar_area_breakdown_um2",
                                                          "pe_array_area_breakdown_um2"))
    assert energy == pytest.approx(total["energy_pj"], rel=1e-12)
    assert area == pytest.approx(total["area_um2"], rel=1e-12)
    for r in rows:
        parts = r.get("energy_breakdown_pj") or r["crossbar_energy_breakdown_pj"]
        assert sum(parts.values()) == pytest.approx(r["energy_pj"], rel=1e-12), r["name"]
    if toml != "imc_example.toml":
        pe = total.get("area_breakdown_um2") or total["pe_array_area_breakdown_um2"]
        assert set(pe) == {"pes", "l1", "l2"} and all(v > 0 for v in pe.values())
    assert total["params"] == read_layers_csv(LAYERS).params

"""``[space] neural = "fixed"``: a hardware-only co-design search for the user's own network (a
layers CSV or an ONNX model): config keys and their errors, a space without neural genes, every
design running the same network, the search's costs equal to ``evo-codesign cost``'s."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evo_codesign.backends import get as get_backend
from evo_codesign.cli import main
from evo_codesign.config import ConfigError, load_config
from evo_codesign.cost.layers_csv import read_layers_csv
from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.space.joint import make_space

EXAMPLES = Path(__file__).resolve().parents[1] / "benchmarks" / "examples"
RESNET18 = EXAMPLES / "resnet18_cifar.csv"
HW_OBJECTIVES = '[search]\nobjectives = ["latency", "energy", "area"]\n'


def write_config(folder: Path, space: str, search: str = HW_OBJECTIVES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "c.toml"
    p.write_text(f"[space]\n{space}\n{search}")
    return p


def test_resnet18_example_counts():
    """The issue's figures: conv1 with pad = same keeps 32x32 (1,769,472 MACs, not the 1,555,200 of
    an unpadded 30x30 output); the whole CIFAR ResNet-18 is 555.4 M MACs and, without BatchNorm
    and the classifier's bias (the CSV records neither), 11,164,352 weights."""
    net = read_layers_csv(RESNET18)
    from evo_codesign.workload.layers import layer_macs
    macs = dict(zip(net.names, layer_macs(net.layers).tolist()))
    assert macs["conv1"] == 64 * 27 * 32 * 32 == 1_769_472
    assert macs["layer4.1.conv2"] == 512 * 512 * 9 * 4 * 4  # 4x what an unpadded 2x2 output would count
    assert net.macs == 555_422_720 and net.params == 11_164_352


def test_the_example_config_resolves_the_network_next_to_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative to the config file, not to the working folder
    cfg = load_config(EXAMPLES / "fixed_network.toml")
    assert cfg.space.neural == "fixed" and Path(cfg.space.network) == RESNET18.resolve()
    sub = write_config(tmp_path / "sub", 'neural = "fixed"\nnetwork = "../net.csv"\nhardware = "imc"')
    (tmp_path / "net.csv").write_text(RESNET18.read_text())
    assert load_config(sub).space.network == str((tmp_path / "net.csv").resolve())


@pytest.mark.parametrize("space, search, message", [
    ('neural = "fixed"', HW_OBJECTIVES, r"space.network: space.neural = 'fixed' needs the network"),
    ('neural = "fixed"\nnetwork = "nope.onnx"', HW_OBJECTIVES, r"space.network: '.*nope.onnx' does not exist"),
    ('neural = "fixed"\nnetwork = "."', HW_OBJECTIVES, r"space.network: '.*' is neither an ONNX model"),
    ('neural = "cell"\nnetwork = "net.csv"', "", r"space.network: only with space.neural = 'fixed'"),
    ('neural = "fixed"\nnetwork = "net.csv"', "", r"search.objectives: \['accuracy'\] need a searched network"),
    ('neural = "fixed"\nnetwork = "net.csv"\nhardware = "dataflow"',
     '[search]\nobjectives = ["latency", "capacity_proxy"]\n', r"\['capacity_proxy'\] need a searched network"),
    ('neural = "fixed"\nnetwork = "net.csv"\nhardware = "dataflow"',
     '[search]\nobjectives = ["latency", "precision_drop"]\n', r"'precision_drop' needs crossbars"),
])
def test_config_errors_name_the_key(tmp_path, space, search, message):
    (tmp_path / "net.csv").write_text(RESNET18.read_text())
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(tmp_path, space, search))


def test_a_damaged_network_file_is_refused_when_the_config_is_read(tmp_path):
    bad = tmp_path / "net.csv"
    bad.write_text("name,K,C,R,S,Y,X,stride\nc,8,3,3,3,32,32,1\n")
    with pytest.raises(ConfigError, match=r"space.network: .*net.csv: missing column\(s\) \['pad'\]"):
        load_config(write_config(tmp_path, 'neural = "fixed"\nnetwork = "net.csv"'))
    with pytest.raises(ValueError, match=r"net.csv: missing column\(s\) \['pad'\]"):
        make_space("fixed", "dataflow", network=bad)


def test_the_space_has_no_neural_genes_and_imc_groups_follow_the_network():
    space = make_space("fixed", "hybrid", network=RESNET18)
    assert space["fixed"].n_var == 0 and space.n_var == space["accelerator"].n_var + space["imc"].n_var
    assert [g for g in space["imc"].gene_names if g.startswith("input_bits")] == [
        f"input_bits.group{g}" for g in range(4)]
    with pytest.raises(ValueError, match="needs network="):
        make_space("fixed", "dataflow")
    with pytest.raises(ValueError, match="only it takes one"):
        make_space("cell", "dataflow", network=RESNET18)


@pytest.mark.parametrize("hardware", ["dataflow", "imc", "hybrid"])
def test_every_design_runs_the_same_network(hardware):
    space = make_space("fixed", hardware, network=RESNET18)
    objectives = ("latency", "energy", "precision_drop") if hardware != "dataflow" else ("latency", "energy")
    ev = CodesignEvaluator(space, objectives, hardware=hardware)
    m = ev.metrics(space.sample(np.random.default_rng(0), 12))
    net = read_layers_csv(RESNET18)
    assert np.all(m["macs_m"] == net.macs * 1e-6) and np.all(m["params_m"] == net.params * 1e-6)
    assert np.all(np.isfinite(m["latency_ms"])) and np.ptp(m["latency_ms"]) > 0  # the hardware differs
    if hardware != "dataflow":
        assert np.all(m["precision_drop_pp"] >= 0) and np.ptp(m["precision_drop_pp"]) > 0
    assert ev.describe()["network"]["macs"] == net.macs


def test_the_search_costs_a_design_as_the_cost_command_does():
    """A sequential network: the search's workload and ``evo-codesign cost`` give identical numbers."""
    space = make_space("fixed", "dataflow", network=RESNET18)
    ev = CodesignEvaluator(space, ("latency", "energy", "area"), hardware="dataflow")
    X = space.sample(np.random.default_rng(1), 6)
    m = ev.metrics(X)
    net = read_layers_csv(RESNET18)
    for i, x in enumerate(X):
        _, total = get_backend("dataflow").report(space.decode(x)["accelerator"], net.layers, list(net.names))
        assert m["latency_ms"][i] == pytest.approx(total["latency_ns"] * 1e-6, rel=1e-12)
        assert m["energy_mj"][i] == pytest.approx(total["energy_pj"] * 1e-9, rel=1e-12)
        assert m["area_mm2"][i] == pytest.approx(total["area_um2"] * 1e-6, rel=1e-12)


def test_an_onnx_network_in_the_space(tmp_path):
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    from .test_onnx_import import RESNET_MACS, resnet_block

    path = resnet_block(tmp_path / "r.onnx")
    space = make_space("fixed", "imc", network=path)
    assert [g for g in space["imc"].gene_names if g.startswith("input_bits")] == ["input_bits.stage0",
                                                                                  "input_bits.stage1"]
    ev = CodesignEvaluator(space, ("latency", "energy"), hardware="imc")
    wl = ev.workload(space.sample(np.random.default_rng(2), 3))
    assert wl.counts.shape == (3, len(RESNET_MACS)) and np.all(wl.counts == 1)
    assert wl.live_elements[0].tolist() == space["fixed"].network.meta["live_elements"]
    assert wl.input_elements.tolist() == [3072.0] * 3 and wl.output_elements.tolist() == [10.0] * 3


def test_run_searches_the_hardware_for_the_fixed_network(tmp_path, capsys):
    (tmp_path / "net.csv").write_text(RESNET18.read_text())
    cfg = write_config(tmp_path, 'neural = "fixed"\nnetwork = "net.csv"\nhardware = "dataflow"',
                       HW_OBJECTIVES + "pop_size = 8\nbudget = 24\n")
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(out)]) == 0
    assert "24 unique designs evaluated" in capsys.readouterr().out
    info = json.loads((out / "run.json").read_text())
    assert info["config"]["space"]["network"] == str((tmp_path / "net.csv").resolve())


def test_the_search_costs_an_onnx_graph_as_the_cost_command_does(tmp_path):
    """A graph with a skip connection: the cost command keeps activations on chip by the graph's
    tensor lifetimes, as the search's workload does, so the two agree on every design."""
    pytest.importorskip("onnx", reason="the onnx extra is not installed")
    from evo_codesign.workload.onnx_import import read_onnx

    from .test_onnx_import import resnet_block

    path = resnet_block(tmp_path / "r.onnx")
    space = make_space("fixed", "dataflow", network=path)
    ev = CodesignEvaluator(space, ("latency", "energy", "area"), hardware="dataflow")
    X = space.sample(np.random.default_rng(3), 8)
    m = ev.metrics(X)
    net = read_onnx(path)
    live = np.asarray(net.meta["live_elements"], dtype=float)
    for i, x in enumerate(X):
        _, total = get_backend("dataflow").report(space.decode(x)["accelerator"], net.layers, list(net.names),
                                                  live_elements=live)
        assert m["latency_ms"][i] == pytest.approx(total["latency_ns"] * 1e-6, rel=1e-12)
        assert m["energy_mj"][i] == pytest.approx(total["energy_pj"] * 1e-9, rel=1e-12)

import json
import subprocess
import sys


from evo_codesign.cli import main

from .conftest import shared_file


def test_describe_sampled(capsys):
    assert main(["describe", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    for word in ("[cell]", "[accelerator]", "[imc]", "dataflow", "adc_type", "MACs", "unique shapes"):
        assert word in out


def test_the_executable_skips_the_last_collection_and_calls_in_python_do_not(capsys, monkeypatch):
    import gc

    assert main(["describe", "--seed", "7"]) == 0 and gc.get_freeze_count() == 0
    monkeypatch.setattr(sys, "argv", ["evo-codesign", "describe", "--seed", "7"])
    try:
        assert main() == 0 and gc.get_freeze_count() > 0  # the process ends next: nothing to collect
    finally:
        gc.unfreeze()
    assert "[cell]" in capsys.readouterr().out


def test_describe_json_deterministic(capsys):
    main(["describe", "--seed", "3", "--json"])
    a = json.loads(capsys.readouterr().out)
    main(["describe", "--seed", "3", "--json"])
    assert json.loads(capsys.readouterr().out) == a
    for key in ("macs", "flops", "params", "layers", "unique_shapes", "design", "genome"):
        assert key in a
    assert set(a["design"]) == {"cell", "accelerator", "imc"}


def test_describe_backbone(capsys):
    assert main(["describe", "--neural", "backbone", "--hardware", "imc", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["design"]["imc"]["input_bits"]) == 13


def test_describe_published_genotypes(capsys):
    path = shared_file("darts-published-genotypes", "darts_published_genotypes.json")
    assert main(["describe", "--genotypes", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows][:2] == ["DARTS_V1", "DARTS_V2"]
    assert all(r["macs"] < r["flops"] for r in rows)


def test_describe_genotype_list_and_errors(tmp_path, capsys):
    good = {"name": "mine", "normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]] * 4,
            "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1]] * 4}
    f = tmp_path / "g.json"
    f.write_text(json.dumps([good]))
    assert main(["describe", "--genotypes", str(f)]) == 0
    assert "mine (nb301 protocol)" in capsys.readouterr().out
    bad = dict(good, name="broken", reduce=[["max_pool_3x3", 0], ["max_pool_3x3", 0]] * 4)
    f.write_text(json.dumps([good, bad]))
    assert main(["describe", "--genotypes", str(f)]) == 2
    err = capsys.readouterr().err
    assert "entry 'broken'" in err and "takes input 0 twice" in err
    f.write_text("[{")
    assert main(["describe", "--genotypes", str(f)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["describe", "--genotypes", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_console_script_runs():
    r = subprocess.run([sys.executable, "-m", "evo_codesign.cli", "describe", "--json", "--protocol", "darts"],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["protocol"] == "darts"

"""Issue 16's input checks: layers CSV ranges and shapes, IMC constants' sign and range, TOML and
CSV with a byte-order mark, one n_jobs rule everywhere, and infeasibility made visible (the
feasible/violated columns, unsatisfiable limits refused up front, a warning and exit status 3 when
a final front holds no feasible design)."""

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import EXIT_INFEASIBLE, main
from evo_codesign.config import ConfigError, load_config
from evo_codesign.cost.constants_imc import IMC_CONSTANTS, imc_constants
from evo_codesign.cost.imc_config import ImcConfigError, imc_config_from_dict
from evo_codesign.cost.layers_csv import LayersCsvError, read_layers_csv

HEAD = "name,K,C,R,S,Y,X,stride,pad,groups,dilation"


@pytest.mark.parametrize("text, message", [
    (f"{HEAD}\nc,{2 ** 40},3,3,3,32,32,1,1,1,1\n", r"line 2, column K: 1099511627776 is out of range \(at most 1048576\)"),
    (f"{HEAD}\nc,{10 ** 30},3,3,3,32,32,1,1,1,1\n", r"line 2, column K: 1000000000000000000000000000000 is out"),
    (f"{HEAD}\nc,8,3,3,3,32,32,1,{10 ** 6},1,1\n", r"line 2, column pad: 1000000 is out of range \(at most 1024\)"),
    (f"{HEAD},op\nfc,10,64,3,3,1,1,1,1,1,1,linear\n", r"line 2, column op: a linear layer needs R = S = Y = X = 1"),
    (f"{HEAD},op\ndw,8,3,3,3,32,32,1,1,1,1,dwconv\n", r"line 2, column op: a depthwise convolution needs groups = C = K"),
    (f"{HEAD},op\np,8,3,3,3,32,32,1,1,1,1,max_pool\n", r"line 2, column op: a pool keeps its channels \(K = C\)"),
    ("name,K,C,R,S,Y,X,stride,K\nc,8,3,3,3,32,32,1,16\n", r"column\(s\) \['K'\] appear more than once"),
    (f"{HEAD}\nc,8,3,3,3,32,32,1,1,1,1,7,7\n", r"line 2: 13 fields but the header has 11 columns"),
    (f"{HEAD}\nc,1024,1024,1024,1024,65536,65536,1,511,1,1\n", r"line 2: .* MACs in one layer is beyond 2\^53"),
])
def test_layers_csv_checks_ranges_and_shapes_before_any_cast(tmp_path, text, message):
    p = tmp_path / "l.csv"
    p.write_text(text)
    with pytest.raises(LayersCsvError, match=message) as e:
        read_layers_csv(p)
    assert str(p) in str(e.value)


def test_layers_csv_and_toml_with_a_byte_order_mark_load(tmp_path, capsys):
    csv = tmp_path / "l.csv"
    csv.write_bytes(b"\xef\xbb\xbf" + f"{HEAD}\nc,8,3,3,3,32,32,1,1,1,1\n".encode())
    assert read_layers_csv(csv).names == ("c",)
    acc = tmp_path / "a.toml"
    acc.write_bytes(b"\xef\xbb\xbf" + b'target = "dataflow"\narray_rows = 8\n')
    assert main(["cost", "--layers", str(csv), "--accelerator", str(acc), "--json"]) == 0
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + b"seed = 9\n")
    assert load_config(cfg).seed == 9


def test_a_binary_layers_file_names_the_file(tmp_path):
    p = tmp_path / "l.csv"
    p.write_bytes(b"\xff\xfe\x00\x81" * 20)
    with pytest.raises(LayersCsvError, match=r"l.csv: not a UTF-8 text file"):
        read_layers_csv(p)


@pytest.mark.parametrize("name", sorted(IMC_CONSTANTS))
def test_every_imc_constant_refuses_the_wrong_sign(name):
    v = IMC_CONSTANTS[name].value
    flipped = -v if v else -1.0
    with pytest.raises(ImcConfigError, match=rf"constants.{name}: .* out of range"):
        imc_config_from_dict({"target": "imc", "constants": {name: flipped}})
    with pytest.raises(ValueError, match=name):
        imc_constants({name: flipped})
    imc_config_from_dict({"target": "imc", "constants": {name: v}})  # the default itself is fine


def test_imc_constants_refuse_unit_slips_and_keep_negative_exponents():
    with pytest.raises(ImcConfigError, match=r"sar_power_base_uw: 9000000.0 out of range; expected a number in "
                                             r"\[0, 8899.8\]"):
        imc_config_from_dict({"constants": {"sar_power_base_uw": 9e6}})
    assert imc_config_from_dict({"constants": {"sar_col_exp": -3.0, "input_one_density": 0.3}}).constants


@pytest.mark.parametrize("value, ok", [(1, True), (-1, True), (-2, True), (-64, True), (0, False)])
def test_n_jobs_one_rule(value, ok):
    if ok:
        assert load_config(overrides={"run.n_jobs": value}).run.n_jobs == value
    else:
        with pytest.raises(ConfigError, match=r"run.n_jobs \(--n-jobs\): 0 is not allowed"):
            load_config(overrides={"run.n_jobs": value})


@pytest.mark.parametrize("argv", [["run", "--budget", "60"], ["compare", "--repeats", "1", "--budget", "60"],
                                  ["tune", "--trials", "1", "--repeats", "1", "--budget", "60"]])
def test_n_jobs_zero_is_refused_by_every_command_naming_the_key(tmp_path, capsys, argv):
    assert main([*argv, "--out", str(tmp_path / "o"), "--n-jobs", "0"]) == 2
    assert "run.n_jobs (--n-jobs): 0 is not allowed" in capsys.readouterr().err


# -- infeasibility -----------------------------------------------------------------------------------

def _cfg(tmp_path, constraints, budget=120):
    p = tmp_path / "c.toml"
    p.write_text(f"seed = 2\n[search]\npop_size = 30\nbudget = {budget}\n[constraints]\n{constraints}\n")
    return p


@pytest.mark.parametrize("argv", [["run"], ["compare", "--repeats", "1", "--strategies", "coupled"],
                                  ["tune", "--trials", "1", "--repeats", "1"]])
def test_an_obviously_unsatisfiable_limit_is_refused_before_any_run(tmp_path, capsys, argv):
    cfg = _cfg(tmp_path, "area_mm2_max = 0.01")
    assert main([argv[0], str(cfg), *argv[1:], "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "constraints.area_mm2_max: 0.01 mm^2 is below the smallest area_mm2 a design of this space reaches" in err
    assert not list((tmp_path / "o").glob("**/evaluations.sqlite"))


def test_a_front_without_a_feasible_design_warns_and_exits_3(tmp_path, capsys):
    # reachable (95.6 %), but not by 120 designs; the only constraint, so it is the one that binds
    cfg = _cfg(tmp_path, "accuracy_min = 95.2\nbuffer_capacity = false")
    assert main(["run", str(cfg), "--out", str(tmp_path / "r")]) == EXIT_INFEASIBLE == 3
    err = capsys.readouterr().err
    assert "warning: no feasible design on the final front" in err and "constraints.accuracy_min binds" in err
    front = pd.read_csv(tmp_path / "r" / "front.csv")
    assert not front["feasible"].any() and set(front["violated"]) == {"accuracy_min"}
    assert main(["resume", str(tmp_path / "r")]) == 3
    assert main(["compare", str(cfg), "--repeats", "1", "--strategies", "coupled", "--out", str(tmp_path / "c")]) == 3
    err = capsys.readouterr().err
    assert "no run found a feasible design, so nothing was scored" in err
    assert main(["tune", str(cfg), "--trials", "1", "--repeats", "1", "--out", str(tmp_path / "t")]) == 3
    assert "no run of the tuning session found a feasible design" in capsys.readouterr().err


def test_frames_mark_feasibility_and_the_worst_violation():
    from evo_codesign.io.frames import design_frame
    from evo_codesign.space import make_space

    space = make_space("cell", "dataflow")
    X = space.sample(np.random.default_rng(0), 3)
    G = np.array([[-1.0, -0.5], [0.5, 20.0], [3.0, 1.0]])  # area 50 mm^2 bound, power 1,000 mW bound
    f = design_frame(space, X, np.zeros((3, 1)), G, objective_names=["latency"], objective_senses=["min"],
                     constraint_names=["area_mm2", "power_mw"], constraint_scales=[50.0, 1000.0])
    assert list(f["feasible"]) == [True, False, False]
    assert list(f["violated"]) == ["", "power_mw", "area_mm2"]


def test_a_grid_with_no_feasible_design_is_a_clear_error(tmp_path):
    from evo_codesign.errors import UsageError
    from evo_codesign.strategies.reference import exact_reference

    cfg = load_config(overrides={"space.hardware": "dataflow", "constraints.power_mw_max": 1.0})
    grid = {"accelerator.dataflow": ["nvdla"], "accelerator.array_rows": [64], "accelerator.array_cols": [64]}
    with pytest.raises(UsageError, match=r"the reference space has no feasible design.*power_mw is violated"):
        exact_reference(cfg, tmp_path, n_cells=3, grid=grid)


def test_json_nested_too_deeply_names_the_file(tmp_path, capsys):
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["describe", "--genotypes", str(p)]) == 2
    assert f"{p}: JSON nested too deeply to read" in capsys.readouterr().err


def test_a_damaged_tuning_storage_names_it(tmp_path, capsys):
    pytest.importorskip("optuna")
    db = tmp_path / "tune.db"
    db.write_bytes(b"not a database at all" * 100)
    assert main(["tune", "--trials", "1", "--repeats", "1", "--budget", "60", "--storage", f"sqlite:///{db}",
                 "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert f"storage sqlite:///{db}: cannot open the study storage" in err and "file is not a database" in err

"""GA hyperparameter tuning: setting selection, determinism (seeds, serial vs parallel), scoring
schema, recommendation, the ``tune`` command and the optional Optuna path. Tiny budgets: the
dataflow space at 120 unique evaluations per run."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import main
from evo_codesign.config import SearchConfig, load_config
from evo_codesign.tuning import DEFAULTS, TUNABLE, _rank, default_space, select_settings, tune

CFG = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.budget": 120})
SPACE = {"pop_size": (8, 20), "crossover_prob": (0.7, 1.0), "mutation_prob_var": (0.0, 0.1)}
VOLATILE = ["wall_s", "run_dir"]  # timings and paths differ between otherwise identical sessions


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    d = tmp_path_factory.mktemp("tune")
    serial = tune(CFG, d / "a", trials=3, repeats=2, space=SPACE)
    again = tune(CFG, d / "b", trials=3, repeats=2, space=SPACE)
    par_cfg = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.budget": 120,
                                     "run.n_jobs": 2})
    parallel = tune(par_cfg, d / "c", trials=3, repeats=2, space=SPACE)
    return serial, again, parallel


def test_defaults_match_the_package():
    assert DEFAULTS == {n: getattr(SearchConfig(), n) for n in TUNABLE}


def test_grid_subset_includes_defaults_is_deterministic_and_spread():
    space = default_space(49)
    assert space["mutation_prob_var"] == (0.0, round(2 / 49, 4), round(4 / 49, 4))
    picked = select_settings(space, "grid", 12, seed=1)
    assert picked[0] == DEFAULTS and len(picked) == 12
    assert len({tuple(s.values()) for s in picked}) == 12
    assert picked == select_settings(space, "grid", 12, seed=1)
    for n in TUNABLE:  # every candidate value of every hyperparameter is tried
        assert {s[n] for s in picked} == set(space[n])
    full = select_settings(space, "grid", 10_000, seed=1)
    assert len(full) == 243 and full[0] == DEFAULTS  # the defaults lie on the default grid


def test_random_draws_are_seeded_and_distinct():
    space = default_space(49)
    a = select_settings(space, "random", 8, seed=4)
    assert a == select_settings(space, "random", 8, seed=4) and a != select_settings(space, "random", 8, seed=5)
    assert a[0] == DEFAULTS and len({tuple(s.values()) for s in a}) == 8
    small = {n: (DEFAULTS[n],) for n in TUNABLE} | {"pop_size": (20, 30)}
    assert len(select_settings(small, "random", 10, seed=0)) == 3  # the grid is smaller than trials


def test_grid_includes_the_defaults(sessions):
    res, _, _ = sessions
    d = res.summary[res.summary["is_default"]]
    assert len(d) == 1 and all(d.iloc[0][n] == DEFAULTS[n] for n in TUNABLE)
    doc = json.loads((res.out / "tuning.json").read_text())
    assert doc["defaults"]["score"]["setting_id"] == "s00"
    assert doc["defaults"]["score"]["hv_mean"] == pytest.approx(res.defaults_hv)


def test_same_seed_same_results(sessions):
    a, b, _ = sessions
    pd.testing.assert_frame_equal(a.trials.drop(columns=VOLATILE), b.trials.drop(columns=VOLATILE))
    assert a.recommended == b.recommended and a.bounds == b.bounds


def test_serial_equals_parallel(sessions):
    a, _, p = sessions
    pd.testing.assert_frame_equal(a.trials.drop(columns=VOLATILE), p.trials.drop(columns=VOLATILE))
    pd.testing.assert_frame_equal(a.summary.drop(columns=["wall_s_mean"]), p.summary.drop(columns=["wall_s_mean"]))


def test_outputs_schema_and_scores(sessions):
    res, _, _ = sessions
    trials = pd.read_csv(res.out / "trials.csv")
    assert {"setting_id", *TUNABLE, "seed", "evaluations", "wall_s", "hv"} <= set(trials.columns)
    assert len(trials) == 3 * 2 and sorted(set(trials["seed"])) == [3, 4]
    assert (trials["evaluations"] <= 120).all()
    assert ((trials["hv"] >= 0) & (trials["hv"] <= 1)).all()
    summary = pd.read_csv(res.out / "summary.csv")
    assert {"setting_id", *TUNABLE, "hv_mean", "hv_std", "hv_min", "hv_max", "rank"} <= set(summary.columns)
    assert len(summary) == 3 and sorted(summary["rank"]) == [1, 2, 3]
    assert (summary["hv_min"] <= summary["hv_mean"]).all() and (summary["hv_mean"] <= summary["hv_max"]).all()
    best = summary[summary["rank"] == 1].iloc[0]
    assert best["hv_mean"] == summary["hv_mean"].max()
    assert res.recommended["setting_id"] == best["setting_id"]
    doc = json.loads((res.out / "tuning.json").read_text())
    for key in ("method", "budget", "repeats", "bounds", "recommended", "defaults"):
        assert key in doc
    assert doc["method"] == "grid" and doc["budget"] == 120 and len(doc["bounds"]["lower"]) == 4
    assert (res.out / "tuning_hv.png").exists() and (res.out / "tuning_hv.pdf").exists()
    assert len(list((res.out / "trials").iterdir())) == 6


def test_ties_go_to_smaller_spread_then_closer_to_defaults():
    rows = [dict(DEFAULTS, setting_id="s00", runs=2, hv_mean=0.8, hv_std=0.10),
            dict(DEFAULTS, setting_id="s01", runs=2, hv_mean=0.9, hv_std=0.05, pop_size=20),
            dict(DEFAULTS, setting_id="s02", runs=2, hv_mean=0.9, hv_std=0.05, pop_size=50),
            dict(DEFAULTS, setting_id="s03", runs=2, hv_mean=0.9, hv_std=0.01, pop_size=20, long_jump=0.3),
            dict(DEFAULTS, setting_id="s04", runs=0, hv_mean=np.nan, hv_std=np.nan, pop_size=500)]
    stats = pd.DataFrame(rows)
    rank = _rank(stats, default_space(49), 49)
    by_id = dict(zip(stats["setting_id"], rank))
    assert by_id["s03"] == 1  # smallest spread among the best means
    assert by_id["s02"] == 2  # pop 50 is closer to the default 100 than pop 20
    assert by_id["s01"] == 3 and by_id["s00"] == 4
    assert pd.isna(by_id["s04"])  # skipped settings are not ranked


def test_population_above_budget_is_skipped_with_a_reason(tmp_path):
    res = tune(CFG, tmp_path, trials=2, repeats=1, space={"pop_size": (200,)})
    skipped = res.summary[res.summary["pop_size"] == 200].iloc[0]
    assert skipped["runs"] == 0 and "budget" in skipped["skipped"] and pd.isna(skipped["rank"])
    doc = json.loads((tmp_path / "tuning.json").read_text())
    assert doc["skipped"][0]["pop_size"] == 200 and "budget 120" in doc["skipped"][0]["reason"]
    assert res.recommended["setting_id"] == "s00"


@pytest.mark.parametrize("kwargs, word", [({"method": "anneal"}, "method"), ({"trials": 0}, "trials"),
                                          ({"repeats": 0}, "repeats"), ({"space": {"eta_c": (5,)}}, "space"),
                                          ({"space": {"pop_size": (2,)}}, "pop_size")])
def test_bad_input_names_the_argument(tmp_path, kwargs, word):
    with pytest.raises(ValueError, match=word):
        tune(CFG, tmp_path, **kwargs)


def test_command_writes_tables_and_plots(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 2\n[space]\nhardware = "dataflow"\n[search]\nbudget = 120\n')
    out = tmp_path / "tune"
    assert main(["tune", str(cfg), "--trials", "3", "--repeats", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "recommended" in text and "defaults" in text and str(out) in text
    for name in ("summary.csv", "trials.csv", "tuning.json", "tuning_hv.png", "tuning_hv.pdf"):
        assert (out / name).exists(), name
    assert len(pd.read_csv(out / "summary.csv")) == 3
    assert json.loads((out / "tuning.json").read_text())["repeats"] == 2


@pytest.mark.parametrize("argv, word", [(["--method", "anneal"], "--method"), (["--trials", "0"], "--trials"),
                                        (["--repeats", "0"], "--repeats")])
def test_command_bad_input_exit_code(tmp_path, capsys, argv, word):
    assert main(["tune", *argv, "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert word in err and "evo-codesign tune: error" in err
    assert not (tmp_path / "t").exists()


def test_optuna_missing_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna -> ImportError
    with pytest.raises(ImportError, match=r'pip install -e "\.\[tune\]"'):
        tune(CFG, tmp_path, method="optuna", trials=2, repeats=1, space=SPACE)


def test_optuna_is_seeded_and_includes_defaults(tmp_path):
    pytest.importorskip("optuna")
    a = tune(CFG, tmp_path / "a", method="optuna", trials=4, repeats=1, space=SPACE)
    b = tune(CFG, tmp_path / "b", method="optuna", trials=4, repeats=1, space=SPACE)
    pd.testing.assert_frame_equal(a.trials.drop(columns=VOLATILE), b.trials.drop(columns=VOLATILE))
    assert len(a.summary) == 4 and a.summary["is_default"].sum() == 1
    assert ((a.trials["hv"] >= 0) & (a.trials["hv"] <= 1)).all()
    doc = json.loads((tmp_path / "a" / "tuning.json").read_text())
    assert doc["method"] == "optuna" and doc["guide_bounds"] is not None

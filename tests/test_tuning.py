"""GA hyperparameter tuning: the Optuna samplers (grid, random, TPE) in one ask/tell loop,
determinism (seeds, serial vs parallel), storage-backed resumption, scoring schema, recommendation,
the shared scoring (``evo_codesign.scoring``) and the ``tune`` command module. Tiny budgets: the
dataflow space at 120 unique evaluations per run."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evo_codesign import metrics
from evo_codesign.config import SearchConfig, load_config
from evo_codesign.errors import MissingDependencyError, UsageError
from evo_codesign.scoring import Reference, feasible_minimised
from evo_codesign.tuning import DEFAULTS, TUNABLE, default_space, rank, tune

optuna = pytest.importorskip("optuna")  # every method proposes through an Optuna sampler

CFG = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.budget": 120})
SPACE = {"pop_size": (8, 20), "crossover_prob": (0.7, 1.0), "mutation_prob_var": (0.0, 0.1)}
VOLATILE = ["wall_s", "run_dir"]  # timings and paths differ between otherwise identical sessions


def settings(res):
    """The settings tried, in the order first proposed."""
    s = res.summary.sort_values("setting_id")
    return [tuple(r) for r in s[list(TUNABLE)].itertuples(index=False)]


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


def test_default_space_scales_mutation_with_the_genome():
    space = default_space(49)
    assert space["mutation_prob_var"] == (0.0, round(2 / 49, 4), round(4 / 49, 4))
    assert all(DEFAULTS[n] in space[n] for n in TUNABLE)  # the defaults lie on the default grid
    with pytest.raises(UsageError, match="n_var"):
        default_space(0)


@pytest.mark.parametrize("method, sampler", [("grid", "GridSampler"), ("random", "RandomSampler"),
                                             ("optuna", "TPESampler"), ("tpe", "TPESampler")])
def test_every_method_runs_through_the_optuna_loop(tmp_path, method, sampler):
    res = tune(CFG, tmp_path, method=method, trials=4, repeats=1, space=SPACE)
    assert res.method == ("optuna" if method == "tpe" else method)
    assert res.notes["sampler"] == sampler and res.notes["proposals"] >= 4
    assert len(res.summary) == 4 and len(set(settings(res))) == 4
    assert settings(res)[0] == tuple(DEFAULTS[n] for n in TUNABLE)  # the enqueued first trial
    doc = json.loads((tmp_path / "tuning.json").read_text())
    assert doc["sampler"] == sampler and doc["method"] == res.method


def test_grid_covers_the_whole_grid_and_stops(tmp_path):
    # 2 x 2 x 2 candidates, the defaults (pop 50) outside them: 9 distinct settings at most
    res = tune(CFG, tmp_path, method="grid", trials=100, repeats=1, space=SPACE)
    assert len(res.summary) == 9 and len(set(settings(res))) == 9


def test_grid_proposals_are_seeded(tmp_path):
    space = default_space(49)
    a = tune(CFG, tmp_path / "a", trials=5, repeats=1, space=space)
    b = tune(CFG, tmp_path / "b", trials=5, repeats=1, space=space)
    other = tune(load_config(overrides={"seed": 4, "space.hardware": "dataflow", "search.budget": 120}),
                 tmp_path / "c", trials=5, repeats=1, space=space)
    assert settings(a) == settings(b) and settings(a) != settings(other)
    assert settings(a)[0] == tuple(DEFAULTS[n] for n in TUNABLE) and len(set(settings(a))) == 5


def test_random_stops_when_the_space_is_used_up(tmp_path):
    small = {"pop_size": (20, 30)}  # plus the defaults' pop 50: 3 distinct settings
    res = tune(CFG, tmp_path, method="random", trials=10, repeats=1, space=small)
    assert sorted(res.summary["pop_size"]) == [20, 30, 50]


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
    for key in ("method", "budget", "repeats", "bounds", "recommended", "defaults", "reference_hv", "guide_bounds"):
        assert key in doc
    assert doc["method"] == "grid" and doc["budget"] == 120 and len(doc["bounds"]["lower"]) == 4
    assert doc["reference"] == "union" and doc["reference_hv"] == res.reference.hv
    assert (res.out / "tuning_hv.png").exists()
    assert len(list((res.out / "trials").iterdir())) == 6


def test_final_scores_are_the_shared_reference(sessions):
    res, _, _ = sessions
    runs = [pd.read_csv(f"{d}/front.csv") for d in res.trials["run_dir"]]
    ev_objectives, senses = ["accuracy", "latency", "energy", "area"], ["max", "min", "min", "min"]
    ref = Reference.from_fronts([feasible_minimised(f, ev_objectives, senses) for f in runs])
    # fronts read back from CSV may differ in the last bit, hence approx
    assert ref.hv == pytest.approx(res.reference.hv, rel=1e-12) and len(ref.front) == len(res.reference.front)
    for f, hv in zip(runs, res.trials["hv"]):
        assert hv == pytest.approx(min(1.0, ref.hv_fraction(feasible_minimised(f, ev_objectives, senses))), rel=1e-12)


def test_ties_go_to_smaller_spread_then_closer_to_defaults():
    rows = [dict(DEFAULTS, setting_id="s00", runs=2, hv_mean=0.8, hv_std=0.10),
            dict(DEFAULTS, setting_id="s01", runs=2, hv_mean=0.9, hv_std=0.05, pop_size=100),
            dict(DEFAULTS, setting_id="s02", runs=2, hv_mean=0.9, hv_std=0.05, pop_size=20),
            dict(DEFAULTS, setting_id="s03", runs=2, hv_mean=0.9, hv_std=0.01, pop_size=100, long_jump=0.3),
            dict(DEFAULTS, setting_id="s04", runs=0, hv_mean=np.nan, hv_std=np.nan, pop_size=500)]
    stats = pd.DataFrame(rows)
    by_id = dict(zip(stats["setting_id"], rank(stats, default_space(49), 49)))
    assert by_id["s03"] == 1  # smallest spread among the best means
    assert by_id["s02"] == 2  # pop 20 is closer to the default 50 than pop 100
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
                                          ({"space": {"pop_size": (2,)}}, "pop_size"),
                                          ({"storage": "study.db"}, "storage"), ({"study_name": ""}, "study_name")])
def test_bad_input_names_the_argument(tmp_path, kwargs, word):
    with pytest.raises(UsageError, match=word):
        tune(CFG, tmp_path / "t", **kwargs)
    assert not (tmp_path / "t").exists()


def test_a_folder_with_a_session_is_refused(sessions):
    res, _, _ = sessions
    with pytest.raises(UsageError, match="already holds a tuning session"):
        tune(CFG, res.out, trials=3, repeats=2, space=SPACE)


def test_optuna_missing_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna -> ImportError
    for method in ("grid", "optuna"):
        with pytest.raises(MissingDependencyError, match=r'pip install -e "\.\[tune\]"'):
            tune(CFG, tmp_path, method=method, trials=2, repeats=1, space=SPACE)


def test_tpe_is_seeded_and_includes_defaults(tmp_path):
    a = tune(CFG, tmp_path / "a", method="optuna", trials=4, repeats=1, space=SPACE)
    b = tune(CFG, tmp_path / "b", method="tpe", trials=4, repeats=1, space=SPACE)
    pd.testing.assert_frame_equal(a.trials.drop(columns=VOLATILE), b.trials.drop(columns=VOLATILE))
    assert len(a.summary) == 4 and a.summary["is_default"].sum() == 1
    assert ((a.trials["hv"] >= 0) & (a.trials["hv"] <= 1)).all()
    doc = json.loads((tmp_path / "a" / "tuning.json").read_text())
    assert doc["method"] == "optuna" and doc["guide_bounds"] is not None


def test_tpe_never_proposes_a_population_above_the_budget(tmp_path):
    res = tune(CFG, tmp_path, method="optuna", trials=3, repeats=1, space={**SPACE, "pop_size": (8, 500)})
    assert set(res.summary["pop_size"]) <= {8, 50} and not res.skipped
    assert json.loads((tmp_path / "tuning.json").read_text())["pop_size_removed"]["values"] == [500]


# -- storage -------------------------------------------------------------------------------------

def _count_runs(monkeypatch):
    """Count the searches actually run (serial sessions run them in this process)."""
    import evo_codesign.tuning.runs as runs_module

    calls = []
    real = runs_module._run_task
    monkeypatch.setattr(runs_module, "_run_task",
                        lambda task, **kw: calls.append(task.setting_id) or real(task, **kw))
    return calls


def test_a_stored_study_resumes(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = tune(CFG, tmp_path / "out", trials=2, repeats=2, space=SPACE, storage=url)
    calls = _count_runs(monkeypatch)
    res = tune(CFG, tmp_path / "out", trials=4, repeats=2, space=SPACE, storage=url)
    assert sorted(set(calls)) == ["s02", "s03"] and len(calls) == 4  # only the 2 new settings ran
    assert res.notes["settings_restored"] == 2 and len(res.summary) == 4
    # the stored runs come back bit for bit, and the whole equals one uninterrupted session
    old = res.trials[res.trials["setting_id"].isin(["s00", "s01"])]
    assert old["wall_s"].tolist() == first.trials["wall_s"].tolist()
    whole = tune(CFG, tmp_path / "whole", trials=4, repeats=2, space=SPACE)
    pd.testing.assert_frame_equal(res.trials.drop(columns=VOLATILE), whole.trials.drop(columns=VOLATILE))
    assert res.recommended == whole.recommended


def test_an_interrupted_trial_is_rerun(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    import evo_codesign.tuning.runs as runs_module

    real = runs_module._run_task

    def interrupt_s02(task, **kw):
        if task.setting_id == "s02" and task.seed == 4:
            raise KeyboardInterrupt
        return real(task, **kw)

    monkeypatch.setattr(runs_module, "_run_task", interrupt_s02)
    with pytest.raises(KeyboardInterrupt):
        tune(CFG, tmp_path / "out", method="random", trials=4, repeats=2, space=SPACE, storage=url)
    monkeypatch.setattr(runs_module, "_run_task", real)
    res = tune(CFG, tmp_path / "out", method="random", trials=4, repeats=2, space=SPACE, storage=url)
    whole = tune(CFG, tmp_path / "whole", method="random", trials=4, repeats=2, space=SPACE)
    assert res.notes["settings_restored"] == 2
    pd.testing.assert_frame_equal(res.trials.drop(columns=VOLATILE), whole.trials.drop(columns=VOLATILE))


def test_a_stored_study_of_another_session_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune(CFG, tmp_path / "out", trials=1, repeats=1, space=SPACE, storage=url)
    with pytest.raises(UsageError, match="repeats"):
        tune(CFG, tmp_path / "out", trials=2, repeats=2, space=SPACE, storage=url)
    with pytest.raises(UsageError, match="out"):
        tune(CFG, tmp_path / "elsewhere", trials=2, repeats=1, space=SPACE, storage=url)


# -- shared scoring ------------------------------------------------------------------------------

def _fronts(seed=0, n=(7, 0, 9), m=3):
    rng = np.random.default_rng(seed)
    return [rng.random((k, m)) * [1.0, 10.0, 100.0] - [50.0, 0.0, 0.0] for k in n]


def test_union_reference_equals_the_earlier_computation():
    fronts = _fronts()
    ref = Reference.from_fronts(fronts)
    # what compare.py and tuning.py each did before sharing scoring.Reference
    union = np.vstack([F for F in fronts if len(F)])
    bounds = metrics.Bounds.from_points(union)
    front = union[metrics.nondominated(union)]
    ref_hv = metrics.normalised_hv(front, bounds, ref_point=1.1)
    assert ref.kind == "union" and ref.bounds == bounds and np.array_equal(ref.front, front) and ref.hv == ref_hv
    for F in fronts:
        assert ref.hv_fraction(F) == metrics.normalised_hv(F, bounds) / ref_hv
        if len(F):
            assert ref.igd_plus(F) == metrics.igd_plus(bounds.normalise(F), bounds.normalise(front))
    assert ref.to_dict() == {"reference": "union", "bounds": bounds.to_dict(), "reference_hv": ref_hv,
                             "reference_points": len(front), "hv_reference_point": 1.1}


def test_exact_reference_uses_the_front_as_given():
    exact = _fronts(1, (12,))[0]
    exact = exact[metrics.nondominated(exact)]
    ref = Reference.exact(exact)
    bounds = metrics.Bounds.from_points(exact)
    assert ref.kind == "exact" and ref.bounds == bounds and ref.hv == metrics.normalised_hv(exact, bounds)
    F = _fronts(2, (5,))[0]
    assert ref.hv_fraction(F) == metrics.normalised_hv(F, bounds) / metrics.normalised_hv(exact, bounds)
    with pytest.raises(ValueError, match="empty"):
        Reference.from_fronts([np.zeros((0, 3))])


def test_inputs_are_not_mutated():
    fronts = _fronts()
    copies = [F.copy() for F in fronts]
    ref = Reference.from_fronts(fronts)
    ref.hv_fraction(fronts[0])
    ref.igd_plus(fronts[0])
    assert all(np.array_equal(a, b) for a, b in zip(fronts, copies))


def test_feasible_minimised_negates_maxima_and_drops_infeasible_rows():
    frame = pd.DataFrame({"f_accuracy": [90.0, 91.0, 92.0], "f_latency": [1.0, 2.0, 3.0],
                          "g_area": [-1.0, 0.5, 0.0], "x_a": [0, 1, 2]})
    F = feasible_minimised(frame, ["accuracy", "latency"], ["max", "min"])
    assert np.array_equal(F, [[-90.0, 1.0], [-92.0, 3.0]])
    assert feasible_minimised(frame.iloc[:0], ["accuracy", "latency"], ["max", "min"]).shape == (0, 2)
    with pytest.raises(ValueError, match="sense"):
        feasible_minimised(frame, ["accuracy"], ["maximise"])


# -- the command module --------------------------------------------------------------------------

def _command():
    from evo_codesign.cli import tune as command

    p = argparse.ArgumentParser()
    command.add_arguments(p)
    return command, p


def test_command_writes_tables_and_plots(tmp_path, capsys):
    command, p = _command()
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 2\n[space]\nhardware = "dataflow"\n[search]\nbudget = 120\n')
    out = tmp_path / "tune"
    assert command.run(p.parse_args([str(cfg), "--trials", "3", "--repeats", "2", "--out", str(out)])) == 0
    text = capsys.readouterr().out
    assert "recommended" in text and "defaults" in text and str(out) in text
    for name in ("summary.csv", "trials.csv", "tuning.json", "tuning_hv.png"):
        assert (out / name).exists(), name
    assert len(pd.read_csv(out / "summary.csv")) == 3
    assert json.loads((out / "tuning.json").read_text())["repeats"] == 2


def test_command_continues_a_stored_study(tmp_path, capsys):
    command, p = _command()
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 2\n[space]\nhardware = "dataflow"\n[search]\nbudget = 120\n')
    argv = [str(cfg), "--repeats", "1", "--out", str(tmp_path / "t"), "--storage", f"sqlite:///{tmp_path / 's.db'}"]
    assert command.run(p.parse_args([*argv, "--trials", "2"])) == 0
    capsys.readouterr()
    assert command.run(p.parse_args([*argv, "--trials", "3"])) == 0
    assert "2 settings from earlier sessions, 1 new" in capsys.readouterr().out


@pytest.mark.parametrize("argv, word", [(["--method", "anneal"], "--method"), (["--trials", "0"], "--trials"),
                                        (["--repeats", "0"], "--repeats")])
def test_command_bad_input_names_the_option(tmp_path, argv, word):
    command, p = _command()
    with pytest.raises(UsageError, match=word):
        command.run(p.parse_args([*argv, "--out", str(tmp_path / "t")]))
    assert not (tmp_path / "t").exists()


def test_command_module_imports_nothing_heavy():
    heavy = ["numpy", "pandas", "pymoo", "numba", "scipy", "matplotlib", "optuna"]
    code = ("import sys, evo_codesign.cli as c; before = set(sys.modules); import evo_codesign.cli.tune as t; "
            f"assert t.HELP and callable(t.add_arguments) and callable(t.run); "
            f"print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {heavy!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

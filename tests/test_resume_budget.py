"""``evo-codesign resume RUN_DIR --budget N``: a finished or interrupted run extended to N unique
designs ends exactly as a run with budget N from the start, evaluates nothing twice, records the
new budget, and refuses a budget below what was already evaluated."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import main
from evo_codesign.config import load_config
from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.io.rundir import RunDir
from evo_codesign.search import run_search

CFG = {"seed": 4, "space.hardware": "dataflow", "search.objectives": ["accuracy", "latency", "energy"],
       "search.pop_size": 20, "search.budget": 100, "run.checkpoint_every": 2}
B2 = 180


def _cfg(**kw):
    return load_config(overrides={**CFG, **kw})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("budget")
    run_search(_cfg(), d / "b1")
    run_search(_cfg(**{"search.budget": B2}), d / "b2")
    return d


@pytest.fixture
def counted(monkeypatch):
    """Every design handed to the evaluator (the real one, through its class)."""
    seen: list[np.ndarray] = []
    real = CodesignEvaluator.__call__

    def counting(self, X):
        seen.append(np.asarray(X).copy())
        return real(self, X)

    monkeypatch.setattr(CodesignEvaluator, "__call__", counting)
    return seen


def _front(d):
    return pd.read_csv(d / "front.csv")


def test_two_extensions_give_the_same_front_as_a_run_with_that_budget(runs, tmp_path, counted, capsys):
    fronts = []
    for name in ("x", "y"):
        d = tmp_path / name
        shutil.copytree(runs / "b1", d)
        before = RunDir.open(d).n_evaluations()
        keys_before = {r.key for r in RunDir.open(d).rows()}
        counted.clear()
        assert main(["resume", str(d), "--budget", str(B2)]) == 0
        after = RunDir.open(d)
        n_new = sum(len(X) for X in counted)
        assert n_new == after.n_evaluations() - before > 0  # every design sent to the evaluator was new
        assert keys_before <= {r.key for r in after.rows()}
        assert B2 - 20 < after.n_evaluations() <= B2
        info = after.info()
        assert info["phase_budget"] == B2 and info["config"]["search"]["budget"] == B2
        fronts.append(_front(d))
    assert "100 -> 180" in capsys.readouterr().out
    pd.testing.assert_frame_equal(fronts[0], fronts[1])
    pd.testing.assert_frame_equal(fronts[0], _front(runs / "b2"))  # as if B2 had been the budget all along
    assert RunDir.open(tmp_path / "x").n_evaluations() == RunDir.open(runs / "b2").n_evaluations()


def test_an_interrupted_run_extended_with_or_without_its_checkpoint(runs, tmp_path, counted):
    for name, drop_checkpoint in (("ckpt", False), ("replay", True)):
        d = tmp_path / name
        run_search(_cfg(), d, stop_after_gen=3)
        if drop_checkpoint:  # stopped before its first checkpoint: replayed from the log
            (d / RunDir.CHECKPOINT).unlink()
        counted.clear()
        before = RunDir.open(d).n_evaluations()
        assert main(["resume", str(d), "--budget", str(B2)]) == 0
        assert sum(len(X) for X in counted) == RunDir.open(d).n_evaluations() - before
        pd.testing.assert_frame_equal(_front(d), _front(runs / "b2"))


def test_a_budget_below_the_evaluated_designs_is_refused_naming_the_flag(runs, tmp_path, capsys):
    d = tmp_path / "r"
    shutil.copytree(runs / "b1", d)
    info, ckpt = (d / "run.json").read_text(), (d / RunDir.CHECKPOINT).read_bytes()
    done = RunDir.open(d).n_evaluations()
    assert main(["resume", str(d), "--budget", str(done - 1)]) == 2
    err = capsys.readouterr().err
    assert "--budget" in err and f"already evaluated {done}" in err
    assert (d / "run.json").read_text() == info and (d / RunDir.CHECKPOINT).read_bytes() == ckpt  # untouched
    # the same budget is accepted and changes nothing: the run is finished
    assert main(["resume", str(d), "--budget", str(done)]) == 0
    assert RunDir.open(d).n_evaluations() == done
    assert json.loads((d / "run.json").read_text())["phase_budget"] == done


def test_extending_twice_equals_extending_once(runs, tmp_path):
    d = tmp_path / "twice"
    shutil.copytree(runs / "b1", d)
    assert main(["resume", str(d), "--budget", "140"]) == 0
    assert main(["resume", str(d), "--budget", str(B2)]) == 0
    pd.testing.assert_frame_equal(_front(d), _front(runs / "b2"))


def test_a_comparison_phase_is_not_extended(tmp_path, capsys):
    d = tmp_path / "phase"
    RunDir.create(d, {"strategy": "decoupled", "phase": 1, "seed": 1}).close()
    assert main(["resume", str(d), "--budget", "500"]) == 2
    assert "compare" in capsys.readouterr().err


def test_a_run_from_before_a_config_key_existed_resumes(tmp_path):
    """run.json of an earlier version lacks keys added since (here search.algorithm/operators):
    resuming fills in their defaults instead of refusing the run."""
    import json

    from evo_codesign.cli import main

    out = tmp_path / "r"
    assert main(["run", "--budget", "120", "--seed", "4", "--out", str(out)]) == 0
    info = json.loads((out / "run.json").read_text())
    for key in ("algorithm", "operators"):
        info["config"]["search"].pop(key, None)
    (out / "run.json").write_text(json.dumps(info))
    assert main(["resume", str(out)]) == 0

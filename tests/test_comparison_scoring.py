"""The comparison's anytime scoring: archives over every phase, a fixed reference file shared by
comparisons, tests between strategies, and every evaluation counted."""

import json

import numpy as np
import pandas as pd
import pytest

from evo_codesign.compare import compare
from evo_codesign.config import load_config
from evo_codesign.errors import UsageError
from evo_codesign.scoring import Reference, anytime_scores

CFG = load_config(overrides={"seed": 2, "space.hardware": "dataflow", "search.pop_size": 20, "search.budget": 240})


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    res = compare(CFG, out / "a", strategies=["coupled", "semi_decoupled", "decoupled"], repeats=2, plots=False,
                  save_reference=out / "ref.json")
    return out, res


def test_anytime_scores_read_a_step_curve():
    s = anytime_scores(np.array([50, 100, 150, 200]), np.array([0.5, 0.6, 0.8, 0.9]), 200)
    assert s["auc"] == pytest.approx((0.5 + 0.6 + 0.8) * 50 / 200)
    assert (s["hv_at_25"], s["hv_at_50"], s["hv_at_100"]) == (0.5, 0.6, 0.9)
    assert anytime_scores(np.array([100]), np.array([1.0]), 200)["hv_at_25"] == 0.0


def test_every_evaluation_counts_and_phase_one_joint_designs_join_the_archive(first):
    _, res = first
    runs = res.per_run.set_index(["strategy", "seed"])
    semi = runs.xs("semi_decoupled")
    assert (semi["evaluations"] <= CFG.search.budget).all() and (semi["proxy_probes"] > 0).all()
    c = res.curves
    semi_c = c[c.strategy == "semi_decoupled"]
    dec_c = c[c.strategy == "decoupled"]
    half = CFG.search.budget // 2 - 30
    # semi-decoupled's NAS designs on the proxy are joint designs: its curve rises in phase 1;
    # decoupled's NAS phase has no hardware: nothing joins its archive before phase 2
    assert (semi_c[semi_c.evaluations <= half].hv > 0).any()
    assert (dec_c[dec_c.evaluations <= half].hv == 0).all()
    # the archive is never worse than the final front, and the curves only grow
    assert (res.per_run["hv_archive"] >= res.per_run["hv"] - 1e-12).all()
    for _, g in c.groupby(["strategy", "seed"]):
        assert (np.diff(g.hv.to_numpy()) >= -1e-12).all() and g.evaluations.iloc[-1] <= CFG.search.budget


def test_a_saved_reference_scores_later_comparisons_the_same_way(first, tmp_path):
    out, res = first
    doc = json.loads((out / "ref.json").read_text())
    assert doc["objectives"] == ["accuracy", "latency", "energy", "area"] and doc["points"] == len(doc["front"])
    ref = Reference.read(out / "ref.json", doc["objectives"])
    # the saved front is the union of every archive: no run of that comparison exceeds it
    assert ref.kind == "file" and (res.per_run["hv_archive"] <= 1 + 1e-9).all()
    again = compare(CFG, out / "a", strategies=["coupled", "semi_decoupled", "decoupled"], repeats=2, plots=False,
                    resume=True, reference_file=out / "ref.json")
    pd.testing.assert_series_equal(again.per_run["hv"], res.per_run["hv"])  # same union, same scores
    other = compare(CFG, tmp_path / "b", strategies=["coupled"], repeats=1, plots=False, reference_file=out / "ref.json")
    assert other.reference.kind == "file" and np.array_equal(other.reference.front, ref.front)
    with pytest.raises(UsageError, match="objectives"):
        Reference.read(out / "ref.json", ["accuracy", "latency"])


def test_tests_table_and_summary_intervals(first):
    out, res = first
    t = pd.read_csv(out / "a" / "tests.csv")
    assert set(t.score) >= {"hv", "hv_archive", "auc"} and len(t[t.score == "hv"]) == 3  # three pairs
    assert (t.p_holm >= t.p - 1e-15).all() and t.a12.between(0, 1).all()
    s = res.table.set_index("strategy")
    assert (s.hv_ci_low <= s.hv_median).all() and (s.hv_median <= s.hv_ci_high).all() and (s.runs == 2).all()


def test_space_size_each_strategy_searched(tmp_path):
    from evo_codesign.strategies import run_strategy
    from evo_codesign.strategies.reference import structured_space

    E = structured_space(CFG)
    coupled = run_strategy("coupled", CFG, 1, tmp_path, embedding=E)
    semi = run_strategy("semi_decoupled", CFG, 1, tmp_path, embedding=E)
    assert coupled.details["space_log10"] == pytest.approx(np.log10(65536 * 216))
    kept = semi.details["n_archs"]  # phase 1: the 65,536 cells; phase 2: the kept cells x 216 designs
    assert semi.details["space_log10"] == pytest.approx(np.log10(65536 + kept * 216))

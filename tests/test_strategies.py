"""Every registered strategy through the contract suite (budget, determinism, resume, space,
schema: evo_codesign.testing.StrategyContract); plus the comparison command and XPert's
two-phase search on the backbone."""

import json
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import main
from evo_codesign.config import load_config
from evo_codesign.search import space_for
from evo_codesign.strategies import STRATEGIES, run_strategy, strategies_for
from evo_codesign.testing import StrategyContract
from evo_codesign.testing.strategies import CONTRACT_CONFIG, Interrupt, stop_at

CFG = load_config(overrides=CONTRACT_CONFIG)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("strategies")
    return {s: run_strategy(s, CFG, 5, d / "a") for s in STRATEGIES}


class TestStrategies(StrategyContract):
    """Every registered strategy through the contract suite (evo_codesign.testing)."""

    @pytest.fixture(scope="class", params=sorted(STRATEGIES))
    @classmethod
    def strategy_name(cls, request):
        return request.param


def test_resume_refuses_a_different_config(results, tmp_path):
    with pytest.raises(Interrupt):
        run_strategy("coupled", CFG, 5, tmp_path, on_generation=stop_at(3))
    other = load_config(overrides={"seed": 5, "space.hardware": "hybrid", "search.pop_size": 30,
                                   "run.checkpoint_every": 2, "search.budget": 700})
    with pytest.raises(ValueError, match="differs"):
        run_strategy("coupled", other, 5, tmp_path, resume=True)


def test_semi_decoupled_reports_the_premise(results):
    d = results["semi_decoupled"].details
    assert d["premise_accelerators"] >= 1 and -1 <= d["premise_spearman_min"] <= d["premise_spearman_median"] <= 1


def test_the_premise_costs_each_cell_and_accelerator_once_with_the_same_latencies():
    from evo_codesign.evaluate import build_evaluator
    from evo_codesign.strategies.embedding import Embedding
    from evo_codesign.strategies.semi_decoupled import premise

    space = space_for(CFG)
    ev, E = build_evaluator(CFG, space), Embedding.identity(space)
    X = space.sample(np.random.default_rng(4), 12)
    X[6] = X[7]  # a front may repeat an accelerator
    archs = np.unique(X[:6, space.slices["cell"]], axis=0)
    front = pd.DataFrame(X, columns=[f"x_{g}" for g in space.gene_names])
    hw_pos = np.setdiff1d(E.covered, E.positions_of("cell"))

    class JointOnly:  # an evaluator of joint genomes only: every (cell, accelerator) pair as a genome
        metrics = ev.metrics

    assert premise(ev, E, archs, X[0], front, hw_pos) == premise(JointOnly(), E, archs, X[0], front, hw_pos)
    assert premise(ev, E, archs, X[0], front, hw_pos)["premise_accelerators"] == 11


def test_compare_command(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 2\n[space]\nhardware = "dataflow"\n[search]\npop_size = 20\nbudget = 300\n')
    assert main(["compare", str(cfg), "--repeats", "2", "--out", str(tmp_path / "cmp")]) == 0
    out = capsys.readouterr().out
    applicable = strategies_for(load_config(cfg))
    assert applicable == ["coupled", "decoupled", "semi_decoupled"]  # no crossbars: no two-phase
    for s in applicable:
        assert s in out
    summary = pd.read_csv(tmp_path / "cmp" / "summary.csv")
    assert set(summary["strategy"]) == set(applicable)
    assert (summary["evaluations"] <= 300).all() and (summary["hv_max"] <= 1.0 + 1e-9).all()
    ref = json.loads((tmp_path / "cmp" / "reference.json").read_text())
    assert ref["hv_reference_point"] == 1.1 and len(ref["bounds"]["lower"]) == 4
    assert (tmp_path / "cmp" / "fronts.png").exists() and (tmp_path / "cmp" / "hv_vs_evaluations.png").exists()
    M = pd.read_csv(tmp_path / "cmp" / "rank_correlation.csv", index_col=0)
    assert M.shape[0] == M.shape[1] >= 2 and np.allclose(np.diag(M.to_numpy()), 1.0)
    assert (tmp_path / "cmp" / "rank_correlation.png").exists() and "plots:" in out
    # without --resume it refuses to overwrite; with it, a comparison that lost a phase (as if killed
    # before it ran) reruns only that phase and ends with the same table
    assert main(["compare", str(cfg), "--repeats", "2", "--out", str(tmp_path / "cmp")]) == 2
    shutil.rmtree(tmp_path / "cmp" / "seed3" / "semi_decoupled" / "phase2_hw")
    assert main(["compare", str(cfg), "--repeats", "2", "--out", str(tmp_path / "cmp"), "--resume"]) == 0
    assert (tmp_path / "cmp" / "seed3" / "semi_decoupled" / "phase2_hw" / "front.csv").exists()
    assert pd.read_csv(tmp_path / "cmp" / "summary.csv")["hv_mean"].tolist() == summary["hv_mean"].tolist()
    # each strategy's last phase is a run directory that `plot` and `front` read
    last = [tmp_path / "cmp" / "seed2" / "coupled", tmp_path / "cmp" / "seed2" / "semi_decoupled" / "phase2_hw"]
    assert main(["plot", *map(str, last), "--out", str(tmp_path / "plots")]) == 0
    assert (tmp_path / "plots" / "design_0.png").exists() and main(["front", str(last[1])]) == 0
    assert (tmp_path / "plots" / "rank_correlation.png").exists()


@pytest.mark.parametrize("name", ["decoupled", "semi_decoupled"])
def test_phases_stay_within_budget_when_population_exceeds_a_phase(tmp_path, name):
    cfg = load_config(overrides={"seed": 1, "space.hardware": "dataflow", "search.pop_size": 100,
                                 "search.budget": 120})
    r = run_strategy(name, cfg, 1, tmp_path)
    assert r.evaluations <= 120 and r.phase_evaluations[0] <= 60


BACKBONE = load_config(overrides={"seed": 3, "space.neural": "backbone", "space.hardware": "imc",
                                  "space.imc_per_group": ["input_bits", "adc_bits", "adc_type", "column_sharing"],
                                  "search.objectives": ["capacity_proxy", "latency", "precision_drop"],
                                  "search.pop_size": 20, "search.budget": 300, "constraints.area_mm2_max": 100.0})


def test_two_phase_freezes_phase_one_and_searches_precision(tmp_path):
    from evo_codesign.search import space_for
    from evo_codesign.space.imc import IMC_KNOBS

    r = run_strategy("two_phase", BACKBONE, 3, tmp_path)
    assert r.evaluations <= 300 and len(r.phase_evaluations) == 2
    space = space_for(BACKBONE)
    genes = list(space.gene_names)
    prec = [g for g in genes if g.split(".")[1] in ("input_bits", "adc_bits")]
    # phase 1 did not search precision: it was held at the top choice of every precision gene
    from evo_codesign.io.history import evaluation_log
    from evo_codesign.io.rundir import RunDir
    rd = RunDir.open(tmp_path / "two_phase" / "phase1_arch")
    info1, rows1 = rd.info(), rd.rows()
    rd.close()
    top = [len(IMC_KNOBS[g.split(".")[1]][0]) - 1 for g in prec]
    assert info1["lossless_precision"] == top and len(prec) == 26
    assert {len(row.x) for row in rows1} == {len(genes) - len(prec)}
    # phase 2 kept phase-1 designs frozen (network and periphery) and varied precision only
    X = r.front[[f"x_{g}" for g in genes]].to_numpy()
    nonprec = [i for i, g in enumerate(genes) if g not in prec]
    phase1_designs = {tuple(row.x) for row in rows1}  # phase-1 genomes are the base genes minus precision
    assert all(tuple(x) in phase1_designs for x in X[:, nonprec])
    assert len(np.unique(X[:, nonprec], axis=0)) <= r.details["n_frozen"]
    log2, _ = evaluation_log(tmp_path / "two_phase" / "phase2_precision")
    assert log2["f_precision_drop"].max() > 0


def test_two_phase_needs_crossbars_and_a_precision_objective(tmp_path):
    dataflow = load_config(overrides={"space.hardware": "dataflow", "search.budget": 100, "search.pop_size": 10})
    with pytest.raises(ValueError, match="crossbars"):
        run_strategy("two_phase", dataflow, 1, tmp_path / "a")
    no_precision = load_config(overrides={"space.neural": "backbone", "space.hardware": "imc", "search.budget": 100,
                                          "search.pop_size": 10, "search.objectives": ["capacity_proxy", "latency"]})
    with pytest.raises(ValueError, match="precision_drop"):
        run_strategy("two_phase", no_precision, 1, tmp_path / "b")


def test_evaluation_log_covers_every_phase(results):
    r = results["semi_decoupled"]
    log = r.evaluation_log()
    probes = r.details["proxy_probes"]  # they count against the budget, before phase 1
    assert len(log) + probes == r.evaluations and list(log["phase"].unique()) == [1, 2]
    assert (log.groupby("phase").size().tolist() == r.phase_evaluations)
    assert log["evaluation"].tolist() == list(range(probes + 1, r.evaluations + 1))


def test_semi_decoupled_takes_a_proxy_from_the_user(tmp_path, capsys):
    import json as _json

    cfg = load_config(overrides={"seed": 1, "space.hardware": "dataflow", "search.pop_size": 20, "search.budget": 200})
    proxy = {"accelerator.dataflow": "nvdla", "accelerator.array_rows": 8, "accelerator.array_cols": 8}
    r = run_strategy("semi_decoupled", cfg, 1, tmp_path / "a", proxy=proxy)
    info = _json.loads((tmp_path / "a" / "semi_decoupled" / "phase1_nas" / "run.json").read_text())
    space = space_for(cfg)
    seg = space["accelerator"]
    genes = info["proxy_genes"]
    assert r.details["proxy_probes"] == 0
    assert genes[seg.position("dataflow")] == seg.gene("dataflow").choices.index("nvdla")
    assert genes[seg.position("array_rows")] == seg.gene("array_rows").choices.index(8)
    # from the command line: a TOML file; a wrong gene is an error that names it
    toml = tmp_path / "proxy.toml"
    toml.write_text('[accelerator]\ndataflow = "nvdla"\narray_rows = 8\n')
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('[space]\nhardware = "dataflow"\n[search]\npop_size = 20\nbudget = 200\n')
    assert main(["compare", str(cfg_file), "--repeats", "1", "--strategies", "semi_decoupled", "--proxy", str(toml),
                 "--out", str(tmp_path / "cmp")]) == 0
    toml.write_text('[accelerator]\narray_rowz = 8\n')
    assert main(["compare", str(cfg_file), "--repeats", "1", "--strategies", "semi_decoupled", "--proxy", str(toml),
                 "--out", str(tmp_path / "cmp2")]) == 2
    assert "accelerator.array_rowz" in capsys.readouterr().err
    toml.write_text('[accelerator]\narray_rows = 3\n')
    assert main(["compare", str(cfg_file), "--repeats", "1", "--strategies", "semi_decoupled", "--proxy", str(toml),
                 "--out", str(tmp_path / "cmp3")]) == 2
    assert "array_rows" in capsys.readouterr().err


@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked workers", "loky workers"])
def test_compare_in_parallel_workers_gives_the_serial_result(tmp_path, monkeypatch, fork):
    from evo_codesign.compare import compare

    cfg = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.pop_size": 16, "search.budget": 160})
    serial = compare(cfg, tmp_path / "s", repeats=2)
    par_cfg = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.pop_size": 16,
                                     "search.budget": 160, "run.n_jobs": 2})
    monkeypatch.setenv("EVO_CODESIGN_FORK", fork)
    forked = []
    if fork == "1" and sys.platform.startswith("linux"):
        import evo_codesign.runner as runner

        # a thread left by an earlier test (dask's offload thread) would make fork_safe refuse;
        # the guard itself is tested in test_runner.py
        monkeypatch.setattr(runner, "fork_safe", lambda: True)
        fork_map = runner.fork_map
        monkeypatch.setattr(runner, "fork_map", lambda fn, tasks, **kw: forked.append(len(tasks)) or
                            fork_map(fn, tasks, **kw))
    parallel = compare(par_cfg, tmp_path / "p", repeats=2)
    cols = ["strategy", "seed", "evaluations", "hv", "igd_plus", "evals_to_95"]
    pd.testing.assert_frame_equal(serial.per_run[cols], parallel.per_run[cols])
    pd.testing.assert_frame_equal(serial.fronts, parallel.fronts)
    pd.testing.assert_frame_equal(serial.curves, parallel.curves)
    # the figures (drawn in the workers when they are forked): the same files, in the same order
    assert [p.name for p in serial.plots] == [p.name for p in parallel.plots] and parallel.plots
    assert all(p.stat().st_size > 0 for p in parallel.plots)
    if fork == "1" and sys.platform.startswith("linux"):
        # the runs, then one job per figure but the hypervolume one (drawn here while they work)
        assert forked == [len(parallel.per_run), len(parallel.plots) - 1]


def test_resume_may_change_how_it_runs(results, tmp_path):
    with pytest.raises(Interrupt):
        run_strategy("decoupled", CFG, 5, tmp_path, on_generation=stop_at(14))
    other = load_config(overrides={"seed": 5, "space.hardware": "hybrid", "search.pop_size": 30, "search.budget": 600,
                                   "run.checkpoint_every": 3, "run.n_jobs": 2})
    r = run_strategy("decoupled", other, 5, tmp_path, resume=True)
    pd.testing.assert_frame_equal(r.front, results["decoupled"].front)


def test_strategies_that_cannot_run_are_refused_before_anything_runs(tmp_path):
    from evo_codesign.compare import compare

    no_accuracy = load_config(overrides={"space.hardware": "hybrid", "search.objectives": ["latency", "energy"],
                                         "search.budget": 100, "search.pop_size": 10})
    assert strategies_for(no_accuracy) == ["coupled", "semi_decoupled"]
    with pytest.raises(ValueError, match="accuracy"):
        compare(no_accuracy, tmp_path / "x", strategies=["coupled", "two_phase"], repeats=1)
    assert not (tmp_path / "x" / "seed1").exists()  # refused up front: nothing ran
    with pytest.raises(ValueError, match="accuracy"):
        run_strategy("decoupled", no_accuracy, 1, tmp_path / "y")

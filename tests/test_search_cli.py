"""End-to-end: the real evaluator, the CLI, and a run killed with SIGKILL and resumed."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import main
from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.io.rundir import RunDir
from evo_codesign.search import space_for


@pytest.mark.parametrize("neural, hardware", [("cell", "dataflow"), ("cell", "imc"), ("cell", "hybrid"),
                                              ("backbone", "imc"), ("backbone", "hybrid")])
def test_evaluator_on_every_space(neural, hardware):
    objs = ["accuracy" if neural == "cell" else "capacity_proxy", "latency", "energy", "area", "edap"]
    cfg = load_config(overrides={"space.neural": neural, "space.hardware": hardware, "search.objectives": objs,
                                 "constraints.area_mm2_max": 50.0, "constraints.power_mw_max": 5000.0})
    space = space_for(cfg)
    ev = build_evaluator(cfg, space)
    X = space.sample(np.random.default_rng(0), 50)
    b = ev(X)
    assert b.F.shape == (50, 5) and b.G.shape == (50, len(ev.constraint_names))
    assert np.all(np.isfinite(b.F)) and np.all(np.isfinite(b.G))
    assert ("buffer_capacity" in ev.constraint_names) == (hardware != "imc")
    m = b.extras
    assert np.allclose(b.F[:, 1], m["latency_ms"]) and np.all(m["area_mm2"] > 0)
    if neural == "cell":
        assert np.allclose(-b.F[:, 0], m["accuracy"])
        assert np.all(m["precision_drop_pp"] >= 0) == True  # noqa: E712
        assert (m["precision_drop_pp"] > 0).any() == (hardware != "dataflow")
    else:
        assert np.allclose(-b.F[:, 0], m["params_m"])  # capacity proxy
    # same designs, same numbers (no hidden state)
    assert np.array_equal(ev(X).F, b.F)


def test_degradation_can_be_switched_off():
    on = load_config(overrides={"space.hardware": "imc"})
    off = load_config(overrides={"space.hardware": "imc", "precision.degradation": False})
    space = space_for(on)
    X = space.sample(np.random.default_rng(1), 20)
    a, b = build_evaluator(on, space)(X), build_evaluator(off, space)(X)
    assert np.all(-a.F[:, 0] <= -b.F[:, 0]) and np.any(-a.F[:, 0] < -b.F[:, 0])
    assert np.all(b.extras["precision_drop_pp"] == 0)


def _cfg_file(tmp_path, budget=600, pop=30):
    p = tmp_path / "c.toml"
    p.write_text(f'seed = 7\n[search]\npop_size = {pop}\nbudget = {budget}\n[run]\ncheckpoint_every = 2\n')
    return p


def test_run_front_and_resume_commands(tmp_path, capsys):
    cfg = _cfg_file(tmp_path)
    assert main(["run", str(cfg), "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "unique designs evaluated" in out and "f_accuracy" in out
    front = pd.read_csv(tmp_path / "r" / "front.csv")
    assert {"f_accuracy", "f_latency", "f_energy", "f_area", "strategy", "seed", "gen"} <= set(front.columns)
    assert any(c.startswith("x_cell.") for c in front.columns)
    assert main(["front", str(tmp_path / "r"), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == len(front)
    info = json.loads((tmp_path / "r" / "run.json").read_text())
    assert info["seed"] == 7 and "versions" in info and info["config"]["search"]["budget"] == 600
    assert main(["run", str(cfg), "--out", str(tmp_path / "r")]) == 2  # never overwrite a run
    assert "already holds a run" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[search]\npop_sise = 3\n")
    assert main(["run", str(bad)]) == 2
    assert "search: unknown key(s) ['pop_sise']" in capsys.readouterr().err


def test_sigkill_and_resume_gives_the_uninterrupted_front(tmp_path):
    cfg = _cfg_file(tmp_path, budget=3000, pop=40)
    ref = tmp_path / "ref"
    assert main(["run", str(cfg), "--out", str(ref)]) == 0
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "evo_codesign.cli", "run", str(cfg), "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    # wait until at least one checkpoint exists and more rows are being logged, then kill -9
    while time.time() < deadline:
        if (killed / "checkpoint.pkl").exists():
            n = RunDir.open(killed).n_evaluations()
            if n >= 400:
                break
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast for this budget)")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert main(["resume", str(killed)]) == 0
    a = pd.read_csv(ref / "front.csv")
    b = pd.read_csv(killed / "front.csv")
    pd.testing.assert_frame_equal(a, b)
    assert RunDir.open(killed).n_evaluations() == RunDir.open(ref).n_evaluations()


def test_same_front_serial_threads_processes_and_dask(tmp_path):
    """Generations fanned out in chunks (tiny min_parallel forces it) give the serial front."""
    from evo_codesign.runner import BatchPolicy
    from evo_codesign.search import run_search
    cfg = load_config(overrides={"seed": 3, "search.pop_size": 40, "search.budget": 400})
    space = space_for(cfg)
    fronts = {}

    def run(name, policy):
        ev = build_evaluator(cfg, space)
        import evo_codesign.strategies._phase as search_mod
        orig = search_mod.BatchPolicy
        search_mod.BatchPolicy = lambda n_jobs: policy  # the run's policy, forced for the test
        try:
            fronts[name] = run_search(cfg, tmp_path / name, evaluator=ev).front
        finally:
            search_mod.BatchPolicy = orig

    run("serial", BatchPolicy(n_jobs=1))
    run("threads", BatchPolicy(n_jobs=2, min_parallel=1, chunk=7, prefer="threads"))
    run("processes", BatchPolicy(n_jobs=2, min_parallel=1, chunk=13, prefer="processes"))
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    from joblib import parallel_config
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with parallel_config(backend="dask"):
            run("dask", BatchPolicy(n_jobs=2, min_parallel=1, chunk=11))
    for name in ("threads", "processes", "dask"):
        pd.testing.assert_frame_equal(fronts["serial"], fronts[name])


def test_plot_command(tmp_path, capsys):
    for seed in (1, 2):
        assert main(["run", "--budget", "300", "--seed", str(seed), "--out", str(tmp_path / f"r{seed}")]) == 0
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "r1"), str(tmp_path / "r2"), "--out", str(tmp_path / "plots"),
                 "--design", "1", "--pdf"]) == 0
    names = {p.name for p in (tmp_path / "plots").iterdir()}
    assert {"fronts.png", "fronts.pdf", "fronts_3d.png", "hv_vs_evaluations.png", "design_1.pdf",
            "bounds.json", "hv_curves.csv"} <= names
    assert main(["plot", str(tmp_path / "r1"), "--out", str(tmp_path / "png")]) == 0  # PNG only by default
    assert not list((tmp_path / "png").glob("*.pdf")) and (tmp_path / "png" / "fronts.png").exists()
    curves = pd.read_csv(tmp_path / "plots" / "hv_curves.csv")
    for _, c in curves.groupby("seed"):  # the best-so-far front only grows
        assert (np.diff(c["hv"].to_numpy()) >= -1e-12).all() and c["evaluations"].iloc[-1] <= 300
    assert main(["plot", str(tmp_path / "r1"), "--out", str(tmp_path / "p2"), "--design", "9999"]) == 2
    assert "out of range" in capsys.readouterr().err

"""``[run] backend = "dask"`` and ``--scheduler``: a search evaluated on a dask cluster from the
command line gives the serial front; runs of a comparison go to the cluster too; a missing extra,
a bad address and an unreachable scheduler are one-line errors."""

import sys
import threading

import numpy as np
import pandas as pd
import pytest

from evo_codesign import runner
from evo_codesign.cli import main
from evo_codesign.config import ConfigError, load_config
from evo_codesign.errors import MissingDependencyError
from evo_codesign.evaluate import CodesignEvaluator

CFG = ('seed = 6\n[space]\nhardware = "dataflow"\n[search]\nobjectives = ["accuracy", "latency", "energy"]\n'
       "pop_size = 20\nbudget = 160\n")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c


@pytest.fixture
def threads_used(monkeypatch):
    """Names of the threads the real evaluator ran in."""
    names: list[str] = []
    real = CodesignEvaluator.__call__

    def recording(self, X):
        names.append(threading.current_thread().name)
        return real(self, X)

    monkeypatch.setattr(CodesignEvaluator, "__call__", recording)
    return names


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    d = tmp_path_factory.mktemp("serial")
    (d / "c.toml").write_text(CFG)
    assert main(["run", str(d / "c.toml"), "--out", str(d / "run")]) == 0
    return pd.read_csv(d / "run" / "front.csv")


def test_run_with_scheduler_gives_the_serial_front(cluster, serial, tmp_path, threads_used, capsys):
    (tmp_path / "c.toml").write_text(CFG)
    assert main(["run", str(tmp_path / "c.toml"), "--out", str(tmp_path / "run"),
                 "--scheduler", cluster.scheduler_address]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / "front.csv"), serial)
    main_thread = threading.main_thread().name
    assert threads_used and all(n != main_thread for n in threads_used)  # every batch ran on a worker
    assert runner.active_session() is None  # closed with the command


def test_backend_dask_without_address_starts_a_local_cluster(serial, tmp_path, monkeypatch, threads_used):
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    asked = {}
    real = distributed.LocalCluster

    def light(**kw):  # the requested cluster, in-process threads to keep the test light
        asked.update(kw)
        return real(**{**kw, "processes": False})

    monkeypatch.setattr(distributed, "LocalCluster", light)
    (tmp_path / "c.toml").write_text(CFG + '[run]\nbackend = "dask"\nn_jobs = 2\n')
    assert main(["run", str(tmp_path / "c.toml"), "--out", str(tmp_path / "run")]) == 0
    assert asked["n_workers"] == 2 and asked["processes"] is True and asked["threads_per_worker"] == 1
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / "front.csv"), serial)
    assert threads_used and threading.main_thread().name not in threads_used


def test_resume_on_a_scheduler_continues_the_same_run(cluster, serial, tmp_path):
    from evo_codesign.search import run_search

    cfg = tmp_path / "c.toml"
    cfg.write_text(CFG)
    run_search(load_config(cfg), tmp_path / "run", stop_after_gen=3)
    assert main(["resume", str(tmp_path / "run"), "--scheduler", cluster.scheduler_address]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / "front.csv"), serial)


def test_session_batches_and_independent_runs_keep_order(cluster):
    X = np.arange(1000, dtype=np.int64).reshape(250, 4)
    with runner.dask_session(cluster.scheduler_address) as s:
        assert s.n_threads == 2 and runner.active_session() is s
        got = runner.evaluate_batches(_square_rows, X, runner.BatchPolicy(chunk=40))
        runs = runner.run_independent(_task, range(5))
    assert np.array_equal(got, _square_rows(X))
    assert runs == [_task(i) for i in range(5)]
    assert runner.active_session() is None


def _square_rows(X):
    return (X ** 2).sum(axis=1)


def _task(i):
    # a run sent to a worker evaluates in-process: no session is visible there
    return (i * i, runner.active_session() is None)


def test_missing_dask_names_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    run = load_config(overrides={"run.backend": "dask"}).run
    with pytest.raises(MissingDependencyError, match=r"pip install -e \.\[dask\]"):
        runner.evaluation_backend(run)
    assert main(["run", "--budget", "100", "--out", str(tmp_path / "r"), "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "pip install -e .[dask]" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # refused before anything started


def test_scheduler_settings_are_checked_by_name(monkeypatch, tmp_path, capsys):
    with pytest.raises(ConfigError, match=r"run\.scheduler.*needs run\.backend = 'dask'"):
        load_config(overrides={"run.scheduler": "tcp://10.0.0.5:8786"})
    with pytest.raises(ConfigError, match=r"run\.backend"):
        load_config(overrides={"run.backend": "ray"})
    assert main(["run", "--scheduler", "10.0.0.5", "--out", str(tmp_path / "r")]) == 2
    assert "not a scheduler address" in capsys.readouterr().err
    pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    monkeypatch.setattr(runner, "DASK_CONNECT_TIMEOUT_S", 0.5)
    assert main(["run", "--budget", "100", "--out", str(tmp_path / "r"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err

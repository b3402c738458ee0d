"""Runs that survive: the evaluation log as the source of truth (replay without a checkpoint, a
damaged log refused), the run-directory lock, disk errors, atomic writes and file modes."""

import errno
import os
import signal
import sqlite3
import stat
import time

import numpy as np
import pandas as pd
import pytest

from evo_codesign.config import load_config
from evo_codesign.engine import replay_state, resume_state, run_until_done, start
from evo_codesign.errors import (CorruptFileError, DiskError, EvoCodesignError, LogMismatchError, MissingFileError,
                                 RunInUseError)
from evo_codesign.io.atomic import atomic_write_bytes, clean_temp_files
from evo_codesign.io.lock import HOLDER_FILE, folder_lock
from evo_codesign.io.rundir import RunDir
from evo_codesign.problem import CodesignProblem, EvaluationCache
from evo_codesign.search import resume_search, run_search
from evo_codesign.space import make_space

from .toy import ToyEvaluator

SPACE = make_space("cell", "dataflow")
SEARCH = load_config(overrides={"search.pop_size": 16, "search.budget": 200}).search
CFG = {"seed": 4, "search.pop_size": 20, "search.budget": 300, "run.checkpoint_every": 4}


def _toy_run(path, stop=None, every=3):
    rd = RunDir.create(path, {"seed": 3})
    ev = ToyEvaluator(SPACE)
    st = start(CodesignProblem(SPACE, EvaluationCache(SPACE, ev, rd)), SEARCH, 3)
    st = run_until_done(st, rd, checkpoint_every=every, stop_after_gen=stop)
    rd.close()  # as a finished (or killed) process leaves it
    return st, ev


class Spy:
    """An evaluator that records the designs it is asked to evaluate."""

    def __init__(self, ev):
        self.ev, self.X = ev, []
        self.objective_names, self.objective_senses = ev.objective_names, ev.objective_senses
        self.constraint_names = ev.constraint_names

    def __call__(self, X):
        self.X.append(np.array(X))
        return self.ev(X)


def test_replay_without_a_checkpoint_evaluates_nothing_again(tmp_path):
    full, _ = _toy_run(tmp_path / "full")
    _toy_run(tmp_path / "part", stop=5, every=1000)
    (tmp_path / "part" / "checkpoint.pkl").unlink()  # as if killed before the first checkpoint
    rd = RunDir.open(tmp_path / "part")
    logged = {r.key for r in rd.rows()}
    spy = Spy(ToyEvaluator(SPACE))
    cache = EvaluationCache(SPACE, spy, rd)
    state = run_until_done(replay_state(CodesignProblem(SPACE, cache), SEARCH, 3, rd), rd)
    evaluated = {k.hex() for k in cache.keys(np.vstack(spy.X))}
    assert len(logged) > 50 and not evaluated & logged  # nothing committed is evaluated again
    assert np.array_equal(state.algorithm.opt.get("F"), full.algorithm.opt.get("F"))
    assert rd.n_evaluations() == full.problem.cache.n_unique == cache.n_unique


@pytest.mark.parametrize("damage", ["remove", "empty", "delete_from_gen_2", "edit_a_row", "add_a_row"])
def test_a_log_that_disagrees_with_the_checkpoint_is_refused(tmp_path, damage):
    _toy_run(tmp_path / "r", stop=6)
    log = tmp_path / "r" / "evaluations.sqlite"
    if damage == "remove":
        for p in tmp_path.joinpath("r").glob("evaluations.sqlite*"):
            p.unlink()
    elif damage == "empty":
        log.write_bytes(b"")
    else:
        with sqlite3.connect(log) as db:
            if damage == "delete_from_gen_2":
                db.execute("DELETE FROM rows WHERE gen >= 2")
            elif damage == "edit_a_row":
                db.execute("UPDATE rows SET f = ? WHERE id = 3", (np.array([1.0, 2.0]).tobytes(),))
            else:
                db.execute("INSERT INTO rows (key, gen, x, f, g, layout, extra) VALUES (x'00', 1, x'', x'', x'', 0, x'7b7d')")
    with pytest.raises(LogMismatchError, match=r"evaluations.sqlite .*(missing|disagrees)") as e:
        resume_state(RunDir.open(tmp_path / "r"))
    assert "checkpoint.pkl" in str(e.value) and "fresh budget" in str(e.value)


def test_rows_logged_after_the_checkpoint_are_fine(tmp_path):
    _toy_run(tmp_path / "r", stop=4, every=4)
    ckpt = (tmp_path / "r" / "checkpoint.pkl").read_bytes()
    run_until_done(resume_state(RunDir.open(tmp_path / "r")), RunDir.open(tmp_path / "r"), stop_after_gen=6)
    (tmp_path / "r" / "checkpoint.pkl").write_bytes(ckpt)  # killed after generation 6 was committed
    assert resume_state(RunDir.open(tmp_path / "r")).gen == 4


@pytest.mark.parametrize("data, match", [(b"", "is empty"), (b"\x80\x05garbage", "is damaged"),
                                         (b"not a pickle at all", "is damaged"),
                                         (b"P", "is damaged")])  # pickle's message for this spans two lines
def test_a_damaged_checkpoint_names_the_file_and_the_way_out(tmp_path, data, match):
    _toy_run(tmp_path / "r", stop=3)
    (tmp_path / "r" / "checkpoint.pkl").write_bytes(data)
    with pytest.raises(CorruptFileError, match=match) as e:
        resume_state(RunDir.open(tmp_path / "r"))
    assert "checkpoint.pkl" in str(e.value) and "delete it and resume again" in str(e.value)
    assert "\n" not in str(e.value)


def test_deleting_a_damaged_checkpoint_replays_to_the_same_front(tmp_path):
    cfg = load_config(overrides=CFG)
    ref = run_search(cfg, tmp_path / "ref")
    run_search(cfg, tmp_path / "r", stop_after_gen=6)
    (tmp_path / "r" / "checkpoint.pkl").write_bytes(b"junk")
    with pytest.raises(CorruptFileError):
        resume_search(tmp_path / "r")
    (tmp_path / "r" / "checkpoint.pkl").unlink()
    res = resume_search(tmp_path / "r")
    pd.testing.assert_frame_equal(res.front, ref.front)
    assert res.evaluations == ref.evaluations


def test_a_run_with_run_json_but_no_rows_restarts(tmp_path):
    cfg = load_config(overrides=CFG)
    ref = run_search(cfg, tmp_path / "ref")
    run_search(cfg, tmp_path / "r", stop_after_gen=1)
    for p in tmp_path.joinpath("r").iterdir():
        if p.name != "run.json":
            p.unlink()
    pd.testing.assert_frame_equal(resume_search(tmp_path / "r").front, ref.front)


def test_resume_of_nothing_says_what_to_do(tmp_path):
    with pytest.raises(MissingFileError, match="does not exist"):
        resume_search(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingFileError, match="no run.json.*start it again"):
        resume_search(tmp_path / "empty")


# -- the lock ----------------------------------------------------------------------------------------

def _hold_in_child(folder, seconds=30):
    pid = os.fork()
    if pid == 0:
        try:
            with folder_lock(folder, what="test"):
                time.sleep(seconds)
        finally:
            os._exit(0)
    deadline = time.time() + 10
    while not (folder / HOLDER_FILE).exists() and time.time() < deadline:
        time.sleep(0.01)
    return pid


def test_a_second_process_is_refused_naming_the_holder_and_a_kill_frees_the_lock(tmp_path):
    d = tmp_path / "run"
    pid = _hold_in_child(d)
    try:
        with pytest.raises(RunInUseError, match=rf"in use by pid {pid} on .*test since"):
            with folder_lock(d):
                pass
        with pytest.raises(RunInUseError):
            run_search(load_config(overrides=CFG), d)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with folder_lock(d) as held:  # the kernel released the killed holder's lock
        assert held == d
    assert not (d / "run.json").exists()


def test_the_lock_is_reentrant_in_a_process_and_cleans_temp_files(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    (d / ".front.csv.7qhrfyq6.tmp").write_text("left by a kill")
    (d / ".mine.tmp").write_text("not ours: kept")
    with folder_lock(d):
        assert not (d / ".front.csv.7qhrfyq6.tmp").exists() and (d / ".mine.tmp").exists()
        with folder_lock(d):  # the phase inside `evo-codesign run` locks the same folder again
            pass
    assert clean_temp_files(tmp_path / "absent") == []


# -- disks and files -----------------------------------------------------------------------------------

def test_a_full_disk_during_a_commit_says_so_and_keeps_what_was_committed(tmp_path, monkeypatch):
    from evo_codesign.io.evaluation_log import EvaluationLog, EvaluationRow

    log = EvaluationLog(tmp_path / "evaluations.sqlite")
    log.append([EvaluationRow("aa", 1, [1], [1.0], [], {})])

    class Full:
        def __init__(self, db):
            self.db = db

        def __getattr__(self, name):
            return getattr(self.db, name)

        def execute(self, sql, *a):
            if sql == "COMMIT":
                self.db.execute("ROLLBACK")  # what SQLite does when the commit cannot be written
                raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(sql, *a)

    monkeypatch.setattr(log, "_db", Full(log._db))
    with pytest.raises(DiskError, match="disk full"):
        log.append([EvaluationRow("bb", 2, [2], [2.0], [], {})])
    monkeypatch.undo()
    assert [r.key for r in EvaluationLog(tmp_path / "evaluations.sqlite").rows()] == ["aa"]


def test_atomic_writes_leave_no_temp_file_and_name_the_cause(tmp_path, monkeypatch):
    target = tmp_path / "front.csv"
    atomic_write_bytes(target, b"old")

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(DiskError, match=r"cannot write .*front.csv: disk full") as e:
        atomic_write_bytes(target, b"new")
    assert isinstance(e.value, EvoCodesignError) and e.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["front.csv"]


def test_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run_search(load_config(overrides={**CFG, "search.budget": 60}), tmp_path / "r")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "r").iterdir() if p.is_file()}
    assert modes and all(m == 0o644 for m in modes.values()), modes


def test_a_readonly_folder_is_a_disk_error(tmp_path, monkeypatch):
    import filelock

    def readonly(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system")
    monkeypatch.setattr(filelock.FileLock, "acquire", readonly)
    with pytest.raises(DiskError, match="read-only file system"):
        with folder_lock(tmp_path / "r"):
            pass

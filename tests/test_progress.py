"""Progress bars of the long commands: labelled postfix values, a hypervolume against frozen bounds
that never falls, one bar over every run of compare and tune (serial and in workers), quiet when
stderr is not a terminal."""

import io
import re
import sys

import numpy as np
import pytest

from evo_codesign.callbacks import BOUND_MARGIN, ArchiveHV, RunsProgress, run_with_progress
from evo_codesign.config import load_config


class Terminal(io.StringIO):
    """A captured stream that says it is a terminal, so tqdm draws into it."""

    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def every_generation(monkeypatch):
    """Draw every update: the bars redraw at most every REDRAW_S seconds, and these runs are fast."""
    monkeypatch.setattr("evo_codesign.callbacks.REDRAW_S", 0.0)


def _hv_seen(text):
    return [float(v) for v in re.findall(r"hv_seen=([0-9.]+)", text)]


def test_archive_hv_freezes_bounds_and_never_falls():
    a = ArchiveHV()
    assert np.isnan(a.value)
    a.add(np.array([[0.0, 1.0], [1.0, 0.0]]))
    lo, hi = -BOUND_MARGIN, 1 + BOUND_MARGIN  # the first points' box, widened by the margin
    assert a.bounds.lower == (lo, lo) and a.bounds.upper == (hi, hi)
    n = lambda v: (v - lo) / (hi - lo)  # noqa: E731
    box = (1.1 - n(0.0)) * (1.1 - n(1.0))
    assert a.value == pytest.approx(2 * box - (1.1 - n(1.0)) ** 2)
    rng = np.random.default_rng(0)
    values = [a.value]
    for _ in range(30):
        a.add(rng.uniform(-0.5, 2.0, (5, 2)))
        values.append(a.value)
    assert np.all(np.diff(values) >= 0) and values[-1] > values[0]
    assert a.bounds.lower == (lo, lo)  # still frozen


def test_run_bar_is_labelled_monotone_and_quiet_off_a_terminal(tmp_path, monkeypatch):
    from evo_codesign.search import run_search

    cfg = load_config(overrides={"seed": 2, "space.hardware": "dataflow", "search.pop_size": 20,
                                 "search.budget": 300})
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    run_search(cfg, tmp_path / "a", progress=True)
    text = tty.getvalue()
    assert "gen=" in text and "front=" in text and "/300" in text
    hv = _hv_seen(text)
    assert hv and np.all(np.diff(hv) >= 0)
    pipe = io.StringIO()  # not a terminal: nothing drawn
    monkeypatch.setattr(sys, "stderr", pipe)
    run_search(cfg, tmp_path / "b", progress=True)
    assert pipe.getvalue() == ""


def test_compare_accepts_progress_and_draws_one_bar_over_all_runs(tmp_path, monkeypatch):
    from evo_codesign.cli import build_parser
    from evo_codesign.compare import compare

    assert build_parser().parse_args(["compare", "--progress"]).progress is True
    assert build_parser().parse_args(["compare", "--no-progress"]).progress is False
    assert build_parser().parse_args(["tune"]).progress is True
    cfg = load_config(overrides={"seed": 2, "space.hardware": "dataflow", "search.pop_size": 20,
                                 "search.budget": 200})
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    compare(cfg, tmp_path / "cmp", strategies=["coupled", "decoupled"], repeats=1, plots=False, progress=True)
    text = tty.getvalue()
    assert "compare:" in text and "/400" in text and "runs=2/2" in text and "run=decoupled s2" in text
    hv = _hv_seen(text)
    assert hv and np.all(np.diff(hv) >= 0)
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    compare(cfg, tmp_path / "q", strategies=["coupled"], repeats=1, plots=False, progress=False)
    assert tty.getvalue() == ""


def _fake_run(task, on_generation=None):
    """A stand-in for one run (module level, so worker processes can import it)."""
    return {"evaluations": 10 * task, "F": np.array([[float(task), -float(task)], [-float(task), float(task)]])}


def test_runs_in_workers_report_as_they_finish_and_keep_their_order():
    tty = Terminal()
    bar = RunsProgress(60, 3, True, "tune", ["a", "b"], file=tty)
    out = run_with_progress(_fake_run, [1, 2, 3], n_jobs=2, progress=bar,
                            summary=lambda r: (r["evaluations"], r["F"]))
    bar.close()
    assert [r["evaluations"] for r in out] == [10, 20, 30]
    assert bar.done_evals == 60 and "runs=3/3" in tty.getvalue()
    quiet = RunsProgress(60, 3, True, "tune", ["a", "b"], file=io.StringIO())
    assert not quiet.active
    assert [r["evaluations"] for r in run_with_progress(_fake_run, [1, 2, 3], n_jobs=1, progress=quiet,
                                                        summary=lambda r: (r["evaluations"], r["F"]))] == [10, 20, 30]


def test_tune_draws_one_bar(tmp_path, monkeypatch):
    pytest.importorskip("optuna")
    from evo_codesign.tuning import tune

    cfg = load_config(overrides={"seed": 3, "space.hardware": "dataflow", "search.budget": 120})
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    tune(cfg, tmp_path / "t", trials=2, repeats=1, space={"pop_size": (8, 20)}, progress=True)
    text = tty.getvalue()
    assert "tune:" in text and "runs=2/2" in text and "/240" in text


def test_enumeration_bar_follows_the_chunks():
    from evo_codesign.callbacks import EnumerationProgress

    tty = Terminal()
    bar = EnumerationProgress(True, file=tty)
    for done in (250_000, 500_000, 1_000_000):
        bar(done, 1_000_000)
    bar.close()
    assert "exact front" in tty.getvalue() and "1.00M/1.00M" in tty.getvalue()
    off = EnumerationProgress(False, file=Terminal())
    off(1, 2)
    assert off.bar is None

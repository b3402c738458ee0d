"""The bounded crash harness: `run` and `compare` killed with SIGKILL at chosen moments (before the
first checkpoint, during the first and a later checkpoint write, with a generation evaluated but
not committed, during the final writes, at random) and recovered as a user would, each ending with
the uninterrupted front. The full version is `python benchmarks/crash_resume.py --trials 50`."""

import pytest

from evo_codesign.testing.crash import CrashHarness, summarize

RUN_CFG = "seed = 7\n[search]\npop_size = 20\nbudget = 300\n[run]\ncheckpoint_every = 3\n"
COMPARE_CFG = ('seed = 3\n[space]\nhardware = "dataflow"\n[search]\nobjectives = ["accuracy", "latency"]\n'
               "pop_size = 20\nbudget = 200\n[run]\ncheckpoint_every = 3\n")


def _harness(tmp_path, command, text, *extra):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    return CrashHarness(command, [str(cfg), *extra], tmp_path, mode="fork")


def _report(trials):
    return "; ".join(f"{t.kill.label} ({t.kill.kind} {t.kill.at} {t.kill.target}): {t.outcome} {t.detail}"
                     for t in trials if t.outcome != "identical")


@pytest.mark.slow
def test_killed_runs_resume_to_the_uninterrupted_front(tmp_path):
    h = _harness(tmp_path, "run", RUN_CFG)
    trials = h.run(9, seed=1)
    s = summarize(trials)
    assert s["identical"] == s["trials"], _report(trials)
    assert s["repeated"] == 0  # the log is the cache: nothing committed is evaluated again
    assert s["killed"] >= 6  # every chosen moment kills; random ones may come after the end
    labels = {t.kill.label for t in trials if t.killed}
    assert {"before the first checkpoint", "during the first checkpoint write", "during the final writes"} <= labels


@pytest.mark.slow
def test_killed_comparisons_resume_to_the_uninterrupted_fronts(tmp_path):
    h = _harness(tmp_path, "compare", COMPARE_CFG, "--repeats", "1", "--strategies", "coupled", "decoupled")
    kinds = ["before the first checkpoint", "during the first checkpoint write", "during the final writes",
             "a generation evaluated, not committed"]
    trials = h.run(4, seed=2, kinds=kinds)
    s = summarize(trials)
    assert s["identical"] == s["trials"] and s["killed"] == 4, _report(trials)
    assert s["repeated"] == 0


def test_a_plan_covers_the_moments_that_matter(tmp_path):
    h = _harness(tmp_path, "run", RUN_CFG)
    h.ref = type("R", (), {"wall_s": 2.0, "counts": {"append": 15, "first_checkpoint_after": 3,
                                                      "replace": {"checkpoint.pkl": 6, "front.csv": 1}}})()
    plan = h.plan(9, seed=0)
    first = [k for k in plan if k.label == "before the first checkpoint"][0]
    assert first.kind == "append-after" and 1 <= first.at <= 2  # committed, not yet checkpointed
    assert any(k.kind == "replace" and k.target == "checkpoint.pkl" and k.at == 1 for k in plan)
    assert any(k.kind == "replace" and k.target == "front.csv" for k in plan)
    assert all(0 < k.at < 2.0 for k in plan if k.kind == "time")

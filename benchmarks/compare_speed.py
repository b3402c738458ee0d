"""The main job's wall time, serial and on 2 workers, and 30 seeds x every strategy, in one run.

    python benchmarks/compare_speed.py [--repeats 3] [--budget 2000] [--seeds 30] [--workers 2] [--trials 3]
        [--against CHECKOUT] [--trace]

1. ``evo-codesign compare --repeats 3 --budget 2000`` (the README's main job, embedded defaults)
   with its figures, with 1 and with ``--workers`` worker processes: each trial in a fresh
   Python process, as the command runs (a process that has compared once already has imported
   everything, and workers forked from it start warmer than the command's). Reported: the
   ``compare`` call's wall time (after the imports and the kernel cache load, which are reported
   apart), the whole command's wall time from a shell, the speed-up, and whether the per-run
   results are identical (they must be). Medians over ``--trials``, the two settings alternating.
2. ``--seeds`` seeds x every strategy at ``--budget`` without figures on ``--workers`` workers
   (the comparison issue's statistics need 30 seeds), in a fresh process too.
3. ``--trace``: where the main job's time goes on ``--workers`` workers, in ``--trials`` fresh
   processes: the serial start, the runs (their CPU seconds, and this process's meanwhile: the
   report's imports), the pause before the figures' workers, the report (the figures' CPU seconds
   and this process's: scoring, tables, the hypervolume figure).
4. ``--against CHECKOUT`` (another source tree of the package, e.g. ``git worktree add /tmp/old
   <commit>``): its main job on ``--workers`` workers in ``--trials`` fresh processes interleaved
   with this tree's (the machine's drift reaches both alike), medians, CPU seconds and whether the
   per-run results are identical.
Issue targets: main job under 5 s warm on 2 cores, >= 1.6x with 2 workers, 30 seeds under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: one ``compare`` in this (fresh) process; prints its timings and per-run scores as JSON
_ONE = """
import json, os, sys, tempfile, time
t0 = time.perf_counter()
from evo_codesign.compare import compare
from evo_codesign.config import load_config
from evo_codesign.jit import warm_up
imported = time.perf_counter() - t0
compiled = warm_up()
budget, jobs, repeats, plots = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
cfg = load_config(overrides={"search.budget": budget, "run.n_jobs": jobs})
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter()
    c = os.times()
    r = compare(cfg, f"{d}/cmp", repeats=repeats, plots=plots)
    wall = time.perf_counter() - t
    c1 = os.times()
cpu = sum(c1[:4]) - sum(c[:4])  # this process and its workers, user and system
cols = ["strategy", "seed", "evaluations", "hv", "hv_archive", "auc"]
print(json.dumps({"wall": wall, "cpu": cpu, "import": imported, "compile": compiled, "runs": len(r.per_run),
                  "evaluations": int(r.per_run.evaluations.sum()), "strategies": int(r.per_run.strategy.nunique()),
                  "per_run": r.per_run[cols].to_json()}))
"""


#: one traced main job on forked workers in this (fresh) process: when each phase ran and the CPU
#: time it took, in the parent and in each task (``runner._forked_call``), as JSON
_TRACE = """
import json, os, sys, tempfile, time
from evo_codesign import runner
from evo_codesign.compare import compare
from evo_codesign.config import load_config
from evo_codesign.jit import warm_up
warm_up()
budget, jobs, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
phases, log = [], tempfile.mktemp()
fork_map, call = runner.fork_map, runner._forked_call
def traced_map(*a, **k):
    c, t = time.process_time(), time.perf_counter()
    out = fork_map(*a, **k)
    phases.append((t, time.perf_counter(), time.process_time() - c))
    return out
def traced_call(i):
    c, t = time.process_time(), time.perf_counter()
    out = call(i)
    with open(log, "a") as f:
        f.write(f"{len(phases)} {t} {time.perf_counter()} {time.process_time() - c}\\n")
    return out
runner.fork_map, runner._forked_call = traced_map, traced_call
cfg = load_config(overrides={"search.budget": budget, "run.n_jobs": jobs})
with tempfile.TemporaryDirectory() as d:
    c0, t0 = time.process_time(), time.perf_counter()
    compare(cfg, f"{d}/cmp", repeats=repeats, plots=True)
    t1, c1 = time.perf_counter(), time.process_time()
tasks = [[float(v) for v in line.split()] for line in open(log)]
os.unlink(log)
print(json.dumps({"t0": t0, "t1": t1, "parent_cpu": c1 - c0, "phases": phases, "tasks": tasks}))
"""


def _trace(args: argparse.Namespace) -> None:
    """Where the main job's time goes on ``args.workers`` forked workers, one fresh process per trial."""
    _compare(200, 1, 1, True)  # the kernel cache, outside the trials
    for k in range(args.trials):
        out = subprocess.run([sys.executable, "-c", _TRACE, str(args.budget), str(args.workers), str(args.repeats)],
                             check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        t0 = r["t0"]
        if len(r["phases"]) != 2:
            raise SystemExit(f"expected the runs and the report's figures in forked workers, got "
                             f"{len(r['phases'])} forked phases (fork unavailable?)")
        (a0, a1, pa), (b0, b1, pb) = r["phases"]
        runs = [t for t in r["tasks"] if t[0] == 0]
        figs = [t for t in r["tasks"] if t[0] == 1]
        cpu = r["parent_cpu"] + sum(t[3] for t in r["tasks"])
        print(f"trial {k + 1}: {r['t1'] - t0:.2f} s, {cpu:.1f} CPU-seconds in all. Before the runs (serial) "
              f"{a0 - t0:.2f} s; runs {a1 - a0:.2f} s ({len(runs)} tasks, {sum(t[3] for t in runs):.2f} CPU-s; this "
              f"process meanwhile {pa:.2f} CPU-s, its imports); last run's end to the figures' workers "
              f"{min(t[1] for t in figs) - max(t[2] for t in runs):.2f} s; report {b1 - a1:.2f} s (figures "
              f"{sum(t[3] for t in figs):.2f} CPU-s in {len(figs)} tasks, this process {pb:.2f} CPU-s: scoring, "
              f"tables, hypervolume figure); after it {r['t1'] - b1:.2f} s")


def _compare(budget: int, jobs: int, repeats: int, plots: bool, source: str | None = None) -> dict:
    """One main job in a fresh process; ``source``: import the package from that source tree."""
    env = dict(os.environ, PYTHONPATH=source) if source else None
    out = subprocess.run([sys.executable, "-c", _ONE, str(budget), str(jobs), str(repeats), "1" if plots else "0"],
                         check=True, capture_output=True, text=True, env=env, cwd=source or None)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _command(budget: int, jobs: int, repeats: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "evo_codesign.cli", "compare", "--repeats", str(repeats), "--budget",
                        str(budget), "--n-jobs", str(jobs), "--no-progress", "--out", f"{d}/cmp"],
                       check=True, capture_output=True)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--against", help="another source tree of the package: its main job timed interleaved with "
                                      "this one's")
    ap.add_argument("--trace", action="store_true",
                    help="where the main job's time goes on --workers workers: phases and CPU seconds, --trials "
                         "fresh processes")
    args = ap.parse_args()
    if args.trace:
        _trace(args)
        return
    if args.against:
        _against(args)
        return
    _compare(200, 1, 1, True)  # compile or load the kernel cache once, outside every trial
    runs: dict[int, list[dict]] = {1: [], args.workers: []}
    shell: dict[int, list[float]] = {1: [], args.workers: []}
    for _ in range(args.trials):
        for jobs in runs:
            runs[jobs].append(_compare(args.budget, jobs, args.repeats, True))
            shell[jobs].append(_command(args.budget, jobs, args.repeats))
    med = {j: float(np.median([r["wall"] for r in v])) for j, v in runs.items()}
    cmd = {j: float(np.median(v)) for j, v in shell.items()}
    same = all(r["per_run"] == runs[1][0]["per_run"] for v in runs.values() for r in v)
    first = runs[1][0]
    print(f"main job (compare --repeats {args.repeats} --budget {args.budget}, with figures; {first['runs']} runs), "
          f"fresh process each, median of {args.trials}:")
    print(f"  compare call: 1 worker {med[1]:.1f} s, {args.workers} workers {med[args.workers]:.1f} s, speed-up "
          f"{med[1] / med[args.workers]:.2f}x   (each trial: "
          + "; ".join(f"{j}: " + ", ".join(f"{r['wall']:.1f}" for r in v) for j, v in runs.items()) + ")")
    print(f"  whole command from a shell: 1 worker {cmd[1]:.1f} s, {args.workers} workers {cmd[args.workers]:.1f} s "
          f"(imports {np.median([r['import'] for v in runs.values() for r in v]):.1f} s and kernel cache load "
          f"{np.median([r['compile'] for v in runs.values() for r in v]):.1f} s of it)")
    print(f"  identical per-run results in every trial: {same}")
    big = _compare(args.budget, args.workers, args.seeds, False)
    print(f"{args.seeds} seeds x {big['strategies']} strategies at budget {args.budget} ({big['runs']} runs, "
          f"{big['evaluations']:,} evaluations, no figures) on {args.workers} workers: {big['wall']:.1f} s")


def _against(args: argparse.Namespace) -> None:
    """The main job of ``args.against`` and of this tree, trials interleaved."""
    here = str(Path(__file__).resolve().parents[1])
    trees = {"other": str(Path(args.against).resolve()), "this": here}
    for source in trees.values():
        _compare(200, 1, 1, True, source)  # each tree's kernel cache, outside every trial
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.trials):
        for name, source in trees.items():
            runs[name].append(_compare(args.budget, args.workers, args.repeats, True, source))
    print(f"main job on {args.workers} workers, {args.trials} fresh-process trials interleaved:")
    for name, source in trees.items():
        w = [r["wall"] for r in runs[name]]
        print(f"  {name} ({source}): median {np.median(w):.2f} s (trials {min(w):.2f}-{max(w):.2f}), "
              f"median {np.median([r['cpu'] for r in runs[name]]):.1f} CPU-seconds")
    print(f"  identical per-run results: {runs['other'][0]['per_run'] == runs['this'][0]['per_run']}")


if __name__ == "__main__":
    main()

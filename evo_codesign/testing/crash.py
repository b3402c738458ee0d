"""Crash harness: kill ``evo-codesign run`` or ``compare`` at chosen or random moments, recover as a
user would, and check that the result is the uninterrupted one.

A :class:`CrashHarness` first runs the command uninterrupted (the *reference*), counting the
moments a kill can hit: evaluation-log commits and atomic file replacements (checkpoints, fronts,
the comparison's tables and plots). Each trial then starts the command again in a fresh folder and
kills it with SIGKILL, either after a random delay or at a chosen moment, by a hook in the killed
process (:data:`HOOK`, which patches ``os.replace`` and ``RunDir.append`` there only):

* ``append-before`` / ``append-after``: just before or after the k-th generation's log commit
  (a generation evaluated but not committed; committed but not checkpointed, e.g. before the
  first checkpoint);
* ``replace``: after the k-th temporary file for a target was written, before it replaces the
  target (during the first or a later checkpoint write, during the final writes);
* ``time``: after a delay.

Recovery is what a user does: ``evo-codesign resume DIR`` for a run (or the same ``run`` again
when the kill came before ``run.json`` existed: nothing was started), ``compare ... --resume`` for
a comparison. A trial is *identical* when recovery exits 0 with the reference's front
(``front.csv``; for a comparison ``fronts.csv`` and ``runs.csv`` but its wall times) and the same
number of logged evaluations in every run directory; *refused* when recovery exits 2 with a
one-line error; anything else is *other*. Each trial also counts the designs that recovery
evaluated again although the killed process had committed them (``repeated``; 0 when the log is
used as the cache).

``mode="fork"`` forks the current process for each killed command and recovers in-process (fast:
nothing is imported again; for tests); ``mode="subprocess"`` starts ``python -m evo_codesign.cli``
(what a user runs; ``env`` may point ``PYTHONPATH`` at another checkout to measure it).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

__all__ = ["HOOK", "Kill", "Trial", "CrashHarness", "KINDS", "summarize"]

#: Installed in the killed process: ``install(spec)`` counts log commits and file replacements and
#: sends SIGKILL to its own process at the moment ``spec`` names. Self-contained, so that it works
#: with any checkout of the package that has ``evo_codesign.io.rundir.RunDir.append``.
HOOK = r'''
import json, os, signal, sys

def install(spec):
    from evo_codesign.io import rundir
    counts = {"append": 0, "replace": {}, "first_checkpoint_after": None}
    kind, target, at = spec.get("kind", ""), spec.get("target", ""), int(spec.get("at") or 0)
    keys_file = spec.get("keys_file")
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace = os.replace
    def replace(src, dst, *a, **k):
        name = os.path.basename(os.fspath(dst))
        n = counts["replace"][name] = counts["replace"].get(name, 0) + 1
        if name == "checkpoint.pkl" and counts["first_checkpoint_after"] is None:
            counts["first_checkpoint_after"] = counts["append"]
        if kind == "replace" and name == target and n == at:
            die()
        return real_replace(src, dst, *a, **k)
    os.replace = replace
    def logged(path, keys, write):
        # one generation's rows, by either way of appending them: counted, recorded, maybe killed around
        counts["append"] += 1
        if keys_file:
            with open(keys_file, "a") as f:
                f.write("".join(f"{path}:{k}\n" for k in keys))
        hit = counts["append"] == at
        if hit and kind == "append-before":
            die()
        out = write()
        if hit and kind == "append-after":
            die()
        return out
    real_append, real_arrays = rundir.RunDir.append, rundir.RunDir.append_arrays
    def append(self, rows):
        rows = list(rows)
        return logged(self.path, [r.key for r in rows], lambda: real_append(self, rows))
    def append_arrays(self, keys, *args):
        return logged(self.path, [k.hex() for k in keys], lambda: real_arrays(self, keys, *args))
    rundir.RunDir.append, rundir.RunDir.append_arrays = append, append_arrays
    return counts
'''

_CHILD = HOOK + r'''
spec = json.loads(sys.argv[1])
counts = install(spec)
from evo_codesign.cli import main
code = main(sys.argv[2:])
if spec.get("count_file"):
    with open(spec["count_file"], "w") as f:
        json.dump(counts, f)
sys.exit(code)
'''

#: The kinds of kill a plan cycles through, in order (label, kind).
KINDS = (("before the first checkpoint", "append-after"), ("during the first checkpoint write", "replace"),
         ("during the final writes", "replace"), ("a generation evaluated, not committed", "append-before"),
         ("during a later checkpoint write", "replace"), ("after a commit", "append-after"),
         ("at a random moment", "time"), ("at a random moment", "time"), ("late", "time"))


@dataclass(frozen=True)
class Kill:
    """Where a trial kills: ``kind`` (``time``, ``append-before``, ``append-after``, ``replace``),
    ``at`` (seconds after the start for ``time``, else which occurrence, from 1), ``target`` (the
    file whose replacement is interrupted, for ``replace``)."""

    label: str
    kind: str
    at: float
    target: str = ""


@dataclass
class Trial:
    kill: Kill
    killed: bool
    outcome: str  # "identical" | "refused" | "other"
    detail: str = ""
    repeated: int = 0  # designs committed before the kill that recovery evaluated again


@dataclass
class _Reference:
    wall_s: float
    counts: dict
    fingerprint: dict = field(default_factory=dict)


def _log_table(db: sqlite3.Connection) -> str:
    """The rows table of an evaluation log (``evaluations`` in logs of earlier versions)."""
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return "evaluations" if "evaluations" in names else "rows"


def _keys(out: Path) -> set[str]:
    keys: set[str] = set()
    for log in out.rglob("evaluations.sqlite"):
        try:
            with contextlib.closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True)) as db:
                keys |= {f"{log.parent}:{k if isinstance(k, str) else bytes(k).hex()}"
                         for (k,) in db.execute(f"SELECT key FROM {_log_table(db)}")}
        except sqlite3.Error:
            pass
    return keys


@contextlib.contextmanager
def _recording(keys_file: Path):
    """In this process, append the key of every row logged to ``keys_file`` (one per line)."""
    from ..io import rundir

    real = rundir.RunDir.append

    real_arrays = rundir.RunDir.append_arrays

    def append(self, rows):
        rows = list(rows)
        with open(keys_file, "a") as f:
            f.write("".join(f"{self.path}:{r.key}\n" for r in rows))
        return real(self, rows)

    def append_arrays(self, keys, *args):
        with open(keys_file, "a") as f:
            f.write("".join(f"{self.path}:{k.hex()}\n" for k in keys))
        return real_arrays(self, keys, *args)
    rundir.RunDir.append, rundir.RunDir.append_arrays = append, append_arrays
    try:
        yield
    finally:
        rundir.RunDir.append, rundir.RunDir.append_arrays = real, real_arrays


def _rows(log: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{log}?mode=ro", uri=True)) as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {_log_table(db)}").fetchone()[0])
    except sqlite3.Error:
        return -1


def _digest(p: Path, drop: str | None = None) -> str:
    if not p.exists():
        return "missing"
    data = p.read_bytes()
    if drop is not None:
        rows = list(csv.reader(io.StringIO(data.decode())))
        if rows and drop in rows[0]:
            j = rows[0].index(drop)
            rows = [r[:j] + r[j + 1:] for r in rows]
        data = json.dumps(rows).encode()
    return hashlib.sha256(data).hexdigest()[:16]


class CrashHarness:
    """Kill trials of one command (see the module docstring). ``command``: ``"run"`` or
    ``"compare"``; ``argv``: its arguments without ``--out``; ``workdir``: where the reference and
    the trials' folders go."""

    def __init__(self, command: str, argv: Sequence[str], workdir: str | Path, *, mode: str = "fork",
                 env: dict | None = None, timeout: float = 600) -> None:
        if command not in ("run", "compare") or mode not in ("fork", "subprocess"):
            raise ValueError(f"command must be run or compare and mode fork or subprocess, got {command!r}, {mode!r}")
        self.command, self.argv, self.workdir = command, [str(a) for a in argv], Path(workdir)
        self.mode, self.env, self.timeout = mode, env, timeout
        self.ref: _Reference | None = None

    # -- processes -----------------------------------------------------------------------------
    def _launch(self, argv: list[str], spec: dict) -> tuple[float, bool]:
        """Run ``argv`` with the hook; kill it after ``spec["delay"]`` s if given. Returns (seconds, killed)."""
        delay = spec.pop("delay", None)
        t0 = time.perf_counter()
        if self.mode == "subprocess":
            proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(spec), *argv], env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            try:
                proc.wait(timeout=self.timeout if delay is None else delay)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return time.perf_counter() - t0, proc.returncode == -signal.SIGKILL
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller
            code = 1
            try:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
                ns: dict = {}
                exec(HOOK, ns)
                counts = ns["install"](spec)
                from ..cli import main
                code = main(argv)
                if spec.get("count_file"):
                    Path(spec["count_file"]).write_text(json.dumps(counts))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            finally:
                os._exit(code)
        deadline = t0 + (self.timeout if delay is None else delay)  # a hung child is killed too
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.perf_counter() >= deadline:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.002)
        return time.perf_counter() - t0, os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

    def _recover_argv(self, out: Path) -> list[str]:
        if self.command == "compare":
            return ["compare", *self.argv, "--out", str(out), "--resume"]
        if (out / "run.json").exists():
            return ["resume", str(out)]
        return ["run", *self.argv, "--out", str(out)]  # killed before anything was written: start again

    def _cli(self, argv: list[str], keys_file: Path) -> tuple[int, str]:
        """Run a recovery command; the keys of the rows it logs go to ``keys_file``."""
        if self.mode == "subprocess":
            r = subprocess.run([sys.executable, "-c", _CHILD, json.dumps({"keys_file": str(keys_file)}), *argv],
                               capture_output=True, text=True, env=self.env, timeout=self.timeout,
                               stdin=subprocess.DEVNULL)
            return r.returncode, r.stderr
        from ..cli import main
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err), _recording(keys_file):
            try:
                code = main(argv)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
        return code, err.getvalue()

    def fingerprint(self, out: Path) -> dict:
        """What must match the reference: the front(s) and the logged evaluations of every run directory."""
        logs = {p.parent.relative_to(out).as_posix(): _rows(p) for p in sorted(out.rglob("evaluations.sqlite"))}
        if self.command == "run":
            return {"front.csv": _digest(out / "front.csv"), "rows": logs}
        return {"fronts.csv": _digest(out / "fronts.csv"), "runs.csv": _digest(out / "runs.csv", drop="wall_s"),
                "rows": logs}

    # -- the harness ---------------------------------------------------------------------------
    def reference(self) -> _Reference:
        out = self.workdir / "reference"
        count_file = self.workdir / "reference-counts.json"
        walls = []
        for attempt in range(2):  # the second run's duration: the first one also warms caches up
            shutil.rmtree(out, ignore_errors=True)
            wall, killed = self._launch([self.command, *self.argv, "--out", str(out)], {"count_file": str(count_file)})
            if killed or not count_file.exists():
                raise RuntimeError(f"the uninterrupted {self.command} did not finish (see {out})")
            walls.append(wall)
            if attempt == 0:
                first = self.fingerprint(out)
        if self.fingerprint(out) != first:
            raise RuntimeError(f"two uninterrupted runs of {self.command} differ: it is not deterministic")
        self.ref = _Reference(walls[-1], json.loads(count_file.read_text()), first)
        return self.ref

    def plan(self, n: int, seed: int = 0, kinds: Sequence[str] | None = None) -> list[Kill]:
        """``n`` kills cycling through :data:`KINDS` (or the ``kinds`` labels given), positions drawn
        from ``random.Random(seed)`` within what the reference counted."""
        ref = self.ref or self.reference()
        rng = random.Random(seed)
        table = [k for k in KINDS if kinds is None or k[0] in kinds]
        appends = max(int(ref.counts["append"]), 1)
        first = ref.counts.get("first_checkpoint_after") or appends
        reps = ref.counts["replace"]
        finals = [t for t in (("front.csv", "front.parquet") if self.command == "run" else
                              ("front.csv", "fronts.csv", "summary.csv", "fronts.png")) if reps.get(t)]
        out = []
        for i in range(n):
            label, kind = table[i % len(table)]
            if label == "before the first checkpoint":
                out.append(Kill(label, kind, rng.randint(1, max(first - 1, 1))))
            elif label == "during the first checkpoint write":
                out.append(Kill(label, kind, 1, "checkpoint.pkl"))
            elif label == "during a later checkpoint write":
                out.append(Kill(label, kind, rng.randint(min(2, reps.get("checkpoint.pkl", 1)),
                                                         max(reps.get("checkpoint.pkl", 1), 1)), "checkpoint.pkl"))
            elif label == "during the final writes":
                target = finals[(i // len(table)) % len(finals)] if finals else "front.csv"
                out.append(Kill(label, kind, reps.get(target, 1), target))
            elif kind == "time":
                lo, hi = (0.85, 0.99) if label == "late" else (0.02, 0.98)
                out.append(Kill(label, kind, round(rng.uniform(lo, hi) * ref.wall_s, 3)))
            else:
                out.append(Kill(label, kind, rng.randint(1, appends)))
        return out

    def trial(self, kill: Kill, index: int) -> Trial:
        out = self.workdir / f"trial{index:03d}"
        shutil.rmtree(out, ignore_errors=True)
        spec = {"kind": kill.kind, "at": kill.at, "target": kill.target} if kill.kind != "time" else \
            {"delay": kill.at}
        _, killed = self._launch([self.command, *self.argv, "--out", str(out)], spec)
        committed = _keys(out)
        keys_file = self.workdir / f"trial{index:03d}-keys.txt"
        keys_file.unlink(missing_ok=True)
        code, err = self._cli(self._recover_argv(out), keys_file)
        again = set(keys_file.read_text().split()) if keys_file.exists() else set()
        repeated = len(again & committed)
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        got = self.fingerprint(out)
        assert self.ref is not None
        if code == 0 and got == self.ref.fingerprint:
            return Trial(kill, killed, "identical", repeated=repeated)
        if code == 2 and len(lines) == 1:
            return Trial(kill, killed, "refused", lines[0][:300], repeated)
        why = f"exit {code}: {lines[-1][:300] if lines else ''}" if code else \
            f"different result: {got} vs {self.ref.fingerprint}"
        return Trial(kill, killed, "other", why, repeated)

    def run(self, n: int, seed: int = 0, kinds: Sequence[str] | None = None) -> list[Trial]:
        """The reference (if not run yet), then ``n`` trials of :meth:`plan`."""
        return [self.trial(k, i) for i, k in enumerate(self.plan(n, seed, kinds))]


def summarize(trials: Sequence[Trial]) -> dict[str, int]:
    """Counts: trials, killed, identical, refused (with a clear error), other; and the trials whose
    recovery evaluated committed designs again, and how many designs that was in all."""
    return {"trials": len(trials), "killed": sum(t.killed for t in trials),
            "identical": sum(t.outcome == "identical" for t in trials),
            "refused": sum(t.outcome == "refused" for t in trials),
            "other": sum(t.outcome == "other" for t in trials),
            "re_evaluating": sum(t.repeated > 0 for t in trials), "repeated": sum(t.repeated for t in trials)}

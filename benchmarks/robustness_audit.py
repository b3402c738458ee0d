"""Issue 16's failure classes 2-10, reproduced through the command line as an adversarial user would.

    python benchmarks/robustness_audit.py [--source CHECKOUT] [--only 2,4] [-v]

Every case runs ``evo-codesign`` in a fresh process (``python -m evo_codesign.cli``) and is judged
by what a user sees: *as asked* means a damaged file or bad input is refused with exit status 2
and one line naming the file, key or column (or, where the input is fine, accepted with exit 0);
anything else (a traceback, an "internal error", exit 0 on a damaged run, a silently different
front) is a *failure*. ``--source`` runs the commands from another checkout of the package (its
root, put first on PYTHONPATH), so the same cases measure the code before and after a change.
Class 1 (kills at random moments) is ``benchmarks/crash_resume.py``. Cases that need root for a
tmpfs mount (disk full, read-only directory) are skipped without it. About 2-3 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ENV = dict(os.environ)
CFG = 'seed = 7\n[search]\npop_size = 30\nbudget = {budget}\n[run]\ncheckpoint_every = 2\n'


@dataclass
class Result:
    rc: int
    out: str
    err: str


def cli(*args: str, timeout: float = 300, env: dict | None = None) -> Result:
    r = subprocess.run([sys.executable, "-m", "evo_codesign.cli", *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, env=env or ENV, stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


def py(code: str, timeout: float = 300) -> Result:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                       timeout=timeout, env=ENV, stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


def clear(r: Result, *names: str) -> bool:
    """Refused as the issue asks: exit 2, one line, no traceback, naming each of ``names``."""
    lines = [ln for ln in r.err.strip().splitlines() if ln.strip()]
    return (r.rc == 2 and len(lines) == 1 and "Traceback" not in r.err and "internal error" not in r.err
            and all(n.lower() in r.err.lower() for n in names))


def short(r: Result) -> str:
    last = (r.err.strip().splitlines() or [""])[-1]
    return f"exit {r.rc}: {last[:160]}"


def write_cfg(d: Path, budget: int = 600, extra: str = "") -> Path:
    p = d / "c.toml"
    p.write_text(CFG.format(budget=budget) + extra)
    return p


def interrupted_run(cfg: Path, out: Path, stop: int = 6) -> None:
    r = py(f"""
        from evo_codesign.config import load_config
        from evo_codesign.search import run_search
        run_search(load_config({str(cfg)!r}), {str(out)!r}, stop_after_gen={stop})
    """)
    assert r.rc == 0, r.err


def front_of(d: Path) -> bytes:
    p = d / "front.csv"
    return p.read_bytes() if p.exists() else b""


def mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


# -- the classes -----------------------------------------------------------------------------------

def class2_log(tmp: Path) -> list[tuple[str, bool, str]]:
    """A missing, empty or truncated evaluation log must be refused, never a fresh budget."""
    cfg = write_cfg(tmp)
    ref = tmp / "ref"
    assert cli("run", cfg, "--out", ref).rc == 0
    base = tmp / "base"
    interrupted_run(cfg, base)
    cases = []

    def damage(name, fn):
        d = tmp / f"case{len(cases)}"
        shutil.copytree(base, d)
        fn(d)
        r = cli("resume", d)
        ok = clear(r, "evaluations.sqlite")
        cases.append((name, ok, short(r) + ("" if r.rc else (" (same front)" if front_of(d) == front_of(ref)
                                                               else " (different front)"))))

    def rm(d):
        for p in d.glob("evaluations.sqlite*"):
            p.unlink()

    def empty(d):
        rm(d)
        (d / "evaluations.sqlite").write_bytes(b"")

    def truncate(d):
        p = d / "evaluations.sqlite"
        p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])

    def delete_from(gen):
        def f(d):
            with sqlite3.connect(d / "evaluations.sqlite") as db:
                db.execute("DELETE FROM evaluations WHERE gen >= ?", (gen,))
        return f

    def delete_one(d):
        with sqlite3.connect(d / "evaluations.sqlite") as db:
            db.execute("DELETE FROM evaluations WHERE id = (SELECT MIN(id) FROM evaluations WHERE gen = 2)")

    damage("log removed (rm evaluations.sqlite*)", rm)
    damage("log empty (0 bytes)", empty)
    damage("log truncated to half", truncate)
    damage("rows from generation 4 on deleted", delete_from(4))
    damage("rows of the last checkpointed generation deleted", delete_from(6))
    damage("one row of generation 2 deleted", delete_one)
    return cases


def class3_disk_full(tmp: Path) -> list[tuple[str, bool, str]]:
    """Disk full: one line that says so, nothing committed lost, resume identical once space is freed."""
    cfg = write_cfg(tmp, budget=900)
    ref = tmp / "ref"
    assert cli("run", cfg, "--out", ref).rc == 0
    cases = []
    for size in ("200k", "700k", "1500k"):
        mnt = tmp / f"mnt{size}"
        if not mount_tmpfs(mnt, size):
            return [("disk full (needs root for a tmpfs)", True, "skipped")]
        try:
            r = cli("run", cfg, "--out", mnt / "r")
            said = clear(r, "disk") or clear(r, "no space")
            subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], capture_output=True)
            r2 = cli("resume", mnt / "r") if (mnt / "r" / "run.json").exists() else cli("run", cfg, "--out", mnt / "r")
            same = r2.rc == 0 and front_of(mnt / "r") == front_of(ref)
            cases.append((f"tmpfs of {size}: the error names the cause", said, short(r)))
            cases.append((f"tmpfs of {size}: resumed after freeing space, identical front", same, short(r2)))
        finally:
            umount(mnt)
    return cases


def class4_damaged_files(tmp: Path) -> list[tuple[str, bool, str]]:
    """Damaged or unreadable run files: one line naming the file and the cause."""
    cfg = write_cfg(tmp)
    base = tmp / "base"
    interrupted_run(cfg, base)
    assert cli("resume", base).rc == 0  # a finished run, with front.csv
    part = tmp / "part"
    interrupted_run(cfg, part)
    cases = []

    def case(name, src, fn, cmd="resume", file="checkpoint.pkl"):
        d = tmp / f"case{len(cases)}"
        shutil.copytree(src, d)
        fn(d)
        r = cli(cmd, d)
        cases.append((name, clear(r, file), short(r)))

    ck = lambda d: d / "checkpoint.pkl"  # noqa: E731
    case("checkpoint.pkl truncated", part, lambda d: ck(d).write_bytes(ck(d).read_bytes()[:1000]))
    case("checkpoint.pkl garbage", part, lambda d: ck(d).write_bytes(os.urandom(4000)))
    case("checkpoint.pkl empty", part, lambda d: ck(d).write_bytes(b""))
    case("evaluations.sqlite garbage", part, lambda d: (d / "evaluations.sqlite").write_bytes(b"x" * 9000),
         file="evaluations.sqlite")
    rj = lambda d: d / "run.json"  # noqa: E731

    def edit(fn):
        def f(d):
            info = json.loads(rj(d).read_text())
            rj(d).write_text(json.dumps(fn(info)))
        return f
    case("run.json without config", part, edit(lambda i: {k: v for k, v in i.items() if k != "config"}),
         file="run.json")
    case("run.json a list", part, edit(lambda i: [i]), file="run.json")
    case("run.json config not a table", part, edit(lambda i: {**i, "config": "x"}), file="run.json")
    case("run.json truncated", part, lambda d: rj(d).write_text(rj(d).read_text()[:300]), file="run.json")
    case("run.json binary", part, lambda d: rj(d).write_bytes(b"\xff\xfe\x00garbage"), file="run.json")
    case("front.csv binary (front)", base, lambda d: (d / "front.csv").write_bytes(b"\xff\xfe\x00\x81" * 50),
         cmd="front", file="front.csv")
    case("front.csv empty (front)", base, lambda d: (d / "front.csv").write_bytes(b""), cmd="front", file="front.csv")
    mnt = tmp / "ro"
    if mount_tmpfs(mnt, "64m"):
        try:
            shutil.copytree(part, mnt / "r")
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True)
            r = cli("resume", mnt / "r")
            cases.append(("read-only run directory", clear(r, str(mnt / "r")) and "read-only" in r.err.lower(),
                          short(r)))
        finally:
            umount(mnt)
    return cases


def class5_imc_constants(tmp: Path) -> list[tuple[str, bool, str]]:
    """Every IMC constant with its sign flipped must be refused naming the constant."""
    r = py("from evo_codesign.cost.constants_imc import IMC_CONSTANTS as C; import json; "
           "print(json.dumps({k: c.value for k, c in C.items()}))")
    consts = json.loads(r.out)
    layers = Path(__file__).resolve().parent / "examples" / "layers_example.csv"
    cases = []
    for k, v in consts.items():
        acc = tmp / f"{k}.toml"
        acc.write_text(f'target = "imc"\n[constants]\n{k} = {-v if v else -1.0!r}\n')
        r = cli("cost", "--layers", layers, "--accelerator", acc, "--json")
        cases.append((f"{k} = {-v if v else -1.0:.4g}", clear(r, k), short(r)))
    return cases


def class6_layers(tmp: Path) -> list[tuple[str, bool, str]]:
    """Layers CSV and TOML edge cases: refused naming the column, or (BOM) accepted."""
    acc = Path(__file__).resolve().parent / "examples" / "accelerator_example.toml"
    head = "name,K,C,R,S,Y,X,stride,pad,groups,dilation"
    cases = []

    def case(name, text, ok_exit=False, col="", raw=None, accel=acc):
        p = tmp / f"layers{len(cases)}.csv"
        p.write_bytes(raw if raw is not None else text.encode())
        r = cli("cost", "--layers", p, "--accelerator", accel, "--json")
        ok = r.rc == 0 if ok_exit else clear(r, col)
        cases.append((name, ok, short(r)))

    case("K = 2^40", f"{head}\nc,{2**40},3,3,3,32,32,1,1,1,1\n", col="K")
    case("K = 10^30", f"{head}\nc,{10**30},3,3,3,32,32,1,1,1,1\n", col="K")
    case("pad = 10^6", f"{head}\nc,8,3,3,3,32,32,1,{10**6},1,1\n", col="pad")
    case("op = linear with R = S = 3", f"{head},op\nfc,10,64,3,3,1,1,1,1,1,1,linear\n", col="op")
    case("op = dwconv with K = 8, C = 3, groups = 1", f"{head},op\ndw,8,3,3,3,32,32,1,1,1,1,dwconv\n", col="op")
    case("a duplicate K column", "name,K,C,R,S,Y,X,stride,K\nc,8,3,3,3,32,32,1,16\n", col="K")
    case("a row with extra fields", f"{head}\nc,8,3,3,3,32,32,1,1,1,1,7,7\n", col="line 2")
    case("UTF-8 BOM (Excel)", "", ok_exit=True, raw=b"\xef\xbb\xbf" + f"{head}\nc,8,3,3,3,32,32,1,1,1,1\n".encode())
    bom = tmp / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + acc.read_bytes())
    case("BOM-prefixed accelerator TOML", f"{head}\nc,8,3,3,3,32,32,1,1,1,1\n", ok_exit=True, accel=bom)
    case("binary layers file", "", col="layers", raw=b"\xff\xfe\x00\x81" * 40)
    return cases


def class7_n_jobs(tmp: Path) -> list[tuple[str, bool, str]]:
    """n_jobs: 0 refused naming the key everywhere; -2 (all cores but one) accepted everywhere."""
    cases = []
    cmds = {"run": ["run", "--budget", "100", "--out"], "compare": ["compare", "--repeats", "1", "--budget", "200",
                                                                   "--strategies", "coupled", "--out"],
            "tune": ["tune", "--trials", "1", "--repeats", "1", "--budget", "100", "--out"]}
    for name, argv in cmds.items():
        r = cli(*argv, tmp / f"{name}0", "--n-jobs", "0")
        cases.append((f"{name} --n-jobs 0", clear(r, "n_jobs"), short(r)))
        r = cli(*argv, tmp / f"{name}m2", "--n-jobs", "-2")
        cases.append((f"{name} --n-jobs -2", r.rc == 0, short(r)))
    return cases


def class8_infeasible(tmp: Path) -> list[tuple[str, bool, str]]:
    """Unsatisfiable constraints: refused up front; a front without a feasible design warns, distinct exit."""
    cases = []
    cfg = write_cfg(tmp, budget=200, extra="[constraints]\narea_mm2_max = 0.01\n")
    for name, argv in {"run": ["run", cfg, "--out", tmp / "r"],
                       "compare": ["compare", cfg, "--repeats", "1", "--strategies", "coupled", "--out", tmp / "c"],
                       "tune": ["tune", cfg, "--trials", "1", "--repeats", "1", "--out", tmp / "t"]}.items():
        r = cli(*argv)
        cases.append((f"{name} with area_mm2_max = 0.01 refused up front", clear(r, "area_mm2_max"), short(r)))
    hard = write_cfg(tmp, budget=120, extra="[constraints]\naccuracy_min = 95.2\nbuffer_capacity = false\n")
    r = cli("run", hard, "--out", tmp / "hard")
    warned = r.rc not in (0, 1, 2) and "accuracy_min" in r.err and "warning" in r.err.lower()
    cases.append(("run whose front holds no feasible design: warning naming the constraint, distinct exit",
                  warned, short(r)))
    ok = cli("run", "--budget", "100", "--out", tmp / "ok")
    cols = (tmp / "ok" / "front.csv").read_text().splitlines()[0].split(",") if ok.rc == 0 else []
    cases.append(("front.csv has a feasible column", "feasible" in cols, f"{len(cols)} columns"))
    return cases


def _background(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "evo_codesign.cli", *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def _wait_for(p: Path, proc: subprocess.Popen, timeout: float = 60) -> bool:
    t = time.time() + timeout
    while time.time() < t and proc.poll() is None:
        if p.exists():
            return True
        time.sleep(0.01)
    return False


def class9_lock(tmp: Path) -> list[tuple[str, bool, str]]:
    """A second process on a run directory in use is refused naming the holder."""
    cases = []
    cfg = write_cfg(tmp, budget=6000)
    for name, second in (("resume DIR while run --out DIR writes", lambda d: cli("resume", d)),
                         ("run --out DIR twice at once", lambda d: cli("run", cfg, "--out", d))):
        d = tmp / name.split()[0]
        first = _background("run", cfg, "--out", d)
        if not _wait_for(d / "evaluations.sqlite", first):
            cases.append((name, False, "the first run did not start"))
            continue
        time.sleep(0.3)
        r = second(d)
        first.wait()
        cases.append((name, first.returncode == 0 and clear(r, "in use", "pid"), short(r)))
    d = tmp / "cmp"
    first = _background("compare", cfg, "--repeats", "1", "--strategies", "coupled", "--out", d)
    _wait_for(d / "seed7", first)
    time.sleep(0.3)
    r = cli("compare", cfg, "--repeats", "1", "--strategies", "coupled", "--out", d, "--resume")
    first.wait()
    cases.append(("compare --resume while the same compare runs", first.returncode == 0 and clear(r, "in use"),
                  short(r)))
    t0 = time.time()
    r = cli("compare", "--repeats", "1", "--budget", "200", "--strategies", "coupled", "coupled", "--out", tmp / "cc")
    cases.append(("compare --strategies coupled coupled refused before any run",
                  clear(r, "coupled") and not (tmp / "cc" / "seed1").exists(),
                  short(r) + f" ({time.time() - t0:.1f} s)"))
    return cases


_KILL_ON_REPLACE = """
import os, signal, sys
_replace = os.replace
def replace(src, dst, *a, **k):
    if os.path.basename(str(dst)) == {target!r}:
        os.kill(os.getpid(), signal.SIGKILL)
    return _replace(src, dst, *a, **k)
os.replace = replace
from evo_codesign.cli import main
sys.exit(main({argv!r}))
"""

_RECORD_OPENS = """
import builtins, os, sys, json
_open = builtins.open
seen = []
def rec(file, mode="r", *a, **k):
    if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
        seen.append(os.path.abspath(str(file)))
    return _open(file, mode, *a, **k)
builtins.open = rec
from evo_codesign.cli import main
code = main({argv!r})
with _open({log!r}, "w") as f:
    json.dump(seen, f)
sys.exit(code)
"""


def class10_files(tmp: Path) -> list[tuple[str, bool, str]]:
    """Temp files cleaned on resume, atomic writes of every output, 0644 files, deep JSON, empty grids."""
    cases = []
    cfg = write_cfg(tmp)
    d = tmp / "killed"
    for target in ("front.csv", "checkpoint.pkl"):
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([sys.executable, "-c", _KILL_ON_REPLACE.format(target=target, argv=["run", str(cfg), "--out",
                                                                                          str(d)])], env=ENV)
        r = cli("resume", d)
        left = sorted(p.name for p in d.glob(".*.tmp"))
        cases.append((f"killed while writing {target}: no temp file left after resume", r.rc == 0 and not left,
                      f"{short(r)}; left: {left}"))
    log = tmp / "opens.json"
    out = tmp / "cmp"
    subprocess.run([sys.executable, "-c", _RECORD_OPENS.format(argv=["compare", "--repeats", "1", "--budget", "200",
                                                                     "--strategies", "coupled", "decoupled", "--out",
                                                                     str(out)], log=str(log))], env=ENV,
                   capture_output=True)
    direct = sorted({Path(p).name for p in json.loads(log.read_text()) if p.startswith(str(out))
                     and not p.endswith(".tmp")}) if log.exists() else ["(compare failed)"]
    cases.append(("compare writes every output atomically", not direct, f"written in place: {direct}"))
    old = os.umask(0o022)
    try:
        modes = {p.relative_to(out).as_posix(): oct(p.stat().st_mode & 0o777) for p in out.rglob("*")
                 if p.is_file() and not p.name.startswith(".")}
    finally:
        os.umask(old)
    private = sorted(k for k, m in modes.items() if int(m, 8) & 0o044 != 0o044)
    cases.append(("files readable by group and others under umask 022", not private,
                  f"{len(private)} of {len(modes)} files 0600, e.g. {private[:3]}"))
    deep = tmp / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for cmd in (["describe", "--genotypes", deep], ["predict", "--genotypes", deep]):
        r = cli(*cmd)
        cases.append((f"{cmd[0]} --genotypes on JSON nested 100,000 deep", clear(r, "deep.json"), short(r)))
    part = tmp / "part"
    interrupted_run(cfg, part)
    (part / "run.json").write_text("[" * 100_000 + "]" * 100_000)
    r = cli("resume", part)
    cases.append(("resume with run.json nested 100,000 deep", clear(r, "run.json"), short(r)))
    grid = tmp / "grid.toml"
    grid.write_text('[accelerator]\ndataflow = ["nvdla"]\narray_rows = [64]\narray_cols = [64]\n')
    gcfg = write_cfg(tmp, budget=200, extra='[space]\nhardware = "dataflow"\n[constraints]\npower_mw_max = 1.0\n')
    r = cli("compare", gcfg, "--repeats", "1", "--strategies", "coupled", "--exact-cells", "5", "--grid", grid,
            "--out", tmp / "grid")
    cases.append(("a grid with no feasible design", clear(r, "feasible"), short(r)))
    return cases


CLASSES = {2: class2_log, 3: class3_disk_full, 4: class4_damaged_files, 5: class5_imc_constants, 6: class6_layers,
           7: class7_n_jobs, 8: class8_infeasible, 9: class9_lock, 10: class10_files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, help="root of the checkout to run the commands from (default: installed)")
    ap.add_argument("--only", help="comma-separated class numbers (default: all)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case, not only the failing ones")
    args = ap.parse_args()
    if args.source:
        ENV["PYTHONPATH"] = str(args.source.resolve())
    wanted = [int(c) for c in args.only.split(",")] if args.only else list(CLASSES)
    print(f"{'class':<6} {'cases':>5} {'as asked':>9} {'failing':>8}")
    totals = [0, 0]
    for k in wanted:
        with tempfile.TemporaryDirectory(prefix=f"audit{k}-") as tmp:
            cases = CLASSES[k](Path(tmp))
        ok = sum(1 for _, good, _ in cases if good)
        totals[0] += len(cases)
        totals[1] += ok
        print(f"{k:<6} {len(cases):>5} {ok:>9} {len(cases) - ok:>8}   {CLASSES[k].__doc__.splitlines()[0]}")
        for name, good, detail in cases:
            if args.verbose or not good:
                print(f"         {'ok  ' if good else 'FAIL'} {name}: {detail}")
        sys.stdout.flush()
    print(f"total  {totals[0]:>5} {totals[1]:>9} {totals[0] - totals[1]:>8}")


if __name__ == "__main__":
    main()

"""Kill ``evo-codesign run`` and ``compare`` N times each at random and chosen moments; recover; compare.

    python benchmarks/crash_resume.py [--trials 50] [--commands run compare] [--mode subprocess|fork]
                                      [--source CHECKOUT] [--seed 0] [--out DIR] [-v]

Each trial starts the command in a fresh folder and kills it with SIGKILL (before the first
checkpoint, during the first and later checkpoint writes, with a generation evaluated but not
committed, after a commit, during the final writes, or after a random delay;
:mod:`evo_codesign.testing.crash`), then recovers as a user would (``resume DIR``, or
``compare ... --resume``) and checks the front against an uninterrupted run's. Prints, per
command: trials / killed / identical fronts / refused with a clear error / anything else / trials
whose recovery evaluated committed designs again (re-evaluating), and each trial that was not
identical. ``--mode subprocess`` (default) runs ``python -m evo_codesign.cli``
as a user does; ``--source`` runs it from another checkout (put first on PYTHONPATH), to measure
the code before a change. Run: budget 600, population 30, ``checkpoint_every = 5`` (the issue's
setting); compare: every strategy, 1 seed, budget 400, population 20, ``checkpoint_every = 3``.
About 10 minutes for 50 trials of each on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from evo_codesign.testing.crash import CrashHarness, summarize

CONFIGS = {
    "run": "seed = 7\n[search]\npop_size = 30\nbudget = 600\n[run]\ncheckpoint_every = 5\n",
    "compare": "seed = 3\n[search]\npop_size = 20\nbudget = 400\n[run]\ncheckpoint_every = 3\n",
}
ARGS = {"run": [], "compare": ["--repeats", "1"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=50, help="kills per command (default 50)")
    ap.add_argument("--commands", nargs="+", default=["run", "compare"], choices=["run", "compare"])
    ap.add_argument("--mode", default="subprocess", choices=["subprocess", "fork"])
    ap.add_argument("--source", type=Path, help="root of another checkout to run the commands from")
    ap.add_argument("--seed", type=int, default=0, help="seed of the kill plan")
    ap.add_argument("--out", type=Path, help="keep the trials' folders here (default: a temporary folder)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every trial")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.source:
        if args.mode != "subprocess":
            sys.exit("--source needs --mode subprocess")
        env["PYTHONPATH"] = str(args.source.resolve())
    with tempfile.TemporaryDirectory(prefix="crash-") as tmp:
        root = args.out or Path(tmp)
        print(f"{'command':<8} {'trials':>6} {'killed':>6} {'identical':>9} {'refused (clear error)':>21} "
              f"{'anything else':>13} {'re-evaluating':>13} {'wall':>7}")
        notes = []
        for cmd in args.commands:
            work = root / cmd
            work.mkdir(parents=True, exist_ok=True)
            (work / "c.toml").write_text(CONFIGS[cmd])
            h = CrashHarness(cmd, [str(work / "c.toml"), *ARGS[cmd]], work, mode=args.mode, env=env)
            t0 = time.perf_counter()
            trials = h.run(args.trials, seed=args.seed)
            s = summarize(trials)
            print(f"{cmd:<8} {s['trials']:>6} {s['killed']:>6} {s['identical']:>9} {s['refused']:>21} "
                  f"{s['other']:>13} {s['re_evaluating']:>13} {time.perf_counter() - t0:>6.0f}s")
            sys.stdout.flush()
            for i, t in enumerate(trials):
                if args.verbose or t.outcome != "identical":
                    notes.append(f"  {cmd} trial {i}: killed {t.kill.label} ({t.kill.kind} {t.kill.at:g}"
                                 f"{' ' + t.kill.target if t.kill.target else ''}; "
                                 f"{'killed' if t.killed else 'finished first'}): {t.outcome} {t.detail}"
                                 + (f" [{t.repeated} committed designs evaluated again]" if t.repeated else ""))
            notes.append(f"  {cmd}: recovery evaluated {s['repeated']} committed designs again in "
                         f"{s['re_evaluating']} trials")
        print("\n".join(notes))


if __name__ == "__main__":
    main()

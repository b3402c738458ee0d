"""The search loop against bare pymoo: milliseconds per generation, side by side in one run.

    python benchmarks/search_speed.py [--generations 120] [--block 20] [--pop 50] [--repeats 7]

Three loops, same population, genes (the hybrid genome, 59), objectives (4) and generations:

* **bare pymoo**: ``pymoo.optimize.minimize`` with NSGA-II, pymoo's integer recipe (random
  sampling, SBX + polynomial mutation with rounding) and its duplicate elimination, on a trivial
  vectorised problem (weighted sums of the genes), no logging;
* **ours, trivial problem**: ``evo-codesign``'s coupled search (our operators, canonical duplicate
  elimination, the evaluation cache, the run directory's evaluation log and checkpoints) on the same
  trivial objectives, with as many logged metrics per design as the real evaluator;
* **ours, real evaluator**: the same with the real hybrid evaluator (cost kernels and surrogate).

The issue target is ours (trivial) <= 1.5x bare pymoo per generation. A generation's cost is timed
inside each run: the clock is read after every generation (pymoo's callback; our
``on_generation``), and the run is cut into blocks of ``--block`` generations (the engine's
checkpoint interval, so that each of our blocks holds exactly one checkpoint) after the first
block (start-up: the initial population, pymoo's set-up, first calls). A loop's cost per
generation is the median of its blocks over all repeats, divided by the block length: a burst of
the shared machine (tens of percent within minutes) lands in a few blocks and moves the median
little. The repeats are interleaved (each runs the three loops back to back), and each repeat's
own ratio of medians is given too, as a median and range. The fixed cost is what a run took
besides its generations at that rate (run directory, final front, set-up). Kernels are compiled
before timing. The script also counts each loop's Python function calls per generation
(cProfile; marginal: the difference between ``--generations`` and half as many, over the extra
generations), which do not depend on the machine's speed.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time

import numpy as np

from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.protocols import EvalBatch
from evo_codesign.search import run_search, space_for


class Trivial:
    """Weighted sums of the genes as 4 objectives, with ``n_extras`` metrics per design."""

    objective_senses = ("min", "min", "min", "min")
    constraint_names = ()

    def __init__(self, n_var: int, n_extras: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((n_var, 4))
        self.objective_names = ("f1", "f2", "f3", "f4")
        self.extra_names = tuple(f"m{i}" for i in range(n_extras))

    def __call__(self, X: np.ndarray) -> EvalBatch:
        F = np.asarray(X, dtype=float) @ self.W
        extras = {k: F[:, i % 4] * (i + 1) for i, k in enumerate(self.extra_names)}
        return EvalBatch(F, np.zeros((len(X), 0)), extras)


def bare_pymoo(n_var: int, xu: np.ndarray, pop: int, gens: int, W: np.ndarray) -> tuple[float, list[float]]:
    """(seconds, the clock after each generation) of pymoo's NSGA-II on the trivial problem."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.callback import Callback
    from pymoo.core.problem import Problem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize

    class P(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=n_var, n_obj=4, xl=np.zeros(n_var), xu=xu, vtype=int)

        def _evaluate(self, X, out, *args, **kwargs):
            out["F"] = np.asarray(X, dtype=float) @ W

    algo = NSGA2(pop_size=pop, sampling=IntegerRandomSampling(),
                 crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                 mutation=PM(eta=15, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)
    clock: list[float] = []

    class Clock(Callback):
        def notify(self, algorithm) -> None:
            clock.append(time.perf_counter())

    t0 = time.perf_counter()
    minimize(P(), algo, ("n_gen", gens), seed=1, verbose=False, callback=Clock())
    return time.perf_counter() - t0, clock


def ours(cfg, evaluator) -> tuple[float, list[float]]:
    """(seconds, the clock after each generation) of our coupled search into a fresh run directory."""
    clock: list[float] = []
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        run_search(cfg, f"{d}/run", evaluator=evaluator, progress=False, check_constraints=False,
                   on_generation=lambda state: clock.append(time.perf_counter()))
        return time.perf_counter() - t0, clock


def blocks(clock: list[float], block: int) -> list[float]:
    """Seconds of each whole block of ``block`` generations after the first block."""
    marks = clock[block - 1::block]  # the clock after generations block, 2 * block, ...
    return list(np.diff(marks))


def _calls(loop, c1, g1: int, c2, g2: int) -> float:
    """Python function calls per generation of ``loop`` (marginal: the longer run's extra calls
    over its extra generations)."""
    counts = []
    for c, g in ((c1, g1), (c2, g2)):
        prof = cProfile.Profile()
        prof.enable()
        _, clock = loop(c, g)
        prof.disable()
        counts.append((pstats.Stats(prof).total_calls, len(clock)))
    return (counts[1][0] - counts[0][0]) / max(counts[1][1] - counts[0][1], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=120)
    ap.add_argument("--block", type=int, default=20, help="generations per timed block (our checkpoint interval)")
    ap.add_argument("--pop", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    if args.generations < 2 * args.block:
        ap.error("--generations must be at least twice --block (the first block is start-up)")
    gens, half = args.generations, args.generations // 2
    cfg, cfg_half = (load_config(overrides={"search.pop_size": args.pop, "search.budget": args.pop * g})
                     for g in (gens, half))
    space = space_for(cfg)
    real = build_evaluator(cfg, space)
    real(space.sample(np.random.default_rng(0), 8))  # compile / load the kernels once
    n_extras = len(real(space.sample(np.random.default_rng(1), 1)).extras)
    trivial = Trivial(space.n_var, n_extras)

    loops = {"bare pymoo": lambda c, g: bare_pymoo(space.n_var, space.xu, args.pop, g, trivial.W),
             "ours, trivial problem": lambda c, g: ours(c, trivial),
             "ours, real evaluator": lambda c, g: ours(c, real)}
    # interleaved: each repeat runs every loop back to back, so that a drift of the machine
    # reaches every loop alike
    runs: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, loop in loops.items():
            runs[name].append(loop(cfg, gens))
    for name, rs in runs.items():
        short = [len(clock) for _, clock in rs if len(clock) < gens]
        if short:
            raise SystemExit(f"{name}: a run stopped after {min(short)} of {gens} generations (budget spent early?)")
    per = {name: float(np.median([b for _, clock in rs for b in blocks(clock, args.block)])) / args.block
           for name, rs in runs.items()}
    fixed = {name: float(np.median([total - per[name] * len(clock) for total, clock in rs]))
             for name, rs in runs.items()}
    n_blocks = len(blocks(runs["bare pymoo"][0][1], args.block))
    print(f"space {space!r}: {space.n_var} genes, 4 objectives, population {args.pop}, {gens} generations, "
          f"{n_extras} logged metrics per design; median of {n_blocks} blocks of {args.block} generations "
          f"(after the first) in each of {args.repeats} interleaved repeats")
    calls = {name: _calls(loop, cfg_half, half, cfg, gens) for name, loop in loops.items()}
    for name in loops:
        print(f"  {name:24s} {per[name] * 1e3:7.2f} ms per generation   fixed {fixed[name]:6.3f} s per run   "
              f"{calls[name]:8,.0f} Python calls per generation")
    ratio = per["ours, trivial problem"] / per["bare pymoo"]
    # each repeat's own ratio: its loops ran seconds apart
    each = sorted(float(np.median(blocks(o[1], args.block)) / np.median(blocks(b[1], args.block)))
                  for o, b in zip(runs["ours, trivial problem"], runs["bare pymoo"]))
    print(f"ours (trivial) / bare pymoo per generation: {ratio:.2f}x   (issue target <= 1.5x); Python calls "
          f"{calls['ours, trivial problem'] / calls['bare pymoo']:.2f}x")
    print(f"  the same ratio repeat by repeat: median {float(np.median(each)):.2f}x, "
          f"from {each[0]:.2f}x to {each[-1]:.2f}x over {len(each)} repeats")


if __name__ == "__main__":
    main()

"""The search loop against bare pymoo: milliseconds per generation, side by side in one run.

    python benchmarks/search_speed.py [--generations 60] [--pop 50] [--repeats 3]

Three loops, same population, genes (the hybrid genome, 59), objectives (4) and generations:

* **bare pymoo**: ``pymoo.optimize.minimize`` with NSGA-II, pymoo's integer recipe (random
  sampling, SBX + polynomial mutation with rounding) and its duplicate elimination, on a trivial
  vectorised problem (weighted sums of the genes), no logging;
* **ours, trivial problem**: ``evo-codesign``'s coupled search (our operators, canonical duplicate
  elimination, the evaluation cache, the run directory's evaluation log and checkpoints) on the same
  trivial objectives, with as many logged metrics per design as the real evaluator;
* **ours, real evaluator**: the same with the real hybrid evaluator (cost kernels and surrogate).

The issue target is ours (trivial) <= 1.5x bare pymoo per generation. A generation's cost is the
marginal one: each loop runs ``--generations`` and twice as many, and the difference is divided by
the extra generations, so one-time work (run directory, final front, pymoo's set-up) is reported
separately as the fixed cost. Kernels are compiled before timing. The repeats are interleaved (each
runs every loop at both lengths back to back) and the fastest repeat of each loop and length is
kept; each repeat's own ratio (its loops ran seconds apart) is given too, as a median and range.
Timings on a shared machine move by tens of percent between runs, so the script also counts each
loop's Python function calls per generation (cProfile, the same marginal method), which do not
depend on the machine's speed.
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


def bare_pymoo(n_var: int, xu: np.ndarray, pop: int, gens: int, W: np.ndarray) -> float:
    from pymoo.algorithms.moo.nsga2 import NSGA2
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
    t0 = time.perf_counter()
    minimize(P(), algo, ("n_gen", gens), seed=1, verbose=False)
    return time.perf_counter() - t0


def ours(cfg, evaluator) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        res = run_search(cfg, f"{d}/run", evaluator=evaluator, progress=False, check_constraints=False)
        return time.perf_counter() - t0, res.generations


def _marginal(short: tuple[float, int], long: tuple[float, int]) -> tuple[float, float]:
    """(seconds per generation, fixed seconds) from a short and a long run."""
    per = (long[0] - short[0]) / max(long[1] - short[1], 1)
    return per, short[0] - per * short[1]


def _calls(loop, c1, g1: int, c2, g2: int) -> float:
    """Python function calls per generation of ``loop`` (marginal, as the timings)."""
    counts = []
    for c, g in ((c1, g1), (c2, g2)):
        prof = cProfile.Profile()
        prof.enable()
        _, gens = loop(c, g)
        prof.disable()
        counts.append((pstats.Stats(prof).total_calls, gens))
    return (counts[1][0] - counts[0][0]) / max(counts[1][1] - counts[0][1], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generations", type=int, default=60)
    ap.add_argument("--pop", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    g1, g2 = args.generations, 2 * args.generations
    cfg1, cfg2 = (load_config(overrides={"search.pop_size": args.pop, "search.budget": args.pop * g})
                  for g in (g1, g2))
    space = space_for(cfg1)
    real = build_evaluator(cfg1, space)
    real(space.sample(np.random.default_rng(0), 8))  # compile / load the kernels once
    n_extras = len(real(space.sample(np.random.default_rng(1), 1)).extras)
    trivial = Trivial(space.n_var, n_extras)

    # Interleaved: each repeat runs every loop at both lengths back to back, so that a drift of
    # the shared machine (tens of percent within minutes) reaches every loop alike; the fastest
    # repeat of each loop and length is kept (noise only ever adds time)
    loops = {"bare pymoo": lambda c, g: (bare_pymoo(space.n_var, space.xu, args.pop, g, trivial.W), g),
             "ours, trivial problem": lambda c, g: ours(c, trivial),
             "ours, real evaluator": lambda c, g: ours(c, real)}
    trials: dict[str, list[tuple[tuple[float, int], tuple[float, int]]]] = {name: [] for name in loops}
    for _ in range(args.repeats):
        for name, loop in loops.items():
            trials[name].append((loop(cfg1, g1), loop(cfg2, g2)))
    # (seconds, generations) pairs: the fastest of each length
    rows = {name: _marginal(min(r[0] for r in runs), min(r[1] for r in runs)) for name, runs in trials.items()}
    print(f"space {space!r}: {space.n_var} genes, 4 objectives, population {args.pop}, {g1} and {g2} generations, "
          f"{n_extras} logged metrics per design; fastest of {args.repeats} interleaved repeats")
    calls = {name: _calls(loop, cfg1, g1, cfg2, g2) for name, loop in loops.items()}
    for name, (per, fixed) in rows.items():
        print(f"  {name:24s} {per * 1e3:7.2f} ms per generation   fixed {fixed:6.3f} s per run   "
              f"{calls[name]:8,.0f} Python calls per generation")
    ratio = rows["ours, trivial problem"][0] / rows["bare pymoo"][0]
    # each repeat's own ratio: its two loops ran seconds apart, so a slow or fast spell of the
    # machine reaches both
    each = sorted(_marginal(*o)[0] / _marginal(*b)[0]
                  for o, b in zip(trials["ours, trivial problem"], trials["bare pymoo"]))
    print(f"ours (trivial) / bare pymoo per generation: {ratio:.2f}x   (issue target <= 1.5x); Python calls "
          f"{calls['ours, trivial problem'] / calls['bare pymoo']:.2f}x")
    print(f"  the same ratio repeat by repeat: median {float(np.median(each)):.2f}x, "
          f"from {each[0]:.2f}x to {each[-1]:.2f}x over {len(each)} repeats")


if __name__ == "__main__":
    main()

"""The NSGA-II loop shared by every strategy: budgeted, checkpointed, resumable, deterministic.

One root seed fixes everything: pymoo's ``random_state`` (from ``seed``) drives every operator, the
evaluation cache returns bit-identical values for repeated designs, and a checkpoint is the pickled
live algorithm (FIELD_NOTES: pymoo resumes bit-identically from it) with a summary of the
evaluation-log rows it has seen, which :func:`resume_state` checks the log against. A run without
a checkpoint is replayed from its root seed with the logged rows as the cache (:func:`replay_state`),
which re-evaluates nothing and ends as the uninterrupted run. The budget is counted in unique
designs; a generation is started only if a full batch of offspring still fits in it, so a run never
exceeds its budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.termination import Termination

from .config import SearchConfig
from .errors import CorruptFileError, UsageError
from .io.rundir import RunDir
from .operators import BlockUniformCrossover, CanonicalDuplicates, SpaceMutation, SpaceRepair, SpaceSampling
from .problem import CodesignProblem
from .space.joint import JointSpace

__all__ = ["UniqueBudget", "build_nsga2", "GAState", "start", "resume_state", "replay_state", "run_until_done",
           "front_arrays"]


class UniqueBudget(Termination):
    """Stop when another full generation would exceed ``budget`` unique evaluations, or when
    ``max_stall`` generations in a row found no new design (a small space is exhausted).

    ``update()`` reports progress as the fraction of the budget spent (pymoo convention)."""

    def __init__(self, budget: int, max_stall: int = 20) -> None:
        super().__init__()
        self.budget = int(budget)
        self.max_stall = int(max_stall)
        self._seen = -1
        self._stall = 0

    def _update(self, algorithm) -> float:
        cache = algorithm.problem.cache
        if cache.n_unique == self._seen:
            self._stall += 1
        else:
            self._seen, self._stall = cache.n_unique, 0
        if self._stall >= self.max_stall:
            return 1.0
        n_next = algorithm.n_offsprings if algorithm.n_gen and algorithm.n_gen > 0 else algorithm.pop_size
        if cache.n_unique + n_next > self.budget:
            return 1.0
        return min(cache.n_unique / self.budget, 0.999)


def build_nsga2(space: JointSpace, search: SearchConfig) -> NSGA2:
    """NSGA-II with the segment-aware operators (see :mod:`evo_codesign.operators`)."""
    return NSGA2(
        pop_size=search.pop_size,
        n_offsprings=search.n_offsprings or search.pop_size,
        sampling=SpaceSampling(space),
        crossover=BlockUniformCrossover(space, prob=search.crossover_prob, swap_prob=search.swap_prob),
        mutation=SpaceMutation(space, prob_var=search.mutation_prob_var or None, long_jump=search.long_jump),
        repair=SpaceRepair(space),
        eliminate_duplicates=CanonicalDuplicates(space),
    )


@dataclass
class GAState:
    """What a checkpoint holds: the live algorithm (with problem, cache and RNG), the generation and
    the evaluation log's summary at that generation (:meth:`RunDir.log_summary`)."""

    algorithm: Any
    gen: int
    log_summary: dict | None = None

    @property
    def problem(self) -> CodesignProblem:
        return self.algorithm.problem


def start(problem: CodesignProblem, search: SearchConfig, seed: int) -> GAState:
    if search.pop_size > search.budget:
        raise UsageError(f"search.budget ({search.budget}) must be at least search.pop_size ({search.pop_size})")
    algo = build_nsga2(problem.space, search)
    algo.setup(problem, termination=UniqueBudget(search.budget), seed=int(seed), verbose=False)
    return GAState(algo, 0)


def resume_state(rundir: RunDir) -> GAState:
    """Load the checkpoint, check the evaluation log against it (a log that lost or changed rows
    the checkpoint saw is refused: :class:`~evo_codesign.errors.LogMismatchError`) and refill the
    cache from the log."""
    state = rundir.load_checkpoint()
    if not isinstance(state, GAState) or not hasattr(state.algorithm, "problem"):
        raise CorruptFileError(f"{rundir.path / rundir.CHECKPOINT} does not hold a search state "
                               f"(it holds a {type(state).__name__}); delete it and resume again to replay the run "
                               f"from its evaluation log")
    rows = rundir.rows()
    rundir.verify_log(getattr(state, "log_summary", None), state.gen)
    cache = state.problem.cache
    cache.log = rundir
    cache.restore(rows, counted_up_to_gen=state.gen)
    return state


def replay_state(problem: CodesignProblem, search: SearchConfig, seed: int, rundir: RunDir) -> GAState:
    """A run that stopped before its first checkpoint: start it again from its root seed with every
    logged row in the cache (none counted yet), so the replayed generations re-evaluate nothing
    and the run ends exactly as an uninterrupted one."""
    state = start(problem, search, seed)
    problem.cache.restore(rundir.rows(), counted_up_to_gen=0)
    return state


def run_until_done(state: GAState, rundir: RunDir | None, *, checkpoint_every: int = 20,
                   on_generation: Callable[[GAState], None] | None = None,
                   stop_after_gen: int | None = None) -> GAState:
    """Advance generation by generation until the budget is spent (or ``stop_after_gen``)."""
    algo = state.algorithm
    cache = state.problem.cache
    while algo.has_next():
        if stop_after_gen is not None and state.gen >= stop_after_gen:
            break
        state.gen += 1
        cache.gen = state.gen
        algo.next()
        if on_generation is not None:
            on_generation(state)
        if rundir is not None and state.gen % checkpoint_every == 0:
            _checkpoint(state, rundir)
    if rundir is not None:
        _checkpoint(state, rundir)
    return state


def _checkpoint(state: GAState, rundir: RunDir) -> None:
    state.log_summary = rundir.log_summary(state.gen)
    rundir.save_checkpoint(state)


def front_arrays(state: GAState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, F, G) of the current non-dominated set (pymoo's ``opt``: feasible first)."""
    opt = state.algorithm.opt
    if opt is None or len(opt) == 0:
        return (np.zeros((0, state.problem.n_var), dtype=np.int64), np.zeros((0, state.problem.n_obj)),
                np.zeros((0, state.problem.n_ieq_constr)))
    X = np.rint(opt.get("X")).astype(np.int64)
    order = np.lexsort(X.T[::-1])  # deterministic row order
    G = opt.get("G") if state.problem.n_ieq_constr else np.zeros((len(X), 0))
    return X[order], opt.get("F")[order], G[order]



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
from pymoo.core.termination import Termination

from .algorithms import build_algorithm, build_nsga2, offspring_per_generation
from .config import SearchConfig
from .errors import CorruptFileError, UsageError
from .io.rundir import RunDir
from .problem import CodesignProblem

__all__ = ["UniqueBudget", "build_nsga2", "GAState", "start", "resume_state", "replay_state", "run_until_done",
           "front_arrays", "share_keys"]


class UniqueBudget(Termination):
    """Stop when another full generation would exceed ``budget`` unique evaluations, or when
    ``max_stall`` generations in a row found no new design (a small space is exhausted).

    ``update()`` reports progress as the fraction of the budget spent (pymoo convention). A
    generation's new designs are at most the algorithm's offspring per generation
    (:func:`evo_codesign.algorithms.offspring_per_generation`: ``n_offsprings``, else ``pop_size``)."""

    def __init__(self, budget: int, max_stall: int = 20) -> None:
        super().__init__()
        self.budget = int(budget)
        self.max_stall = int(max_stall)
        self._seen = -1
        self._stall = 0

    def _update(self, algorithm) -> float:
        n_unique = algorithm.problem.cache.n_unique
        if n_unique == self._seen:
            self._stall += 1
        else:
            self._seen, self._stall = n_unique, 0
        return self._progress(algorithm, n_unique)

    def _progress(self, algorithm, n_unique: int) -> float:
        if self._stall >= self.max_stall:
            return 1.0
        if algorithm.n_gen and algorithm.n_gen > 0:
            n_next = offspring_per_generation(algorithm)
        else:  # the initial population
            n_next = getattr(algorithm, "pop_size", None) or offspring_per_generation(algorithm)
        if n_unique + n_next > self.budget:
            return 1.0
        return min(n_unique / self.budget, 0.999)

    def set_budget(self, budget: int, algorithm, n_unique: int) -> None:
        """A new budget for a loaded run (``resume --budget``) that has counted ``n_unique`` designs:
        progress is recomputed without counting a generation, so a finished run continues exactly
        as if its budget had been ``budget`` from the start (a run that stalled, or whose mating
        could produce nothing new, stays finished)."""
        if budget < n_unique:
            raise UsageError(f"budget {budget} is below the {n_unique} designs already evaluated")
        self.budget = int(budget)
        self.perc = 1.0 if self.force_termination else self._progress(algorithm, n_unique)


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
    algo = build_algorithm(problem.space, search, problem.n_obj)
    algo.setup(problem, termination=UniqueBudget(search.budget), seed=int(seed), verbose=False)
    share_keys(algo)
    return GAState(algo, 0)


def share_keys(algo: Any) -> None:
    """Let the algorithm's duplicate elimination and the evaluation cache key genomes through one
    :class:`~evo_codesign.operators.CanonicalKeys`, so a new individual is canonicalised once:
    when duplicate elimination checks it, and the cache then finds its key remembered. Keys are
    a function of the genome alone, so this changes no result. A checkpoint pickles the two
    together and keeps them shared; one of an earlier version is shared again on resume."""
    from .operators import CanonicalDuplicates

    cache = getattr(getattr(algo, "problem", None), "cache", None)
    keys = getattr(cache, "_keys", None)
    if keys is None:
        return
    for owner in (algo, getattr(algo, "initialization", None), getattr(algo, "mating", None)):
        dup = getattr(owner, "eliminate_duplicates", None)
        if isinstance(dup, CanonicalDuplicates) and dup.space is cache.space:
            dup.keys = keys


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
    share_keys(state.algorithm)
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
    """Advance generation by generation until the budget is spent (or ``stop_after_gen``), BLAS on
    one thread (:func:`~evo_codesign.runner.one_blas_thread`: a generation's matrices are small)."""
    from .runner import one_blas_thread

    algo = state.algorithm
    cache = state.problem.cache
    saved = None  # the generation of the last checkpoint written here
    with one_blas_thread():
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
                saved = state.gen
    if rundir is not None and saved != state.gen:  # not twice for the same state
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

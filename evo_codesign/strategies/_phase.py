"""The phase machinery every strategy is built from: the one code path of a search.

A *phase* is one NSGA-II over an :class:`~evo_codesign.strategies.embedding.Embedding` of the
joint genome, with its own budget, seed and resumable run directory. :func:`run_phase` is the only
caller of run directories and the engine loop in the package: ``evo-codesign run`` (the coupled
strategy, ``Context.flat``), every phase of every strategy and their resume share it, with one
resume check, one progress bar and one lock: a phase holds its run directory's lock
(:func:`evo_codesign.io.lock.folder_lock`) from opening it to its last checkpoint, and the front
is written under it too.

Resuming a phase continues from its checkpoint (the evaluation log checked against it), or, with
no checkpoint yet, replays the phase from its seed with the logged rows as the cache: no
evaluation is repeated and the front is the uninterrupted one. A phase with no logged row simply
starts.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..callbacks import Progress
from ..config import config_from_dict, config_to_dict
from ..engine import GAState, front_arrays, replay_state, resume_state, run_until_done, start
from ..errors import EvoCodesignError, UsageError
from ..feasibility import constraint_scales
from ..io.frames import design_frame, distinct_designs
from ..io.lock import folder_lock
from ..io.rundir import RunDir
from ..problem import CodesignProblem, EvaluationCache
from ..protocols import EvalBatch, feasible_mask
from ..runner import BatchPolicy
from .base import Context, StrategyResult
from .embedding import Embedding

__all__ = ["Mapped", "run_phase", "feasible_front", "kept_rows", "result", "phase_info", "searched_log10", "RESUME_KEYS"]

log = logging.getLogger(__name__)

#: run.json keys that must match for a phase to be resumed (the ``[run]`` section of the config,
#: how to run, may change; what to search may not)
RESUME_KEYS = ("strategy", "phase", "seed", "phase_budget", "config", "phase_space", "proxy_genes")


class Mapped:
    """Evaluates phase genomes by expanding them into base genomes (one shared evaluator)."""

    def __init__(self, base: Any, embedding: Embedding) -> None:
        self.base, self.embedding = base, embedding
        self.objective_names = base.objective_names
        self.objective_senses = base.objective_senses
        self.constraint_names = base.constraint_names

    def __call__(self, X: np.ndarray) -> EvalBatch:
        return self.base(self.embedding.expand(X))

    def describe(self) -> Any:
        return self.base.describe() if hasattr(self.base, "describe") else type(self.base).__name__


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def phase_info(name: str, evaluator: Any, phase: int | None = None, **extra: Any) -> dict:
    """What a phase's run.json records about it (besides seed, budget, config and space)."""
    d = {"strategy": name, "objectives": list(evaluator.objective_names),
         "objective_senses": list(evaluator.objective_senses), "constraints": list(evaluator.constraint_names),
         **extra}
    if phase is not None:
        d["phase"] = phase
    return d


def _check_resumable(rd: RunDir, info: dict, out: Path) -> None:
    stored = rd.info()
    for key in RESUME_KEYS:
        a, b = stored.get(key), info.get(key)
        if key == "config":
            a, b = (_normalised(c) for c in (a, b))
        if a != b:
            rd.close()
            raise UsageError(f"cannot resume {out}: its {key!r} differs from this run's ({a!r} vs {b!r}); "
                             f"use another output folder")


def _normalised(config: dict | None) -> dict:
    """A stored config with this version's defaults filled in (a run created before a key existed
    resumes), less the ``[run]`` section, which may change on resume."""
    try:
        full = config_to_dict(config_from_dict(config or {}))
    except EvoCodesignError:  # not a config this version reads: compare it as stored
        full = dict(config or {})
    return {k: v for k, v in full.items() if k != "run"}


def _open_or_create(ctx: Context, embedding: Embedding, evaluator: Any, search: Any, seed: int, out: Path,
                    info: dict) -> tuple[GAState, RunDir]:
    if ctx.resume and (out / RunDir.INFO).exists():
        rd = RunDir.open(out)
        try:
            _check_resumable(rd, info, out)
            if rd.has_checkpoint():
                return resume_state(rd), rd
            # stopped before its first checkpoint: replay from the seed, the logged rows as the cache
            log.info("%s has no checkpoint: replaying it from its evaluation log (%d rows)", out, rd.n_evaluations())
            cache = EvaluationCache(embedding.space, evaluator, rd, BatchPolicy(n_jobs=ctx.cfg.run.n_jobs))
            return replay_state(CodesignProblem(embedding.space, cache), search, seed, rd), rd
        except BaseException:
            rd.close()
            raise
    rd = RunDir.create(out, info)
    cache = EvaluationCache(embedding.space, evaluator, rd, BatchPolicy(n_jobs=ctx.cfg.run.n_jobs))
    return start(CodesignProblem(embedding.space, cache), search, seed), rd


def run_phase(ctx: Context, embedding: Embedding, evaluator: Any, budget: int, seed: int, out: Path,
              info: dict) -> tuple[GAState, int]:
    """Run (or, with ``ctx.resume``, continue) one phase's NSGA-II in its own run directory.
    Returns the final state and the phase's unique evaluations."""
    # A phase never spends more than its own budget: its population shrinks to fit.
    if budget < 4:
        raise UsageError(f"{info.get('strategy')} phase {info.get('phase', 1)}: budget {budget} is below the "
                         f"smallest population (4); raise search.budget")
    cfg = ctx.cfg
    pop = min(cfg.search.pop_size, budget)
    search = replace(cfg.search, budget=budget, pop_size=pop, n_offsprings=min(cfg.search.n_offsprings or pop, pop))
    info = _jsonable({**info, "seed": seed, "phase_budget": budget, "config": config_to_dict(cfg),
                      "phase_space": repr(embedding.space), "gene_names": list(embedding.space.gene_names),
                      "evaluator": evaluator.describe() if hasattr(evaluator, "describe") else type(evaluator).__name__})
    with folder_lock(out, what=f"{info.get('strategy')} phase {info.get('phase', 1)}"):
        state, rd = _open_or_create(ctx, embedding, evaluator, search, seed, out, info)
        log.info("%s: phase %s, budget %d, seed %d -> %s", info.get("strategy"), info.get("phase", 1), budget, seed,
                 out)
        bar = Progress(budget, ctx.progress, desc=f"{info.get('strategy')}" + (f" phase {info['phase']}"
                                                                             if "phase" in info else ""))
        hooks = [h for h in (bar, ctx.on_generation) if h is not None]
        try:
            state = run_until_done(state, rd, checkpoint_every=cfg.run.checkpoint_every,
                                   on_generation=lambda s: [h(s) for h in hooks], stop_after_gen=ctx.stop_after_gen)
        finally:
            bar.close()
            rd.close()
    return state, state.problem.cache.n_unique


def feasible_front(state: GAState) -> tuple[np.ndarray, np.ndarray]:
    """(X, F) of the feasible designs of a phase's current front."""
    X, F, G = front_arrays(state)
    ok = feasible_mask(G)
    return X[ok], F[ok]


def kept_rows(embedding: Embedding, state: GAState, positions: np.ndarray, max_rows: int) -> np.ndarray:
    """Base-gene values at ``positions`` of a phase's feasible front, at most ``max_rows`` of them
    (a spread: the best design of each objective first, then in order of the first objective)."""
    X, F = feasible_front(state)
    if not len(X):  # nothing feasible yet (a small phase-1 share): keep the least violating designs
        X, F, _ = front_arrays(state)
        if len(X):
            log.warning("phase 1 found no feasible design; keeping its %d least violating ones", min(len(X), max_rows))
    if len(X) > max_rows:
        keep = set(int(i) for i in np.argmin(F, axis=0))
        for i in np.argsort(F[:, 0], kind="stable"):
            if len(keep) >= max_rows:
                break
            keep.add(int(i))
        X = X[sorted(keep)]
    if not len(X):
        raise UsageError("phase 1 found no feasible design; relax the constraints or raise the budget")
    return np.unique(embedding.expand(X)[:, positions], axis=0)


def searched_log10(*phases: Embedding) -> float:
    """log10 of the number of designs the phases' spaces hold together (the semi-decoupled
    paper's measure of how much a strategy has to search)."""
    logs = np.array([p.log10_size() for p in phases])
    top = float(logs.max())
    return top + float(np.log10(np.sum(10.0 ** (logs - top))))


def result(ctx: Context, name: str, embedding: Embedding, state: GAState, phase_evals: list[int], t0: float,
           run_dirs: list[Path], details: dict[str, Any] | None = None,
           phases: Sequence[Embedding] | None = None) -> StrategyResult:
    """The strategy's result from its last phase, its front written into that phase's run
    directory (``front.csv``), so ``evo-codesign front/plot`` work on it. Each design is listed
    once (:func:`~evo_codesign.io.frames.distinct_designs`: rows differing only in genes without
    effect are one). ``phases``: every phase's space (default: the last one), whose total size
    goes into ``details["space_log10"]``."""
    details = {**(details or {}), "space_log10": searched_log10(*(phases or [embedding]))}
    base = ctx.base
    Xp, F, G = front_arrays(state)
    X = embedding.expand(Xp) if len(Xp) else np.zeros((0, ctx.base_space.n_var), dtype=np.int64)
    frame = design_frame(ctx.base_space, X, F, G, objective_names=base.objective_names,
                         objective_senses=base.objective_senses, constraint_names=base.constraint_names,
                         extras=state.problem.cache.extras(Xp) if len(Xp) else [], strategy=name, seed=ctx.seed,
                         gen=state.gen, constraint_scales=constraint_scales(base),
                         surrogate=getattr(base, "surrogate", None))
    frame, kept = distinct_designs(frame)
    F = F[kept] if len(F) else F
    with folder_lock(run_dirs[-1], what=f"{name} front"):
        RunDir(run_dirs[-1]).write_front(frame)
    return StrategyResult(name, ctx.seed, frame, F, sum(phase_evals), time.perf_counter() - t0, list(phase_evals),
                          details, run_dirs[-1], list(run_dirs), generations=state.gen)

"""NSGA-II's selection steps over arrays: the same rules and random draws as pymoo's ``NSGA2``,
without its per-individual bookkeeping.

pymoo reads a population's objectives, constraint violations, ranks and crowding distances one
``Individual.get`` at a time (each a ``hasattr`` and a property), three times per individual in
every survival's feasibility split and four times per tournament. Here every value is read once
per individual into an array and the rules run on the arrays: on the main job's population, a
survival of 100 individuals takes 0.27 ms instead of pymoo's 0.70 ms and 100 tournaments 0.16
instead of 0.48 ms (``benchmarks/fixed_costs.py``, 2026-12-01):

* :func:`dominance_and_crowding_tournament`: pymoo's ``binary_tournament`` with its
  ``comp_by_dom_and_crowding`` rule (the smaller violation wins when either is infeasible; else
  Pareto dominance, then the larger crowding distance), each tie decided by
  ``algorithm.random_state.choice([a, b])`` in tournament order, as pymoo draws them;
* :class:`RankAndCrowdingSurvival`: pymoo's ``RankAndCrowding`` (``Survival.do`` with the
  feasibility split, then non-dominated sorting and crowding), the split from one violation per
  individual;
* :class:`ArrayEvaluator`: pymoo's ``Evaluator`` storing objectives and constraints with
  :func:`set_each` (what ``Population.set`` stores, one individual at a time, without its
  per-call bookkeeping; the search's crossover, mutation and repair store genomes the same way);
* :class:`ArrayNSGA2`: pymoo's ``NSGA2`` with all three, and its optimum found from the same
  arrays. A generation's mating runs rounds of tournaments until it has enough children that are
  not duplicates (often several, as integer children repeat designs); the rounds read the
  population once.

The same seed gives the same runs as pymoo's own ``NSGA2`` bit for bit (``tests/test_nsga2.py``
runs both side by side).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.evaluator import Evaluator
from pymoo.core.population import Population
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.operators.survival.rank_and_crowding import RankAndCrowding
from pymoo.util import default_random_state
from pymoo.util.randomized_argsort import randomized_argsort

__all__ = ["dominance_and_crowding_tournament", "RankAndCrowdingSurvival", "ArrayNSGA2", "ArrayEvaluator",
           "violations", "set_each"]


def violations(pop: Any) -> np.ndarray:
    """Each individual's total constraint violation, pymoo's ``CV``, ``(n,)``. With pymoo's
    default constraint configuration (inequalities only, no scale, power or tolerance, summed:
    the configuration every individual of a search has; the first individual's is read) it is
    worked out for the whole population at once from the constraint values,
    ``sum(max(0, g)) + 0``, bit for bit what ``Individual.CV`` computes one individual at a
    time; otherwise it is read from each."""
    if not len(pop):
        return np.zeros(0)
    if _default_violation(pop[0].config):
        G, H = [ind.G for ind in pop], [ind.H for ind in pop]
        if all(len(h) == 0 for h in H) and len({len(g) for g in G}) == 1:
            G = np.array(G, dtype=float).reshape(len(pop), -1)
            # pymoo: the inequalities' sum plus the (empty) equalities' 0.0
            return (np.maximum(0.0, G - 0.0).sum(axis=1) if G.shape[1] else np.zeros(len(pop))) + 0.0
    return np.array([ind.CV[0] for ind in pop], dtype=float)


def _default_violation(config: dict) -> bool:
    ieq = config.get("cv_ieq", {})
    return (ieq.get("eps", 0.0) == 0.0 and ieq.get("scale") is None and ieq.get("pow") is None
            and ieq.get("func") is np.sum)


def _feasible_tolerance(pop: Any) -> float:
    return float(pop[0].config.get("cv_eps", 0.0)) if len(pop) else 0.0


def dominance_and_crowding_tournament(pop: Any, P: np.ndarray, algorithm: Any, **kwargs: Any) -> np.ndarray:
    """Winners of the binary tournaments ``P`` (``(n, 2)`` indices into ``pop``), ``(n, 1)``:
    pymoo's ``binary_tournament`` rule for NSGA-II (``comp_by_dom_and_crowding``) and its draws."""
    n_tournaments, n_parents = P.shape
    if n_parents != 2:
        raise ValueError("Only implemented for binary tournament!")
    if algorithm.tournament_type != "comp_by_dom_and_crowding":
        raise ValueError(f"tournament type {algorithm.tournament_type!r}: only comp_by_dom_and_crowding is "
                         f"implemented over arrays")
    S = np.full(n_tournaments, np.nan)
    if not n_tournaments:
        return S[:, None].astype(int, copy=False)
    a, b = P[:, 0], P[:, 1]
    cv, crowding, F = _tournament_arrays(pop, P, algorithm)
    infeasible = (cv[a] > 0.0) | (cv[b] > 0.0)
    # either infeasible: the smaller violation wins
    S[infeasible & (cv[a] < cv[b])] = a[infeasible & (cv[a] < cv[b])]
    S[infeasible & (cv[a] > cv[b])] = b[infeasible & (cv[a] > cv[b])]
    # both feasible: Pareto dominance (pymoo's Dominator.get_relation on the objectives), then crowding
    better = (F[a] < F[b]).any(axis=1)
    worse = (F[b] < F[a]).any(axis=1)
    feasible = ~infeasible
    S[feasible & better & ~worse] = a[feasible & better & ~worse]
    S[feasible & worse & ~better] = b[feasible & worse & ~better]
    open_ = feasible & np.isnan(S)
    S[open_ & (crowding[a] > crowding[b])] = a[open_ & (crowding[a] > crowding[b])]
    S[open_ & (crowding[a] < crowding[b])] = b[open_ & (crowding[a] < crowding[b])]
    for i in np.flatnonzero(np.isnan(S)):  # ties: a coin each, in tournament order, as pymoo draws them
        S[i] = algorithm.random_state.choice([a[i], b[i]])
    return S[:, None].astype(int, copy=False)


def _tournament_arrays(pop: Any, P: np.ndarray, algorithm: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Violation, crowding distance and objectives by population position, each individual read
    once. An :class:`ArrayNSGA2` mating (several rounds of tournaments on the same population
    while duplicates are replaced) reads the whole population once and keeps the arrays until
    its mating ends; otherwise only the individuals in ``P`` are read (the rest are NaN)."""
    held = getattr(algorithm, "_mating_arrays", None)
    if held and held[0] is pop:
        return held[1]
    whole = held is not None  # in an ArrayNSGA2's mating
    used = np.arange(len(pop)) if whole else np.unique(P)
    inds = pop[used]
    try:
        F_used = np.array([ind.F for ind in inds], dtype=float)
    except ValueError:  # objectives missing on some individual: read only those in the tournaments
        if not whole:
            raise
        used, whole = np.unique(P), False
        inds = pop[used]
        F_used = np.array([ind.F for ind in inds], dtype=float)
    cv, crowding = np.full(len(pop), np.nan), np.full(len(pop), np.nan)
    cv[used] = violations(inds)
    crowding[used] = [np.nan if c is None else c for c in (ind.data.get("crowding") for ind in inds)]
    F = np.full((len(pop), F_used.shape[1]), np.nan)
    F[used] = F_used
    if whole:
        algorithm._mating_arrays = (pop, (cv, crowding, F))
    return cv, crowding, F


class RankAndCrowdingSurvival(RankAndCrowding):
    """pymoo's ``RankAndCrowding`` (NSGA-II's survival) with its feasibility split and its
    bookkeeping over arrays: feasible individuals by non-dominated sorting and crowding distance,
    then the least violating infeasible ones."""

    @default_random_state
    def do(self, problem: Any, pop: Any, *args: Any, n_survive: int | None = None, random_state: Any = None,
           return_indices: bool = False, **kwargs: Any) -> Any:
        if len(pop) == 0:
            return pop
        n_survive = len(pop) if n_survive is None else min(n_survive, len(pop))
        if self.filter_infeasible and problem.has_constraints():
            cv = violations(pop)
            ok = cv <= _feasible_tolerance(pop)
            feas, infeas = np.where(ok)[0], np.where(~ok)[0]
            infeas = infeas[np.argsort(cv[infeas])]
            survivors = (Population() if len(feas) == 0 else
                         self._do(problem, pop[feas], *args, n_survive=min(len(feas), n_survive),
                                  random_state=random_state, **kwargs))
            n_remaining = n_survive - len(survivors)
            if n_remaining > 0:
                survivors = Population.merge(survivors, pop[infeas[:n_remaining]])
        else:
            survivors = self._do(problem, pop, *args, n_survive=n_survive, random_state=random_state, **kwargs)
        if return_indices:
            where = {ind: k for k, ind in enumerate(pop)}
            return [where[s] for s in survivors]
        return survivors

    def _do(self, problem: Any, pop: Any, *args: Any, random_state: Any = None, n_survive: int | None = None,
            **kwargs: Any) -> Any:
        F = np.array([ind.F for ind in pop]).astype(float, copy=False)
        survivors: list[int] = []
        for k, front in enumerate(self.nds.do(F, n_stop_if_ranked=n_survive)):
            keep = np.arange(len(front))
            if len(survivors) + len(keep) > n_survive:  # the splitting front: the most crowded leave
                n_remove = len(survivors) + len(front) - n_survive
                crowding = self.crowding_func.do(F[front, :], n_remove=n_remove)
                keep = randomized_argsort(crowding, order="descending", method="numpy",
                                          random_state=random_state)[:-n_remove]
            else:
                crowding = self.crowding_func.do(F[front, :], n_remove=0)
            for j, i in enumerate(front):  # what Individual.set stores for these keys
                pop[i].data["rank"] = k
                pop[i].data["crowding"] = crowding[j]
            survivors.extend(front[keep])
        return pop[survivors]


def set_each(pop: Any, key: str, values: Any) -> None:
    """``pop.set(key, values)`` for one value per individual, as pymoo stores them (a row that
    is a view of a larger array is copied, so no individual holds the whole batch), without
    ``Population.set``'s per-call bookkeeping; anything else goes to pymoo's own."""
    if not (hasattr(values, "__len__") and not isinstance(values, str)) or len(values) != len(pop):
        pop.set(key, values)
        return
    for ind, v in zip(pop, values):
        if isinstance(v, np.ndarray) and not v.flags["OWNDATA"]:
            v = v.copy()
        ind.set(key, v)


class ArrayEvaluator(Evaluator):
    """pymoo's ``Evaluator`` storing each evaluated value through :func:`set_each`."""

    def _eval(self, problem: Any, pop: Any, evaluate_values_of: Any, **kwargs: Any) -> None:
        out = problem.evaluate(np.array([ind.X for ind in pop]), return_values_of=evaluate_values_of,
                               return_as_dictionary=True, **kwargs)
        for key, val in out.items():
            if val is not None:
                set_each(pop, key, val)
        for ind in pop:
            ind.evaluated.update(out.keys())


class ArrayNSGA2(NSGA2):
    """pymoo's ``NSGA2`` with :func:`dominance_and_crowding_tournament` and
    :class:`RankAndCrowdingSurvival` (unless others are given), and its optimum (the first front,
    else the least violating design) found over arrays."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("selection", TournamentSelection(func_comp=dominance_and_crowding_tournament))
        kwargs.setdefault("survival", RankAndCrowdingSurvival())
        kwargs.setdefault("evaluator", ArrayEvaluator())
        super().__init__(**kwargs)

    #: in a mating: the population it selects from and its tournament arrays
    #: (:func:`_tournament_arrays`), ``()`` until the first tournament; ``None`` outside a
    #: mating, so checkpoints never hold them
    _mating_arrays: Any = None

    def _infill(self) -> Any:
        self._mating_arrays = ()
        try:
            return super()._infill()
        finally:
            self._mating_arrays = None

    def _set_optimum(self, **kwargs: Any) -> None:
        cv = violations(self.pop)
        if not np.any(cv <= _feasible_tolerance(self.pop)):
            self.opt = self.pop[[np.argmin(cv)]]
        else:
            self.opt = self.pop[np.array([ind.data.get("rank") == 0 for ind in self.pop], dtype=bool)]

"""The search engines a run can use: pymoo's multi-objective algorithms over the joint genome.

``[search] algorithm`` names one entry of :data:`ALGORITHMS`; ``[search] operators`` one of
:data:`OPERATORS`. Every algorithm gets the space's own sampling, repair and duplicate elimination
(:mod:`evo_codesign.operators`), so every design it evaluates is a valid genome and no design is
evaluated twice in one generation:

=========  ====================================================================================
nsga2      NSGA-II (Deb et al. 2002), pymoo ``NSGA2``; the default
nsga3      NSGA-III (Deb & Jain 2014), pymoo ``NSGA3``, one reference direction per population member
smsemoa    SMS-EMOA (Beume et al. 2007), pymoo ``SMSEMOA`` (least hypervolume contribution survival)
moead      MOEA/D (Zhang & Li 2007), pymoo's batched ``ParallelMOEAD``, with constraints handled
           by Deb's feasibility rules in the replacement (see :class:`ConstrainedMOEAD`)
agemoea    AGE-MOEA (Panichella 2019), pymoo ``AGEMOEA``
random     random search: ``pop_size`` new designs per generation from the space's own sampler,
           none drawn before; its front is every design's non-dominated set (:class:`RandomSearch`)
=========  ====================================================================================

Operators (crossover + mutation; ``random`` has none):

* ``space``: :class:`~evo_codesign.operators.BlockUniformCrossover` + :class:`~evo_codesign.operators.SpaceMutation`
  (``search.crossover_prob``, ``swap_prob``, ``mutation_prob_var``, ``long_jump``);
* ``pymoo-default``: pymoo's SBX and polynomial mutation, both with ``eta = 15``, on the genes as
  floats and rounded (pymoo's documented recipe for integer variables: ``vtype=float,
  repair=RoundingRepair()``), then :class:`~evo_codesign.operators.SpaceRepair`, without which
  such children are not genomes (a cell node's two inputs can coincide: ``GenomeError``).

Reference directions (NSGA-III, MOEA/D): exactly ``pop_size`` of them. With two objectives,
Das and Dennis' uniform simplex lattice with ``pop_size - 1`` partitions (which has exactly
``pop_size`` points, evenly spaced); with more, Riesz s-energy directions (Blank et al. 2021,
"Generating well-spaced points on a unit simplex for reference directions in many-objective
optimization", IEEE TEVC 25(1)), from pymoo's ``get_reference_directions("energy", n_obj,
n_points=pop_size, seed=1)``. Their seed is fixed (:data:`REF_DIRS_SEED`): the directions are
part of the algorithm's configuration, the same for every run seed, so runs differ only by the
run's own seed.

Adding an engine is one :func:`register` call with a builder ``(space, search, n_obj) -> pymoo
Algorithm`` (README "Search engines" has an example; ``tests/test_algorithms.py`` registers SPEA2).
The builder must use pymoo's ``random_state`` only (``setup(seed=...)`` fixes it) and give the
algorithm ``n_offsprings`` (the most new designs a generation evaluates, which the budget needs:
:func:`offspring_per_generation`) or at least ``pop_size``. ``evo_codesign.config`` reads the
registered names when a config is validated, so engines registered after import are accepted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from pymoo.algorithms.moo.age import AGEMOEA
from pymoo.algorithms.moo.moead import ParallelMOEAD, default_decomp
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.algorithms.moo.sms import SMSEMOA, cv_and_dom_tournament
from pymoo.core.algorithm import Algorithm
from pymoo.core.initialization import Initialization
from pymoo.core.population import Population
from pymoo.core.repair import NoRepair
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.util.display.multi import MultiObjectiveOutput
from pymoo.util.optimum import filter_optimum
from pymoo.util.ref_dirs import get_reference_directions
from scipy.spatial.distance import cdist

from .nsga2 import ArrayNSGA2
from .operators import (BlockUniformCrossover, CanonicalDuplicates, SpaceMutation, SpaceRepair, SpaceSampling,
                        canonical_genomes)
from .registry import Registry

if TYPE_CHECKING:  # pragma: no cover
    from .config import SearchConfig
    from .space.joint import JointSpace

__all__ = ["AlgorithmSpec", "OperatorSpec", "ALGORITHMS", "OPERATORS", "register", "register_operators",
           "unregister", "available", "operator_sets", "get", "build_algorithm", "space_operators",
           "pymoo_default_operators", "reference_directions", "offspring_per_generation", "RandomSearch",
           "ConstrainedMOEAD", "canonical_digests", "cv_then_random_tournament", "cv_and_dominance_tournament",
           "REF_DIRS_SEED", "PYMOO_ETA"]

#: seed of the Riesz s-energy reference directions (fixed: see the module docstring)
REF_DIRS_SEED = 1
#: distribution index of the "pymoo-default" SBX and polynomial mutation: pymoo's own default for
#: SBX (``pymoo/operators/crossover/sbx.py``, ``eta=15``), used for both as the issue asks
PYMOO_ETA = 15.0


@dataclass(frozen=True)
class AlgorithmSpec:
    """One search engine: ``build(space, search, n_obj)`` returns a fresh pymoo algorithm, not yet set up."""

    name: str
    build: Callable[..., Any]
    doc: str = ""


@dataclass(frozen=True)
class OperatorSpec:
    """One operator set: ``build(space, search)`` returns ``(crossover, mutation)``."""

    name: str
    build: Callable[..., tuple[Any, Any]]
    doc: str = ""


ALGORITHMS: Registry[AlgorithmSpec] = Registry("search algorithm")
OPERATORS: Registry[OperatorSpec] = Registry("operator set")


def register(name: str, build: Callable[..., Any], *, doc: str = "", replace: bool = False) -> AlgorithmSpec:
    """Make ``[search] algorithm = name`` build ``build(space, search, n_obj)``."""
    return ALGORITHMS.add(name, AlgorithmSpec(name, build, doc), replace=replace)


def register_operators(name: str, build: Callable[..., tuple[Any, Any]], *, doc: str = "",
                       replace: bool = False) -> OperatorSpec:
    """Make ``[search] operators = name`` use ``build(space, search) -> (crossover, mutation)``."""
    return OPERATORS.add(name, OperatorSpec(name, build, doc), replace=replace)


def unregister(name: str) -> None:
    """Remove a registered algorithm (tests that register toy ones clean up with this)."""
    ALGORITHMS.remove(name)


def available() -> list[str]:
    """Registered algorithm names, in registration order (the choices of ``search.algorithm``)."""
    return ALGORITHMS.names()


def operator_sets() -> list[str]:
    """Registered operator sets (the choices of ``search.operators``)."""
    return OPERATORS.names()


def _config_error(key: str, name: str, allowed: list[str]) -> Exception:
    from .config import ConfigError  # config reads this module's names lazily; keep the import cycle-free

    return ConfigError(f"{key}: unknown value {name!r}; allowed: {allowed}")


def get(name: str) -> AlgorithmSpec:
    """The registered algorithm, or :class:`~evo_codesign.config.ConfigError` naming
    ``search.algorithm`` and the registered names."""
    if name not in ALGORITHMS:
        raise _config_error("search.algorithm", name, available())
    return ALGORITHMS[name]


def _operators(name: str) -> OperatorSpec:
    if name not in OPERATORS:
        raise _config_error("search.operators", name, operator_sets())
    return OPERATORS[name]


def build_algorithm(space: "JointSpace", search: "SearchConfig", n_obj: int) -> Any:
    """The configured algorithm (``search.algorithm``, ``search.operators``) for ``space`` with
    ``n_obj`` objectives; call its ``setup(problem, seed=..., termination=...)`` next."""
    spec = get(search.algorithm)
    _operators(search.operators)  # an unknown set is an error even for an engine that ignores it
    return spec.build(space, search, n_obj)


# -- operator sets ---------------------------------------------------------------------------------

def space_operators(space: "JointSpace", search: "SearchConfig") -> tuple[Any, Any]:
    """Block-uniform crossover and the space's mutation (:mod:`evo_codesign.operators`)."""
    return (BlockUniformCrossover(space, prob=search.crossover_prob, swap_prob=search.swap_prob),
            SpaceMutation(space, prob_var=search.mutation_prob_var or None, long_jump=search.long_jump))


def pymoo_default_operators(space: "JointSpace", search: "SearchConfig") -> tuple[Any, Any]:
    """pymoo's SBX + polynomial mutation for integer genes (floats, rounded). The algorithm's
    repair (:class:`~evo_codesign.operators.SpaceRepair`) then makes every child a genome.
    ``search.crossover_prob`` and ``mutation_prob_var`` (0: pymoo's ``min(0.5, 1 / n_var)``) apply."""
    return (SBX(prob=search.crossover_prob, eta=PYMOO_ETA, vtype=float, repair=RoundingRepair()),
            PM(prob_var=search.mutation_prob_var or None, eta=PYMOO_ETA, vtype=float, repair=RoundingRepair()))


register_operators("space", space_operators, doc="block-uniform crossover + the space's mutation (default)")
register_operators("pymoo-default", pymoo_default_operators,
                   doc=f"pymoo's SBX + polynomial mutation, eta {PYMOO_ETA:g}, rounded, then SpaceRepair")


# -- reference directions --------------------------------------------------------------------------

@lru_cache(maxsize=32)
def _ref_dirs(n_obj: int, n_points: int) -> np.ndarray:
    if n_obj == 2:
        return get_reference_directions("das-dennis", 2, n_partitions=n_points - 1)
    # s-energy takes 1-3 s for 50-200 points on the development machine: cached per process
    return get_reference_directions("energy", n_obj, n_points=n_points, seed=REF_DIRS_SEED)


def reference_directions(n_obj: int, n_points: int) -> np.ndarray:
    """``n_points`` reference directions on the unit simplex in ``n_obj`` dimensions (a copy)."""
    if n_obj < 2 or n_points < 2:
        raise ValueError(f"reference directions need n_obj >= 2 and n_points >= 2, got {n_obj}, {n_points}")
    R = _ref_dirs(int(n_obj), int(n_points)).copy()
    assert len(R) == n_points, (len(R), n_points)
    return R


# -- budget helper ---------------------------------------------------------------------------------

def offspring_per_generation(algorithm: Any) -> int:
    """The most new designs one generation of ``algorithm`` evaluates: its ``n_offsprings``
    (every algorithm here, MOEA/D's batched form included), else its ``pop_size``."""
    for attr in ("n_offsprings", "pop_size"):
        n = getattr(algorithm, attr, None)
        if n is not None:
            return int(n)
    raise TypeError(f"{type(algorithm).__name__} has neither n_offsprings nor pop_size: the budget needs the most "
                    f"new designs one generation evaluates")


# -- random search ---------------------------------------------------------------------------------

def canonical_digests(space: "JointSpace", X: np.ndarray) -> list[bytes]:
    """16-byte digests of the canonical genomes (the equivalence of
    :class:`~evo_codesign.operators.CanonicalDuplicates`); small enough to keep one per design."""
    K = np.ascontiguousarray(canonical_genomes(space, np.rint(np.asarray(X)).astype(np.int64)))
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in K]


class RandomSearch(Algorithm):
    """Random search as a pymoo algorithm: each generation draws ``pop_size`` designs with
    ``sampling``, repairs them, and keeps only designs never drawn before (``keys``: digests of
    the canonical genome); its population (and front) is the non-dominated set of every design
    evaluated, feasible ones first (pymoo's ``filter_optimum``)."""

    def __init__(self, pop_size: int, sampling: Any, keys: Callable[[np.ndarray], list[bytes]], *,
                 repair: Any = None, n_max_iterations: int = 100, **kwargs: Any) -> None:
        super().__init__(output=MultiObjectiveOutput(), **kwargs)
        self.pop_size = int(pop_size)
        self.n_offsprings = int(pop_size)
        self.sampling = sampling
        self.repair = repair if repair is not None else NoRepair()
        self.keys = keys
        self.n_max_iterations = int(n_max_iterations)
        self.seen: set[bytes] = set()

    def _draw(self, n: int):
        parts, have = [], 0
        for _ in range(self.n_max_iterations):
            if have >= n:
                break
            cand = self.sampling.do(self.problem, n - have, random_state=self.random_state)
            cand = self.repair(self.problem, cand, random_state=self.random_state)
            keep = []
            for i, k in enumerate(self.keys(cand.get("X"))):
                if k not in self.seen:
                    self.seen.add(k)
                    keep.append(i)
            if keep:
                parts.append(cand[keep])
                have += len(keep)
        if not parts:
            return Population.empty()
        return parts[0] if len(parts) == 1 else Population.merge(*parts)

    def _survive(self, pop):
        return filter_optimum(pop, least_infeasible=True)

    def _initialize_infill(self):
        return self._draw(self.pop_size)

    def _initialize_advance(self, infills=None, **kwargs):
        self.pop = self._survive(infills)

    def _infill(self):
        off = self._draw(self.n_offsprings)
        if len(off) == 0:  # the space is exhausted (or nearly): nothing new to draw
            self.termination.force_termination = True
            return None
        return off

    def _advance(self, infills=None, **kwargs):
        if infills is not None and len(infills):
            self.pop = self._survive(Population.merge(self.pop, infills))


# -- MOEA/D with constraints -----------------------------------------------------------------------

class ConstrainedMOEAD(ParallelMOEAD):
    """pymoo's batched MOEA/D (``ParallelMOEAD``: a generation's offspring are evaluated as one
    batch) with constraints: an offspring replaces a neighbour when its total violation is lower,
    or, at equal violation (both feasible), when its decomposed value is lower. That is Deb's
    feasibility rules (Deb 2000, CMAME 186) applied per subproblem, the CDP variant studied for
    MOEA/D by Jan & Khanum (2013, Applied Soft Computing 13(1)). pymoo's own MOEA/D refuses
    constrained problems."""

    def _setup(self, problem, **kwargs):
        # pymoo's MOEAD._setup without its "no constraints" assertion (ref_dirs always given here)
        self.pop_size = len(self.ref_dirs)
        self.neighbors = np.argsort(cdist(self.ref_dirs, self.ref_dirs), axis=1, kind="quicksort")[:, :self.n_neighbors]
        if self.decomposition is None:
            self.decomposition = default_decomp(problem)

    def _replace(self, k, off):
        pop = self.pop
        N = self.neighbors[k]
        FV = self.decomposition.do(pop[N].get("F"), weights=self.ref_dirs[N, :], ideal_point=self.ideal)
        off_FV = self.decomposition.do(off.F[None, :], weights=self.ref_dirs[N, :], ideal_point=self.ideal)
        cv, off_cv = pop[N].get("CV")[:, 0], float(off.CV[0])
        better = (off_cv < cv) | ((off_cv == cv) & (off_FV < FV))
        pop[N[np.flatnonzero(better)]] = off


# -- tournaments that survive a checkpoint --------------------------------------------------------
# pymoo's own NSGA-III and SMS-EMOA tournaments are wrapped by its ``default_random_state``
# decorator, which pickle cannot store by name, so a checkpoint of either would fail; these are
# module-level functions with the same rules, drawing only from the algorithm's random_state.

def cv_then_random_tournament(pop, P, random_state=None, **kwargs):
    """NSGA-III's binary tournament (Deb & Jain 2014; constraints as in Jain & Deb 2014): the
    smaller total constraint violation wins; at equal violation (both feasible) a fair coin from
    ``random_state``. pymoo's ``comp_by_cv_then_random`` breaks violation ties with an unseeded
    generator; this one does not."""
    cv = pop.get("CV")[:, 0]
    a, b = P[:, 0], P[:, 1]
    coin = random_state.random(len(P)) < 0.5
    S = np.where(cv[a] == cv[b], np.where(coin, a, b), np.where(cv[a] < cv[b], a, b))
    return S[:, None].astype(int)


def cv_and_dominance_tournament(pop, P, *args, random_state=None, **kwargs):
    """SMS-EMOA's tournament (pymoo's ``cv_and_dom_tournament``: violation, then Pareto dominance,
    then a coin from ``random_state``), callable from a pickled algorithm."""
    return cv_and_dom_tournament(pop, P, *args, random_state=random_state, **kwargs)


# -- builders --------------------------------------------------------------------------------------

def _common(space: "JointSpace") -> dict[str, Any]:
    return {"sampling": SpaceSampling(space), "repair": SpaceRepair(space),
            "eliminate_duplicates": CanonicalDuplicates(space)}


def _variation(space: "JointSpace", search: "SearchConfig") -> dict[str, Any]:
    crossover, mutation = _operators(search.operators).build(space, search)
    return {"crossover": crossover, "mutation": mutation}


def _n_offsprings(search: "SearchConfig") -> int:
    return search.n_offsprings or search.pop_size


def build_nsga2(space: "JointSpace", search: "SearchConfig", n_obj: int = 2) -> Any:
    """NSGA-II with the configured operators; with the "space" set it is the engine's NSGA-II
    from before this module existed, so default runs are bit-identical. pymoo's ``NSGA2`` with
    its selection steps over arrays (:mod:`evo_codesign.nsga2`: the same rules and draws)."""
    return ArrayNSGA2(pop_size=search.pop_size, n_offsprings=_n_offsprings(search), **_common(space),
                      **_variation(space, search))


def _build_nsga3(space, search, n_obj):
    return NSGA3(ref_dirs=reference_directions(n_obj, search.pop_size), pop_size=search.pop_size,
                 n_offsprings=_n_offsprings(search), selection=TournamentSelection(func_comp=cv_then_random_tournament),
                 **_common(space), **_variation(space, search))


def _build_smsemoa(space, search, n_obj):
    return SMSEMOA(pop_size=search.pop_size, n_offsprings=_n_offsprings(search),
                   selection=TournamentSelection(func_comp=cv_and_dominance_tournament),
                   **_common(space), **_variation(space, search))


def _build_agemoea(space, search, n_obj):
    return AGEMOEA(pop_size=search.pop_size, n_offsprings=_n_offsprings(search),
                   **_common(space), **_variation(space, search))


def _build_moead(space, search, n_obj):
    c = _common(space)
    algo = ConstrainedMOEAD(reference_directions(n_obj, search.pop_size), sampling=c["sampling"],
                            repair=c["repair"], n_offsprings=_n_offsprings(search), **_variation(space, search))
    # MOEA/D's mating keeps every offspring (one per subproblem: pymoo's ParallelMOEAD reshapes
    # them by subproblem), so duplicates cost a cache hit, not an evaluation; the initial
    # population is drawn without duplicates like every other engine's.
    algo.initialization = Initialization(c["sampling"], repair=c["repair"], eliminate_duplicates=c["eliminate_duplicates"])
    return algo


def _build_random(space, search, n_obj):
    return RandomSearch(search.pop_size, SpaceSampling(space), partial(canonical_digests, space),
                        repair=SpaceRepair(space))


register("nsga2", build_nsga2, doc="NSGA-II (Deb et al. 2002); the default")
register("nsga3", _build_nsga3, doc="NSGA-III (Deb & Jain 2014), pop_size reference directions")
register("smsemoa", _build_smsemoa, doc="SMS-EMOA (Beume et al. 2007)")
register("moead", _build_moead, doc="MOEA/D (Zhang & Li 2007), batched, feasibility rules in the replacement")
register("agemoea", _build_agemoea, doc="AGE-MOEA (Panichella 2019)")
register("random", _build_random, doc="random search: pop_size new designs per generation (no operators)")

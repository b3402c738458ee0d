"""Genetic operators for the joint genome (pymoo), driven only by pymoo's ``random_state``.

* :class:`SpaceSampling` draws uniform valid genomes through the space's own samplers.
* :class:`BlockUniformCrossover` swaps crossover *blocks* between two parents with probability
  ``swap_prob`` each: single genes, except a cell node's two (op, input) pairs, which move together
  so a child never inherits half a node.
* :class:`SpaceMutation` mutates each gene with probability ``prob_var`` (default 1 / n_var):
  categorical genes jump to another category, ordinal genes step to a neighbouring value (one
  step, or further with probability ``long_jump``), cell inputs avoid their node partner's input.
* :class:`SpaceRepair` maps anything onto the space; :class:`CanonicalDuplicates` treats designs
  whose cells differ only in the order of a node's two edges as the same design.

Crossover, mutation and repair keep pymoo's ``do`` (its random draws, in its order, and what it
stores on each individual) but read and set the genomes one individual at a time instead of
through ``Population.get`` / ``Population.set`` (``tests/test_operators.py`` checks them against
pymoo's own ``do`` bit for bit).
"""

from __future__ import annotations

import hashlib
from copy import deepcopy
from typing import Any

import numpy as np
from pymoo.core.crossover import Crossover
from pymoo.core.duplicate import DuplicateElimination
from pymoo.core.mutation import Mutation
from pymoo.core.population import Population
from pymoo.core.repair import Repair
from pymoo.core.sampling import Sampling
from pymoo.core.variable import get as _variable_value
from pymoo.util import default_random_state

from .nsga2 import set_each
from .space.cell import CellSegment, canonicalize
from .space.joint import JointSpace

__all__ = ["SpaceSampling", "BlockUniformCrossover", "SpaceMutation", "SpaceRepair", "CanonicalDuplicates",
           "canonical_genomes"]


def _rng(random_state) -> np.random.Generator:
    if not isinstance(random_state, np.random.Generator):
        raise TypeError("operators need pymoo's random_state (a numpy Generator); pass seed= to minimize()")
    return random_state


def canonical_genomes(space: JointSpace, X: np.ndarray) -> np.ndarray:
    """Genomes with every cell node's edges in canonical order (same network, same key)."""
    A = np.asarray(X, dtype=np.int64)
    if "cell" not in space or not isinstance(space["cell"], CellSegment):  # e.g. op genes of a fixed topology
        return A
    A = A.copy()
    sl = space.slices["cell"]
    A[..., sl] = canonicalize(A[..., sl])
    return A


def genome_key(canonical: np.ndarray) -> bytes:
    """The key of one canonical genome: a 128-bit BLAKE2b digest of its int64 bytes (16 bytes to
    store and index, collisions out of reach: about 2^-64 at 2^32 designs)."""
    return hashlib.blake2b(np.ascontiguousarray(canonical, dtype=np.int64).tobytes(), digest_size=16).digest()


class CanonicalKeys:
    """Keys of genome rows (:func:`genome_key` of their :func:`canonical_genomes`), remembered by
    the row's own bytes, so each individual is canonicalised once however often the GA's duplicate
    elimination and the evaluation cache ask. The memory is not pickled."""

    def __init__(self, space: JointSpace, max_size: int = 200_000) -> None:
        self.space, self.max_size = space, int(max_size)
        self._memo: dict[bytes, bytes] = {}

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_memo": {}}

    def __call__(self, X: np.ndarray) -> list[bytes]:
        A = np.asarray(X)
        A = np.ascontiguousarray(np.rint(A).astype(np.int64) if A.dtype.kind == "f" else A, dtype=np.int64)
        return self._keys([r.tobytes() for r in A])

    def of_population(self, pop: Any) -> list[bytes]:
        """The keys of a pymoo population's genomes. Duplicate elimination asks for the same
        individuals several times a generation, so each individual carries its key beside the
        genome it was computed from (``_evo_key``: the ``X`` array object and the key); a genome
        set anew (pymoo always sets a new array) is keyed anew. The rest are read one individual
        at a time rather than through ``pop.get("X")`` (``benchmarks/fixed_costs.py``)."""
        keys: list[bytes | None] = []
        todo: list[int] = []
        for i, ind in enumerate(pop):
            held = ind.__dict__.get("_evo_key")
            if held is not None and held[0] is ind.X:
                keys.append(held[1])
            else:
                keys.append(None)
                todo.append(i)
        if todo:
            xs = [pop[i].X for i in todo]
            for i, x, k in zip(todo, xs, self._keys([x.tobytes() if x.dtype == np.int64 else
                                                     np.rint(x).astype(np.int64).tobytes() for x in xs])):
                pop[i].__dict__["_evo_key"] = (x, k)
                keys[i] = k
        return keys  # type: ignore[return-value]

    def _keys(self, raw: list[bytes]) -> list[bytes]:
        """The keys of int64 genome rows given as their bytes."""
        memo = self._memo
        missing = [i for i, r in enumerate(raw) if r not in memo]
        if missing:
            if len(memo) + len(missing) > self.max_size:
                memo.clear()
                missing = list(range(len(raw)))
            A = np.frombuffer(b"".join(raw[i] for i in missing), dtype=np.int64).reshape(len(missing), -1)
            K = np.ascontiguousarray(canonical_genomes(self.space, A))
            for i, k in zip(missing, K):
                memo[raw[i]] = genome_key(k)
        return [memo[r] for r in raw]


def _population_of(X: np.ndarray) -> Population:
    """``Population.new("X", X)``: one new individual per row, each with its own copy."""
    pop = Population.empty(len(X))
    set_each(pop, "X", X)
    return pop


class SpaceSampling(Sampling):
    def __init__(self, space: JointSpace) -> None:
        super().__init__()
        self.space = space

    def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
        return self.space.sample(_rng(random_state), n_samples)


class BlockUniformCrossover(Crossover):
    """Two parents -> two children by swapping whole blocks, each with probability ``swap_prob``."""

    def __init__(self, space: JointSpace, *, prob: float = 0.9, swap_prob: float = 0.5) -> None:
        super().__init__(2, 2, prob=prob)
        if not 0.0 <= swap_prob <= 1.0:
            raise ValueError(f"swap_prob must be in [0, 1], got {swap_prob}")
        self.space = space
        self.swap_prob = swap_prob
        blocks = space.blocks()
        self._block_of = np.empty(space.n_var, dtype=np.int64)
        for b, idx in enumerate(blocks):
            self._block_of[idx] = b
        self._n_blocks = len(blocks)

    @default_random_state
    def do(self, problem, pop, parents=None, *args, random_state=None, **kwargs):
        """pymoo's ``Crossover.do`` (the same draws and children) with the parents' genomes read
        once per individual and the children set directly, not through ``Individual.get`` /
        ``Population.set`` per gene vector."""
        matings = pop if parents is None else [[pop[i] for i in mating] for mating in parents]
        X = np.swapaxes(np.array([[parent.X for parent in mating] for mating in matings]), 0, 1)
        if self.vtype is not None:
            X = X.astype(self.vtype)
        _, n_matings, n_var = X.shape
        Xp = np.empty(shape=(self.n_offsprings, n_matings, n_var), dtype=X.dtype)
        cross = random_state.random(n_matings) < _variable_value(self.prob, size=n_matings)
        if np.any(cross):
            Q = self._do(problem, X, *args, random_state=random_state, **kwargs)
            Xp[:, cross] = Q[:, cross]
        Xp[:, ~cross] = X[:, ~cross]  # two parents, two children: the parents themselves
        return _population_of(Xp.reshape(-1, n_var))

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        rng = _rng(random_state)
        _, n_matings, _ = X.shape
        swap_blocks = rng.random((n_matings, self._n_blocks)) < self.swap_prob
        swap = swap_blocks[:, self._block_of]          # (n_matings, n_var)
        a, b = X[0].astype(np.int64), X[1].astype(np.int64)
        Q = np.empty((2, n_matings, X.shape[2]), dtype=np.int64)
        Q[0] = np.where(swap, b, a)
        Q[1] = np.where(swap, a, b)
        return Q


class SpaceMutation(Mutation):
    """Per-gene mutation that respects categorical/ordinal genes and cell node inputs."""

    def __init__(self, space: JointSpace, *, prob: float = 1.0, prob_var: float | None = None,
                 long_jump: float = 0.1) -> None:
        super().__init__(prob=prob)
        if prob_var is not None and not 0.0 < prob_var <= 1.0:
            raise ValueError(f"prob_var must be in (0, 1], got {prob_var}")
        self.space = space
        self.gene_prob = prob_var if prob_var is not None else 1.0 / space.n_var
        self.long_jump = long_jump
        self._n = space.n_choices
        self._ordinal = space.ordinal_mask

    @default_random_state
    def do(self, problem, pop, inplace=True, *args, random_state=None, **kwargs):
        """pymoo's ``Mutation.do`` (the same draws) with the genomes read and set once per
        individual, not through ``Population.get`` / ``Population.set``."""
        if not inplace:
            pop = deepcopy(pop)
        Xp = self._do(problem, np.array([ind.X for ind in pop]), *args, random_state=random_state, **kwargs)
        mut = random_state.random(size=len(pop)) <= _variable_value(self.prob, size=len(pop))
        set_each(pop[mut], "X", Xp[mut])
        return pop

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        rng = _rng(random_state)
        Xm = np.asarray(X, dtype=np.int64).copy()
        n, m = Xm.shape
        mask = (rng.random((n, m)) < self.gene_prob) & (self._n > 1)
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            return Xm
        cur = Xm[rows, cols]
        k = self._n[cols]
        # categorical: uniform among the other k - 1 categories
        cat = (cur + 1 + (rng.random(rows.size) * (k - 1)).astype(np.int64)) % k
        # ordinal: a step of +-1 (reflected at the ends), or a uniform jump with prob long_jump
        step = np.where(rng.random(rows.size) < 0.5, -1, 1)
        ordv = cur + step
        ordv = np.where(ordv < 0, 1, np.where(ordv >= k, k - 2, ordv))
        jump = rng.random(rows.size) < self.long_jump
        ordv = np.where(jump, cat, ordv)
        new = np.where(self._ordinal[cols], ordv, cat)
        Xm[rows, cols] = new
        # A cell input that now equals its node partner's input is moved on by the segment's own
        # deterministic repair (the node's second edge steps cyclically).
        return self.space.repair(Xm)


class SpaceRepair(Repair):
    def __init__(self, space: JointSpace) -> None:
        super().__init__()
        self.space = space

    def do(self, problem, pop, **kwargs):
        """pymoo's ``Repair.do``, the repaired genomes stored through :func:`~evo_codesign.nsga2.set_each`."""
        X = np.array([ind.X for ind in pop])
        if self.vtype is not None:
            X = X.astype(self.vtype)
        set_each(pop, "X", self._do(problem, X, **kwargs))
        return pop

    def _do(self, problem, X, **kwargs):
        return self.space.repair(np.asarray(X))


class CanonicalDuplicates(DuplicateElimination):
    """Duplicates up to the order of each cell node's two edges (hash set of canonical genomes)."""

    def __init__(self, space: JointSpace) -> None:
        super().__init__()
        self.space = space
        self.keys = CanonicalKeys(space)

    def __setstate__(self, state: dict) -> None:  # checkpoints of earlier versions had no key memory
        self.__dict__.update(state)
        if "keys" not in state:
            self.keys = CanonicalKeys(self.space)

    def _keys(self, pop) -> list[bytes]:
        return self.keys.of_population(pop)

    def _do(self, pop, other, is_duplicate):
        seen: set[bytes] = set()
        if other is not None and len(other):
            seen.update(self._keys(other))
        for i, k in enumerate(self._keys(pop)):
            if k in seen:
                is_duplicate[i] = True
            else:
                seen.add(k)
        return is_duplicate

    def do(self, pop, *args, return_indices=False, to_itself=True):
        """pymoo's contract in one pass: keep, in order, each design of ``pop`` whose key is in
        none of ``args`` and (``to_itself``) not taken by an earlier one of ``pop``; the keys of
        ``pop`` and of each of ``args`` are computed once."""
        if len(pop) == 0:
            return (pop, [], []) if return_indices else pop
        seen: set[bytes] = set()
        for arg in args:
            if arg is not None and len(arg):
                seen.update(self._keys(arg))
        keep = []
        for i, k in enumerate(self._keys(pop)):
            if k in seen:
                continue
            if to_itself:
                seen.add(k)
            keep.append(i)
        out = pop[keep]
        if return_indices:
            kept = set(keep)
            return out, keep, [i for i in range(len(pop)) if i not in kept]
        return out

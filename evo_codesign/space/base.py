"""Genes and segments: the search space as data.

A *segment* is an ordered tuple of genes; each gene is an index into its own tuple of choices.
Genomes are plain integer numpy arrays (one row per design), so the whole space can be handled
in batches. Segment subclasses add structural rules (e.g. distinct cell inputs) by overriding
``_structural_violations`` and ``_repair_structure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import EvoCodesignError

__all__ = ["Gene", "Segment", "GenomeError", "as_genome_batch"]


class GenomeError(EvoCodesignError):
    """A genome or a decoded design is not in the space. The message names segment and position."""


@dataclass(frozen=True)
class Gene:
    """One integer gene: the value ``i`` means ``choices[i]``.

    ``ordinal`` genes have ordered choices (mutation may step to a neighbour); categorical ones do
    not. ``unit`` is documentation only.
    """

    name: str
    choices: tuple
    ordinal: bool = False
    unit: str = ""

    def __post_init__(self) -> None:
        if len(self.choices) < 1:
            raise ValueError(f"gene {self.name!r} has no choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"gene {self.name!r} has duplicate choices {self.choices}")

    @property
    def n_choices(self) -> int:
        return len(self.choices)

    def index_of(self, value: Any, *, segment: str = "?") -> int:
        """Index of ``value`` among the choices; error names the gene and the allowed values."""
        for i, c in enumerate(self.choices):
            if _same_value(c, value):
                return i
        raise GenomeError(
            f"segment {segment!r}, gene {self.name!r}: value {value!r} is not one of {list(self.choices)}"
        )


def _same_value(c: Any, v: Any) -> bool:
    # 4 == 4.0 is the same choice, but "4" and True are not the number 4.
    if isinstance(c, (str, bool)) or isinstance(v, (str, bool)):
        return type(c) is type(v) and c == v
    return _is_num(c) and _is_num(v) and c == v


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def as_genome_batch(X: Any, n_var: int, *, what: str = "genome") -> tuple[np.ndarray, bool]:
    """Return ``(X2d, was_1d)`` with ``X2d`` an int64 array of shape (n, n_var).

    Float arrays (pymoo hands those around) are accepted when every value is integral.
    """
    A = np.asarray(X)
    was_1d = A.ndim == 1
    if was_1d:
        A = A[None, :]
    if A.ndim != 2:
        raise GenomeError(f"{what}: expected a 1-D genome or a 2-D batch, got shape {np.shape(X)}")
    if A.shape[1] != n_var:
        raise GenomeError(f"{what}: wrong length {A.shape[1]}, expected {n_var} genes")
    if A.dtype.kind == "f":
        if not np.all(np.isfinite(A)):
            bad = np.argwhere(~np.isfinite(A))[0]
            raise GenomeError(f"{what}: non-finite value at position {bad[-1]}")
        R = np.rint(A)
        if not np.array_equal(R, A):
            bad = np.argwhere(R != A)[0]
            raise GenomeError(f"{what}: non-integer value {float(A[tuple(bad)])} at position {bad[-1]}")
        A = R
    elif A.dtype.kind not in "iub":
        raise GenomeError(f"{what}: genes must be integers, got dtype {A.dtype}")
    return A.astype(np.int64, copy=False), was_1d


class Segment:
    """A named, fixed-length run of genes with encode/decode, validity, repair and sampling."""

    def __init__(self, name: str, genes: Sequence[Gene], doc: str = "") -> None:
        names = [g.name for g in genes]
        if len(set(names)) != len(names):
            raise ValueError(f"segment {name!r} has duplicate gene names")
        self.name = name
        self.genes: tuple[Gene, ...] = tuple(genes)
        self.doc = doc
        self.xl = np.zeros(len(self.genes), dtype=np.int64)
        self.xu = np.array([g.n_choices - 1 for g in self.genes], dtype=np.int64)
        self._index = {g.name: i for i, g in enumerate(self.genes)}

    # -- basic facts ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.genes)

    @property
    def n_var(self) -> int:
        return len(self.genes)

    @property
    def gene_names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.genes)

    def gene(self, name: str) -> Gene:
        try:
            return self.genes[self._index[name]]
        except KeyError:
            raise KeyError(f"segment {self.name!r} has no gene {name!r}") from None

    def position(self, name: str) -> int:
        self.gene(name)
        return self._index[name]

    @property
    def ordinal_mask(self) -> np.ndarray:
        return np.array([g.ordinal for g in self.genes], dtype=bool)

    def size(self) -> float:
        """Number of genomes in the box (an upper bound on distinct valid designs)."""
        return float(np.prod((self.xu - self.xl + 1).astype(float)))

    def blocks(self) -> list[np.ndarray]:
        """Gene positions that crossover must move together (default: every gene on its own)."""
        return [np.array([i]) for i in range(self.n_var)]

    # -- validity ---------------------------------------------------------------------------
    def _range_mask(self, X: np.ndarray) -> np.ndarray:
        return (X >= self.xl) & (X <= self.xu)

    def _structural_violations(self, X: np.ndarray) -> list[tuple[int, int, str]]:
        """(row, position, message) of rule violations in an in-range batch. Override."""
        return []

    def _structural_ok(self, X: np.ndarray) -> np.ndarray:
        """Bool per row: structural rules hold (batch, in-range rows only). Override with a vector form."""
        ok = np.ones(len(X), dtype=bool)
        for row, _, _ in self._structural_violations(X):
            ok[row] = False
        return ok

    def is_valid(self, X: Any) -> np.ndarray | bool:
        """True where a genome (or each row of a batch) is in the space. Never raises on values."""
        A, was_1d = as_genome_batch(X, self.n_var, what=f"segment {self.name!r}")
        ok = self._range_mask(A).all(axis=1)
        if ok.any():
            ok[ok] = self._structural_ok(A[ok])
        return bool(ok[0]) if was_1d else ok

    def validate(self, x: Any, *, offset: int = 0) -> np.ndarray:
        """Return the genome as int64 or raise :class:`GenomeError` naming segment and position.

        ``offset`` is this segment's start in a joint genome, so messages give both positions.
        """
        A, was_1d = as_genome_batch(x, self.n_var, what=f"segment {self.name!r}")
        if not was_1d:
            raise GenomeError(f"segment {self.name!r}: validate() takes one genome, got a batch")
        row = A[0]
        bad = np.flatnonzero(~self._range_mask(A)[0])
        if bad.size:
            i = int(bad[0])
            g = self.genes[i]
            raise GenomeError(
                f"segment {self.name!r}, position {i}{self._where(offset, i)} (gene {g.name!r}): "
                f"value {int(row[i])} out of range 0..{g.n_choices - 1} (choices {list(g.choices)})"
            )
        viol = self._structural_violations(A)
        if viol:
            _, i, msg = viol[0]
            raise GenomeError(
                f"segment {self.name!r}, position {i}{self._where(offset, i)} "
                f"(gene {self.genes[i].name!r}): {msg}"
            )
        return row

    @staticmethod
    def _where(offset: int, i: int) -> str:
        return f" (genome index {offset + i})" if offset else ""

    # -- repair and sampling -----------------------------------------------------------------
    def _repair_structure(self, X: np.ndarray) -> np.ndarray:
        """Fix structural rules in an in-range batch (in place allowed on the copy). Override."""
        return X

    def repair(self, X: Any) -> np.ndarray:
        """Map any integer genome (or batch) onto a valid one; valid genomes are unchanged.

        Out-of-range genes are clipped to the nearest bound; structural rules are then fixed by the
        segment's own deterministic rule. The input is never mutated.
        """
        A, was_1d = as_genome_batch(X, self.n_var, what=f"segment {self.name!r}")
        R = np.clip(A, self.xl, self.xu)
        R = self._repair_structure(R.copy())
        return R[0] if was_1d else R

    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform valid genomes: shape (n_var,) when ``n`` is None, else (n, n_var)."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("sample() needs a numpy Generator (np.random.default_rng(seed)), not global state")
        m = 1 if n is None else int(n)
        X = self._sample(rng, m)
        return X[0] if n is None else X

    def _sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.n_var == 0:
            return np.zeros((n, 0), dtype=np.int64)
        return rng.integers(self.xl, self.xu + 1, size=(n, self.n_var), dtype=np.int64)

    # -- encode / decode ---------------------------------------------------------------------
    def decode(self, x: Any, *, offset: int = 0) -> dict[str, Any]:
        """Human-readable values of one genome (validated first)."""
        row = self.validate(x, offset=offset)
        return {g.name: _plain(g.choices[int(v)]) for g, v in zip(self.genes, row)}

    def encode(self, values: Mapping[str, Any]) -> np.ndarray:
        """Inverse of :meth:`decode`. Unknown or missing keys are errors that name them."""
        _check_keys(self.name, values, self.gene_names)
        x = np.array([g.index_of(values[g.name], segment=self.name) for g in self.genes], dtype=np.int64)
        self.validate(x)
        return x


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _check_keys(segment: str, values: Mapping[str, Any], expected: Iterable[str]) -> None:
    if not isinstance(values, Mapping):
        raise GenomeError(f"segment {segment!r}: expected a mapping of gene names, got {type(values).__name__}")
    expected = list(expected)
    unknown = [k for k in values if k not in expected]
    if unknown:
        raise GenomeError(f"segment {segment!r}: unknown key(s) {unknown}; allowed: {expected}")
    missing = [k for k in expected if k not in values]
    if missing:
        raise GenomeError(f"segment {segment!r}: missing key(s) {missing}")

"""What an evaluator returns and promises: no pymoo here, so enumeration, strategies and the
pymoo problem share one evaluation path (:mod:`evo_codesign.evaluate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

__all__ = ["EvalBatch", "Evaluator", "concat_batches", "feasible_mask", "worst_violation"]


@dataclass
class EvalBatch:
    """Objectives ``F`` (minimisation form, one column per objective), constraints ``G`` (``<= 0``
    feasible) and named per-design extras (accuracy, latency_ms, ...), one row per design."""

    F: np.ndarray
    G: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)


class Evaluator(Protocol):
    """Genomes ``(n, n_var)`` -> :class:`EvalBatch`; names and senses of its objectives, names of
    its constraints."""

    objective_names: Sequence[str]
    objective_senses: Sequence[str]
    constraint_names: Sequence[str]

    def __call__(self, X: np.ndarray) -> EvalBatch: ...


def concat_batches(parts: Sequence[EvalBatch]) -> EvalBatch:
    return EvalBatch(np.concatenate([p.F for p in parts]), np.concatenate([p.G for p in parts]),
                     {k: np.concatenate([p.extras[k] for p in parts]) for k in parts[0].extras})


def feasible_mask(G: np.ndarray) -> np.ndarray:
    """Rows of ``G`` (n, n_constraints) with every constraint ``<= 0``; all rows without constraints."""
    G = np.asarray(G, dtype=float)
    if G.ndim != 2 or G.shape[1] == 0:
        return np.ones(len(G), dtype=bool)
    return (G <= 0).all(axis=1)


def worst_violation(G: np.ndarray, names: Sequence[str], scales: Sequence[float] | None = None) -> list[str]:
    """Per row of ``G``, the name of its most violated constraint ("" for a feasible row): the
    largest ``G / scale`` among the positive entries (``scales``: each constraint's bound, so that
    an area excess in mm^2 and a power excess in mW compare as fractions of their limits; default 1)."""
    G = np.asarray(G, dtype=float)
    if G.ndim != 2 or G.shape[1] == 0:
        return [""] * len(G)
    s = np.ones(G.shape[1]) if scales is None else np.asarray(scales, dtype=float)
    s = np.where(np.isfinite(s) & (np.abs(s) > 0), np.abs(s), 1.0)
    rel = np.where(G > 0, G / s, -np.inf)
    worst = np.argmax(rel, axis=1)
    return [names[j] if rel[i, j] > -np.inf else "" for i, j in enumerate(worst)]

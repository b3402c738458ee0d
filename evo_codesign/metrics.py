"""Front quality and rank agreement, on top of moocore (Lopez-Ibanez et al., ``moocore``).

All objectives are in minimisation form (accuracy enters as its negative). Hypervolume and IGD+
are computed on objectives normalised with *frozen* bounds (``Bounds``), stored with every
benchmark's output so numbers from different runs are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import moocore
import numpy as np

__all__ = ["Bounds", "nondominated", "hypervolume", "igd_plus", "normalised_hv", "evals_to_fraction",
           "spearman", "kendall"]


@dataclass(frozen=True)
class Bounds:
    """Per-objective lower and upper bounds used to map objectives onto [0, 1]."""

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @classmethod
    def from_points(cls, F: np.ndarray, *, margin: float = 0.0) -> "Bounds":
        F = np.asarray(F, dtype=float)
        lo, hi = F.min(axis=0), F.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        return cls(tuple((lo - margin * span).tolist()), tuple((hi + margin * span).tolist()))

    def normalise(self, F: np.ndarray) -> np.ndarray:
        """``F`` mapped so that ``lower`` -> 0 and ``upper`` -> 1 per objective (an objective
        whose bounds coincide is only shifted); ``moocore.normalise``."""
        F = np.asarray(F, dtype=float)
        if F.size == 0:
            return F.reshape(-1, len(self.lower))
        return moocore.normalise(np.atleast_2d(F), lower=np.asarray(self.lower), upper=np.asarray(self.upper))

    def to_dict(self) -> dict:
        return {"lower": list(self.lower), "upper": list(self.upper)}


def nondominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``F`` (minimisation; duplicates all kept)."""
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return np.zeros(0, dtype=bool)
    return moocore.is_nondominated(F, keep_weakly=True)


def hypervolume(F: np.ndarray, ref: Sequence[float]) -> float:
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return 0.0
    return float(moocore.hypervolume(F, ref=np.asarray(ref, dtype=float)))


def igd_plus(F: np.ndarray, reference_front: np.ndarray) -> float:
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return float("inf")
    return float(moocore.igd_plus(F, ref=np.asarray(reference_front, dtype=float)))


def normalised_hv(F: np.ndarray, bounds: Bounds, *, ref_point: float = 1.1) -> float:
    """Hypervolume of normalised ``F`` w.r.t. the point (ref_point, ..., ref_point); points outside
    the box contribute nothing."""
    N = bounds.normalise(F)
    N = N[np.all(N < ref_point, axis=1)] if len(N) else N
    return hypervolume(N, [ref_point] * (N.shape[1] if N.ndim == 2 and N.shape[1] else len(bounds.lower)))


def evals_to_fraction(evals: np.ndarray, hv: np.ndarray, target_hv: float, fraction: float) -> float:
    """First evaluation count at which ``hv`` reaches ``fraction * target_hv`` (NaN if never)."""
    evals, hv = np.asarray(evals), np.asarray(hv)
    hit = np.flatnonzero(hv >= fraction * target_hv)
    return float(evals[hit[0]]) if hit.size else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties averaged; ``scipy.stats.spearmanr``); NaN when either
    side is constant."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def spearman_columns(a: np.ndarray, B: np.ndarray) -> np.ndarray:
    """:func:`spearman` of ``a`` (n,) with each column of ``B`` (n, m) at once: the Pearson
    correlation of average ranks; NaN for a constant column. The ranks are pandas' (``rank``,
    ties averaged as ``scipy.stats.rankdata`` averages them): semi-decoupled search calls this in
    every run, and scipy.stats would cost each worker process 0.45-0.7 s to import
    (``benchmarks/fixed_costs.py``)."""
    import pandas as pd

    a, B = np.asarray(a, dtype=float), np.asarray(B, dtype=float).reshape(len(a), -1)
    out = np.full(B.shape[1], np.nan)
    if len(a) < 2 or np.ptp(a) == 0:
        return out
    ra = pd.Series(a).rank(method="average").to_numpy(dtype=float, copy=True)
    ra -= ra.mean()
    RB = pd.DataFrame(B).rank(axis=0, method="average").to_numpy(dtype=float, copy=True)
    RB -= RB.mean(axis=0)
    den = np.sqrt((ra ** 2).sum() * (RB ** 2).sum(axis=0))
    ok = np.ptp(B, axis=0) > 0
    out[ok] = (ra @ RB[:, ok]) / den[ok]
    return np.clip(out, -1.0, 1.0)


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b (``scipy.stats.kendalltau``); NaN when either side is constant."""
    from scipy.stats import kendalltau

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(kendalltau(a, b).statistic)

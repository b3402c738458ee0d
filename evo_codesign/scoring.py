"""Scoring fronts against a reference: the one definition that ``compare`` and ``tune`` share.

A :class:`Reference` fixes three things once, so every run is scored on the same scale: the
reference front (minimisation form), the normalisation bounds (frozen) and its normalised
hypervolume, with the reference point 1.1 in every normalised objective. A run's hypervolume score
is the normalised hypervolume of its front over the reference's (a fraction, 1.0 = as good as the
reference); IGD+ is measured on normalised points against the normalised reference front.

* :meth:`Reference.from_fronts`: the union of the runs' fronts; bounds from every union point,
  front = its non-dominated points (used when the true front is unknown);
* :meth:`Reference.exact`: an exact front (an enumerated space); bounds from that front.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .protocols import feasible_mask

__all__ = ["Reference", "feasible_minimised"]

_KINDS = ("union", "exact", "file")


@dataclass(frozen=True)
class Reference:
    """What runs are scored against. ``front``: non-dominated reference points in minimisation form
    (maximised objectives negated), natural units; ``bounds``: the frozen normalisation bounds in the
    same form; ``hv``: normalised hypervolume of ``front`` (unitless, at most ``ref_point ** m``);
    ``kind``: where the front came from ("union" of runs, "exact" enumeration, or a "file")."""

    kind: str
    front: np.ndarray
    bounds: metrics.Bounds
    hv: float
    ref_point: float = 1.1

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"Reference kind must be one of {list(_KINDS)}, got {self.kind!r}")

    @classmethod
    def from_fronts(cls, fronts: Sequence[np.ndarray]) -> "Reference":
        """The union of ``fronts`` (each ``(n_i, m)``, minimisation form; empty ones ignored).

        Bounds come from *every* union point, dominated ones included, so a run's front cannot lie
        outside them; the front is the union's non-dominated points (duplicates kept)."""
        parts = [np.asarray(F, dtype=float) for F in fronts if len(F)]
        if not parts:
            raise ValueError("Reference.from_fronts: every front is empty (no feasible design to score against)")
        union = np.vstack(parts)
        front = union[metrics.nondominated(union)]
        bounds = metrics.Bounds.from_points(union)
        return cls("union", front, bounds, metrics.normalised_hv(front, bounds))

    @classmethod
    def exact(cls, F: np.ndarray) -> "Reference":
        """An exact front ``F`` (minimisation form), used as given; bounds from ``F`` itself."""
        front = np.asarray(F, dtype=float)
        if front.ndim != 2 or not len(front):
            raise ValueError(f"Reference.exact: expected a non-empty (n, m) array, got shape {front.shape}")
        bounds = metrics.Bounds.from_points(front)
        return cls("exact", front, bounds, metrics.normalised_hv(front, bounds))

    def hv_fraction(self, F: np.ndarray) -> float:
        """Normalised hypervolume of ``F`` (minimisation form) over the reference's; NaN if the
        reference's is 0. Points beyond the reference point add nothing."""
        if self.hv == 0:
            return float("nan")
        return metrics.normalised_hv(F, self.bounds, ref_point=self.ref_point) / self.hv

    def igd_plus(self, F: np.ndarray) -> float:
        """IGD+ of ``F`` against the reference front, both normalised by the frozen bounds
        (unitless; inf for an empty ``F``)."""
        return metrics.igd_plus(self.bounds.normalise(F), self.bounds.normalise(self.front))

    def to_dict(self) -> dict:
        """The JSON-ready description written beside results (``reference.json``, ``tuning.json``)."""
        return {"reference": self.kind, "bounds": self.bounds.to_dict(), "reference_hv": float(self.hv),
                "reference_points": int(len(self.front)), "hv_reference_point": float(self.ref_point)}


def feasible_minimised(frame: pd.DataFrame, objectives: Sequence[str], senses: Sequence[str]) -> np.ndarray:
    """The feasible rows of a tidy front frame as ``F`` in minimisation form, ``(n, len(objectives))``.

    ``frame`` holds ``f_<objective>`` columns in their natural sense and ``g_*`` constraint columns
    (``g <= 0`` is feasible; no ``g_*`` column means every row is feasible); ``senses`` gives
    "min" or "max" per objective, and maximised ones are negated."""
    if len(objectives) != len(senses):
        raise ValueError(f"{len(objectives)} objectives but {len(senses)} senses")
    bad = [s for s in senses if s not in ("min", "max")]
    if bad:
        raise ValueError(f"senses must be 'min' or 'max', got {bad}")
    if not len(frame):
        return np.zeros((0, len(objectives)))
    ok = feasible_mask(frame.filter(regex=r"^g_").to_numpy(dtype=float))
    sign = np.array([-1.0 if s == "max" else 1.0 for s in senses])
    return frame.loc[ok, [f"f_{o}" for o in objectives]].to_numpy(dtype=float) * sign

"""Scoring fronts against a reference: the one definition that ``compare`` and ``tune`` share.

A :class:`Reference` fixes three things once, so every run is scored on the same scale: the
reference front (minimisation form), the normalisation bounds (frozen) and its normalised
hypervolume, with the reference point 1.1 in every normalised objective. A run's hypervolume score
is the normalised hypervolume of its front over the reference's (a fraction, 1.0 = as good as the
reference); IGD+ is measured on normalised points against the normalised reference front.

* :meth:`Reference.from_fronts`: the union of the runs' fronts; bounds from every union point,
  front = its non-dominated points (used when the true front is unknown);
* :meth:`Reference.exact`: an exact front (an enumerated space); bounds from that front;
* :meth:`Reference.read` / :meth:`Reference.write`: a reference file (JSON: objectives, front,
  bounds), so several comparisons score against one fixed best-known front and their numbers
  compare across tables (``compare --reference FILE`` / ``--save-reference FILE``).

:func:`anytime_scores` summarises a run's anytime curve (its archive's hypervolume against
evaluations): the area under it and its value at fixed shares of the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from . import metrics
from .protocols import feasible_mask

__all__ = ["Reference", "feasible_minimised", "anytime_scores", "BUDGET_SHARES"]

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

    @classmethod
    def read(cls, path: str | Path, objectives: Sequence[str]) -> "Reference":
        """A reference file written by :meth:`write` for the same ``objectives`` (minimisation
        form); errors name the file and what is wrong."""
        from .errors import CorruptFileError, UsageError
        from .io.readers import read_json

        doc = read_json(Path(path), CorruptFileError, what="reference file", expect=dict)
        try:
            objs = [str(o) for o in doc["objectives"]]
            front = np.asarray(doc["front"], dtype=float).reshape(-1, len(objs))
            bounds = metrics.Bounds(tuple(float(v) for v in doc["bounds"]["lower"]),
                                    tuple(float(v) for v in doc["bounds"]["upper"]))
        except (KeyError, TypeError, ValueError) as e:
            raise CorruptFileError(f"{path}: not a reference file ({type(e).__name__}: {e}); write one with "
                                   f"`evo-codesign compare ... --save-reference FILE`") from None
        if objs != list(objectives):
            raise UsageError(f"{path}: its objectives {objs} are not this comparison's {list(objectives)}")
        if not len(front) or not np.isfinite(front).all() or len(bounds.lower) != len(objs):
            raise CorruptFileError(f"{path}: the front is empty or not finite, or the bounds do not match it")
        return cls("file", front, bounds, metrics.normalised_hv(front, bounds))

    def write(self, path: str | Path, objectives: Sequence[str], **about: object) -> Path:
        """Write the front, bounds and ``objectives`` (and ``about``: where it came from) as JSON."""
        import json

        from .io.atomic import atomic_write_text

        doc = {"objectives": list(objectives), "kind": self.kind, **about,
               "bounds": {"lower": [float(v) for v in self.bounds.lower],
                          "upper": [float(v) for v in self.bounds.upper]},
               "points": int(len(self.front)), "front": np.asarray(self.front, dtype=float).tolist()}
        return atomic_write_text(Path(path), json.dumps(doc, indent=1))

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


#: shares of the budget at which anytime curves are read
BUDGET_SHARES = (0.25, 0.5, 1.0)


def anytime_scores(evaluations: np.ndarray, hv: np.ndarray, budget: int) -> dict[str, float]:
    """Scores of one anytime curve: ``hv`` (already a fraction of the reference's) of the designs
    evaluated so far at each of ``evaluations`` (increasing). ``auc``: the curve's mean over
    evaluations 1 to ``budget`` (a step function: each value holds until the next point; 0 before
    the first); ``hv_at_25`` / ``hv_at_50`` / ``hv_at_100``: its value at that share of the budget."""
    e = np.asarray(evaluations, dtype=float)
    v = np.asarray(hv, dtype=float)
    out: dict[str, float] = {}
    if budget <= 0 or not len(e):
        return {"auc": float("nan"), **{f"hv_at_{int(s * 100)}": float("nan") for s in BUDGET_SHARES}}
    stop = np.minimum(np.append(e[1:], budget), budget)
    width = np.clip(stop - np.minimum(e, budget), 0.0, None)
    out["auc"] = float((v * width).sum() / budget)
    for share in BUDGET_SHARES:
        k = int(np.searchsorted(e, share * budget, side="right")) - 1
        out[f"hv_at_{int(share * 100)}"] = float(v[k]) if k >= 0 else 0.0
    return out

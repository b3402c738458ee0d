"""Final scores, ranking and the files a tuning session writes.

A run's score is the hypervolume of its final feasible front as a fraction of the union front's
(:meth:`evo_codesign.scoring.Reference.from_fronts` over every run of the session: bounds frozen
from all union points, reference point 1.1), a number in [0, 1].
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import Config, config_to_dict
from ..metrics import Bounds
from ..scoring import Reference
from .runs import Runs
from .space import DEFAULTS, TUNABLE, distance_to_defaults, plain

__all__ = ["TuneResult", "rank", "score", "write", "no_feasible_warning"]

_TRIAL_COLUMNS = ["setting_id", "is_default", *TUNABLE, "seed", "evaluations", "generations", "wall_s", "hv",
                  "front_size", "run_dir"]


@dataclass
class TuneResult:
    """What :func:`~evo_codesign.tuning.tune` found. ``trials``: one row per (setting, seed);
    ``summary``: one row per setting, ranked (1 = recommended). Hypervolumes (``hv*``) are fractions
    of the union front's (0..1), ``evaluations`` unique designs, ``wall_s`` seconds per run;
    ``bounds`` are in minimisation form (maximised objectives negated); ``reference`` is the union
    front they were scored against (None if no run found a feasible design); ``notes``: the study
    (sampler, study name, storage, proposals, settings restored from an earlier session)."""

    method: str
    out: Path
    trials: pd.DataFrame
    summary: pd.DataFrame
    recommended: dict[str, Any]
    defaults: dict[str, Any]
    bounds: Bounds | None
    reference_hv: float
    n_var: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    reference: Reference | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    #: set when no run found a feasible design (every score is 0): names the constraint that binds
    warning: str | None = None

    def _row(self, is_default: bool) -> pd.Series | None:
        s = self.summary
        rows = s[s["is_default"]] if is_default else s[s["rank"].eq(1).fillna(False).astype(bool)]
        return rows.iloc[0] if len(rows) and rows.iloc[0]["runs"] > 0 else None

    @property
    def recommended_hv(self) -> float:
        """Mean hypervolume (fraction of the union front's) of the recommended setting."""
        r = self._row(False)
        return float(r["hv_mean"]) if r is not None else float("nan")

    @property
    def defaults_hv(self) -> float:
        """Mean hypervolume of the package defaults (NaN if they were skipped)."""
        r = self._row(True)
        return float(r["hv_mean"]) if r is not None else float("nan")

    @property
    def hv_ratio(self) -> float:
        """Recommended mean hypervolume over the defaults' (NaN if undefined)."""
        d = self.defaults_hv
        return self.recommended_hv / d if d > 0 else float("nan")


def rank(stats: pd.DataFrame, space: Mapping[str, Sequence[Any]], n_var: int) -> pd.Series:
    """1 = recommended: best mean hypervolume, then smaller spread over seeds, then closer to the
    package defaults, then earlier setting. Skipped settings (no runs) get no rank."""
    ran = stats[stats["runs"] > 0]
    # Means of identical fronts are bit-identical, but sums over differently ordered seeds may not
    # be: compare at 12 decimals so such ties fall to the next criterion.
    order = np.lexsort((np.arange(len(ran)), distance_to_defaults(ran, space, n_var),
                        ran["hv_std"].round(12).to_numpy(), -ran["hv_mean"].round(12).to_numpy()))
    out = pd.Series(pd.NA, index=stats.index, dtype="Int64")
    out.loc[ran.index[order]] = np.arange(1, len(ran) + 1)
    return out


def _trial_rows(runs: Runs, ref: Reference | None) -> pd.DataFrame:
    rows = []
    for r in runs.results:
        hv = 0.0
        if ref is not None and len(r["F"]) and ref.hv > 0:
            # A run's front is part of the union, so its share cannot exceed 1 but by rounding.
            hv = min(1.0, ref.hv_fraction(r["F"]))
        sid = r["setting_id"]
        rows.append({"setting_id": sid, "is_default": sid == "s00", **runs.settings[sid], "seed": r["seed"],
                     "evaluations": r["evaluations"], "generations": r["generations"], "wall_s": r["wall_s"],
                     "hv": hv, "front_size": len(r["F"]), "run_dir": r["run_dir"]})
    return pd.DataFrame(rows, columns=_TRIAL_COLUMNS).sort_values(["setting_id", "seed"], ignore_index=True)


def _summary_rows(runs: Runs, trials: pd.DataFrame) -> pd.DataFrame:
    stats = []
    for sid, setting in runs.settings.items():
        t = trials[trials["setting_id"] == sid]
        hv = t["hv"].to_numpy(dtype=float)
        some = len(hv) > 0
        stats.append({"setting_id": sid, "is_default": sid == "s00", **setting, "runs": len(t),
                      "hv_mean": hv.mean() if some else np.nan, "hv_std": hv.std() if some else np.nan,
                      "hv_min": hv.min() if some else np.nan, "hv_max": hv.max() if some else np.nan,
                      "evaluations_mean": t["evaluations"].mean() if some else np.nan,
                      "wall_s_mean": t["wall_s"].mean() if some else np.nan,
                      "skipped": runs.skipped.get(sid, "")})
    return pd.DataFrame(stats)


def score(runs: Runs, space: Mapping[str, Sequence[Any]], method: str, n_var: int, out: Path) -> TuneResult:
    """Score every run against the union of all runs' final feasible fronts and rank the settings."""
    fronts = [r["F"] for r in runs.results if len(r["F"])]
    ref = Reference.from_fronts(fronts) if fronts else None
    trials = _trial_rows(runs, ref)
    summary = _summary_rows(runs, trials)
    summary.insert(0, "rank", rank(summary, space, n_var))
    summary = summary.sort_values(["rank", "setting_id"], na_position="last", ignore_index=True)
    best = summary[summary["rank"].eq(1).fillna(False).astype(bool)]
    recommended = ({"setting_id": best.iloc[0]["setting_id"], **{n: plain(best.iloc[0][n]) for n in TUNABLE}}
                   if len(best) else {})
    skipped = [{"setting_id": sid, **runs.settings[sid], "reason": why} for sid, why in runs.skipped.items()]
    return TuneResult(method, out, trials, summary, recommended, {"setting_id": "s00", **DEFAULTS},
                      ref.bounds if ref is not None else None, float(ref.hv) if ref is not None else 0.0,
                      n_var, skipped, reference=ref)


def no_feasible_warning(runs: Runs) -> str | None:
    """None if some run's final front holds a feasible design; else a line naming the binding constraint."""
    if not runs.results or any(len(r["F"]) for r in runs.results):
        return None
    why = next((r.get("warning") for r in runs.results if r.get("warning")), None)
    return "no run of the tuning session found a feasible design, so every score is 0" + (f": {why}" if why else "")


def _scores(result: TuneResult, is_default: bool) -> dict[str, Any] | None:
    r = result._row(is_default)
    if r is None:
        return None
    return {"setting_id": r["setting_id"], **{n: plain(r[n]) for n in TUNABLE},
            **{k: float(r[k]) for k in ("hv_mean", "hv_std", "hv_min", "hv_max")}, "rank": int(r["rank"])}


def write(result: TuneResult, cfg: Config, runs: Runs, space: Mapping[str, Sequence[Any]], *, trials: int,
          wall_s: float) -> None:
    """Write ``trials.csv``, ``summary.csv``, ``tuning.json`` (with ``result.notes``) and the plot
    ``tuning_hv.png``/``.pdf`` into ``result.out``; ``wall_s``: seconds the session took."""
    from ..plot.tuning import plot_tuning

    from ..io.atomic import atomic_write_text

    out = result.out
    atomic_write_text(out / "trials.csv", result.trials.to_csv(index=False))
    atomic_write_text(out / "summary.csv", result.summary.to_csv(index=False))
    ratio = result.hv_ratio
    ref = result.reference
    doc = {
        "method": result.method, "budget": cfg.search.budget, "repeats": runs.repeats,
        "seeds": [cfg.seed + k for k in range(runs.repeats)], "trials_requested": trials,
        "settings_tried": len(runs.settings), "n_var": result.n_var,
        "space": {n: list(v) for n, v in space.items()},
        "mutation_prob_var_zero_means": f"1/n_var = {1 / result.n_var:.6g}",
        "objectives": list(runs.evaluator.objective_names),
        "objective_form": "minimisation (maximised objectives negated)",
        **(ref.to_dict() if ref is not None else {"reference": None, "bounds": None, "reference_hv": 0.0,
                                                  "reference_points": 0, "hv_reference_point": 1.1}),
        "hv_definition": "normalised HV of a run's final feasible front / normalised HV of the union of all "
                         "runs' final feasible fronts",
        "recommended": _scores(result, False), "defaults": {**DEFAULTS, "score": _scores(result, True)},
        "recommended_over_defaults_hv": ratio if math.isfinite(ratio) else None,  # JSON has no NaN
        "skipped": result.skipped, "wall_s": wall_s, "config": config_to_dict(cfg), **result.notes,
    }
    if ref is None:
        doc["note"] = result.warning or "no run found a feasible design: every hypervolume is 0"
    atomic_write_text(out / "tuning.json", json.dumps(doc, indent=1))
    result.plots = plot_tuning(result.trials, result.summary, out / "tuning_hv", n_var=result.n_var,
                               title=f"{result.method}: {len(runs.settings)} settings x {runs.repeats} seeds, "
                                     f"budget {cfg.search.budget} unique evaluations")

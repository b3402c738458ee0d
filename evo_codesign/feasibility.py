"""Making infeasibility visible: which constraint binds, and limits no design of the space can meet.

* :func:`constraint_limits` / :func:`constraint_scales`: an evaluator's constraints with their
  config keys and bounds (for the ``violated`` column of every frame and for messages);
* :func:`infeasible_front_message`: for a final front with no feasible design, the constraint that
  binds (the one most designs violate), the best value reached and the limit, in one line;
* :func:`check_satisfiable`: refuses, before any run, a limit obviously beyond what any design of
  the space reaches (``area_mm2_max = 0.01`` when the smallest design has 0.33 mm^2). The extreme is
  found by a coordinate search over every gene (:func:`extreme_metric`, from the best of a seeded
  sample and of the all-lowest and all-highest genomes; a few hundred evaluations, 0.03-0.3 s, only
  when a limit is set). Area grows with every size gene, and the search reaches the same smallest
  area from every start (checked on every built-in space against 20,000 random designs and 5
  seeds), so an area limit below it is refused. Accuracy and power are not monotone: searches from
  other seeds reach up to 0.003 pp more accuracy and up to 30 % less power, so those limits are
  refused only beyond a margin (:data:`MARGINS`); a limit inside the margin runs, and a final front
  without a feasible design is reported by :func:`infeasible_front_message`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .config import ConfigError
from .evaluate import CONSTRAINTS

__all__ = ["Limit", "constraint_limits", "constraint_scales", "infeasible_front_message", "check_satisfiable",
           "extreme_metric", "CONFIG_KEYS", "MARGINS"]

#: constraint name -> the config key that sets it
CONFIG_KEYS = {"area_mm2": "constraints.area_mm2_max", "power_mw": "constraints.power_mw_max",
               "accuracy_min": "constraints.accuracy_min", "buffer_capacity": "constraints.buffer_capacity"}
_UNITS = {"area_mm2": "mm^2", "power_mw": "mW", "accuracy": "%", "buffer_violation": ""}
#: metric -> how far beyond the searched extreme a limit must be to be refused up front: an upper
#: limit below ``reach * factor``, a lower limit above ``reach + add``
MARGINS = {"area_mm2": {"factor": 1.0}, "power_mw": {"factor": 0.5}, "accuracy": {"add": 0.5}}


@dataclass(frozen=True)
class Limit:
    """One constraint of an evaluator: ``metric`` (an extras column) against ``bound`` with ``sense``
    ("max": metric <= bound; "min": metric >= bound; "flag": metric <= 0), set by config ``key``."""

    name: str
    metric: str
    bound: float
    sense: str
    key: str


def _base(evaluator: Any) -> Any:
    while hasattr(evaluator, "base") and not hasattr(evaluator, "area_mm2_max"):
        evaluator = evaluator.base  # a phase's mapped evaluator
    return evaluator


def constraint_limits(evaluator: Any) -> list[Limit]:
    """The evaluator's constraints that the package knows (evaluators of its own; others: none)."""
    ev = _base(evaluator)
    out = []
    for name in getattr(evaluator, "constraint_names", ()):
        if name not in CONSTRAINTS:
            continue
        metric, attr, sense = CONSTRAINTS[name]
        bound = float(getattr(ev, attr)) if attr and hasattr(ev, attr) else 0.0
        out.append(Limit(name, metric, bound, sense, CONFIG_KEYS.get(name, name)))
    return out


def constraint_scales(evaluator: Any) -> list[float]:
    """Per constraint of ``evaluator``, the magnitude that makes its ``G`` a fraction (its bound;
    1 for flags and constraints the package does not know)."""
    known = {lim.name: lim for lim in constraint_limits(evaluator)}
    scales = []
    for name in getattr(evaluator, "constraint_names", ()):
        lim = known.get(name)
        b = lim.bound if lim is not None and lim.sense != "flag" else 1.0
        scales.append(abs(b) if math.isfinite(b) and b != 0 else 1.0)
    return scales


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def infeasible_front_message(front: Any, limits: Sequence[Limit], constraint_names: Sequence[str]) -> str | None:
    """None when ``front`` (a tidy frame with ``g_*`` columns) holds a feasible design; otherwise one
    line naming the constraint that binds: the one most of its designs violate (ties: the larger
    median violation relative to its bound), with the best value reached and the limit."""
    if len(front) and "feasible" in front and bool(front["feasible"].any()):
        return None
    if not len(front):
        return "the final front is empty: no design was evaluated"
    names = [c for c in constraint_names if f"g_{c}" in front]
    if not names:
        return None
    G = front[[f"g_{c}" for c in names]].to_numpy(dtype=float)
    by_name = {lim.name: lim for lim in limits}
    scale = np.array([abs(by_name[c].bound) if c in by_name and by_name[c].sense != "flag"
                      and math.isfinite(by_name[c].bound) and by_name[c].bound else 1.0 for c in names])
    score = [((G[:, j] > 0).sum(), float(np.median(np.maximum(G[:, j], 0) / scale[j]))) for j in range(len(names))]
    j = max(range(len(names)), key=lambda k: score[k])
    name, n_bad = names[j], int(score[j][0])
    lim = by_name.get(name)
    n = len(front)
    head = (f"no feasible design on the final front ({n} design{'s' * (n != 1)}): {CONFIG_KEYS.get(name, name)} "
            f"binds ({n_bad} of {n} violate it")
    col = None if lim is None else next((c for c in (lim.metric, f"f_{lim.metric}") if c in front), None)
    if lim is not None and col is not None and lim.sense in ("max", "min"):
        vals = front[col].to_numpy(dtype=float)
        best = vals.min() if lim.sense == "max" else vals.max()
        unit = _UNITS.get(lim.metric, "")
        head += f"; the best reaches {lim.metric} = {_fmt(best)} {unit} against the limit {_fmt(lim.bound)} {unit}"
    return head.rstrip() + "); relax it or raise the budget"


def extreme_metric(evaluator: Any, space: Any, metric: str, sense: str, *, seed: int = 0, n_samples: int = 64,
                   passes: int = 2) -> tuple[float, np.ndarray]:
    """The smallest (``sense="max"`` limits) or largest (``"min"`` limits) value of ``metric`` a
    coordinate search finds over ``space``, and the genome reaching it (see the module docstring)."""
    sign = 1.0 if sense == "max" else -1.0

    def value(X: np.ndarray) -> np.ndarray:
        m = evaluator.metrics(X) if hasattr(evaluator, "metrics") else evaluator(X).extras
        return sign * np.asarray(m[metric], dtype=float)

    rng = np.random.default_rng([seed, 104729])
    X = space.repair(np.vstack([space.xl, space.xu, space.sample(rng, n_samples)]).astype(np.int64))
    v = value(X)
    best, x = float(v.min()), X[int(np.argmin(v))].copy()
    for _ in range(passes):
        improved = False
        for j in range(space.n_var):
            cands = np.repeat(x[None], int(space.xu[j] - space.xl[j] + 1), axis=0)
            cands[:, j] = np.arange(space.xl[j], space.xu[j] + 1)
            cands = space.repair(cands)
            vals = value(cands)
            k = int(np.argmin(vals))
            if vals[k] < best:
                best, x, improved = float(vals[k]), cands[k].copy(), True
        if not improved:
            break
    return sign * best, x


def check_satisfiable(evaluator: Any, space: Any, *, seed: int = 0) -> None:
    """Raise :class:`~evo_codesign.config.ConfigError` naming the key for a limit no design of
    ``space`` can meet (nothing is checked for evaluators without such limits)."""
    for lim in constraint_limits(evaluator):
        if lim.sense not in ("max", "min") or not math.isfinite(lim.bound):
            continue
        if lim.sense == "min" and lim.bound <= 0:
            continue
        margin = MARGINS.get(lim.metric)
        if margin is None:
            continue
        reach, _ = extreme_metric(_base(evaluator), space, lim.metric, lim.sense, seed=seed)
        unit = _UNITS.get(lim.metric, "")
        if lim.sense == "max" and lim.bound < reach * margin.get("factor", 1.0):
            raise ConfigError(f"{lim.key}: {_fmt(lim.bound)} {unit} is below the smallest {lim.metric} a design of "
                              f"this space reaches ({_fmt(reach)} {unit}): no design can meet it; raise it")
        if lim.sense == "min" and lim.bound > reach + margin.get("add", 0.0):
            raise ConfigError(f"{lim.key}: {_fmt(lim.bound)} {unit} is above the largest {lim.metric} a design of "
                              f"this space reaches ({_fmt(reach)} {unit}): no design can meet it; lower it")

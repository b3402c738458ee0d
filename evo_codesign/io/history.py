"""What a run directory tells after the fact: its evaluation log as a tidy frame and its
hypervolume against evaluations."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import CorruptFileError
from ..metrics import Bounds, nondominated, normalised_hv
from ..protocols import feasible_mask, worst_violation
from .log_columns import metric_columns
from .rundir import RunDir

__all__ = ["evaluation_log", "hv_curve", "feasible_minimisation_F", "archive", "archive_curve"]


def evaluation_log(run_dir: str | Path) -> tuple[pd.DataFrame, dict]:
    """One row per unique design in evaluation order: ``gen``, ``f_*`` (minimisation form, as the
    search saw them), ``g_*``, ``feasible`` and ``violated`` (the most violated constraint, "" when
    feasible); plus the run's ``run.json``."""
    rd = RunDir.open(run_dir, readonly=True)
    try:
        info = rd.info()
        rows = rd.rows()
    finally:
        rd.close()
    objs, cons = info.get("objectives"), info.get("constraints")
    if not isinstance(objs, list) or not isinstance(cons, list):
        raise CorruptFileError(f"{Path(run_dir) / 'run.json'}: no 'objectives' and 'constraints' lists; the file is "
                               f"damaged or not a run's")
    bad = [i for i, r in enumerate(rows, start=1) if len(r.f) != len(objs) or len(r.g) != len(cons)]
    if bad:
        raise CorruptFileError(f"{rd.log.path}: row {bad[0]} does not have {len(objs)} objectives and {len(cons)} "
                               f"constraints as run.json says")
    data = {"gen": [r.gen for r in rows]}
    F = np.array([r.f for r in rows], dtype=float).reshape(len(rows), len(objs))
    G = np.array([r.g for r in rows], dtype=float).reshape(len(rows), len(cons))
    for j, o in enumerate(objs):
        data[f"f_{o}"] = F[:, j]
    for j, c in enumerate(cons):
        data[f"g_{c}"] = G[:, j]
    df = pd.DataFrame(data)
    df["feasible"] = feasible_mask(G)
    df["violated"] = worst_violation(G, cons, _scales(info, cons))
    return df, info


#: constraint name -> its bound's key in a config's [constraints] table
_BOUND_KEYS = {"area_mm2": "area_mm2_max", "power_mw": "power_mw_max", "accuracy_min": "accuracy_min"}


def _scales(info: dict, cons: Sequence[str]) -> list[float]:
    table = (info.get("config") or {}).get("constraints") or {} if isinstance(info.get("config"), dict) else {}
    out = []
    for c in cons:
        v = table.get(_BOUND_KEYS.get(c, ""), 1.0) if isinstance(table, dict) else 1.0
        out.append(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 1.0)
    return out


def feasible_minimisation_F(log: pd.DataFrame, objectives: Sequence[str]) -> np.ndarray:
    return log.loc[log["feasible"], [f"f_{o}" for o in objectives]].to_numpy(dtype=float)


def hv_curve(log: pd.DataFrame, objectives: Sequence[str], bounds: Bounds) -> pd.DataFrame:
    """Normalised hypervolume of the feasible designs evaluated so far, after each generation."""
    out = []
    front = np.zeros((0, len(objectives)))
    cols = [f"f_{o}" for o in objectives]
    n = 0
    for gen, part in log.groupby("gen", sort=True):
        n += len(part)
        new = part.loc[part["feasible"], cols].to_numpy(dtype=float)
        if len(new):
            cand = np.vstack([front, new])
            front = cand[nondominated(cand)]
        out.append({"gen": int(gen), "evaluations": n, "hv": normalised_hv(front, bounds) if len(front) else 0.0})
    return pd.DataFrame(out)


def archive(run_dirs: Sequence[str | Path], evaluator: Any) -> tuple[pd.DataFrame, list[int]]:
    """Every design a run evaluated, all phases in order, in ``evaluator``'s objective space.

    A logged design counts as a real joint design when its metrics (the log's extras) hold every
    metric ``evaluator``'s objectives and constraints read (``needed_metrics``): its objectives
    (minimisation form) and constraints are then recomputed from them, so the designs of a NAS
    phase on a proxy accelerator join the archive; designs of a phase in another space (decoupled
    search's hardware-agnostic NAS: cells without hardware) count as evaluations only. Returns
    ``(frame, evaluations per phase)``: one row per joint design with ``phase``, ``gen``,
    ``evaluation`` (its running number over all phases), ``f_*`` and ``feasible``."""
    need = tuple(evaluator.needed_metrics()) if hasattr(evaluator, "needed_metrics") else None
    objs = list(evaluator.objective_names)
    parts, counts, done = [], [], 0
    for k, d in enumerate(run_dirs):
        rd = RunDir.open(d, readonly=True)
        try:  # columns, not a row object per design: the same values
            gen, has, values = metric_columns(rd.log, need or ())
        finally:
            rd.close()
        counts.append(len(gen))
        idx = np.flatnonzero(has) if need is not None else np.zeros(0, dtype=np.int64)
        if len(idx):
            m = {name: values[name][idx] for name in need}
            F = evaluator.objectives_from(m)
            G = evaluator.constraints_from(m)
            frame = pd.DataFrame(F, columns=[f"f_{o}" for o in objs])
            frame.insert(0, "evaluation", done + idx + 1)
            frame.insert(0, "gen", gen[idx].tolist())
            frame.insert(0, "phase", k + 1)
            frame["feasible"] = feasible_mask(G)
            parts.append(frame)
        done += len(gen)
    cols = ["phase", "gen", "evaluation", *[f"f_{o}" for o in objs], "feasible"]
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)), counts


def archive_curve(arch: pd.DataFrame, objectives: Sequence[str], bounds: Bounds, total: int,
                  step: int = 50) -> pd.DataFrame:
    """Normalised hypervolume of the archive's feasible designs against evaluations: one point
    every ``step`` evaluations and at ``total`` (the run's evaluations, including those without a
    joint design), so every run's curve spans its whole budget on the same grid."""
    grid = np.unique(np.append(np.arange(step, total + 1, step), total)) if total > 0 else np.zeros(0, dtype=int)
    cols = [f"f_{o}" for o in objectives]
    ok = arch.loc[arch["feasible"].astype(bool)] if len(arch) else arch
    ev = ok["evaluation"].to_numpy(dtype=np.int64) if len(ok) else np.zeros(0, dtype=np.int64)
    F = ok[cols].to_numpy(dtype=float) if len(ok) else np.zeros((0, len(cols)))
    out, front, j = [], np.zeros((0, len(cols))), 0
    for n in grid:
        k = int(np.searchsorted(ev, n, side="right"))
        if k > j:
            cand = np.vstack([front, F[j:k]])
            front = cand[nondominated(cand)]
            j = k
        out.append({"evaluations": int(n), "hv": normalised_hv(front, bounds) if len(front) else 0.0})
    return pd.DataFrame(out, columns=["evaluations", "hv"])

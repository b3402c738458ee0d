"""``evo-codesign plot RUN_DIR...``: fronts overlaid, hypervolume against evaluations, and the
decoded genome of a chosen front point, for one or several runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..io.history import evaluation_log, feasible_minimisation_F, hv_curve
from ..metrics import Bounds, nondominated, normalised_hv
from ..objectives import get as get_objective
from .figures import Axis, plot_design, plot_fronts, plot_hv_curves, wrap

__all__ = ["plot_runs", "objective_label", "objective_axis"]


def objective_label(o: str) -> str:
    """An objective's label with its unit, without source paths, e.g. ``latency (ms)``."""
    obj = get_objective(o)
    return wrap(f"{obj.label} ({obj.unit})", 1000)


def objective_axis(o: str) -> Axis:
    """The figure axis of objective ``o`` (its ``f_`` column, label with unit, sense)."""
    return Axis(f"f_{o}", objective_label(o), get_objective(o).sense)


def _final_minimised(front: pd.DataFrame, objectives: Sequence[str], senses: Sequence[str]) -> np.ndarray:
    ok = front["feasible"].astype(bool).to_numpy() if "feasible" in front else np.ones(len(front), dtype=bool)
    sign = np.array([-1.0 if s == "max" else 1.0 for s in senses])
    return front.loc[ok, [f"f_{o}" for o in objectives]].to_numpy(dtype=float) * sign


def _hv_figure(logs: list, infos: list, fronts: list, labels: list, objectives: Sequence[str], out: Path) -> list[Path]:
    """``bounds.json``, ``hv_curves.csv`` and the figure (see :func:`plot_runs`); nothing without
    a feasible design."""
    from ..io.atomic import atomic_write_text

    union = np.vstack([feasible_minimisation_F(lg, objectives) for lg in logs])
    if not len(union):
        return []
    senses = [get_objective(o).sense for o in objectives]
    bounds = Bounds.from_points(union)
    ref_hv = normalised_hv(union[nondominated(union)], bounds)
    atomic_write_text(out / "bounds.json", json.dumps(
        {**bounds.to_dict(), "objectives": list(objectives), "reference": "union of every feasible design "
         "the runs evaluated", "reference_hv": ref_hv, "hv_reference_point": 1.1}, indent=1))
    curves = pd.concat([hv_curve(lg, objectives, bounds).assign(strategy=lab, seed=i["seed"])
                        for lg, i, lab in zip(logs, infos, labels)], ignore_index=True)
    curves["hv_fraction"] = curves["hv"] / ref_hv if ref_hv > 0 else np.nan
    atomic_write_text(out / "hv_curves.csv", curves.to_csv(index=False))
    final = pd.DataFrame([{"strategy": lab, "evaluations": len(lg),
                           "hv": normalised_hv(_final_minimised(f, objectives, senses), bounds) / ref_hv
                           if ref_hv > 0 else np.nan}
                          for f, lg, lab in zip(fronts, logs, labels)])
    return plot_hv_curves(curves.assign(hv=curves["hv_fraction"]), out / "hv_vs_evaluations", reference_hv=1.0,
                          final=final, ylabel="hypervolume of every feasible design evaluated so far / that of the "
                                              "union of all these runs' evaluations",
                          reference_label="union of all the runs' evaluations",
                          title="objectives normalised by the union's bounds; reference point 1.1 in each")


def plot_runs(run_dirs: Sequence[str | Path], out: str | Path, *, design: int = 0) -> list[Path]:
    """Write the figures for the given runs into ``out``; returns the files written.

    * ``fronts``: the runs' final fronts (one colour per strategy, one marker per seed; see
      :func:`~evo_codesign.plot.figures.plot_fronts`);
    * ``hv_vs_evaluations``: for each run, the hypervolume of every feasible design it evaluated so
      far over that of the *union of all the runs' evaluations* (1.0 = as good as everything
      these runs found together); the diamonds score each run's final front on the same scale.
      Objectives are normalised with bounds frozen from that union (``bounds.json``), reference
      point 1.1; the curves are also in ``hv_curves.csv`` (``hv``: normalised hypervolume,
      ``hv_fraction``: over the union's);
    * ``design_<I>``: design ``I`` of the first run's front, numbered as ``evo-codesign front`` prints.
    """
    from ..io.atomic import disk_error
    from ..io.frames import read_front

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(out, e, "create") from None
    logs, infos, fronts = [], [], []
    for rd in run_dirs:
        log, info = evaluation_log(rd)
        logs.append(log)
        infos.append(info)
        fronts.append(read_front(rd))
    objectives = infos[0]["objectives"]
    if any(i["objectives"] != objectives for i in infos):
        raise UsageError("runs to compare must have the same objectives, got "
                         + "; ".join(f"{r}: {i['objectives']}" for r, i in zip(run_dirs, infos)))
    # one colour per strategy, one marker per seed; runs that share both are told apart by folder
    keys = [(str(i.get("strategy", "run")), i.get("seed")) for i in infos]
    labels = [s if keys.count((s, seed)) == 1 else f"{s} ({Path(rd).name})"
              for (s, seed), rd in zip(keys, run_dirs)]
    frame = pd.concat([f.assign(strategy=lab, seed=seed) for f, lab, (_, seed) in zip(fronts, labels, keys)],
                      ignore_index=True)
    n = len(run_dirs)
    paths = plot_fronts(frame, [objective_axis(o) for o in objectives], out / "fronts",
                        title=f"final fronts of {n} run{'s' if n > 1 else ''}")
    paths += _hv_figure(logs, infos, fronts, labels, objectives, out)
    first = fronts[0]
    if len(first):
        if not 0 <= design < len(first):
            raise UsageError(f"--design {design} out of range: the first run's front has {len(first)} designs "
                             f"(0-{len(first) - 1}, as `evo-codesign front {run_dirs[0]}` numbers them)")
        row = first.iloc[design]
        decoded: dict = {}
        for col, v in row.items():
            if "." in col and not col.startswith("x_"):
                seg, key = col.split(".", 1)
                decoded.setdefault(seg, {})[key] = v
        if "cell" in decoded:
            decoded["cell"] = {c: json.loads(decoded["cell"][c]) for c in ("normal", "reduce")}
        objs = {objective_label(o): f"{row[f'f_{o}']:.4g}" for o in objectives}
        if "ood" in row and "ood_score" in row:
            inside = "OUTSIDE (an extrapolation)" if str(row["ood"]).lower() == "true" else "inside"
            objs["cell vs surrogate's training cells"] = f"{inside}, ood_score {float(row['ood_score']):.2f}"
        paths += plot_design(decoded, out / f"design_{design}", objectives=objs,
                             title=f"design {design} of the front of {Path(run_dirs[0]).name}")
    return paths

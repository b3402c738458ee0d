"""``evo-codesign plot RUN_DIR...``: fronts overlaid, hypervolume against evaluations, and the
decoded genome of a chosen front point, for one or several runs."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import MissingFileError, UsageError
from ..objectives import get as get_objective
from ..io.history import evaluation_log, feasible_minimisation_F, hv_curve
from ..metrics import Bounds
from .figures import plot_design, plot_fronts, plot_hv_curves

__all__ = ["plot_runs", "objective_label"]


def objective_label(o: str) -> str:
    obj = get_objective(o)
    unit, label = obj.unit, obj.label
    return f"{label} ({unit})" + (" [proxy]" if o == "capacity_proxy" else "")


def plot_runs(run_dirs: Sequence[str | Path], out: str | Path, *, design: int = 0) -> list[Path]:
    """Write the figures for the given runs into ``out``; returns the files written.

    Objectives are shown in their natural sense; hypervolume uses bounds frozen from the union of
    all feasible evaluations of the runs, stored in ``out/bounds.json``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    logs, infos, fronts = [], [], {}
    for rd in run_dirs:
        log, info = evaluation_log(rd)
        logs.append(log)
        infos.append(info)
        front_csv = Path(rd) / "front.csv"
        if not front_csv.exists():
            raise MissingFileError(f"{rd} has no front.csv yet")
        fronts[f"{info.get('strategy', 'run')} seed {info['seed']} ({Path(rd).name})"] = pd.read_csv(front_csv)
    objectives = infos[0]["objectives"]
    if any(i["objectives"] != objectives for i in infos):
        raise UsageError("runs to compare must have the same objectives, got "
                         + "; ".join(f"{r}: {i['objectives']}" for r, i in zip(run_dirs, infos)))
    paths = plot_fronts(fronts, {f"f_{o}": objective_label(o) for o in objectives}, out / "fronts",
                        title="Pareto fronts")
    union = np.vstack([feasible_minimisation_F(lg, objectives) for lg in logs])
    if len(union):
        bounds = Bounds.from_points(union)
        (out / "bounds.json").write_text(pd.Series(bounds.to_dict()).to_json())
        curves = pd.concat([hv_curve(lg, objectives, bounds).assign(strategy=i.get("strategy", "run"), seed=i["seed"])
                            for lg, i in zip(logs, infos)])
        curves.to_csv(out / "hv_curves.csv", index=False)
        paths += plot_hv_curves(curves, out / "hv_vs_evaluations")
    first = next(iter(fronts.values()))
    if len(first):
        if not 0 <= design < len(first):
            raise UsageError(f"--design {design} out of range: the first run's front has {len(first)} designs")
        row = first.iloc[design]
        decoded: dict = {}
        for col, v in row.items():
            if "." in col and not col.startswith("x_"):
                seg, key = col.split(".", 1)
                decoded.setdefault(seg, {})[key] = v
        if "cell" in decoded:
            import json
            decoded["cell"] = {c: json.loads(decoded["cell"][c]) for c in ("normal", "reduce")}
        objs = {objective_label(o): f"{row[f'f_{o}']:.4g}" for o in objectives}
        paths += plot_design(decoded, out / f"design_{design}", objectives=objs, title=f"front design {design}")
    return paths

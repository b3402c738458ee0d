"""``evo-codesign plot RUN_DIR...``: fronts overlaid, hypervolume against evaluations, and the
decoded genome of a chosen front point, for one or several runs."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import UsageError
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
    from ..io.atomic import atomic_write_text, disk_error
    from ..io.frames import read_front

    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(out, e, "create") from None
    logs, infos, fronts = [], [], {}
    for rd in run_dirs:
        log, info = evaluation_log(rd)
        logs.append(log)
        infos.append(info)
        fronts[f"{info.get('strategy', 'run')} seed {info.get('seed')} ({Path(rd).name})"] = read_front(rd)
    objectives = infos[0]["objectives"]
    if any(i["objectives"] != objectives for i in infos):
        raise UsageError("runs to compare must have the same objectives, got "
                         + "; ".join(f"{r}: {i['objectives']}" for r, i in zip(run_dirs, infos)))
    paths = plot_fronts(fronts, {f"f_{o}": objective_label(o) for o in objectives}, out / "fronts",
                        title="Pareto fronts")
    union = np.vstack([feasible_minimisation_F(lg, objectives) for lg in logs])
    if len(union):
        bounds = Bounds.from_points(union)
        atomic_write_text(out / "bounds.json", pd.Series(bounds.to_dict()).to_json())
        curves = pd.concat([hv_curve(lg, objectives, bounds).assign(strategy=i.get("strategy", "run"), seed=i["seed"])
                            for lg, i in zip(logs, infos)])
        atomic_write_text(out / "hv_curves.csv", curves.to_csv(index=False))
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

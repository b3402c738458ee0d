"""Tidy result frames: one row per design, columns ``x_*`` (genes), decoded fields, ``f_*``
(objectives in their natural sense and units), ``g_*`` (constraints, ``<= 0`` feasible),
``feasible`` (every constraint met) and ``violated`` (the most violated constraint, "" when
feasible), extras, and run identifiers (``strategy``, ``seed``, ``gen``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, MissingFileError
from ..protocols import feasible_mask, worst_violation
from ..space.joint import JointSpace

__all__ = ["flatten_decoded", "design_frame", "read_front"]


def flatten_decoded(decoded: Mapping[str, Any]) -> dict[str, Any]:
    """``{"accelerator": {"dataflow": ...}}`` -> ``{"accelerator.dataflow": ...}``; lists and cell
    genotypes become compact strings so every value fits one CSV cell."""
    out: dict[str, Any] = {}
    for seg, d in decoded.items():
        for k, v in d.items():
            if seg == "cell" and k.endswith("_concat"):
                continue
            if isinstance(v, (list, tuple)):
                v = json.dumps(v, separators=(",", ":"))
            out[f"{seg}.{k}"] = v
    return out


def design_frame(space: JointSpace, X: np.ndarray, F: np.ndarray, G: np.ndarray, *,
                 objective_names: Sequence[str], objective_senses: Sequence[str],
                 constraint_names: Sequence[str], extras: Sequence[Mapping[str, Any]] | None = None,
                 constraint_scales: Sequence[float] | None = None, **identifiers: Any) -> pd.DataFrame:
    """One row per design; ``F`` is in minimisation form and is shown in each objective's sense.
    ``constraint_scales``: each constraint's bound, to rank violations (:func:`worst_violation`)."""
    X = np.asarray(X, dtype=np.int64)
    rows = []
    sign = np.array([-1.0 if s == "max" else 1.0 for s in objective_senses])
    G = np.asarray(G, dtype=float).reshape(len(X), len(constraint_names))
    ok = feasible_mask(G)
    worst = worst_violation(G, list(constraint_names), constraint_scales)
    for i, x in enumerate(X):
        row: dict[str, Any] = dict(identifiers)
        row.update({f"x_{n}": int(v) for n, v in zip(space.gene_names, x)})
        row.update(flatten_decoded(space.decode(x)))
        row.update({f"f_{n}": float(sign[j] * F[i, j]) for j, n in enumerate(objective_names)})
        row.update({f"g_{n}": float(G[i, j]) for j, n in enumerate(constraint_names)})
        row.update(feasible=bool(ok[i]), violated=worst[i])
        if extras is not None:
            row.update({k: v for k, v in extras[i].items()
                        if f"f_{k}" not in row and k not in ("feasible", "violated")})
        rows.append(row)
    return pd.DataFrame(rows)


def read_front(run_dir: str | Path) -> pd.DataFrame:
    """A run's ``front.csv``; a missing one raises :class:`MissingFileError`, an empty, binary or
    damaged one :class:`CorruptFileError`, both naming the file."""
    from .readers import read_text

    p = Path(run_dir) / "front.csv"
    if not p.exists():
        raise MissingFileError(f"{run_dir} has no front.csv yet (the run has not finished)")
    text = read_text(p, CorruptFileError, what="front file")
    try:
        front = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise CorruptFileError(f"{p}: not a readable front ({str(e).splitlines()[0][:120]})") from None
    if not any(str(c).startswith("f_") for c in front.columns):
        raise CorruptFileError(f"{p}: no objective (f_*) columns; it is not a front written by evo-codesign")
    return front.copy()  # one block per dtype: read_csv leaves one per column, which later slows assign()

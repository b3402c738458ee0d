"""Tidy result frames: one row per design, columns ``x_*`` (genes), decoded fields, ``f_*``
(objectives in their natural sense and units), ``g_*`` (constraints, ``<= 0`` feasible),
``feasible`` (every constraint met) and ``violated`` (the most violated constraint, "" when
feasible), extras, and run identifiers (``strategy``, ``seed``, ``gen``). With a surrogate that
knows its training domain (the embedded one), ``ood`` flags cells outside it and ``ood_score``
gives the distance (see :mod:`evo_codesign.surrogate.domain`).

A front lists each design once (:func:`distinct_designs`): rows with the same network, the same
objectives and the same constraints differ only in hardware genes without effect on them (a loop
order that never binds, a duplication factor of a sequential chip); the first stands for them all
and ``n_equivalent`` counts them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, MissingFileError
from ..protocols import feasible_mask, worst_violation
from ..space.joint import NEURAL_SPACES, JointSpace

__all__ = ["flatten_decoded", "design_frame", "read_front", "distinct_designs"]


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
                 constraint_scales: Sequence[float] | None = None, surrogate: Any = None,
                 **identifiers: Any) -> pd.DataFrame:
    """One row per design; ``F`` is in minimisation form and is shown in each objective's sense.
    ``constraint_scales``: each constraint's bound, to rank violations (:func:`worst_violation`).
    ``surrogate``: the accuracy model; when it has ``out_of_distribution`` and the space has cells,
    columns ``ood`` and ``ood_score`` say how far each cell lies from its training cells."""
    X = np.asarray(X, dtype=np.int64)
    rows = []
    sign = np.array([-1.0 if s == "max" else 1.0 for s in objective_senses])
    G = np.asarray(G, dtype=float).reshape(len(X), len(constraint_names))
    ok = feasible_mask(G)
    worst = worst_violation(G, list(constraint_names), constraint_scales)
    decoded = _decoded_rows(space, X)
    # Python numbers by whole rows (``tolist``), not element by element: the same values
    x_names, f_names, g_names = ([f"{p}_{n}" for n in names] for p, names in
                                 (("x", space.gene_names), ("f", objective_names), ("g", constraint_names)))
    xs, fs, gs = X.tolist(), (sign * np.asarray(F, dtype=float)).tolist() if len(X) else [], G.tolist()
    for i in range(len(X)):
        row: dict[str, Any] = dict(identifiers)
        row.update(zip(x_names, xs[i]))
        row.update(decoded[i])
        row.update(zip(f_names, fs[i]))
        row.update(zip(g_names, gs[i]))
        row.update(feasible=bool(ok[i]), violated=worst[i])
        if extras is not None:
            row.update({k: v for k, v in extras[i].items()
                        if f"f_{k}" not in row and k not in ("feasible", "violated")})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if surrogate is not None and hasattr(surrogate, "out_of_distribution") and "cell" in space.slices and len(X):
        ood, score = surrogate.out_of_distribution(X[:, space.slices["cell"]])
        frame["ood"], frame["ood_score"] = np.asarray(ood, dtype=bool), np.round(np.asarray(score, dtype=float), 4)
    return frame


def _decoded_rows(space: JointSpace, X: np.ndarray) -> list[dict[str, Any]]:
    """``flatten_decoded(space.decode(x))`` of each row of ``X``. With the joint space's own
    ``decode``, each segment's genes are decoded once per distinct value (a front repeats
    cells and accelerators), the same errors naming the segment and the joint position."""
    if type(space).decode is not JointSpace.decode:
        return [flatten_decoded(space.decode(x)) for x in X]
    per_segment = []
    for seg in space.segments:
        sl = space.slices[seg.name]
        seen: dict[bytes, dict[str, Any]] = {}
        column = []
        for genes in X[:, sl]:
            key = genes.tobytes()
            if key not in seen:
                seen[key] = flatten_decoded({seg.name: seg.decode(genes, offset=sl.start)})
            column.append(seen[key])
        per_segment.append(column)
    return [{k: v for part in parts for k, v in part.items()} for parts in zip(*per_segment)] if per_segment \
        else [{} for _ in X]


def _network_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).split(".", 1)[0] in NEURAL_SPACES and "." in str(c)]


def distinct_designs(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` with one row per distinct design, and the boolean mask of the rows kept.

    Two rows are the same design when their network (the decoded ``cell.*`` / ``backbone.*``
    fields), objectives (``f_*``) and constraints (``g_*``) are equal: whatever else differs are
    hardware genes without effect on any of them. The first row of each group is kept (row order
    is preserved) and ``n_equivalent`` gives how many rows it stands for (summed when the frame
    already has the column, so applying this twice changes nothing)."""
    if not len(frame):
        return frame.copy(), np.zeros(0, dtype=bool)
    key = [c for c in frame.columns if str(c).startswith(("f_", "g_"))] + _network_columns(frame)
    if not key:
        out = frame.copy()
        if "n_equivalent" not in out:
            out["n_equivalent"] = 1
        return out, np.ones(len(frame), dtype=bool)
    group = _row_groups(frame, key)
    first = np.unique(group, return_index=True)[1]
    keep = np.zeros(len(frame), dtype=bool)
    keep[first] = True
    counts = frame["n_equivalent"].to_numpy(dtype=np.int64) if "n_equivalent" in frame else \
        np.ones(len(frame), dtype=np.int64)
    total = np.zeros(len(first), dtype=np.int64)
    np.add.at(total, group, counts)
    out = frame[keep].copy()
    out["n_equivalent"] = total[group[keep]].astype(int)
    return out.reset_index(drop=True), keep


def _row_groups(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Each row's group number (0, 1, ... in order of first appearance) by its values in
    ``columns``, as if compared as text (``astype(str)``, a missing value "nan"): NaN equals
    NaN and 0.0 differs from -0.0. Numbers are compared by their bits (a float's shortest text
    names its bits; every NaN is one), anything else by its text."""
    parts = []
    for c in columns:
        v = frame[c]
        if isinstance(v.dtype, np.dtype) and v.dtype.kind in "fiub":
            a = v.to_numpy()
            if a.dtype.kind == "f":
                a = a.astype(np.float64)
                a = np.where(np.isnan(a), np.nan, a).view(np.int64)
            parts.append(a.tolist())
        else:
            parts.append(v.astype(str).fillna("nan").tolist())
    seen: dict[tuple, int] = {}
    return np.array([seen.setdefault(r, len(seen)) for r in zip(*parts)], dtype=np.int64)


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
    if "n_equivalent" in front:  # how many designs a row stands for: a whole number from 1
        n = pd.to_numeric(front["n_equivalent"], errors="coerce")
        bad = (~(n >= 1) | (n != np.floor(n))).to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise CorruptFileError(f"{p}: column n_equivalent holds {front['n_equivalent'].iloc[i]!r} in data row "
                                   f"{i + 1}, not a count of designs")
        front["n_equivalent"] = n.astype(np.int64)
    # one block per dtype (read_csv leaves one per column, which later slows assign()); fronts
    # written before designs were made distinct list some twice
    return distinct_designs(front)[0].copy()

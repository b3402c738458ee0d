"""The semi-decoupled premise on the designs a comparison found: Spearman rank correlation of
many cells' latency between the distinct accelerators on the fronts (``rank_correlation.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .config import Config
from .errors import CorruptFileError, UsageError
from .evaluate import build_evaluator
from .io.atomic import atomic_write_text
from .io.readers import read_json
from .strategies import space_for

__all__ = ["rank_matrix", "rank_heatmap", "run_dirs_heatmap"]


def _design_label(row: pd.Series) -> str:
    parts = []
    if "accelerator.dataflow" in row:
        parts.append(f"{row['accelerator.dataflow']} {row['accelerator.array_rows']}x{row['accelerator.array_cols']}")
    if "imc.crossbar_size" in row:
        parts.append(f"xbar{row['imc.crossbar_size']} {row['imc.adc_type']}{row['imc.adc_bits']}")
    return " / ".join(parts)


def _finders(rows: pd.DataFrame) -> str:
    """Who found a design: ``coupled s1, s3; decoupled s2`` (at most three strategies named; more
    than four seeds of one strategy are counted, ``coupled 27 seeds``)."""
    if "strategy" not in rows:
        return ""
    parts = [str(s) for s in sorted(rows["strategy"].unique())]
    if "seed" in rows:
        seeds = rows.groupby("strategy", sort=True)["seed"].apply(lambda v: sorted(set(v)))
        parts = [f"{s} " + (", ".join(f"s{k}" for k in seeds[s]) if len(seeds[s]) <= 4 else f"{len(seeds[s])} seeds")
                 for s in sorted(rows["strategy"].unique())]
    return "; ".join(parts[:3]) + (f"; +{len(parts) - 3}" if len(parts) > 3 else "")


def _labels(designs: pd.DataFrame, finders: list[str]) -> list[str]:
    """``k: dataflow RxC / crossbar ADC [found by]``; designs that would share a label also name
    the first decoded hardware field in which they differ."""
    base = [_design_label(row) for _, row in designs.iterrows()]
    hw_cols = [c for c in designs.columns if c.startswith(("accelerator.", "imc.")) and "." in c]
    out = list(base)
    for lab in set(base):
        idx = [i for i, b in enumerate(base) if b == lab]
        if len(idx) < 2:
            continue
        diff = [c for c in hw_cols if designs.iloc[idx][c].astype(str).nunique() > 1][:2]
        for i in idx:
            out[i] = lab + "".join(f", {c.split('.', 1)[1]} {designs.iloc[i][c]}" for c in diff)
    return [f"{k}: {lab}" + (f"  [{who}]" if who else "") for k, (lab, who) in enumerate(zip(out, finders))]


def rank_matrix(cfg: Config, fronts: pd.DataFrame, *, n_cells: int = 50, max_designs: int = 12, seed: int = 0,
                evaluator: Any = None, max_candidates: int = 200) -> pd.DataFrame:
    """Spearman rank correlation of ``n_cells`` random cells' latency between the distinct hardware
    designs of ``fronts`` (at most ``max_designs``, spread over dataflows): the semi-decoupled
    premise, checked on the accelerators the comparison actually found. Hardware designs whose
    latency is the same on every one of those cells (they differ only in genes without effect on
    latency, e.g. buffer sizes that never bind) are one row. Designs are taken round-robin over the
    strategies and, within each, over dataflows. Rows/columns are labelled by dataflow and array
    size (PE array) or crossbar size and ADC, and by the strategies and seeds whose fronts hold the
    design (among the first ``max_candidates`` distinct hardware genomes). Cell space only."""
    from scipy.stats import spearmanr

    space = space_for(cfg)
    if "cell" not in space:
        raise UsageError("rank_matrix needs the cell space (space.neural = 'cell')")
    ev = evaluator if evaluator is not None else build_evaluator(cfg, space)
    X = fronts[[f"x_{g}" for g in space.gene_names]].to_numpy(dtype=np.int64)
    hw = np.setdiff1d(np.arange(space.n_var), np.arange(space.slices["cell"].start, space.slices["cell"].stop))
    _, first, genome_of_row = np.unique(X[:, hw], axis=0, return_index=True, return_inverse=True)
    cand = fronts.iloc[np.sort(first)].assign(_genome=genome_of_row[np.sort(first)].ravel())
    # round-robin over strategies and, within each, over dataflows: every strategy and dataflow shows up
    who = cand["strategy"] if "strategy" in cand else pd.Series(0, index=cand.index)
    if "accelerator.dataflow" in cand:
        k = cand.groupby([who, cand["accelerator.dataflow"]]).cumcount()
        cand = cand.assign(_k=k.to_numpy(), _who=who.to_numpy()).sort_values(["_who", "_k"], kind="stable")
        who = cand["_who"]
    cand = cand.assign(_k=cand.groupby(who.to_numpy()).cumcount().to_numpy()).sort_values("_k", kind="stable")
    cand = cand.iloc[:max_candidates]
    cells = space["cell"].sample(np.random.default_rng(seed), n_cells)
    hardware = cand[[f"x_{g}" for g in space.gene_names]].to_numpy(dtype=np.int64)
    networks = np.repeat(hardware[:1], n_cells, axis=0)
    networks[:, space.slices["cell"]] = cells
    # one row per distinct latency vector, the first candidate standing for it
    keep, L, cls = _latency_classes(ev, networks, hardware, max_designs)
    cls_of_genome = dict(zip(cand["_genome"].to_numpy(), cls))
    row_cls = np.array([cls_of_genome.get(g, -1) for g in genome_of_row.ravel()])
    finders = [_finders(fronts[row_cls == k]) for k in range(len(keep))]
    designs = cand.iloc[keep].drop(columns=["_genome", "_k", "_who"], errors="ignore")
    labels = _labels(designs, finders)
    M = np.atleast_2d(spearmanr(L, axis=1).statistic) if len(L) > 1 else np.ones((1, 1))
    return pd.DataFrame(M, index=labels, columns=labels)


#: cells every candidate is first costed on (its signature): two candidates with different
#: signatures have different latency vectors, so only those sharing one are costed on every cell
_SIGNATURE_CELLS = 3


def _latencies(ev: Any, networks: np.ndarray, hardware: np.ndarray) -> np.ndarray:
    """Latency of every hardware design (rows) on every network (columns): each pair costed on
    its own, the same values in any batch."""
    if not len(networks) or not len(hardware):
        return np.zeros((len(hardware), len(networks)))
    lat = ev.metrics_product(networks, hardware, keys=("latency_ms",))["latency_ms"]
    return lat.reshape(len(networks), len(hardware)).T


def _latency_classes(ev: Any, networks: np.ndarray, hardware: np.ndarray,
                     max_designs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidates (``hardware``, in order) grouped by their latency vector on ``networks``:
    ``(keep, L, cls)``, ``keep`` the first candidate of each of the first ``max_designs``
    distinct vectors, ``L`` those vectors, ``cls[j]`` the position in ``keep`` of candidate
    ``j``'s vector (``len(keep) + j`` when it is none of them). The same as costing every
    candidate on every network and grouping equal rows, at a fraction of the pairs: every
    candidate is costed on the first :data:`_SIGNATURE_CELLS` networks, and only the candidates
    whose signature another candidate shares, or that stand for a kept vector, on the rest."""
    s = min(_SIGNATURE_CELLS, len(networks))
    sig = _latencies(ev, networks[:s], hardware)
    full: dict[int, bytes] = {}
    rows: dict[int, np.ndarray] = {}
    groups: dict[bytes, list[int]] = {}
    for j in range(len(hardware)):
        groups.setdefault(sig[j].tobytes(), []).append(j)

    def cost(group: list[int]) -> None:  # the group's candidates on every network
        todo = [j for j in group if j not in full]
        if todo:
            rest = _latencies(ev, networks[s:], hardware[todo])
            for j, r in zip(todo, rest):
                rows[j] = np.concatenate([sig[j], r])
                full[j] = rows[j].tobytes()

    keep: list[int] = []
    for j in range(len(hardware)):
        if len(keep) >= max_designs:
            break
        group = groups[sig[j].tobytes()]
        cost(group)
        if not any(full[i] == full[j] for i in group if i < j):  # the first of its vector
            keep.append(j)
    where: dict[bytes | None, int] = {full[k]: n for n, k in enumerate(keep)}
    cls = np.array([where.get(full.get(j), len(keep) + j) for j in range(len(hardware))], dtype=np.int64)
    L = np.array([rows[k] for k in keep]).reshape(len(keep), len(networks))
    return np.array(keep, dtype=np.int64), L, cls


def rank_heatmap(cfg: Config, fronts: pd.DataFrame, out: Path, what: str) -> list[Path]:
    """Spearman heatmap (and ``rank_correlation.csv``) of 50 random cells' latency between the
    accelerators on ``fronts``; nothing for spaces without cells or empty fronts."""
    from .plot.figures import plot_rank_heatmap

    if cfg.space.neural != "cell" or not len(fronts):
        return []
    M = rank_matrix(cfg, fronts)
    atomic_write_text(out / "rank_correlation.csv", M.to_csv())
    return plot_rank_heatmap(M, out / "rank_correlation",
                             title=f"Spearman rank correlation of 50 random cells' latency between the distinct "
                                   f"{what} accelerators (one row each; [strategy and seeds whose fronts hold it])")


def run_dirs_heatmap(run_dirs: Sequence[str | Path], out: str | Path) -> list[Path]:
    """:func:`rank_heatmap` of the front accelerators of run directories (runs and strategy phases
    record their config in ``run.json``; cell-space ones get the heatmap)."""
    from .config import config_from_dict
    from .io.frames import read_front

    info = read_json(Path(run_dirs[0]) / "run.json", CorruptFileError, what="run file", expect=dict)
    if not isinstance(info.get("config"), dict):
        return []
    fronts = pd.concat([read_front(d) for d in run_dirs], ignore_index=True)
    return rank_heatmap(config_from_dict(info["config"]), fronts, Path(out), "front")

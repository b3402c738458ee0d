"""Exact reference fronts of spaces small enough to enumerate.

A reference space keeps the configured joint genome but searches it only through
:class:`~evo_codesign.strategies.embedding.Embedding` parts small enough to list: ``n_cells``
sampled cells (canonical, distinct) as one table gene, and each hardware gene restricted to a grid
of values (genes not in the grid held at the middle of their range, the proxy every phased
strategy uses). Every strategy can search that same space (``run_strategy(..., embedding=E)``),
and :func:`exact_front` evaluates all of its designs with the one evaluator, in chunks, keeping
the running non-dominated set of feasible designs, so strategies are scored against the true
front instead of the union of what they found.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..config import Config
from ..dataflows import NAMES as DATAFLOW_NAMES
from ..evaluate import build_evaluator
from ..errors import UsageError
from ..metrics import nondominated
from ..protocols import feasible_mask
from ..runner import BatchPolicy, evaluate_batches
from .api import space_for
from ..space.cell import canonicalize
from .embedding import Embedding

__all__ = ["DEFAULT_GRIDS", "STRUCTURED_GRID", "STRUCTURED_OPS", "DARTS_V2", "structured_space", "reference_space", "exact_front", "ExactFront", "exact_reference"]

_DATAFLOWS = list(DATAFLOW_NAMES)

#: Default hardware grids per target: gene (joint name) -> values. 4,032 PE-array designs; 432
#: crossbar designs. Ranges span the small arrays where rankings change and the large ones.
DEFAULT_GRIDS: dict[str, dict[str, Sequence[Any]]] = {
    "dataflow": {
        "accelerator.dataflow": _DATAFLOWS,
        "accelerator.array_rows": [4, 16, 64],
        "accelerator.array_cols": [4, 16, 64],
        "accelerator.l1_bytes": [64, 512],
        "accelerator.l2_kib": [64, 512],
        "accelerator.noc_bytes_per_cycle": [64, 512],
        "accelerator.offchip_bytes_per_cycle": [16, 128],
        "accelerator.tile_K": [8, 32],
        "accelerator.tile_C": [8, 32],
    },
    "imc": {
        "imc.crossbar_size": [64, 128, 256],
        "imc.adc_type": ["sar", "flash"],
        "imc.adc_bits": [4, 6, 8],
        "imc.column_sharing": [1, 4, 16],
        "imc.input_bits.stage0": [4, 8],
        "imc.input_bits.stage1": [4, 8],
        "imc.input_bits.stage2": [4, 8],
    },
}


#: DARTS_V2's cell topology and ops (Liu, Simonyan and Yang, "DARTS: Differentiable Architecture
#: Search", ICLR 2019; the genotype published with the paper): 8 [op, input] pairs per cell, pairs
#: 2k and 2k+1 feeding node k; inputs 0 = c_{k-2}, 1 = c_{k-1}, 2.. = earlier nodes.
DARTS_V2 = {"normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["sep_conv_3x3", 1],
                       ["sep_conv_3x3", 1], ["skip_connect", 0], ["skip_connect", 0], ["dil_conv_3x3", 2]],
            "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 1],
                       ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["max_pool_3x3", 1]]}
#: the structured benchmark's op set: the costliest and cheapest convolutions, a free and a cheap edge
STRUCTURED_OPS = ("sep_conv_3x3", "sep_conv_5x5", "skip_connect", "max_pool_3x3")
#: its hardware grid: 3 dataflows x 3 x 3 arrays x 2 L2 x 2 NoC x 2 off-chip = 216 PE-array designs
STRUCTURED_GRID: dict[str, Sequence[Any]] = {
    "accelerator.dataflow": ["nvdla", "eyeriss_rs", "shidiannao"],
    "accelerator.array_rows": [4, 16, 64],
    "accelerator.array_cols": [4, 16, 64],
    "accelerator.l2_kib": [64, 512],
    "accelerator.noc_bytes_per_cycle": [64, 512],
    "accelerator.offchip_bytes_per_cycle": [16, 128],
}


def structured_space(cfg: Config, *, ops: Sequence[str] = STRUCTURED_OPS, cells: Sequence[str] = ("normal",),
                     grid: Mapping[str, Sequence[Any]] | None = None, topology: Mapping[str, Any] = DARTS_V2
                     ) -> Embedding:
    """An enumerable space that keeps the cell's structure in its genome: ``topology``'s edges
    (which node reads which) fixed, each edge of the ``cells`` (``"normal"``, ``"reduce"``) an op
    gene over ``ops`` (the other cell as in ``topology``), times the hardware ``grid`` (default
    :data:`STRUCTURED_GRID` for the PE array; genes outside it at the middle of their range).
    Default: 4^8 = 65,536 normal cells x 216 designs = 14.2 M designs. Unlike
    :func:`reference_space` (a table of sampled cells, one categorical gene), phase 1 and coupled
    search see eight op genes, so mutation and crossover act on the cell's structure."""
    from ..space.cell import genotype_to_genome

    base = space_for(cfg)
    if "cell" not in base:
        raise UsageError("structured_space needs the cell space (space.neural = 'cell')")
    bad = [c for c in cells if c not in ("normal", "reduce")]
    if bad or not cells:
        raise UsageError(f"structured_space: cells must be 'normal' and/or 'reduce', got {list(cells)}")
    if grid is None:
        if cfg.space.hardware != "dataflow":
            raise UsageError(f"no default structured grid for hardware {cfg.space.hardware!r}: give one (compare "
                             f"--grid GRID.toml, or grid= in Python) or use space.hardware = 'dataflow'")
        grid = STRUCTURED_GRID
    genome = genotype_to_genome(dict(topology))
    E = Embedding.identity(base)
    cell = E.positions_of("cell")
    names = list(base.gene_names)
    searched = [names.index(f"cell.{c}.{j}.op") for c in cells for j in range(8)]
    fixed_pos = np.setdiff1d(cell, searched)
    hw = np.setdiff1d(np.arange(base.n_var), cell)
    middle = E.expand(E.middle())[0]
    E = E.fixed(np.concatenate([fixed_pos, hw]), np.concatenate([genome[fixed_pos - cell[0]], middle[hw]]))
    E = E.restricted({names[p]: list(ops) for p in searched})
    return E.restricted(grid)


def reference_space(cfg: Config, *, n_cells: int = 1000, grid: Mapping[str, Sequence[Any]] | None = None,
                    seed: int = 0) -> Embedding:
    """The enumerable space: ``n_cells`` distinct sampled cells x the hardware ``grid``.

    ``grid`` defaults to :data:`DEFAULT_GRIDS` for the config's hardware target (a hybrid target
    needs an explicit grid). Cells are sampled with ``numpy.random.default_rng(seed)``."""
    base = space_for(cfg)
    if "cell" not in base:
        raise UsageError("reference_space needs the cell space (space.neural = 'cell')")
    if grid is None:
        if cfg.space.hardware not in DEFAULT_GRIDS:
            raise UsageError(f"no default grid for hardware {cfg.space.hardware!r} (defaults exist for "
                             f"{list(DEFAULT_GRIDS)}): give one with compare --grid GRID.toml ([accelerator] / "
                             f"[imc] tables of gene -> list of values), or grid= in Python")
        grid = DEFAULT_GRIDS[cfg.space.hardware]
    if n_cells < 1:
        raise UsageError(f"n_cells must be at least 1, got {n_cells}")
    rng = np.random.default_rng(seed)
    cells = np.zeros((0, base["cell"].n_var), dtype=np.int64)
    while len(cells) < n_cells:  # distinct networks: canonical form, duplicates drawn again
        more = canonicalize(base["cell"].sample(rng, n_cells - len(cells)))
        merged = np.concatenate([cells, more])
        _, first = np.unique(merged, axis=0, return_index=True)
        cells = merged[np.sort(first)]
    E = Embedding.identity(base)
    cell_pos = E.positions_of("cell")
    E = E.tabled("arch", cell_pos, cells, cells=True)
    hw = np.setdiff1d(np.arange(base.n_var), cell_pos)
    middle = E.expand(E.middle())[0]
    return E.fixed(hw, middle[hw]).restricted(grid)


@dataclass
class ExactFront:
    """The exact front of an embedding: phase genomes, base genomes, objectives (minimisation)."""

    X: np.ndarray
    X_base: np.ndarray
    F: np.ndarray
    n_designs: int
    n_feasible: int
    wall_s: float


def exact_front(cfg: Config, embedding: Embedding, *, evaluator: Any = None, chunk: int = 500_000,
                n_jobs: int = 1, on_chunk: Callable[[int, int], None] | None = None,
                product: bool = True) -> ExactFront:
    """Evaluate every design of ``embedding`` and keep the feasible non-dominated ones.

    When the embedding is a table of networks (its first gene) times hardware genes, as
    :func:`reference_space` builds, the designs are costed as that cross product
    (:meth:`~evo_codesign.evaluate.CodesignEvaluator.evaluate_product`: each network's workload and
    accuracy once, each hardware design's per-layer costs once), blocks of networks x every
    hardware design at a time; otherwise (or with ``product=False``) genome by genome. Both give the
    same front bit for bit. Blocks of about ``chunk`` designs run ``n_jobs`` at a time in threads
    (the cost kernels release the GIL); the result depends on neither. ``on_chunk(done, total)``
    reports progress after each block."""
    import threading

    from ..jit import warm_up

    warm_up()  # compile time is not the enumeration's wall time
    t0 = time.perf_counter()
    ev = evaluator if evaluator is not None else build_evaluator(cfg, embedding.base)
    total = embedding.size()
    limit = 2_000_000_000 if product else 50_000_000
    if total > limit:
        raise UsageError(f"exact_front: {total:,} designs is too many to enumerate (limit {limit:,})")
    done, lock = [0], threading.Lock()
    factors = _product_factors(embedding) if product and hasattr(ev, "evaluate_product") else None

    def report(n: int) -> None:
        if on_chunk is not None:
            with lock:
                done[0] += n
                on_chunk(done[0], total)

    def keep(batch: Any) -> tuple[np.ndarray, np.ndarray, int]:
        """Rows of the feasible non-dominated designs of one block (a design dominated inside its
        block is dominated overall), their objectives and the block's feasible count."""
        ok = feasible_mask(batch.G)
        rows = np.flatnonzero(ok)
        F = batch.F[rows]
        nd = nondominated(F) if len(F) else np.zeros(0, dtype=bool)
        return rows[nd], F[nd], len(rows)

    def genome_block(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Xp = embedding.genomes(int(idx[0]), int(idx[-1]) + 1)
        rows, F, n_ok = keep(ev(embedding.expand(Xp)))
        report(len(idx))
        return Xp[rows], F, np.array([n_ok])

    def product_block(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        net_phase, nets, hw_phase, hw_base = factors
        rows, F, n_ok = keep(ev.evaluate_product(nets[cells], hw_base))
        c, h = np.divmod(rows, len(hw_phase))
        report(len(cells) * len(hw_phase))
        return np.concatenate([net_phase[cells[c]], hw_phase[h]], axis=1), F, np.array([n_ok])

    def merge(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, int]:
        X_all = np.concatenate([np.zeros((0, embedding.space.n_var), dtype=np.int64), *[p[0] for p in parts]])
        F_all = np.concatenate([np.zeros((0, len(ev.objective_names))), *[p[1] for p in parts]])
        nd = nondominated(F_all) if len(F_all) else np.zeros(0, dtype=bool)
        return X_all[nd], F_all[nd], int(sum(int(p[2][0]) for p in parts))

    if factors is not None:
        n_hw = max(len(factors[2]), 1)
        fn, idx = product_block, np.arange(len(factors[0]), dtype=np.int64)
        policy = BatchPolicy(n_jobs=n_jobs, min_parallel=0, chunk=max(1, chunk // n_hw), prefer="threads")
    else:
        fn, idx = genome_block, np.arange(total, dtype=np.int64)
        policy = BatchPolicy(n_jobs=n_jobs, min_parallel=0, chunk=chunk, prefer="threads")
    X_keep, F_keep, n_feasible = evaluate_batches(fn, idx, policy, combine=merge) if len(idx) > policy.chunk \
        else merge([fn(idx)])
    # one representative per objective vector (equal-cost designs do not add hypervolume), in a fixed order
    F_keep, first = np.unique(F_keep, axis=0, return_index=True)
    X_keep = X_keep[first]
    return ExactFront(X_keep, embedding.expand(X_keep) if len(X_keep) else np.zeros((0, embedding.base.n_var)),
                      F_keep, total, n_feasible, time.perf_counter() - t0)


def _product_factors(E: Embedding) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(network phase genes, network base genomes, hardware phase genes, hardware base genomes)
    when ``E``'s designs are the product of its leading genes, which set only the neural segment,
    and the rest, which set only hardware, in :meth:`Embedding.genomes` order (network-major);
    None otherwise or when a factor is too large to list."""
    from ..space.joint import JointSpace

    neural = [s.name for s in E.base.segments if s.name in ("cell", "backbone")]
    if len(neural) != 1 or not E.parts:
        return None
    npos = set(E.positions_of(neural[0]).tolist())
    k = 0
    while k < len(E.parts) and set(E.parts[k].positions.tolist()) <= npos:
        k += 1
    if k == 0 or k == len(E.parts) or any(set(p.positions.tolist()) & npos for p in E.parts[k:]):
        return None

    def listed(segments) -> np.ndarray | None:
        sub = JointSpace(list(segments))
        n_choices = tuple(int(c) for c in sub.n_choices)
        if float(np.prod([float(c) for c in n_choices])) > 5_000_000:
            return None
        G = np.stack(np.unravel_index(np.arange(int(np.prod(n_choices))), n_choices), axis=1).astype(np.int64)
        return G[sub.is_valid(G)]

    nets, hw = listed(E.space.segments[:k]), listed(E.space.segments[k:])
    if nets is None or hw is None or not len(nets) or not len(hw):
        return None

    def base(front: np.ndarray, back: np.ndarray) -> np.ndarray:
        return E.expand(np.concatenate([front, back], axis=1))

    return (nets, base(nets, np.repeat(hw[:1], len(nets), axis=0)), hw,
            base(np.repeat(nets[:1], len(hw), axis=0), hw))


def exact_reference(cfg: Config, out: str | Path, *, n_cells: int = 1000, grid: Mapping[str, Sequence[Any]] | None = None,
                    seed: int = 0, evaluator: Any = None, resume: bool = False, n_jobs: int = 1,
                    structured: bool = False, on_chunk: Callable[[int, int], None] | None = None
                    ) -> tuple[Embedding, ExactFront]:
    """:func:`reference_space` (or, ``structured``, :func:`structured_space`) and its
    :func:`exact_front`, written to ``out``: ``space.json`` (what was enumerated),
    ``exact_front.npz`` (``X``, ``X_base``, ``F``) and ``exact_front.csv`` (tidy). With ``resume``, a
    front already in ``out`` for the same space is loaded instead of recomputed. ``on_chunk``:
    progress, as :func:`exact_front` reports it."""
    from ..io.lock import folder_lock

    out = Path(out)
    if structured:
        E = structured_space(cfg, grid=grid)
        what = {"structured": {"topology": "DARTS_V2", "ops": list(STRUCTURED_OPS), "cells": ["normal"]},
                "grid": grid or STRUCTURED_GRID}
    else:
        E = reference_space(cfg, n_cells=n_cells, grid=grid, seed=seed)
        what = {"n_cells": n_cells, "cell_seed": seed, "grid": grid or DEFAULT_GRIDS.get(cfg.space.hardware)}
    ev = evaluator if evaluator is not None else build_evaluator(cfg, E.base)
    meta = json.loads(json.dumps({**what, "hardware": cfg.space.hardware, "objectives": list(ev.objective_names),
                                  "constraints": list(ev.constraint_names)}, default=str))
    with folder_lock(out, what="exact front"):
        stored = _stored_front(out, meta) if resume else None
        if stored is not None:
            return E, stored
        ex = exact_front(cfg, E, evaluator=ev, n_jobs=n_jobs, on_chunk=on_chunk)
        if not len(ex.F):
            raise UsageError(f"the reference space has no feasible design: none of its {ex.n_designs:,} designs "
                             f"(networks x the hardware grid) meets the constraints{_binding(E, ev)}; widen "
                             f"the grid (--grid) or relax the constraints")
        _write_front(out, E, ev, ex, meta, seed)
    return E, ex


def _stored_front(out: Path, meta: dict) -> ExactFront | None:
    """The front an earlier call wrote for the same space, or None (absent, another space, or
    unreadable: it is recomputed then)."""
    from ..errors import CorruptFileError
    from ..io.readers import read_json

    npz, info = out / "exact_front.npz", out / "space.json"
    if not (npz.exists() and info.exists()):
        return None
    try:
        stored = read_json(info, CorruptFileError, what="space file", expect=dict)
        if {k: stored.get(k) for k in meta} != meta:
            return None
        with np.load(npz) as d:
            return ExactFront(d["X"], d["X_base"], d["F"], int(stored["designs"]), int(stored["feasible"]),
                              float(stored["enumeration_s"]))
    except (CorruptFileError, OSError, ValueError, KeyError, TypeError):
        return None


def _binding(E: Embedding, ev: Any, n: int = 5000) -> str:
    """A note naming the constraint most designs of ``E`` violate (among its first ``n``)."""
    names = list(ev.constraint_names)
    if not names:
        return ""
    G = ev(E.expand(E.genomes(0, min(n, E.size())))).G
    counts = (G > 0).sum(axis=0)
    j = int(np.argmax(counts))
    return f" ({names[j]} is violated by {int(counts[j]):,} of the first {len(G):,} designs)"


def _write_front(out: Path, E: Embedding, ev: Any, ex: ExactFront, meta: dict, seed: int) -> None:
    from ..io.atomic import atomic_write_text, atomic_write_with
    from ..io.frames import design_frame

    atomic_write_with(out / "exact_front.npz", lambda buf: np.savez(buf, X=ex.X, X_base=ex.X_base, F=ex.F))
    frame = design_frame(E.base, ex.X_base, ex.F, np.zeros((len(ex.F), 0)), objective_names=ev.objective_names,
                         objective_senses=ev.objective_senses, constraint_names=(), strategy="exact", seed=seed)
    atomic_write_text(out / "exact_front.csv", frame.to_csv(index=False))
    atomic_write_text(out / "space.json", json.dumps({**meta, "designs": ex.n_designs, "feasible": ex.n_feasible,
                                                      "exact_front_points": int(len(ex.F)),
                                                      "enumeration_s": ex.wall_s}, indent=1))

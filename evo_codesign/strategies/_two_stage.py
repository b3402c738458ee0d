"""What the phased strategies (decoupled, semi-decoupled, two-phase) share: their options and
how phase 1's budget share is checked."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError
from ._phase import Mapped, kept_rows, phase_info, result, run_phase
from .base import StrategyResult
from .embedding import Embedding

__all__ = ["DEFAULT_MAX_ARCHS", "PhasedOptions", "check_phased", "nas_then_hardware", "cell_applicable"]

#: Designs a phased strategy keeps from phase 1. 30, not 10: with 10, semi-decoupled search is capped
#: at 0.935 of the exact front's hypervolume where rankings change (small PE arrays) and reaches
#: 0.969 with 30 (0.976 vs 0.961 on the open grid); against the union of fronts on the full space the
#: two are within 0.001 (`python benchmarks/reference_fronts.py --max-archs 10` vs `30`; README
#: "When semi-decoupled search wins").
DEFAULT_MAX_ARCHS = 30


@dataclass(frozen=True)
class PhasedOptions:
    """``nas_fraction``: phase 1's share of the budget (phase 2 gets the rest, including what phase
    1 left unused); ``max_archs``: designs kept from phase 1's front."""

    nas_fraction: float = 0.5
    max_archs: int = DEFAULT_MAX_ARCHS


def check_phased(options: PhasedOptions) -> None:
    if not 0.0 < options.nas_fraction < 1.0:
        raise UsageError(f"nas_fraction must be in (0, 1), got {options.nas_fraction}")
    if options.max_archs < 1:
        raise UsageError(f"max_archs must be at least 1, got {options.max_archs}")


def nas_then_hardware(ctx: Any, name: str, nas: Embedding, nas_eval: Any, proxy: np.ndarray,
                      options: PhasedOptions, info1: dict, *, spent: int = 0,
                      t0: float | None = None) -> tuple[StrategyResult, np.ndarray]:
    """Phase 1 searches the cell on ``nas`` (hardware fixed to ``proxy``) with ``nas_eval``; keep
    up to ``max_archs`` cells of its feasible front; phase 2 searches the hardware jointly with a
    choice among only those cells, on the configured objectives. ``spent``: evaluations made
    before phase 1 (choosing the proxy), taken out of phase 1's share: every evaluation counts
    against the budget. Returns the result and the kept cells."""
    t0 = time.perf_counter() if t0 is None else t0
    E, base, cfg = ctx.embedding, ctx.base, ctx.cfg
    cell_pos = E.positions_of("cell")
    out1, out2 = ctx.phase_dir(name, "phase1_nas"), ctx.phase_dir(name, "phase2_hw")
    share = int(round(cfg.search.budget * options.nas_fraction)) - int(spent)
    if share < 4:
        raise UsageError(f"{name}: phase 1's share of the budget ({int(round(cfg.search.budget * options.nas_fraction))}"
                         f" evaluations) leaves {share} after the {spent} evaluations that chose the proxy; raise "
                         f"search.budget or nas_fraction")
    nas_state, n1 = run_phase(ctx, nas, nas_eval, share, ctx.seed, out1, info1)
    archs = kept_rows(nas, nas_state, cell_pos, options.max_archs)
    hw = E.tabled("arch", cell_pos, archs, cells=True)
    hw_state, n2 = run_phase(ctx, hw, Mapped(base, hw), cfg.search.budget - int(spent) - n1, ctx.seed + 1, out2,
                             phase_info(name, base, 2, n_archs=int(len(archs))))
    res = result(ctx, name, hw, hw_state, [n1, n2], t0, [out1, out2], {"n_archs": int(len(archs))},
                 phases=[nas, hw])
    res.evaluations += int(spent)
    return res, archs


def cell_applicable(name: str, cfg: Any) -> str | None:
    if cfg.space.neural != "cell":
        return f"{name} needs the cell space (space.neural = 'cell')"
    return None

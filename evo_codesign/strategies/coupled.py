"""Fully coupled search: one NSGA-II over the joint genome (cell or backbone + hardware) with the
configured objectives. ``evo-codesign run`` is this strategy in a flat run directory."""

from __future__ import annotations

import time

from ._phase import Mapped, phase_info, result, run_phase
from .base import Context, NoOptions, Strategy, StrategyResult, register

__all__ = ["Coupled"]


class Coupled(Strategy):
    name = "coupled"
    Options = NoOptions
    description = "one NSGA-II over the joint genome"

    def run(self, ctx: Context, options: NoOptions) -> StrategyResult:
        t0 = time.perf_counter()
        E = ctx.embedding
        out = ctx.phase_dir(self.name)
        state, n = run_phase(ctx, E, Mapped(ctx.base, E), ctx.cfg.search.budget, ctx.seed, out,
                             phase_info(self.name, ctx.base))
        return result(ctx, self.name, E, state, [n], t0, [out])


register(Coupled())

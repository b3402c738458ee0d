"""XPert's two-phase search (Moitra, Bhattacharjee, Kim, Panda, DAC 2023), on our one engine.

Phase 1 searches the network (backbone channel widths, or the cell) together with the crossbar
periphery — ADC type and column sharing (per layer when the config makes them per-group knobs),
crossbar size, cell and weight bits — and, on a hybrid chip, the PE array, with every precision
gene (``input_bits``, ``adc_bits``) held at its most precise allowed value, XPert's "lossless"
precision. The configured objectives and constraints apply (XPert's phase 1: latency under an area
budget). Phase 2 freezes what phase 1 found — one of its kept Pareto designs, network and
periphery together — and searches only the per-layer input and ADC precision.

Where we differ from XPert, on purpose: XPert carries one phase-1 network into phase 2; we carry up
to ``max_archs`` of phase 1's Pareto designs (a spread over the objectives), so that phase 2 can
still trade capacity or accuracy against latency at equal budgets with the other strategies.
Phase 2 needs an objective that sees precision: ``accuracy`` (cell space, where the precision drop
is subtracted) or ``precision_drop`` (any space with crossbars).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import UsageError
from ..objectives import CROSSBAR_TARGETS
from ._phase import Mapped, kept_rows, phase_info, result, run_phase
from ._two_stage import PhasedOptions, check_phased
from .base import Context, Strategy, StrategyResult, register

__all__ = ["TwoPhase", "PRECISION_KNOBS"]

#: IMC genes phase 2 searches (everything else is frozen after phase 1).
PRECISION_KNOBS = ("input_bits", "adc_bits")


class TwoPhase(Strategy):
    name = "two_phase"
    Options = PhasedOptions
    description = "XPert: network + periphery at lossless precision, then per-layer precision (DAC 2023)"

    def applicable(self, cfg: Any) -> str | None:
        if cfg.space.hardware not in CROSSBAR_TARGETS:
            return "two_phase needs crossbars: space.hardware = 'imc' or 'hybrid'"
        if not set(cfg.search.objectives) & {"accuracy", "precision_drop"}:
            return ("two_phase: phase 2 searches precision, so search.objectives needs 'accuracy' (cell space) "
                    "or 'precision_drop'")
        return None

    def check_options(self, options: PhasedOptions) -> None:
        check_phased(options)

    def run(self, ctx: Context, options: PhasedOptions) -> StrategyResult:
        t0 = time.perf_counter()
        E, base, cfg = ctx.embedding, ctx.base, ctx.cfg
        start = E.base.slices["imc"].start
        imc = E.base["imc"]
        precision = np.array([start + i for i, g in enumerate(imc.gene_names) if g.split(".")[0] in PRECISION_KNOBS])
        precision = precision[np.isin(precision, E.covered)]
        if not len(precision):
            raise UsageError("two_phase: every precision gene is fixed in this space; phase 2 would have nothing "
                             "to search")
        # most precise allowed value of each precision gene (choices are ordered by bits)
        lossless = np.array([E.allowed_values(int(p)).max() for p in precision])
        p1 = E.fixed(precision, lossless)
        out1, out2 = ctx.phase_dir(self.name, "phase1_arch"), ctx.phase_dir(self.name, "phase2_precision")
        state1, n1 = run_phase(ctx, p1, Mapped(base, p1), int(round(cfg.search.budget * options.nas_fraction)),
                               ctx.seed, out1, phase_info(self.name, base, 1, lossless_precision=lossless.tolist()))
        rows = kept_rows(p1, state1, p1.covered, options.max_archs)
        p2 = E.tabled("frozen", p1.covered, rows)
        state2, n2 = run_phase(ctx, p2, Mapped(base, p2), cfg.search.budget - n1, ctx.seed + 1, out2,
                               phase_info(self.name, base, 2, n_frozen=int(len(rows))))
        return result(ctx, self.name, p2, state2, [n1, n2], t0, [out1, out2], {"n_frozen": int(len(rows))},
                      phases=[p1, p2])


register(TwoPhase())

"""Decoupled search: (1) hardware-agnostic NAS — surrogate accuracy against NASLib-convention
FLOPs — over the cell alone; keep its Pareto set (at most ``max_archs`` cells); (2) search the
hardware jointly with a choice among only those cells. Hardware never informs the architecture."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..objectives import ObjectivesByName
from ..objectives import get as get_objective
from ..protocols import EvalBatch
from ..workload.batch import cell_workload
from ._two_stage import PhasedOptions, cell_applicable, check_phased, nas_then_hardware
from ._phase import phase_info
from .base import Context, Strategy, StrategyResult, register
from .embedding import Embedding

__all__ = ["Decoupled", "AgnosticNas"]


class AgnosticNas(ObjectivesByName):
    """Hardware-agnostic NAS objectives: surrogate ``accuracy`` (max) and ``flops`` (min, millions)."""

    objective_names = ("accuracy", "flops")
    constraint_names: tuple[str, ...] = ()

    def __init__(self, surrogate: Any, protocol: str, embedding: Embedding) -> None:
        self.surrogate, self.protocol, self.embedding = surrogate, protocol, embedding
        self.cell = embedding.base.slices["cell"]
        self._objectives = [get_objective(o) for o in self.objective_names]
        self.objective_senses = tuple(o.sense for o in self._objectives)

    def __call__(self, X: np.ndarray) -> EvalBatch:
        cells = self.embedding.expand(X)[:, self.cell]
        m = {"accuracy": np.asarray(self.surrogate.predict(cells), dtype=float),
             "flops_m": cell_workload(self.protocol).flops(cells) / 1e6}
        return EvalBatch(np.stack([o.minimised(m) for o in self._objectives], axis=1), np.zeros((len(X), 0)), m)


class Decoupled(Strategy):
    name = "decoupled"
    Options = PhasedOptions
    description = "hardware-agnostic NAS (accuracy vs FLOPs), then hardware search over the kept cells"

    def applicable(self, cfg: Any) -> str | None:
        why = cell_applicable(self.name, cfg)
        if why is None and "accuracy" not in cfg.search.objectives and cfg.constraints.accuracy_min <= 0:
            why = "decoupled's NAS phase ranks cells by surrogate accuracy: add 'accuracy' to search.objectives"
        return why

    def check_options(self, options: PhasedOptions) -> None:
        check_phased(options)

    def run(self, ctx: Context, options: PhasedOptions) -> StrategyResult:
        E = ctx.embedding
        hw_pos = np.setdiff1d(E.covered, E.positions_of("cell"))
        proxy = E.expand(E.middle())[0]  # placeholders: the NAS phase never reads the hardware
        nas = E.fixed(hw_pos, proxy[hw_pos])
        nas_eval = AgnosticNas(ctx.base.surrogate, ctx.cfg.space.protocol, nas)
        res, _ = nas_then_hardware(ctx, self.name, nas, nas_eval, proxy, options, phase_info(self.name, nas_eval, 1))
        return res


register(Decoupled())

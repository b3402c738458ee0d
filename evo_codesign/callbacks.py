"""Per-generation hooks of a search: the progress bar."""

from __future__ import annotations

from typing import Any

from .metrics import Bounds, normalised_hv

__all__ = ["Progress"]


class Progress:
    """tqdm bar over the evaluation budget; postfix: hypervolume (objectives normalised by the
    bounds of the first generation, frozen) and the number of feasible designs on the front."""

    def __init__(self, budget: int, enabled: bool, desc: str = "search") -> None:
        self.bar = None
        self.bounds: Bounds | None = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=budget, unit="eval", desc=desc)

    def __call__(self, state: Any) -> None:
        if self.bar is None:
            return
        cache = state.problem.cache
        self.bar.n = cache.n_unique
        opt = state.algorithm.opt
        feas = opt[opt.get("feasible")[:, 0]] if opt is not None and len(opt) else []
        hv = float("nan")
        if len(feas):
            F = feas.get("F")
            if self.bounds is None:
                self.bounds = Bounds.from_points(state.algorithm.pop.get("F"))
            hv = normalised_hv(F, self.bounds)
        self.bar.set_postfix(gen=state.gen, hv=f"{hv:.4f}", feasible=len(feas), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

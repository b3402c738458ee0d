"""The strategy protocol and registry.

A :class:`Strategy` is how a search is organised (one NSGA-II over everything, or phases that
freeze what an earlier phase found). Each one is a module with a subclass that sets

* ``name`` (what configs, ``compare --strategies`` and result frames call it),
* ``Options``: a frozen dataclass of its options (``compare`` passes each strategy only the options
  its ``Options`` declares; an option no strategy declares is an error naming it),
* ``applicable(cfg) -> reason | None``: why it cannot run on a config's space and objectives,
* ``run(ctx, options) -> StrategyResult``, built from the phase machinery of
  :mod:`evo_codesign.strategies._phase` (the only code that touches run directories and the
  engine loop),

and registers an instance with :func:`register`. :class:`evo_codesign.testing.StrategyContract`
then checks it (budget, determinism, resume, schema) with no other edit.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import UsageError
from ..registry import Registry
from .embedding import Embedding

__all__ = ["StrategyResult", "Context", "Strategy", "NoOptions", "register", "unregister", "get", "available",
           "STRATEGIES", "strategies_for", "not_applicable", "make_options", "option_names"]


@dataclass
class StrategyResult:
    strategy: str
    seed: int
    front: pd.DataFrame            # tidy frame in the coupled problem's terms
    F: np.ndarray                   # front objectives, minimisation form
    evaluations: int                # unique designs evaluated, all phases
    wall_s: float                   # this call's wall time (a resumed call counts only what it ran)
    phase_evaluations: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    final_run: Path | None = None   # run directory of the phase whose designs make the front
    run_dirs: list[Path] = field(default_factory=list)  # every phase's run directory, in order
    generations: int = 0            # generations of the last phase

    def evaluation_log(self) -> pd.DataFrame:
        """Every unique design each phase evaluated, in order: the phases' logs (``gen``, ``f_*``
        in each phase's own objectives, ``g_*``, ``feasible``) with ``phase`` (1, 2, ...) and
        ``evaluation`` (the running count of unique evaluations over all phases, after the set-up
        evaluations that came first: :attr:`setup_evaluations`)."""
        from ..io.history import evaluation_log
        logs = [evaluation_log(d)[0].assign(phase=k + 1) for k, d in enumerate(self.run_dirs)]
        log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
        return log.assign(evaluation=self.setup_evaluations + np.arange(1, len(log) + 1))

    @property
    def setup_evaluations(self) -> int:
        """Evaluations made before the first phase (semi-decoupled search's proxy probes); they
        count in :attr:`evaluations`, not in any phase's log."""
        return int(self.details.get("proxy_probes", 0))


@dataclass
class Context:
    """What every strategy gets: config, seed, output folder, the embedding searched, the shared
    evaluator, and how to run (resume, per-generation hooks, progress).

    ``flat``: a single-phase strategy runs directly in ``out`` (``evo-codesign run``) instead of
    ``out/<strategy>/``."""

    cfg: Config
    seed: int
    out: Path
    embedding: Embedding
    base: Any
    resume: bool = False
    on_generation: Callable[[Any], None] | None = None
    progress: bool = False
    flat: bool = False
    stop_after_gen: int | None = None

    @property
    def base_space(self):
        return self.embedding.base

    def phase_dir(self, strategy: str, phase: str | None = None) -> Path:
        """Where a phase's run directory lives."""
        if self.flat:
            if phase is not None:
                raise UsageError(f"{strategy} has several phases: it needs its own folder under the output")
            return self.out
        return self.out / strategy if phase is None else self.out / strategy / phase


@dataclass(frozen=True)
class NoOptions:
    """A strategy without options."""


class Strategy(ABC):
    """One way to organise a co-design search (see the module docstring)."""

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    description: ClassVar[str] = ""

    def applicable(self, cfg: Config) -> str | None:
        """Why this strategy cannot run on ``cfg`` (None when it can)."""
        return None

    @abstractmethod
    def run(self, ctx: Context, options: Any) -> StrategyResult:
        """Run (or with ``ctx.resume`` continue) the strategy; ``options`` is an ``Options``."""

    def check_options(self, options: Any) -> None:
        """Raise :class:`UsageError` for option values out of range (types come from ``Options``)."""


_REGISTRY: Registry[Strategy] = Registry("strategy")
#: Read-only ``name -> Strategy`` view of the registry.
STRATEGIES: Mapping[str, Strategy] = _REGISTRY


def register(strategy: Strategy, *, replace: bool = False) -> Strategy:
    if not dataclasses.is_dataclass(strategy.Options):
        raise TypeError(f"strategy {strategy.name!r}: Options must be a dataclass")
    return _REGISTRY.add(strategy.name, strategy, replace=replace)


def unregister(name: str) -> None:
    _REGISTRY.remove(name)


def get(name: str) -> Strategy:
    return _REGISTRY.get_entry(name)


def available() -> list[str]:
    return _REGISTRY.names()


def not_applicable(name: str, cfg: Config) -> str | None:
    """Why strategy ``name`` cannot run on ``cfg``'s space and objectives (None if it can)."""
    return get(name).applicable(cfg)


def strategies_for(cfg: Config) -> list[str]:
    """The registered strategies that apply to a config's space and objectives."""
    return [name for name, s in _REGISTRY.items() if s.applicable(cfg) is None]


def option_names(name: str) -> list[str]:
    return [f.name for f in dataclasses.fields(get(name).Options)]


def make_options(name: str, values: Mapping[str, Any]) -> Any:
    """``values`` as strategy ``name``'s ``Options``; an unknown option is an error naming it."""
    s = get(name)
    allowed = option_names(name)
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise UsageError(f"strategy {name!r}: unknown option(s) {unknown}; allowed: {allowed}")
    opts = s.Options(**values)
    s.check_options(opts)
    return opts

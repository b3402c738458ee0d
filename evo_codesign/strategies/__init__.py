"""How a search is organised: one module per strategy, registered by name (see :mod:`.base`).

* ``coupled`` (:mod:`.coupled`): one NSGA-II over the joint genome;
* ``decoupled`` (:mod:`.decoupled`): hardware-agnostic NAS, then hardware over the kept cells;
* ``semi_decoupled`` (:mod:`.semi_decoupled`): NAS on a proxy accelerator, then hardware;
* ``two_phase`` (:mod:`.two_phase`): XPert's architecture-then-precision search.

Every strategy gets the same budget of unique evaluations; phases are built from
:mod:`._phase`, search an :class:`Embedding` of the configured joint genome and report their
front in the coupled problem's objective space and genome. Exact reference fronts of enumerable
spaces: :mod:`.reference`.
"""

from . import coupled, decoupled, semi_decoupled, two_phase  # noqa: F401  (register the strategies)
from ._two_stage import DEFAULT_MAX_ARCHS
from .api import run_strategy, space_for
from .base import (STRATEGIES, Context, Strategy, StrategyResult, available, get, make_options, not_applicable,
                   option_names, register, strategies_for, unregister)
from .embedding import ArchSetSegment, Embedding

__all__ = ["STRATEGIES", "Strategy", "StrategyResult", "Context", "run_strategy", "strategies_for", "not_applicable",
           "register", "unregister", "get", "available", "make_options", "option_names", "space_for", "Embedding", "ArchSetSegment",
           "DEFAULT_MAX_ARCHS"]

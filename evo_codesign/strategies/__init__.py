"""How a search is organised: fully coupled, decoupled, semi-decoupled and XPert's two-phase
co-design at equal budgets of unique evaluations (see :mod:`evo_codesign.strategies.phased`), and
exact reference fronts of enumerable spaces (:mod:`evo_codesign.strategies.reference`)."""

from .embedding import ArchSetSegment, Embedding
from .phased import STRATEGIES, StrategyResult, run_strategy, strategies_for

__all__ = ["STRATEGIES", "StrategyResult", "run_strategy", "strategies_for", "Embedding", "ArchSetSegment"]

"""GA hyperparameter tuning: which NSGA-II settings give the best front at a fixed budget?

A *setting* is one value for each tuned :class:`~evo_codesign.config.SearchConfig` field
(:data:`TUNABLE`); the candidate values are data, a dict ``name -> tuple of values``
(:func:`default_space`). Optuna samplers propose the settings in one ask/tell loop (``grid``,
``random`` or ``optuna`` = TPE; :mod:`.study`), the package defaults always first. Every setting
runs ``repeats`` fully coupled searches (seeds ``cfg.seed``, ``cfg.seed + 1``, ...: the same seeds
for every setting, so settings are compared on common random numbers) at the budget of
``cfg.search.budget`` unique evaluations. A run's score is the hypervolume of its final feasible
front against the union of every run's final feasible front (:mod:`evo_codesign.scoring`, as
:mod:`evo_codesign.compare`): a number in [0, 1]. The best mean wins, then the smaller spread over
seeds, then the setting closer to the defaults, then the earlier one.

Modules: :mod:`.space` (candidates and validation), :mod:`.runs` (the searches), :mod:`.study`
(samplers, storage, the loop), :mod:`.results` (scores, ranking, files), :mod:`.session`
(:func:`tune`). The figure is :func:`evo_codesign.plot.tuning.plot_tuning`; the command line is
:mod:`evo_codesign.cli.tune`.
"""

from .results import TuneResult, rank
from .session import tune
from .space import ALIASES, DEFAULTS, METHODS, TUNABLE, default_space

__all__ = ["TUNABLE", "METHODS", "ALIASES", "DEFAULTS", "TuneResult", "default_space", "tune", "rank"]

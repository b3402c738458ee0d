"""Contract suites, importable like ``optuna.testing``: every registered hardware backend,
strategy, objective and surrogate runs through its suite in the package's tests, and your own
extensions do too by subclassing one and providing its fixture (README "Extending";
``tests/test_extending.py`` shows a toy of each).

* :class:`BackendContract` (fixture ``backend``): finite positive costs on random valid designs,
  batch = one by one, no input mutation, the backend's documented monotonic behaviour, validation,
  the ``cost`` command's report;
* :class:`StrategyContract` (class-scoped fixture ``strategy_name``): budget, determinism, resume
  from an interruption in either phase, no silent overwrite, outputs in the space, one frame schema;
* :class:`ObjectiveContract` (fixture ``objective_name``): finite values, minimisation form in
  ``F``, natural sense in frames, unmet needs refused by name;
* :class:`SurrogateContract` (fixture ``surrogate``): shape, range, determinism, batch = one by
  one, invalid cells refused, ``describe()``, pickling.

Importing this package needs pytest (the ``test`` extra).
"""

from .backends import BackendContract, check_backend
from .objectives import ObjectiveContract, check_objective
from .strategies import StrategyContract, stop_at
from .surrogates import SurrogateContract, check_surrogate

__all__ = ["BackendContract", "StrategyContract", "ObjectiveContract", "SurrogateContract", "check_backend",
           "check_objective", "check_surrogate", "stop_at"]

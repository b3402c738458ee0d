"""The candidate space of GA settings: which SearchConfig fields are tuned, their candidate values,
and their validation against the config's own rules.

A *setting* is one value for each of :data:`TUNABLE`. Our operators are integer, segment-aware
ones, so there are no SBX/PM distribution indices to tune; ``swap_prob`` (the share of crossover
blocks a child takes from the other parent) and ``long_jump`` (the chance that an ordinal mutation
jumps anywhere rather than one step) are the spread parameters that play that role.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..config import Config, ConfigError, SearchConfig, config_from_dict, config_to_dict
from ..errors import UsageError

__all__ = ["TUNABLE", "METHODS", "ALIASES", "DEFAULTS", "default_space", "validated_space", "method_name",
           "setting_key", "plain", "distance_to_defaults"]

#: the SearchConfig fields that tuning varies, in the order used for setting keys and tables
TUNABLE: tuple[str, ...] = ("pop_size", "crossover_prob", "swap_prob", "mutation_prob_var", "long_jump")
#: how settings are proposed: Optuna's GridSampler, RandomSampler, TPESampler ("optuna")
METHODS: tuple[str, ...] = ("grid", "random", "optuna")
#: other accepted spellings -> the method they mean
ALIASES: dict[str, str] = {"tpe": "optuna"}
#: the package defaults of the tuned fields (``mutation_prob_var`` 0 means 1 / n_var)
DEFAULTS: dict[str, Any] = {name: getattr(SearchConfig(), name) for name in TUNABLE}


def method_name(method: str) -> str:
    """``method`` with aliases resolved (``tpe`` -> ``optuna``); a :class:`UsageError` otherwise."""
    if not isinstance(method, str) or ALIASES.get(method, method) not in METHODS:
        raise UsageError(f"method: unknown method {method!r}; choose one of {[*METHODS, *ALIASES]}")
    return ALIASES.get(method, method)


def default_space(n_var: int) -> dict[str, tuple]:
    """The default candidate values (3 x 3 x 3 x 3 x 3 = 243 settings).

    ``mutation_prob_var`` is a per-gene probability; 0 means 1 / ``n_var`` (the package default),
    the others are 2 / n_var and 4 / n_var, so the grid scales with the genome length.
    ``swap_prob`` stops at 0.5: swapping each block with probability p or 1 - p gives the same
    pair of children (in the other order), so values above 0.5 add nothing.
    """
    if isinstance(n_var, bool) or not isinstance(n_var, (int, np.integer)) or n_var < 1:
        raise UsageError(f"n_var must be an integer >= 1, got {n_var!r}")
    return {
        "pop_size": (20, 50, 100),
        "crossover_prob": (0.7, 0.9, 1.0),
        "swap_prob": (0.1, 0.3, 0.5),
        "mutation_prob_var": (0.0, round(min(1.0, 2.0 / n_var), 4), round(min(1.0, 4.0 / n_var), 4)),
        "long_jump": (0.0, 0.1, 0.3),
    }


def plain(v: Any) -> Any:
    """numpy scalars -> Python scalars, so values validate, hash, serialise and reach Optuna's
    storages like TOML values."""
    return v.item() if isinstance(v, np.generic) else v


def setting_key(setting: Mapping[str, Any]) -> tuple:
    """A hashable identity of a setting: its values in :data:`TUNABLE` order."""
    return tuple(setting[n] for n in TUNABLE)


def validated_space(space: Mapping[str, Sequence[Any]], cfg: Config) -> dict[str, tuple]:
    """Check the space's names and every candidate value against the config's own rules; a name
    that the space leaves out stays at its package default. Returns every :data:`TUNABLE` name
    with its unique candidates, order kept."""
    if not isinstance(space, Mapping):
        raise UsageError(f"space: expected a mapping name -> candidate values, got {type(space).__name__}")
    unknown = [k for k in space if k not in TUNABLE]
    if unknown:
        raise UsageError(f"space: unknown hyperparameter(s) {unknown}; allowed: {list(TUNABLE)}")
    base = config_to_dict(cfg)
    out: dict[str, tuple] = {}
    for name in TUNABLE:
        values = space.get(name, (DEFAULTS[name],))
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not len(values):
            raise UsageError(f"space[{name!r}]: expected a non-empty tuple of candidate values, got {values!r}")
        vals = tuple(dict.fromkeys(plain(v) for v in values))  # unique, order kept
        for v in vals:
            try:
                config_from_dict({**base, "search": {**base["search"], name: v}})
            except ConfigError as e:
                raise UsageError(f"space[{name!r}]: {e}") from None
        out[name] = vals
    return out


def _effective(name: str, v: float, n_var: int) -> float:
    return 1.0 / n_var if name == "mutation_prob_var" and v == 0 else float(v)


def distance_to_defaults(settings: Any, space: Mapping[str, Sequence[Any]], n_var: int) -> np.ndarray:
    """Sum over hyperparameters of |value - default| / (range of candidates), on effective values
    (mutation 0 is 1 / n_var), so "closest to the defaults" weighs every hyperparameter alike.
    ``settings``: a frame (or mapping of columns) with one column per :data:`TUNABLE` name."""
    d = np.zeros(len(settings[TUNABLE[0]]))
    for n in TUNABLE:
        vals = [_effective(n, v, n_var) for v in (*space[n], DEFAULTS[n])]
        span = max(vals) - min(vals)
        if span > 0:
            col = np.array([_effective(n, v, n_var) for v in settings[n]])
            d += np.abs(col - _effective(n, DEFAULTS[n], n_var)) / span
    return d

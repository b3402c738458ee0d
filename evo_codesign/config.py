"""Run configuration: TOML read by :mod:`tomllib` into frozen, validated dataclasses.

Every section is a frozen dataclass; a key is declared once with its type, default and allowed
values (``choices`` or ``lo``/``hi`` in the field metadata). An unknown key, a wrong type or a value
out of range raises :class:`ConfigError` naming the key (``section.key``) and what is allowed;
nothing is silently ignored.

Example (every key optional)::

    seed = 1

    [space]
    neural = "cell"          # cell | backbone
    hardware = "hybrid"      # dataflow | imc | hybrid
    protocol = "nb301"       # nb301 | darts

    [search]
    objectives = ["accuracy", "latency", "energy", "area"]
    pop_size = 50
    budget = 2000            # unique designs evaluated

    [constraints]
    area_mm2_max = 50.0
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["ConfigError", "Config", "SpaceConfig", "SearchConfig", "ConstraintsConfig", "SurrogateConfig",
           "PrecisionConfig", "RunConfig", "load_config", "config_from_dict", "config_to_dict", "OBJECTIVES"]


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""


#: objective name -> (sense, unit, label). Accuracy and the capacity proxy are maximised.
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "accuracy": ("max", "%", "CIFAR-10 accuracy (NB301 surrogate)"),
    "capacity_proxy": ("max", "M params", "capacity proxy: parameter count (not an accuracy)"),
    "latency": ("min", "ms", "latency"),
    "energy": ("min", "mJ", "energy per inference"),
    "area": ("min", "mm2", "chip area"),
    "edp": ("min", "mJ*ms", "energy-delay product"),
    "edap": ("min", "mJ*ms*mm2", "energy-delay-area product"),
    "precision_drop": ("min", "pp", "accuracy lost to crossbar input/ADC precision (evo_codesign/precision.py)"),
}


def _opt(default: Any, *, choices: tuple | None = None, lo: float | None = None, hi: float | None = None,
         doc: str = "", item_choices: tuple | None = None) -> Any:
    meta = {"choices": choices, "lo": lo, "hi": hi, "doc": doc, "item_choices": item_choices}
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for sequence defaults")
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class SpaceConfig:
    neural: str = _opt("cell", choices=("cell", "backbone"), doc="neural search space")
    hardware: str = _opt("hybrid", choices=("dataflow", "imc", "hybrid"), doc="hardware target")
    protocol: str = _opt("nb301", choices=("nb301", "darts"), doc="NB301 network macro-architecture")
    imc_per_group: tuple[str, ...] = _opt(("input_bits",), item_choices=("input_bits", "adc_bits", "adc_type",
                                                                         "column_sharing"),
                                          doc="IMC knobs that take one value per precision group")


@dataclass(frozen=True)
class SearchConfig:
    objectives: tuple[str, ...] = _opt(("accuracy", "latency", "energy", "area"), item_choices=tuple(OBJECTIVES))
    # pop_size, crossover_prob and swap_prob are what `python benchmarks/tune_ga.py` recommends
    # (budget 2000, embedded defaults; README "GA tuning"): they beat the earlier 100 / 0.9 / 0.5
    # by 1.6 % mean hypervolume over 5 seeds.
    pop_size: int = _opt(50, lo=4, hi=100_000)
    n_offsprings: int = _opt(0, lo=0, hi=100_000, doc="offspring per generation; 0 means pop_size")
    budget: int = _opt(2000, lo=1, hi=10**9, doc="unique designs evaluated")
    crossover_prob: float = _opt(0.7, lo=0.0, hi=1.0)
    swap_prob: float = _opt(0.1, lo=0.0, hi=1.0, doc="probability of swapping each crossover block")
    mutation_prob_var: float = _opt(0.0, lo=0.0, hi=1.0, doc="per-gene mutation probability; 0 means 1/n_var")
    long_jump: float = _opt(0.1, lo=0.0, hi=1.0, doc="probability that an ordinal mutation jumps anywhere")


@dataclass(frozen=True)
class ConstraintsConfig:
    area_mm2_max: float = _opt(math.inf, lo=0.0, doc="area budget; inf = none")
    power_mw_max: float = _opt(math.inf, lo=0.0, doc="average power budget; inf = none")
    accuracy_min: float = _opt(0.0, lo=0.0, hi=100.0, doc="minimum accuracy (%); 0 = none")
    buffer_capacity: bool = _opt(True, doc="tiles must fit L1/L2")


@dataclass(frozen=True)
class SurrogateConfig:
    name: str = _opt("embedded", choices=("embedded", "yahpo-onnx", "nb301"))
    path: str = _opt("", doc="model file or directory for yahpo-onnx / nb301")


@dataclass(frozen=True)
class PrecisionConfig:
    degradation: bool = _opt(True, doc="lower accuracy for low input / ADC precision (documented model)")


@dataclass(frozen=True)
class RunConfig:
    n_jobs: int = _opt(1, lo=-1, hi=1024, doc="workers for large batches; -1 = all cores")
    checkpoint_every: int = _opt(5, lo=1, hi=10**6, doc="generations between checkpoints")
    progress: bool = _opt(False)


@dataclass(frozen=True)
class Config:
    seed: int = _opt(1, lo=0, hi=2**32 - 1, doc="root seed")
    space: SpaceConfig = field(default_factory=SpaceConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    constraints: ConstraintsConfig = field(default_factory=ConstraintsConfig)
    surrogate: SurrogateConfig = field(default_factory=SurrogateConfig)
    precision: PrecisionConfig = field(default_factory=PrecisionConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        objs = self.search.objectives
        if len(objs) < 2:
            raise ConfigError(f"search.objectives: need at least 2 objectives, got {list(objs)}")
        if len(set(objs)) != len(objs):
            raise ConfigError(f"search.objectives: duplicates in {list(objs)}")
        if self.space.neural == "backbone" and "accuracy" in objs:
            raise ConfigError("search.objectives: 'accuracy' needs the NB301 cell space (space.neural = 'cell'); "
                              "the backbone has no accuracy surrogate, use 'capacity_proxy' (a parameter-count proxy)")
        if self.space.neural == "cell" and "capacity_proxy" in objs:
            raise ConfigError("search.objectives: 'capacity_proxy' is the backbone's objective; use 'accuracy' with cells")
        if self.constraints.accuracy_min > 0 and self.space.neural != "cell":
            raise ConfigError("constraints.accuracy_min: needs space.neural = 'cell' (accuracy surrogate)")


_SECTIONS = {f.name: f.type for f in dataclasses.fields(Config) if f.name != "seed"}


def _type_name(tp: Any) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


def _check_value(key: str, f: dataclasses.Field, hint: Any, value: Any) -> Any:
    meta = f.metadata
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        allowed = meta.get("item_choices")
        bad = [v for v in value if allowed and v not in allowed]
        if bad:
            raise ConfigError(f"{key}: unknown value(s) {bad}; allowed: {list(allowed)}")
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif hint is float:
        if isinstance(value, str) and value in ("inf", "+inf"):  # JSON has no infinity (run.json)
            value = math.inf
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
        if math.isnan(value):
            raise ConfigError(f"{key}: NaN is not allowed")
    elif hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}: {value!r} is not allowed; choose one of {list(choices)}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{key}: {value!r} out of range [{lo}, {hi}]")
    return value


def _section_from_dict(cls: type, data: Any, name: str) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{name}: expected a table of keys, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        raise ConfigError(f"{name}: unknown key(s) {unknown}; allowed: {sorted(fields)}")
    kwargs = {k: _check_value(f"{name}.{k}", fields[k], hints[k], v) for k, v in data.items()}
    return cls(**kwargs)


def config_from_dict(data: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document (nested dicts) into a :class:`Config`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"config: expected a table, got {type(data).__name__}")
    allowed = ["seed", *_SECTIONS]
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ConfigError(f"config: unknown key(s) or section(s) {unknown}; allowed: {allowed}")
    kwargs: dict[str, Any] = {}
    if "seed" in data:
        seed_field = next(f for f in dataclasses.fields(Config) if f.name == "seed")
        kwargs["seed"] = _check_value("seed", seed_field, int, data["seed"])
    hints = typing.get_type_hints(Config)
    for name in _SECTIONS:
        if name in data:
            kwargs[name] = _section_from_dict(hints[name], data[name], name)
    return Config(**kwargs)


def load_config(path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read a TOML file (None: the embedded defaults), apply dotted ``overrides`` and validate.

    An override whose value is None is skipped (no config value is ever None), so command lines
    can pass their optional flags straight through."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except OSError as e:
            raise ConfigError(f"cannot read config {str(p)!r}: {e.strerror or e}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{p}: invalid TOML: {e}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{p}: not a UTF-8 text file") from None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        *sections, key = dotted.split(".")
        node = data
        for s in sections:
            node = node.setdefault(s, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{dotted}: {s} is not a section")
        node[key] = value
    return config_from_dict(data)


def config_to_dict(cfg: Config) -> dict[str, Any]:
    """Plain, TOML/JSON-friendly dict of a config (inf as the string "inf")."""
    def conv(v: Any) -> Any:
        if isinstance(v, float) and math.isinf(v):
            return "inf"
        if isinstance(v, tuple):
            return list(v)
        return v
    out: dict[str, Any] = {"seed": cfg.seed}
    for name in _SECTIONS:
        sec = getattr(cfg, name)
        out[name] = {f.name: conv(getattr(sec, f.name)) for f in dataclasses.fields(sec)}
    return out

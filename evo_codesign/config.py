"""Run configuration: TOML read by :mod:`tomllib` into frozen, validated dataclasses.

Every section is a frozen dataclass; a key is declared once with its type, default and allowed
values (:func:`evo_codesign.schema.opt`: ``choices``, ``lo``/``hi``, ``item_choices``). An unknown
key, a wrong type or a value out of range raises :class:`ConfigError` naming the key
(``section.key``) and what is allowed; nothing is silently ignored. Objective names are whatever
:mod:`evo_codesign.objectives` has registered when the config is read.

Example (every key optional)::

    seed = 1

    [space]
    neural = "cell"          # cell | backbone | fixed (with network = "MODEL.onnx" or a layers CSV)
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

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import EvoCodesignError, MissingDependencyError
from .objectives import OBJECTIVES, available, get, unmet_need
from .schema import from_mapping, opt, read_toml, section, to_plain
from .space.joint import hardware_targets

__all__ = ["ConfigError", "Config", "SpaceConfig", "SearchConfig", "ConstraintsConfig", "SurrogateConfig",
           "PrecisionConfig", "RunConfig", "load_config", "config_from_dict", "config_to_dict", "OBJECTIVES"]


class ConfigError(EvoCodesignError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class SpaceConfig:
    neural: str = opt("cell", choices=("cell", "backbone", "fixed"),
                      doc="neural search space; fixed: the network of space.network, hardware-only search")
    # registered hardware targets (evo_codesign.backends registers its own), read when validating
    hardware: str = opt("hybrid", choices=hardware_targets, doc="hardware target")
    protocol: str = opt("nb301", choices=("nb301", "darts"), doc="NB301 network macro-architecture")
    imc_per_group: tuple[str, ...] = opt(("input_bits",), item_choices=("input_bits", "adc_bits", "adc_type",
                                                                         "column_sharing"),
                                          doc="IMC knobs that take one value per precision group")
    imc_chip_genes: tuple[str, ...] = opt(("schedule", "tiles", "duplication"),
                                          item_choices=("schedule", "tiles", "duplication"),
                                          doc="crossbar-chip genes searched; one left out is sequential / as many "
                                              "tiles as needed / no duplication")
    network: str = opt("", doc="with neural = 'fixed': an ONNX model (.onnx) or a layers CSV (.csv), relative "
                               "to the config file's folder")

    def __post_init__(self) -> None:
        if (self.neural == "fixed") != bool(self.network):
            raise ConfigError("space.network: " + ("space.neural = 'fixed' needs the network: an ONNX model or a "
                                                   "layers CSV" if self.neural == "fixed" else
                                                   f"only with space.neural = 'fixed' (got {self.neural!r})"))
        if self.network:
            p = Path(self.network)
            if p.suffix.lower() not in (".onnx", ".csv"):
                raise ConfigError(f"space.network: {self.network!r} is neither an ONNX model (.onnx) nor a layers "
                                  f"CSV (.csv)")
            if not p.is_file() or not os.access(p, os.R_OK):
                why = "is a directory" if p.is_dir() else "cannot be read" if p.exists() else "does not exist"
                raise ConfigError(f"space.network: {self.network!r} {why} (a relative path is read from the "
                                  f"config file's folder)")
            object.__setattr__(self, "network", str(p.resolve()))  # run.json records where it was
            from .workload.fixed import load_network  # read once here (cached), so a bad file stops the run early

            try:
                load_network(self.network)
            except MissingDependencyError:
                raise
            except EvoCodesignError as e:
                raise ConfigError(f"space.network: {e}") from None


def _algorithm_names() -> list[str]:
    from .algorithms import available as algorithms

    return algorithms()


def _operator_names() -> list[str]:
    from .algorithms import operator_sets

    return operator_sets()


@dataclass(frozen=True)
class SearchConfig:
    # Read from the registry when a config is validated, so objectives registered later are accepted.
    objectives: tuple[str, ...] = opt(("accuracy", "latency", "energy", "area"), item_choices=available,
                                      doc="objective names (evo_codesign.objectives)")
    # pop_size, crossover_prob and swap_prob are what `python benchmarks/tune_ga.py` recommends
    # (budget 2000, embedded defaults; README "GA tuning"): they beat the earlier 100 / 0.9 / 0.5
    # by 1.6 % mean hypervolume over 5 seeds.
    pop_size: int = opt(50, lo=4, hi=100_000)
    n_offsprings: int = opt(0, lo=0, hi=100_000, doc="offspring per generation; 0 means pop_size")
    budget: int = opt(2000, lo=1, hi=10**9, doc="unique designs evaluated")
    crossover_prob: float = opt(0.7, lo=0.0, hi=1.0)
    swap_prob: float = opt(0.1, lo=0.0, hi=1.0, doc="probability of swapping each crossover block")
    mutation_prob_var: float = opt(0.0, lo=0.0, hi=1.0, doc="per-gene mutation probability; 0 means 1/n_var")
    long_jump: float = opt(0.1, lo=0.0, hi=1.0, doc="probability that an ordinal mutation jumps anywhere")
    # the registered engines and operator sets (evo_codesign.algorithms), read when validating
    algorithm: str = opt("nsga2", choices=_algorithm_names,
                         doc="search engine: nsga2 | nsga3 | smsemoa | moead | agemoea | random (evo_codesign.algorithms)")
    operators: str = opt("space", choices=_operator_names,
                         doc="crossover + mutation: space (block-uniform + the space's mutation) | pymoo-default "
                             "(SBX + polynomial mutation, rounded, then repaired)")


@dataclass(frozen=True)
class ConstraintsConfig:
    area_mm2_max: float = opt(math.inf, lo=0.0, doc="area budget; inf = none")
    power_mw_max: float = opt(math.inf, lo=0.0, doc="average power budget; inf = none")
    accuracy_min: float = opt(0.0, lo=0.0, hi=100.0, doc="minimum accuracy (%); 0 = none")
    buffer_capacity: bool = opt(True, doc="tiles must fit L1/L2")
    crossbar_capacity: bool = opt(False, doc="weights must fit the chip's tiles (false: the excess is "
                                             "reprogrammed every inference and pays for it)")


def _surrogate_names() -> list[str]:
    # the registered backends (evo_codesign.surrogate), read when a config is validated
    from .surrogate import available as surrogates

    return surrogates()


@dataclass(frozen=True)
class SurrogateConfig:
    name: str = opt("embedded", choices=_surrogate_names, doc="accuracy surrogate (evo_codesign.surrogate)")
    path: str = opt("", doc="model file or directory for yahpo-onnx / nb301")


@dataclass(frozen=True)
class PrecisionConfig:
    degradation: bool = opt(True, doc="lower accuracy for low input / ADC precision (documented model)")
    adc_table: str = opt("", doc="ADC equivalent-bits table (JSON, evo_codesign/adc_calibration.py); "
                                 "empty: the shipped one")


@dataclass(frozen=True)
class RunConfig:
    # joblib's convention, the same for run, compare and tune: -1 = all cores, -2 = all but one, ...
    n_jobs: int = opt(1, lo=-1024, hi=1024, doc="workers; 1 = serial, -1 = all cores, -2 = all but one, ...; not 0")
    # 20: a checkpoint costs two disk syncs and a pickle (about 4 ms); the log commits every
    # generation, so a resume from an older checkpoint replays the generations since without
    # evaluating anything again (python benchmarks/search_speed.py measures the loop)
    checkpoint_every: int = opt(20, lo=1, hi=10**6, doc="generations between checkpoints")
    progress: bool = opt(False)
    # evo_codesign.runner.evaluation_backend; the [run] section may change when a run is resumed
    backend: str = opt("joblib", choices=("joblib", "dask"),
                       doc="joblib: in-process, or joblib workers for large batches; dask: every batch on a dask "
                           "cluster (run.scheduler, or a LocalCluster of run.n_jobs workers)")
    scheduler: str = opt("", doc="dask scheduler address (tcp://host:port) for backend = dask; empty: a LocalCluster")

    def __post_init__(self) -> None:
        if self.n_jobs == 0:
            raise ConfigError("run.n_jobs (--n-jobs): 0 is not allowed; 1 = serial, -1 = all cores, "
                              "-2 = all cores but one, ...")
        if self.scheduler and self.backend != "dask":
            raise ConfigError(f"run.scheduler ({self.scheduler!r}): needs run.backend = 'dask' "
                              f"(got {self.backend!r})")
        if self.scheduler and "://" not in self.scheduler:
            raise ConfigError(f"run.scheduler (--scheduler): {self.scheduler!r} is not a scheduler address; "
                              f"expected protocol://host:port, e.g. tcp://10.0.0.5:8786")


@dataclass(frozen=True)
class Config:
    seed: int = opt(1, lo=0, hi=2**32 - 1, doc="root seed")
    space: SpaceConfig = section(SpaceConfig)
    search: SearchConfig = section(SearchConfig)
    constraints: ConstraintsConfig = section(ConstraintsConfig)
    surrogate: SurrogateConfig = section(SurrogateConfig)
    precision: PrecisionConfig = section(PrecisionConfig)
    run: RunConfig = section(RunConfig)

    def __post_init__(self) -> None:
        objs = self.search.objectives
        if len(objs) < 2:
            raise ConfigError(f"search.objectives: need at least 2 objectives, got {list(objs)}")
        if len(set(objs)) != len(objs):
            raise ConfigError(f"search.objectives: duplicates in {list(objs)}")
        # A config built in code skips from_mapping's item check; name the unknown one here too.
        unknown = [o for o in objs if o not in available()]
        if unknown:
            raise ConfigError(f"search.objectives: unknown value(s) {unknown}; allowed: {available()}")
        searched = [o for o in objs if {"cell", "backbone", "surrogate"} & set(get(o).needs)]
        if self.space.neural == "fixed" and searched:
            raise ConfigError(f"search.objectives: {searched} need a searched network; with space.neural = 'fixed' "
                              f"the network ({Path(self.space.network).name}) is the same in every design, so "
                              f"only hardware objectives apply, e.g. objectives = [\"latency\", \"energy\", \"area\"]")
        for name in objs:
            why = unmet_need(get(name), neural=self.space.neural, hardware=self.space.hardware)
            if why:
                raise ConfigError(f"search.objectives: {why}")
        if self.constraints.accuracy_min > 0 and self.space.neural != "cell":
            raise ConfigError("constraints.accuracy_min: needs space.neural = 'cell' (accuracy surrogate)")


def config_from_dict(data: Mapping[str, Any]) -> Config:
    """Validate a parsed TOML document (nested dicts) into a :class:`Config`."""
    return from_mapping(Config, data, ConfigError, label="config")


def load_config(path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read a TOML file (None: the embedded defaults), apply dotted ``overrides`` and validate.

    An override whose value is None is skipped (no config value is ever None), so command lines
    can pass their optional flags straight through."""
    data: dict[str, Any] = {} if path is None else read_toml(path, ConfigError, what="config")
    net = data.get("space", {}).get("network") if isinstance(data.get("space"), dict) else None
    if path is not None and isinstance(net, str) and net and not Path(net).is_absolute():
        data["space"]["network"] = str(Path(path).parent / net)  # relative to the config file
    try:
        return _with_overrides(data, overrides)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}" if path is not None else str(e)) from None


def _with_overrides(data: dict[str, Any], overrides: Mapping[str, Any] | None) -> Config:
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
    return to_plain(cfg)

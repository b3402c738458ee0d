"""The IMC fields of ``ACC.toml`` for ``evo-codesign cost``, validated, and the JSON rows they produce.

Keys (top level of the file; every IMC key optional, defaults are XPert's NeuroSim configuration,
``XPertSim_Tool/NeuroSIM/Param.cpp``)::

    target = "imc"            # "imc" | "hybrid" (hybrid also carries the PE-array keys)
    crossbar_size = 128       # rows = columns per crossbar (numRowSubArray = numColSubArray = 128)
    cell_bits = 1             # bits per device (SRAM: cellBit = 1)
    weight_bits = 8           # bits per weight (XPert: 8-bit weights)
    adc_type = "flash"        # "sar" | "flash" (SARADC = false: multilevel sense amp = flash)
    adc_bits = 6              # ADC bits; levels = 2**adc_bits (levelOutput = 64 read as levels)
    column_sharing = 8        # columns per ADC (numColMuxed = 8)
    input_bits = 8            # activation bits: one value, or a list with one value per precision group
    schedule = "sequential"   # "sequential" (one layer at a time) | "pipelined" (weights resident, layers as stages)
    tiles = 0                 # tiles on the chip; 0 = as many as the network needs
    duplication = 1           # most copies of a layer in a pipeline (NeuroSim's speed-up rule)
    overflow = "reprogram"    # weights beyond the tiles: "reprogram" (rewritten every inference) | "infeasible"
    [constants]               # optional overrides of evo_codesign.cost.constants_imc rows
    sar_power_base_uw = 9.0

An unknown key, a wrong type or a value out of range raises :class:`ImcConfigError` naming the key
and what is allowed. With ``target = "hybrid"`` the PE-array keys are not ours: pass their names as
``extra_keys`` (by default the dataflow genome's gene names are accepted and left alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import EvoCodesignError
from ..schema import Spec, check_value, from_mapping, opt, read_toml, table
from ..space.accelerator import AcceleratorSegment
from ..space.imc import ADC_TYPES, SCHEDULES
from ..workload.layers import LAYER_DTYPE
from .constants_imc import CI, IMC_OVERRIDES, imc_constants
from .crossbar import KNOBS, TOTAL_FIELDS, LAYER_FIELDS, chip_array, crossbar_cost, design_array

__all__ = ["ImcConfigError", "ImcConfig", "IMC_KEYS", "load_imc_config", "imc_config_from_dict",
           "cost_imc_layers", "cost_imc_network", "JSON_FIELDS"]

TARGETS = ("imc", "hybrid")
#: key -> (default, lowest, highest) for the integer knobs.
_INT_KEYS: dict[str, tuple[int, int, int]] = {
    "crossbar_size": (128, 8, 4096),
    "cell_bits": (1, 1, 8),
    "weight_bits": (8, 1, 16),
    "adc_bits": (6, 1, 16),
    "column_sharing": (8, 1, 4096),
    "input_bits": (8, 1, 16),
}
IMC_KEYS = ("target",) + tuple(_INT_KEYS) + ("adc_type", "schedule", "tiles", "duplication", "overflow",
                                             "constants")
#: Fields of each JSON row of the cost command.
JSON_FIELDS = ("name", "latency_cycles", "latency_ns", "compute_cycles", "energy_pj", "macs", "adc_energy_pj", "area_um2", "edap",
               "tops_per_w", "tops_per_mm2")
_DATAFLOW_KEYS = tuple(AcceleratorSegment().gene_names) + ("num_pes", "loop_order")
# Checked before the other keys: which keys are allowed depends on the target.
_TARGET = Spec(str, choices=TARGETS, doc="imc: crossbars only; hybrid: crossbars and a PE array")


class ImcConfigError(EvoCodesignError):
    """A bad IMC accelerator description; the message names the key."""


def _knob(key: str, doc: str, **spec: Any) -> Any:
    default, lo, hi = _INT_KEYS[key]
    return opt(default, lo=lo, hi=hi, doc=doc, **spec)


@dataclass(frozen=True)
class ImcConfig:
    """IMC crossbar design (defaults: XPert's NeuroSim Param.cpp). ``input_bits`` is an int or a
    tuple with one value per precision group."""

    target: str = opt("imc", choices=TARGETS, doc=_TARGET.doc)
    crossbar_size: int = _knob("crossbar_size", "rows = columns per crossbar")
    cell_bits: int = _knob("cell_bits", "bits stored per device")
    weight_bits: int = _knob("weight_bits", "bits per weight")
    adc_type: str = opt("flash", choices=ADC_TYPES, doc="sar | flash (multilevel sense amplifier)")
    adc_bits: int = _knob("adc_bits", "ADC bits; 2**adc_bits levels")
    column_sharing: int = _knob("column_sharing", "columns multiplexed onto one ADC")
    input_bits: int | tuple[int, ...] = _knob("input_bits", "activation bits: one value, or one per precision group",
                                              min_len=1)
    schedule: str = opt("sequential", choices=SCHEDULES, doc="sequential: one layer at a time; pipelined: weights "
                        "resident, every layer a pipeline stage (ISAAC/PUMA)")
    tiles: int = opt(0, lo=0, hi=1_000_000, doc="tiles on the chip; 0: as many as the network needs")
    duplication: int = opt(1, lo=1, hi=4096, doc="most copies of a layer in a pipeline (no effect when sequential)")
    overflow: str = opt("reprogram", choices=("reprogram", "infeasible"),
                        doc="weights that do not fit the tiles: rewritten every inference, or an error")
    constants: Mapping[str, float] = table(IMC_OVERRIDES, doc="overrides of evo_codesign.cost.constants_imc")

    def design(self) -> dict[str, Any]:
        """Knobs as a decoded-IMC dict for :func:`~evo_codesign.cost.crossbar.design_array` and
        :func:`~evo_codesign.cost.crossbar.chip_array`."""
        d = {k: getattr(self, k) for k in KNOBS + ("schedule", "tiles", "duplication")}
        if isinstance(self.input_bits, tuple):
            d["input_bits"] = list(self.input_bits)
        return d


def imc_config_from_dict(raw: Mapping[str, Any], *, extra_keys: Iterable[str] | None = None) -> ImcConfig:
    """Validate a parsed ``ACC.toml``. ``extra_keys``: other keys allowed (and ignored) for hybrid
    designs; default: the dataflow genome's gene names."""
    if not isinstance(raw, Mapping):
        raise ImcConfigError(f"expected a table of keys, got {type(raw).__name__}")
    target = check_value(_TARGET, raw.get("target", "imc"), "target", ImcConfigError)
    others = () if target != "hybrid" else tuple(_DATAFLOW_KEYS if extra_keys is None else extra_keys)
    cfg = from_mapping(ImcConfig, raw, ImcConfigError, ignore=others)
    if cfg.column_sharing > cfg.crossbar_size:
        raise ImcConfigError(f"column_sharing: {cfg.column_sharing} exceeds crossbar_size {cfg.crossbar_size}")
    return cfg


def load_imc_config(path: str | Path, *, extra_keys: Iterable[str] | None = None) -> ImcConfig:
    """Read and validate the IMC fields of an ``ACC.toml``."""
    p = Path(path)
    raw = read_toml(p, ImcConfigError, what="accelerator description")
    try:
        return imc_config_from_dict(raw, extra_keys=extra_keys)
    except ImcConfigError as e:
        raise ImcConfigError(f"{p}: {e}") from None


def _run(L: np.ndarray, cfg: ImcConfig, global_buffer: bool = True):
    L = np.asarray(L)
    if L.dtype != LAYER_DTYPE:
        raise TypeError("cost_imc_layers needs a LAYER_DTYPE table")
    L = L.copy()
    n_groups = len(cfg.input_bits) if isinstance(cfg.input_bits, tuple) else 1
    if isinstance(cfg.input_bits, tuple):
        if len(L) and (L["group"].min() < 0 or L["group"].max() >= n_groups):
            raise ImcConfigError(f"input_bits: {n_groups} value(s), but the layers name precision groups "
                                 f"{sorted(set(L['group'].tolist()))}")
    else:
        L["group"] = 0  # one precision for every layer
    r = crossbar_cost(design_array(cfg.design(), n_groups=n_groups), L, constants=cfg.constants,
                      chip=chip_array(cfg.design()), global_buffer=global_buffer)
    if cfg.overflow == "infeasible" and r.total("capacity_violation")[0] > 0:
        raise ImcConfigError(f"tiles: the network needs {int(r.total('tiles_needed')[0])} tiles, the chip has "
                             f"{cfg.tiles} (overflow = \"infeasible\"; \"reprogram\" rewrites the rest every "
                             "inference)")
    return r


#: Energy parts (JSON name -> kernel field) and area parts of the cost command's rows and total.
ENERGY_PARTS = {"array": "e_array_pj", "adc": "e_adc_pj", "word_line": "e_dac_wl_pj", "shift_add": "e_shift_add_pj",
                "buffer": "e_buffer_pj", "interconnect": "e_interconnect_pj", "leakage": "e_leak_pj"}
AREA_PARTS = {"array": "a_array_um2", "adc": "a_adc_um2", "periphery": "a_periph_um2"}


def _row(name: str, v: Mapping[str, float], adc_key: str, time_ns: float) -> dict[str, Any]:
    area_mm2 = v["area_um2"] * 1e-6
    ops = 2.0 * v["macs"]
    return {
        "name": name,
        "latency_cycles": float(v["latency_cycles"]),
        "latency_ns": float(v["latency_ns"]),
        "compute_cycles": float(v["compute_cycles"]),
        "energy_pj": float(v["energy_pj"]),
        "macs": int(v["macs"]),
        "adc_energy_pj": float(v[adc_key]),
        "area_um2": float(v["area_um2"]),
        "edap": float(v["energy_pj"] * v["latency_ns"] * area_mm2),
        "tops_per_w": float(ops / v["energy_pj"]) if v["energy_pj"] > 0 else 0.0,
        "tops_per_mm2": float(ops / time_ns / 1000.0 / area_mm2) if time_ns > 0 and area_mm2 > 0 else 0.0,
        "energy_breakdown_pj": {k: float(v[f]) for k, f in ENERGY_PARTS.items()},
    }


def _layer_row(name: str, v: Mapping[str, float], clock_ghz: float) -> dict[str, Any]:
    row = _row(name, v, "e_adc_pj", v["latency_ns"])
    row.update({"crossbars": float(v["crossbars"]), "copies": int(v["copies"]), "utilization": float(v["utilization"]),
                "stage_ns": float(v["stage_cycles"] / clock_ghz),
                "area_breakdown_um2": {k: float(v[f]) for k, f in AREA_PARTS.items()}})
    return row


def _total_row(v: Mapping[str, float], cfg: ImcConfig) -> dict[str, Any]:
    row = _row("total", v, "e_adc_pj", v["interval_ns"])
    row["energy_breakdown_pj"]["reprogram"] = float(v["e_reprogram_pj"])
    row.update({
        "schedule": cfg.schedule, "interval_ns": float(v["interval_ns"]),
        "throughput_inferences_per_s": float(v["throughput_per_s"]), "crossbars": float(v["crossbars"]),
        "tiles": int(v["tiles"]), "tiles_needed": int(v["tiles_needed"]), "duplication": int(v["duplication"]),
        "capacity_violation": float(v["capacity_violation"]), "reprogram_ns": float(v["reprogram_ns"]),
        "dram_bytes": float(v["dram_bits"] / 8.0), "stage_balance": float(v["stage_balance"]),
        "crossbar_utilization": float(v["xbar_utilization"]), "global_buffer_bits": float(v["global_buffer_bits"]),
        "leakage_uw": float(v["leakage_uw"]),
        "area_breakdown_um2": {**{k: float(v[f]) for k, f in AREA_PARTS.items()},
                               "buffer": float(v["a_buffer_um2"]), "interconnect": float(v["a_interconnect_um2"])},
    })
    return row


def cost_imc_layers(layers_table: np.ndarray, names: Sequence[str], imc_config: ImcConfig) -> list[dict[str, Any]]:
    """One JSON-ready row per layer (:data:`JSON_FIELDS` and the energy and area breakdowns, copies,
    stage time) for one instance of the layer.

    Pools have no crossbars: zero area and zero TOPS/mm^2. Each row's EDAP uses the layer's own
    crossbar area. Energies include the layer's share of whole-chip leakage.
    """
    return cost_imc_network(layers_table, names, imc_config)[0]


def cost_imc_network(layers_table: np.ndarray, names: Sequence[str], imc_config: ImcConfig, *,
                     global_buffer: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-layer rows (as :func:`cost_imc_layers`) and the chip's total row (``name = "total"``,
    layers weighted by their ``count``; the chip's area by part, its interval and throughput,
    tiles, capacity and reprogramming). ``global_buffer=False`` when another engine's buffer serves
    (the hybrid chip's PE-array L2)."""
    if len(names) != len(layers_table):
        raise ValueError(f"{len(names)} names for {len(layers_table)} layers")
    res = _run(layers_table, imc_config, global_buffer)
    clock = float(imc_constants(imc_config.constants)[CI.clock_ghz])
    rows = [_layer_row(str(n), dict(zip(LAYER_FIELDS, res.per_layer[0, i])), clock) for i, n in enumerate(names)]
    return rows, _total_row(dict(zip(TOTAL_FIELDS, res.totals[0])), imc_config)

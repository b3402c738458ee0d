"""Constants of the dataflow (PE-array) cost model, one row each with value, unit, technology node
and source (paper, tool and file).

Override any of them with ``dataflow_constants({"e_mac_pj": 0.5})`` or a ``[constants]`` table in
``ACC.toml`` (unknown names are errors). IMC constants live in
:mod:`evo_codesign.cost.constants_imc`.

Not in the table, for want of a figure we could trace to a paper or tool file: NoC area and energy
(MAESTRO folds NoC traffic into its L2 access energy, as we do), SRAM periphery area (the SRAM rows
count bit cells only, a lower bound that grows linearly with size), and leakage power.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..schema import Spec, check_value

__all__ = ["Constant", "DATAFLOW_CONSTANTS", "DATAFLOW_OVERRIDES", "DC", "dataflow_constants", "constants_table"]


@dataclass(frozen=True)
class Constant:
    """One row of the table: ``value`` in ``unit`` at technology ``node``, from ``source``."""

    name: str
    value: float
    unit: str
    node: str
    source: str


DATAFLOW_CONSTANTS: tuple[Constant, ...] = (
    Constant("e_mac_pj", 0.23, "pJ per 8-bit MAC", "45 nm",
             "Horowitz, 'Computing's energy problem', ISSCC 2014, Fig. 1.1.9: "
             "8-bit multiply 0.2 pJ + 8-bit add 0.03 pJ"),
    Constant("e_add_pj", 0.03, "pJ per 8-bit add/compare (pooling)", "45 nm",
             "Horowitz, ISSCC 2014, Fig. 1.1.9: 8-bit add 0.03 pJ"),
    Constant("l1_access_mac_ratio", 1.68, "x MAC energy per L1 (PE scratchpad) access", "n/a",
             "MAESTRO (Kwon et al., MICRO 2019), maestro-project/maestro, "
             "cost-model/include/base/BASE_constants.hpp: l1_energy_multiplier = 1.68"),
    Constant("l2_access_mac_ratio", 18.61, "x MAC energy per L2 (global buffer) access", "n/a",
             "MAESTRO (Kwon et al., MICRO 2019), maestro-project/maestro, "
             "cost-model/include/base/BASE_constants.hpp: l2_energy_multiplier = 18.61"),
    Constant("e_dram_pj_per_byte", 162.5, "pJ per byte", "45 nm",
             "Horowitz, ISSCC 2014, Fig. 1.1.9: DRAM 1.3-2.6 nJ per 64-bit access; lower end / 8 bytes"),
    Constant("pe_area_um2", 318.0, "um^2 per PE (8-bit multiplier + adder)", "45 nm",
             "Horowitz, ISSCC 2014, Fig. 1.1.9: 8-bit multiply 282 um^2 + 8-bit add 36 um^2 (registers not counted)"),
    Constant("sram_area_um2_per_byte", 2.768, "um^2 per byte of SRAM (bit cells only)", "45 nm",
             "Mistry et al., IEDM 2007 (Intel 45 nm): 6T bit cell 0.346 um^2 x 8 bits; array periphery not counted"),
    Constant("data_bytes", 1.0, "bytes per operand (int8 weights and activations)", "n/a",
             "int8 inference; SCALE-Sim 3.0.0 (Samajdar et al., ISPASS 2020), scalesim/single_layer_sim.py: "
             "word_size = 1 byte"),
)
_NAMES = tuple(c.name for c in DATAFLOW_CONSTANTS)
#: What an override of each constant may be (the ``[constants]`` table of ACC.toml and
#: :func:`dataflow_constants`): energies, areas and access ratios are finite and >= 0; the
#: operand width divides byte counts into words, so it must be > 0.
DATAFLOW_OVERRIDES: dict[str, Spec] = {
    c.name: Spec(float, finite=True, **({"gt": 0.0} if c.name == "data_bytes" else {"lo": 0.0}), doc=c.unit)
    for c in DATAFLOW_CONSTANTS}


class DC:
    """Indices into the constant vector (for the Numba kernel)."""
    e_mac_pj, e_add_pj, l1_ratio, l2_ratio, e_dram, pe_area, sram_area, data_bytes = range(len(DATAFLOW_CONSTANTS))


def dataflow_constants(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """float64 vector of the constants (defaults, optionally overridden by name)."""
    vals = {c.name: c.value for c in DATAFLOW_CONSTANTS}
    for k, v in (overrides or {}).items():
        if k not in vals:
            raise KeyError(f"unknown dataflow constant {k!r}; known: {list(_NAMES)}")
        vals[k] = check_value(DATAFLOW_OVERRIDES[k], v, f"dataflow constant {k!r}", ValueError)
    return np.array([vals[n] for n in _NAMES], dtype=np.float64)


def constants_table() -> str:
    """Markdown table of every constant with its source (for docs and `describe`)."""
    rows = ["| name | value | unit | node | source |", "|---|---|---|---|---|"]
    rows += [f"| {c.name} | {c.value:g} | {c.unit} | {c.node} | {c.source} |" for c in DATAFLOW_CONSTANTS]
    return "\n".join(rows)

"""Constants of the dataflow (PE-array) cost model, one row each with value, unit, technology node
and source (paper, tool and file).

Override any of them with ``dataflow_constants({"e_mac_pj": 0.5})`` or a ``[constants]`` table in
``ACC.toml`` (unknown names are errors). IMC constants live in
:mod:`evo_codesign.cost.constants_imc`.

**One technology node.** The energies and areas below are Horowitz's 45 nm figures; the chip is
costed at the crossbar side's node, 32 nm (NeuroSim V1.3, :mod:`evo_codesign.cost.constants_imc`),
by scaling on-chip energies and areas with Stillmaker & Baas's 45 -> 32 nm factors. DRAM energy is
off chip and is not scaled. **Data width** (``data_bytes``): a multiplier's energy grows with the
operand width to the power 1.98 and an adder's to 0.87 (the exponents through Horowitz's 8- and
32-bit points), SRAM and DRAM energy per access linearly with the bits moved; MAESTRO's L1 / L2
multipliers are read as multiples of the 8-bit MAC. At the default int8 only the node factors
apply. :func:`kernel_constants` turns the table into what the kernel reads.

Not in the table, for want of a figure we could trace to a paper or tool file: NoC area and energy
(MAESTRO folds NoC traffic into its L2 access energy, as we do; the one measured mesh figure found,
0.60 pJ per delivered bit for a 45 nm 4x4 mesh chip, has no area and would double count with that
multiplier), and SRAM leakage (with the low-power devices of the crossbar side about 0.2 mW per MB,
about 20 pW per bit, which we neglect).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..schema import Spec, check_value

__all__ = ["Constant", "DATAFLOW_CONSTANTS", "DATAFLOW_OVERRIDES", "DC", "KC", "dataflow_constants",
           "kernel_constants", "constants_table"]


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
    Constant("mult_width_exponent", 1.98, "multiplier energy ~ (bits / 8) ** x", "45 nm",
             "derived from Horowitz, ISSCC 2014, Fig. 1.1.9: 8-bit multiply 0.2 pJ, 32-bit 3.1 pJ (15.5 = 4 ** 1.98)"),
    Constant("add_width_exponent", 0.87, "adder energy ~ (bits / 8) ** x", "45 nm",
             "derived from Horowitz, ISSCC 2014, Fig. 1.1.9: 8-bit add 0.03 pJ, 32-bit 0.1 pJ (3.33 = 4 ** 0.87)"),
    Constant("node_energy_scale", 0.654, "on-chip energy at 32 nm / at 45 nm (same 0.9 V)", "45 -> 32 nm",
             "Stillmaker & Baas, 'Scaling equations for the accurate prediction of CMOS device performance from "
             "180 nm to 7 nm', Integration 58 (2017), energy polynomials (HP; LP gives 0.641), evaluated at "
             "0.9 V as transcribed in wromaszkan/nodeScale nodeScale.py and Accelergy-Project/hwcomponents "
             "scaling/techscaling.py"),
    Constant("node_area_scale", 0.46, "area at 32 nm / at 45 nm", "45 -> 32 nm",
             "Stillmaker & Baas 2017, area factor as transcribed in Accelergy-Project/hwcomponents "
             "scaling/techscaling.py AREA_SCALING[45nm][32nm] (nodeScale.py: 1 / 2.2)"),
    Constant("sram_periphery_factor", 3.2, "SRAM macro area / bit-cell area", "45 nm",
             "CACTI via Accelergy: 128 KB buffer (16384 x 64 b, 32 banks) 1,162,549 um^2 = 1.109 um^2/bit, "
             "timeloop-accelergy-exercises eyeriss_like example ART_summary.yaml, over the 0.346 um^2 bit cell"),
    Constant("offchip_step_staging", 0.0,
             "timing convention, 0 or 1: 1 = every array step brings its weight and input operands over the "
             "off-chip link (and its outputs back), double-buffered, whatever is already on chip; 0 = only the "
             "reuse rule's DRAM traffic", "n/a",
             "MAESTRO (Kwon et al., MICRO 2019), maestro-project/maestro at 4eb08d1, cost-model/include/"
             "cost-analysis/CA_cost-analysis-engine.hpp, AnalyzeClusterLevel_V2, cluster_idx == 0: each "
             "iteration case's delay is at least the L2 (upstream) buffer requirement of inputs + weights "
             "(UpdateBufferSizeReq at case 0: the double-buffered step tile) / offchip_bw, halved for double "
             "buffering, and likewise for outputs; 0 (off) is this model's own rule"),
)
_NAMES = tuple(c.name for c in DATAFLOW_CONSTANTS)
#: What an override of each constant may be (the ``[constants]`` table of ACC.toml and
#: :func:`dataflow_constants`): energies, areas and access ratios are finite and >= 0; the
#: operand width divides byte counts into words, so it must be > 0; the staging convention is
#: off (0) or on (1).
_BOUNDS = {"data_bytes": {"gt": 0.0}, "offchip_step_staging": {"choices": (0.0, 1.0)}}
DATAFLOW_OVERRIDES: dict[str, Spec] = {
    c.name: Spec(float, finite=True, **_BOUNDS.get(c.name, {"lo": 0.0}), doc=c.unit) for c in DATAFLOW_CONSTANTS}


class DC:
    """Indices into the constant vector (the table's order)."""
    (e_mac_pj, e_add_pj, l1_ratio, l2_ratio, e_dram, pe_area, sram_area, data_bytes, mult_exp, add_exp,
     node_energy, node_area, sram_periphery, step_staging) = range(len(DATAFLOW_CONSTANTS))


#: The multiplier's share of a PE's area (Horowitz, ISSCC 2014, Fig. 1.1.9: 8-bit multiply 282 um^2
#: of the 318 um^2 of ``pe_area_um2``).
MULT_AREA_SHARE = 282.0 / 318.0


class KC:
    """Indices into the kernel's vector (:func:`kernel_constants`): pJ per MAC, per add/compare,
    per L1 access, per L2 access, per DRAM byte; um^2 per PE and per SRAM byte; bytes per operand;
    the step-staging convention (0 or 1)."""
    e_mac, e_add, e_l1, e_l2, e_dram, pe_area, sram_area, data_bytes, step_staging = range(9)


def kernel_constants(c: np.ndarray) -> np.ndarray:
    """The table (a :func:`dataflow_constants` vector) at the chip's node and data width, as the
    kernel reads it (:class:`KC`)."""
    c = np.asarray(c, dtype=np.float64)
    w = c[DC.data_bytes]  # operand width in units of 8 bits
    ne, na = c[DC.node_energy], c[DC.node_area]
    mult8 = c[DC.e_mac_pj] - c[DC.e_add_pj]
    e_add = c[DC.e_add_pj] * w ** c[DC.add_exp]
    e_mac = mult8 * w ** c[DC.mult_exp] + e_add
    # MAESTRO's access multipliers are per 8-bit word of an 8-bit MAC's energy; SRAM energy grows with the bits
    e_l1 = c[DC.l1_ratio] * c[DC.e_mac_pj] * w
    e_l2 = c[DC.l2_ratio] * c[DC.e_mac_pj] * w
    # a PE's multiplier grows with the square of the width, its adder linearly
    pe = c[DC.pe_area] * (MULT_AREA_SHARE * w ** 2 + (1.0 - MULT_AREA_SHARE) * w)
    return np.array([ne * e_mac, ne * e_add, ne * e_l1, ne * e_l2, c[DC.e_dram], na * pe,
                     na * c[DC.sram_area] * c[DC.sram_periphery], c[DC.data_bytes], c[DC.step_staging]])


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

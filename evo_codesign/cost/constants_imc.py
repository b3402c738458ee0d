"""Constants of the IMC crossbar cost model, one row each with value, unit, node and source.

Defaults are NeuroSim V1.3's 32 nm models *as XPert configures them* (Moitra et al., DAC 2023;
``XPertSim_Tool/NeuroSIM/Param.cpp``: SRAM, ``deviceroadmap = 2`` i.e. low-standby-power (LP)
transistors, ``technode = 32``, ``clkFreq = 1e9``, ``currentMode = true`` for the multilevel sense
amplifier, ``readVoltage = 0.5``). NeuroSim: Peng, Huang, Jiang, Lu, Yu, "DNN+NeuroSim V2.0",
IEEE TCAD 2021 and Chen, Peng, Yu, "NeuroSim", IEEE TCAD 2018; code
``neurosim/DNN_NeuroSim_V1.3`` (files named per row). Where NeuroSim computes a quantity from
transistor-level models we do not port (bit-line capacitance, gate capacitances, adder areas,
buffer energies), the row takes ZigZag's analog-IMC model (Mei et al., IEEE TC 2021; IMC
extension: Sun et al., "Analog or Digital In-Memory Computing? Benchmarking through Quantitative
Modeling", ICCAD 2023; ``zigzag-dse`` 3.9.1), which is at 28 nm; ``cap_scale_28_to_32`` and
``area_scale_28_to_32`` move those rows to 32 nm to first order (capacitance ~ F, area ~ F^2).

ADC precision is modelled in **bits**: a b-bit ADC resolves ``2**b`` levels. NeuroSim's formulas
take ``levelOutput`` (a number of levels) and use ``log2(levelOutput)`` for bits; XPert's released
simulator writes a bit count into ``levelOutput``, so its "5-bit" ADC is a 5-level one. Here the
formulas are evaluated at ``levelOutput = 2**b``.

Override any value with :func:`imc_constants` (``{"sar_power_base_uw": 9.5}``); an unknown name
is an error that lists the known ones.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..schema import Spec, check_value

__all__ = ["ImcConstant", "IMC_CONSTANTS", "IMC_CONSTANT_NAMES", "IMC_OVERRIDES", "imc_constants", "constants_table",
           "CI", "MAX_FACTOR"]

_NS = "neurosim/DNN_NeuroSim_V1.3 Inference_pytorch/NeuroSIM/"
_XP = "Intelligent-Computing-Lab-Yale/XPert XPertSim_Tool/NeuroSIM/Param.cpp"
_ZZ = "zigzag-dse 3.9.1 zigzag/hardware/architecture/imc_unit.py ImcUnit.TECH_PARAM_28NM"
_ZZ_ACC = "zigzag-dse 3.9.1 zigzag/inputs/hardware/aimc.yaml (CACTI-derived, 28 nm)"
_F_NM = 32.0
# One minimum inverter in NeuroSim's layout model (formula.cpp CalculateGateArea, bulk, INV, one
# input, width MIN_NMOS_SIZE = 2 F, fixed height MAX_TRANSISTOR_HEIGHT = 28 F, no folding): width
# 2 (POLY_WIDTH 1 + MIN_GAP_BET_GATE_POLY 2.8) F = 7.6 F, so 212.8 F^2. The PMOS one
# (pnSizeRatio ~ 1.5) is not folded either and has the same area.
_MIN_INV_UM2 = 7.6 * 28.0 * (_F_NM * 1e-3) ** 2
# SRAM access transistor on-resistance, NeuroSim formula.cpp CalculateOnResistance:
# effectiveResistanceMultiplier * vdd / (currentOnNmos * width), 32 nm LP (Technology.cpp):
# 1.77 * 0.9 V / (600.2 uA/um * 1 F); widthAccessCMOS = 1 (XPert Param.cpp).
_R_ACCESS = 1.77 * 0.9 / (600.2 * _F_NM * 1e-9)
# Global-buffer SRAM per bit with its periphery: 45 nm 6T cell x 45 -> 32 nm area factor x CACTI's
# macro factor (sources in the row).
_SRAM_BIT_UM2 = 0.346 * 0.46 * 3.2
# Delay of an optimally repeated wire (row htree_ns_per_um): NeuroSim's 32 nm wire resistance per um,
# its 0.2 fF/um, a minimum NMOS driver (2 F wide) loaded by one 32 nm gate (ZigZag nd2_cap x 32/28).
_R_WIRE_OHM_PER_UM = 3.70e-8 / ((56e-9) ** 2 * 1.8) * 1e-6
_R0 = 1.77 * 0.9 / (600.2 * 2.0 * _F_NM * 1e-9)
_C0_F = 0.7e-15 * 32.0 / 28.0
_HTREE_NS_PER_UM = 2.5 * math.sqrt(_R0 * _C0_F * _R_WIRE_OHM_PER_UM * 0.2e-15) * 1e9


@dataclass(frozen=True)
class ImcConstant:
    """One model constant: value, unit, technology node and where it comes from."""

    value: float
    unit: str
    node: str
    source: str


IMC_CONSTANTS: dict[str, ImcConstant] = {
    # -- technology and clock --------------------------------------------------------------
    "clock_ghz": ImcConstant(1.0, "GHz", "32 nm", _XP + " (clkFreq = 1e9)"),
    "vdd_v": ImcConstant(0.9, "V", "32 nm LP", _NS + "Technology.cpp (32 nm LP: vdd = 0.9)"),
    "feature_size_nm": ImcConstant(_F_NM, "nm", "32 nm", _XP + " (technode = 32)"),
    "sram_cell_area_f2": ImcConstant(
        280.0, "F^2", "32 nm", _XP + " (heightInFeatureSizeSRAM = 10, widthInFeatureSizeSRAM = 28)"),
    "min_inverter_area_um2": ImcConstant(
        _MIN_INV_UM2, "um^2", "32 nm", _NS + "formula.cpp CalculateGateArea with constant.h (MIN_NMOS_SIZE 2, "
        "MAX_TRANSISTOR_HEIGHT 28, POLY_WIDTH 1.0, MIN_GAP_BET_GATE_POLY 2.8): 7.6 F x 28 F"),
    # -- SAR ADC (NeuroSim SarADC.cpp, LP branch, technode 32) ------------------------------
    "sar_power_per_bit_uw": ImcConstant(
        1.1294, "uW per bit", "32 nm LP", _NS + "SarADC.cpp GetColumnPower: (1.1294*log2(levelOutput)+8.8998)e-6"),
    "sar_power_base_uw": ImcConstant(8.8998, "uW", "32 nm LP", _NS + "SarADC.cpp GetColumnPower"),
    "sar_col_coeff": ImcConstant(
        0.079449, "W (times R^-k)", "32 nm LP", _NS + "SarADC.cpp GetColumnPower: 0.079449*exp(-2.297*log10(R))"),
    "sar_col_exp": ImcConstant(-2.297, "1 (exp(k log10 R))", "32 nm LP", _NS + "SarADC.cpp GetColumnPower"),
    "sar_ns_per_step": ImcConstant(
        1.0, "ns per SAR step; b + 1 steps per conversion", "32 nm", _NS + "SarADC.cpp CalculateLatency: "
        "(log2(levelOutput)+1)*1e-9 per read; energy = power x the same time. Checked against a survey point: "
        "the 8-bit SAR ISAAC builds on (Kull et al., ISSCC 2013 / JSSC 2013: asynchronous, 1.2 GS/s, 32 nm SOI) "
        "converts in 0.83 ns, about 11x faster than 9 steps of 1 ns: NeuroSim's is a conservative low-power SAR"),
    "sar_area_n_base": ImcConstant(269.0, "min NMOS inverters", "any", _NS + "SarADC.cpp CalculateUnitArea: "
                                   "A_n*(269+(log2(L)-1)*109) + A_p*(209+(log2(L)-1)*73)"),
    "sar_area_n_per_bit": ImcConstant(109.0, "min NMOS inverters per bit", "any", _NS + "SarADC.cpp CalculateUnitArea"),
    "sar_area_p_base": ImcConstant(209.0, "min PMOS inverters", "any", _NS + "SarADC.cpp CalculateUnitArea"),
    "sar_area_p_per_bit": ImcConstant(73.0, "min PMOS inverters per bit", "any", _NS + "SarADC.cpp CalculateUnitArea"),
    # -- Flash ADC = NeuroSim's multilevel sense amplifier, current mode ---------------------
    "flash_power_per_ref_uw": ImcConstant(
        3.0875, "uW per reference (2^b - 1 references)", "32 nm LP", _NS + "MultilevelSenseAmp.cpp GetColumnPower "
        "(currentMode, LP, 32 nm): 3.0875*(levelOutput-1)e-6 + 0.0649*exp(-2.297*log10(R))"),
    "flash_col_coeff": ImcConstant(0.0649, "W (times R^-k)", "32 nm LP", _NS + "MultilevelSenseAmp.cpp GetColumnPower"),
    "flash_col_exp": ImcConstant(-2.297, "1 (exp(k log10 R))", "32 nm LP",
                                 _NS + "MultilevelSenseAmp.cpp GetColumnPower"),
    "flash_conversion_ns": ImcConstant(
        1.0, "ns per conversion", "32 nm LP", _NS + "MultilevelSenseAmp.cpp CalculateLatency: column latency clamped "
        "to [1, 10] ns; the 32 nm LP fit T_max = (0.0714 ln(R/1k) + 0.7651) ns stays below 1.1 ns for our column "
        "resistances, so the 1 ns floor applies"),
    "flash_area_n_per_ref": ImcConstant(
        57.0, "min NMOS inverters per reference", "any", _NS + "MultilevelSenseAmp.cpp CalculateArea (currentMode): "
        "CurrentSenseAmp unit 48 A_n + 40 A_p (CurrentSenseAmp.cpp) plus 9 A_n + 9 A_p, per reference"),
    "flash_area_p_per_ref": ImcConstant(49.0, "min PMOS inverters per reference", "any",
                                        _NS + "MultilevelSenseAmp.cpp / CurrentSenseAmp.cpp CalculateUnitArea"),
    # -- column current seen by the ADC -------------------------------------------------------
    "sram_access_resistance_ohm": ImcConstant(
        _R_ACCESS, "ohm", "32 nm LP", _NS + "formula.cpp CalculateOnResistance with Technology.cpp 32 nm LP "
        "(effectiveResistanceMultiplier 1.77, vdd 0.9, currentOnNmos 600.2 uA/um) and widthAccessCMOS = 1 F; "
        "ProcessingUnit.cpp GetColumnResistance (SRAM): column conductance = active rows / (R_access + R_wire)"),
    "input_one_density": ImcConstant(
        0.5, "fraction of input bits equal to 1", "any", "assumption: NeuroSim traces real activations "
        "(ProcessingUnit.cpp GetInputVector activityRowRead); without traces we take half of the bits as 1"),
    # -- array read: bit-line and word-line capacitance ---------------------------------------
    "bl_cap_per_cell_ff": ImcConstant(0.35, "fF per cell", "28 nm", _ZZ + " (bl_cap = nd2_cap / 2)"),
    "wl_cap_per_cell_ff": ImcConstant(0.35, "fF per cell", "28 nm", _ZZ + " (wl_cap = nd2_cap / 2)"),
    "cap_scale_28_to_32": ImcConstant(32.0 / 28.0, "1", "28 -> 32 nm",
                                      "first-order scaling: gate and wire capacitance per device ~ feature size"),
    "area_scale_28_to_32": ImcConstant((32.0 / 28.0) ** 2, "1", "28 -> 32 nm",
                                       "first-order scaling: layout area ~ feature size squared"),
    "bitline_rc_factor": ImcConstant(
        math.log(2.0), "1 (t = k R C)", "any", "RC settling to half swing (ln 2), as NeuroSim's Horowitz model for "
        "a step input; R = SRAM access resistance, C = cells on the bit line x bl_cap_per_cell"),
    # -- digital periphery gates (ZigZag's gate model) ----------------------------------------
    "nd2_cap_ff": ImcConstant(0.7, "fF", "28 nm", _ZZ + " (nd2_cap)"),
    "xor2_cap_ff": ImcConstant(1.05, "fF", "28 nm", _ZZ + " (xor2_cap = 1.5 nd2_cap)"),
    "dff_cap_ff": ImcConstant(2.1, "fF", "28 nm", _ZZ + " (dff_cap = 3 nd2_cap)"),
    "nd2_area_um2": ImcConstant(0.614, "um^2", "28 nm", _ZZ + " (nd2_area)"),
    "xor2_area_um2": ImcConstant(0.614 * 2.4, "um^2", "28 nm", _ZZ + " (xor2_area = 2.4 nd2_area)"),
    "dff_area_um2": ImcConstant(0.614 * 6.0, "um^2", "28 nm", _ZZ + " (dff_area = 6 nd2_area)"),
    # A 1-bit full adder is 3 ND2 + 2 XOR2 (ZigZag ImcUnit.get_1b_adder_energy / _area).
    # -- buffers and interconnect ------------------------------------------------------------
    "gb_read_pj_per_bit": ImcConstant(416.16 / 512.0, "pJ per bit", "28 nm",
                                      _ZZ_ACC + ": sram_256KB r_cost 416.16 pJ per 512-bit access"),
    "gb_write_pj_per_bit": ImcConstant(378.4 / 512.0, "pJ per bit", "28 nm",
                                       _ZZ_ACC + ": sram_256KB w_cost 378.4 pJ per 512-bit access"),
    "rf_read_pj_per_bit": ImcConstant(0.021 / 8.0, "pJ per bit", "28 nm",
                                      _ZZ_ACC + ": rf_1B r_cost 0.021 pJ per 8-bit access"),
    "bus_bits_per_cycle": ImcConstant(512.0, "bits per cycle", "any",
                                      _ZZ_ACC + ": sram_256KB bandwidth_max 512 bits"),
    "activation_bits": ImcConstant(
        8.0, "bits per stored output activation", "any", "NeuroSim V1.3 inference wrapper default "
        "(Inference_pytorch/inference.py --inputprecision 8); XPert keeps 8-bit activations between layers"),
    # -- leakage -------------------------------------------------------------------------------
    "ioff_nmos_a_per_m": ImcConstant(
        100.10e-6, "A/m (= uA/um)", "32 nm LP", _NS + "Technology.cpp 32 nm LP currentOffNmos[0] = 100.10e-6 uA/um"),
    # -- hierarchy --------------------------------------------------------------------------------
    "crossbars_per_pe": ImcConstant(4.0, "crossbars", "any",
                                    "our choice: 2 x 2 sub-arrays per processing element, as NeuroSim's PE of "
                                    "sub-arrays sharing an input buffer and adder tree (ProcessingUnit.cpp)"),
    "pes_per_tile": ImcConstant(4.0, "PEs", "any", "our choice: 2 x 2 PEs per tile (NeuroSim Tile.cpp hierarchy)"),
    # -- chip periphery: buffers and H-trees (NeuroSim's chip -> tile -> PE structure) ---------
    "sram_buffer_um2_per_bit": ImcConstant(
        _SRAM_BIT_UM2, "um^2 per bit of the global buffer (SRAM macro)", "32 nm",
        "Mistry et al., IEDM 2007 (Intel 45 nm): 6T bit cell 0.346 um^2, x 0.46 (Stillmaker & Baas 2017 area factor "
        "45 -> 32 nm) x 3.2 (CACTI macro / bit-cell area, timeloop-accelergy-exercises eyeriss_like "
        "ART_summary.yaml): the rows sram_area_um2_per_byte, node_area_scale and sram_periphery_factor of "
        "evo_codesign/cost/constants.py"),
    "wire_cap_ff_per_um": ImcConstant(0.2, "fF per um of H-tree wire", "any",
                                      _NS + "HTree.cpp Initialize: unitLengthWireCap = 0.2e-15/1e-6"),
    "wire_pitch_um": ImcConstant(
        2.0 * 0.056, "um per bus bit (wire width + space)", "32 nm", _NS + "Param.cpp wire table (technode 32 -> "
        "wireWidth 56 nm); pitch = 2 x width: assumption (equal line and space)"),
    "htree_activity": ImcConstant(0.25, "fraction of wire capacitance switched per bit moved", "any",
                                  _NS + "HTree.cpp CalculatePower: unitLengthEnergyRep = ... * vdd^2 * 0.25"),
    "htree_repeater_cap_ratio": ImcConstant(
        1.0, "repeater capacitance / wire capacitance per unit length", "any",
        "assumption: at the delay-optimal repeater size and spacing the repeaters load a segment about as much as "
        "its wire (Bakoglu & Meindl, IEEE Trans. Electron Devices 32(5), 1985); NeuroSim sizes its H-tree repeaters "
        "for delay the same way (HTree.cpp Initialize) and charges (C_rep_in + C_rep_out + C_wire) per segment"),
    "htree_fold": ImcConstant(4.0, "H-tree layout folding (area divided by it)", "any",
                              _XP + " (treeFoldedRatio = 4)"),
    "htree_ns_per_um": ImcConstant(
        _HTREE_NS_PER_UM, "ns per um of repeated wire", "32 nm LP", "derived: 2.5 sqrt(R0 C0 r c) per unit length "
        "(Bakoglu & Meindl 1985, optimally repeated line), r = Rho / (w^2 AR) with NeuroSim's 32 nm wire "
        "(Param.cpp: wireWidth 56 nm, AR 1.8, Rho 3.70e-8 ohm m), c = wire_cap_ff_per_um, R0 = the on-resistance of "
        "a minimum 2 F NMOS (formula.cpp CalculateOnResistance, Technology.cpp 32 nm LP), C0 = nd2_cap_ff at 32 nm"),
    # -- weights that do not fit the chip: rewritten every inference -----------------------------
    "dram_pj_per_bit": ImcConstant(162.5 / 8.0, "pJ per bit read from DRAM", "off chip",
                                   "Horowitz, ISSCC 2014, Fig. 1.1.9: DRAM 1.3-2.6 nJ per 64-bit access; lower end "
                                   "(as e_dram_pj_per_byte of evo_codesign/cost/constants.py)"),
    "reprogram_bits_per_cycle": ImcConstant(
        204.8, "bits per 1 GHz cycle from DRAM", "off chip", "JEDEC JESD79-4 DDR4 SDRAM: 3200 MT/s on a 64-bit "
        "channel = 25.6 GB/s = 204.8 bits per ns"),
}

IMC_CONSTANT_NAMES: tuple[str, ...] = tuple(IMC_CONSTANTS)
#: Constants a model divides by or takes the logarithm of: strictly positive.
_POSITIVE = ("clock_ghz", "vdd_v", "feature_size_nm", "sram_cell_area_f2", "min_inverter_area_um2", "sar_ns_per_step",
             "flash_conversion_ns", "sram_access_resistance_ohm", "cap_scale_28_to_32", "area_scale_28_to_32",
             "bitline_rc_factor")
#: Counts of things (bits, crossbars, PEs): at least one.
_COUNTS = ("bus_bits_per_cycle", "activation_bits", "crossbars_per_pe", "pes_per_tile",
           "reprogram_bits_per_cycle", "htree_fold")
#: Fitted exponents of column power against column resistance (NeuroSim): power falls with resistance.
_EXPONENTS = ("sar_col_exp", "flash_col_exp")
#: How far above its default a constant may be set: a guard against unit slips (W for uW, F for fF),
#: which would otherwise give a plausible-looking but meaningless design.
MAX_FACTOR = 1000.0


def _override_spec(name: str, c: ImcConstant) -> Spec:
    hi = MAX_FACTOR * abs(c.value)
    if name in _EXPONENTS:
        return Spec(float, lo=-10.0, hi=0.0, finite=True, doc=f"{c.unit}; a negative exponent")
    if name == "input_one_density":
        return Spec(float, lo=0.0, hi=1.0, doc=f"{c.unit}; a fraction")
    if name in _COUNTS:
        return Spec(float, lo=1.0, hi=hi, doc=f"{c.unit}; at least 1")
    if name in _POSITIVE:
        return Spec(float, gt=0.0, hi=hi, doc=f"{c.unit}; positive")
    return Spec(float, lo=0.0, hi=hi, doc=f"{c.unit}; energies, powers, capacitances, areas: not negative")


#: What an override of each constant may be (``[constants]`` of ACC.toml and :func:`imc_constants`):
#: its sign (positive where the model divides by it or takes its logarithm, not negative for
#: energies, powers, capacitances and areas, negative for the fitted exponents, a fraction for
#: ``input_one_density``) and at most :data:`MAX_FACTOR` times its default.
IMC_OVERRIDES: dict[str, Spec] = {k: _override_spec(k, c) for k, c in IMC_CONSTANTS.items()}


#: Positions of the constants in the array handed to the kernel (``CI.vdd_v`` ...); a named tuple of
#: ints, which Numba freezes as compile-time constants.
CI = namedtuple("ConstantIndex", IMC_CONSTANT_NAMES)(*range(len(IMC_CONSTANT_NAMES)))


def imc_constants(overrides: Mapping[str, float] | None = None) -> np.ndarray:
    """The constants as a float64 array in :data:`IMC_CONSTANT_NAMES` order, with overrides applied.

    Raises ``KeyError`` naming unknown keys and ``ValueError`` for values outside
    :data:`IMC_OVERRIDES` (sign and range), naming the constant.
    """
    values = np.array([c.value for c in IMC_CONSTANTS.values()], dtype=np.float64)
    for k, v in dict(overrides or {}).items():
        if k not in IMC_CONSTANTS:
            raise KeyError(f"unknown IMC constant {k!r}; known: {list(IMC_CONSTANT_NAMES)}")
        values[IMC_CONSTANT_NAMES.index(k)] = check_value(IMC_OVERRIDES[k], v, f"IMC constant {k!r}", ValueError)
    return values


def constants_table() -> list[dict[str, object]]:
    """The table as rows (name, value, unit, node, source), e.g. for a pandas frame or the docs."""
    return [{"name": k, "value": c.value, "unit": c.unit, "node": c.node, "source": c.source}
            for k, c in IMC_CONSTANTS.items()]

"""Accuracy lost to low input (activation) precision and low ADC precision on IMC crossbars.

The NB301 surrogate predicts the accuracy of a full-precision network. A crossbar design runs the
same network with ``input_bits``-bit activations, ``weight_bits``-bit weights sliced over
``cell_bits``-bit cells, and ``adc_bits``-bit ADCs that digitise each column's partial sum. This
module turns those knobs into a *drop* in CIFAR-10 top-1 accuracy, in percentage points (pp),
relative to the full-precision network. The caller subtracts it from the surrogate's prediction
(and may switch the model off in the config; it is never applied silently).

What is sourced and what is assumed
-----------------------------------
Sourced (every number is in :data:`PRECISION_CONSTANTS` with unit and source):

* the accuracy-vs-bit-width curve of a quantisation-aware-trained CIFAR-10 network: PACT
  (Choi et al. 2018, arXiv:1805.06085) Table 2, ResNet20 top-1 error at k = 2, 3, 4, 5 bits;
* that 5 bits is lossless: the 5-bit error equals the full-precision ResNet20 error of the model
  that reproduction started from to within 0.13 pp;
* how a crossbar reads: inputs enter bit-serially, one bit per read, and each weight slice of
  ``cell_bits`` bits is read separately (XPert's NeuroSim-based simulator), so one column read
  sums at most ``rows x (2**cell_bits - 1)``; a b-bit ADC resolves ``2**b`` levels;
* chance accuracy on CIFAR-10 (10 balanced classes), which bounds any drop.

Derived by simulation (:class:`AdcTable`, ``evo_codesign/data/adc_calibration.json``, written by
``benchmarks/precision_calibration.py``): the **equivalent activation bits** of an ADC, the bits
of activation quantisation that give a layer's dot product the same SQNR as b-bit ADCs on its
bit-plane partial sums, for 9-256 rows, 1/2/4-bit cells and 1-12 ADC bits, on conv-layer-like data.

Assumed (functional forms; no numbers are invented for them):

1. *Input precision.* The drop at ``k = min(input_bits, weight_bits)`` bits is PACT's error at
   k minus its error at 5 bits, linearly interpolated in bits; zero from 5 bits up. PACT quantised
   weights and activations together to k bits, so attributing the whole loss to the coarser of
   the two is conservative when only one of them is low.
2. *ADC precision.* A column read of ``rows`` rows can take ``R + 1`` values, ``R = rows x
   (2**cell_bits - 1)``, so an ADC with ``log2(R + 1)`` bits or more is exact (zero drop). ``rows``
   is what the column actually sums (the cost kernel reports it per layer: a depthwise column sums
   its 9 rows, a dense layer's last row block the rest), not the crossbar size. A coarser ADC is
   charged the input curve at its equivalent activation bits ``k_eq`` (from the table): equal SQNR
   of the layer's output, equal accuracy loss, which is this part's assumption. The simulated ADC
   has its full scale set per layer (unit or power-of-two steps, round to nearest, saturating): the
   bit-plane sums of ReLU inputs are sparse, so about two bits below ``log2(R + 1)`` cost nothing and
   the drop then grows quickly. The former rule (each bit short counts like one activation bit
   below 5, ``k_eq = 5 - deficit``) is :func:`legacy_adc_table`. Post-training ADC quantisation (no
   retraining) is worse (NeuroSim's maintainers report a linear 4-bit ADC giving poor VGG-8
   accuracy, neurosim/DNN_NeuroSim_V1.3 issue #4); the model describes networks trained with the
   quantisers in the loop, as PACT's were.
3. *Below the sourced range* (effective bits < 2) the curve continues linearly with the slope of
   its last sourced segment (2 -> 3 bits), and the drop is capped at ``100 - chance`` pp.
4. *Combination.* Input and ADC drops add (first-order, independent error sources).
5. *Groups.* With ``macs_fraction`` (the fraction of the network's MACs in each precision group,
   summing to at most 1; MACs outside the crossbars lose nothing), the drop is the MAC-weighted
   sum over groups: quantising a fraction w of the network costs w times quantising all of it,
   which interpolates linearly between PACT's "nothing quantised" and "all quantised" ends.

``column_sharing`` and ``adc_type`` are accepted and validated but do not change the drop:
sharing an ADC between columns time-multiplexes reads without changing what one read sums, and in
NeuroSim's ideal model SAR and flash ADCs of the same bit count have the same transfer function
(they differ in latency, energy and area, which the cost models charge).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np

from .adc_calibration import AdcTable, adc_table, legacy_adc_table
from .space.imc import ADC_TYPES

__all__ = [
    "SourcedValue",
    "PrecisionConstants",
    "PRECISION_CONSTANTS",
    "accuracy_drop",
    "input_drop",
    "adc_drop",
    "lossless_adc_bits",
    "describe_model",
    "AdcTable",
    "adc_table",
    "legacy_adc_table",
    "curve_drop",
    "adc_drop_from_equivalent_bits",
]


@dataclass(frozen=True)
class SourcedValue:
    """One constant: its value (a number or a tuple), unit and where it was read."""

    value: Any
    unit: str
    source: str


_PACT = ("Choi et al., PACT: Parameterized Clipping Activation for Quantized Neural Networks, "
         "arXiv:1805.06085 (2018), Table 2 (CIFAR-10, ResNet20, 'Original Paper ERR' column as "
         "tabulated in github.com/KwangHoonAn/PACT README.md; first/last layer kept at higher "
         "precision in that reproduction)")


@dataclass(frozen=True)
class PrecisionConstants:
    """Every number the degradation model uses or is checked against, with unit and source."""

    activation_bits: SourcedValue = SourcedValue(
        (2, 3, 4, 5), "bits (weights and activations both at k bits)", _PACT)
    activation_error_pct: SourcedValue = SourcedValue(
        (11.1, 9.4, 9.2, 8.4), "% top-1 test error, CIFAR-10", _PACT)
    full_precision_error_pct: SourcedValue = SourcedValue(
        8.27, "% top-1 test error, CIFAR-10",
        "github.com/akamaster/pytorch_resnet_cifar10 README.md, table row ResNet20 'Test err "
        "(this impl.)' (the full-precision model the KwangHoonAn/PACT reproduction started from); "
        "shows PACT's 5-bit error (8.4%) is within 0.13 pp of full precision")
    input_bits_per_read: SourcedValue = SourcedValue(
        1, "bits of each input applied per crossbar read (bit-serial)",
        "XPert simulator, github.com/Intelligent-Computing-Lab-Yale/XPert "
        "XPertSim_Tool/modules/quantization_cpu_np_infer_DAC_ADC.py (QConv2d.forward: inputs "
        "split into binary planes, one ADC conversion per plane and per weight slice)")
    adc_levels_base: SourcedValue = SourcedValue(
        2, "levels = adc_levels_base ** adc_bits",
        "NeuroSim, github.com/neurosim/DNN_NeuroSim_V1.3 Inference_pytorch/utee/wage_quantizer.py "
        "(LinearQuantizeOut: index clamped to 0 .. 2**bit - 1)")
    chance_accuracy_pct: SourcedValue = SourcedValue(
        10.0, "% top-1 accuracy of a uniform guess",
        "CIFAR-10: 10 classes with 6000 images each (Krizhevsky 2009; TensorFlow Datasets "
        "catalog, tensorflow.org/datasets/catalog/cifar10)")
    # Cross-check only (not used in the formula): a second, independent accuracy-vs-bits curve.
    crosscheck_bits: SourcedValue = SourcedValue(
        (1, 2, 4), "bits (weights and activations)",
        "Saikia et al., Modeling and Optimization of SRAM-based In-Memory Computing Hardware "
        "Design, DATE 2021; github.com/Jsaikia47/IMC-SRAM-Modeling readme.md, baseline table")
    crosscheck_accuracy_pct: SourcedValue = SourcedValue(
        (88.98, 90.52, 91.47), "% top-1 test accuracy, CIFAR-10, ResNet-18",
        "Saikia et al., DATE 2021; github.com/Jsaikia47/IMC-SRAM-Modeling readme.md, baseline "
        "table (column CIFAR-10)")
    # Reference operating point of the tools we follow (documentation and tests only).
    neurosim_default_rows: SourcedValue = SourcedValue(
        128, "rows read at once (subArray)",
        "XPert simulator XPertSim_Tool/modules/quantization_cpu_np_infer_DAC_ADC.py, QConv2d "
        "default subArray=128")
    neurosim_default_adc_bits: SourcedValue = SourcedValue(
        5, "bits", "same file, QConv2d default ADCprecision=5")
    neurosim_default_cell_bits: SourcedValue = SourcedValue(
        1, "bits per cell", "same file, QConv2d default cellBit=1")

    def rows(self) -> list[tuple[str, Any, str, str]]:
        """(name, value, unit, source) for every constant, in declaration order."""
        return [(f.name, getattr(self, f.name).value, getattr(self, f.name).unit,
                 getattr(self, f.name).source) for f in fields(self)]

    # Quantities derived from the sourced values (no new numbers).
    @property
    def lossless_bits(self) -> float:
        """Bit-width from which the sourced curve reports no loss (its highest point)."""
        return float(max(self.activation_bits.value))

    # Worked out once per instance (the curve is read on every evaluation; the arrays are read-only)
    @cached_property
    def curve_bits(self) -> np.ndarray:
        """The sourced bit-widths as floats."""
        return _read_only(np.asarray(self.activation_bits.value, dtype=float))

    @cached_property
    def curve_drop_pp(self) -> np.ndarray:
        """Drop at each sourced bit-width, relative to the lossless point, in pp."""
        err = np.asarray(self.activation_error_pct.value, dtype=float)
        return _read_only(err - err[int(np.argmax(self.activation_bits.value))])

    @cached_property
    def extrapolation_slope_pp_per_bit(self) -> float:
        """Slope of the lowest sourced segment, used below the sourced range (assumption 3)."""
        bits = np.asarray(self.activation_bits.value, dtype=float)
        err = np.asarray(self.activation_error_pct.value, dtype=float)
        return float((err[0] - err[1]) / (bits[1] - bits[0]))

    @cached_property
    def max_drop_pp(self) -> float:
        """No design can fall below chance: the drop never exceeds 100 - chance."""
        return 100.0 - float(self.chance_accuracy_pct.value)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


PRECISION_CONSTANTS = PrecisionConstants()

_MAX_BITS = 32
_MAX_CELL_BITS = 8
_MAX_ROWS = 1 << 16


def _as_int_array(x: Any, name: str, lo: int, hi: int) -> np.ndarray:
    """``x`` as float64 after checking every entry is a whole number in [lo, hi]; never mutated."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc
    if a.size and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if a.size and not np.all(a == np.round(a)):
        raise ValueError(f"{name} must be whole numbers, got {x!r}")
    if a.size and (a.min() < lo or a.max() > hi):
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got values from {a.min():g} to {a.max():g}")
    return a


def _curve(k: np.ndarray, c: PrecisionConstants = PRECISION_CONSTANTS) -> np.ndarray:
    """Drop in pp at (possibly fractional) effective bit-width ``k``; non-increasing in ``k``."""
    bits = c.curve_bits
    drop = c.curve_drop_pp
    # np.interp holds the end values outside the table: 0 above the lossless point, and the
    # lowest sourced drop below it, to which the linear extrapolation is added.
    inside = np.interp(k, bits, drop)
    below = np.maximum(bits[0] - k, 0.0) * c.extrapolation_slope_pp_per_bit
    return np.minimum(inside + below, c.max_drop_pp)


def curve_drop(bits: Any, constants: PrecisionConstants | None = None) -> np.ndarray:
    """The accuracy-vs-bits curve (pp) at (fractional) effective bits: PACT's table by default."""
    return np.asarray(_curve(np.asarray(bits, dtype=float), constants or PRECISION_CONSTANTS))


def _lossless_bits(rows: np.ndarray, cb: np.ndarray) -> np.ndarray:
    per_read = float(PRECISION_CONSTANTS.input_bits_per_read.value)
    base = float(PRECISION_CONSTANTS.adc_levels_base.value)
    max_sum = rows * (base ** cb - 1.0) * (base ** per_read - 1.0)
    return np.log2(max_sum + 1.0)


def _input_drop(ib: np.ndarray, wb: np.ndarray, c: PrecisionConstants = PRECISION_CONSTANTS) -> np.ndarray:
    return np.asarray(_curve(np.minimum(ib, wb), c))


def _adc_drop(ab: np.ndarray, cb: np.ndarray, rows: np.ndarray, c: PrecisionConstants = PRECISION_CONSTANTS,
              table: AdcTable | None = None) -> np.ndarray:
    return np.asarray(_curve((table or adc_table()).equivalent(ab, cb, rows), c))


def adc_drop_from_equivalent_bits(k: Any, constants: PrecisionConstants | None = None) -> np.ndarray:
    """The ADC drop (pp) of an ADC with ``k`` equivalent activation bits (the curve at ``k``)."""
    return curve_drop(k, constants)


def lossless_adc_bits(crossbar_size: Any, cell_bits: Any) -> np.ndarray:
    """ADC bits needed to resolve every value one column read of ``crossbar_size`` rows can take:
    ``log2(R + 1)``, ``R = rows x (2**cell_bits - 1) x (2**input_bits_per_read - 1)``. Pass the rows
    a layer's columns actually sum for that layer's need. Fractional: round up for a physical ADC."""
    return _lossless_bits(_as_int_array(crossbar_size, "crossbar_size", 1, _MAX_ROWS),
                          _as_int_array(cell_bits, "cell_bits", 1, _MAX_CELL_BITS))


def input_drop(input_bits: Any, *, weight_bits: Any) -> np.ndarray:
    """Drop (pp) from input/weight quantisation alone (assumption 1), broadcast elementwise."""
    return _input_drop(_as_int_array(input_bits, "input_bits", 1, _MAX_BITS),
                       _as_int_array(weight_bits, "weight_bits", 1, _MAX_BITS))


def adc_drop(adc_bits: Any, *, cell_bits: Any, crossbar_size: Any,
             adc_table: AdcTable | None = None) -> np.ndarray:
    """Drop (pp) from ADC resolution alone (assumption 2) on columns of ``crossbar_size`` rows."""
    return _adc_drop(_as_int_array(adc_bits, "adc_bits", 1, _MAX_BITS),
                     _as_int_array(cell_bits, "cell_bits", 1, _MAX_CELL_BITS),
                     _as_int_array(crossbar_size, "crossbar_size", 1, _MAX_ROWS), table=adc_table)


def _check_categorical(value: Any, name: str, allowed: tuple) -> None:
    a = np.asarray(value, dtype=object)
    bad = sorted({str(v) for v in a.ravel() if v not in allowed})
    if bad:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {bad}")


def accuracy_drop(input_bits: Any, adc_bits: Any, *, weight_bits: Any, cell_bits: Any,
                  crossbar_size: Any, column_sharing: Any = None, adc_type: Any = None,
                  macs_fraction: Any = None, constants: PrecisionConstants | None = None,
                  adc_table: AdcTable | None = None) -> np.ndarray:
    """CIFAR-10 top-1 accuracy lost to input and ADC precision, in percentage points (>= 0).

    All arguments broadcast against each other (numpy rules). Bits are whole numbers: b bits
    mean 2**b levels. ``crossbar_size`` is the number of rows a column sums (a layer's own rows
    where known). ``constants`` and ``adc_table`` replace the curve and the ADC calibration.

    Without ``macs_fraction`` the result has the broadcast shape, one drop per element. With it,
    the last axis is the precision-group axis: ``macs_fraction`` (shape ``(n_groups,)`` or
    broadcastable to ``(..., n_groups)``) is each group's fraction of the network's MACs, each in
    [0, 1] and summing to at most 1 over the groups, and the result is the MAC-weighted sum over
    that axis. For example ``input_bits`` of shape ``(n, 3)`` with a global ``adc_bits`` of shape
    ``(n, 1)`` and ``macs_fraction`` of shape ``(3,)`` gives shape ``(n,)``.

    ``column_sharing`` (columns per ADC, >= 1) and ``adc_type`` (``"sar"`` or ``"flash"``) are
    validated but do not change the drop (see the module docstring). Arguments out of range raise
    :class:`ValueError` naming the argument. Inputs are never modified.
    """
    ib = _as_int_array(input_bits, "input_bits", 1, _MAX_BITS)
    ab = _as_int_array(adc_bits, "adc_bits", 1, _MAX_BITS)
    wb = _as_int_array(weight_bits, "weight_bits", 1, _MAX_BITS)
    cb = _as_int_array(cell_bits, "cell_bits", 1, _MAX_CELL_BITS)
    rows = _as_int_array(crossbar_size, "crossbar_size", 1, _MAX_ROWS)
    if column_sharing is not None:
        _as_int_array(column_sharing, "column_sharing", 1, _MAX_ROWS)
    if adc_type is not None:
        _check_categorical(adc_type, "adc_type", ADC_TYPES)
    named = {"input_bits": ib, "adc_bits": ab, "weight_bits": wb, "cell_bits": cb,
             "crossbar_size": rows}
    try:
        np.broadcast_shapes(*(a.shape for a in named.values()))
    except ValueError as exc:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in named.items())
        raise ValueError(f"arguments do not broadcast together: {shapes}") from exc
    if np.any(cb > wb):  # broadcasts, checked above
        raise ValueError("cell_bits must not exceed weight_bits (a weight fills at least one cell)")
    c = constants or PRECISION_CONSTANTS
    drop = np.minimum(_input_drop(ib, wb, c) + _adc_drop(ab, cb, rows, c, adc_table), c.max_drop_pp)
    if macs_fraction is None:
        return np.asarray(drop)
    w = np.asarray(macs_fraction, dtype=float)
    if w.ndim == 0:
        raise ValueError("macs_fraction must have a group axis (shape (n_groups,) or (..., n_groups))")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w > 1):
        raise ValueError(f"macs_fraction entries must be finite and in [0, 1], got {macs_fraction!r}")
    if np.any(w.sum(axis=-1) > 1.0 + 1e-9):
        raise ValueError("macs_fraction must sum to at most 1 over the groups (fractions of the "
                         f"network's MACs), got sums up to {w.sum(axis=-1).max():g}")
    try:
        drop_b, w_b = np.broadcast_arrays(drop, w)
    except ValueError as exc:
        raise ValueError(f"macs_fraction {w.shape} does not broadcast against the per-group drops "
                         f"{drop.shape}; its last axis is the group axis") from exc
    return np.asarray(np.sum(drop_b * w_b, axis=-1))


def describe_model() -> str:
    """The model in words and every constant with unit and source, for docs and run reports."""
    c = PRECISION_CONSTANTS
    lines = [
        "Precision degradation model (drop in CIFAR-10 top-1 accuracy, percentage points)",
        "",
        "  curve(k)    = PACT error at k bits - PACT error at "
        f"{c.lossless_bits:g} bits, linear in k; 0 for k >= {c.lossless_bits:g};",
        f"                below {min(c.activation_bits.value)} bits continues at "
        f"{c.extrapolation_slope_pp_per_bit:.2f} pp/bit; capped at {c.max_drop_pp:g} pp",
        "  input drop  = curve(min(input_bits, weight_bits))",
        "  R           = rows * (2**cell_bits - 1)    (rows a column sums; bit-serial inputs)",
        "  k_eq        = equivalent activation bits of the ADC (AdcTable); exact when b ADC bits,",
        "                2**b levels, resolve all R + 1 values (b >= log2(R + 1))",
        "  ADC drop    = curve(k_eq)",
        "  drop        = input drop + ADC drop   (per group or layer; weighted by MAC fraction)",
        "",
        "Assumed forms: an ADC costs what activations of equal output SQNR cost; drops add;",
        "linear extrapolation below the sourced range; PACT's joint W/A curve charged to the "
        "coarser of input and weight bits;",
        "networks are trained with the quantisers in the loop. column_sharing and adc_type do "
        "not change accuracy.",
        f"ADC table: {adc_table().source}",
        "",
        "Constants:",
    ]
    for name, value, unit, source in c.rows():
        lines.append(f"  {name} = {value} [{unit}]")
        lines.append(f"      source: {source}")
    return "\n".join(lines)

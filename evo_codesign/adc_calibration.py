"""The ADC calibration table of the precision model (:mod:`evo_codesign.precision`): how many bits
of activation precision a b-bit ADC is worth on columns that sum ``rows`` rows of ``cell_bits``-bit
cells, derived by a functional simulation of bit-plane partial-sum quantisation
(``benchmarks/precision_calibration.py``, which writes ``evo_codesign/data/adc_calibration.json``).

A table is data users can replace: :func:`adc_table` reads any JSON file of the same layout, and
:func:`legacy_adc_table` is the rule the model used before the calibration (each ADC bit short of
exact counts like one activation bit below PACT's lossless 5 bits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["AdcTable", "adc_table", "legacy_adc_table", "column_levels_bits"]

#: PACT's lossless point (bits); the former rule counts ADC bits short of exact down from it.
_LEGACY_LOSSLESS_BITS = 5.0
_DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "adc_calibration.json"


def column_levels_bits(rows: np.ndarray, cell_bits: np.ndarray) -> np.ndarray:
    """log2(R + 1), R = rows (2^cell_bits - 1): the bits that resolve every value of a column read
    with one input bit per read (bit-serial inputs)."""
    return np.log2(np.asarray(rows, dtype=float) * (2.0 ** np.asarray(cell_bits, dtype=float) - 1.0) + 1.0)


@dataclass(frozen=True, eq=False)
class AdcTable:
    """Equivalent activation bits of a b-bit ADC (``equivalent_bits[rows, cell_bits, adc_bits]`` on
    the grids ``rows``, ``cell_bits``, ``adc_bits``; ``reference_bits`` where the ADC is exact).
    Interpolated linearly in log2(rows) and in ADC bits; fewer rows than the grid take its first row
    (conservative), more rows shift the ADC bits down by log2(rows / last row), a cell width off the
    grid takes the nearest grid width at the same column range. ``equivalent_bits=None``: the former
    rule, ``5 - (log2(R + 1) - adc_bits)``."""

    rows: tuple = ()
    cell_bits: tuple = ()
    adc_bits: tuple = ()
    equivalent_bits: Any = None
    reference_bits: float = 8.0
    source: str = ("assumption (the rule before the calibration): one ADC bit short of log2(R + 1) counts "
                   "like one activation bit below PACT's lossless 5 bits")

    def equivalent(self, adc_bits: Any, cell_bits: Any, rows: Any) -> np.ndarray:
        """k_eq of each (ADC bits, cell bits, rows), broadcast together (whole numbers >= 1)."""
        ab, cb, rows = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (adc_bits, cell_bits, rows)))
        need = column_levels_bits(rows, cb)
        if self.equivalent_bits is None:
            return _LEGACY_LOSSLESS_BITS - np.maximum(need - ab, 0.0)
        T, grid_cb, log_cb, lr = self._grids
        c = np.abs(log_cb[None, :] - np.log2(cb.reshape(-1, 1))).argmin(axis=1).reshape(cb.shape)
        r_eff = rows * (2.0 ** cb - 1.0) / (2.0 ** grid_cb[c] - 1.0)  # the same column range R
        x = np.maximum(np.log2(r_eff), lr[0])
        b = ab - np.maximum(x - lr[-1], 0.0)  # beyond the grid: as many bits fewer
        i = np.clip(np.searchsorted(lr, np.minimum(x, lr[-1]), side="right") - 1, 0, len(lr) - 2)
        t = np.clip((x - lr[i]) / (lr[i + 1] - lr[i]), 0.0, 1.0)
        p = b - self.adc_bits[0]
        j = np.clip(np.floor(p), 0, len(self.adc_bits) - 2).astype(int)
        f = np.minimum(p - j, 1.0)  # below the grid: the first segment's slope

        def along_bits(ri: np.ndarray) -> np.ndarray:
            lo, hi = T[ri, c, j], T[ri, c, j + 1]
            return lo + f * (hi - lo)
        k = (1.0 - t) * along_bits(i) + t * along_bits(i + 1)
        return np.where(ab >= need, self.reference_bits, np.minimum(k, self.reference_bits))

    @cached_property
    def _grids(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(table, cell-bit grid, its log2, log2 of the row grid) as floats: worked out once."""
        grid_cb = np.asarray(self.cell_bits, dtype=float)
        return (np.asarray(self.equivalent_bits, dtype=float), grid_cb, np.log2(grid_cb),
                np.log2(np.asarray(self.rows, dtype=float)))


@lru_cache(maxsize=8)
def _read(path: str) -> AdcTable:
    try:
        d = json.loads(Path(path).read_text())
        T = np.asarray(d["equivalent_bits"], dtype=float)
        table = AdcTable(tuple(int(v) for v in d["rows"]), tuple(int(v) for v in d["cell_bits"]),
                         tuple(int(v) for v in d["adc_bits"]), T, float(d.get("reference_bits", 8)),
                         str(d.get("source", path)))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"ADC calibration table {path}: {e}") from None
    want = (len(table.rows), len(table.cell_bits), len(table.adc_bits))
    if T.shape != want or min(want) < 2 or not np.all(np.isfinite(T)):
        raise ValueError(f"ADC calibration table {path}: equivalent_bits has shape {T.shape}, want "
                         f"(rows, cell_bits, adc_bits) = {want}, finite")
    if np.any(np.diff(table.adc_bits) != 1) or np.any(np.diff(table.rows) <= 0) or min(table.rows) < 1:
        raise ValueError(f"ADC calibration table {path}: adc_bits must be consecutive and rows increasing")
    if np.any(np.diff(T, axis=2) < 0) or np.any(np.diff(T, axis=0) > 0):
        raise ValueError(f"ADC calibration table {path}: equivalent bits must not fall with ADC bits "
                         "or rise with rows")
    return table


def adc_table(path: str | Path | None = None) -> AdcTable:
    """The package's table (``evo_codesign/data/adc_calibration.json``) or one of the same layout:
    ``rows``, ``cell_bits``, ``adc_bits`` (consecutive), ``equivalent_bits`` nested in that order
    (non-decreasing in ADC bits, non-increasing in rows), ``reference_bits``, ``source``. A bad
    file raises :class:`ValueError` naming it."""
    return _read(str(_DEFAULT_TABLE if path is None else Path(path).resolve()))


def legacy_adc_table() -> AdcTable:
    """The rule before the calibration: ``k_eq = 5 - (log2(R + 1) - adc_bits)``."""
    return AdcTable()

"""Where the ADC part of the precision model comes from: a functional simulation of partial-sum
quantisation on crossbars (numpy only).

    python benchmarks/precision_calibration.py [--vectors 1024] [--seed 0] [--modes] [--write PATH]

A crossbar column sums ``rows`` products of one input bit (inputs enter bit-serially) and one
``cell_bits``-bit weight slice, so a read takes values 0 .. R = rows (2^cell_bits - 1); a b-bit ADC
resolves 2^b levels. For conv-layer-like data (weights Laplacian per output channel, quantised to
8-bit signed and stored offset-binary, the offset removed digitally, as NeuroSim's wrapper does;
inputs post-ReLU rectified Gaussians clipped at their 99.9th percentile, PACT-style, quantised to 8
bits) the script computes every bit-plane partial sum, quantises it with a b-bit ADC, recombines by
shift-and-add and measures the output SQNR against the unquantised (clipped) dot product. The SQNR
of k-bit activations (exact sums) on the same data turns each ADC into **equivalent activation
bits** ``k_eq``, which :mod:`evo_codesign.precision` charges through PACT's accuracy-vs-bits curve.

The ADC the model ships is ``calibrated``: unit-or-power-of-two steps with the full scale chosen per
layer for the least error (round to nearest, saturating), an ADC designed for the sums a layer
actually produces. ``--modes`` also prints three other transfer functions for sensitivity: ``full``
(2^b levels spread over 0..R), ``neurosim`` (NeuroSim's inference wrapper, ``LinearQuantizeOut``:
the observed range in 2^b steps, floor) and ``clip`` (unit steps saturating at 2^b - 1).
``--write`` stores the table (rows x cell bits x ADC bits -> k_eq) as
``evo_codesign/data/adc_calibration.json`` reads it; the table in the package was written with the
defaults. The last columns compare with the rule the model used before (``k_eq = 5 - deficit``: one
ADC bit short counted like one activation bit below PACT's lossless 5 bits).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROWS = (9, 16, 32, 64, 128, 256)
CELL_BITS = (1, 2, 4)
ADC_BITS = tuple(range(1, 13))
WEIGHT_BITS = 8
INPUT_BITS = 8
OUT_CHANNELS = 32
MODES = ("calibrated", "full", "neurosim", "clip")


def _data(rng: np.random.Generator, rows: int, vectors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clipped inputs in 8-bit units, 8-bit input codes, 8-bit signed weights) of one layer-like matrix."""
    w = rng.laplace(size=(rows, OUT_CHANNELS))
    wq = np.round(w / np.abs(w).max(axis=0) * (2 ** (WEIGHT_BITS - 1) - 1)).astype(np.int64)
    x = np.maximum(rng.standard_normal((vectors, rows)), 0.0)
    alpha = np.quantile(x[x > 0], 0.999)
    xc = np.minimum(x, alpha) / alpha * (2 ** INPUT_BITS - 1)
    return xc, np.round(xc).astype(np.int64), wq


def _adc(s: np.ndarray, full_range: float, bits: int, mode: str) -> np.ndarray:
    """One bit-plane read of every column and vector through a b-bit ADC (see the module docstring)."""
    levels = 2 ** bits
    if levels >= full_range + 1:
        return s.astype(np.float64)  # every value has its own level
    if mode == "clip":
        return np.minimum(s, levels - 1).astype(np.float64)
    if mode == "full":
        step = full_range / (levels - 1)
        return np.clip(np.round(s / step), 0, levels - 1) * step
    if mode == "calibrated":
        best, best_err = s.astype(np.float64), np.inf
        for shift in range(int(np.ceil(np.log2(full_range + 1))) - bits + 1):
            q = np.minimum(np.round(s / 2.0 ** shift), levels - 1) * 2.0 ** shift
            err = float(np.mean((q - s) ** 2))
            if err < best_err:
                best, best_err = q, err
        return best
    lo, delta = float(s.min()), float(s.max() - s.min())
    if delta <= 0:
        return s.astype(np.float64)
    step = delta / levels
    return lo + np.clip(np.floor((s - lo) / step), 0, levels - 1) * step


def crossbar_dot(xq: np.ndarray, wq: np.ndarray, cell_bits: int, adc_bits: int, mode: str = "calibrated"
                 ) -> np.ndarray:
    """``xq @ wq`` as a crossbar computes it: bit-serial inputs, offset-binary weights sliced into
    ``cell_bits`` cells, every column read through an ``adc_bits`` ADC, shift-and-add."""
    rows = xq.shape[1]
    offset = 2 ** (WEIGHT_BITS - 1)
    u = wq + offset
    full = rows * (2 ** cell_bits - 1)
    y = np.zeros((xq.shape[0], wq.shape[1]))
    for i in range(INPUT_BITS):
        xi = (xq >> i) & 1
        for j in range(-(-WEIGHT_BITS // cell_bits)):
            sj = (u >> (cell_bits * j)) & (2 ** cell_bits - 1)
            y += 2.0 ** (i + cell_bits * j) * _adc(xi @ sj, full, adc_bits, mode)
    return y - offset * xq.sum(axis=1, keepdims=True)


def sqnr_db(ref: np.ndarray, y: np.ndarray) -> float:
    err = np.mean((y - ref) ** 2)
    return float("inf") if err == 0 else float(10 * np.log10(np.var(ref) / err))


def activation_sqnr(xc: np.ndarray, wq: np.ndarray) -> np.ndarray:
    """SQNR (dB) of the dot product with k-bit activations, k = 1..8, against the unquantised one."""
    top = 2 ** INPUT_BITS - 1
    return np.array([sqnr_db(xc @ wq, np.round(xc / top * (2 ** k - 1)) * top / (2 ** k - 1) @ wq)
                     for k in range(1, INPUT_BITS + 1)])


def equivalent_bits(sqnr: float, act_sqnr: np.ndarray) -> float:
    """k with SQNR_act(k) = sqnr, linear in k between the integer points (extrapolated below 1 bit)."""
    k = np.arange(1, len(act_sqnr) + 1, dtype=float)
    if sqnr >= act_sqnr[-1]:
        return float(k[-1])
    if sqnr <= act_sqnr[0]:
        return float(1.0 - (act_sqnr[0] - sqnr) / (act_sqnr[1] - act_sqnr[0]))
    return float(np.interp(sqnr, act_sqnr, k))


def simulate(vectors: int = 1024, seed: int = 0, mode: str = "calibrated", rows_list: tuple = ROWS,
             cell_bits_list: tuple = CELL_BITS) -> np.ndarray:
    """(rows, cell bits, ADC bits of :data:`ADC_BITS`) equivalent activation bits; 8 where the ADC is exact."""
    rng = np.random.default_rng(seed)
    out = np.full((len(rows_list), len(cell_bits_list), len(ADC_BITS)), float(INPUT_BITS))
    for r, rows in enumerate(rows_list):
        xc, xq, wq = _data(rng, rows, vectors)
        act, ref = activation_sqnr(xc, wq), xc @ wq
        for c, cb in enumerate(cell_bits_list):
            for b, bits in enumerate(ADC_BITS):
                if 2 ** bits < rows * (2 ** cb - 1) + 1:
                    out[r, c, b] = equivalent_bits(sqnr_db(ref, crossbar_dot(xq, wq, cb, bits, mode)), act)
    return out


def monotone(table: np.ndarray) -> np.ndarray:
    """The table made non-decreasing in ADC bits and non-increasing in rows (what the physics
    guarantees; the simulation's noise can break it by a few hundredths of a bit)."""
    t = np.maximum.accumulate(table, axis=2)
    return np.minimum.accumulate(t, axis=0)


def main(argv: list[str] | None = None) -> int:
    from evo_codesign.precision import PRECISION_CONSTANTS, adc_table, curve_drop

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1024, help="input vectors per layer (default 1024)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--modes", action="store_true", help="also simulate the other ADC transfer functions")
    ap.add_argument("--write", metavar="PATH", help="store the calibrated table as JSON (the package's format)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table = monotone(simulate(args.vectors, args.seed))
    shipped = adc_table()
    lossless = PRECISION_CONSTANTS.lossless_bits
    print("equivalent activation bits of a b-bit ADC (calibrated full scale), and the accuracy drop it is charged")
    print(f"{'rows':>5} {'cell':>4} {'ADC':>4} {'deficit':>8} {'k_eq':>6} {'shipped':>8} {'drop pp':>8} "
          f"{'old rule pp':>12}")
    for r, rows in enumerate(ROWS):
        for c, cb in enumerate(CELL_BITS):
            need = np.log2(rows * (2 ** cb - 1) + 1)
            for b, bits in enumerate(ADC_BITS):
                if bits > np.ceil(need) or need - bits > 5:
                    continue
                k = table[r, c, b]
                ship = float(shipped.equivalent(bits, cb, rows))
                old = float(curve_drop(lossless - need + bits))
                print(f"{rows:>5} {cb:>4} {bits:>4} {need - bits:>8.2f} {k:>6.2f} {ship:>8.2f} "
                      f"{float(curve_drop(ship)):>8.2f} {old:>12.2f}")
    if args.modes:
        for mode in MODES[1:]:
            t = simulate(args.vectors, args.seed, mode)
            print(f"{mode}: k_eq at 128 rows, 1-bit cells, ADC bits 4..8: "
                  + ", ".join(f"{t[ROWS.index(128), 0, ADC_BITS.index(b)]:.2f}" for b in range(4, 9)))
    if args.write:
        doc = {"rows": list(ROWS), "cell_bits": list(CELL_BITS), "adc_bits": list(ADC_BITS),
               "reference_bits": INPUT_BITS, "equivalent_bits": np.round(table, 3).tolist(),
               "source": f"benchmarks/precision_calibration.py --vectors {args.vectors} --seed {args.seed}: "
                         "calibrated-full-scale ADC on conv-layer-like data (Laplacian 8-bit weights, post-ReLU "
                         "8-bit inputs), SQNR-equivalent activation bits, made monotone"}
        Path(args.write).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"table written to {args.write}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

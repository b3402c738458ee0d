"""Where the energy goes when activations stay on chip, and when they do not.

    python benchmarks/memory_traffic.py [--genotype DARTS_V2] [--cells 200]

For a published cell (DARTS_V2 by default; NB301 protocol) on a 16x16 NVDLA-like array, three
chips: the PE array alone, the hybrid chip (crossbars for dense and pointwise layers, the PE array
for depthwise layers and pools) and crossbars alone, at L2 sizes from 32 KiB to 2 MiB. Each row
gives DRAM traffic against the compulsory traffic (weights + network input + output), latency and
energy with its per-level breakdown, with activations kept in the global buffer where the live
tensors fit (the model) and with every layer's activations through DRAM (what the model did
before; ``resident`` off), so the artefact it removes is visible. Then, over ``--cells`` random
cells at the design whose buffer holds the live activations, the largest ratio of DRAM traffic
to weights + input + output.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.io.genotypes import load_genotypes
from evo_codesign.space.joint import make_space
from evo_codesign.workload import cell_workload
from evo_codesign.workload.layers import MAC_OPS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GENOTYPES = SHARED / "darts-published-genotypes" / "darts_published_genotypes.json"
PE = {"dataflow": "nvdla", "array_rows": 16, "array_cols": 16, "l1_bytes": 512, "noc_bytes_per_cycle": 64,
      "offchip_bytes_per_cycle": 32, "order_K": 3, "order_C": 2, "order_Y": 1, "order_X": 0,
      "tile_K": 16, "tile_C": 16, "tile_Y": 8, "tile_X": 8}
IMC = {"crossbar_size": 128, "cell_bits": 1, "weight_bits": 8, "adc_type": "flash", "adc_bits": 6,
       "column_sharing": 8, "input_bits": 8}


def _genome(space, cell: np.ndarray, l2_kib: int) -> np.ndarray:
    parts = {"cell": space["cell"].decode(cell)}
    if "accelerator" in space:
        parts["accelerator"] = {**PE, "l2_kib": l2_kib}
    if "imc" in space:
        parts["imc"] = dict(IMC)
    return space.encode(parts)


def _evaluate(hardware: str, cells: np.ndarray, l2_kib: int, resident: bool) -> dict:
    space = make_space("cell", hardware)
    ev = CodesignEvaluator(space, ("latency", "energy"), hardware=hardware, buffer_capacity=False)
    X = np.stack([_genome(space, c, l2_kib) for c in cells])
    wl = ev.workload(X)
    if not resident:  # every unit "too big": each layer's activations through DRAM
        wl.live_elements = np.full_like(wl.live_elements, np.inf)
    c = ev.hardware_costs(X, wl)
    return {"latency_ms": c.latency_ns * 1e-6, "energy_uj": c.energy_pj * 1e-6,
            "dram_mb": (c.dram_bytes if c.dram_bytes is not None else np.zeros(len(X))) * 1e-6,
            "breakdown": {k: v * 1e-6 for k, v in (c.energy_breakdown_pj or {}).items()}}


def compulsory_mb(cells: np.ndarray) -> np.ndarray:
    """Weights (int8) + the network input and output, MB, per cell."""
    W = cell_workload("nb301")
    L = W.shapes
    w = np.where(np.isin(L["op"], MAC_OPS), L["K"].astype(float) * (L["C"] // L["groups"]) * L["R"] * L["S"], 0.0)
    return (W.counts(cells) @ w + 3 * 32 * 32 + 10) * 1e-6


def table(cell: np.ndarray) -> None:
    need = compulsory_mb(cell[None, :])[0]
    print(f"compulsory DRAM traffic (weights + input + output): {need:.3f} MB")
    print(f"{'chip':8s} {'L2 KiB':>6s} {'activations':>13s} {'DRAM MB':>8s} {'x need':>7s} {'latency ms':>10s} "
          f"{'energy uJ':>9s}  breakdown uJ (PE array: mac / l1 / l2 / dram)")
    for hardware in ("dataflow", "hybrid", "imc"):
        for l2 in ((32, 128, 256, 512, 2048) if hardware != "imc" else (256,)):
            for resident in (True, False):
                if hardware == "imc" and not resident:
                    continue
                r = _evaluate(hardware, cell[None, :], l2, resident)
                b = r["breakdown"]
                parts = " / ".join(f"{b[k][0]:.1f}" for k in ("mac", "l1", "l2", "dram")) if b else "-"
                print(f"{hardware:8s} {l2:6d} {'on chip' if resident else 'through DRAM':>13s} "
                      f"{r['dram_mb'][0]:8.3f} {r['dram_mb'][0] / need:7.2f} {r['latency_ms'][0]:10.4f} "
                      f"{r['energy_uj'][0]:9.1f}  {parts}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genotype", default="DARTS_V2")
    ap.add_argument("--cells", type=int, default=200, help="random cells for the worst-case ratio (default 200)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    space = make_space("cell", None)
    if GENOTYPES.exists():
        cell = dict(load_genotypes(GENOTYPES))[args.genotype]
        print(f"== {args.genotype} (NB301 protocol) on a 16x16 nvdla array, 128x128 crossbars ==")
    else:
        cell = space.sample(np.random.default_rng(0))
        print(f"== a random cell ({GENOTYPES} absent) ==")
    table(cell)
    cells = space.sample(np.random.default_rng(1), args.cells)
    need = compulsory_mb(cells)
    for l2 in (512, 2048):
        r = _evaluate("dataflow", cells, l2, True)
        ratio = r["dram_mb"] / need
        print(f"{args.cells} random cells, dataflow, L2 {l2} KiB: DRAM / (weights + input + output) "
              f"max {ratio.max():.3f}, median {np.median(ratio):.3f}")
    for l2 in (32, 128, 256):
        r = _evaluate("dataflow", cells, l2, True)
        print(f"  ... L2 {l2} KiB (live activations do not all fit): median {np.median(r['dram_mb'] / need):.2f}x")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()

"""Eyeriss (Chen, Krishna, Emer, Sze, JSSC 2017) on AlexNet CONV1-CONV5: our dataflow model next to the chip.

The chip: 12 x 14 = 168 PEs, 108 KB global buffer, per-PE scratchpads of 224 filter, 12 ifmap and 24
psum words (16-bit fixed point), 200 MHz core clock, row-stationary dataflow. We cost the five
layers with :func:`evo_codesign.cost.dataflow.dataflow_cost` on an ``eyeriss_rs`` design of that
shape, choosing each layer's tiles and loop order as the best of a small sweep (Eyeriss reconfigures
its mapping per layer; ``--objective`` picks what "best" means), and print per layer and in total
our latency, frame rate, on-chip energy (MAC + L1 + L2) and DRAM energy and traffic next to the
paper's Table V, with the ratios ours / paper and the verdict against the target "within 1.5x of the
paper's frame rate and on-chip energy per frame". README.md beside this file gives the sources and
what differs between the model and the chip.

Usage: python benchmarks/eyeriss/alexnet.py [--objective energy|latency|edp] [--set NAME=VALUE ...]
Importable: :func:`eyeriss_alexnet` returns the table as a pandas DataFrame.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from evo_codesign.cost.dataflow import dataflow_cost, design_array
from evo_codesign.workload.layers import OP_CONV, LayerBuilder, Network, output_size

__all__ = ["PAPER", "EYERISS", "CLOCK_MHZ", "BATCH", "TARGET_RATIO", "alexnet_conv", "eyeriss_alexnet",
           "verdict", "main"]

CLOCK_MHZ = 200.0  # the core clock of the AlexNet measurements
BATCH = 4          # the paper's batch size N for AlexNet; its latencies and traffic are per batch
TARGET_RATIO = 1.5

#: Table V of the JSSC paper ("performance breakdown of the five CONV layers of AlexNet", batch 4),
#: as OCR'd and hand-cleaned in cucapra/fodlam (data/eyeriss-alexnet.csv, raw/eyeriss-tableV.txt).
#: Per layer: power (mW), total and processing latency (ms, whole batch), MACs (G, whole batch),
#: active PEs, global-buffer and DRAM accesses (MB, whole batch). Checks: the MACs are AlexNet's x 4,
#: the total latencies sum to 115.3 ms, the latency-weighted powers to 278 mW and the DRAM traffic to
#: 15.4 MB; the processing latencies sum to 103.0 ms against the table's 103.5 (an OCR or rounding slip).
PAPER = pd.DataFrame.from_records([
    ("CONV1", 332.0, 20.9, 16.5, 0.42, 154, 18.5, 5.0),
    ("CONV2", 288.0, 41.9, 39.2, 0.90, 135, 77.6, 4.0),
    ("CONV3", 266.0, 23.6, 21.3, 0.60, 156, 50.2, 3.0),
    ("CONV4", 235.0, 18.4, 16.0, 0.45, 156, 37.4, 2.1),
    ("CONV5", 236.0, 10.5, 10.0, 0.30, 156, 24.9, 1.3),
], columns=["layer", "power_mw", "total_latency_ms", "processing_latency_ms", "macs_g", "active_pes",
            "glb_mb", "dram_mb"]).set_index("layer")
PAPER_TOTAL = {"power_mw": 278.0, "total_latency_ms": 115.3, "processing_latency_ms": 103.5, "macs_g": 2.66,
               "active_pes": 143, "glb_mb": 208.5, "dram_mb": 15.4}

#: The chip as a design (everything but the mapping genes). Sources and reasoning: README.md.
EYERISS = {
    "dataflow": "eyeriss_rs",
    "array_rows": 12, "array_cols": 14,
    "l1_bytes": (224 + 12 + 24) * 2,   # filter + ifmap + psum scratchpads, 16-bit words: 520 B per PE
    "l2_kib": 108,                     # global buffer (108 KB; the kernel takes KiB)
    "noc_bytes_per_cycle": 16,         # GLB -> PEs: 64-bit ifmap + 64-bit filter words per cycle
    "offchip_bytes_per_cycle": 2.4,    # 64-bit link at 60 MHz = 2.4 B per 200 MHz core cycle
}
DATA_BYTES = 2.0  # 16-bit fixed point

#: Mapping sweep: tile values (clamped to each layer by the kernel; duplicates removed per layer)
#: and all 24 loop orders of the four tiled loops.
TILE_GRID = {
    "tile_K": (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384),
    "tile_C": (1, 2, 3, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256),
    "tile_Y": (1, 2, 4, 7, 8, 13, 14, 16, 27, 28, 55),
    "tile_X": (1, 2, 4, 8, 13, 16, 27, 55),
}
SMALL_GRID = {"tile_K": (4, 16, 64), "tile_C": (1, 4, 16), "tile_Y": (7, 14), "tile_X": (4, 13)}
OBJECTIVES = ("energy", "latency", "edp")


def alexnet_conv() -> Network:
    """AlexNet's five CONV layers as Eyeriss runs them (JSSC 2017 Table III): a 227 x 227 input with
    no padding for CONV1 (55 x 55 output), CONV2 5 x 5 pad 2 on 27 x 27, CONV3-5 3 x 3 pad 1 on
    13 x 13; CONV2, CONV4 and CONV5 in two groups as in the original two-GPU network."""
    b = LayerBuilder()
    b.add("CONV1", OP_CONV, 96, 3, 11, 11, 227, 227, stride=4, relu=False, bias=True)
    b.add("CONV2", OP_CONV, 256, 96, 5, 5, 27, 27, pad=2, groups=2, relu=True, bias=True)
    b.add("CONV3", OP_CONV, 384, 256, 3, 3, 13, 13, pad=1, relu=True, bias=True)
    b.add("CONV4", OP_CONV, 384, 384, 3, 3, 13, 13, pad=1, groups=2, relu=True, bias=True)
    b.add("CONV5", OP_CONV, 256, 384, 3, 3, 13, 13, pad=1, groups=2, relu=True, bias=True)
    return b.build("alexnet_conv", source="Krizhevsky et al., NIPS 2012; shapes as Eyeriss JSSC 2017 Table III")


def _mappings(grid: Mapping[str, Sequence[int]], K: int, C: int, Q: int, P: int) -> list[dict]:
    """Distinct (tiles, order) mappings for one layer: tiles clamped to its extents, every order."""
    ext = {"tile_K": K, "tile_C": C, "tile_Y": Q, "tile_X": P}
    vals = {k: sorted({min(v, ext[k]) for v in grid[k]}) for k in ext}
    out = []
    for tK, tC, tY, tX in itertools.product(*(vals[k] for k in ("tile_K", "tile_C", "tile_Y", "tile_X"))):
        for perm in itertools.permutations(range(4)):
            out.append({"tile_K": tK, "tile_C": tC, "tile_Y": tY, "tile_X": tX,
                        "order_K": perm[0], "order_C": perm[1], "order_Y": perm[2], "order_X": perm[3]})
    return out


def _loop_order(m: Mapping[str, int]) -> str:
    dims = ("K", "C", "Y", "X")  # outermost = highest importance, ties in K, C, Y, X order
    return "".join(sorted(dims, key=lambda d: (-m[f"order_{d}"], dims.index(d))))


def _score(res, objective: str) -> np.ndarray:
    lat = res.layer("latency_cycles")[:, 0]
    e = res.layer("energy_pj")[:, 0]
    s = {"energy": e + 1e-9 * lat, "latency": lat + 1e-9 * e, "edp": e * lat}[objective]
    return np.where(res.layer("buffer_violation")[:, 0] > 0, np.inf, s)


def eyeriss_alexnet(constants: Mapping[str, float] | None = None, *, objective: str = "energy",
                    grid: Mapping[str, Sequence[int]] | None = None, design: Mapping | None = None) -> pd.DataFrame:
    """Our model of Eyeriss on AlexNet CONV1-5 next to the paper's Table V, one frame per row.

    ``constants``: dataflow-constant overrides on top of ``{"data_bytes": 2.0}`` (16-bit);
    ``objective``: how each layer's mapping is picked among the feasible ones of ``grid``
    (``energy``: total energy incl. DRAM, as Eyeriss optimises; ``latency``; ``edp``);
    ``design``: overrides of :data:`EYERISS` (e.g. bandwidths).

    Rows: CONV1..CONV5 and ``total``. Units: latency ms, energy mJ, traffic MB, all per frame (the
    paper's batch-4 figures divided by 4). ``*_ratio`` columns are ours / paper. Paper on-chip
    energy = measured chip power x total latency.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    consts = {"data_bytes": DATA_BYTES, **(constants or {})}
    base = {**EYERISS, **(design or {})}
    net = alexnet_conv()
    rows = []
    for i, name in enumerate(net.names):
        L = net.layers[i:i + 1].copy()
        K, C, g = int(L["K"][0]), int(L["C"][0]), int(L["groups"][0])
        Q = int(output_size(int(L["Y"][0]), int(L["R"][0]), int(L["stride"][0]), int(L["pad"][0]), int(L["dilation"][0])))
        P = int(output_size(int(L["X"][0]), int(L["S"][0]), int(L["stride"][0]), int(L["pad"][0]), int(L["dilation"][0])))
        maps = _mappings(grid or TILE_GRID, K, C // g, Q, P)
        res = dataflow_cost(design_array([{**base, **m} for m in maps]), L, constants=consts, clock_mhz=CLOCK_MHZ)
        score = _score(res, objective)
        j = int(np.argmin(score))
        if not np.isfinite(score[j]):
            raise RuntimeError(f"{name}: no mapping of the sweep fits the buffers")
        f = {k: float(res.layer(k)[j, 0]) for k in ("latency_cycles", "compute_cycles", "macs", "utilization",
                                                      "e_op_pj", "e_l1_pj", "e_l2_pj", "e_dram_pj", "dram_bytes",
                                                      "l2_accesses", "noc_in_bytes", "noc_out_bytes")}
        m = maps[j]
        # which term of the kernel's max(compute, NoC in, NoC out, off-chip) sets the latency
        terms = {"compute": f["compute_cycles"], "noc_in": f["noc_in_bytes"] / base["noc_bytes_per_cycle"],
                 "noc_out": f["noc_out_bytes"] / base["noc_bytes_per_cycle"],
                 "dram": f["dram_bytes"] / base["offchip_bytes_per_cycle"]}
        rows.append({
            "layer": name, "macs": int(round(f["macs"])), "macs_M": f["macs"] / 1e6,
            "mapping": f"K{m['tile_K']} C{m['tile_C']} Y{m['tile_Y']} X{m['tile_X']} {_loop_order(m)}",
            "util": f["utilization"],
            "compute_ms": f["compute_cycles"] / (CLOCK_MHZ * 1e3),
            "latency_ms": f["latency_cycles"] / (CLOCK_MHZ * 1e3),
            "e_mac_mJ": f["e_op_pj"] * 1e-9, "e_l1_mJ": f["e_l1_pj"] * 1e-9, "e_l2_mJ": f["e_l2_pj"] * 1e-9,
            "e_dram_mJ": f["e_dram_pj"] * 1e-9, "dram_MB": f["dram_bytes"] / 1e6,
            "glb_MB": f["l2_accesses"] * consts["data_bytes"] / 1e6,
            "bound": max(terms, key=terms.get),
        })
    df = pd.DataFrame(rows).set_index("layer")
    df["e_onchip_mJ"] = df["e_mac_mJ"] + df["e_l1_mJ"] + df["e_l2_mJ"]
    tot = df.drop(columns=["mapping", "bound"]).sum()
    tot["util"] = float((df["util"] * df["compute_ms"]).sum() / df["compute_ms"].sum())
    df.loc["total"] = {**tot.to_dict(), "mapping": "", "bound": ""}

    paper = PAPER.copy()
    paper.loc["total"] = PAPER_TOTAL
    df["paper_macs_M"] = paper["macs_g"] * 1e3 / BATCH
    df["paper_latency_ms"] = paper["total_latency_ms"] / BATCH
    df["paper_proc_ms"] = paper["processing_latency_ms"] / BATCH
    df["paper_util"] = paper["active_pes"] / 168.0
    df["paper_onchip_mJ"] = paper["power_mw"] * paper["total_latency_ms"] / BATCH * 1e-3
    df["paper_dram_MB"] = paper["dram_mb"] / BATCH
    df["paper_glb_MB"] = paper["glb_mb"] / BATCH
    df["fps"] = 1e3 / df["latency_ms"]
    df["paper_fps"] = 1e3 / df["paper_latency_ms"]
    df["fps_ratio"] = df["fps"] / df["paper_fps"]
    df["energy_ratio"] = df["e_onchip_mJ"] / df["paper_onchip_mJ"]
    df["dram_ratio"] = df["dram_MB"] / df["paper_dram_MB"]
    df["glb_ratio"] = df["glb_MB"] / df["paper_glb_MB"]
    return df


def verdict(df: pd.DataFrame, target: float = TARGET_RATIO) -> tuple[bool, str]:
    """Whether the network totals are within ``target`` x of the paper's frame rate and on-chip
    energy per frame (either direction), and a one-line explanation."""
    r_fps, r_e = float(df.loc["total", "fps_ratio"]), float(df.loc["total", "energy_ratio"])
    ok_fps, ok_e = 1 / target <= r_fps <= target, 1 / target <= r_e <= target
    word = {True: "within", False: "OUTSIDE"}
    return ok_fps and ok_e, (f"frame rate ours/paper = {r_fps:.2f} ({word[ok_fps]} {target}x); "
                             f"on-chip energy per frame ours/paper = {r_e:.2f} ({word[ok_e]} {target}x)")


def _parse_set(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for s in items:
        k, sep, v = s.partition("=")
        if not sep:
            raise SystemExit(f"--set needs NAME=VALUE, got {s!r}")
        out[k.strip()] = float(v)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objective", choices=OBJECTIVES, default="energy",
                    help="how each layer's mapping is chosen among the feasible sweep points (default energy)")
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                    help="dataflow-constant overrides, e.g. e_mac_pj=0.9 (data_bytes=2 is always set unless given)")
    ap.add_argument("--noc", type=float, help="NoC bytes per cycle (default 16)")
    ap.add_argument("--offchip", type=float, help="off-chip bytes per cycle (default 2.4)")
    args = ap.parse_args(argv)
    design = {}
    if args.noc:
        design["noc_bytes_per_cycle"] = args.noc
    if args.offchip:
        design["offchip_bytes_per_cycle"] = args.offchip
    t0 = time.perf_counter()
    df = eyeriss_alexnet(_parse_set(args.set), objective=args.objective, design=design)
    dt = time.perf_counter() - t0
    pd.set_option("display.width", 200)
    fmt = {"float_format": lambda x: f"{x:.3g}"}
    print(f"Eyeriss (12x14 PEs, 520 B/PE, 108 KB GLB, 16-bit, {CLOCK_MHZ:.0f} MHz) on AlexNet CONV1-5, per frame; "
          f"mapping = best '{args.objective}' of the sweep")
    print("\nLatency and frame rate (paper: Table V total latency / 4)")
    print(df[["macs_M", "paper_macs_M", "util", "paper_util", "compute_ms", "latency_ms", "paper_latency_ms",
              "paper_proc_ms", "fps", "paper_fps", "fps_ratio"]].to_string(**fmt))
    print("\nEnergy (mJ per frame; paper on-chip = measured chip power x total latency / 4; the paper gives no DRAM energy)")
    print(df[["e_mac_mJ", "e_l1_mJ", "e_l2_mJ", "e_onchip_mJ", "paper_onchip_mJ", "energy_ratio",
              "e_dram_mJ"]].to_string(**fmt))
    print("\nTraffic (MB per frame; paper: Table V global-buffer and DRAM accesses / 4); bound = what sets our latency")
    print(df[["glb_MB", "paper_glb_MB", "glb_ratio", "dram_MB", "paper_dram_MB", "dram_ratio",
              "bound", "mapping"]].to_string(**fmt))
    ok, line = verdict(df)
    print(f"\nVerdict against 'within {TARGET_RATIO}x of the paper's frame rate and on-chip energy per frame': "
          f"{'MET' if ok else 'NOT MET'}: {line}")
    print(f"(ran in {dt:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

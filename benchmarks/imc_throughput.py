"""Throughput of the crossbar kernel: layer-evaluations per second and speed-up over the reference.

A layer-evaluation is one (design, unique layer) pair. Designs are random genomes of
``make_space("cell", "hybrid")``'s IMC segment; layers are the unique (shape, group) rows of one
random NB301 network. Single thread (the kernel is not parallel).

Usage: ``python benchmarks/imc_throughput.py [--designs 2000] [--ref-designs 20]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evo_codesign.cost import reference_crossbar as ref
from evo_codesign.backends.crossbar import chip_knob_array
from evo_codesign.cost.crossbar import (KNOBS, LAYER_COLUMNS, LAYER_FIELDS, SCHEDULES, TOTAL_FIELDS, crossbar_cost,
                                       crossbar_kernel, designs_from_genomes, global_buffer_bits, layer_array)
from evo_codesign.cost.constants_imc import imc_constants
from evo_codesign.space.joint import make_space
from evo_codesign.workload.cells import cell_network


def benchmark_crossbar(n_designs: int = 2000, n_ref_designs: int = 20, seed: int = 0, repeat: int = 5) -> dict:
    """Measure the kernel and the reference on the same work; returns the figures as a dict."""
    space = make_space("cell", "hybrid")
    seg = space["imc"]
    rng = np.random.default_rng(seed)
    X = space.sample(rng, n_designs)
    net = cell_network(X[0, space.slices["cell"]])
    U, _ = net.unique(by_group=True)
    knobs = designs_from_genomes(seg, X[:, space.slices["imc"]])
    chip = chip_knob_array(seg, X[:, space.slices["imc"]])  # schedule, tiles, duplication genes
    consts = imc_constants()
    crossbar_cost(knobs[:2], U, constants=consts, chip=chip[:2])  # compile / load from cache
    n_eval = n_designs * len(U)
    # the kernel itself on preallocated outputs (as the dataflow kernel is timed) ...
    La_k = layer_array(U)
    cnt = np.ascontiguousarray(np.broadcast_to(U["count"].astype(np.float64), (len(knobs), len(La_k))))
    per_layer = np.empty((len(knobs), len(La_k), len(LAYER_FIELDS)))
    totals = np.empty((len(knobs), len(TOTAL_FIELDS)))
    gb = global_buffer_bits(La_k, cnt, chip, consts)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        crossbar_kernel(knobs, chip, gb, La_k, cnt, consts, per_layer, totals)
        best = min(best, time.perf_counter() - t0)
    # ... and through the wrapper, which also allocates the (designs x layers x fields) outputs
    best_wrapper = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        crossbar_cost(knobs, U, constants=consts, chip=chip)
        best_wrapper = min(best_wrapper, time.perf_counter() - t0)

    La = layer_array(U)
    layers = [dict(zip(LAYER_COLUMNS, map(int, row))) for row in La]
    dec = [seg.decode(x) for x in X[:n_ref_designs, space.slices["imc"]]]
    t0 = time.perf_counter()
    for i, d in enumerate(dec):
        per_group = [{k: (d[k][g] if isinstance(d[k], list) else d[k]) for k in KNOBS} for g in range(len(seg.groups))]
        c = {"schedule": SCHEDULES[int(chip[i, 0])], "tiles": chip[i, 1], "duplication": chip[i, 2]}
        ref.network_cost(per_group, layers, U["count"], consts, chip=c, gb_bits=gb[i])
    t_ref = time.perf_counter() - t0
    ref_rate = n_ref_designs * len(U) / t_ref
    rate = n_eval / best
    return {"layers": len(U), "designs": n_designs, "kernel_s": best, "kernel_evals_per_s": rate,
            "wrapper_evals_per_s": n_eval / best_wrapper, "reference_evals_per_s": ref_rate,
            "speedup": rate / ref_rate}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=2000)
    ap.add_argument("--ref-designs", type=int, default=20)
    args = ap.parse_args(argv)
    r = benchmark_crossbar(args.designs, args.ref_designs)
    print(f"crossbar kernel: {r['designs']} designs x {r['layers']} unique layers in {r['kernel_s'] * 1e3:.2f} ms "
          f"-> {r['kernel_evals_per_s'] / 1e6:.2f} M layer-evaluations/s (1 thread; "
          f"{r['wrapper_evals_per_s'] / 1e6:.2f} M/s through crossbar_cost, which allocates the outputs)")
    print(f"reference (pure Python): {r['reference_evals_per_s'] / 1e3:.1f} k layer-evaluations/s; "
          f"speed-up {r['speedup']:.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A crossbar chip run layer by layer against the same chip run as a layer pipeline (ISAAC/PUMA),
with weight duplication, on DARTS_V2 (NB301 and DARTS protocols); the hybrid chip's overlap; the
rows a column actually sums; published throughput per area beside ours.

    python benchmarks/imc_pipeline.py [--genotype DARTS_V2]

1. DARTS_V2 on 128x128 SRAM crossbars (8-bit weights on 1-bit cells, 8-bit inputs, 6-bit flash ADC,
   8 columns per ADC: XPert's NeuroSim setup), as many tiles as the network needs: sequential, and
   pipelined with the most copies of a layer D = 1, 4, 16, 32 (NeuroSim's rule). Latency of one
   inference, interval, throughput and its gain, crossbars, area, energy per inference, stage balance
   (mean / slowest stage) and crossbar utilisation (busy crossbar-cycles / available).
2. The energy and area breakdowns of the sequential chip and the D = 16 pipeline.
3. The hybrid chip (dense layers on crossbars, depthwise layers and pools on a 16x16 NVDLA-like
   array with 512 KiB L2): sequential against pipelined (the PE array one more stage).
4. Published figures: ISAAC-CE's peak computational efficiency, 479 GOPS/s/mm^2 with ADCs, tile
   overheads and eDRAM (Shafiee et al., ISCA 2016, Sec. VIII-B; 1,707 for the arrays alone) and PUMA's
   577 GOPS/s/mm^2 (Ankit et al., ASPLOS 2019, Table 6), both 16-bit fixed point on 2-bit ReRAM cells at
   32 nm, beside our chip's peak (every crossbar busy) and achieved (VGG16/CIFAR-10 and DARTS_V2
   pipelined) throughput per area, in 8-bit ops and converted to 16-bit ops (a 16-bit op takes twice
   the reads and twice the columns: / 4).
5. NeuroSim V1.3's VGG8 pipeline (``shared/data/neurosim-vgg8``: 3.27x throughput, +18 % area with
   its speed-up degree 4, i.e. up to 16 copies) beside ours with D = 16.
6. Precision on the rows used: the MAC-weighted ADC bits DARTS_V2's columns need at 128 and 256 rows,
   against the bits a full crossbar would need, and the accuracy drop charged then and now.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from evo_codesign.cost.crossbar import cost_network
from evo_codesign.evaluate import CodesignEvaluator
from evo_codesign.io.genotypes import load_genotypes
from evo_codesign.precision import accuracy_drop, legacy_adc_table, lossless_adc_bits
from evo_codesign.space.joint import make_space
from evo_codesign.workload.backbone import backbone_network
from evo_codesign.workload.cells import cell_network
from evo_codesign.workload.layers import OP_CONV, OP_LINEAR, OP_MAXPOOL, LayerBuilder

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GENOTYPES = SHARED / "darts-published-genotypes" / "darts_published_genotypes.json"
NEUROSIM = SHARED / "neurosim-vgg8"
IMC = dict(crossbar_size=128, cell_bits=1, weight_bits=8, adc_type="flash", adc_bits=6, column_sharing=8, input_bits=8)
PE = {"dataflow": "nvdla", "array_rows": 16, "array_cols": 16, "l1_bytes": 512, "l2_kib": 512,
      "noc_bytes_per_cycle": 64, "offchip_bytes_per_cycle": 32, "order_K": 3, "order_C": 2, "order_Y": 1,
      "order_X": 0, "tile_K": 16, "tile_C": 16, "tile_Y": 8, "tile_X": 8}
ISAAC_CE_GOPS_MM2, ISAAC_ARRAY_GOPS_MM2, PUMA_GOPS_MM2 = 479.0, 1707.0, 577.0
ENERGY = (("array", "e_array_pj"), ("ADC", "e_adc_pj"), ("word line", "e_dac_wl_pj"), ("shift-add", "e_shift_add_pj"),
          ("buffers", "e_buffer_pj"), ("interconnect", "e_interconnect_pj"), ("reprogram", "e_reprogram_pj"),
          ("leakage", "e_leak_pj"))
AREA = (("cells", "a_array_um2"), ("ADC", "a_adc_um2"), ("periphery", "a_periph_um2"), ("buffers", "a_buffer_um2"),
        ("interconnect", "a_interconnect_um2"))


def _t(r, f: str) -> float:
    return float(r.total(f)[0])


def schedules(net, label: str) -> dict:
    """Sequential and pipelined chips (D = 1, 4, 16, 32) for one network; returns the results."""
    out = {"sequential": cost_network(IMC, net)}
    for d in (1, 4, 16, 32):
        out[f"pipelined D={d}"] = cost_network({**IMC, "schedule": "pipelined", "duplication": d}, net)
    base = _t(out["sequential"], "throughput_per_s")
    print(f"\n== {label}: {net.macs / 1e6:.1f} M MACs ==")
    print(f"{'chip':<17} {'latency ms':>10} {'interval us':>11} {'inf/s':>9} {'x seq':>6} {'crossbars':>9} "
          f"{'tiles':>5} {'mm2':>7} {'uJ/inf':>7} {'balance':>7} {'util':>6} {'GOPS/mm2':>8}")
    for name, r in out.items():
        gops = 2 * _t(r, "macs") * _t(r, "throughput_per_s") * 1e-9 / (_t(r, "area_um2") * 1e-6)
        print(f"{name:<17} {_t(r, 'latency_ns') * 1e-6:>10.3f} {_t(r, 'interval_ns') * 1e-3:>11.2f} "
              f"{_t(r, 'throughput_per_s'):>9.0f} {_t(r, 'throughput_per_s') / base:>6.1f} {_t(r, 'crossbars'):>9.0f} "
              f"{_t(r, 'tiles'):>5.0f} {_t(r, 'area_um2') * 1e-6:>7.2f} {_t(r, 'energy_pj') * 1e-6:>7.1f} "
              f"{_t(r, 'stage_balance'):>7.3f} {_t(r, 'xbar_utilization'):>6.3f} {gops:>8.1f}")
    return out


def breakdowns(results: dict) -> None:
    for name in ("sequential", "pipelined D=16"):
        r = results[name]
        e, a = _t(r, "energy_pj"), _t(r, "area_um2")
        print(f"  {name}: energy {e * 1e-6:.1f} uJ = " + ", ".join(
            f"{k} {_t(r, f) * 1e-6:.1f} ({_t(r, f) / e:.0%})" for k, f in ENERGY if _t(r, f) > 0))
        print(f"  {' ' * len(name)}  area {a * 1e-6:.2f} mm2 = " + ", ".join(
            f"{k} {_t(r, f) * 1e-6:.2f} ({_t(r, f) / a:.0%})" for k, f in AREA))


def hybrid(cell: np.ndarray) -> None:
    space = make_space("cell", "hybrid")
    ev = CodesignEvaluator(space, ("latency", "throughput"), hardware="hybrid", buffer_capacity=False)
    print("\n== hybrid chip (dense layers on crossbars, depthwise and pools on a 16x16 array, 512 KiB L2; "
          "the fewest tiles of the genome's choices that hold the weights; copies only in spare tiles) ==")
    for sched, d, fixed in (("sequential", 1, None), ("pipelined", 1, None), ("pipelined", 16, 256)):
        for tiles in [fixed] if fixed else space["imc"].gene("tiles").choices:
            x = space.encode({"cell": space["cell"].decode(cell), "accelerator": PE,
                              "imc": {**IMC, "schedule": sched, "duplication": d, "tiles": tiles}})
            c = ev.hardware_costs(x[None], ev.workload(x[None]))
            if c.capacity_violation[0] == 0:
                break
        print(f"  {sched:<10} D={d:<2}: {tiles:>4} tiles, latency {c.latency_ns[0] * 1e-6:.3f} ms, interval "
              f"{c.interval_ns[0] * 1e-3:.1f} us, {1e9 / c.interval_ns[0]:.0f} inferences/s, "
              f"{c.energy_pj[0] * 1e-6:.1f} uJ, {c.area_um2[0] * 1e-6:.1f} mm2, crossbar utilisation "
              f"{c.crossbar_utilization[0]:.3f}")


def peak_gops_per_mm2(r) -> float:
    """Every crossbar of the chip busy: N rows x N / slices weights per vector of 8 input-bit reads."""
    N, slices, ib = IMC["crossbar_size"], IMC["weight_bits"] // IMC["cell_bits"], IMC["input_bits"]
    read_ns = float(r.layer("read_ns")[0][r.layer("on_crossbar")[0] > 0].max())
    macs_per_ns = N * N / slices / (ib * read_ns) * _t(r, "tiles") * 16
    return 2 * macs_per_ns / (_t(r, "area_um2") * 1e-6)


def published(darts: dict) -> None:
    vgg = backbone_network()
    seq = cost_network({**IMC, "input_bits": [8] * 13}, vgg)
    pip = cost_network({**IMC, "input_bits": [8] * 13, "schedule": "pipelined", "duplication": 32}, vgg)
    print("\n== throughput per area against ISAAC and PUMA (GOPS/s/mm^2) ==")
    print(f"{'':<44} {'8-bit ops':>10} {'16-bit ops':>10} {'/ ISAAC-CE':>10} {'/ PUMA':>7}")
    rows = [("ours, peak (DARTS_V2 D=16 chip, every crossbar busy)", peak_gops_per_mm2(darts["pipelined D=16"]))]
    for label, r in (("ours, VGG16/CIFAR-10 pipelined D=32", pip), ("ours, VGG16/CIFAR-10 sequential", seq),
                     ("ours, DARTS_V2 pipelined D=16", darts["pipelined D=16"])):
        rows.append((label, 2 * _t(r, "macs") * _t(r, "throughput_per_s") * 1e-9 / (_t(r, "area_um2") * 1e-6)))
    for label, g in rows:
        print(f"{label:<44} {g:>10.1f} {g / 4:>10.1f} {g / 4 / ISAAC_CE_GOPS_MM2:>10.2f} {g / 4 / PUMA_GOPS_MM2:>7.2f}")
    print(f"{'ISAAC-CE (ISCA 2016, Sec. VIII-B), peak':<44} {'':>10} {ISAAC_CE_GOPS_MM2:>10.1f}")
    print(f"{'PUMA (ASPLOS 2019, Table 6), peak':<44} {'':>10} {PUMA_GOPS_MM2:>10.1f}")
    print(f"  (VGG16 pipelined: {_t(pip, 'tiles'):.0f} tiles, {_t(pip, 'area_um2') * 1e-6:.0f} mm2, interval "
          f"{_t(pip, 'interval_ns') * 1e-3:.1f} us, utilisation {_t(pip, 'xbar_utilization'):.2f})")


def neurosim_vgg8() -> None:
    if not (NEUROSIM / "NetWork_VGG8.csv").exists():
        print("\n(NeuroSim VGG8 data absent; skipped)")
        return
    b = LayerBuilder()
    for i, row in enumerate(csv.reader((NEUROSIM / "NetWork_VGG8.csv").read_text().splitlines())):
        H, W, C, kh, kw, K, pool, stride = (int(float(v)) for v in row[:8])
        if kh == 1 and H == 1:
            b.add(f"fc{i}", OP_LINEAR, K, C * H * W, 1, 1, 1, 1)
        else:
            b.add(f"conv{i}", OP_CONV, K, C, kh, kw, H, W, pad=kh // 2, stride=stride)
            if pool:
                b.add(f"pool{i}", OP_MAXPOOL, K, K, 2, 2, H, W, stride=2, groups=K)
    net = b.build("vgg8")
    seq, pip = cost_network(IMC, net), cost_network({**IMC, "schedule": "pipelined", "duplication": 16}, net)
    chip = {r["variant"]: r for r in csv.DictReader((NEUROSIM / "neurosim_vgg8_chip.csv").open())}
    d, p = chip.get("default"), chip.get("pipe_on")
    ns = (float(p["throughput_FPS[1/s]"]) / float(d["throughput_FPS[1/s]"]),
          float(p["chip_area[um^2]"]) / float(d["chip_area[um^2]"])) if d and p else (float("nan"), float("nan"))
    print(f"\n== VGG8 pipeline: NeuroSim V1.3 {ns[0]:.2f}x throughput at {ns[1]:.2f}x area; ours (D=16) "
          f"{_t(pip, 'throughput_per_s') / _t(seq, 'throughput_per_s'):.1f}x at "
          f"{_t(pip, 'area_um2') / _t(seq, 'area_um2'):.2f}x area ==")
    if d:
        print(f"  sequential VGG8: NeuroSim {float(d['read_latency[ns]']) * 1e-6:.3f} ms (buffers "
              f"{float(d['buffer_latency[ns]']) / float(d['read_latency[ns]']):.0%} of it), "
              f"{float(d['chip_area[um^2]']) * 1e-6:.1f} mm2 at 22 nm RRAM; "
              f"ours {_t(seq, 'latency_ns') * 1e-6:.3f} ms, "
              f"{_t(seq, 'area_um2') * 1e-6:.1f} mm2 at 32 nm SRAM. NeuroSim's register-file buffers serialise "
              "every layer's transfers, which caps its pipeline; ours stream at the bus width per layer")


def rows_used(cell: np.ndarray) -> None:
    space = make_space("cell", "hybrid")
    ev = CodesignEvaluator(space, ("latency", "energy"), hardware="hybrid", buffer_capacity=False)
    print("\n== precision on the rows used (DARTS_V2 on the hybrid chip's crossbars, 1-bit cells) ==")
    for n in (128, 256):
        x = space.encode({"cell": space["cell"].decode(cell), "accelerator": PE,
                          "imc": {**IMC, "crossbar_size": n, "adc_bits": 5}})
        c = ev.hardware_costs(x[None], ev.workload(x[None]))
        rows, w = c.precision_rows[0].astype(int), c.precision_weights[0]
        need = float((lossless_adc_bits(rows, 1) * w).sum() / w.sum())
        frac = c.crossbar_macs_by_group[0]
        half = float(w[rows < n / 2].sum() / w.sum())
        before = float(accuracy_drop(8, 5, weight_bits=8, cell_bits=1, crossbar_size=n,
                                     macs_fraction=[frac.sum()], adc_table=legacy_adc_table()))
        now = float(ev.precision_drop(c, 1)[0])
        print(f"  {n} rows: MAC-weighted bits needed {need:.2f} vs {float(lossless_adc_bits(n, 1)):.2f} for a full "
              f"crossbar; {half:.0%} of the MACs on columns under half full; 5-bit ADC drop: {before:.2f} pp "
              f"charged before (full rows, one bit per bit), {now:.2f} pp now (rows used, calibrated table)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genotype", default="DARTS_V2")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if GENOTYPES.exists():
        cell = dict(load_genotypes(GENOTYPES))[args.genotype]
    else:
        cell = make_space("cell", None).sample(np.random.default_rng(0))
        print(f"({GENOTYPES} absent: a random cell)")
    darts = schedules(cell_network(cell, "nb301"), f"{args.genotype}, NB301 protocol (8 cells, C = 32)")
    breakdowns(darts)
    schedules(cell_network(cell, "darts"), f"{args.genotype}, DARTS protocol (20 cells, C = 36)")
    hybrid(cell)
    published(darts)
    neurosim_vgg8()
    rows_used(cell)
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``evo-codesign cost (--layers LAYERS.csv | --onnx MODEL.onnx) --accelerator ACC.toml [--json]``:
cost your own network on one design (``target = "dataflow"``, ``"imc"`` or ``"hybrid"`` in
ACC.toml), with the same hardware backend the search uses."""

from __future__ import annotations

import argparse
import json
import sys

HELP = "cost your own network (LAYERS.csv or MODEL.onnx) on one design (ACC.toml)"

_JSON_HELP = ("one JSON object per layer, then a 'total' object with the energy and area by part: "
              "energy_breakdown_pj (PE array: mac, l1, l2, dram; crossbars: array, adc, word_line, shift_add, "
              "buffer, interconnect, leakage, reprogram), area_breakdown_um2 (PE array: pes, l1, l2; crossbars: "
              "array, adc, periphery, buffer, interconnect); a hybrid chip's crossbar parts are "
              "crossbar_energy_breakdown_pj / crossbar_area_breakdown_um2 and its PE array's area "
              "pe_array_area_breakdown_um2")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..cost.layers_csv import columns_help  # numpy only: --help stays light

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    lines = [f"  {line}" for line in columns_help()]
    p.epilog = "LAYERS.csv columns (one row per layer, in execution order):\n" + "\n".join(lines)
    net = p.add_mutually_exclusive_group(required=True)
    net.add_argument("--layers", metavar="LAYERS.csv", help="the network as a layer table (columns below)")
    net.add_argument("--onnx", metavar="MODEL.onnx",
                     help="the network as an ONNX model (needs the onnx extra): Conv, Gemm, MatMul with a weight "
                          "and pools become layers, shapes from onnx.shape_inference; element-wise and shape ops "
                          "are not costed; other ops are refused")
    p.add_argument("--accelerator", required=True, metavar="ACC.toml",
                   help="design description (genome field names; omitted fields take documented defaults)")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)


def _print_table(rows: list[dict], total: dict) -> None:
    print(f"{'layer':<24} {'engine':<9} {'latency (cycles)':>16} {'latency (us)':>12} {'energy (pJ)':>14} "
          f"{'MACs':>12} {'util':>6}")
    for r in rows:
        util = f"{r['utilization']:.2f}" if "utilization" in r else "-"
        lat_us = r.get("latency_ns", float("nan")) * 1e-3
        print(f"{r['name']:<24} {r.get('engine', ''):<9} {r['latency_cycles']:>16,.0f} {lat_us:>12,.3f} "
              f"{r['energy_pj']:>14,.0f} {r['macs']:>12,} {util:>6}")
    print(f"network: {total['macs']:,} MACs, {total['params']:,} parameters")
    print(f"total: {total['latency_cycles']:,.0f} cycles = {total['latency_ns'] * 1e-6:.4f} ms, "
          f"{total['energy_pj'] * 1e-6:.4f} uJ, area {total['area_um2'] * 1e-6:.3f} mm2, "
          f"{total['tops_per_w']:.3f} TOPS/W" + (f", utilization {total['utilization']:.2f}" if "utilization" in total
                                                  else ""))
    if total.get("buffer_violation", 0) > 0:
        print(f"warning: tiles exceed a buffer (overflow {total['buffer_violation']:.2f}): G > 0 in a search")


def run(args: argparse.Namespace) -> int:
    from ..backends.report import cost_rows

    rows, total = cost_rows(args.layers, args.accelerator, onnx_path=args.onnx)
    for note in total.get("notes", ()):
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        for r in rows + [total]:
            print(json.dumps(r))
        return 0
    _print_table(rows, total)
    return 0

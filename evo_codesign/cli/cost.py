"""``evo-codesign cost --layers LAYERS.csv --accelerator ACC.toml [--json]``: cost your own
network on one design (``target = "dataflow"``, ``"imc"`` or ``"hybrid"`` in ACC.toml), with the
same hardware backend the search uses."""

from __future__ import annotations

import argparse
import json

HELP = "cost your own network (LAYERS.csv) on one design (ACC.toml)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layers", required=True, metavar="LAYERS.csv",
                   help="columns name,K,C,R,S,Y,X,stride[,pad,groups,dilation,op] (pad 0, groups 1, dilation 1 and "
                        "op conv when absent; op: conv, dwconv, linear, maxpool, avgpool, gap)")
    p.add_argument("--accelerator", required=True, metavar="ACC.toml",
                   help="design description (genome field names; omitted fields take documented defaults)")
    p.add_argument("--json", action="store_true", help="one JSON object per layer, then a 'total' object")


def _print_table(rows: list[dict], total: dict) -> None:
    print(f"{'layer':<24} {'engine':<9} {'latency (cycles)':>16} {'latency (us)':>12} {'energy (pJ)':>14} "
          f"{'MACs':>12} {'util':>6}")
    for r in rows:
        util = f"{r['utilization']:.2f}" if "utilization" in r else "-"
        lat_us = r.get("latency_ns", float("nan")) * 1e-3
        print(f"{r['name']:<24} {r.get('engine', ''):<9} {r['latency_cycles']:>16,.0f} {lat_us:>12,.3f} "
              f"{r['energy_pj']:>14,.0f} {r['macs']:>12,} {util:>6}")
    print(f"total: {total['latency_cycles']:,.0f} cycles = {total['latency_ns'] * 1e-6:.4f} ms, "
          f"{total['energy_pj'] * 1e-6:.4f} uJ, area {total['area_um2'] * 1e-6:.3f} mm2, "
          f"{total['tops_per_w']:.3f} TOPS/W" + (f", utilization {total['utilization']:.2f}" if "utilization" in total
                                                  else ""))
    if total.get("buffer_violation", 0) > 0:
        print(f"warning: tiles exceed a buffer (overflow {total['buffer_violation']:.2f}): G > 0 in a search")


def run(args: argparse.Namespace) -> int:
    from ..backends.report import cost_rows

    rows, total = cost_rows(args.layers, args.accelerator)
    if args.json:
        for r in rows + [total]:
            print(json.dumps(r))
        return 0
    _print_table(rows, total)
    return 0

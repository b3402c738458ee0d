"""``evo-codesign describe``: a sampled joint genome (or your genotypes) decoded, with its network's summary."""

from __future__ import annotations

import argparse
import json

HELP = "sample a joint genome (or read genotypes) and describe it and its network"


def add_arguments(d: argparse.ArgumentParser) -> None:
    d.add_argument("--seed", type=int, default=0, help="root seed of the sampled genome (default 0)")
    d.add_argument("--genotypes", metavar="FILE", help="JSON list of {name?, normal, reduce} cells to describe")
    d.add_argument("--protocol", choices=("nb301", "darts"), default="nb301",
                   help="network macro-architecture: nb301 (32 channels, 8 cells; default) or darts (36, 20)")
    d.add_argument("--neural", choices=("cell", "backbone"), default="cell",
                   help="neural space of the sampled genome (default cell)")
    d.add_argument("--hardware", choices=("dataflow", "imc", "hybrid"), default="hybrid",
                   help="hardware segments of the sampled genome (default hybrid)")
    d.add_argument("--json", action="store_true", help="one JSON object per design/genotype")


def _genotypes(args: argparse.Namespace) -> int:
    from ..describe import format_cell, format_network_summary, network_summary
    from ..io.genotypes import load_genotypes
    from ..space.joint import make_space
    from ..workload.cells import cell_network

    for name, genome in load_genotypes(args.genotypes):
        summary = network_summary(cell_network(genome, args.protocol, name=name))
        if args.json:
            print(json.dumps({"name": name, "protocol": args.protocol, **summary}))
        else:
            print(f"{name} ({args.protocol} protocol)")
            print(format_cell(make_space("cell", None).decode(genome)["cell"]))
            print(format_network_summary(summary))
            print()
    return 0


def run(args: argparse.Namespace) -> int:
    if args.genotypes:
        return _genotypes(args)
    import numpy as np

    from ..describe import format_cell, format_network_summary, format_segment, network_summary
    from ..space.joint import make_space
    from ..workload.backbone import backbone_network
    from ..workload.cells import cell_network

    space = make_space(args.neural, args.hardware)
    x = space.sample(np.random.default_rng(args.seed))
    decoded = space.decode(x)
    if args.neural == "cell":
        net = cell_network(x[space.slices["cell"]], args.protocol)
    else:
        net = backbone_network(decoded["backbone"]["channels"])
    summary = network_summary(net)
    if args.json:
        print(json.dumps({"seed": args.seed, "genome": x.tolist(), "design": decoded,
                          "protocol": args.protocol if args.neural == "cell" else None, **summary}))
        return 0
    print(f"joint genome (seed {args.seed}): {space!r}")
    print(f"  genes: {' '.join(str(v) for v in x)}")
    for seg in space.segments:
        print(f"\n[{seg.name}]")
        d = decoded[seg.name]
        print(format_cell(d) if seg.name == "cell" else format_segment(d))
    what = f"{args.protocol} protocol" if args.neural == "cell" else "CIFAR-10 32x32"
    print(f"\n[network] ({what})")
    print(format_network_summary(summary))
    return 0

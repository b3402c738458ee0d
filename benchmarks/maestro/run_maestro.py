"""Run MAESTRO itself on the NB301 layer shapes (or whole networks) with PROVENANCE.md's directives.

    python benchmarks/maestro/run_maestro.py --maestro /path/to/maestro             # golden_layers_alone.csv
    python benchmarks/maestro/run_maestro.py --maestro /path/to/maestro --network shared_0

Build MAESTRO first (``README.md``: ``maestro-project/maestro`` at ``4eb08d1``, ``scons``). The first
form costs each of the 25 distinct shapes in a MAESTRO process of its own (one layer per mapping
file) at kcp / xp and 16 / 64 / 256 / 1024 PEs and writes ``golden_layers_alone.csv``. One process
per layer matters: within one mapping file MAESTRO's kcp energy of a layer depends on the layer
before it (a CONV 32x32 1x1 on 32x32 costs 4915.63 nJ alone at 16 PEs, 5411.92 after a depthwise
layer, 6941.69 after itself), while its runtimes and all xp numbers do not. The second form runs one
network as a single mapping file, the way the shared network totals were made, and prints its
totals beside the shared ones.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agreement as A  # noqa: E402

HW = "num_pes: {P}\nl1_size_cstr: 100\nl2_size_cstr: 3000\nnoc_bw_cstr: 1000\noffchip_bw_cstr: 50\n"
WINDOW = "TemporalMap(Sz(R),Sz(R)) R; TemporalMap(Sz(S),Sz(S)) S;"
#: (dataflow, MAESTRO layer type) -> directives, outer to inner (PROVENANCE.md); {cl} = min(64, P)
DIRECTIVES = {
    ("kcp", "CONV"): "SpatialMap(1,1) K; TemporalMap({cl},{cl}) C; " + WINDOW
                     + " TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; Cluster({cl}, P); SpatialMap(1,1) C;"
                     " TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; " + WINDOW,
    ("kcp", "DSCONV"): "SpatialMap(1,1) C; TemporalMap(Sz(R),1) Y; TemporalMap(Sz(S),1) X; " + WINDOW,
    ("xp", "CONV"): "TemporalMap(1,1) K; TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; SpatialMap(Sz(S),1) X; "
                    + WINDOW,
    ("xp", "DSCONV"): "TemporalMap(1,1) C; TemporalMap(Sz(R),1) Y; SpatialMap(Sz(S),1) X; " + WINDOW,
}


def mapping_file(name: str, shapes: pd.DataFrame, dataflow: str, num_pes: int) -> str:
    """A MAESTRO mapping file: one layer per row of ``shapes`` (:data:`agreement.SHAPE_COLUMNS`)."""
    cl = min(64, num_pes)
    layers = []
    for i, s in enumerate(shapes.itertuples(index=False)):
        body = "\n".join(f"\t\t\t{d.strip()};" for d in DIRECTIVES[(dataflow, s.type)].format(cl=cl).split(";")
                         if d.strip())
        layers.append(f"\tLayer L{i} {{\n\t\tType: {s.type}\n\t\tStride {{ X: {s.stride}, Y: {s.stride} }}\n"
                      f"\t\tDimensions {{ K: {s.K}, C: {s.C}, R: {s.R}, S: {s.S}, Y: {s.Y_in_padded}, "
                      f"X: {s.X_in_padded} }}\n\t\tDataflow {{\n{body}\n\t\t}}\n\t}}\n")
    return f"Network {name} {{\n" + "".join(layers) + "}\n"


def run(maestro: Path, shapes: pd.DataFrame, dataflow: str, num_pes: int) -> pd.DataFrame:
    """MAESTRO's per-layer runtime (cycles) and activity-count energy (nJ), one process, one file."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "hw.m").write_text(HW.format(P=num_pes))
        (d / "net.m").write_text(mapping_file("net", shapes, dataflow, num_pes))
        subprocess.run([str(maestro), "--HW_file=hw.m", "--Mapping_file=net.m", "--print_res=false",
                        "--print_res_csv_file=true", "--print_log_file=false"], cwd=d, check=True,
                       capture_output=True)
        with open(d / "net.csv") as f:
            rows = list(csv.reader(f))[1:]
    return pd.DataFrame({"runtime_cycles": [float(r[3]) for r in rows], "energy_nJ": [float(r[4]) for r in rows]})


def layers_alone(maestro: Path, ref: A.Reference) -> pd.DataFrame:
    shapes = ref.layers.drop_duplicates("layer")[["layer", *A.SHAPE_COLUMNS]].reset_index(drop=True)
    out = []
    for df in A.DATAFLOW_FOR:
        for pes in A.NUM_PES:
            for s in shapes.itertuples(index=False):
                one = pd.DataFrame([s._asdict()])
                r = run(maestro, one, df, pes).iloc[0]
                out.append({**s._asdict(), "dataflow": df, "num_pes": pes, "runtime_cycles": r["runtime_cycles"],
                            "energy_nJ": r["energy_nJ"]})
    return pd.DataFrame(out)


def network(maestro: Path, ref: A.Reference, cell: str) -> pd.DataFrame:
    """One network as a single mapping file, beside the reference's totals."""
    from evo_codesign.workload import cell_network
    genome = dict(ref.cells)[cell]
    shapes = A.maestro_shapes(A.maestro_convention(cell_network(genome, "nb301").layers))
    rows = []
    for df in A.DATAFLOW_FOR:
        for pes in A.NUM_PES:
            r = run(maestro, shapes, df, pes)
            rows.append({"cell": cell, "dataflow": df, "num_pes": pes, "n_layers": len(r),
                         "runtime_cycles": r["runtime_cycles"].sum(), "energy_nJ": r["energy_nJ"].sum()})
    mine = pd.DataFrame(rows)
    theirs = ref.networks[ref.networks["cell"] == cell][["dataflow", "num_pes", "runtime_cycles", "energy_nJ"]]
    return mine.merge(theirs, on=["dataflow", "num_pes"], suffixes=("", "_reference"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--maestro", type=Path, required=True, help="the MAESTRO binary built with scons")
    p.add_argument("--network", help="run this cell as one mapping file and compare with the shared totals")
    p.add_argument("--data", type=Path, default=A.SHARED, help="directory of the shared MAESTRO data")
    p.add_argument("--out", type=Path, default=A.HERE / "golden_layers_alone.csv")
    args = p.parse_args(argv)
    ref = A.shared_reference(args.data)
    maestro = args.maestro.resolve()
    if args.network:
        print(network(maestro, ref, args.network).to_string(index=False))
        return 0
    alone = layers_alone(maestro, ref)
    alone.to_csv(args.out, index=False)
    key = ["layer", "dataflow", "num_pes"]
    both = alone.merge(ref.layers[[*key, "runtime_cycles", "energy_nJ"]], on=key, suffixes=("", "_shared"))
    same = {c: int((both[c] == both[f"{c}_shared"]).sum()) for c in ("runtime_cycles", "energy_nJ")}
    print(f"wrote {len(alone)} rows to {args.out}; equal to the shared layer table: runtime {same['runtime_cycles']}, "
          f"energy {same['energy_nJ']} of {len(both)} (by dataflow: "
          + ", ".join(f"{df} {int((g['energy_nJ'] == g['energy_nJ_shared']).sum())}/{len(g)}"
                      for df, g in both.groupby("dataflow")) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())

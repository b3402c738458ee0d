"""Run MAESTRO itself on the NB301 layer shapes (or whole networks) with PROVENANCE.md's directives.

    python benchmarks/maestro/run_maestro.py --maestro /path/to/maestro             # golden_*.csv
    python benchmarks/maestro/run_maestro.py --maestro /path/to/maestro --network shared_0

Build MAESTRO first (``README.md``: ``maestro-project/maestro`` at ``4eb08d1``, ``scons``). The first
form costs each of the 25 distinct shapes in a MAESTRO process of its own (one layer per mapping
file) at kcp / xp and 16 / 64 / 256 / 1024 PEs, twice: with PROVENANCE.md's directives (the arrays
MAESTRO formed for the shared data: kcp ``P / 64`` clusters of ``min(64, P)`` PEs, xp one row of P)
into ``golden_layers_alone.csv``, and on square arrays (``sqrt(P)`` clusters of ``sqrt(P)`` PEs:
KC-P with that cluster; for xp MAESTRO's 2-D ShiDianNao-like YX-P of its shipped
``data/mapping/Resnet50_yxp_os.m``: output rows over the clusters, output columns over a cluster's
PEs) into ``golden_layers_square.csv``. Each row has MAESTRO's runtime and printed energy and its
per-level access counts, whose energies (L1 1.68, L2 18.61 MAC energies of 0.00023 nJ) give the
layer's complete energy: a kcp CONV layer printed alone shows only its L2 part, because MAESTRO adds
a two-level layer's L1 counts from the variables the *previous* layer left
(``cost-model/include/user-api/API_user-interface-v2.hpp``: the L1 counts are read at the last
cluster result, ``cluster_lv == layer_res->size()-1``, and added at the first, ``cluster_lv == 0``,
which comes before it). One process per layer matters for the same reason: within one mapping file
MAESTRO's kcp energy of a layer depends on the layer before it (a CONV 32x32 1x1 on 32x32 costs
4915.63 nJ alone at 16 PEs, 5411.92 after a depthwise layer, 6941.69 after itself), while its
runtimes and all xp numbers do not. It also writes ``golden_offchip_sweep.csv``: the kcp runtimes at
256 PEs with the hardware file's off-chip bandwidth swept (:data:`SWEEP_OFFCHIP`), which shows
what bounds them. The second form runs one network as a single mapping file, the
way the shared network totals were made, and prints its totals beside the shared ones.
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

HW = "num_pes: {P}\nl1_size_cstr: 100\nl2_size_cstr: 3000\nnoc_bw_cstr: 1000\noffchip_bw_cstr: {offchip}\n"
#: the hardware file's off-chip bandwidth (elements per cycle); it bounds MAESTRO's runtime step by step
OFFCHIP = 50
#: off-chip bandwidths of the sweep (``--sweep``): MAESTRO's runtime follows them where the step
#: staging binds (kcp at 256 and 1,024 PEs), not where compute does
SWEEP_OFFCHIP = (25, 50, 100, 200, 400, 1 << 20)
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


#: MAESTRO's energy multipliers and MAC energy (maestro-project/maestro at 4eb08d1:
#: cost-model/include/base/BASE_constants.hpp l1_energy_multiplier, l2_energy_multiplier;
#: cost-model/include/design-space-exploration/DSE_cost-database.hpp mac_energy, nJ)
L1_MULT, L2_MULT, MAC_NJ = 1.68, 18.61, 0.00023
#: the access counts MAESTRO's energy adds per level (API_user-interface-v2.hpp): L2 reads and
#: writes of inputs and weights and L2 writes of outputs; every L1 read and write
L2_COUNTS = ("input l2 read", "input l2 write", "filter l2 read", "filter l2 write", "output l2 write")
L1_COUNTS = ("input l1 read", "input l1 write", "filter l1 read", "filter l1 write", "output l1 read",
             "output l1 write")
ARRAYS = ("maestro", "square")


def directives(dataflow: str, shape, num_pes: int, array: str = "maestro") -> str:
    """The directive text of one layer (``shape``: a row with :data:`agreement.SHAPE_COLUMNS`).
    ``maestro``: PROVENANCE.md's directives; ``square``: ``sqrt(P)`` clusters of ``sqrt(P)`` PEs
    (KC-P; ShiDianNao-like YX-P for xp: the X tile of a cluster spans its PEs' windows, clamped
    to the input, and covers the row whole when the cluster holds every output column)."""
    if array == "maestro":
        return DIRECTIVES[(dataflow, shape.type)].format(cl=min(64, num_pes))
    if array != "square":
        raise ValueError(f"unknown array {array!r}; allowed: {list(ARRAYS)}")
    side = int(round(num_pes ** 0.5))
    if side * side != num_pes:
        raise ValueError(f"{num_pes} PEs is not a square array")
    if dataflow == "kcp":
        return DIRECTIVES[("kcp", shape.type)].format(cl=side)
    out_cols = (shape.X_in_padded - shape.S) // shape.stride + 1
    tile = shape.X_in_padded if side >= out_cols else min((side - 1) * shape.stride + shape.S, shape.X_in_padded)
    head = "TemporalMap(1,1) K; TemporalMap(1,1) C;" if shape.type == "CONV" else "TemporalMap(1,1) C;"
    return (f"{head} SpatialMap(Sz(R),1) Y; TemporalMap({tile},{side * shape.stride}) X; Cluster({side}, P); "
            "SpatialMap(Sz(S),1) X; " + WINDOW)


def mapping_file(name: str, shapes: pd.DataFrame, dataflow: str, num_pes: int, array: str = "maestro") -> str:
    """A MAESTRO mapping file: one layer per row of ``shapes`` (:data:`agreement.SHAPE_COLUMNS`)."""
    layers = []
    for i, s in enumerate(shapes.itertuples(index=False)):
        body = "\n".join(f"\t\t\t{d.strip()};" for d in directives(dataflow, s, num_pes, array).split(";")
                         if d.strip())
        layers.append(f"\tLayer L{i} {{\n\t\tType: {s.type}\n\t\tStride {{ X: {s.stride}, Y: {s.stride} }}\n"
                      f"\t\tDimensions {{ K: {s.K}, C: {s.C}, R: {s.R}, S: {s.S}, Y: {s.Y_in_padded}, "
                      f"X: {s.X_in_padded} }}\n\t\tDataflow {{\n{body}\n\t\t}}\n\t}}\n")
    return f"Network {name} {{\n" + "".join(layers) + "}\n"


def run(maestro: Path, shapes: pd.DataFrame, dataflow: str, num_pes: int, array: str = "maestro", *,
        offchip: int = OFFCHIP) -> pd.DataFrame:
    """MAESTRO's per-layer runtime (cycles), printed activity-count energy (nJ) and per-level
    access counts with their energies (``energy_l1_nJ``, ``energy_l2_nJ``; ``energy_complete_nJ``
    their sum), one process, one file."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "hw.m").write_text(HW.format(P=num_pes, offchip=offchip))
        (d / "net.m").write_text(mapping_file("net", shapes, dataflow, num_pes, array))
        subprocess.run([str(maestro), "--HW_file=hw.m", "--Mapping_file=net.m", "--print_res=false",
                        "--print_res_csv_file=true", "--print_log_file=false"], cwd=d, check=True,
                       capture_output=True)
        with open(d / "net.csv") as f:
            rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    missing = [c for c in ("Runtime (Cycles)", "Activity count-based Energy (nJ)", *L1_COUNTS, *L2_COUNTS)
               if c not in head]
    if missing:
        raise ValueError(f"MAESTRO's CSV lacks column(s) {missing}; is this commit 4eb08d1?")
    t = pd.DataFrame([[float(v) for v in r[2:]] for r in rows[1:]], columns=head[2:])
    out = pd.DataFrame({"runtime_cycles": t["Runtime (Cycles)"], "energy_nJ": t["Activity count-based Energy (nJ)"],
                        "l1_accesses": t[list(L1_COUNTS)].sum(axis=1), "l2_accesses": t[list(L2_COUNTS)].sum(axis=1)})
    out["energy_l1_nJ"] = out["l1_accesses"] * L1_MULT * MAC_NJ
    out["energy_l2_nJ"] = out["l2_accesses"] * L2_MULT * MAC_NJ
    out["energy_complete_nJ"] = out["energy_l1_nJ"] + out["energy_l2_nJ"]
    return out


def layers_alone(maestro: Path, ref: A.Reference, array: str = "maestro", *, dataflows=tuple(A.DATAFLOW_FOR),
                 num_pes=A.NUM_PES, offchip=(OFFCHIP,)) -> pd.DataFrame:
    """Each distinct shape in a MAESTRO process of its own, at every dataflow, PE count and off-chip
    bandwidth given."""
    shapes = ref.layers.drop_duplicates("layer")[["layer", *A.SHAPE_COLUMNS]].reset_index(drop=True)
    out = []
    for df in dataflows:
        for pes in num_pes:
            for bw in offchip:
                for s in shapes.itertuples(index=False):
                    r = run(maestro, pd.DataFrame([s._asdict()]), df, pes, array, offchip=bw).iloc[0]
                    out.append({**s._asdict(), "dataflow": df, "num_pes": pes,
                                **({"offchip_bw": bw} if len(offchip) > 1 else {}), **r.to_dict()})
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
    p.add_argument("--out", type=Path, default=A.HERE, help="directory for golden_layers_alone/square.csv")
    args = p.parse_args(argv)
    ref = A.shared_reference(args.data)
    maestro = args.maestro.resolve()
    if args.network:
        print(network(maestro, ref, args.network).to_string(index=False))
        return 0
    alone = layers_alone(maestro, ref)
    alone.to_csv(args.out / "golden_layers_alone.csv", index=False)
    square = layers_alone(maestro, ref, "square")
    square.to_csv(args.out / "golden_layers_square.csv", index=False)
    sweep = layers_alone(maestro, ref, dataflows=("kcp",), num_pes=(256,), offchip=SWEEP_OFFCHIP)
    sweep[["layer", *A.SHAPE_COLUMNS, "dataflow", "num_pes", "offchip_bw", "runtime_cycles"]].to_csv(
        args.out / "golden_offchip_sweep.csv", index=False)
    key = ["layer", "dataflow", "num_pes"]
    both = alone.merge(ref.layers[[*key, "runtime_cycles", "energy_nJ"]], on=key, suffixes=("", "_shared"))
    same = {c: int((both[c] == both[f"{c}_shared"]).sum()) for c in ("runtime_cycles", "energy_nJ")}
    print(f"wrote {len(alone)} rows to golden_layers_alone.csv, {len(square)} to golden_layers_square.csv and "
          f"{len(sweep)} to golden_offchip_sweep.csv in {args.out}; alone equal to the shared layer table: "
          f"runtime {same['runtime_cycles']}, energy {same['energy_nJ']} of {len(both)} (by dataflow: "
          + ", ".join(f"{df} {int((g['energy_nJ'] == g['energy_nJ_shared']).sum())}/{len(g)}"
                      for df, g in both.groupby("dataflow")) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rank agreement of our PE-array model with MAESTRO on NB301-protocol networks (importable part).

The MAESTRO numbers (``../shared/data/maestro-nb301``, or the golden subset beside this file) come
from MAESTRO ``maestro-project/maestro`` at commit ``4eb08d1``; ``README.md`` here says how. This
module rebuilds each network the way MAESTRO saw it (:func:`maestro_convention`), checks that the
layer shapes and counts reproduce MAESTRO's inputs exactly (:func:`check_against_maestro`), costs
the networks on :func:`evo_codesign.cost.dataflow.dataflow_cost` and returns one tidy row per
(dataflow, PE count) setting (:func:`agreement`). ``compare.py`` prints it; the kernel work can call
:func:`agreement` in a loop (the networks are built once, by :func:`prepare`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from evo_codesign.cost.dataflow import dataflow_cost, design_array
from evo_codesign.space.cell import genotype_to_genome
from evo_codesign.workload import cell_network, unique_across
from evo_codesign.workload.layers import MAC_OPS, OP_DWCONV, output_size

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data" / "maestro-nb301"
#: MAESTRO's dataflow name -> ours (PROVENANCE.md: kcp is NVDLA-like KC-P, xp ShiDianNao-like X-P)
DATAFLOW_FOR = {"kcp": "nvdla", "xp": "shidiannao"}
NUM_PES = (16, 64, 256, 1024)
SHAPE_COLUMNS = ["type", "K", "C", "R", "S", "Y_in_padded", "X_in_padded", "stride"]
#: MAESTRO ignores buffer capacity (it only warns); 2 MiB of L2 holds every NB301 layer whole, so
#: our model keeps only compulsory DRAM traffic, and 128 KiB of L1 per PE holds every PE's share
#: (a 1 x 16 array's PE holds a whole 64 x 32 x 32 output tile); L1 size changes neither latency nor energy.
BUFFERS = dict(l1_bytes=1 << 17, l2_kib=2048)
#: Bandwidth regimes (bytes per cycle; int8, so bytes = MAESTRO's elements). ``compute``: NoC 1024
#: and off-chip 2^20, so that runtime is compute-bound as MAESTRO's is (its hardware file's NoC and
#: off-chip values are DSE constraints that never change runtime or energy, PROVENANCE.md).
#: ``provenance``: the hardware file's own values, noc_bw_cstr 1000 and offchip_bw_cstr 50, taken
#: literally (design_array accepts any positive integer, so no rounding to genome choices).
REGIMES = {"compute": dict(noc_bytes_per_cycle=1024, offchip_bytes_per_cycle=1 << 20),
           "provenance": dict(noc_bytes_per_cycle=1000, offchip_bytes_per_cycle=50)}
#: MAESTRO's loop order is K, C, Y, X outermost first in both dataflows; tiles at the space's maxima.
MAPPING = dict(order_K=3, order_C=2, order_Y=1, order_X=0, tile_K=64, tile_C=64, tile_Y=32, tile_X=32)
ARRAY_SHAPES = ("square", "maestro")


@dataclass(frozen=True)
class Reference:
    """MAESTRO's numbers: ``cells`` [(name, genome)], ``networks`` (one row per cell x dataflow x
    num_pes: runtime_cycles, energy_nJ, n_layers_expected), ``layers`` (the distinct shapes x
    settings, :data:`SHAPE_COLUMNS` plus runtime_cycles, energy_nJ, as shared) and ``layers_alone``
    (the same shapes, each in a MAESTRO process of its own: kcp energies free of the preceding
    layer's influence, README.md)."""

    cells: list
    networks: pd.DataFrame
    layers: pd.DataFrame
    layers_alone: pd.DataFrame


def load_reference(cells_json: Path, networks_csv: Path, layers_csv: Path,
                   layers_alone_csv: Path = HERE / "golden_layers_alone.csv") -> Reference:
    """``layers_alone_csv``: the shapes costed one MAESTRO process each (``run_maestro.py``)."""
    data = json.loads(Path(cells_json).read_text())
    cells = [(d["name"], genotype_to_genome(d)) for d in data]
    return Reference(cells, pd.read_csv(networks_csv), pd.read_csv(layers_csv), pd.read_csv(layers_alone_csv))


def shared_reference(directory: Path = SHARED) -> Reference:
    """The 200 networks of ``../shared/data/maestro-nb301``."""
    d = Path(directory)
    return load_reference(d / "nb301_cells_200.json", d / "maestro_nb301_networks_200.csv",
                          d / "maestro_nb301_layer_shapes.csv")


def golden_reference(directory: Path = HERE) -> Reference:
    """The golden subset kept in the repository (``make_golden.py`` writes it)."""
    d = Path(directory)
    return load_reference(d / "golden_cells.json", d / "golden_networks.csv", d / "golden_layers.csv")


def maestro_convention(layers: np.ndarray) -> np.ndarray:
    """The rows MAESTRO was given, in MAESTRO's conventions: conv, depthwise and linear rows only
    (pools, identities and the global pool cost nothing there), dilation 1 with the padding that
    keeps the output size (MAESTRO has no dilation; a dilation-2 k x k conv with pad k - 1 becomes
    a k x k conv with pad (k - 1) / 2)."""
    L = layers[np.isin(layers["op"], MAC_OPS)].copy()
    shrink = (L["dilation"].astype(np.int64) - 1) * (L["R"] - 1)
    if np.any(shrink % 2) or np.any(L["R"] != L["S"]):
        raise ValueError("cannot drop the dilation of an odd-sized reduction or a non-square kernel")
    pad = L["pad"] - shrink // 2
    before = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
    after = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], pad, 1)
    if np.any(pad < 0) or np.any(before != after):
        raise ValueError("dropping the dilation changed an output size")
    L["pad"] = pad
    L["dilation"] = 1
    return L


def maestro_shapes(layers: np.ndarray) -> pd.DataFrame:
    """MAESTRO's description of each row (:data:`SHAPE_COLUMNS`): depthwise layers are DSCONV with
    K = 1, everything else a CONV (the classifier a 1x1 conv on a 1x1 input); Y, X padded."""
    dw = layers["op"] == OP_DWCONV
    return pd.DataFrame({
        "type": np.where(dw, "DSCONV", "CONV"), "K": np.where(dw, 1, layers["K"]), "C": layers["C"],
        "R": layers["R"], "S": layers["S"], "Y_in_padded": layers["Y"] + 2 * layers["pad"],
        "X_in_padded": layers["X"] + 2 * layers["pad"], "stride": layers["stride"]}).astype(
        {c: np.int64 for c in SHAPE_COLUMNS[1:]})


@dataclass(frozen=True)
class Prepared:
    """Networks built once: ``shapes`` (our distinct MAESTRO-convention shapes, LAYER_DTYPE),
    ``counts`` (n_cells, n_shapes), ``maestro_layer`` (MAESTRO's layer id of each shape) and
    ``n_layers`` (conv-like layers per network)."""

    reference: Reference
    shapes: np.ndarray
    counts: np.ndarray
    maestro_layer: np.ndarray
    n_layers: np.ndarray

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.reference.cells]


def prepare(ref: Reference) -> Prepared:
    """Build every network, convert it to MAESTRO's convention and match its shapes to MAESTRO's
    layer table; :class:`ValueError` if any of our shapes is not one of MAESTRO's."""
    tables = [maestro_convention(cell_network(g, "nb301").layers) for _, g in ref.cells]
    shapes, counts = unique_across(tables)
    ours = maestro_shapes(shapes)
    theirs = ref.layers.drop_duplicates("layer").set_index(SHAPE_COLUMNS)["layer"]
    keys = list(ours.itertuples(index=False, name=None))
    missing = [k for k in keys if k not in theirs.index]
    if missing:
        raise ValueError(f"{len(missing)} of our {len(keys)} MAESTRO-convention shapes are not in MAESTRO's "
                         f"layer table, e.g. {dict(zip(SHAPE_COLUMNS, missing[0]))}")
    layer_ids = np.array([theirs[k] for k in keys])
    return Prepared(ref, shapes, counts, layer_ids, np.array([len(t) for t in tables]))


def check_against_maestro(prep: Prepared, *, rtol: float = 1e-6) -> pd.DataFrame:
    """Check the MAESTRO-convention networks are exactly what MAESTRO costed: per network the
    number of conv-like layers equals ``n_layers_expected`` and, in every setting, ``counts @
    MAESTRO's per-layer runtime`` reproduces MAESTRO's network runtime (:class:`ValueError` naming
    the first mismatch otherwise). Energy is only reported: one row per setting with the worst
    relative error of the per-layer sum against MAESTRO's network energy (MAESTRO's kcp network
    energies depend on the preceding layer, README.md)."""
    net = prep.reference.networks
    expected = net.drop_duplicates("cell").set_index("cell")["n_layers_expected"].reindex(prep.names)
    bad = np.flatnonzero(expected.to_numpy() != prep.n_layers)
    if len(bad):
        i = bad[0]
        raise ValueError(f"{len(bad)} networks have a different conv-like layer count than MAESTRO's inputs, e.g. "
                         f"{prep.names[i]}: ours {prep.n_layers[i]}, MAESTRO {expected.iloc[i]}")
    rows = []
    for (df, pes), mine in net.groupby(["dataflow", "num_pes"]):
        mine = mine.set_index("cell").reindex(prep.names)
        per_layer = _maestro_layer_costs(prep, df, pes)
        err = {col: np.abs(prep.counts @ per_layer[col].to_numpy() / mine[col].to_numpy() - 1.0)
               for col in ("runtime_cycles", "energy_nJ")}
        if err["runtime_cycles"].max() > rtol:
            i = int(err["runtime_cycles"].argmax())
            raise ValueError(f"{df} {pes} PEs: counts x MAESTRO's per-layer runtime misses the network total by "
                             f"{err['runtime_cycles'][i]:.2e} ({prep.names[i]}): the shape mapping is off")
        rows.append(dict(maestro_dataflow=df, num_pes=pes, runtime_max_rel_error=err["runtime_cycles"].max(),
                         energy_max_rel_error=err["energy_nJ"].max(),
                         energy_networks_off=int((err["energy_nJ"] > rtol).sum())))
    return pd.DataFrame(rows)


def shape_match(prep: Prepared) -> dict:
    """How our distinct MAESTRO-convention shapes meet MAESTRO's layer table (:func:`prepare`
    already failed if one of ours is not in it)."""
    theirs = prep.reference.layers["layer"].unique()
    return {"our_shapes": len(prep.shapes), "maestro_shapes": len(theirs),
            "matched": int(len(np.unique(prep.maestro_layer))),
            "maestro_unmatched": sorted(set(theirs) - set(prep.maestro_layer))}


def _maestro_layer_costs(prep: Prepared, dataflow: str, num_pes: int, *, alone: bool = False) -> pd.DataFrame:
    """MAESTRO's per-layer rows for one setting, in the order of ``prep.shapes`` (``alone``: from
    ``layers_alone``)."""
    L = prep.reference.layers_alone if alone else prep.reference.layers
    rows = L[(L["dataflow"] == dataflow) & (L["num_pes"] == num_pes)].set_index("layer")
    return rows.loc[prep.maestro_layer]


def array_shape(dataflow: str, num_pes: int, shape: str) -> tuple[int, int]:
    """(rows, cols) for a MAESTRO PE count. ``square``: sqrt(P) x sqrt(P). ``maestro``: the array
    MAESTRO's directives actually form: kcp puts K over P / cl clusters and C over the cl =
    min(64, P) PEs of a cluster (rows = K, cols = C in our nvdla); xp maps output columns over a
    1-D array of P PEs (1 x P in our shidiannao, whose rows are output rows)."""
    if shape == "square":
        side = int(round(num_pes ** 0.5))
        if side * side != num_pes:
            raise ValueError(f"{num_pes} PEs is not a square array")
        return side, side
    if shape == "maestro":
        if dataflow == "kcp":
            cl = min(64, num_pes)
            return num_pes // cl, cl
        return 1, num_pes
    raise ValueError(f"unknown array shape {shape!r}; allowed: {list(ARRAY_SHAPES)}")


def design_for(dataflow: str, num_pes: int, *, regime: str = "compute", shape: str = "square") -> dict:
    """Our design dict for a MAESTRO setting (see :data:`BUFFERS`, :data:`REGIMES`, :data:`MAPPING`)."""
    rows, cols = array_shape(dataflow, num_pes, shape)
    return dict(dataflow=DATAFLOW_FOR[dataflow], array_rows=rows, array_cols=cols, **BUFFERS, **REGIMES[regime],
                **MAPPING)


def layer_table(prep: Prepared, dataflow: str, num_pes: int, *, regime: str = "compute",
                shape: str = "square") -> pd.DataFrame:
    """MAESTRO's distinct shapes in one setting, ours beside MAESTRO's: compute and latency cycles,
    energy (ours in nJ), their ratios, and the instances over all the networks (``net_count``)."""
    design = design_for(dataflow, num_pes, regime=regime, shape=shape)
    res = dataflow_cost(design_array(design), prep.shapes, np.ones(len(prep.shapes)))
    theirs = _maestro_layer_costs(prep, dataflow, num_pes)
    first = np.unique(prep.maestro_layer, return_index=True)[1]
    t = maestro_shapes(prep.shapes).assign(
        layer=prep.maestro_layer, compute_cycles=res.layer("compute_cycles")[0],
        latency_cycles=res.layer("latency_cycles")[0], maestro_runtime_cycles=theirs["runtime_cycles"].to_numpy(),
        energy_nJ=res.layer("energy_pj")[0] / 1e3, maestro_energy_nJ=theirs["energy_nJ"].to_numpy(),
        net_count=prep.counts.sum(axis=0)).iloc[first]
    t["latency_ratio"] = t["latency_cycles"] / t["maestro_runtime_cycles"]
    t["energy_ratio"] = t["energy_nJ"] / t["maestro_energy_nJ"]
    return t.set_index("layer").sort_index(key=lambda ix: ix.str[1:].astype(int))


def _compute_bound_share(res, design: dict, shapes: np.ndarray) -> float:
    """Share of the given shapes whose compute cycles are at least every transfer time on our model
    (NoC in, NoC out, DRAM): the regime MAESTRO's runtimes are in."""
    noc, off = design["noc_bytes_per_cycle"], design["offchip_bytes_per_cycle"]
    transfer = np.maximum.reduce([res.layer("noc_in_bytes")[0] / noc, res.layer("noc_out_bytes")[0] / noc,
                                  res.layer("dram_bytes")[0] / off])
    return float(np.mean(res.layer("compute_cycles")[0][shapes] >= transfer[shapes]))


def _rank(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    return float(spearmanr(a, b).statistic), float(kendalltau(a, b).statistic)


def _one_setting(prep: Prepared, dataflow: str, num_pes: int, regime: str, shape: str) -> tuple[dict, pd.DataFrame]:
    """One agreement row and the per-network frame of one setting."""
    design = design_for(dataflow, num_pes, regime=regime, shape=shape)
    n = len(prep.names)
    res = dataflow_cost(np.repeat(design_array(design), n, axis=0), prep.shapes, prep.counts)
    lat_layer, e_layer = res.layer("latency_cycles")[0], res.layer("energy_pj")[0]
    onchip_layer = res.layer("e_l1_pj")[0] + res.layer("e_l2_pj")[0]
    theirs = _maestro_layer_costs(prep, dataflow, num_pes)
    alone = _maestro_layer_costs(prep, dataflow, num_pes, alone=True)
    net = prep.reference.networks
    net = net[(net["dataflow"] == dataflow) & (net["num_pes"] == num_pes)].set_index("cell").reindex(prep.names)
    m_lat, m_e = net["runtime_cycles"].to_numpy(), net["energy_nJ"].to_numpy()
    dw = prep.shapes["op"] == OP_DWCONV
    dw_ours = (prep.counts[:, dw] @ lat_layer[dw]) / res.latency_cycles
    dw_theirs = (prep.counts[:, dw] @ theirs["runtime_cycles"].to_numpy()[dw]) / m_lat
    # the 25 shapes once each (duplicated rows of one MAESTRO layer would weigh twice)
    first = np.unique(prep.maestro_layer, return_index=True)[1]
    sp_lat, kt_lat = _rank(res.latency_cycles, m_lat)
    sp_e, kt_e = _rank(res.energy_pj, m_e)
    row = dict(
        maestro_dataflow=dataflow, dataflow=design["dataflow"], num_pes=num_pes, array_rows=design["array_rows"],
        array_cols=design["array_cols"], regime=regime, array_shape=shape, n_networks=n,
        spearman_latency=sp_lat, kendall_latency=kt_lat, spearman_energy=sp_e, kendall_energy=kt_e,
        spearman_energy_onchip=_rank(prep.counts @ onchip_layer, m_e)[0],
        spearman_energy_alone=_rank(res.energy_pj, prep.counts @ alone["energy_nJ"].to_numpy())[0],
        layer_spearman_latency=_rank(lat_layer[first], theirs["runtime_cycles"].to_numpy()[first])[0],
        layer_spearman_energy=_rank(e_layer[first], theirs["energy_nJ"].to_numpy()[first])[0],
        layer_spearman_energy_alone=_rank(e_layer[first], alone["energy_nJ"].to_numpy()[first])[0],
        n_layer_shapes=len(first),
        ratio_latency_median=float(np.median(res.latency_cycles / m_lat)),
        ratio_energy_median=float(np.median(res.energy_pj / 1e3 / m_e)),
        dw_share_ours=float(np.median(dw_ours)), dw_share_maestro=float(np.median(dw_theirs)),
        compute_bound_share=_compute_bound_share(res, design, first),
        max_buffer_violation=float(res.buffer_violation.max()))
    per_net = pd.DataFrame({"cell": prep.names, "maestro_dataflow": dataflow, "dataflow": design["dataflow"],
                            "num_pes": num_pes, "regime": regime, "array_shape": shape,
                            "latency_cycles": res.latency_cycles, "energy_pj": res.energy_pj,
                            "maestro_runtime_cycles": m_lat, "maestro_energy_nJ": m_e,
                            "dw_share_ours": dw_ours, "dw_share_maestro": dw_theirs})
    return row, per_net


def agreement(prep: Prepared | Reference, *, regimes=("compute",), shapes=("square",),
              dataflows=tuple(DATAFLOW_FOR), num_pes=NUM_PES, per_network: bool = False):
    """One row per (regime, array shape, dataflow, PE count) as a tidy frame:

    * ``spearman_latency`` / ``kendall_latency``, ``spearman_energy`` / ``kendall_energy``: our
      network latency (cycles) and energy against MAESTRO's ``runtime_cycles`` / ``energy_nJ`` over
      the networks; ``spearman_energy_onchip``: our L1 + L2 energy only (MAESTRO's CSV energy has no
      MAC or DRAM term); ``spearman_energy_alone``: against MAESTRO's per-layer energies, each layer
      costed alone, x counts (its kcp network energies also depend on each layer's predecessor);
    * ``layer_spearman_latency`` / ``layer_spearman_energy`` (``_alone``): over MAESTRO's distinct
      shapes, once each;
    * ``ratio_latency_median`` / ``ratio_energy_median``: ours / MAESTRO (cycles; energy in nJ);
    * ``dw_share_ours`` / ``dw_share_maestro``: median share of network latency in depthwise layers;
    * ``compute_bound_share``: shapes whose compute cycles are at least every transfer time on our
      model; ``max_buffer_violation``: it changes neither latency nor energy.

    ``prep`` from :func:`prepare` (or a :class:`Reference`, prepared here); ``per_network=True``
    also returns the per-network frame (ours and MAESTRO's latency, energy, depthwise shares)."""
    if isinstance(prep, Reference):
        prep = prepare(prep)
    rows, nets = [], []
    for regime in regimes:
        for shape in shapes:
            for df in dataflows:
                for pes in num_pes:
                    row, per_net = _one_setting(prep, df, pes, regime, shape)
                    rows.append(row)
                    nets.append(per_net)
    table = pd.DataFrame(rows)
    return (table, pd.concat(nets, ignore_index=True)) if per_network else table

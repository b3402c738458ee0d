"""Rank agreement of our PE-array model with MAESTRO on NB301-protocol networks (importable part).

The MAESTRO numbers (``../shared/data/maestro-nb301``, or the golden subset beside this file, and
the per-layer runs ``golden_layers_alone.csv`` / ``golden_layers_square.csv`` made by
``run_maestro.py``) come from MAESTRO ``maestro-project/maestro`` at commit ``4eb08d1``;
``README.md`` here says how. This module rebuilds each network the way MAESTRO saw it
(:func:`maestro_convention`), checks that the layer shapes and counts reproduce MAESTRO's inputs
exactly and that its printed network energies are its layers' access counts with the preceding
layer's L1 part (:func:`check_against_maestro`), costs the networks on
:func:`evo_codesign.cost.dataflow.dataflow_cost` and returns one tidy row per (regime, array shape,
dataflow, PE count) setting (:func:`agreement`). ``compare.py`` prints it; ``python
benchmarks/maestro/agreement.py`` prints the primary rows only.
"""

from __future__ import annotations

import json
import sys
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
#: Bandwidth regimes (bytes per cycle; int8, so bytes = MAESTRO's elements). ``maestro`` (the
#: primary one): the hardware file MAESTRO ran with (``noc_bw_cstr 1000``, ``offchip_bw_cstr 50``,
#: which MAESTRO's runtime does depend on: ``golden_offchip_sweep.csv``) and MAESTRO's step-by-step
#: off-chip timing (:data:`REGIME_CONSTANTS`). ``provenance``: the same bandwidths in our own
#: timing. ``compute``: NoC 1024 and off-chip 2^20, our own timing compute-bound.
REGIMES = {"maestro": dict(noc_bytes_per_cycle=1000, offchip_bytes_per_cycle=50),
           "provenance": dict(noc_bytes_per_cycle=1000, offchip_bytes_per_cycle=50),
           "compute": dict(noc_bytes_per_cycle=1024, offchip_bytes_per_cycle=1 << 20)}
#: constant overrides per regime: ``maestro`` times every array step as MAESTRO's top cluster level does
REGIME_CONSTANTS = {"maestro": {"offchip_step_staging": 1.0}}
#: MAESTRO's loop order is K, C, Y, X outermost first in both dataflows; tiles at the space's maxima.
MAPPING = dict(order_K=3, order_C=2, order_Y=1, order_X=0, tile_K=64, tile_C=64, tile_Y=32, tile_X=32)
#: ``maestro``: the arrays PROVENANCE.md's directives form (the shared 200 networks' settings);
#: ``square``: sqrt(P) x sqrt(P), against MAESTRO run on the same square clusters
#: (``golden_layers_square.csv``: KC-P with sqrt(P) clusters, ShiDianNao-like YX-P)
ARRAY_SHAPES = ("maestro", "square")


@dataclass(frozen=True)
class Reference:
    """MAESTRO's numbers: ``cells`` [(name, genome)], ``networks`` (one row per cell x dataflow x
    num_pes: runtime_cycles, energy_nJ, n_layers_expected), ``layers`` (the distinct shapes x
    settings, :data:`SHAPE_COLUMNS` plus runtime_cycles, energy_nJ, as shared), ``layers_alone``
    (the same shapes, each in a MAESTRO process of its own, with per-level access counts and the
    energies ``energy_l1_nJ``, ``energy_l2_nJ``, ``energy_complete_nJ``, README.md) and
    ``layers_square`` (the same, run on square clusters)."""

    cells: list
    networks: pd.DataFrame
    layers: pd.DataFrame
    layers_alone: pd.DataFrame
    layers_square: pd.DataFrame


def _read(path: Path, what: str) -> pd.DataFrame:
    if not Path(path).exists():
        raise FileNotFoundError(f"{what} not found: {path} (run_maestro.py writes it)")
    return pd.read_csv(path)


def load_reference(cells_json: Path, networks_csv: Path, layers_csv: Path,
                   layers_alone_csv: Path = HERE / "golden_layers_alone.csv",
                   layers_square_csv: Path = HERE / "golden_layers_square.csv") -> Reference:
    """``layers_alone_csv`` / ``layers_square_csv``: the shapes costed one MAESTRO process each
    (``run_maestro.py``) on MAESTRO's arrays and on square ones."""
    data = json.loads(Path(cells_json).read_text())
    cells = [(d["name"], genotype_to_genome(d)) for d in data]
    return Reference(cells, pd.read_csv(networks_csv), pd.read_csv(layers_csv),
                     _read(layers_alone_csv, "MAESTRO's layers costed alone"),
                     _read(layers_square_csv, "MAESTRO's layers on square arrays"))


def shared_reference(directory: Path = SHARED) -> Reference:
    """The 200 networks of ``../shared/data/maestro-nb301``."""
    d = Path(directory)
    return load_reference(d / "nb301_cells_200.json", d / "maestro_nb301_networks_200.csv",
                          d / "maestro_nb301_layer_shapes.csv")


def golden_reference(directory: Path = HERE) -> Reference:
    """The golden subset kept in the repository (``make_golden.py`` writes it)."""
    d = Path(directory)
    return load_reference(d / "golden_cells.json", d / "golden_networks.csv", d / "golden_layers.csv",
                          d / "golden_layers_alone.csv", d / "golden_layers_square.csv")


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
    ``counts`` (n_cells, n_shapes), ``maestro_layer`` (MAESTRO's layer id of each shape),
    ``n_layers`` (conv-like layers per network) and ``sequences`` (per network, MAESTRO's layer ids
    in the order the network runs them)."""

    reference: Reference
    shapes: np.ndarray
    counts: np.ndarray
    maestro_layer: np.ndarray
    n_layers: np.ndarray
    sequences: tuple

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
    sequences = tuple(np.array([theirs[k] for k in maestro_shapes(t).itertuples(index=False, name=None)])
                      for t in tables)
    return Prepared(ref, shapes, counts, layer_ids, np.array([len(t) for t in tables]), sequences)


def printed_network_energy(prep: Prepared, dataflow: str, num_pes: int) -> np.ndarray:
    """MAESTRO's printed network energy (nJ) rebuilt from its layers costed alone: each layer's L2
    part plus an L1 part that, for a layer with more than one cluster level (kcp CONV: ``Cluster``),
    is the one the *preceding* layer left behind (zero before the first), and the layer's own
    otherwise. ``API_user-interface-v2.hpp`` (4eb08d1) reads the L1 counts at the last cluster
    result of a layer and adds them at its first, which for a multi-level layer comes before."""
    alone = _maestro_layer_costs(prep, dataflow, num_pes, source="alone").drop_duplicates("layer").set_index("layer")
    pos = {lid: i for i, lid in enumerate(alone.index)}
    l1, l2 = alone["energy_l1_nJ"].to_numpy(), alone["energy_l2_nJ"].to_numpy()
    clustered = (alone["type"] == "CONV").to_numpy() & (dataflow == "kcp")
    out = np.empty(len(prep.sequences))
    for n, seq in enumerate(prep.sequences):
        i = np.array([pos[lid] for lid in seq])
        before = np.concatenate([[0.0], l1[i[:-1]]])  # what the preceding layer left; zero before the first
        out[n] = l2[i].sum() + np.where(clustered[i], before, l1[i]).sum()
    return out


def check_against_maestro(prep: Prepared, *, rtol: float = 1e-6) -> pd.DataFrame:
    """Check the MAESTRO-convention networks are exactly what MAESTRO costed: per network the
    number of conv-like layers equals ``n_layers_expected`` and, in every setting, ``counts @
    MAESTRO's per-layer runtime`` reproduces MAESTRO's network runtime (:class:`ValueError` naming
    the first mismatch otherwise). Energy is reported: one row per setting with the worst relative
    error against MAESTRO's network energy of ``counts @`` its shared per-layer energies
    (``energy_max_rel_error``; kcp is off because of MAESTRO's order effect) and of
    :func:`printed_network_energy` (``energy_rebuilt_max_rel_error``: the order effect explained)."""
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
        rebuilt = np.abs(printed_network_energy(prep, df, pes) / mine["energy_nJ"].to_numpy() - 1.0)
        rows.append(dict(maestro_dataflow=df, num_pes=pes, runtime_max_rel_error=err["runtime_cycles"].max(),
                         energy_max_rel_error=err["energy_nJ"].max(),
                         energy_networks_off=int((err["energy_nJ"] > rtol).sum()),
                         energy_rebuilt_max_rel_error=rebuilt.max()))
    return pd.DataFrame(rows)


def shape_match(prep: Prepared) -> dict:
    """How our distinct MAESTRO-convention shapes meet MAESTRO's layer table (:func:`prepare`
    already failed if one of ours is not in it)."""
    theirs = prep.reference.layers["layer"].unique()
    return {"our_shapes": len(prep.shapes), "maestro_shapes": len(theirs),
            "matched": int(len(np.unique(prep.maestro_layer))),
            "maestro_unmatched": sorted(set(theirs) - set(prep.maestro_layer))}


def _maestro_layer_costs(prep: Prepared, dataflow: str, num_pes: int, *, source: str = "shared") -> pd.DataFrame:
    """MAESTRO's per-layer rows for one setting, in the order of ``prep.shapes``. ``source``:
    ``shared`` (the shared table, made as one file), ``alone`` (each layer in a process of its
    own, MAESTRO's arrays) or ``square`` (the same on square clusters)."""
    L = {"shared": prep.reference.layers, "alone": prep.reference.layers_alone,
         "square": prep.reference.layers_square}[source]
    rows = L[(L["dataflow"] == dataflow) & (L["num_pes"] == num_pes)].set_index("layer")
    missing = sorted(set(prep.maestro_layer) - set(rows.index))
    if missing:
        raise ValueError(f"MAESTRO's {source} layer table has no {dataflow} {num_pes}-PE rows for {missing}")
    return rows.loc[prep.maestro_layer].reset_index()


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


def design_for(dataflow: str, num_pes: int, *, regime: str = "maestro", shape: str = "maestro") -> dict:
    """Our design dict for a MAESTRO setting (see :data:`BUFFERS`, :data:`REGIMES`, :data:`MAPPING`)."""
    rows, cols = array_shape(dataflow, num_pes, shape)
    return dict(dataflow=DATAFLOW_FOR[dataflow], array_rows=rows, array_cols=cols, **BUFFERS, **REGIMES[regime],
                **MAPPING)


def maestro_layers(prep: Prepared, dataflow: str, num_pes: int, shape: str) -> pd.DataFrame:
    """MAESTRO's per-layer ``runtime_cycles``, printed ``energy_nJ`` and ``energy_complete_nJ``
    (its L1 and L2 access counts x its multipliers) for the array ``shape``, in the order of
    ``prep.shapes``: on MAESTRO's arrays the shared table (runtimes; printed energies) and the
    layers costed alone (complete energies); on square arrays MAESTRO's square-cluster runs."""
    if shape == "square":
        return _maestro_layer_costs(prep, dataflow, num_pes, source="square")
    shared = _maestro_layer_costs(prep, dataflow, num_pes)
    alone = _maestro_layer_costs(prep, dataflow, num_pes, source="alone")
    return shared.assign(energy_complete_nJ=alone["energy_complete_nJ"].to_numpy())


def _cost(prep: Prepared, design: dict, counts: np.ndarray, regime: str):
    n = len(counts) if counts.ndim == 2 else 1
    return dataflow_cost(np.repeat(design_array(design), n, axis=0), prep.shapes, counts,
                         constants=REGIME_CONSTANTS.get(regime))


def layer_table(prep: Prepared, dataflow: str, num_pes: int, *, regime: str = "maestro",
                shape: str = "maestro") -> pd.DataFrame:
    """MAESTRO's distinct shapes in one setting, ours beside MAESTRO's: compute, staging and
    latency cycles, energy (ours in nJ, total and L1 + L2), their ratios, and the instances over
    all the networks (``net_count``)."""
    design = design_for(dataflow, num_pes, regime=regime, shape=shape)
    res = _cost(prep, design, np.ones(len(prep.shapes)), regime)
    theirs = maestro_layers(prep, dataflow, num_pes, shape)
    first = np.unique(prep.maestro_layer, return_index=True)[1]
    t = maestro_shapes(prep.shapes).assign(
        layer=prep.maestro_layer, compute_cycles=res.layer("compute_cycles")[0],
        staging_cycles=res.layer("staging_cycles")[0], latency_cycles=res.layer("latency_cycles")[0],
        maestro_runtime_cycles=theirs["runtime_cycles"].to_numpy(), energy_nJ=res.layer("energy_pj")[0] / 1e3,
        onchip_energy_nJ=(res.layer("e_l1_pj")[0] + res.layer("e_l2_pj")[0]) / 1e3,
        maestro_energy_nJ=theirs["energy_complete_nJ"].to_numpy(), net_count=prep.counts.sum(axis=0)).iloc[first]
    t["latency_ratio"] = t["latency_cycles"] / t["maestro_runtime_cycles"]
    t["energy_ratio"] = t["energy_nJ"] / t["maestro_energy_nJ"]
    return t.set_index("layer").sort_index(key=lambda ix: ix.str[1:].astype(int))


def _bound_shares(res, design: dict, shapes: np.ndarray) -> tuple[float, float]:
    """Shares of the given shapes whose latency is set by compute (at least every transfer time
    and the step staging) and by the step staging (at least compute and every transfer time)."""
    noc, off = design["noc_bytes_per_cycle"], design["offchip_bytes_per_cycle"]
    transfer = np.maximum.reduce([res.layer("noc_in_bytes")[0] / noc, res.layer("noc_out_bytes")[0] / noc,
                                  res.layer("dram_bytes")[0] / off])[shapes]
    comp, stage = res.layer("compute_cycles")[0][shapes], res.layer("staging_cycles")[0][shapes]
    return (float(np.mean((comp >= transfer) & (comp >= stage))),
            float(np.mean((stage > 0) & (stage >= comp) & (stage >= transfer))))


def _rank(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if np.isnan(b).any():
        return float("nan"), float("nan")
    return float(spearmanr(a, b).statistic), float(kendalltau(a, b).statistic)


def _one_setting(prep: Prepared, dataflow: str, num_pes: int, regime: str, shape: str) -> tuple[dict, pd.DataFrame]:
    """One agreement row and the per-network frame of one setting."""
    design = design_for(dataflow, num_pes, regime=regime, shape=shape)
    n = len(prep.names)
    res = _cost(prep, design, prep.counts, regime)
    lat_layer, e_layer = res.layer("latency_cycles")[0], res.layer("energy_pj")[0]
    onchip_layer = res.layer("e_l1_pj")[0] + res.layer("e_l2_pj")[0]
    theirs = maestro_layers(prep, dataflow, num_pes, shape)
    m_complete = prep.counts @ theirs["energy_complete_nJ"].to_numpy()
    if shape == "maestro":
        net = prep.reference.networks
        net = net[(net["dataflow"] == dataflow) & (net["num_pes"] == num_pes)].set_index("cell").reindex(prep.names)
        m_lat, m_printed = net["runtime_cycles"].to_numpy(), net["energy_nJ"].to_numpy()
    else:
        # MAESTRO's runtimes add up layer by layer (check_against_maestro); no printed network energy
        m_lat, m_printed = prep.counts @ theirs["runtime_cycles"].to_numpy(), np.full(n, np.nan)
    dw = prep.shapes["op"] == OP_DWCONV
    dw_ours = (prep.counts[:, dw] @ lat_layer[dw]) / res.latency_cycles
    dw_theirs = (prep.counts[:, dw] @ theirs["runtime_cycles"].to_numpy()[dw]) / m_lat
    # the 25 shapes once each (duplicated rows of one MAESTRO layer would weigh twice)
    first = np.unique(prep.maestro_layer, return_index=True)[1]
    sp_lat, kt_lat = _rank(res.latency_cycles, m_lat)
    sp_e, kt_e = _rank(res.energy_pj, m_complete)
    comp_share, stage_share = _bound_shares(res, design, first)
    row = dict(
        maestro_dataflow=dataflow, dataflow=design["dataflow"], num_pes=num_pes, array_rows=design["array_rows"],
        array_cols=design["array_cols"], regime=regime, array_shape=shape, n_networks=n,
        spearman_latency=sp_lat, kendall_latency=kt_lat, spearman_energy=sp_e, kendall_energy=kt_e,
        spearman_energy_onchip=_rank(prep.counts @ onchip_layer, m_complete)[0],
        spearman_energy_printed=_rank(res.energy_pj, m_printed)[0],
        maestro_energy_ceiling=_rank(m_complete, m_printed)[0],
        layer_spearman_latency=_rank(lat_layer[first], theirs["runtime_cycles"].to_numpy()[first])[0],
        layer_spearman_energy=_rank(e_layer[first], theirs["energy_complete_nJ"].to_numpy()[first])[0],
        layer_spearman_energy_onchip=_rank(onchip_layer[first], theirs["energy_complete_nJ"].to_numpy()[first])[0],
        n_layer_shapes=len(first),
        ratio_latency_median=float(np.median(res.latency_cycles / m_lat)),
        ratio_energy_median=float(np.median(res.energy_pj / 1e3 / m_complete)),
        dw_share_ours=float(np.median(dw_ours)), dw_share_maestro=float(np.median(dw_theirs)),
        compute_bound_share=comp_share, staging_bound_share=stage_share,
        max_buffer_violation=float(res.buffer_violation.max()))
    per_net = pd.DataFrame({"cell": prep.names, "maestro_dataflow": dataflow, "dataflow": design["dataflow"],
                            "num_pes": num_pes, "regime": regime, "array_shape": shape,
                            "latency_cycles": res.latency_cycles, "energy_pj": res.energy_pj,
                            "maestro_runtime_cycles": m_lat, "maestro_energy_complete_nJ": m_complete,
                            "maestro_energy_printed_nJ": m_printed,
                            "dw_share_ours": dw_ours, "dw_share_maestro": dw_theirs})
    return row, per_net


def agreement(prep: Prepared | Reference, *, regimes=("maestro",), shapes=ARRAY_SHAPES,
              dataflows=tuple(DATAFLOW_FOR), num_pes=NUM_PES, per_network: bool = False):
    """One row per (regime, array shape, dataflow, PE count) as a tidy frame:

    * ``spearman_latency`` / ``kendall_latency``: our network latency (cycles) against MAESTRO's
      ``runtime_cycles`` over the networks (square arrays: ``counts @`` MAESTRO's per-layer
      runtimes on square clusters, which is how its network runtimes add up);
    * ``spearman_energy`` / ``kendall_energy``: our energy (pJ) against MAESTRO's complete energy
      (its L1 and L2 access counts of each layer x its multipliers, ``counts @``);
      ``spearman_energy_onchip``: our L1 + L2 energy only (MAESTRO has no MAC or DRAM term);
      ``spearman_energy_printed``: against MAESTRO's printed network totals (MAESTRO's arrays only),
      whose kcp values carry the preceding layer's L1 part (:func:`printed_network_energy`);
      ``maestro_energy_ceiling``: MAESTRO's own complete energy against those printed totals;
    * ``layer_spearman_latency`` / ``layer_spearman_energy`` (``_onchip``): over MAESTRO's
      distinct shapes, once each, energy against the complete per-layer energies;
    * ``ratio_latency_median`` / ``ratio_energy_median``: ours / MAESTRO (cycles; energy in nJ vs
      complete);
    * ``dw_share_ours`` / ``dw_share_maestro``: median share of network latency in depthwise layers;
    * ``compute_bound_share`` / ``staging_bound_share``: shapes whose latency our model sets by
      compute / by the step staging; ``max_buffer_violation``: it changes neither latency nor energy.

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


def main(argv=None) -> int:
    """Print the primary rows (MAESTRO's timing and bandwidths, both array shapes) as a table."""
    ref = shared_reference() if (SHARED / "maestro_nb301_networks_200.csv").exists() else golden_reference()
    table = agreement(ref)
    cols = ["array_shape", "maestro_dataflow", "dataflow", "num_pes", "array_rows", "array_cols", "spearman_latency",
            "spearman_energy", "layer_spearman_latency", "ratio_latency_median", "dw_share_ours", "dw_share_maestro"]
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(f"{len(ref.cells)} networks, regime 'maestro'")
        print(table[cols].to_string(index=False, float_format="{:.3f}".format))
    return 0


if __name__ == "__main__":
    sys.exit(main())

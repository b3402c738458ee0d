"""Embeddings (restricted phase spaces) and exact reference fronts of enumerable spaces."""

import numpy as np
import pandas as pd
import pytest

from evo_codesign.compare import compare
from evo_codesign.config import load_config
from evo_codesign.metrics import nondominated
from evo_codesign.search import space_for
from evo_codesign.space.base import GenomeError
from evo_codesign.strategies import Embedding, run_strategy
from evo_codesign.strategies.reference import exact_front, reference_space

CFG = load_config(overrides={"seed": 4, "space.hardware": "dataflow", "search.pop_size": 20, "search.budget": 300})
GRID = {"accelerator.dataflow": ["nvdla", "eyeriss_rs", "systolic_ws"], "accelerator.array_rows": [4, 16],
        "accelerator.array_cols": [4, 16], "accelerator.l2_kib": [64, 512]}


@pytest.fixture(scope="module")
def small():
    E = reference_space(CFG, n_cells=40, grid=GRID, seed=1)
    return E, exact_front(CFG, E, chunk=97)


def test_reference_space_is_what_it_says(small):
    E, _ = small
    assert E.size() == 40 * 3 * 2 * 2 * 2
    base = E.expand(E.enumerate())
    assert space_for(CFG).is_valid(base).all()
    acc = space_for(CFG).split(base)["accelerator"]
    seg = space_for(CFG)["accelerator"]
    rows = np.array(seg.gene("array_rows").choices)[acc[:, seg.position("array_rows")]]
    assert set(rows) == {4, 16}
    # genes outside the grid sit at the middle of their range in every design
    mid = (seg.xl + seg.xu) // 2
    assert (acc[:, seg.position("tile_Y")] == mid[seg.position("tile_Y")]).all()
    assert len(np.unique(base[:, :32], axis=0)) == 40  # distinct cells


def test_exact_front_matches_brute_force(small):
    E, ex = small
    from evo_codesign.evaluate import build_evaluator
    b = build_evaluator(CFG, E.base)(E.expand(E.enumerate()))
    ok = (b.G <= 0).all(axis=1)
    F = b.F[ok]
    brute = np.unique(F[nondominated(F)], axis=0)
    assert np.array_equal(np.unique(ex.F, axis=0), brute)
    assert ex.n_designs == E.size() and ex.n_feasible == ok.sum()
    other = exact_front(CFG, E, chunk=50, n_jobs=2)  # chunking and threads do not change the result
    assert np.array_equal(other.F, ex.F) and np.array_equal(other.X, ex.X) and other.n_feasible == ex.n_feasible


def test_strategies_search_the_reference_space_and_never_beat_the_exact_front(small, tmp_path):
    E, ex = small
    per_run, curves, fronts = compare(CFG, tmp_path, repeats=1, embedding=E, reference_F=ex.F)
    assert (per_run["hv"] <= 1 + 1e-9).all() and (per_run["hv"] > 0.3).all()
    for s, f in fronts.groupby("strategy"):
        X = f[[c for c in f.columns if c.startswith("x_")]].to_numpy()
        cells = {tuple(r) for r in E.part("arch").segment.rows}
        assert all(tuple(r) in cells for r in X[:, :32]), s
        F = f[[c for c in f.columns if c.startswith("f_")]].to_numpy() * np.array([-1, 1, 1, 1])
        for p in F:  # nothing beats the exact front
            assert (ex.F <= p + 1e-9).all(axis=1).any(), s


def test_a_search_of_an_exhaustible_space_stops_and_agrees_with_the_exact_front(tmp_path):
    E = reference_space(CFG, n_cells=5, grid={"accelerator.dataflow": ["nvdla", "eyeriss_rs"],
                                              "accelerator.array_rows": [4, 16]}, seed=2)
    ex = exact_front(CFG, E)
    cfg = load_config(overrides={"seed": 1, "space.hardware": "dataflow", "search.pop_size": 8,
                                 "search.budget": 1000})
    r = run_strategy("coupled", cfg, 1, tmp_path, embedding=E)  # more budget than designs: stops when stalled
    assert E.size() == 20 and r.evaluations <= 20
    for f in r.F:  # every point the search keeps is weakly dominated by the exact front
        assert (ex.F <= f + 1e-12).all(axis=1).any()
    if r.evaluations == 20:  # it saw every design: its log's non-dominated set is the exact front
        from evo_codesign.io.history import evaluation_log
        log, _ = evaluation_log(r.final_run)
        F = log[log.feasible][[c for c in log.columns if c.startswith("f_")]].to_numpy()
        assert np.array_equal(np.unique(F[nondominated(F)], axis=0), ex.F)


def test_embedding_errors_name_the_problem():
    base = space_for(CFG)
    E = Embedding.identity(base)
    with pytest.raises(GenomeError, match="accelerator.bogus"):
        E.restricted({"accelerator.bogus": [1]})
    with pytest.raises(GenomeError, match="array_rows"):
        E.restricted({"accelerator.array_rows": [3]})
    with pytest.raises(ValueError, match="too many"):
        E.enumerate()
    with pytest.raises(ValueError, match="no default grid"):
        reference_space(load_config(overrides={"space.hardware": "hybrid"}))
    t = E.tabled("arch", E.positions_of("cell"), base["cell"].sample(np.random.default_rng(0), 3), cells=True)
    with pytest.raises(ValueError, match="table"):
        t.fixed(E.positions_of("cell")[:2], [0, 0])


def test_identity_embedding_expands_to_itself():
    base = space_for(CFG)
    X = base.sample(np.random.default_rng(3), 50)
    E = Embedding.identity(base)
    assert np.array_equal(E.expand(X), X) and E.space.gene_names == base.gene_names


def test_semi_decoupled_proxy_is_feasible_when_the_middle_is_not():
    from evo_codesign.evaluate import build_evaluator
    from evo_codesign.strategies.semi_decoupled import choose_proxy

    cfg = load_config(overrides={"space.hardware": "dataflow", "constraints.area_mm2_max": 1.0})
    E = reference_space(cfg, n_cells=20, grid={"accelerator.l2_kib": [32, 512, 2048]})
    ev = build_evaluator(cfg, E.base)
    middle = E.expand(E.middle())
    assert (ev(middle).G > 0).any()  # a 512 KiB L2 does not fit 1 mm^2, 32 KiB does
    proxy, probes = choose_proxy(E, ev, seed=1)
    cells = E.part("arch").segment.rows
    X = np.tile(proxy, (len(cells), 1))
    X[:, :32] = cells
    assert probes > 8 and ((ev(X).G <= 0).all(axis=1)).mean() > 0.5


def test_compare_command_against_the_exact_front(tmp_path, capsys):
    import json

    from evo_codesign.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 2\n[space]\nhardware = "dataflow"\n[search]\npop_size = 16\nbudget = 200\n')
    grid = tmp_path / "grid.toml"
    grid.write_text('[accelerator]\ndataflow = ["nvdla", "systolic_ws"]\narray_rows = [4, 16]\narray_cols = [4, 16]\n')
    args = ["compare", str(cfg), "--repeats", "1", "--exact-cells", "30", "--grid", str(grid), "--out", str(tmp_path / "x")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "exact front: 240 designs" in out
    ref = json.loads((tmp_path / "x" / "reference.json").read_text())
    assert ref["reference"] == "exact"
    summary = pd.read_csv(tmp_path / "x" / "summary.csv")
    assert (summary["hv_max"] <= 1 + 1e-9).all() and (tmp_path / "x" / "exact_front.csv").exists()
    # resuming reuses the enumeration (same space) and gives the same table
    stamp = (tmp_path / "x" / "exact_front.npz").stat().st_mtime_ns
    assert main(args + ["--resume"]) == 0
    assert (tmp_path / "x" / "exact_front.npz").stat().st_mtime_ns == stamp
    again = pd.read_csv(tmp_path / "x" / "summary.csv")
    assert again["hv_mean"].tolist() == summary["hv_mean"].tolist()
    assert main(["compare", str(cfg), "--grid", str(grid), "--out", str(tmp_path / "y")]) == 2


def test_default_imc_grid_enumerates():
    cfg = load_config(overrides={"space.hardware": "imc"})
    E = reference_space(cfg, n_cells=3)
    assert E.size() == 3 * 432
    ex = exact_front(cfg, E)
    assert ex.n_designs == 3 * 432 and len(ex.F) >= 1

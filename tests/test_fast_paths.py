"""The cross-product evaluation path: per-layer costs once per distinct design and shape, workload
and accuracy once per network, and the same numbers, bit for bit, as evaluating joint genomes."""

import numpy as np
import pytest

from evo_codesign.config import load_config
from evo_codesign.cost import dataflow as df
from evo_codesign.evaluate import build_evaluator
from evo_codesign.search import space_for
from evo_codesign.strategies.reference import exact_front, reference_space

DATAFLOW = load_config(overrides={"space.hardware": "dataflow"})
GRID = {"accelerator.dataflow": ["nvdla", "eyeriss_rs", "shidiannao"], "accelerator.array_rows": [4, 16],
        "accelerator.array_cols": [4, 64], "accelerator.l2_kib": [32, 512], "accelerator.tile_K": [8, 32]}


@pytest.mark.parametrize("hardware", ["dataflow", "imc", "hybrid"])
def test_a_designs_metrics_do_not_depend_on_its_batch(hardware):
    cfg = load_config(overrides={"space.hardware": hardware})
    space = space_for(cfg)
    ev = build_evaluator(cfg, space)
    X = space.sample(np.random.default_rng(3), 40)
    X = np.concatenate([X, X[:7], X[5:12]])  # repeated designs in one batch
    whole = ev.metrics(X)
    for i in (0, 13, 45):
        alone = ev.metrics(X[i:i + 1])
        for k, v in alone.items():
            assert v[0] == whole[k][i], (k, i)


def test_pair_totals_agree_with_the_per_design_kernel_weighting():
    space = space_for(DATAFLOW)
    ev = build_evaluator(DATAFLOW, space)
    X = space.sample(np.random.default_rng(0), 200)
    wl = ev.workload(X)
    c = ev.hardware_costs(X, wl)
    d = df.evaluate_designs(X[:, space.slices["accelerator"]], wl.shapes, wl.counts, workload=wl)
    for a, b in [(c.latency_ns, d.latency_ns), (c.energy_pj, d.energy_pj), (c.dram_bytes, d.dram_bytes),
                 *[(c.energy_breakdown_pj[k], d.energy_breakdown_pj[k]) for k in ("mac", "l1", "l2", "dram")]]:
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert np.array_equal(c.area_um2, d.area_um2) and np.array_equal(c.buffer_violation, d.buffer_violation)
    assert (d.buffer_violation > 0).any() and (d.buffer_violation == 0).any()  # both kinds are covered
    spilled = wl.rows(slice(None))
    spilled.live_elements = np.full_like(wl.live_elements, np.inf)  # nothing fits: every layer through DRAM
    assert (ev.hardware_costs(X, spilled).dram_bytes > c.dram_bytes).any()


def test_product_evaluation_is_bit_identical_to_joint_genomes():
    E = reference_space(DATAFLOW, n_cells=12, grid=GRID, seed=2)
    ev = build_evaluator(DATAFLOW, E.base)
    X = E.expand(E.enumerate())
    direct = ev(X)
    nets = X[:: E.size() // 12]
    hw = X[: E.size() // 12]
    prod = ev.evaluate_product(nets, hw)
    assert np.array_equal(prod.F, direct.F) and np.array_equal(prod.G, direct.G)


@pytest.mark.parametrize("hardware,grid", [("dataflow", GRID), ("imc", None)])
def test_exact_front_cross_product_equals_genome_by_genome(hardware, grid):
    cfg = load_config(overrides={"space.hardware": hardware})
    E = reference_space(cfg, n_cells=15 if hardware == "dataflow" else 4, grid=grid, seed=5)
    slow = exact_front(cfg, E, product=False, chunk=1000)
    fast = exact_front(cfg, E, chunk=3000)
    threaded = exact_front(cfg, E, chunk=500, n_jobs=2)
    for f in (fast, threaded):
        assert np.array_equal(f.F, slow.F) and np.array_equal(f.X, slow.X)
        assert f.n_feasible == slow.n_feasible and f.n_designs == slow.n_designs
    assert 0 < slow.n_feasible and len(slow.F) > 5


def test_spearman_columns_is_spearman_column_by_column():
    from evo_codesign.metrics import spearman, spearman_columns

    rng = np.random.default_rng(1)
    a = rng.random(40)
    B = np.column_stack([a + 0.3 * rng.random(40), rng.integers(0, 4, 40), np.ones(40), -a, np.round(a, 1)])
    got = spearman_columns(a, B)
    want = [spearman(a, B[:, j]) for j in range(B.shape[1])]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.isnan(got[2]) and got[3] == -1.0


def test_unique_rows_partitions_rows_as_numpy_unique_does():
    from evo_codesign.evaluate import _unique_rows

    rng = np.random.default_rng(4)
    A = rng.integers(-3, 4, (60, 5))
    A[10:20] = A[3]
    A[30] = A[59]
    first, inv = _unique_rows(A)
    _, want_first, want_inv = np.unique(A, axis=0, return_index=True, return_inverse=True)
    assert sorted(first.tolist()) == sorted(want_first.tolist())  # the same first occurrences
    np.testing.assert_array_equal(A[first][inv], A)  # each row maps to its own distinct row
    want_inv = want_inv.reshape(-1)  # the same partition of the rows, numbered otherwise
    np.testing.assert_array_equal(inv[:, None] == inv[None, :], want_inv[:, None] == want_inv[None, :])
    assert len(set(inv.tolist())) == len(first) and inv.dtype == np.int64
    f0, i0 = _unique_rows(np.zeros((4, 0), dtype=np.int64))  # no columns: one distinct (empty) row
    assert f0.tolist() == [0] and i0.tolist() == [0, 0, 0, 0]

"""Fronts list each design once (rows differing only in genes without effect are one), ``front``
prints the index ``plot --design`` draws, the Spearman heatmap has one row per distinct accelerator
labelled with who found it, and front frames flag cells outside the surrogate's training cells."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from evo_codesign.cli import main
from evo_codesign.config import load_config
from evo_codesign.evaluate import build_evaluator
from evo_codesign.io.frames import design_frame, distinct_designs
from evo_codesign.search import space_for

CFG = load_config(overrides={"seed": 4, "space.hardware": "hybrid", "search.pop_size": 20, "search.budget": 200})


def _frame(X, ev, space, **ids):
    b = ev(X)
    return design_frame(space, X, b.F, b.G, objective_names=ev.objective_names, objective_senses=ev.objective_senses,
                        constraint_names=ev.constraint_names, surrogate=ev.surrogate, **ids)


@pytest.fixture(scope="module")
def hybrid():
    space = space_for(CFG)
    return space, build_evaluator(CFG, space)


def _with_inert_copy(space, X):
    """``X`` plus a copy of its first design whose crossbar duplication differs on a sequential
    chip, where duplication has no effect (``imc.duplication``: pipelined schedules only)."""
    i_s, i_d = space.gene_names.index("imc.schedule"), space.gene_names.index("imc.duplication")
    X = X.copy()
    X[:, i_s] = 0
    assert space.decode(X[0])["imc"]["schedule"] == "sequential"
    twin = X[0].copy()
    twin[i_d] = (X[0, i_d] + 1) % (int(space.xu[i_d]) + 1)
    return np.vstack([X, twin[None]])


def test_designs_differing_only_in_an_inert_gene_count_once(hybrid):
    space, ev = hybrid
    X = _with_inert_copy(space, space.sample(np.random.default_rng(0), 6))
    frame = _frame(X, ev, space)
    f_cols = [c for c in frame if c.startswith("f_")]
    assert frame.iloc[0][f_cols].tolist() == frame.iloc[-1][f_cols].tolist()  # identical objectives
    assert frame.iloc[0]["imc.duplication"] != frame.iloc[-1]["imc.duplication"]  # a decoded difference
    out, kept = distinct_designs(frame)
    assert len(out) == 6 and kept.tolist() == [True] * 6 + [False]
    assert out["n_equivalent"].tolist() == [2, 1, 1, 1, 1, 1]
    again, _ = distinct_designs(out)  # idempotent: counts kept, not reset
    pd.testing.assert_frame_equal(again, out)
    # the same objectives with another network are two designs
    other = frame.iloc[[0]].assign(**{"cell.normal": "[]"})
    assert len(distinct_designs(pd.concat([frame.iloc[[0]], other]))[0]) == 2


def test_front_index_is_the_one_plot_draws(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('seed = 5\n[search]\npop_size = 20\nbudget = 200\n')
    run = tmp_path / "r"
    assert main(["run", str(cfg), "--out", str(run)]) == 0
    capsys.readouterr()
    front = pd.read_csv(run / "front.csv")
    assert main(["front", str(run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    head = lines[0].split()
    assert head[0] == "design" and head[1] == "f_accuracy"
    printed = {int(r.split()[0]): float(r.split()[1]) for r in lines[1:]}
    assert sorted(printed) == list(range(len(front)))  # every row once, by its front.csv position
    accs = [float(r.split()[1]) for r in lines[1:]]
    assert accs == sorted(accs, reverse=True)  # accuracy is maximised: best first
    k = int(lines[-1].split()[0])  # the last printed design, not row 0 or the last row by chance
    assert printed[k] == pytest.approx(front.loc[k, "f_accuracy"], abs=5e-3 * abs(front.loc[k, "f_accuracy"]))
    assert main(["front", str(run), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["design"] for r in rows] == list(range(len(front)))
    assert rows[k]["f_accuracy"] == front.loc[k, "f_accuracy"]
    assert main(["plot", str(run), "--out", str(tmp_path / "p"), "--design", str(k)]) == 0
    assert (tmp_path / "p" / f"design_{k}.png").exists()
    # the front carries the out-of-distribution flag of its cells
    assert {"ood", "ood_score", "n_equivalent"} <= set(front.columns)
    assert front["ood_score"].between(0, 5).all()


def test_front_csv_with_repeated_designs_is_read_once(tmp_path, hybrid):
    from evo_codesign.io.frames import read_front

    space, ev = hybrid
    X = _with_inert_copy(space, space.sample(np.random.default_rng(1), 3))
    # a front written before designs were made distinct
    _frame(X, ev, space, strategy="coupled", seed=1).to_csv(tmp_path / "front.csv", index=False)
    front = read_front(tmp_path)
    assert len(front) == 3 and front["n_equivalent"].tolist() == [2, 1, 1]


def test_heatmap_has_one_row_per_distinct_accelerator_labelled_with_finders(hybrid):
    from evo_codesign.compare import rank_matrix

    space, ev = hybrid
    X = _with_inert_copy(space, space.sample(np.random.default_rng(2), 4))
    frame = pd.concat([_frame(X[:3], ev, space, strategy="coupled", seed=1),
                       _frame(X[3:], ev, space, strategy="decoupled", seed=2)], ignore_index=True)
    M = rank_matrix(CFG, frame, n_cells=20, evaluator=ev)
    # 5 rows, 4 distinct accelerators: the inert twin of design 0 is no row of its own
    assert M.shape == (4, 4) and list(M.index) == list(M.columns)
    first = M.index[[i for i, lab in enumerate(M.index) if "coupled s1" in lab][0]]
    assert "decoupled s2" in first  # design 0 and its twin: found by both
    assert all(lab.split(":")[0] == str(k) for k, lab in enumerate(M.index))


def test_missing_values_are_compared_as_text():
    # a front read back with empty fields (a hand-edited or cut-off front.csv): missing equals missing
    frame = pd.DataFrame({"f_a": [1.0, np.nan, 1.0, np.nan], "cell.normal": ["x", None, "x", None],
                          "g_b": [0.0, 0.0, 0.0, 1.0]})
    out, keep = distinct_designs(frame)
    assert keep.tolist() == [True, True, False, True]
    assert out["n_equivalent"].tolist() == [2, 1, 1]


def test_designs_are_told_apart_as_their_values_text_tells_them_apart():
    # numbers by their bits: every NaN is one value, -0.0 is not 0.0; text missing equals missing
    frame = pd.DataFrame({"f_a": [np.nan, -np.nan, 0.0, -0.0, 0.0, 1e-300, 1e-300],
                          "g_b": np.float32([1.5, 1.5, 0.0, 0.0, 0.0, 2.0, 2.0]),
                          "cell.normal": pd.array(["x", "x", pd.NA, pd.NA, pd.NA, "y", "z"], dtype="string"),
                          "n_equivalent": [1, 2, 3, 1, 1, 1, 1]})
    out, keep = distinct_designs(frame)
    assert keep.tolist() == [True, False, True, True, False, True, True]
    assert out["n_equivalent"].tolist() == [3, 4, 1, 1, 1]
    text = frame.astype(str).fillna("nan")  # what the rule says: the same groups as the values' text
    assert (~text.drop(columns="n_equivalent").duplicated()).tolist() == keep.tolist()


@pytest.mark.parametrize("max_designs", [2, 4, 12])
def test_latency_classes_are_those_of_costing_every_pair(hybrid, max_designs):
    from evo_codesign.rank_agreement import _latency_classes

    space, ev = hybrid
    rng = np.random.default_rng(5)
    base = _with_inert_copy(space, space.sample(rng, 6))[:-1]  # sequential chips
    # twins (inert duplication gene) of the first, a middle and the last design, after all of them
    X = np.vstack([_with_inert_copy(space, base[[k]])[1:] for k in (0, 3, 5)])
    hardware = np.vstack([base, X, base[:1]])
    networks = np.repeat(hardware[:1], 7, axis=0)
    networks[:, space.slices["cell"]] = space["cell"].sample(rng, 7)
    keep, L, cls = _latency_classes(ev, networks, hardware, max_designs)
    # the reference: every pair costed, equal rows grouped (what rank_matrix did before)
    lat = ev.metrics_product(networks, hardware, keys=("latency_ms",))["latency_ms"].reshape(7, len(hardware)).T
    _, rep, inv = np.unique(lat, axis=0, return_index=True, return_inverse=True)
    ref_keep = np.sort(rep)[:max_designs]
    assert keep.tolist() == ref_keep.tolist() and np.array_equal(L, lat[ref_keep])
    inv = inv.ravel()
    for n, k in enumerate(ref_keep):
        assert np.flatnonzero(cls == n).tolist() == np.flatnonzero(inv == inv[k]).tolist()
    assert (cls[~np.isin(inv, inv[ref_keep])] >= len(keep)).all()
    assert len(np.unique(inv)) < len(hardware) - 3  # the twins share their designs' latencies
    assert len(set(cls[cls >= len(keep)].tolist())) == int((cls >= len(keep)).sum())


@pytest.mark.parametrize("value", ["\x00", "abc", "0", "1.5", ""])
def test_a_front_whose_design_counts_are_not_counts_is_refused_naming_the_column(tmp_path, value):
    from evo_codesign.errors import CorruptFileError
    from evo_codesign.io.frames import read_front

    (tmp_path / "front.csv").write_text(f"f_a,f_b,n_equivalent\n1.0,2.0,3\n2.0,1.0,{value}\n")
    with pytest.raises(CorruptFileError, match=r"front.csv: column n_equivalent holds .* in data row 2"):
        read_front(tmp_path)
    (tmp_path / "front.csv").write_text("f_a,f_b,n_equivalent\n1.0,2.0,3\n2.0,1.0,2.0\n")
    assert read_front(tmp_path)["n_equivalent"].tolist() == [3, 2]


def test_front_parquet_reads_back_as_the_frame_written(tmp_path, hybrid):
    """front.parquet (written column by column to Arrow) is the frame front.csv holds, dtypes and
    all; columns Arrow cannot take one by one (categories, mixed objects) go through pandas'
    conversion and still read back as pandas writes them."""
    pytest.importorskip("pyarrow")
    from evo_codesign.io.rundir import RunDir, parquet_bytes

    space, ev = hybrid
    frame = distinct_designs(_frame(space.sample(np.random.default_rng(3), 8), ev, space, strategy="s", seed=1))[0]
    rd = RunDir.create(tmp_path / "run", {"seed": 1})
    rd.write_front(frame)
    rd.close()
    back = pd.read_parquet(tmp_path / "run" / "front.parquet")
    pd.testing.assert_frame_equal(back, frame)
    assert {"str", "int64", "float64", "bool"} <= {str(t) for t in back.dtypes}
    odd = pd.DataFrame({"n": [1, 2], "text": ["a", None], "x": [0.5, np.nan], "kind": pd.Categorical(["u", "v"])})
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet_bytes(odd))), odd)
    none = frame.iloc[:0]  # no rows: every column keeps its dtype, text included
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet_bytes(none))), none)
    with pytest.raises(Exception, match="Could not convert"):  # what pandas' to_parquet raises too
        parquet_bytes(pd.DataFrame({"mixed": [1, "z"]}))


def test_decoded_columns_are_each_rows_own_decoding(hybrid):
    """design_frame decodes each segment once per distinct value: every row still gets what
    decoding it alone gives, a space with its own decode is asked row by row, and a bad genome is
    refused naming the segment and the joint position as before."""
    from evo_codesign.io.frames import _decoded_rows, flatten_decoded
    from evo_codesign.space.base import GenomeError
    from evo_codesign.space.joint import JointSpace

    space, _ = hybrid
    X = space.sample(np.random.default_rng(7), 12)
    X[6:] = X[:6]  # repeated designs
    X[3, space.slices["cell"]] = X[0, space.slices["cell"]]  # a cell shared by different designs
    assert _decoded_rows(space, X) == [flatten_decoded(space.decode(x)) for x in X]

    class Labelled(JointSpace):
        def decode(self, x):
            return {**super().decode(x), "label": {"name": "mine"}}

    own = Labelled(space.segments)
    assert [r["label.name"] for r in _decoded_rows(own, X[:2])] == ["mine", "mine"]
    bad = X[:2].copy()
    i = space.slices["imc"].start
    bad[1, i] = space.xu[i] + 1
    with pytest.raises(GenomeError, match=f"segment 'imc'.*genome index {i}"):
        _decoded_rows(space, bad)

"""The evaluation log's binary rows, its layouts of metric names, and logs of earlier versions."""

import json
import sqlite3

import numpy as np
import pytest

from evo_codesign.errors import CorruptFileError
from evo_codesign.io.evaluation_log import EvaluationLog, EvaluationRow
from evo_codesign.io.log_columns import metric_columns
from evo_codesign.operators import genome_key


def _arrays(n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 300, (n, 9))
    keys = [genome_key(x) for x in X]
    return keys, X, rng.random((n, 4)), rng.random((n, 1)), {"latency_ms": rng.random(n), "macs_m": rng.random(n)}


def test_rows_round_trip_exactly_and_are_compact(tmp_path):
    log = EvaluationLog(tmp_path / "e.sqlite")
    keys, X, F, G, extras = _arrays()
    assert log.append_arrays(keys, 3, X, F, G, extras) == 5
    assert log.append_arrays(keys[:2], 4, X[:2], F[:2], G[:2], extras) == 0  # keys already there are kept
    rows = EvaluationLog(tmp_path / "e.sqlite", readonly=True).rows()
    assert [r.key for r in rows] == [k.hex() for k in keys] and {r.gen for r in rows} == {3}
    assert np.array_equal([r.x for r in rows], X) and np.array_equal([r.f for r in rows], F)
    assert np.array_equal([r.g for r in rows], G)
    assert [r.extra["latency_ms"] for r in rows] == extras["latency_ms"].tolist()
    with sqlite3.connect(tmp_path / "e.sqlite") as db:
        size = db.execute("SELECT AVG(LENGTH(key) + LENGTH(x) + LENGTH(f) + LENGTH(g) + LENGTH(extra)) FROM rows")
        assert size.fetchone()[0] == 16 + 9 * 4 + 4 * 8 + 8 + 2 * 8
        assert db.execute("SELECT COUNT(*) FROM layouts").fetchone()[0] == 1  # names stored once


def test_rows_appended_as_objects_read_back_the_same(tmp_path):
    log = EvaluationLog(tmp_path / "e.sqlite")
    log.append([EvaluationRow("0a0b", 1, [1, 2], [0.5], [], {"a": 1.25}),
                EvaluationRow("0c", 1, [3, 4], [0.75], [], {"a": 2.0})])
    log.append([EvaluationRow("0d", 2, [5, 6], [1.5], [], {"note": "text", "flag": True})])  # not numeric: JSON
    rows = log.rows()
    assert [(r.key, r.gen, r.x, r.f, r.extra) for r in rows] == [
        ("0a0b", 1, [1, 2], [0.5], {"a": 1.25}), ("0c", 1, [3, 4], [0.75], {"a": 2.0}),
        ("0d", 2, [5, 6], [1.5], {"note": "text", "flag": True})]
    s = log.summary(2)
    assert s["rows"] == 3 and s["last_gen"] == 2
    log.close()
    assert EvaluationLog(tmp_path / "e.sqlite").summary(2) == s  # the digest rebuilt from the file agrees


def _old_log(path, gen=1):
    """A log in the earlier JSON text format, one row."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE evaluations (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, gen INTEGER NOT NULL, "
                   "x TEXT NOT NULL, f TEXT NOT NULL, g TEXT NOT NULL, extra TEXT NOT NULL)")
        db.execute("INSERT INTO evaluations (key, gen, x, f, g, extra) VALUES (?,?,?,?,?,?)",
                   ("ab", gen, "[1, 2]", "[0.5]", "[]", json.dumps({"m": 3.0})))
    return path


def _damaged_log(path):
    """A binary log of three rows whose second row's metrics are three bytes."""
    log = EvaluationLog(path)
    keys, X, F, G, extras = _arrays(3)
    log.append_arrays(keys, 1, X, F, G, extras)
    log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE rows SET extra = ? WHERE id = 2", (b"\x00\x01\x02",))
    return path


def test_a_log_of_an_earlier_version_is_read_and_appended_in_its_own_format(tmp_path):
    path = _old_log(tmp_path / "old.sqlite")
    log = EvaluationLog(path)
    before = log.summary(1)
    keys, X, F, G, extras = _arrays(2)
    log.append_arrays(keys, 2, X, F, G, extras)
    rows = log.rows()
    assert rows[0] == EvaluationRow("ab", 1, [1, 2], [0.5], [], {"m": 3.0})
    assert [r.key for r in rows[1:]] == [k.hex() for k in keys] and rows[2].x == X[1].tolist()
    assert log.summary(1) == before  # the old rows' digest is what an old checkpoint recorded
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"evaluations"}


def test_a_damaged_binary_row_is_named(tmp_path):
    with pytest.raises(CorruptFileError, match="row 2 is damaged"):
        EvaluationLog(_damaged_log(tmp_path / "e.sqlite")).rows()


def _columns_of_rows(rows, names):
    has = np.array([all(m in r.extra for m in names) for r in rows], dtype=bool)
    return (np.array([r.gen for r in rows], dtype=np.int64), has,
            {m: np.array([float(r.extra[m]) if h else np.nan for r, h in zip(rows, has)]) for m in names})


def _same_columns(a, b):
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2].keys() == b[2].keys()
    for m in a[2]:
        assert np.array_equal(a[2][m], b[2][m], equal_nan=True)  # bit for bit where present


def test_metric_columns_are_the_rows_extras_in_every_format(tmp_path):
    log = EvaluationLog(tmp_path / "e.sqlite")
    keys, X, F, G, extras = _arrays(6)
    log.append_arrays(keys[:3], 1, X[:3], F[:3], G[:3], {k: v[:3] for k, v in extras.items()})
    log.append_arrays(keys[3:5], 2, X[3:5], F[3:5], G[3:5], {"latency_ms": extras["latency_ms"][3:5]})  # a 2nd layout
    log.append([EvaluationRow(keys[5].hex(), 3, X[5].tolist(), F[5].tolist(), G[5].tolist(),
                              {"latency_ms": 0.25, "macs_m": 2, "note": "text"})])  # JSON metrics
    log.close()
    ro = EvaluationLog(tmp_path / "e.sqlite", readonly=True)
    rows = ro.rows()
    for names in (("latency_ms", "macs_m"), ("macs_m",), ("latency_ms",), ()):
        got = metric_columns(ro, names)
        _same_columns(got, _columns_of_rows(rows, names))
    assert metric_columns(ro, ("macs_m",))[1].tolist() == [True, True, True, False, False, True]
    assert metric_columns(EvaluationLog(tmp_path / "none.sqlite", readonly=True), ("a",))[0].shape == (0,)


def test_metric_columns_of_an_earlier_version_and_of_a_damaged_row(tmp_path):
    old = EvaluationLog(_old_log(tmp_path / "old.sqlite", gen=4), readonly=True)
    _same_columns(metric_columns(old, ("m",)), (np.array([4]), np.array([True]), {"m": np.array([3.0])}))
    with pytest.raises(CorruptFileError, match="row 2 is damaged"):
        metric_columns(EvaluationLog(_damaged_log(tmp_path / "e.sqlite"), readonly=True), ("macs_m",))


def test_a_large_generation_keeps_its_order_and_first_keys_and_the_files_digest(tmp_path):
    """400 rows in one generation: every row, in order, the later of two equal keys ignored, and
    the running digest the one the file gives."""
    keys, X, F, G, extras = _arrays(n=400, seed=3)
    keys[250] = keys[10]  # a key seen in an earlier statement of the same generation
    keys[141] = keys[140]  # and one in the same statement
    log = EvaluationLog(tmp_path / "e.sqlite")
    log.started_empty()
    assert log.append_arrays(keys, 1, X, F, G, extras) == 398
    rows = EvaluationLog(tmp_path / "e.sqlite", readonly=True).rows()
    kept = [i for i in range(400) if i not in (141, 250)]
    assert [r.key for r in rows] == [keys[i].hex() for i in kept]
    assert np.array_equal([r.x for r in rows], X[kept])
    assert log.summary(1) == EvaluationLog(tmp_path / "e.sqlite", readonly=True).summary(1)
    assert log.append_arrays(keys[:3] + [genome_key(np.arange(9))], 2, X[:4], F[:4], G[:4],
                             {k: v[:4] for k, v in extras.items()}) == 1
    assert log.summary(2) == EvaluationLog(tmp_path / "e.sqlite", readonly=True).summary(2)

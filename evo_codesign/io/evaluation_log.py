"""A run's evaluation log: ``evaluations.sqlite``, the source of truth of what a run evaluated.

One row per unique design, appended in one transaction per generation (SQLite, WAL journal), so a
``kill -9`` leaves whole, committed generations only. Rows are compact binary: the key (a 16-byte
digest of the canonical genome), the genes as little-endian int32, objectives, constraints and the
evaluator's metrics as float64 vectors, the metric names stored once (table ``layouts``); about
0.4 KB a row for the hybrid genome instead of 3.3 KB of JSON text. Logs written by earlier versions (JSON text columns,
table ``evaluations``) are read and appended to in their own format.

Durability: commits do not wait for the disk (``synchronous = NORMAL``, which in WAL mode keeps
the database consistent through a crash or power cut and loses at most the generations committed
since the last sync); :meth:`EvaluationLog.sync` makes everything committed durable and runs
before every checkpoint is written, so a checkpoint never records rows the disk might lose.

Checkpoints record a :meth:`EvaluationLog.summary` of the rows they have seen (their number, the
last generation and an order-independent digest: the sum of a 128-bit BLAKE2b hash of each row, so
it is kept up to date row by row as generations are appended); :meth:`EvaluationLog.verify` checks
the log against it on resume, so a log that was removed, emptied, truncated or edited is refused
instead of silently spending a fresh budget. SQLite errors become the package's error types
naming the file and the cause ("disk full", "damaged"); a failed commit loses only the generation
being written.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

import numpy as np

from ..errors import CorruptFileError, DiskError, EvoCodesignError, LogMismatchError, RunInUseError
from .log_format import (_F64, _I32, _MOD, _TABLE_V1, _TABLES_V2, _extras_rows, _is_number, _jsonable, _numeric_array,
                         _row_hash)

__all__ = ["EvaluationRow", "EvaluationLog", "LOG_NAME"]

LOG_NAME = "evaluations.sqlite"


@dataclass(frozen=True)
class EvaluationRow:
    """One unique design: canonical key, genes, objectives (minimisation form), constraints."""

    key: str
    gen: int
    x: Sequence[int]
    f: Sequence[float]
    g: Sequence[float]
    extra: dict


class EvaluationLog:
    """The log file of one run directory. Opened lazily; ``readonly`` never creates or changes it."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._db: sqlite3.Connection | None = None
        self._digest: dict[int, list[int]] | None = None  # gen -> [rows, hash sum]
        self._v1 = False  # a log of an earlier version (JSON text rows)
        self._layouts: dict[tuple[str, ...], int] = {}  # metric names -> layout id
        self._names: dict[int, tuple[str, ...]] = {}    # and back

    def exists(self) -> bool:
        return self.path.exists()

    # -- errors ----------------------------------------------------------------------------------
    def error(self, e: sqlite3.Error, doing: str = "read") -> EvoCodesignError:
        """An SQLite error as the package's error, naming the file and the cause."""
        msg = str(e)
        low = msg.lower()
        if "full" in low:
            return DiskError(f"cannot write {self.path}: disk full ({msg}); the generations committed before "
                             f"are kept: free space and resume")
        if "readonly" in low or "read-only" in low:
            return DiskError(f"cannot write {self.path}: read-only ({msg})")
        if "unable to open" in low:
            return DiskError(f"cannot open {self.path}: {msg} (is its folder writable and the disk not full?)")
        if "disk i/o" in low:
            return DiskError(f"cannot {doing} {self.path}: disk I/O error (is the disk full or failing?)")
        if "locked" in low or "busy" in low:
            return RunInUseError(f"{self.path} is locked by another process ({msg})")
        return CorruptFileError(f"{self.path} is damaged ({msg}): it is not a readable evaluation log")

    # -- connection ------------------------------------------------------------------------------
    def _connect(self, create: bool) -> sqlite3.Connection:
        mode = "ro" if self.readonly else ("rwc" if create else "rw")
        try:
            db = sqlite3.connect(f"file:{quote(str(self.path.resolve()))}?mode={mode}", uri=True,
                                 isolation_level=None)
        except sqlite3.Error as e:
            raise self.error(e, "open") from None
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self._v1 = "evaluations" in tables
            if not self.readonly:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # durable at sync(), before each checkpoint
                for t in ((_TABLE_V1,) if self._v1 else _TABLES_V2):
                    db.execute(t)
            if not self._v1 and (not self.readonly or "layouts" in tables):
                self._layouts = {tuple(json.loads(n)): int(i) for i, n in db.execute("SELECT id, names FROM layouts")}
                self._names = {i: n for n, i in self._layouts.items()}
        except sqlite3.Error as e:
            db.close()
            raise self.error(e, "open") from None
        except ValueError as e:
            db.close()
            raise CorruptFileError(f"{self.path} is damaged (metric names: {e})") from None
        return db

    def db(self, *, create: bool = True) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect(create)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def sync(self) -> None:
        """Make every committed row durable (a WAL checkpoint, which syncs the WAL and the
        database file); a checkpoint of the search state is written only after this."""
        if self._db is None or self.readonly:
            return
        try:
            self._db.execute("PRAGMA wal_checkpoint(FULL)").fetchall()
        except sqlite3.Error as e:
            raise self.error(e, "write") from None

    # -- contents --------------------------------------------------------------------------------
    def _raw(self, columns: str = "key, gen, x, f, g, layout, extra") -> list[tuple]:
        """Every row as stored (key, gen, x, f, g, layout, extra, or the binary format's
        ``columns``; an earlier version's log: key, gen, x, f, g, extra), in order; [] for a log
        not created yet."""
        if self._db is None and not self.exists():
            return []
        try:
            db = self.db(create=False)
            if self._v1:
                return list(db.execute("SELECT key, gen, x, f, g, extra FROM evaluations ORDER BY id"))
            return list(db.execute(f"SELECT {columns} FROM rows ORDER BY id"))
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):  # an empty database file: no row was ever committed
                return []
            raise self.error(e) from None
        except sqlite3.Error as e:
            raise self.error(e) from None

    def _decode(self, raw: tuple) -> EvaluationRow:
        if self._v1:
            k, gen, x, f, g, e = raw
            return EvaluationRow(k, int(gen), json.loads(x), json.loads(f), json.loads(g), json.loads(e))
        k, gen, x, f, g, layout, e = raw
        if layout == 0:
            extra = json.loads(bytes(e).decode("utf-8"))
        else:
            names = self._names[int(layout)]
            extra = dict(zip(names, np.frombuffer(e, dtype=_F64).tolist(), strict=True))
        return EvaluationRow(bytes(k).hex(), int(gen), np.frombuffer(x, dtype=_I32).tolist(),
                             np.frombuffer(f, dtype=_F64).tolist(), np.frombuffer(g, dtype=_F64).tolist(), extra)

    def _rebuild_digest(self, raw: Iterable[tuple]) -> None:
        table: dict[int, list[int]] = {}
        for r in raw:
            entry = table.setdefault(int(r[1]), [0, 0])
            entry[0] += 1
            entry[1] = (entry[1] + _row_hash(r)) % _MOD
        self._digest = table

    def rows(self, *, max_gen: int | None = None) -> list[EvaluationRow]:
        """Every logged row in evaluation order (``max_gen``: only generations up to it)."""
        raw = self._raw()
        self._rebuild_digest(raw)
        out = []
        for i, r in enumerate(raw, start=1):
            if max_gen is not None and r[1] > max_gen:
                continue
            out.append(self._decode_checked(r, i))
        return out

    def _decode_checked(self, raw: tuple, number: int) -> EvaluationRow:
        try:
            return self._decode(raw)
        except (ValueError, TypeError, RecursionError, KeyError, UnicodeDecodeError) as err:
            raise CorruptFileError(f"{self.path}: row {number} is damaged ({type(err).__name__}: {err})") from None

    def count(self) -> int:
        if self._db is None and not self.exists():
            return 0
        try:
            db = self.db(create=False)
            return int(db.execute(f"SELECT COUNT(*) FROM {'evaluations' if self._v1 else 'rows'}").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return 0
            raise self.error(e) from None
        except sqlite3.Error as e:
            raise self.error(e) from None

    def append(self, rows: Iterable[EvaluationRow]) -> int:
        """Append rows in one transaction (all or nothing); existing keys are kept. Returns rows added.
        A failed commit (disk full) raises :class:`DiskError`; earlier generations stay committed."""
        rows = list(rows)
        if not rows:
            return 0
        db = self.db(create=True)
        if self._v1:
            data = [(r.key, int(r.gen), json.dumps([int(v) for v in r.x]), json.dumps([float(v) for v in r.f]),
                     json.dumps([float(v) for v in r.g]), json.dumps(r.extra, default=_jsonable)) for r in rows]
            return self._insert(db, data)
        names = tuple(rows[0].extra)
        numeric = all(tuple(r.extra) == names and all(_is_number(v) for v in r.extra.values()) for r in rows)
        E = np.array([[float(v) for v in r.extra.values()] for r in rows], dtype=_F64).reshape(len(rows), len(names)) \
            if numeric else None
        return self.append_arrays([bytes.fromhex(r.key) for r in rows], [int(r.gen) for r in rows],
                                  np.array([list(r.x) for r in rows], dtype=np.int64),
                                  np.array([list(r.f) for r in rows], dtype=float).reshape(len(rows), -1),
                                  np.array([list(r.g) for r in rows], dtype=float).reshape(len(rows), -1),
                                  dict(zip(names, E.T)) if numeric else [r.extra for r in rows])

    def append_arrays(self, keys: Sequence[bytes], gen: int | Sequence[int], X: np.ndarray, F: np.ndarray,
                      G: np.ndarray, extras: dict[str, np.ndarray] | Sequence[dict]) -> int:
        """:meth:`append` from arrays (one row per key): ``keys`` the designs' keys
        (:func:`evo_codesign.operators.genome_key`), ``X`` (n, n_var), ``F``, ``G``, ``extras`` name -> (n,) numbers (stored as float64)
        or one dict per row. What the evaluation cache writes each generation."""
        n = len(keys)
        if not n:
            return 0
        db = self.db(create=True)
        gens = [int(gen)] * n if np.isscalar(gen) else [int(v) for v in gen]
        if self._v1:
            per_row = _extras_rows(extras, n)
            data = [(k.hex(), gens[i], json.dumps([int(v) for v in X[i]]), json.dumps([float(v) for v in F[i]]),
                     json.dumps([float(v) for v in G[i]]), json.dumps(per_row[i], default=_jsonable))
                    for i, k in enumerate(keys)]
            return self._insert(db, data)
        Xb = np.ascontiguousarray(X, dtype=_I32)
        if not np.array_equal(Xb, X):
            raise ValueError("gene values do not fit 32-bit integers")
        Fb = np.ascontiguousarray(F, dtype=_F64).reshape(n, -1)
        Gb = np.ascontiguousarray(G, dtype=_F64).reshape(n, -1)
        if isinstance(extras, dict) and all(_numeric_array(v) for v in extras.values()):
            names = tuple(extras)
            layout = self._layout(db, names)
            Eb = np.ascontiguousarray(np.stack([np.asarray(extras[k], dtype=_F64) for k in names], axis=1)
                                      if names else np.zeros((n, 0)), dtype=_F64)
            blobs = [Eb[i].tobytes() for i in range(n)]
        else:
            layout = 0
            blobs = [json.dumps(e, default=_jsonable).encode("utf-8") for e in _extras_rows(extras, n)]
        data = [(bytes(k), gens[i], Xb[i].tobytes(), Fb[i].tobytes(), Gb[i].tobytes(), layout, blobs[i])
                for i, k in enumerate(keys)]
        return self._insert(db, data)

    def _layout(self, db: sqlite3.Connection, names: tuple[str, ...]) -> int:
        """The id of a list of metric names (added, in the coming transaction's connection, if new)."""
        if names not in self._layouts:
            try:
                db.execute("INSERT OR IGNORE INTO layouts (names) VALUES (?)", (json.dumps(list(names)),))
                (i,) = db.execute("SELECT id FROM layouts WHERE names = ?", (json.dumps(list(names)),)).fetchone()
            except sqlite3.Error as e:
                raise self.error(e, "write") from None
            self._layouts[names] = int(i)
            self._names[int(i)] = names
        return self._layouts[names]

    def _insert(self, db: sqlite3.Connection, data: list[tuple]) -> int:
        table, cols = (("evaluations", "key, gen, x, f, g, extra") if self._v1
                       else ("rows", "key, gen, x, f, g, layout, extra"))
        marks = ",".join("?" * len(data[0]))
        before = db.total_changes
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({marks})", data)
            db.execute("COMMIT")
        except BaseException as e:
            if db.in_transaction:  # SQLite may have rolled back already (a failed COMMIT on a full disk)
                try:
                    db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(e, sqlite3.Error):
                raise self.error(e, "write") from None
            raise
        added = db.total_changes - before
        if self._digest is not None:
            if added == len(data):
                for r in data:
                    entry = self._digest.setdefault(r[1], [0, 0])
                    entry[0] += 1
                    entry[1] = (entry[1] + _row_hash(r)) % _MOD
            else:  # some keys were there already: recount from the file when next asked
                self._digest = None
        return added

    def started_empty(self) -> None:
        """Mark a log just created by this process as known to be empty (no scan needed)."""
        self._digest = {}

    # -- integrity -------------------------------------------------------------------------------
    def summary(self, up_to_gen: int) -> dict[str, Any]:
        """Rows of generations ``<= up_to_gen``: their number, the last generation and the digest
        (what a checkpoint records)."""
        if self._digest is None:
            self._rebuild_digest(self._raw())
        assert self._digest is not None
        gens = [g for g in self._digest if g <= up_to_gen]
        total = sum(self._digest[g][1] for g in gens) % _MOD
        return {"gen": int(up_to_gen), "rows": int(sum(self._digest[g][0] for g in gens)),
                "last_gen": int(max(gens, default=0)), "digest": f"{total:032x}"}

    def verify(self, recorded: dict[str, Any] | None, gen: int, checkpoint: Path) -> None:
        """Check the log against what ``checkpoint`` (at generation ``gen``) recorded; raise
        :class:`LogMismatchError` naming the log when they disagree."""
        tail = ("The evaluation log is the source of truth, so the run is not resumed on a fresh budget: "
                "restore the log (from a backup), or start a new run in another folder.")
        if not self.exists():
            n = recorded["rows"] if recorded else "the"
            raise LogMismatchError(f"{self.path} is missing, but {checkpoint} (generation {gen}) records {n} "
                                   f"evaluations in it. {tail}")
        self._rebuild_digest(self._raw())
        actual = self.summary(gen)
        if recorded is None:  # a checkpoint from before logs were summarised: only emptiness is checked
            if gen > 0 and actual["rows"] == 0:
                raise LogMismatchError(f"{self.path} holds no evaluation of generations 1-{gen}, but {checkpoint} "
                                       f"was written after generation {gen}. {tail}")
            return
        if all(actual[k] == recorded.get(k) for k in ("rows", "last_gen", "digest")):
            return
        a, r = actual["rows"], recorded.get("rows")
        if isinstance(r, int) and a < r:
            why = (f"holds {a} evaluations of generations 1-{gen} where {checkpoint.name} recorded {r} "
                   f"(rows deleted, or the log emptied, truncated or replaced)")
        elif isinstance(r, int) and a > r:
            why = f"holds {a} evaluations of generations 1-{gen} where {checkpoint.name} recorded {r}"
        else:
            why = (f"holds the {a} evaluations of generations 1-{gen} that {checkpoint.name} recorded, but not "
                   f"the same ones (edited or replaced rows)")
        raise LogMismatchError(f"{self.path} disagrees with {checkpoint}: it {why}. {tail}")

"""A run's evaluation log: ``evaluations.sqlite``, the source of truth of what a run evaluated.

One row per unique design (canonical key, generation, genes, objectives, constraints, extras as
JSON text), appended in one transaction per generation (SQLite, WAL journal, ``synchronous =
FULL``), so a ``kill -9`` or a power cut leaves whole, committed generations only.

Checkpoints record a :meth:`EvaluationLog.summary` of the rows they have seen (their number, the
last generation and an order-independent digest: the sum of a 128-bit BLAKE2b hash of each row, so
it is kept up to date row by row as generations are appended); :meth:`EvaluationLog.verify` checks
the log against it on resume, so a log that was removed, emptied, truncated or edited is refused
instead of silently spending a fresh budget. SQLite errors become the package's error types
naming the file and the cause ("disk full", "damaged"); a failed commit loses only the generation
being written.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

import numpy as np

from ..errors import CorruptFileError, DiskError, EvoCodesignError, LogMismatchError, RunInUseError

__all__ = ["EvaluationRow", "EvaluationLog", "LOG_NAME"]

LOG_NAME = "evaluations.sqlite"
_TABLE = ("CREATE TABLE IF NOT EXISTS evaluations (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, "
          "gen INTEGER NOT NULL, x TEXT NOT NULL, f TEXT NOT NULL, g TEXT NOT NULL, extra TEXT NOT NULL)")
_MOD = 2 ** 128


@dataclass(frozen=True)
class EvaluationRow:
    """One unique design: canonical key, genes, objectives (minimisation form), constraints."""

    key: str
    gen: int
    x: Sequence[int]
    f: Sequence[float]
    g: Sequence[float]
    extra: dict


def _row_hash(raw: tuple) -> int:
    key, gen, x, f, g, extra = raw
    h = hashlib.blake2b("\x1f".join((key, str(int(gen)), x, f, g, extra)).encode(), digest_size=16)
    return int.from_bytes(h.digest(), "big")


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.generic, np.ndarray)):
        return v.tolist()  # numpy scalars and arrays to plain Python
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


class EvaluationLog:
    """The log file of one run directory. Opened lazily; ``readonly`` never creates or changes it."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._db: sqlite3.Connection | None = None
        self._digest: dict[int, list[int]] | None = None  # gen -> [rows, hash sum]

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
            if not self.readonly:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")  # a committed generation survives power loss too
                db.execute(_TABLE)
            else:
                db.execute("PRAGMA schema_version").fetchone()  # fails now if the file is not a database
        except sqlite3.Error as e:
            db.close()
            raise self.error(e, "open") from None
        return db

    def db(self, *, create: bool = True) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect(create)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- contents --------------------------------------------------------------------------------
    def _raw(self) -> list[tuple]:
        """Every row as stored (key, gen, x, f, g, extra), in order; [] for a log not created yet."""
        if self._db is None and not self.exists():
            return []
        try:
            db = self.db(create=False)
            return list(db.execute("SELECT key, gen, x, f, g, extra FROM evaluations ORDER BY id"))
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):  # an empty database file: no row was ever committed
                return []
            raise self.error(e) from None
        except sqlite3.Error as e:
            raise self.error(e) from None

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
        for i, (k, gen, x, f, g, e) in enumerate(raw, start=1):
            if max_gen is not None and gen > max_gen:
                continue
            try:
                out.append(EvaluationRow(k, int(gen), json.loads(x), json.loads(f), json.loads(g), json.loads(e)))
            except (ValueError, TypeError, RecursionError) as err:
                raise CorruptFileError(f"{self.path}: row {i} is damaged ({err})") from None
        return out

    def count(self) -> int:
        if self._db is None and not self.exists():
            return 0
        try:
            return int(self.db(create=False).execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):
                return 0
            raise self.error(e) from None
        except sqlite3.Error as e:
            raise self.error(e) from None

    def append(self, rows: Iterable[EvaluationRow]) -> int:
        """Append rows in one transaction (all or nothing); existing keys are kept. Returns rows added.
        A failed commit (disk full) raises :class:`DiskError`; earlier generations stay committed."""
        data = [(r.key, int(r.gen), json.dumps([int(v) for v in r.x]), json.dumps([float(v) for v in r.f]),
                 json.dumps([float(v) for v in r.g]), json.dumps(r.extra, default=_jsonable)) for r in rows]
        if not data:
            return 0
        db = self.db(create=True)
        before = db.total_changes
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR IGNORE INTO evaluations (key, gen, x, f, g, extra) VALUES (?,?,?,?,?,?)", data)
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

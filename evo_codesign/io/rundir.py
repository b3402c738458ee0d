"""Run directories: everything a run needs to be inspected, trusted and resumed.

``RUN_DIR/``
  ``run.json``         resolved config, root seed, package versions, git revision (when available)
  ``evaluations.sqlite`` append-only evaluation log (SQLite, WAL journal): one row per unique
                       design, committed once per generation in one transaction, so a ``kill -9`` at
                       any moment leaves only whole, committed generations
  ``front.csv``        the current Pareto front (``front.parquet`` too with the ``parquet`` extra)
  ``checkpoint.pkl``   the pickled search state, replaced atomically (temporary file + ``os.replace``)
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import ExistingRunError, MissingFileError

__all__ = ["RunDir", "EvaluationRow", "atomic_write_bytes", "package_versions", "git_revision"]

_PACKAGES = ("evo-codesign", "numpy", "numba", "pymoo", "moocore", "joblib", "pandas")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_revision(path: Path | None = None) -> str | None:
    """Commit of the source tree the package runs from, if it is a git checkout."""
    where = path or Path(__file__).resolve().parents[2]
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (r.stdout.strip() or None) if r.returncode == 0 else None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the new one, never a torn one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class EvaluationRow:
    """One unique design: canonical key, genes, objectives (minimisation form), constraints."""

    key: str
    gen: int
    x: Sequence[int]
    f: Sequence[float]
    g: Sequence[float]
    extra: dict


class RunDir:
    """A run directory; create with :meth:`create`, reopen with :meth:`open`."""

    LOG = "evaluations.sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, run_info: dict[str, Any], *, exist_ok: bool = False) -> "RunDir":
        p = Path(path)
        if (p / "run.json").exists() and not exist_ok:
            raise ExistingRunError(f"{p} already holds a run (run.json); use `evo-codesign resume {p}` or another --out")
        p.mkdir(parents=True, exist_ok=True)
        info = dict(run_info)
        info.setdefault("versions", package_versions())
        info.setdefault("git_revision", git_revision())
        atomic_write_bytes(p / "run.json", json.dumps(info, indent=2, sort_keys=True).encode())
        rd = cls(p)
        rd._connect()
        return rd

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        p = Path(path)
        if not (p / "run.json").exists():
            raise MissingFileError(f"{p} is not a run directory (no run.json)")
        rd = cls(p)
        rd._connect()
        return rd

    def _connect(self) -> None:
        db = sqlite3.connect(self.path / self.LOG, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a committed generation survives power loss too
        db.execute("CREATE TABLE IF NOT EXISTS evaluations (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, "
                   "gen INTEGER NOT NULL, x TEXT NOT NULL, f TEXT NOT NULL, g TEXT NOT NULL, extra TEXT NOT NULL)")
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict:  # the connection is not picklable; reconnect on use
        return {"path": self.path, "_db": None}

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._connect()
        assert self._db is not None
        return self._db

    # -- contents ------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return json.loads((self.path / "run.json").read_text())

    def append(self, rows: Iterable[EvaluationRow]) -> int:
        """Append rows in one transaction (all or nothing); existing keys are kept. Returns rows added."""
        data = [(r.key, int(r.gen), json.dumps([int(v) for v in r.x]), json.dumps([float(v) for v in r.f]),
                 json.dumps([float(v) for v in r.g]), json.dumps(r.extra, default=_jsonable)) for r in rows]
        if not data:
            return 0
        db = self.db
        before = db.total_changes
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO evaluations (key, gen, x, f, g, extra) VALUES (?,?,?,?,?,?)", data)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.total_changes - before

    def rows(self, *, max_gen: int | None = None) -> list[EvaluationRow]:
        q = "SELECT key, gen, x, f, g, extra FROM evaluations"
        args: tuple = ()
        if max_gen is not None:
            q += " WHERE gen <= ?"
            args = (int(max_gen),)
        q += " ORDER BY id"
        return [EvaluationRow(k, gen, json.loads(x), json.loads(f), json.loads(g), json.loads(e))
                for k, gen, x, f, g, e in self.db.execute(q, args)]

    def n_evaluations(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    def save_checkpoint(self, state: Any) -> None:
        atomic_write_bytes(self.path / "checkpoint.pkl", pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    def load_checkpoint(self) -> Any:
        p = self.path / "checkpoint.pkl"
        if not p.exists():
            raise MissingFileError(f"{self.path} has no checkpoint.pkl (the run stopped before its first checkpoint)")
        with open(p, "rb") as f:
            return pickle.load(f)

    def write_front(self, frame: pd.DataFrame) -> Path:
        """Write the current front as CSV (atomically), plus Parquet when pyarrow is installed."""
        out = self.path / "front.csv"
        atomic_write_bytes(out, frame.to_csv(index=False).encode())
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return out
        import io
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        atomic_write_bytes(self.path / "front.parquet", buf.getvalue())
        return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.generic, np.ndarray)):
        return v.tolist()  # numpy scalars and arrays to plain Python
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")

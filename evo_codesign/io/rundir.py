"""Run directories: everything a run needs to be inspected, trusted and resumed.

``RUN_DIR/``
  ``run.json``         resolved config, root seed, package versions, git revision (when available)
  ``evaluations.sqlite`` append-only evaluation log (SQLite, WAL journal): one row per unique
                       design, committed once per generation in one transaction, so a ``kill -9`` at
                       any moment leaves only whole, committed generations
  ``front.csv``        the current Pareto front (``front.parquet`` too with the ``parquet`` extra)
  ``checkpoint.pkl``   the pickled search state, replaced atomically (temporary file + ``os.replace``),
                       with a summary of the log rows it has seen (checked on resume)

Every file is written atomically (:mod:`evo_codesign.io.atomic`, mode 0666 less the umask); the
folder's lock (:mod:`evo_codesign.io.lock`) is held by whoever writes it. Damaged or unreadable
files raise the package's error types naming the file and the cause (:class:`CorruptFileError`,
:class:`DiskError`, :class:`MissingFileError`), never a traceback.
"""

from __future__ import annotations

import functools
import json
import pickle
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import CorruptFileError, ExistingRunError, MissingFileError
from .atomic import atomic_write_bytes, atomic_write_text, disk_error
from .evaluation_log import LOG_NAME, EvaluationLog, EvaluationRow
from .readers import read_json

__all__ = ["RunDir", "EvaluationRow", "atomic_write_bytes", "package_versions", "git_revision"]

_PACKAGES = ("evo-codesign", "numpy", "numba", "pymoo", "moocore", "joblib", "pandas")


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return tuple(out.items())


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions (looked up once per process)."""
    return dict(_versions())


def git_revision(path: Path | None = None) -> str | None:
    """Commit of the source tree the package runs from, if it is a git checkout (asked once per
    process and folder: a comparison's runs share it)."""
    return _git_revision(Path(path or Path(__file__).resolve().parents[2]).resolve())


@functools.lru_cache(maxsize=8)
def _git_revision(where: Path) -> str | None:
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return (r.stdout.strip() or None) if r.returncode == 0 else None


class RunDir:
    """A run directory; create with :meth:`create`, reopen with :meth:`open`."""

    LOG = LOG_NAME
    INFO = "run.json"
    CHECKPOINT = "checkpoint.pkl"
    _log: EvaluationLog | None = None

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self._log = EvaluationLog(self.path / self.LOG, readonly=readonly)

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, run_info: dict[str, Any], *, exist_ok: bool = False) -> "RunDir":
        """A new run directory with ``run.json`` and an empty log. The caller holds the folder's lock."""
        p = Path(path)
        if (p / cls.INFO).exists() and not exist_ok:
            raise ExistingRunError(f"{p} already holds a run (run.json); use `evo-codesign resume {p}` or another "
                                   f"--out")
        left = [n for n in (cls.LOG, cls.CHECKPOINT) if (p / n).exists()]
        if left and not exist_ok:
            raise ExistingRunError(f"{p} holds {', '.join(left)} of a run but no run.json: remove them or choose "
                                   f"another --out")
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise disk_error(p, e, "create") from None
        info = dict(run_info)
        info.setdefault("versions", package_versions())
        info.setdefault("git_revision", git_revision())
        atomic_write_text(p / cls.INFO, json.dumps(info, indent=2, sort_keys=True))
        rd = cls(p)
        fresh = not (p / cls.LOG).exists()
        rd.log.db(create=True)
        if fresh:
            rd.log.started_empty()
        return rd

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> "RunDir":
        """An existing run directory (its ``run.json`` is read and checked now). ``readonly``: for
        reading only (the log is never created or changed)."""
        p = Path(path)
        if not p.is_dir():
            raise MissingFileError(f"{p} does not exist (no run directory there)")
        if not (p / cls.INFO).exists():
            raise MissingFileError(f"{p} is not a run directory (no run.json): a run started there was stopped "
                                   f"before it wrote anything; start it again")
        rd = cls(p, readonly=readonly)
        rd.info()
        return rd

    def close(self) -> None:
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> "RunDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getstate__(self) -> dict:  # the connection is not picklable; reconnect on use
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.path = Path(state["path"])
        self._log = EvaluationLog(self.path / self.LOG)

    @property
    def log(self) -> EvaluationLog:
        if self._log is None:
            self._log = EvaluationLog(self.path / self.LOG)
        return self._log

    @property
    def db(self):
        """The log's SQLite connection (created if needed)."""
        return self.log.db()

    # -- contents ------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """``run.json`` as a dict; a damaged one raises :class:`CorruptFileError` naming it."""
        return read_json(self.path / self.INFO, CorruptFileError, what="run file", expect=dict)

    def append(self, rows: Iterable[EvaluationRow]) -> int:
        """Append rows in one transaction (all or nothing); existing keys are kept. Returns rows added."""
        return self.log.append(rows)

    def append_arrays(self, keys: Sequence[bytes], gen: int, X: np.ndarray, F: np.ndarray, G: np.ndarray,
                      extras: dict[str, np.ndarray]) -> int:
        """One generation's new designs from arrays (:meth:`EvaluationLog.append_arrays`)."""
        return self.log.append_arrays(keys, gen, X, F, G, extras)

    def rows(self, *, max_gen: int | None = None) -> list[EvaluationRow]:
        return self.log.rows(max_gen=max_gen)

    def n_evaluations(self) -> int:
        return self.log.count()

    def log_summary(self, up_to_gen: int) -> dict[str, Any]:
        """What a checkpoint at generation ``up_to_gen`` records about the log."""
        return self.log.summary(up_to_gen)

    def verify_log(self, recorded: dict[str, Any] | None, gen: int) -> None:
        """Refuse (:class:`~evo_codesign.errors.LogMismatchError`) a log that disagrees with the checkpoint."""
        self.log.verify(recorded, gen, self.path / self.CHECKPOINT)

    def has_checkpoint(self) -> bool:
        return (self.path / self.CHECKPOINT).exists()

    def save_checkpoint(self, state: Any) -> None:
        """Write the search state atomically, after making the log's committed rows durable (a
        checkpoint never records rows a power cut could take back)."""
        self.log.sync()
        atomic_write_bytes(self.path / self.CHECKPOINT, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    def load_checkpoint(self) -> Any:
        p = self.path / self.CHECKPOINT
        if not p.exists():
            raise MissingFileError(f"{self.path} has no checkpoint.pkl (the run stopped before its first checkpoint)")
        try:
            data = p.read_bytes()
        except OSError as e:
            raise disk_error(p, e, "read") from None
        fix = "delete it and resume again: the run is then replayed from its evaluation log (nothing is re-evaluated)"
        if not data:
            raise CorruptFileError(f"{p} is empty; {fix}")
        try:
            return pickle.loads(data)
        except Exception as e:  # any unpickling failure means the file is not a checkpoint we wrote
            why = " ".join(str(e).split())[:100]  # one line: some unpickling errors span two
            raise CorruptFileError(f"{p} is damaged ({type(e).__name__}: {why}); {fix}") from None

    def write_front(self, frame: pd.DataFrame) -> Path:
        """Write the current front as CSV (atomically), plus Parquet when pyarrow is installed."""
        out = self.path / "front.csv"
        # `evo-codesign resume` writes it again from the checkpoint: atomic, not synced
        atomic_write_text(out, frame.to_csv(index=False), durable=False)
        try:
            data = parquet_bytes(frame)
        except ImportError:
            return out
        atomic_write_bytes(self.path / "front.parquet", data, durable=False)
        return out


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as a Parquet file (``pyarrow``; ImportError without it), without its index.
    Columns of numbers, booleans and text go straight to Arrow arrays, one per column:
    ``pd.read_parquet`` gives back the same frame, in about half the time of pandas'
    ``to_parquet``, which converts through its own schema metadata (a run's front of 115 columns:
    5.1-8.2 against 9.6-14.0 ms, ``benchmarks/fixed_costs.py``). Other columns (categories, dates, mixed
    objects) go through ``pyarrow.Table.from_pandas``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def plain(name: str, dtype: Any) -> bool:  # numpy numbers and booleans, or text (str or object dtype)
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf" or isinstance(dtype, pd.StringDtype):
            return True
        return dtype == object and pd.api.types.is_string_dtype(frame[name])

    table = None
    if frame.columns.is_unique and all(isinstance(c, str) for c in frame.columns) and \
            all(plain(c, t) for c, t in frame.dtypes.items()):
        try:
            table = pa.table({c: pa.array(v.to_numpy(), from_pandas=True,
                                          type=pa.string() if isinstance(v.dtype, pd.StringDtype) else None)
                              for c, v in frame.items()})  # text typed as text even without rows
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text columns holding something else
            table = None
    if table is None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()

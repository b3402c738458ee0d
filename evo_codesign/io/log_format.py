"""How an evaluation log stores a row (:mod:`evo_codesign.io.evaluation_log`): its tables in
either format, the binary encoding of genes, objectives, constraints and metrics, and the 128-bit
hash of a stored row that the log's digest sums."""

from __future__ import annotations

import hashlib
import struct
from typing import Any, Sequence

import numpy as np

#: the format of earlier versions (JSON text columns); read and appended to, never created
_TABLE_V1 = ("CREATE TABLE IF NOT EXISTS evaluations (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, "
             "gen INTEGER NOT NULL, x TEXT NOT NULL, f TEXT NOT NULL, g TEXT NOT NULL, extra TEXT NOT NULL)")
#: binary rows: key (16-byte digest of the canonical genome), x (int32 LE), f and g (float64 LE), extra: float64 LE
#: values of the metric names of ``layout`` (``layouts.id``), or UTF-8 JSON when ``layout`` is 0
_TABLES_V2 = ("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, key BLOB UNIQUE NOT NULL, "
              "gen INTEGER NOT NULL, x BLOB NOT NULL, f BLOB NOT NULL, g BLOB NOT NULL, layout INTEGER NOT NULL, "
              "extra BLOB NOT NULL)",
              "CREATE TABLE IF NOT EXISTS layouts (id INTEGER PRIMARY KEY, names TEXT UNIQUE NOT NULL)")
_MOD = 2 ** 128
_I32, _F64 = np.dtype("<i4"), np.dtype("<f8")
_BINARY_TYPES = (bytes, int, bytes, bytes, bytes, int, bytes)
_HEAD = struct.Struct("<qq5I")


def _row_hash(raw: tuple) -> int:
    """128-bit hash of one stored row as SQLite returns it (either format), for the log's digest.
    Any stored value hashes (a damaged row changes the digest instead of failing here)."""
    if len(raw) == 6 and all(isinstance(v, str) for v in raw[:1] + raw[2:]):  # the JSON text format
        key, gen, x, f, g, extra = raw
        h = hashlib.blake2b("\x1f".join((key, str(gen), x, f, g, extra)).encode(), digest_size=16)
    elif len(raw) == 7 and _BINARY_TYPES == tuple(map(type, raw)):  # a binary row as written
        key, gen, x, f, g, layout, extra = raw
        h = hashlib.blake2b(_HEAD.pack(gen, layout, len(key), len(x), len(f), len(g), len(extra))
                            + key + x + f + g + extra, digest_size=16)
    else:  # a damaged row: any hash, never an error
        h = hashlib.blake2b(repr(raw).encode(), digest_size=16)
    return int.from_bytes(h.digest(), "big")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _numeric_array(v: Any) -> bool:
    a = np.asarray(v)
    return a.ndim == 1 and (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer))


def _extras_rows(extras: dict[str, np.ndarray] | Sequence[dict], n: int) -> list[dict]:
    if isinstance(extras, dict):
        return [{k: (v[i].item() if isinstance(v[i], np.generic) else v[i]) for k, v in extras.items()} for i in range(n)]
    return list(extras)


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.generic, np.ndarray)):
        return v.tolist()  # numpy scalars and arrays to plain Python
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")

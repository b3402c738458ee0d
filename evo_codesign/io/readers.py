"""Reading text and JSON files with errors that name the file and the cause.

Every file a user or an earlier run left may be missing, unreadable, not UTF-8, truncated, nested
too deeply for the parser, or of the wrong JSON type; each of these raises the caller's error
class (a :class:`~evo_codesign.errors.EvoCodesignError`) with a one-line message, never a
traceback. A leading UTF-8 byte-order mark (Excel, Windows editors) is accepted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .atomic import describe_os_error

__all__ = ["read_text", "read_json"]


def read_text(path: str | Path, error_cls: type[Exception], *, what: str = "file") -> str:
    """The UTF-8 text of ``path``; anything wrong raises ``error_cls`` naming the file (``what``: the
    kind of file, for the message)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise error_cls(f"cannot read {what} {str(p)!r}: it does not exist") from None
    except IsADirectoryError:
        raise error_cls(f"cannot read {what} {str(p)!r}: it is a directory") from None
    except OSError as e:
        raise error_cls(f"cannot read {what} {str(p)!r}: {describe_os_error(e)}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error_cls(f"{p}: not a UTF-8 text file (byte {e.start} is 0x{data[e.start]:02x}); "
                        f"is it the right file?") from None


def read_json(path: str | Path, error_cls: type[Exception], *, what: str = "JSON file",
              expect: type | tuple[type, ...] | None = None) -> Any:
    """Parse a JSON file (see :func:`read_text`); ``expect``: the JSON type(s) the top level must be
    (``dict`` for an object, ``list`` for an array)."""
    p = Path(path)
    text = read_text(p, error_cls, what=what)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise error_cls(f"{p}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); the file is "
                        f"damaged or truncated") from None
    except RecursionError:
        raise error_cls(f"{p}: JSON nested too deeply to read") from None
    if expect is not None and not isinstance(data, expect):
        names = {dict: "an object", list: "an array"}
        want = " or ".join(names.get(t, t.__name__) for t in (expect if isinstance(expect, tuple) else (expect,)))
        raise error_cls(f"{p}: expected {want} at the top level of the JSON, got {_json_type(data)}")
    return data


def _json_type(v: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number")

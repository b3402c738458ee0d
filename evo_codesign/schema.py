"""One declarative schema for every TOML file the package reads.

A reader declares its keys once, as a frozen dataclass whose fields carry a :class:`Spec` (made
with :func:`opt`, :func:`section` or :func:`table`), and validates a parsed document with
:func:`from_mapping`. Every problem raises the *caller's* error class (a subclass of
:class:`~evo_codesign.errors.EvoCodesignError`) with a message that names the key as
``section.key`` and says what is allowed::

    @dataclass(frozen=True)
    class Search:
        pop_size: int = opt(50, lo=4, hi=100_000, doc="designs per generation")
        objectives: tuple[str, ...] = opt(("latency", "energy"), item_choices=objectives.available)

    from_mapping(Search, {"pop_sise": 3}, ConfigError, where="search")
    # ConfigError: search: unknown key(s) ['pop_sise']; allowed: ['objectives', 'pop_size']

Supported field types: ``bool``, ``int``, ``float`` (also the string ``"inf"``, which JSON needs;
NaN is refused), ``str``, ``tuple[T, ...]`` (a TOML list), ``T | tuple[T, ...]`` (one value or a
list), a nested dataclass (a TOML sub-table, :func:`section`) and ``Mapping[str, float]`` whose
allowed names each have their own :class:`Spec` (:func:`table`, e.g. constant overrides).
``choices`` and ``item_choices`` may be zero-argument callables, evaluated at validation time, so
that registries filled after import (objectives a user registers) are accepted.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import math
import numbers
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

__all__ = ["Spec", "opt", "section", "table", "spec_of", "check_value", "from_mapping", "to_plain", "read_toml"]

Choices = typing.Union[tuple, Callable[[], Iterable[Any]], None]


@dataclass(frozen=True)
class Spec:
    """How one key is validated.

    ``type``: the Python type, for :func:`check_value` and :func:`table` entries (a dataclass
    field's type is its annotation, so fields leave it None). ``choices``: allowed
    values (or a callable returning them). ``lo`` / ``hi``: inclusive bounds; ``gt``: exclusive
    lower bound; bounds apply to each item of a list. ``finite``: refuse infinity. ``item_choices``:
    allowed items of a list (or a callable). ``min_len``: fewest items of a list. ``entries``: for a
    ``Mapping[str, float]`` table, the spec of each allowed name (or a callable returning them).
    ``doc``: what the key means, with its unit.
    """

    type: Any = None
    choices: Choices = None
    lo: float | None = None
    hi: float | None = None
    gt: float | None = None
    finite: bool = False
    item_choices: Choices = None
    min_len: int = 0
    entries: Mapping[str, "Spec"] | Callable[[], Mapping[str, "Spec"]] | None = None
    doc: str = ""


def opt(default: Any, *, choices: Choices = None, lo: float | None = None, hi: float | None = None,
        gt: float | None = None, finite: bool = False, item_choices: Choices = None, min_len: int = 0,
        doc: str = "") -> Any:
    """A dataclass field with a default and a :class:`Spec` (the field's type is its annotation)."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use tuples for sequence defaults (fields of frozen configs are immutable)")
    spec = Spec(choices=choices, lo=lo, hi=hi, gt=gt, finite=finite, item_choices=item_choices, min_len=min_len,
                doc=doc)
    return field(default=default, metadata={"spec": spec})


def section(cls: type, *, doc: str = "") -> Any:
    """A nested table (TOML ``[name]``) validated as the dataclass ``cls``; defaults to ``cls()``."""
    return field(default_factory=cls, metadata={"spec": Spec(doc=doc)})


def table(entries: Mapping[str, Spec] | Callable[[], Mapping[str, Spec]], *, doc: str = "") -> Any:
    """A ``name = number`` table whose allowed names and their rules are ``entries``; defaults to ``{}``
    and keeps only the names given (e.g. overrides of a constants table)."""
    return field(default_factory=dict, metadata={"spec": Spec(entries=entries, doc=doc)})


def spec_of(f: dataclasses.Field) -> Spec:
    """The :class:`Spec` of a dataclass field (an empty one for plain fields)."""
    return f.metadata.get("spec", Spec())


def _resolve(c: Any) -> Any:
    return c() if callable(c) else c


# -- messages ---------------------------------------------------------------------------------------

def _num(x: float | None) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _bounds(spec: Spec) -> str:
    lo, hi, gt = _num(spec.lo), _num(spec.hi), _num(spec.gt)
    if (spec.lo is not None or spec.gt is not None) and spec.hi is not None:
        return f" in [{lo}, {hi}]" if spec.gt is None else f" in ({gt}, {hi}]"
    if spec.gt is not None:
        return f" > {gt}"
    if spec.lo is not None:
        return f" >= {lo}"
    return f" <= {hi}" if spec.hi is not None else ""


def _describe(tp: Any, spec: Spec) -> str:
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer" + _bounds(spec)
    if tp is float:
        return ("a finite number" if spec.finite else "a number") + _bounds(spec)
    if tp is str:
        return "a string"
    return getattr(tp, "__name__", str(tp))


_INF = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf}
_PLURAL = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}


def _short(v: Any, limit: int = 80) -> str:
    r = repr(v)
    return r if len(r) <= limit else r[:limit - 3] + "..."


# -- values ---------------------------------------------------------------------------------------

def check_value(spec: Spec, value: Any, key: str, error_cls: type[Exception]) -> Any:
    """Validate one value against ``spec`` (whose ``type`` must be set); return it normalised
    (ints as floats for float keys, lists as tuples). Errors name ``key``."""
    if spec.type is None:
        raise TypeError("check_value needs a Spec with a type")
    return _check(spec.type, spec, value, key, error_cls)


def _check(tp: Any, spec: Spec, value: Any, key: str, err: type[Exception]) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _check_union(tp, spec, value, key, err)
    if origin is tuple:
        return _check_list(typing.get_args(tp)[0], spec, value, key, err)
    if spec.entries is not None or origin in (collections.abc.Mapping, dict):
        return _check_table(spec, value, key, err)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return from_mapping(tp, value, err, where=key)
    value = _check_scalar(tp, spec, value, key, err)
    choices = _resolve(spec.choices)
    if choices is not None and value not in list(choices):
        raise err(f"{key}: {_short(value)} is not allowed; choose one of {list(choices)}")
    return value


def _check_union(tp: Any, spec: Spec, value: Any, key: str, err: type[Exception]) -> Any:
    # Only "one value or a list of them" (T | tuple[T, ...]) is supported: the TOML type decides.
    args = typing.get_args(tp)
    seq = [a for a in args if typing.get_origin(a) is tuple]
    one = [a for a in args if typing.get_origin(a) is not tuple]
    if len(seq) != 1 or len(one) != 1:
        raise TypeError(f"{key}: unsupported union {tp}; use T | tuple[T, ...]")
    if isinstance(value, (list, tuple)):
        return _check(seq[0], spec, value, key, err)
    return _check(one[0], spec, value, key, err)


def _check_scalar(tp: Any, spec: Spec, value: Any, key: str, err: type[Exception]) -> Any:
    if tp is bool:
        if not isinstance(value, bool):
            raise err(f"{key}: expected true or false, got {_short(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise err(f"{key}: expected a string, got {_short(value)}")
        return value
    original = value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise err(f"{key}: expected {_describe(int, spec)}, got {_short(value)}")
        value = int(value)
    elif tp is float:
        if isinstance(value, str) and value in _INF:  # JSON has no infinity (run.json)
            value = _INF[value]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise err(f"{key}: expected {_describe(float, spec)}, got {_short(value)}")
        try:
            value = float(value)
        except OverflowError:  # an integer beyond float range: report it as out of range below
            value = math.inf if original > 0 else -math.inf
        if math.isnan(value):
            raise err(f"{key}: NaN is not allowed")
    else:
        raise TypeError(f"{key}: unsupported field type {tp!r}")
    out = (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi) \
        or (spec.gt is not None and not value > spec.gt) or (spec.finite and math.isinf(value))
    if out:
        raise err(f"{key}: {_short(original)} out of range; expected {_describe(tp, spec)}")
    return value


def _check_list(item_tp: Any, spec: Spec, value: Any, key: str, err: type[Exception]) -> tuple:
    if not isinstance(value, (list, tuple)):
        what = _PLURAL.get(item_tp, "values") + ("" if item_tp in (bool, str) else _bounds(spec))
        raise err(f"{key}: expected a list of {what}, got {_short(value)}")
    if len(value) < spec.min_len:
        raise err(f"{key}: expected at least {spec.min_len} value(s), got {list(value)}")
    if item_tp is str and not all(isinstance(v, str) for v in value):
        raise err(f"{key}: expected a list of strings, got {_short(value)}")
    allowed = _resolve(spec.item_choices)
    if allowed is not None:
        allowed = list(allowed)
        bad = [v for v in value if v not in allowed]
        if bad:
            raise err(f"{key}: unknown value(s) {bad}; allowed: {allowed}")
    item_spec = dataclasses.replace(spec, choices=None, item_choices=None, min_len=0)
    return tuple(_check_scalar(item_tp, item_spec, v, f"{key}[{i}]", err) for i, v in enumerate(value))


def _check_table(spec: Spec, value: Any, key: str, err: type[Exception]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise err(f"{key}: expected a table of name = value, got {_short(value)}")
    entries = _resolve(spec.entries)
    if entries is None:
        raise TypeError(f"{key}: a Mapping field needs Spec(entries=...)")
    unknown = [k for k in value if k not in entries]
    if unknown:
        raise err(f"{key}: unknown key(s) {unknown}; allowed: {sorted(entries)}")
    return {k: check_value(entries[k], v, f"{key}.{k}", err) for k, v in value.items()}


# -- documents ------------------------------------------------------------------------------------

def from_mapping(cls: type, data: Any, error_cls: type[Exception], *, where: str = "", label: str = "",
                 ignore: Iterable[str] = ()) -> Any:
    """Validate ``data`` (a parsed TOML table) into the frozen dataclass ``cls``.

    ``where``: the dotted path of this table (keys are named ``where.key``; "" at the top).
    ``label``: what to call a top-level table in its own messages (e.g. ``"config"``).
    ``ignore``: further keys allowed and left alone (another reader owns them).
    Omitted keys take the field defaults; ``cls.__post_init__`` then checks rules across keys.
    """
    name = where or label
    prefix = f"{name}: " if name else ""
    if not isinstance(data, Mapping):
        raise error_cls(f"{prefix}expected a table of keys, got {_short(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    ignored = set(ignore)
    unknown = [k for k in data if k not in fields and k not in ignored]
    if unknown:
        has_sections = any(dataclasses.is_dataclass(hints[n]) for n in fields)
        noun = "key(s) or section(s)" if has_sections else "key(s)"
        allowed = sorted(set(fields) | ignored)
        raise error_cls(f"{prefix}unknown {noun} {unknown}; allowed: {allowed}")
    kwargs = {}
    for k, v in data.items():
        if k in fields:
            key = f"{where}.{k}" if where else k
            kwargs[k] = _check(hints[k], spec_of(fields[k]), v, key, error_cls)
    return cls(**kwargs)


def to_plain(obj: Any) -> Any:
    """A TOML/JSON-friendly copy of a validated dataclass: nested dicts, lists for tuples and the
    string ``"inf"`` for infinity (what :func:`from_mapping` reads back to an equal object)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, float) and math.isinf(obj):
        return "inf" if obj > 0 else "-inf"
    if isinstance(obj, (tuple, list)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, Mapping):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj


def read_toml(path: str | Path, error_cls: type[Exception], *, what: str = "file") -> dict[str, Any]:
    """Parse a UTF-8 TOML file (a leading byte-order mark is accepted). An unreadable file,
    non-UTF-8 bytes or invalid TOML raise ``error_cls`` naming the file (``what``: the kind of
    file, for the message)."""
    p = Path(path)
    try:
        # utf-8-sig drops a BOM that Windows editors write; tomllib itself refuses it.
        text = p.read_bytes().decode("utf-8-sig")
    except IsADirectoryError:
        raise error_cls(f"cannot read {what} {str(p)!r}: it is a directory") from None
    except OSError as e:
        raise error_cls(f"cannot read {what} {str(p)!r}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise error_cls(f"{p}: not a UTF-8 text file (byte {e.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error_cls(f"{p}: invalid TOML: {e}") from None
    except RecursionError:
        raise error_cls(f"{p}: invalid TOML: nested too deeply to read") from None

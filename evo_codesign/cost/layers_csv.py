"""``LAYERS.csv``: a user's own network for ``evo-codesign cost``.

One row per layer, in execution order; the columns and their defaults are :data:`COLUMNS` (what
``evo-codesign cost --help`` prints). ``name,K,C,R,S,Y,X,stride,pad`` are required (``Y``, ``X`` =
input height and width; ``pad`` = zero padding on each side, an integer or ``same``); ``groups``,
``dilation``, ``group`` (the layer's precision group, the index into a per-group ``input_bits``
list of an IMC design) and ``op`` (``conv``, ``dwconv``, ``max_pool``, ``avg_pool``,
``global_avg_pool``, ``linear``) are optional. Without ``op``: ``groups == C == K > 1`` is a
depthwise convolution, ``R = S = Y = X = 1`` a linear layer, anything else a convolution.

``pad`` has no default on purpose: a file that leaves it out would be costed unpadded, and a
ResNet-style 3x3 convolution on 32x32 would shrink to 30x30 (12 % fewer MACs, 4x fewer on a 4x4
stage) without a word. ``same`` is ``dilation x (R - 1) / 2`` (PyTorch's ``padding="same"`` for an
odd kernel, and ONNX's ``SAME_UPPER`` output size ``ceil(Y / stride)`` at any stride); it needs an
odd kernel with ``R = S``, since one value pads both axes.

Checked before anything is built, each error naming the file, the line and the column: every value
an integer within :data:`RANGES` (so nothing overflows the layer table's fixed-width integers),
a layer's MACs within 2^53 (exact in double precision), each column once, no row with more
fields than the header, and the shape fitting the op (a ``linear`` layer has ``R = S = Y = X = 1``,
a ``dwconv`` ``groups = C = K``, a pool ``K = C``; ``groups`` divides ``K`` and ``C``; the kernel
fits the padded input). A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import EvoCodesignError
from ..io.readers import read_text
from ..workload.layers import (OP_AVGPOOL, OP_CONV, OP_DWCONV, OP_GAP, OP_LINEAR, OP_MAXPOOL, OP_NAMES, LayerBuilder,
                               Network, layer_output_elements)

__all__ = ["read_layers_csv", "LayersCsvError", "RANGES", "COLUMNS", "columns_help"]

REQUIRED = ("name", "K", "C", "R", "S", "Y", "X", "stride", "pad")
OPTIONAL = {"groups": 1, "dilation": 1, "group": 0}
#: column -> (meaning, default; "" = required): the one description of the file's columns
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("layer name", ""),
    "K": ("output channels (a linear layer: output features)", ""),
    "C": ("input channels (a linear layer: input features)", ""),
    "R": ("kernel height", ""),
    "S": ("kernel width", ""),
    "Y": ("input height", ""),
    "X": ("input width", ""),
    "stride": ("stride, both axes", ""),
    "pad": ("zero padding on each side of both axes: an integer, or 'same' = dilation x (R - 1) / 2 "
            "(odd R = S; output ceil(Y / stride))", ""),
    "groups": ("convolution groups (K and C divisible by it)", "1"),
    "dilation": ("kernel dilation", "1"),
    "group": ("precision group: index into an IMC design's per-group input_bits list", "0"),
    "op": (f"one of {', '.join(OP_NAMES)}", "dwconv when groups = C = K > 1, linear when R = S = Y = X = 1, "
                                           "else conv"),
}
#: column -> (lowest, highest) allowed value; the highest fit the layer table's integer fields
#: (int32 channels and sizes, int16 kernel, stride, pad, dilation and group) with room for products.
RANGES = {"K": (1, 2 ** 20), "C": (1, 2 ** 20), "R": (1, 1024), "S": (1, 1024), "Y": (1, 2 ** 16), "X": (1, 2 ** 16),
          "stride": (1, 1024), "pad": (0, 1024), "groups": (1, 2 ** 20), "dilation": (1, 1024), "group": (0, 1023)}
_MAX_MACS = 2 ** 53
_POOLS = (OP_MAXPOOL, OP_AVGPOOL, OP_GAP)


class LayersCsvError(EvoCodesignError):
    """A bad layers file; the message names the file, the row and the column."""


def _header(p: Path, reader) -> list[str]:
    try:
        cols = [c.strip() for c in next(reader)]
    except StopIteration:
        raise LayersCsvError(f"{p}: empty file; expected a header line {','.join(REQUIRED)}") from None
    dup = sorted({c for c in cols if cols.count(c) > 1 and c})
    if dup:
        raise LayersCsvError(f"{p}: column(s) {dup} appear more than once in the header")
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        hint = (" (pad: the zero padding on each side, an integer or 'same'; write 0 for unpadded layers: it has "
                "no default, since an unpadded 3x3 convolution loses its border pixels)") if "pad" in missing else ""
        raise LayersCsvError(f"{p}: missing column(s) {missing}; required: {list(REQUIRED)}{hint}")
    unknown = [c for c in cols if c not in REQUIRED and c not in OPTIONAL and c != "op"]
    if unknown:
        raise LayersCsvError(f"{p}: unknown column(s) {unknown}; allowed: {list(REQUIRED) + list(OPTIONAL) + ['op']}")
    return cols


def _integers(p: Path, i: int, row: dict[str, str]) -> dict[str, int]:
    vals: dict[str, int] = {}
    for c in REQUIRED[1:] + tuple(OPTIONAL):
        raw = row.get(c, "")
        if raw == "" and c in OPTIONAL:
            vals[c] = OPTIONAL[c]
            continue
        if c == "pad" and raw.lower() == "same":
            continue  # resolved by _same_pad once the kernel and dilation are known
        if raw == "" and c in REQUIRED:
            raise LayersCsvError(f"{p}: line {i}, column {c}: empty; {c} is required"
                                 + (" (an integer, or 'same')" if c == "pad" else ""))
        try:
            v = int(raw)
        except ValueError:
            raise LayersCsvError(f"{p}: line {i}, column {c}: {raw[:40]!r} is not an integer") from None
        lo, hi = RANGES[c]
        if v < lo:
            raise LayersCsvError(f"{p}: line {i}, column {c}: {v} must be >= {lo}")
        if v > hi:
            raise LayersCsvError(f"{p}: line {i}, column {c}: {str(v)[:40]} is out of range (at most {hi})")
        vals[c] = v
    return vals


def _same_pad(p: Path, i: int, row: dict[str, str], v: dict[str, int]) -> None:
    """``pad = same``: ``dilation (R - 1) / 2``, one value for both axes."""
    if "pad" in v:
        return
    if v["R"] != v["S"] or v["R"] % 2 == 0:
        raise LayersCsvError(f"{p}: line {i}, column pad: 'same' needs an odd kernel with R = S (one pad for both "
                             f"axes, on both sides), got R={v['R']}, S={v['S']}; write the pad as an integer")
    v["pad"] = v["dilation"] * (v["R"] - 1) // 2
    if v["pad"] > RANGES["pad"][1]:
        raise LayersCsvError(f"{p}: line {i}, column pad: 'same' gives {v['pad']}, out of range (at most "
                             f"{RANGES['pad'][1]})")


def _op(p: Path, i: int, row: dict[str, str], v: dict[str, int]) -> int:
    op_name = row.get("op", "")
    if op_name:
        if op_name not in OP_NAMES:
            raise LayersCsvError(f"{p}: line {i}, column op: {op_name[:40]!r} is not one of {list(OP_NAMES)}")
        op = OP_NAMES.index(op_name)
    elif v["groups"] == v["C"] == v["K"] and v["groups"] > 1:
        op = OP_DWCONV
    elif v["R"] == v["S"] == v["Y"] == v["X"] == 1:
        op = OP_LINEAR
    else:
        op = OP_CONV
    shape = f"K={v['K']}, C={v['C']}, R={v['R']}, S={v['S']}, Y={v['Y']}, X={v['X']}, groups={v['groups']}"
    if op == OP_LINEAR and not (v["R"] == v["S"] == v["Y"] == v["X"] == 1 and v["groups"] == 1):
        raise LayersCsvError(f"{p}: line {i}, column op: a linear layer needs R = S = Y = X = 1 and groups = 1 "
                             f"(flatten its input into C), got {shape}")
    if op == OP_DWCONV and not v["groups"] == v["C"] == v["K"]:
        raise LayersCsvError(f"{p}: line {i}, column op: a depthwise convolution needs groups = C = K, got {shape}")
    if op in _POOLS and v["K"] != v["C"]:
        raise LayersCsvError(f"{p}: line {i}, column op: a pool keeps its channels (K = C), got {shape}")
    return op


def _check_shape(p: Path, i: int, v: dict[str, int]) -> None:
    if v["C"] % v["groups"] or v["K"] % v["groups"]:
        raise LayersCsvError(f"{p}: line {i}: K={v['K']} and C={v['C']} must be divisible by groups={v['groups']}")
    if v["Y"] + 2 * v["pad"] < v["dilation"] * (v["R"] - 1) + 1 or \
            v["X"] + 2 * v["pad"] < v["dilation"] * (v["S"] - 1) + 1:
        raise LayersCsvError(f"{p}: line {i}: the kernel does not fit the padded input")
    q = (v["Y"] + 2 * v["pad"] - v["dilation"] * (v["R"] - 1) - 1) // v["stride"] + 1
    r = (v["X"] + 2 * v["pad"] - v["dilation"] * (v["S"] - 1) - 1) // v["stride"] + 1
    macs = v["K"] * (v["C"] // v["groups"]) * v["R"] * v["S"] * q * r
    if macs > _MAX_MACS:
        raise LayersCsvError(f"{p}: line {i}: {macs:.3g} MACs in one layer is beyond 2^53, what the cost model "
                             f"counts exactly")


def columns_help() -> list[str]:
    """The columns, their meaning and default, one line each (``evo-codesign cost --help``)."""
    return [f"{c}: {meaning}" + (f" (default: {d})" if d else " (required)") for c, (meaning, d) in COLUMNS.items()]


def read_layers_csv(path: str | Path) -> Network:
    """The layer table of ``path`` (one row per layer, file order; ``meta``: the network's
    ``input_elements`` and ``output_elements``, the first layer's input and the last one's output)."""
    p = Path(path)
    text = read_text(p, LayersCsvError, what="layers file")
    reader = csv.reader(io.StringIO(text))
    try:
        cols = _header(p, reader)
        b = LayerBuilder()
        for fields in reader:
            i = reader.line_num  # line numbers as a spreadsheet shows them
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > len(cols):
                raise LayersCsvError(f"{p}: line {i}: {len(fields)} fields but the header has {len(cols)} columns "
                                     f"(extra values {fields[len(cols):][:3]})")
            row = {c: f.strip() for c, f in zip(cols, fields)}
            vals = _integers(p, i, row)
            _same_pad(p, i, row, vals)
            op = _op(p, i, row, vals)
            _check_shape(p, i, vals)
            b.add(row.get("name") or f"layer{i - 1}", op, vals["K"], vals["C"], vals["R"], vals["S"],
                  vals["Y"], vals["X"], stride=vals["stride"], pad=vals["pad"], groups=vals["groups"],
                  dilation=vals["dilation"], group=vals["group"])
    except csv.Error as e:
        raise LayersCsvError(f"{p}: line {reader.line_num}: not valid CSV ({e})") from None
    net = b.build(p.stem, source=str(p))
    if len(net) == 0:
        raise LayersCsvError(f"{p}: no layers")
    first = net.layers[0]
    net.meta.update(input_elements=float(int(first["C"]) * int(first["Y"]) * int(first["X"])),
                    output_elements=float(layer_output_elements(net.layers[-1:])[0]))
    return net

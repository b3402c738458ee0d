"""``LAYERS.csv``: a user's own network for ``evo-codesign cost``.

Columns ``name,K,C,R,S,Y,X,stride`` (``Y``, ``X`` = input height and width) and optional
``pad,groups,dilation,group`` (defaults 0, 1, 1, 0; ``group`` is the layer's precision group, the
index into a per-group ``input_bits`` list of an IMC design) and ``op`` (``conv``, ``dwconv``, ``max_pool``,
``avg_pool``, ``global_avg_pool``, ``linear``). Without ``op``: ``groups == C == K > 1`` is a
depthwise convolution, ``R = S = Y = X = 1`` a linear layer, anything else a convolution.
"""

from __future__ import annotations

import csv
from pathlib import Path



from ..errors import EvoCodesignError
from ..workload.layers import OP_CONV, OP_DWCONV, OP_LINEAR, OP_NAMES, LayerBuilder, Network

__all__ = ["read_layers_csv", "LayersCsvError"]

REQUIRED = ("name", "K", "C", "R", "S", "Y", "X", "stride")
OPTIONAL = {"pad": 0, "groups": 1, "dilation": 1, "group": 0}


class LayersCsvError(EvoCodesignError):
    """A bad layers file; the message names the row and column."""


def read_layers_csv(path: str | Path) -> Network:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise LayersCsvError(f"cannot read {str(p)!r}: {e.strerror or e}") from None
    reader = csv.DictReader(text.splitlines())
    cols = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise LayersCsvError(f"{p}: missing column(s) {missing}; required: {list(REQUIRED)}")
    unknown = [c for c in cols if c not in REQUIRED and c not in OPTIONAL and c != "op"]
    if unknown:
        raise LayersCsvError(f"{p}: unknown column(s) {unknown}; allowed: {list(REQUIRED) + list(OPTIONAL) + ['op']}")
    b = LayerBuilder()
    for i, row in enumerate(reader, start=2):  # line numbers as a spreadsheet shows them
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        vals = {}
        for c in REQUIRED[1:] + tuple(OPTIONAL):
            raw = row.get(c, "")
            if raw == "" and c in OPTIONAL:
                vals[c] = OPTIONAL[c]
                continue
            try:
                vals[c] = int(raw)
            except ValueError:
                raise LayersCsvError(f"{p}: line {i}, column {c}: {raw!r} is not an integer") from None
            lo = 0 if c in ("pad", "group") else 1
            if vals[c] < lo:
                raise LayersCsvError(f"{p}: line {i}, column {c}: {vals[c]} must be >= {lo}")
        name = row.get("name") or f"layer{i - 1}"
        op_name = row.get("op", "")
        if op_name:
            if op_name not in OP_NAMES:
                raise LayersCsvError(f"{p}: line {i}, column op: {op_name!r} is not one of {list(OP_NAMES)}")
            op = OP_NAMES.index(op_name)
        elif vals["groups"] == vals["C"] == vals["K"] and vals["groups"] > 1:
            op = OP_DWCONV
        elif vals["R"] == vals["S"] == vals["Y"] == vals["X"] == 1:
            op = OP_LINEAR
        else:
            op = OP_CONV
        if vals["C"] % vals["groups"] or vals["K"] % vals["groups"]:
            raise LayersCsvError(f"{p}: line {i}: K={vals['K']} and C={vals['C']} must be divisible by "
                                 f"groups={vals['groups']}")
        eff = vals["dilation"] * (vals["R"] - 1) + 1
        if vals["Y"] + 2 * vals["pad"] < eff or vals["X"] + 2 * vals["pad"] < vals["dilation"] * (vals["S"] - 1) + 1:
            raise LayersCsvError(f"{p}: line {i}: the kernel does not fit the padded input")
        b.add(name, op, vals["K"], vals["C"], vals["R"], vals["S"], vals["Y"], vals["X"], stride=vals["stride"],
              pad=vals["pad"], groups=vals["groups"], dilation=vals["dilation"], group=vals["group"])
    net = b.build(p.stem)
    if len(net) == 0:
        raise LayersCsvError(f"{p}: no layers")
    return net



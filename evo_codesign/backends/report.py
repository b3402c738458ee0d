"""What ``evo-codesign cost`` computes: a user's own network (``LAYERS.csv``) on one described
design (``ACC.toml``; ``target = "dataflow"``, ``"imc"`` or ``"hybrid"``), through the same
hardware backend the search uses (:mod:`evo_codesign.backends`)."""

from __future__ import annotations

from typing import Any

from ..cost.layers_csv import read_layers_csv
from ..errors import UsageError

__all__ = ["cost_rows"]


def cost_rows(layers_path: str, acc_path: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-layer rows and the total row for the cost command."""
    from .. import backends
    from ..cost.accelerator_config import read_toml

    net = read_layers_csv(layers_path)
    raw = read_toml(acc_path)
    target = raw.get("target", "dataflow")
    if target not in backends.available():
        raise UsageError(f"{acc_path}: target: {target!r} is not one of {backends.available()}")
    return backends.get(target).report(raw, net.layers, list(net.names))

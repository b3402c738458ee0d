"""What ``evo-codesign cost`` computes: a user's own network (``LAYERS.csv`` or an ONNX model) on
one described design (``ACC.toml``; ``target = "dataflow"``, ``"imc"`` or ``"hybrid"``), through the
same hardware backend the search uses (:mod:`evo_codesign.backends`).

Besides the backend's rows, the total carries the PE array's area by part (``area_breakdown_um2``
on a PE-array chip, ``pe_array_area_breakdown_um2`` on a hybrid one, next to the crossbars'
``crossbar_area_breakdown_um2``): ``pes`` (multipliers and adders), ``l1`` (every PE's L1) and
``l2``, each the kernel's own area function with the parts after it set to zero, so the parts add
up to the kernel's area exactly.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import UsageError

__all__ = ["cost_rows", "read_network", "pe_array_area_breakdown_um2"]


def read_network(layers_path: str | None = None, onnx_path: str | None = None) -> Any:
    """The network of a layers CSV or an ONNX model (exactly one of them)."""
    if (layers_path is None) == (onnx_path is None):
        raise UsageError("give the network as one of --layers LAYERS.csv or --onnx MODEL.onnx")
    if onnx_path is not None:
        from ..workload.onnx_import import read_onnx

        return read_onnx(onnx_path)
    from ..cost.layers_csv import read_layers_csv

    return read_layers_csv(layers_path)


def pe_array_area_breakdown_um2(raw: Mapping[str, Any], *, extra_keys: tuple[str, ...] = ()) -> dict[str, float]:
    """``{"pes", "l1", "l2"}`` um^2 of one described PE array (``ACC.toml`` keys)."""
    from ..cost import dataflow as df
    from ..cost.accelerator_config import accelerator_config_from_dict
    from ..cost.constants import dataflow_constants, kernel_constants

    cfg = accelerator_config_from_dict(raw, extra_keys=extra_keys)
    k = kernel_constants(dataflow_constants(cfg.constants))
    D = np.asarray(cfg.design(), dtype=np.float64)
    l1, l2 = df.DESIGN_COLUMNS.index("l1_bytes"), df.DESIGN_COLUMNS.index("l2_bytes")
    no_l2 = D.copy()
    no_l2[:, l2] = 0.0
    bare = no_l2.copy()
    bare[:, l1] = 0.0
    a_full, a_no_l2, a_bare = (float(df.area_um2(d, k)[0]) for d in (D, no_l2, bare))
    return {"pes": a_bare, "l1": a_no_l2 - a_bare, "l2": a_full - a_no_l2}


def cost_rows(layers_path: str | None, acc_path: str, *, onnx_path: str | None = None
              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-layer rows and the total row for the cost command (the network from ``layers_path``,
    or from ``onnx_path`` when ``layers_path`` is None)."""
    from .. import backends
    from ..cost.accelerator_config import read_toml

    net = read_network(layers_path, onnx_path)
    raw = read_toml(acc_path)
    target = raw.get("target", "dataflow")
    if target not in backends.available():
        raise UsageError(f"{acc_path}: target: {target!r} is not one of {backends.available()}")
    live = net.meta.get("live_elements")  # an ONNX graph's lifetimes: residency as a search decides it
    extra = {} if live is None else {"live_elements": np.asarray(live, dtype=np.float64)}
    rows, total = backends.get(target).report(raw, net.layers, list(net.names), **extra)
    if target == "dataflow":
        total["area_breakdown_um2"] = pe_array_area_breakdown_um2(raw)
    elif target == "hybrid":
        from ..cost.hybrid import crossbar_mask
        from ..cost.imc_config import IMC_KEYS

        parts = pe_array_area_breakdown_um2(raw, extra_keys=IMC_KEYS)
        # the report counts no PE array when no layer runs on it (backends/dataflow.py pe_array_rows)
        total["pe_array_area_breakdown_um2"] = (parts if (~crossbar_mask(net.layers)).any()
                                                else {k: 0.0 for k in parts})
    total["params"] = net.params
    notes = list(net.meta.get("notes", ()))
    if any(notes):
        total["notes"] = [n for n in notes if n]
    return rows, total

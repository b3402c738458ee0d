"""A user's own network, fixed for a hardware-only co-design search (``[space] neural = "fixed"``).

:func:`load_network` reads a layers CSV (:mod:`evo_codesign.cost.layers_csv`) or an ONNX model
(:mod:`evo_codesign.workload.onnx_import`) by its suffix, once per file version (cached on the
path, size and modification time). :func:`fixed_workload` gives the same network to every design
of a batch: each layer its own row and its own residency unit, its live activations from the ONNX
graph's tensor lifetimes, or from the sequential rule (a layer's input and output) for a CSV.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import MissingFileError, UsageError
from .layers import Network, layer_output_elements, output_size
from .liveness import Workload, sequential_live_elements

__all__ = ["load_network", "fixed_workload", "NETWORK_SUFFIXES", "network_live_elements", "resolution_groups"]

NETWORK_SUFFIXES = (".onnx", ".csv")


def load_network(path: str | Path) -> Network:
    """The layer table of a ``.onnx`` model or a ``.csv`` layers file."""
    p = Path(path)
    if p.suffix.lower() not in NETWORK_SUFFIXES:
        raise UsageError(f"{p}: a network is an ONNX model (.onnx) or a layers CSV (.csv), got {p.suffix!r}")
    try:
        st = p.stat()
    except FileNotFoundError:
        raise MissingFileError(f"network {str(p)!r}: it does not exist") from None
    except OSError as e:
        raise MissingFileError(f"network {str(p)!r}: cannot be read ({e.strerror})") from None
    return _load(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: str, size: int, mtime_ns: int) -> Network:
    if path.lower().endswith(".onnx"):
        from .onnx_import import read_onnx

        return read_onnx(path)
    from ..cost.layers_csv import read_layers_csv

    return read_layers_csv(path)


def network_live_elements(net: Network) -> np.ndarray:
    """(n_layers,) live activation elements while each layer runs: the graph's lifetimes when the
    network came from a graph, else the layer's input plus its output."""
    live = net.meta.get("live_elements")
    return np.asarray(live, dtype=np.float64) if live is not None else sequential_live_elements(net.layers)


def fixed_workload(net: Network, n: int) -> Workload:
    """``n`` designs' networks, all ``net``: one shape and one residency unit per layer, in order."""
    shapes = net.layers.copy()
    counts = np.broadcast_to(shapes["count"].astype(np.int64), (n, len(shapes)))
    shapes["count"] = 1
    live = np.broadcast_to(network_live_elements(net), (n, len(shapes)))
    first, last = net.layers[0], net.layers[-1:]
    inp = float(net.meta.get("input_elements", float(first["C"]) * first["Y"] * first["X"]))
    out = float(net.meta.get("output_elements", layer_output_elements(last)[0]))
    return Workload(shapes, np.array(counts), np.arange(len(shapes), dtype=np.int64), np.array(live),
                    np.full(n, inp), np.full(n, out))


def resolution_groups(L: np.ndarray) -> np.ndarray:
    """Precision group of each row: the rank of its output resolution, largest first; a 1x1
    output joins the group of the row before it."""
    Q = output_size(L["Y"].astype(np.int64), L["R"], L["stride"], L["pad"], L["dilation"])
    P = output_size(L["X"].astype(np.int64), L["S"], L["stride"], L["pad"], L["dilation"])
    area = Q * P
    sizes = sorted({int(a) for a in area if a > 1}, reverse=True)
    groups = np.zeros(len(L), dtype=np.int64)
    for r, a in enumerate(area):
        groups[r] = sizes.index(int(a)) if a > 1 else (groups[r - 1] if r else 0)
    return groups

"""The dataflow-accelerator segment: PE array, buffers, bandwidths, dataflow and mapping genes.

Mapping genes follow NAAS (Lin, Yang, Han, DAC 2021): the loop order is encoded as one
*importance* value per tiled loop dimension (outermost loop = most important; ties broken in the
canonical order K, C, Y, X), so that crossover and mutation act on ordinary integer genes; tile
genes give the temporal tile kept on chip per dimension, clamped to the layer's size by the cost
model. The filter window (R, S) is never tiled (a window is small and always whole in a PE), so it
has no order genes: every gene here changes some cost (``tests/test_gene_effects.py``).

Ranges reach small arrays (4 x 4 = 16 PEs), where the PE count binds and architecture rankings
may change (the case the semi-decoupled premise has to survive), and large ones (64 x 64 = 4096).
Bandwidths are bytes per cycle; the NoC range covers the semi-decoupled study's 300-1000 and the
off-chip range its 50-350 (Lu et al., tinyML 2022, code ``Ren-Research/CoDesign``).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..dataflows import DATAFLOWS as _DATAFLOW_TABLE
from .base import Gene, GenomeError, Segment

__all__ = ["DATAFLOWS", "DATAFLOW_DOC", "LOOP_DIMS", "AcceleratorSegment", "loop_order"]

#: Dataflow names (genome choices) and what each means, from the one dataflow table.
DATAFLOW_DOC = {d.name: d.doc for d in _DATAFLOW_TABLE}
DATAFLOWS: tuple[str, ...] = tuple(DATAFLOW_DOC)
LOOP_DIMS = ("K", "C", "Y", "X")  # the tiled loops, in tie-breaking order
_IMPORTANCE_LEVELS = tuple(range(6))


class AcceleratorSegment(Segment):
    """PE-array accelerator genes (19 genes)."""

    def __init__(self, name: str = "accelerator") -> None:
        genes = [
            Gene("dataflow", DATAFLOWS),
            Gene("array_rows", (4, 8, 16, 32, 64), ordinal=True, unit="PEs"),
            Gene("array_cols", (4, 8, 16, 32, 64), ordinal=True, unit="PEs"),
            Gene("l1_bytes", (32, 64, 128, 256, 512, 1024, 2048), ordinal=True, unit="bytes per PE"),
            Gene("l2_kib", (32, 64, 128, 256, 512, 1024, 2048), ordinal=True, unit="KiB"),
            Gene("noc_bytes_per_cycle", (16, 32, 64, 128, 256, 512, 1024), ordinal=True, unit="bytes/cycle"),
            Gene("offchip_bytes_per_cycle", (8, 16, 32, 64, 128, 256, 512), ordinal=True, unit="bytes/cycle"),
        ]
        genes += [Gene(f"order_{d}", _IMPORTANCE_LEVELS, ordinal=True, unit="importance") for d in LOOP_DIMS]
        genes += [
            Gene("tile_K", (1, 2, 4, 8, 16, 32, 64), ordinal=True),
            Gene("tile_C", (1, 2, 4, 8, 16, 32, 64), ordinal=True),
            Gene("tile_Y", (1, 2, 4, 8, 16, 32), ordinal=True),
            Gene("tile_X", (1, 2, 4, 8, 16, 32), ordinal=True),
        ]
        super().__init__(name, genes, doc="PE-array accelerator: array, buffers, bandwidths, dataflow, mapping")

    def decode(self, x: Any, *, offset: int = 0) -> dict[str, Any]:
        d = super().decode(x, offset=offset)
        d["num_pes"] = d["array_rows"] * d["array_cols"]
        d["loop_order"] = "".join(loop_order(d))
        return d

    def encode(self, values: Mapping[str, Any]) -> np.ndarray:
        v = dict(values)
        # Derived fields from decode() are accepted back if consistent.
        num_pes = v.pop("num_pes", None)
        order = v.pop("loop_order", None)
        x = super().encode(v)
        d = self.decode(x)
        if num_pes is not None and num_pes != d["num_pes"]:
            raise GenomeError(f"segment {self.name!r}: num_pes={num_pes} != array_rows x array_cols = {d['num_pes']}")
        if order is not None and order != d["loop_order"]:
            raise GenomeError(f"segment {self.name!r}: loop_order={order!r} disagrees with the order_* genes ({d['loop_order']!r})")
        return x


def loop_order(decoded: Mapping[str, Any]) -> tuple[str, ...]:
    """Tiled loop dimensions from outermost to innermost: by descending importance, ties in K,C,Y,X order."""
    imp = [decoded[f"order_{d}"] for d in LOOP_DIMS]
    idx = sorted(range(len(LOOP_DIMS)), key=lambda i: (-imp[i], i))
    return tuple(LOOP_DIMS[i] for i in idx)

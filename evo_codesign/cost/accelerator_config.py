"""``ACC.toml`` for a PE-array design: the accelerator genome's field names, any positive sizes.

Omitted fields take these defaults (a mid-size NVDLA-like design)::

    target = "dataflow"          # dataflow | imc | hybrid (imc/hybrid add the IMC keys)
    dataflow = "nvdla"           # nvdla | shidiannao | eyeriss_rs | output_stationary | systolic_ws/os/is
    array_rows = 16              # PEs
    array_cols = 16
    l1_bytes = 512               # per PE
    l2_kib = 256                 # global buffer
    noc_bytes_per_cycle = 64
    offchip_bytes_per_cycle = 32
    order_K = 3                  # loop-order importance (outermost = highest), ties K, C, Y, X
    order_C = 2
    order_Y = 1
    order_X = 0                  # (R and S are never tiled: no order_R / order_S)
    tile_K = 16
    tile_C = 16
    tile_Y = 8
    tile_X = 8
    clock_mhz = 1000.0
    [constants]                  # overrides of evo_codesign.cost.constants by name
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import schema
from ..errors import EvoCodesignError
from ..schema import from_mapping, opt, table
from ..space.accelerator import DATAFLOWS
from .constants import DATAFLOW_OVERRIDES
from .dataflow import DEFAULT_CLOCK_MHZ, design_array

__all__ = ["AcceleratorConfig", "AcceleratorConfigError", "accelerator_config_from_dict", "read_toml",
           "DATAFLOW_KEYS"]


class AcceleratorConfigError(EvoCodesignError):
    """A bad accelerator description; the message names the key."""


def _size(default: int, doc: str) -> Any:
    return opt(default, lo=1, doc=doc)


def _order(default: int, dim: str) -> Any:
    # Importance 0 is legal (innermost); only the ranking matters, so there is no upper bound.
    return opt(default, lo=0, doc=f"loop-order importance of {dim} (outermost = highest)")


@dataclass(frozen=True)
class AcceleratorConfig:
    """A validated PE-array design (field names and units as in the accelerator genome: ``l1_bytes``
    per PE, ``l2_kib`` in KiB, bandwidths in bytes per cycle) plus ``clock_mhz`` and constant
    overrides."""

    dataflow: str = opt("nvdla", choices=DATAFLOWS, doc="dataflow (evo_codesign.space.accelerator.DATAFLOWS)")
    array_rows: int = _size(16, "PE rows")
    array_cols: int = _size(16, "PE columns")
    l1_bytes: int = _size(512, "L1 scratchpad per PE, bytes")
    l2_kib: int = _size(256, "global buffer, KiB")
    noc_bytes_per_cycle: int = _size(64, "NoC bandwidth, bytes per cycle")
    offchip_bytes_per_cycle: int = _size(32, "off-chip bandwidth, bytes per cycle")
    order_K: int = _order(3, "K")
    order_C: int = _order(2, "C")
    order_Y: int = _order(1, "Y")
    order_X: int = _order(0, "X")
    tile_K: int = _size(16, "temporal tile of K, output channels")
    tile_C: int = _size(16, "temporal tile of C, input channels")
    tile_Y: int = _size(8, "temporal tile of Y, output rows")
    tile_X: int = _size(8, "temporal tile of X, output columns")
    clock_mhz: float = opt(DEFAULT_CLOCK_MHZ, gt=0.0, finite=True, doc="clock, MHz")
    constants: Mapping[str, float] = table(DATAFLOW_OVERRIDES, doc="overrides of evo_codesign.cost.constants")

    def design(self) -> np.ndarray:
        """(1, 15) design array for :func:`~evo_codesign.cost.dataflow.dataflow_cost`."""
        return design_array({f.name: getattr(self, f.name) for f in fields(self)})

    @property
    def num_pes(self) -> int:
        return self.array_rows * self.array_cols


DATAFLOW_KEYS = tuple(f.name for f in fields(AcceleratorConfig)) + ("num_pes", "loop_order")


def accelerator_config_from_dict(raw: Mapping[str, Any], *, extra_keys: tuple[str, ...] = ()) -> AcceleratorConfig:
    """Validate the PE-array fields; ``extra_keys`` (e.g. IMC keys of a hybrid design) are allowed
    and ignored. ``target``, ``num_pes`` and ``loop_order`` (as written by ``describe``) are accepted."""
    # num_pes and loop_order are derived fields that `describe` writes; they are checked (num_pes)
    # or ignored (loop_order, recomputed from the order_* genes), never stored.
    cfg = from_mapping(AcceleratorConfig, raw, AcceleratorConfigError,
                       ignore=("target", "num_pes", "loop_order", *extra_keys))
    if "num_pes" in raw and raw["num_pes"] != cfg.num_pes:
        raise AcceleratorConfigError(f"num_pes: {raw['num_pes']} != array_rows x array_cols = {cfg.num_pes}")
    return cfg


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file with ``tomllib``; unreadable, non-UTF-8 or invalid files raise
    :class:`AcceleratorConfigError` naming the file."""
    return schema.read_toml(path, AcceleratorConfigError, what="accelerator description")

"""The PE-array dataflows as one table: a dataflow is one row.

The accelerator genome's ``dataflow`` choices, the dataflow kernel's codes and spatial mappings
(:mod:`evo_codesign.cost.dataflow`), its pure-Python reference (:mod:`evo_codesign.cost.reference`)
and the exact-front grids (:mod:`evo_codesign.strategies.reference`) are all derived from
:data:`DATAFLOWS`. Each row says:

* ``family``: ``"two_axis"`` (MAESTRO style: one loop dimension on the array's rows, one on its
  columns, each limited by its tile), ``"systolic"`` (SCALE-Sim's GEMM view with its fill/drain
  rule) or ``"row_stationary"`` (Eyeriss' logical PE sets, replicated; its own mapping in the kernel);
* ``rows`` / ``cols``: the dimension on each array axis: ``K`` (output channels), ``C`` (input
  channels), ``Y`` / ``X`` (output rows / columns), and for systolic arrays the GEMM extents
  ``CRS`` (C x R x S), ``K`` and ``YX`` (output pixels); ``time`` is a systolic array's temporal
  extent. For a two-axis dataflow the rows are MAESTRO's clusters and the columns the PEs of a
  cluster (``Cluster(cols, P)``): KC-P puts K over clusters and C inside, YX-P output rows over
  clusters and output columns inside; MAESTRO's step-by-step off-chip timing (the kernel's
  ``offchip_step_staging``) reads it so: an output row or column on the rows takes a window of its
  own, one on the columns shares its halo;
* ``fill_rows``: a systolic fold's pipeline fill in multiples of the array's rows (SCALE-Sim 3.0.0:
  2 for weight and input stationary, where the stationary operand is shifted in through all rows
  first, 1 for output stationary);
* ``depthwise``: how a depthwise (or channel-wise pooling) layer maps: ``"as_dense"`` — the same
  dimensions, with one input channel per output channel (output rows x columns on a ShiDianNao-like
  array; output rows x channels on an output-stationary one); ``"channel_parallel"`` — channels
  across every PE of the array, output rows and columns temporal, the filter window whole, as
  MAESTRO's depthwise (``dpt``) mapping and the semi-decoupled paper's MAESTRO runs do (the K x C
  array would otherwise use a single column for a depthwise layer: one PE per row); or
  ``"channel_serial"`` — one GEMM per channel, one after the other (systolic arrays);
* ``source``: the tool or paper the mapping follows.

Adding a two-axis or systolic dataflow is one :class:`Dataflow` row appended to :data:`DATAFLOWS`
(append, so earlier genomes keep their meaning); a new family needs a branch in the kernel and in
its reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataflow", "DATAFLOWS", "NAMES", "DIMS", "FAMILIES", "DEPTHWISE", "by_name", "code", "kernel_table"]

#: Loop-dimension codes the kernel reads (``YX``: output pixels, ``CRS``: a filter's reduction).
DIMS = {"K": 0, "C": 1, "Y": 2, "X": 3, "CRS": 4, "YX": 5, "-": -1}
FAMILIES = {"two_axis": 0, "systolic": 1, "row_stationary": 2}
DEPTHWISE = {"as_dense": 0, "channel_serial": 1, "channel_parallel": 2}


@dataclass(frozen=True)
class Dataflow:
    name: str
    doc: str
    family: str
    rows: str
    cols: str
    time: str = "-"
    fill_rows: int = 0
    depthwise: str = "as_dense"
    source: str = ""

    def __post_init__(self) -> None:
        for what, value, allowed in (("family", self.family, FAMILIES), ("rows", self.rows, DIMS),
                                     ("cols", self.cols, DIMS), ("time", self.time, DIMS),
                                     ("depthwise", self.depthwise, DEPTHWISE)):
            if value not in allowed:
                raise ValueError(f"dataflow {self.name!r}: {what} {value!r} is not one of {list(allowed)}")
        two_axis = ("K", "C", "Y", "X")
        if self.family == "two_axis" and not (self.rows in two_axis and self.cols in two_axis and self.rows != self.cols):
            raise ValueError(f"dataflow {self.name!r}: a two-axis dataflow maps two different dimensions of "
                             f"{list(two_axis)} onto rows and columns")
        if self.depthwise == "channel_parallel" and self.family != "two_axis":
            raise ValueError(f"dataflow {self.name!r}: channel_parallel depthwise mapping needs a two-axis dataflow")
        gemm = {"CRS", "K", "YX"}
        if self.family == "systolic" and ({self.rows, self.cols, self.time} != gemm or self.fill_rows < 1):
            raise ValueError(f"dataflow {self.name!r}: a systolic dataflow puts CRS, K and YX on rows, columns and "
                             f"time (one each) and has fill_rows >= 1")


#: Every dataflow, in genome order (the index is the gene value and the kernel's code).
DATAFLOWS: tuple[Dataflow, ...] = (
    Dataflow("nvdla", "NVDLA-like weight stationary: K across PE rows, C across columns (MAESTRO KC-P)",
             "two_axis", "K", "C", depthwise="channel_parallel",
             source="MAESTRO KC-P (Kwon et al., MICRO 2019; maestro-project/maestro "
                    "tools/frontend/dataflow/kcp_ws.m: K over clusters, C over a cluster's PEs); depthwise "
                    "layers as MAESTRO's dpt mapping (tools/frontend/dataflow/dpt.m)"),
    Dataflow("shidiannao", "ShiDianNao-like: output columns X spatial, weights broadcast (MAESTRO X-P)",
             "two_axis", "Y", "X",
             source="MAESTRO X-P (tools/frontend/dataflow/xp_ws.m) on one row; on more rows MAESTRO's YX-P "
                    "(data/mapping/Resnet50_yxp_os.m: output rows over clusters, columns inside)"),
    Dataflow("eyeriss_rs", "Eyeriss row stationary: filter rows R x output rows Y on the array (MAESTRO YR-P)",
             "row_stationary", "-", "-", source="MAESTRO YR-P; replication as Eyeriss (Chen et al., JSSC 2017)"),
    Dataflow("output_stationary", "output stationary, Y x K parallel (MAESTRO YK-P)",
             "two_axis", "Y", "K", source="MAESTRO YK-P"),
    Dataflow("systolic_ws", "systolic array, weight stationary (SCALE-Sim ws)",
             "systolic", "CRS", "K", "YX", 2, "channel_serial", source="SCALE-Sim 3.0.0 ws"),
    Dataflow("systolic_os", "systolic array, output stationary (SCALE-Sim os)",
             "systolic", "YX", "K", "CRS", 1, "channel_serial", source="SCALE-Sim 3.0.0 os"),
    Dataflow("systolic_is", "systolic array, input stationary (SCALE-Sim is)",
             "systolic", "CRS", "YX", "K", 2, "channel_serial", source="SCALE-Sim 3.0.0 is"),
)

NAMES: tuple[str, ...] = tuple(d.name for d in DATAFLOWS)
assert len(set(NAMES)) == len(NAMES), "dataflow names must be unique"


def by_name(name: str) -> Dataflow:
    try:
        return DATAFLOWS[NAMES.index(name)]
    except ValueError:
        raise ValueError(f"unknown dataflow {name!r}; allowed: {list(NAMES)}") from None


def code(name: str) -> int:
    """The kernel's code (and gene value) of a dataflow."""
    return NAMES.index(by_name(name).name)


def kernel_table() -> np.ndarray:
    """int64 (n_dataflows, 6): family, rows dim, cols dim, time dim, fill_rows, depthwise code."""
    return np.array([[FAMILIES[d.family], DIMS[d.rows], DIMS[d.cols], DIMS[d.time], d.fill_rows,
                      DEPTHWISE[d.depthwise]] for d in DATAFLOWS], dtype=np.int64).reshape(-1, 6)

"""A fixed network: the neural segment of a hardware-only co-design search.

``[space] neural = "fixed"`` with ``network = "MODEL.onnx"`` (or a layers CSV) searches only the
hardware for a network the user already has. Its segment has no genes: every design runs the same
network. It carries the network's layer table (what the evaluator costs) and the names of its
precision groups (what an IMC segment's per-group genes are named after: ``stage0``... for an ONNX
model, by resolution; ``group0``... for a CSV's ``group`` column).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Segment

__all__ = ["FixedSegment", "fixed_segment"]


class FixedSegment(Segment):
    """No genes; ``network`` is a :class:`~evo_codesign.workload.layers.Network` (its ``layers``
    table's ``group`` column indexes :attr:`precision_groups`)."""

    def __init__(self, network: Any, *, name: str = "fixed") -> None:
        super().__init__(name, [], doc=f"fixed network {network.name!r} ({len(network)} layers)")
        self.network = network
        names = network.meta.get("group_names")
        n_groups = int(network.layers["group"].max()) + 1 if len(network) else 1
        self.precision_groups: tuple[str, ...] = (tuple(names) if names is not None
                                                  else tuple(f"group{g}" for g in range(n_groups)))
        if len(self.precision_groups) < n_groups:
            raise ValueError(f"network {network.name!r}: {n_groups} precision groups, "
                             f"{len(self.precision_groups)} names")

    @property
    def source(self) -> str:
        """The file the network was read from ('' when built in code)."""
        return str(self.network.meta.get("source", ""))


def fixed_segment(network: Any) -> FixedSegment:
    """The segment of a network given as a file (``.onnx`` or ``.csv``) or a ``Network``."""
    if isinstance(network, FixedSegment):
        return network
    if isinstance(network, (str, Path)):
        # reading a file is the workload's job; the space keeps only the table it gives
        from ..workload.fixed import load_network

        network = load_network(network)
    return FixedSegment(network)

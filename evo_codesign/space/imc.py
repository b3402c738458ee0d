"""The in-memory-computing (IMC) periphery segment, in XPert's terms.

XPert (Moitra et al., DAC 2023) searches the ADC type, ADC precision and column sharing of
SRAM crossbars, and per-layer input precision. Global genes: ``crossbar_size`` (rows = columns),
``cell_bits`` (bits stored per device), ``weight_bits``, ``adc_type``, ``adc_bits`` and
``column_sharing`` (columns multiplexed onto one ADC). Per-group genes (``input_bits`` by default)
repeat once per precision group: the layers of the XPert backbone, or the three resolution stages
of the NB301 network. ``per_group`` moves other knobs (e.g. ``adc_bits`` for XPert's phase 2)
from global to per group.

ADC precision is in *bits*: b bits means 2^b levels. (XPert's released NeuroSim configuration
writes its bit count into NeuroSim's ``levelOutput``, which counts levels; we model bits.)

Chip genes (global; :mod:`evo_codesign.cost.crossbar`): ``schedule`` (``sequential``, one layer at a
time, or ``pipelined``, weights resident and every layer a pipeline stage, ISAAC/PUMA), ``tiles``
(the chip's tile count, 16 crossbars each with the default hierarchy: a network that needs more
rewrites the weights that do not fit every inference, or is infeasible where the search asks for
the ``crossbar_capacity`` constraint) and ``duplication`` (the most copies of a layer in a pipeline,
NeuroSim's speed-up rule; no effect when sequential). :meth:`ImcSegment.encode` fills a chip gene
that a design leaves out with :data:`CHIP_DEFAULTS`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .base import Gene, GenomeError, Segment

__all__ = ["IMC_KNOBS", "ImcSegment", "ADC_TYPES", "SCHEDULES", "CHIP_GENES", "CHIP_DEFAULTS"]

ADC_TYPES = ("sar", "flash")
SCHEDULES = ("sequential", "pipelined")
#: knob -> (choices, ordinal, unit)
IMC_KNOBS: dict[str, tuple[tuple, bool, str]] = {
    "crossbar_size": ((64, 128, 256), True, "rows = cols"),
    "cell_bits": ((1, 2, 4), True, "bits per device"),
    "weight_bits": ((4, 8), True, "bits"),
    "adc_type": (ADC_TYPES, False, ""),
    "adc_bits": ((3, 4, 5, 6, 7, 8), True, "bits"),
    "column_sharing": ((1, 2, 4, 8, 16, 32), True, "columns per ADC"),
    "input_bits": ((2, 3, 4, 5, 6, 7, 8), True, "bits"),
    "schedule": (SCHEDULES, False, ""),
    "tiles": ((8, 16, 32, 64, 128, 256, 512, 1024), True, "tiles on the chip"),
    "duplication": ((1, 2, 4, 8, 16, 32), True, "most copies of a layer (pipelined)"),
}
#: Chip-level genes (never per group) and the value :meth:`ImcSegment.encode` gives one left out.
CHIP_GENES = ("schedule", "tiles", "duplication")
CHIP_DEFAULTS: dict[str, object] = {"schedule": "sequential", "tiles": 64, "duplication": 1}
_PER_GROUP_ALLOWED = ("input_bits", "adc_bits", "adc_type", "column_sharing")


class ImcSegment(Segment):
    """IMC periphery genes; ``groups`` names the precision groups (e.g. backbone layers or stages).
    ``chip_genes``: which of :data:`CHIP_GENES` the genome searches (one left out is costed at its
    default: sequential, one copy, and a chip with as many tiles as the network needs)."""

    def __init__(self, groups: Sequence[str] = ("stage0", "stage1", "stage2"), *,
                 per_group: Sequence[str] = ("input_bits",), name: str = "imc",
                 chip_genes: Sequence[str] = CHIP_GENES) -> None:
        groups = tuple(groups)
        if not groups:
            raise ValueError("ImcSegment needs at least one precision group")
        bad = [k for k in per_group if k not in _PER_GROUP_ALLOWED]
        if bad:
            raise ValueError(f"per_group knobs {bad} not allowed; choose from {list(_PER_GROUP_ALLOWED)}")
        bad = [k for k in chip_genes if k not in CHIP_GENES]
        if bad:
            raise ValueError(f"chip genes {bad} unknown; choose from {list(CHIP_GENES)}")
        self.groups = groups
        self.per_group = tuple(k for k in IMC_KNOBS if k in per_group)
        self.global_knobs = tuple(k for k in IMC_KNOBS if k not in self.per_group
                                  and (k not in CHIP_GENES or k in chip_genes))
        genes = [Gene(k, IMC_KNOBS[k][0], IMC_KNOBS[k][1], IMC_KNOBS[k][2]) for k in self.global_knobs]
        for k in self.per_group:
            choices, ordinal, unit = IMC_KNOBS[k]
            genes += [Gene(f"{k}.{g}", choices, ordinal, unit) for g in groups]
        super().__init__(name, genes, doc="IMC crossbar periphery (XPert style)")

    def decode(self, x: Any, *, offset: int = 0) -> dict[str, Any]:
        """Global knobs as scalars; per-group knobs as lists aligned with ``groups``."""
        flat = super().decode(x, offset=offset)
        out: dict[str, Any] = {k: flat[k] for k in self.global_knobs}
        for k in self.per_group:
            out[k] = [flat[f"{k}.{g}"] for g in self.groups]
        out["groups"] = list(self.groups)
        return out

    def encode(self, values: Mapping[str, Any]) -> np.ndarray:
        """Per-group knobs may be a list (one per group), a mapping group -> value, or one value
        for every group; a chip gene left out takes :data:`CHIP_DEFAULTS`."""
        if not isinstance(values, Mapping):
            raise GenomeError(f"segment {self.name!r}: expected a mapping, got {type(values).__name__}")
        v = dict(values)
        for k in CHIP_GENES:
            if k in self.gene_names:
                v.setdefault(k, CHIP_DEFAULTS[k])
        groups = v.pop("groups", None)
        if groups is not None and list(groups) != list(self.groups):
            raise GenomeError(f"segment {self.name!r}: groups {list(groups)} differ from {list(self.groups)}")
        flat: dict[str, Any] = {}
        for k, val in v.items():
            if k in self.per_group:
                if isinstance(val, Mapping):
                    unknown = [g for g in val if g not in self.groups]
                    if unknown:
                        raise GenomeError(f"segment {self.name!r}: {k} names unknown group(s) {unknown}")
                    for g, gv in val.items():
                        flat[f"{k}.{g}"] = gv
                elif isinstance(val, (list, tuple)):
                    if len(val) != len(self.groups):
                        raise GenomeError(f"segment {self.name!r}: {k} needs {len(self.groups)} values, got {len(val)}")
                    for g, gv in zip(self.groups, val):
                        flat[f"{k}.{g}"] = gv
                else:
                    for g in self.groups:
                        flat[f"{k}.{g}"] = val
            else:
                flat[k] = val
        return super().encode(flat)

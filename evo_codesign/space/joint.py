"""The joint genome: a concatenation of named segments.

``JointSpace`` keeps the segments' order and offers slices by name, so that a strategy can freeze
one segment (architecture) and search another (hardware). All batch methods take ``(n, n_var)``
integer arrays; single genomes are 1-D.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .accelerator import AcceleratorSegment
from .backbone import BackboneSegment, conv_names
from .base import GenomeError, Segment, as_genome_batch
from .cell import CellSegment
from .fixed import fixed_segment
from .imc import CHIP_GENES, ImcSegment

__all__ = ["JointSpace", "make_space", "SegmentOptions", "NEURAL_SPACES", "HARDWARE_TARGETS", "NB301_STAGES", "HARDWARE",
           "register_hardware", "unregister_hardware", "register_segment", "hardware_targets"]

#: ``fixed``: the user's own network, no genes (:mod:`evo_codesign.space.fixed`)
NEURAL_SPACES = ("cell", "backbone", "fixed")
#: The built-in hardware targets (their backends: :mod:`evo_codesign.backends`).
HARDWARE_TARGETS = ("dataflow", "imc", "hybrid")
#: Precision groups of the NB301 network: its three resolutions (32, 16 and 8 pixels on CIFAR).
NB301_STAGES = ("stage0", "stage1", "stage2")


class JointSpace:
    """An ordered concatenation of segments with unique names."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        names = [s.name for s in segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        if not segments:
            raise ValueError("a JointSpace needs at least one segment")
        self.segments: tuple[Segment, ...] = tuple(segments)
        self.slices: dict[str, slice] = {}
        start = 0
        for s in self.segments:
            self.slices[s.name] = slice(start, start + s.n_var)
            start += s.n_var
        self.n_var = start
        self.xl = np.concatenate([s.xl for s in self.segments])
        self.xu = np.concatenate([s.xu for s in self.segments])

    def __repr__(self) -> str:
        parts = ", ".join(f"{s.name}[{s.n_var}]" for s in self.segments)
        return f"JointSpace({parts}; n_var={self.n_var})"

    def __contains__(self, name: str) -> bool:
        return name in self.slices

    def __getitem__(self, name: str) -> Segment:
        for s in self.segments:
            if s.name == name:
                return s
        raise KeyError(f"no segment {name!r}; segments: {list(self.slices)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.slices)

    @property
    def gene_names(self) -> tuple[str, ...]:
        return tuple(f"{s.name}.{g}" for s in self.segments for g in s.gene_names)

    @property
    def ordinal_mask(self) -> np.ndarray:
        return np.concatenate([s.ordinal_mask for s in self.segments])

    @property
    def n_choices(self) -> np.ndarray:
        return self.xu - self.xl + 1

    def blocks(self) -> list[np.ndarray]:
        """Crossover units in joint positions (a cell node's four genes move together)."""
        return [b + self.slices[s.name].start for s in self.segments for b in s.blocks()]

    def _batch(self, X: Any) -> tuple[np.ndarray, bool]:
        return as_genome_batch(X, self.n_var, what="joint genome")

    def split(self, X: Any) -> dict[str, np.ndarray]:
        """Views of each segment's genes (1-D or 2-D like the input)."""
        A, was_1d = self._batch(X)
        return {n: (A[0, sl] if was_1d else A[:, sl]) for n, sl in self.slices.items()}

    def join(self, parts: Mapping[str, Any]) -> np.ndarray:
        """Concatenate per-segment genomes (all 1-D, or all batches of one length)."""
        missing = [n for n in self.slices if n not in parts]
        unknown = [n for n in parts if n not in self.slices]
        if missing or unknown:
            raise GenomeError(f"join: missing segments {missing}, unknown segments {unknown}")
        arrs = [np.asarray(parts[s.name], dtype=np.int64) for s in self.segments]
        if all(a.ndim == 1 for a in arrs):
            return np.concatenate(arrs)
        arrs = [a if a.ndim == 2 else np.broadcast_to(a, (max(b.shape[0] for b in arrs if b.ndim == 2), a.size))
                for a in arrs]
        return np.concatenate(arrs, axis=1)

    def is_valid(self, X: Any) -> np.ndarray | bool:
        A, was_1d = self._batch(X)
        ok = np.ones(len(A), dtype=bool)
        for s in self.segments:
            ok &= s.is_valid(A[:, self.slices[s.name]])
        return bool(ok[0]) if was_1d else ok

    def validate(self, x: Any) -> np.ndarray:
        A, was_1d = self._batch(x)
        if not was_1d:
            raise GenomeError("validate() takes one genome, got a batch")
        for s in self.segments:
            sl = self.slices[s.name]
            s.validate(A[0, sl], offset=sl.start)
        return A[0]

    def repair(self, X: Any) -> np.ndarray:
        """Every segment's :meth:`Segment.repair` on its genes: one clip of the whole genome, then
        each segment's structural rule on its own (in place on the clipped copy)."""
        A, was_1d = self._batch(X)
        R = np.minimum(np.maximum(A, self.xl), self.xu)  # integers: np.clip's values, without its wrapper
        for s in self.segments:
            sl = self.slices[s.name]
            if type(s).repair is not Segment.repair:  # a segment with its own repair
                R[:, sl] = s.repair(A[:, sl])
            elif type(s)._repair_structure is not Segment._repair_structure:
                R[:, sl] = s._repair_structure(R[:, sl])
        return R[0] if was_1d else R

    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        if not isinstance(rng, np.random.Generator):
            raise TypeError("sample() needs a numpy Generator (np.random.default_rng(seed)), not global state")
        m = 1 if n is None else int(n)
        X = np.concatenate([s.sample(rng, m) for s in self.segments], axis=1)
        return X[0] if n is None else X

    def decode(self, x: Any) -> dict[str, Any]:
        """``{segment name: decoded segment}``; errors name the segment and the joint position."""
        A, was_1d = self._batch(x)
        if not was_1d:
            raise GenomeError("decode() takes one genome, got a batch")
        return {s.name: s.decode(A[0, self.slices[s.name]], offset=self.slices[s.name].start) for s in self.segments}

    def encode(self, values: Mapping[str, Any]) -> np.ndarray:
        missing = [n for n in self.slices if n not in values]
        unknown = [n for n in values if n not in self.slices]
        if missing or unknown:
            raise GenomeError(f"encode: missing segments {missing}, unknown segments {unknown}")
        return np.concatenate([s.encode(values[s.name]) for s in self.segments])

    def size(self) -> float:
        return float(np.prod([s.size() for s in self.segments]))


@dataclass(frozen=True)
class SegmentOptions:
    """What the configured space says about its hardware segments: the IMC knobs searched per
    precision group and the chip genes (schedule, tiles, duplication) the genome searches."""

    imc_per_group: tuple[str, ...] = ("input_bits",)
    imc_chip_genes: tuple[str, ...] = CHIP_GENES
    #: a fixed network's precision groups (None: those of the neural space)
    precision_groups: tuple[str, ...] | None = None


def _imc_segment(neural: str | None, options: SegmentOptions) -> Segment:
    # precision groups: the NB301 stages for cells, the 13 convolutions for the backbone, a fixed
    # network's own
    groups = (options.precision_groups if options.precision_groups is not None
              else conv_names() if neural == "backbone" else NB301_STAGES)
    return ImcSegment(groups, per_group=options.imc_per_group, chip_genes=options.imc_chip_genes)


#: hardware target -> the genome segments it adds, in genome order. Hardware backends register
#: theirs (:func:`evo_codesign.backends.register`); the space knows only segment names.
HARDWARE: dict[str, tuple[str, ...]] = {"dataflow": ("accelerator",), "imc": ("imc",),
                                        "hybrid": ("accelerator", "imc")}
#: segment name -> builder ``(neural, options: SegmentOptions) -> Segment``.
SEGMENT_BUILDERS: dict[str, Any] = {"accelerator": lambda neural, options: AcceleratorSegment(),
                                    "imc": _imc_segment}


def register_hardware(name: str, segments: Sequence[str], *, replace: bool = False) -> None:
    """Declare hardware target ``name`` as the genome segments ``segments`` (each built by a
    registered segment builder, see :func:`register_segment`)."""
    unknown = [s for s in segments if s not in SEGMENT_BUILDERS]
    if unknown:
        raise ValueError(f"hardware {name!r}: no segment builder for {unknown}; register_segment() first")
    if name in HARDWARE and not replace and tuple(HARDWARE[name]) != tuple(segments):
        raise ValueError(f"hardware target {name!r} is already declared as {HARDWARE[name]}")
    HARDWARE[name] = tuple(segments)


def unregister_hardware(name: str) -> None:
    if name not in HARDWARE_TARGETS:
        HARDWARE.pop(name, None)


def register_segment(name: str, builder: Any) -> None:
    """A new kind of hardware segment: ``builder(neural, options: SegmentOptions) -> Segment``."""
    SEGMENT_BUILDERS[name] = builder


def hardware_targets() -> list[str]:
    return list(HARDWARE)


def make_space(neural: str | None = "cell", hardware: str | None = "hybrid", *,
               imc_per_group: Sequence[str] = ("input_bits",),
               imc_chip_genes: Sequence[str] = CHIP_GENES, network: Any = None) -> JointSpace:
    """The product's standard spaces.

    ``neural``: ``"cell"`` (DARTS/NB301), ``"backbone"`` (XPert VGG16-like), ``"fixed"`` (the
    ``network``: an ONNX model or layers CSV path, or a ``Network``; no genes) or None.
    ``hardware``: ``"dataflow"`` (PE array), ``"imc"`` (crossbars), ``"hybrid"`` (both) or None.
    IMC precision groups are the NB301 stages for the cell and the 13 convolutions for the backbone;
    ``imc_chip_genes``: which crossbar-chip genes are searched (the others take their defaults).
    """
    if neural not in NEURAL_SPACES + (None,):
        raise ValueError(f"unknown neural space {neural!r}; allowed: {list(NEURAL_SPACES)} or None")
    if hardware is not None and hardware not in HARDWARE:
        raise ValueError(f"unknown hardware target {hardware!r}; allowed: {hardware_targets()} or None")
    if (neural == "fixed") != (network is not None):
        raise ValueError("neural space 'fixed' needs network= (an ONNX model, a layers CSV or a Network), and "
                         f"only it takes one; got neural={neural!r}, network={network!r}")
    segs: list[Segment] = []
    if neural == "cell":
        segs.append(CellSegment())
    elif neural == "backbone":
        segs.append(BackboneSegment())
    elif neural == "fixed":
        segs.append(fixed_segment(network))
    groups = segs[0].precision_groups if neural == "fixed" else None
    for name in HARDWARE.get(hardware, ()) if hardware is not None else ():
        segs.append(SEGMENT_BUILDERS[name](neural, SegmentOptions(tuple(imc_per_group), tuple(imc_chip_genes),
                                                                  groups)))
    return JointSpace(segs)

"""The surrogate protocol, the registry and helpers every backend shares.

A surrogate predicts the CIFAR-10 validation accuracy (%) that NAS-Bench-301 (Siems et al. 2020,
arXiv 2008.09777) assigns to a DARTS cell under its training protocol (8 cells, 32 channels,
~100 epochs): ``predict(cells) -> (n,) float64`` for a batch ``(n, 32)`` of cell genomes (a single
genome of 32 genes counts as a batch of one). Backends are picklable, so runs can be checkpointed
and fanned out to worker processes, and ``describe()`` states what they were fit on and how well
they rank data they were not fit on. ``predict_with_std`` is optional (check with ``hasattr``).

Backends register under a name; configs pick one with ``[surrogate] name = ...``::

    from evo_codesign.surrogate import get_surrogate
    acc = get_surrogate("embedded").predict(X_cells)   # (n,) accuracy in %
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np

from ..errors import UsageError
from ..space.base import GenomeError, as_genome_batch
from ..space.cell import CellSegment

__all__ = ["Surrogate", "register", "get_surrogate", "available", "as_cells", "rank_agreement"]


@runtime_checkable
class Surrogate(Protocol):
    """What the evaluator needs from an accuracy model."""

    name: str

    def predict(self, cells: Any) -> np.ndarray:
        """Accuracy (%) of each cell genome, float64 of shape (n,)."""
        ...

    def describe(self) -> dict:
        """Fit data, protocol and held-out agreement (JSON-serialisable)."""
        ...


_REGISTRY: dict[str, Callable[..., Surrogate]] = {}
_SEG = CellSegment()


def register(name: str) -> Callable:
    """Class decorator: make a backend available to :func:`get_surrogate` under ``name``."""
    def deco(factory: Callable[..., Surrogate]) -> Callable[..., Surrogate]:
        _REGISTRY[name] = factory
        return factory
    return deco


def available() -> list[str]:
    """Registered backend names, whether or not their optional files and packages are present."""
    return sorted(_REGISTRY)


def get_surrogate(name: str = "embedded", **options: Any) -> Surrogate:
    """Instantiate a backend by name; unknown names and options are errors that name them.

    Missing model files raise :class:`FileNotFoundError`, missing optional packages
    :class:`ImportError`, each saying what to install or where to point.
    """
    if name not in _REGISTRY:
        raise UsageError(f"unknown surrogate {name!r}; available: {available()}")
    try:
        return _REGISTRY[name](**options)
    except TypeError as e:
        raise UsageError(f"surrogate {name!r}: bad options {sorted(options)} ({e})") from None


def as_cells(cells: Any, *, who: str) -> np.ndarray:
    """Validated int64 batch (n, 32) of cell genomes, or :class:`GenomeError` naming the problem.

    ``who`` (the backend's name) starts the message, followed by the offending row, position and
    gene, e.g. ``"embedded: cell 1: segment 'cell', position 3 (gene 'normal.1.input'): ..."``.
    """
    A, _ = as_genome_batch(cells, _SEG.n_var, what=f"{who}: cell genomes")
    if len(A) == 0:
        return A
    ok = _SEG.is_valid(A)
    if not ok.all():
        bad = int(np.argmin(ok))
        try:
            _SEG.validate(A[bad])
        except GenomeError as e:
            raise GenomeError(f"{who}: cell {bad}: {e}") from None
    return A


def rank_agreement(pred: Any, target: Any) -> dict[str, float]:
    """Spearman's rho, Kendall's tau-b (``scipy.stats``), mean absolute error (points of %) and
    mean bias (``pred - target``, points) of predictions against reference accuracies."""
    from scipy.stats import kendalltau, spearmanr

    p = np.asarray(pred, dtype=np.float64).ravel()
    t = np.asarray(target, dtype=np.float64).ravel()
    if p.shape != t.shape or len(p) < 2:
        raise UsageError(f"rank_agreement: need two equal-length vectors of >= 2 values, got {p.shape}, {t.shape}")
    rho = float(spearmanr(p, t).statistic)
    return {"spearman": rho, "kendall": float(kendalltau(p, t).statistic), "mae": float(np.mean(np.abs(p - t))),
            "bias": float(np.mean(p - t)), "n": int(len(p))}

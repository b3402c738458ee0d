"""Where an accuracy surrogate was fit: an out-of-distribution flag for cells far from its training cells.

A linear model extrapolates without warning: the embedded surrogate predicts 92.4-93.4 % for cells
whose 16 edges are all ``skip_connect`` (93.80 +- 0.06 % in issue 17's example), networks that
train far worse (DARTS' own failure mode), and the spread of its fold models says nothing because
they all extrapolate alike. So a prediction
comes with a distance: the Euclidean distance of the cell's features
(:func:`~evo_codesign.surrogate.features.cell_features`, each column standardised by the training
cells' mean and standard deviation; constant columns dropped) to its nearest training cell. The
threshold is the largest leave-one-out nearest-neighbour distance among the training cells
themselves: no training cell is farther from the others than that, so a cell beyond it lies outside
the cloud the model was fit on. ``score`` = distance / threshold; ``ood`` = ``score > 1``.

The training cells of the embedded surrogate are uniformly random valid cells (its prior was
distilled on 50,000 of them, drawn with the seed in its parameter file, and its calibration cells
are uniformly random too). :func:`embedded_domain` draws the same stream with the parameter file's
seed and keeps its first :data:`N_REFERENCE` cells, so the domain is computed from the shipped
parameters and no data set is needed. The threshold (a 2,000 x 2,000 distance matrix, about 0.2 s)
is computed once, by the fit script, and stored in the parameter file's ``domain`` entry
(:func:`domain_entry`); a test recomputes it. Measured (``tests/test_surrogate.py``): about 0.02 % of
further random cells score above 1; the all-``skip_connect`` cell scores about 1.5, as do cells of
any single operation; of the published cells, PDARTS, PC-DARTS, GDAS and DrNAS score 0.75-0.92 and
DARTS V1/V2 1.00-1.05 (a reduction cell of eight max-pools is far from random cells).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .features import cell_features

__all__ = ["TrainingDomain", "embedded_domain", "N_REFERENCE", "reference_cells", "domain_entry"]

#: Training cells kept as the reference set: 2,000 gives a leave-one-out threshold within 1 % of
#: 1,500's and 3,000's median-to-max spread of distances (measured) at 0.1-0.4 s to build.
N_REFERENCE = 2000


@dataclass(frozen=True)
class TrainingDomain:
    """Reference cells' standardised features and the leave-one-out threshold (see the module
    docstring). ``mean``/``scale``: per kept feature column; ``Z``: reference cells, standardised."""

    columns: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    Z: np.ndarray
    threshold: float
    source: str

    @classmethod
    def from_cells(cls, cells: np.ndarray, source: str, threshold: float | None = None) -> "TrainingDomain":
        """The domain of training ``cells`` (``(n, 32)`` genomes, n >= 2). ``threshold``: the
        cells' leave-one-out threshold when already known (computed from them otherwise)."""
        F = cell_features(np.asarray(cells, dtype=np.int64))
        if len(F) < 2:
            raise ValueError("TrainingDomain needs at least two training cells")
        mu, sd = F.mean(axis=0), F.std(axis=0)
        cols = np.flatnonzero(sd > 1e-12)
        Z = (F[:, cols] - mu[cols]) / sd[cols]
        if threshold is None:
            d2 = _sq_distances(Z, Z)
            np.fill_diagonal(d2, np.inf)  # leave one out: a cell is not its own neighbour
            threshold = float(np.sqrt(d2.min(axis=1).max()))
        return cls(cols, mu[cols], sd[cols], Z, float(threshold), source)

    def distance(self, cells: Any) -> np.ndarray:
        """Distance of each cell's standardised features to the nearest reference cell, ``(n,)``."""
        A = np.asarray(cells, dtype=np.int64)
        if len(A) == 0:
            return np.zeros(0)
        Zq = (cell_features(A)[:, self.columns] - self.mean) / self.scale
        out = np.empty(len(A))
        for i in range(0, len(A), 1024):  # bounded memory: 1,024 x 2,000 distances at a time
            out[i:i + 1024] = np.sqrt(_sq_distances(Zq[i:i + 1024], self.Z, self._z_norms).min(axis=1))
        return out

    @cached_property
    def _z_norms(self) -> np.ndarray:
        """The reference cells' squared norms (the same for every query: worked out once)."""
        return (self.Z * self.Z).sum(axis=1)

    def score(self, cells: Any) -> np.ndarray:
        """Distance over the threshold: above 1 means outside the training cells."""
        return self.distance(cells) / self.threshold

    def describe(self) -> dict:
        return {"reference_cells": int(len(self.Z)), "feature_columns": int(len(self.columns)),
                "threshold": round(self.threshold, 4), "rule": "ood when the distance of a cell's standardised "
                "features to its nearest reference cell exceeds the largest leave-one-out nearest-neighbour "
                "distance among the reference cells", "reference": self.source}


def _sq_distances(A: np.ndarray, B: np.ndarray, b_norms: np.ndarray | None = None) -> np.ndarray:
    """Squared distances of every row of ``A`` to every row of ``B`` (``b_norms``: B's squared row
    norms, when known)."""
    b2 = (B * B).sum(axis=1) if b_norms is None else b_norms
    d2 = (A * A).sum(axis=1)[:, None] + b2[None, :] - 2.0 * (A @ B.T)
    return np.maximum(d2, 0.0)


def reference_cells(prior: dict) -> np.ndarray:
    """The first :data:`N_REFERENCE` cells of the random stream the embedded surrogate's prior
    (its parameter file's ``prior`` entry: seed, size) was distilled on."""
    from ..space.cell import CellSegment

    seed, n_fit = int(prior["seed"]), int(prior["n_fit"])
    # The fit script (benchmarks/fit_embedded_surrogate.py, distil_prior) draws its fit and check
    # cells as one batch from this seed; a batch's rows depend on its size, so draw the same size
    # (fit + check cells; the stored check count, 5,000 of 5,000 drawn,
    # shows that none were dropped as equal to a labelled cell) and keep its
    # first rows, the prior's first training cells.
    n_check = int(prior["fidelity_vs_yahpo"]["n"])
    return CellSegment().sample(np.random.default_rng(seed), n_fit + n_check)[:N_REFERENCE]


def domain_entry(prior: dict) -> dict:
    """The parameter file's ``domain`` entry for a surrogate with this ``prior`` entry: the
    reference cells' leave-one-out threshold, computed here (the fit script stores it)."""
    dom = TrainingDomain.from_cells(reference_cells(prior), "")
    return {"reference_cells": N_REFERENCE, "threshold": dom.threshold,
            "rule": "largest leave-one-out nearest-neighbour distance among the reference cells "
                    "(evo_codesign.surrogate.domain)"}


@lru_cache(maxsize=1)
def embedded_domain() -> TrainingDomain:
    """The embedded surrogate's domain: the first :data:`N_REFERENCE` cells of the random stream its
    prior was distilled on (seed and size from the parameter file), with the threshold the
    parameter file stores (computed here when it stores none), built once per process."""
    from .embedded import load_parameters

    p = load_parameters()
    prior = p["prior"]
    stored = p.get("domain", {})
    threshold = stored.get("threshold") if stored.get("reference_cells") == N_REFERENCE else None
    return TrainingDomain.from_cells(reference_cells(prior), f"the first {N_REFERENCE} of the {int(prior['n_fit']):,} "
                                     f"uniformly random cells (seed {int(prior['seed'])}) the embedded surrogate's "
                                     f"prior was distilled on", threshold)

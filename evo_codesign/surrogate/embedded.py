"""The default accuracy surrogate: a linear model on order-invariant cell features, shipped as a
small JSON file (``evo_codesign/data/embedded_surrogate.json``) and needing only numpy and Numba.

What it predicts
    NB301 validation accuracy (%) of a DARTS cell pair under the NB301 training protocol
    (8 cells, 32 initial channels, ~100 epochs; Siems et al. 2020, arXiv 2008.09777).

Features
    :mod:`evo_codesign.surrogate.features`: (edge, op) one-hot, node input pairs, op counts and
    cell-depth numbers with all their pairwise products, and two-edge op paths (766 columns, all
    invariant to the order of a node's two edges).

How it is fit (``python benchmarks/fit_embedded_surrogate.py`` rewrites the JSON file)
    1. *Prior from YAHPO (label-free).* YAHPO Gym's NB301 ONNX surrogate v1 (Pfisterer et al.,
       arXiv 2109.03670) labels 50,000 uniformly random valid cells at epoch 98 (cells equal to
       a labelled one are dropped); ridge regression on the features distils it (Spearman 0.997
       against YAHPO on 5,000 further random cells). This stage never sees the official labels.
    2. *Calibration on the official labels.* Ridge regression on the 718 cells labelled by the
       official NB301 surrogate (NAS-Bench-Suite-Zero samples, NASLib) with the features plus the
       prior's prediction as an unpenalised column; the penalty is chosen by an inner 5-fold CV.
       Both stages are linear, so the shipped model is one weight vector over the features:
       ``ridge(features) + a * prior(features)`` -- a ridge fit shrunk towards the YAHPO prior.

Held-out quality (measured by the script; the file's ``metrics`` holds the exact figures)
    Nested CV: 5-fold outer CV over the 718 labelled cells, repeated with 3 shuffles; in each
    training split the penalty is chosen by inner 5-fold CV and the model refit; predictions on
    the held-out fold are pooled. Spearman 0.950, Kendall tau-b 0.809, MAE 0.132 points (mean of
    the 3 shuffles; spread across shuffles <= 0.001). On the same folds, ridge on the (edge, op)
    one-hot alone reaches 0.924 / 0.767 / 0.165; the YAHPO prior alone (no labels) 0.907 / 0.738
    with a +1.3 point bias; YAHPO v1 itself 0.904 / 0.733.

Uncertainty
    ``predict_with_std`` returns the spread (standard deviation) of the 5 outer-fold models of the
    first repetition: the model's estimation uncertainty, not the labels' noise (compare the MAE).

Out of distribution
    ``out_of_distribution`` flags cells whose features lie farther from every training cell than
    any training cell from its nearest other one (:mod:`evo_codesign.surrogate.domain`): the
    all-``skip_connect`` cell, predicted 93.8 %, is one.

Speed: about 0.4-1 million cells per second on one core (validation included).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

import numpy as np

from .base import as_cells, register
from .features import N_FEATURES, linear_predict

__all__ = ["EmbeddedSurrogate", "load_parameters", "PARAMETER_FILE",
           "Moments", "ridge_fit", "calibrate", "select_penalty"]

PARAMETER_FILE = "embedded_surrogate.json"


@lru_cache(maxsize=1)
def load_parameters() -> dict[str, Any]:
    """The shipped parameters and their provenance (package data), checked for consistency."""
    text = resources.files("evo_codesign.data").joinpath(PARAMETER_FILE).read_text()
    params = json.loads(text)
    for key in ("coef", "prior_coef"):
        if len(params.get(key, ())) != N_FEATURES:
            raise RuntimeError(f"{PARAMETER_FILE}: {key!r} does not have {N_FEATURES} weights (features changed?); "
                               "refit with python benchmarks/fit_embedded_surrogate.py")
    if any(len(c) != N_FEATURES for c in params["fold_coef"]):
        raise RuntimeError(f"{PARAMETER_FILE}: 'fold_coef' rows do not have {N_FEATURES} weights; refit")
    return params


@register("embedded")
class EmbeddedSurrogate:
    """Linear model over :mod:`~evo_codesign.surrogate.features`, evaluated by one Numba kernel.

    Takes no options: its parameters are the package's data file, so two installs of the same
    version predict identically.
    """

    name = "embedded"

    def __init__(self) -> None:
        p = load_parameters()
        self.coef = np.asarray(p["coef"], dtype=np.float64)
        self.intercept = float(p["intercept"])
        self.fold_coef = np.asarray(p["fold_coef"], dtype=np.float64)
        self.fold_intercept = np.asarray(p["fold_intercept"], dtype=np.float64)

    def predict(self, cells: Any) -> np.ndarray:
        """Predicted NB301 validation accuracy (%) of each cell genome; float64 (n,)."""
        X = as_cells(cells, who=self.name)
        return linear_predict(X, self.coef, self.intercept)

    def predict_with_std(self, cells: Any) -> tuple[np.ndarray, np.ndarray]:
        """(accuracy %, standard deviation in points across the 5 cross-validation fold models)."""
        X = as_cells(cells, who=self.name)
        folds = np.stack([linear_predict(X, c, b) for c, b in zip(self.fold_coef, self.fold_intercept)])
        return linear_predict(X, self.coef, self.intercept), folds.std(axis=0, ddof=1)

    def out_of_distribution(self, cells: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(ood, score)`` per cell: ``score`` is the distance of the cell's features to the nearest
        training cell over the training cells' own largest leave-one-out distance, ``ood`` is
        ``score > 1`` (:mod:`evo_codesign.surrogate.domain`); the held-out figures above do not
        apply to an ``ood`` cell."""
        from .domain import embedded_domain

        score = embedded_domain().score(as_cells(cells, who=self.name))
        return score > 1.0, score

    def prepare(self) -> None:
        """Build what :meth:`out_of_distribution` needs, once per process (the reference cells'
        domain, built from its random cells: ``benchmarks/fixed_costs.py`` gives the time and the
        memory at its peak): a process about to fork workers calls it, so they share one instead
        of each building its own at the end of its first run."""
        from .domain import embedded_domain

        embedded_domain()

    def describe(self) -> dict:
        """Fit data, protocol, held-out metrics and provenance from the parameter file."""
        p = load_parameters()
        keys = ("model", "fit_data", "protocol", "metrics", "baselines", "prior", "script", "created",
                "labels_sha256")
        return {"name": self.name, "parameter_file": f"evo_codesign/data/{PARAMETER_FILE}",
                **copy.deepcopy({k: p[k] for k in keys if k in p})}  # callers may edit their copy


# ---------------------------------------------------------------------------------------------
# Fitting (used by benchmarks/fit_embedded_surrogate.py and the tests; not needed to predict).
# Ridge regression on standardised columns, written from sufficient statistics so that a large
# distillation set can be accumulated chunk by chunk without holding its feature matrix.
# ---------------------------------------------------------------------------------------------

class Moments:
    """Running ``n``, column sums, Gram matrix ``F'F``, ``F'y``, ``sum y`` of a regression problem."""

    def __init__(self, d: int) -> None:
        self.n = 0
        self.s = np.zeros(d)
        self.G = np.zeros((d, d))
        self.Fy = np.zeros(d)
        self.sy = 0.0

    def add(self, F: np.ndarray, y: np.ndarray) -> "Moments":
        self.n += len(F)
        self.s += F.sum(0)
        self.G += F.T @ F
        self.Fy += F.T @ y
        self.sy += float(y.sum())
        return self


def ridge_fit(F_or_moments: np.ndarray | Moments, y: np.ndarray | None = None,
              penalty: float | np.ndarray = 1.0) -> tuple[np.ndarray, float]:
    """Ridge on standardised columns; returns ``(coef, intercept)`` on the *raw* columns.

    ``penalty``: scalar or one value per column (0 = unpenalised), in units of the standardised
    problem (comparable across columns). Constant columns get weight 0.
    """
    m = F_or_moments if isinstance(F_or_moments, Moments) else Moments(F_or_moments.shape[1]).add(
        F_or_moments, np.asarray(y, dtype=np.float64))
    n = m.n
    mu = m.s / n
    ym = m.sy / n
    cov = m.G / n - np.outer(mu, mu)
    var = np.clip(np.diag(cov), 0.0, None)
    live = var > 1e-12 * max(1.0, float(var.max()))
    sd = np.where(live, np.sqrt(np.where(live, var, 1.0)), 1.0)
    ZZ = n * cov / np.outer(sd, sd)
    Zy = (m.Fy - n * mu * ym) / sd
    lam = np.broadcast_to(np.asarray(penalty, dtype=np.float64), mu.shape).copy()
    idx = np.flatnonzero(live)
    w = np.zeros_like(mu)
    w[idx] = np.linalg.solve(ZZ[np.ix_(idx, idx)] + np.diag(lam[idx]), Zy[idx])
    coef = w / sd
    return coef, float(ym - mu @ coef)


def calibrate(F: np.ndarray, y: np.ndarray, prior_coef: np.ndarray, prior_intercept: float,
              penalty: float) -> tuple[np.ndarray, float, float]:
    """Stage 2: ridge on ``[F, prior(F)]`` with the prior column unpenalised, collapsed to one
    linear model over ``F``. Returns ``(coef, intercept, prior_scale)``."""
    prior = F @ prior_coef + prior_intercept
    A = np.hstack([F, prior[:, None]])
    lam = np.full(A.shape[1], float(penalty))
    lam[-1] = 0.0
    w, b = ridge_fit(A, y, lam)
    a = float(w[-1])
    return w[:-1] + a * prior_coef, b + a * prior_intercept, a


def select_penalty(F: np.ndarray, y: np.ndarray, prior_coef: np.ndarray, prior_intercept: float,
                   grid: Sequence[float], *, folds: int = 5, seed: int = 0) -> float:
    """Penalty from ``grid`` with the lowest mean squared error in ``folds``-fold CV on (F, y)."""
    assign = np.random.default_rng(seed).permutation(len(y)) % folds
    mse = []
    for lam in grid:
        err = 0.0
        for f in range(folds):
            tr, te = assign != f, assign == f
            coef, b, _ = calibrate(F[tr], y[tr], prior_coef, prior_intercept, lam)
            err += float(np.sum((F[te] @ coef + b - y[te]) ** 2))
        mse.append(err / len(y))
    return float(grid[int(np.argmin(mse))])

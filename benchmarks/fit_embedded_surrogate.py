"""Refit the embedded accuracy surrogate and rewrite ``evo_codesign/data/embedded_surrogate.json``.

    PYTHONPATH=. python benchmarks/fit_embedded_surrogate.py [--shared ../shared/data] [--dry-run]

Deterministic (fixed seeds; about 1 minute on one core, most of it querying YAHPO). Needs the
reference data in ``../shared/data`` (never copied into the repository) and onnxruntime:

* ``nb301-naslib-zc-samples/nb301_surrogate_labels_725.csv``: 718 uniformly random cells labelled
  by the official NB301 surrogate (NAS-Bench-Suite-Zero, Krishnakumar et al. NeurIPS 2022 D&B);
* ``nb301-yahpo-onnx/nb301_yahpo_v1_new_model.onnx``: YAHPO Gym's NB301 surrogate (Pfisterer et
  al., arXiv 2109.03670), used to label random cells for the label-free prior.

Protocol (printed): stage 1 distils YAHPO into a ridge prior on 50,000 random cells (held-out
fidelity on 5,000 more); stage 2 calibrates on the labels (see ``evo_codesign.surrogate.embedded``).
Held-out figures come from nested CV: 5 outer folds x 3 shuffles; inside each outer training
split, the penalty is picked by inner 5-fold CV; out-of-fold predictions are pooled per shuffle.
Only fitted weights, fold assignments and provenance are written, never the data.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evo_codesign.space.cell import CellSegment, canonicalize, genotype_to_genome  # noqa: E402
from evo_codesign.surrogate.base import rank_agreement  # noqa: E402
from evo_codesign.surrogate.embedded import PARAMETER_FILE, Moments, calibrate, ridge_fit, select_penalty  # noqa: E402
from evo_codesign.surrogate.features import GROUPS, N_FEATURES, cell_features, group_slices  # noqa: E402
from evo_codesign.surrogate.domain import domain_entry  # noqa: E402
from evo_codesign.surrogate.yahpo_onnx import YahpoOnnxSurrogate  # noqa: E402

SEED_DISTILL = 2020           # random cells labelled by YAHPO
N_DISTILL = 50_000
N_DISTILL_CHECK = 5_000
PRIOR_PENALTY = 1.0           # 50k rows for 766 columns: barely needs shrinkage
PENALTY_GRID = (30.0, 100.0, 300.0, 1000.0)
OUTER_FOLDS, REPEATS, INNER_FOLDS = 5, 3, 5
CV_SEEDS = (0, 1, 2)


def load_labels(shared: Path) -> tuple[np.ndarray, np.ndarray, str]:
    path = shared / "nb301-naslib-zc-samples" / "nb301_surrogate_labels_725.csv"
    df = pd.read_csv(path)
    X = np.stack([genotype_to_genome(json.loads(g)) for g in df["genotype_json"]])
    return X, df["nb301_val_accuracy"].to_numpy(dtype=np.float64), hashlib.sha256(path.read_bytes()).hexdigest()


def distil_prior(yahpo: YahpoOnnxSurrogate, labelled: np.ndarray) -> dict:
    """Stage 1: YAHPO on random valid cells -> ridge prior (no official labels involved)."""
    rng = np.random.default_rng(SEED_DISTILL)
    X = CellSegment().sample(rng, N_DISTILL + N_DISTILL_CHECK)
    # Keep cells that are networks of the labelled set out of the prior (they are held out in stage 2).
    seen = {row.tobytes() for row in canonicalize(labelled)}
    keep = np.array([row.tobytes() not in seen for row in canonicalize(X)])
    X = X[keep]
    t0 = time.perf_counter()
    y = yahpo.predict(X)
    t_query = time.perf_counter() - t0
    fit, check = slice(0, N_DISTILL), slice(N_DISTILL, len(X))
    mom = Moments(N_FEATURES)
    for i in range(0, N_DISTILL, 5_000):
        Xi = X[fit][i:i + 5_000]
        mom.add(cell_features(Xi), y[fit][i:i + 5_000])
    coef, b = ridge_fit(mom, penalty=PRIOR_PENALTY)
    fidelity = rank_agreement(cell_features(X[check]) @ coef + b, y[check])
    return {"coef": coef, "intercept": b, "fidelity": fidelity, "n_fit": N_DISTILL, "n_check": int(len(X)) - N_DISTILL,
            "dropped_as_labelled": int((~keep).sum()), "query_s": t_query, "rows_per_s": len(X) / t_query}


def nested_cv(F: np.ndarray, y: np.ndarray, prior_coef: np.ndarray, prior_b: float) -> dict:
    """Outer CV with inner penalty selection; pooled out-of-fold metrics per repetition."""
    reps, fold_models, folds0, penalties = [], [], None, []
    for r, seed in enumerate(CV_SEEDS[:REPEATS]):
        folds = np.random.default_rng(seed).permutation(len(y)) % OUTER_FOLDS
        pred = np.empty(len(y))
        for f in range(OUTER_FOLDS):
            tr, te = folds != f, folds == f
            lam = select_penalty(F[tr], y[tr], prior_coef, prior_b, PENALTY_GRID, folds=INNER_FOLDS, seed=100 + f)
            coef, b, _ = calibrate(F[tr], y[tr], prior_coef, prior_b, lam)
            pred[te] = F[te] @ coef + b
            penalties.append(lam)
            if r == 0:
                fold_models.append((coef, b, lam))
        if r == 0:
            folds0 = folds
        reps.append(rank_agreement(pred, y))
    return {"repetitions": reps, "fold_models": fold_models, "folds": folds0, "penalties": penalties}


def baselines(F: np.ndarray, y: np.ndarray, prior: np.ndarray, folds: np.ndarray) -> dict:
    """Same outer folds, for context: one-hot ridge alone, and the YAHPO prior alone (label-free)."""
    onehot = F[:, group_slices()["edge"]]
    pred = np.empty(len(y))
    for f in range(OUTER_FOLDS):
        tr, te = folds != f, folds == f
        coef, b = ridge_fit(onehot[tr], y[tr], penalty=10.0)
        pred[te] = onehot[te] @ coef + b
    return {"ridge_edge_onehot": {k: round(v, 4) for k, v in rank_agreement(pred, y).items()},
            "yahpo_prior_alone": {k: round(v, 4) for k, v in rank_agreement(prior, y).items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data", help="reference data folder")
    ap.add_argument("--dry-run", action="store_true", help="print the figures, do not rewrite the parameter file")
    args = ap.parse_args()

    X, y, sha = load_labels(args.shared)
    yahpo = YahpoOnnxSurrogate(args.shared / "nb301-yahpo-onnx" / "nb301_yahpo_v1_new_model.onnx")
    print(f"labels: {len(y)} cells, accuracy {y.min():.2f}..{y.max():.2f} % (mean {y.mean():.2f})")
    print(f"features: {N_FEATURES} columns ({', '.join(f'{n} {k}' for n, k in GROUPS)})")

    prior = distil_prior(yahpo, X)
    fid = prior["fidelity"]
    print(f"stage 1 (prior): YAHPO v1 at epoch 98 on {prior['n_fit']} random cells (seed {SEED_DISTILL}; "
          f"{prior['dropped_as_labelled']} equal to labelled cells dropped), {prior['rows_per_s']:.0f} cells/s; "
          f"ridge penalty {PRIOR_PENALTY}; vs YAHPO on {prior['n_check']} further cells: "
          f"Spearman {fid['spearman']:.4f}, MAE {fid['mae']:.3f}")

    F = cell_features(X)
    prior_pred = F @ prior["coef"] + prior["intercept"]
    cv = nested_cv(F, y, prior["coef"], prior["intercept"])
    reps = cv["repetitions"]
    summary = {k: float(np.mean([r[k] for r in reps])) for k in ("spearman", "kendall", "mae", "bias")}
    spread = {k: float(np.std([r[k] for r in reps])) for k in ("spearman", "kendall", "mae")}
    base = baselines(F, y, prior_pred, cv["folds"])
    protocol = (f"nested CV on the {len(y)} official-surrogate labels: {OUTER_FOLDS}-fold outer CV x "
                f"{REPEATS} shuffles (seeds {list(CV_SEEDS[:REPEATS])}); penalty picked from {list(PENALTY_GRID)} by inner "
                f"{INNER_FOLDS}-fold CV (MSE) on each outer training split; out-of-fold predictions pooled "
                f"per shuffle; "
                f"the YAHPO prior uses no labels")
    print(f"stage 2 (calibration), {protocol}")
    for i, r in enumerate(reps):
        print(f"  shuffle {i}: Spearman {r['spearman']:.4f}  Kendall {r['kendall']:.4f}  MAE {r['mae']:.4f}  "
              f"bias {r['bias']:+.4f}")
    print(f"  mean     : Spearman {summary['spearman']:.4f}  Kendall {summary['kendall']:.4f}  MAE {summary['mae']:.4f}"
          f"   (sd over shuffles {spread['spearman']:.4f} / {spread['kendall']:.4f} / {spread['mae']:.4f})")
    print(f"  penalties picked: {sorted(set(cv['penalties']))}")
    print(f"baselines on shuffle 0's folds: ridge on (edge, op) one-hot {base['ridge_edge_onehot']}; "
          f"YAHPO prior alone {base['yahpo_prior_alone']}")

    lam = select_penalty(F, y, prior["coef"], prior["intercept"], PENALTY_GRID, folds=INNER_FOLDS, seed=100)
    coef, b, scale = calibrate(F, y, prior["coef"], prior["intercept"], lam)
    print(f"final model: penalty {lam} (inner CV on all {len(y)}), prior scale {scale:.3f}; "
          f"in-sample Spearman {rank_agreement(F @ coef + b, y)['spearman']:.4f} (not a held-out figure)")

    def r(v: float) -> float:
        return float(f"{v:.10g}")

    params = {
        "format": "evo_codesign embedded surrogate v1: accuracy(%) = features(cell) . coef + intercept",
        "model": "ridge regression on 766 order-invariant cell features, calibrated on official NB301 labels with "
                 "a YAHPO-distilled prior as an unpenalised column (collapsed into one linear model)",
        "fit_data": f"{len(y)} uniformly random DARTS cells labelled by the official NB301 surrogate (Siems et al. "
                    f"2020, arXiv 2008.09777; NAS-Bench-Suite-Zero samples via NASLib) + a prior distilled from "
                    f"YAHPO Gym's NB301 ONNX v1 surrogate (Pfisterer et al., arXiv 2109.03670) on {prior['n_fit']} "
                    f"random cells at epoch 98",
        "protocol": protocol,
        "metrics": {"cv_spearman": round(summary["spearman"], 4), "cv_kendall": round(summary["kendall"], 4),
                    "cv_mae": round(summary["mae"], 4), "cv_bias": round(summary["bias"], 4),
                    "cv_sd_over_shuffles": {k: round(v, 4) for k, v in spread.items()},
                    "per_shuffle": [{k: round(v, 4) for k, v in rr.items()} for rr in reps],
                    "units": "Spearman rho, Kendall tau-b, MAE and bias in accuracy points (%)"},
        "baselines": base,
        "prior": {"source": "nb301/new_model.onnx (yahpo_data @3a646b87), epoch 98", "n_fit": prior["n_fit"],
                  "seed": SEED_DISTILL, "penalty": PRIOR_PENALTY,
                  "fidelity_vs_yahpo": {k: round(v, 4) for k, v in fid.items()},
                  "scale_in_final_model": round(scale, 4)},
        "script": "benchmarks/fit_embedded_surrogate.py",
        "created": _dt.date.today().isoformat(),
        "labels_sha256": sha,
        "penalty": lam,
        "cv_folds": {"seed": CV_SEEDS[0], "n_folds": OUTER_FOLDS, "assignment": [int(v) for v in cv["folds"]],
                     "penalties": [m[2] for m in cv["fold_models"]]},
        "intercept": r(b),
        "coef": [r(v) for v in coef],
        "prior_intercept": r(prior["intercept"]),
        "prior_coef": [r(v) for v in prior["coef"]],
        "fold_intercept": [r(m[1]) for m in cv["fold_models"]],
        "fold_coef": [[r(v) for v in m[0]] for m in cv["fold_models"]],
    }
    # where the surrogate was fit: the out-of-distribution threshold, stored so that no run computes it
    params["domain"] = domain_entry(params["prior"])
    out = REPO / "evo_codesign" / "data" / PARAMETER_FILE
    text = json.dumps(params, separators=(",", ":"))
    if args.dry_run:
        print(f"dry run: would write {len(text) / 1024:.0f} KB to {out}")
    else:
        out.write_text(text + "\n")
        print(f"wrote {out} ({len(text) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

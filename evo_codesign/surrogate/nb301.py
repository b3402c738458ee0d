"""Adapter for the official NAS-Bench-301 surrogate ensemble (the ``nasbench301`` package).

Siems et al., "NAS-Bench-301 and the case for surrogate benchmarks" (arXiv 2008.09777); package and
model files from ``github.com/automl/nasbench301``. For users who have installed the package with its
dependencies (PyTorch and torch-geometric for the GIN model, XGBoost/LightGBM for the tree models)
and downloaded the model archive (``nb_models_1.0``): set ``[surrogate] name = "nb301"`` and
``path`` (or ``EVO_CODESIGN_NB301_MODEL_DIR``) to a model directory such as ``nb_models/xgb_v1.0``,
or to the ``nb_models`` folder with ``model = "xgb"`` (default) or ``"gnn_gin"``.

Cells are passed as DARTS ``Genotype`` tuples with ``representation="genotype"``, as in the
package's ``example.py``; ``with_noise=False`` (the default here) returns the ensemble's mean.
The official model is slow (milliseconds per cell): use it to check a front, not inside a search.
Nothing in this repository exercises it without the real files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MissingDependencyError, MissingFileError
from ..space.cell import genome_to_genotype
from .base import as_cells, register

__all__ = ["Nb301Surrogate", "ENV_VAR"]

ENV_VAR = "EVO_CODESIGN_NB301_MODEL_DIR"


def _model_dir(root: Path, model: str) -> Path:
    """``root`` itself when it holds a model, else ``root/<model>_v1.0`` or ``root/<model>_v0.9``."""
    if (root / f"{model}_v1.0").is_dir():
        return root / f"{model}_v1.0"
    if (root / f"{model}_v0.9").is_dir():
        return root / f"{model}_v0.9"
    return root


@register("nb301")
class Nb301Surrogate:
    """The official NB301 ensemble. ``path``: model directory (default ``$EVO_CODESIGN_NB301_MODEL_DIR``);
    ``model``: sub-directory prefix when ``path`` is the ``nb_models`` folder; ``with_noise``: sample
    the ensemble's noise model instead of returning its mean."""

    name = "nb301"

    def __init__(self, path: str | os.PathLike | None = None, model: str = "xgb", with_noise: bool = False) -> None:
        p = path or os.environ.get(ENV_VAR)
        if not p:
            raise MissingFileError(
                f"nb301 needs the official model directory: pass path=... (config [surrogate] path, or --path) or set "
                f"{ENV_VAR} to e.g. nb_models/xgb_v1.0 (model archive linked from github.com/automl/nasbench301)")
        root = Path(p).expanduser()
        if not root.is_dir():
            raise MissingFileError(f"nb301: model directory {str(root)!r} does not exist (from path=... or {ENV_VAR})")
        self.path = _model_dir(root, model)
        self.model = model
        self.with_noise = bool(with_noise)
        try:
            import nasbench301  # noqa: F401
        except ImportError as e:
            raise MissingDependencyError(f"nb301 needs the 'nasbench301' package and its dependencies (import failed: {e}); "
                              "install it from github.com/automl/nasbench301 following its README") from None
        self._ensemble: Any = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_ensemble"] = None  # reloaded on first use in the receiving process
        return state

    def _load(self) -> Any:
        if self._ensemble is None:
            import nasbench301

            try:
                self._ensemble = nasbench301.load_ensemble(str(self.path))
            except Exception as e:  # the package raises assorted errors for a wrong directory
                raise MissingFileError(f"nb301: could not load an ensemble from {str(self.path)!r} ({e}); "
                                        "point path at a model directory such as nb_models/xgb_v1.0") from None
        return self._ensemble

    def predict(self, cells: Any) -> np.ndarray:
        """The official surrogate's validation accuracy (%) per cell; float64 (n,)."""
        X = as_cells(cells, who=self.name)
        ens = self._load()
        return np.array([float(ens.predict(config=genome_to_genotype(x), representation="genotype",
                                           with_noise=self.with_noise)) for x in X])

    def describe(self) -> dict:
        return {"name": self.name, "model_dir": str(self.path), "with_noise": self.with_noise,
                "fit_data": "NB301 training data: ~60k DARTS architectures trained under the NB301 protocol "
                            "(Siems et al. 2020, arXiv 2008.09777)",
                "protocol": "NB301 training (8 cells, 32 channels, ~100 epochs)",
                "metrics": "the reference: the embedded and yahpo-onnx figures are measured against its labels"}

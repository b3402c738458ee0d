"""Compiled kernels: where Numba keeps them, and compiling them before anything is timed.

The cost kernels and the surrogate's feature kernel are Numba functions with ``cache=True``. By
default Numba writes that cache into ``__pycache__`` beside the source, which a non-editable
install in a read-only ``site-packages`` cannot; :func:`configure_cache` (run when the package is
imported) points Numba at a per-user folder instead (``$XDG_CACHE_HOME/evo_codesign/numba``, else
``~/.cache/evo_codesign/numba``, else a temporary folder), unless ``NUMBA_CACHE_DIR`` is already
set. The first process on a machine compiles (10-30 s on 2 cores); later ones load the cache
(about a second).

:func:`warm_up` compiles or loads every kernel a search uses, once per process, and returns the
seconds it took. Runs, comparisons, tuning and enumerations call it before they start their
clocks, so compile time is reported on its own (``evo-codesign warmup`` does it explicitly) and
never lands in a run's ``wall_s``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["default_cache_dir", "configure_cache", "cache_dir", "warm_up", "is_warm"]

_LOCK = threading.Lock()
_WARM = False


def default_cache_dir() -> Path:
    """The per-user folder for compiled kernels (not created here)."""
    base = os.environ.get("XDG_CACHE_HOME") or (str(Path.home() / ".cache") if Path.home().exists() else "")
    root = Path(base) if base else Path(tempfile.gettempdir())
    return root / "evo_codesign" / "numba"


def configure_cache() -> None:
    """Point Numba's cache at :func:`default_cache_dir` unless ``NUMBA_CACHE_DIR`` is set (or the
    folder cannot be created: then Numba's own choice stands)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    d = default_cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        if not os.access(d, os.W_OK):
            return
    except OSError:
        return
    os.environ["NUMBA_CACHE_DIR"] = str(d)
    if "numba" in sys.modules:  # imported before us: make it read the variable again
        from numba.core import config

        config.reload_config()


def cache_dir() -> str:
    """Where compiled kernels are cached in this process."""
    return os.environ.get("NUMBA_CACHE_DIR") or "beside the sources (__pycache__)"


def is_warm() -> bool:
    return _WARM


def warm_up() -> float:
    """Compile (or load from the cache) every kernel the evaluators use: the PE-array, crossbar
    and pair kernels through each built-in hardware target, the product path, and the embedded
    surrogate. Seconds taken; 0 when this process has done it already."""
    global _WARM
    with _LOCK:
        if _WARM:
            return 0.0
        t0 = time.perf_counter()
        import numpy as np

        from .evaluate import CodesignEvaluator
        from .space.joint import make_space
        from .surrogate import get_surrogate

        rng = np.random.default_rng(0)
        for hardware in ("dataflow", "imc", "hybrid"):
            space = make_space("cell", hardware)
            ev = CodesignEvaluator(space, ("latency", "energy", "area"), hardware=hardware)
            X = space.sample(rng, 3)
            ev(X)
            ev.hardware_costs(X[:2], ev.workload(X[:2]))
            ev.evaluate_product(X[:2], X)
        get_surrogate("embedded").predict(make_space("cell", None)["cell"].sample(rng, 2))
        _WARM = True
        return time.perf_counter() - t0

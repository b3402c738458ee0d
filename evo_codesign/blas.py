"""numpy's BLAS (OpenBLAS or MKL) on one thread within a block (:func:`one_blas_thread`, through
``threadpoolctl``), for searches and for the processes a comparison forks."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator

__all__ = ["one_blas_thread"]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread within the block. A search multiplies small matrices, where BLAS
    threads gain nothing and spin on the idle core after each call. Measured on the 2-core
    development machine (semi-decoupled runs at budget 2,000, medians of 6, default OpenBLAS
    against ``OPENBLAS_NUM_THREADS=1``): one run alone took the same wall time either way but 25 %
    more CPU with BLAS threads, and two runs side by side each took about 30 % longer with them.
    loky's workers get the same limit from joblib.

    A library already on one thread is left alone: setting OpenBLAS's thread count starts its
    thread pool where it has none (a process forked while BLAS was on one thread has none), and
    the new threads spin before they sleep (``benchmarks/fixed_costs.py``). The controller (which
    finds the loaded BLAS libraries: 1.5-3 ms) is kept per process and found again whenever a
    module was imported since (a new extension may bring its own BLAS)."""
    global _BLAS_CONTROLLER
    from threadpoolctl import ThreadpoolController

    key = (os.getpid(), len(sys.modules))
    if _BLAS_CONTROLLER is None or _BLAS_CONTROLLER[0] != key:
        _BLAS_CONTROLLER = (key, ThreadpoolController().select(user_api="blas"))
    blas = _BLAS_CONTROLLER[1]
    threaded = [lib.filepath for lib in blas.lib_controllers if lib.num_threads != 1]
    if not threaded:
        yield
        return
    with blas.select(filepath=threaded).limit(limits=1):
        yield


_BLAS_CONTROLLER: tuple[tuple[int, int], Any] | None = None  # ((pid, module count), its BLAS controller)

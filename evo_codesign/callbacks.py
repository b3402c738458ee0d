"""Per-generation hooks of a search, and the progress bars of the long commands.

A bar counts unique evaluations against the total the command will spend (tqdm gives the rate and
the ETA) and shows labelled values beside it:

* ``hv_seen``: hypervolume of every feasible design seen so far (:class:`ArchiveHV`), objectives
  normalised by bounds frozen when the first feasible designs arrive, so it never falls;
* ``front``: feasible designs on the current front (a single run), ``runs``: runs finished out of
  all (several runs), and the generation or the run in progress.

Bars write to stderr and stay quiet when stderr is not a terminal (tqdm's ``disable=None``), so logs
and pipes get no control characters; library code never shows one unless asked (``progress``).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

from .metrics import Bounds, nondominated, normalised_hv
from .protocols import feasible_mask

__all__ = ["ArchiveHV", "Progress", "RunsProgress", "EnumerationProgress", "run_with_progress"]

#: How far the frozen bounds reach beyond the first feasible designs' ideal and nadir, as a fraction
#: of their range per objective: later designs that are better than the first ones still count
#: (the reference point is 1.1 in normalised units, so 10 % beyond the first nadir). A choice of
#: this module, not a published constant; it only scales the number shown.
BOUND_MARGIN = 0.1


class ArchiveHV:
    """Hypervolume of the union of every feasible design added so far (minimisation form).

    The normalisation bounds are frozen at the first non-empty :meth:`add` (those points' ideal
    and nadir, widened by :data:`BOUND_MARGIN` of their range), and adding points never removes
    any, so :attr:`value` never decreases. Only the non-dominated points are kept."""

    def __init__(self, ref_point: float = 1.1) -> None:
        self.ref_point = float(ref_point)
        self.bounds: Bounds | None = None
        self.front = np.zeros((0, 0))
        self._value = float("nan")
        self._stale = False

    def add(self, F: np.ndarray) -> None:
        """Add feasible objective vectors ``F`` (``(n, m)``, minimisation form)."""
        F = np.asarray(F, dtype=float)
        if F.ndim != 2 or not len(F):
            return
        if self.bounds is None:
            self.bounds = Bounds.from_points(F, margin=BOUND_MARGIN)
            self.front = np.zeros((0, F.shape[1]))
        cand = np.vstack([self.front, F])
        self.front = cand[nondominated(cand)]
        self._stale = True

    @property
    def value(self) -> float:
        """The hypervolume (NaN before any feasible point), computed when asked."""
        if self._stale:
            self._value = normalised_hv(self.front, self.bounds, ref_point=self.ref_point)
            self._stale = False
        return self._value


def _feasible_F(pop: Any) -> np.ndarray:
    """Feasible objective vectors of a pymoo population (empty when there is none): ``G <= 0``,
    as everywhere in the package (:func:`~evo_codesign.protocols.feasible_mask`)."""
    if pop is None or not len(pop):
        return np.zeros((0, 0))
    F = np.asarray(pop.get("F"), dtype=float)
    G = pop.get("G")
    if G is None or np.size(G) == 0:
        return F
    return F[feasible_mask(np.asarray(G, dtype=float).reshape(len(F), -1))]


def _bar(total: int, desc: str, unit: str, file: Any, **options: Any) -> Any:
    from tqdm import tqdm

    class Bar(tqdm):
        # no monitor thread: the bars here are redrawn by hand, and a thread alive would stop
        # compare from forking its workers (evo_codesign.runner.fork_safe)
        monitor_interval = 0

    # disable=None: tqdm shows nothing when the stream is not a terminal
    return Bar(total=int(total), desc=desc, unit=unit, disable=None, file=file, dynamic_ncols=True,
               smoothing=0.1, **options)


def _fmt(v: float) -> str:
    return "-" if not np.isfinite(v) else f"{v:.4f}"


#: seconds between two redraws of a bar (and hypervolume computations): a generation can take
#: milliseconds, and recomputing a 4-objective hypervolume each time would slow the search
REDRAW_S = 0.25


class _Throttle:
    def __init__(self) -> None:
        self.last = -np.inf

    def due(self, force: bool = False) -> bool:
        import time

        now = time.monotonic()
        if force or now - self.last >= REDRAW_S:
            self.last = now
            return True
        return False


class Progress:
    """One search phase's bar over its budget of unique evaluations; call it after each generation
    (``on_generation``). Postfix: ``gen``, ``front`` (feasible designs on the current front) and
    ``hv_seen`` (:class:`ArchiveHV` of every feasible design evaluated since the bar started).

    ``enabled``: whether to show a bar at all (then only on a terminal); ``file``: the stream
    (default stderr)."""

    def __init__(self, budget: int, enabled: bool, desc: str = "search", *, file: Any = None) -> None:
        self.bar = _bar(budget, desc, "eval", file) if enabled else None
        self.archive = ArchiveHV()
        self._throttle = _Throttle()
        self._state: Any = None

    def __call__(self, state: Any) -> None:
        if self.bar is None or self.bar.disable:
            return
        algo = state.algorithm
        self.archive.add(_feasible_F(algo.off if getattr(algo, "off", None) is not None else algo.pop))
        self._state = state
        if self._throttle.due():
            self._show(state)

    def _show(self, state: Any) -> None:
        opt = state.algorithm.opt
        front = len(_feasible_F(opt)) if opt is not None else 0
        self.bar.n = state.problem.cache.n_unique
        self.bar.set_postfix({"gen": state.gen, "front": front, "hv_seen": _fmt(self.archive.value)}, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            if self._state is not None and not self.bar.disable:
                self._show(self._state)  # the last generation, whatever the throttle skipped
            self.bar.close()


class RunsProgress:
    """One bar over several independent runs (``compare``, ``tune``): ``total`` unique evaluations
    in all. Serial runs report every generation (:meth:`hook`); runs in worker processes report
    when they finish (:meth:`finished`). ``hv_seen`` is the :class:`ArchiveHV` of the feasible
    designs seen in the final objective space (``objectives``): every evaluated design of serial
    runs, the final fronts of runs finished in workers."""

    def __init__(self, total: int, n_runs: int, enabled: bool, desc: str, objectives: Sequence[str], *,
                 file: Any = None) -> None:
        self.bar = _bar(total, desc, "eval", file) if enabled else None
        self.objectives = tuple(objectives)
        self.n_runs = int(n_runs)
        self.done_runs = 0
        self.done_evals = 0
        self.archive = ArchiveHV()
        self._cache: Any = None     # the phase in progress (its evaluation cache)
        self._phase_evals = 0       # evaluations of the finished phases of the run in progress
        self._label = ""
        self._throttle = _Throttle()

    @property
    def active(self) -> bool:
        return self.bar is not None and not self.bar.disable

    def start(self, label: str) -> None:
        """A serial run begins (``label``: what it is, e.g. ``coupled s2``)."""
        self._label, self._cache, self._phase_evals = label, None, 0

    def hook(self, state: Any) -> None:
        """After each generation of every phase of the serial run in progress."""
        if not self.active:
            return
        cache = state.problem.cache
        if cache is not self._cache:  # a new phase of the same run
            if self._cache is not None:
                self._phase_evals += self._cache.n_unique
            self._cache = cache
        if tuple(cache.evaluator.objective_names) == self.objectives:  # not a phase with other objectives
            algo = state.algorithm
            self.archive.add(_feasible_F(algo.off if getattr(algo, "off", None) is not None else algo.pop))
        self.bar.n = self.done_evals + self._phase_evals + cache.n_unique
        self._show(run=self._label)

    def finished(self, evaluations: int, F: np.ndarray) -> None:
        """A run ended after ``evaluations`` unique evaluations with the feasible front ``F``."""
        self.done_runs += 1
        self.done_evals += int(evaluations)
        if not self.active:
            return
        self.archive.add(F)
        self.bar.n = self.done_evals
        self._show(force=self.done_runs == self.n_runs)

    def _show(self, force: bool = False, **extra: Any) -> None:
        if not self._throttle.due(force):
            return
        self.bar.set_postfix({"runs": f"{self.done_runs}/{self.n_runs}", **extra, "hv_seen": _fmt(self.archive.value)},
                             refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class EnumerationProgress:
    """A bar over the designs of an exact enumeration, as its ``on_chunk(done, total)`` callback
    (:func:`evo_codesign.strategies.reference.exact_front`); the bar starts at the first call,
    when the total is known."""

    def __init__(self, enabled: bool, desc: str = "exact front", *, file: Any = None) -> None:
        self.enabled, self.desc, self.file = enabled, desc, file
        self.bar: Any = None
        self._throttle = _Throttle()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            # unit_scale: millions of designs read 1.2M rather than 1200000
            self.bar = _bar(total, self.desc, "design", self.file, unit_scale=True)
        if not self.bar.disable and (self._throttle.due(done >= total)):
            self.bar.n = int(done)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_with_progress(fn: Callable[..., Any], tasks: Sequence[Any], *, n_jobs: int, progress: RunsProgress | None,
                      summary: Callable[[Any], tuple[int, np.ndarray]],
                      label: Callable[[Any], str] = lambda t: "",
                      after_fork: Callable[[], None] | None = None) -> list[Any]:
    """``[fn(task, on_generation=...) for task in tasks]`` as :func:`~evo_codesign.runner.run_independent`
    runs them (in ``n_jobs`` workers, order kept; ``after_fork`` as it says), reporting to
    ``progress``: serial runs every generation, parallel ones as each finishes (in any order).
    ``summary(result)`` gives a run's ``(unique evaluations, feasible front F)``; ``label(task)``
    names a serial run in the bar."""
    from .runner import effective_n_jobs, run_independent

    tasks = list(tasks)
    quiet = progress is None or not progress.active
    if effective_n_jobs(n_jobs) == 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            if progress is not None:
                progress.start(label(t))
            r = fn(t, on_generation=None if quiet else progress.hook)
            if progress is not None:
                progress.finished(*summary(r))
            out.append(r)
        return out
    done = None if progress is None else (lambda r: progress.finished(*summary(r)))
    return run_independent(functools.partial(fn, on_generation=None), tasks, n_jobs=n_jobs, on_result=done,
                           after_fork=after_fork)

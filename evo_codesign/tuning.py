"""GA hyperparameter tuning: which NSGA-II settings give the best front at a fixed budget?

A *setting* is one value for each of the tuned :class:`~evo_codesign.config.SearchConfig` fields
(:data:`TUNABLE`). Our operators are integer, segment-aware ones, so there are no SBX/PM
distribution indices to tune; ``swap_prob`` (the share of crossover blocks a child takes from the
other parent) and ``long_jump`` (the chance that an ordinal mutation jumps anywhere rather than
one step) are the spread parameters that play that role.

The candidate values are data: a dict ``name -> tuple of values`` (:func:`default_space`). The
settings tried are chosen from their product by ``method``:

* ``grid``: every setting, or with ``trials`` below the grid size a deterministic subset spread
  over the grid (greedy max-min Hamming distance, ties broken towards the least used values, then
  by a permutation seeded with ``cfg.seed``);
* ``random``: settings drawn uniformly with ``numpy.random.default_rng(cfg.seed)``;
* ``optuna``: Optuna's TPE sampler (``TPESampler(seed=cfg.seed)``; optional extra ``tune``).

The package defaults (``SearchConfig()``) are always the first setting, so the recommendation is
measured against them. Every setting runs ``repeats`` fully coupled searches (seeds ``cfg.seed``,
``cfg.seed + 1``, ...: the same seeds for every setting, so settings are compared on common random
numbers) at the same budget of ``cfg.search.budget`` unique evaluations. A run's score is the
hypervolume of its final feasible front, with objectives normalised by bounds frozen from the union
of every run's final feasible front and reference point 1.1 (as :mod:`evo_codesign.compare`), as a
fraction of the hypervolume of that union: a number in [0, 1].
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .config import Config, ConfigError, SearchConfig, config_from_dict, config_to_dict
from .metrics import Bounds, nondominated, normalised_hv
from .runner import effective_n_jobs, run_independent

__all__ = ["TUNABLE", "METHODS", "DEFAULTS", "TuneResult", "default_space", "select_settings", "tune",
           "plot_tuning", "add_arguments", "run"]

#: the SearchConfig fields that tuning varies, in the order used for setting keys and tables
TUNABLE: tuple[str, ...] = ("pop_size", "crossover_prob", "swap_prob", "mutation_prob_var", "long_jump")
METHODS: tuple[str, ...] = ("grid", "random", "optuna")
#: the package defaults of the tuned fields (``mutation_prob_var`` 0 means 1 / n_var)
DEFAULTS: dict[str, Any] = {name: getattr(SearchConfig(), name) for name in TUNABLE}

_HV_REF_POINT = 1.1
_SHORT = {"pop_size": "pop", "crossover_prob": "cx", "swap_prob": "swap", "mutation_prob_var": "mut",
          "long_jump": "jump"}

Setting = tuple  # one value per TUNABLE name, in that order


def default_space(n_var: int) -> dict[str, tuple]:
    """The default candidate values (3 x 3 x 3 x 3 x 3 = 243 settings).

    ``mutation_prob_var`` is a per-gene probability; 0 means 1 / ``n_var`` (the package default),
    the others are 2 / n_var and 4 / n_var, so the grid scales with the genome length.
    ``swap_prob`` stops at 0.5: swapping each block with probability p or 1 - p gives the same
    pair of children (in the other order), so values above 0.5 add nothing.
    """
    if n_var < 1:
        raise ValueError(f"n_var must be at least 1, got {n_var}")
    return {
        "pop_size": (20, 50, 100),
        "crossover_prob": (0.7, 0.9, 1.0),
        "swap_prob": (0.1, 0.3, 0.5),
        "mutation_prob_var": (0.0, round(min(1.0, 2.0 / n_var), 4), round(min(1.0, 4.0 / n_var), 4)),
        "long_jump": (0.0, 0.1, 0.3),
    }


def _plain(v: Any) -> Any:
    """numpy scalars -> Python scalars, so values validate, hash and serialise like TOML values."""
    return v.item() if isinstance(v, np.generic) else v


def _validated_space(space: Mapping[str, Sequence[Any]], cfg: Config) -> dict[str, tuple]:
    """Check the space's names and every candidate value against the config's own rules; a name
    that the space leaves out stays at its package default."""
    unknown = [k for k in space if k not in TUNABLE]
    if unknown:
        raise ValueError(f"space: unknown hyperparameter(s) {unknown}; allowed: {list(TUNABLE)}")
    base = config_to_dict(cfg)
    out: dict[str, tuple] = {}
    for name in TUNABLE:
        values = space.get(name, (DEFAULTS[name],))
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not len(values):
            raise ValueError(f"space[{name!r}]: expected a non-empty tuple of candidate values, got {values!r}")
        vals = tuple(dict.fromkeys(_plain(v) for v in values))  # unique, order kept
        for v in vals:
            try:
                config_from_dict({**base, "search": {**base["search"], name: v}})
            except ConfigError as e:
                raise ValueError(f"space[{name!r}]: {e}") from None
        out[name] = vals
    return out


def _defaults_setting() -> Setting:
    return tuple(DEFAULTS[n] for n in TUNABLE)


def _spread_subset(universe: list[Setting], first: Setting, k: int, rng: np.random.Generator) -> list[Setting]:
    """``first`` and ``k - 1`` more settings from ``universe``, each the one farthest (Hamming
    distance) from those already chosen; ties go to the least used values, then to a seeded order.
    Deterministic for a given generator state."""
    rest = [s for s in universe if s != first]
    if k - 1 >= len(rest):
        return [first, *rest]
    rest = [rest[i] for i in rng.permutation(len(rest))]
    # Equality is all Hamming distance needs, so code each column's values as small integers.
    columns = list(zip(first, *rest))
    codebooks = [{v: i for i, v in enumerate(dict.fromkeys(col))} for col in columns]
    codes = np.array([[book[v] for v in col] for book, col in zip(codebooks, columns)], dtype=np.int64).T
    head, C = codes[0], codes[1:]
    usage = [np.zeros(len(book), dtype=np.int64) for book in codebooks]
    for j, c in enumerate(head):
        usage[j][c] += 1
    min_dist = (C != head).sum(axis=1).astype(float)
    chosen = [first]
    for _ in range(k - 1):
        used = sum(usage[j][C[:, j]] for j in range(C.shape[1]))
        # lexsort: last key first; prefer largest distance, then least used values, then seeded order
        i = int(np.lexsort((np.arange(len(C)), used, -min_dist))[0])
        chosen.append(rest[i])
        for j in range(C.shape[1]):
            usage[j][C[i, j]] += 1
        min_dist = np.minimum(min_dist, (C != C[i]).sum(axis=1))
        min_dist[i] = -np.inf  # never again
    return chosen


def select_settings(space: Mapping[str, Sequence[Any]], method: str, trials: int, seed: int) -> list[dict[str, Any]]:
    """The settings ``grid`` or ``random`` tries: the package defaults first, then up to
    ``trials - 1`` distinct others from the product of ``space`` (fewer if the grid is smaller).

    ``space`` must name every :data:`TUNABLE` field (see :func:`default_space`)."""
    if method not in ("grid", "random"):
        raise ValueError(f"method: select_settings handles 'grid' and 'random', got {method!r}")
    if trials < 1:
        raise ValueError(f"trials must be at least 1, got {trials}")
    missing = [n for n in TUNABLE if n not in space]
    if missing:
        raise ValueError(f"space: missing hyperparameter(s) {missing}")
    first = _defaults_setting()
    rng = np.random.default_rng(seed)
    if method == "grid":
        universe = list(itertools.product(*(tuple(space[n]) for n in TUNABLE)))
        chosen = _spread_subset(universe, first, trials, rng)
    else:
        on_grid = all(first[i] in tuple(space[n]) for i, n in enumerate(TUNABLE))
        n_distinct = math.prod(len(space[n]) for n in TUNABLE) + (0 if on_grid else 1)
        chosen, seen = [first], {first}
        # Rejection of repeats ends: the cap only matters when trials approaches the grid size.
        for _ in range(100 * trials):
            if len(chosen) >= min(trials, n_distinct):
                break
            s = tuple(_plain(space[n][int(rng.integers(len(space[n])))]) for n in TUNABLE)
            if s not in seen:
                seen.add(s)
                chosen.append(s)
    return [dict(zip(TUNABLE, s)) for s in chosen[:trials]]


# -- running -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Task:
    setting_id: str
    seed: int
    cfg: Config
    run_dir: Path
    evaluator: Any


def _feasible_min_F(front: pd.DataFrame, objectives: Sequence[str], senses: Sequence[str]) -> np.ndarray:
    """Final feasible front in minimisation form (maximised objectives negated)."""
    if not len(front):
        return np.zeros((0, len(objectives)))
    g = front.filter(regex=r"^g_").to_numpy(dtype=float)
    ok = (g <= 0).all(axis=1) if g.shape[1] else np.ones(len(front), dtype=bool)
    sign = np.array([-1.0 if s == "max" else 1.0 for s in senses])
    return front.loc[ok, [f"f_{o}" for o in objectives]].to_numpy(dtype=float) * sign


def _run_task(task: _Task) -> dict[str, Any]:
    """One fully coupled search; returns only what scoring needs, so little crosses processes."""
    from .search import run_search

    res = run_search(task.cfg, task.run_dir, evaluator=task.evaluator, progress=False)
    ev = task.evaluator
    return {"setting_id": task.setting_id, "seed": task.seed, "evaluations": int(res.evaluations),
            "generations": int(res.generations), "wall_s": float(res.wall_s), "run_dir": str(task.run_dir),
            "F": _feasible_min_F(res.front, ev.objective_names, ev.objective_senses)}


def _trial_config(cfg: Config, setting: Mapping[str, Any], seed: int) -> Config:
    d = config_to_dict(cfg)
    d["seed"] = int(seed)
    d["search"].update(setting)
    # Parallelism is over runs; a run's own batches are small, so nesting workers would only
    # oversubscribe the cores.
    d["run"].update(n_jobs=1, progress=False)
    return config_from_dict(d)


class _Runner:
    """Runs the (setting, seed) tasks of one tuning session and keeps their results."""

    def __init__(self, cfg: Config, out: Path, repeats: int, evaluator: Any) -> None:
        self.cfg, self.out, self.repeats, self.evaluator = cfg, out, repeats, evaluator
        self.settings: dict[str, dict[str, Any]] = {}   # setting id -> hyperparameters
        self.skipped: dict[str, str] = {}               # setting id -> reason
        self.results: list[dict[str, Any]] = []

    def add(self, setting: Mapping[str, Any]) -> tuple[str, list[_Task]]:
        sid = f"s{len(self.settings):02d}"
        self.settings[sid] = dict(setting)
        budget = self.cfg.search.budget
        if setting["pop_size"] > budget:
            self.skipped[sid] = (f"pop_size {setting['pop_size']} > budget {budget}: the first generation "
                                 "alone would exceed the budget")
            return sid, []
        tasks = []
        for k in range(self.repeats):
            seed = self.cfg.seed + k
            tasks.append(_Task(sid, seed, _trial_config(self.cfg, setting, seed),
                               self.out / "trials" / f"{sid}-seed{seed}", self.evaluator))
        return sid, tasks

    def run(self, tasks: list[_Task]) -> list[dict[str, Any]]:
        res = run_independent(_run_task, tasks, n_jobs=self.cfg.run.n_jobs)
        self.results += res
        return res


def _optuna_settings(runner: _Runner, space: dict[str, tuple], trials: int, seed: int) -> dict[str, Any]:
    """TPE over the candidate values (categorical). TPE needs a score after each trial, before the
    final union bounds exist, so it sees a provisional one: the mean hypervolume under bounds frozen
    from the first setting that found feasible designs (the defaults, normally). The final scores
    are recomputed afterwards like every other method's. Returns notes for tuning.json."""
    try:
        import optuna
    except ImportError as e:
        raise ImportError('method "optuna" needs optuna, the optional extra "tune": pip install -e ".[tune]"') from e

    budget = runner.cfg.search.budget
    pops = tuple(p for p in space["pop_size"] if p <= budget)
    notes: dict[str, Any] = {"guide_bounds": None}
    dropped = [p for p in space["pop_size"] if p > budget]
    if dropped:
        notes["pop_size_removed"] = {"values": dropped, "reason": f"pop_size > budget {budget}; never proposed"}
    if not pops:
        raise ValueError(f"space['pop_size']: every candidate {list(space['pop_size'])} exceeds the budget {budget}")
    choices = {**space, "pop_size": pops}
    guide: list[Bounds] = []

    def score(results: list[dict[str, Any]]) -> float:
        if not guide:
            Fs = [r["F"] for r in results if len(r["F"])]
            if not Fs:
                return 0.0
            guide.append(Bounds.from_points(np.vstack(Fs)))
            notes["guide_bounds"] = guide[0].to_dict()
        return float(np.mean([normalised_hv(r["F"], guide[0]) if len(r["F"]) else 0.0 for r in results]))

    defaults = dict(DEFAULTS)
    _, tasks = runner.add(defaults)
    first_score = score(runner.run(tasks)) if tasks else None

    # Optuna reports every trial at INFO on its own logger; quiet it for this study only and
    # restore the caller's level, so the library leaves logging as it found it.
    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
        dists = {n: optuna.distributions.CategoricalDistribution(choices[n]) for n in TUNABLE}
        if first_score is not None and all(defaults[n] in choices[n] for n in TUNABLE):
            study.add_trial(optuna.trial.create_trial(params=defaults, distributions=dists, value=first_score))
        done: dict[tuple, float] = {tuple(defaults[n] for n in TUNABLE): first_score or 0.0}
        # TPE may propose a setting it has already seen; it is told the same score again and the
        # proposal does not count, and the cap stops a space smaller than ``trials`` from looping.
        for _ in range(50 * trials):
            if len(runner.settings) >= trials:
                break
            trial = study.ask(dists)
            setting = {n: _plain(trial.params[n]) for n in TUNABLE}
            key = tuple(setting[n] for n in TUNABLE)
            if key in done:
                study.tell(trial, done[key])
                continue
            _, tasks = runner.add(setting)
            done[key] = score(runner.run(tasks))
            study.tell(trial, done[key])
    finally:
        optuna.logging.set_verbosity(old)
    return notes


# -- scoring -------------------------------------------------------------------------------------

def _effective(name: str, v: float, n_var: int) -> float:
    return 1.0 / n_var if name == "mutation_prob_var" and v == 0 else float(v)


def _distance_to_defaults(settings: pd.DataFrame, space: Mapping[str, Sequence[Any]], n_var: int) -> np.ndarray:
    """Sum over hyperparameters of |value - default| / (range of candidates), on effective values
    (mutation 0 is 1 / n_var), so "closest to the defaults" weighs every hyperparameter alike."""
    d = np.zeros(len(settings))
    for n in TUNABLE:
        vals = [_effective(n, v, n_var) for v in (*space[n], DEFAULTS[n])]
        span = max(vals) - min(vals)
        if span > 0:
            col = np.array([_effective(n, v, n_var) for v in settings[n]])
            d += np.abs(col - _effective(n, DEFAULTS[n], n_var)) / span
    return d


def _rank(stats: pd.DataFrame, space: Mapping[str, Sequence[Any]], n_var: int) -> pd.Series:
    """1 = recommended: best mean hypervolume, then smaller spread over seeds, then closer to the
    package defaults, then earlier setting. Skipped settings (no runs) get no rank."""
    ran = stats[stats["runs"] > 0]
    # Means of identical fronts are bit-identical, but sums over differently ordered seeds may not
    # be: compare at 12 decimals so such ties fall to the next criterion.
    order = np.lexsort((np.arange(len(ran)), _distance_to_defaults(ran, space, n_var),
                        ran["hv_std"].round(12).to_numpy(), -ran["hv_mean"].round(12).to_numpy()))
    rank = pd.Series(pd.NA, index=stats.index, dtype="Int64")
    rank.loc[ran.index[order]] = np.arange(1, len(ran) + 1)
    return rank


@dataclass
class TuneResult:
    """What :func:`tune` found. ``trials``: one row per (setting, seed); ``summary``: one row per
    setting, ranked (1 = recommended). Hypervolumes (``hv*``) are fractions of the union front's
    (0..1), ``evaluations`` unique designs, ``wall_s`` seconds per run; ``bounds`` are in
    minimisation form (maximised objectives negated)."""

    method: str
    out: Path
    trials: pd.DataFrame
    summary: pd.DataFrame
    recommended: dict[str, Any]
    defaults: dict[str, Any]
    bounds: Bounds | None
    reference_hv: float
    n_var: int
    skipped: list[dict[str, Any]] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)

    def _row(self, is_default: bool) -> pd.Series | None:
        s = self.summary
        rows = s[s["is_default"]] if is_default else s[s["rank"].eq(1).fillna(False).astype(bool)]
        return rows.iloc[0] if len(rows) and rows.iloc[0]["runs"] > 0 else None

    @property
    def recommended_hv(self) -> float:
        """Mean hypervolume (fraction of the union front's) of the recommended setting."""
        r = self._row(False)
        return float(r["hv_mean"]) if r is not None else float("nan")

    @property
    def defaults_hv(self) -> float:
        """Mean hypervolume of the package defaults (NaN if they were skipped)."""
        r = self._row(True)
        return float(r["hv_mean"]) if r is not None else float("nan")

    @property
    def hv_ratio(self) -> float:
        """Recommended mean hypervolume over the defaults' (NaN if undefined)."""
        d = self.defaults_hv
        return self.recommended_hv / d if d > 0 else float("nan")


def tune(cfg: Config, out: str | Path, *, method: str = "grid", trials: int = 12, repeats: int = 3,
         space: Mapping[str, Sequence[Any]] | None = None) -> TuneResult:
    """Tune the NSGA-II settings of a fully coupled search at the budget ``cfg.search.budget``.

    ``space`` maps names in :data:`TUNABLE` to candidate values (default :func:`default_space`;
    a name left out stays at its default). ``trials``: settings to try, the defaults included.
    ``repeats``: seeds per setting. Runs go to ``out/trials/<setting>-seed<N>/``, in parallel over
    (setting, seed) when ``cfg.run.n_jobs != 1`` (results are the same either way). Writes
    ``trials.csv``, ``summary.csv``, ``tuning.json`` and the plot ``tuning_hv.png``/``.pdf``.
    """
    from .evaluate import build_evaluator
    from .search import space_for

    if method not in METHODS:
        raise ValueError(f"method: unknown method {method!r}; choose one of {list(METHODS)}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be an integer >= 1, got {trials!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats!r}")
    trials, repeats = int(trials), int(repeats)
    joint = space_for(cfg)
    space = _validated_space(default_space(joint.n_var) if space is None else space, cfg)
    out = Path(out)
    if (out / "tuning.json").exists() or (out / "trials").exists():
        raise FileExistsError(f"{out} already holds a tuning session; choose another output folder")
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    ev = build_evaluator(cfg, joint)
    if effective_n_jobs(cfg.run.n_jobs) > 1:
        # Compile (or load) the cost kernels once here, so workers read Numba's cache instead of
        # compiling side by side.
        ev(joint.sample(np.random.default_rng(0), 4))
    runner = _Runner(cfg, out, repeats, ev)
    notes: dict[str, Any] = {}
    if method == "optuna":
        notes = _optuna_settings(runner, space, trials, cfg.seed)
    else:
        tasks = [t for s in select_settings(space, method, trials, cfg.seed) for t in runner.add(s)[1]]
        runner.run(tasks)

    result = _score(runner, space, method, joint.n_var, out)
    _write(result, cfg, runner, space, trials, repeats, notes, time.perf_counter() - t0)
    return result


def _score(runner: _Runner, space: dict[str, tuple], method: str, n_var: int, out: Path) -> TuneResult:
    Fs = [r["F"] for r in runner.results if len(r["F"])]
    bounds, ref_hv = None, 0.0
    if Fs:
        union = np.vstack(Fs)
        bounds = Bounds.from_points(union)
        ref_hv = normalised_hv(union[nondominated(union)], bounds, ref_point=_HV_REF_POINT)
    rows = []
    for r in runner.results:
        hv = 0.0
        if bounds is not None and len(r["F"]) and ref_hv > 0:
            # A run's front is part of the union, so its share cannot exceed 1 but by rounding.
            hv = min(1.0, normalised_hv(r["F"], bounds, ref_point=_HV_REF_POINT) / ref_hv)
        sid = r["setting_id"]
        rows.append({"setting_id": sid, "is_default": sid == "s00", **runner.settings[sid], "seed": r["seed"],
                     "evaluations": r["evaluations"], "generations": r["generations"], "wall_s": r["wall_s"],
                     "hv": hv, "front_size": len(r["F"]), "run_dir": r["run_dir"]})
    cols = ["setting_id", "is_default", *TUNABLE, "seed", "evaluations", "generations", "wall_s", "hv",
            "front_size", "run_dir"]
    trials = pd.DataFrame(rows, columns=cols).sort_values(["setting_id", "seed"], ignore_index=True)

    stats = []
    for sid, setting in runner.settings.items():
        t = trials[trials["setting_id"] == sid]
        hv = t["hv"].to_numpy(dtype=float)
        stats.append({"setting_id": sid, "is_default": sid == "s00", **setting, "runs": len(t),
                      "hv_mean": hv.mean() if len(hv) else np.nan, "hv_std": hv.std() if len(hv) else np.nan,
                      "hv_min": hv.min() if len(hv) else np.nan, "hv_max": hv.max() if len(hv) else np.nan,
                      "evaluations_mean": t["evaluations"].mean() if len(t) else np.nan,
                      "wall_s_mean": t["wall_s"].mean() if len(t) else np.nan,
                      "skipped": runner.skipped.get(sid, "")})
    summary = pd.DataFrame(stats)
    summary.insert(0, "rank", _rank(summary, space, n_var))
    summary = summary.sort_values(["rank", "setting_id"], na_position="last", ignore_index=True)

    best = summary[summary["rank"].eq(1).fillna(False).astype(bool)]
    recommended = ({"setting_id": best.iloc[0]["setting_id"], **{n: _plain(best.iloc[0][n]) for n in TUNABLE}}
                   if len(best) else {})
    skipped = [{"setting_id": sid, **runner.settings[sid], "reason": why} for sid, why in runner.skipped.items()]
    return TuneResult(method, out, trials, summary, recommended, {"setting_id": "s00", **DEFAULTS}, bounds,
                      float(ref_hv), n_var, skipped)


def _write(result: TuneResult, cfg: Config, runner: _Runner, space: dict[str, tuple], trials: int, repeats: int,
           notes: Mapping[str, Any], wall_s: float) -> None:
    out = result.out
    result.trials.to_csv(out / "trials.csv", index=False)
    result.summary.to_csv(out / "summary.csv", index=False)

    def scores(is_default: bool) -> dict[str, Any] | None:
        r = result._row(is_default)
        if r is None:
            return None
        return {"setting_id": r["setting_id"], **{n: _plain(r[n]) for n in TUNABLE},
                **{k: float(r[k]) for k in ("hv_mean", "hv_std", "hv_min", "hv_max")}, "rank": int(r["rank"])}

    def finite(x: float) -> float | None:  # JSON has no NaN
        return x if math.isfinite(x) else None

    ev = runner.evaluator
    doc = {
        "method": result.method, "budget": cfg.search.budget, "repeats": repeats,
        "seeds": [cfg.seed + k for k in range(repeats)], "trials_requested": trials,
        "settings_tried": len(runner.settings), "n_var": result.n_var,
        "space": {n: list(v) for n, v in space.items()},
        "mutation_prob_var_zero_means": f"1/n_var = {1 / result.n_var:.6g}",
        "objectives": list(ev.objective_names), "objective_form": "minimisation (maximised objectives negated)",
        "bounds": result.bounds.to_dict() if result.bounds is not None else None,
        "reference_hv": result.reference_hv, "hv_reference_point": _HV_REF_POINT,
        "hv_definition": "normalised HV of a run's final feasible front / normalised HV of the union of all "
                         "runs' final feasible fronts",
        "recommended": scores(False), "defaults": {**DEFAULTS, "score": scores(True)},
        "recommended_over_defaults_hv": finite(result.hv_ratio),
        "skipped": result.skipped, "wall_s": wall_s,
        "config": config_to_dict(cfg), **notes,
    }
    if result.bounds is None:
        doc["note"] = "no run found a feasible design: every hypervolume is 0"
    (out / "tuning.json").write_text(json.dumps(doc, indent=1))
    result.plots = plot_tuning(result.trials, result.summary, out / "tuning_hv", n_var=result.n_var,
                               title=f"{result.method}: {len(runner.settings)} settings x {repeats} seeds, "
                                     f"budget {cfg.search.budget} unique evaluations")


# -- plot ----------------------------------------------------------------------------------------

def _label(row: Mapping[str, Any], n_var: int) -> str:
    parts = []
    for n in TUNABLE:
        v = row[n]
        if n == "mutation_prob_var":
            v = "1/n" if v == 0 else f"{v * n_var:.3g}/n"
        elif isinstance(v, float):
            v = f"{v:g}"
        parts.append(f"{_SHORT[n]} {v}")
    return f"{row['setting_id']}: " + ", ".join(parts)


def plot_tuning(trials: pd.DataFrame, summary: pd.DataFrame, stem: str | Path, *, n_var: int,
                title: str = "") -> list[Path]:
    """Hypervolume per setting (fraction of the union front's): one dot per seed, a diamond at the
    mean; settings sorted by mean, best at the top; the package defaults in red. Writes PNG + PDF.
    Mutation is shown in units of 1/n_var (``2/n`` = twice the default rate)."""
    from matplotlib.figure import Figure

    from .plot.figures import save_figure

    ran = summary[summary["runs"] > 0].sort_values("rank", ascending=False)  # best drawn at the top
    fig = Figure(figsize=(9.0, 1.2 + 0.32 * max(len(ran), 3)))
    ax = fig.add_subplot(111)
    labels = []
    for y, (_, row) in enumerate(ran.iterrows()):
        colour = "tab:red" if row["is_default"] else "tab:blue"
        hv = trials.loc[trials["setting_id"] == row["setting_id"], "hv"].to_numpy(dtype=float)
        # a small fixed vertical offset per seed keeps equal scores visible without randomness
        offsets = np.linspace(-0.15, 0.15, len(hv)) if len(hv) > 1 else np.zeros(len(hv))
        ax.scatter(hv, y + offsets, s=14, color=colour, alpha=0.55, zorder=2)
        ax.scatter([row["hv_mean"]], [y], s=60, marker="D", color=colour, edgecolor="k", zorder=3)
        labels.append(_label(row, n_var) + ("  (defaults)" if row["is_default"] else ""))
    ax.set_yticks(range(len(labels)), labels, fontsize=7, family="monospace")
    for tick, (_, row) in zip(ax.get_yticklabels(), ran.iterrows()):
        if row["is_default"]:
            tick.set_color("tab:red")
            tick.set_fontweight("bold")
    ax.set_xlabel("hypervolume / hypervolume of the union front (per seed: dots; mean: diamond)")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, stem)


# -- command line --------------------------------------------------------------------------------

def add_arguments(p: Any) -> None:
    """Arguments of the ``tune`` subcommand."""
    p.add_argument("config", nargs="?", help="TOML config; omit for the embedded defaults")
    # method is checked in run() rather than by argparse choices, so a bad value is reported like
    # every other bad input (exit code 2, the argument named) from main()
    p.add_argument("--method", default="grid", help="grid | random | optuna (default grid; optuna needs .[tune])")
    p.add_argument("--trials", type=int, default=12, help="settings to try, the defaults included (default 12)")
    p.add_argument("--repeats", type=int, default=3, help="seeds per setting (default 3)")
    p.add_argument("--budget", type=int, help="unique evaluations per run (overrides search.budget)")
    p.add_argument("--n-jobs", type=int, help="parallel runs (overrides run.n_jobs; -1 = all cores)")
    p.add_argument("--out", help="output folder (default runs/tune-<time>)")


def _fmt(name: str, v: Any, n_var: int) -> str:
    if name == "mutation_prob_var" and v == 0:
        return f"0 (1/n_var = {1 / n_var:.4g})"
    return f"{v:g}" if isinstance(v, float) else str(v)


def run(args: Any) -> int:
    """Tune and print the ranked table and the recommendation next to the defaults; returns 0."""
    from .config import load_config

    if args.method not in METHODS:
        raise ValueError(f"--method: unknown method {args.method!r}; choose one of {', '.join(METHODS)}")
    if args.trials < 1:
        raise ValueError(f"--trials must be at least 1, got {args.trials}")
    if args.repeats < 1:
        raise ValueError(f"--repeats must be at least 1, got {args.repeats}")
    cfg = load_config(args.config, overrides={"search.budget": args.budget, "run.n_jobs": args.n_jobs})
    out = Path(args.out) if args.out else Path("runs") / f"tune-{time.strftime('%Y%m%d-%H%M%S')}"
    res = tune(cfg, out, method=args.method, trials=args.trials, repeats=args.repeats)

    cols = ["rank", "setting_id", *TUNABLE, "runs", "hv_mean", "hv_std", "hv_min", "hv_max", "wall_s_mean"]
    table = res.summary[cols].copy()
    table["setting_id"] = [f"{s}*" if d else s for s, d in zip(res.summary["setting_id"], res.summary["is_default"])]
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(f"{res.method} tuning: budget {cfg.search.budget} unique evaluations, {args.repeats} seeds per "
              f"setting; hv = fraction of the union front's hypervolume; * = package defaults; "
              f"mutation_prob_var 0 = 1/n_var ({res.n_var} genes)")
        print(table.to_string(index=False))
    for s in res.skipped:
        print(f"skipped {s['setting_id']}: {s['reason']}")
    print()
    rec = res.recommended
    width = max(len(n) for n in TUNABLE)
    print(f"{'':{width}}  {'recommended':>22}  {'defaults':>22}")
    for n in TUNABLE:
        v_rec = _fmt(n, rec[n], res.n_var) if rec else "-"
        print(f"{n:{width}}  {v_rec:>22}  {_fmt(n, res.defaults[n], res.n_var):>22}")
    print(f"{'hv mean':{width}}  {res.recommended_hv:>22.4f}  {res.defaults_hv:>22.4f}")
    print(f"recommended / defaults mean hypervolume: {res.hv_ratio:.4f}"
          + (" (the defaults are the recommendation)" if rec.get("setting_id") == "s00" else ""))
    print(f"results (trials.csv, summary.csv, tuning.json, runs in trials/) in {res.out}")
    print("plots: " + ", ".join(str(p) for p in res.plots))
    return 0

"""Co-design strategies built from the one NSGA-II engine.

* ``coupled``: one NSGA-II over the joint genome (cell + hardware) with the configured objectives.
* ``decoupled``: (1) hardware-agnostic NAS — accuracy vs NASLib-convention FLOPs — over the cell
  alone; keep its Pareto set (at most ``max_archs`` cells, default 30); (2) search the hardware jointly with a
  choice among only those cells. Hardware never informs the architecture choice.
* ``semi_decoupled`` (Lu, Yan, Shi, Ren, tinyML 2022): (1) NAS with the configured objectives on a
  fixed *proxy accelerator* (the user's, or the design at the middle of every hardware gene's range,
  or the feasible design nearest to it when the middle is infeasible; :func:`choose_proxy`); keep
  its Pareto set; (2) as decoupled. The result reports the Spearman rank correlation of the
  kept cells' latency between the proxy and every accelerator of the final front, so users see
  whether the premise (architectures rank alike on every accelerator) held.
* ``two_phase`` (XPert, Moitra et al., DAC 2023; :mod:`evo_codesign.strategies.two_phase`).

Every strategy gets the same budget of unique evaluations; phase 1 uses ``nas_fraction`` of it and
phase 2 the rest (what phase 1 leaves unused carries over). Each phase is a resumable run directory
under ``out/<strategy>/``: ``run_strategy(..., resume=True)`` continues an interrupted strategy
from its checkpoints and ends with the front an uninterrupted run gives. Phases search an
:class:`~evo_codesign.strategies.embedding.Embedding` of the configured joint genome (by default
the genome itself; a restricted one for enumerable reference spaces). Fronts are reported in the
coupled problem's objective space and genome.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from ..config import Config, config_to_dict
from ..engine import GAState, front_arrays, resume_state, run_until_done, start
from ..evaluate import CodesignEvaluator, build_evaluator
from ..io.frames import design_frame
from ..io.rundir import RunDir
from ..metrics import spearman
from ..problem import CodesignProblem, EvalBatch, EvaluationCache
from ..search import space_for
from ..space.base import GenomeError
from ..workload.batch import cell_workload
from .embedding import ArchSetSegment, Embedding

#: Designs a phased strategy keeps from phase 1. 30, not 10: with 10, semi-decoupled search is capped
#: at 0.931 of the exact front's hypervolume where rankings change (small PE arrays) and reaches
#: 0.976 with 30 (0.958 vs 0.942 on the open grid); against the union of fronts on the full space the
#: two are within 0.003 (`python benchmarks/reference_fronts.py --max-archs 10` vs `30`; README
#: "When semi-decoupled search wins").
DEFAULT_MAX_ARCHS = 30

__all__ = ["DEFAULT_MAX_ARCHS", "StrategyResult", "run_strategy", "STRATEGIES", "ArchSetSegment", "Context",
           "strategies_for", "not_applicable"]


@dataclass
class StrategyResult:
    strategy: str
    seed: int
    front: pd.DataFrame            # tidy frame in the coupled problem's terms
    F: np.ndarray                   # front objectives, minimisation form
    evaluations: int                # unique designs evaluated, all phases
    wall_s: float                   # this call's wall time (a resumed call counts only what it ran)
    phase_evaluations: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    final_run: Path | None = None   # run directory of the phase whose designs make the front
    run_dirs: list[Path] = field(default_factory=list)  # every phase's run directory, in order

    def evaluation_log(self) -> pd.DataFrame:
        """Every unique design each phase evaluated, in order: the phases' logs (``gen``, ``f_*``
        in each phase's own objectives, ``g_*``, ``feasible``) with ``phase`` (1, 2, ...) and
        ``evaluation`` (the running count of unique evaluations over all phases)."""
        from ..io.history import evaluation_log
        logs = [evaluation_log(d)[0].assign(phase=k + 1) for k, d in enumerate(self.run_dirs)]
        log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
        return log.assign(evaluation=np.arange(1, len(log) + 1))


@dataclass
class Context:
    """What every strategy gets: config, seed, output folder, the embedding searched, and how to run."""

    cfg: Config
    seed: int
    out: Path
    embedding: Embedding
    base: CodesignEvaluator
    resume: bool = False
    on_generation: Callable[[GAState], None] | None = None

    @property
    def base_space(self):
        return self.embedding.base


class Mapped:
    """Evaluates phase genomes by expanding them into base genomes (one shared evaluator)."""

    def __init__(self, base: CodesignEvaluator, embedding: Embedding) -> None:
        self.base, self.embedding = base, embedding
        self.objective_names = base.objective_names
        self.objective_senses = base.objective_senses
        self.constraint_names = base.constraint_names

    def __call__(self, X: np.ndarray) -> EvalBatch:
        return self.base(self.embedding.expand(X))


class _AgnosticNas:
    """Hardware-agnostic NAS objectives: surrogate accuracy (max) and FLOPs (min, millions)."""

    objective_names = ("accuracy", "flops")
    objective_senses = ("max", "min")
    constraint_names: tuple[str, ...] = ()

    def __init__(self, surrogate: Any, protocol: str, embedding: Embedding) -> None:
        self.surrogate, self.protocol, self.embedding = surrogate, protocol, embedding
        self.cell = embedding.base.slices["cell"]

    def __call__(self, X: np.ndarray) -> EvalBatch:
        cells = self.embedding.expand(X)[:, self.cell]
        acc = np.asarray(self.surrogate.predict(cells), dtype=float)
        flops = cell_workload(self.protocol).flops(cells) / 1e6
        return EvalBatch(np.stack([-acc, flops], axis=1), np.zeros((len(X), 0)),
                         {"accuracy": acc, "flops_m": flops})


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def _phase(ctx: Context, embedding: Embedding, evaluator: Any, budget: int, seed: int, out: Path,
           info: dict) -> tuple[GAState, int]:
    """Run (or, with ``ctx.resume``, continue) one phase's NSGA-II in its own run directory."""
    # A phase never spends more than its own budget: its population shrinks to fit.
    if budget < 4:
        raise ValueError(f"{info.get('strategy')} phase {info.get('phase', 1)}: budget {budget} is below the "
                         f"smallest population (4); raise search.budget")
    cfg = ctx.cfg
    pop = min(cfg.search.pop_size, budget)
    search = replace(cfg.search, budget=budget, pop_size=pop, n_offsprings=min(cfg.search.n_offsprings or pop, pop))
    info = _jsonable({**info, "seed": seed, "phase_budget": budget, "config": config_to_dict(cfg),
                      "phase_space": repr(embedding.space)})
    state = None
    if ctx.resume and (out / "run.json").exists():
        rd = RunDir.open(out)
        stored = rd.info()
        for key in ("strategy", "phase", "seed", "phase_budget", "config", "phase_space", "proxy_genes"):
            a, b = stored.get(key), info.get(key)
            if key == "config":  # how to run (workers, checkpoints, progress) may change; what to search may not
                a, b = ({k: v for k, v in (c or {}).items() if k != "run"} for c in (a, b))
            if a != b:
                rd.close()
                raise ValueError(f"cannot resume {out}: its {key!r} differs from this run's "
                                 f"({a!r} vs {b!r}); use another output folder")
        if (out / "checkpoint.pkl").exists():
            state = resume_state(rd)
        else:  # interrupted before its first checkpoint: nothing worth keeping
            rd.close()
            shutil.rmtree(out)
    if state is None:
        rd = RunDir.create(out, info)
        state = start(CodesignProblem(embedding.space, EvaluationCache(embedding.space, evaluator, rd)), search, seed)
    state = run_until_done(state, rd, checkpoint_every=cfg.run.checkpoint_every, on_generation=ctx.on_generation)
    rd.close()
    return state, state.problem.cache.n_unique


def _feasible_front(state: GAState) -> tuple[np.ndarray, np.ndarray]:
    X, F, G = front_arrays(state)
    feasible = (G <= 0).all(axis=1) if G.shape[1] else np.ones(len(X), dtype=bool)
    return X[feasible], F[feasible]


def kept_rows(embedding: Embedding, state: GAState, positions: np.ndarray, max_rows: int) -> np.ndarray:
    """Base-gene values at ``positions`` of a phase's feasible front, at most ``max_rows`` of them
    (a spread: the best design of each objective first, then in order of the first objective)."""
    X, F = _feasible_front(state)
    if len(X) > max_rows:
        keep = set(int(i) for i in np.argmin(F, axis=0))
        for i in np.argsort(F[:, 0], kind="stable"):
            if len(keep) >= max_rows:
                break
            keep.add(int(i))
        X = X[sorted(keep)]
    if not len(X):
        raise ValueError("phase 1 found no feasible design; relax the constraints or raise the budget")
    return np.unique(embedding.expand(X)[:, positions], axis=0)


def _result(ctx: Context, name: str, embedding: Embedding, state: GAState, phase_evals: list[int], t0: float,
            run_dirs: list[Path], details: dict[str, Any] | None = None) -> StrategyResult:
    base = ctx.base
    Xp, F, G = front_arrays(state)
    X = embedding.expand(Xp) if len(Xp) else np.zeros((0, ctx.base_space.n_var), dtype=np.int64)
    frame = design_frame(ctx.base_space, X, F, G, objective_names=base.objective_names,
                         objective_senses=base.objective_senses, constraint_names=base.constraint_names,
                         extras=state.problem.cache.extras(Xp) if len(Xp) else [], strategy=name, seed=ctx.seed)
    RunDir(run_dirs[-1]).write_front(frame)  # so `evo-codesign front/plot` work on a strategy's last phase
    return StrategyResult(name, ctx.seed, frame, F, sum(phase_evals), time.perf_counter() - t0, list(phase_evals),
                          details or {}, run_dirs[-1], list(run_dirs))


def _info(name: str, evaluator: Any, phase: int | None = None, **extra: Any) -> dict:
    d = {"strategy": name, "objectives": list(evaluator.objective_names),
         "constraints": list(evaluator.constraint_names), **extra}
    if phase is not None:
        d["phase"] = phase
    return d


def _coupled(ctx: Context, **_: Any) -> StrategyResult:
    t0 = time.perf_counter()
    E = ctx.embedding
    out = ctx.out / "coupled"
    state, n = _phase(ctx, E, Mapped(ctx.base, E), ctx.cfg.search.budget, ctx.seed, out, _info("coupled", ctx.base))
    return _result(ctx, "coupled", E, state, [n], t0, [out])


def _phased(ctx: Context, *, semi: bool, nas_fraction: float = 0.5, max_archs: int = DEFAULT_MAX_ARCHS,
            proxy: Mapping[str, Any] | None = None, **_: Any) -> StrategyResult:
    name = "semi_decoupled" if semi else "decoupled"
    t0 = time.perf_counter()
    E, base, cfg = ctx.embedding, ctx.base, ctx.cfg
    cell_pos = E.positions_of("cell")
    hw_pos = np.setdiff1d(E.covered, cell_pos)
    if not semi:  # hardware-agnostic NAS: the hardware genes are placeholders it never reads
        proxy, probes = E.expand(E.middle())[0], 0
    elif proxy is not None:  # the user's proxy: genes not given sit at the middle of their range
        proxy, probes = proxy_genome(E, proxy), 0
    else:
        proxy, probes = choose_proxy(E, base, ctx.seed)
    nas = E.fixed(hw_pos, proxy[hw_pos])
    nas_eval = Mapped(base, nas) if semi else _AgnosticNas(base.surrogate, cfg.space.protocol, nas)
    out1, out2 = ctx.out / name / "phase1_nas", ctx.out / name / "phase2_hw"
    info1 = _info(name, nas_eval, 1, **({"proxy_genes": proxy[hw_pos].tolist()} if semi else {}))
    nas_state, n1 = _phase(ctx, nas, nas_eval, int(round(cfg.search.budget * nas_fraction)), ctx.seed, out1, info1)
    archs = kept_rows(nas, nas_state, cell_pos, max_archs)
    hw = E.tabled("arch", cell_pos, archs, cells=True)
    hw_state, n2 = _phase(ctx, hw, Mapped(base, hw), cfg.search.budget - n1, ctx.seed + 1, out2,
                          _info(name, base, 2, n_archs=int(len(archs))))
    res = _result(ctx, name, hw, hw_state, [n1, n2], t0, [out1, out2],
                  {"n_archs": int(len(archs)), **({"proxy_probes": probes} if semi else {})})
    if semi and len(res.F):
        res.details.update(_premise(base, E, archs, proxy, res.front, hw_pos))
    return res


def proxy_genome(E: Embedding, values: Mapping[str, Any]) -> np.ndarray:
    """A base genome with the hardware genes in ``values`` (joint names, e.g.
    ``{"accelerator.dataflow": "nvdla", "accelerator.array_rows": 16}``) set, every other gene at
    the middle of its range in ``E``. Errors name the gene and the values this space allows."""
    genome = E.expand(E.middle())[0]
    names = list(E.base.gene_names)
    cell = E.base.slices["cell"]
    for name, value in values.items():
        if name not in names:
            raise GenomeError(f"proxy: unknown gene {name!r}; hardware genes look like "
                              f"{[n for n in names if not n.startswith('cell.')][:3]}...")
        pos = names.index(name)
        if cell.start <= pos < cell.stop:
            raise GenomeError(f"proxy: {name!r} is a cell gene; a proxy sets hardware genes only")
        gene = E.base_genes([pos])[0]
        idx = gene.index_of(value, segment=name.split(".")[0])
        allowed = E.allowed_values(pos)
        if idx not in allowed:
            raise GenomeError(f"proxy: {name} = {value!r} is outside this space; allowed: "
                              f"{[gene.choices[i] for i in allowed]}")
        genome[pos] = idx
    return genome


def choose_proxy(E: Embedding, base: CodesignEvaluator, seed: int, *, n_probe_cells: int = 8,
                 n_candidates: int = 256) -> tuple[np.ndarray, int]:
    """The proxy accelerator (a base genome; its cell genes are placeholders) and how many probe
    evaluations choosing it took.

    The proxy is the hardware design at the middle of every searched gene's range, unless that
    design is infeasible (e.g. its tiles overflow its buffers) for some of ``n_probe_cells`` sampled
    cells: then it is the feasible design nearest the middle (normalised gene distance) among
    ``n_candidates`` sampled ones, or the one feasible for the most probe cells. A NAS phase on an
    infeasible proxy would rank nothing. Probes are set-up evaluations, like choosing a proxy by
    hand, and are not counted against the search budget; the result reports their number."""
    rng = np.random.default_rng([seed, 7919])
    middle = E.middle()
    cands = np.vstack([middle, E.space.sample(rng, n_candidates)])
    span = np.maximum(E.space.xu - E.space.xl, 1)
    cell_pos = E.positions_of("cell")
    # phase-genome columns of the hardware parts (every part not covering cell genes)
    hw_cols = [j for p in E.parts if not np.isin(p.positions, cell_pos).any()
               for j in range(E.space.slices[p.segment.name].start, E.space.slices[p.segment.name].stop)]
    dist = np.abs((cands - middle) / span)[:, hw_cols].sum(axis=1)
    order = np.argsort(dist, kind="stable")  # the middle itself first
    cells = E.expand(E.space.sample(rng, n_probe_cells))[:, E.base.slices["cell"]]
    probes, best, best_ok = 0, None, -1
    for k in range(0, len(order), 16):
        designs = E.expand(cands[order[k:k + 16]])
        X = np.repeat(designs, len(cells), axis=0)
        X[:, E.base.slices["cell"]] = np.tile(cells, (len(designs), 1))
        b = base(X)
        probes += len(X)
        ok = ((b.G <= 0).all(axis=1) if b.G.shape[1] else np.ones(len(X), bool)).reshape(len(designs), len(cells))
        n_ok = ok.sum(axis=1)
        if (n_ok == len(cells)).any():
            return designs[int(np.argmax(n_ok == len(cells)))], probes
        if n_ok.max() > best_ok:
            best, best_ok = designs[int(np.argmax(n_ok))], int(n_ok.max())
    return best, probes


def _premise(base: CodesignEvaluator, E: Embedding, archs: np.ndarray, proxy: np.ndarray, front: pd.DataFrame,
             hw_pos: np.ndarray) -> dict[str, Any]:
    """Spearman of the kept cells' latency on the proxy vs on each final accelerator (analysis
    evaluations, not counted against the search budget)."""
    if len(archs) < 3:
        return {"premise_note": "fewer than 3 cells kept: no rank correlation"}
    cell = E.base.slices["cell"]

    def latencies(design: np.ndarray) -> np.ndarray:
        X = np.tile(design, (len(archs), 1))
        X[:, cell] = archs
        return base.metrics(X)["latency_ms"]
    ref = latencies(proxy)
    X_front = front[[f"x_{g}" for g in E.base.gene_names]].to_numpy(dtype=np.int64)
    _, first = np.unique(X_front[:, hw_pos], axis=0, return_index=True)
    r = np.asarray([spearman(ref, latencies(X_front[i])) for i in sorted(first)])
    return {"premise_spearman_min": float(np.nanmin(r)), "premise_spearman_median": float(np.nanmedian(r)),
            "premise_accelerators": int(len(r))}


def _two_phase(ctx: Context, **options: Any) -> StrategyResult:
    from .two_phase import two_phase
    return two_phase(ctx, **options)


STRATEGIES: dict[str, Callable[..., StrategyResult]] = {
    "coupled": _coupled,
    "decoupled": lambda ctx, **kw: _phased(ctx, semi=False, **kw),
    "semi_decoupled": lambda ctx, **kw: _phased(ctx, semi=True, **kw),
    "two_phase": _two_phase,
}


def not_applicable(name: str, cfg: Config) -> str | None:
    """Why strategy ``name`` cannot run on ``cfg``'s space and objectives (None if it can)."""
    objectives = set(cfg.search.objectives)
    if name in ("decoupled", "semi_decoupled") and cfg.space.neural != "cell":
        return f"{name} needs the cell space (space.neural = 'cell')"
    if name == "decoupled" and "accuracy" not in objectives and cfg.constraints.accuracy_min <= 0:
        return "decoupled's NAS phase ranks cells by surrogate accuracy: add 'accuracy' to search.objectives"
    if name == "two_phase" and cfg.space.hardware not in ("imc", "hybrid"):
        return "two_phase needs crossbars: space.hardware = 'imc' or 'hybrid'"
    if name == "two_phase" and not objectives & {"accuracy", "precision_drop"}:
        return ("two_phase: phase 2 searches precision, so search.objectives needs 'accuracy' (cell space) "
                "or 'precision_drop'")
    return None


def strategies_for(cfg: Config) -> list[str]:
    """The strategies that apply to a config's space and objectives (:func:`not_applicable`)."""
    return [name for name in STRATEGIES if not_applicable(name, cfg) is None]


def run_strategy(name: str, cfg: Config, seed: int, out: str | Path, *, embedding: Embedding | None = None,
                 resume: bool = False, on_generation: Callable[[GAState], None] | None = None,
                 evaluator: CodesignEvaluator | None = None, **options: Any) -> StrategyResult:
    """Run one strategy with the config's budget and the given seed into ``out/<strategy>/``.

    ``embedding``: the space searched (default: the config's joint genome). ``resume``: continue
    the phases already in ``out`` (their config, seed and budget must match) instead of refusing
    to overwrite them. ``on_generation``: called after every generation of every phase.
    ``options``: ``nas_fraction`` (budget share of phase 1, default 0.5), ``max_archs`` (designs
    kept from phase 1, default :data:`DEFAULT_MAX_ARCHS`) and ``proxy`` (semi-decoupled only: the proxy accelerator as
    ``{joint gene name: value}``, see :func:`proxy_genome`; default: chosen automatically)."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; allowed: {list(STRATEGIES)}")
    why = not_applicable(name, cfg)
    if why:
        raise ValueError(why)
    unknown = [k for k in options if k not in ("nas_fraction", "max_archs", "proxy")]
    if unknown:
        raise ValueError(f"unknown strategy option(s) {unknown}; allowed: ['nas_fraction', 'max_archs', 'proxy']")
    if not 0.0 < options.get("nas_fraction", 0.5) < 1.0:
        raise ValueError(f"nas_fraction must be in (0, 1), got {options['nas_fraction']}")
    if options.get("max_archs", DEFAULT_MAX_ARCHS) < 1:
        raise ValueError(f"max_archs must be at least 1, got {options['max_archs']}")
    space = space_for(cfg) if embedding is None else embedding.base
    if embedding is not None and embedding.base.gene_names != space_for(cfg).gene_names:
        raise ValueError(f"the embedding's base space {embedding.base!r} is not the config's {space_for(cfg)!r}")
    base = evaluator if evaluator is not None else build_evaluator(cfg, space)
    ctx = Context(cfg, int(seed), Path(out), embedding if embedding is not None else Embedding.identity(space),
                  base, resume, on_generation)
    return STRATEGIES[name](ctx, **options)

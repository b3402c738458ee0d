"""Running a registered strategy: ``run_strategy(name, cfg, seed, out, ...)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..config import Config
from ..errors import UsageError
from ..evaluate import build_evaluator
from ..jit import warm_up
from ..space.joint import JointSpace, make_space
from .base import Context, StrategyResult, get, make_options
from .embedding import Embedding

__all__ = ["run_strategy", "space_for"]


def space_for(cfg: Config) -> JointSpace:
    """The joint genome a config describes."""
    return make_space(cfg.space.neural, cfg.space.hardware, imc_per_group=cfg.space.imc_per_group,
                      imc_chip_genes=cfg.space.imc_chip_genes, network=cfg.space.network or None)


def run_strategy(name: str, cfg: Config, seed: int, out: str | Path, *, embedding: Embedding | None = None,
                 resume: bool = False, on_generation: Callable[[Any], None] | None = None,
                 evaluator: Any = None, progress: bool = False, flat: bool = False,
                 stop_after_gen: int | None = None, **options: Any) -> StrategyResult:
    """Run one strategy with the config's budget and the given seed into ``out/<strategy>/``
    (``flat``: a single-phase strategy directly into ``out``).

    ``embedding``: the space searched (default: the config's joint genome). ``resume``: continue
    the phases already in ``out`` (their config, seed and budget must match) instead of refusing
    to overwrite them. ``on_generation``: called after every generation of every phase.
    ``progress``: a progress bar per phase. ``stop_after_gen``: stop every phase after that many
    generations (to interrupt a run on purpose; resume continues it). ``evaluator``: the one
    evaluator (default: the config's). ``options``: the strategy's ``Options`` fields, e.g.
    ``nas_fraction`` (budget share of phase 1, default 0.5), ``max_archs`` (designs kept from phase 1)
    and ``proxy`` (semi-decoupled only); an option the strategy does not have is an error."""
    strategy = get(name)
    why = strategy.applicable(cfg)
    if why:
        raise UsageError(why)
    opts = make_options(name, options)
    space = space_for(cfg)
    if embedding is not None and embedding.base.gene_names != space.gene_names:
        raise UsageError(f"the embedding's base space {embedding.base!r} is not the config's {space!r}")
    base = evaluator if evaluator is not None else build_evaluator(cfg, space)
    warm_up()  # compile or load the kernels before the strategy's clock starts
    ctx = Context(cfg, int(seed), Path(out), embedding if embedding is not None else Embedding.identity(space),
                  base, resume, on_generation, progress, flat, stop_after_gen)
    return strategy.run(ctx, opts)  # its generations run with BLAS on one thread (engine.run_until_done)

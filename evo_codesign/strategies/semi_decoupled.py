"""Semi-decoupled search (Lu, Yan, Shi, Ren, tinyML 2022): (1) NAS with the configured objectives
on a fixed *proxy accelerator* — the user's, or the design at the middle of every hardware gene's
range, or the feasible design nearest to it when the middle is infeasible (:func:`choose_proxy`);
keep its Pareto set; (2) as decoupled search. The result reports the Spearman rank correlation of
the kept cells' latency between the proxy and every accelerator of the final front, so users see
whether the premise (architectures rank alike on every accelerator) held."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..metrics import spearman_columns
from ..protocols import feasible_mask
from ..space.base import GenomeError
from ._phase import Mapped, phase_info
from ._two_stage import DEFAULT_MAX_ARCHS, cell_applicable, check_phased, nas_then_hardware
from .base import Context, Strategy, StrategyResult, register
from .embedding import Embedding

__all__ = ["SemiDecoupled", "SemiOptions", "proxy_genome", "choose_proxy"]


@dataclass(frozen=True)
class SemiOptions:
    """As decoupled search's options, plus ``proxy``: the proxy accelerator as ``{joint gene name:
    value}`` (see :func:`proxy_genome`); None chooses one automatically."""

    nas_fraction: float = 0.5
    max_archs: int = DEFAULT_MAX_ARCHS
    proxy: Mapping[str, Any] | None = None


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


def choose_proxy(E: Embedding, base: Any, seed: int, *, n_probe_cells: int = 8,
                 n_candidates: int = 256, max_probes: int | None = None) -> tuple[np.ndarray, int]:
    """The proxy accelerator (a base genome; its cell genes are placeholders) and how many probe
    evaluations choosing it took.

    The proxy is the hardware design at the middle of every searched gene's range, unless that
    design is infeasible (e.g. its tiles overflow its buffers) for some of ``n_probe_cells`` sampled
    cells: then it is the feasible design nearest the middle (normalised gene distance) among
    ``n_candidates`` sampled ones, or the one feasible for the most probe cells. A NAS phase on an
    infeasible proxy would rank nothing. The probes count against the search budget (they come out
    of phase 1's share); ``max_probes`` caps them (the middle design is always probed), and the
    result reports their number."""
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
    k = 0
    while k < len(order):
        room = len(order) if max_probes is None else (max_probes - probes) // len(cells)
        if k and room < 1:
            break
        step = max(1, min(16, room))
        designs = E.expand(cands[order[k:k + step]])
        k += step
        X = np.repeat(designs, len(cells), axis=0)
        X[:, E.base.slices["cell"]] = np.tile(cells, (len(designs), 1))
        b = base(X)
        probes += len(X)
        n_ok = feasible_mask(b.G).reshape(len(designs), len(cells)).sum(axis=1)
        if (n_ok == len(cells)).any():
            return designs[int(np.argmax(n_ok == len(cells)))], probes
        if n_ok.max() > best_ok:
            best, best_ok = designs[int(np.argmax(n_ok))], int(n_ok.max())
    return best, probes


def premise(base: Any, E: Embedding, archs: np.ndarray, proxy: np.ndarray, front: pd.DataFrame,
            hw_pos: np.ndarray) -> dict[str, Any]:
    """Spearman of the kept cells' latency on the proxy vs on each final accelerator (analysis
    evaluations, not counted against the search budget)."""
    if len(archs) < 3:
        return {"premise_note": "fewer than 3 cells kept: no rank correlation"}
    cell = E.base.slices["cell"]
    X_front = front[[f"x_{g}" for g in E.base.gene_names]].to_numpy(dtype=np.int64)
    _, first = np.unique(X_front[:, hw_pos], axis=0, return_index=True)
    designs = np.concatenate([np.asarray(proxy, dtype=np.int64)[None, :], X_front[np.sort(first)]])
    # every kept cell on the proxy and on every final accelerator: rows cells, columns designs
    if hasattr(base, "metrics_product"):  # each cell and each design worked out once, latency only
        nets = np.repeat(designs[:1], len(archs), axis=0)
        nets[:, cell] = archs
        lat = base.metrics_product(nets, designs, keys=("latency_ms",))["latency_ms"].reshape(len(archs), len(designs))
    else:
        X = np.repeat(designs, len(archs), axis=0)
        X[:, cell] = np.tile(archs, (len(designs), 1))
        lat = base.metrics(X)["latency_ms"].reshape(len(designs), len(archs)).T
    r = spearman_columns(lat[:, 0], lat[:, 1:])
    return {"premise_spearman_min": float(np.nanmin(r)), "premise_spearman_median": float(np.nanmedian(r)),
            "premise_accelerators": int(len(r))}


class SemiDecoupled(Strategy):
    name = "semi_decoupled"
    Options = SemiOptions
    description = "NAS on a proxy accelerator, then hardware search over the kept cells (tinyML 2022)"

    def applicable(self, cfg: Any) -> str | None:
        return cell_applicable(self.name, cfg)

    def check_options(self, options: SemiOptions) -> None:
        check_phased(options)

    def run(self, ctx: Context, options: SemiOptions) -> StrategyResult:
        t0 = time.perf_counter()
        E, base = ctx.embedding, ctx.base
        hw_pos = np.setdiff1d(E.covered, E.positions_of("cell"))
        if options.proxy is not None:  # the user's proxy: genes not given sit at the middle of their range
            proxy, probes = proxy_genome(E, options.proxy), 0
        else:
            # at most a quarter of phase 1's share goes to choosing the proxy
            proxy, probes = choose_proxy(E, base, ctx.seed,
                                         max_probes=int(round(ctx.cfg.search.budget * options.nas_fraction)) // 4)
        nas = E.fixed(hw_pos, proxy[hw_pos])
        nas_eval = Mapped(base, nas)
        info1 = phase_info(self.name, nas_eval, 1, proxy_genes=proxy[hw_pos].tolist(), proxy_probes=probes)
        # the probes count against the budget (they come out of phase 1's share)
        res, archs = nas_then_hardware(ctx, self.name, nas, nas_eval, proxy, options, info1, spent=probes, t0=t0)
        res.details["proxy_probes"] = probes
        if len(res.F):
            res.details.update(premise(base, E, archs, proxy, res.front, hw_pos))
        return res


register(SemiDecoupled())

"""Command line: ``evo-codesign <command> ...``. Logging is configured here only."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .config import ConfigError
from .space.base import GenomeError

log = logging.getLogger("evo_codesign")


def _cmd_describe(args: argparse.Namespace) -> int:
    from .describe import format_cell, format_network_summary, format_segment, network_summary
    from .space.joint import make_space
    from .workload.backbone import backbone_network
    from .workload.cells import cell_network

    if args.genotypes:
        from .io.genotypes import load_genotypes

        for name, genome in load_genotypes(args.genotypes):
            summary = network_summary(cell_network(genome, args.protocol, name=name))
            if args.json:
                print(json.dumps({"name": name, "protocol": args.protocol, **summary}))
            else:
                print(f"{name} ({args.protocol} protocol)")
                print(format_cell(make_space("cell", None).decode(genome)["cell"]))
                print(format_network_summary(summary))
                print()
        return 0

    space = make_space(args.neural, args.hardware)
    x = space.sample(np.random.default_rng(args.seed))
    decoded = space.decode(x)
    if args.neural == "cell":
        net = cell_network(x[space.slices["cell"]], args.protocol)
    else:
        net = backbone_network(decoded["backbone"]["channels"])
    summary = network_summary(net)
    if args.json:
        print(json.dumps({"seed": args.seed, "genome": x.tolist(), "design": decoded,
                          "protocol": args.protocol if args.neural == "cell" else None, **summary}))
        return 0
    print(f"joint genome (seed {args.seed}): {space!r}")
    print(f"  genes: {' '.join(str(v) for v in x)}")
    for seg in space.segments:
        print(f"\n[{seg.name}]")
        d = decoded[seg.name]
        print(format_cell(d) if seg.name == "cell" else format_segment(d))
    what = f"{args.protocol} protocol" if args.neural == "cell" else "CIFAR-10 32x32"
    print(f"\n[network] ({what})")
    print(format_network_summary(summary))
    return 0


def _print_front(frame, *, as_json: bool = False) -> None:
    import pandas as pd

    cols = [c for c in frame.columns if c.startswith(("f_", "g_"))]
    show = ["accelerator.dataflow", "accelerator.num_pes", "imc.adc_type", "imc.adc_bits", "imc.column_sharing"]
    cols += [c for c in show if c in frame.columns]
    if as_json:
        for rec in frame.to_dict(orient="records"):
            print(json.dumps(rec, default=str))
        return
    with pd.option_context("display.max_columns", None, "display.width", 200, "display.float_format", "{:.4g}".format):
        print(frame[cols].sort_values(cols[0]).to_string(index=False))


def _cmd_run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .search import run_search

    cfg = load_config(args.config, overrides={"seed": args.seed, "run.n_jobs": args.n_jobs,
                                              "search.budget": args.budget})
    out = Path(args.out) if args.out else Path("runs") / f"run-seed{cfg.seed}-{time.strftime('%Y%m%d-%H%M%S')}"
    res = run_search(cfg, out, progress=args.progress or cfg.run.progress)
    print(f"run directory: {res.run_dir}")
    print(f"{res.evaluations} unique designs evaluated in {res.generations} generations, {res.wall_s:.2f} s; "
          f"front of {len(res.front)} designs:")
    _print_front(res.front)
    return 0


def _cmd_resume(args: argparse.Namespace) -> int:
    from .search import resume_search

    res = resume_search(args.run_dir, progress=args.progress)
    print(f"resumed {res.run_dir}: {res.evaluations} unique designs, {res.generations} generations")
    _print_front(res.front)
    return 0


def _cmd_front(args: argparse.Namespace) -> int:
    from .search import load_front

    _print_front(load_front(args.run_dir), as_json=args.json)
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from .plot.runs import plot_runs

    import pandas as pd

    from .config import config_from_dict

    paths = plot_runs(args.run_dirs, args.out, design=args.design)
    info = json.loads((Path(args.run_dirs[0]) / "run.json").read_text())
    if "config" in info:  # runs and strategy phases record their config; cell-space ones get the heatmap
        fronts = pd.concat([pd.read_csv(Path(d) / "front.csv") for d in args.run_dirs], ignore_index=True)
        paths += _rank_heatmap(config_from_dict(info["config"]), fronts, Path(args.out), "front")
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _genes_from_toml(path: str) -> dict:
    """``[accelerator]`` / ``[imc]`` tables of gene values (or lists of values, for a grid) ->
    ``{"accelerator.dataflow": ...}`` (per-group IMC knobs as ``[imc.input_bits] stage0 = 8``)."""
    import tomllib

    with open(path, "rb") as f:
        data = tomllib.load(f)

    def flat(d: dict, prefix: str) -> dict:
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
        return out
    return flat(data, "")


def _rank_heatmap(cfg, fronts, out: Path, what: str) -> list:
    """Spearman heatmap (and CSV) of 50 random cells' latency between the accelerators on
    ``fronts``; nothing for spaces without cells or empty fronts."""
    from .compare import rank_matrix
    from .plot.figures import plot_rank_heatmap

    if cfg.space.neural != "cell" or not len(fronts):
        return []
    M = rank_matrix(cfg, fronts)
    M.to_csv(out / "rank_correlation.csv")
    return plot_rank_heatmap(M, out / "rank_correlation",
                             title=f"Spearman of 50 random cells' latency between {what} accelerators")


def _cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from .compare import compare, summary_table
    from .config import load_config
    from .plot.figures import plot_fronts, plot_hv_curves

    cfg = load_config(args.config, overrides={"search.budget": args.budget, "run.n_jobs": args.n_jobs})
    out = Path(args.out)
    options = {}
    if args.proxy:
        options["proxy"] = _genes_from_toml(args.proxy)
    if args.exact_cells:
        from .strategies.reference import exact_reference
        grid = _genes_from_toml(args.grid) if args.grid else None
        embedding, exact = exact_reference(cfg, out, n_cells=args.exact_cells, grid=grid, resume=args.resume,
                                           n_jobs=cfg.run.n_jobs)
        options.update(embedding=embedding, reference_F=exact.F)
        print(f"exact front: {exact.n_designs:,} designs ({exact.n_feasible:,} feasible) enumerated in "
              f"{exact.wall_s:.1f} s, {len(exact.F)} on the front (exact_front.csv)")
    elif args.grid:
        raise ValueError("--grid needs --exact-cells N (the space to enumerate)")
    per_run, curves, fronts = compare(cfg, out, strategies=args.strategies, repeats=args.repeats,
                                      nas_fraction=args.nas_fraction, max_archs=args.max_archs, resume=args.resume,
                                      **options)
    table = summary_table(per_run)
    table.to_csv(out / "summary.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    objs = [c for c in fronts.columns if c.startswith("f_")]
    from .plot.runs import objective_label
    paths = plot_fronts({s: f for s, f in fronts.groupby("strategy")}, {c: objective_label(c[2:]) for c in objs},
                        out / "fronts", title=f"final fronts, {args.repeats} seeds per strategy")
    ref = json.loads((out / "reference.json").read_text())
    if ref["reference_hv"] > 0:  # the same scale as the table's hv column
        curves = curves.assign(hv=curves["hv"] / ref["reference_hv"])
    paths += plot_hv_curves(curves, out / "hv_vs_evaluations", reference_hv=1.0,
                            ylabel=f"hypervolume / {ref['reference']} front's")
    paths += _rank_heatmap(cfg, fronts, out, "found")
    print(f"results (runs.csv, summary.csv, hv_curves.csv, fronts.csv, reference.json) in {out}")
    print("plots: " + ", ".join(str(p) for p in paths))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evo-codesign", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser("describe", help="sample a joint genome (or read genotypes) and describe it and its network")
    d.add_argument("--seed", type=int, default=0, help="root seed of the sampled genome (default 0)")
    d.add_argument("--genotypes", metavar="FILE", help="JSON list of {name?, normal, reduce} cells to describe")
    d.add_argument("--protocol", choices=("nb301", "darts"), default="nb301",
                   help="network macro-architecture: nb301 (32 channels, 8 cells; default) or darts (36, 20)")
    d.add_argument("--neural", choices=("cell", "backbone"), default="cell",
                   help="neural space of the sampled genome (default cell)")
    d.add_argument("--hardware", choices=("dataflow", "imc", "hybrid"), default="hybrid",
                   help="hardware segments of the sampled genome (default hybrid)")
    d.add_argument("--json", action="store_true", help="one JSON object per design/genotype")
    d.set_defaults(func=_cmd_describe)

    from .surrogate import command as predict_command
    pr = sub.add_parser("predict", help="predict the CIFAR-10 accuracy of cells with an NB301 surrogate")
    predict_command.add_arguments(pr)
    pr.set_defaults(func=predict_command.run)

    from .cost import command as cost_command
    co = sub.add_parser("cost", help="cost your own network (LAYERS.csv) on one design (ACC.toml)")
    cost_command.add_arguments(co)
    co.set_defaults(func=cost_command.run)

    r = sub.add_parser("run", help="run a co-design search (NSGA-II) from a TOML config; no config = embedded defaults")
    r.add_argument("config", nargs="?", help="TOML config (see README); omit for the embedded defaults")
    r.add_argument("--seed", type=int, help="root seed (overrides the config)")
    r.add_argument("--n-jobs", type=int, help="workers for large batches (overrides run.n_jobs)")
    r.add_argument("--budget", type=int, help="unique designs to evaluate (overrides search.budget)")
    r.add_argument("--out", help="run directory (default runs/run-seed<N>-<time>)")
    r.add_argument("--progress", action="store_true", help="show a progress bar")
    r.set_defaults(func=_cmd_run)

    rs = sub.add_parser("resume", help="continue an interrupted run from its last checkpoint")
    rs.add_argument("run_dir")
    rs.add_argument("--progress", action="store_true")
    rs.set_defaults(func=_cmd_resume)

    f = sub.add_parser("front", help="print the Pareto front of a run")
    f.add_argument("run_dir")
    f.add_argument("--json", action="store_true", help="one JSON object per design")
    f.set_defaults(func=_cmd_front)

    from .strategies.phased import DEFAULT_MAX_ARCHS
    cp = sub.add_parser("compare", help="coupled vs decoupled vs semi-decoupled vs two-phase at equal budgets, "
                                        "N seeds each")
    cp.add_argument("config", nargs="?", help="TOML config (cell space); omit for the embedded defaults")
    cp.add_argument("--repeats", type=int, default=3, help="seeds per strategy (default 3)")
    cp.add_argument("--budget", type=int, help="unique evaluations per run (overrides search.budget)")
    cp.add_argument("--strategies", nargs="+", help="default: every strategy that applies to the space "
                                                    "(coupled, decoupled, semi_decoupled, two_phase)")
    cp.add_argument("--nas-fraction", type=float, default=0.5, help="budget share of phase 1 (default 0.5)")
    cp.add_argument("--max-archs", type=int, default=DEFAULT_MAX_ARCHS,
                    help=f"designs kept from phase 1 (default {DEFAULT_MAX_ARCHS})")
    cp.add_argument("--resume", action="store_true", help="continue the runs already in --out")
    cp.add_argument("--n-jobs", type=int, help="runs in parallel workers (overrides run.n_jobs; -1 = all cores)")
    cp.add_argument("--exact-cells", type=int, default=0, metavar="N",
                    help="score against the exact front of N random cells x a hardware grid, which every strategy "
                         "then searches (enumerated once; default grids for dataflow and imc targets)")
    cp.add_argument("--grid", metavar="GRID.toml",
                    help="with --exact-cells: [accelerator] / [imc] tables of gene -> list of values")
    cp.add_argument("--proxy", metavar="PROXY.toml",
                    help="semi-decoupled's proxy accelerator: [accelerator] (and [imc]) tables of gene values; "
                         "genes not given sit at the middle of their range (default: chosen automatically)")
    cp.add_argument("--out", default="runs/compare", help="output folder (default runs/compare)")
    cp.set_defaults(func=_cmd_compare)

    pl = sub.add_parser("plot", help="fronts overlaid, hypervolume vs evaluations and a decoded design (PNG + PDF)")
    pl.add_argument("run_dirs", nargs="+")
    pl.add_argument("--out", default="plots", help="output folder (default plots/)")
    pl.add_argument("--design", type=int, default=0, help="index of the first run's front design to draw")
    pl.set_defaults(func=_cmd_plot)

    from . import tuning as tune_command
    tu = sub.add_parser("tune", help="tune the NSGA-II settings (grid, random or optuna) at a fixed budget, N seeds each")
    tune_command.add_arguments(tu)
    tu.set_defaults(func=tune_command.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except (ConfigError, GenomeError, ValueError, FileNotFoundError, FileExistsError, ImportError) as e:
        print(f"evo-codesign {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The strategy comparison, as an EMO paper reports one: anytime scores against a fixed reference,
30 seeds, strong coupled baselines, rank tests with Holm correction and A12, a nas_fraction sweep.

    python benchmarks/compare_strategies.py [--seeds 30] [--budget 2000] [--workers 2]
        [--regimes structured open tight hybrid capacity dense] [--sweep-seeds 10] [--tune-trials 12]
        [--no-sweep] [--out DIR]

Regimes (each a folder under ``--out``):

* ``structured``: the enumerable space with a real NAS side (:func:`evo_codesign.strategies.
  reference.structured_space`: DARTS_V2's topology with 8 normal-cell op genes over 4 ops = 65,536
  cells x 216 PE-array designs = 14.2 M designs), scored against its exact front (enumerated first
  through the cross-product path).
* ``open``: the PE-array target's whole genome (cell + 15 accelerator genes).
* ``tight``: the same with area <= 1 mm^2 (small arrays, where the PE count binds and rankings can
  change between accelerators).
* ``hybrid``: the product's default target (crossbars + PE array, 59 genes); weights beyond the
  chip's tiles are rewritten every inference and pay for it.
* ``capacity``: the same with ``crossbar_capacity = true``: the network's weights must fit the
  tiles the design has (the tile count is a gene), so larger cells need larger chips.
* ``dense``: XPert's VGG16-like channel backbone on crossbars (dense convolutions, where latency
  is not a function of FLOPs); only the strategies that apply to a backbone run.

In every regime each strategy that applies runs ``--seeds`` seeds at ``--budget`` unique
evaluations (every evaluation counted, semi-decoupled's proxy probes included), next to coupled
baselines: NSGA-II with pymoo's stock integer operators (``coupled[pymoo]``), AGE-MOEA with the
space's operators (``coupled[agemoea]``), random search (``random``), and NSGA-II and AGE-MOEA
each tuned for the regime with the same tuning budget (``coupled[tuned]``,
``coupled[agemoea,tuned]``: ``evo-codesign tune``'s grid over population, crossover, block swap,
mutation and long-jump settings, ``--tune-trials`` settings x 3 seeds on seeds 1000-1002, which the
comparison's seeds 1-30 never use; the structured regime, which tune cannot search, takes the open
regime's settings). Outside ``structured``, the
reference is the non-dominated union of every archive of every run of the regime, saved as
``reference.json`` and then used to score all of them (a fixed reference). Per regime the script
prints the median and bootstrap 95 % interval of the final front's hypervolume (``hv``), the
archive's (``hv_archive``) and the anytime curve's area (``auc``), and the Holm-corrected
Mann-Whitney tests with Vargha-Delaney A12 of semi-decoupled and decoupled against coupled and
against the best baseline (all pairs in ``tests.csv``); attainment surfaces are in ``eaf_*.png``.
Then the phased strategies' ``nas_fraction`` sweep (0.1-0.7, ``--sweep-seeds`` seeds) in the
``structured`` and ``open`` regimes, so evaluations-to-95 % is read against the split it depends on.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evo_codesign.compare import SCORES, compare, strategy_tests, summary_table
from evo_codesign.config import load_config
from evo_codesign.jit import warm_up
from evo_codesign.strategies import strategies_for
from evo_codesign.strategies.reference import exact_front, structured_space

REGIMES = {
    "structured": {"space.hardware": "dataflow"},
    "open": {"space.hardware": "dataflow"},
    "tight": {"space.hardware": "dataflow", "constraints.area_mm2_max": 1.0},
    "hybrid": {"space.hardware": "hybrid"},
    "capacity": {"space.hardware": "hybrid", "constraints.crossbar_capacity": True},
    "dense": {"space.neural": "backbone", "space.hardware": "imc",
              "space.imc_per_group": ["input_bits", "adc_bits", "adc_type", "column_sharing"],
              "search.objectives": ["capacity_proxy", "latency", "energy", "precision_drop"]},
}
#: coupled baselines: label -> config overrides
BASELINES = {"coupled[pymoo]": {"search.operators": "pymoo-default"},
             "coupled[agemoea]": {"search.algorithm": "agemoea"},
             "random": {"search.algorithm": "random"}}
FRACTIONS = (0.1, 0.3, 0.5, 0.7)
#: engines tuned per regime with the same tuning budget: label -> config overrides
TUNED = {"coupled[tuned]": {}, "coupled[agemoea,tuned]": {"search.algorithm": "agemoea"}}
TUNE_SEED = 1000  # tuning runs on seeds the comparison never uses
_TUNED_SETTINGS: dict[str, dict[str, dict]] = {}  # regime -> label -> overrides


def _tuned_settings(name: str, args, out: Path) -> dict[str, dict]:
    """Per tuned engine, the setting ``tune`` recommends for the regime (its search-key overrides)."""
    from evo_codesign.tuning import TUNABLE, tune

    source = "open" if name == "structured" else name  # tune searches the config's genome, not an embedding
    if source not in _TUNED_SETTINGS:
        over = {"search.budget": args.budget, "run.n_jobs": args.workers, **REGIMES[source], "seed": TUNE_SEED}
        found = {}
        for label, extra in TUNED.items():
            r = tune(load_config(overrides={**over, **extra}), out / f"tune_{label}", method="grid",
                     trials=args.tune_trials, repeats=3)
            found[label] = {f"search.{k}": r.recommended[k] for k in TUNABLE}
            print(f"  {label}: tuned on {source!r}: " + ", ".join(f"{k} {r.recommended[k]}" for k in TUNABLE))
        _TUNED_SETTINGS[source] = found
    return _TUNED_SETTINGS[source]


def _variants(cfg, tuned: dict[str, dict] | None = None) -> dict[str, tuple[list[str], dict]]:
    """label -> (strategies, config overrides): the strategies that apply, then the baselines."""
    out = {"strategies": (strategies_for(cfg), {})}
    out.update({label: (["coupled"], o) for label, o in BASELINES.items()})
    for label, extra in TUNED.items():
        if tuned is not None and label in tuned:
            out[label] = (["coupled"], {**extra, **tuned[label]})
    return out


def _run_regime(name: str, args, out: Path) -> pd.DataFrame:
    over = {"search.budget": args.budget, "run.n_jobs": args.workers, **REGIMES[name]}
    cfg = load_config(overrides=over)
    embedding, exact = None, None
    if name == "structured":
        embedding = structured_space(cfg)
        ex = exact_front(cfg, embedding, n_jobs=args.workers)
        exact = ex.F
        print(f"  exact front: {ex.n_designs:,} designs ({ex.n_feasible:,} feasible) in {ex.wall_s:.1f} s, "
              f"{len(ex.F)} points")
    ref_file = out / "reference.json"
    tuned = _tuned_settings(name, args, out) if args.tune_trials else None
    variants = _variants(cfg, tuned)
    first: dict[str, object] = {}
    for label, (strategies, extra) in variants.items():
        c = load_config(overrides={**over, **extra})
        first[label] = compare(c, out / label, strategies=strategies, repeats=args.seeds, embedding=embedding,
                               reference_F=exact, plots=False)
    if exact is None:  # one fixed reference for every run of the regime: the union of all archives
        from evo_codesign.scoring import Reference

        found = [F for r in first.values() for F in r.found if len(F)]
        Reference.from_fronts(found).write(ref_file, first["strategies"].per_run.attrs.get("objectives")
                                           or list(_objectives(cfg)), source=f"union of every archive, regime {name}")
    frames = []
    for label, (strategies, extra) in variants.items():
        c = load_config(overrides={**over, **extra})
        r = compare(c, out / label, strategies=strategies, repeats=args.seeds, embedding=embedding,
                    reference_F=exact, reference_file=None if exact is not None else ref_file, resume=True,
                    plots=label == "strategies")
        runs = r.per_run.copy()
        if label != "strategies":
            runs["strategy"] = label
        frames.append(runs)
    return pd.concat(frames, ignore_index=True)


def _objectives(cfg) -> tuple[str, ...]:
    from evo_codesign.evaluate import build_evaluator
    from evo_codesign.search import space_for

    return build_evaluator(cfg, space_for(cfg)).objective_names


def _print_regime(name: str, runs: pd.DataFrame, out: Path) -> None:
    t = summary_table(runs)
    tests = strategy_tests(runs)
    t.to_csv(out / "summary_all.csv", index=False)
    cols = ["strategy", "runs", "evaluations", "hv_median", "hv_ci_low", "hv_ci_high", "hv_archive_median",
            "hv_archive_ci_low", "hv_archive_ci_high", "auc_median", "auc_ci_low", "auc_ci_high", "wall_s"]
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:.3f}".format):
        print(t[[c for c in cols if c in t]].to_string(index=False))
    if tests is None:
        return
    tests.to_csv(out / "tests.csv", index=False)
    base = runs.groupby("strategy")["hv"].median().drop(
        [s for s in ("coupled", "decoupled", "semi_decoupled", "two_phase") if s in set(runs.strategy)],
        errors="ignore")
    best = str(base.idxmax()) if len(base) else None
    keep = []
    for a in ("semi_decoupled", "decoupled", "two_phase"):
        for b in ("coupled", best):
            if b is None or a not in set(runs.strategy) or b == a:
                continue
            keep.append(tests[((tests.a == a) & (tests.b == b)) | ((tests.a == b) & (tests.b == a))])
    sel = pd.concat(keep) if keep else tests.iloc[:0]
    sel = sel[sel.score.isin(["hv", "hv_archive", "auc"])]
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:.4g}".format):
        print(f"  tests (Holm within each score over all {tests.groupby('score').size().iloc[0]} pairs; best "
              f"baseline by median hv: {best}):")
        print(sel[["score", "a", "b", "median_a", "median_b", "p", "p_holm", "a12", "magnitude", "better"]]
              .to_string(index=False))


def _sweep(name: str, args, out: Path) -> None:
    over = {"search.budget": args.budget, "run.n_jobs": args.workers, **REGIMES[name]}
    cfg = load_config(overrides=over)
    embedding = structured_space(cfg) if name == "structured" else None
    exact = exact_front(cfg, embedding, n_jobs=args.workers).F if embedding is not None else None
    ref = None if exact is not None else out / "reference.json"
    rows = []
    for frac in FRACTIONS:
        r = compare(cfg, out / f"sweep_{frac:g}", strategies=["decoupled", "semi_decoupled"], repeats=args.sweep_seeds,
                    embedding=embedding, reference_F=exact, reference_file=ref, plots=False, nas_fraction=frac)
        g = r.per_run.groupby("strategy")
        rows.append(pd.DataFrame({"nas_fraction": frac, "auc_median": g["auc"].median(), "hv_median": g["hv"].median(),
                                  "hv_archive_median": g["hv_archive"].median(),
                                  "evals_to_95_median": g["evals_to_95"].apply(
                                      lambda v: float(np.median(v.fillna(np.inf)))),
                                  "reached_95": g["evals_to_95"].apply(lambda v: f"{int(v.notna().sum())}/{len(v)}")
                                  }).reset_index())
    t = pd.concat(rows, ignore_index=True).sort_values(["strategy", "nas_fraction"])
    t.to_csv(out / "nas_fraction_sweep.csv", index=False)
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(f"  nas_fraction sweep ({args.sweep_seeds} seeds each; evaluations to 95 % of the reference, inf = the "
              f"median run never got there):")
        print(t.to_string(index=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--budget", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the runs, threads for enumeration")
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    ap.add_argument("--sweep-seeds", type=int, default=10)
    ap.add_argument("--tune-trials", type=int, default=12, help="settings tried per tuned engine (0: no tuned baselines)")
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "compare")
    args = ap.parse_args()
    out = args.out / time.strftime("%Y%m%d-%H%M%S")  # never mix with an earlier comparison
    print(f"kernels compiled or loaded in {warm_up():.1f} s; scores: {', '.join(SCORES)}")
    for name in args.regimes:
        t0 = time.perf_counter()
        print(f"\n== regime {name!r}: {args.seeds} seeds, budget {args.budget} unique evaluations ==")
        runs = _run_regime(name, args, out / name)
        _print_regime(name, runs, out / name)
        if not args.no_sweep and name in ("structured", "open"):
            _sweep(name, args, out / name)
        print(f"  ({time.perf_counter() - t0:.0f} s)")
    print(f"\nruns, tables, tests and figures in {out}")


if __name__ == "__main__":
    main()

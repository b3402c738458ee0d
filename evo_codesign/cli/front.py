"""``evo-codesign front RUN_DIR``: a run's Pareto front, each design with the index that
``evo-codesign plot RUN_DIR --design I`` draws."""

from __future__ import annotations

import argparse
import json

HELP = "print the Pareto front of a run (column 'design': the index plot --design takes)"

#: decoded hardware fields shown beside the objectives when the space has them
_SHOWN = ("accelerator.dataflow", "accelerator.num_pes", "imc.adc_type", "imc.adc_bits", "imc.column_sharing")


def add_arguments(f: argparse.ArgumentParser) -> None:
    f.add_argument("run_dir")
    f.add_argument("--json", action="store_true", help="one JSON object per design (with its 'design' index)")


def print_front(frame, *, as_json: bool = False) -> None:
    """A front as a table sorted by its first objective, best first, or as one JSON object per
    design in file order. Either way each design carries ``design``: its row in ``front.csv``, the
    index ``plot --design`` takes. Shown: objectives, constraints, feasibility when some design
    is infeasible, the main hardware choices, ``ood`` when the surrogate flagged a cell, and
    ``n_equivalent`` when a row stands for several designs that differ only in inert genes."""
    import pandas as pd

    from ..errors import UsageError
    from ..objectives import get as get_objective

    frame = frame.reset_index(drop=True)
    if as_json:
        for k, rec in enumerate(frame.to_dict(orient="records")):
            print(json.dumps({"design": k, **rec}, default=str))
        return
    cols = [c for c in frame.columns if c.startswith(("f_", "g_"))]
    if "feasible" in frame and not frame["feasible"].all():
        cols += ["feasible", "violated"]
    cols += [c for c in _SHOWN if c in frame.columns]
    if "ood" in frame and frame["ood"].astype(bool).any():
        cols.append("ood")
    if "n_equivalent" in frame and (frame["n_equivalent"] > 1).any():
        cols.append("n_equivalent")
    first = next((c for c in cols if c.startswith("f_")), None)
    table = frame[cols].assign(design=frame.index)[["design", *cols]]
    if first is not None:
        try:
            best_first = get_objective(first[2:]).sense == "max"
        except UsageError:  # an objective registered by a plug-in that is not loaded now
            best_first = False
        table = table.sort_values(first, ascending=not best_first, kind="stable")
    with pd.option_context("display.max_columns", None, "display.width", 200, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))


def run(args: argparse.Namespace) -> int:
    from ..search import load_front

    print_front(load_front(args.run_dir), as_json=args.json)
    return 0

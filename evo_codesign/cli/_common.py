"""What several subcommands share: reading the config with command-line overrides, printing a front."""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["load", "print_front", "add_config_argument", "warn_infeasible"]


def add_config_argument(p: argparse.ArgumentParser, what: str = "TOML config (see README)") -> None:
    p.add_argument("config", nargs="?", help=f"{what}; omit for the embedded defaults")


def load(config: str | None, **overrides: Any):
    """The validated config; ``overrides`` are dotted keys (``search.budget``), None skipped."""
    from ..config import load_config

    return load_config(config, overrides=overrides)


def print_front(frame, *, as_json: bool = False) -> None:
    """A front as a table (objectives, constraints and the main hardware choices, sorted by the
    first objective) or as one JSON object per design."""
    import pandas as pd

    if as_json:
        for rec in frame.to_dict(orient="records"):
            print(json.dumps(rec, default=str))
        return
    cols = [c for c in frame.columns if c.startswith(("f_", "g_"))]
    if "feasible" in frame and not frame["feasible"].all():
        cols += ["feasible", "violated"]
    show = ["accelerator.dataflow", "accelerator.num_pes", "imc.adc_type", "imc.adc_bits", "imc.column_sharing"]
    cols += [c for c in show if c in frame.columns]
    with pd.option_context("display.max_columns", None, "display.width", 200, "display.float_format", "{:.4g}".format):
        print(frame[cols].sort_values(cols[0]).to_string(index=False))


def warn_infeasible(command: str, *warnings: str | None) -> int:
    """Print each warning to stderr; the exit status: :data:`EXIT_INFEASIBLE` if there was one, else 0."""
    import sys

    from . import EXIT_INFEASIBLE

    said = [w for w in warnings if w]
    for w in said:
        print(f"evo-codesign {command}: warning: {w}", file=sys.stderr)
    return EXIT_INFEASIBLE if said else 0

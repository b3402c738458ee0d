"""What several subcommands share: reading the config with command-line overrides, printing a front."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["load", "print_front", "add_config_argument", "warn_infeasible"]


def add_config_argument(p: argparse.ArgumentParser, what: str = "TOML config (see README)") -> None:
    p.add_argument("config", nargs="?", help=f"{what}; omit for the embedded defaults")


def load(config: str | None, **overrides: Any):
    """The validated config; ``overrides`` are dotted keys (``search.budget``), None skipped."""
    from ..config import load_config

    return load_config(config, overrides=overrides)


def print_front(frame, *, as_json: bool = False) -> None:
    """A front as ``evo-codesign front`` prints it (:func:`evo_codesign.cli.front.print_front`:
    best first, with the ``design`` index that ``plot --design`` takes)."""
    from .front import print_front as show

    show(frame, as_json=as_json)


def warn_infeasible(command: str, *warnings: str | None) -> int:
    """Print each warning to stderr; the exit status: :data:`EXIT_INFEASIBLE` if there was one, else 0."""
    import sys

    from . import EXIT_INFEASIBLE

    said = [w for w in warnings if w]
    for w in said:
        print(f"evo-codesign {command}: warning: {w}", file=sys.stderr)
    return EXIT_INFEASIBLE if said else 0

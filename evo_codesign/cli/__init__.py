"""Command line: ``evo-codesign <command> ...``; one module per subcommand.

Each subcommand module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int`` and imports nothing heavy at module level, so ``evo-codesign --help`` and
``evo-codesign COMMAND --help`` load none of pymoo, numba, pandas, scipy or matplotlib. Parsing
and printing live here; the work is done by library functions. Logging is configured here only.

Exit status: 0 on success; 2 for errors caused by input or file state (the package's own error
types, :class:`evo_codesign.errors.EvoCodesignError`), printed as one line; 3 when a run,
comparison or tuning session finished but its final front holds no feasible design (a warning
naming the constraint that binds is printed); 1 for anything else, which is a bug: a one-line
"internal error" naming the exception type, or with ``-v`` the traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
from typing import Sequence

from .. import __version__
from ..errors import EvoCodesignError

__all__ = ["COMMANDS", "build_parser", "main", "EXIT_INFEASIBLE"]

#: Exit status of a search whose final front holds no feasible design.
EXIT_INFEASIBLE = 3

#: Subcommands in the order ``--help`` lists them: name -> module in this package.
COMMANDS: dict[str, str] = {
    "run": "run", "resume": "resume", "front": "front", "compare": "compare", "plot": "plot", "tune": "tune",
    "cost": "cost", "describe": "describe", "predict": "predict", "warmup": "warmup",
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evo-codesign",
                                description="Multi-objective evolutionary co-design of a neural network, its "
                                            "dataflow accelerator and its in-memory-computing periphery.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="more log output (-v: progress notes, -vv: debug); -v also shows tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f"{__name__}.{module}")
        sp = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(sp)
        sp.set_defaults(func=mod.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (default ``sys.argv[1:]``); its exit status. Without ``argv`` (the
    ``evo-codesign`` executable, ``python -m evo_codesign.cli``) the process ends next, and every
    object then alive is moved out of the garbage collector's reach first (``gc.freeze``): the
    interpreter's last collection would otherwise traverse them all: 0.5-0.7 s against 0.05-0.07 s
    after a small comparison (``benchmarks/fixed_costs.py``); the memory goes back to the system with the
    process."""
    try:
        return _main(argv)
    finally:
        if argv is None:
            gc.freeze()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")
        return 0
    except EvoCodesignError as e:
        print(f"evo-codesign {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"evo-codesign {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not a user error: say so, and show it with -v
        if args.verbose:
            raise
        print(f"evo-codesign {args.command}: internal error: {type(e).__name__}: {e} "
              f"(run with -v for the traceback)", file=sys.stderr)
        return 1

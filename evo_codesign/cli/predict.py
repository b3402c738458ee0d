"""``evo-codesign predict --genotypes FILE [--surrogate NAME] [--path P] [--json]``.

FILE is read by :func:`evo_codesign.io.genotypes.load_genotypes` (a JSON list of
``{name?, normal, reduce}`` objects, a mapping name -> genotype, or groups of named genotypes as in
the shared published-genotypes file). Invalid entries raise :class:`GenomeError` naming the entry.
Output: a table, or with ``--json`` one object per genotype: ``name``, ``surrogate``, ``accuracy``
(%, NB301 protocol), ``std`` (points) where the backend gives one, and where the backend knows
its training cells (the embedded one) ``ood`` (the cell lies outside them, so the prediction is an
extrapolation) and ``ood_score`` (distance to the nearest training cell over the training cells'
own largest leave-one-out distance; above 1 is ``ood``). A warning on stderr counts the ``ood``
cells.
"""

from __future__ import annotations

import argparse
import json

HELP = "predict the CIFAR-10 accuracy of cells with an NB301 surrogate"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of the ``predict`` subcommand."""
    p.add_argument("--genotypes", required=True, metavar="FILE",
                   help="JSON list of {name?, normal, reduce} cells (as for describe --genotypes)")
    # checked by the surrogate registry when the command runs (the error lists what is registered),
    # so that --help need not import the backends
    p.add_argument("--surrogate", default="embedded", help="backend: embedded (default), yahpo-onnx or nb301")
    p.add_argument("--path", help="model file/directory for yahpo-onnx or nb301 (default: their environment variable)")
    p.add_argument("--json", action="store_true", help="one JSON object per genotype")


def run(args: argparse.Namespace) -> int:
    """Predict and print; returns 0. Errors (bad file, invalid genotype, missing model) raise."""
    import numpy as np

    from ..io.genotypes import load_genotypes
    from ..surrogate import get_surrogate

    entries = load_genotypes(args.genotypes)
    sur = get_surrogate(args.surrogate, **({"path": args.path} if getattr(args, "path", None) else {}))
    X = np.stack([g for _, g in entries])
    if hasattr(sur, "predict_with_std"):
        acc, std = sur.predict_with_std(X)
    else:
        acc, std = sur.predict(X), None
    ood, score = sur.out_of_distribution(X) if hasattr(sur, "out_of_distribution") else (None, None)
    if args.json:
        for i, (name, _) in enumerate(entries):
            rec = {"name": name, "surrogate": sur.name, "accuracy": round(float(acc[i]), 4)}
            if std is not None:
                rec["std"] = round(float(std[i]), 4)
            if ood is not None:
                rec.update(ood=bool(ood[i]), ood_score=round(float(score[i]), 4))
            print(json.dumps(rec))
    else:
        width = max(8, *(len(n) for n, _ in entries))
        head = f"{'genotype':<{width}}  {'accuracy %':>10}" + (f"  {'std':>6}" if std is not None else "")
        head += f"  {'ood_score':>9}  ood" if ood is not None else ""
        print(head + f"   [{sur.name}; NB301 protocol: 8 cells, 32 channels, ~100 epochs]")
        for i, (name, _) in enumerate(entries):
            line = f"{name:<{width}}  {acc[i]:10.3f}" + (f"  {std[i]:6.3f}" if std is not None else "")
            line += f"  {score[i]:9.3f}  {'yes' if ood[i] else 'no'}" if ood is not None else ""
            print(line)
    if ood is not None and ood.any():
        import sys

        print(f"evo-codesign predict: warning: {int(ood.sum())} of {len(ood)} cells lie outside the {sur.name} "
              f"surrogate's training cells (ood_score > 1): their accuracy is an extrapolation", file=sys.stderr)
    return 0

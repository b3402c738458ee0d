"""Reading cell genotypes from JSON files.

Accepted layouts:

* a list of objects, each with ``normal`` and ``reduce`` (8 ``[op, input]`` pairs) and an optional
  ``name`` (the format ``evo-codesign describe/predict --genotypes`` documents);
* a mapping ``name -> genotype object``;
* a mapping of groups of named genotypes, as in ``shared/data/darts-published-genotypes`` (keys
  starting with ``_`` and non-mapping values are skipped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..space.base import GenomeError
from .readers import read_json
from ..space.cell import genotype_to_genome

__all__ = ["load_genotypes", "parse_genotypes"]


def load_genotypes(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """``[(name, cell genome), ...]`` from a JSON file; errors name the file and the entry."""
    p = Path(path)
    data = read_json(p, GenomeError, what="genotypes file")
    return parse_genotypes(data, source=str(p))


def _is_genotype(obj: Any) -> bool:
    # Either cell key marks a genotype entry, so one that lacks the other is reported, not skipped.
    return isinstance(obj, dict) and ("normal" in obj or "reduce" in obj)


def parse_genotypes(data: Any, *, source: str = "genotypes") -> list[tuple[str, np.ndarray]]:
    """``[(name, cell genome), ...]`` from already-parsed JSON (see the module docstring for the
    layouts); :class:`GenomeError` names ``source`` and the entry for an invalid genotype."""
    entries: list[tuple[str, Any]] = []
    if isinstance(data, list):
        for i, obj in enumerate(data):
            if not isinstance(obj, dict):
                raise GenomeError(f"{source}: entry {i} is not an object with 'normal' and 'reduce'")
            entries.append((str(obj.get("name", f"genotype_{i}")), obj))
    elif isinstance(data, dict):
        if _is_genotype(data):
            entries.append((str(data.get("name", "genotype_0")), data))
        for key, val in data.items():
            if _is_genotype(data) or key.startswith("_") or not isinstance(val, dict):
                continue
            if _is_genotype(val):
                entries.append((key, val))
            else:
                entries.extend((k, v) for k, v in val.items() if isinstance(v, dict) and not k.startswith("_"))
    else:
        raise GenomeError(f"{source}: expected a JSON list of genotype objects, got {type(data).__name__}")
    if not entries:
        raise GenomeError(f"{source}: no genotypes found (expected objects with 'normal' and 'reduce')")
    out = []
    for name, obj in entries:
        try:
            out.append((name, genotype_to_genome(obj)))
        except GenomeError as e:
            raise GenomeError(f"{source}: entry {name!r}: {e}") from None
    return out

"""Grid and proxy files: hardware gene values by name, read from TOML and checked against a space.

A *grid* (``compare --grid GRID.toml``) lists the values each hardware gene may take in an
enumerated reference space; a *proxy* (``compare --proxy PROXY.toml``) gives one value per gene
for the fixed accelerator of phased strategies. Tables are the hardware segments of the space;
knobs that take one value per precision group are sub-tables keyed by group::

    [accelerator]
    dataflow = ["nvdla", "systolic_ws"]     # grid: a non-empty list; proxy: dataflow = "nvdla"
    array_rows = [4, 16]                    # PEs
    [imc]
    adc_bits = [4, 6]                       # bits
    [imc.input_bits]                        # one key per precision group
    stage0 = [4, 8]

Genes are returned under their joint names (``"accelerator.dataflow"``,
``"imc.input_bits.stage0"``), values as the gene's own choices (so ``16.0`` reads as ``16``).
Genes left out are not constrained here; the strategy decides what they default to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

from ..errors import EvoCodesignError
from ..schema import read_toml
from ..space.base import Gene, GenomeError, Segment
from ..space.joint import NEURAL_SPACES, JointSpace

__all__ = ["GeneTableError", "KINDS", "read_gene_table", "gene_table_from_dict"]

#: What a file can describe: ``grid`` (each gene -> list of values), ``proxy`` (each gene -> one value).
KINDS = ("grid", "proxy")


class GeneTableError(GenomeError, EvoCodesignError):
    """A grid or proxy file names a gene the space lacks, a value outside a gene's choices, or a
    gene that is not a hardware gene. The message names the file and the gene."""
    # Both bases: callers that catch GenomeError (strategies' proxy checks) and the command line's
    # EvoCodesignError handler each see it, whichever of the two GenomeError derives from.


def read_gene_table(path: str | Path, space: JointSpace, *, kind: str) -> dict[str, Any]:
    """Read a grid (``kind="grid"``) or proxy (``kind="proxy"``) TOML file and validate it against
    ``space``; returns ``{joint gene name: list of values}`` for a grid, ``{name: value}`` for a proxy."""
    _check_kind(kind)
    data = read_toml(path, GeneTableError, what=f"{kind} file")
    return gene_table_from_dict(data, space, kind=kind, source=str(path))


def gene_table_from_dict(data: Mapping[str, Any], space: JointSpace, *, kind: str,
                         source: str = "gene table") -> dict[str, Any]:
    """:func:`read_gene_table` on an already parsed document; ``source`` names it in errors."""
    _check_kind(kind)
    out: dict[str, Any] = {}
    for seg_name, body in data.items():
        seg = _hardware_segment(space, seg_name, body, kind, source)
        for gene_name, value in _leaves(body):
            out[f"{seg.name}.{gene_name}"] = _gene_value(seg, gene_name, value, kind, source)
    return out


def _check_kind(kind: str) -> None:
    if kind not in KINDS:  # a caller's mistake, not the file's
        raise ValueError(f"kind must be one of {list(KINDS)}, got {kind!r}")


def _hardware_names(space: JointSpace) -> list[str]:
    return [n for n in space.names if n not in NEURAL_SPACES]


def _hardware_segment(space: JointSpace, name: str, body: Any, kind: str, source: str) -> Segment:
    tables = ", ".join(f"[{n}]" for n in _hardware_names(space)) or "none"
    if name in NEURAL_SPACES:
        # Grids and proxies fix the hardware a network search runs on; networks are what it searches.
        raise GeneTableError(f"{source}: [{name}] sets {name} genes; a {kind} sets hardware genes only "
                             f"(hardware tables of this space: {tables})")
    if not isinstance(body, Mapping):
        raise GeneTableError(f"{source}: {name} = {body!r} is not a table of genes; put hardware genes "
                             f"under a table: {tables}")
    if name not in space:
        raise GeneTableError(f"{source}: unknown table [{name}]; hardware tables of this space: {tables}")
    return space[name]


def _leaves(body: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    # Sub-tables are per-group knobs ([imc.input_bits] stage0 = 8 -> "input_bits.stage0").
    for k, v in body.items():
        if isinstance(v, Mapping):
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _gene_value(seg: Segment, name: str, value: Any, kind: str, source: str) -> Any:
    joint = f"{seg.name}.{name}"
    if name not in seg.gene_names:
        groups = [g[len(name) + 1:] for g in seg.gene_names if g.startswith(name + ".")]
        if groups:
            raise GeneTableError(f"{source}: {joint} takes one value per precision group; write a table "
                                 f"[{joint}] with keys {groups}")
        raise GeneTableError(f"{source}: unknown gene {joint!r}; genes of [{seg.name}]: {list(seg.gene_names)}")
    gene = seg.gene(name)
    is_list = isinstance(value, (list, tuple))
    if kind == "grid":
        if not is_list:
            raise GeneTableError(f"{source}: {joint}: a grid gives a list of values, got {value!r} "
                                 f"(write [{value!r}] to fix the gene)")
        if not value:
            raise GeneTableError(f"{source}: {joint}: an empty list; a grid gives at least one value")
        return [_choice(gene, joint, v, source) for v in value]
    if is_list:
        raise GeneTableError(f"{source}: {joint}: a proxy gives one value, got the list {list(value)!r}")
    return _choice(gene, joint, value, source)


def _choice(gene: Gene, joint: str, value: Any, source: str) -> Any:
    try:
        return gene.choices[gene.index_of(value, segment=joint.split(".")[0])]
    except GenomeError:
        raise GeneTableError(f"{source}: {joint} = {value!r} is not allowed; choose one of "
                             f"{list(gene.choices)}") from None

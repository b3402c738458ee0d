"""Search spaces that expand into the joint genome of a base space.

A strategy phase rarely searches the joint genome as it is: the NAS phase of semi-decoupled search
fixes the hardware to a proxy, its hardware phase chooses among a handful of kept cells, XPert's
first phase fixes precision to lossless, and reference-front benchmarks restrict everything to a
grid small enough to enumerate. An :class:`Embedding` describes all of these as data: the phase's
own :class:`JointSpace` (what NSGA-II sees) and a map from its genomes to base genomes (what the
one evaluator sees). Parts of a phase genome are

* :class:`Whole` — a base segment searched as it is (its structure rules and crossover blocks kept);
* :class:`Table` — one categorical gene choosing a row of a fixed table of base gene values (kept
  cells, frozen designs);
* :class:`Subset` — individual base genes, each restricted to a subset of its choices;

and every base gene no part covers takes its value from the embedding's ``template``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..space.base import Gene, GenomeError, Segment
from ..space.cell import CellSegment
from ..space.joint import JointSpace

__all__ = ["Embedding", "Whole", "Table", "Subset", "ArchSetSegment", "TableSegment"]


class TableSegment(Segment):
    """One categorical gene choosing a row of a fixed table (base gene values)."""

    def __init__(self, name: str, rows: np.ndarray, doc: str = "index into a fixed table of designs") -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        if self.rows.ndim != 2 or len(self.rows) == 0:
            raise ValueError(f"segment {name!r}: a table needs at least one row, got shape {self.rows.shape}")
        super().__init__(name, [Gene("index", tuple(range(len(self.rows))))], doc=doc)


class ArchSetSegment(TableSegment):
    """A table of cell genomes (the Pareto set of a NAS phase, or a sample of cells)."""

    def __init__(self, archs: np.ndarray, name: str = "arch") -> None:
        super().__init__(name, archs, doc="index into a fixed cell set")
        self.archs = self.rows
        self._cell = CellSegment()

    def decode(self, x: Any, *, offset: int = 0) -> dict[str, Any]:
        d = super().decode(x, offset=offset)
        return {"index": d["index"], **self._cell.decode(self.archs[d["index"]])}


class Whole:
    """A base segment searched as it is."""

    def __init__(self, segment: Segment, positions: np.ndarray) -> None:
        self.segment, self.positions = segment, np.asarray(positions, dtype=np.int64)

    def fill(self, out: np.ndarray, X: np.ndarray) -> None:
        out[:, self.positions] = X


class Table:
    """One gene choosing a row of ``segment.rows``, written into base ``positions``."""

    def __init__(self, segment: TableSegment, positions: np.ndarray) -> None:
        self.segment, self.positions = segment, np.asarray(positions, dtype=np.int64)
        if segment.rows.shape[1] != len(self.positions):
            raise ValueError(f"table {segment.name!r}: rows have {segment.rows.shape[1]} values, "
                             f"positions {len(self.positions)}")

    def fill(self, out: np.ndarray, X: np.ndarray) -> None:
        out[:, self.positions] = self.segment.rows[X[:, 0]]


class Subset:
    """Base genes at ``positions``, gene ``j`` restricted to base values ``allowed[j]``."""

    def __init__(self, name: str, positions: Sequence[int], allowed: Sequence[np.ndarray],
                 base_genes: Sequence[Gene]) -> None:
        self.positions = np.asarray(positions, dtype=np.int64)
        self.allowed = [np.asarray(a, dtype=np.int64) for a in allowed]
        genes = [Gene(g.name, tuple(g.choices[int(v)] for v in a), g.ordinal, g.unit)
                 for g, a in zip(base_genes, self.allowed)]
        self.segment = Segment(name, genes, doc="base genes restricted to a subset of their choices")

    def fill(self, out: np.ndarray, X: np.ndarray) -> None:
        for j, pos in enumerate(self.positions):
            out[:, pos] = self.allowed[j][X[:, j]]


class Embedding:
    """A phase space (``.space``) and the map ``expand`` of its genomes into ``base`` genomes."""

    def __init__(self, base: JointSpace, parts: Sequence[Whole | Table | Subset], template: np.ndarray) -> None:
        self.base, self.parts = base, tuple(parts)
        self.template = np.asarray(template, dtype=np.int64).copy()
        if self.template.shape != (base.n_var,):
            raise ValueError(f"template needs {base.n_var} genes, got shape {self.template.shape}")
        covered = np.concatenate([p.positions for p in self.parts]) if self.parts else np.zeros(0, np.int64)
        if len(np.unique(covered)) != len(covered):
            raise ValueError("embedding parts overlap: a base gene is covered twice")
        self.covered = np.sort(covered)
        self.space = JointSpace([p.segment for p in self.parts])

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def identity(cls, base: JointSpace) -> "Embedding":
        parts = [Whole(s, np.arange(base.slices[s.name].start, base.slices[s.name].stop)) for s in base.segments]
        return cls(base, parts, np.zeros(base.n_var, dtype=np.int64))

    def part(self, name: str) -> Whole | Table | Subset:
        for p in self.parts:
            if p.segment.name == name:
                return p
        raise KeyError(f"no part {name!r}; parts: {[p.segment.name for p in self.parts]}")

    def positions_of(self, segment: str) -> np.ndarray:
        """Base positions of one base segment's genes."""
        sl = self.base.slices[segment]
        return np.arange(sl.start, sl.stop)

    def fixed(self, positions: Sequence[int], values: Sequence[int] | np.ndarray) -> "Embedding":
        """The same embedding with the base genes at ``positions`` fixed to ``values``.

        A :class:`Whole` part losing some genes becomes a :class:`Subset` of the rest (so a
        segment's structure rules no longer apply to it: only fix genes of segments without them,
        or a whole segment). A :class:`Table` cannot lose part of its columns."""
        pos = np.asarray(positions, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(values, dtype=np.int64), pos.shape)
        template = self.template.copy()
        template[pos] = vals
        parts: list[Whole | Table | Subset] = []
        for p in self.parts:
            hit = np.isin(p.positions, pos)
            if not hit.any():
                parts.append(p)
            elif hit.all():
                continue
            elif isinstance(p, Table):
                raise ValueError(f"cannot fix part of table {p.segment.name!r}")
            else:
                keep = ~hit
                genes = [p.segment.genes[i] for i in np.flatnonzero(keep)]
                allowed = ([np.arange(g.n_choices) for g in genes] if isinstance(p, Whole)
                           else [a for a, k in zip(p.allowed, keep) if k])
                base_genes = self.base_genes(p.positions[keep])
                parts.append(Subset(p.segment.name, p.positions[keep], allowed, base_genes))
        return Embedding(self.base, parts, template)

    def tabled(self, name: str, positions: Sequence[int], rows: np.ndarray, *,
               cells: bool = False) -> "Embedding":
        """Search the base genes at ``positions`` only as one of ``rows`` (base values): they leave
        their parts (as in :meth:`fixed`) and one table ``name`` covers them.

        ``cells=True`` makes it an :class:`ArchSetSegment` (decoded as cells)."""
        pos = np.asarray(positions, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        emb = self.fixed(pos, rows[0])
        seg = ArchSetSegment(rows, name) if cells else TableSegment(name, rows)
        # segments stay in the base's order, so phase genomes read like the joint genome
        parts = sorted([*emb.parts, Table(seg, pos)], key=lambda p: int(p.positions.min()))
        return Embedding(self.base, parts, emb.template)

    def restricted(self, allowed: Mapping[str, Sequence[Any]]) -> "Embedding":
        """Restrict base genes (joint names, ``"accelerator.dataflow"``) to the listed values;
        one value fixes the gene. Values are the genes' choices (e.g. ``"nvdla"``, ``16``)."""
        names = list(self.base.gene_names)
        emb = self
        for gname, values in allowed.items():
            if gname not in names:
                raise GenomeError(f"restricted: unknown gene {gname!r}; genes look like {names[:3]}...")
            values = list(values) if isinstance(values, (list, tuple)) else [values]
            if not values:
                raise GenomeError(f"restricted: gene {gname!r} needs at least one value")
            pos = names.index(gname)
            gene = self.base_genes([pos])[0]
            idx = np.array([gene.index_of(v, segment=gname.split(".")[0]) for v in values], dtype=np.int64)
            emb = emb.fixed([pos], [idx[0]]) if len(idx) == 1 else emb._with_subset(pos, np.unique(idx))
        return emb

    def allowed_values(self, pos: int) -> np.ndarray:
        """Base values the gene at ``pos`` can take in this embedding."""
        for p in self.parts:
            hit = np.flatnonzero(p.positions == pos)
            if len(hit):
                j = int(hit[0])
                if isinstance(p, Whole):
                    return np.arange(p.segment.genes[j].n_choices)
                if isinstance(p, Subset):
                    return p.allowed[j].copy()
                return np.unique(p.segment.rows[:, j])
        return self.template[[pos]]

    def _with_subset(self, pos: int, idx: np.ndarray) -> "Embedding":
        emb = self.fixed([pos], [idx[0]])
        seg_name = self._owner(pos)
        parts = list(emb.parts)
        for i, p in enumerate(parts):
            if isinstance(p, Subset) and p.segment.name == seg_name:
                allowed = p.allowed + [idx]
                positions = np.append(p.positions, pos)
                order = np.argsort(positions, kind="stable")
                parts[i] = Subset(seg_name, positions[order], [allowed[j] for j in order],
                                  self.base_genes(positions[order]))
                return Embedding(self.base, parts, emb.template)
        parts.append(Subset(seg_name, [pos], [idx], self.base_genes([pos])))
        parts.sort(key=lambda p: int(p.positions.min()))
        return Embedding(self.base, parts, emb.template)

    def _owner(self, pos: int) -> str:
        for s in self.base.segments:
            sl = self.base.slices[s.name]
            if sl.start <= pos < sl.stop:
                return s.name
        raise IndexError(pos)

    def base_genes(self, positions: Sequence[int]) -> list[Gene]:
        """The base space's :class:`Gene` at each of ``positions``."""
        out = []
        for pos in positions:
            seg = self.base[self._owner(int(pos))]
            out.append(seg.genes[int(pos) - self.base.slices[seg.name].start])
        return out

    # -- use ---------------------------------------------------------------------------------
    def expand(self, X: np.ndarray) -> np.ndarray:
        """Base genomes of a batch of phase genomes."""
        X = np.atleast_2d(np.asarray(X, dtype=np.int64))
        out = np.tile(self.template, (len(X), 1))
        for p in self.parts:
            p.fill(out, X[:, self.space.slices[p.segment.name]])
        return out

    def middle(self) -> np.ndarray:
        """The phase genome at the middle of every gene's range."""
        return (self.space.xl + self.space.xu) // 2

    def size(self) -> int:
        return int(np.prod([float(n) for n in self.space.n_choices]))

    def log10_size(self) -> float:
        """log10 of the number of phase genomes (the product of every gene's choices; structural
        rules may make fewer of them valid): the size of the space a phase searches."""
        return float(np.sum(np.log10(np.asarray(self.space.n_choices, dtype=float))))

    def genomes(self, start: int, stop: int) -> np.ndarray:
        """The valid phase genomes among those numbered ``start`` to ``stop - 1`` in C order of the
        genes (design ``i`` of :meth:`size`): enumeration in chunks."""
        idx = np.arange(start, min(stop, self.size()))
        X = np.stack(np.unravel_index(idx, tuple(int(c) for c in self.space.n_choices)), axis=1).astype(np.int64)
        return X[self.space.is_valid(X)]

    def enumerate(self) -> np.ndarray:
        """Every valid phase genome (error above 10 million candidates: table large parts first)."""
        n = self.size()
        if n > 10_000_000:
            raise ValueError(f"enumerate: {n:,} designs is too many (limit 10,000,000); restrict genes or "
                             f"replace a segment by a table")
        return self.genomes(0, n)

    def __repr__(self) -> str:
        return f"Embedding({self.space!r} -> {self.base!r})"

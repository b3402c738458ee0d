"""What every figure of the package shares: objective axes that know their better direction,
labels, colours, saving (PNG + PDF, atomically) and inline display.

Conventions every figure keeps, so that it can go into a paper as it is:

* one colour per strategy (or run), in sorted order, the same in every figure of a comparison; one
  marker per seed;
* every objective axis says which way is better (``← better`` / ``→ better`` in its label, along
  the axis: on a turned y label the arrow points down or up); costs that span a factor of 30 or
  more (latency, energy, area on most fronts) are drawn on log axes, labelled at the decades;
* labels are wrapped and never carry source paths; titles sit above the panels (constrained layout);
* every hypervolume axis says which front it scores (a final front or every design evaluated so
  far) and against which reference.
"""

from __future__ import annotations

import contextlib
import contextvars

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

__all__ = ["Axis", "wrap", "better_label", "strategy_colours", "save_figure", "figure_formats", "PngFile", "MARKERS"]

MARKERS = "os^Dv<>pP*X"
#: matplotlib's default qualitative cycle ("tab10"); more groups than colours reuse them
_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray",
            "tab:olive", "tab:cyan")
#: an axis whose positive values span at least this ratio (one and a half decades) is drawn on a
#: log scale: latency, energy and area on a front span two to four, a parameter count about one
_LOG_SPAN = 30.0


@dataclass(frozen=True)
class Axis:
    """One objective as a figure axis: the frame ``column``, a ``label`` with its unit, the
    ``sense`` ("min" or "max": which way is better) and ``log`` (None: a log scale when every
    value is positive and they span a factor of 30 or more)."""

    column: str
    label: str
    sense: str = "min"
    log: bool | None = None

    def __post_init__(self) -> None:
        if self.sense not in ("min", "max"):
            raise ValueError(f"Axis {self.column!r}: sense must be 'min' or 'max', got {self.sense!r}")

    def is_log(self, values: np.ndarray) -> bool:
        if self.log is not None:
            return self.log
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        return bool(len(v) and v.min() > 0 and v.max() / v.min() >= _LOG_SPAN)


def wrap(text: str, width: int = 34) -> str:
    """``text`` without parenthesised source paths (``(evo_codesign/precision.py)``), wrapped to
    lines of at most ``width`` characters."""
    text = re.sub(r"\s*\([^()]*(?:/|\.py)[^()]*\)", "", text)
    return "\n".join(textwrap.wrap(text, width)) or text


def strategy_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per name, in sorted order (so every figure of a comparison agrees)."""
    return {n: _COLOURS[k % len(_COLOURS)] for k, n in enumerate(sorted(set(map(str, names))))}


#: file formats figures are written in: PNG by default (what a reader opens); PDF on request
#: (``compare --pdf``, ``plot --pdf``, or :func:`figure_formats`)
_FORMATS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("figure_formats", default=("png",))


@contextlib.contextmanager
def figure_formats(formats: Sequence[str]):
    """Within the block, :func:`save_figure` writes these formats (e.g. ``("png", "pdf")``)."""
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise ValueError(f"figure formats must be among png, pdf, svg; got {list(formats)}")
    token = _FORMATS.set(tuple(formats))
    try:
        yield
    finally:
        _FORMATS.reset(token)


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] | None = None) -> list[Path]:
    """Write ``stem.<format>`` for each of ``formats`` (default: :func:`figure_formats`'s, PNG)
    (parents created), each atomically; returns the paths."""
    from ..io.atomic import atomic_write_with, disk_error

    formats = _FORMATS.get() if formats is None else tuple(formats)

    stem = Path(stem)
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(stem.parent, e, "create") from None
    FigureCanvasAgg(fig)
    # A constrained layout already fits every artist into the canvas; "tight" would draw the
    # figure once more to measure it (benchmarks/fixed_costs.py)
    constrained = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    bbox = None if constrained else "tight"
    paths = []
    for fmt in formats:
        p = stem.with_suffix(f".{fmt}")
        # made again from the run's files by `evo-codesign plot` / `compare --resume`: atomic, not synced
        if fmt == "png" and constrained:
            atomic_write_with(p, lambda buf: _png_in_one_draw(fig, buf), durable=False)
        else:
            atomic_write_with(p, lambda buf: fig.savefig(buf, format=fmt, dpi=_DPI, bbox_inches=bbox),
                              durable=False)
        paths.append(p)
    return paths


#: the resolution figures are written at
_DPI = 150
#: zlib's effort for a PNG (of 9): with RGB for an opaque figure, 3 writes a 2-D fronts figure as
#: small as matplotlib's RGBA at Pillow's default 6 in about 70 % of the time (281 against
#: 282 KB, 56 against 77 ms: ``benchmarks/fixed_costs.py``)
_PNG_COMPRESS_LEVEL = 3


def _png_in_one_draw(fig: Figure, buf) -> None:
    """The pixels ``fig.savefig(buf, format="png", dpi=150)`` writes, from one draw: for a figure
    with a layout engine, savefig draws it once without rendering, only to place the axes, and
    then again; the canvas's own draw places and renders in one pass. The pixels go to Pillow
    (savefig's PNG writer) with savefig's metadata, as RGB where every pixel is opaque (the
    package's figures have a white face: a quarter less to compress), else RGBA, at
    :data:`_PNG_COMPRESS_LEVEL`. The figure keeps its own resolution afterwards."""
    import matplotlib
    from PIL import Image, PngImagePlugin

    own = fig.dpi
    fig.set_dpi(_DPI)
    try:
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        opaque = bool((rgba[..., 3] == 255).all())
        image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]) if opaque else rgba.copy())
    finally:
        fig.set_dpi(own)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    image.save(buf, format="png", pnginfo=info, dpi=(_DPI, _DPI), compress_level=_PNG_COMPRESS_LEVEL)


class PngFile:
    """A PNG written by this package, shown inline by Jupyter (``_repr_png_``) and as its path
    elsewhere: ``PngFile(path)`` as a notebook cell's last expression displays the figure."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _repr_png_(self) -> bytes:
        return self.path.read_bytes()

    def __repr__(self) -> str:
        return f"<PNG {self.path.name}>"


def better_label(axis: Axis, *, width: int = 34) -> str:
    """The axis label with the better direction: ``latency (ms) ← better`` for a minimised
    objective, ``→ better`` for a maximised one. On a y axis (text turned 90°) the arrow points
    down or up, along the axis, either way."""
    arrow = "\u2190\u00a0better" if axis.sense == "min" else "\u2192\u00a0better"
    return wrap(f"{axis.label}  {arrow}", width)

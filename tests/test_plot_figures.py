"""What the figures show, read back from the matplotlib objects: log axes for costs, the better
direction on every axis, labels without source paths, one colour per strategy and one marker per
seed, 2-D fronts highlighted, hypervolume axes that name their front and reference, a heatmap with
one row per distinct accelerator, inline PNGs for notebooks."""

import numpy as np
import pandas as pd
import pytest

from evo_codesign.plot.figures import Axis, PngFile, fronts_figures, hv_figure, plot_rank_heatmap, wrap
from evo_codesign.plot.runs import objective_axis, objective_label


def _fronts(rng, strategies=("coupled", "decoupled"), seeds=(1, 2), n=30):
    rows = []
    for s in strategies:
        for seed in seeds:
            acc = rng.uniform(85, 95, n)
            rows.append(pd.DataFrame({"strategy": s, "seed": seed, "f_accuracy": acc,
                                      "f_latency": 10 ** rng.uniform(-1.5, 2, n),
                                      "f_area": 10 ** rng.uniform(-0.5, 3.5, n), "feasible": True}))
    return pd.concat(rows, ignore_index=True)


AXES = [Axis("f_accuracy", "accuracy (%)", "max"), Axis("f_latency", "latency (ms)"), Axis("f_area", "area (mm2)")]


def test_fronts_figure_log_axes_directions_legend_and_highlighted_2d_fronts():
    df = _fronts(np.random.default_rng(0))
    fig, fig3 = fronts_figures(df, AXES, title="final fronts")
    panels = fig.axes
    assert len(panels) == 3  # every pair of three objectives
    # accuracy spans < 30x: linear; latency and area span decades: log
    assert (panels[0].get_xscale(), panels[0].get_yscale()) == ("linear", "log")
    assert (panels[2].get_xscale(), panels[2].get_yscale()) == ("log", "log")
    assert "\u2192\u00a0better" in panels[0].get_xlabel() and "\u2190\u00a0better" in panels[0].get_ylabel()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"coupled", "decoupled", "seed 1", "seed 2"} <= set(legend)
    # per panel and strategy: one staircase through that strategy's 2-D non-dominated points
    lines = [ln for ln in panels[2].get_lines() if len(ln.get_xdata())]  # latency vs area
    assert len(lines) == 2
    sub = df[df.strategy == "coupled"]
    F = np.c_[sub.f_latency, sub.f_area]
    nd = [not ((F <= f).all(axis=1) & (F < f).any(axis=1)).any() for f in F]
    stair = lines[0]
    corners = set(zip(np.round(stair.get_xdata(), 9), np.round(stair.get_ydata(), 9)))
    assert {tuple(np.round(p, 9)) for p in F[nd]} <= corners
    assert fig3 is not None and fig._suptitle.get_text() == "final fronts"


def test_infeasible_designs_are_crosses_and_off_the_staircase():
    df = _fronts(np.random.default_rng(1), strategies=("coupled",), seeds=(1,))
    df.loc[df.index[:5], "feasible"] = False
    df.loc[df.index[:5], "f_latency"] = 1e-3  # would dominate everything if it counted
    fig = fronts_figures(df, AXES[:2], three_d=False)[0]
    stair = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata())][0]
    assert np.min(stair.get_ydata()) > 1e-3
    assert "infeasible" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_labels_wrapped_and_free_of_source_paths():
    label = objective_label("precision_drop")
    assert label == "accuracy lost to crossbar input/ADC precision (pp)"
    assert wrap("accuracy lost (evo_codesign/precision.py) (pp)") == "accuracy lost (pp)"
    assert all(len(line) <= 34 for line in wrap("capacity proxy: parameter count (not an accuracy) (M params)")
               .splitlines())
    assert objective_axis("capacity_proxy").sense == "max" and objective_axis("latency").sense == "min"
    with pytest.raises(ValueError, match="sense"):
        Axis("f_x", "x", "up")


def test_hv_figure_names_front_and_reference_and_starts_where_all_seeds_have_started():
    curves = pd.DataFrame([("coupled", s, e, 0.5 + e / 4000) for s in (1, 2) for e in range(100, 1100, 100)]
                          + [("two_phase", 1, 500, 0.9), ("two_phase", 1, 600, 0.91), ("two_phase", 2, 600, 0.7),
                             ("two_phase", 1, 1000, 0.92), ("two_phase", 2, 1000, 0.8)],
                          columns=["strategy", "seed", "evaluations", "hv"])
    final = pd.DataFrame({"strategy": ["coupled", "coupled", "two_phase", "two_phase"],
                          "evaluations": [1000] * 4, "hv": [0.7, 0.72, 0.85, 0.75]})
    fig = hv_figure(curves, reference_hv=1.0, final=final, ylabel="hypervolume / that of the union of final fronts",
                    title="lines: every design evaluated so far", note="two_phase starts at 500")
    ax = fig.axes[0]
    assert "union of final fronts" in ax.get_ylabel().replace("\n", " ")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("final front" in t for t in legend) and "coupled (n=2)" in legend
    two = [ln for ln in ax.get_lines() if ln.get_color() == "tab:orange" and len(ln.get_xdata()) > 1][0]
    # seed 2 starts at 600: no median over seed 1 alone at 500
    assert two.get_xdata()[0] == 600 and np.all(np.diff(two.get_ydata()) >= 0)


def test_heatmap_columns_are_row_numbers(tmp_path):
    labels = ["0: nvdla 8x4  [coupled s1]", "1: eyeriss_rs 16x4  [decoupled s2]"]
    M = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=labels, columns=labels)
    from evo_codesign.plot.base import figure_formats

    with figure_formats(("png", "pdf")):
        paths = plot_rank_heatmap(M, tmp_path / "h", title="t")
    assert [p.suffix for p in paths] == [".png", ".pdf"] and all(p.stat().st_size > 1000 for p in paths)


def test_png_file_shows_inline(tmp_path):
    from evo_codesign.plot.figures import save_figure
    fig = hv_figure(pd.DataFrame({"strategy": ["a"], "seed": [1], "evaluations": [10], "hv": [0.5]}))
    png = save_figure(fig, tmp_path / "x", formats=("png",))[0]
    shown = PngFile(png)
    assert shown._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n" and repr(shown) == "<PNG x.png>"


def test_many_seeds_share_one_marker_and_the_legend_says_so():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"f_a": rng.random(300), "f_b": rng.random(300), "strategy": "x",
                       "seed": np.repeat(np.arange(1, 16), 20)})
    fig = fronts_figures(df, {"f_a": "a", "f_b": "b"}, three_d=False)[0]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "15 seeds pooled" in labels and not any(t.startswith("seed ") for t in labels)
    few = fronts_figures(df[df.seed <= 3], {"f_a": "a", "f_b": "b"}, three_d=False)[0]
    assert [t.get_text() for t in few.legends[0].get_texts()][1:4] == ["seed 1", "seed 2", "seed 3"]


def test_a_png_has_savefigs_pixels_from_one_draw(tmp_path):
    import io

    from PIL import Image

    from evo_codesign.plot.figures import save_figure

    def figure():
        return hv_figure(pd.DataFrame({"strategy": ["a", "a", "b", "b"], "seed": [1, 2, 1, 2],
                                       "evaluations": [10, 10, 20, 20], "hv": [0.5, 0.6, 0.4, 0.7]}),
                         title="a title", note="a note under the axes")

    ours = Image.open(save_figure(figure(), tmp_path / "x", formats=("png",))[0])
    theirs = io.BytesIO()
    figure().savefig(theirs, format="png", dpi=150)
    theirs = Image.open(theirs)
    assert ours.mode == "RGB" and theirs.mode == "RGBA"  # an opaque figure needs no alpha channel
    assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs))
    assert ours.info["dpi"] == theirs.info["dpi"] and ours.info["Software"] == theirs.info["Software"]
    see_through = figure()
    see_through.patch.set_alpha(0.0)
    kept = Image.open(save_figure(see_through, tmp_path / "t", formats=("png",))[0])
    assert kept.mode == "RGBA" and np.asarray(kept)[0, 0, 3] == 0  # transparency is kept
    fig, draws = figure(), []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
    save_figure(fig, tmp_path / "y", formats=("png",))
    assert len(draws) == 1 and fig.dpi == figure().dpi  # one draw; the figure keeps its resolution

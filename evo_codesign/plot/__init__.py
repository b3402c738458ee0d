"""Figures (PNG and PDF) built on matplotlib's object API with the Agg canvas: no pyplot, no global
backend change, safe on headless machines and inside other programs. Import is lazy: nothing here
is loaded unless a plot is requested."""

from .figures import Axis, PngFile, plot_design, plot_fronts, plot_hv_curves, plot_rank_heatmap, save_figure

__all__ = ["plot_fronts", "plot_hv_curves", "plot_rank_heatmap", "plot_design", "save_figure", "Axis", "PngFile"]

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from evo_codesign.metrics import Bounds, evals_to_fraction, hypervolume, igd_plus, kendall, nondominated, \
    normalised_hv, spearman


def test_hypervolume_hand_computed():
    F = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    # union of three boxes to (2, 2): 2*1 + 1*2 - 1*1 + the corner of (0.5, 0.5) -> 3.25
    assert hypervolume(F, [2.0, 2.0]) == pytest.approx(3.25)
    assert hypervolume(np.zeros((0, 2)), [1, 1]) == 0.0
    assert igd_plus(F, F) == 0.0


def test_nondominated_and_inputs_not_mutated():
    F = np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]])
    before = F.copy()
    assert nondominated(F).tolist() == [True, True, False, True]
    assert np.array_equal(F, before)


def test_normalised_hv_and_bounds():
    F = np.array([[10.0, 100.0], [20.0, 50.0]])
    b = Bounds.from_points(F)
    assert np.allclose(b.normalise(F), [[0, 1], [1, 0]])
    assert normalised_hv(F, b) == pytest.approx(1.1 * 0.1 + 0.1 * 1.1 - 0.1 * 0.1)
    assert evals_to_fraction([10, 20, 30], [0.5, 0.96, 1.0], 1.0, 0.95) == 20
    assert np.isnan(evals_to_fraction([10], [0.1], 1.0, 0.99))


def test_rank_correlations():
    a = np.arange(10.0)
    assert spearman(a, a ** 3) == pytest.approx(1.0) and kendall(a, -a) == pytest.approx(-1.0)


def test_plots_write_png_without_pyplot(tmp_path):
    from evo_codesign.plot import plot_design, plot_fronts, plot_hv_curves, plot_rank_heatmap
    from evo_codesign.space import make_space
    rng = np.random.default_rng(0)
    fronts = {s: pd.DataFrame(rng.random((10, 3)), columns=["f_a", "f_b", "f_c"]) for s in ("x", "y")}
    paths = plot_fronts(fronts, {"f_a": "a (ms)", "f_b": "b (mJ)", "f_c": "c (mm2)"}, tmp_path / "f")
    curves = pd.DataFrame([(s, k, e, e / 100 + k) for s in "ab" for k in range(2) for e in (100, 200)],
                          columns=["strategy", "seed", "evaluations", "hv"])
    paths += plot_hv_curves(curves, tmp_path / "hv", reference_hv=3.0)
    paths += plot_rank_heatmap(pd.DataFrame(np.eye(3), index=list("abc"), columns=list("abc")), tmp_path / "h")
    space = make_space()
    paths += plot_design(space.decode(space.sample(rng)), tmp_path / "d")
    assert len(paths) == 5 and all(p.stat().st_size > 1000 for p in paths)
    assert {p.suffix for p in paths} == {".png"}  # PNG by default; PDF on request (figure_formats)


def test_plot_package_never_loads_pyplot():
    code = "import sys, evo_codesign.plot; assert 'matplotlib.pyplot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)

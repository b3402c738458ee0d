"""evo_codesign.stats against scipy, moocore, brute force and hand-computed values; ties,
infinities, NaN refused, inputs never changed; the EAF figures written."""

import math

import moocore
import numpy as np
import pandas as pd
import pytest
import scipy.stats as st

from evo_codesign import stats


# -- medians and bootstrap intervals ---------------------------------------------------------------

def test_median_ci_is_scipys_percentile_bootstrap():
    x = np.array([3.1, 0.4, 2.2, 5.0, 1.7, 2.9, 4.4, 0.9, 3.3])
    med, lo, hi = stats.median_ci(x, n_resamples=2000, seed=7)
    ref = st.bootstrap((x,), np.median, n_resamples=2000, method="percentile", rng=np.random.default_rng(7))
    assert med == 2.9
    assert (lo, hi) == (ref.confidence_interval.low, ref.confidence_interval.high)
    assert lo <= med <= hi
    assert stats.median_ci(x, n_resamples=2000, seed=7) == (med, lo, hi)  # seeded


def test_median_ci_edge_cases():
    assert stats.median_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)  # every resample has the same median
    m, lo, hi = stats.median_ci([4.0])
    assert m == 4.0 and math.isnan(lo) and math.isnan(hi)  # one run: no interval
    m, lo, hi = stats.median_ci([1.0, 2.0, 3.0, np.inf, np.inf], n_resamples=2000)
    assert m == 3.0 and lo >= 1.0 and hi == np.inf  # never-reached targets rank last, no NaN
    with pytest.raises(ValueError, match="NaN"):
        stats.median_ci([1.0, np.nan])
    with pytest.raises(ValueError, match="no values"):
        stats.median_ci([])


# -- rank-sum test, A12, Holm ----------------------------------------------------------------------

def test_mann_whitney_hand_computed_and_scipy():
    # fully separated samples: U = 0, exact two-sided p = 2 / C(n_a + n_b, n_a)
    assert stats.mann_whitney([1, 2], [3, 4]) == (0.0, pytest.approx(2 / 6))
    u, p = stats.mann_whitney([4, 5, 6], [1, 2, 3])
    assert u == 9.0 and p == pytest.approx(2 / 20)  # 3 vs 3 runs cannot go below p = 0.1
    # ties: U counts half per tied pair; p from the normal approximation with tie correction
    x, y = [1, 2, 3], [2, 2, 4]
    u, p = stats.mann_whitney(x, y)
    assert u == 3.0  # pairs x > y: (3,2) twice = 2; ties (2,2) twice = 1
    ref = st.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert p == pytest.approx(ref.pvalue)
    assert stats.mann_whitney([1, 1], [1, 1, 1]) == (3.0, 1.0)  # all tied: no evidence


def test_a12_hand_computed_symmetric_and_equal_to_u_over_mn():
    x, y = [1, 2, 3], [2, 2, 4]
    assert stats.a12(x, y) == pytest.approx(3 / 9)
    assert stats.a12(y, x) == pytest.approx(6 / 9)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 12), rng.integers(1, 6, 9)  # many ties
    u, _ = stats.mann_whitney(a, b)
    assert stats.a12(a, b) == pytest.approx(u / (12 * 9))
    assert stats.a12([1, 2], [1, 2]) == 0.5


@pytest.mark.parametrize("a, label", [(0.5, "negligible"), (0.5599, "negligible"), (0.56, "small"),
                                      (0.6399, "small"), (0.64, "medium"), (0.7099, "medium"), (0.71, "large"),
                                      (1.0, "large"), (0.44, "small"), (0.29, "large"), (0.0, "large")])
def test_a12_magnitude_thresholds(a, label):
    assert stats.a12_magnitude(a) == label


def test_holm_hand_computed():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> running max 0.06
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert np.allclose(stats.holm(p), [0.03, 0.06, 0.06, 0.02])
    assert np.allclose(stats.holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
    assert np.allclose(stats.holm([0.02, 0.02, 0.02]), [0.06, 0.06, 0.06])  # tied p-values
    assert np.allclose(stats.holm([0.2]), [0.2])
    assert p.tolist() == [0.01, 0.04, 0.03, 0.005]  # not changed
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.holm([0.1, 1.5])


# -- tables ----------------------------------------------------------------------------------------

def _runs():
    rng = np.random.default_rng(3)
    rows = []
    for s, shift in (("coupled", 0.2), ("decoupled", 0.0), ("semi_decoupled", 0.1)):
        for seed in range(8):
            rows.append({"strategy": s, "seed": seed, "hv": 0.8 + shift + 0.03 * rng.standard_normal(),
                         "igd_plus": 0.1 - shift / 2 + 0.01 * rng.standard_normal()})
    return pd.DataFrame(rows)


def test_tests_table_one_row_per_score_and_pair():
    df = _runs()
    before = df.copy()
    t = stats.tests_table(df, by="strategy", scores=["hv", "igd_plus"], senses={"hv": "max", "igd_plus": "min"})
    pd.testing.assert_frame_equal(df, before)  # input unchanged
    assert list(t.columns) == ["score", "a", "b", "n_a", "n_b", "median_a", "median_b", "U", "p", "p_holm", "a12",
                               "magnitude", "better"]
    assert len(t) == 2 * 3
    assert list(zip(t["a"], t["b"]))[:3] == [("coupled", "decoupled"), ("coupled", "semi_decoupled"),
                                             ("decoupled", "semi_decoupled")]
    assert (t["n_a"] == 8).all() and (t["n_b"] == 8).all()
    for score, g in t.groupby("score"):
        assert np.allclose(g["p_holm"], stats.holm(g["p"]))  # Holm within each score's family
        for r in g.itertuples():
            x = df.loc[df.strategy == r.a, score].to_numpy()
            y = df.loc[df.strategy == r.b, score].to_numpy()
            ref = st.mannwhitneyu(x, y, alternative="two-sided")
            assert (r.U, r.p) == (ref.statistic, ref.pvalue)
            assert r.a12 == pytest.approx(ref.statistic / 64)
    first = t.iloc[0]  # coupled has higher hv than decoupled in every run: large, coupled better
    assert first.a12 == 1.0 and first.magnitude == "large" and first.better == "coupled"
    igd = t[(t.score == "igd_plus")].iloc[0]
    assert igd.better == "coupled"  # lower is better for IGD+
    assert "better" not in stats.tests_table(df, scores=["hv"]).columns


def test_score_summary_uses_the_sample_std_and_bootstrap_interval():
    df = _runs()
    s = stats.score_summary(df, scores=["hv"], n_resamples=1000, seed=1)
    assert list(s["strategy"]) == ["coupled", "decoupled", "semi_decoupled"]
    hv = df[df.strategy == "coupled"]["hv"]
    row = s.iloc[0]
    assert row["std"] == pytest.approx(np.std(hv, ddof=1)) and row["std"] == pytest.approx(hv.std())
    assert row["n"] == 8 and row["median"] == pytest.approx(hv.median())
    assert (row["median_ci_low"], row["median_ci_high"]) == stats.median_ci(hv, n_resamples=1000, seed=1)[1:]


def test_tables_refuse_nan_and_missing_columns_by_name():
    df = _runs()
    df.loc[3, "hv"] = np.nan
    with pytest.raises(ValueError, match=r"hv of strategy 'coupled'"):
        stats.tests_table(df, scores=["hv"])
    with pytest.raises(KeyError, match="evals_to_95"):
        stats.tests_table(df, scores=["evals_to_95"])
    with pytest.raises(ValueError, match="two strategy groups"):
        stats.tests_table(df[df.strategy == "coupled"], scores=["igd_plus"])


# -- attainment ------------------------------------------------------------------------------------

def _attains(P, S, point, sign):
    """Share of runs with a point weakly dominating ``point`` (minimisation form), by brute force."""
    runs = np.unique(S)
    M, q = P * sign, np.asarray(point) * sign
    return np.mean([np.any(np.all(M[S == r] <= q + 1e-12, axis=1)) for r in runs])


def _fronts(seed, n_runs, shift=0.0):
    rng = np.random.default_rng(seed)
    P, S = [], []
    for r in range(n_runs):
        t = np.sort(rng.random(6))
        P.append(np.column_stack([t + shift, 90 + 5 * t - 0.5 * rng.random(6)]))  # x min, y max (accuracy-like)
        S += [r + 1] * 6
    return np.vstack(P), np.array(S)


def test_eaf_matches_moocore_and_brute_force_with_a_maximised_objective():
    P, S = _fronts(1, 4)
    P0 = P.copy()
    E = stats.eaf(P, S, maximise=[False, True])
    ref = moocore.eaf(P * [1, -1], S)  # maximised objective negated by hand
    assert np.allclose(E[:, :2] * [1, -1], ref[:, :2]) and np.allclose(E[:, 2], ref[:, 2])
    sign = np.array([1.0, -1.0])
    for x, y, pct in E:
        assert _attains(P, S, (x, y), sign) >= pct / 100 - 1e-9
    surf = stats.attainment_surfaces(P, S, maximise=[False, True])
    for level, k in (("best", 1), ("median", 2), ("worst", 4)):
        assert all(_attains(P, S, p, sign) >= k / 4 - 1e-9 for p in surf[level])
    # the best surface is the non-dominated set of every run's points together
    from evo_codesign.metrics import nondominated
    nd = P[nondominated(P * sign)]
    assert np.allclose(surf["best"], nd[np.argsort(nd[:, 0])])
    assert np.array_equal(P, P0)


@pytest.mark.parametrize("n_runs", [3, 5])
def test_eafdiff_is_the_difference_in_attaining_shares(n_runs):
    A, SA = _fronts(2, n_runs, shift=0.05)
    B, SB = _fronts(3, n_runs)
    R = stats.eafdiff(A, SA, B, SB, maximise=[False, True])
    sign = np.array([1.0, -1.0])
    assert len(R) and (np.abs(R[:, 4]) <= 1 + 1e-12).all()
    for x0, y0, x1, y1, d in R:
        # a point inside the rectangle (an infinite side: just beyond its finite corner)
        xs = [v for v in (x0, x1) if np.isfinite(v)]
        ys = [v for v in (y0, y1) if np.isfinite(v)]
        px = np.mean(xs) if len(xs) == 2 else xs[0] + 1e-6
        py = np.mean(ys) if len(ys) == 2 else ys[0] - 1e-6  # y is maximised: beyond means lower
        assert _attains(A, SA, (px, py), sign) - _attains(B, SB, (px, py), sign) == pytest.approx(d)
    # moocore splits the runs in halves, so unequal numbers of runs would be misread
    with pytest.raises(ValueError, match="as many runs of a as of b"):
        stats.eafdiff(A, SA, *_fronts(3, n_runs + 1))


def test_front_points_keeps_feasible_designs_and_names_missing_columns():
    f = pd.DataFrame({"f_latency": [1.0, 2.0, 3.0], "f_accuracy": [90.0, 91.0, 92.0], "seed": [1, 1, 2],
                      "feasible": [True, False, True]})
    P, S = stats.front_points(f, "latency", "accuracy")
    assert P.tolist() == [[1.0, 90.0], [3.0, 92.0]] and S.tolist() == [1, 2]
    with pytest.raises(KeyError, match="f_energy"):
        stats.front_points(f, "energy", "accuracy")


# -- figures ---------------------------------------------------------------------------------------

def _fronts_frame():
    rows = []
    for strategy, seed0, shift in (("coupled", 10, 0.0), ("decoupled", 20, 0.1)):
        for r in range(4):
            P, _ = _fronts(seed0 + r, 1, shift)
            for lat, acc in P:
                rows.append({"strategy": strategy, "seed": r, "f_latency": 1 + 10 * lat, "f_accuracy": acc,
                             "feasible": True})
    return pd.DataFrame(rows)


def test_axis_labels_name_unit_and_better_direction():
    assert stats._axis("f_latency", None) == ("latency (ms), lower is better", "min")
    assert stats._axis("accuracy", None)[0].endswith("(%), higher is better")
    assert stats._axis("toy_cost", {"toy_cost": "max"}) == ("toy_cost, higher is better", "max")


def test_plots_write_pngs_and_leave_the_frame_alone(tmp_path):
    f = _fronts_frame()
    before = f.copy()
    p = stats.plot_eaf(f, "latency", "accuracy", tmp_path / "eaf.png")
    q = stats.plot_eafdiff(f, "latency", "accuracy", "coupled", "decoupled", tmp_path / "eafdiff")
    pd.testing.assert_frame_equal(f, before)
    for path in (p, q):
        assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    with pytest.raises(ValueError, match="'nope' has no feasible design"):
        stats.plot_eafdiff(f, "latency", "accuracy", "coupled", "nope", tmp_path / "x")


def test_attainment_axes_follow_the_figures_log_rule_with_labels_at_the_decades_only():
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    from evo_codesign.plot.base import Axis

    P = np.array([[0.3, 1.0], [7.5, 40.0]])  # spans of 25 (under the rule's 30) and 40
    _, _, logs = stats._frame(P, np.array([1.0, -1.0]))
    assert logs.tolist() == [Axis("x", "").is_log(P[:, 0]), Axis("y", "").is_log(P[:, 1])] == [False, True]
    ax = Figure().add_subplot()
    lim, _, logs = stats._frame(P, np.array([1.0, -1.0]))
    stats._decorate(ax, lim, logs, "x", "y")
    assert ax.get_yscale() == "log" and isinstance(ax.yaxis.get_minor_locator(), NullLocator)
    assert ax.get_xscale() == "linear"

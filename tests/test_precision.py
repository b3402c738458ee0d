"""The precision degradation model: sourced points, monotonicity, shapes and argument errors."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evo_codesign.precision import (
    PRECISION_CONSTANTS as C,
    accuracy_drop,
    adc_drop,
    adc_table,
    describe_model,
    input_drop,
    legacy_adc_table,
    lossless_adc_bits,
)

BITS = st.integers(1, 16)
ROWS = st.sampled_from([1, 16, 63, 64, 100, 128, 255, 256, 512, 1024])
CELL = st.sampled_from([1, 2, 4])
WEIGHT = st.sampled_from([4, 8, 16])
LOSSLESS = dict(weight_bits=8, cell_bits=1, crossbar_size=128)  # ADC needs 8 bits to be exact here


def drop(input_bits=8, adc_bits=8, **kw):
    args = {**LOSSLESS, **kw}
    return accuracy_drop(input_bits, adc_bits, **args)


# --- constants ---------------------------------------------------------------------------------

def test_every_constant_has_value_unit_and_source():
    rows = C.rows()
    assert len(rows) == len(dataclasses.fields(C))
    for name, value, unit, source in rows:
        assert value is not None, name
        assert unit.strip(), name
        assert len(source.strip()) > 20, name
    with pytest.raises(dataclasses.FrozenInstanceError):
        C.chance_accuracy_pct = None  # type: ignore[misc]


def test_describe_model_lists_every_constant_and_the_formula():
    text = describe_model()
    for name, *_ in C.rows():
        assert name in text
    assert "log2(R + 1)" in text and "2**b levels" in text


# --- sourced points ----------------------------------------------------------------------------

def test_the_curve_is_worked_out_once_per_set_of_constants_and_cannot_be_changed():
    assert C.curve_drop_pp is C.curve_drop_pp and not C.curve_drop_pp.flags.writeable
    with pytest.raises(ValueError):
        C.curve_bits[0] = 1.0
    other = dataclasses.replace(C, activation_error_pct=dataclasses.replace(C.activation_error_pct,
                                                                            value=(12.0, 10.0, 9.0, 8.0)))
    assert other.curve_drop_pp.tolist() == [4.0, 2.0, 1.0, 0.0] and other.extrapolation_slope_pp_per_bit == 2.0
    assert C.curve_drop_pp.tolist() == pytest.approx([2.7, 1.0, 0.8, 0.0])


@pytest.mark.parametrize("k, err", list(zip(C.activation_bits.value, C.activation_error_pct.value)))
def test_input_curve_reproduces_pact_table_at_its_points(k, err):
    # Tolerance 1e-9 pp: the model interpolates the table, so it must hit it exactly there.
    expected = err - C.activation_error_pct.value[-1]
    assert float(input_drop(k, weight_bits=k)) == pytest.approx(expected, abs=1e-9)
    # With exact ADCs the whole model reduces to the sourced curve.
    assert float(drop(input_bits=k, weight_bits=8)) == pytest.approx(expected, abs=1e-9)


def test_lossless_reference_matches_full_precision_within_a_fifth_of_a_point():
    # PACT's 5-bit ResNet20 error vs the full-precision ResNet20 it was reproduced from.
    assert abs(C.activation_error_pct.value[-1] - C.full_precision_error_pct.value) < 0.2


def test_second_source_agrees_on_the_two_to_four_bit_gap_within_one_point():
    # Saikia et al. (ResNet-18, CIFAR-10): accuracy at 4 bits minus accuracy at 2 bits.
    acc = dict(zip(C.crosscheck_bits.value, C.crosscheck_accuracy_pct.value))
    sourced_gap = acc[4] - acc[2]
    model_gap = float(input_drop(2, weight_bits=2) - input_drop(4, weight_bits=4))
    assert abs(model_gap - sourced_gap) <= 1.0


def test_legacy_rule_maps_whole_bits_of_deficit_onto_the_sourced_curve():
    # 255 rows of 1-bit cells sum to at most 255: 256 values, exactly 8 bits.
    assert float(lossless_adc_bits(255, 1)) == pytest.approx(8.0)
    assert float(lossless_adc_bits(85, 2)) == pytest.approx(8.0)  # 85 * 3 = 255
    for deficit, k in [(0, 5), (1, 4), (2, 3), (3, 2)]:
        expected = C.activation_error_pct.value[k - 2] - C.activation_error_pct.value[-1]
        got = float(adc_drop(8 - deficit, cell_bits=1, crossbar_size=255, adc_table=legacy_adc_table()))
        assert got == pytest.approx(expected, abs=1e-9)


def test_calibrated_adc_is_charged_the_curve_at_its_table_bits():
    t = adc_table()
    assert "precision_calibration.py" in t.source
    for rows, cb, b in [(128, 1, 4), (64, 2, 5), (256, 4, 9), (9, 1, 2)]:
        k = float(t.equivalent(b, cb, rows))
        assert k == pytest.approx(t.equivalent_bits[t.rows.index(rows), t.cell_bits.index(cb), t.adc_bits.index(b)])
        expected = float(np.interp(k, C.activation_bits.value, C.curve_drop_pp)) + max(2 - k, 0) * 1.7
        assert float(adc_drop(b, cell_bits=cb, crossbar_size=rows)) == pytest.approx(min(expected, 90.0), abs=1e-9)
    # the simulation's sparse bit-plane sums: about two bits short of exact cost nothing at 128 rows
    assert float(adc_drop(5, cell_bits=1, crossbar_size=128)) == 0.0
    assert float(adc_drop(4, cell_bits=1, crossbar_size=128)) > 1.0
    # the rows a column actually sums: a depthwise 3x3 column (9 rows) is exact with a 4-bit ADC
    assert float(adc_drop(4, cell_bits=1, crossbar_size=9)) == 0.0 < float(adc_drop(4, cell_bits=1, crossbar_size=128))


def test_adc_table_off_the_grid_is_monotone_and_conservative():
    t = adc_table()
    rows = np.array([1, 5, 9, 12, 100, 256, 300, 1000, 4096])
    for cb in (1, 2, 3, 4, 8):
        for b in range(1, 14):
            k = t.equivalent(b, cb, rows)
            assert np.all(np.diff(k) <= 1e-12), (cb, b)
            assert np.all(t.equivalent(b + 1, cb, rows) >= k - 1e-12)
    assert float(t.equivalent(3, 1, 5)) == 8.0  # 5 rows: 6 values fit 3 bits


def test_a_replaced_table_is_read_and_a_bad_one_named(tmp_path):
    import json

    t = adc_table()
    doc = {"rows": list(t.rows), "cell_bits": list(t.cell_bits), "adc_bits": list(t.adc_bits),
           "equivalent_bits": (np.asarray(t.equivalent_bits) * 0 + 8).tolist(), "source": "all exact"}
    p = tmp_path / "mine.json"
    p.write_text(json.dumps(doc))
    mine = adc_table(p)
    assert mine.source == "all exact"
    assert float(accuracy_drop(8, 3, weight_bits=8, cell_bits=1, crossbar_size=128, adc_table=mine)) == 0.0
    doc["equivalent_bits"] = doc["equivalent_bits"][:2]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="bad.json"):
        adc_table(bad)


def test_the_calibration_benchmark_reproduces_the_shipped_trend():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "precision_calibration.py"
    spec = importlib.util.spec_from_file_location("precision_calibration", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    sim = bench.monotone(bench.simulate(256, 1, rows_list=(16, 64), cell_bits_list=(1,)))
    t = adc_table()
    for r, rows in enumerate((16, 64)):
        shipped = np.asarray(t.equivalent_bits)[t.rows.index(rows), 0]
        assert np.all(np.diff(sim[r, 0]) >= 0)                   # more ADC bits, never worse
        assert np.max(np.abs(sim[r, 0] - shipped)) < 1.5          # another seed, a quarter of the vectors


def test_lossless_bits_counts_levels_of_a_column_read():
    # 128 rows x 1-bit cells: sums 0..128 are 129 values, just over 7 bits.
    assert float(lossless_adc_bits(128, 1)) == pytest.approx(np.log2(129))
    assert float(lossless_adc_bits(128, 4)) == pytest.approx(np.log2(128 * 15 + 1))


# --- zero drop and bounds ----------------------------------------------------------------------

@given(ROWS, CELL, st.integers(5, 16), st.integers(5, 16))
def test_zero_drop_at_and_above_lossless_precision(rows, cell, weight, input_bits):
    adc = int(np.ceil(lossless_adc_bits(rows, cell) - 1e-12))
    for extra in (0, 1, 5):
        d = accuracy_drop(input_bits, adc + extra, weight_bits=weight, cell_bits=cell,
                          crossbar_size=rows)
        assert float(d) == 0.0


@given(BITS, BITS, WEIGHT, CELL, ROWS)
def test_drop_is_bounded_by_chance(ib, ab, wb, cb, rows):
    d = float(accuracy_drop(ib, ab, weight_bits=wb, cell_bits=min(cb, wb), crossbar_size=rows))
    assert 0.0 <= d <= 100.0 - C.chance_accuracy_pct.value


def test_four_bit_weights_cost_what_pact_reports_for_four_bits():
    expected = C.activation_error_pct.value[2] - C.activation_error_pct.value[-1]
    assert float(drop(input_bits=8, weight_bits=4)) == pytest.approx(expected)


def test_extreme_settings_hit_the_cap():
    assert float(drop(input_bits=1, adc_bits=1, cell_bits=8, weight_bits=8,
                      crossbar_size=65536)) <= 90.0


# --- monotonicity (more bits never increase the drop) -------------------------------------------

@settings(max_examples=200)
@given(BITS, BITS, BITS, WEIGHT, CELL, ROWS)
def test_more_input_bits_never_increase_drop(b1, b2, ab, wb, cb, rows):
    lo, hi = sorted((b1, b2))
    kw = dict(weight_bits=wb, cell_bits=min(cb, wb), crossbar_size=rows)
    assert accuracy_drop(hi, ab, **kw) <= accuracy_drop(lo, ab, **kw) + 1e-12


@settings(max_examples=200)
@given(BITS, BITS, BITS, WEIGHT, CELL, ROWS)
def test_more_adc_bits_never_increase_drop(a1, a2, ib, wb, cb, rows):
    lo, hi = sorted((a1, a2))
    kw = dict(weight_bits=wb, cell_bits=min(cb, wb), crossbar_size=rows)
    assert accuracy_drop(ib, hi, **kw) <= accuracy_drop(ib, lo, **kw) + 1e-12


@settings(max_examples=200)
@given(BITS, BITS, st.integers(4, 16), st.integers(4, 16), CELL, ROWS)
def test_more_weight_bits_never_increase_drop(ib, ab, w1, w2, cb, rows):
    lo, hi = sorted((w1, w2))
    kw = dict(cell_bits=cb, crossbar_size=rows)
    assert accuracy_drop(ib, ab, weight_bits=hi, **kw) <= accuracy_drop(ib, ab, weight_bits=lo, **kw) + 1e-12


@given(BITS, BITS, ROWS, ROWS, CELL)
def test_more_rows_per_read_never_decrease_drop(ib, ab, r1, r2, cb):
    # A wider column sum needs more ADC levels; at fixed ADC bits the drop can only grow.
    lo, hi = sorted((r1, r2))
    kw = dict(weight_bits=8, cell_bits=cb)
    assert accuracy_drop(ib, ab, crossbar_size=lo, **kw) <= accuracy_drop(ib, ab, crossbar_size=hi, **kw) + 1e-12


@given(st.floats(-20, 20), st.floats(-20, 20))
def test_underlying_curve_is_monotone_in_fractional_bits(k1, k2):
    from evo_codesign.precision import _curve

    lo, hi = sorted((k1, k2))
    assert _curve(np.asarray(hi)) <= _curve(np.asarray(lo)) + 1e-12


def test_column_sharing_and_adc_type_do_not_change_accuracy():
    base = drop(input_bits=3, adc_bits=4)
    for cs in (1, 2, 32):
        for t in ("sar", "flash"):
            assert drop(input_bits=3, adc_bits=4, column_sharing=cs, adc_type=t) == base


# --- shapes, broadcasting and groups -------------------------------------------------------------

def test_scalars_give_a_zero_dimensional_array():
    d = drop(input_bits=4, adc_bits=6)
    assert isinstance(d, np.ndarray) and d.shape == ()


def test_elementwise_broadcasting():
    ib = np.array([2, 3, 4, 5, 8])[:, None]          # (5, 1)
    ab = np.array([3, 5, 8])[None, :]                # (1, 3)
    d = accuracy_drop(ib, ab, weight_bits=8, cell_bits=np.array([1, 2, 4]), crossbar_size=128)
    assert d.shape == (5, 3)
    for i in range(5):
        for j in range(3):
            expect = accuracy_drop(int(ib[i, 0]), int(ab[0, j]), weight_bits=8,
                                   cell_bits=[1, 2, 4][j], crossbar_size=128)
            assert d[i, j] == pytest.approx(float(expect))


def test_groups_aggregate_by_mac_fraction():
    n, groups = 4, 3
    rng = np.random.default_rng(0)
    ib = rng.integers(2, 9, size=(n, groups))
    ab = rng.integers(3, 9, size=(n, 1))             # one global ADC per design
    w = np.array([0.5, 0.3, 0.2])
    d = accuracy_drop(ib, ab, weight_bits=8, cell_bits=1, crossbar_size=128, macs_fraction=w)
    assert d.shape == (n,)
    per_group = accuracy_drop(ib, ab, weight_bits=8, cell_bits=1, crossbar_size=128)
    np.testing.assert_allclose(d, per_group @ w)


def test_uniform_precision_over_all_mac_is_the_single_group_drop():
    ib = np.full((2, 3), 3)
    d = accuracy_drop(ib, 5, weight_bits=8, cell_bits=1, crossbar_size=128,
                      macs_fraction=[0.25, 0.25, 0.5])
    single = float(drop(input_bits=3, adc_bits=5))
    np.testing.assert_allclose(d, [single, single])


def test_macs_off_the_crossbars_lose_nothing():
    # Only 40% of the network's MACs run on crossbars; the rest (e.g. depthwise on a PE array) don't.
    d = accuracy_drop([[2, 2]], 8, macs_fraction=[0.1, 0.3], **LOSSLESS)
    assert float(d[0]) == pytest.approx(0.4 * float(drop(input_bits=2)))


def test_per_design_mac_fractions():
    ib = np.array([[2, 8], [2, 8]])
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    d = accuracy_drop(ib, 8, macs_fraction=w, **LOSSLESS)
    np.testing.assert_allclose(d, [float(drop(input_bits=2)), 0.0])


def test_inputs_are_not_mutated():
    ib = np.array([[2, 3], [4, 5]])
    ab = np.array([[3], [4]])
    w = np.array([0.5, 0.5])
    copies = [a.copy() for a in (ib, ab, w)]
    accuracy_drop(ib, ab, macs_fraction=w, **LOSSLESS)
    for a, c in zip((ib, ab, w), copies):
        np.testing.assert_array_equal(a, c)


# --- errors name the argument --------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(input_bits=0), "input_bits"),
    (dict(input_bits=2.5), "input_bits"),
    (dict(input_bits=np.nan), "input_bits"),
    (dict(input_bits=[4, 64]), "input_bits"),
    (dict(adc_bits=0), "adc_bits"),
    (dict(adc_bits=[3, 4.5]), "adc_bits"),
    (dict(adc_bits="eight"), "adc_bits"),
    (dict(weight_bits=0), "weight_bits"),
    (dict(cell_bits=0), "cell_bits"),
    (dict(cell_bits=16, weight_bits=32), "cell_bits"),
    (dict(cell_bits=4, weight_bits=2), "cell_bits"),
    (dict(crossbar_size=0), "crossbar_size"),
    (dict(crossbar_size=127.5), "crossbar_size"),
    (dict(column_sharing=0), "column_sharing"),
    (dict(adc_type="pipeline"), "adc_type"),
    (dict(adc_type=["sar", "delta-sigma"]), "adc_type"),
    (dict(input_bits=[[2, 3, 4]], macs_fraction=[0.5, 0.6, 0.1]), "macs_fraction"),
    (dict(input_bits=[[2, 3, 4]], macs_fraction=[-0.1, 0.6, 0.1]), "macs_fraction"),
    (dict(input_bits=[[2, 3, 4]], macs_fraction=[0.5, 0.5]), "macs_fraction"),
    (dict(input_bits=[[2, 3, 4]], macs_fraction=0.5), "macs_fraction"),
    (dict(input_bits=[2, 3, 4], adc_bits=[3, 4]), "adc_bits"),
])
def test_out_of_range_arguments_raise_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        drop(**kwargs)

"""The one schema mechanism (evo_codesign.schema), the readers ported onto it, and grid/proxy files."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError, dataclass
from typing import Mapping

import pytest

from evo_codesign import objectives
from evo_codesign.config import ConfigError, SearchConfig, config_from_dict, load_config
from evo_codesign.cost.accelerator_config import AcceleratorConfigError, accelerator_config_from_dict, read_toml
from evo_codesign.cost.constants import dataflow_constants
from evo_codesign.cost.imc_config import ImcConfigError, imc_config_from_dict, load_imc_config
from evo_codesign.errors import EvoCodesignError
from evo_codesign.io.gene_tables import GeneTableError, read_gene_table
from evo_codesign.schema import Spec, check_value, from_mapping, opt, section, table, to_plain
from evo_codesign.schema import read_toml as schema_read_toml
from evo_codesign.space.base import GenomeError
from evo_codesign.space.joint import make_space


# -- the mechanism on a toy schema ---------------------------------------------------------------

class ToyError(EvoCodesignError):
    pass


_COLOURS = ["red"]


@dataclass(frozen=True)
class Inner:
    size: int = opt(4, lo=1, hi=64, doc="PEs")
    scale: float = opt(1.0, gt=0.0, finite=True, doc="unitless")


@dataclass(frozen=True)
class Toy:
    name: str = opt("a", choices=("a", "b"))
    flag: bool = opt(False)
    budget: float = opt(math.inf, lo=0.0, doc="mm2; inf = none")
    # a callable, read at validation time: colours appended later are accepted
    colours: tuple[str, ...] = opt(("red",), item_choices=lambda: _COLOURS)
    bits: int | tuple[int, ...] = opt(8, lo=1, hi=16, min_len=1)
    weights: Mapping[str, float] = table({"w": Spec(float, lo=0.0, finite=True)})
    inner: Inner = section(Inner)


def test_defaults_types_and_frozen():
    t = from_mapping(Toy, {}, ToyError)
    assert t == Toy() and t.inner == Inner() and t.weights == {}
    with pytest.raises(FrozenInstanceError):
        t.name = "b"  # type: ignore[misc]
    t = from_mapping(Toy, {"name": "b", "flag": True, "budget": 3, "colours": ["red"], "bits": [2, 4],
                           "weights": {"w": 2}, "inner": {"size": 8, "scale": 0.5}}, ToyError)
    assert (t.name, t.flag, t.budget, t.colours, t.bits, t.weights, t.inner.size) == \
        ("b", True, 3.0, ("red",), (2, 4), {"w": 2.0}, 8)
    assert isinstance(t.budget, float)


def test_inf_string_and_round_trip_through_plain():
    t = from_mapping(Toy, {"budget": "inf", "bits": [3]}, ToyError)
    assert math.isinf(t.budget)
    plain = to_plain(t)
    assert plain["budget"] == "inf" and plain["bits"] == [3] and plain["inner"] == {"size": 4, "scale": 1.0}
    assert from_mapping(Toy, plain, ToyError) == t


@pytest.mark.parametrize("doc, message", [
    ({"nmae": "a"}, r"toy: unknown key\(s\) or section\(s\) \['nmae'\]; allowed: \['bits', 'budget', 'colours'"),
    ({"inner": {"sise": 1}}, r"inner: unknown key\(s\) \['sise'\]; allowed: \['scale', 'size'\]"),
    ({"name": "c"}, r"name: 'c' is not allowed; choose one of \['a', 'b'\]"),
    ({"flag": 1}, r"flag: expected true or false, got 1"),
    ({"budget": "lots"}, r"budget: expected a number >= 0, got 'lots'"),
    ({"budget": float("nan")}, r"budget: NaN is not allowed"),
    ({"budget": -1}, r"budget: -1 out of range; expected a number >= 0"),
    ({"budget": True}, r"budget: expected a number"),
    ({"inner": {"size": 65}}, r"inner.size: 65 out of range; expected an integer in \[1, 64\]"),
    ({"inner": {"size": 2.0}}, r"inner.size: expected an integer in \[1, 64\], got 2.0"),
    ({"inner": {"scale": 0}}, r"inner.scale: 0 out of range; expected a finite number > 0"),
    ({"inner": {"scale": "inf"}}, r"inner.scale: 'inf' out of range; expected a finite number > 0"),
    ({"inner": 3}, r"inner: expected a table of keys, got 3"),
    ({"colours": ["blue"]}, r"colours: unknown value\(s\) \['blue'\]; allowed: \['red'\]"),
    ({"colours": "red"}, r"colours: expected a list of strings, got 'red'"),
    ({"bits": []}, r"bits: expected at least 1 value\(s\), got \[\]"),
    ({"bits": [4, 17]}, r"bits\[1\]: 17 out of range; expected an integer in \[1, 16\]"),
    ({"bits": "8"}, r"bits: expected an integer in \[1, 16\], got '8'"),
    ({"weights": {"v": 1.0}}, r"weights: unknown key\(s\) \['v'\]; allowed: \['w'\]"),
    ({"weights": {"w": -1.0}}, r"weights.w: -1.0 out of range; expected a finite number >= 0"),
    ({"weights": 2}, r"weights: expected a table of name = value, got 2"),
    ({"inner": {"scale": 10**400}}, r"inner.scale: 1000.* out of range; expected a finite number > 0"),
])
def test_errors_name_the_key_and_what_is_allowed(doc, message):
    with pytest.raises(ToyError, match=message):
        from_mapping(Toy, doc, ToyError, label="toy")


def test_callable_choices_are_read_at_validation_time():
    with pytest.raises(ToyError, match="blue"):
        from_mapping(Toy, {"colours": ["blue"]}, ToyError)
    _COLOURS.append("blue")
    try:
        assert from_mapping(Toy, {"colours": ["red", "blue"]}, ToyError).colours == ("red", "blue")
    finally:
        _COLOURS.remove("blue")


def test_ignored_keys_and_check_value():
    assert from_mapping(Inner, {"size": 2, "other": object()}, ToyError, ignore=("other",)).size == 2
    assert check_value(Spec(float, lo=0.0), 2, "x", ToyError) == 2.0
    with pytest.raises(ToyError, match="x: 'y' is not allowed"):
        check_value(Spec(str, choices=lambda: ["z"]), "y", "x", ToyError)
    with pytest.raises(TypeError):
        check_value(Spec(), 1, "x", ToyError)
    with pytest.raises(TypeError):
        opt([1, 2])


def test_read_toml_errors_name_the_file_and_accept_a_bom(tmp_path):
    p = tmp_path / "a.toml"
    p.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert schema_read_toml(p, ToyError) == {"x": 1}
    with pytest.raises(ToyError, match=r"cannot read file '.*nope.toml'"):
        schema_read_toml(tmp_path / "nope.toml", ToyError)
    with pytest.raises(ToyError, match=r"cannot read grid"):
        schema_read_toml(tmp_path, ToyError, what="grid")  # a directory
    p.write_bytes(b"x = \xff\xfe\n")
    with pytest.raises(ToyError, match=r"a.toml: not a UTF-8 text file"):
        schema_read_toml(p, ToyError)
    p.write_text("[x\n")
    with pytest.raises(ToyError, match=r"a.toml: invalid TOML"):
        schema_read_toml(p, ToyError)


# -- the ported readers ------------------------------------------------------------------------------

def test_reader_errors_are_package_errors_and_value_errors():
    for cls in (ConfigError, AcceleratorConfigError, ImcConfigError, GeneTableError):
        assert issubclass(cls, EvoCodesignError) and issubclass(cls, ValueError)
    assert issubclass(GeneTableError, GenomeError)


@pytest.mark.parametrize("doc, message", [
    ({"search": {"pop_sise": 3}}, r"search: unknown key\(s\) \['pop_sise'\]; allowed: \['algorithm', 'budget', "),
    ({"space": {"hardware": "gpu"}}, r"space.hardware: 'gpu' is not allowed; choose one of \['dataflow', 'imc'"),
    ({"search": {"budget": 0}}, r"search.budget: 0 out of range; expected an integer in \[1, 1000000000\]"),
    ({"constraints": {"area_mm2_max": "big"}}, r"constraints.area_mm2_max: expected a number >= 0, got 'big'"),
    ({"constraints": {"area_mm2_max": math.nan}}, r"constraints.area_mm2_max: NaN is not allowed"),
    ({"space": {"hardware": "dataflow"}, "search": {"objectives": ["accuracy", "precision_drop"]}},
     r"search.objectives: 'precision_drop' needs crossbars"),
    ({"search": {"objectives": ["accuracy", "capacity_proxy"]}},
     r"search.objectives: 'capacity_proxy' needs the backbone"),
    ({"space": {"neural": "backbone"}, "search": {"objectives": ["capacity_proxy", "flops"]}},
     r"search.objectives: 'flops' needs the NB301 cell space"),
])
def test_config_messages(doc, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(doc)


def test_config_accepts_inf_and_a_bom(tmp_path):
    p = tmp_path / "c.toml"
    p.write_bytes('\ufeff[constraints]\narea_mm2_max = "inf"\n'.encode())
    assert math.isinf(load_config(p).constraints.area_mm2_max)
    p.write_bytes(b"seed = \xff\n")
    with pytest.raises(ConfigError, match="c.toml: not a UTF-8 text file"):
        load_config(p)


def test_objectives_registered_later_are_accepted():
    doc = {"search": {"objectives": ["accuracy", "latency_us"]}}
    with pytest.raises(ConfigError, match=r"unknown value\(s\) \['latency_us'\]"):
        config_from_dict(doc)
    objectives.register(objectives.Objective("latency_us", "min", "us", "latency", ("latency_ms",),
                                             lambda m: m["latency_ms"] * 1e3))
    try:
        assert config_from_dict(doc).search.objectives == ("accuracy", "latency_us")
    finally:
        objectives.unregister("latency_us")


def test_config_built_in_code_still_checks_objectives():
    from evo_codesign.config import Config

    with pytest.raises(ConfigError, match=r"unknown value\(s\) \['speed'\]"):
        Config(search=SearchConfig(objectives=("accuracy", "speed")))


@pytest.mark.parametrize("raw, message", [
    ({"array_rowz": 4}, r"unknown key\(s\) \['array_rowz'\]; allowed: \['array_cols', 'array_rows'"),
    ({"dataflow": "tpu"}, r"dataflow: 'tpu' is not allowed; choose one of \['nvdla'"),
    ({"order_K": -1}, r"order_K: -1 out of range; expected an integer >= 0"),
    ({"l2_kib": 1.5}, r"l2_kib: expected an integer >= 1, got 1.5"),
    ({"clock_mhz": 0}, r"clock_mhz: 0 out of range; expected a finite number > 0"),
    ({"clock_mhz": math.inf}, r"clock_mhz: inf out of range"),
    ({"constants": {"e_mac": 1.0}}, r"constants: unknown key\(s\) \['e_mac'\]; allowed: \[.*'data_bytes'"),
    ({"constants": {"data_bytes": 0}}, r"constants.data_bytes: 0 out of range; expected a finite number > 0"),
    ({"constants": {"e_mac_pj": -1}}, r"constants.e_mac_pj: -1 out of range; expected a finite number >= 0"),
    ({"num_pes": 5}, r"num_pes: 5 != array_rows x array_cols = 256"),
])
def test_accelerator_messages(raw, message):
    with pytest.raises(AcceleratorConfigError, match=message):
        accelerator_config_from_dict(raw)


def test_accelerator_extra_keys_and_file_errors(tmp_path):
    cfg = accelerator_config_from_dict({"target": "hybrid", "adc_bits": 5, "num_pes": 256, "loop_order": "KCYXRS",
                                        "constants": {"e_mac_pj": 0.5}}, extra_keys=("adc_bits",))
    assert cfg.constants == {"e_mac_pj": 0.5} and cfg.num_pes == 256
    p = tmp_path / "acc.toml"
    p.write_bytes(b'\xef\xbb\xbfdataflow = "nvdla"\n')
    assert read_toml(p) == {"dataflow": "nvdla"}
    with pytest.raises(AcceleratorConfigError, match=r"cannot read accelerator description '.*missing.toml'"):
        read_toml(tmp_path / "missing.toml")
    p.write_bytes(b"\x00\x01garbage = = =")
    with pytest.raises(AcceleratorConfigError, match=r"acc.toml: invalid TOML"):
        read_toml(p)


def test_kernel_constant_functions_share_the_rules():
    with pytest.raises(ValueError, match=r"dataflow constant 'e_mac_pj': expected a finite number >= 0, got 'big'"):
        dataflow_constants({"e_mac_pj": "big"})
    with pytest.raises(KeyError, match="unknown dataflow constant"):
        dataflow_constants({"e_mac": 1.0})


@pytest.mark.parametrize("raw, message", [
    ({"adc_bitz": 5}, r"unknown key\(s\) \['adc_bitz'\]; allowed: \['adc_bits', 'adc_type'"),
    ({"adc_bits": 0}, r"adc_bits: 0 out of range; expected an integer in \[1, 16\]"),
    ({"adc_type": "pipelined"}, r"adc_type: 'pipelined' is not allowed; choose one of \['sar', 'flash'\]"),
    ({"target": "gpu"}, r"target: 'gpu' is not allowed; choose one of \['imc', 'hybrid'\]"),
    ({"input_bits": [8, 0]}, r"input_bits\[1\]: 0 out of range; expected an integer in \[1, 16\]"),
    ({"input_bits": []}, r"input_bits: expected at least 1 value"),
    ({"constants": {"vdd": 1}}, r"constants: unknown key\(s\) \['vdd'\]; allowed: \["),
    ({"constants": {"vdd_v": math.inf}}, r"constants.vdd_v: inf out of range; expected a number in \(0, 900\]"),
    ({"constants": {"sar_power_base_uw": -1e9}}, r"constants.sar_power_base_uw: -1000000000.0 out of range; "
                                                 r"expected a number in \[0, 8899.8\]"),
    ({"constants": {"sar_col_exp": 1.0}}, r"constants.sar_col_exp: 1.0 out of range; expected a finite number in "
                                          r"\[-10, 0\]"),
    ({"constants": {"input_one_density": 1.5}}, r"constants.input_one_density: 1.5 out of range; expected a number "
                                                r"in \[0, 1\]"),
    ({"dataflow": "nvdla"}, r"unknown key\(s\) \['dataflow'\]"),
])
def test_imc_messages(raw, message):
    with pytest.raises(ImcConfigError, match=message):
        imc_config_from_dict(raw)


def test_imc_hybrid_and_files(tmp_path):
    cfg = imc_config_from_dict({"target": "hybrid", "dataflow": "nvdla", "input_bits": [8, 6],
                                "constants": {"sar_col_exp": -2.0}})
    assert cfg.input_bits == (8, 6) and cfg.constants == {"sar_col_exp": -2.0}
    p = tmp_path / "imc.toml"
    p.write_bytes(b'\xef\xbb\xbfadc_type = "sar"\n')
    assert load_imc_config(p).adc_type == "sar"
    p.write_text("adc_bits = 99\n")
    with pytest.raises(ImcConfigError, match=r"imc.toml: adc_bits: 99 out of range"):
        load_imc_config(p)
    with pytest.raises(ImcConfigError, match=r"cannot read accelerator description '.*nope.toml'"):
        load_imc_config(tmp_path / "nope.toml")
    p.write_text("adc_bits = \n")
    with pytest.raises(ImcConfigError, match=r"imc.toml: invalid TOML"):
        load_imc_config(p)


# -- grid and proxy files -----------------------------------------------------------------------

@pytest.fixture
def space():
    return make_space("cell", "hybrid")


def _write(tmp_path, text: str):
    p = tmp_path / "genes.toml"
    p.write_text(text)
    return p


def test_good_grid(tmp_path, space):
    p = _write(tmp_path, '[accelerator]\ndataflow = ["nvdla", "systolic_ws"]\narray_rows = [4, 16.0]\n'
                         '[imc]\nadc_type = ["sar"]\n[imc.input_bits]\nstage0 = [4, 8]\n')
    grid = read_gene_table(p, space, kind="grid")
    assert grid == {"accelerator.dataflow": ["nvdla", "systolic_ws"], "accelerator.array_rows": [4, 16],
                    "imc.adc_type": ["sar"], "imc.input_bits.stage0": [4, 8]}
    assert set(grid) <= set(space.gene_names)
    assert all(type(v) is int for v in grid["accelerator.array_rows"])


def test_good_proxy(tmp_path, space):
    p = _write(tmp_path, '[accelerator]\ndataflow = "nvdla"\narray_rows = 8\n[imc.input_bits]\nstage2 = 6\n')
    assert read_gene_table(p, space, kind="proxy") == {"accelerator.dataflow": "nvdla", "accelerator.array_rows": 8,
                                                       "imc.input_bits.stage2": 6}


@pytest.mark.parametrize("text, kind, message", [
    ("[accelerator]\narray_rowz = [8]\n", "grid",
     r"genes.toml: unknown gene 'accelerator.array_rowz'; genes of \[accelerator\]: \['dataflow', 'array_rows'"),
    ("[imc]\nadc_bitz = 4\n", "proxy", r"genes.toml: unknown gene 'imc.adc_bitz'; genes of \[imc\]: \["),
    ("[accelerator]\narray_rows = [4, 3]\n", "grid",
     r"genes.toml: accelerator.array_rows = 3 is not allowed; choose one of \[4, 8, 16, 32, 64\]"),
    ('[accelerator]\ndataflow = "tpu"\n', "proxy", r"genes.toml: accelerator.dataflow = 'tpu' is not allowed"),
    ("[imc.input_bits]\nstage9 = 4\n", "proxy", r"unknown gene 'imc.input_bits.stage9'"),
    ("[imc]\ninput_bits = 4\n", "proxy", r"imc.input_bits takes one value per precision group; .*\['stage0'"),
    ("[cell]\nnormal_op0 = 1\n", "grid", r"genes.toml: \[cell\] sets cell genes; a grid sets hardware genes only"),
    ("[accelerator]\narray_rows = 8\n", "grid", r"accelerator.array_rows: a grid gives a list of values, got 8"),
    ("[accelerator]\narray_rows = []\n", "grid", r"accelerator.array_rows: an empty list"),
    ("[accelerator]\narray_rows = [8]\n", "proxy", r"accelerator.array_rows: a proxy gives one value"),
    ("[gpu]\nx = 1\n", "proxy", r"unknown table \[gpu\]; hardware tables of this space: \[accelerator\], \[imc\]"),
    ('dataflow = "nvdla"\n', "proxy", r"dataflow = 'nvdla' is not a table of genes"),
    ("[accelerator\n", "grid", r"genes.toml: invalid TOML"),
])
def test_gene_table_errors(tmp_path, space, text, kind, message):
    with pytest.raises(GeneTableError, match=message):
        read_gene_table(_write(tmp_path, text), space, kind=kind)


def test_gene_table_segments_follow_the_space(tmp_path):
    p = _write(tmp_path, "[imc]\nadc_bits = [4]\n")
    with pytest.raises(GeneTableError, match=r"unknown table \[imc\]; hardware tables of this space: \[accelerator\]"):
        read_gene_table(p, make_space("cell", "dataflow"), kind="grid")
    backbone = make_space("backbone", "imc", imc_per_group=("adc_bits",))
    p = _write(tmp_path, "[imc.adc_bits]\nconv1 = [4, 6]\n")
    assert read_gene_table(p, backbone, kind="grid") == {"imc.adc_bits.conv1": [4, 6]}
    with pytest.raises(GeneTableError, match="cannot read proxy file"):
        read_gene_table(tmp_path / "none.toml", backbone, kind="proxy")
    with pytest.raises(ValueError, match="kind"):
        read_gene_table(p, backbone, kind="table")

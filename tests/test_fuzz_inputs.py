"""Fuzz every input format the package reads (hypothesis): each either loads, or raises the
package's error type (:class:`EvoCodesignError`) naming the file, key or column at fault. Never a
traceback, whatever the bytes.

Formats: config TOML, accelerator TOML (dataflow, imc and hybrid targets, through what
`evo-codesign cost` runs), layers CSV, grid and proxy TOML, genotypes JSON, and a run directory's
run.json, checkpoint.pkl, evaluations.sqlite and front.csv. Documents are valid ones with keys set to
random values, unknown keys added, keys deleted or tables replaced, and their bytes truncated,
overwritten, prefixed with a byte-order mark or replaced by noise.

With ``EVO_FUZZ_REPORT=FILE`` set, nothing is asserted: each example's outcome (loaded, a package
error naming the file or key, a package error naming neither, another exception) is appended to
FILE as one JSON line, which is how the before/after counts of issue 16 were taken (the same file
run against an older checkout on PYTHONPATH); ``EVO_FUZZ_EXAMPLES`` sets the examples per format.
"""

import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evo_codesign.errors import EvoCodesignError

EXAMPLES = Path(__file__).resolve().parents[1] / "benchmarks" / "examples"
#: examples per format (``EVO_FUZZ_EXAMPLES`` raises it for a longer campaign)
N_EXAMPLES = int(os.environ.get("EVO_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=N_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)

scalars = st.one_of(st.integers(min_value=-2 ** 70, max_value=2 ** 70), st.floats(allow_nan=True, width=64),
                    st.booleans(), st.text(max_size=8))
values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                   st.dictionaries(st.text(max_size=6), c, max_size=3)),
                      max_leaves=6)


# -- serialising ---------------------------------------------------------------------------------

def _key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_val(x)}" for k, x in v.items()) + "}"


def to_toml(doc: dict) -> str:
    top = [f"{_key(k)} = {_val(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    tables = [f"[{_key(k)}]\n" + "\n".join(f"{_key(a)} = {_val(b)}" for a, b in v.items())
              for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(top + tables) + "\n"


# -- mutations -----------------------------------------------------------------------------------

@st.composite
def mutated(draw, base: dict, keys: list[tuple[str, ...]]):
    """``base`` with 1-3 edits: a known key set to a random value, an unknown key, a key deleted, a
    table replaced by a scalar. Returns the document and the names it touched."""
    doc = json.loads(json.dumps(base))
    touched = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(keys))
        edit = draw(st.sampled_from(["set", "set", "unknown", "delete", "scalar_table"]))
        node = doc
        for p in path[:-1]:
            node = node.setdefault(p, {}) if isinstance(node, dict) else {}
        if not isinstance(node, dict):
            continue
        if edit == "set":
            node[path[-1]] = draw(values)
        elif edit == "unknown":
            node[draw(st.text(min_size=1, max_size=6))] = draw(values)
        elif edit == "delete":
            node.pop(path[-1], None)
        elif path[:-1]:
            doc[path[0]] = draw(scalars)
        touched.append(path[-1])
    return doc, touched


@st.composite
def damaged(draw, data: bytes):
    """``data`` truncated, overwritten in places, BOM-prefixed or replaced by noise."""
    how = draw(st.sampled_from(["truncate", "overwrite", "bom", "noise", "empty", "insert"]))
    if how == "truncate":
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if how == "overwrite" and data:
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            b[draw(st.integers(0, len(b) - 1))] = draw(st.integers(0, 255))
        return bytes(b)
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "insert":
        i = draw(st.integers(0, len(data)))
        return data[:i] + draw(st.binary(min_size=1, max_size=16)) + data[i:]
    if how == "empty":
        return b""
    return draw(st.binary(max_size=256))


def loads_or_names(fn, *names):
    """``fn()`` returns, or raises an EvoCodesignError whose message names one of ``names``."""
    report = os.environ.get("EVO_FUZZ_REPORT")
    if report:
        return _report(report, fn, names)
    try:
        fn()
    except EvoCodesignError as e:
        msg = str(e)
        assert msg and "\n" not in msg.strip(), msg
        assert any(n and str(n) in msg for n in names), f"{msg!r} names none of {names}"


def _report(report, fn, names):
    import inspect

    test = next(f.function for f in inspect.stack() if f.function.startswith("test_"))
    try:
        fn()
        outcome = "loaded"
    except EvoCodesignError as e:
        outcome = "named" if any(n and str(n) in str(e) for n in names) else "unnamed"
    except Exception as e:  # noqa: BLE001 - counting what the old code raised is the point
        outcome = f"other:{type(e).__name__}"
    with open(report, "a") as f:
        f.write(json.dumps({"test": test, "outcome": outcome}) + "\n")


def _keys(doc, prefix=()):
    out = []
    for k, v in doc.items():
        out.append(prefix + (k,))
        if isinstance(v, dict):
            out += _keys(v, prefix + (k,))
    return out


def _file(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


# -- config, accelerator descriptions, grids, proxies ------------------------------------------------

CONFIG = {"seed": 3, "space": {"neural": "cell", "hardware": "hybrid", "protocol": "nb301"},
          "search": {"objectives": ["accuracy", "latency"], "pop_size": 20, "budget": 100, "crossover_prob": 0.7},
          "constraints": {"area_mm2_max": 50.0, "buffer_capacity": True}, "surrogate": {"name": "embedded"},
          "precision": {"degradation": True}, "run": {"n_jobs": 1, "checkpoint_every": 5}}


@FUZZ
@given(mutated(CONFIG, _keys(CONFIG)))
def test_config_toml(case):
    from evo_codesign.config import load_config

    doc, touched = case
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), "c.toml", to_toml(doc).encode())
        loads_or_names(lambda: load_config(p), str(p))


@FUZZ
@given(st.data())
def test_config_toml_bytes(data):
    from evo_codesign.config import load_config

    raw = data.draw(damaged(to_toml(CONFIG).encode()))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), "c.toml", raw)
        loads_or_names(lambda: load_config(p), str(p))


def _accelerators():
    docs = {}
    for name in ("accelerator_example.toml", "imc_example.toml", "hybrid_example.toml"):
        import tomllib
        docs[name] = tomllib.loads((EXAMPLES / name).read_text())
    return docs


ACCS = _accelerators()


@FUZZ
@given(st.sampled_from(sorted(ACCS)), st.data())
def test_accelerator_toml_through_the_cost_command(name, data):
    from evo_codesign.backends.report import cost_rows

    base = ACCS[name]
    extra = [("constants", "sar_power_base_uw"), ("constants", "e_mac_pj")]
    doc, touched = data.draw(mutated(base, _keys(base) + extra))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), name, to_toml(doc).encode())
        loads_or_names(lambda: cost_rows(str(EXAMPLES / "layers_example.csv"), str(p)), str(p), *touched,
                       *[k[-1] for k in _keys(base)], "target", "constants")


@FUZZ
@given(st.sampled_from(sorted(ACCS)), st.data())
def test_accelerator_toml_bytes(name, data):
    from evo_codesign.backends.report import cost_rows

    raw = data.draw(damaged((EXAMPLES / name).read_bytes()))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), name, raw)
        loads_or_names(lambda: cost_rows(str(EXAMPLES / "layers_example.csv"), str(p)), str(p), "target",
                       *[k[-1] for k in _keys(ACCS[name])], "constants")


GRID = {"accelerator": {"dataflow": ["nvdla", "systolic_ws"], "array_rows": [4, 16]},
        "imc": {"adc_bits": [4, 6], "input_bits": {"stage0": [4, 8]}}}
PROXY = {"accelerator": {"dataflow": "nvdla", "array_rows": 16}, "imc": {"adc_bits": 6}}


@FUZZ
@given(st.sampled_from(["grid", "proxy"]), st.data())
def test_grid_and_proxy_toml(kind, data):
    from evo_codesign.io.gene_tables import read_gene_table
    from evo_codesign.space import make_space

    base = GRID if kind == "grid" else PROXY
    doc, _ = data.draw(mutated(base, _keys(base)))
    raw = to_toml(doc).encode() if data.draw(st.booleans()) else data.draw(damaged(to_toml(base).encode()))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), f"{kind}.toml", raw)
        loads_or_names(lambda: read_gene_table(p, make_space("cell", "hybrid"), kind=kind), str(p))


# -- layers CSV, genotypes JSON -------------------------------------------------------------------------

cells = st.one_of(st.integers(min_value=-10, max_value=2 ** 45).map(str), st.sampled_from(
    ["", "x", "1.5", "conv", "dwconv", "linear", "max_pool", "global_avg_pool", "10" * 20, "-0", " 3 "]))


@FUZZ
@given(st.data())
def test_layers_csv(data):
    from evo_codesign.cost.layers_csv import read_layers_csv

    text = (EXAMPLES / "layers_example.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    if data.draw(st.booleans()):  # edit cells, add columns or fields
        rows = [ln.split(",") for ln in lines[1:]]
        for _ in range(data.draw(st.integers(1, 4))):
            r = data.draw(st.integers(0, len(rows) - 1))
            c = data.draw(st.integers(0, len(rows[r])))
            if c == len(rows[r]):
                rows[r].append(data.draw(cells))
            else:
                rows[r][c] = data.draw(cells)
        if data.draw(st.booleans()):
            header = header + [data.draw(st.sampled_from(["op", "K", "pad", "groups", "extra"]))]
        raw = "\n".join([",".join(header)] + [",".join(r) for r in rows]).encode()
    else:
        raw = data.draw(damaged(text.encode()))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), "layers.csv", raw)
        loads_or_names(lambda: read_layers_csv(p), str(p))


GENOTYPE = {"name": "mine", "normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1]] * 4,
            "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1]] * 4}


@FUZZ
@given(st.data())
def test_genotypes_json(data):
    from evo_codesign.io.genotypes import load_genotypes

    if data.draw(st.booleans()):
        doc, _ = data.draw(mutated(GENOTYPE, _keys(GENOTYPE)))
        raw = json.dumps(data.draw(st.sampled_from([[doc], doc, {"group": {"a": doc}}]))).encode()
    else:
        raw = data.draw(damaged(json.dumps([GENOTYPE]).encode()))
    with tempfile.TemporaryDirectory() as tmp:
        p = _file(Path(tmp), "g.json", raw)
        loads_or_names(lambda: load_genotypes(p), str(p))


# -- run directories ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    from evo_codesign.config import load_config
    from evo_codesign.search import run_search

    d = tmp_path_factory.mktemp("fuzz-run") / "r"
    cfg = load_config(overrides={"search.pop_size": 10, "search.budget": 60, "run.checkpoint_every": 2})
    run_search(cfg, d)
    return d


def _copy(src: Path, tmp: Path) -> Path:
    d = tmp / "r"
    shutil.copytree(src, d)
    return d


def _loads_with(finished_run: Path, name: str, raw: bytes, load) -> None:
    """A copy of the finished run with file ``name`` replaced by ``raw``: ``load(copy)`` loads or
    raises an error naming the run."""
    with tempfile.TemporaryDirectory() as tmp:
        d = _copy(finished_run, Path(tmp))
        (d / name).write_bytes(raw)
        loads_or_names(lambda: load(d), str(d))


def _run_config(d):
    try:
        from evo_codesign.search import run_config
    except ImportError:  # an older checkout (EVO_FUZZ_REPORT): what its resume read
        from evo_codesign.config import config_from_dict
        from evo_codesign.io.rundir import RunDir
        return config_from_dict(RunDir.open(d).info()["config"])
    return run_config(d)


@FUZZ
@given(st.data())
def test_run_json(finished_run, data):

    info = json.loads((finished_run / "run.json").read_text())
    if data.draw(st.booleans()):
        doc, _ = data.draw(mutated(info, _keys({k: info[k] for k in ("seed", "strategy", "config")})))
        raw = json.dumps(doc).encode()
    else:
        raw = data.draw(damaged((finished_run / "run.json").read_bytes()))
    _loads_with(finished_run, "run.json", raw, _run_config)


@FUZZ
@given(st.data())
def test_checkpoint_pkl(finished_run, data):
    from evo_codesign.engine import resume_state
    from evo_codesign.io.rundir import RunDir

    raw = data.draw(damaged((finished_run / "checkpoint.pkl").read_bytes()))
    _loads_with(finished_run, "checkpoint.pkl", raw, lambda d: resume_state(RunDir.open(d)))


@FUZZ
@given(st.data())
def test_evaluation_log(finished_run, data):
    from evo_codesign.engine import resume_state
    from evo_codesign.io.rundir import RunDir

    with tempfile.TemporaryDirectory() as tmp:
        d = _copy(finished_run, Path(tmp))
        log = d / "evaluations.sqlite"
        if data.draw(st.booleans()):
            log.write_bytes(data.draw(damaged(log.read_bytes())))
        else:
            with sqlite3.connect(log) as db:
                n = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
                i = data.draw(st.integers(1, n))
                if data.draw(st.booleans()):
                    db.execute("DELETE FROM rows WHERE id >= ?", (i,))
                else:
                    col = data.draw(st.sampled_from(["f", "g", "x", "extra", "key", "layout"]))
                    value = data.draw(st.one_of(st.text(max_size=12), st.binary(max_size=24), st.integers(-3, 9)))
                    db.execute(f"UPDATE rows SET {col} = ? WHERE id = ?", (value, i))
        loads_or_names(lambda: resume_state(RunDir.open(d)), str(d))


@FUZZ
@given(st.data())
def test_front_csv(finished_run, data):
    from evo_codesign.search import load_front

    raw = data.draw(damaged((finished_run / "front.csv").read_bytes()))
    _loads_with(finished_run, "front.csv", raw, load_front)

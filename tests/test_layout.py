"""The house rules, checked: no import circles in the package, the evaluator and ``--help`` load
no heavy libraries, and modules and functions stay small (numerical kernels excepted, by name)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "evo_codesign"
HEAVY = ("pymoo", "numba", "pandas", "scipy", "matplotlib")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
#: Numba kernels and their model code: one physical model per kernel, kept whole on purpose
#: (splitting a kernel body would cost inlining and make the model harder to check against its
#: pure-Python reference).
KERNEL_FUNCTIONS = {"cost/dataflow.py:_layer", "cost/crossbar.py:_layer_cost", "cost/reference.py:reference_layer_cost",
                    "cost/reference_crossbar.py:layer_cost"}
KERNEL_MODULES = {"cost/dataflow.py", "cost/crossbar.py"}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _top_level_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Package modules imported when ``name`` is imported (module level only; function-level
    imports are lazy on purpose)."""
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("evo_codesign")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("evo_codesign"):
                continue
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules}
    targets = set()
    for t in found:
        while t and t not in modules:
            t = t.rpartition(".")[0]
        parts = t.split(".")
        for k in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            targets.add(".".join(parts[:k]))
    ancestors = {".".join(name.split(".")[:k]) for k in range(1, len(name.split(".")) + 1)}
    return targets - ancestors


def test_no_import_circles():
    modules = _modules()
    graph = {m: _top_level_imports(m, p, modules) for m, p in modules.items()}
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = 1
        stack.append(m)
        for t in graph.get(m, ()):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t, stack)
        stack.pop()
        state[m] = 2
    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def _loaded_after(code: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(set(m.split('.')[0] "
                        "for m in sys.modules))))"], capture_output=True, text=True, check=True)
    return [m for m in HEAVY if m in r.stdout.split()]


def test_the_evaluator_loads_no_pymoo():
    assert "pymoo" not in _loaded_after("import evo_codesign.evaluate")


@pytest.mark.parametrize("argv", [["--help"], ["compare", "--help"], ["run", "--help"], ["tune", "--help"],
                                  ["cost", "--help"], ["predict", "--help"]])
def test_help_loads_no_heavy_library(argv):
    code = ("import contextlib, io\nfrom evo_codesign.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        main({argv!r})\n    except SystemExit:\n        pass")
    assert _loaded_after(code) == []


def test_modules_and_functions_stay_small():
    too_long = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).as_posix()
        lines = p.read_text().splitlines()
        if len(lines) > MAX_MODULE_LINES and rel not in KERNEL_MODULES:
            too_long.append(f"{rel}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and f"{rel}:{node.name}" not in KERNEL_FUNCTIONS:
                    too_long.append(f"{rel}:{node.name}: {n} lines")
    assert not too_long, "over the size limits: " + ", ".join(too_long)


def test_library_modules_do_not_print():
    offenders = []
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).as_posix()
        if rel.startswith("cli/"):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, "print() outside the CLI: " + ", ".join(offenders)

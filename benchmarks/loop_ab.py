"""The search loop of this source tree against another's, in one process, runs alternated.

    python benchmarks/loop_ab.py --against CHECKOUT [--evaluator trivial|real] [--generations 120] [--pairs 10]

``CHECKOUT`` is another source tree of the package (``git worktree add /tmp/old <commit>``). Its
``evo_codesign`` is copied into a temporary folder under another name (its absolute imports of
the package renamed), so both versions load into this one process; then each pair of trials
runs the other version's loop and this one's back to back, every trial a ``--generations`` run
minus a 10-generation run of the same version (the marginal cost per generation, in CPU
seconds of this process). Between separate processes, or minutes apart, this shared machine's
speed moves by tens of percent; within a pair it mostly does not, so the pairs' ratios resolve
differences of about 10 % that ``search_speed.py``'s separate loops cannot. The script prints
every pair, the median ratio, and in how many pairs this tree was the faster.

``--evaluator trivial``: the weighted-sum problem of ``search_speed.py`` (what the issue's
1.5x-of-bare-pymoo target measures); ``real``: the default hybrid evaluator.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_OTHER = "evo_codesign_other"


def _copy_package(checkout: Path, into: Path) -> None:
    src = checkout / "evo_codesign"
    if not (src / "__init__.py").exists():
        sys.exit(f"{checkout} holds no evo_codesign package (expected {src}/__init__.py)")
    dst = into / _OTHER
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    pattern = re.compile(r"\bevo_codesign(?=[.\s])")
    for py in dst.rglob("*.py"):
        text = py.read_text()
        # import statements and package-data lookups; other names in strings and docs stay as they are
        lines = [pattern.sub(_OTHER, ln) if ln.lstrip().startswith(("from evo_codesign", "import evo_codesign"))
                 else ln.replace('files("evo_codesign', f'files("{_OTHER}') for ln in text.splitlines(keepends=True)]
        py.write_text("".join(lines))


def _loop(pkg: str, kind: str, generations: int):
    """(marginal CPU seconds per generation of one trial) for package ``pkg``."""
    config = importlib.import_module(pkg + ".config")
    search = importlib.import_module(pkg + ".search")
    evaluate = importlib.import_module(pkg + ".evaluate")
    cfgs = [config.load_config(overrides={"search.pop_size": 50, "search.budget": 50 * g}) for g in (generations, 10)]
    space = search.space_for(cfgs[0])
    real = evaluate.build_evaluator(cfgs[0], space)
    real(space.sample(np.random.default_rng(0), 8))  # kernels compiled / loaded before timing
    if kind == "trivial":
        from search_speed import Trivial
        evaluator = Trivial(space.n_var, len(real(space.sample(np.random.default_rng(1), 1)).extras))
    else:
        evaluator = real

    def once(cfg) -> tuple[float, int]:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.process_time()
            r = search.run_search(cfg, f"{d}/run", evaluator=evaluator, progress=False, check_constraints=False)
            return time.process_time() - t0, r.generations

    once(cfgs[1])

    def trial() -> float:
        (long_s, long_g), (short_s, short_g) = once(cfgs[0]), once(cfgs[1])
        return (long_s - short_s) / max(long_g - short_g, 1)
    return trial


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", required=True, help="another source tree of the package")
    ap.add_argument("--evaluator", choices=("trivial", "real"), default="trivial")
    ap.add_argument("--generations", type=int, default=120)
    ap.add_argument("--pairs", type=int, default=10)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # search_speed's trivial problem
    with tempfile.TemporaryDirectory() as d:
        _copy_package(Path(args.against).resolve(), Path(d))
        sys.path.insert(0, d)
        other = _loop(_OTHER, args.evaluator, args.generations)
        this = _loop("evo_codesign", args.evaluator, args.generations)
        pairs = [(other(), this()) for _ in range(args.pairs)]
    ratios = sorted(t / o for o, t in pairs)
    print(f"search loop, {args.evaluator} evaluator, {args.generations} generations minus 10, population 50; "
          f"CPU ms per generation, other ({args.against}) / this, pair by pair:")
    print("  " + "  ".join(f"{o * 1e3:.2f}/{t * 1e3:.2f}" for o, t in pairs))
    print(f"this / other: median {float(np.median(ratios)):.3f}x (from {ratios[0]:.3f}x to {ratios[-1]:.3f}x); "
          f"this tree faster in {sum(t < o for o, t in pairs)} of {len(pairs)} pairs")


if __name__ == "__main__":
    main()

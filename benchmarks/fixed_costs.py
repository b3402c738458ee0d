"""The one-time and per-call costs the speed work removed, each old way against the new, in one run.

    python benchmarks/fixed_costs.py [--repeats 7]

What each line measures (the fastest of ``--repeats``; the figures the code's comments quote):

* distinct rows of a batch of 50 genomes: ``np.unique(axis=0)`` against the evaluator's
  ``_unique_rows`` (one opaque value per row);
* the search loop's genome steps on 50 genomes: canonical cells node by node (the code until
  97c381e) against in one step, the joint repair segment by segment against one clip, the cost
  glue's MAC-layer test (``np.isin`` against ``workload.layers.op_in``), and crossover and
  mutation through pymoo's base ``do`` against ours (the same results, checked);
* the canonical keys of 100 individuals: through pymoo's ``Population.get("X")`` against
  ``CanonicalKeys.of_population``;
* the embedded surrogate's out-of-distribution domain: computing the leave-one-out threshold
  against reading the stored one; and the whole domain from scratch (time, peak memory);
* one full garbage collection with everything a comparison has imported and built alive, against
  the same inside ``runner.frozen_heap``;
* the interpreter's exit after a small comparison from ``evo-codesign``'s ``main``: called as from
  Python (``main(argv)``, nothing frozen) against as the executable (``main()``, heap frozen);
* importing scipy.stats in a process that has imported the package (what semi-decoupled search's
  workers no longer pay), and the report's figure modules (matplotlib);
* saving the main job's 2-D fronts figure with ``bbox_inches="tight"``, without (its constrained
  layout already fits it), and in one draw (``plot.base._png_in_one_draw``: savefig draws a
  constrained figure twice); and writing its pixels: savefig's PNG writer (RGBA, zlib level 6)
  against the package's (RGB when opaque, level 3; the same pixels, checked);
* reading a run's archive metrics (2,000 logged designs): an ``EvaluationRow`` per row against
  ``io.log_columns.metric_columns``;
* what a run writes to disk (no old way): one generation's rows in one transaction, and a
  checkpoint's log sync, pickle and atomic write;
* NSGA-II's survival (100 individuals, 50 survive) and 100 binary tournaments on the main job's
  population: pymoo's ``RankAndCrowding`` and ``binary_tournament`` against
  :mod:`evo_codesign.nsga2`'s (the same survivors and winners, checked);
* a run's ``front.parquet``: pandas' ``to_parquet`` against ``io.rundir.parquet_bytes`` (one
  Arrow array per column; the same frame read back, checked); a front's decoded columns, row by
  row against each segment once per distinct value (``io.frames._decoded_rows``; the same,
  checked); limiting BLAS to one thread for a block: ``threadpool_limits`` against
  ``runner.one_blas_thread`` with its kept controller; a forked child's CPU seconds (all its
  threads) for 200 small products 2 ms apart, forked with BLAS threads against forked inside
  ``one_blas_thread`` (no BLAS threads started: they spin after each call);
* the rank heatmap's matrix of a small comparison's fronts: every candidate accelerator costed on
  all 50 cells against first on 3 (``rank_agreement._latency_classes``): (design, cell) pairs
  costed and seconds, the same matrix (checked).
"""

from __future__ import annotations

import argparse
import gc
import io
import subprocess
import sys
import tempfile
import time
import timeit

import numpy as np

_EXIT = """
import sys, time
from evo_codesign.cli import main
argv = ["compare", "--repeats", "1", "--budget", "400", "--n-jobs", "1", "--no-progress", "--out", sys.argv[1]]
if sys.argv[2] == "executable":
    sys.argv = ["evo-codesign", *argv]
    main()
else:
    main(argv)
print(time.time(), flush=True)
"""


def _best(fn, repeats: int, number: int = 1) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeats)) / number


def _exit_seconds(mode: str, repeats: int) -> float:
    out = []
    for k in range(repeats):
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.run([sys.executable, "-c", _EXIT, f"{d}/c{k}", mode], capture_output=True, text=True,
                               check=True)
            out.append(time.time() - float(p.stdout.strip().splitlines()[-1]))
    return min(out)


def _heatmap_pairs(fronts, repeats: int) -> None:
    """The rank heatmap's matrix with every candidate costed on every cell against now."""
    from evo_codesign import rank_agreement as ra
    from evo_codesign.config import load_config

    cfg = load_config(overrides={"search.budget": 400})
    evaluator = ra.build_evaluator(cfg, ra.space_for(cfg))
    latencies, signature, pairs = ra._latencies, ra._SIGNATURE_CELLS, []

    def counted(ev, networks, hardware):
        pairs.append(len(networks) * len(hardware))
        return latencies(ev, networks, hardware)

    def matrix(cells: int):
        ra._SIGNATURE_CELLS = cells
        pairs.clear()
        M = ra.rank_matrix(cfg, fronts, evaluator=evaluator)
        return M, sum(pairs), _best(lambda: ra.rank_matrix(cfg, fronts, evaluator=evaluator), repeats)

    ra._latencies = counted
    try:
        (m_old, p_old, t_old), (m_new, p_new, t_new) = matrix(50), matrix(signature)
    finally:
        ra._latencies, ra._SIGNATURE_CELLS = latencies, signature
    same = m_old.equals(m_new)
    print(f"rank heatmap matrix ({len(m_new)} accelerators): every candidate on all 50 cells {p_old:,} pairs "
          f"{t_old:.3f} s, on {signature} cells first {p_new:,} pairs {t_new:.3f} s; the same matrix: {same}")


def _durable_io(rd, repeats: int) -> None:
    """What a run writes beyond the search: one generation's 50 new rows in one transaction, and
    a checkpoint (the log made durable, the state pickled, written atomically)."""
    import pickle

    from evo_codesign.io.rundir import atomic_write_bytes

    state, log, rng = rd.load_checkpoint(), rd.log, np.random.default_rng(9)
    rows = log.rows()
    names = tuple(rows[0].extra)
    X = np.array([rows[0].x] * 50)

    def generation():
        keys = [rng.bytes(16) for _ in range(50)]  # new designs
        log.append_arrays(keys, 10_000, X, np.zeros((50, len(rows[0].f))), np.zeros((50, len(rows[0].g))),
                          {m: np.zeros(50) for m in names})

    append = _best(generation, repeats, 5)
    syncs = []
    for _ in range(max(3, repeats)):  # a sync with a generation's rows to make durable, as a checkpoint finds
        generation()
        t = time.perf_counter()
        log.sync()
        syncs.append(time.perf_counter() - t)
    sync = min(syncs)
    dump = _best(lambda: pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), repeats, 5)
    blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    write = _best(lambda: atomic_write_bytes(rd.path / "checkpoint.pkl", blob), repeats, 5)
    print(f"durable I/O: a generation's 50 rows in one transaction {append * 1e3:.2f} ms; a checkpoint: log sync "
          f"{sync * 1e3:.2f} ms, pickle {dump * 1e3:.2f} ms ({len(blob) / 1e3:.0f} KB), atomic write "
          f"{write * 1e3:.2f} ms (every 20 generations by default)")
    log.close()


def _canonicalize_per_node(A: np.ndarray) -> np.ndarray:
    """``space.cell.canonicalize`` as it was until 97c381e: each of the 8 nodes in its own steps."""
    from evo_codesign.space.cell import N_NODES, OPS, _op_pos

    A = A.copy()
    for c in range(2):
        for k in range(N_NODES):
            pa, pb = _op_pos(c, 2 * k), _op_pos(c, 2 * k + 1)
            swap = A[:, pb + 1] * len(OPS) + A[:, pb] < A[:, pa + 1] * len(OPS) + A[:, pa]
            if swap.any():
                tmp = A[swap, pa:pa + 2].copy()
                A[swap, pa:pa + 2] = A[swap, pb:pb + 2]
                A[swap, pb:pb + 2] = tmp
    return A


def _genome_steps(space, repeats: int) -> None:
    """The search loop's genome steps on 50 genomes, old way against new: canonical cells, the
    joint repair, the op-code test of the cost glue, crossover and mutation (pymoo's base ``do``
    against ours; the same genomes, checked)."""
    import types

    from pymoo.core.crossover import Crossover
    from pymoo.core.mutation import Mutation
    from pymoo.core.population import Population

    from evo_codesign.operators import BlockUniformCrossover, SpaceMutation
    from evo_codesign.space.cell import canonicalize
    from evo_codesign.workload.layers import MAC_OPS, op_in

    rng = np.random.default_rng(5)
    X = space.sample(rng, 50)
    C = X[:, space.slices["cell"]]
    same = np.array_equal(_canonicalize_per_node(C), canonicalize(C))
    old, new = _best(lambda: _canonicalize_per_node(C), repeats, 200), _best(lambda: canonicalize(C), repeats, 200)
    print(f"canonical cells of 50 genomes: node by node {old * 1e6:.0f} us, in one step {new * 1e6:.0f} us; "
          f"the same: {same}")
    raw = X.copy()
    raw[::3, -1] = 99

    def per_segment():
        return np.concatenate([s.repair(raw[:, space.slices[s.name]]) for s in space.segments], axis=1)
    same = np.array_equal(per_segment(), space.repair(raw))
    old, new = _best(per_segment, repeats, 200), _best(lambda: space.repair(raw), repeats, 200)
    print(f"repair of 50 joint genomes: segment by segment {old * 1e6:.0f} us, one clip {new * 1e6:.0f} us; "
          f"the same: {same}")
    ops = rng.integers(0, 6, 40).astype(np.int8)
    old, new = _best(lambda: np.isin(ops, MAC_OPS), repeats, 500), _best(lambda: op_in(ops, MAC_OPS), repeats, 500)
    print(f"MAC layers of a 40-layer table: np.isin {old * 1e6:.1f} us, op_in {new * 1e6:.1f} us; the same: "
          f"{np.array_equal(np.isin(ops, MAC_OPS), op_in(ops, MAC_OPS))}")
    problem = types.SimpleNamespace(n_var=space.n_var)
    pop, parents = Population.new("X", space.sample(rng, 100)), rng.integers(0, 100, (25, 2))
    cx, mu = BlockUniformCrossover(space), SpaceMutation(space)
    off = cx.do(problem, pop, parents, seed=1)

    def crossed(do):
        return do(problem, pop, parents, random_state=np.random.default_rng(1))

    def mutated(do, target=None):  # in place, as a search mutates its children
        return do(problem, target if target is not None else Population.new("X", off.get("X")),
                  random_state=np.random.default_rng(1))
    theirs_cx, theirs_mu = (lambda *a, **k: Crossover.do(cx, *a, **k)), (lambda *a, **k: Mutation.do(mu, *a, **k))
    same = (np.array_equal(crossed(cx.do).get("X"), crossed(theirs_cx).get("X"))
            and np.array_equal(mutated(mu.do).get("X"), mutated(theirs_mu).get("X")))
    kept = Population.new("X", off.get("X"))
    times = [_best(lambda: crossed(theirs_cx), repeats, 50), _best(lambda: crossed(cx.do), repeats, 50),
             _best(lambda: mutated(theirs_mu, kept), repeats, 50), _best(lambda: mutated(mu.do, kept), repeats, 50)]
    print(f"crossover of 25 matings: pymoo's do {times[0] * 1e6:.0f} us, ours {times[1] * 1e6:.0f} us; mutation of 50: "
          f"pymoo's do {times[2] * 1e6:.0f} us, ours {times[3] * 1e6:.0f} us; the same genomes: {same}")


def _log_and_selection(cfg, d: str, repeats: int) -> None:
    """The archive's log read and NSGA-II's selection steps, old against new."""
    from pymoo.algorithms.moo.nsga2 import binary_tournament
    from pymoo.core.population import Population
    from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

    from evo_codesign.io.evaluation_log import EvaluationLog
    from evo_codesign.io.log_columns import metric_columns
    from evo_codesign.io.rundir import RunDir
    from evo_codesign.nsga2 import RankAndCrowdingSurvival, dominance_and_crowding_tournament
    from evo_codesign.strategies.api import run_strategy

    r = run_strategy("coupled", cfg, 1, f"{d}/coupled")
    log = EvaluationLog(r.final_run / "evaluations.sqlite", readonly=True)
    names = ("latency_ms", "energy_mj", "area_mm2", "accuracy")
    old = _best(lambda: [{m: float(row.extra[m]) for m in names} for row in log.rows()], repeats)
    new = _best(lambda: metric_columns(log, names), repeats)
    print(f"archive metrics of {log.count():,} logged designs: a row object each {old * 1e3:.1f} ms, "
          f"metric_columns {new * 1e3:.1f} ms ({old / new:.1f}x)")
    _durable_io(RunDir(r.final_run), repeats)
    algo = RunDir(r.final_run).load_checkpoint().algorithm  # the run's NSGA-II as it ended
    pop, problem = algo.pop, algo.problem
    merged = Population.merge(pop, algo.off)
    P = np.random.default_rng(0).integers(0, len(pop), (100, 2))

    def survive(cls):
        return cls().do(problem, merged, n_survive=len(pop), random_state=np.random.default_rng(3))

    same = np.array_equal(survive(RankAndCrowding).get("X"), survive(RankAndCrowdingSurvival).get("X"))
    old = _best(lambda: survive(RankAndCrowding), repeats, 20)
    new = _best(lambda: survive(RankAndCrowdingSurvival), repeats, 20)

    def tournament(fn):
        algo.random_state = np.random.default_rng(4)
        return fn(pop, P, algorithm=algo)

    same = same and np.array_equal(tournament(binary_tournament), tournament(dominance_and_crowding_tournament))
    old_t = _best(lambda: tournament(binary_tournament), repeats, 20)
    new_t = _best(lambda: tournament(dominance_and_crowding_tournament), repeats, 20)
    print(f"NSGA-II survival of {len(merged)} individuals: pymoo {old * 1e3:.2f} ms, arrays {new * 1e3:.2f} ms; "
          f"100 tournaments: pymoo {old_t * 1e3:.2f} ms, arrays {new_t * 1e3:.2f} ms; the same survivors and "
          f"winners: {same}")


def _front_decoding_and_blas(space, repeats: int) -> None:
    from threadpoolctl import threadpool_limits

    from evo_codesign.io.frames import _decoded_rows, flatten_decoded
    from evo_codesign.runner import one_blas_thread

    X = space.sample(np.random.default_rng(5), 50)
    X[25:] = X[:25]  # a front repeats designs, cells and accelerators
    X[10:20, space.slices["cell"]] = X[0, space.slices["cell"]]
    old = _best(lambda: [flatten_decoded(space.decode(x)) for x in X], repeats, 5)
    new = _best(lambda: _decoded_rows(space, X), repeats, 5)
    same = [flatten_decoded(space.decode(x)) for x in X] == _decoded_rows(space, X)
    print(f"decoded columns of a 50-row front (25 designs): row by row {old * 1e3:.1f} ms, each segment once per "
          f"distinct value {new * 1e3:.1f} ms; the same: {same}")

    def limited(block) -> None:
        with block():
            pass

    old = _best(lambda: limited(lambda: threadpool_limits(limits=1, user_api="blas")), repeats, 20)
    new = _best(lambda: limited(one_blas_thread), repeats, 20)
    print(f"BLAS on one thread for a block (once per search phase): threadpool_limits {old * 1e3:.2f} ms, "
          f"one_blas_thread with its kept controller {new * 1e3:.3f} ms")
    _forked_blas()


def _forked_blas() -> None:
    """CPU seconds of a forked child (all its threads) making 200 small products 2 ms apart, as
    a worker's generations do, forked with BLAS as it is and forked inside ``one_blas_thread``."""
    import os

    from evo_codesign.runner import one_blas_thread

    A, B = np.random.default_rng(0).random((50, 100)), np.random.default_rng(1).random((100, 2000))

    def child() -> tuple[float, int]:
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                with one_blas_thread():  # as a search phase does
                    t = time.process_time()
                    for _ in range(200):
                        A @ B
                        time.sleep(0.002)
                    os.write(wr, f"{time.process_time() - t} {len(os.listdir('/proc/self/task'))}".encode())
            finally:
                os._exit(0)
        os.close(wr)
        cpu, threads = os.read(rd, 64).decode().split()
        os.waitpid(pid, 0)
        return float(cpu), int(threads)

    if not sys.platform.startswith("linux"):
        return
    A @ B  # BLAS's threads started, as in a process that has multiplied before
    free = min(child() for _ in range(3))
    with one_blas_thread():
        held = min(child() for _ in range(3))
    print(f"a forked worker's 200 small products 2 ms apart: forked with BLAS threads {free[0]:.2f} CPU-s "
          f"({free[1]} threads), forked inside one_blas_thread {held[0]:.2f} CPU-s ({held[1]} thread)")


def _front_parquet(fronts, repeats: int) -> None:
    import pandas as pd

    from evo_codesign.io.rundir import parquet_bytes

    front = fronts[fronts["strategy"] == fronts["strategy"].iloc[0]].dropna(axis=1, how="all").reset_index(drop=True)

    def pandas_way() -> bytes:
        buf = io.BytesIO()
        front.to_parquet(buf, index=False)
        return buf.getvalue()

    old, new = _best(pandas_way, repeats, 5), _best(lambda: parquet_bytes(front), repeats, 5)
    same = pd.read_parquet(io.BytesIO(pandas_way())).equals(pd.read_parquet(io.BytesIO(parquet_bytes(front))))
    print(f"front.parquet of a run's front ({front.shape[0]} rows, {front.shape[1]} columns): pandas' to_parquet "
          f"{old * 1e3:.1f} ms, column by column (io.rundir.parquet_bytes) {new * 1e3:.1f} ms; the same frame "
          f"read back: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    r = args.repeats
    from pymoo.core.population import Population

    from evo_codesign.compare import compare
    from evo_codesign.config import load_config
    from evo_codesign.evaluate import _unique_rows
    from evo_codesign.operators import CanonicalDuplicates
    from evo_codesign.runner import frozen_heap
    from evo_codesign.search import space_for
    from evo_codesign.surrogate.domain import TrainingDomain, embedded_domain, reference_cells
    from evo_codesign.surrogate.embedded import load_parameters

    cfg = load_config(overrides={"search.budget": 2000})
    space = space_for(cfg)
    X = space.sample(np.random.default_rng(0), 50)
    X[10:20] = X[3]
    cell = space.slices["cell"]
    old = _best(lambda: np.unique(X[:, cell], axis=0, return_index=True, return_inverse=True), r, 200)
    new = _best(lambda: _unique_rows(X[:, cell]), r, 200)
    print(f"distinct rows of 50 genomes: np.unique(axis=0) {old * 1e6:.0f} us, _unique_rows {new * 1e6:.0f} us "
          f"({old / new:.1f}x)")

    _genome_steps(space, r)
    pop = Population.new("X", space.sample(np.random.default_rng(1), 100))
    dup = CanonicalDuplicates(space)
    dup._keys(pop)  # the keys memorised, as in a search
    old = _best(lambda: dup.keys(pop.get("X")), r, 200)
    new = _best(lambda: dup.keys.of_population(pop), r, 200)
    print(f"keys of 100 individuals: via Population.get {old * 1e6:.0f} us, of_population {new * 1e6:.0f} us "
          f"({old / new:.1f}x)")

    prior = load_parameters()["prior"]
    cells = reference_cells(prior)
    old = _best(lambda: TrainingDomain.from_cells(cells, ""), r)
    new = _best(lambda: TrainingDomain.from_cells(cells, "", load_parameters()["domain"]["threshold"]), r)
    print(f"out-of-distribution domain (2,000 cells, after drawing them): threshold computed {old:.3f} s, "
          f"stored {new:.3f} s; the same threshold: "
          f"{TrainingDomain.from_cells(cells, '').threshold == embedded_domain().threshold}")
    import tracemalloc

    whole = _best(embedded_domain.__wrapped__, r)
    tracemalloc.start()
    embedded_domain.__wrapped__()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"the embedded domain from scratch (cells drawn, what EmbeddedSurrogate.prepare builds once): "
          f"{whole:.3f} s, {peak / 1e6:.0f} MB at its peak")

    with tempfile.TemporaryDirectory() as d:
        res = compare(load_config(overrides={"search.budget": 400}), f"{d}/c", repeats=1, plots=False)
        _log_and_selection(cfg, d, r)
    _heatmap_pairs(res.fronts, r)
    _front_parquet(res.fronts, r)
    _front_decoding_and_blas(space, r)
    import evo_codesign.plot.figures  # noqa: F401  (what a comparison with figures has alive)

    old = _best(gc.collect, r)
    with frozen_heap():
        new = _best(gc.collect, r)
    print(f"one full collection with a comparison's objects alive ({len(gc.get_objects()):,} tracked): "
          f"{old * 1e3:.0f} ms; inside frozen_heap (nothing created since) {new * 1e3:.2f} ms")

    old, new = _exit_seconds("python", max(3, r // 2)), _exit_seconds("executable", max(3, r // 2))
    print(f"interpreter exit after a small comparison: main(argv) {old:.2f} s, the executable's main() {new:.2f} s")

    def imported(what: str) -> float:  # in a fresh process that has imported the package
        probe = f"import time, evo_codesign.compare; t = time.perf_counter(); {what}; print(time.perf_counter() - t)"
        return min(float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                        check=True).stdout) for _ in range(max(3, r // 2)))

    print(f"importing scipy.stats after the package: {imported('import scipy.stats'):.2f} s; the report's "
          f"figure modules (matplotlib, mplot3d): "
          f"{imported('import evo_codesign.plot.figures, evo_codesign.plot.fronts, mpl_toolkits.mplot3d'):.2f} s")

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from evo_codesign.plot.base import _png_in_one_draw
    from evo_codesign.plot.fronts import fronts_figures
    from evo_codesign.plot.runs import objective_axis

    axes = [objective_axis(c[2:]) for c in res.fronts.columns if c.startswith("f_")]

    def saved(how: str) -> bytes:  # a fresh figure each time, as a report draws it
        fig = fronts_figures(res.fronts, axes, three_d=False)[0]
        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        if how == "one draw":
            _png_in_one_draw(fig, buf)
        else:
            fig.savefig(buf, format="png", dpi=150, bbox_inches="tight" if how == "tight" else None)
        return buf.getvalue()

    def pixels(png: bytes) -> np.ndarray:
        from PIL import Image
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))

    t = {how: _best(lambda: saved(how), max(3, r // 2)) for how in ("tight", "savefig", "one draw")}
    print(f"building and saving the 2-D fronts figure (1 seed x 4 strategies): tight {t['tight']:.2f} s, "
          f"constrained layout only {t['savefig']:.2f} s, in one draw {t['one draw']:.2f} s (the same pixels: "
          f"{np.array_equal(pixels(saved('savefig')), pixels(saved('one draw')))})")
    _png_writing(res.fronts, axes, r)


def _png_writing(fronts, axes, repeats: int) -> None:
    """Writing the drawn pixels of the 2-D fronts figure: savefig's writer (RGBA, zlib
    level 6) against ``plot.base._png_in_one_draw``'s (RGB when opaque, level 3)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.image import imsave
    from PIL import Image

    from evo_codesign.plot import base
    from evo_codesign.plot.fronts import fronts_figures

    fig = fronts_figures(fronts, axes, three_d=False)[0]
    FigureCanvasAgg(fig)
    fig.set_dpi(base._DPI)
    fig.canvas.draw()
    drawn = fig.canvas.draw
    fig.canvas.draw = lambda: None  # time the writing only: the pixels are drawn already

    def theirs() -> bytes:
        buf = io.BytesIO()
        imsave(buf, fig.canvas.buffer_rgba(), format="png", origin="upper", dpi=base._DPI)
        return buf.getvalue()

    def ours() -> bytes:
        buf = io.BytesIO()
        base._png_in_one_draw(fig, buf)
        return buf.getvalue()

    a, b = theirs(), ours()
    same = np.array_equal(np.asarray(Image.open(io.BytesIO(a)).convert("RGBA")),
                          np.asarray(Image.open(io.BytesIO(b)).convert("RGBA")))
    ta, tb = _best(theirs, repeats), _best(ours, repeats)
    fig.canvas.draw = drawn
    print(f"writing the 2-D fronts figure as PNG ({fig.canvas.get_width_height()[0]} px wide): "
          f"savefig's writer {ta * 1e3:.1f} ms ({len(a) // 1024} KB), ours {tb * 1e3:.1f} ms "
          f"({len(b) // 1024} KB; the same pixels: {same})")


if __name__ == "__main__":
    main()

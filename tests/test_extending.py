"""Extending the package: a toy hardware backend (with its own genome segment), a toy strategy and
a toy objective, each one definition plus its registration, are picked up by the configs, the
evaluator, ``compare`` and their contract suites with no other edit (README "Extending")."""

import time
from dataclasses import dataclass

import numpy as np
import pytest

from evo_codesign import backends, objectives, strategies
from evo_codesign.backends import Costs, HardwareBackend, Monotone
from evo_codesign.config import load_config
from evo_codesign.space.base import Gene, Segment
from evo_codesign.space.joint import register_segment
from evo_codesign.strategies._phase import Mapped, phase_info, result, run_phase
from evo_codesign.testing import BackendContract, ObjectiveContract, StrategyContract
from evo_codesign.workload.layers import layer_macs, layer_weight_params


# -- a backend: one module's worth ---------------------------------------------------------------
class ToyArraySegment(Segment):
    def __init__(self) -> None:
        super().__init__("toy_array", [Gene("pes", (16, 64, 256, 1024), ordinal=True, unit="PEs"),
                                       Gene("sram_kib", (64, 256, 1024), ordinal=True, unit="KiB")],
                         doc="a toy MAC array: PEs and on-chip SRAM")


class ToyBackend(HardwareBackend):
    """One MAC per PE per ns; 1 pJ per MAC plus 10 pJ per weight byte fetched; area from PEs and SRAM."""

    name = "toy"
    segments = ("toy_array",)
    monotone = (Monotone("toy_array.pes", "latency_ns", -1, "MACs spread over more PEs"),
                Monotone("toy_array.pes", "area_um2", +1, "more PEs"),
                Monotone("toy_array.sram_kib", "area_um2", +1, "more SRAM"))
    _PES = np.array([16.0, 64.0, 256.0, 1024.0])
    _SRAM = np.array([64.0, 256.0, 1024.0])

    def cost(self, space, X, workload, *, constants=None):
        shapes, counts = workload.shapes, workload.counts
        seg = X[:, space.slices["toy_array"]]
        pes, sram = self._PES[seg[:, 0]], self._SRAM[seg[:, 1]]
        macs = counts @ layer_macs(shapes).astype(float)
        weights = counts @ layer_weight_params(shapes).astype(float)
        zeros = np.zeros(len(X))
        return Costs(macs / pes + 1.0, macs + 10.0 * weights, 1e3 * pes + 5e3 * sram, zeros, zeros)


# -- a strategy ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RestartOptions:
    restarts: int = 2


class Restarts(strategies.Strategy):
    """Independent coupled restarts on equal shares of the budget; the last restart's front."""

    name = "restarts"
    Options = RestartOptions

    def check_options(self, options):
        if options.restarts < 1:
            raise ValueError("restarts must be at least 1")

    def run(self, ctx, options):
        t0, E = time.perf_counter(), ctx.embedding
        share = ctx.cfg.search.budget // options.restarts
        evals, dirs = [], []
        for k in range(options.restarts):
            out = ctx.phase_dir(self.name, f"restart{k + 1}")
            state, n = run_phase(ctx, E, Mapped(ctx.base, E), share, ctx.seed + k, out,
                                 phase_info(self.name, ctx.base, k + 1))
            evals.append(n)
            dirs.append(out)
        return result(ctx, self.name, E, state, evals, t0, dirs)


# -- an objective --------------------------------------------------------------------------------
MACS = objectives.Objective("macs", "min", "M MACs", "multiply-accumulates per inference", ("macs_m",),
                            lambda m: m["macs_m"])


@pytest.fixture(scope="module", autouse=True)
def registered():
    register_segment("toy_array", lambda neural, options: ToyArraySegment())
    backends.register(ToyBackend())
    strategies.register(Restarts())
    objectives.register(MACS)
    yield
    backends.unregister("toy")
    strategies.unregister("restarts")
    objectives.unregister("macs")


class TestToyBackend(BackendContract):
    @pytest.fixture
    def backend(self):
        return backends.get("toy")


class TestToyStrategy(StrategyContract):
    @pytest.fixture(scope="class")
    @classmethod
    def strategy_name(cls, registered):
        return "restarts"


class TestToyObjective(ObjectiveContract):
    @pytest.fixture
    def objective_name(self):
        return "macs"


def test_a_config_reaches_the_toys_by_name(tmp_path):
    from evo_codesign.compare import compare

    cfg = load_config(overrides={"seed": 2, "space.hardware": "toy", "search.objectives": ["accuracy", "macs",
                                                                                          "latency", "area"],
                                 "search.pop_size": 12, "search.budget": 96})
    res = compare(cfg, tmp_path / "cmp", strategies=["coupled", "restarts", "semi_decoupled"], repeats=1,
                  restarts=3, plots=False)
    assert set(res.per_run["strategy"]) == {"coupled", "restarts", "semi_decoupled"}
    assert (res.fronts["toy_array.pes"].isin([16, 64, 256, 1024])).all()
    assert res.per_run.loc[res.per_run.strategy == "restarts", "evaluations"].iloc[0] <= 96
    assert (tmp_path / "cmp" / "seed2" / "restarts" / "restart3" / "front.csv").exists()
    with pytest.raises(ValueError, match="restartz"):
        compare(cfg, tmp_path / "cmp2", strategies=["restarts"], repeats=1, restartz=2)

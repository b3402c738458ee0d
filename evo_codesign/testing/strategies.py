"""Contract every search strategy passes (:class:`StrategyContract`), in the way
``optuna.testing`` gives every sampler its tests.

Subclass it with a class-scoped ``strategy_name`` fixture (a registered strategy); override
:meth:`StrategyContract.contract_config` for a space where your strategy applies. The contract
runs the strategy on the real evaluator at a small budget (seconds) and checks: the budget is
respected and counted per phase; the same seed gives the same front; a run interrupted early or
late and resumed ends with the uninterrupted front and count; a finished run is never overwritten
without ``resume``; every front design lies in the space; fronts share the coupled strategy's schema.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ..config import Config, load_config
from ..errors import ExistingRunError
from ..strategies import get, run_strategy, space_for

__all__ = ["StrategyContract", "Interrupt", "stop_at", "CONTRACT_CONFIG"]

#: The contract's default space: the hybrid cell space, where every built-in strategy applies.
CONTRACT_CONFIG = {"seed": 5, "space.hardware": "hybrid", "search.pop_size": 30, "search.budget": 600,
                   "run.checkpoint_every": 2}


class Interrupt(Exception):
    """Raised by :func:`stop_at` to interrupt a run as a kill would."""


def stop_at(n_gen: int):
    """A per-generation hook that interrupts the run at its ``n_gen``-th generation (all phases counted)."""
    calls = {"n": 0}

    def hook(state) -> None:
        calls["n"] += 1
        if calls["n"] == n_gen:
            raise Interrupt
    return hook


class StrategyContract:
    """pytest contract: provide a class-scoped ``strategy_name`` fixture (a ``@classmethod``
    below ``@pytest.fixture(scope="class")``)."""

    seed = 5

    @classmethod
    def contract_config(cls) -> Config:
        return load_config(overrides=CONTRACT_CONFIG)

    @pytest.fixture(scope="class")
    @classmethod
    def contract_runs(cls, strategy_name, tmp_path_factory):
        cfg = cls.contract_config()
        why = get(strategy_name).applicable(cfg)
        if why:
            pytest.skip(f"{strategy_name} does not apply to the contract's config: {why}")
        d = tmp_path_factory.mktemp(f"contract-{strategy_name}")
        coupled = run_strategy("coupled", cfg, cls.seed, d / "coupled")
        return cfg, run_strategy(strategy_name, cfg, cls.seed, d / "a"), run_strategy(strategy_name, cfg, cls.seed,
                                                                                    d / "b"), coupled

    def test_budget_is_respected(self, contract_runs):
        cfg, r, _, _ = contract_runs
        assert r.evaluations <= cfg.search.budget
        # every evaluation counts: the phases' and any set-up evaluations (semi-decoupled's proxy probes)
        assert sum(r.phase_evaluations) + r.setup_evaluations == r.evaluations
        assert len(r.evaluation_log()) == sum(r.phase_evaluations)

    def test_same_seed_same_front(self, contract_runs):
        _, a, b, _ = contract_runs
        pd.testing.assert_frame_equal(a.front, b.front)
        assert np.array_equal(a.F, b.F)

    def test_outputs_inside_the_space_and_schema(self, contract_runs, strategy_name):
        cfg, r, _, coupled = contract_runs
        space = space_for(cfg)
        X = r.front[[f"x_{g}" for g in space.gene_names]].to_numpy()
        assert len(X) and space.is_valid(X).all()
        assert list(r.front.columns) == list(coupled.front.columns)
        assert (r.front["strategy"] == strategy_name).all() and (r.front["seed"] == self.seed).all()
        assert r.final_run is not None and (r.final_run / "front.csv").exists()

    @pytest.mark.parametrize("stop", [3, 14])  # in phase 1 (or early) and in phase 2 (or late)
    def test_resume_equals_an_uninterrupted_run(self, contract_runs, strategy_name, tmp_path, stop):
        cfg, ref, _, _ = contract_runs
        with pytest.raises(Interrupt):
            run_strategy(strategy_name, cfg, self.seed, tmp_path, on_generation=stop_at(stop))
        with pytest.raises(ExistingRunError):  # never overwrites a run without being asked
            run_strategy(strategy_name, cfg, self.seed, tmp_path)
        r = run_strategy(strategy_name, cfg, self.seed, tmp_path, resume=True)
        pd.testing.assert_frame_equal(r.front, ref.front)
        assert r.evaluations == ref.evaluations and r.phase_evaluations == ref.phase_evaluations

    def test_unknown_option_is_refused(self, contract_runs, strategy_name, tmp_path):
        cfg = contract_runs[0]
        with pytest.raises(ValueError, match="no_such_option"):
            run_strategy(strategy_name, cfg, self.seed, tmp_path, no_such_option=1)

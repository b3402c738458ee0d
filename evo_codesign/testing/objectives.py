"""Contract every objective passes (:class:`ObjectiveContract`): provide an ``objective_name``
fixture (a registered objective). On the real evaluator, for a space where the objective applies:
its values are finite, the evaluator's ``F`` column is the value in minimisation form, result
frames show it in its natural sense, and a space that lacks what it needs is refused by name."""

from __future__ import annotations

import numpy as np

from ..config import load_config
from ..errors import UsageError
from ..evaluate import CodesignEvaluator, build_evaluator
from ..io.frames import design_frame
from ..objectives import get, unmet_need
from ..strategies import space_for

__all__ = ["ObjectiveContract", "applicable_space", "check_objective"]

_SPACES = (("cell", "hybrid"), ("backbone", "imc"), ("cell", "dataflow"), ("backbone", "hybrid"))


def applicable_space(name: str) -> tuple[str, str]:
    """A (neural, hardware) pair where objective ``name`` can be evaluated."""
    for neural, hardware in _SPACES:
        if unmet_need(get(name), neural=neural, hardware=hardware) is None:
            return neural, hardware
    raise AssertionError(f"objective {name!r}: no built-in space meets its needs {get(name).needs}")


def check_objective(name: str, n: int = 16) -> None:
    obj = get(name)
    assert obj.sense in ("min", "max") and obj.unit and obj.label
    neural, hardware = applicable_space(name)
    objs = [name, "latency"] if name != "latency" else [name, "energy"]
    cfg = load_config(overrides={"space.neural": neural, "space.hardware": hardware, "search.objectives": objs})
    space = space_for(cfg)
    ev = build_evaluator(cfg, space)
    X = space.sample(np.random.default_rng(0), n)
    batch = ev(X)
    value = np.asarray(obj.value(batch.extras), dtype=float)
    assert value.shape == (n,) and np.isfinite(value).all(), f"{name}: values must be finite, one per design"
    assert np.array_equal(batch.F[:, 0], obj.sign * value), f"{name}: F is not the value in minimisation form"
    frame = design_frame(space, X, batch.F, batch.G, objective_names=ev.objective_names,
                         objective_senses=ev.objective_senses, constraint_names=ev.constraint_names)
    assert np.allclose(frame[f"f_{name}"].to_numpy(), value), f"{name}: frames must show the natural sense"
    for neural2, hardware2 in _SPACES:
        why = unmet_need(obj, neural=neural2, hardware=hardware2)
        if why is None:
            continue
        from ..space.joint import make_space
        try:
            CodesignEvaluator(make_space(neural2, hardware2), (name, "latency" if name != "latency" else "energy"))
        except UsageError as e:
            assert name in str(e), f"{name}: the refusal must name the objective, got {e}"
        else:
            raise AssertionError(f"{name}: a {neural2}/{hardware2} space lacks {obj.needs} but was accepted")


class ObjectiveContract:
    """pytest contract: provide an ``objective_name`` fixture."""

    def test_objective(self, objective_name):
        check_objective(objective_name)

"""Every registered hardware backend, objective and surrogate through its contract suite
(:mod:`evo_codesign.testing`); strategies run theirs in tests/test_strategies.py."""

import pytest

from evo_codesign import backends, objectives
from evo_codesign.errors import EvoCodesignError
from evo_codesign.surrogate import available as surrogates_available
from evo_codesign.surrogate import get_surrogate
from evo_codesign.testing import BackendContract, ObjectiveContract, SurrogateContract

from .conftest import SHARED


class TestBackends(BackendContract):
    @pytest.fixture(params=backends.available())
    def backend(self, request):
        return backends.get(request.param)


class TestObjectives(ObjectiveContract):
    @pytest.fixture(params=objectives.available())
    def objective_name(self, request):
        return request.param


#: model files in ../shared that optional backends can load (tests only; the package never needs them)
SHARED_MODELS = {"yahpo-onnx": SHARED / "nb301-yahpo-onnx" / "nb301_yahpo_v1_new_model.onnx"}


class TestSurrogates(SurrogateContract):
    @pytest.fixture(params=surrogates_available())
    def surrogate(self, request):
        path = SHARED_MODELS.get(request.param)
        try:
            return get_surrogate(request.param, **({"path": path} if path is not None and path.exists() else {}))
        except (EvoCodesignError, ImportError) as e:  # optional model files or packages absent
            pytest.skip(f"surrogate {request.param!r} is not available here: {e}")


def test_the_help_needs_no_import_of_the_strategies():
    from evo_codesign.cli.compare import DEFAULT_MAX_ARCHS
    from evo_codesign.strategies import DEFAULT_MAX_ARCHS as real

    assert DEFAULT_MAX_ARCHS == real

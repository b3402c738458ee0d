"""evo_codesign: multi-objective evolutionary co-design of neural cells, dataflow accelerators
and in-memory-computing periphery."""

__version__ = "0.1.0"

from .jit import configure_cache as _configure_cache  # noqa: E402

_configure_cache()  # compiled kernels in a per-user folder (evo_codesign.jit), before numba is imported

from .space import JointSpace, make_space  # noqa: E402
from .workload import backbone_network, cell_network  # noqa: E402

__all__ = ["__version__", "JointSpace", "make_space", "cell_network", "backbone_network"]

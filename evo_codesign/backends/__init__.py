"""Hardware backends (one module each, registered by name): ``dataflow`` (PE array), ``imc``
(crossbars) and ``hybrid`` (their composition). See :mod:`.base` for the protocol and how to add one."""

from . import crossbar, dataflow, hybrid  # noqa: F401  (register the built-in backends)
from .base import Costs, HardwareBackend, Monotone, available, for_space, get, register, unregister

__all__ = ["Costs", "HardwareBackend", "Monotone", "available", "for_space", "get", "register", "unregister"]

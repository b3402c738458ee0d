"""The package's own error types.

Every error that a user's input or a file's state can cause is an :class:`EvoCodesignError`
(``ConfigError``, ``GenomeError``, ``UsageError``...); the command line turns exactly these into
one-line ``error:`` messages with exit status 2. Anything else is a bug and surfaces as one.
They also derive from :class:`ValueError`, so callers that caught ``ValueError`` keep working.
"""

from __future__ import annotations

__all__ = ["EvoCodesignError", "UsageError", "MissingDependencyError", "MissingFileError", "ExistingRunError"]


class EvoCodesignError(ValueError):
    """Base of every error caused by user input or file state (never by a bug)."""


class UsageError(EvoCodesignError):
    """A request that cannot be carried out as given: an option out of range, a strategy that does
    not apply to the configured space, an output folder that already holds a run."""


class MissingDependencyError(EvoCodesignError, ImportError):
    """An optional extra is needed (the message says which and how to install it)."""


class MissingFileError(EvoCodesignError, FileNotFoundError):
    """A file or folder the request needs is not there (a model file, a run's front, a run directory)."""


class ExistingRunError(EvoCodesignError, FileExistsError):
    """The output folder already holds a run that this request would overwrite."""

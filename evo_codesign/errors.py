"""The package's own error types.

Every error that a user's input or a file's state can cause is an :class:`EvoCodesignError`
(``ConfigError``, ``GenomeError``, ``UsageError``...); the command line turns exactly these into
one-line ``error:`` messages with exit status 2. Anything else is a bug and surfaces as one.
They also derive from :class:`ValueError`, so callers that caught ``ValueError`` keep working.
"""

from __future__ import annotations

__all__ = ["EvoCodesignError", "UsageError", "MissingDependencyError", "MissingFileError", "ExistingRunError",
           "CorruptFileError", "LogMismatchError", "DiskError", "RunInUseError", "InfeasibleFrontWarning"]


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


class CorruptFileError(EvoCodesignError):
    """A file is there but cannot be read as what it should be (truncated, garbage, not UTF-8, the
    wrong JSON type, a damaged database). The message names the file, the cause and what to do."""


class LogMismatchError(CorruptFileError):
    """A run's evaluation log disagrees with its checkpoint (missing, emptied, truncated or edited
    rows). The log is the source of truth, so the run is not resumed on a fresh budget."""


class DiskError(EvoCodesignError, OSError):
    """Writing a file failed for a reason outside the program: the disk is full, the file system is
    read-only, permission is denied. The message names the file and the cause; what was committed
    before is kept."""


class RunInUseError(UsageError):
    """Another process holds the run directory's lock (a run, resume, comparison or tuning session
    writing into it); the message names the holder."""


class InfeasibleFrontWarning(UserWarning):
    """A search ended with no feasible design on its final front; the message names the constraint
    that binds. The command line prints it and exits with status 3."""

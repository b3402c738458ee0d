"""Writing files so that a kill, a full disk or a reader at the wrong moment never sees a torn one.

Every output the package writes goes through :func:`atomic_write_bytes` (or the helpers built on
it): the bytes go to a temporary file beside the target (``.NAME.<random>.tmp``), are flushed to
disk, and replace the target in one ``os.replace``; readers see the old file or the new one.
``durable=False`` skips the two disk syncs (file and folder) for outputs that can be made again
from the run directory (a run's front, a comparison's tables and figures): still atomic, so a
``kill -9`` never leaves a torn file, only a power cut may take back the newest version. The
temporary file is created with mode ``0666`` less the umask, as ``open()`` would, so collaborators
read results as they read any other file. A process killed mid-write leaves only a temporary file,
which :func:`clean_temp_files` removes (the run-directory lock does it when it is taken).

Operating-system errors become :class:`~evo_codesign.errors.DiskError` naming the file and the
cause in words ("disk full", "read-only file system", "permission denied").
"""

from __future__ import annotations

import errno
import io
import os
import secrets
from pathlib import Path
from typing import Any, Callable

from ..errors import DiskError

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_with", "clean_temp_files", "describe_os_error",
           "disk_error",
           "TEMP_SUFFIX"]

TEMP_SUFFIX = ".tmp"
_TOKEN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
_CAUSES = {
    errno.ENOSPC: "disk full (no space left on device)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a path component is not a directory",
    errno.EISDIR: "is a directory",
}


def describe_os_error(e: OSError) -> str:
    """The cause of an ``OSError`` in words a user acts on."""
    return _CAUSES.get(e.errno, e.strerror or type(e).__name__)


def disk_error(path: str | Path, e: OSError, doing: str = "write") -> DiskError:
    """A :class:`DiskError` "cannot <doing> <path>: <cause>" carrying ``e``'s errno."""
    err = DiskError(f"cannot {doing} {path}: {describe_os_error(e)}")
    err.errno = e.errno
    return err


def _temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _fsync_dir(d: Path) -> None:
    # The rename itself is durable only once the directory entry is; not every file system lets a
    # directory be opened for that, and the data is already safe, so failures are ignored.
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes, *, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); returns ``path``."""
    path = Path(path)
    tmp = _temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0666 less the umask
    except OSError as e:
        raise disk_error(path, e) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise disk_error(path, e) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str, *, durable: bool = True) -> Path:
    """:func:`atomic_write_bytes` of UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_with(path: str | Path, write: Callable[[io.BytesIO], Any], *, durable: bool = True) -> Path:
    """Atomically write what ``write(buffer)`` puts into a bytes buffer (``frame.to_csv``,
    ``fig.savefig(buf, format=...)``, ``np.savez``)."""
    buf = io.BytesIO()
    write(buf)
    return atomic_write_bytes(path, buf.getvalue(), durable=durable)


def clean_temp_files(folder: str | Path) -> list[Path]:
    """Remove the temporary files an interrupted :func:`atomic_write_bytes` left in ``folder`` (not
    below it); returns what was removed. Call it only while no other process writes there (hold the
    folder's lock)."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in folder.glob(f".*{TEMP_SUFFIX}"):
        # ".NAME.<8 characters>.tmp": only our own temporary files (those of earlier versions, made
        # with tempfile.mkstemp, included), never a user's
        stem = p.name[: -len(TEMP_SUFFIX)]
        token = stem.rsplit(".", 1)[-1]
        if len(token) == 8 and set(token) <= _TOKEN_CHARS and p.is_file():
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed

"""One lock per output folder for the whole life of a run, resume, comparison or tuning session.

:func:`folder_lock` takes an operating-system lock (``filelock``: ``flock`` on POSIX, so a killed
holder releases it at once) on ``FOLDER/.evo-codesign.lock`` and records who holds it in
``FOLDER/.evo-codesign.lock.json`` (pid, host, command, since when), so a second process is
refused with a message naming the holder instead of writing the same files. It is re-entrant
within a process (``evo-codesign run`` locks its folder, and the search phase inside it locks the
same folder again). Taking it also removes the temporary files an interrupted atomic write left in
the folder (:func:`evo_codesign.io.atomic.clean_temp_files`): nobody else writes there then.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import RunInUseError
from .atomic import atomic_write_text, clean_temp_files, disk_error

__all__ = ["folder_lock", "LOCK_FILE", "HOLDER_FILE", "holder"]

LOCK_FILE = ".evo-codesign.lock"
HOLDER_FILE = ".evo-codesign.lock.json"

_guard = threading.Lock()
_held: dict[str, list] = {}  # resolved folder -> [filelock, depth, pid]


def holder(folder: str | Path) -> str:
    """Who holds ``folder``'s lock, in words (from its holder file; "another process" without one)."""
    p = Path(folder) / HOLDER_FILE
    try:
        h = json.loads(p.read_text())
        text = f"pid {int(h['pid'])} on {h['host']} (`{h['command']}`, {h['what']} since {h['since']})"
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return "another process"
    if h.get("host") == socket.gethostname() and not _alive(int(h["pid"])):
        text += f"; that process no longer runs, so the lock is stale: delete {Path(folder) / LOCK_FILE}"
    return text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _command() -> str:
    argv = list(sys.argv)
    if argv and (argv[0].endswith(("__main__.py", "evo-codesign")) or argv[0] == "-m"):
        argv[0] = "evo-codesign"
    return " ".join(argv)[:300]


@contextmanager
def _reenter(entry: list) -> Iterator[None]:
    with _guard:
        entry[1] += 1
    try:
        yield
    finally:
        with _guard:
            entry[1] -= 1


@contextmanager
def folder_lock(folder: str | Path, *, what: str = "run") -> Iterator[Path]:
    """Hold ``folder``'s lock (creating the folder) until the block ends; ``what`` says what the
    holder is doing, for the message another process gets (:class:`RunInUseError`)."""
    from filelock import FileLock, Timeout

    folder = Path(folder)
    key = str(folder.resolve())
    with _guard:
        entry = _held.get(key)
        mine = entry is not None and entry[2] == os.getpid()  # a forked child holds nothing
    if mine:
        with _reenter(entry):
            yield folder
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise disk_error(folder, e, "create") from None
    lock = FileLock(str(folder / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RunInUseError(f"{folder} is in use by {holder(folder)}: wait for it to finish or stop it "
                            f"(one process at a time writes a run directory)") from None
    except OSError as e:
        raise disk_error(folder, e, "lock a file in") from None
    with _guard:
        _held[key] = [lock, 1, os.getpid()]
    try:
        _write_holder(folder, what)
        clean_temp_files(folder)
        yield folder
    finally:
        with _guard:
            _held.pop(key, None)
        try:
            (folder / HOLDER_FILE).unlink(missing_ok=True)
        except OSError:
            pass
        lock.release()


def _write_holder(folder: Path, what: str) -> None:
    doc = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(), "what": what,
           "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        atomic_write_text(folder / HOLDER_FILE, json.dumps(doc))
    except OSError:
        pass  # who holds it is a courtesy for the message; the lock itself is what protects the folder

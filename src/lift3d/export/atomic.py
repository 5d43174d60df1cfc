"""All-or-nothing writing of a set of files, for formats that spread over several files."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from lift3d.errors import OutputError


def write_file_set(files: Mapping[Path, bytes]) -> list[Path]:
    """Write every file or none: stage all beside their targets, then rename them in.

    If staging fails nothing is renamed; if a rename fails the files already renamed
    are removed again, so a half set (an OBJ without its texture) is never left behind.
    """
    staged: dict[Path, Path] = {}
    placed: list[Path] = []
    complete = False
    try:
        for target, data in files.items():
            staged[target] = _stage(target, data)
        for target, tmp in staged.items():
            os.replace(tmp, target)
            placed.append(target)
        complete = True
    except OSError as error:
        raise OutputError(f"cannot write {error.filename or next(iter(files))}: {error.strerror}") from None
    finally:
        if not complete:
            for target in placed:
                target.unlink(missing_ok=True)
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    return placed


def _stage(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file in the target's folder and return its path."""
    if target.is_dir():
        raise OutputError(f"output path {target} is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=parent)
    except OSError as error:
        raise OutputError(f"cannot write to {parent}: {error.strerror}") from None
    tmp = Path(name)
    written = False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(_new_file_mode())  # mkstemp makes files private (0600); outputs are shared
        written = True
    finally:
        if not written:
            tmp.unlink(missing_ok=True)
    return tmp


def _new_file_mode() -> int:
    """The mode `open` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask

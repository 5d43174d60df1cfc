"""Atomic file writing: a result appears whole under its name or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lift3d.errors import OutputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only on success.

    Writers that need a real file name (trimesh, PIL) write to the yielded path.
    On any exception the temporary file is removed, so no half-written output is
    ever left under the final name.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"output path {target} is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=parent)
    except OSError as error:
        raise OutputError(f"cannot write to {parent}: {error.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes owner-only files; give results the usual umask-based mode.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)

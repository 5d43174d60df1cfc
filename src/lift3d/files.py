"""Atomic file writing: a result appears whole under its name or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from lift3d.errors import OutputError

_STOPPED = threading.Event()


def stop_publishing() -> None:
    """A Ctrl-C came: from now on no result is renamed into place.

    The command's SIGINT handler calls this beside raising KeyboardInterrupt, so a library that
    swallows the KeyboardInterrupt (mpmath's bare `except:` around an optional import did) cannot
    let the conversion run on to whole files and exit 0.
    """
    _STOPPED.set()


def resume_publishing() -> None:
    _STOPPED.clear()


def publishing_stopped() -> bool:
    return _STOPPED.is_set()


def _publish(tmp: Path, target: Path) -> None:
    if _STOPPED.is_set():
        raise KeyboardInterrupt
    os.replace(tmp, target)


def new_file_mode() -> int:
    """The mode `open` would give a new file under the current umask (mkstemp makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def temporary_beside(target: Path) -> Path:
    """An empty temporary file in the target's folder, after checking the target is writable there."""
    if target.is_dir():
        raise OutputError(f"output path {target} is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=parent)
    except OSError as error:
        raise OutputError(f"cannot write to {parent}: {error.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(new_file_mode())
    return tmp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only on success.

    Writers that need a real file name (trimesh, PIL) write to the yielded path.
    On any exception the temporary file is removed, so no half-written output is
    ever left under the final name.
    """
    target = Path(path)
    tmp = temporary_beside(target)
    try:
        yield tmp
        _publish(tmp, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


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
            staged[target] = temporary_beside(target)
            staged[target].write_bytes(data)
        for target, tmp in staged.items():
            _publish(tmp, target)
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


def refuse_to_replace(outputs: Iterable[str | os.PathLike], inputs: Iterable[str | os.PathLike]) -> None:
    """Raise OutputError before anything is written if an output would replace an input.

    Files are compared by identity (device and inode), not by name, so a relative path,
    a symlink, a hard link or another spelling on a case-insensitive disk are all caught.
    An input folder (a folder of frames) stands for the files directly inside it.
    """
    read: dict[tuple[int, int], Path] = {}
    for source in inputs:
        path = Path(source)
        members = [path, *_folder_files(path)] if path.is_dir() else [path]
        for member in members:
            identity = _identity(member)
            if identity is not None:
                read.setdefault(identity, member)
    for output in outputs:
        identity = _identity(Path(output))
        if identity is not None and identity in read:
            raise OutputError(f"refusing to write {output}: it would replace the input {read[identity]}")


def _folder_files(folder: Path) -> list[Path]:
    try:
        return [member for member in folder.iterdir() if member.is_file()]
    except OSError:
        return []


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except (OSError, ValueError):  # missing, unreadable, or a name the OS rejects
        return None
    return status.st_dev, status.st_ino

"""The batch manifest: one JSON line per finished input, appended and fsync'd, read back to resume.

A line is written only after the input's outputs are in place and on disk, so a line
saying "ok" can be trusted; a run killed mid-write leaves at most a torn last line,
which is dropped on the next start.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

from lift3d.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two runs on one folder are not prevented there
    fcntl = None  # type: ignore[assignment]

MANIFEST_NAME = "manifest.jsonl"
OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class ItemRecord:
    """One manifest line: what became of one input and everything needed to judge it later."""

    input: str  # relative to the input folder
    status: str  # ok | failed
    outputs: tuple[str, ...] = ()  # relative to the output folder
    error: str = ""  # one line, for the user
    settings: dict = field(default_factory=dict)  # resolved conversion options and format
    seconds: float = 0.0  # conversion and export time in the worker
    faces: int = 0  # triangles over all variants
    input_bytes: int = -1
    input_mtime_ns: int = 0
    model: dict = field(default_factory=dict)  # generator and weights identity
    finished_at: str = ""  # ISO 8601, UTC
    traceback: str = ""  # only for unexpected errors (bugs), to report them
    warnings: tuple[str, ...] = ()  # library warnings raised while converting

    def to_line(self) -> bytes:
        record = asdict(self)
        for optional in ("traceback", "warnings"):
            if not record[optional]:
                del record[optional]
        return (json.dumps(record, default=str) + "\n").encode()

    @classmethod
    def from_json(cls, record: object) -> ItemRecord:
        """Rebuild a record from a parsed line; ValueError when the line is not one of ours."""
        if not isinstance(record, dict) or not isinstance(record.get("input"), str):
            raise ValueError("not a manifest record")
        if record.get("status") not in (OK, FAILED):
            raise ValueError("not a manifest record")
        known = {name: record[name] for name in cls.__dataclass_fields__ if name in record}
        known["outputs"] = tuple(str(output) for output in known.get("outputs", ()))
        known["warnings"] = tuple(str(warning) for warning in known.get("warnings", ()))
        return cls(**known)


class Manifest:
    """The open manifest of one output folder: its latest record per input, and appending new ones.

    Holding it open holds an exclusive lock, so a second batch writing into the same
    folder stops with a clear message instead of duplicating work. The kernel drops the
    lock when the process dies, even by kill -9.
    """

    def __init__(self, output_dir: Path) -> None:
        self.path = output_dir / MANIFEST_NAME
        self.records: dict[str, ItemRecord] = {}
        self.ignored_lines = 0  # unreadable lines before the last (a hand edit, a disk error)
        self.dropped_torn_line = False  # the last line was cut short by a crash and removed
        try:
            # Non-inheritable (Python's default), so worker processes never hold the lock.
            self._file = open(self.path, "a+b")
        except OSError as error:
            raise OutputError(f"cannot open {self.path}: {error.strerror}") from None
        try:
            self._lock()
            self._read_and_repair()
        except Exception:
            self._file.close()
            raise

    def __enter__(self) -> Manifest:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def append(self, record: ItemRecord) -> None:
        """Add one line and force it to disk before returning: the line is the commit point."""
        try:
            self._file.write(record.to_line())
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError as error:
            raise OutputError(f"cannot write {self.path}: {error.strerror}") from None
        self.records[record.input] = record

    def _lock(self) -> None:
        if fcntl is None:
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another lift3d batch is writing to {self.path.parent}; wait for it or choose another folder"
            ) from None

    def _read_and_repair(self) -> None:
        """Load every readable line (later lines win) and cut off a torn last line.

        Without the cut, the next append would be glued onto the torn fragment and
        both would be lost.
        """
        self._file.seek(0)
        data = self._file.read()
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, as it should
        for line in lines:
            if line.strip() and not self._take(line):
                self.ignored_lines += 1
        if tail and self._take(tail):
            self._file.write(b"\n")  # a whole record that only lacks its newline
            self._file.flush()
        elif tail:
            self._file.truncate(len(data) - len(tail))
            os.fsync(self._file.fileno())
            self.dropped_torn_line = True
        if not data:
            _fsync_folder(self.path.parent)  # so the new manifest's name survives a crash

    def _take(self, line: bytes) -> bool:
        """Record one line; False when it is not a whole record."""
        try:
            record = ItemRecord.from_json(json.loads(line))
        except (ValueError, TypeError):
            return False
        self.records[record.input] = record
        return True


def fsync_files(paths: list[Path]) -> None:
    """Force written files and their folders to disk, before a manifest line vouches for them."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    for folder in {path.parent for path in paths}:
        _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open folders; renames there are durable enough
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

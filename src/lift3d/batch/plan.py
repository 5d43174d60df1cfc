"""Find a batch's input pictures and name their outputs so the output tree mirrors the input tree."""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lift3d.errors import InputError


@dataclass(frozen=True)
class BatchItem:
    """One input picture: its path relative to the input folder, its output name and its fingerprint.

    Size and modification time identify the version of the file that was converted,
    so an input replaced after a run is converted again while an untouched one is not.
    """

    input: str  # POSIX path relative to the input folder
    output_stem: str  # POSIX path relative to the output folder, without the format's suffix
    size_bytes: int  # -1 when the file could not be examined
    mtime_ns: int


def find_pictures(
    input_dir: Path, patterns: tuple[str, ...], skip_dir: Path | None = None
) -> list[BatchItem]:
    """Every file under `input_dir` matching a pattern, sorted; hidden files and `skip_dir` are left out.

    Hidden files include the temporary files of an interrupted atomic write; `skip_dir`
    is the output folder when it lies inside the input folder. Folder symlinks are not
    followed, so a link loop cannot make the scan endless.
    """
    if not input_dir.is_dir():
        raise InputError(f"input folder {input_dir} does not exist or is not a folder")
    skip = real_path(skip_dir) if skip_dir is not None else None
    lowered = [pattern.lower() for pattern in patterns]
    found: list[tuple[str, Path]] = []
    for folder, subfolders, names in os.walk(input_dir):
        here = Path(folder)
        subfolders[:] = [
            name for name in subfolders if not name.startswith(".") and real_path(here / name) != skip
        ]
        for name in names:
            if name.startswith("."):
                continue
            relative = (here / name).relative_to(input_dir).as_posix()
            if _matches(relative, lowered):
                found.append((relative, here / name))
    found.sort()
    return [
        _item(relative, path, stem)
        for (relative, path), stem in zip(found, _output_stems(found), strict=True)
    ]


def real_path(path: Path) -> Path:
    """The path with links resolved as far as they go; a link loop stays as it is instead of raising
    (Path.resolve raises RuntimeError on a loop in Python 3.11)."""
    return Path(os.path.realpath(path))


def _matches(relative: str, lowered_patterns: list[str]) -> bool:
    """A pattern without '/' matches the file name at any depth, one with '/' the relative path."""
    relative = relative.lower()
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relative if "/" in p else name, p) for p in lowered_patterns)


def _output_stems(found: list[tuple[str, Path]]) -> list[str]:
    """`dir/name` for `dir/name.ext`, or `dir/name.ext` when two inputs in a folder share a name.

    Without this, mug.png and mug.jpg would both become mug.glb and one would overwrite
    the other. Compared case-insensitively, as macOS and Windows folders are.
    """
    stems = [PurePosixPath(relative).with_suffix("").as_posix() for relative, _ in found]
    counts = Counter(stem.lower() for stem in stems)
    return [
        stem if counts[stem.lower()] == 1 else relative
        for stem, (relative, _) in zip(stems, found, strict=True)
    ]


def _item(relative: str, path: Path, output_stem: str) -> BatchItem:
    try:
        status = path.stat()
    except OSError:  # a broken link: kept, so the run records why it could not be read
        return BatchItem(relative, output_stem, -1, 0)
    return BatchItem(relative, output_stem, status.st_size, status.st_mtime_ns)

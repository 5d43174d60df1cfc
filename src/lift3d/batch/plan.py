"""Find a batch's inputs and name their outputs so the output tree mirrors the input tree.

An input is a picture, or an entry whose name carries its kind (the kinds of `lift3d convert --kind`):
a folder `walk.frames/`, `mug.views/` or `bracket.ortho/` is one input made of its pictures
(in natural name order), and a picture `house.plan.png`, `bracket.ortho.png` or
`walk.frames.gif` is one input of that kind. Each becomes `walk.glb`, `house.glb` ...
A views folder may hold `cameras.json` (as `lift3d convert --cameras` reads it).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lift3d.errors import InputError

# Kinds a folder can hold (several pictures), and kinds one picture file can be.
FOLDER_KINDS = ("ortho", "views", "frames")
FILE_KINDS = ("ortho", "frames", "plan")
CAMERAS_NAME = "cameras.json"  # a views folder's cameras, matched to its pictures by name


@dataclass(frozen=True)
class BatchItem:
    """One input: its path relative to the input folder, its output name, its kind and its fingerprint.

    Size and modification time identify the version of the input that was converted,
    so an input replaced after a run is converted again while an untouched one is not;
    for a folder they are its pictures' total size and latest modification.
    """

    input: str  # POSIX path relative to the input folder
    output_stem: str  # POSIX path relative to the output folder, without the format's suffix
    size_bytes: int  # -1 when the file could not be examined
    mtime_ns: int
    kind: str = "picture"  # picture | ortho | views | frames | plan
    members: tuple[str, ...] = ()  # a folder's pictures, relative to it, in natural name order


def kind_of(name: str, is_folder: bool) -> str:
    """The kind a name carries: `walk.frames` (folder), `house.plan.png` (file); else picture."""
    parts = name.lower().split(".")
    tag = parts[-1] if is_folder else (parts[-2] if len(parts) > 2 else "")
    return tag if tag in (FOLDER_KINDS if is_folder else FILE_KINDS) else "picture"


def natural_key(name: str) -> list[object]:
    """frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def find_pictures(
    input_dir: Path, patterns: tuple[str, ...], skip_dir: Path | None = None
) -> list[BatchItem]:
    """Every file under `input_dir` matching a pattern, and every kind's folder, sorted.

    A kind's folder holds the files in it that match. Hidden files and `skip_dir` are left
    out: hidden files include the temporary files of an interrupted atomic write; `skip_dir`
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
        # A kind's folder is one input, not a folder of pictures to search.
        for name in [name for name in subfolders if kind_of(name, is_folder=True) != "picture"]:
            subfolders.remove(name)
            found.append(((here / name).relative_to(input_dir).as_posix(), here / name))
        for name in names:
            if name.startswith("."):
                continue
            relative = (here / name).relative_to(input_dir).as_posix()
            if _matches(relative, lowered):
                found.append((relative, here / name))
    found.sort()
    return [
        _item(relative, path, stem, lowered)
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
    stems = [_stem(relative, path.is_dir()) for relative, path in found]
    counts = Counter(stem.lower() for stem in stems)
    return [
        stem if counts[stem.lower()] == 1 else relative
        for stem, (relative, _) in zip(stems, found, strict=True)
    ]


def _stem(relative: str, is_folder: bool) -> str:
    """a/mug.png -> a/mug; a/walk.frames -> a/walk; a/house.plan.png -> a/house."""
    path = PurePosixPath(relative)
    if not is_folder:
        path = path.with_suffix("")
    if kind_of(relative.rsplit("/", 1)[-1], is_folder) != "picture":
        path = path.with_suffix("")
    return path.as_posix()


def _item(relative: str, path: Path, output_stem: str, lowered_patterns: list[str]) -> BatchItem:
    if path.is_dir():
        kind = kind_of(path.name, is_folder=True)
        members = sorted(
            (
                file.name
                for file in path.iterdir()
                if not file.name.startswith(".") and file.is_file() and _matches(file.name, lowered_patterns)
            ),
            key=natural_key,
        )
        if kind == "views" and (path / CAMERAS_NAME).is_file():
            members.append(CAMERAS_NAME)  # part of the input: a changed camera redoes the carving
        try:
            stats = [(path / name).stat() for name in members]
        except OSError:
            return BatchItem(relative, output_stem, -1, 0, kind, tuple(members))
        size = sum(stat.st_size for stat in stats)
        latest = max((stat.st_mtime_ns for stat in stats), default=0)
        return BatchItem(relative, output_stem, size, latest, kind, tuple(members))
    kind = kind_of(path.name, is_folder=False)
    try:
        status = path.stat()
    except OSError:  # a broken link: kept, so the run records why it could not be read
        return BatchItem(relative, output_stem, -1, 0, kind)
    return BatchItem(relative, output_stem, status.st_size, status.st_mtime_ns, kind)

"""Finding the inputs: patterns, hidden files, the output folder inside the input, clashing names."""

from __future__ import annotations

from pathlib import Path

import pytest

from lift3d.batch import DEFAULT_PATTERNS, BatchOptions
from lift3d.batch.plan import find_pictures
from lift3d.errors import InputError, OptionError


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")


def inputs(folder: Path, patterns: tuple[str, ...] = DEFAULT_PATTERNS, skip: Path | None = None) -> list[str]:
    return [item.input for item in find_pictures(folder, patterns, skip)]


def test_default_patterns_find_pictures_at_any_depth_in_sorted_order(tmp_path: Path) -> None:
    touch(
        tmp_path, "b.PNG", "a/c.jpeg", "a/d/e.webp", "notes.txt", "model.glb", ".hidden.png", ".cache/f.png"
    )
    assert inputs(tmp_path) == ["a/c.jpeg", "a/d/e.webp", "b.PNG"]


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (("*.png",), ["a/x.png", "top.png"]),
        (("a/*",), ["a/x.png", "a/y.jpg"]),
        (("*.JPG", "top.*"), ["a/y.jpg", "top.png"]),
    ],
)
def test_glob_patterns(tmp_path: Path, patterns: tuple[str, ...], expected: list[str]) -> None:
    touch(tmp_path, "top.png", "a/x.png", "a/y.jpg")
    assert inputs(tmp_path, patterns) == expected


def test_output_folder_inside_the_input_is_not_scanned(tmp_path: Path) -> None:
    touch(tmp_path, "a.png", "assets/a.png")  # an OBJ's texture beside its model
    assert inputs(tmp_path, skip=tmp_path / "assets") == ["a.png"]


def test_same_name_in_one_folder_keeps_both_outputs_apart(tmp_path: Path) -> None:
    touch(tmp_path, "mug.png", "mug.JPG", "cup.png", "sub/mug.png")
    stems = {item.input: item.output_stem for item in find_pictures(tmp_path, DEFAULT_PATTERNS)}
    assert stems == {"cup.png": "cup", "mug.JPG": "mug.JPG", "mug.png": "mug.png", "sub/mug.png": "sub/mug"}


def test_fingerprint_is_size_and_mtime(tmp_path: Path) -> None:
    touch(tmp_path, "a.png")
    [item] = find_pictures(tmp_path, DEFAULT_PATTERNS)
    status = (tmp_path / "a.png").stat()
    assert (item.size_bytes, item.mtime_ns) == (status.st_size, status.st_mtime_ns)


def test_missing_input_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        find_pictures(tmp_path / "nope", DEFAULT_PATTERNS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "fbx"}, "unknown format"),
        ({"workers": 0}, "workers must be"),
        ({"workers": True}, "workers must be"),
        ({"patterns": ()}, "at least one"),
        ({"patterns": "*.png"}, "not one string"),
        ({"cpus_per_worker": 0}, "positive"),
        ({"output_dir": "in/."}, "must differ"),
    ],
)
def test_batch_options_are_validated(changes: dict, message: str) -> None:
    with pytest.raises(OptionError, match=message):
        BatchOptions(**{"input_dir": "in", "output_dir": "out", **changes})

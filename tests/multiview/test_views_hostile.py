"""Hostile cameras files for `--kind views --cameras`: one-line refusals, never a traceback or a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lift3d.errors import InputError
from lift3d.reconstruct.views import MAX_CAMERAS_JSON_BYTES, read_cameras_json


def test_deeply_nested_cameras_json_is_one_input_error(tmp_path: Path) -> None:
    """Probe case "views: --cameras deeply nested JSON": json.loads raised RecursionError, a traceback."""
    path = tmp_path / "cameras.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="cameras.json: the JSON is nested too deeply") as raised:
        read_cameras_json(path)
    assert "\n" not in str(raised.value)


def test_a_cameras_file_that_never_ends_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A FIFO would block the open and /dev/zero would be read until memory ran out."""
    fifo = tmp_path / "cameras.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_cameras_json(fifo)
    if Path("/dev/zero").exists():
        with pytest.raises(InputError, match="not a regular file"):
            read_cameras_json("/dev/zero")
    big = tmp_path / "big.json"
    big.write_text("[" + " " * MAX_CAMERAS_JSON_BYTES + "]")
    with pytest.raises(InputError, match="larger than"):
        read_cameras_json(big)

"""Hostile cameras files for `--kind views --cameras`: one-line refusals, never a traceback or a hang."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lift3d.errors import InputError
from lift3d.pipelines.views import ViewsOptions, convert_views, read_views
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


def disc_file(path: Path, side_px: int) -> Path:
    rows, cols = np.mgrid[0:side_px, 0:side_px]
    rgba = np.zeros((side_px, side_px, 4), np.uint8)
    rgba[(cols - side_px / 2) ** 2 + (rows - side_px / 2) ** 2 < (side_px / 3) ** 2] = [200, 60, 40, 255]
    Image.fromarray(rgba).save(path)
    return path


def test_too_many_views_are_refused_before_any_is_decoded(tmp_path: Path) -> None:
    """Probe case "views: 300 copies of one picture": all 300 were decoded and carved (1.3 GB)."""
    good = disc_file(tmp_path / "view.png", 64)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n")  # would fail if it were read first
    with pytest.raises(InputError, match="5 views, more than the 4 allowed"):
        convert_views([broken, good, good, good, good], None, ViewsOptions(max_views=4))


def test_views_are_shrunk_to_share_the_pixel_budget(tmp_path: Path) -> None:
    """Probe case "views: 64 pictures of 2048 px": each was decoded at up to 2048 px (4 GB together)."""
    big = disc_file(tmp_path / "big.png", 1200)
    pictures = read_views([big] * 16, ViewsOptions(budget_px=1_000_000))
    assert all(max(picture.rgb.shape[:2]) <= 256 for picture in pictures)
    assert max(read_views([big] * 2, ViewsOptions())[0].rgb.shape[:2]) == 1200

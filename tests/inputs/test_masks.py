"""`lift3d cutout` writes the converter's mask at the picture's own size; `convert --mask` takes one back."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image
from tests.inputs.input_pictures import iou, photographed_drawing, synthetic_photo

from lift3d.api import cutout_mask, save_mask
from lift3d.cli import main
from lift3d.types import Picture

FAST = ["--generator", "inflate", "--faces", "2000", "--texture-size", "64", "--quiet"]


@pytest.fixture
def page(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rgb, truth = photographed_drawing()
    path = tmp_path / "page.jpg"
    Image.fromarray(np.round(rgb * 255).astype(np.uint8)).save(path, quality=92)
    return path, truth


def test_cutout_writes_the_mask_at_the_pictures_size_and_prints_the_kind(tmp_path, page, capsys) -> None:
    path, truth = page
    output, overlay = tmp_path / "page_mask.png", tmp_path / "page_outline.png"
    assert main(["cutout", str(path), "-o", str(output), "--overlay", str(overlay)]) == 0
    mask = np.asarray(Image.open(output))
    assert mask.shape == truth.shape and set(np.unique(mask)) <= {0, 255}
    assert iou(mask > 127, truth) > 0.9
    assert Image.open(overlay).size == Image.open(path).size
    assert "kind: sketch" in capsys.readouterr().out


def test_a_picture_larger_than_the_working_size_gets_a_mask_of_its_own_size(tmp_path) -> None:
    rgb, truth = synthetic_photo(height=1500, width=2200)
    path = tmp_path / "big.png"
    Image.fromarray(np.round(rgb * 255).astype(np.uint8)).save(path)
    found = cutout_mask(path)
    assert found.mask.shape == (1500, 2200) and found.kind == "photo"
    assert iou(found.mask, truth) > 0.95
    written = save_mask(found.mask, tmp_path / "big_mask.png")
    assert Image.open(written).size == (2200, 1500)


def test_cutout_mask_of_a_picture_in_memory_has_its_shape() -> None:
    rgb, _ = synthetic_photo(height=120, width=160)
    assert cutout_mask(Picture(rgb=rgb, alpha=None, source="memory")).mask.shape == (120, 160)


def mask_file(path: Path, size: tuple[int, int], box: tuple[int, int, int, int] | None) -> Path:
    mask = np.zeros((size[1], size[0]), np.uint8)
    if box:
        cv2.rectangle(mask, box[:2], box[2:], 255, -1)
    Image.fromarray(mask).save(path)
    return path


@pytest.mark.parametrize(
    "size, box, words",
    [((100, 80), (10, 10, 50, 50), ["100x80", "same size"]), ((600, 520), None, ["empty"])],
    ids=["wrong size", "empty"],
)
def test_a_bad_mask_is_refused_in_one_line(tmp_path, page, capsys, size, box, words) -> None:
    path, _ = page
    mask = mask_file(tmp_path / "mask.png", size, box)
    output = tmp_path / "page.glb"
    code = main(["convert", str(path), "--mask", str(mask), "-o", str(output), *FAST])
    error = capsys.readouterr().err.strip()
    assert code != 0 and not output.exists()
    assert len(error.splitlines()) == 1 and all(word in error for word in words)


def test_convert_uses_the_users_mask(tmp_path, page) -> None:
    path, _ = page
    mask = mask_file(tmp_path / "wide.png", (600, 520), (100, 200, 500, 300))  # 4:1, unlike the figure
    output = tmp_path / "page.glb"
    assert main(["convert", str(path), "--mask", str(mask), "-o", str(output), *FAST]) == 0
    width, height, _ = trimesh.load(output, force="mesh").extents
    assert width / height == pytest.approx(4.0, rel=0.1)
    record = json.loads((tmp_path / "page.lift3d.json").read_text())
    assert record["options"]["mask"] == str(mask)

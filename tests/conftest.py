"""Fixtures shared by every stage's tests: analytic masks and cutouts in the view frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lift3d.types import Cutout


def view_grid(size_px: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y of pixel centres in the view frame."""
    rows, cols = np.mgrid[0:size_px, 0:size_px]
    return (2 * cols + 1) / size_px - 1, 1 - (2 * rows + 1) / size_px


def cutout_from_mask(mask: np.ndarray, colour: tuple[float, float, float] = (0.8, 0.2, 0.2)) -> Cutout:
    rgb = np.ones((*mask.shape, 3), dtype=np.float32)
    rgb[mask] = colour
    return Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, mask.shape[1], mask.shape[0]), source="fixture")


@pytest.fixture
def disc_cutout() -> Cutout:
    x, y = view_grid(128)
    return cutout_from_mask(x**2 + y**2 < 0.8**2)


@pytest.fixture
def l_shape_cutout() -> Cutout:
    x, y = view_grid(128)
    mask = ((np.abs(x) < 0.8) & (np.abs(y + 0.6) < 0.2)) | ((np.abs(x + 0.6) < 0.2) & (np.abs(y) < 0.8))
    return cutout_from_mask(mask)


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    """egg.png: a red egg on a transparent backdrop, the CLI tests' input (a module may define its own)."""
    rows, cols = np.mgrid[0:96, 0:96]
    rgba = np.zeros((96, 96, 4), np.uint8)
    rgba[((cols - 48) / 30) ** 2 + ((rows - 50) / 40) ** 2 < 1] = [200, 40, 40, 255]
    path = tmp_path / "egg.png"
    Image.fromarray(rgba).save(path)
    return path

"""Small procedural pictures for the batch tests (imported by name, not a fixture module)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from lift3d.api import ConvertOptions

# What the CLI tests pass: the smallest settings `lift3d convert` offers.
FAST_FLAGS = ("--generator", "inflate", "--faces", "2000", "--texture-size", "128")
# Library-level tests can also shrink the internal grids, for about 0.2 s a picture.
FAST_OPTIONS = ConvertOptions(generator="inflate", max_faces=2000, texture_px=128, cutout_px=128, grid_px=64)
SIZE_PX = 96


def object_picture(index: int) -> np.ndarray:
    """A coloured ellipse, box or L on white, different for every index."""
    rng = np.random.default_rng(index)
    rows, cols = np.mgrid[0:SIZE_PX, 0:SIZE_PX]
    centre = SIZE_PX / 2
    radius_x, radius_y = rng.uniform(0.18, 0.4, 2) * SIZE_PX
    kind = index % 3
    if kind == 0:
        mask = ((cols - centre) / radius_x) ** 2 + ((rows - centre) / radius_y) ** 2 <= 1
    elif kind == 1:
        mask = (np.abs(cols - centre) <= radius_x) & (np.abs(rows - centre) <= radius_y)
    else:
        bar = np.abs(cols - centre + radius_x / 2) <= radius_x / 3
        foot = np.abs(rows - centre - radius_y / 2) <= radius_y / 3
        mask = (bar | foot) & (np.abs(cols - centre) <= radius_x) & (np.abs(rows - centre) <= radius_y)
    image = np.full((SIZE_PX, SIZE_PX, 3), 255, np.uint8)
    image[mask] = rng.integers(20, 200, 3)
    return image


def write_pictures(folder: Path, count: int) -> list[Path]:
    """`count` good pictures spread over nested folders, PNG and JPEG."""
    paths = []
    for index in range(count):
        subfolder = folder / ["", "chairs", "chairs/old", "mugs"][index % 4]
        subfolder.mkdir(parents=True, exist_ok=True)
        path = subfolder / f"object{index:02d}.{'jpg' if index % 5 == 4 else 'png'}"
        Image.fromarray(object_picture(index)).save(path, quality=95)
        paths.append(path)
    return paths


def write_bad_pictures(folder: Path) -> list[Path]:
    """A truncated PNG and a blank picture: each must fail alone without stopping the batch."""
    folder.mkdir(parents=True, exist_ok=True)
    encoded = io.BytesIO()
    Image.fromarray(object_picture(99)).save(encoded, format="PNG")
    truncated = folder / "truncated.png"
    truncated.write_bytes(encoded.getvalue()[: len(encoded.getvalue()) // 2])
    blank = folder / "mugs" / "blank.png"
    blank.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((SIZE_PX, SIZE_PX, 3), 255, np.uint8)).save(blank)
    return [truncated, blank]


def write_frames(folder: Path, count: int) -> None:
    """A disc sliding right, one RGBA frame each (named so only natural order is right)."""
    folder.mkdir(parents=True)
    rows, cols = np.mgrid[0:64, 0:64]
    for index in range(count):
        rgba = np.zeros((64, 64, 4), np.uint8)
        rgba[(cols - 20 - 3 * index) ** 2 + (rows - 32) ** 2 < 144] = (40, 90, 200, 255)
        Image.fromarray(rgba).save(folder / f"frame_{index}.png")


def write_plan(path: Path) -> None:
    """The held-out generated floor plan, as a drawing."""
    from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan

    rgb = generate_plan(HELDOUT_PLAN_SEED).picture().rgb
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(path)

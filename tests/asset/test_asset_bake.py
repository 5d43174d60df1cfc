"""Texture-bake helpers follow the view-frame pixel convention and never leave holes."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from asset_shapes import disc_cutout

from lift3d.asset import AssetOptions, bake, build_asset
from lift3d.asset.bake import RIM_ERODE_PX, fill_from_nearest, rasterize_faces, sample_view_image
from lift3d.images import extend_beyond_mask
from lift3d.types import Cutout


def test_sampling_hits_pixel_centres_of_the_view_frame() -> None:
    size = 8
    image = np.arange(size * size, dtype=np.float32).reshape(size, size, 1)
    row, col = 2, 5
    x = (2 * col + 1) / size - 1
    y = 1 - (2 * row + 1) / size
    assert sample_view_image(image, np.array([x]), np.array([y]))[0, 0] == image[row, col, 0]


def test_extension_replaces_background_and_rim_with_object_colour() -> None:
    image = np.ones((32, 32, 3), dtype=np.float32)
    mask = np.zeros((32, 32), dtype=bool)
    mask[8:24, 8:24] = True
    image[mask] = (0.2, 0.4, 0.6)
    image[8, 8:24] = (0.9, 0.9, 0.9)  # an anti-aliased rim row, half background
    extended = extend_beyond_mask(image, mask, RIM_ERODE_PX)
    assert np.allclose(extended[0, 0], (0.2, 0.4, 0.6))
    assert np.allclose(extended[8, 12], (0.2, 0.4, 0.6))


def test_rasterized_triangle_covers_its_texels_and_fill_reaches_everywhere() -> None:
    uv = np.array([[0.1, 0.1], [0.9, 0.1], [0.1, 0.9]])
    image = rasterize_faces(uv, np.array([[0, 1, 2]]), 64)
    covered = image >= 0
    # UV v points up, so the triangle fills the lower-left half of the image.
    assert covered[50, 10] and covered[50, 50] and covered[10, 10]
    assert not covered[10, 50]
    assert (image[covered] == 0).all()
    texture = np.zeros((64, 64, 3), dtype=np.float32)
    texture[covered] = 1.0
    assert (fill_from_nearest(texture, covered) == 1.0).all()


def test_baking_in_row_bands_gives_the_same_texture(monkeypatch: pytest.MonkeyPatch) -> None:
    cutout = disc_cutout()
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    options = AssetOptions(max_faces=1000, texture_px=128)
    whole = build_asset(mesh, cutout, None, options).texture
    monkeypatch.setattr(bake, "_TEXELS_PER_BAND", 128 * 5)  # 5 rows per band, uneven split
    banded = build_asset(mesh, cutout, None, options).texture
    assert np.array_equal(whole, banded)


def test_side_walls_take_the_fill_colour_not_the_drawn_outline() -> None:
    """A cartoon's dark outline stays on the front; edge-on walls get the colour inside it."""
    size, orange, ink = 128, np.array([0.95, 0.55, 0.1]), np.array([0.1, 0.05, 0.05])
    centres = (np.arange(size) + 0.5) / size * 2 - 1
    x, y = np.meshgrid(centres, -centres)
    radius = np.hypot(x, y)
    mask = radius < 0.8
    rgb = np.ones((size, size, 3), dtype=np.float32)
    rgb[mask] = orange
    rgb[mask & (radius > 0.8 - 4 * 2 / size)] = ink  # a 4-pixel outline
    cutout = Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, size, size), source="outlined disc")
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=0.8)
    asset = build_asset(mesh, cutout, None, AssetOptions(max_faces=5000, texture_px=256))
    normals = asset.mesh.vertex_normals
    wall = np.abs(normals[:, 2]) < 0.15
    assert wall.sum() > 20
    uv = asset.mesh.visual.uv[wall]
    texture = asset.texture.astype(np.float32) / 255.0
    px = np.clip(np.rint(bake._uv_to_pixels(uv, 256)).astype(int), 0, 255)
    colours = texture[px[:, 1], px[:, 0]]
    # walls facing the viewer's side share the front's colour, the hidden half a darker shade
    assert np.median(np.linalg.norm(colours - orange * bake.BACK_SHADE, axis=1)) < 0.2
    assert np.mean(np.linalg.norm(colours - ink, axis=1) < 0.2) < 0.05

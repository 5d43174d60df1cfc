"""Texture-bake helpers follow the view-frame pixel convention and never leave holes."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from asset_shapes import disc_cutout

from lift3d.asset import AssetOptions, bake, build_asset
from lift3d.asset.bake import extend_beyond_mask, fill_from_nearest, rasterize_faces, sample_view_image


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
    extended = extend_beyond_mask(image, mask)
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

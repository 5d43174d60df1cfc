"""Shape maps become closed, correctly placed surfaces whatever the maps say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from lift3d.reconstruct import ReconstructOptions, maps_to_mesh
from lift3d.types import ShapeMaps
from tests.conftest import view_grid


def sphere_maps(radius: float, size_px: int) -> ShapeMaps:
    x, y = view_grid(size_px)
    mask = x**2 + y**2 < radius**2
    height = np.sqrt(np.clip(radius**2 - x**2 - y**2, 0, None)).astype(np.float32)
    return ShapeMaps(mask=mask, front_z=height, back_z=-height)


def test_sphere_maps_give_a_sphere() -> None:
    mesh = maps_to_mesh(sphere_maps(0.6, 128))
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert abs(mesh.volume - 4 / 3 * np.pi * 0.6**3) / (4 / 3 * np.pi * 0.6**3) < 0.05
    radii = np.linalg.norm(mesh.vertices, axis=1)
    assert np.abs(radii - 0.6).max() < 0.03


def test_low_resolution_maps_keep_the_full_resolution_outline() -> None:
    full = sphere_maps(0.6, 256)
    coarse = sphere_maps(0.6, 32)
    mesh = maps_to_mesh(ShapeMaps(mask=full.mask, front_z=coarse.front_z, back_z=coarse.back_z))
    assert mesh.is_watertight
    radius_in_plane = np.linalg.norm(mesh.vertices[:, :2], axis=1)
    assert abs(radius_in_plane.max() - 0.6) < 0.02


def test_box_maps_keep_flat_faces_at_the_right_depth() -> None:
    x, y = view_grid(128)
    mask = (np.abs(x) < 0.5) & (np.abs(y) < 0.3)
    front = np.full(mask.shape, 0.2, np.float32)
    mesh = maps_to_mesh(
        ShapeMaps(mask=mask, front_z=front, back_z=-front), ReconstructOptions(smooth_iterations=0)
    )
    assert mesh.is_watertight
    np.testing.assert_allclose(mesh.bounds, [[-0.5, -0.3, -0.2], [0.5, 0.3, 0.2]], atol=0.02)


def test_floating_specks_are_removed_but_real_parts_kept() -> None:
    x, y = view_grid(128)
    mask = ((x - 0.4) ** 2 + y**2 < 0.1) | ((x + 0.4) ** 2 + y**2 < 0.1)
    mask[5:7, 5:7] = True  # a speck of dust
    height = np.where(mask, 0.2, 0).astype(np.float32)
    height[5:7, 5:7] = 0.01
    mesh = maps_to_mesh(ShapeMaps(mask=mask, front_z=height, back_z=-height))
    parts = mesh.split()
    assert len(parts) == 2
    assert all(part.is_watertight for part in parts)


def test_inverted_maps_still_give_a_closed_surface() -> None:
    maps = sphere_maps(0.5, 64)
    mesh = maps_to_mesh(ShapeMaps(mask=maps.mask, front_z=maps.back_z, back_z=maps.front_z))
    assert mesh.is_watertight and mesh.volume > 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), blobs=st.integers(1, 4))
def test_any_mask_gives_a_closed_outward_mesh(seed: int, blobs: int) -> None:
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal((64, 64)), 4)
    mask = noise > np.quantile(noise, 1 - 0.1 * blobs)
    depth = rng.uniform(-0.5, 0.5, (16, 16)).astype(np.float32)
    maps = ShapeMaps(
        mask=mask, front_z=depth + 0.1, back_z=depth - rng.uniform(0, 0.3, (16, 16)).astype(np.float32)
    )
    mesh = maps_to_mesh(maps, ReconstructOptions(grid_px=64))
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.volume > 0
    assert all(part.volume > 0 for part in mesh.split())


def test_maps_whose_field_ties_at_zero_still_close() -> None:
    """Regression: diffusion maps of a held-out extrusion gave 480 voxels exactly at the level."""
    saved = np.load(Path(__file__).with_name("tied_field_maps.npz"))
    maps = ShapeMaps(mask=saved["mask"], front_z=saved["front_z"], back_z=saved["back_z"])
    assert maps_to_mesh(maps).is_watertight

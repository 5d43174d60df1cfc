"""build_asset gives a placed, textured, closed asset whose colours come from the picture."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import trimesh
from asset_shapes import BLUE, GREEN, RED, disc_cutout, green_back_maps

from lift3d.asset import AssetOptions, build_asset
from lift3d.asset.topology import is_closed_manifold
from lift3d.export.geometry import weld_by_position
from lift3d.types import Asset, Cutout

OPTIONS = AssetOptions(max_faces=2000, texture_px=256, height_m=1.7)


def _colour_at_vertices(asset: Asset, chosen: np.ndarray) -> np.ndarray:
    uv = asset.mesh.visual.uv[chosen]
    size = asset.texture.shape[0]
    cols = np.clip((uv[:, 0] * size).astype(int), 0, size - 1)
    rows = np.clip(((1 - uv[:, 1]) * size).astype(int), 0, size - 1)
    return asset.texture[rows, cols] / 255.0


@pytest.fixture(scope="module")
def sphere_asset() -> tuple[trimesh.Trimesh, Asset]:
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.8)
    return mesh, build_asset(mesh, disc_cutout(), None, OPTIONS)


def test_asset_is_placed_in_metres_and_input_untouched(sphere_asset: tuple[trimesh.Trimesh, Asset]) -> None:
    mesh, asset = sphere_asset
    low, high = asset.mesh.bounds
    assert high[1] - low[1] == pytest.approx(1.7)
    # pivot "base" (issue 16): the bottom on the floor, centred in x and z
    assert low[1] == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(((low + high) / 2)[[0, 2]], 0, atol=1e-9)
    assert len(mesh.faces) == 20480 and mesh.bounds[1][1] == pytest.approx(0.8)


def test_center_pivot_puts_the_box_centre_at_the_origin() -> None:
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=0.8)
    asset = build_asset(mesh, disc_cutout(), None, replace(OPTIONS, pivot="center"))
    assert np.allclose(asset.mesh.bounds.mean(axis=0), 0, atol=1e-9)


def test_faces_meet_budget_and_welded_mesh_is_closed(sphere_asset: tuple[trimesh.Trimesh, Asset]) -> None:
    _, asset = sphere_asset
    assert len(asset.mesh.faces) <= OPTIONS.max_faces
    _, faces, _ = weld_by_position(asset.mesh)
    assert is_closed_manifold(faces)


def test_uv_and_texture(sphere_asset: tuple[trimesh.Trimesh, Asset]) -> None:
    _, asset = sphere_asset
    uv = asset.mesh.visual.uv
    assert uv.shape == (len(asset.mesh.vertices), 2)
    assert uv.min() >= 0 and uv.max() <= 1
    assert asset.texture.shape == (256, 256, 3) and asset.texture.dtype == np.uint8
    # Gutters are filled too, so no texel anywhere is pure black.
    assert not (asset.texture.max(axis=2) == 0).any()
    material = asset.mesh.visual.material
    assert material.baseColorTexture.size == (256, 256)
    assert material.metallicFactor == 0.0 and material.roughnessFactor == pytest.approx(0.8)


def test_front_colours_follow_the_picture(sphere_asset: tuple[trimesh.Trimesh, Asset]) -> None:
    _, asset = sphere_asset
    vertices, normals = asset.mesh.vertices, asset.mesh.vertex_normals
    left = (normals[:, 2] > 0.9) & (vertices[:, 0] < -0.05)
    right = (normals[:, 2] > 0.9) & (vertices[:, 0] > 0.05)
    assert np.allclose(_colour_at_vertices(asset, left).mean(axis=0), RED, atol=0.05)
    assert np.allclose(_colour_at_vertices(asset, right).mean(axis=0), BLUE, atol=0.05)
    # The rim must not pick up the white background of the cutout.
    rim = np.abs(normals[:, 2]) < 0.2
    assert _colour_at_vertices(asset, rim).min(axis=1).max() < 0.5


def test_back_colour_comes_from_shape_maps() -> None:
    cutout = disc_cutout()
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=0.8)
    asset = build_asset(mesh, cutout, green_back_maps(cutout), OPTIONS)
    back = asset.mesh.vertex_normals[:, 2] < -0.9
    assert np.allclose(_colour_at_vertices(asset, back).mean(axis=0), GREEN, atol=0.05)


def test_box_keeps_sharp_creases_unless_angle_allows_smoothing(cutout: Cutout) -> None:
    box = trimesh.creation.box(extents=(1.2, 1.0, 0.6))
    sharp = build_asset(box, cutout, None, OPTIONS).mesh.vertex_normals
    assert np.allclose(np.abs(sharp).max(axis=1), 1.0)
    smooth_options = AssetOptions(max_faces=2000, texture_px=256, crease_angle_deg=180)
    smooth = build_asset(box, cutout, None, smooth_options).mesh.vertex_normals
    assert np.abs(smooth).max(axis=1).max() < 0.99


def test_torus_and_provenance(cutout: Cutout) -> None:
    torus = trimesh.creation.torus(major_radius=0.6, minor_radius=0.2, major_sections=64, minor_sections=32)
    asset = build_asset(torus, cutout, None, OPTIONS)
    assert asset.provenance["asset_options"]["max_faces"] == 2000
    assert set(asset.provenance["timings_s"]) >= {"clean", "decimate", "uv", "bake"}
    _, faces, _ = weld_by_position(asset.mesh)
    assert is_closed_manifold(faces)


def test_open_mesh_is_rejected(cutout: Cutout) -> None:
    box = trimesh.creation.box()
    square_sheet = trimesh.Trimesh(box.vertices, box.faces[2:4], process=False)
    with pytest.raises(ValueError, match="closed"):
        build_asset(square_sheet, cutout, None, OPTIONS)

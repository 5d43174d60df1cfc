"""Renderer: depth maps match analytic shapes, mask and alpha agree, placement obeys OBJECT_FILL."""

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from lift3d.camera import view_rotation
from lift3d.data.materials import PATTERNS, Material, albedo, random_material
from lift3d.data.render import Lighting, pixel_centres, place_in_view, render
from lift3d.types import OBJECT_FILL

LIGHT = Lighting(directions=np.array([[0.0, 0.0, 1.0]]), intensities=np.array([0.7]), ambient=0.3)


def render_mesh(mesh: trimesh.Trimesh, size_px: int = 64):
    face_material = np.zeros(len(mesh.faces), dtype=np.int16)
    return render(
        np.asarray(mesh.vertices),
        np.asarray(mesh.faces),
        face_material,
        [Material((0.8, 0.2, 0.2))],
        LIGHT,
        size_px,
    )


def test_sphere_depth_maps_match_the_analytic_surface():
    radius = 0.7
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=radius)
    result = render_mesh(mesh)
    x, y = pixel_centres(64)
    inside = x**2 + y**2 < (radius * 0.97) ** 2
    outside = x**2 + y**2 > (radius * 1.03) ** 2
    assert result.mask[inside].all()
    assert not result.mask[outside].any()
    height = np.sqrt(np.clip(radius**2 - x**2 - y**2, 0.0, None))
    np.testing.assert_allclose(result.front_z[inside], height[inside], atol=5e-3)
    np.testing.assert_allclose(result.back_z[inside], -height[inside], atol=5e-3)


def test_box_is_flat_and_maps_are_zero_off_the_mask():
    mesh = trimesh.creation.box((1.0, 0.8, 0.6))
    result = render_mesh(mesh)
    mask = result.mask
    np.testing.assert_allclose(result.front_z[mask], 0.3, atol=1e-5)
    np.testing.assert_allclose(result.back_z[mask], -0.3, atol=1e-5)
    assert not result.front_z[~mask].any() and not result.back_z[~mask].any()
    assert result.rgba.dtype == np.uint8 and result.front_z.dtype == np.float32


def test_image_orientation_follows_the_view_frame():
    """+x is to the right, +y is up (row 0 is the top), +z is toward the viewer."""
    mesh = trimesh.creation.box((0.4, 0.4, 0.4))
    mesh.apply_translation((0.5, 0.5, 0.3))
    result = render_mesh(mesh)
    rows, cols = np.nonzero(result.mask)
    assert rows.max() < 32 and cols.min() >= 32
    np.testing.assert_allclose(result.front_z[result.mask], 0.5, atol=1e-5)
    np.testing.assert_allclose(result.back_z[result.mask], 0.1, atol=1e-5)


def test_alpha_is_antialiased_but_thresholds_to_the_mask():
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=0.6)
    result = render_mesh(mesh)
    alpha = result.rgba[..., 3]
    assert ((alpha > 0) & (alpha < 255)).any()  # soft edge
    x, y = pixel_centres(64)
    hit_centre = x**2 + y**2 < 0.6**2
    edge = np.abs(np.sqrt(x**2 + y**2) - 0.6) < 0.02
    np.testing.assert_array_equal(result.mask[~edge], hit_centre[~edge])


def test_view_rotation_elevation_shows_the_top():
    rotation = view_rotation(0.0, 30.0)
    top = rotation @ np.array([0.0, 1.0, 0.0])
    assert top[2] > 0.4  # the object's up axis tips toward the viewer
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    st.floats(0, 360),
    st.floats(-10, 40),
    st.tuples(st.floats(0.1, 5), st.floats(0.1, 5), st.floats(0.1, 5)),
    st.integers(0, 2**16),
)
def test_placement_fills_object_fill_and_centres_z(azimuth, elevation, extents, seed):
    points = np.random.default_rng(seed).normal(size=(40, 3)) * np.array(extents) + 3.0
    placed = place_in_view(points, azimuth, elevation).vertices
    low, high = placed.min(axis=0), placed.max(axis=0)
    assert max(high[0] - low[0], high[1] - low[1]) == pytest.approx(2 * OBJECT_FILL)
    np.testing.assert_allclose((low + high) / 2, 0.0, atol=1e-9)
    assert np.abs(placed[:, :2]).max() <= OBJECT_FILL + 1e-9


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_pattern_gives_colours_in_range(pattern):
    points = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    material = Material(base_rgb=(0.2, 0.4, 0.6), pattern=pattern, pattern_rgb=(0.9, 0.9, 0.1))
    colour = albedo(material, points)
    assert colour.shape == (500, 3)
    assert (colour >= 0).all() and (colour <= 1).all()
    if pattern != "plain":
        assert colour.std(axis=0).max() > 0.05  # the pattern actually varies


def test_random_material_is_deterministic():
    assert random_material(np.random.default_rng(3)) == random_material(np.random.default_rng(3))

"""Shape families: every family builds one watertight solid, reproducibly."""

import numpy as np
import pytest

from lift3d.data.shapes import FAMILIES, Part, box, sphere, superquadric_points, union_parts

REQUIRED_FAMILIES = {
    "primitive",
    "superquadric",
    "revolution",
    "extrusion",
    "toy",
    "blob",
    "character",
    "furniture",
}


def test_registry_has_the_required_families():
    assert REQUIRED_FAMILIES <= set(FAMILIES)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_builds_watertight_single_solids(family):
    for seed in range(6):
        part_mesh = union_parts(FAMILIES[family](np.random.default_rng(seed)))
        mesh = part_mesh.mesh
        assert mesh.is_watertight, (family, seed)
        assert mesh.is_winding_consistent, (family, seed)
        assert mesh.volume > 0, (family, seed)
        assert 4 <= len(mesh.faces) <= 6000, (family, seed)
        assert len(part_mesh.face_role) == len(mesh.faces)
        assert part_mesh.face_role.max() < len(part_mesh.roles)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_is_deterministic_given_the_generator(family):
    first = union_parts(FAMILIES[family](np.random.default_rng(11))).mesh
    second = union_parts(FAMILIES[family](np.random.default_rng(11))).mesh
    np.testing.assert_array_equal(first.vertices, second.vertices)
    np.testing.assert_array_equal(first.faces, second.faces)


def test_union_merges_overlaps_and_keeps_roles():
    parts = [Part(box((1, 1, 1)), "a"), Part(sphere(0.4, (0.5, 0.0, 0.0)), "b")]
    part_mesh = union_parts(parts)
    assert part_mesh.mesh.is_watertight
    assert part_mesh.mesh.body_count == 1
    assert part_mesh.roles == ("a", "b")
    assert set(np.unique(part_mesh.face_role)) == {0, 1}
    # the union is smaller than the sum: the overlap was merged, not stacked
    assert part_mesh.mesh.volume < 1.0 + 4 / 3 * np.pi * 0.4**3 - 0.05


def test_subtracted_part_carves_a_cavity():
    parts = [Part(box((1, 1, 1))), Part(box((0.5, 0.5, 0.5)), "inside", subtract=True)]
    part_mesh = union_parts(parts)
    assert part_mesh.mesh.volume == pytest.approx(1.0 - 0.125, rel=1e-6)
    assert "inside" in part_mesh.roles


def test_superquadric_with_unit_exponents_is_an_ellipsoid():
    directions = np.random.default_rng(0).normal(size=(50, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = np.array([0.3, 0.5, 0.4])
    points = superquadric_points(directions, radii, (1.0, 1.0))
    np.testing.assert_allclose(np.sum((points / radii) ** 2, axis=1), 1.0, rtol=1e-9)

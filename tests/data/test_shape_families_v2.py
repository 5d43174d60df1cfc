"""Data engine v2: the new families and deformations give closed single solids, reproducibly,
and the v1 families keep their exact draws."""

import numpy as np
import pytest

from lift3d.data.deform import DEFORMATION_KINDS, Deformation, random_deformation
from lift3d.data.shapes import FAMILIES, V1_FAMILY_NAMES, Part, box, union_parts

V2_FAMILIES = ("creature", "prop", "vehicle", "building", "thin_furniture", "mechanical")
V3_FAMILIES = ("rod",)


def assert_closed_single_solid(mesh, label):
    assert mesh.is_watertight, label
    assert mesh.is_winding_consistent, label
    assert mesh.volume > 0, label
    assert mesh.body_count == 1, label


def test_registry_keeps_v1_first_and_adds_v2():
    assert tuple(FAMILIES)[: len(V1_FAMILY_NAMES)] == V1_FAMILY_NAMES
    assert set(V2_FAMILIES) <= set(FAMILIES)


@pytest.mark.parametrize("family", V2_FAMILIES + V3_FAMILIES)
def test_new_family_is_one_closed_solid_and_reproducible(family):
    for seed in range(8):
        first = union_parts(FAMILIES[family](np.random.default_rng([seed, 0]))).mesh
        assert_closed_single_solid(first, (family, seed))
        assert len(first.faces) <= 6000, (family, seed)
        second = union_parts(FAMILIES[family](np.random.default_rng([seed, 0]))).mesh
        np.testing.assert_array_equal(first.vertices, second.vertices)
        np.testing.assert_array_equal(first.faces, second.faces)


@pytest.mark.parametrize("kind", DEFORMATION_KINDS)
def test_deformed_box_stays_closed_and_changes_shape(kind):
    solid = box((0.3, 1.0, 0.2))
    plain = union_parts([Part(solid)]).mesh
    deformed = union_parts([Part(solid)], Deformation(kind, 1, 0.5 if kind == "taper" else 1.5, 0)).mesh
    assert_closed_single_solid(deformed, kind)
    assert (
        not np.allclose(deformed.bounds, plain.bounds, atol=1e-3)
        or abs(deformed.volume - plain.volume) > 1e-3
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_random_deformations_keep_every_family_closed(family):
    for seed in range(3):
        deformation = random_deformation(np.random.default_rng([seed, 0, 7]))
        mesh = union_parts(FAMILIES[family](np.random.default_rng([seed, 0])), deformation).mesh
        assert_closed_single_solid(mesh, (family, seed, deformation))


def test_rods_are_thin_parts_that_lean_in_depth():
    """The v3 family exists for thin parts turned out of the picture plane: most fill a small
    share of their bounding box, and their principal axes are not lined up with the view."""
    fills, tilts = [], []
    for seed in range(24):
        mesh = union_parts(FAMILIES["rod"](np.random.default_rng([seed, 0]))).mesh
        fills.append(mesh.volume / np.prod(mesh.extents))
        # the longest principal axis's share along z (the depth of an unrotated view)
        axis = mesh.principal_inertia_vectors[0]
        tilts.append(abs(axis[2]))
    assert np.median(fills) < 0.15, fills
    assert np.mean(np.array(tilts) > 0.3) > 0.3, tilts


def test_synth_default_mix_keeps_the_v2_families_seed_for_seed():
    """Adding the v3 families must not reshuffle `lift3d data synth`'s default round-robin, or
    every recorded v2 recipe would silently make other data."""
    from lift3d.data.synth import FAMILY_GROUPS, SYNTH_FAMILY_NAMES, check_families

    assert SYNTH_FAMILY_NAMES == V1_FAMILY_NAMES + V2_FAMILIES
    assert check_families(["v3"]) == V3_FAMILIES
    assert set(FAMILY_GROUPS["all"]) == set(SYNTH_FAMILY_NAMES + V3_FAMILIES)

"""Joint placement from the outline: humanoids within tolerance, other shapes get a chain."""

from __future__ import annotations

import numpy as np

from lift3d.rig.place import place_skeleton
from lift3d.rig.skeleton import HUMANOID_JOINTS
from tests.conftest import view_grid


def test_humanoid_joints_land_within_five_percent_of_height(humanoids) -> None:
    for sample in humanoids:
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        assert placement.skeleton.kind == "humanoid"
        assert placement.skeleton.names == HUMANOID_JOINTS
        assert placement.confidence >= 0.5
        error = np.linalg.norm(placement.skeleton.positions[:, :2] - sample.skeleton.positions[:, :2], axis=1)
        assert error.mean() / sample.height < 0.05
        assert error.max() / sample.height < 0.12


def test_joints_sit_between_the_front_and_back_surface(humanoids) -> None:
    sample = humanoids[0]
    skeleton = place_skeleton(sample.mask, sample.front_z, sample.back_z).skeleton
    size = len(sample.mask)
    columns = np.clip(np.round((skeleton.positions[:, 0] + 1) * size / 2 - 0.5).astype(int), 0, size - 1)
    rows = np.clip(np.round((1 - skeleton.positions[:, 1]) * size / 2 - 0.5).astype(int), 0, size - 1)
    inside = sample.mask[rows, columns]
    z = skeleton.positions[inside, 2]
    assert (z <= sample.front_z[rows, columns][inside] + 1e-6).all()
    assert (z >= sample.back_z[rows, columns][inside] - 1e-6).all()


def test_a_larger_picture_places_the_same_joints(humanoids) -> None:
    from lift3d.data.characters import character_sample

    small = humanoids[0]
    large = character_sample(small.seed, 256)
    a = place_skeleton(small.mask, small.front_z, small.back_z).skeleton.positions[:, :2]
    b = place_skeleton(large.mask, large.front_z, large.back_z).skeleton.positions[:, :2]
    assert np.linalg.norm(a - b, axis=1).mean() / small.height < 0.03


def test_a_box_and_a_star_are_not_humanoids() -> None:
    x, y = view_grid(128)
    box = (np.abs(x) < 0.6) & (np.abs(y) < 0.4)
    angle, radius = np.arctan2(y, x), np.hypot(x, y)
    star = radius < 0.25 + 0.5 * np.clip(np.cos(3 * angle), 0, None) ** 8
    for mask in (box, star):
        depth = np.where(mask, 0.2, 0.0).astype(np.float32)
        placement = place_skeleton(mask, depth, -depth)
        assert placement.skeleton.kind == "chain"
        assert placement.confidence == 0.0
        assert len(placement.skeleton.names) >= 1
        assert np.allclose(placement.skeleton.positions[:, 2], 0.0)  # midway between +0.2 and -0.2


def test_a_star_gets_a_chain_along_each_arm() -> None:
    x, y = view_grid(128)
    angle, radius = np.arctan2(y, x), np.hypot(x, y)
    star = radius < 0.2 + 0.6 * np.clip(np.cos(3 * angle), 0, None) ** 8
    depth = np.where(star, 0.1, 0.0).astype(np.float32)
    skeleton = place_skeleton(star, depth, -depth).skeleton
    tips = skeleton.tails[[i for i in range(len(skeleton.names)) if i not in skeleton.parents]]
    tip_angles = np.sort(np.degrees(np.arctan2(tips[:, 1], tips[:, 0])) % 360)
    assert len(tip_angles) == 3
    assert np.allclose(np.diff(tip_angles), 120, atol=15)

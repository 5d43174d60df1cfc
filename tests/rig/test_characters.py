"""The character generator: closed meshes, the documented joints, the character's left on the picture's right."""

from __future__ import annotations

import numpy as np

from lift3d.data.characters import character_sample, humanoid
from lift3d.rig.skeleton import HUMANOID_JOINTS


def test_humanoids_are_one_closed_solid_with_the_documented_joints() -> None:
    for seed in range(3):
        character = humanoid(np.random.default_rng(seed))
        assert character.mesh.is_watertight
        assert character.mesh.body_count == 1
        assert character.skeleton.names == HUMANOID_JOINTS
        # every joint lies inside the volume it moves
        assert character.mesh.contains(character.skeleton.positions).all()


def test_front_view_puts_the_left_side_on_the_right_of_the_picture(humanoids) -> None:
    for sample in humanoids:
        columns = dict(zip(sample.skeleton.names, sample.joints_px()[:, 0], strict=True))
        for joint in ("upper_arm", "upper_leg"):
            assert columns[joint + ".L"] > columns[joint + ".R"]
        rows, cols = np.round(sample.joints_px()[:, ::-1]).astype(int).T
        assert sample.mask[rows, cols].mean() > 0.9  # the true joints land on the character


def test_same_seed_same_character() -> None:
    first, second = character_sample(7, 64), character_sample(7, 64)
    assert np.array_equal(first.rgba, second.rgba)
    assert np.allclose(first.skeleton.positions, second.skeleton.positions)

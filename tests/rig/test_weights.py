"""Skin weights: normalised, at most 4 influences, local to their bones, and no tearing in any clip."""

from __future__ import annotations

import numpy as np
import trimesh

from lift3d.rig.animate import HUMANOID_CLIPS, joint_matrices, make_clips, max_edge_stretch, skin
from lift3d.rig.place import place_skeleton
from lift3d.rig.skeleton import Skeleton
from lift3d.rig.weights import heat_weights, top_influences


def test_weights_are_normalised_with_at_most_four_influences(humanoids) -> None:
    sample = humanoids[0]
    joints, weights = heat_weights(sample.vertices, sample.faces, sample.skeleton)
    assert joints.shape == weights.shape == (len(sample.vertices), 4)
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert (weights >= 0).all()
    assert (joints >= 0).all() and (joints < len(sample.skeleton.names)).all()


def test_top_influences_are_continuous_where_the_fifth_joint_changes() -> None:
    near = np.array([[0.4, 0.3, 0.2, 0.06, 0.04, 0.0]])
    swapped = np.array([[0.4, 0.3, 0.2, 0.04, 0.06, 0.0]])
    _, a = top_influences(near)
    joints, b = top_influences(swapped)
    assert np.abs(a - b).max() < 0.05  # the 4th weight reaches zero as it becomes the 5th
    assert np.isclose(b.sum(), 1.0)
    assert (b[0] > 0).sum() <= 4 and joints.shape == (1, 4)


def test_a_bent_tube_follows_its_two_bones() -> None:
    tube = trimesh.creation.capsule(height=2.0, radius=0.2, count=[16, 16])  # along z, from -1.2 to 1.2
    skeleton = Skeleton(
        "chain",
        ("root", "chain0.0"),
        (-1, 0),
        positions=np.array([[0.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
        tails=np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
    )
    joints, weights = heat_weights(np.asarray(tube.vertices), np.asarray(tube.faces), skeleton)
    z = tube.vertices[:, 2]
    top_joint = joints[np.arange(len(z)), np.argmax(weights, axis=1)]
    assert (top_joint[z > 0.5] == 1).all() and (top_joint[z < -0.5] == 0).all()
    middle = np.abs(z) < 0.05
    assert (weights[middle].max(axis=1) < 0.9).all()  # blended across the joint, not a hard seam


def test_no_triangle_stretches_past_twice_its_length_in_any_clip(humanoids) -> None:
    sample = humanoids[1]
    skeleton = place_skeleton(sample.mask, sample.front_z, sample.back_z).skeleton
    # the capsules' long side triangles split to about the pipeline's edge lengths
    vertices, faces = trimesh.remesh.subdivide_to_size(
        sample.vertices, sample.faces, max_edge=0.04 * sample.height
    )
    joints, weights = heat_weights(vertices, faces, skeleton)
    clips = make_clips(skeleton, ())
    assert [clip.name for clip in clips] == list(HUMANOID_CLIPS)
    for clip in clips:
        for key in range(len(clip.times_s)):
            posed = skin(vertices, joints, weights, joint_matrices(skeleton, clip, key))
            assert max_edge_stretch(vertices, posed, faces) <= 2.0, (clip.name, key)


def test_clips_loop_and_the_one_shots_start_at_rest(humanoids) -> None:
    skeleton = humanoids[0].skeleton
    for clip in make_clips(skeleton, ()):
        first, last = joint_matrices(skeleton, clip, 0), joint_matrices(skeleton, clip, len(clip.times_s) - 1)
        assert np.allclose(first, last, atol=1e-6), clip.name
        if clip.name in ("wave", "jump"):
            assert np.allclose(first, np.eye(4), atol=1e-6), clip.name

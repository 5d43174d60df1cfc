"""Quadrupeds: the documented joint table, the data engine's animals built on it, and their walk."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pygltflib
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from lift3d.data.characters import CharacterSample, quadruped_sample
from lift3d.export.gltf_skin import export_rigged_glb
from lift3d.rig.animate import joint_matrices, make_clips, max_edge_stretch, skin
from lift3d.rig.skeleton import QUADRUPED_JOINTS, QUADRUPED_PARENTS, QUADRUPED_TIPS, Rig
from lift3d.rig.weights import heat_weights
from lift3d.types import Asset
from tests.export.test_export_gltf_validator import VALIDATOR, validator_missing


@pytest.fixture(scope="module")
def animal() -> CharacterSample:
    return quadruped_sample(20000, 96)


@pytest.fixture(scope="module")
def rig(animal: CharacterSample) -> Rig:
    joints, weights = heat_weights(animal.vertices, animal.faces, animal.skeleton)
    return Rig(animal.skeleton, joints, weights, make_clips(animal.skeleton, ["wave"]), confidence=1.0)


def test_the_table_is_a_tree_in_order() -> None:
    assert len(QUADRUPED_JOINTS) == 18 and set(QUADRUPED_PARENTS) == set(QUADRUPED_JOINTS)
    for index, name in enumerate(QUADRUPED_JOINTS):
        parent = QUADRUPED_PARENTS[name]
        assert parent is None or QUADRUPED_JOINTS.index(parent) < index
    assert set(QUADRUPED_TIPS) <= set(QUADRUPED_JOINTS)


def test_the_engine_builds_animals_on_the_table(animal: CharacterSample) -> None:
    skeleton = animal.skeleton
    assert skeleton.kind == "quadruped" and skeleton.names == QUADRUPED_JOINTS
    # head toward +X, the tail behind; the right (.R) legs are the near ones (+Z), feet below the body
    assert skeleton.tails[skeleton.names.index("head")][0] > skeleton.position("chest")[0]
    assert skeleton.tails[skeleton.names.index("tail")][0] < skeleton.position("hips")[0]
    for end in ("front", "back"):
        assert skeleton.position(f"{end}_upper_leg.R")[2] > 0 > skeleton.position(f"{end}_upper_leg.L")[2]
        assert skeleton.position(f"{end}_foot.R")[1] < skeleton.position("hips")[1]
    inside = trimesh.Trimesh(animal.vertices, animal.faces).contains(skeleton.positions)
    assert inside.mean() >= 0.9  # joints sit in the body, not beside it


def test_a_quadruped_walks_whatever_clips_were_asked_for(animal: CharacterSample, rig: Rig) -> None:
    assert [clip.name for clip in rig.clips] == ["walk"]
    (walk,) = rig.clips
    index = animal.skeleton.names.index
    # four beats: the hind legs swing half a cycle apart
    quarter = len(walk.times_s) // 4
    left = Rotation.from_quat(walk.rotations[index("back_upper_leg.L")][quarter]).as_rotvec()
    right = Rotation.from_quat(walk.rotations[index("back_upper_leg.R")][quarter]).as_rotvec()
    assert np.dot(left, right) < 0


def test_the_walk_stretches_no_edge_past_twice(animal: CharacterSample, rig: Rig) -> None:
    assert rig.joints.shape[1] == 4 and np.allclose(rig.weights.sum(axis=1), 1.0, atol=1e-5)
    (walk,) = rig.clips
    stretch = max(
        max_edge_stretch(
            animal.vertices,
            skin(animal.vertices, rig.joints, rig.weights, joint_matrices(animal.skeleton, walk, key)),
            animal.faces,
        )
        for key in range(len(walk.times_s))
    )
    assert stretch <= 2.0


def test_a_rigged_quadruped_glb_has_the_named_joints_and_a_walk(
    tmp_path, animal: CharacterSample, rig: Rig
) -> None:
    mesh = trimesh.Trimesh(animal.vertices, animal.faces, process=False)
    mesh.visual = trimesh.visual.TextureVisuals(uv=np.full((len(mesh.vertices), 2), 0.5))
    asset = Asset(mesh=mesh, texture=np.full((8, 8, 3), 128, dtype=np.uint8))
    (path,) = export_rigged_glb(asset, rig, tmp_path / "dog.glb")
    gltf = pygltflib.GLTF2().load(str(path))
    assert [gltf.nodes[j].name for j in gltf.skins[0].joints] == list(QUADRUPED_JOINTS)
    assert [animation.name for animation in gltf.animations] == ["walk"]
    if not validator_missing():
        run = subprocess.run(
            ["node", str(VALIDATOR / "validate.mjs"), str(path)], capture_output=True, text=True, check=True
        )
        (report,) = json.loads(run.stdout)
        assert report["errors"] == 0, report["messages"]

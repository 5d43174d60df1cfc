"""A rigged GLB: a skin of the named joints, one animation per clip, and poses that play as computed."""

from __future__ import annotations

import numpy as np
import pygltflib
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from lift3d.export.gltf_skin import export_rigged_glb
from lift3d.rig.animate import joint_matrices, make_clips, skin
from lift3d.rig.skeleton import HUMANOID_JOINTS, Rig
from lift3d.rig.weights import heat_weights
from lift3d.types import Asset


def _read(gltf: pygltflib.GLTF2, blob: bytes, index: int) -> np.ndarray:
    accessor = gltf.accessors[index]
    view = gltf.bufferViews[accessor.bufferView]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4, "MAT4": 16}[accessor.type]
    dtype = {5126: np.float32, 5121: np.uint8, 5123: np.uint16, 5125: np.uint32}[accessor.componentType]
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    return np.frombuffer(blob, dtype=dtype, count=accessor.count * width, offset=start).reshape(
        accessor.count, width
    )


def _pose_from_file(
    gltf: pygltflib.GLTF2, blob: bytes, animation: pygltflib.Animation, key: int
) -> np.ndarray:
    """Skin the file's mesh at one key, reading only the file (an independent glTF player)."""
    local = {
        i: [np.array(n.translation or [0, 0, 0], float), np.array([0, 0, 0, 1.0])]
        for i, n in enumerate(gltf.nodes)
    }
    for channel in animation.channels:
        output = _read(gltf, blob, animation.samplers[channel.sampler].output)[key].astype(float)
        local[channel.target.node][0 if channel.target.path == "translation" else 1] = output
    parent = {child: i for i, node in enumerate(gltf.nodes) for child in node.children or []}

    def world(node: int) -> np.ndarray:
        matrix = np.eye(4)
        matrix[:3, :3] = Rotation.from_quat(local[node][1]).as_matrix()
        matrix[:3, 3] = local[node][0]
        return world(parent[node]) @ matrix if node in parent else matrix

    skin_ = gltf.skins[0]
    inverse_bind = _read(gltf, blob, skin_.inverseBindMatrices).reshape(-1, 4, 4).transpose(0, 2, 1)
    matrices = np.array([world(joint) for joint in skin_.joints]) @ inverse_bind
    attributes = gltf.meshes[0].primitives[0].attributes
    vertices = _read(gltf, blob, attributes.POSITION).astype(float)
    joints = _read(gltf, blob, attributes.JOINTS_0).astype(int)
    weights = _read(gltf, blob, attributes.WEIGHTS_0).astype(float)
    return skin(vertices, joints, weights, matrices)


@pytest.fixture(scope="module")
def rigged(humanoids, tmp_path_factory):  # type: ignore[no-untyped-def]
    sample = humanoids[0]
    mesh = trimesh.Trimesh(sample.vertices, sample.faces, process=False)
    joints, weights = heat_weights(sample.vertices, sample.faces, sample.skeleton)
    clips = make_clips(sample.skeleton, ("walk", "wave"))
    rig = Rig(sample.skeleton, joints, weights, clips, confidence=1.0)
    path = tmp_path_factory.mktemp("rig") / "hero.glb"
    export_rigged_glb(Asset(mesh=mesh, texture=np.zeros((4, 4, 3), np.uint8)), rig, path)
    return path, rig, sample


def test_rigged_glb_has_a_skin_of_the_named_joints_and_one_animation_per_clip(rigged) -> None:
    path, rig, _ = rigged
    gltf = pygltflib.GLTF2().load(str(path))
    assert len(gltf.skins) == 1
    assert [gltf.nodes[j].name for j in gltf.skins[0].joints] == list(HUMANOID_JOINTS)
    assert [animation.name for animation in gltf.animations] == ["walk", "wave"]
    mesh_node = next(node for node in gltf.nodes if node.mesh is not None)
    assert mesh_node.skin == 0
    attributes = gltf.meshes[0].primitives[0].attributes
    weights = _read(gltf, gltf.binary_blob(), attributes.WEIGHTS_0)
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert ((weights > 0).sum(axis=1) <= 4).all()


def test_the_file_plays_the_poses_the_rig_computes(rigged) -> None:
    path, rig, sample = rigged
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob()
    for animation, clip in zip(gltf.animations, rig.clips, strict=True):
        key = len(clip.times_s) // 3
        from_file = _pose_from_file(gltf, blob, animation, key)
        expected = skin(sample.vertices, rig.joints, rig.weights, joint_matrices(rig.skeleton, clip, key))
        assert np.abs(from_file - expected).max() < 1e-4 * np.ptp(sample.vertices)
        assert np.abs(from_file - sample.vertices).max() > 0.01  # the clip really moves the mesh

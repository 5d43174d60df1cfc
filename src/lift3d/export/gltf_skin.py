"""Skinned binary glTF: the asset's GLB with joints, skin weights and one animation per clip.

The textured GLB comes from the plain exporter; this module adds what a skin needs
(glTF 2.0, section 3.7.3): a node per joint (rest rotations are identity, so each
node's translation is its offset from its parent), `inverseBindMatrices`, the mesh's
JOINTS_0 / WEIGHTS_0 attributes and a node-level `skin`, then an animation per clip
whose channels rotate joints (and move the root). pygltflib edits the file.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np

from lift3d.export.gltf import asset_glb
from lift3d.export.options import ExportOptions
from lift3d.files import write_bytes_atomic
from lift3d.rig.skeleton import Clip, Rig
from lift3d.types import Asset

ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
FLOAT = 5126
UNSIGNED_BYTE = 5121
UNSIGNED_SHORT = 5123


class _BinaryWriter:
    """Appends typed arrays to the GLB's one buffer, 4-byte aligned, as views and accessors."""

    def __init__(self, gltf, blob: bytes) -> None:  # type: ignore[no-untyped-def]
        self.gltf = gltf
        self.data = bytearray(blob)

    def accessor(self, array: np.ndarray, kind: str, component: int, target: int | None = None) -> int:
        import pygltflib

        while len(self.data) % 4:
            self.data.append(0)
        raw = np.ascontiguousarray(array).tobytes()
        self.gltf.bufferViews.append(
            pygltflib.BufferView(buffer=0, byteOffset=len(self.data), byteLength=len(raw), target=target)
        )
        self.data.extend(raw)
        flat = array.reshape(len(array), -1)
        accessor = pygltflib.Accessor(
            bufferView=len(self.gltf.bufferViews) - 1,
            componentType=component,
            count=len(array),
            type=kind,
        )
        if component == FLOAT and kind in ("SCALAR", "VEC3"):  # times and translations need bounds
            accessor.min = [float(v) for v in flat.min(axis=0)]
            accessor.max = [float(v) for v in flat.max(axis=0)]
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def finish(self) -> None:
        while len(self.data) % 4:
            self.data.append(0)
        self.gltf.buffers[0].byteLength = len(self.data)
        self.gltf.set_binary_blob(bytes(self.data))


def _exact_weights(weights: np.ndarray) -> np.ndarray:
    """float32 weights whose rows sum to 1 within float32 rounding (the validator checks)."""
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.sum(axis=1, keepdims=True)
    single = weights.astype(np.float32)
    largest = np.argmax(single, axis=1)
    rows = np.arange(len(single))
    single[rows, largest] = 0.0
    single[rows, largest] = np.float32(1.0) - single.sum(axis=1, dtype=np.float32)
    return single


def _vertex_order(gltf, blob: bytes, accessor_index: int, vertices: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """For each written vertex, its index in `vertices` (the exporter may reorder or drop none)."""
    from scipy.spatial import cKDTree

    accessor = gltf.accessors[accessor_index]
    view = gltf.bufferViews[accessor.bufferView]
    start = (view.byteOffset or 0) + (accessor.byteOffset or 0)
    written = np.frombuffer(blob, dtype=np.float32, count=accessor.count * 3, offset=start).reshape(-1, 3)
    if len(written) == len(vertices) and np.allclose(written, vertices, atol=1e-5):
        return np.arange(len(vertices))
    _, nearest = cKDTree(vertices).query(written)
    return np.asarray(nearest)


def _mark_vertex_views(gltf, primitives) -> None:  # type: ignore[no-untyped-def]
    """Tag the base mesh's own views as vertex / index data (the validator hints otherwise)."""
    users: dict[int, int] = {}
    for accessor in gltf.accessors:
        if accessor.bufferView is not None:
            users[accessor.bufferView] = users.get(accessor.bufferView, 0) + 1
    for primitive in primitives:
        attributes = [value for value in vars(primitive.attributes).values() if isinstance(value, int)]
        for accessor, target in [(a, ARRAY_BUFFER) for a in attributes] + [
            (primitive.indices, ELEMENT_ARRAY_BUFFER)
        ]:
            if accessor is None:
                continue
            view = gltf.accessors[accessor].bufferView
            if view is not None and users.get(view) == 1:
                gltf.bufferViews[view].target = target


def add_skin(glb: bytes, rig: Rig, vertices: np.ndarray, asset_name: str = "") -> bytes:
    """The GLB `glb` (one mesh node, vertices as in `vertices`) with `rig` bound and animated.

    The skin is called `<asset_name>_rig` (Blender names the armature after it).
    """
    import pygltflib

    gltf = pygltflib.GLTF2.load_from_bytes(glb)
    blob = gltf.binary_blob() or b""
    writer = _BinaryWriter(gltf, blob)
    skeleton = rig.skeleton
    mesh_nodes = [index for index, node in enumerate(gltf.nodes) if node.mesh is not None]
    if len(mesh_nodes) != 1:
        raise ValueError(f"a rigged GLB needs exactly one mesh node, found {len(mesh_nodes)}")
    mesh_node = mesh_nodes[0]

    first_joint = len(gltf.nodes)
    for joint, (name, parent) in enumerate(zip(skeleton.names, skeleton.parents, strict=True)):
        offset = skeleton.positions[joint] - (skeleton.positions[parent] if parent >= 0 else 0.0)
        gltf.nodes.append(pygltflib.Node(name=name, translation=[float(v) for v in offset], children=[]))
    for joint, parent in enumerate(skeleton.parents):
        if parent >= 0:
            gltf.nodes[first_joint + parent].children.append(first_joint + joint)
    roots = [first_joint + joint for joint, parent in enumerate(skeleton.parents) if parent < 0]
    gltf.scenes[gltf.scene or 0].nodes.extend(roots)

    inverse_bind = np.tile(np.eye(4, dtype=np.float32), (len(skeleton.names), 1, 1))
    inverse_bind[:, :3, 3] = -skeleton.positions
    # glTF matrices are column-major: transpose each before flattening
    inverse_bind_accessor = writer.accessor(np.transpose(inverse_bind, (0, 2, 1)).copy(), "MAT4", FLOAT)
    gltf.skins.append(
        pygltflib.Skin(
            name=f"{asset_name}_rig" if asset_name else f"{skeleton.kind}_skin",
            joints=list(range(first_joint, first_joint + len(skeleton.names))),
            inverseBindMatrices=inverse_bind_accessor,
            skeleton=roots[0],
        )
    )
    gltf.nodes[mesh_node].skin = len(gltf.skins) - 1

    primitives = gltf.meshes[gltf.nodes[mesh_node].mesh].primitives
    _mark_vertex_views(gltf, primitives)
    order = _vertex_order(gltf, blob, primitives[0].attributes.POSITION, np.asarray(vertices))
    joint_type, joint_component = (
        (np.uint8, UNSIGNED_BYTE) if len(skeleton.names) < 256 else (np.uint16, UNSIGNED_SHORT)
    )
    joints = writer.accessor(rig.joints[order].astype(joint_type), "VEC4", joint_component, ARRAY_BUFFER)
    weights = writer.accessor(_exact_weights(rig.weights[order]), "VEC4", FLOAT, ARRAY_BUFFER)
    for primitive in primitives:
        primitive.attributes.JOINTS_0 = joints
        primitive.attributes.WEIGHTS_0 = weights

    for clip in rig.clips:
        gltf.animations.append(_animation(writer, clip, rig, first_joint))
    writer.finish()
    return cast(bytes, b"".join(gltf.save_to_bytes()))


def _animation(writer: _BinaryWriter, clip: Clip, rig: Rig, first_joint: int):  # type: ignore[no-untyped-def]
    import pygltflib

    times = writer.accessor(clip.times_s.astype(np.float32), "SCALAR", FLOAT)
    samplers, channels = [], []
    for joint, rotations in sorted(clip.rotations.items()):
        quaternions = rotations / np.linalg.norm(rotations, axis=1, keepdims=True)
        output = writer.accessor(quaternions.astype(np.float32), "VEC4", FLOAT)
        samplers.append(pygltflib.AnimationSampler(input=times, output=output, interpolation="LINEAR"))
        channels.append(
            pygltflib.AnimationChannel(
                sampler=len(samplers) - 1,
                target=pygltflib.AnimationChannelTarget(node=first_joint + joint, path="rotation"),
            )
        )
    if clip.root_offsets is not None:
        root = rig.skeleton.parents.index(-1)
        translation = rig.skeleton.positions[root] + clip.root_offsets
        output = writer.accessor(translation.astype(np.float32), "VEC3", FLOAT)
        samplers.append(pygltflib.AnimationSampler(input=times, output=output, interpolation="LINEAR"))
        channels.append(
            pygltflib.AnimationChannel(
                sampler=len(samplers) - 1,
                target=pygltflib.AnimationChannelTarget(node=first_joint + root, path="translation"),
            )
        )
    return pygltflib.Animation(name=clip.name, samplers=samplers, channels=channels)


def export_rigged_glb(asset: Asset, rig: Rig, path: Path, options: ExportOptions | None = None) -> list[Path]:
    """Write `asset` as a self-contained .glb with `rig`'s skin and animations.

    The mesh is the plain exporter's (named after the asset, sampler, texture format);
    it stays Y-up whatever `options` asks, as the skeleton and clips are.
    """
    options = replace(options or ExportOptions(), up_axis="y")
    name = options.name_for(path.stem)
    plain = asset_glb(asset, name, options)
    write_bytes_atomic(path, add_skin(plain, rig, np.asarray(asset.mesh.vertices), name))
    return [path]

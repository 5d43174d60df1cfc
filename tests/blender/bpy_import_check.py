"""Run in a Python that has bpy: import each file with Blender's own importer, describe what arrived as JSON.

Usage: python bpy_import_check.py FILES.json REPORT.json, where FILES.json lists paths.
Each file is imported into an empty scene; the report gives, per file, the objects
(names, types), the world-space bounds of the meshes (Blender is Z-up), whether they
carry normals, what feeds the Principled BSDF's Base Color, and for an armature its
bones, the actions, and the worst edge stretch of the skinned mesh while each action plays.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import bpy
import numpy as np

IMPORTERS = {
    ".glb": lambda path: bpy.ops.import_scene.gltf(filepath=path),
    ".obj": lambda path: bpy.ops.wm.obj_import(filepath=path),
    ".ply": lambda path: bpy.ops.wm.ply_import(filepath=path),
    ".stl": lambda path: bpy.ops.wm.stl_import(filepath=path),
    ".usdz": lambda path: bpy.ops.wm.usd_import(filepath=path),
}


def main(files_path: str, report_path: str) -> None:
    report: dict[str, Any] = {"blender": bpy.app.version_string, "files": {}}
    for path in json.loads(Path(files_path).read_text()):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        result = IMPORTERS[Path(path).suffix.lower()](path)
        report["files"][path] = {"result": sorted(result), **describe_scene()}
    Path(report_path).write_text(json.dumps(report))


def describe_scene() -> dict[str, Any]:
    objects = list(bpy.context.scene.objects)
    armatures = [obj for obj in objects if obj.type == "ARMATURE"]
    # The glTF importer draws bones with a shared shape mesh (an icosphere): not the asset.
    shapes = {bone.custom_shape for obj in armatures for bone in obj.pose.bones if bone.custom_shape}
    meshes = [obj for obj in objects if obj.type == "MESH" and obj not in shapes]
    points = np.concatenate([world_vertices(obj) for obj in meshes]) if meshes else np.zeros((1, 3))
    return {
        "objects": [{"name": obj.name, "type": obj.type} for obj in objects if obj not in shapes],
        "meshes": [describe_mesh(obj) for obj in meshes],
        "bounds_min": points.min(axis=0).tolist(),
        "bounds_max": points.max(axis=0).tolist(),
        "armatures": [
            {"name": obj.name, "bones": [bone.name for bone in obj.data.bones]} for obj in armatures
        ],
        "actions": sorted(action.name for action in bpy.data.actions),
        "stretch": {name: worst for name, worst in clip_stretch(armatures, meshes).items()},
    }


def world_vertices(obj: Any) -> np.ndarray:
    """The mesh's vertices in world space, as evaluated (modifiers such as the armature's applied)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    local = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", local)
    evaluated.to_mesh_clear()
    local = local.reshape(-1, 3)
    matrix = np.array(obj.matrix_world)
    return local @ matrix[:3, :3].T + matrix[:3, 3]


def describe_mesh(obj: Any) -> dict[str, Any]:
    mesh = obj.data
    normals = np.empty(len(mesh.corner_normals) * 3)
    mesh.corner_normals.foreach_get("vector", normals)
    return {
        "object": obj.name,
        "parent": obj.parent.name if obj.parent else "",
        "mesh": mesh.name,
        "materials": [slot.material.name for slot in obj.material_slots if slot.material],
        "faces": len(mesh.polygons),
        # Custom split normals (glTF, OBJ, USD normals) or smooth shading from shared vertices.
        "custom_normals": bool(mesh.has_custom_normals),
        "normals_domain": mesh.normals_domain,
        "corner_normals_finite": bool(len(normals)) and bool(np.isfinite(normals).all()),
        "color_attributes": [attribute.name for attribute in mesh.color_attributes],
        "vertex_colour_spread": colour_spread(mesh),
        "volume": signed_volume(mesh),
        "base_color": [base_color_source(slot.material) for slot in obj.material_slots if slot.material],
    }


def colour_spread(mesh: Any) -> float:
    """The largest per-channel range of the first colour attribute (0 when there is none)."""
    if not mesh.color_attributes:
        return 0.0
    attribute = mesh.color_attributes[0]
    colours = np.empty(len(attribute.data) * 4)
    attribute.data.foreach_get("color", colours)
    colours = colours.reshape(-1, 4)[:, :3]
    return float((colours.max(axis=0) - colours.min(axis=0)).max())


def signed_volume(mesh: Any) -> float:
    """The enclosed volume, positive when the faces wind outwards (negative: normals point in)."""
    import bmesh

    surface = bmesh.new()
    surface.from_mesh(mesh)
    volume = surface.calc_volume(signed=True)
    surface.free()
    return float(volume)


def base_color_source(material: Any) -> dict[str, Any]:
    """What feeds the Principled BSDF's Base Color: an image texture (its size), or nothing."""
    if material.node_tree is None:
        return {"principled": False, "image": None}
    principled = [node for node in material.node_tree.nodes if node.type == "BSDF_PRINCIPLED"]
    if not principled:
        return {"principled": False, "image": None}
    socket = principled[0].inputs["Base Color"]
    image = upstream_image(socket)
    return {
        "principled": True,
        "image": None if image is None else {"name": image.name, "size": list(image.size)},
    }


def upstream_image(socket: Any) -> Any:
    """The image of the first Image Texture node found walking back from `socket` (through mix nodes)."""
    seen = set()
    frontier = [link.from_node for link in socket.links]
    while frontier:
        node = frontier.pop()
        if node.name in seen:
            continue
        seen.add(node.name)
        if node.type == "TEX_IMAGE" and node.image is not None:
            return node.image
        frontier += [link.from_node for put in node.inputs for link in put.links]
    return None


def clip_stretch(armatures: list[Any], meshes: list[Any]) -> dict[str, float]:
    """For each action: the largest ratio of a skinned edge's length to its rest length over its frames."""
    if len(armatures) != 1 or not meshes:
        return {}
    armature, mesh = armatures[0], meshes[0]
    edges = np.empty(len(mesh.data.edges) * 2, dtype=np.int64)
    mesh.data.edges.foreach_get("vertices", edges)
    edges = edges.reshape(-1, 2)
    rest_points = np.empty(len(mesh.data.vertices) * 3)
    mesh.data.vertices.foreach_get("co", rest_points)
    rest_points = rest_points.reshape(-1, 3)
    rest = np.linalg.norm(rest_points[edges[:, 0]] - rest_points[edges[:, 1]], axis=1)
    keep = rest > 1e-9
    scene = bpy.context.scene
    if armature.animation_data is None:
        armature.animation_data_create()
    worst: dict[str, float] = {}
    for action in bpy.data.actions:
        armature.animation_data.action = action
        if hasattr(armature.animation_data, "action_slot") and action.slots:
            armature.animation_data.action_slot = action.slots[0]
        start, end = (int(round(value)) for value in action.frame_range)
        largest = 1.0
        for frame in range(start, end + 1):
            scene.frame_set(frame)
            posed = world_vertices(mesh)
            length = np.linalg.norm(posed[edges[:, 0]] - posed[edges[:, 1]], axis=1)
            largest = max(largest, float((length[keep] / rest[keep]).max()))
        worst[action.name] = largest
    return worst


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

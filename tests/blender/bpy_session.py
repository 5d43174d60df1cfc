"""Run in a Python that has bpy: install the add-on from its file, drive it, write what happened as JSON.

Usage: python bpy_session.py CONFIG.json REPORT.json. A separate process because bpy
needs its own numpy (<2) and Blender state should not leak between tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import bpy


def main(config_path: str, report_path: str) -> None:
    import addon_utils  # Blender's own module, importable only once bpy is

    config = json.loads(Path(config_path).read_text())
    report: dict[str, Any] = {"blender": bpy.app.version_string}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    report["install"] = sorted(bpy.ops.preferences.addon_install(filepath=config["addon"]))

    def reraise(error: BaseException) -> None:
        raise error

    addon = addon_utils.enable("lift3d_addon", default_set=True, handle_error=reraise)
    report["registered"] = {
        "scene_settings": hasattr(bpy.types.Scene, "lift3d"),
        "panel_category": bpy.types.LIFT3D_PT_panel.bl_category,
        "panel_space": bpy.types.LIFT3D_PT_panel.bl_space_type,
        "operator": hasattr(bpy.ops.lift3d, "convert"),
        "bl_info_name": addon.bl_info["name"],
    }
    settings = bpy.context.scene.lift3d

    for step in config["steps"]:
        if step["do"] == "import":
            objects = addon.import_glbs(bpy.context, [Path(path) for path in step["paths"]], step["name"])
            report["import"] = describe(objects)
        elif step["do"] == "image_file":
            # An unsaved image, as painted or generated in the Image Editor: top half red.
            image = bpy.data.images.new("painted", width=8, height=4, alpha=True, float_buffer=step["float"])
            bottom, top = (
                [0.0, 0.0, 0.5, 1.0] * 16,
                [0.5, 0.0, 0.0, 1.0] * 16,
            )  # Blender stores rows bottom-up
            image.pixels.foreach_set(bottom + top)
            path = addon.image_to_file(image, Path(step["folder"]))
            report.setdefault("image_files", []).append(str(path))
        elif step["do"] == "draw":
            for key, value in step["settings"].items():
                setattr(settings, key, value)
            layout = RecordingLayout()
            bpy.types.LIFT3D_PT_panel.draw(layout, bpy.context)
            report.setdefault("drawn", []).append(layout.drawn)
        elif step["do"] == "convert":
            for key, value in step["settings"].items():
                setattr(settings, key, value)
            before = set(bpy.context.scene.objects)
            try:
                result = sorted(bpy.ops.lift3d.convert())
                error = ""
            except RuntimeError as failure:  # an operator's ERROR report arrives as RuntimeError
                result, error = ["CANCELLED"], str(failure).strip()
            new = [obj for obj in bpy.context.scene.objects if obj not in before]
            report.setdefault("convert", []).append({"result": result, "error": error, **describe(new)})
    addon_utils.disable("lift3d_addon", default_set=True, handle_error=reraise)
    report["unregistered"] = not hasattr(bpy.types.Scene, "lift3d")
    Path(report_path).write_text(json.dumps(report))


class RecordingLayout:
    """Stands in for a panel's UILayout (which only exists while Blender draws) and records the draw.

    Each `prop` is checked against the real RNA, so a misspelt property name fails here.
    """

    def __init__(self) -> None:
        self.layout = self
        self.drawn: list[str] = []

    def column(self, **_: Any) -> RecordingLayout:
        return self

    def prop(self, data: Any, name: str, **_: Any) -> None:
        if name not in data.bl_rna.properties:
            raise AttributeError(f"{type(data).__name__} has no property {name!r}")
        self.drawn.append(name)

    def label(self, text: str = "", **_: Any) -> None:
        self.drawn.append(f"label:{text}")

    def operator(self, idname: str, **_: Any) -> None:
        self.drawn.append(f"operator:{idname}")


def describe(objects: list[Any]) -> dict[str, Any]:
    """Names, selection, textures and the triangles (world space) of imported objects."""
    meshes = [obj for obj in objects if obj.type == "MESH"]
    textured = []
    triangles = []
    for obj in meshes:
        images = [
            node.image.name
            for slot in obj.material_slots
            if slot.material and slot.material.node_tree
            for node in slot.material.node_tree.nodes
            if node.type == "TEX_IMAGE" and node.image is not None
        ]
        textured.append(bool(images))
        mesh = obj.data
        mesh.calc_loop_triangles()
        points = [list(obj.matrix_world @ vertex.co) for vertex in mesh.vertices]
        triangles.append({"vertices": points, "faces": [list(tri.vertices) for tri in mesh.loop_triangles]})
    roots = [obj for obj in objects if obj.parent not in objects]
    return {
        "names": sorted(obj.name for obj in roots),
        "root_x": sorted(round(obj.location.x, 4) for obj in roots),
        "selected": sorted(obj.name for obj in bpy.context.selected_objects),
        "active": bpy.context.view_layer.objects.active.name if bpy.context.view_layer.objects.active else "",
        "mesh_names": [obj.name for obj in meshes],
        "textured": textured,
        "meshes": triangles,
    }


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

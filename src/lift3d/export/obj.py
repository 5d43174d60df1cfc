"""Wavefront OBJ with its .mtl and base-colour .png beside it, written as one set."""

from __future__ import annotations

import re
from pathlib import Path

from trimesh.exchange.obj import export_obj as trimesh_export_obj

from lift3d.export.gltf import oriented_mesh
from lift3d.export.options import ExportOptions, encode_texture
from lift3d.export.polygons import polygon_obj_text
from lift3d.files import write_file_set
from lift3d.types import Asset


def obj_sidecars(path: Path, texture_format: str = "png") -> tuple[Path, Path]:
    """The .mtl and texture written beside `path`: `vase.mtl` and `vase_basecolor.png` (or .jpg, .webp).

    The texture is never `<stem>.png`: `lift3d convert vase.png -o vase.obj` would
    otherwise replace the picture it was made from.
    """
    return path.with_suffix(".mtl"), path.with_name(f"{path.stem}_basecolor.{texture_format}")


def export_obj(asset: Asset, path: Path, options: ExportOptions) -> list[Path]:
    """Write `<stem>.obj`, `<stem>.mtl` and `<stem>_basecolor.png`; all three appear or none.

    The .mtl is written here rather than by trimesh so the texture is named after the
    asset (two assets in one folder do not overwrite each other's texture), and it
    carries the PBR roughness/metalness extension lines that Blender reads.
    """
    material = getattr(asset.mesh.visual, "material", None)
    name = options.name_for(path.stem)
    mtl_path, png_path = obj_sidecars(path, options.texture_format)
    mesh = oriented_mesh(asset.mesh, options.up_for(".obj"))
    if asset.quads is not None:  # --quads: the retopology's polygons instead of the triangles
        text = polygon_obj_text(asset.quads, options.up_for(".obj"), mtl_path.name)
    else:
        text = trimesh_export_obj(
            mesh, include_normals=True, include_texture=True, write_texture=False, mtl_name=mtl_path.name
        )
    # One named object whose faces use the material named after the asset.
    text = re.sub(r"^usemtl .*$", f"o {name}\nusemtl {name}", text, count=1, flags=re.MULTILINE)
    roughness = getattr(material, "roughnessFactor", None)
    metallic = getattr(material, "metallicFactor", None)
    mtl = "\n".join(
        [
            f"newmtl {name}",
            "Ka 0 0 0",
            "Kd 1 1 1",
            "Ks 0 0 0",
            "d 1",
            "illum 1",
            f"Pr {1.0 if roughness is None else roughness:g}",
            f"Pm {0.0 if metallic is None else metallic:g}",
            f"map_Kd {png_path.name}",
            "",
        ]
    )
    texture = encode_texture(asset.texture, options.texture_format)
    files = {path: text.encode(), mtl_path: mtl.encode(), png_path: texture}
    return write_file_set(files)

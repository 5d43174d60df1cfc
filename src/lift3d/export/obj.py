"""Wavefront OBJ with its .mtl and base-colour .png beside it, written as one set."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from trimesh.exchange.obj import export_obj as trimesh_export_obj

from lift3d.files import write_file_set
from lift3d.types import Asset


def obj_sidecars(path: Path) -> tuple[Path, Path]:
    """The .mtl and texture written beside `path`: `vase.mtl` and `vase_basecolor.png`.

    The texture is never `<stem>.png`: `lift3d convert vase.png -o vase.obj` would
    otherwise replace the picture it was made from.
    """
    return path.with_suffix(".mtl"), path.with_name(f"{path.stem}_basecolor.png")


def export_obj(asset: Asset, path: Path) -> list[Path]:
    """Write `<stem>.obj`, `<stem>.mtl` and `<stem>_basecolor.png`; all three appear or none.

    The .mtl is written here rather than by trimesh so the texture is named after the
    asset (two assets in one folder do not overwrite each other's texture), and it
    carries the PBR roughness/metalness extension lines that Blender reads.
    """
    material = getattr(asset.mesh.visual, "material", None)
    material_name = getattr(material, "name", None) or "material0"
    mtl_path, png_path = obj_sidecars(path)
    text = trimesh_export_obj(
        asset.mesh, include_normals=True, include_texture=True, write_texture=False, mtl_name=mtl_path.name
    )
    roughness = getattr(material, "roughnessFactor", None)
    metallic = getattr(material, "metallicFactor", None)
    mtl = "\n".join(
        [
            f"newmtl {material_name}",
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
    png = io.BytesIO()
    Image.fromarray(asset.texture).save(png, format="PNG")
    files = {path: text.encode(), mtl_path: mtl.encode(), png_path: png.getvalue()}
    return write_file_set(files)

"""PLY with per-vertex colours sampled from the baked texture (for point-cloud tools)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import trimesh

from lift3d.export.geometry import weld_by_position
from lift3d.export.options import ExportOptions, z_up
from lift3d.files import write_bytes_atomic
from lift3d.types import Asset


def export_ply(asset: Asset, path: Path, options: ExportOptions) -> list[Path]:
    """Write a closed binary PLY whose vertex colours are the texture at each vertex's UV.

    Vertex normals (the asset's, as in the GLB) go in too: without them Blender and
    point-cloud tools shade the surface faceted.
    """
    vertices, faces, source = weld_by_position(asset.mesh)
    normals = np.asarray(asset.mesh.vertex_normals)[source]
    if options.up_for(".ply") == "z":
        vertices, normals = z_up(vertices), z_up(normals)
    colours = np.full((len(vertices), 4), 255, dtype=np.uint8)
    uv = getattr(asset.mesh.visual, "uv", None)
    if uv is not None:
        colours[:, :3] = texture_at_uv(asset.texture, np.asarray(uv)[source])
    mesh = trimesh.Trimesh(vertices, faces, vertex_normals=normals, vertex_colors=colours, process=False)
    write_bytes_atomic(path, cast(bytes, mesh.export(file_type="ply", vertex_normal=True)))
    return [path]


def texture_at_uv(texture: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Nearest texel colours (uint8 RGB) at UVs with v up."""
    height, width = texture.shape[:2]
    cols = np.clip((uv[:, 0] * width).astype(np.int64), 0, width - 1)
    rows = np.clip(((1 - uv[:, 1]) * height).astype(np.int64), 0, height - 1)
    return texture[rows, cols, :3]

"""Polygon (quad-dominant) geometry for the formats that keep quads: OBJ faces and USD faceVertexCounts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lift3d.export.options import z_up
from lift3d.types import QuadMesh


@dataclass(frozen=True)
class Polygons:
    """Flat polygon arrays, as USD and OBJ index them."""

    vertices: np.ndarray  # (V, 3) float64 in the file's up axis
    normals: np.ndarray  # (V, 3) smooth vertex normals
    counts: np.ndarray  # (F,) 3 or 4
    indices: np.ndarray  # (sum(counts),) vertex index per corner
    uv: np.ndarray  # (U, 2) distinct corner UVs
    uv_indices: np.ndarray  # (sum(counts),) UV index per corner


def polygon_arrays(quads: QuadMesh, up_axis: str) -> Polygons:
    """The quad mesh turned to `up_axis`, its corners flattened face by face."""
    counts = quads.counts
    used = quads.faces >= 0
    normals = np.asarray(quads.triangle_mesh().vertex_normals)
    vertices = np.asarray(quads.vertices, dtype=np.float64)
    if up_axis == "z":
        vertices, normals = z_up(vertices), z_up(normals)
    corner_uv = quads.uv[used]
    uv, uv_indices = np.unique(np.round(corner_uv, 7), axis=0, return_inverse=True)
    return Polygons(vertices, normals, counts, quads.faces[used], uv, uv_indices.reshape(-1))


def polygon_obj_text(quads: QuadMesh, up_axis: str, mtl_name: str) -> str:
    """OBJ text of the polygons with UVs and normals, using one material (named by the caller)."""
    polygons = polygon_arrays(quads, up_axis)
    lines = [f"mtllib {mtl_name}", "usemtl material0"]
    lines += [f"v {x:.8g} {y:.8g} {z:.8g}" for x, y, z in polygons.vertices]
    lines += [f"vt {u:.7g} {v:.7g}" for u, v in polygons.uv]
    lines += [f"vn {x:.6g} {y:.6g} {z:.6g}" for x, y, z in polygons.normals]
    starts = np.concatenate([[0], np.cumsum(polygons.counts)[:-1]])
    for start, count in zip(starts, polygons.counts, strict=True):
        corners = range(start, start + count)
        lines.append(
            "f "
            + " ".join(
                f"{polygons.indices[i] + 1}/{polygons.uv_indices[i] + 1}/{polygons.indices[i] + 1}"
                for i in corners
            )
        )
    return "\n".join(lines) + "\n"

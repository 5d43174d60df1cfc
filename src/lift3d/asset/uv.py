"""UV atlas: planar charts by dominant normal axis, packed by xatlas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy import sparse
from scipy.sparse import csgraph

# Gutter between charts in atlas texels, so mip levels of one chart do not sample another.
PADDING_PX = 4
# Share of the texture the charts' surface is sized to cover before packing losses.
_FILL = 0.8
# xatlas packs chart bitmaps at this share of the texture's resolution (the padding
# scaled with it): at half, packing 20k faces takes 2.2x less time and the charts get
# 1.4 % less texel density (lengthwise) than at full resolution.
_PACK_SCALE = 0.5
# For a face whose normal is closest to axis `a` with sign `s`, the two UV axes
# (as signed axis indices) that keep the chart's winding counter-clockwise in UV.
_PLANE_AXES = {
    (0, 1): ((1, 1), (2, 1)),
    (0, -1): ((1, -1), (2, 1)),
    (1, 1): ((2, 1), (0, 1)),
    (1, -1): ((2, -1), (0, 1)),
    (2, 1): ((0, 1), (1, 1)),
    (2, -1): ((0, -1), (1, 1)),
}


@dataclass(frozen=True)
class UVAtlas:
    """A parametrisation whose vertices are split along chart seams.

    `vertex_map[i]` is the input vertex that atlas vertex i copies; `faces` index atlas
    vertices in the input face order; `uv` follows the OBJ/trimesh convention (v up).
    """

    vertex_map: np.ndarray  # (N,) int64
    faces: np.ndarray  # (F, 3) int64
    uv: np.ndarray  # (N, 2) float64 in [0, 1]


def unwrap_uv(mesh: trimesh.Trimesh, texture_px: int) -> UVAtlas:
    """Cut `mesh` into planar charts and pack them into one square texture of `texture_px`.

    The reconstructions are front and back height fields joined by side walls, so
    grouping connected faces by the axis their normal is closest to (box mapping)
    gives charts that project without folds and stretch at most sqrt(3) along one
    direction; baked colour needs nothing better. xatlas then only packs those charts
    (its own chart growing cost about 4x as much at 20k faces). Texel density is set
    from the surface area, so xatlas packs a single atlas, stretched to the square.
    """
    import xatlas

    vertex_map, faces, uv = _planar_charts(mesh)
    atlas = xatlas.Atlas()
    atlas.add_mesh(
        np.asarray(mesh.vertices, dtype=np.float32)[vertex_map],
        faces.astype(np.uint32),
        None,
        uv.astype(np.float32),
    )
    chart_options = xatlas.ChartOptions()
    chart_options.use_input_mesh_uvs = True
    pack_options = xatlas.PackOptions()
    pack_options.padding = max(1, round(PADDING_PX * _PACK_SCALE))
    pack_options.blockAlign = True
    pack_options.texels_per_unit = float(_PACK_SCALE * _FILL * texture_px / np.sqrt(max(mesh.area, 1e-12)))
    atlas.generate(chart_options, pack_options)
    packed_map, packed_faces, packed_uv = atlas.get_mesh(0)
    return UVAtlas(
        vertex_map=vertex_map[packed_map.astype(np.int64)],
        faces=packed_faces.astype(np.int64),
        uv=np.clip(packed_uv.astype(np.float64), 0.0, 1.0),
    )


def _planar_charts(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split vertices along the charts' borders; return (vertex_map, faces, chart-plane uv)."""
    normals = np.asarray(mesh.face_normals)
    axis = np.argmax(np.abs(normals), axis=1)
    sign = np.where(normals[np.arange(len(normals)), axis] >= 0, 1, -1)
    label = axis * 2 + (sign > 0)
    pairs = np.asarray(mesh.face_adjacency)
    pairs = pairs[label[pairs[:, 0]] == label[pairs[:, 1]]]
    count = len(mesh.faces)
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(count, count))
    chart_count, chart = csgraph.connected_components(graph, directed=False)
    corner_chart = np.repeat(chart, 3)
    keys = np.asarray(mesh.faces).reshape(-1).astype(np.int64) * chart_count + corner_chart
    unique_keys, corner_vertex = np.unique(keys, return_inverse=True)
    vertex_map = unique_keys // chart_count
    vertex_label = np.empty(len(unique_keys), dtype=np.int64)
    vertex_label[corner_vertex] = np.repeat(label, 3)
    points = np.asarray(mesh.vertices)[vertex_map]
    uv = np.empty((len(points), 2))
    for (face_axis, face_sign), plane in _PLANE_AXES.items():
        rows = vertex_label == face_axis * 2 + (face_sign > 0)
        for column, (plane_axis, plane_sign) in enumerate(plane):
            uv[rows, column] = plane_sign * points[rows, plane_axis]
    return vertex_map, corner_vertex.reshape(-1, 3), uv

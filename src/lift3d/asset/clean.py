"""Mesh cleaning before decimation: merge, drop degenerate faces and floaters, orient outward."""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from lift3d.asset.topology import halfedge_twins, signed_volumes, split_pinched_vertices


def clean_mesh(
    mesh: trimesh.Trimesh, min_volume_fraction: float = 0.01, merge_tolerance: float = 1e-6
) -> trimesh.Trimesh:
    """Return a cleaned copy of `mesh`; the input is left untouched.

    Marching cubes leaves coincident vertices and zero-area faces where the surface
    passes through grid points, and noise in the shape maps leaves tiny floating
    blobs. Vertices closer than `merge_tolerance` times the bounding-box diagonal are
    merged; components enclosing less than `min_volume_fraction` of the largest one,
    or lying inside another kept component (invisible cavities), are dropped; inverted
    components are flipped outward, and a vertex where two sheets touch is split.
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    vertices, faces = merge_close_vertices(vertices, faces, merge_tolerance)
    faces = drop_degenerate_faces(faces)
    twins = halfedge_twins(faces)
    if twins is None and len(faces):
        vertices, faces = _repair_orientation(vertices, faces)
    kept_faces = _keep_main_components(vertices, faces, min_volume_fraction)
    if twins is None or kept_faces is not faces:  # the twins of a closed mesh left as it was hold
        twins = halfedge_twins(kept_faces)
    faces = kept_faces
    if twins is not None:
        vertices, faces = split_pinched_vertices(vertices, faces, twins)
    else:
        vertices, faces = _drop_unreferenced(vertices, faces)
    return trimesh.Trimesh(vertices, faces, process=False)


def merge_close_vertices(
    vertices: np.ndarray, faces: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices that fall in the same cell of a grid `tolerance` * diagonal wide."""
    if len(vertices) == 0:
        return vertices, faces
    diagonal = float(np.linalg.norm(np.ptp(vertices, axis=0))) or 1.0
    keys = np.round(vertices / (tolerance * diagonal)).astype(np.int64)
    codes = row_codes(keys)
    if codes.ndim > 1:
        _, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
        return vertices[first], inverse.reshape(-1)[faces]
    # np.unique's return_index forces a stable sort; a plain one and the least index
    # per group give the same first occurrences several times faster
    order = np.argsort(codes)
    ordered = codes[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    first = np.minimum.reduceat(order, starts)
    inverse = np.empty(len(codes), dtype=np.int64)
    inverse[order] = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(codes))))
    return vertices[first], inverse[faces]


def row_codes(rows: np.ndarray) -> np.ndarray:
    """One int64 per row of an (N, K) integer array, equal exactly when the rows are equal.

    Rows are numbered in mixed radix when their ranges fit in 63 bits (a 1D unique is
    several times faster than numpy's row-wise one); otherwise the rows come back as
    they are, for `np.unique(..., axis=0)`.
    """
    if len(rows) == 0:
        return rows
    low = rows.min(axis=0)
    spans = rows.max(axis=0) - low + 1
    if float(np.prod(spans.astype(np.float64))) >= 2.0**62:
        return rows
    codes = np.zeros(len(rows), dtype=np.int64)
    for column, span in zip((rows - low).T, spans, strict=True):
        codes = codes * span + column
    return codes


def _unique_axis(codes: np.ndarray) -> int | None:
    """Codes are unique along axis 0 when they are still rows, else as plain numbers."""
    return 0 if codes.ndim > 1 else None


# Distinct vertices closer than this share of the mesh's diagonal are pulled apart: a
# float32 GLB would store them as one point, and merging by position (as importers and
# `is_watertight` do) would turn two sheets that touch there into a pinch.
MIN_VERTEX_GAP = 1e-6


def separate_close_vertices(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Move each vertex of a too-close pair a little into its own faces (toward their centroid)."""
    from scipy.spatial import cKDTree

    vertices = np.array(vertices, dtype=np.float64)
    gap = MIN_VERTEX_GAP * float(np.linalg.norm(np.ptp(vertices, axis=0)))
    pairs = cKDTree(vertices).query_pairs(gap, output_type="ndarray")
    if len(pairs) == 0:
        return vertices
    close = np.unique(pairs)
    centroids = vertices[faces].mean(axis=1)
    sums = np.zeros_like(vertices)
    np.add.at(sums, faces.ravel(), np.repeat(centroids, 3, axis=0))
    counts = np.bincount(faces.ravel(), minlength=len(vertices))[:, None]
    inward = sums[close] / np.maximum(counts[close], 1) - vertices[close]
    length = np.linalg.norm(inward, axis=1, keepdims=True)
    step = np.minimum(2 * gap, 0.1 * length) / np.maximum(length, 1e-300)
    vertices[close] += inward * step
    return vertices


def drop_degenerate_faces(faces: np.ndarray) -> np.ndarray:
    """Drop faces that repeat a vertex and cancel pairs of opposite duplicate faces.

    Both removals keep a closed mesh closed: a face (a, a, b) uses edge a-b once in each
    direction, and two faces over the same vertices with opposite winding form a
    zero-volume membrane whose edges balance each other.
    """
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 2] == faces[:, 0])
    faces = faces[~repeated]
    if len(faces) == 0:
        return faces
    codes = row_codes(np.sort(faces, axis=1))
    if codes.ndim == 1:
        ordered = np.sort(codes)
        if not (ordered[1:] == ordered[:-1]).any():
            return faces  # the usual case: no face is repeated
    _, inverse, counts = np.unique(codes, axis=_unique_axis(codes), return_inverse=True, return_counts=True)
    return faces[counts[inverse.reshape(-1)] == 1]


def _repair_orientation(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make face winding consistent and close small holes (both are slow: only for open meshes)."""
    repaired = trimesh.Trimesh(vertices, faces, process=False)
    if not repaired.is_winding_consistent:
        trimesh.repair.fix_winding(repaired)
    if not repaired.is_watertight:
        trimesh.repair.fill_holes(repaired)
    return np.asarray(repaired.vertices), np.asarray(repaired.faces, dtype=np.int64)


def _keep_main_components(vertices: np.ndarray, faces: np.ndarray, min_volume_fraction: float) -> np.ndarray:
    """The faces of the kept components, turned outward; `faces` itself when nothing changes."""
    if len(faces) == 0:
        return faces
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]]])
    graph = coo_matrix(
        (np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(len(vertices),) * 2
    )
    count, vertex_labels = connected_components(graph, directed=False)
    face_labels = vertex_labels[faces[:, 0]]
    volumes = signed_volumes(vertices, faces, face_labels, count)
    if (volumes < 0).any():
        faces = np.where((volumes < 0)[face_labels][:, None], faces[:, ::-1], faces)
    order = np.argsort(-np.abs(volumes))
    largest = abs(volumes[order[0]])
    kept: list[int] = []
    for label in order:
        if abs(volumes[label]) < min_volume_fraction * largest:
            break
        if kept and _inside_any(vertices, faces, face_labels, kept, label):
            continue
        kept.append(int(label))
    keep = np.isin(face_labels, kept)
    return faces if keep.all() else faces[keep]


def _inside_any(
    vertices: np.ndarray, faces: np.ndarray, face_labels: np.ndarray, kept: list[int], label: int
) -> bool:
    """True if component `label` lies inside one of the `kept` components."""
    probe = vertices[faces[face_labels == label][0, 0]][None]
    for other in kept:
        shell = trimesh.Trimesh(vertices, faces[face_labels == other], process=False)
        if shell.contains(probe)[0]:
            return True
    return False


def _drop_unreferenced(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    used, inverse = np.unique(faces, return_inverse=True)
    return vertices[used], inverse.reshape(faces.shape)

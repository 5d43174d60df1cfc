"""Half-edge bookkeeping for closed triangle meshes: closedness checks and corner fans.

Corner (f, k) is vertex k of face f, numbered 3 * f + k. Half-edge 3 * f + k runs from
corner k to corner k + 1 of face f. A "fan" is a set of corners around one vertex that
are joined across edges; a vertex with two fans is pinched (non-manifold), and fans
joined only across smooth edges give crease-aware normals.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def halfedge_twins(faces: np.ndarray) -> np.ndarray | None:
    """Return the opposite half-edge of every half-edge, or None if the mesh is not closed.

    Closed here means every edge is used by exactly two faces with opposite winding and
    no face repeats a vertex, which is what "watertight and consistently oriented" needs.
    """
    faces = np.asarray(faces, dtype=np.int64)
    if len(faces) == 0 or (faces[:, [0, 1, 2]] == faces[:, [1, 2, 0]]).any():
        return None
    start = faces.ravel()
    end = faces[:, [1, 2, 0]].ravel()
    count = int(start.max()) + 1
    # One key per undirected edge; in a closed, consistently wound mesh each appears
    # exactly twice, once in each direction. A plain (unstable) argsort of one key is
    # several times faster than a stable sort and a search for every opposite key.
    low = np.minimum(start, end)
    codes = low * count + (start + end - low)
    order = np.argsort(codes)
    sorted_codes = codes[order]
    first, second = order[0::2], order[1::2]
    if len(order) % 2 or not (sorted_codes[0::2] == sorted_codes[1::2]).all():
        return None  # an edge used once (a hole) or an odd number of times
    if (sorted_codes[2::2] == sorted_codes[1:-1:2]).any():
        return None  # an edge shared by more than two faces
    if ((start[first] < end[first]) == (start[second] < end[second])).any():
        return None  # the same directed edge twice: inconsistent winding
    twins = np.empty_like(order)
    twins[first] = second
    twins[second] = first
    return twins


def corner_fans(faces: np.ndarray, twins: np.ndarray, joined: np.ndarray | None = None) -> np.ndarray:
    """Label each corner with its fan; corners meet across half-edges where `joined` is True.

    Returns (3F,) labels in 0..n_fans-1. With `joined` None every edge joins, so the fans
    are the manifold neighbourhoods of the vertices.
    """
    n_corners = 3 * len(faces)
    halfedge = np.arange(n_corners)
    if joined is not None:
        halfedge = halfedge[joined]
    twin = twins[halfedge]
    # The start corner of a half-edge and the end corner of its twin are the same vertex.
    twin_end = 3 * (twin // 3) + (twin % 3 + 1) % 3
    graph = coo_matrix((np.ones(len(halfedge), dtype=np.int8), (halfedge, twin_end)), shape=(n_corners,) * 2)
    _, labels = connected_components(graph, directed=False)
    return labels


def fan_vertices(faces: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return the original vertex index of every fan."""
    vertex = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    vertex[labels] = np.asarray(faces).ravel()
    return vertex


def split_pinched_vertices(
    vertices: np.ndarray, faces: np.ndarray, twins: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Give each fan its own vertex, so sheets touching at a point no longer share it.

    Also drops unreferenced vertices. A mesh without pinches keeps its vertex count.
    """
    labels = corner_fans(faces, twins)
    return np.asarray(vertices)[fan_vertices(faces, labels)], labels.reshape(-1, 3)


def is_closed_manifold(faces: np.ndarray) -> bool:
    """True if the mesh is closed, consistently wound and has no pinched vertices."""
    twins = halfedge_twins(faces)
    if twins is None:
        return False
    labels = corner_fans(faces, twins)
    return int(labels.max()) + 1 == np.count_nonzero(np.bincount(np.asarray(faces).ravel()))


def signed_volumes(
    vertices: np.ndarray, faces: np.ndarray, face_labels: np.ndarray, count: int
) -> np.ndarray:
    """Signed enclosed volume of each labelled group of faces (positive when outward)."""
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    tetra = np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0
    return np.bincount(face_labels, weights=tetra, minlength=count)

"""Quadric decimation to a face budget that never leaves the mesh open or pinched."""

from __future__ import annotations

import fast_simplification
import numpy as np
import trimesh

from lift3d.asset.clean import drop_degenerate_faces, merge_close_vertices, separate_close_vertices
from lift3d.asset.topology import halfedge_twins, signed_volumes, split_pinched_vertices
from lift3d.errors import OptionError

# (fraction of the budget to aim for, aggression 0..10). Quadric collapses now and then
# fold a thin part into a double-sided membrane or a non-manifold edge; a slightly
# different schedule almost always avoids it. Low aggression may stop above the target,
# which is why it is not tried first.
_ATTEMPTS = ((1.0, 7), (0.97, 7), (0.9, 7), (0.8, 7), (1.0, 5), (0.9, 6), (0.7, 7), (0.6, 7), (0.8, 8))
_EPSILON_STEPS = 14


def decimate_mesh(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """Return a closed, manifold, outward copy of `mesh` with at most `max_faces` faces.

    Each quadric result is checked (every edge shared by two oppositely wound faces,
    no pinched vertex, positive volume) after cancelling collapsed membranes and
    splitting pinched vertices; if every attempt fails, manifold3d's simplification,
    which preserves manifoldness by construction, is searched for a tolerance that fits.
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    if len(faces) <= max_faces:
        return mesh.copy()
    closed = _quadric_simplify(vertices, faces, max_faces)
    if closed is None:
        # A closed intermediate at twice the budget takes a different collapse order.
        middle = _quadric_simplify(vertices, faces, 2 * max_faces)
        if middle is not None:
            closed = _quadric_simplify(*middle, max_faces)
    if closed is None:
        closed = _manifold_simplify(vertices, faces, max_faces)
    if closed is None:
        raise OptionError(
            f"cannot decimate the mesh to max_faces={max_faces} and keep it closed; raise max_faces"
        )
    return trimesh.Trimesh(*closed, process=False)


def close_or_none(
    vertices: np.ndarray, faces: np.ndarray, merge: bool = True
) -> tuple[np.ndarray, np.ndarray] | None:
    """Repair what decimation typically breaks, or return None if the mesh is not closed.

    Coincident vertices are merged first (`merge`), so a membrane folded onto distinct but
    coincident vertices is seen as the duplicate pair it is; opposite duplicate faces
    cancel; a vertex where two surface sheets touch is split into one vertex per
    sheet, and the copies are then pulled a hair apart so they stay distinct in a
    float32 file. Unreferenced vertices are dropped on the way. A mesh that is manifold
    by construction (manifold3d's) skips the merge: there, coincident vertices are two
    sheets touching, and merging them would pinch the edges between.
    """
    vertices, faces = np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64)
    if merge:
        vertices, faces = merge_close_vertices(vertices, faces, 1e-9)
    faces = drop_degenerate_faces(faces)
    twins = halfedge_twins(faces)
    if twins is None:
        return None
    vertices, faces = split_pinched_vertices(np.asarray(vertices, dtype=np.float64), faces, twins)
    if signed_volumes(vertices, faces, np.zeros(len(faces), dtype=np.int64), 1)[0] <= 0:
        return None
    return separate_close_vertices(vertices, faces), faces


def _quadric_simplify(
    vertices: np.ndarray, faces: np.ndarray, max_faces: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The first closed result of the attempt schedule that fits the budget, if any."""
    if len(faces) <= max_faces:
        return vertices, faces
    for fraction, aggression in _ATTEMPTS:
        target = max(4, int(max_faces * fraction))
        result = fast_simplification.simplify(vertices, faces, target_count=target, agg=aggression)
        closed = close_or_none(result[0], result[1])
        if closed is not None and len(closed[1]) <= max_faces:
            return closed
    return None


def _manifold_simplify(
    vertices: np.ndarray, faces: np.ndarray, max_faces: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bisect manifold3d's simplification tolerance (log scale) for the largest fitting mesh."""
    import manifold3d

    solid = manifold3d.Manifold(
        manifold3d.Mesh(vert_properties=vertices.astype(np.float32), tri_verts=faces.astype(np.uint32))
    )
    if solid.status() != manifold3d.Error.NoError:
        return None
    diagonal = float(np.linalg.norm(np.ptp(vertices, axis=0)))
    low, high = np.log(1e-5 * diagonal), np.log(0.5 * diagonal)
    best = None
    for _ in range(_EPSILON_STEPS):
        middle = 0.5 * (low + high)
        simple = solid.simplify(float(np.exp(middle)))
        if simple.num_tri() <= max_faces:
            high = middle
            mesh = simple.to_mesh()
            closed = close_or_none(
                np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts), merge=False
            )
            best = closed if closed is not None else best
        else:
            low = middle
    return best

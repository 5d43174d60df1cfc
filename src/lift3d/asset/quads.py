"""Quad-dominant retopology of a finished asset (Instant Meshes), for editing in a DCC tool.

The triangle mesh stays the asset's truth (GLB, STL, PLY, the bake); the quads are an
extra, editable surface that OBJ and USD write as polygons. Each quad takes its UVs from
one UV chart of the triangle mesh, so the baked texture maps onto it without smearing
across atlas seams.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import trimesh
from trimesh.graph import connected_component_labels

from lift3d.errors import Lift3DError, OptionError
from lift3d.types import QuadMesh

INSTALL_HINT = "pip install 'lift3d[quads]'"
QUAD_FORMATS = (".obj", ".usdz")  # formats that carry polygons; glTF, STL and PLY hold triangles only
DISTANCE_SAMPLES = 2**15  # surface points for the distance report


def check_quads_available() -> None:
    """Refuse `--quads` up front, in one line, when the remesher is not installed."""
    if importlib.util.find_spec("pyinstantmeshes") is None:
        raise OptionError(f"--quads needs Instant Meshes (pyinstantmeshes): {INSTALL_HINT}")


def check_quads_format(path: str | os.PathLike) -> None:
    """Refuse quads for a format that would only triangulate them again."""
    suffix = Path(path).suffix.lower()
    if suffix not in QUAD_FORMATS:
        raise OptionError(
            f"--quads writes polygons to .obj or .usdz; {suffix or 'no extension'} holds triangles only"
        )


def quad_remesh(mesh: trimesh.Trimesh, max_faces: int, crease_angle_deg: float = 40.0) -> QuadMesh:
    """A quad-dominant mesh of `mesh` (a textured asset mesh) with about `max_faces / 2` faces.

    A quad is two triangles of the budget. Edge loops follow creases sharper than
    `crease_angle_deg` (on a union of blobs this halves the largest distance). The
    remesher's vertices are moved onto the triangle surface, and each face's UVs are
    read from the chart under its centre.
    """
    check_quads_available()
    welded = mesh.copy()
    welded.merge_vertices(merge_tex=True, merge_norm=True)
    vertices, faces = _remesh_with_fallbacks(welded, max(max_faces // 2, 50), crease_angle_deg)
    vertices, _, _ = trimesh.proximity.closest_point(welded, vertices)
    # The extraction writes some vertices twice; one index per position keeps edges shared.
    vertices, inverse = np.unique(vertices, axis=0, return_inverse=True)
    faces = _drop_degenerate(np.where(faces >= 0, inverse.reshape(-1)[np.maximum(faces, 0)], -1))
    vertices, faces = _fill_holes(vertices, faces, welded)
    uv, seam = _chart_uvs(mesh, vertices, faces)
    quad = QuadMesh(vertices=vertices, faces=faces, uv=uv)
    return QuadMesh(vertices, faces, uv, report=quad_report(quad, welded, seam))


def quad_report(quad: QuadMesh, reference: trimesh.Trimesh, seam: np.ndarray) -> dict:
    """How quad, how close and how closed the quad mesh is, for the provenance and the CLI."""
    triangles = quad.triangle_mesh()
    diagonal = float(np.linalg.norm(reference.bounds[1] - reference.bounds[0]))
    to_quads = _surface_distance(reference, triangles)
    to_triangles = _surface_distance(triangles, reference)
    closed = triangles.copy()
    closed.merge_vertices()
    return {
        "faces": int(len(quad.faces)),
        "quad_share": round(float((quad.faces[:, 3] >= 0).mean()), 4),
        "seam_share": round(float(seam.mean()), 4),
        # Distances as % of the bounding-box diagonal: from the triangle surface to the
        # quads (what the quads miss) and back (what they add); max = one-sided Hausdorff.
        "hausdorff_pct": round(100 * float(max(to_quads.max(), to_triangles.max())) / diagonal, 3),
        "mean_distance_pct": round(
            100 * float(np.mean([to_quads.mean(), to_triangles.mean()])) / diagonal, 4
        ),
        "watertight": bool(closed.is_watertight and closed.is_winding_consistent),
    }


def quad_summary(report: dict) -> str:
    """One line for the CLI."""
    return (
        f"quads: {report['faces']} faces, {report['quad_share']:.0%} quads, "
        f"{report['seam_share']:.1%} on UV seams, distance to the triangles "
        f"mean {report['mean_distance_pct']:.3f} % / max {report['hausdorff_pct']:.2f} % of the diagonal"
        + ("" if report["watertight"] else ", NOT watertight")
    )


def _remesh_with_fallbacks(
    mesh: trimesh.Trimesh, target_faces: int, crease_angle_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Instant Meshes, retried when it returns nothing.

    With creases on a coarse input (a few hundred long triangles) its orientation field
    can break down into thousands of singularities and extract no face at all; the same
    surface cut into short edges first, or without creases, goes through.
    """
    vertices, faces = _instant_meshes(mesh, target_faces, crease_angle_deg)
    if len(faces) == 0:
        diagonal = float(np.linalg.norm(mesh.extents))
        fine = trimesh.Trimesh(*trimesh.remesh.subdivide_to_size(mesh.vertices, mesh.faces, diagonal / 50))
        vertices, faces = _instant_meshes(fine, target_faces, crease_angle_deg)
    if len(faces) == 0:
        vertices, faces = _instant_meshes(mesh, target_faces, -1.0)
    if len(faces) == 0:
        raise Lift3DError("the quad remesher returned no faces for this shape; convert without --quads")
    return vertices, faces


def _instant_meshes(
    mesh: trimesh.Trimesh, target_faces: int, crease_angle_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Run Instant Meshes through files: its in-memory call returns the result triangulated."""
    import pyinstantmeshes

    with tempfile.TemporaryDirectory(prefix="lift3d-quads-") as folder:
        source, result = Path(folder) / "in.obj", Path(folder) / "out.obj"
        lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in mesh.vertices]
        lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces]
        source.write_text("\n".join(lines) + "\n")
        with _quiet_stdout():
            pyinstantmeshes.remesh_file(
                str(source),
                str(result),
                target_face_count=int(target_faces),
                crease_angle=float(crease_angle_deg),
                deterministic=True,
            )
        return _read_polygons(result.read_text())


def _read_polygons(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and (F, 4) faces of an OBJ; polygons of more than 4 corners become a triangle fan."""
    vertices, faces = [], []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            vertices.append([float(value) for value in parts[1:4]])
        elif parts[0] == "f":
            corners = [int(token.split("/")[0]) - 1 for token in parts[1:]]
            if len(corners) <= 4:
                faces.append(corners + [-1] * (4 - len(corners)))
            else:
                faces += [[corners[0], corners[i], corners[i + 1], -1] for i in range(1, len(corners) - 1)]
    return np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64).reshape(-1, 4)


def _drop_degenerate(faces: np.ndarray) -> np.ndarray:
    """Quads with a repeated corner become triangles; faces with fewer than 3 distinct corners go."""
    out = []
    for face in faces:
        corners = [int(c) for c in face if c >= 0]
        unique = [c for i, c in enumerate(corners) if c != corners[i - 1]]
        if len(set(unique)) >= 3:
            out.append(unique + [-1] * (4 - len(unique)))
    return np.asarray(out, dtype=np.int64).reshape(-1, 4)


def _fill_holes(
    vertices: np.ndarray, faces: np.ndarray, surface: trimesh.Trimesh
) -> tuple[np.ndarray, np.ndarray]:
    """Close the rare hole the extraction leaves (seen: one 8-edge hole on a low-poly vehicle).

    A hole of 3 or 4 edges becomes one face; a longer one a fan of triangles around a new
    vertex at its centre, put on the surface.
    """
    directed = {}
    for face in faces:
        corners = [int(c) for c in face if c >= 0]
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            directed[(a, b)] = True
    # A boundary edge a->b has no b->a; the filling face runs it the other way, b->a.
    following = {b: a for a, b in directed if (b, a) not in directed}
    new_faces: list[list[int]] = []
    new_vertices: list[np.ndarray] = []
    while following:
        start = next(iter(following))
        loop = [start]
        while following.get(loop[-1], start) != start:
            loop.append(following.pop(loop[-1]))
        following.pop(loop[-1], None)
        if len(loop) in (3, 4):
            new_faces.append(loop + [-1] * (4 - len(loop)))
        elif len(loop) > 4:
            centre = len(vertices) + len(new_vertices)
            new_vertices.append(vertices[loop].mean(axis=0))
            new_faces += [[a, b, centre, -1] for a, b in zip(loop, loop[1:] + loop[:1], strict=True)]
    if not new_faces:
        return vertices, faces
    if new_vertices:
        placed, _, _ = trimesh.proximity.closest_point(surface, np.asarray(new_vertices))
        vertices = np.concatenate([vertices, placed])
    return vertices, np.concatenate([faces, np.asarray(new_faces, dtype=np.int64)])


def _chart_uvs(
    mesh: trimesh.Trimesh, vertices: np.ndarray, faces: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-corner UVs, every corner of a face read from the UV chart under the face's centre.

    Returns the (F, 4, 2) UVs and which faces straddled a seam (their corners were moved
    onto the centre's chart).
    """
    uv_source = np.asarray(mesh.visual.uv, dtype=np.float64)  # type: ignore[union-attr]
    charted = mesh.copy()
    charted.merge_vertices(merge_tex=False, merge_norm=True)  # weld by position and UV only
    charts = connected_component_labels(charted.face_adjacency, node_count=len(charted.faces))

    valid = faces >= 0
    counts = valid.sum(axis=1, keepdims=True)
    centres = np.where(valid[..., None], vertices[np.maximum(faces, 0)], 0).sum(axis=1) / counts
    _, _, centre_triangle = trimesh.proximity.closest_point(mesh, centres)
    face_chart = charts[centre_triangle]

    _, _, vertex_triangle = trimesh.proximity.closest_point(mesh, vertices)
    corner_triangle = np.where(valid, vertex_triangle[np.maximum(faces, 0)], -1)
    corner_points = vertices[np.maximum(faces, 0)]
    off_chart = valid & (charts[np.maximum(corner_triangle, 0)] != face_chart[:, None])
    seam = off_chart.any(axis=1)
    for chart in np.unique(face_chart[seam]):
        rows, cols = np.nonzero(off_chart & (face_chart[:, None] == chart))
        members = np.flatnonzero(charts == chart)
        piece = trimesh.Trimesh(mesh.vertices, mesh.faces[members], process=False)
        _, _, local = trimesh.proximity.closest_point(piece, corner_points[rows, cols])
        corner_triangle[rows, cols] = members[local]

    triangle = np.maximum(corner_triangle, 0).reshape(-1)
    corners = mesh.vertices[mesh.faces[triangle]]
    barycentric = trimesh.triangles.points_to_barycentric(corners, corner_points.reshape(-1, 3))
    barycentric = np.clip(barycentric, 0, None)
    barycentric /= barycentric.sum(axis=1, keepdims=True)
    uv = np.einsum("ij,ijk->ik", barycentric, uv_source[mesh.faces[triangle]]).reshape(len(faces), 4, 2)
    return np.where(valid[..., None], uv, 0.0), seam


def _surface_distance(source: trimesh.Trimesh, target: trimesh.Trimesh) -> np.ndarray:
    """Distances from points spread evenly over `source` to the surface of `target`."""
    points, _ = trimesh.sample.sample_surface_even(source, DISTANCE_SAMPLES, seed=0)
    _, distance, _ = trimesh.proximity.closest_point(target, points)
    return np.asarray(distance)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Instant Meshes prints its progress to the process's stdout, where the CLI prints paths."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)

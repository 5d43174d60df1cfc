"""Decimation meets the face budget and never opens, pinches or inverts the surface."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from asset_shapes import blob_mesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lift3d.asset import decimate
from lift3d.asset.clean import clean_mesh
from lift3d.asset.decimate import close_or_none, decimate_mesh
from lift3d.asset.topology import halfedge_twins, is_closed_manifold
from lift3d.evaluate import is_watertight


def _assert_closed(mesh: trimesh.Trimesh) -> None:
    assert is_closed_manifold(mesh.faces)
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert mesh.volume > 0


@pytest.mark.parametrize(
    "mesh",
    [
        trimesh.creation.icosphere(subdivisions=5),
        trimesh.creation.torus(major_radius=0.6, minor_radius=0.2, major_sections=96, minor_sections=48),
        trimesh.creation.box().subdivide().subdivide().subdivide(),
    ],
    ids=["icosphere", "torus", "box"],
)
def test_analytic_meshes_meet_budget_and_stay_closed(mesh: trimesh.Trimesh) -> None:
    before = mesh.faces.copy()
    result = decimate_mesh(mesh, 500)
    assert len(result.faces) <= 500
    _assert_closed(result)
    assert np.array_equal(mesh.faces, before)
    assert result.volume == pytest.approx(mesh.volume, rel=0.1)


def test_small_mesh_is_returned_as_a_copy() -> None:
    box = trimesh.creation.box()
    result = decimate_mesh(box, 100)
    assert result is not box and len(result.faces) == 12


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), spheres=st.integers(1, 6), max_faces=st.integers(100, 1500))
def test_random_blobs_stay_closed(seed: int, spheres: int, max_faces: int) -> None:
    mesh = clean_mesh(blob_mesh(seed, grid=40, spheres=spheres))
    result = decimate_mesh(mesh, max_faces)
    assert len(result.faces) <= max_faces
    _assert_closed(result)


def test_blob_whose_first_collapse_order_breaks_is_retried() -> None:
    # At this budget the default quadric schedule leaves a non-manifold edge.
    mesh = clean_mesh(blob_mesh(52, grid=40, spheres=5))
    result = decimate_mesh(mesh, 100)
    assert len(result.faces) <= 100
    _assert_closed(result)


def test_membrane_and_pinch_are_repaired() -> None:
    # Two tetrahedra sharing one vertex (a pinch), plus a face and its reverse (a membrane).
    corners = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    tetra_faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    vertices = np.vstack([corners, corners[1:] + [0, 0, 1]])
    on_top = np.array([3, 4, 5, 6])[tetra_faces]  # the second tetra's vertex 0 is vertex 3
    membrane = np.array([[0, 1, 4], [0, 4, 1]])
    faces = np.vstack([tetra_faces, on_top, membrane])
    assert halfedge_twins(faces) is None
    repaired = close_or_none(vertices, faces)
    assert repaired is not None
    assert is_closed_manifold(repaired[1]) and len(repaired[0]) == 8 and len(repaired[1]) == 8
    assert not is_closed_manifold(np.vstack([tetra_faces, on_top]))


def _open_simplify(points: np.ndarray, triangles: np.ndarray, **_: object) -> tuple[np.ndarray, np.ndarray]:
    """Stands in for quadric decimation: an open mesh, as a bad collapse would leave."""
    return points, triangles[: len(triangles) // 3]


def test_falls_back_to_manifold_simplification(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decimate.fast_simplification, "simplify", _open_simplify)
    result = decimate_mesh(trimesh.creation.icosphere(subdivisions=4), 600)
    assert len(result.faces) <= 600
    _assert_closed(result)


def test_sheets_touching_along_an_edge_stay_apart_in_a_float32_file() -> None:
    """Two solids whose edges lie 1.5e-9 apart: after repair, position-merged they are still closed."""
    first = trimesh.Trimesh(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]
    )
    second = trimesh.Trimesh(
        [[0, 0, 0], [1, 0, 0], [0, -1, 0], [0, 0, -1]], [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]
    )
    for solid in (first, second):
        solid.fix_normals()
    second.vertices[:2] += 1.5e-9
    both = trimesh.util.concatenate([first, second])
    repaired = close_or_none(both.vertices, both.faces)
    assert repaired is not None
    vertices, faces = repaired
    stored = trimesh.Trimesh(vertices.astype(np.float32), faces)  # as a GLB keeps it
    assert is_watertight(stored)
    gaps = np.linalg.norm(vertices[:, None] - vertices[None], axis=2)[np.triu_indices(len(vertices), 1)]
    assert gaps.min() > 1e-7


def test_manifold_fallback_keeps_solids_that_touch_along_an_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    """manifold3d keeps touching sheets as distinct coincident vertices; merging them would pinch."""
    monkeypatch.setattr(decimate.fast_simplification, "simplify", _open_simplify)
    box = trimesh.creation.box().subdivide().subdivide().subdivide()
    neighbour = box.copy()
    neighbour.apply_translation([1.0, 1.0, 0.0])  # shares one edge's position with `box`
    result = decimate_mesh(trimesh.util.concatenate([box, neighbour]), 300)
    assert len(result.faces) <= 300
    _assert_closed(result)
    assert is_watertight(trimesh.Trimesh(np.asarray(result.vertices, np.float32), result.faces))

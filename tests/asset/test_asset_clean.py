"""Cleaning keeps the main closed surface and removes what marching cubes leaves behind."""

from __future__ import annotations

import numpy as np
import trimesh

from lift3d.asset.clean import clean_mesh
from lift3d.asset.topology import is_closed_manifold


def test_removes_small_floating_component_and_keeps_input() -> None:
    body = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    speck = trimesh.creation.icosphere(subdivisions=1, radius=0.05)
    speck.apply_translation([2.0, 0, 0])
    mesh = trimesh.util.concatenate([body, speck])
    before = mesh.vertices.copy()
    cleaned = clean_mesh(mesh)
    assert len(cleaned.faces) == len(body.faces)
    assert np.array_equal(mesh.vertices, before)


def test_keeps_two_large_components() -> None:
    left = trimesh.creation.icosphere(subdivisions=2, radius=0.4)
    right = left.copy()
    right.apply_translation([1.0, 0, 0])
    cleaned = clean_mesh(trimesh.util.concatenate([left, right]))
    assert len(cleaned.faces) == 2 * len(left.faces)


def test_drops_inner_cavity_shell() -> None:
    outer = trimesh.creation.icosphere(subdivisions=2, radius=0.8)
    cavity = trimesh.creation.icosphere(subdivisions=2, radius=0.4)
    cavity.invert()
    cleaned = clean_mesh(trimesh.util.concatenate([outer, cavity]))
    assert len(cleaned.faces) == len(outer.faces)
    assert cleaned.volume > 0


def test_flips_inverted_mesh_outward() -> None:
    mesh = trimesh.creation.box()
    mesh.invert()
    cleaned = clean_mesh(mesh)
    assert cleaned.volume > 0 and is_closed_manifold(cleaned.faces)


def test_merges_duplicate_vertices_and_drops_collapsed_faces() -> None:
    box = trimesh.creation.box()
    # Unweld every face, as a soup, and add a face that collapses to an edge once welded.
    soup_vertices = box.vertices[box.faces].reshape(-1, 3)
    soup_faces = np.arange(len(soup_vertices)).reshape(-1, 3)
    extra = len(soup_vertices) + np.arange(3)
    soup_vertices = np.vstack([soup_vertices, box.vertices[[0, 0, 1]] + [0, 1e-9, 0]])
    mesh = trimesh.Trimesh(soup_vertices, np.vstack([soup_faces, extra]), process=False)
    cleaned = clean_mesh(mesh)
    assert len(cleaned.vertices) == 8 and len(cleaned.faces) == 12
    assert is_closed_manifold(cleaned.faces)


def test_splits_vertex_where_two_solids_touch() -> None:
    corners = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    tetra_faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    vertices = np.vstack([corners, corners[1:] + [0, 0, 1]])
    faces = np.vstack([tetra_faces, np.array([3, 4, 5, 6])[tetra_faces]])
    assert not is_closed_manifold(faces)
    cleaned = clean_mesh(trimesh.Trimesh(vertices, faces, process=False))
    assert is_closed_manifold(cleaned.faces) and len(cleaned.vertices) == 8

"""Shared geometry for exporters that carry no UVs: weld the seams back together."""

from __future__ import annotations

import numpy as np
import trimesh


def weld_by_position(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge vertices with identical positions; return vertices, faces and each one's source.

    An asset's vertices are split along UV seams and normal creases but the copies
    share exact positions, so welding them gives back the closed surface.
    """
    vertices = np.asarray(mesh.vertices)
    unique, first, inverse = np.unique(vertices, axis=0, return_index=True, return_inverse=True)
    return unique, inverse.reshape(-1)[np.asarray(mesh.faces)], first


def flat_shaded_with_world_uv(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy with flat normals and UVs in metres, for architecture (a plan's walls and floors).

    Each face is projected on the axis plane it faces most (box mapping), so a texture
    of 1 m tiles once per metre on every wall and floor; vertices are shared again where
    position, normal and UV all agree. The material is kept.
    """
    faces = np.asarray(mesh.faces)
    corners = np.asarray(mesh.vertices)[faces].reshape(-1, 3)
    normals = np.repeat(np.asarray(mesh.face_normals), 3, axis=0)
    dominant = np.abs(normals).argmax(axis=1)
    # (u, v) axes per dominant axis: x-facing walls use (z, y), y-facing floors (x, -z), z-facing walls (x, y)
    u = np.where(dominant == 0, corners[:, 2] * -np.sign(normals[:, 0]), corners[:, 0])
    v = np.where(dominant == 1, -corners[:, 2] * np.sign(normals[:, 1]), corners[:, 1])
    u = np.where(dominant == 2, corners[:, 0] * np.sign(normals[:, 2]), u)
    uv = np.stack([u, v], axis=1)
    keys = np.round(np.concatenate([corners, normals, uv], axis=1), 6)
    unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    material = getattr(mesh.visual, "material", None)
    visual = trimesh.visual.TextureVisuals(uv=uv[first], material=material)
    return trimesh.Trimesh(
        corners[first],
        inverse.reshape(-1, 3),
        vertex_normals=normals[first],
        visual=visual,
        process=False,
    )

"""Crease-aware vertex normals and the PBR material that carries the baked texture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

from lift3d.asset.topology import corner_fans, halfedge_twins

ROUGHNESS = 0.8


@dataclass(frozen=True)
class CornerNormals:
    """Smooth normals per fan: corners around a vertex that no sharp edge separates."""

    corner_fan: np.ndarray  # (3F,) fan label of every face corner
    normals: np.ndarray  # (n_fans, 3) unit normal of every fan


def crease_normals(mesh: trimesh.Trimesh, crease_angle_deg: float) -> CornerNormals:
    """Average face normals around each vertex, but never across an edge sharper than the crease.

    Marching-cubes shapes are mostly smooth, so most vertices get one normal; an edge
    whose faces turn by more than `crease_angle_deg` (a box edge, a cut) keeps a hard
    crease, so a flat side does not look bent. Faces are weighted by corner angle,
    which does not depend on how a surface happens to be triangulated.
    """
    faces = np.asarray(mesh.faces, dtype=np.int64)
    twins = halfedge_twins(faces)
    if twins is None:
        raise ValueError("crease_normals needs a closed, consistently wound mesh")
    face_normals = np.asarray(mesh.face_normals)
    # Half-edge 3f + k belongs to face f; compare its face's normal with its twin's.
    halfedge_face = np.repeat(np.arange(len(faces)), 3)
    cosine = np.einsum("ij,ij->i", face_normals[halfedge_face], face_normals[twins // 3])
    joined = cosine >= np.cos(np.radians(crease_angle_deg)) - 1e-9
    labels = corner_fans(faces, twins, joined)
    weights = np.asarray(mesh.face_angles).ravel()[:, None] * face_normals[halfedge_face]
    count = int(labels.max()) + 1
    sums = np.stack([np.bincount(labels, weights=weights[:, k], minlength=count) for k in range(3)], axis=1)
    lengths = np.linalg.norm(sums, axis=1, keepdims=True)
    # A fan of only degenerate corners has no direction; fall back to its face normal.
    fallback = np.zeros_like(sums)
    fallback[labels] = face_normals[halfedge_face]
    sums = np.where(lengths > 1e-12, sums / np.maximum(lengths, 1e-12), fallback)
    return CornerNormals(corner_fan=labels, normals=sums)


def pbr_material(texture: np.ndarray) -> PBRMaterial:
    """A rough dielectric with the baked texture as base colour (light is baked into the photo)."""
    return PBRMaterial(
        name="lift3d",
        baseColorTexture=Image.fromarray(np.ascontiguousarray(texture, dtype=np.uint8)),
        baseColorFactor=[255, 255, 255, 255],
        metallicFactor=0.0,
        roughnessFactor=ROUGHNESS,
    )

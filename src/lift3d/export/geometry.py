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

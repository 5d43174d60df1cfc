"""Analytic meshes and procedurally drawn pictures shared by the asset-stage tests."""

from __future__ import annotations

import numpy as np
import trimesh
from skimage.measure import marching_cubes

from lift3d.types import Cutout, ShapeMaps

RED = (0.9, 0.1, 0.1)
BLUE = (0.1, 0.2, 0.9)
GREEN = (0.1, 0.8, 0.2)


def disc_cutout(size: int = 128, radius: float = 0.8) -> Cutout:
    """A disc, red on the left half and blue on the right, on a white background."""
    centres = (np.arange(size) + 0.5) / size * 2 - 1
    x, y = np.meshgrid(centres, -centres)
    mask = x**2 + y**2 < radius**2
    rgb = np.ones((size, size, 3), dtype=np.float32)
    rgb[mask & (x < 0)] = RED
    rgb[mask & (x >= 0)] = BLUE
    return Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, size, size), source="disc")


def green_back_maps(cutout: Cutout, size: int = 64) -> ShapeMaps:
    """Shape maps at a lower resolution whose hidden side is plain green."""
    zeros = np.zeros((size, size), dtype=np.float32)
    back = np.empty((size, size, 3), dtype=np.float32)
    back[:] = GREEN
    return ShapeMaps(mask=cutout.mask, front_z=zeros, back_z=zeros, back_rgb=back)


def blob_mesh(seed: int, grid: int = 32, spheres: int = 4) -> trimesh.Trimesh:
    """A marching-cubes union of random spheres, like a reconstruction's raw output."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(-1, 1, grid)
    x, y, z = np.meshgrid(axis, axis, axis, indexing="ij")
    field = np.full(x.shape, -np.inf)
    for _ in range(spheres):
        centre = rng.uniform(-0.4, 0.4, 3)
        radius = rng.uniform(0.15, 0.45)
        distance = np.sqrt((x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2)
        field = np.maximum(field, radius - distance)
    field = np.pad(field, 1, constant_values=-1.0)
    vertices, faces, _, _ = marching_cubes(field, 0.0)
    vertices = (vertices - 1) / (grid - 1) * 2 - 1
    return trimesh.Trimesh(vertices, faces[:, ::-1], process=False)

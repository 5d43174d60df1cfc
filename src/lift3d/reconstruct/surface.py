"""Shape maps to a closed surface: a signed field in a voxel grid, then marching cubes.

The field is the minimum of three distances, each positive inside the object:
to the outline in the picture plane, below the front surface and above the back
surface. Its zero level set is closed by construction (the grid is padded with
outside values), so marching cubes always returns a watertight surface whatever
the maps say — a learned generator can be wrong, but never produce a broken mesh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import trimesh
from scipy import ndimage
from skimage import measure

from lift3d.errors import OptionError
from lift3d.types import ShapeMaps


@dataclass(frozen=True)
class ReconstructOptions:
    """How finely and how smoothly shape maps become a surface."""

    grid_px: int = 160  # voxels across the view square [-1, 1]
    min_thickness_voxels: float = 1.5  # thinner parts are thickened so they do not vanish
    smooth_iterations: int = 8  # Taubin smoothing steps that remove voxel steps
    min_part_fraction: float = 0.01  # parts smaller than this share of the volume are floating bits

    def __post_init__(self) -> None:
        if not 16 <= self.grid_px <= 512:
            raise OptionError(f"grid_px must be between 16 and 512, got {self.grid_px}")
        if self.smooth_iterations < 0:
            raise OptionError(f"smooth_iterations must be >= 0, got {self.smooth_iterations}")


def outline_distance(mask: np.ndarray) -> np.ndarray:
    """Signed distance to the mask's outline in view units, positive inside.

    Half a pixel is subtracted on both sides so the zero crossing lies on the pixel
    boundary rather than on pixel centres.
    """
    pixel = 2.0 / mask.shape[1]
    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    return np.where(mask, inside - 0.5, 0.5 - outside).astype(np.float32) * pixel


def extend_beyond_mask(values: np.ndarray, mask: np.ndarray, erode_px: int = 0) -> np.ndarray:
    """Copy each pixel off the mask (eroded by `erode_px`) from its nearest pixel on it.

    Keeps a depth field smooth across the outline, and lets texture lookups near the
    silhouette see object colour, never background. An erosion that would leave nothing
    (a very thin object) falls back to the mask itself.
    """
    source = np.asarray(mask, dtype=bool)
    if erode_px > 0:
        eroded = ndimage.distance_transform_edt(source) > erode_px  # round, unlike iterated erosion
        if eroded.any():
            source = eroded
    values = np.asarray(values, dtype=np.float32)
    if source.all() or not source.any():
        return values
    _, (rows, cols) = ndimage.distance_transform_edt(~source, return_indices=True)
    return values[rows, cols]


def resample(values: np.ndarray, grid_px: int) -> np.ndarray:
    """Bilinearly sample a map at the centres of a grid_px x grid_px grid over the same square."""
    height, width = values.shape
    centres = (np.arange(grid_px) + 0.5) / grid_px
    rows = centres * height - 0.5
    cols = centres * width - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(values, [rr, cc], order=1, mode="nearest").astype(np.float32)


def maps_to_field(maps: ShapeMaps, grid_px: int, min_thickness_voxels: float) -> tuple[np.ndarray, float]:
    """The signed field on a voxel grid (axis 0 = z, back to front; 1 = rows; 2 = columns).

    Returns the field and the z of the first z-slice.
    """
    voxel = 2.0 / grid_px
    map_mask = resample(maps.mask.astype(np.float32), maps.front_z.shape[0]) > 0.5
    if not map_mask.any():  # an object thinner than one map pixel: trust the maps everywhere
        map_mask = np.ones(maps.front_z.shape, dtype=bool)
    front = extend_beyond_mask(maps.front_z.astype(np.float32), map_mask)
    back = extend_beyond_mask(maps.back_z.astype(np.float32), map_mask)
    front_grid = resample(front, grid_px)
    back_grid = resample(back, grid_px)
    # Keep a minimum thickness around the mid-surface so thin parts stay solid.
    middle = 0.5 * (front_grid + back_grid)
    half = np.maximum(0.5 * (front_grid - back_grid), 0.5 * min_thickness_voxels * voxel)
    front_grid, back_grid = middle + half, middle - half
    outline = resample(outline_distance(maps.mask), grid_px)

    inside = outline > 0
    z_low = float(back_grid[inside].min()) - 2 * voxel
    z_high = float(front_grid[inside].max()) + 2 * voxel
    z = z_low + voxel * (np.arange(int(np.ceil((z_high - z_low) / voxel)) + 1) + 0.5)
    z = z[:, None, None]
    field = np.minimum(outline[None], np.minimum(front_grid[None] - z, z - back_grid[None]))
    return field.astype(np.float32), z_low


def maps_to_mesh(maps: ShapeMaps, options: ReconstructOptions | None = None) -> trimesh.Trimesh:
    """Turn shape maps into a watertight, outward-oriented mesh in the view frame."""
    options = options or ReconstructOptions()
    if not maps.mask.any():
        raise ValueError("maps_to_mesh needs a non-empty mask")
    grid = options.grid_px
    voxel = 2.0 / grid
    field, z_low = maps_to_field(maps, grid, options.min_thickness_voxels)
    padded = np.pad(field, 1, constant_values=-1.0)
    # Values exactly at the level make marching cubes emit degenerate, non-manifold
    # pieces (the three distance terms tie at 0 on clipped maps): push them outside.
    padded[padded == 0.0] = -1e-6
    vertices, faces, _, _ = measure.marching_cubes(padded, level=0.0, spacing=(voxel, voxel, voxel))
    # Grid index (z, row, column) -> view frame (x right, y up, z toward the viewer).
    z = z_low + vertices[:, 0] + 0.5 * voxel - voxel
    y = 1.0 - (vertices[:, 1] - voxel + 0.5 * voxel)
    x = (vertices[:, 2] - voxel + 0.5 * voxel) - 1.0
    mesh = trimesh.Trimesh(np.column_stack([x, y, z]), faces, process=True)
    mesh = keep_main_parts(mesh, options.min_part_fraction)
    if options.smooth_iterations:
        trimesh.smoothing.filter_taubin(mesh, iterations=options.smooth_iterations)
    if enclosed_volume(mesh) < 0:
        mesh.invert()
    return mesh


def keep_main_parts(mesh: trimesh.Trimesh, min_part_fraction: float) -> trimesh.Trimesh:
    """Drop floating bits: connected parts whose volume is a small share of the largest."""
    parts = mesh.split(only_watertight=False)
    if len(parts) <= 1:
        return mesh
    volumes = np.array([abs(enclosed_volume(part)) for part in parts])
    keep = [
        part
        for part, volume in zip(parts, volumes, strict=True)
        if volume >= min_part_fraction * volumes.max()
    ]
    return cast(trimesh.Trimesh, trimesh.util.concatenate(keep))


def enclosed_volume(mesh: trimesh.Trimesh) -> float:
    """Signed volume by the divergence theorem; zero-volume slivers give 0 without warnings."""
    triangles = mesh.triangles
    return float(
        np.einsum("ij,ij->i", triangles[:, 0], np.cross(triangles[:, 1], triangles[:, 2])).sum() / 6.0
    )

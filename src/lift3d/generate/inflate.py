"""Classical generators: inflate the outline into a rounded body, or extrude it into a slab.

Inflation follows the Poisson trick of Teddy-like sketch modellers: solve
Laplace(u) = -1 inside the outline with u = 0 on it, then height = sqrt(2u). A strip
of half-width R gets the circular profile sqrt(R^2 - x^2), so limbs are round and the
thickness follows the local width rather than the global size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import linalg

from lift3d.errors import OptionError
from lift3d.types import Cutout, ShapeMaps


@dataclass(frozen=True)
class InflateOptions:
    """Shape of the inflated body."""

    thickness: float = 1.0  # 1.0 gives round cross-sections; smaller is flatter
    solve_px: int = 128  # resolution the Poisson problem is solved at

    def __post_init__(self) -> None:
        if not 0.05 <= self.thickness <= 5.0:
            raise OptionError(f"inflation thickness must be between 0.05 and 5, got {self.thickness}")


@dataclass(frozen=True)
class SlabOptions:
    """Thickness of the extruded slab, as a share of the outline's longer side."""

    thickness_ratio: float = 0.3


def downsample_mask(mask: np.ndarray, size_px: int) -> np.ndarray:
    """Area-resample a mask to size_px x size_px, keeping pixels that are mostly inside."""
    zoom = size_px / mask.shape[0]
    if zoom >= 1:
        return mask
    coverage = ndimage.zoom(mask.astype(np.float32), zoom, order=1, grid_mode=True, mode="grid-constant")
    return coverage > 0.5


def poisson_height(mask: np.ndarray) -> np.ndarray:
    """Solve Laplace(u) = -1 on the mask (u = 0 outside) with unit pixel spacing."""
    index = -np.ones(mask.shape, dtype=np.int64)
    count = int(mask.sum())
    index[mask] = np.arange(count)
    rows, cols = np.nonzero(mask)
    entries_i = [np.arange(count)]
    entries_j = [np.arange(count)]
    values = [np.full(count, 4.0)]
    for d_row, d_col in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        r, c = rows + d_row, cols + d_col
        valid = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
        neighbour = np.full(count, -1)
        neighbour[valid] = index[r[valid], c[valid]]
        inside = neighbour >= 0
        entries_i.append(np.arange(count)[inside])
        entries_j.append(neighbour[inside])
        values.append(np.full(int(inside.sum()), -1.0))
    matrix = sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(entries_i), np.concatenate(entries_j))), shape=(count, count)
    )
    solution = linalg.spsolve(matrix, np.ones(count))
    height = np.zeros(mask.shape, dtype=np.float64)
    height[mask] = solution
    return height


def inflated_height(mask: np.ndarray, thickness: float = 1.0) -> np.ndarray:
    """Half-thickness of the inflated body over a square mask, in view units (0 off the mask)."""
    pixel = 2.0 / mask.shape[0]
    if not mask.any():
        return np.zeros(mask.shape, dtype=np.float32)
    height = thickness * np.sqrt(2.0 * poisson_height(mask)) * pixel
    # Half a pixel of extra inflation so the rim does not collapse to zero thickness.
    return np.where(mask, height + 0.5 * pixel, 0.0).astype(np.float32)


def inflate(cutout: Cutout, options: InflateOptions | None = None) -> ShapeMaps:
    """A rounded, front-back symmetric body whose thickness follows the outline."""
    options = options or InflateOptions()
    height = inflated_height(downsample_mask(cutout.mask, options.solve_px), options.thickness)
    return ShapeMaps(mask=cutout.mask, front_z=height, back_z=-height)


def extrude_slab(cutout: Cutout, options: SlabOptions | None = None) -> ShapeMaps:
    """The silhouette extruded into a flat slab: the simplest baseline."""
    options = options or SlabOptions()
    rows, cols = np.nonzero(cutout.mask)
    pixel = 2.0 / cutout.mask.shape[0]
    longer = (max(np.ptp(rows), np.ptp(cols)) + 1) * pixel
    half = np.float32(0.5 * options.thickness_ratio * longer)
    front = np.where(cutout.mask, half, 0.0).astype(np.float32)
    return ShapeMaps(mask=cutout.mask, front_z=front, back_z=-front)

"""Image helpers every stage may use (a shared leaf: it imports no part of lift3d)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """(width, height), the order cv2.resize takes, of a height x width image scaled by
    `scale`, rounded and at least one pixel each way."""
    return max(1, round(width * scale)), max(1, round(height * scale))


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

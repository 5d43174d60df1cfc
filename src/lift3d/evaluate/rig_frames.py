"""How well a rig posed from animation frames follows them: each key's front silhouette against its frame.

The rigged character is skinned at every key of its frames clip and seen from the
front (orthographic, the data engine's ray caster). Its metres are tied to the
pictures' pixels by the rest frame alone, the way a viewer would line the asset up
with the clip: the rest mesh's box onto the rest frame's mask box. IoU is then counted
pixel by pixel against each frame's own mask.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lift3d.data.render import cast_pixel_rays
from lift3d.rig.animate import joint_matrices, skin
from lift3d.rig.skeleton import Clip, Rig


def mask_iou(first: np.ndarray, second: np.ndarray) -> float:
    union = np.logical_or(first, second).sum()
    return float(np.logical_and(first, second).sum() / union) if union else 1.0


def _box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """(column low, row low, column high, row high) pixel-edge box of a mask."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return float(columns[0]), float(rows[0]), float(columns[-1] + 1), float(rows[-1] + 1)


def posed_silhouettes(
    vertices: np.ndarray, faces: np.ndarray, rig: Rig, clip: Clip, rest_mask: np.ndarray, keys: Sequence[int]
) -> list[np.ndarray]:
    """The skinned mesh's front silhouette at each key, on square pictures like `rest_mask`.

    `vertices` (metres, +Y up) are the rig's rest mesh; `rest_mask` is the frame it was built from.
    """
    size_px = rest_mask.shape[0]
    if rest_mask.shape[1] != size_px:
        raise ValueError("silhouettes are drawn on square pictures")
    column_low, row_low, column_high, row_high = _box(rest_mask)
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    px_per_m = (row_high - row_low) / float(high[1] - low[1])
    centre_px = np.array([(column_low + column_high) / 2, (row_low + row_high) / 2])
    centre_m = (low + high) / 2
    silhouettes = []
    for key in keys:
        posed = skin(vertices, rig.joints, rig.weights, joint_matrices(rig.skeleton, clip, key))
        column = centre_px[0] + (posed[:, 0] - centre_m[0]) * px_per_m  # pixel-edge units
        row = centre_px[1] - (posed[:, 1] - centre_m[1]) * px_per_m
        view = np.column_stack(
            [2.0 * column / size_px - 1.0, 1.0 - 2.0 * row / size_px, posed[:, 2] * px_per_m * 2.0 / size_px]
        )
        triangle, _, _ = cast_pixel_rays(view, faces, size_px)
        silhouettes.append((triangle >= 0).reshape(size_px, size_px))
    return silhouettes


def frames_iou(
    vertices: np.ndarray, faces: np.ndarray, rig: Rig, masks: Sequence[np.ndarray], rest_frame: int
) -> tuple[list[float], list[float]]:
    """Per-frame IoU of the rig's frames clip, and of the rest pose held still (the baseline)."""
    clip = rig.clips[0]
    keys = range(len(masks))
    posed = posed_silhouettes(vertices, faces, rig, clip, masks[rest_frame], keys)
    still = Clip("rest", clip.times_s[:1])
    (rest,) = posed_silhouettes(vertices, faces, rig, still, masks[rest_frame], [0])
    return (
        [mask_iou(silhouette, mask) for silhouette, mask in zip(posed, masks, strict=True)],
        [mask_iou(rest, mask) for mask in masks],
    )

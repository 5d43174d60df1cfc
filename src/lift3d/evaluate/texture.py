"""Texture quality: the asset's base colour against the object's true colours, front and back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab

from lift3d.data.render import cast_pixel_rays


@dataclass(frozen=True)
class ColourError:
    """Mean colour errors over the pixels where the object and the asset both are."""

    de00: float  # CIEDE2000
    rgb: float  # mean absolute error per channel, 0..255
    pixels: int


def texture_colours(
    texture: np.ndarray, vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, size_px: int, side: str
) -> tuple[np.ndarray, np.ndarray]:
    """What a textured mesh in the view frame shows at each pixel from one side: (S, S, 3), mask."""
    triangle, weights, _ = cast_pixel_rays(vertices, faces, size_px, side)
    hit = triangle >= 0
    texel_uv = np.einsum("nk,nkd->nd", weights[hit], uv[faces[triangle[hit]]])
    side_px = texture.shape[0]
    map_x = (texel_uv[:, 0] * side_px - 0.5).astype(np.float32)[None]
    map_y = ((1 - texel_uv[:, 1]) * side_px - 0.5).astype(np.float32)[None]
    image = np.ascontiguousarray(texture, dtype=np.float32) / 255.0
    sampled = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[0]
    colour = np.zeros((len(triangle), 3))
    colour[hit] = sampled
    return colour.reshape(size_px, size_px, 3), hit.reshape(size_px, size_px)


def colour_error(predicted: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> ColourError:
    """CIEDE2000 and RGB error of two (S, S, 3) colour maps in [0, 1] on `mask`."""
    if not mask.any():
        return ColourError(de00=float("nan"), rgb=float("nan"), pixels=0)
    a, b = np.clip(predicted[mask], 0, 1), np.clip(truth[mask], 0, 1)
    de00 = deltaE_ciede2000(rgb2lab(a[None]), rgb2lab(b[None]))[0]
    return ColourError(de00=float(de00.mean()), rgb=float(np.abs(a - b).mean() * 255), pixels=int(mask.sum()))

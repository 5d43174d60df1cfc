"""Crop, centre and scale the found object into the square view the later stages expect."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from lift3d.errors import OptionError
from lift3d.inputs.segment import find_object, has_cutout_alpha
from lift3d.types import OBJECT_FILL, Cutout, Picture

INPUT_KINDS = ("photo", "render", "sketch")
# A sketch's picture shows this fraction of the figure's size beyond its mask: the outer
# half of strokes up to 6 px at 256 (the widest the drawing finder calls lines).
SKETCH_OUTLINE_FRACTION = 0.015


@dataclass(frozen=True)
class CutoutOptions:
    """How the object is framed in the square cutout."""

    size_px: int = 256  # side of the square cutout
    fill: float = OBJECT_FILL  # fraction of the square the object's longer side spans
    kind: str = "photo"  # input kind recorded on the cutout: photo, render or sketch

    def __post_init__(self) -> None:
        size_ok = isinstance(self.size_px, int) and not isinstance(self.size_px, bool)
        if not size_ok or not 16 <= self.size_px <= 8192:
            raise OptionError(f"size_px must be a whole number from 16 to 8192, got {self.size_px!r}")
        fill_ok = isinstance(self.fill, int | float) and not isinstance(self.fill, bool)
        if not fill_ok or not 0.05 <= self.fill <= 1:
            raise OptionError(f"fill must be a number from 0.05 to 1, got {self.fill!r}")
        if self.kind not in INPUT_KINDS:
            raise OptionError(f"kind must be one of {', '.join(INPUT_KINDS)}, got {self.kind!r}")


def make_cutout(
    picture: Picture, options: CutoutOptions | None = None, mask: np.ndarray | None = None
) -> Cutout:
    """Frame the picture's object as a square cutout on white, per the view-frame convention.

    The mask's bounding box is centred and its longer side spans `options.fill` of the
    square. `mask` defaults to `find_object(picture)`; pass one to reuse or override it.
    """
    options = options or CutoutOptions()
    if mask is None:
        mask = find_object(picture)
    height, width = picture.rgb.shape[:2]
    if mask.shape != (height, width):
        raise ValueError(f"mask shape {mask.shape} does not match the picture's {(height, width)}")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        raise ValueError("mask is empty")
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    y0, y1 = int(rows[0]), int(rows[-1]) + 1

    size = options.size_px
    scale = options.fill * size / max(x1 - x0, y1 - y0)
    centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
    # Only the part of the picture that lands in the square is resampled.
    half = size / (2 * scale)
    left = max(0, math.floor(centre_x - half) - 1)
    right = min(width, math.ceil(centre_x + half) + 1)
    top = max(0, math.floor(centre_y - half) - 1)
    bottom = min(height, math.ceil(centre_y + half) + 1)

    coverage = _coverage(picture, mask, options.kind)[top:bottom, left:right]
    rgb = picture.rgb[top:bottom, left:right] * coverage[..., None] + (1.0 - coverage[..., None])
    centre = (centre_x - left, centre_y - top)
    cutout_rgb = place_on_square(rgb, centre, scale, size, border=1.0)
    placed_mask = place_on_square(mask[top:bottom, left:right], centre, scale, size, border=0.0)
    cutout_mask = placed_mask >= 0.5
    if not cutout_mask.any():
        # A sliver thinner than a cutout pixel still marks where the object is, but only
        # within its own box: resampling smears it onto pixels beyond either end.
        cutout_mask = placed_mask >= max(0.5 * float(placed_mask.max()), 1e-6)
        in_box = cutout_mask & _box_pixels(size, (x1 - x0) * scale, (y1 - y0) * scale)
        cutout_mask = in_box if in_box.any() else cutout_mask
    return Cutout(
        rgb=np.clip(cutout_rgb, 0.0, 1.0),
        mask=cutout_mask,
        crop_box=(x0, y0, x1, y1),
        source=picture.source,
        kind=options.kind,
    )


def _box_pixels(size: int, box_width: float, box_height: float) -> np.ndarray:
    """Pixels of a size x size square that overlap a centred box of the given extent."""

    def span(extent: float) -> np.ndarray:
        low, high = (size - extent) / 2, (size + extent) / 2
        index = np.arange(size)
        return (index + 1 > low) & (index < high)

    return span(box_height)[:, None] & span(box_width)[None, :]


def _coverage(picture: Picture, mask: np.ndarray, kind: str) -> np.ndarray:
    """How much of each pixel is shown: the soft alpha of a cutout, else the mask.

    A sketch's mask runs along the middle of its outline, but the generator was taught on
    drawings whose whole outline shows, so the strokes' outer half is kept in the picture
    (a pencil goblet: F@0.05 0.864 with the outline halved, 0.956 whole).
    """
    if picture.alpha is not None and has_cutout_alpha(picture):
        # Keep the anti-aliased rim just outside the mask, drop specks the mask dropped.
        near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        return np.where(near, picture.alpha, 0.0).astype(np.float32)
    if kind == "sketch":
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
        radius = max(2, round(SKETCH_OUTLINE_FRACTION * extent))
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
        return (cv2.dilate(mask.astype(np.uint8), disk) > 0).astype(np.float32)
    return mask.astype(np.float32)


def place_on_square(
    image: np.ndarray,
    centre: tuple[float, float],
    scale: float | tuple[float, float],
    size: int,
    border: float,
) -> np.ndarray:
    """Resample so `centre` (pixel-edge coordinates) lands mid-square, scaled by `scale`.

    `scale` is output pixels per input pixel, one number or (x, y). Shrinking first
    averages whole areas (no aliasing, thin lines survive); the exact sub-pixel placement
    is then a near-unit affine warp.
    """
    scales = (float(scale), float(scale)) if isinstance(scale, int | float) else scale
    image = np.ascontiguousarray(image, dtype=np.float32)
    step_x = step_y = 1.0
    if min(scales) < 1:
        # A side shrinking below half a pixel would be rounded up to one, and the warp
        # would then skip it; padding keeps every side at least a pixel after shrinking.
        height, width = image.shape[:2]
        pad_x = max(0, math.ceil(1 / scales[0]) - width)
        pad_y = max(0, math.ceil(1 / scales[1]) - height)
        if pad_x or pad_y:
            top, left = pad_y // 2, pad_x // 2
            image = cv2.copyMakeBorder(
                image, top, pad_y - top, left, pad_x - left, cv2.BORDER_CONSTANT, value=(border,) * 4
            )
            centre = (centre[0] + left, centre[1] + top)
            height, width = image.shape[:2]
        shrunk = (max(1, round(width * min(scales[0], 1.0))), max(1, round(height * min(scales[1], 1.0))))
        image = cv2.resize(image, shrunk, interpolation=cv2.INTER_AREA)
        step_x, step_y = shrunk[0] / width, shrunk[1] / height
    scale_x, scale_y = scales[0] / step_x, scales[1] / step_y
    # cv2 maps pixel centres: out = a * in + b, with edges at centre - 0.5.
    offset_x = scale_x * (0.5 - centre[0] * step_x) + size / 2 - 0.5
    offset_y = scale_y * (0.5 - centre[1] * step_y) + size / 2 - 0.5
    matrix = np.array([[scale_x, 0.0, offset_x], [0.0, scale_y, offset_y]])
    channels = 1 if image.ndim == 2 else image.shape[2]
    return cv2.warpAffine(
        image,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(border,) * channels,
    )

"""Masks a user gives or takes: a mask file for a picture, the found mask at the picture's own size, its outline.

A mask file is white object on black at the picture's own resolution, the same file
`lift3d cutout` writes, so a user can fix a bad cutout in any paint program and hand it
back with `lift3d convert --mask`.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from lift3d.errors import InputError
from lift3d.files import atomic_path
from lift3d.inputs.read import read_picture
from lift3d.types import Picture

# EXIF orientations that turn the picture a quarter, so width and height swap.
_QUARTER_TURNS = (5, 6, 7, 8)


def picture_size(path: str | os.PathLike, picture: Picture) -> tuple[int, int]:
    """(width, height) of the picture file upright, before any shrinking to the working size.

    Read from the header; `picture` (the decoded file) stands in for files Pillow cannot open.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(274, 1)
    except (OSError, ValueError, SyntaxError):
        height, width = picture.rgb.shape[:2]
        return width, height
    return (height, width) if orientation in _QUARTER_TURNS else (width, height)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The mask at (width, height): smooth resampling, then half coverage, so the outline stays smooth."""
    if (mask.shape[1], mask.shape[0]) == size:
        return mask
    shrinking = size[0] < mask.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(mask.astype(np.float32), size, interpolation=interpolation) >= 0.5


def mask_from_picture(mask_picture: Picture) -> np.ndarray:
    """White (or opaque, for a cut-out with transparency) is object."""
    if mask_picture.alpha is not None and float(mask_picture.alpha.min()) < 0.5:
        return mask_picture.alpha >= 0.5
    return mask_picture.rgb.mean(axis=2) >= 0.5


def read_mask(path: str | os.PathLike, picture: Picture, size: tuple[int, int]) -> np.ndarray:
    """The user's mask for `picture` (whose file is `size` = (width, height)), at the picture's working size.

    Refuses a mask of another size (it would frame the wrong part of the picture) and an
    empty one (there would be no object to convert).
    """
    mask_picture = read_picture(path)
    mask_size = picture_size(path, mask_picture)
    if mask_size != size:
        raise InputError(
            f"mask {path} is {mask_size[0]}x{mask_size[1]} pixels but the picture is {size[0]}x{size[1]}; "
            "give a mask the same size as the picture (lift3d cutout writes one)"
        )
    height, width = picture.rgb.shape[:2]
    mask = resize_mask(mask_from_picture(mask_picture), (width, height))
    if not mask.any():
        raise InputError(f"mask {path} is empty: no white pixels (white marks the object, black the rest)")
    return mask


def write_mask(mask: np.ndarray, path: str | os.PathLike) -> Path:
    """Write the mask as an 8-bit greyscale PNG, white object on black, atomically."""
    target = Path(path)
    with atomic_path(target) as temporary:
        Image.fromarray(np.where(mask, 255, 0).astype(np.uint8)).save(temporary, format="PNG")
    return target


def outline_overlay(picture: Picture, mask: np.ndarray, width_px: int = 0) -> np.ndarray:
    """The picture (8-bit RGB) with the mask's outline drawn over it and the outside dimmed.

    Lets a user see a bad cutout before waiting for a mesh.
    """
    rgb = np.round(np.clip(picture.rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    if mask.shape != rgb.shape[:2]:
        mask = resize_mask(mask, (rgb.shape[1], rgb.shape[0]))
    width_px = width_px or max(2, round(max(rgb.shape[:2]) / 300))
    dimmed = np.where(mask[..., None], rgb, (rgb * 0.45 + 255 * 0.2).astype(np.uint8))
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    overlay = np.ascontiguousarray(dimmed)
    cv2.drawContours(overlay, contours, -1, (255, 40, 200), width_px, lineType=cv2.LINE_AA)
    return overlay

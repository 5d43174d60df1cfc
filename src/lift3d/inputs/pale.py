"""Find a pale object on a pale backdrop (white on white) by its sharp edges, not its colour.

A white mug on a white table differs from the table by a few grey levels at most, and
its own shading is as dark as its shadow, so the colour segmenter either loses most of
it or takes the shadow too. What stays is the object's edge: sharp, where a shadow's
edge is soft. The object is the region its sharp edges enclose (gaps closed, holes
filled), grown by the pixels whose colour clearly departs from the backdrop's.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from lift3d.images import scaled_size
from lift3d.inputs.segment import _fit_backdrop
from lift3d.types import Picture

WORKING_SIDE_PX = 512
# Backdrop this bright (mean luminance) and this grey (chroma, Lab a/b units) counts as pale.
MIN_BACKDROP_LUMINANCE = 0.7
MAX_BACKDROP_CHROMA = 12.0
# The darkest pixels (0.2th percentile) of a white object on white are at least this
# fraction of the backdrop's brightness (measured at DARKNESS_SIDE_PX, where thin pen
# lines keep their darkness); ink is darker.
MIN_DARKEST_RATIO = 0.68
DARKNESS_SIDE_PX = 1024
# Sharp edges: the fine-scale detail (luminance less its blur at this sigma) exceeds
# EDGE_NOISE_SIGMAS times the backdrop's own detail; a shadow's soft edge has little.
DETAIL_SIGMA_PX = 2.0
EDGE_NOISE_SIGMAS = 5.0
MIN_EDGE_LEVEL = 0.6  # L units (0-100)
# Gaps in the edge up to about twice this fraction of the working side are closed.
GAP_FRACTION = 0.025
# Colour (Lab distance to the backdrop, chroma and brightening only) that always counts.
MIN_COLOUR_DISTANCE = 1.5
COLOUR_NOISE_SIGMAS = 3.0
# The edges' detail halo reaches this far beyond the object (pixels at the working size).
PEEL_PX = 2
# The object covers between these shares of the picture, else this finder declines.
OBJECT_SHARE_RANGE = (0.005, 0.8)


def looks_white_on_white(picture: Picture) -> bool:
    """A pale backdrop and nothing much darker than it: a white object's shading, not ink or a dark object.

    Even a one-pixel pen line at 256 px (ratio under 0.6) is darker than the darkest
    shading of a white object on white (over 0.74 on the tuning set).
    """
    if not is_pale_backdrop(picture):
        return False
    rgb = _working(picture.rgb, DARKNESS_SIDE_PX)
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    paper = max(float(np.percentile(grey, 90)), 1e-3)
    return float(np.percentile(grey, 0.2)) / paper >= MIN_DARKEST_RATIO


def is_pale_backdrop(picture: Picture) -> bool:
    """Whether the picture's border is bright and grey: where the colour segmenter fails."""
    lab = _lab(_working(picture.rgb))
    band = max(2, round(0.03 * min(lab.shape[:2])))
    border = np.concatenate(
        [
            lab[:band].reshape(-1, 3),
            lab[-band:].reshape(-1, 3),
            lab[:, :band].reshape(-1, 3),
            lab[:, -band:].reshape(-1, 3),
        ]
    )
    luminance = float(np.median(border[:, 0])) / 100
    chroma = float(np.median(np.hypot(border[:, 1], border[:, 2])))
    return luminance >= MIN_BACKDROP_LUMINANCE and chroma <= MAX_BACKDROP_CHROMA


def _working(rgb: np.ndarray, side_px: int = WORKING_SIDE_PX) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = min(1.0, side_px / max(height, width))
    if scale < 1:
        rgb = cv2.resize(rgb, scaled_size(height, width, scale), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb, dtype=np.float32)


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(rgb, 0.0, 1.0).astype(np.float32), cv2.COLOR_RGB2Lab)


def pale_object_mask(picture: Picture) -> np.ndarray | None:
    """The object's mask at the picture's resolution, or None when no enclosed object stands out."""
    height, width = picture.rgb.shape[:2]
    small = cv2.GaussianBlur(_working(picture.rgb), (0, 0), 0.8)
    side = max(small.shape[:2])
    lab = _lab(small)
    backdrop, _ = _fit_backdrop(small)
    backdrop_lab = _lab(backdrop)

    lightness = lab[..., 0]
    detail = np.abs(lightness - cv2.GaussianBlur(lightness, (0, 0), DETAIL_SIGMA_PX))
    band = max(2, round(0.03 * min(lightness.shape)))
    border = np.zeros(lightness.shape, bool)
    border[:band] = border[-band:] = border[:, :band] = border[:, -band:] = True
    noise = 1.4826 * float(np.median(detail[border]))
    edges = detail > max(MIN_EDGE_LEVEL, EDGE_NOISE_SIGMAS * noise)

    difference = lab - backdrop_lab
    chroma_change = np.hypot(difference[..., 1], difference[..., 2])
    brighter = np.clip(difference[..., 0], 0.0, None)
    departure = cv2.GaussianBlur(np.hypot(chroma_change, brighter).astype(np.float32), (0, 0), 1.5)
    spread = float(np.median(departure[border])) + 1.4826 * float(
        np.median(np.abs(departure[border] - np.median(departure[border])))
    )
    coloured = departure > max(MIN_COLOUR_DISTANCE, COLOUR_NOISE_SIGMAS * spread)

    marks = (edges | coloured).astype(np.uint8)
    marks = cv2.morphologyEx(marks, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    radius = max(1, round(GAP_FRACTION * side))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
    closed = cv2.morphologyEx(marks, cv2.MORPH_CLOSE, disk, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    filled = ndimage.binary_fill_holes(closed > 0)
    # the outer edge's detail halo lies on both sides of the edge: peel the outer half back
    filled = cv2.morphologyEx(
        filled.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    )
    if PEEL_PX:
        peel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * PEEL_PX + 1,) * 2)
        filled = cv2.erode(filled, peel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(filled, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.1 * areas.max()) + 1
    mask = np.isin(labels, keep)
    share = float(mask.mean())
    if not OBJECT_SHARE_RANGE[0] <= share <= OBJECT_SHARE_RANGE[1]:
        return None
    soft = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    scale = side / max(height, width)
    soft = cv2.GaussianBlur(soft, (0, 0), sigmaX=max(1.0, 0.75 / scale))
    return soft >= 0.5

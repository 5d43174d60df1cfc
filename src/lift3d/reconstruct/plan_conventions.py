"""Bring plans drawn in other conventions to the form `plan_parse` reads: upright, clean-edged walls.

A scanned sheet is a little rotated: its dominant wall angle is found from the ink's
projection profiles (rows and columns of an upright plan are either full of wall or
empty, so the sum of squared profile sums peaks when the walls are axis-aligned) and
turned back. Grey-filled and hatched walls already pass Otsu's threshold, which they
make lenient; the blurred paper rim that then sticks to every wall is trimmed.
"""

from __future__ import annotations

import cv2
import numpy as np

from lift3d.types import Picture

# Scans are searched for a rotation up to this many degrees either way.
MAX_SKEW_DEG = 5.0
# Turns smaller than this are left alone (0.1 degrees moves a 1300 px plan's ends by 1 px).
MIN_SKEW_DEG = 0.08


def _darkness(picture: Picture) -> np.ndarray:
    grey = picture.rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if picture.alpha is not None:
        grey = grey * picture.alpha + (1 - picture.alpha)
    paper = float(np.percentile(grey, 90))
    return np.clip(paper - grey, 0, None).astype(np.float32)


def _profile_score(dark: np.ndarray, angle_deg: float) -> float:
    height, width = dark.shape
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle_deg, 1.0)
    turned = cv2.warpAffine(dark, matrix, (width, height), flags=cv2.INTER_LINEAR)
    return float(np.square(turned.sum(axis=0)).sum() + np.square(turned.sum(axis=1)).sum())


def skew_angle(picture: Picture) -> float:
    """Degrees to turn the picture (counter-clockwise, OpenCV's sense) to make its walls upright."""
    dark = _darkness(picture)
    if not dark.any():  # blank: nothing to straighten (the parser says so next)
        return 0.0
    scale = min(1.0, 500 / max(dark.shape))
    small = cv2.resize(dark, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else dark
    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-6, 0.25)
    best = max(coarse, key=lambda angle: _profile_score(small, angle))
    fine = np.arange(best - 0.25, best + 0.25 + 1e-6, 0.02)
    return float(max(fine, key=lambda angle: _profile_score(dark, angle)))


def deskew(picture: Picture) -> Picture:
    """The picture turned so its walls run along the axes, same size, paper in the corners."""
    angle = skew_angle(picture)
    if abs(angle) < MIN_SKEW_DEG:
        return picture
    height, width = picture.rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, 1.0)
    border = picture.rgb[:4].reshape(-1, picture.rgb.shape[2])
    paper = tuple(float(v) for v in np.median(border, axis=0))
    rgb = cv2.warpAffine(picture.rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=paper)
    alpha = picture.alpha
    if alpha is not None:
        alpha = cv2.warpAffine(alpha, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0.0)
    return Picture(rgb=rgb, alpha=alpha, source=picture.source)


def trim_wall_rims(walls: np.ndarray, picture: Picture) -> np.ndarray:
    """Walls without the one-pixel rim of blurred paper that a lenient threshold adds.

    A wall's edge is where its outline is half as dark as the ink (the edge of a blurred
    step); hatched and grey walls make the ink threshold lenient, so the pixel just
    outside that edge often passes it, which thickens thin walls by a tenth or more.
    Only rim pixels are judged; a wall's inside may be hatched and light.
    """
    if not walls.any():
        return walls
    dark = _darkness(picture)
    ink_level = float(np.percentile(dark[walls], 90))
    rim = walls & ~cv2.erode(walls.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return walls & ~(rim & (dark < 0.5 * ink_level))


def open_fused_windows(
    walls: np.ndarray, picture: Picture, thinnest_px: float, thickest_px: float
) -> np.ndarray:
    """Walls with windows cleared whose parallel glass lines were read as one solid block.

    Blurred, closely spaced window lines pass a lenient threshold and fuse into what looks
    like a wall; between them runs a straight channel of paper along the wall, as long as
    an opening. No wall has one: solid and grey fills stay dark, and a hatched wall's
    paper is cut every few px by its slanted lines. Each channel's columns (rows) are
    cleared across the wall band, so the gap and its lines are read as a window.
    """
    dark = _darkness(picture)
    ink_level = float(np.percentile(dark[walls], 90)) if walls.any() else 0.0
    channels = (walls & (dark < 0.2 * ink_level)).astype(np.uint8)  # paper; a grey fill is darker
    count, labels, stats, _ = cv2.connectedComponentsWithStats(channels, connectivity=4)
    cleared = walls.copy()
    reach = int(np.ceil(thickest_px)) + 2
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        along, across = (w, h) if w >= h else (h, w)
        if along < 2.5 * thinnest_px or across > 0.5 * thickest_px or area < 0.8 * w * h:
            continue
        if w >= h:
            cleared[max(y - reach, 0) : y + h + reach, x : x + w] = False
        else:
            cleared[y : y + h, max(x - reach, 0) : x + w + reach] = False
    return cleared

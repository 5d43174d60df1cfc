"""Input-kind detection and the object's mask: alpha for a render, the drawing finder for a sketch, else the photo segmenter.

A sketch breaks the photo segmenter (there is no backdrop colour to subtract and
the object is not filled in), so drawings are looked for first (`inputs.drawing`):
thin dark marks that outline a figure with little fill inside, on white or on a
photographed page.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from lift3d.inputs.drawing import analyse_drawing
from lift3d.inputs.pale import looks_white_on_white, pale_object_mask
from lift3d.types import Picture

PAPER_LUMINANCE = 0.75  # brighter than this counts as paper
INK_LUMINANCE = 0.55  # darker than this counts as a stroke
MIN_PAPER_FRACTION = 0.55
INK_FRACTION_RANGE = (0.002, 0.35)
MAX_SATURATION = 0.12  # mean saturation of the ink: pencil and pen are grey
MAX_COLOURED_FRACTION = 0.03  # pixels with visible colour; a cel-shaded picture has many
MAX_STROKE_FRACTION = 0.015  # typical stroke width as a fraction of the picture's longer side
MIN_STROKE_PX = 4.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def stroke_width_px(ink: np.ndarray) -> float:
    """Stroke width: twice the distance transform along the strokes' centre lines.

    The 90th percentile, so a drawing with a few filled dark areas is not a sketch
    even when most of its marks are thin.
    """
    distance = ndimage.distance_transform_edt(ink)
    ridge = ink & (distance >= ndimage.maximum_filter(distance, size=3))
    if not ridge.any():
        return 0.0
    return float(2.0 * np.percentile(distance[ridge], 90))


def _has_transparency(picture: Picture) -> bool:
    return picture.alpha is not None and float(picture.alpha.min()) < 0.5


def detect_kind(picture: Picture) -> str:
    """'sketch' for a line drawing (on white or photographed on paper), 'render' for a cut-out with alpha, else 'photo'."""
    if _has_transparency(picture):
        return "render"
    if looks_white_on_white(picture):
        return "photo"
    return "sketch" if analyse_drawing(picture).line_drawing else "photo"


def sketch_mask(picture: Picture) -> np.ndarray:
    """The object's filled silhouette in a line drawing: what its outer strokes enclose.

    `analyse_drawing` finds it on white or on a photographed page; marks it cannot close
    into a figure are filled by `filled_outline`.
    """
    analysis = analyse_drawing(picture)
    return analysis.mask if analysis.found else filled_outline(picture)


def filled_outline(picture: Picture, gap_fraction: float = 0.02) -> np.ndarray:
    """The object's filled silhouette in a line drawing on white paper.

    Strokes are thickened to close gaps up to about twice `gap_fraction` of the
    picture's longer side, everything the paper around the border cannot reach is
    filled, and the fill is thinned back to the strokes' outer edge. Marks
    much smaller than the main object (specks, signatures) are dropped.
    """
    grey = luminance(picture.rgb.astype(np.float32))
    ink = grey < INK_LUMINANCE
    radius = max(1, int(round(gap_fraction * max(grey.shape))))
    disk = np.hypot(*np.mgrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    pad = radius + 1
    # thicken the strokes until gaps close, fill what the border cannot reach, then thin back
    thick = ndimage.binary_dilation(np.pad(ink, pad), structure=disk)
    labels, _ = ndimage.label(~thick)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    filled = ~np.isin(labels, border[border > 0])
    mask = ndimage.binary_erosion(filled, structure=disk, border_value=0)[pad:-pad, pad:-pad] | ink
    labels, count = ndimage.label(mask)
    if count > 1:
        areas = ndimage.sum(mask, labels, index=np.arange(1, count + 1))
        keep = np.flatnonzero(areas >= 0.1 * areas.max()) + 1
        mask = np.isin(labels, keep)
    return mask


@dataclass(frozen=True)
class FoundObject:
    """The object's mask at the picture's resolution and the input kind it was found as."""

    mask: np.ndarray  # (H, W) bool
    kind: str  # photo, render or sketch


def locate_object(picture: Picture, learned: bool = True) -> FoundObject:
    """The mask the converter uses and the detected kind: one call for convert, cutout and the server.

    The classical finders go first; with `learned` (and its weights installed) the learned
    cutout replaces their mask where it measured better (`inputs.learned.choose_mask`).
    """
    from lift3d.errors import InputError

    try:
        found = classical_object(picture)
    except InputError:
        if not learned:
            raise
        from lift3d.inputs.learned import rescue_mask

        rescued = rescue_mask(picture)
        if rescued is None:
            raise
        return FoundObject(mask=rescued, kind=detect_kind(picture))
    if not learned or found.kind == "render":
        return found
    from lift3d.inputs.learned import choose_mask

    return FoundObject(mask=choose_mask(picture, found.mask, found.kind), kind=found.kind)


def classical_object(picture: Picture) -> FoundObject:
    """The classical finders' mask and kind: alpha, white on white, a drawing, else the photo segmenter."""
    from lift3d.inputs.segment import find_object

    if _has_transparency(picture):
        return FoundObject(mask=find_object(picture), kind="render")
    if looks_white_on_white(picture):
        pale = pale_object_mask(picture)
        if pale is not None:
            return FoundObject(mask=pale, kind="photo")
    analysis = analyse_drawing(picture)
    if analysis.line_drawing:
        return FoundObject(mask=analysis.mask, kind="sketch")
    if analysis.outlined_drawing and analysis.touches_border:
        # an outlined, coloured-in drawing on a sheet with the table around it: no plain
        # backdrop for the photo segmenter, but the outline encloses the figure
        return FoundObject(mask=analysis.mask, kind="photo")
    photo_mask = find_object(picture)
    if analysis.outlined_drawing and _sheet_around(analysis.mask, photo_mask):
        # a coloured-in drawing on a sheet the segmenter took whole: the outline encloses the figure
        return FoundObject(mask=analysis.mask, kind="photo")
    return FoundObject(mask=photo_mask, kind="photo")


# The drawing finder's figure replaces the segmenter's object when the object is a sheet
# (convex: at least MIN_SHEET_SOLIDITY of its hull) holding at least MIN_FIGURE_ON_SHEET of
# the figure, and the figure covers at most MAX_FIGURE_OF_SHEET of it.
MIN_SHEET_SOLIDITY = 0.95
MIN_FIGURE_ON_SHEET = 0.85
MAX_FIGURE_OF_SHEET = 0.6


def _sheet_around(figure: np.ndarray, found: np.ndarray) -> bool:
    """Whether `found` is the sheet the outlined `figure` is drawn on, not the object itself."""
    area = int(figure.sum())
    if area == 0 or area > MAX_FIGURE_OF_SHEET * int(found.sum()):
        return False
    if float((figure & found).sum()) / area < MIN_FIGURE_ON_SHEET:
        return False
    points = cv2.findNonZero(found.astype(np.uint8))
    hull_area = cv2.contourArea(cv2.convexHull(points))
    return float(found.sum()) >= MIN_SHEET_SOLIDITY * hull_area

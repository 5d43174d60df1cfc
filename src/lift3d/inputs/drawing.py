"""Find a drawing on paper: the region its outer strokes enclose, on white or in a phone photo of the page.

A drawing has no backdrop colour to subtract and is not filled in, so the photo
segmenter cannot find it. Here the page is found instead, and the figure is what the
page surrounds:

1. Marks are what is not paper: pixels much darker than the paper around them (a
   grey closing follows the page's light falloff and soft shadows but not strokes
   thinner than its window), of another hue than the paper (coloured pens and fills),
   or dark in absolute terms (a big dark fill).
2. The marks are thickened to close small gaps in the outline; the paper is the
   unmarked region with the most bright pixels (a table, a dark shadow band along the
   sheet's edge, the world beyond the sheet are other regions or marks).
3. The figure is what the paper encloses and the picture's border cannot reach:
   strokes, their interior and interior strokes, thinned back by the thickening.

The same steps take a clean line drawing on white (the paper is the whole picture).
Whether the picture is a drawing at all is judged from what was found: thin marks,
an outline around the figure, paper around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from lift3d.images import scaled_size
from lift3d.types import Picture

# Drawings are analysed with the longer side at most this size; a photographed page's
# strokes stay 1-3 px wide at it, and a 12-megapixel photo is analysed in milliseconds.
WORKING_SIDE_PX = 1024
# The grey closing's window as a fraction of the longer side: wider than any stroke
# (6 px at 256 is 2.3 %), narrower than the paper between strokes.
CLOSING_FRACTION = 0.04
# A pixel darker than this fraction of the paper around it is a mark.
MARK_RATIO = 0.8
# Fainter pixels joined to those count as well, down to this many noise sigmas below
# the paper, and never fainter than MAX_FAINT_RATIO.
FAINT_NOISE_SIGMAS = 4.0
MAX_FAINT_RATIO = 0.94
# Marks at least this many noise sigmas darker than the paper seed a stroke, up to
# MAX_STRONG_RATIO: faint pencil on bright paper is found, grain on rough paper is not.
STRONG_NOISE_SIGMAS = 8.0
MAX_STRONG_RATIO = 0.88
# A pixel whose hue differs from the paper's by more than this (chromaticity units) is a mark.
MARK_CHROMA = 0.06
# The outline's half width (the distance transform along its middle) less this is peeled
# off the figure's edge; tuned on the measurement set (0.5 and -0.5 both did worse).
PEEL_OFFSET_PX = 0.0
# Gaps in an outline up to about twice these fractions of the figure's size are closed;
# the wider ones are tried only when the narrower leave the outline open (the figure
# encloses less than MIN_ENCLOSED_SHARE of paper).
GAP_FRACTIONS = (0.025, 0.045, 0.07)
MIN_ENCLOSED_SHARE = 0.3
# Specks and stray marks smaller than this fraction of the largest figure part are dropped.
MIN_PART_FRACTION = 0.1
# A line drawing's strokes are at most this fraction of the figure's longer side wide.
MAX_STROKE_FRACTION = 0.045
MIN_STROKE_PX = 4.0
# A figure covering less of the picture than this is a scribble or a speck, not the subject.
MIN_FIGURE_SHARE = 0.01
# Outlined: at least this share of the figure's rim lies on thin dark marks.
MIN_OUTLINED_SHARE = 0.6
# The paper's light inside the figure is the paper's around it, on a grid this many
# cells along the longer side; bare paper inside is within PAPER_TONE_RANGE of it (wide:
# a shadow's edge across the figure cannot be told from the paper around it).
PAPER_LIGHT_GRID_PX = 64
PAPER_TONE_RANGE = (0.82, 1.3)
# Inside the figure, a hue this far from the paper's is a fill (a pale object's tint counts).
FILL_CHROMA = 0.03
# A line drawing is mostly paper inside: at most this share of its interior is fill.
MAX_FILL_SHARE = 0.2


@dataclass(frozen=True)
class DrawingAnalysis:
    """What the drawing finder saw in a picture."""

    mask: np.ndarray  # (H, W) bool figure at the picture's resolution; empty when none
    stroke_px: float  # typical width of the thin dark marks, at the picture's resolution
    outlined_share: float  # share of the figure's rim lying on thin dark marks
    fill_share: float  # share of the figure (less its strokes) covered by fills
    paper_share: float  # share of the picture that is the paper's unmarked region
    touches_border: bool  # the figure would reach the picture's border (it was dropped)
    shading: float = 0.0  # spread of the brightness of the figure's unfilled inside (paper is flat)

    @property
    def figure_share(self) -> float:
        """Share of the picture the figure covers."""
        return float(self.mask.mean())

    @property
    def found(self) -> bool:
        return bool(self.mask.any())

    @property
    def line_drawing(self) -> bool:
        """Lines on paper with an outline and little fill: a sketch."""
        return self.outlined_drawing and self.fill_share <= MAX_FILL_SHARE

    @property
    def outlined_drawing(self) -> bool:
        """An outlined figure on paper, coloured in or not."""
        return self.figure_share >= MIN_FIGURE_SHARE and self.outlined_share >= MIN_OUTLINED_SHARE


def _working_image(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = rgb.shape[:2]
    scale = min(1.0, WORKING_SIDE_PX / max(height, width))
    if scale < 1:
        rgb = cv2.resize(rgb, scaled_size(height, width, scale), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb, dtype=np.float32), scale


def _dilate(mask: np.ndarray, radius: float) -> np.ndarray:
    """Grow by a disk of `radius` pixels; a distance transform costs the same for any radius."""
    if mask.all():
        return mask.copy()
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return distance <= radius


def _paper_light(grey: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The paper's brightness everywhere, carried over marked areas from the paper around them.

    Averaged onto a coarse grid (light varies slowly), inpainted where there is no paper,
    and smoothly enlarged back.
    """
    height, width = grey.shape
    size = scaled_size(height, width, PAPER_LIGHT_GRID_PX / max(height, width))
    weight = cv2.resize(paper.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    total = cv2.resize(np.where(paper, grey, 0.0).astype(np.float32), size, interpolation=cv2.INTER_AREA)
    level = np.clip(total / np.maximum(weight, 1e-6), 0.0, 1.0)
    unknown = weight < 0.25
    if unknown.all():
        level[:] = float(np.median(grey[paper]))
    elif unknown.any():
        level8 = np.round(level * 255).astype(np.uint8)
        level = cv2.inpaint(level8, unknown.astype(np.uint8), 3, cv2.INPAINT_TELEA).astype(np.float32) / 255
    return cv2.resize(level, (width, height), interpolation=cv2.INTER_LINEAR)


def _fill_share(
    grey: np.ndarray, hue_change: np.ndarray, paper: np.ndarray, inside: np.ndarray, side: int
) -> tuple[float, float]:
    """Share of the figure's inside (less its strokes) that is not bare paper.

    The paper's light is carried into the figure from the paper around it (a normalised
    blur of the paper's brightness), so light falloff and a soft shadow across the page
    still read as bare paper, while a photographed object's shading or colour does not.
    """
    if not inside.any() or not paper.any():
        return 0.0, 0.0
    tone = grey / np.maximum(_paper_light(grey, paper), 1e-3)
    filled = (tone < PAPER_TONE_RANGE[0]) | (tone > PAPER_TONE_RANGE[1]) | (hue_change > FILL_CHROMA)
    # a fill is an area, not the coloured fringe of a thin line
    opening = max(2, round(side / 400))
    filled = (
        cv2.morphologyEx(filled.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2 * opening + 1,) * 2, np.uint8))
        > 0
    )
    smooth = cv2.GaussianBlur(tone.astype(np.float32), (0, 0), 2.0)
    return float(filled[inside].mean()), float(np.std(smooth[inside & ~filled])) if (
        inside & ~filled
    ).any() else 0.0


def _peel_outline(figure: np.ndarray, strokes: np.ndarray, rim: np.ndarray, stroke_px: float) -> np.ndarray:
    """Move the figure's edge from the outline's outer side to its middle.

    A drawn outline is centred on the object's edge, so half its width lies outside
    the object; peeling that off matters for thick markers (3 px of a 6 px line).
    """
    distance = cv2.distanceTransform(strokes.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    ridge = strokes & (distance >= ndimage.maximum_filter(distance, size=3)) & _dilate(rim, stroke_px)
    if not ridge.any():
        return figure
    peel = float(np.median(distance[ridge])) - PEEL_OFFSET_PX
    if peel < 0.5:
        return figure
    return figure & ~_dilate(~figure, peel)


def _hysteresis(ratio: np.ndarray, darkest: float) -> np.ndarray:
    """Pixels darker than `strong` times the paper, and fainter ones joined to them.

    The faint threshold follows the paper's own noise (grain, sensor, JPEG), so a light
    pencil line whose grain breaks it into dashes still reads as one stroke.
    """
    paperish = ratio[::7][ratio[::7] > 0.7]
    if paperish.size == 0:
        return ratio < darkest
    spread = 1.4826 * float(np.median(np.abs(paperish - np.median(paperish))))
    strong = float(np.clip(1.0 - STRONG_NOISE_SIGMAS * spread, darkest, MAX_STRONG_RATIO))
    faint = float(np.clip(1.0 - FAINT_NOISE_SIGMAS * spread, strong, MAX_FAINT_RATIO))
    weak = ratio < faint
    count, labels = cv2.connectedComponents(weak.astype(np.uint8), connectivity=8)
    has_strong = np.zeros(count, bool)
    has_strong[labels[ratio < strong]] = True
    has_strong[0] = False
    return has_strong[labels]


def _stroke_width(marks: np.ndarray) -> float:
    """Twice the distance transform along the marks' centre lines (the median: thin lines dominate a drawing)."""
    if not marks.any():
        return 0.0
    distance = cv2.distanceTransform(marks.astype(np.uint8), cv2.DIST_L2, 3)
    ridge = marks & (distance >= ndimage.maximum_filter(distance, size=3))
    return float(2.0 * np.median(distance[ridge])) if ridge.any() else 0.0


def analyse_drawing(picture: Picture) -> DrawingAnalysis:
    """Find the figure a drawing's outer strokes enclose, and measure how drawing-like it is."""
    height, width = picture.rgb.shape[:2]
    small, scale = _working_image(picture.rgb)
    side = max(small.shape[:2])
    grey = small @ np.array([0.299, 0.587, 0.114], dtype=np.float32)

    # 1. marks: darker than the paper around them, another hue than the paper, or plain dark
    window = max(5, int(round(CLOSING_FRACTION * side)) | 1)
    paper_light = cv2.morphologyEx(
        grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    )
    ratio = grey / np.maximum(paper_light, 1e-3)
    thin_dark = _hysteresis(ratio, MARK_RATIO)
    chroma = small / (small.sum(axis=2, keepdims=True) + 1e-3)
    bright = grey >= np.percentile(grey, 90) * 0.85
    paper_chroma = np.median(chroma[bright], axis=0) if bright.any() else np.full(3, 1 / 3)
    hue_change = np.linalg.norm(chroma - paper_chroma, axis=2) * np.clip(grey / 0.25, 0.0, 1.0)
    coloured = hue_change > MARK_CHROMA
    dark = grey < 0.35 * float(np.percentile(grey, 95))
    marks = thin_dark | coloured | dark
    marks = cv2.morphologyEx(marks.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)) > 0
    marks |= thin_dark  # one-pixel pencil lines must survive the speck removal above

    # 2-3. first with a small thickening, to see how big the drawing is; then close gaps
    # relative to that size, so a small drawing in a big photo keeps its shape
    empty = DrawingAnalysis(np.zeros((height, width), bool), 0.0, 0.0, 0.0, 0.0, False)
    # how much each pixel looks like lit paper: the paper is brighter than a white table
    lit = np.clip((grey / max(float(np.percentile(grey[::7, ::7], 98)), 1e-3) - 0.6) / 0.4, 0.0, 1.0) ** 2
    figure, paper, touches_border = _enclosed_figure(marks, lit, radius=max(1, round(0.004 * side)))
    if not figure.any():
        return DrawingAnalysis(empty.mask, 0.0, 0.0, 0.0, float(paper.mean()), touches_border)
    rows, cols = np.nonzero(figure)
    extent = max(np.ptp(rows), np.ptp(cols)) + 1
    for gap_fraction in GAP_FRACTIONS:
        radius = max(1, round(gap_fraction * extent))
        figure, paper, touches_border = _enclosed_figure(marks, lit, radius)
        if (figure & ~marks).sum() >= MIN_ENCLOSED_SHARE * figure.sum():
            break  # the outline is closed: wider gaps would only swallow concave paper
    if not figure.any():
        return DrawingAnalysis(empty.mask, 0.0, 0.0, 0.0, float(paper.mean()), touches_border)

    # how drawing-like: thin marks, an outline, little fill
    strokes = thin_dark & figure
    stroke_px = _stroke_width(strokes)
    rim = figure & ~(cv2.erode(figure.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    near_strokes = _dilate(strokes, 2)
    outlined_share = float(near_strokes[rim].mean()) if rim.any() else 0.0
    inside = figure & ~near_strokes
    fill_share, shading = _fill_share(grey, hue_change, paper, inside, side)
    f_rows, f_cols = np.nonzero(figure)
    figure_side = max(np.ptp(f_rows), np.ptp(f_cols)) + 1
    if stroke_px > max(MIN_STROKE_PX, MAX_STROKE_FRACTION * figure_side):
        outlined_share = 0.0  # marks that thick are a dark object, not lines
    mask = _peel_outline(figure, strokes, rim, stroke_px)
    if scale < 1:
        soft = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
        mask = cv2.GaussianBlur(soft, (0, 0), sigmaX=max(1.0, 0.5 / scale)) >= 0.5
    return DrawingAnalysis(
        mask=mask,
        stroke_px=stroke_px / scale,
        outlined_share=outlined_share,
        fill_share=fill_share,
        paper_share=float(paper.mean()),
        touches_border=touches_border,
        shading=shading,
    )


def _enclosed_figure(marks: np.ndarray, lit: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """The figure the paper encloses with marks thickened by `radius`, the paper, and whether
    a large unmarked-but-not-paper region reached the border (the world around the sheet)."""
    pad = radius + 1
    thick = _dilate(np.pad(marks, pad), radius)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~thick).astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros(marks.shape, bool), np.zeros(marks.shape, bool), False
    bright_count = np.bincount(labels.ravel(), weights=np.pad(lit, pad).ravel(), minlength=count)
    bright_count[0] = -1
    paper = labels == int(np.argmax(bright_count))

    count, labels, stats, _ = cv2.connectedComponentsWithStats((~paper).astype(np.uint8), connectivity=8)
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    padded_h, padded_w = paper.shape
    at_border = (left <= pad) | (top <= pad) | (right >= padded_w - pad) | (bottom >= padded_h - pad)
    inner = ~at_border
    inner[0] = False
    touches_border = bool((at_border[1:] & (stats[1:, cv2.CC_STAT_AREA] > 0.05 * paper.size)).any())
    enclosed = inner[labels]
    figure = ~_dilate(~enclosed, radius)
    figure = (figure | (enclosed & np.pad(marks, pad)))[pad:-pad, pad:-pad]
    return _main_parts(figure, marks), paper[pad:-pad, pad:-pad], touches_border


def _main_parts(mask: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """The part enclosing the most paper and any enclosing at least MIN_PART_FRACTION of it.

    Ranking by what a part encloses rather than by its pixels drops a long shadow
    line along the sheet's edge, which encloses nothing. Parts that enclose nothing
    are ranked by their pixels when no part encloses anything (an unclosed outline).
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    interior = np.bincount(labels[mask & ~marks], minlength=count).astype(np.float64)
    areas = interior[1:] if interior[1:].max() > 0 else stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    keep = np.flatnonzero(areas >= MIN_PART_FRACTION * areas.max()) + 1
    return np.isin(labels, keep)

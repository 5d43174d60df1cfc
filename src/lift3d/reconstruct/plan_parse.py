"""Read a floor-plan picture: walls, doors, windows and rooms, in pixels.

Walls are told from everything else drawn on a plan by thickness: the perpendicular
thickness of long straight ink runs has one cluster for the pen (text, door swings,
window and dimension lines) and one or two for walls, so the walls are what survives a
morphological opening with a square between the two. Openings are gaps between the
ends of two collinear walls of the same thickness; thin parallel lines across a gap
make it a window, anything else a door. Rooms are the enclosed free space once every
opening is closed. Walls and openings are found along the picture's axes, so a plan
must be drawn (or scanned) upright.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from lift3d.errors import InputError
from lift3d.types import Picture

# Ink darker than the paper by less than this (0..1 grey levels) is no drawing at all.
MIN_CONTRAST = 0.25
# A straight run of ink at least this long (fraction of the picture's longer side,
# and never under 20 px) counts as a line whose thickness is measured.
LONG_RUN_FRACTION = 0.025
# Walls thicker than this fraction of the shorter side are not walls but filled shapes.
MAX_WALL_FRACTION = 0.06
# The pen's thickness cluster counts as pen only when it is this much thinner than walls.
PEN_TO_WALL_MAX_RATIO = 0.45
# A wall end is a run at least this many times longer than thick.
WALL_END_ELONGATION = 1.3
# Openings are between these multiples of the thinnest wall thickness wide.
MIN_GAP_WALLS, MAX_GAP_WALLS = 2.5, 22.0


@dataclass(frozen=True)
class Opening:
    """A door or window: a gap in one straight wall, as a box in pixel-edge coordinates."""

    kind: str  # "door" or "window"
    axis: str  # direction of the wall: "x" (horizontal in the picture) or "y"
    start_px: float  # extent along the wall
    end_px: float
    low_px: float  # extent across the wall (its thickness)
    high_px: float
    swing: int = 0  # doors: +1 opens toward larger across-coordinates, -1 smaller, 0 no swing drawn
    hinge_at_start: bool = True

    @property
    def width_px(self) -> float:
        return self.end_px - self.start_px

    @property
    def thickness_px(self) -> float:
        return self.high_px - self.low_px

    @property
    def centre_px(self) -> tuple[float, float]:
        """(x, y) in pixel-edge coordinates: pixel (row i, column j) spans [j, j + 1] x [i, i + 1]."""
        along, across = (self.start_px + self.end_px) / 2, (self.low_px + self.high_px) / 2
        return (along, across) if self.axis == "x" else (across, along)

    def box(self) -> tuple[slice, slice]:
        """Rows and columns of the gap's pixels."""
        along = slice(int(self.start_px), int(self.end_px))
        across = slice(int(self.low_px), int(self.high_px))
        return (across, along) if self.axis == "x" else (along, across)


@dataclass(frozen=True)
class PlanLayout:
    """What a floor-plan picture shows, in pixels: the input of every later plan stage."""

    ink: np.ndarray  # (H, W) bool, everything drawn
    walls: np.ndarray  # (H, W) bool, the walls as drawn (openings are gaps)
    openings: tuple[Opening, ...]
    wall_thickness_px: tuple[float, float]  # thinnest and thickest walls
    source: str

    @property
    def closed_walls(self) -> np.ndarray:
        """Walls with every opening filled: the plan view of the built walls."""
        closed = self.walls.copy()
        for opening in self.openings:
            closed[opening.box()] = True
        return closed

    @property
    def doors(self) -> tuple[Opening, ...]:
        return tuple(opening for opening in self.openings if opening.kind == "door")

    @property
    def windows(self) -> tuple[Opening, ...]:
        return tuple(opening for opening in self.openings if opening.kind == "window")


def not_a_plan(source: str, reason: str) -> InputError:
    return InputError(f"no walls found in {source}: is it a floor plan? ({reason})")


def parse_plan(picture: Picture) -> PlanLayout:
    """Find the walls and openings of a plan drawing; InputError when it is not one."""
    ink = binarise(picture)
    pen_px, thinnest_px, thickest_px = measure_thickness(ink, picture.source)
    walls = find_walls(ink, pen_px, thinnest_px)
    if walls.sum() < thinnest_px * min(ink.shape):
        raise not_a_plan(picture.source, "too little wall-like ink")
    openings = find_openings(walls, ink, thinnest_px, thickest_px)
    return PlanLayout(
        ink=ink,
        walls=walls,
        openings=tuple(openings),
        wall_thickness_px=(thinnest_px, thickest_px),
        source=picture.source,
    )


def binarise(picture: Picture) -> np.ndarray:
    """Ink mask by Otsu's threshold on grey; transparent pixels are paper."""
    grey = picture.rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if picture.alpha is not None:
        grey = grey * picture.alpha + (1 - picture.alpha)
    low, high = np.percentile(grey, [0.5, 99.5])
    if high - low < MIN_CONTRAST:
        raise not_a_plan(picture.source, "the picture is blank")
    grey8 = (np.clip(grey, 0, 1) * 255).astype(np.uint8)
    threshold, _ = cv2.threshold(grey8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = grey8 < threshold
    # One-pixel cracks in a wall would let rooms leak into each other. (Kernels are odd:
    # OpenCV does not reflect even ones between its two passes, which shifts the result.)
    return cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)


def run_lengths(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel, the length and first column of the run of True along its row (0, -1 off it)."""
    height, width = mask.shape
    padded = np.zeros((height, width + 2), dtype=bool)
    padded[:, 1:-1] = mask
    steps = np.diff(padded.astype(np.int8), axis=1)
    start_rows, start_cols = np.nonzero(steps == 1)
    _, end_cols = np.nonzero(steps == -1)
    lengths = end_cols - start_cols
    length = np.zeros((height, width + 1), dtype=np.int64)
    np.add.at(length, (start_rows, start_cols), lengths)
    np.add.at(length, (start_rows, end_cols), -lengths)
    length = np.cumsum(length, axis=1)[:, :width]
    columns = np.arange(width)
    starts = np.where(mask & ~padded[:, :-2], columns, -1)
    starts = np.maximum.accumulate(starts, axis=1)
    return length.astype(np.int32), np.where(mask, starts, -1).astype(np.int32)


def measure_thickness(ink: np.ndarray, source: str) -> tuple[float, float, float]:
    """Pen width, thinnest and thickest wall, from the thickness of long straight ink runs.

    Each pixel of a straight run at least LONG_RUN px long votes for the length of its
    perpendicular run, so text, which has no long runs, barely votes, and a
    wall votes once per pixel of its area. The votes split (Otsu, on log thickness) into
    the pen and the walls; when no pen lines are long enough to vote, all votes are walls.
    """
    long_px = max(20, round(LONG_RUN_FRACTION * max(ink.shape)))
    along_rows, _ = run_lengths(ink)
    along_cols = run_lengths(ink.T)[0].T
    longer, shorter = np.maximum(along_rows, along_cols), np.minimum(along_rows, along_cols)
    # Junctions of two long walls are long both ways and say nothing about thickness.
    votes = shorter[(longer >= long_px) & (longer >= 2.5 * shorter)]
    if votes.size < long_px * 4:
        raise not_a_plan(source, "no long straight lines")
    counts = np.bincount(votes).astype(np.float64)
    thickness = np.arange(len(counts), dtype=np.float64)
    best_split, best_score = 0, -1.0
    log_t = np.log(np.maximum(thickness, 1))
    for split in range(2, len(counts)):
        low, high = counts[:split], counts[split:]
        if low.sum() == 0 or high.sum() == 0 or counts[split - 1] == 0:
            continue
        mean_low = (low * log_t[:split]).sum() / low.sum()
        mean_high = (high * log_t[split:]).sum() / high.sum()
        score = low.sum() * high.sum() * (mean_high - mean_low) ** 2
        if score > best_score:
            best_split, best_score = split, score
    wall_from = 1
    if best_split:
        pen_mean = _weighted_mean(thickness[:best_split], counts[:best_split])
        wall_mean = _weighted_mean(thickness[best_split:], counts[best_split:])
        if pen_mean <= PEN_TO_WALL_MAX_RATIO * wall_mean:
            wall_from = best_split
    pen_px = _weighted_quantile(thickness[:wall_from], counts[:wall_from], 0.95) if wall_from > 1 else 0.0
    thinnest_px = _weighted_quantile(thickness[wall_from:], counts[wall_from:], 0.05)
    thickest_px = _weighted_quantile(thickness[wall_from:], counts[wall_from:], 0.9)
    if thickest_px > MAX_WALL_FRACTION * min(ink.shape):
        raise not_a_plan(source, "its dark shapes are too thick to be walls")
    return float(pen_px), float(thinnest_px), float(thickest_px)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float((values * weights).sum() / max(weights.sum(), 1e-9))


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, quantile: float) -> float:
    cumulative = np.cumsum(weights)
    return float(values[np.searchsorted(cumulative, quantile * cumulative[-1])])


def find_walls(ink: np.ndarray, pen_px: float, thinnest_px: float) -> np.ndarray:
    """Ink that holds a square just thinner than the thinnest wall, in wall-sized pieces.

    An opening keeps straight walls thicker than the square exactly, so the square can be
    as big as the walls allow; text and pen lines, which are much thinner, vanish but for
    the odd crossing of two bold strokes, which the size test removes.
    """
    side = max(3, min(round(thinnest_px) - 1, round(0.85 * thinnest_px)), round(pen_px) + 1)
    opened = square_opening(ink, side)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened.astype(np.uint8), connectivity=4)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    long_side = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    along_rows, along_cols = run_lengths(opened)[0], run_lengths(opened.T)[0].T
    # Walls are bars: most of their pixels lie in a run much longer than it is thick, or
    # the piece is a plain rectangle (a short wall between two windows). Bold text fused
    # into a blob is neither.
    elongated = np.maximum(along_rows, along_cols) >= 2 * np.minimum(along_rows, along_cols)
    bar_share = np.bincount(labels.ravel(), weights=elongated.ravel(), minlength=count) / np.maximum(area, 1)
    short_side = np.minimum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    rectangular = area >= 0.9 * long_side * short_side
    keep = (area >= 3 * thinnest_px**2) & (long_side >= 2.5 * thinnest_px) & ((bar_share >= 0.6) | rectangular)
    keep[0] = False
    return keep[labels]


def square_opening(mask: np.ndarray, side: int) -> np.ndarray:
    """Morphological opening with a side x side square, exact for even sides too.

    OpenCV does not reflect an even kernel between erosion and dilation, which would
    shift the result by a pixel; the anchors here do.
    """
    kernel = np.ones((side, side), np.uint8)
    anchor = side // 2
    eroded = cv2.erode(mask.astype(np.uint8), kernel, anchor=(anchor, anchor))
    return cv2.dilate(eroded, kernel, anchor=(side - 1 - anchor, side - 1 - anchor)).astype(bool)


def find_openings(walls: np.ndarray, ink: np.ndarray, thinnest_px: float, thickest_px: float) -> list[Opening]:
    """Gaps between collinear wall ends of equal thickness, in both directions."""
    thin_ink = ink & ~walls
    openings = []
    for axis, wall_view, thin_view in (("x", walls, thin_ink), ("y", walls.T, thin_ink.T)):
        for start, end, low, high in _gaps_along_rows(wall_view, thinnest_px, thickest_px):
            openings.append(_classify(axis, start, end, low, high, thin_view))
    return openings


def _gaps_along_rows(
    walls: np.ndarray, thinnest_px: float, thickest_px: float
) -> list[tuple[float, float, float, float]]:
    """Gaps along rows between two wall ends (start, end, low row, high row), pixel edges."""
    height, width = walls.shape
    along, _ = run_lengths(walls)
    across_t, across_start_t = run_lengths(walls.T)
    across, across_start = across_t.T, across_start_t.T
    columns = np.arange(width)
    left = np.maximum.accumulate(np.where(walls, columns, -1), axis=1)
    right = np.minimum.accumulate(np.where(walls, columns, width)[:, ::-1], axis=1)[:, ::-1]
    gap = right - left - 1
    candidate = ~walls & (left >= 0) & (right < width)
    candidate &= (gap >= MIN_GAP_WALLS * thinnest_px) & (gap <= MAX_GAP_WALLS * thinnest_px)
    rows = np.broadcast_to(np.arange(height)[:, None], walls.shape)
    left_c, right_c = np.clip(left, 0, width - 1), np.clip(right, 0, width - 1)
    thick_l, thick_r = across[rows, left_c], across[rows, right_c]
    candidate &= (along[rows, left_c] >= WALL_END_ELONGATION * thick_l) & (
        along[rows, right_c] >= WALL_END_ELONGATION * thick_r
    )
    thin_end, thick_end = np.minimum(thick_l, thick_r), np.maximum(thick_l, thick_r)
    candidate &= (thin_end >= 0.6 * thinnest_px) & (thick_end <= 1.5 * thickest_px + 2)
    candidate &= thick_end <= 1.6 * thin_end
    top_l, top_r = across_start[rows, left_c], across_start[rows, right_c]
    overlap = np.minimum(top_l + thick_l, top_r + thick_r) - np.maximum(top_l, top_r)
    candidate &= overlap >= 0.6 * thin_end

    labels, count = ndimage.label(candidate)
    gaps = []
    for index, (row_slice, _) in enumerate(ndimage.find_objects(labels), start=1):
        inside = labels[row_slice] == index
        thickness = float(np.median(thin_end[row_slice][inside]))
        band = row_slice.stop - row_slice.start
        if band < 0.6 * thickness or band > 1.4 * thickness + 2:
            continue
        start = float(np.median(left[row_slice][inside])) + 1
        end = float(np.median(right[row_slice][inside]))
        low = float(np.median(np.maximum(top_l, top_r)[row_slice][inside]))
        high = low + float(np.median(overlap[row_slice][inside]))
        gaps.append((start, end, low, high))
    return gaps


def _classify(axis: str, start: float, end: float, low: float, high: float, thin: np.ndarray) -> Opening:
    """Window when two or more thin lines run across the whole gap, else a door (with its swing)."""
    width = end - start
    s0, s1, b0, b1 = int(start), int(end), int(low), int(high)
    gap_ink = thin[max(b0 - 1, 0) : b1 + 1, s0:s1]
    covered = gap_ink.mean(axis=1) >= 0.6 if gap_ink.size else np.zeros(0, dtype=bool)
    lines = int(np.count_nonzero(np.diff(np.concatenate([[0], covered.astype(np.int8)])) == 1))
    if lines >= 2:
        return Opening("window", axis, start, end, low, high)
    reach = int(round(width))
    pad = 2  # a leaf hinged at the far jamb is drawn on the wall's first column
    scores = {}
    for side in (-1, 1):
        rows = slice(max(b0 - reach, 0), b0) if side < 0 else slice(b1, b1 + reach)
        region = thin[rows, max(s0 - pad, 0) : s1 + pad]
        if region.size == 0:
            continue
        far = region[::-1] if side < 0 else region  # rows ordered away from the wall
        far = far[max(1, reach // 4) :]  # the leaf reaches far from the wall; the arc's foot does not
        strip = max(2, reach // 8) + pad
        scores[(side, True)] = (region.sum(), far[:, :strip].sum())
        scores[(side, False)] = (region.sum(), far[:, -strip:].sum())
    if not scores:
        return Opening("door", axis, start, end, low, high)
    (side, hinge_at_start), (swing_ink, leaf_ink) = max(scores.items(), key=lambda item: (item[1][0], item[1][1]))
    if swing_ink < 1.2 * width or leaf_ink < 0.4 * width:
        return Opening("door", axis, start, end, low, high)
    return Opening("door", axis, start, end, low, high, swing=side, hinge_at_start=hinge_at_start)

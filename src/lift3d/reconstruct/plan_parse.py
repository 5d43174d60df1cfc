"""Read a floor-plan picture: walls, doors, windows and rooms, in pixels.

Walls are told from everything else drawn on a plan by thickness: the perpendicular
thickness of long straight ink runs has one cluster for the pen (text, door swings,
window and dimension lines) and one or two for walls, so the walls are what survives a
morphological opening with a square between the two. Openings are gaps between the
ends of two collinear walls of the same thickness; thin parallel lines across a gap
make it a window, and so does a single glass line when no door swing is drawn; anything
else is a door. Rooms are the enclosed free space once every opening is closed. Walls
and openings are found along the picture's axes: a scan turned by up to 5 degrees is
turned back first (plan_conventions), and the layout's pixels are the upright picture's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
from scipy import ndimage

from lift3d.errors import InputError
from lift3d.reconstruct.plan_conventions import deskew, open_fused_windows, trim_wall_rims
from lift3d.types import Picture

# Ink darker than the paper by less than this (0..1 grey levels) is no drawing at all.
MIN_CONTRAST = 0.25
# A straight run of ink at least this long (fraction of the picture's longer side,
# and never under 20 px) counts as a line whose thickness is measured.
LONG_RUN_FRACTION = 0.025
# Walls thicker than this fraction of the shorter side are not walls but filled shapes.
MAX_WALL_FRACTION = 0.06
# The pen's thickness cluster counts as pen only when it is this much thinner than walls.
PEN_TO_WALL_MAX_RATIO = 0.5
# A class of walls holds at least this share of the votes (door leaves drawn as slabs hold less).
MIN_CLASS_SHARE = 0.08
# Walls hold at least this share of the thickness votes of long straight runs.
MIN_WALL_SHARE = 0.2
# A wall end is a run at least this many times as long as thick (a pier between two
# windows is about square; the side of a perpendicular wall is much thinner than long).
WALL_END_ELONGATION = 0.8
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

    def box(self, overlap_px: int = 0) -> tuple[slice, slice]:
        """Rows and columns of the gap's pixels, reaching `overlap_px` into the walls at both ends."""
        along = slice(max(int(self.start_px) - overlap_px, 0), int(self.end_px) + overlap_px)
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

    @cached_property
    def closed_walls(self) -> np.ndarray:
        """Walls with every opening filled: the plan view of the built walls.

        Each fill reaches two pixels into the walls, closing the crack a ragged wall end
        (its last column blurred into a window's jamb line) would leave.
        """
        closed = self.walls.copy()
        for opening in self.openings:
            closed[opening.box(overlap_px=2)] = True
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
    picture = deskew(picture)  # layout pixels are those of the upright picture
    ink, faint_ink = binarise(picture)
    pen_px, thinnest_px, thickest_px = measure_thickness(ink, picture.source)
    walls = trim_wall_rims(find_walls(ink, pen_px, thinnest_px), picture)
    if walls.sum() < thinnest_px * min(ink.shape):
        raise not_a_plan(picture.source, "too little wall-like ink")
    walls = open_fused_windows(walls, picture, thinnest_px, thickest_px)
    openings = find_openings(walls, faint_ink, thinnest_px, thickest_px)
    walls, openings = drop_stray_pieces(walls, openings, thinnest_px)
    return PlanLayout(
        ink=ink,
        walls=walls,
        openings=tuple(openings),
        wall_thickness_px=(thinnest_px, thickest_px),
        source=picture.source,
    )


def binarise(picture: Picture) -> tuple[np.ndarray, np.ndarray]:
    """Ink, by Otsu's threshold on grey (the minority side), and faint ink.

    Faint ink is anything a third of the way from the paper's tone to the ink's: thin
    lines of a shrunk or anti-aliased drawing (window symbols, door swings) are often
    lighter than Otsu's threshold. Transparent pixels are paper.
    """
    grey = picture.rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if picture.alpha is not None:
        grey = grey * picture.alpha + (1 - picture.alpha)
    low, high = np.percentile(grey, [0.5, 99.5])
    if high - low < MIN_CONTRAST:
        raise not_a_plan(picture.source, "the picture is blank")
    grey8 = (np.clip(grey, 0, 1) * 255).astype(np.uint8)
    threshold, _ = cv2.threshold(grey8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = grey8 <= threshold  # Otsu splits at <= threshold vs above
    if ink.mean() > 0.5:  # light lines on dark paper: a blueprint
        grey8, ink = 255 - grey8, ~ink
    paper, dark = float(np.median(grey8[~ink])), float(np.median(grey8[ink]))
    faint = grey8 <= paper - (paper - dark) / 3
    # One-pixel cracks in a wall would let rooms leak into each other. (Kernels are odd:
    # OpenCV does not reflect even ones between its two passes, which shifts the result.)
    ink = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)
    return ink, faint | ink


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
    perpendicular run, so text, which has no long runs, barely votes, and a wall votes
    once per pixel of its area. The votes' density (each thickness blurred by 12 %) has a
    peak for the pen (door leaves, window and dimension lines) and one or two for walls
    (interior, exterior). The pen is the first peak when it is much thinner than the next
    one and the rest holds a real share of the votes; otherwise every vote is a wall's.
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
    wall_from = _pen_split(counts)
    pen_px = _weighted_quantile(thickness[:wall_from], counts[:wall_from], 0.95) if wall_from > 1 else 0.0
    thinnest_px = _weighted_quantile(thickness[wall_from:], counts[wall_from:], 0.05)
    thickest_px = _weighted_quantile(thickness[wall_from:], counts[wall_from:], 0.9)
    if thickest_px > MAX_WALL_FRACTION * min(ink.shape):
        raise not_a_plan(source, "its dark shapes are too thick to be walls")
    return float(pen_px), float(thinnest_px), float(thickest_px)


def _pen_split(counts: np.ndarray) -> int:
    """The smallest wall thickness in px (an index into `counts`): 1 when there is no pen class."""
    present = np.flatnonzero(counts)
    present = present[present > 0].astype(np.float64)
    # Each thickness spreads by 12 % (at least 0.7 px, one anti-aliased pixel), so each
    # cluster of votes becomes one smooth bump; the density keeps the votes' mass.
    spread = np.maximum(0.12 * present, 0.7)
    grid = np.arange(0.0, present.max() + 3 * spread.max(), 0.1)
    weights = counts[present.astype(int)] / spread
    density = (weights * np.exp(-((grid[:, None] - present[None]) ** 2) / (2 * spread**2))).sum(axis=1)
    peaks = [
        i
        for i in range(1, len(grid) - 1)
        if density[i] >= density[i - 1] and density[i] > density[i + 1] and density[i] >= 0.02 * density.max()
    ]
    if len(peaks) < 2:
        return 1
    # Walls start at the first peak that holds a real share of the votes and is much
    # thicker than the pen. Smaller peaks on the way are pen-drawn too: door leaves drawn
    # as thin slabs (two lines a few px apart), double lines.
    valleys = [peaks[k] + int(np.argmin(density[peaks[k] : peaks[k + 1] + 1])) for k in range(len(peaks) - 1)]
    edges = np.ceil(grid[[0, *valleys, len(grid) - 1]]).astype(int)
    masses = [counts[edges[k] : edges[k + 1]].sum() for k in range(len(peaks))]
    for index in range(1, len(peaks)):
        if masses[index] < MIN_CLASS_SHARE * counts.sum():
            continue
        if grid[peaks[0]] <= PEN_TO_WALL_MAX_RATIO * grid[peaks[index]]:
            break
        return 1  # a real class of lines too close to the first: no pen class
    else:
        return 1
    valley = peaks[index - 1] + int(np.argmin(density[peaks[index - 1] : peaks[index] + 1]))
    split = int(np.ceil(grid[valley]))
    if counts[split:].sum() < MIN_WALL_SHARE * counts.sum():
        return 1
    return split


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, quantile: float) -> float:
    cumulative = np.cumsum(weights)
    return float(values[np.searchsorted(cumulative, quantile * cumulative[-1])])


def find_walls(ink: np.ndarray, pen_px: float, thinnest_px: float) -> np.ndarray:
    """Ink that holds a square just thinner than the thinnest wall, in wall-shaped pieces.

    An opening keeps straight walls thicker than the square exactly, so the square can be
    as big as the walls allow; text and pen lines, which are much thinner, vanish but for
    blobs of bold letters, which the shape and surroundings tests below remove.
    """
    side = max(3, min(round(thinnest_px) - 1, round(0.85 * thinnest_px)), round(pen_px) + 1)
    opened = square_opening(ink, side)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened.astype(np.uint8), connectivity=4)
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    width, height = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    along_rows, along_cols = run_lengths(opened)[0], run_lengths(opened.T)[0].T
    elongated = np.maximum(along_rows, along_cols) >= 2 * np.minimum(along_rows, along_cols)
    bar_share = np.bincount(labels.ravel(), weights=elongated.ravel(), minlength=count) / np.maximum(area, 1)
    # A wall piece is big, or a bar (most pixels in a run at least twice as long as thick),
    # or a plain rectangle at least a wall thick (the pier between two windows).
    rectangle = (area >= 0.9 * width * height) & (np.minimum(width, height) >= 0.8 * thinnest_px)
    wall_like = (area >= 10 * thinnest_px**2) | (bar_share >= 0.6) | rectangle
    big_enough = (area >= 3 * thinnest_px**2) & (np.maximum(width, height) >= 2.5 * thinnest_px)
    wall_like &= big_enough | (rectangle & (area >= 2 * thinnest_px**2))
    wall_like[0] = False
    # Bold letters fused into a block can look like a bar, but they stay surrounded by the
    # thin rest of their word; a wall's edges are clean but for door and window lines,
    # which are long and straight (a window's jamb lines are short, but only two).
    long_lines = np.maximum(run_lengths(ink)[0], run_lengths(ink.T)[0].T) >= 3 * thinnest_px
    reach = max(2, int(thinnest_px / 2))
    ring_kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    for index in np.flatnonzero(wall_like):
        x, y, w, h = stats[index, :4]
        rows = slice(max(y - reach, 0), y + h + reach)
        cols = slice(max(x - reach, 0), x + w + reach)
        piece = labels[rows, cols] == index
        ring = cv2.dilate(piece.astype(np.uint8), ring_kernel).astype(bool) & ~piece
        stray = ink[rows, cols] & ring & ~opened[rows, cols] & ~long_lines[rows, cols]
        if stray.sum() >= 0.1 * ring.sum():
            wall_like[index] = False
    return wall_like[labels]


def square_opening(mask: np.ndarray, side: int) -> np.ndarray:
    """Morphological opening with a side x side square, exact for even sides too.

    OpenCV does not reflect an even kernel between erosion and dilation, which would
    shift the result by a pixel; the anchors here do.
    """
    kernel = np.ones((side, side), np.uint8)
    anchor = side // 2
    eroded = cv2.erode(mask.astype(np.uint8), kernel, anchor=(anchor, anchor))
    return cv2.dilate(eroded, kernel, anchor=(side - 1 - anchor, side - 1 - anchor)).astype(bool)


def find_openings(
    walls: np.ndarray, ink: np.ndarray, thinnest_px: float, thickest_px: float
) -> list[Opening]:
    """Gaps between collinear wall ends of equal thickness, in both directions; `ink` shows their symbols.

    Door leaves drawn as slabs that were taken for wall stubs are cleared from `walls`
    in place once their door is found.
    """
    thin_ink = ink & ~walls
    openings = []
    for axis, wall_view, thin_view in (("x", walls, thin_ink), ("y", walls.T, thin_ink.T)):
        for start, end, low, high in _gaps_along_rows(wall_view, thinnest_px, thickest_px):
            opening = _classify(axis, start, end, low, high, thin_view, wall_view)
            if opening.swing:
                _drop_leaf(wall_view, opening, thinnest_px)
            openings.append(opening)
    return openings


def drop_stray_pieces(
    walls: np.ndarray, openings: list[Opening], thinnest_px: float
) -> tuple[np.ndarray, list[Opening]]:
    """Keep wall pieces that openings chain into a big wall network; drop the rest.

    A pier between two windows is a small lone rectangle, and so is a bold digit in a
    dimension string; the pier is linked by its windows to the rest of the walls, the digit
    at most to other digits. Big means at least 5 % of the largest network (walls joined
    through their openings), so a detached garage stays and a bold room name goes.
    """
    labels, count = ndimage.label(walls)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    parent = list(range(count + 1))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    ends = []
    for opening in openings:
        across = int((opening.low_px + opening.high_px) / 2)
        before, after = int(opening.start_px) - 1, int(opening.end_px)
        points = (
            [(across, before), (across, after)]
            if opening.axis == "x"
            else [(before, across), (after, across)]
        )
        pair = [
            int(labels[min(max(r, 0), walls.shape[0] - 1), min(max(c, 0), walls.shape[1] - 1)])
            for r, c in points
        ]
        ends.append(pair)
        if pair[0] and pair[1]:
            parent[root(pair[0])] = root(pair[1])
    sizes[0] = 0
    groups = np.array([root(label) for label in range(count + 1)])
    group_sizes = np.bincount(groups, weights=sizes, minlength=count + 1)
    big = (group_sizes >= 10 * thinnest_px**2) & (group_sizes >= 0.05 * group_sizes.max())
    keep = big[groups]
    keep[0] = False
    kept_openings = [
        opening for opening, pair in zip(openings, ends, strict=True) if keep[pair[0]] and keep[pair[1]]
    ]
    return keep[labels], kept_openings


def _gaps_along_rows(
    walls: np.ndarray, thinnest_px: float, thickest_px: float
) -> list[tuple[float, float, float, float]]:
    """Gaps along rows between two wall ends (start, end, low row, high row), pixel edges.

    A free pixel is in a gap when the nearest wall pixels left and right of it are the
    ends of wall-thick runs at least about as long as thick, of about the same thickness,
    whose bands overlap: two collinear walls broken by an opening. Across a room or a
    corridor the nearest walls are seen side-on, as runs much thinner than long, and fail.
    """
    height, width = walls.shape
    columns = np.arange(width)
    left = np.maximum.accumulate(np.where(walls, columns, -1), axis=1)
    right = np.minimum.accumulate(np.where(walls, columns, width)[:, ::-1], axis=1)[:, ::-1]
    gap = right - left - 1
    candidate = ~walls & (left >= 0) & (right < width)
    candidate &= (gap >= MIN_GAP_WALLS * thinnest_px) & (gap <= MAX_GAP_WALLS * thinnest_px)
    rows, cols = np.nonzero(candidate)
    if rows.size == 0:
        return []
    along, _ = run_lengths(walls)
    across_t, across_start_t = run_lengths(walls.T)
    left_c, right_c = left[rows, cols], right[rows, cols]
    along_l, along_r = along[rows, left_c], along[rows, right_c]
    # Each wall end's thickness is read a little inside it: a window's jamb line drawn
    # against the end can leave a ragged last column.
    depth = max(2, int(thinnest_px / 2))
    inner_l = left_c - np.minimum(depth, along_l - 1)
    inner_r = right_c + np.minimum(depth, along_r - 1)
    thick_l, thick_r = across_t[inner_l, rows], across_t[inner_r, rows]
    top_l, top_r = across_start_t[inner_l, rows], across_start_t[inner_r, rows]
    thin_end, thick_end = np.minimum(thick_l, thick_r), np.maximum(thick_l, thick_r)
    overlap = np.minimum(top_l + thick_l, top_r + thick_r) - np.maximum(top_l, top_r)
    ok = (along_l >= WALL_END_ELONGATION * thick_l) & (along_r >= WALL_END_ELONGATION * thick_r)
    ok &= (
        (thin_end >= 0.6 * thinnest_px) & (thick_end <= 1.5 * thickest_px + 2) & (thick_end <= 1.6 * thin_end)
    )
    ok &= overlap >= 0.6 * thin_end
    rows, cols, left_c, right_c = rows[ok], cols[ok], left_c[ok], right_c[ok]
    thin_end, overlap, top = thin_end[ok], overlap[ok], np.maximum(top_l, top_r)[ok]

    accepted = np.zeros(walls.shape, dtype=bool)
    accepted[rows, cols] = True
    labels, _ = ndimage.label(accepted)
    component = labels[rows, cols]
    gaps = []
    for index in np.unique(component):
        members = component == index
        thickness = float(np.median(thin_end[members]))
        band = int(rows[members].max() - rows[members].min() + 1)
        if band < 0.6 * thickness or band > 1.4 * thickness + 2:
            continue
        start = float(np.median(left_c[members])) + 1
        end = float(np.median(right_c[members]))
        low = float(np.median(top[members]))
        high = low + float(np.median(overlap[members]))
        gaps.append((start, end, low, high))
    return gaps


# A door's swing counts as drawn when this share of its leaf-and-arc template has ink.
MIN_SWING_MATCH = 0.6


def _classify(
    axis: str, start: float, end: float, low: float, high: float, thin: np.ndarray, walls: np.ndarray
) -> Opening:
    """Window when two or more thin lines run across the whole gap, else a door (with its swing)."""
    s0, s1, b0, b1 = int(start), int(end), int(low), int(high)
    gap_ink = thin[max(b0 - 1, 0) : b1 + 1, s0:s1]
    covered = gap_ink.mean(axis=1) >= 0.6 if gap_ink.size else np.zeros(0, dtype=bool)
    lines = int(np.count_nonzero(np.diff(np.concatenate([[0], covered.astype(np.int8)])) == 1))
    if lines >= 2:
        return Opening("window", axis, start, end, low, high)
    # Ink within a pixel of the template counts, whatever the pen and its anti-aliasing.
    near_ink = cv2.dilate(thin.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    best = max(
        ((side, at_start) for side in (-1, 1) for at_start in (True, False)),
        key=lambda hypothesis: _swing_match(near_ink, start, end, b0, b1, *hypothesis),
    )
    if _swing_match(near_ink, start, end, b0, b1, *best) < MIN_SWING_MATCH:
        # A leaf drawn as a slab (two close lines) can be as thick as a thin wall and be
        # taken for one; then the arc alone, on thin ink, must be clearly drawn.
        near_any = near_ink | walls
        best = max(
            ((side, at_start) for side in (-1, 1) for at_start in (True, False)),
            key=lambda hypothesis: _swing_match(near_any, start, end, b0, b1, *hypothesis),
        )
        if (
            _swing_match(near_any, start, end, b0, b1, *best) >= MIN_SWING_MATCH
            and _swing_match(near_ink, start, end, b0, b1, *best, arc_only=True) >= MIN_SWING_MATCH
        ):
            return Opening("door", axis, start, end, low, high, swing=best[0], hinge_at_start=best[1])
        # One thin line across the gap and no swing: a window drawn as a single glass
        # line (with or without sill ticks), as many plans draw them.
        return Opening("window" if lines == 1 else "door", axis, start, end, low, high)
    return Opening("door", axis, start, end, low, high, swing=best[0], hinge_at_start=best[1])


def _swing_match(
    near_ink: np.ndarray,
    start: float,
    end: float,
    low: int,
    high: int,
    side: int,
    hinge_at_start: bool,
    arc_only: bool = False,
) -> float:
    """Share of an open leaf and its quarter-circle swing, as drawn on a plan, that lies on ink.

    The leaf stands at the hinge jamb, perpendicular to the wall on `side`; the arc runs
    from its tip to the other jamb. Rows of `near_ink` are across the wall, columns along.
    """
    width = end - start
    hinge_along = start if hinge_at_start else end
    free_direction = 1 if hinge_at_start else -1
    face = high if side > 0 else low - 1
    steps = np.linspace(0, 1, max(8, int(width)))
    leaf = np.stack([np.full_like(steps, hinge_along), face + side * width * steps], axis=1)
    angles = steps * np.pi / 2
    arc = np.stack(
        [hinge_along + free_direction * width * np.sin(angles), face + side * width * np.cos(angles)], axis=1
    )
    points = np.round(arc if arc_only else np.concatenate([leaf, arc])).astype(int)
    rows, cols = points[:, 1], points[:, 0]
    inside = (rows >= 0) & (rows < near_ink.shape[0]) & (cols >= 0) & (cols < near_ink.shape[1])
    hits = np.zeros(len(points), dtype=bool)
    hits[inside] = near_ink[rows[inside], cols[inside]]
    return float(hits.mean())


def _drop_leaf(walls: np.ndarray, door: Opening, thinnest_px: float) -> None:
    """Clear a door leaf drawn as a slab that was taken for a wall stub (in place; rows across).

    Only a stub not clearly thicker than the thinnest wall that ends before the leaf's tip goes: a
    real wall at the hinge jamb runs on past it.
    """
    width = door.end_px - door.start_px
    hinge = int(round(door.start_px if door.hinge_at_start else door.end_px))
    reach = int(np.ceil(thinnest_px))
    cols = slice(max(hinge - reach, 0), hinge + reach)
    if door.swing > 0:
        near, far = int(door.high_px), int(door.high_px + width + 3)
    else:
        near, far = max(int(door.low_px - width - 3), 0), int(door.low_px)
    if far >= walls.shape[0] or near <= 0:
        return
    box = walls[near:far, cols]
    if not box.any():
        return
    tip_row = box[-1] if door.swing > 0 else box[0]
    thickness = box.sum(axis=1)
    if tip_row.any() or np.median(thickness[thickness > 0]) >= 1.2 * thinnest_px:
        return
    walls[near:far, cols] = False


def find_rooms(layout: PlanLayout, min_area_px: float) -> np.ndarray:
    """Room ids (1.. in reading order) on the free space that the closed walls enclose; 0 elsewhere.

    Free space touching the picture's border is outside; so is a region smaller than
    `min_area_px` (a gap between a wall and a window line, the inside of a column).
    """
    free = ~layout.closed_walls
    labels, count = ndimage.label(free)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_area_px
    keep[border] = False
    keep[0] = False
    kept = np.flatnonzero(keep)
    centres = ndimage.center_of_mass(free, labels, kept) if kept.size else []
    ranked = sorted(zip(kept, centres, strict=True), key=lambda item: (round(item[1][0]), item[1][1]))
    relabel = np.zeros(count + 1, dtype=np.int32)
    for rank, (label, _) in enumerate(ranked, start=1):
        relabel[label] = rank
    return relabel[labels]


def longest_wall_px(closed_walls: np.ndarray, thinnest_px: float) -> float:
    """Length of the longest straight horizontal or vertical wall, end to end along its faces.

    A wall counts with its openings closed, and only if the run holds over at least half a
    wall's thickness of rows (a single stray row of ink is not a wall).
    """
    rows_needed = max(1, round(thinnest_px / 2))
    best = 0.0
    for mask in (closed_walls, closed_walls.T):
        longest_per_row = np.sort(run_lengths(mask)[0].max(axis=1))[::-1]
        if longest_per_row.size >= rows_needed:
            best = max(best, float(longest_per_row[rows_needed - 1]))
    return best

"""Synthetic floor-plan drawings with exact ground truth: walls, doors, windows, rooms, labels.

A house is a rectilinear layout on a 0.1 m grid: a rectangle split recursively into
rooms, sometimes with a corner cut away (an L-shaped outline) or two rooms merged into
an L-shaped room. It is drawn the way architects draw: thick dark walls on slightly
textured paper, door gaps with a thin leaf and quarter-circle swing, windows as thin
parallel lines across a break in the wall, and text (room names, areas, dimension
strings) that a parser must ignore. The scale in metres per pixel is known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from lift3d.errors import OptionError
from lift3d.types import Picture

GRID_M = 0.1  # layout coordinates are whole multiples of this
# Held-out plans (tests, benchmarks) use seeds from here; tuning used seeds below 1000.
HELDOUT_PLAN_SEED = 1_000_000

ROOM_NAMES = (
    "LIVING",
    "KITCHEN",
    "BEDROOM",
    "BATH",
    "HALL",
    "STUDY",
    "DINING",
    "WC",
    "STORAGE",
    "BED 2",
    "OFFICE",
    "LAUNDRY",
    "GUEST",
    "ENTRY",
)
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_PLAIN,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
)


@dataclass(frozen=True)
class PlanDrawingOptions:
    """Ranges the generator draws from; the defaults are the tuned and held-out distribution."""

    long_side_px: tuple[int, int] = (900, 1300)  # longer side of the picture
    max_m_per_px: float = 0.02  # coarser drawings would make interior walls thinner than 6 px
    interior_wall_m: tuple[float, float] = (0.12, 0.16)
    exterior_wall_m: tuple[float, float] = (0.22, 0.32)
    door_width_m: tuple[float, float] = (0.8, 0.95)  # interior doors; entrances are 0.1 m wider
    window_width_m: tuple[float, float] = (0.8, 2.0)
    labels: bool = True  # room names, areas and dimension strings
    blur_px: tuple[float, float] = (0.0, 1.0)  # Gaussian sigma of the pen
    noise: tuple[float, float] = (0.005, 0.03)  # paper grain, standard deviation

    def __post_init__(self) -> None:
        low, high = self.long_side_px
        if not 200 <= low <= high <= 4096:
            raise OptionError(
                f"long_side_px must be an increasing pair in [200, 4096], got {self.long_side_px}"
            )
        if self.max_m_per_px <= 0:
            raise OptionError(f"max_m_per_px must be positive, got {self.max_m_per_px}")
        for name in ("interior_wall_m", "exterior_wall_m", "door_width_m", "window_width_m"):
            low_m, high_m = getattr(self, name)
            if not 0 < low_m <= high_m:
                raise OptionError(f"{name} must be an increasing pair of positive lengths")


@dataclass(frozen=True)
class PlanWall:
    """One straight wall between two rooms, or a room and the outside, in pixels."""

    axis: str  # "x": runs along the picture's x (a horizontal line), "y": along y
    line_px: float  # y of a horizontal wall's centre line, x of a vertical one
    start_px: float  # centre-line ends along the axis
    end_px: float
    thickness_px: float
    exterior: bool


@dataclass(frozen=True)
class PlanOpening:
    """A door or window: a break in a wall, in pixels."""

    kind: str  # "door" or "window"
    centre_px: tuple[float, float]  # (x, y)
    width_px: float  # clear width along the wall
    axis: str  # direction of the wall it breaks, as PlanWall.axis
    thickness_px: float  # of that wall
    exterior: bool
    swing: int = 0  # doors: +1 the leaf opens toward larger across-coordinates (x or y), -1 smaller
    hinge_at_start: bool = True  # doors: the hinge is at the smaller along-coordinate end


@dataclass(frozen=True)
class PlanRoom:
    """A room's clear floor (inside the wall faces); its pixels are `PlanDrawing.room_labels == index`."""

    index: int
    name: str
    area_m2: float
    centroid_px: tuple[float, float]


@dataclass(frozen=True)
class PlanDrawing:
    """A drawn floor plan and everything that is true about it."""

    rgb: np.ndarray  # (H, W, 3) uint8
    m_per_px: float
    wall_mask: np.ndarray  # (H, W) bool: the walls as drawn, every opening a gap
    footprint_mask: np.ndarray  # (H, W) bool: walls with openings closed (a plan view of the built walls)
    room_labels: np.ndarray  # (H, W) int32: room index from 1 on clear floor, 0 elsewhere
    walls: tuple[PlanWall, ...]
    openings: tuple[PlanOpening, ...]
    rooms: tuple[PlanRoom, ...]
    text_boxes: tuple[tuple[int, int, int, int], ...]  # (x0, y0, x1, y1) of every text label
    seed: int

    @property
    def doors(self) -> tuple[PlanOpening, ...]:
        return tuple(opening for opening in self.openings if opening.kind == "door")

    @property
    def windows(self) -> tuple[PlanOpening, ...]:
        return tuple(opening for opening in self.openings if opening.kind == "window")

    def picture(self) -> Picture:
        return Picture(rgb=self.rgb.astype(np.float32) / 255.0, alpha=None, source=f"plan {self.seed}")


@dataclass(frozen=True)
class _Segment:
    """A straight wall on the layout grid (grid units), between rooms `pair`."""

    axis: str
    line: int
    start: int
    end: int
    pair: tuple[int, int]  # sorted room ids; 0 is the outside

    @property
    def exterior(self) -> bool:
        return self.pair[0] == 0


def generate_plan(seed: int, options: PlanDrawingOptions | None = None) -> PlanDrawing:
    """The plan drawing for `seed`: same seed, same pixels and ground truth on any machine."""
    options = options or PlanDrawingOptions()
    rng = np.random.default_rng([seed, 5])  # a stream of its own: unrelated to shape sample `seed`
    grid = _layout(rng)
    segments = _segments(grid)
    interior_m = float(rng.uniform(*options.interior_wall_m))
    exterior_m = float(rng.uniform(*options.exterior_wall_m))
    doors, windows = _place_openings(rng, grid, segments, interior_m, exterior_m, options)

    depth_m, width_m = grid.shape[0] * GRID_M, grid.shape[1] * GRID_M
    margin_px = int(rng.integers(70, 121))
    long_side_px = int(rng.integers(options.long_side_px[0], options.long_side_px[1] + 1))
    m_per_px = max(width_m, depth_m) / (long_side_px - 2 * margin_px)
    m_per_px = min(m_per_px, options.max_m_per_px)
    width_px = int(np.ceil(width_m / m_per_px)) + 2 * margin_px
    height_px = int(np.ceil(depth_m / m_per_px)) + 2 * margin_px

    def to_px(metres: float) -> float:
        return margin_px + metres / m_per_px

    def band(segment: _Segment) -> tuple[int, int]:
        """Pixel rows (or columns) a wall's thickness covers, shared by wall and openings."""
        half = (exterior_m if segment.exterior else interior_m) / 2
        line_m = segment.line * GRID_M
        return round(to_px(line_m - half)), round(to_px(line_m + half))

    wall_mask = np.zeros((height_px, width_px), dtype=bool)
    walls = []
    for segment in segments:
        thickness_m = exterior_m if segment.exterior else interior_m
        low, high = band(segment)
        start = round(to_px(segment.start * GRID_M - thickness_m / 2))
        end = round(to_px(segment.end * GRID_M + thickness_m / 2))
        _fill(wall_mask, segment.axis, low, high, start, end)
        walls.append(
            PlanWall(
                axis=segment.axis,
                line_px=to_px(segment.line * GRID_M),
                start_px=to_px(segment.start * GRID_M),
                end_px=to_px(segment.end * GRID_M),
                thickness_px=thickness_m / m_per_px,
                exterior=segment.exterior,
            )
        )

    ink = np.zeros((height_px, width_px), dtype=np.uint8)  # thin strokes, drawn anti-aliased
    footprint_mask = wall_mask.copy()
    openings = []
    for kind, placements in (("door", doors), ("window", windows)):
        for segment, centre_m, width_m_opening, swing in placements:
            low, high = band(segment)
            start = round(to_px(centre_m - width_m_opening / 2))
            end = round(to_px(centre_m + width_m_opening / 2))
            _fill(wall_mask, segment.axis, low, high, start, end, value=False)
            _fill(footprint_mask, segment.axis, low, high, start, end)
            if kind == "door":
                _draw_door(ink, segment.axis, low, high, start, end, swing, rng)
            else:
                _draw_window(ink, segment.axis, low, high, start, end, rng)
            centre_along = (start + end) / 2
            centre_across = (low + high) / 2
            centre = (centre_along, centre_across) if segment.axis == "x" else (centre_across, centre_along)
            openings.append(
                PlanOpening(
                    kind=kind,
                    centre_px=centre,
                    width_px=float(end - start),
                    axis=segment.axis,
                    thickness_px=float(high - low),
                    exterior=segment.exterior,
                    swing=swing[0] if kind == "door" else 0,
                    hinge_at_start=swing[1] if kind == "door" else True,
                )
            )

    room_labels, rooms = _rooms(grid, footprint_mask, m_per_px, margin_px, rng)
    text_boxes: list[tuple[int, int, int, int]] = []
    if options.labels:
        bold_allowed = interior_m / m_per_px >= 8
        text_boxes += _draw_room_labels(ink, grid, rooms, m_per_px, margin_px, rng, bold_allowed)
        text_boxes += _draw_dimensions(ink, grid, m_per_px, margin_px, rng)

    rgb = _render(wall_mask, ink, rng, options)
    return PlanDrawing(
        rgb=rgb,
        m_per_px=m_per_px,
        wall_mask=wall_mask,
        footprint_mask=footprint_mask,
        room_labels=room_labels,
        walls=tuple(walls),
        openings=tuple(openings),
        rooms=tuple(rooms),
        text_boxes=tuple(text_boxes),
        seed=seed,
    )


def _layout(rng: np.random.Generator) -> np.ndarray:
    """Room ids on the layout grid (rows = y), 0 outside: split, cut corners, merge into L-shapes."""
    min_side = 22  # 2.2 m
    width, depth = int(rng.integers(80, 161)), int(rng.integers(60, 121))
    leaves: list[tuple[int, int, int, int]] = []
    stack = [(0, 0, width, depth)]
    while stack:
        x0, y0, x1, y1 = stack.pop()
        can_split_x, can_split_y = x1 - x0 >= 2 * min_side, y1 - y0 >= 2 * min_side
        area_m2 = (x1 - x0) * (y1 - y0) * GRID_M**2
        if area_m2 < rng.uniform(9, 24) or not (can_split_x or can_split_y):
            leaves.append((x0, y0, x1, y1))
            continue
        longer_is_x = x1 - x0 >= y1 - y0
        split_x = can_split_x and (not can_split_y or longer_is_x == (rng.random() < 0.8))
        if split_x:
            cut = int(rng.integers(x0 + min_side, x1 - min_side + 1))
            stack += [(x0, y0, cut, y1), (cut, y0, x1, y1)]
        else:
            cut = int(rng.integers(y0 + min_side, y1 - min_side + 1))
            stack += [(x0, y0, x1, cut), (x0, cut, x1, y1)]
    grid = np.zeros((depth, width), dtype=np.int32)
    for index, (x0, y0, x1, y1) in enumerate(leaves, start=1):
        grid[y0:y1, x0:x1] = index

    corners = [
        leaf
        for leaf in leaves
        if (leaf[0] == 0 or leaf[2] == width)
        and (leaf[1] == 0 or leaf[3] == depth)
        and leaf[2] - leaf[0] < width
        and leaf[3] - leaf[1] < depth
    ]
    rng.shuffle(corners)
    for cuts, leaf in enumerate(corners[:2]):
        if rng.random() < (0.5 if cuts == 0 else 0.25) and len(np.unique(grid)) - 1 > 4:
            trial = grid.copy()
            trial[leaf[1] : leaf[3], leaf[0] : leaf[2]] = 0
            if ndimage.label(trial > 0)[1] == 1:
                grid = trial

    if rng.random() < 0.5:
        merges = _l_merges(grid)
        if merges and len(np.unique(grid)) - 1 > 4:
            keep, drop = merges[int(rng.integers(len(merges)))]
            grid[grid == drop] = keep
    # Renumber rooms 1..n in reading order of their first cell.
    ids = [value for value in dict.fromkeys(grid.ravel().tolist()) if value != 0]
    relabel = np.zeros(grid.max() + 1, dtype=np.int32)
    relabel[ids] = np.arange(1, len(ids) + 1)
    return relabel[grid]


def _l_merges(grid: np.ndarray) -> list[tuple[int, int]]:
    """Room pairs whose shared wall is one whole side of exactly one of them (merging makes an L).

    The shared wall must be longer than any door or window, so the removed wall cannot
    be mistaken for a wide opening between collinear walls.
    """
    boxes = ndimage.find_objects(grid)
    pairs = []
    for segment in _segments(grid):
        a, b = segment.pair
        if a == 0 or segment.end - segment.start < 36:
            continue
        sides = []
        for room in (a, b):
            rows, cols = boxes[room - 1]
            along = cols if segment.axis == "x" else rows
            sides.append(along.stop - along.start == segment.end - segment.start)
        if sides[0] != sides[1]:
            pairs.append((a, b))
    return pairs


def _segments(grid: np.ndarray) -> list[_Segment]:
    """Maximal straight boundaries between different ids, as walls on the grid."""
    padded = np.pad(grid, 1)
    segments = []
    for axis, array in (("x", padded), ("y", padded.T)):
        above, below = array[:-1], array[1:]
        for line in range(above.shape[0]):
            a, b = above[line], below[line]
            differs = a != b
            column = 0
            while column < len(differs):
                if not differs[column]:
                    column += 1
                    continue
                pair = (min(a[column], b[column]), max(a[column], b[column]))
                start = column
                while (
                    column < len(differs)
                    and differs[column]
                    and (min(a[column], b[column]), max(a[column], b[column])) == pair
                ):
                    column += 1
                # padded index p covers grid cells p-1, so boundary line `line` sits at grid coordinate line
                segments.append(_Segment(axis, line, start - 1, column - 1, (int(pair[0]), int(pair[1]))))
    return segments


def _place_openings(
    rng: np.random.Generator,
    grid: np.ndarray,
    segments: list[_Segment],
    interior_m: float,
    exterior_m: float,
    options: PlanDrawingOptions,
) -> tuple[list, list]:
    """Doors that connect every room (a random spanning tree plus extras), entrances and windows."""
    padded = np.pad(grid, 1)
    margin_m = exterior_m / 2 + 0.25  # openings keep clear of the walls that cross their wall
    taken: dict[_Segment, list[tuple[float, float]]] = {segment: [] for segment in segments}

    def place(segment: _Segment, width_m: float) -> float | None:
        low = segment.start * GRID_M + margin_m + width_m / 2
        high = segment.end * GRID_M - margin_m - width_m / 2
        for _ in range(8):
            if high < low:
                return None
            centre = float(rng.uniform(low, high))
            if all(
                abs(centre - other) > (width_m + other_width) / 2 + 0.3
                for other, other_width in taken[segment]
            ):
                taken[segment].append((centre, width_m))
                return centre
        return None

    def swing_into(segment: _Segment, room: int) -> int:
        """+1 if `room` lies on the side of larger coordinate across the wall."""
        line, middle = segment.line + 1, (segment.start + segment.end) // 2 + 1
        inside = padded[line, middle] if segment.axis == "x" else padded[middle, line]
        return 1 if inside == room else -1

    doors: list = []
    parent = list(range(grid.max() + 1))

    def root(node: int) -> int:
        while parent[node] != node:
            node = parent[node]
        return node

    interior = [segment for segment in segments if not segment.exterior]
    order = rng.permutation(len(interior))
    for index in order:
        segment = interior[index]
        a, b = segment.pair
        joins = root(a) != root(b)
        if not joins and rng.random() > 0.15:
            continue
        width_m = float(rng.uniform(*options.door_width_m))
        centre = place(segment, width_m)
        if centre is None:
            continue
        parent[root(a)] = root(b)
        swing = swing_into(segment, a if rng.random() < 0.5 else b)
        doors.append((segment, centre, width_m, (swing, bool(rng.random() < 0.5))))

    exterior = [segment for segment in segments if segment.exterior]
    for entrance in range(2):
        if entrance == 1 and rng.random() > 0.3:
            break
        for index in rng.permutation(len(exterior)):
            segment = exterior[index]
            width_m = float(rng.uniform(options.door_width_m[1], options.door_width_m[1] + 0.1))
            centre = place(segment, width_m)
            if centre is not None:
                doors.append(
                    (
                        segment,
                        centre,
                        width_m,
                        (swing_into(segment, segment.pair[1]), bool(rng.random() < 0.5)),
                    )
                )
                break

    windows: list = []
    for segment in exterior:
        for _ in range(2):
            if rng.random() > 0.6:
                continue
            usable = (segment.end - segment.start) * GRID_M - 2 * margin_m
            low_w, high_w = options.window_width_m
            if usable < low_w:
                break
            width_m = float(rng.uniform(low_w, min(high_w, usable)))
            centre = place(segment, width_m)
            if centre is not None:
                windows.append((segment, centre, width_m, None))
    return doors, windows


def _fill(mask: np.ndarray, axis: str, low: int, high: int, start: int, end: int, value: bool = True) -> None:
    """Set the band [low, high) across and [start, end) along a wall."""
    if axis == "x":
        mask[low:high, start:end] = value
    else:
        mask[start:end, low:high] = value


def _point(axis: str, along: float, across: float) -> tuple[float, float]:
    return (along, across) if axis == "x" else (across, along)


def _draw_door(
    ink: np.ndarray,
    axis: str,
    low: int,
    high: int,
    start: int,
    end: int,
    swing: tuple[int, bool],
    rng: np.random.Generator,
) -> None:
    """An open leaf at the hinge jamb, perpendicular to the wall, and its quarter-circle swing."""
    side, hinge_at_start = swing
    face = high if side > 0 else low
    hinge_along, free_along = (start, end) if hinge_at_start else (end, start)
    radius = abs(end - start)
    hinge = _point(axis, hinge_along, face)
    leaf_end = _point(axis, hinge_along, face + side * radius)
    free_jamb = _point(axis, free_along, face)
    thickness = int(rng.integers(1, 3))
    antialiased_line(ink, hinge, leaf_end, thickness)
    start_deg = np.degrees(np.arctan2(leaf_end[1] - hinge[1], leaf_end[0] - hinge[0]))
    end_deg = np.degrees(np.arctan2(free_jamb[1] - hinge[1], free_jamb[0] - hinge[0]))
    if end_deg - start_deg > 180:
        end_deg -= 360
    elif start_deg - end_deg > 180:
        start_deg -= 360
    shift = 4
    centre = (round(hinge[0] * 2**shift), round(hinge[1] * 2**shift))
    cv2.ellipse(
        ink, centre, (radius * 2**shift, radius * 2**shift), 0, start_deg, end_deg, 255, 1, cv2.LINE_AA, shift
    )


def _draw_window(
    ink: np.ndarray, axis: str, low: int, high: int, start: int, end: int, rng: np.random.Generator
) -> None:
    """Thin lines along both wall faces (and sometimes the glass in the middle) across the break."""
    rows: list[float] = [low, high - 1]
    if rng.random() < 0.6:
        rows.append((low + high - 1) / 2)
    for across in rows:
        antialiased_line(ink, _point(axis, start, across), _point(axis, end - 1, across), 1)
    for along in (start, end - 1):  # jamb lines
        antialiased_line(ink, _point(axis, along, low), _point(axis, along, high - 1), 1)


def antialiased_line(
    ink: np.ndarray, a: tuple[float, float], b: tuple[float, float], thickness: int = 1
) -> None:
    """A line of sub-pixel end points (4 fractional bits) into an 8-bit ink layer."""
    shift = 4
    cv2.line(
        ink,
        (round(a[0] * 2**shift), round(a[1] * 2**shift)),
        (round(b[0] * 2**shift), round(b[1] * 2**shift)),
        255,
        thickness,
        cv2.LINE_AA,
        shift,
    )


def _rooms(
    grid: np.ndarray, footprint_mask: np.ndarray, m_per_px: float, margin_px: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[PlanRoom]]:
    """Per-pixel room ids on clear floor, and each room's name, area and centroid."""
    height_px, width_px = footprint_mask.shape
    cols = np.floor(((np.arange(width_px) + 0.5 - margin_px) * m_per_px) / GRID_M).astype(int)
    rows = np.floor(((np.arange(height_px) + 0.5 - margin_px) * m_per_px) / GRID_M).astype(int)
    inside_cols = (cols >= 0) & (cols < grid.shape[1])
    inside_rows = (rows >= 0) & (rows < grid.shape[0])
    labels = np.zeros((height_px, width_px), dtype=np.int32)
    labels[np.ix_(inside_rows, inside_cols)] = grid[np.ix_(rows[inside_rows], cols[inside_cols])]
    labels[footprint_mask] = 0
    names = list(ROOM_NAMES)
    rng.shuffle(names)
    rooms = []
    for index in range(1, grid.max() + 1):
        ys, xs = np.nonzero(labels == index)
        rooms.append(
            PlanRoom(
                index=index,
                name=names[(index - 1) % len(names)],
                area_m2=float(len(xs) * m_per_px**2),
                centroid_px=(float(xs.mean()), float(ys.mean())),
            )
        )
    return labels, rooms


def _draw_text(
    ink: np.ndarray,
    text: str,
    centre: tuple[float, float],
    max_size: tuple[float, float],
    rng: np.random.Generator,
    font: int,
    scale_range: tuple[float, float],
    bold_allowed: bool = False,
) -> tuple[int, int, int, int] | None:
    """Text centred at `centre`, shrunk to fit `max_size` (w, h); None when it cannot fit."""
    scale = float(rng.uniform(*scale_range))
    # Drawings keep text strokes well under the wall thickness: a bold pen fills small
    # letters into solid blocks, and triplex letters, drawn with three strokes side by
    # side, are as thick as a thin wall when bold. So bold is only for big letters
    # between thick walls.
    bold = rng.random() < 0.5 and bold_allowed and font != cv2.FONT_HERSHEY_TRIPLEX
    for _ in range(6):
        thickness = 2 if bold and scale >= 1.0 else 1
        (text_w, text_h), baseline = cv2.getTextSize(text, font, scale, thickness)
        if text_w <= max_size[0] and text_h + baseline <= max_size[1]:
            break
        scale *= 0.8
    else:
        return None
    if scale < 0.35:
        return None
    x0 = round(centre[0] - text_w / 2)
    y_base = round(centre[1] + text_h / 2)
    cv2.putText(ink, text, (x0, y_base), font, scale, 255, thickness, cv2.LINE_AA)
    return (
        x0 - thickness,
        y_base - text_h - thickness,
        x0 + text_w + thickness,
        y_base + baseline + thickness,
    )


def _draw_room_labels(
    ink: np.ndarray,
    grid: np.ndarray,
    rooms: list[PlanRoom],
    m_per_px: float,
    margin_px: int,
    rng: np.random.Generator,
    bold_allowed: bool,
) -> list[tuple[int, int, int, int]]:
    """Room name, area and sometimes dimensions inside each room's largest rectangle."""
    boxes = []
    font = FONTS[int(rng.integers(len(FONTS)))]
    for room in rooms:
        x0, y0, x1, y1 = _largest_rectangle(grid == room.index)
        inset = 0.4 / m_per_px
        box_w = (x1 - x0) * GRID_M / m_per_px - 2 * inset
        box_h = (y1 - y0) * GRID_M / m_per_px - 2 * inset
        centre = (
            margin_px + (x0 + x1) / 2 * GRID_M / m_per_px,
            margin_px + (y0 + y1) / 2 * GRID_M / m_per_px,
        )
        lines = [room.name, f"{room.area_m2:.1f} m2"]
        if rng.random() < 0.4:
            lines.append(f"{(x1 - x0) * GRID_M:.2f} x {(y1 - y0) * GRID_M:.2f}")
        line_h = box_h / (len(lines) + 1)
        top = centre[1] - line_h * (len(lines) - 1) / 2
        for number, text in enumerate(lines):
            scale_range = (0.6, 1.3) if number == 0 else (0.4, 0.8)
            box = _draw_text(
                ink,
                text,
                (centre[0], top + number * line_h),
                (box_w, line_h),
                rng,
                font,
                scale_range,
                bold_allowed,
            )
            if box:
                boxes.append(box)
    return boxes


def _largest_rectangle(cells: np.ndarray) -> tuple[int, int, int, int]:
    """The largest axis-aligned rectangle of True cells (x0, y0, x1, y1); rooms are tiny grids."""
    best, best_area = (0, 0, 0, 0), 0
    heights = np.zeros(cells.shape[1], dtype=int)
    for row in range(cells.shape[0]):
        heights = np.where(cells[row], heights + 1, 0)
        for left in np.flatnonzero(heights):
            height = heights[left]
            right = left
            while right < len(heights) and heights[right] >= height:
                right += 1
            if height * (right - left) > best_area:
                best_area = height * (right - left)
                best = (int(left), int(row - height + 1), int(right), int(row + 1))
    return best


def _draw_dimensions(
    ink: np.ndarray, grid: np.ndarray, m_per_px: float, margin_px: int, rng: np.random.Generator
) -> list[tuple[int, int, int, int]]:
    """Thin dimension lines with ticks outside the top and left walls, each span labelled in metres."""
    boxes = []
    font = FONTS[int(rng.integers(len(FONTS)))]
    occupied = grid > 0
    for axis in ("x", "y"):
        profile = occupied.any(axis=0 if axis == "x" else 1)
        first, last = np.flatnonzero(profile)[[0, -1]]
        edges = grid[0, :] if axis == "x" else grid[:, 0]
        stops = sorted(
            {first, last + 1} | {i for i in range(1, len(edges)) if edges[i] != edges[i - 1] and edges[i]}
        )
        offset = margin_px * float(rng.uniform(0.35, 0.55))

        def at(position: float, across: float, axis: str = axis) -> tuple[float, float]:
            along = margin_px + position * GRID_M / m_per_px
            return (along, across) if axis == "x" else (across, along)

        antialiased_line(ink, at(stops[0], offset), at(stops[-1], offset), 1)
        for stop in stops:
            antialiased_line(
                ink, at(stop - 0.6, offset - 0.6 / GRID_M), at(stop + 0.6, offset + 0.6 / GRID_M), 1
            )
        for a, b in zip(stops[:-1], stops[1:], strict=False):
            length_px = (b - a) * GRID_M / m_per_px
            centre = at((a + b) / 2, offset - 0.22 * margin_px)
            text = f"{(b - a) * GRID_M:.2f}"
            if axis == "x":
                box = _draw_text(ink, text, centre, (length_px * 0.8, 0.3 * margin_px), rng, font, (0.4, 0.6))
            else:
                box = _draw_text(ink, text, centre, (0.4 * margin_px, length_px), rng, font, (0.35, 0.45))
            if box:
                boxes.append(box)
    return boxes


def _render(
    wall_mask: np.ndarray, thin_ink: np.ndarray, rng: np.random.Generator, options: PlanDrawingOptions
) -> np.ndarray:
    """Ink on paper: blurred pen, a slightly uneven paper tone and grain."""
    coverage = np.maximum(wall_mask.astype(np.float32), thin_ink.astype(np.float32) / 255.0)
    sigma = float(rng.uniform(*options.blur_px))
    if sigma > 0.2:
        coverage = cv2.GaussianBlur(coverage, (0, 0), sigma)
    height, width = wall_mask.shape
    paper = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.9, 1.0), rng.uniform(0.88, 1.0)], dtype=np.float32)
    ink_colour = np.full(3, rng.uniform(0.0, 0.25), dtype=np.float32)
    tone = cv2.resize(
        rng.normal(0, 1, (8, 8)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC
    )
    image = (
        paper * (1 + 0.02 * tone[..., None]) * (1 - coverage[..., None]) + ink_colour * coverage[..., None]
    )
    image += rng.normal(0, rng.uniform(*options.noise), image.shape).astype(np.float32)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)

"""Floor plans drawn in a second convention, the way estate-agent and scanned plans look.

The house, its openings and its ground truth come from `generate_plan`'s layout; only the
drawing differs, so nothing the first convention was tuned on carries over: walls solid
black, grey-filled or hatched inside a black outline; door leaves as thin slabs with their
swing on the side they open; windows as two or three thin parallel lines, a single line
with sill ticks outside, or just a thin line across the gap; room names with areas,
dimension lines with ticks and text outside the house, furniture symbols inside; and the
sheet scanned with a slight rotation. Seeds start at ALT_PLAN_SEED so they never meet the
first generator's tuning or held-out seeds.

The ground truth is in the upright frame: the picture turned back by `rotation_deg`
about its centre (same size) lines up with every mask and coordinate of `drawing`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from lift3d.data.plans import PlanDrawing, PlanDrawingOptions, PlanOpening, antialiased_line, generate_plan

# Alt plans use seeds from here. Tuning used ALT_PLAN_SEED .. ALT_PLAN_SEED + 99; tests
# and benchmarks use ALT_HELDOUT_SEED on, never looked at while tuning.
ALT_PLAN_SEED = 2_000_000
ALT_HELDOUT_SEED = 2_100_000
WALL_STYLES = ("solid", "grey", "hatch")
WINDOW_STYLES = ("lines", "sill", "thin")


@dataclass(frozen=True)
class AltPlan:
    """A plan drawn in the second convention; `drawing.rgb` is the rotated scan."""

    drawing: PlanDrawing
    rotation_deg: float  # counter-clockwise turn of the scan; the truth is unrotated
    wall_style: str
    window_styles: tuple[str, ...]  # one per window, in `drawing.windows` order


def generate_alt_plan(seed: int, max_rotation_deg: float = 2.5) -> AltPlan:
    """The alt-convention plan for `seed` (same seed, same pixels on any machine)."""
    truth = generate_plan(seed, PlanDrawingOptions(labels=False))
    rng = np.random.default_rng([seed, 17])
    shape = truth.wall_mask.shape
    m_per_px = truth.m_per_px
    wall_style = WALL_STYLES[int(rng.integers(len(WALL_STYLES)))]
    dark = np.zeros(shape, np.float32)  # 0 paper .. 1 black ink
    _draw_walls(dark, truth.wall_mask, wall_style, rng)
    pen = np.zeros(shape, np.uint8)  # thin strokes, anti-aliased
    window_styles = []
    for opening in truth.openings:
        if opening.kind == "door":
            _draw_door(pen, opening, rng)
        else:
            style = WINDOW_STYLES[int(rng.integers(len(WINDOW_STYLES)))]
            window_styles.append(style)
            _draw_window(pen, opening, style, m_per_px)
    text_boxes = _draw_furniture_and_names(pen, truth, rng)
    text_boxes += _draw_dimensions(pen, truth, rng)
    dark = np.maximum(dark, pen.astype(np.float32) / 255)
    rgb = _render(dark, rng)
    angle = float(rng.uniform(-max_rotation_deg, max_rotation_deg)) if rng.random() < 0.85 else 0.0
    rgb = _rotate(rgb, angle)
    drawing = replace(truth, rgb=rgb, text_boxes=tuple(text_boxes))
    return AltPlan(drawing, angle, wall_style, tuple(window_styles))


def _draw_walls(dark: np.ndarray, walls: np.ndarray, style: str, rng: np.random.Generator) -> None:
    if style == "solid":
        dark[walls] = 1.0
        return
    outline_px = int(rng.integers(1, 3))
    inner = cv2.erode(walls.astype(np.uint8), np.ones((2 * outline_px + 1,) * 2, np.uint8)).astype(bool)
    if style == "grey":
        dark[walls] = float(rng.uniform(0.3, 0.6))
    else:  # 45-degree hatching, a line every `spacing` px
        spacing = int(rng.integers(3, 6))
        rows, cols = np.indices(walls.shape)
        direction = 1 if rng.random() < 0.5 else -1
        stripes = (rows + direction * cols) % spacing == 0
        dark[walls & stripes] = 1.0
    dark[walls & ~inner] = 1.0


def _point(axis: str, along: float, across: float) -> tuple[float, float]:
    return (along, across) if axis == "x" else (across, along)


def _bounds(opening: PlanOpening) -> tuple[float, float, float, float]:
    """(start, end, low, high) of the gap in pixel edges, along and across its wall."""
    along, across = opening.centre_px if opening.axis == "x" else opening.centre_px[::-1]
    half_w, half_t = opening.width_px / 2, opening.thickness_px / 2
    return along - half_w, along + half_w, across - half_t, across + half_t


def _draw_door(pen: np.ndarray, opening: PlanOpening, rng: np.random.Generator) -> None:
    """A leaf drawn as a thin slab (two lines and a cap) standing open, and its swing arc."""
    start, end, low, high = _bounds(opening)
    axis, side = opening.axis, opening.swing
    face = high if side > 0 else low
    hinge_along = start if opening.hinge_at_start else end
    inward = 1 if opening.hinge_at_start else -1
    radius = end - start
    slab = float(rng.uniform(2.0, 4.0))
    for offset in (0.0, slab):
        along = hinge_along + inward * offset
        antialiased_line(pen, _point(axis, along, face), _point(axis, along, face + side * radius))
    tip = face + side * radius
    antialiased_line(pen, _point(axis, hinge_along, tip), _point(axis, hinge_along + inward * slab, tip))
    steps = np.linspace(0, np.pi / 2, max(16, int(radius)))
    arc = [
        _point(axis, hinge_along + inward * radius * np.sin(t), face + side * radius * np.cos(t))
        for t in steps
    ]
    for a, b in zip(arc[:-1], arc[1:], strict=True):
        antialiased_line(pen, a, b)


def _draw_window(pen: np.ndarray, opening: PlanOpening, style: str, m_per_px: float) -> None:
    start, end, low, high = _bounds(opening)
    axis = opening.axis
    if style == "lines":  # two or three thin parallel lines and the jambs
        acrosses = [low + 1, high - 1] + ([(low + high) / 2] if opening.width_px % 2 < 1 else [])
        for across in acrosses:
            antialiased_line(pen, _point(axis, start, across), _point(axis, end, across))
        for along in (start, end):
            antialiased_line(pen, _point(axis, along, low), _point(axis, along, high))
    elif style == "sill":  # the glass line, and sill ticks poking out of both wall faces
        middle = (low + high) / 2
        antialiased_line(pen, _point(axis, start, middle), _point(axis, end, middle))
        tick = 0.12 / m_per_px
        for along in (start + 1, end - 1):
            antialiased_line(pen, _point(axis, along, low - tick), _point(axis, along, high + tick))
    else:  # just a thin line across the gap, at the outer third
        across = low + (high - low) / 3
        antialiased_line(pen, _point(axis, start, across), _point(axis, end, across))


# Furniture symbols, in metres (w, d), by room name.
FURNITURE = {
    "BEDROOM": ("bed", (1.6, 2.0)),
    "BED 2": ("bed", (0.9, 2.0)),
    "GUEST": ("bed", (1.4, 2.0)),
    "LIVING": ("sofa", (2.0, 0.9)),
    "DINING": ("table", (1.6, 0.9)),
    "KITCHEN": ("table", (1.2, 0.8)),
    "STUDY": ("desk", (1.4, 0.7)),
    "OFFICE": ("desk", (1.4, 0.7)),
    "BATH": ("tub", (1.7, 0.75)),
    "WC": ("round", (0.4, 0.55)),
}


def _draw_furniture_and_names(pen: np.ndarray, truth: PlanDrawing, rng: np.random.Generator) -> list:
    """A furniture symbol where the room has space for it, then the room's name and area."""
    boxes = []
    m = truth.m_per_px
    font = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX_SMALL)[
        int(rng.integers(3))
    ]
    for room in truth.rooms:
        floor = (truth.room_labels == room.index).astype(np.uint8)
        clearance = cv2.distanceTransform(floor, cv2.DIST_L2, 3)
        kind, (w_m, d_m) = FURNITURE.get(room.name, (None, (0.0, 0.0)))
        if kind is not None and rng.random() < 0.8:
            w, d = w_m / m, d_m / m
            need = np.hypot(w, d) / 2 + 0.3 / m
            rows, cols = np.nonzero(clearance >= need)
            if rows.size:
                pick = int(rng.integers(rows.size))
                _symbol(pen, kind, (float(cols[pick]), float(rows[pick])), w, d)
        cx, cy = room.centroid_px
        rows, cols = np.nonzero(clearance >= 0.6 / m)
        if rows.size == 0:
            continue
        # the name goes where the floor is clear and close to the centroid
        nearest = int(np.argmin((cols - cx) ** 2 + (rows - cy) ** 2))
        x, y = int(cols[nearest]), int(rows[nearest])
        scale = float(rng.uniform(0.35, 0.6))
        for text, dy in ((room.name, 0), (f"{room.area_m2:.1f} m2", 1)):
            (tw, th), _ = cv2.getTextSize(text, font, scale, 1)
            y_text = y + dy * int(th * 1.8)
            cv2.putText(pen, text, (x - tw // 2, y_text), font, scale, 255, 1, cv2.LINE_AA)
            boxes.append((x - tw // 2, y_text - th, x + tw // 2, y_text + 3))
    return boxes


def _symbol(pen: np.ndarray, kind: str, centre: tuple[float, float], w: float, d: float) -> None:
    x, y = centre
    x0, y0, x1, y1 = x - w / 2, y - d / 2, x + w / 2, y + d / 2
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    if kind == "round":
        cv2.ellipse(pen, (round(x), round(y)), (round(w / 2), round(d / 2)), 0, 0, 360, 255, 1, cv2.LINE_AA)
        return
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        antialiased_line(pen, a, b)
    if kind == "bed":  # pillows and the turned-down sheet
        antialiased_line(pen, (x0, y0 + 0.3 * d), (x1, y0 + 0.3 * d))
        antialiased_line(pen, (x0 + 0.1 * w, y0 + 0.05 * d), (x1 - 0.1 * w, y0 + 0.05 * d))
    elif kind == "sofa":
        antialiased_line(pen, (x0, y0 + 0.3 * d), (x1, y0 + 0.3 * d))
        for xa in (x0 + 0.15 * w, x1 - 0.15 * w):
            antialiased_line(pen, (xa, y0 + 0.3 * d), (xa, y1))
    elif kind == "table":  # chairs round the table
        for cx in np.linspace(x0 + 0.2 * w, x1 - 0.2 * w, 3):
            for cy in (y0 - 0.12 * d, y1 + 0.12 * d):
                cv2.circle(pen, (round(cx), round(cy)), max(2, round(0.12 * d)), 255, 1, cv2.LINE_AA)
    elif kind == "tub":
        cv2.ellipse(
            pen, (round(x), round(y)), (round(0.4 * w), round(0.35 * d)), 0, 0, 360, 255, 1, cv2.LINE_AA
        )


def _draw_dimensions(pen: np.ndarray, truth: PlanDrawing, rng: np.random.Generator) -> list:
    """Overall dimension lines above and left of the house: ticks at the ends and the length in mm."""
    rows, cols = np.nonzero(truth.footprint_mask)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    offset = float(rng.uniform(25, 45))
    tick = 6.0
    boxes = []
    font = cv2.FONT_HERSHEY_SIMPLEX
    for axis, low, high, across in (("x", left, right, top - offset), ("y", top, bottom, left - offset)):
        antialiased_line(pen, _point(axis, low, across), _point(axis, high, across))
        for end in (low, high):  # extension line and a 45-degree tick
            antialiased_line(
                pen, _point(axis, end, across - tick), _point(axis, end, across + tick + offset - 8)
            )
            a = _point(axis, end - tick / 2, across + tick / 2)
            b = _point(axis, end + tick / 2, across - tick / 2)
            antialiased_line(pen, a, b)
        text = f"{round((high - low) * truth.m_per_px * 1000):d}"
        (tw, th), _ = cv2.getTextSize(text, font, 0.45, 1)
        middle = (low + high) / 2
        if axis == "x":
            org = (round(middle - tw / 2), round(across - 5))
            boxes.append((org[0], org[1] - th, org[0] + tw, org[1]))
            cv2.putText(pen, text, org, font, 0.45, 255, 1, cv2.LINE_AA)
        else:  # vertical text: draw on a patch, turn it, paste
            patch = np.zeros((th + 6, tw + 2), np.uint8)
            cv2.putText(patch, text, (1, th + 2), font, 0.45, 255, 1, cv2.LINE_AA)
            patch = np.rot90(patch)
            y0, x0 = round(middle - patch.shape[0] / 2), round(across - patch.shape[1] - 3)
            if y0 >= 0 and x0 >= 0:
                region = pen[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
                np.maximum(region, patch[: region.shape[0], : region.shape[1]], out=region)
                boxes.append((x0, y0, x0 + patch.shape[1], y0 + patch.shape[0]))
    return boxes


def _render(dark: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dark ink on toned paper, with a little blur and grain, as a scanner sees it."""
    sigma = float(rng.uniform(0.0, 0.8))
    if sigma > 0.2:
        dark = cv2.GaussianBlur(dark, (0, 0), sigma)
    paper = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.88, 1.0), rng.uniform(0.85, 1.0)], np.float32)
    ink = np.full(3, rng.uniform(0.0, 0.2), np.float32)
    image = paper * (1 - dark[..., None]) + ink * dark[..., None]
    image += rng.normal(0, rng.uniform(0.005, 0.025), image.shape).astype(np.float32)
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def _rotate(rgb: np.ndarray, angle_deg: float) -> np.ndarray:
    """Turn the sheet counter-clockwise about its centre, keeping its size; paper fills the corners."""
    if angle_deg == 0:
        return rgb
    height, width = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle_deg, 1.0)
    paper = tuple(int(v) for v in np.median(rgb[:8].reshape(-1, 3), axis=0))
    return cv2.warpAffine(rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=paper)

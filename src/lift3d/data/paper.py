"""A cutout measurement set the project makes itself, each picture with its true mask.

Three kinds of picture that the classical cutout once got wrong:

- `line`: the project's procedural shapes drawn as lines on white in styles the
  detector was not tuned on (stroke widths 1-6 px at 256, with or without creases,
  hatching, gaps in the outline, a wobbly hand);
- `paper`: such drawings photographed on paper (grain, tint, light falloff, a
  shadow, a table around the sheet, perspective and rotation, pencil, ballpoint,
  marker or crayon, sometimes coloured in, blur, JPEG);
- `photo`: rendered objects on hard backdrops (white on white, low contrast,
  strong gradients, textures) and, as a control, plain ones.

Kept apart from training: the shapes come from seeds from 1,000,000,000 up, a range
no training run draws from, and nothing here feeds a training set. Tune on
`TUNE_SEED` and report on `REPORT_SEED`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from lift3d.types import Picture

TUNE_SEED = 1_000_500_000  # the seeds the cutout's constants were chosen on
REPORT_SEED = 1_000_600_000  # the seeds its numbers are reported on
KINDS = ("line", "paper", "photo")
LINE_STYLES = ("outline", "creases", "hatching", "gaps")
PENS = ("pencil", "ballpoint", "marker", "crayon")
BACKDROPS = ("plain", "white-on-white", "low-contrast", "gradient", "texture")
PAPER_TINTS = {
    "white": (0.95, 0.95, 0.93),
    "cream": (0.96, 0.91, 0.80),
    "grey": (0.84, 0.84, 0.83),
    "blue": (0.84, 0.90, 0.97),
    "pink": (0.97, 0.87, 0.89),
    "yellow": (0.98, 0.94, 0.72),
}


@dataclass(frozen=True)
class CutoutCase:
    """One measurement picture and the mask a perfect cutout would find."""

    rgb: np.ndarray  # (H, W, 3) float32 in [0, 1]
    truth: np.ndarray  # (H, W) bool
    kind: str  # line, paper or photo
    variant: str  # how it was drawn or photographed, e.g. "hatching 3px" or "white-on-white"
    seed: int

    @property
    def picture(self) -> Picture:
        return Picture(rgb=self.rgb, alpha=None, source=f"{self.kind} {self.variant} {self.seed}")


@dataclass(frozen=True)
class LineArt:
    """A procedural shape drawn as strokes: ink coverage and the filled silhouette."""

    ink: np.ndarray  # (S, S) float32 in [0, 1]
    truth: np.ndarray  # (S, S) bool
    shading: np.ndarray  # (S, S) float32 Lambert light on the object, 0 off it


def _placed_shape(seed: int):  # noqa: ANN202 - PlacedShape, imported lazily
    from lift3d.data.synth import ATTEMPTS_PER_FAMILY, family_for_seed, placed_shape

    family = family_for_seed(seed)
    for attempt in range(2 * ATTEMPTS_PER_FAMILY):
        try:
            return placed_shape(
                family if attempt < ATTEMPTS_PER_FAMILY else "primitive",
                np.random.default_rng([seed, attempt]),
            )
        except ValueError:
            continue
    raise RuntimeError(f"seed {seed}: no valid shape")


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], smooth_px: float) -> np.ndarray:
    """Smooth noise scaled to [-1, 1]."""
    noise = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), smooth_px)
    return noise / max(float(np.abs(noise).max()), 1e-9)


def _wobble(image: np.ndarray, rng: np.random.Generator, amplitude_px: float) -> np.ndarray:
    """Displace by a smooth random field: an unsteady hand."""
    height, width = image.shape[:2]
    smooth = max(height, width) / 40
    dx = _smooth_field(rng, (height, width), smooth) * amplitude_px
    dy = _smooth_field(rng, (height, width), smooth) * amplitude_px
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    return cv2.remap(
        image.astype(np.float32),
        (cols + dx).astype(np.float32),
        (rows + dy).astype(np.float32),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def line_art(seed: int, size_px: int, style: str, width_px: float, rng: np.random.Generator) -> LineArt:
    """The shape for `seed` drawn in `style` with strokes `width_px` wide (at `size_px`)."""
    from lift3d.data.styles import feature_lines, surface_buffers

    shape = _placed_shape(seed)
    large = 2 * size_px  # drawn at twice the size, then averaged down
    buffers = surface_buffers(shape.placement.vertices, np.asarray(shape.part_mesh.mesh.faces), large)
    mask = buffers.mask
    lines = feature_lines(buffers, creases=style != "outline")
    if style == "outline":  # the silhouette only, no occluding edges inside
        lines = mask & ~ndimage.binary_erosion(mask, border_value=0)
    light_direction = np.array([-0.4, 0.5, 0.77])
    shading = np.clip(buffers.normals @ (light_direction / np.linalg.norm(light_direction)), 0.0, 1.0)
    if style == "gaps":
        rows, cols = np.nonzero(mask & ~ndimage.binary_erosion(mask, border_value=0))
        extent = max(np.ptp(rows), np.ptp(cols)) + 1
        rows_grid, cols_grid = np.mgrid[0:large, 0:large]
        for _ in range(int(rng.integers(1, 4))):
            pick = int(rng.integers(len(rows)))
            radius = rng.uniform(0.01, 0.025) * extent
            lines &= np.hypot(rows_grid - rows[pick], cols_grid - cols[pick]) > radius
    strokes = (ndimage.distance_transform_edt(~lines) <= width_px).astype(np.float32)
    if style == "hatching":
        angle = rng.uniform(0, np.pi)
        spacing = 2 * rng.uniform(5, 10)
        rows_grid, cols_grid = np.mgrid[0:large, 0:large]
        phase = (rows_grid * np.cos(angle) + cols_grid * np.sin(angle)) % spacing
        hatch = mask & (shading < rng.uniform(0.35, 0.6)) & (phase < 1.6)
        hatch &= ndimage.binary_erosion(mask, iterations=3)
        strokes = np.maximum(strokes, 0.8 * hatch)
    strokes = np.clip(_wobble(strokes, rng, rng.uniform(0.0, 2.0)), 0.0, 1.0)

    def down(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image.astype(np.float32), (size_px, size_px), interpolation=cv2.INTER_AREA)

    return LineArt(ink=down(strokes), truth=down(mask) >= 0.5, shading=down(shading * mask))


def line_case(seed: int) -> CutoutCase:
    """A line drawing on white at 256 px in one of LINE_STYLES, strokes 1-6 px."""
    rng = np.random.default_rng([seed, 101])
    style = LINE_STYLES[seed % len(LINE_STYLES)]
    width = int(rng.integers(1, 7))
    art = line_art(seed, 256, style, width - 0.5, rng)
    paper = 1.0 - rng.uniform(0.0, 0.03)
    darkness = rng.uniform(0.7, 1.0)
    grey = paper * (1.0 - art.ink * darkness)
    rgb = np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
    return CutoutCase(rgb=rgb, truth=art.truth, kind="line", variant=f"{style} {width}px", seed=seed)


def _pen(rng: np.random.Generator, kind: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A pen's colour (what it lets through, per channel) and its coverage texture."""
    if kind == "pencil":
        colour = np.full(3, rng.uniform(0.3, 0.5))
        texture = 0.55 + 0.45 * np.clip(0.5 + 0.5 * _smooth_field(rng, shape, 1.0), 0, 1)
    elif kind == "ballpoint":
        colour = np.array([0.15, 0.2, 0.55]) if rng.random() < 0.6 else np.full(3, 0.15)
        texture = 0.8 + 0.2 * np.clip(0.5 + 0.5 * _smooth_field(rng, shape, 2.0), 0, 1)
    elif kind == "marker":
        colour = np.full(3, 0.06) if rng.random() < 0.7 else rng.uniform(0.05, 0.45, 3)
        texture = np.ones(shape)
    else:  # crayon: waxy, coloured, skips on the paper's grain
        colour = rng.uniform(0.05, 0.6, 3)
        colour[rng.integers(3)] = rng.uniform(0.05, 0.2)
        texture = np.clip(0.3 + 0.9 * (0.5 + 0.5 * _smooth_field(rng, shape, 0.8)), 0, 1)
    return colour.astype(np.float32), texture.astype(np.float32)


def _homography(
    rng: np.random.Generator, sheet_size: tuple[int, int], frame: tuple[int, int], fill: float
) -> np.ndarray:
    """Where a sheet lands in a phone photo: scaled, turned, seen a little from the side."""
    sheet_h, sheet_w = sheet_size
    frame_h, frame_w = frame
    scale = fill * min(frame_h / sheet_h, frame_w / sheet_w)
    angle = np.radians(rng.uniform(-12, 12))
    corners = np.array([[0, 0], [sheet_w, 0], [sheet_w, sheet_h], [0, sheet_h]], np.float64)
    centred = (corners - [sheet_w / 2, sheet_h / 2]) * scale
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    placed = centred @ rotation.T + [frame_w / 2, frame_h / 2]
    placed += rng.uniform(-0.05, 0.05, 2) * [frame_w, frame_h]
    # perspective: one side of the sheet nearer the camera than the other
    squeeze = rng.uniform(0.0, 0.12)
    side = int(rng.integers(4))
    pair = [side, (side + 1) % 4]
    centre = placed.mean(axis=0)
    placed[pair] = centre + (placed[pair] - centre) * (1 - squeeze)
    placed += rng.normal(0, 0.01 * scale * sheet_w, placed.shape)
    return cv2.getPerspectiveTransform(corners.astype(np.float32), placed.astype(np.float32))


def _table(rng: np.random.Generator, frame: tuple[int, int]) -> tuple[np.ndarray, str]:
    height, width = frame
    kind = ["wood", "grey", "dark", "white", "cloth"][int(rng.integers(5))]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "wood":
        base = np.array([0.55, 0.36, 0.2]) * rng.uniform(0.7, 1.2)
        grain = 0.12 * np.sin(rows / rng.uniform(6, 15) + 3 * _smooth_field(rng, frame, 30))
        table = base * (1 + grain[..., None])
    elif kind == "grey":
        table = (
            np.full((height, width, 3), rng.uniform(0.35, 0.6))
            + 0.03 * _smooth_field(rng, frame, 8)[..., None]
        )
    elif kind == "dark":
        table = np.full((height, width, 3), rng.uniform(0.08, 0.2)) * rng.uniform(0.8, 1.2, 3)
    elif kind == "white":
        table = np.full((height, width, 3), rng.uniform(0.75, 0.88)) * rng.uniform(0.96, 1.04, 3)
    else:
        colours = rng.uniform(0.2, 0.8, (2, 3))
        period = rng.uniform(12, 30)
        stripes = ((np.floor(rows / period) + np.floor(cols / period)) % 2)[..., None]
        table = colours[0] * stripes + colours[1] * (1 - stripes)
    table = table + rng.normal(0, 0.01, (height, width, 3))
    return np.clip(table, 0, 1).astype(np.float32), kind


def paper_case(seed: int) -> CutoutCase:
    """A line drawing (pencil, ballpoint, marker or crayon, sometimes coloured in) photographed on paper."""
    rng = np.random.default_rng([seed, 202])
    style = LINE_STYLES[seed % len(LINE_STYLES)]
    pen = PENS[(seed // len(LINE_STYLES)) % len(PENS)]
    art_px = 512
    # the sheet: the drawing somewhere on it, with a margin; and where it lands in the photo
    portrait = rng.random() < 0.6
    long_side, short_side = int(art_px * rng.uniform(1.5, 1.9)), int(art_px * rng.uniform(1.1, 1.3))
    sheet_h, sheet_w = (long_side, short_side) if portrait else (short_side, long_side)
    frame = (768, 1024) if rng.random() < 0.5 else (1024, 768)
    fill = rng.uniform(0.75, 1.25) if rng.random() < 0.3 else rng.uniform(0.55, 0.92)
    photo_scale = fill * min(frame[0] / sheet_h, frame[1] / sheet_w)
    # a pen's line is at least about a pixel and a half wide in the photo, as in a phone photo of a page
    stroke = {"pencil": 1.5, "ballpoint": 1.5, "marker": 4.0, "crayon": 3.5}[pen] * rng.uniform(0.7, 1.4)
    art = line_art(seed, art_px, style, max(stroke, 0.8 / photo_scale), rng)
    top = int(rng.integers(0, sheet_h - art_px + 1))
    left = int(rng.integers(0, sheet_w - art_px + 1))
    tint_name = list(PAPER_TINTS)[int(rng.choice(len(PAPER_TINTS), p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1]))]
    tint = np.asarray(PAPER_TINTS[tint_name], np.float32)
    grain = 0.015 * _smooth_field(rng, (sheet_h, sheet_w), 0.7) + 0.02 * _smooth_field(
        rng, (sheet_h, sheet_w), 25
    )
    sheet = tint * (1 + grain[..., None])
    ink = np.zeros((sheet_h, sheet_w), np.float32)
    ink[top : top + art_px, left : left + art_px] = art.ink
    truth = np.zeros((sheet_h, sheet_w), bool)
    truth[top : top + art_px, left : left + art_px] = art.truth
    filled = rng.random() < 0.35
    if filled:  # coloured in with a crayon, roughly, a little short of the lines
        fill_colour, fill_texture = _pen(rng, "crayon", (sheet_h, sheet_w))
        fill_colour = np.clip(fill_colour + 0.35, 0, 1)
        inside = ndimage.binary_erosion(truth, iterations=int(rng.integers(1, 5))).astype(np.float32)
        inside = cv2.GaussianBlur(inside, (0, 0), 1.0) * fill_texture
        sheet = sheet * (1 - inside[..., None] * (1 - fill_colour))
    colour, texture = _pen(rng, pen, (sheet_h, sheet_w))
    coverage = np.clip(ink * texture * rng.uniform(0.75, 1.0), 0, 1)[..., None]
    sheet = sheet * (1 - coverage * (1 - colour))

    # the photograph: the sheet on a table, light falling off, a shadow, a phone camera
    homography = _homography(rng, (sheet_h, sheet_w), frame, fill)
    size = (frame[1], frame[0])
    sheet_alpha = cv2.warpPerspective(
        np.ones((sheet_h, sheet_w), np.float32), homography, size, flags=cv2.INTER_LINEAR
    )
    warped = cv2.warpPerspective(sheet.astype(np.float32), homography, size, flags=cv2.INTER_LINEAR)
    warped_truth = (
        cv2.warpPerspective(truth.astype(np.float32), homography, size, flags=cv2.INTER_LINEAR) >= 0.5
    )
    table, table_kind = _table(rng, frame)
    sheet_shadow = cv2.GaussianBlur(np.roll(sheet_alpha, (4, 3), axis=(0, 1)), (0, 0), 4.0)
    table *= (1 - 0.35 * sheet_shadow)[..., None]
    photo = warped * sheet_alpha[..., None] + table * (1 - sheet_alpha[..., None])

    rows, cols = np.mgrid[0 : frame[0], 0 : frame[1]].astype(np.float32)
    u, v = cols / frame[1] - 0.5, rows / frame[0] - 0.5
    direction = rng.uniform(-1, 1, 2)
    light = 1.0 + rng.uniform(0.1, 0.35) * (direction[0] * u + direction[1] * v)
    light *= 1.0 - rng.uniform(0.0, 0.45) * (u * u + v * v) / 0.5
    shadowed = rng.random() < 0.6
    if shadowed:  # a hand or a phone between the lamp and the page
        centre = rng.uniform(0, 1, 2) * [frame[1], frame[0]]
        axes = rng.uniform(0.15, 0.4, 2) * max(frame)
        blob = ((cols - centre[0]) / axes[0]) ** 2 + ((rows - centre[1]) / axes[1]) ** 2 <= 1
        soft = cv2.GaussianBlur(blob.astype(np.float32), (0, 0), rng.uniform(5, 30))
        light *= 1 - rng.uniform(0.2, 0.45) * soft
    white_balance = rng.uniform(0.93, 1.07, 3).astype(np.float32)
    photo = photo * light[..., None] * white_balance * rng.uniform(0.85, 1.1)
    photo = cv2.GaussianBlur(photo.astype(np.float32), (0, 0), rng.uniform(0.4, 1.2))
    photo = photo + rng.normal(0, rng.uniform(0.005, 0.02), photo.shape)
    rgb = _jpeg(np.clip(photo, 0, 1), int(rng.integers(55, 92)))
    variant = (
        f"{pen} {style}"
        + (" filled" if filled else "")
        + (" shadow" if shadowed else "")
        + f" {tint_name} paper on {table_kind}"
    )
    return CutoutCase(rgb=rgb, truth=warped_truth, kind="paper", variant=variant, seed=seed)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """The picture after a round trip through JPEG at `quality`."""
    image = np.round(rgb * 255).astype(np.uint8)[..., ::-1]
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert ok and decoded is not None
    return (decoded[..., ::-1].astype(np.float32) / 255.0).copy()


def photo_case(seed: int) -> CutoutCase:
    """A rendered object photographed on a hard backdrop (one of BACKDROPS)."""
    from lift3d.data.synth import generate_sample

    rng = np.random.default_rng([seed, 303])
    backdrop_kind = BACKDROPS[seed % len(BACKDROPS)]
    sample = generate_sample(seed, size=320)
    rgba = sample.rgba.astype(np.float32) / 255.0
    frame = (480, 640) if rng.random() < 0.5 else (640, 480)
    canvas_rgb = np.zeros((*frame, 3), np.float32)
    canvas_alpha = np.zeros(frame, np.float32)
    top = int(rng.integers(0, frame[0] - 320 + 1))
    left = int(rng.integers(0, frame[1] - 320 + 1))
    canvas_rgb[top : top + 320, left : left + 320] = rgba[..., :3]
    canvas_alpha[top : top + 320, left : left + 320] = rgba[..., 3]
    rows, cols = np.mgrid[0 : frame[0], 0 : frame[1]].astype(np.float32)
    u, v = cols / frame[1] - 0.5, rows / frame[0] - 0.5
    obj = canvas_rgb
    if backdrop_kind == "white-on-white":
        lum = obj @ np.array([0.299, 0.587, 0.114], np.float32)
        lum = lum / max(float(lum[canvas_alpha > 0.5].max()) if (canvas_alpha > 0.5).any() else 1.0, 1e-6)
        obj = (0.72 + 0.26 * lum)[..., None] * rng.uniform(0.97, 1.01, 3).astype(np.float32)
        backdrop = np.full(3, rng.uniform(0.86, 0.95)) * rng.uniform(0.98, 1.02, 3)
        field = backdrop * (1 + 0.05 * (u + v))[..., None]
    elif backdrop_kind == "low-contrast":
        mean = obj[canvas_alpha > 0.5].mean(axis=0) if (canvas_alpha > 0.5).any() else np.full(3, 0.5)
        backdrop = np.clip(mean * rng.uniform(0.8, 1.2) + rng.uniform(-0.06, 0.06, 3), 0.05, 0.95)
        field = backdrop * (1 + 0.06 * v)[..., None]
    elif backdrop_kind == "gradient":
        start, end = rng.uniform(0.2, 0.95, (2, 3))
        angle = rng.uniform(0, 2 * np.pi)
        t = np.clip(0.5 + (u * np.cos(angle) + v * np.sin(angle)), 0, 1)[..., None]
        field = start * (1 - t) + end * t
    elif backdrop_kind == "texture":
        field, _ = _table(rng, frame)
    else:
        backdrop = rng.uniform(0.7, 0.97) * np.ones(3) + rng.uniform(-0.05, 0.05, 3)
        field = backdrop * (0.95 + 0.08 * (v + 0.5))[..., None]
    field = np.asarray(field, np.float32) * np.ones((*frame, 1), np.float32)
    shadow = cv2.GaussianBlur(
        np.roll(canvas_alpha, (int(rng.integers(3, 12)), int(rng.integers(-8, 9))), axis=(0, 1)),
        (0, 0),
        rng.uniform(3, 10),
    )
    field = field * (1 - rng.uniform(0.1, 0.35) * shadow)[..., None]
    photo = obj * canvas_alpha[..., None] + field * (1 - canvas_alpha[..., None])
    photo = photo + rng.normal(0, rng.uniform(0.004, 0.015), photo.shape)
    rgb = _jpeg(np.clip(photo, 0, 1), int(rng.integers(70, 95)))
    return CutoutCase(rgb=rgb, truth=canvas_alpha >= 0.5, kind="photo", variant=backdrop_kind, seed=seed)


def measurement_case(kind: str, seed: int) -> CutoutCase:
    """The measurement picture of `kind` for `seed`: same seed, same picture."""
    makers = {"line": line_case, "paper": paper_case, "photo": photo_case}
    if kind not in makers:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return makers[kind](seed)

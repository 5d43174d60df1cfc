"""Pictures holding several views or frames: orthographic sheets, sprite sheets, animated pictures, folders.

Orthographic sheets follow the two drawing conventions. Third-angle (ASME, the default
for three separate files): the front view at the bottom left, the view from above
placed above it, the view from the right placed to its right. First-angle (ISO): the
front view at the top left, the view from above placed below it, the view from the
left placed to its right. In both, the view from above is drawn the way it is seen
(the object's front toward the bottom of the sheet), and each view is a filled
silhouette or a shaded render, not line art: holes must show the background.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from lift3d.errors import InputError, OptionError
from lift3d.inputs.read import DEFAULT_MAX_PIXELS, WORKING_SIDE_PX, read_picture
from lift3d.inputs.segment import find_object, has_cutout_alpha
from lift3d.types import Picture

PROJECTIONS = ("auto", "third-angle", "first-angle")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif")
# Holes smaller than this share of a view are specks (noise, glare); larger ones are
# drilled holes and slots, which a part drawing must keep.
MAX_SPECK_HOLE_FRACTION = 0.0005
# Marks smaller than this share of a sheet are dust or stray pixels, not views or sprites.
MIN_MARK_FRACTION = 0.0002
# A plain backdrop pixel differs from the backdrop's colour by less than this (RGB in [0, 1]).
BACKDROP_DISTANCE = 0.1
# Decoded pixels all the frames of one animation may hold together (float RGB + alpha, 16 bytes
# each: 384 MB). Frames are shrunk to share it, so 250 frames of 690 x 690 in a 630 KB GIF
# (3.4 GB decoded at full size) or a folder of 200 big pictures stay within it.
FRAMES_BUDGET_PX = 24_000_000
MIN_FRAME_SIDE_PX = 64
# Two views share a projection line when their extents along it overlap this much.
MIN_ALIGNED_OVERLAP = 0.5


@dataclass(frozen=True)
class OrthoViews:
    """The three views of an orthographic drawing, their object masks and how they were drawn."""

    front: Picture
    top: Picture
    side: Picture
    front_mask: np.ndarray  # (H, W) bool, in the front picture
    top_mask: np.ndarray
    side_mask: np.ndarray
    side_from: str  # "right": seen from +x; "left": seen from -x
    shared_scale: bool  # drawn at one scale (one sheet), so shared extents match in pixels
    projection: str  # third-angle or first-angle, as given or detected


def side_seen_from(projection: str, placed_right: bool = True) -> str:
    """Third-angle draws a view where it was seen from; first-angle on the opposite side."""
    if projection == "first-angle":
        return "left" if placed_right else "right"
    return "right" if placed_right else "left"


def sheet_mask(picture: Picture) -> np.ndarray:
    """Everything drawn on a sheet: alpha, or what differs from the plain backdrop.

    Unlike `find_object`, small separate marks (a thin side view) and holes (drilled
    holes) are kept; only dust and pinholes are dropped.
    """
    if picture.alpha is not None and has_cutout_alpha(picture):
        mask = picture.alpha >= 0.5
    else:
        height, width = picture.rgb.shape[:2]
        band = max(1, round(0.01 * min(height, width)))
        border = np.concatenate(
            [
                picture.rgb[:band].reshape(-1, 3),
                picture.rgb[-band:].reshape(-1, 3),
                picture.rgb[:, :band].reshape(-1, 3),
                picture.rgb[:, -band:].reshape(-1, 3),
            ]
        )
        backdrop = np.median(border, axis=0)
        mask = np.linalg.norm(picture.rgb - backdrop, axis=-1) > BACKDROP_DISTANCE
    return _drop_specks(mask, MIN_MARK_FRACTION * mask.size)


def view_mask(picture: Picture) -> np.ndarray:
    """The object of a picture holding one view, keeping its drilled holes."""
    return find_object(picture, max_hole_fraction=MAX_SPECK_HOLE_FRACTION)


def _drop_specks(mask: np.ndarray, min_area: float) -> np.ndarray:
    """Drop components and fill holes smaller than `min_area` pixels."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= min_area)
    mask = np.isin(labels, keep[keep > 0])
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < min_area)
    return mask | np.isin(labels, small)


def group_marks(mask: np.ndarray, groups: int) -> list[np.ndarray]:
    """Split a sheet's marks into `groups` clusters, merging marks closer than clusters are apart.

    The smallest merging distance that leaves at most `groups` clusters is found by
    bisection on the background's distance to the marks; raises InputError when the
    count never equals `groups` (a sheet with too few or ambiguous drawings).
    """
    if not mask.any():
        raise InputError("the sheet is empty")
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)

    def clusters(radius: float) -> tuple[int, np.ndarray]:
        count, labels = cv2.connectedComponents(
            (mask | (distance <= radius)).astype(np.uint8), connectivity=8
        )
        return count - 1, labels

    count, labels = clusters(0.0)
    low, high = 0.0, float(max(mask.shape))
    if count > groups:
        for _ in range(20):
            middle = 0.5 * (low + high)
            if clusters(middle)[0] > groups:
                low = middle
            else:
                high = middle
        count, labels = clusters(high)
    if count != groups:
        raise InputError(f"found {count} separate drawings on the sheet, expected {groups}")
    return [mask & (labels == label) for label in range(1, groups + 1)]


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _overlap(low_a: int, high_a: int, low_b: int, high_b: int) -> float:
    """Overlap of two intervals as a share of the shorter one."""
    shorter = max(1, min(high_a - low_a, high_b - low_b))
    return max(0, min(high_a, high_b) - max(low_a, low_b)) / shorter


def split_ortho_sheet(picture: Picture, projection: str = "auto") -> OrthoViews:
    """Find the front, top and side views on one sheet and which convention placed them.

    The front view is the one sharing columns with one view (the top) and rows with the
    other (the side). A top view above the front means third-angle, below it
    first-angle; an explicit `projection` overrides what the layout suggests.
    """
    if projection not in PROJECTIONS:
        raise OptionError(f"projection must be one of {', '.join(PROJECTIONS)}, got {projection!r}")
    groups = group_marks(sheet_mask(picture), 3)
    boxes = [_box(group) for group in groups]
    candidates = []
    for front in range(3):
        others = [index for index in range(3) if index != front]
        for top, side in (others, others[::-1]):
            fx0, fy0, fx1, fy1 = boxes[front]
            columns = _overlap(fx0, fx1, boxes[top][0], boxes[top][2])
            rows = _overlap(fy0, fy1, boxes[side][1], boxes[side][3])
            if columns >= MIN_ALIGNED_OVERLAP and rows >= MIN_ALIGNED_OVERLAP:
                candidates.append((front, top, side))
    if len(candidates) != 1:
        raise InputError(
            f"cannot tell the views apart on {picture.source}: expected a front view with the top view "
            "straight above or below it and the side view straight beside it"
        )
    roles = candidates[0]
    front, top, side = roles
    top_above = boxes[top][1] + boxes[top][3] < boxes[front][1] + boxes[front][3]
    detected = "third-angle" if top_above else "first-angle"
    resolved = detected if projection == "auto" else projection
    placed_right = boxes[side][0] + boxes[side][2] > boxes[front][0] + boxes[front][2]
    crops = [
        _crop(picture, groups[index], boxes[index], role)
        for index, role in zip(roles, ("front", "top", "side"), strict=True)
    ]
    return OrthoViews(
        front=crops[0][0],
        top=crops[1][0],
        side=crops[2][0],
        front_mask=crops[0][1],
        top_mask=crops[1][1],
        side_mask=crops[2][1],
        side_from=side_seen_from(resolved, placed_right),
        shared_scale=True,
        projection=resolved,
    )


def _crop(
    picture: Picture, mask: np.ndarray, box: tuple[int, int, int, int], role: str
) -> tuple[Picture, np.ndarray]:
    """The view's part of the sheet with a small margin, and its own marks only."""
    height, width = mask.shape
    margin = 2
    x0, y0 = max(0, box[0] - margin), max(0, box[1] - margin)
    x1, y1 = min(width, box[2] + margin), min(height, box[3] + margin)
    alpha = None if picture.alpha is None else picture.alpha[y0:y1, x0:x1]
    view = Picture(rgb=picture.rgb[y0:y1, x0:x1], alpha=alpha, source=f"{picture.source} ({role} view)")
    return view, mask[y0:y1, x0:x1]


def read_ortho_views(
    source: str | os.PathLike | Picture | Sequence[str | os.PathLike | Picture], projection: str = "auto"
) -> OrthoViews:
    """One sheet, or three pictures in the order front, side, top.

    Three separate pictures may be drawn at different scales; `auto` then reads the
    side view as seen from the right (third-angle).
    """
    if projection not in PROJECTIONS:
        raise OptionError(f"projection must be one of {', '.join(PROJECTIONS)}, got {projection!r}")
    if isinstance(source, str | os.PathLike | Picture):
        return split_ortho_sheet(_as_picture(source), projection)
    items = list(source)
    if len(items) == 1:
        return split_ortho_sheet(_as_picture(items[0]), projection)
    if len(items) != 3:
        raise InputError(f"ortho needs one sheet or three pictures (front, side, top), got {len(items)}")
    front, side, top = (_as_picture(item) for item in items)
    resolved = "third-angle" if projection == "auto" else projection
    return OrthoViews(
        front=front,
        top=top,
        side=side,
        front_mask=view_mask(front),
        top_mask=view_mask(top),
        side_mask=view_mask(side),
        side_from=side_seen_from(resolved),
        shared_scale=False,
        projection=resolved,
    )


def _as_picture(item: str | os.PathLike | Picture) -> Picture:
    return item if isinstance(item, Picture) else read_picture(item)


# --- frames of an animation -------------------------------------------------------------


def parse_grid(text: str) -> tuple[int, int]:
    """A sprite-sheet grid written 'COLUMNSxROWS', e.g. '4x3'."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX*,]\s*(\d+)\s*", text)
    if not match:
        raise OptionError(f"a grid is written COLUMNSxROWS, e.g. 4x3; got {text!r}")
    return check_grid((int(match.group(1)), int(match.group(2))))


def check_grid(grid: tuple[int, int]) -> tuple[int, int]:
    columns, rows = grid
    if not (1 <= columns <= 256 and 1 <= rows <= 256):
        raise OptionError(f"a sprite grid needs 1 to 256 columns and rows, got {columns}x{rows}")
    return columns, rows


def read_frames(
    source: str | os.PathLike,
    grid: tuple[int, int] | None = None,
    max_frames: int = 256,
    budget_px: int = FRAMES_BUDGET_PX,
) -> list[Picture]:
    """The frames of a folder of pictures (natural name order), an animated picture or a sprite sheet.

    Frames of a folder or an animation are shrunk so that together they hold at most `budget_px` pixels.
    """
    path = Path(source)
    if path.is_dir():
        frames = _read_folder(path, max_frames, budget_px)
    elif _frame_count(path) > 1:
        frames = read_animation_frames(path, max_frames=max_frames, budget_px=budget_px)
    else:
        frames = split_sprite_sheet(read_picture(path), grid)
    if len(frames) > max_frames:
        raise InputError(f"{source} holds {len(frames)} frames, more than the {max_frames} allowed")
    return frames


def frame_side_px(count: int, budget_px: int = FRAMES_BUDGET_PX) -> int:
    """The longest side each of `count` frames may keep so that all fit in `budget_px` pixels."""
    return max(MIN_FRAME_SIDE_PX, min(WORKING_SIDE_PX, math.isqrt(budget_px // max(count, 1))))


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _read_folder(folder: Path, max_frames: int, budget_px: int) -> list[Picture]:
    files = sorted(
        (file for file in folder.iterdir() if file.is_file() and file.suffix.lower() in PICTURE_SUFFIXES),
        key=_natural_key,
    )
    if len(files) > max_frames:  # counted before decoding any: each could be a big picture
        raise InputError(f"{folder} holds {len(files)} frames, more than the {max_frames} allowed")
    side_px = frame_side_px(len(files), budget_px)
    frames = [read_picture(file, max_side_px=side_px) for file in files]
    sizes = {frame.rgb.shape[:2] for frame in frames}
    if len(sizes) > 1:
        raise InputError(f"the frames in {folder} differ in size ({len(sizes)} sizes); they must share one")
    return frames


def _frame_count(path: Path) -> int:
    """How many frames an animated picture holds; 1 for a still (or anything the reader must judge)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return int(getattr(image, "n_frames", 1))
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return 1  # read_picture then refuses it with its own reason


def read_animation_frames(
    path: str | os.PathLike,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_frames: int = 256,
    budget_px: int = FRAMES_BUDGET_PX,
) -> list[Picture]:
    """Every frame of an animated GIF, WebP or PNG, composited as a player shows it.

    Frames are shrunk to share `budget_px` pixels, each while still 8-bit.
    """
    source = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
        with image:
            count = int(getattr(image, "n_frames", 1))
            if count > max_frames:
                raise InputError(f"{source} holds {count} frames, more than the {max_frames} allowed")
            if image.width * image.height * count > max_pixels:
                raise InputError(
                    f"cannot read {source}: {count} frames of {image.width}x{image.height} exceed "
                    f"{max_pixels} pixels in all"
                )
            side_px = frame_side_px(count, budget_px)
            frames = []
            for index in range(count):
                image.seek(index)
                frame = image.convert("RGBA")
                frame.thumbnail((side_px, side_px), Image.Resampling.LANCZOS, reducing_gap=3.0)
                rgba = np.asarray(frame, dtype=np.float32) / 255.0
                alpha = rgba[..., 3].copy() if (rgba[..., 3] < 1.0).any() else None
                frames.append(
                    Picture(rgb=rgba[..., :3].copy(), alpha=alpha, source=f"{source} [frame {index}]")
                )
    except Image.DecompressionBombError:
        raise InputError(
            f"cannot read {source}: the picture declares too many pixels (refusing a possible decompression bomb)"
        ) from None
    except (OSError, UnidentifiedImageError, ValueError, EOFError) as error:
        raise InputError(f"cannot read the frames of {source}: {error}") from None
    return frames


def split_sprite_sheet(picture: Picture, grid: tuple[int, int] | None = None) -> list[Picture]:
    """Cut a sheet into equal cells, in reading order, dropping empty cells.

    Without `grid` the grid is detected from the empty rows and columns between sprites:
    the number of bands of drawn rows, and the largest number of bands of drawn columns
    within one of them. Every sprite must then fall inside one cell of that grid.
    """
    mask = sheet_mask(picture)
    if not mask.any():
        raise InputError(f"no sprites found on {picture.source}")
    height, width = mask.shape
    columns, rows = check_grid(grid) if grid is not None else _detect_grid(mask, picture.source)
    cell_w, cell_h = width // columns, height // rows
    if cell_w < 4 or cell_h < 4:
        raise InputError(f"a {columns}x{rows} grid leaves cells under 4 pixels on {picture.source}")
    frames: list[Picture] = []
    for row in range(rows):
        for column in range(columns):
            y0, x0 = row * cell_h, column * cell_w
            cell = mask[y0 : y0 + cell_h, x0 : x0 + cell_w]
            if cell.sum() < MIN_MARK_FRACTION * mask.size:
                continue
            alpha = None if picture.alpha is None else picture.alpha[y0 : y0 + cell_h, x0 : x0 + cell_w]
            frames.append(
                Picture(
                    rgb=picture.rgb[y0 : y0 + cell_h, x0 : x0 + cell_w],
                    alpha=alpha,
                    source=f"{picture.source} [frame {len(frames)}]",
                )
            )
    return frames


def _bands(drawn: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True as (start, stop)."""
    padded = np.concatenate([[False], np.asarray(drawn, dtype=bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _detect_grid(mask: np.ndarray, source: str) -> tuple[int, int]:
    height, width = mask.shape
    row_bands = _bands(np.any(mask, axis=1))
    column_bands = [_bands(np.any(mask[start:stop], axis=0)) for start, stop in row_bands]
    rows, columns = len(row_bands), max(len(bands) for bands in column_bands)
    cell_w, cell_h = width // columns, height // rows
    inside = all(start // cell_h == (stop - 1) // cell_h for start, stop in row_bands) and all(
        start // cell_w == (stop - 1) // cell_w for bands in column_bands for start, stop in bands
    )
    if not inside:
        raise InputError(f"cannot detect the sprite grid of {source}; give it as COLUMNSxROWS")
    return columns, rows

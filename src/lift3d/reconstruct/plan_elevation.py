"""An elevation drawing of a plan's facade -> the heights of its walls, doors and windows.

The drawing is the facade seen square on, as outlines: the building's outline standing on
its ground line, doors (openings that reach the ground) and windows (that do not) drawn
inside it. It has no scale of its own: the facade is as wide as the plan along X, which
the plan already measured, so metres per pixel come from the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lift3d.errors import InputError
from lift3d.types import Picture

DOOR_GROUND_SHARE = 0.03  # an opening whose bottom is this near the ground (share of the height) is a door
MIN_OPENING_SHARE = 0.002  # of the facade's area; smaller closed shapes are hatching or text


@dataclass(frozen=True)
class ElevationHeights:
    """Heights in metres read from an elevation; None where the drawing shows no such opening."""

    wall_m: float
    door_m: float | None
    window_sill_m: float | None
    window_top_m: float | None


def read_elevation(picture: Picture, facade_width_m: float) -> ElevationHeights:
    """Measure the facade outline and the openings inside it; InputError when no facade is drawn."""
    grey = picture.rgb.mean(axis=2)
    ink = (grey < 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes = sorted((cv2.boundingRect(contour) for contour in contours), key=lambda box: -box[2] * box[3])
    if not boxes or boxes[0][2] < 0.2 * ink.shape[1] or boxes[0][3] < 0.1 * ink.shape[0]:
        raise InputError(f"no facade outline found in the elevation {picture.source}")
    left, top, width, height = boxes[0]
    # Measure between the centres of the strokes: the outline's own thickness, read at its left side.
    row = ink[top + height // 2, left:]
    stroke = int(np.argmin(row)) if not row.all() else 1
    ground = top + height - stroke / 2
    m_per_px = facade_width_m / (width - stroke)
    openings: list[tuple[int, int, int, int]] = []
    for x, y, w, h in boxes[1:]:
        inside = left < x and x + w < left + width and top < y and y + h <= top + height
        if not inside or w * h < MIN_OPENING_SHARE * width * height or w * h > 0.5 * width * height:
            continue
        # An outline's inner and outer edges are two contours: keep the outer one only.
        if any(x >= ox and y >= oy and x + w <= ox + ow and y + h <= oy + oh for ox, oy, ow, oh in openings):
            continue
        openings.append((x, y, w, h))
    near_ground = DOOR_GROUND_SHARE * height
    # A door's outline is joined to the ground line, so its contour is the hole inside it.
    door_tops = [ground - (y - stroke / 2) for _, y, _, h in openings if ground - (y + h) <= near_ground]
    windows = [
        (ground - (y + h - stroke / 2), ground - (y + stroke / 2))
        for _, y, _, h in openings
        if ground - (y + h) > near_ground
    ]

    def metres(values: list[float]) -> float | None:
        return round(float(np.median(values)) * m_per_px, 3) if values else None

    return ElevationHeights(
        wall_m=round((height - stroke) * m_per_px, 3),
        door_m=metres(door_tops),
        window_sill_m=metres([sill for sill, _ in windows]),
        window_top_m=metres([top_px for _, top_px in windows]),
    )

"""Held-out synthetic plans converted once per session, and analytic plans drawn in code."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from lift3d.data.plans import HELDOUT_PLAN_SEED, PlanDrawing, generate_plan
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan
from lift3d.types import Picture

# Tuning used seeds below 1000; these are never looked at while tuning.
HELDOUT_SEEDS = (HELDOUT_PLAN_SEED, HELDOUT_PLAN_SEED + 1, HELDOUT_PLAN_SEED + 2)


@dataclass
class Converted:
    drawing: PlanDrawing
    result: PlanResult


@pytest.fixture(scope="session")
def heldout() -> list[Converted]:
    """Held-out plans converted at their true scale."""
    converted = []
    for seed in HELDOUT_SEEDS:
        drawing = generate_plan(seed)
        converted.append(
            Converted(drawing, convert_plan(drawing.picture(), PlanOptions(scale_m_per_px=drawing.m_per_px)))
        )
    return converted


def draw_walls(shape: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """White paper with black filled (x0, y0, x1, y1) boxes, as float RGB."""
    image = np.ones((*shape, 3), dtype=np.float32)
    for x0, y0, x1, y1 in boxes:
        image[y0:y1, x0:x1] = 0.0
    return image


def door_in_top_wall(image: np.ndarray, wall: tuple[int, int], gap: tuple[int, int]) -> None:
    """Cut a door gap (columns [gap)) into the horizontal wall on rows [wall); draw leaf and swing below."""
    top, bottom = wall
    start, end = gap
    image[top:bottom, start:end] = 1.0
    width = end - start
    cv2.line(image, (start, bottom), (start, bottom + width), (0, 0, 0), 1, cv2.LINE_AA)
    cv2.ellipse(image, (start, bottom), (width, width), 0, 0, 90, (0, 0, 0), 1, cv2.LINE_AA)


def l_shaped_plan(thickness: int = 10) -> Picture:
    """An L-shaped house of two rooms: a wide room above, a narrow one below on the left, one door between.

    The door is in the wall between the rooms, 40-100 px from the left; the outer walls
    are closed. 600 x 500 px.
    """
    t = thickness
    boxes = [
        (50, 50, 550, 50 + t),  # top
        (50, 50, 50 + t, 450),  # left
        (550 - t, 50, 550, 250 + t),  # right of the wide room
        (50, 250, 550, 250 + t),  # between the rooms, and the wide room's bottom
        (290, 250, 290 + t, 450),  # right of the narrow room
        (50, 450 - t, 290 + t, 450),  # bottom
    ]
    image = draw_walls((500, 600), boxes)
    door_in_top_wall(image, (250, 250 + t), (100, 160))
    return Picture(rgb=image, alpha=None, source="l-shaped plan")

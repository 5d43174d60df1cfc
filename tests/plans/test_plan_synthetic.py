"""The synthetic plan generator: deterministic, and its ground truth agrees with its pixels."""

from __future__ import annotations

import numpy as np
import pytest

from lift3d.data.plans import PlanDrawingOptions, generate_plan
from lift3d.errors import OptionError


def test_same_seed_same_drawing() -> None:
    first, second = generate_plan(3), generate_plan(3)
    assert np.array_equal(first.rgb, second.rgb)
    assert first.openings == second.openings and first.rooms == second.rooms
    assert not np.array_equal(first.rgb[:100, :100], generate_plan(4).rgb[:100, :100])


def test_ground_truth_is_consistent_with_itself() -> None:
    drawing = generate_plan(11)
    assert drawing.doors and drawing.windows and len(drawing.rooms) >= 3
    # Openings are gaps in the drawn walls and part of the closed footprint.
    assert np.all(drawing.footprint_mask[drawing.wall_mask])
    for opening in drawing.openings:
        x, y = (int(value) for value in opening.centre_px)
        assert drawing.footprint_mask[y, x] and not drawing.wall_mask[y, x]
    # Rooms are clear floor: never under a wall, areas add up to their pixels.
    assert not np.any(drawing.room_labels[drawing.footprint_mask])
    for room in drawing.rooms:
        pixels = np.count_nonzero(drawing.room_labels == room.index)
        assert room.area_m2 == pytest.approx(pixels * drawing.m_per_px**2)
    # Walls are drawn dark, paper light.
    grey = drawing.rgb.mean(axis=2)
    assert grey[drawing.wall_mask].mean() < 100 < grey[drawing.room_labels > 0].mean()


def test_labels_lie_inside_rooms_or_outside_the_house() -> None:
    drawing = generate_plan(5)
    assert drawing.text_boxes
    for x0, y0, x1, y1 in drawing.text_boxes:
        assert drawing.wall_mask[max(y0, 0) : y1, max(x0, 0) : x1].mean() < 0.05


def test_drawing_options_are_validated() -> None:
    with pytest.raises(OptionError):
        PlanDrawingOptions(long_side_px=(1000, 900))
    with pytest.raises(OptionError):
        PlanDrawingOptions(door_width_m=(0.0, 0.9))

"""The model is as big as the plan says: from a given scale, a known wall length, or the doors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan
from lift3d.pipelines.plan import convert_plan_file
from lift3d.reconstruct.plan import DEFAULT_DOOR_WIDTH_M, PlanOptions, convert_plan
from lift3d.reconstruct.plan_parse import longest_wall_px
from tests.plans.conftest import Converted


def true_size_m(mask: np.ndarray, m_per_px: float) -> np.ndarray:
    """Width (x) and depth (y) of the drawn walls' bounding box in metres."""
    rows, cols = np.nonzero(mask)
    return np.array([cols.max() + 1 - cols.min(), rows.max() + 1 - rows.min()]) * m_per_px


def test_given_scale_gives_the_true_size(heldout: list[Converted]) -> None:
    for case in heldout:
        bounds = case.result.model.scene.bounds
        size_xz = (bounds[1] - bounds[0])[[0, 2]]
        assert size_xz == pytest.approx(
            true_size_m(case.drawing.footprint_mask, case.drawing.m_per_px), rel=0.02
        )
        assert bounds[0][1] == pytest.approx(-0.1) and bounds[1][1] == pytest.approx(2.7)
        # Centred on the origin in plan, floor at Y = 0.
        assert np.abs(bounds[0][[0, 2]] + bounds[1][[0, 2]]).max() < 0.05


def test_room_areas_match(heldout: list[Converted]) -> None:
    for case in heldout:
        true_areas = sorted(room.area_m2 for room in case.drawing.rooms)
        areas = sorted(room.area_m2 for room in case.result.model.rooms)
        assert len(areas) == len(true_areas)
        assert np.allclose(areas, true_areas, rtol=0.05, atol=0.2)


def test_wall_length_sets_the_scale(heldout: list[Converted]) -> None:
    case = heldout[0]
    thinnest_px = min(wall.thickness_px for wall in case.drawing.walls)
    length_m = longest_wall_px(case.drawing.footprint_mask, thinnest_px) * case.drawing.m_per_px
    result = convert_plan(case.drawing.picture(), PlanOptions(wall_length_m=length_m))
    assert result.scale_from == "wall_length"
    assert result.m_per_px == pytest.approx(case.drawing.m_per_px, rel=0.02)


def test_default_scale_comes_from_the_doors(heldout: list[Converted]) -> None:
    for case in heldout:
        result = convert_plan(case.drawing.picture())
        assert result.scale_from == "door_width"
        # The generator's doors are 0.8-1.05 m wide; the default assumes DEFAULT_DOOR_WIDTH_M.
        assert result.m_per_px == pytest.approx(case.drawing.m_per_px, rel=0.15)
        widths = [opening.width_m for opening in result.model.openings if opening.kind == "door"]
        assert np.median(widths) == pytest.approx(DEFAULT_DOOR_WIDTH_M, rel=0.01)


def test_scale_is_per_pixel_of_the_file_even_when_shrunk_to_read(tmp_path) -> None:
    drawing = generate_plan(HELDOUT_PLAN_SEED + 5)
    big = cv2.resize(drawing.rgb, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_LINEAR)
    assert max(big.shape) > 2048  # read_picture shrinks it
    path = tmp_path / "big_plan.png"
    cv2.imwrite(str(path), big[..., ::-1])
    result = convert_plan_file(path, PlanOptions(scale_m_per_px=drawing.m_per_px / 2.5))
    assert result.summary()["scale_m_per_px"] == pytest.approx(drawing.m_per_px / 2.5)
    assert result.options.scale_m_per_px == pytest.approx(drawing.m_per_px / 2.5)
    bounds = result.model.scene.bounds
    size_xz = (bounds[1] - bounds[0])[[0, 2]]
    assert size_xz == pytest.approx(true_size_m(drawing.footprint_mask, drawing.m_per_px), rel=0.02)

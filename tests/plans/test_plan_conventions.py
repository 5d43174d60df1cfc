"""Plans drawn in a second convention (data/plans_alt.py): issue 15's bar on held-out seeds."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lift3d.data.plans import generate_plan
from lift3d.data.plans_alt import ALT_HELDOUT_SEED, AltPlan, generate_alt_plan
from lift3d.evaluate.plan_score import iou, match_openings, wall_section_mask
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan
from lift3d.reconstruct.plan_conventions import deskew, skew_angle
from lift3d.reconstruct.plan_parse import parse_plan
from lift3d.types import Picture

from .conftest import draw_walls


def _one_per_wall_style() -> list[AltPlan]:
    """The first held-out alt plans with solid, grey and hatched walls (never used for tuning)."""
    found: dict[str, AltPlan] = {}
    seed = ALT_HELDOUT_SEED
    while len(found) < 3:
        plan = generate_alt_plan(seed)
        found.setdefault(plan.wall_style, plan)
        seed += 1
    return [found[style] for style in ("solid", "grey", "hatch")]


@pytest.fixture(scope="module")
def converted() -> list[tuple[AltPlan, PlanResult]]:
    plans = _one_per_wall_style()
    return [
        (plan, convert_plan(plan.drawing.picture(), PlanOptions(scale_m_per_px=plan.drawing.m_per_px)))
        for plan in plans
    ]


def test_every_drawn_window_found_in_other_conventions(converted):
    for plan, result in converted:
        windows = match_openings(result.model, plan.drawing, "window")
        assert windows.true > 0
        assert windows.recall >= 0.9, (plan.wall_style, plan.window_styles, windows)
        assert windows.precision >= 0.9, (plan.wall_style, windows)
        doors = match_openings(result.model, plan.drawing, "door")
        assert doors.recall >= 0.9 and doors.precision >= 0.9, (plan.wall_style, doors)


def test_size_within_two_percent_at_the_given_scale(converted):
    for plan, result in converted:
        rows, cols = np.nonzero(plan.drawing.footprint_mask)
        true = np.array([cols.max() + 1 - cols.min(), rows.max() + 1 - rows.min()]) * plan.drawing.m_per_px
        size = np.array(result.summary()["size_m"])[[0, 2]]
        assert np.abs(size / true - 1).max() <= 0.02, (plan.wall_style, size, true)


def test_walls_cut_at_1_2_m_match_the_drawn_walls(converted):
    for plan, result in converted:
        cut = wall_section_mask(result.model, plan.drawing.wall_mask.shape, 1.2)
        assert iou(cut, plan.drawing.wall_mask) >= 0.9, plan.wall_style


def test_door_leaves_open_on_the_side_their_arc_is_drawn(converted):
    for plan, result in converted:
        for true in plan.drawing.doors:
            near = [
                door
                for door in result.layout.doors
                if np.hypot(door.centre_px[0] - true.centre_px[0], door.centre_px[1] - true.centre_px[1])
                < 0.25 * true.width_px
            ]
            assert near and near[0].swing == true.swing, (plan.drawing.seed, true)


def test_scan_rotation_is_measured_and_undone():
    plan = next(
        p
        for p in map(generate_alt_plan, range(ALT_HELDOUT_SEED, ALT_HELDOUT_SEED + 20))
        if abs(p.rotation_deg) > 1
    )
    picture = plan.drawing.picture()
    assert skew_angle(picture) == pytest.approx(-plan.rotation_deg, abs=0.05)
    # The walls found line up with the upright truth (they would be off by pixels if not turned back).
    assert iou(parse_plan(picture).walls, plan.drawing.wall_mask) >= 0.9
    # An upright plan is left exactly as it is.
    first = generate_plan(ALT_HELDOUT_SEED).picture()
    assert deskew(first) is first


def _wall_with_gap(symbol: str) -> Picture:
    """A closed rectangular room (walls 12 px) whose top wall has a 60 px gap drawn as `symbol`."""
    image = draw_walls(
        (400, 500), [(50, 50, 450, 62), (50, 338, 450, 350), (50, 50, 62, 350), (438, 50, 450, 350)]
    )
    image[50:62, 200:260] = 1.0
    if symbol == "glass line":
        cv2.line(image, (200, 56), (259, 56), (0, 0, 0), 1, cv2.LINE_AA)
    elif symbol == "door":
        cv2.line(image, (200, 62), (200, 122), (0, 0, 0), 1, cv2.LINE_AA)
        cv2.ellipse(image, (200, 62), (60, 60), 0, 0, 90, (0, 0, 0), 1, cv2.LINE_AA)
    return Picture(rgb=image, alpha=None, source=symbol)


@pytest.mark.parametrize(
    ("symbol", "kind"), [("glass line", "window"), ("door", "door"), ("nothing", "door")]
)
def test_a_single_glass_line_without_a_swing_is_a_window(symbol, kind):
    openings = parse_plan(_wall_with_gap(symbol)).openings
    assert [opening.kind for opening in openings] == [kind]

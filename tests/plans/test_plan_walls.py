"""Built walls stand where the plan draws walls, and nowhere else (text makes none)."""

from __future__ import annotations

import cv2
import numpy as np

from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan
from lift3d.evaluate.plan_score import iou, wall_footprint_mask, wall_meshes, wall_section_mask
from lift3d.reconstruct.plan import PlanOptions, convert_plan
from lift3d.reconstruct.plan_parse import parse_plan
from lift3d.types import Picture
from tests.plans.conftest import Converted


def test_walls_cut_at_head_height_match_the_drawn_walls(heldout: list[Converted]) -> None:
    for case in heldout:
        # At 1.5 m every door and window is open, as in the drawing's horizontal cut.
        section = wall_section_mask(case.result.model, case.drawing.wall_mask.shape, 1.5)
        assert iou(section, case.drawing.wall_mask) >= 0.85, case.drawing.seed


def test_walls_seen_from_above_match_the_closed_footprint(heldout: list[Converted]) -> None:
    for case in heldout:
        footprint = wall_footprint_mask(case.result.model, case.drawing.footprint_mask.shape)
        assert iou(footprint, case.drawing.footprint_mask) >= 0.85, case.drawing.seed


def test_a_blueprint_reads_like_the_same_plan_on_paper(heldout: list[Converted]) -> None:
    case = heldout[0]
    picture = case.drawing.picture()
    blueprint = Picture(rgb=1 - picture.rgb, alpha=None, source="blueprint")
    assert iou(parse_plan(blueprint).walls, case.result.layout.walls) >= 0.95


def test_every_wall_node_is_watertight(heldout: list[Converted]) -> None:
    for case in heldout:
        meshes = wall_meshes(case.result.model)
        assert len(meshes) >= 4
        for mesh in meshes:
            assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0


def test_a_big_label_in_a_room_makes_no_wall() -> None:
    # A held-out plan with thin (6.6 px) interior walls, so a bold label is a real test.
    drawing = generate_plan(HELDOUT_PLAN_SEED + 4)
    assert min(wall.thickness_px for wall in drawing.walls) < 7
    room = max(drawing.rooms, key=lambda room: room.area_m2)
    inside = (drawing.room_labels == room.index).astype(np.uint8)
    depth = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    centre_y, centre_x = np.unravel_index(np.argmax(depth), depth.shape)
    text, font, thickness = "GREAT ROOM", cv2.FONT_HERSHEY_SIMPLEX, 2
    scale = 4.0
    while True:  # the biggest label in a bold pen that fits inside the room with a margin
        (width, height), baseline = cv2.getTextSize(text, font, scale, thickness)
        x0, y_base = int(centre_x - width / 2), int(centre_y + height / 2)
        label_box = (slice(y_base - height - 6, y_base + baseline + 6), slice(x0 - 6, x0 + width + 6))
        if inside[label_box].all():
            break
        scale *= 0.9
    assert height > 20
    rgb = drawing.rgb.copy()
    cv2.putText(rgb, text, (x0, y_base), font, scale, (20, 20, 20), thickness, cv2.LINE_AA)
    picture = Picture(rgb=rgb.astype(np.float32) / 255, alpha=None, source="labelled plan")
    result = convert_plan(picture, PlanOptions(scale_m_per_px=drawing.m_per_px))
    assert not result.layout.walls[label_box].any()
    assert not wall_section_mask(result.model, rgb.shape[:2], 1.0)[label_box].any()
    assert len(result.model.rooms) == len(drawing.rooms)

"""Doors and windows are real holes in the walls, found where the plan draws them."""

from __future__ import annotations

from lift3d.evaluate.plan_score import (
    match_openings,
    ray_is_blocked,
    solid_wall_points,
    true_centre_m,
    walls_mesh,
)
from tests.plans.conftest import Converted


def reach_m(case: Converted, thickness_px: float) -> float:
    """Start a ray this far before the wall's centre line: through the wall and 0.3 m beyond."""
    return thickness_px * case.drawing.m_per_px / 2 + 0.3


def test_rays_pass_through_every_door_and_window(heldout: list[Converted]) -> None:
    for case in heldout:
        walls = walls_mesh(case.result.model)  # walls only: glass panes would block
        frame = case.result.model.frame
        for opening in case.drawing.openings:
            height_m = 1.0 if opening.kind == "door" else 1.5
            centre = true_centre_m(opening, frame)
            assert not ray_is_blocked(
                walls, centre, opening.axis, height_m, reach_m(case, opening.thickness_px)
            ), (
                case.drawing.seed,
                opening,
            )


def test_rays_through_solid_wall_are_blocked(heldout: list[Converted]) -> None:
    for case in heldout:
        walls = walls_mesh(case.result.model)
        frame = case.result.model.frame
        points = solid_wall_points(case.drawing)
        assert len(points) >= 8
        for point_px, axis, thickness_px in points:
            centre = frame.to_metres(*point_px)
            for height_m in (1.0, 1.5):
                assert ray_is_blocked(walls, centre, axis, height_m, reach_m(case, thickness_px)), (
                    point_px,
                    height_m,
                )


def test_openings_are_found_and_told_apart(heldout: list[Converted]) -> None:
    for case in heldout:
        for kind in ("door", "window"):
            detection = match_openings(case.result.model, case.drawing, kind)
            assert detection.precision >= 0.9 and detection.recall >= 0.9, (
                case.drawing.seed,
                kind,
                detection,
            )


def test_windows_have_glass_and_doors_have_leaves(heldout: list[Converted]) -> None:
    case = heldout[0]
    scene = case.result.model.scene
    for opening in case.result.model.openings:
        transform, geometry = scene.graph[opening.name]
        mesh = scene.geometry[geometry]
        material = mesh.visual.material
        if opening.kind == "window":
            assert material.alphaMode == "BLEND" and material.baseColorFactor[3] < 255
            assert mesh.bounds[0][1] >= 0.9 - 1e-6 and mesh.bounds[1][1] <= 2.1 + 1e-6
        else:
            assert mesh.is_watertight and mesh.bounds[1][1] <= 2.1 + 1e-6


def test_door_leaves_open_the_way_the_swing_is_drawn(heldout: list[Converted]) -> None:
    checked = 0
    for case in heldout:
        for true in case.drawing.doors:
            (found,) = [
                door
                for door in case.result.layout.doors
                if door.axis == true.axis
                and abs(door.centre_px[0] - true.centre_px[0]) + abs(door.centre_px[1] - true.centre_px[1])
                < 6
            ]
            assert (found.swing, found.hinge_at_start) == (true.swing, true.hinge_at_start), true
            checked += 1
    assert checked >= 20

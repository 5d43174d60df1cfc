"""The saved scene loads with named nodes, watertight walls and the glTF frame; the summary matches it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from hypothesis import given, settings
from hypothesis import strategies as st

from lift3d.pipelines.plan import save_plan
from lift3d.reconstruct.plan import PlanOptions, convert_plan
from lift3d.types import Picture
from tests.plans.conftest import Converted, door_in_top_wall, draw_walls, l_shaped_plan


def test_glb_round_trip_keeps_named_watertight_nodes(tmp_path, heldout: list[Converted]) -> None:
    case = heldout[1]
    written = save_plan(case.result, tmp_path / "house.glb")
    assert [path.name for path in written] == ["house.glb", "house.lift3d.json"]
    scene = trimesh.load(written[0])
    assert isinstance(scene, trimesh.Scene)
    names = set(scene.graph.nodes_geometry)
    summary = json.loads(written[1].read_text())
    assert {f"{room['name']}_floor" for room in summary["rooms"]} <= names
    assert {door["name"] for door in summary["doors"]} | {
        window["name"] for window in summary["windows"]
    } <= names
    walls = [name for name in names if name.startswith("wall_")]
    assert sorted(walls) == sorted(wall["name"] for wall in summary["walls"])
    assert "wall_01" in names and "door_01" in names and "window_01" in names and "room_1_floor" in names
    for name in walls:
        transform, geometry = scene.graph[name]
        wall = scene.geometry[geometry].copy()
        # World-scale UVs split the corners per face in the file (a glTF seam), so closedness is
        # a property of the positions: weld them, ignoring UVs and normals, before checking.
        assert wall.visual.uv is not None and len(wall.visual.uv) == len(wall.vertices), name
        wall.merge_vertices(merge_tex=True, merge_norm=True)
        assert wall.is_watertight, name
    assert np.allclose(scene.bounds, case.result.model.scene.bounds, atol=1e-4)
    assert summary["scale_m_per_px"] == case.drawing.m_per_px and summary["scale_from"] == "given"
    assert summary["options"]["wall_height_m"] == 2.7
    assert len(summary["doors"]) == len(case.drawing.doors)
    assert len(summary["windows"]) == len(case.drawing.windows)


def test_l_shaped_plan_in_the_gltf_frame() -> None:
    result = convert_plan(l_shaped_plan(), PlanOptions(scale_m_per_px=0.02, ceilings=True))
    rooms = {room.name: room for room in result.model.rooms}
    assert len(rooms) == 2
    # The wide room is at the top of the picture: -Z. The narrow one bottom left: +Z, -X.
    wide, narrow = rooms["room_1"], rooms["room_2"]
    assert wide.centroid_m[1] < 0 < narrow.centroid_m[1] and narrow.centroid_m[0] < 0
    assert wide.area_m2 == pytest.approx(480 * 190 * 0.02**2, rel=0.02)
    assert narrow.area_m2 == pytest.approx(230 * 180 * 0.02**2, rel=0.02)
    (door,) = result.model.openings
    assert door.kind == "door" and door.swing_drawn and door.width_m == pytest.approx(60 * 0.02, abs=0.02)
    # Door centre: x = 130 px, y = 255 px; the walls' box spans x 50..550, y 50..450.
    assert door.centre_m == pytest.approx(((130 - 300) * 0.02, (255 - 250) * 0.02), abs=0.03)
    names = set(result.model.scene.graph.nodes_geometry)
    assert {"room_1_ceiling", "room_2_ceiling", "door_01"} <= names
    ceiling = result.model.scene.geometry["room_1_ceiling"]
    assert ceiling.bounds[0][1] == pytest.approx(2.7)


@settings(max_examples=8, deadline=None)
@given(
    thickness=st.integers(6, 16),
    door_start=st.integers(80, 300),
    door_width=st.integers(45, 80),
)
def test_any_single_room_with_a_door_gives_one_room_and_a_closed_wall(
    thickness: int, door_start: int, door_width: int
) -> None:
    t = thickness
    boxes = [(40, 40, 460, 40 + t), (40, 40, 40 + t, 340), (460 - t, 40, 460, 340), (40, 340 - t, 460, 340)]
    image = draw_walls((380, 500), boxes)
    door_in_top_wall(image, (40, 40 + t), (door_start, door_start + door_width))
    result = convert_plan(Picture(rgb=image, alpha=None, source="room"), PlanOptions(scale_m_per_px=0.01))
    assert len(result.model.rooms) == 1
    (door,) = [opening for opening in result.model.openings if opening.kind == "door"]
    assert door.width_m == pytest.approx(door_width * 0.01, abs=0.015)
    for node in result.model.scene.graph.nodes_geometry:
        mesh = result.model.scene.geometry[node]
        assert mesh.is_watertight, node

"""The walkthrough page: its layout blocks walls and glass but not doors, it needs nothing online; elevations set heights."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image
from scipy import ndimage

from lift3d.cli import main
from lift3d.export.walkthrough import BODY_RADIUS_M, EYE_HEIGHT_M, walk_layout
from lift3d.pipelines.plan import save_plan
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan
from tests.plans.conftest import Converted, l_shaped_plan

URL = re.compile(r"""(?:src|href|action|url|import|from)\s*[=(]?\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def distance_to_segments(point: tuple[float, float], segments: list[list[float]]) -> float:
    """Shortest distance from a point to any segment [X0, Z0, X1, Z1]."""
    flat = np.asarray(segments, dtype=np.float64)
    start, edge = flat[:, :2], flat[:, 2:] - flat[:, :2]
    t = np.clip(
        np.einsum("ij,ij->i", np.asarray(point) - start, edge) / np.einsum("ij,ij->i", edge, edge), 0, 1
    )
    return float(np.linalg.norm(start + t[:, None] * edge - np.asarray(point), axis=1).min())


def reachable_rooms(layout: dict, grid_m: float = 0.08) -> set[str]:
    """Rooms whose floor the walker's centre reaches from the start: a flood fill of where its circle fits."""
    (x0, z0), (x1, z1) = layout["bounds_m"]
    xs, zs = np.arange(x0 - 0.5, x1 + 0.5, grid_m), np.arange(z0 - 0.5, z1 + 0.5, grid_m)
    points = np.stack(np.meshgrid(xs, zs), axis=-1).reshape(-1, 2)
    segments = np.asarray(layout["segments_m"], dtype=np.float64)
    start, edge = segments[:, :2], segments[:, 2:] - segments[:, :2]
    clear = np.full(len(points), np.inf)
    for chunk in range(0, len(points), 4096):
        offset = points[chunk : chunk + 4096, None] - start[None]
        t = np.clip((offset * edge).sum(axis=2) / (edge**2).sum(axis=1), 0, 1)
        clear[chunk : chunk + 4096] = np.linalg.norm(offset - t[..., None] * edge, axis=2).min(axis=1)
    labels, _ = ndimage.label((clear > layout["radius_m"]).reshape(len(zs), len(xs)))
    x, z = layout["start"]["position_m"]
    reached = (labels == labels[np.abs(zs - z).argmin(), np.abs(xs - x).argmin()]).ravel()
    return {
        room["name"]
        for room in layout["rooms"]
        if any(inside((px, pz), room["outline_m"][0]) for px, pz in points[reached][::5])
    }


def inside(point: tuple[float, float], polygon: list[list[float]]) -> bool:
    x, z = point
    crossings = 0
    for (x0, z0), (x1, z1) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (z0 > z) != (z1 > z) and x < (x1 - x0) * (z - z0) / (z1 - z0) + x0:
            crossings += 1
    return crossings % 2 == 1


@pytest.fixture(scope="module")
def l_plan() -> PlanResult:
    return convert_plan(l_shaped_plan(), PlanOptions(scale_m_per_px=0.02))


def test_l_shaped_plan_starts_in_the_wide_room_and_its_door_is_a_gap(l_plan: PlanResult) -> None:
    layout = walk_layout(l_plan)
    assert layout["eye_height_m"] == EYE_HEIGHT_M and layout["radius_m"] == BODY_RADIUS_M
    start = tuple(layout["start"]["position_m"])
    wide = next(room for room in layout["rooms"] if room["name"] == "room_1")
    assert wide["area_m2"] > max(room["area_m2"] for room in layout["rooms"] if room is not wide)
    assert any(inside(start, outline) for outline in wide["outline_m"])
    # The wide room's inside is x 60..540 px, y 60..250 px: 9.6 x 3.8 m; its middle is farthest from walls.
    assert distance_to_segments(start, layout["segments_m"]) == pytest.approx(1.9, abs=0.05)
    # The inner face of the top wall (y = 60 px -> Z = -3.8 m) is a collision segment.
    assert distance_to_segments((0.0, -3.8), layout["segments_m"]) < 0.01
    # The door (x 100..160 px in the wall at y 250..260 px) leaves a 1.2 m gap: 0.6 m to each jamb.
    (door,) = layout["doors"]
    assert door["centre_m"] == pytest.approx([-3.4, 0.1], abs=0.02)
    assert distance_to_segments(tuple(door["centre_m"]), layout["segments_m"]) == pytest.approx(0.6, abs=0.03)
    json.dumps(layout)  # plain JSON, as the page and the record carry it


def test_held_out_plans_block_every_window_and_pass_every_door(heldout: list[Converted]) -> None:
    for case in heldout:
        layout = walk_layout(case.result)
        segments = layout["segments_m"]
        assert distance_to_segments(tuple(layout["start"]["position_m"]), segments) > BODY_RADIUS_M
        largest = max(layout["rooms"], key=lambda room: room["area_m2"])
        assert any(inside(tuple(layout["start"]["position_m"]), line) for line in largest["outline_m"])
        # At knee height a window is wall (under its sill): the walker cannot stand in its middle.
        for window in case.result.summary()["windows"]:
            assert distance_to_segments(tuple(window["centre_m"]), segments) < BODY_RADIUS_M, window["name"]
        for door in layout["doors"]:
            assert distance_to_segments(tuple(door["centre_m"]), segments) > BODY_RADIUS_M, door["name"]
        # The generator connects every room through doors: a walker reaches them all from the start.
        assert reachable_rooms(layout) == {room["name"] for room in layout["rooms"]}, case.drawing.seed


def test_page_is_one_self_contained_file(tmp_path: Path, l_plan: PlanResult) -> None:
    written = save_plan(l_plan, tmp_path / "house.html")
    assert [path.name for path in written] == ["house.html", "house.lift3d.json"]
    page = written[0].read_text(encoding="utf-8")
    assert not URL.search(page)
    assert "Copyright © 2010-2026 three.js authors" in page  # the MIT notice of the inlined three.js
    zipped = json.loads(
        re.search(r'<script type="application/json" id="walk-modules">(.*?)</script>', page).group(1)
    )
    names = set(zipped)  # the import map the page builds from them
    assert {"three", "three/addons/loaders/GLTFLoader.js"} <= names
    modules = [page]
    for text in zipped.values():
        modules.append(gzip.decompress(base64.b64decode(text)).decode("utf-8"))
        # three.js comments cite web pages; no code loads one.
        assert not re.search(r"""(?:import\s*\(|fetch\s*\(|src\s*=)\s*['"`]https?:""", modules[-1])
    # Every static import of every module is a name the map resolves (no URL, no relative path).
    for text in modules:
        for specifier in re.findall(
            r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]""", text, re.M
        ):
            assert specifier in names, specifier
    assert "import(" not in modules[0]  # and the page loads nothing on demand
    glb = re.search(r'<script type="application/octet-stream" id="walk-glb">(.*?)</script>', page, re.DOTALL)
    assert base64.b64decode(glb.group(1))[:4] == b"glTF"
    record = json.loads(written[1].read_text())
    assert record["walkthrough"]["segments_m"] and len(record["rooms"]) == 2


def test_cli_writes_the_page_and_refuses_what_it_cannot_write(tmp_path: Path, capsys) -> None:
    drawing = tmp_path / "plan.png"
    Image.fromarray((l_shaped_plan().rgb * 255).astype(np.uint8)).save(drawing)
    output = tmp_path / "house.html"
    assert main(["convert", str(drawing), "--kind", "plan", "--scale", "0.02", "-o", str(output)]) == 0
    assert output.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (tmp_path / "house.lift3d.json").is_file()
    capsys.readouterr()

    original = drawing.read_bytes()
    link = tmp_path / "link.html"
    link.symlink_to(drawing)
    assert main(["convert", str(drawing), "--kind", "plan", "-o", str(link)]) != 0
    error = capsys.readouterr().err.strip()
    assert "replace the input" in error and "\n" not in error
    assert drawing.read_bytes() == original

    for flags, word in ((["--up", "z"], "Y-up"), (["--pivot", "center"], "Y-up")):
        away = tmp_path / "away.html"
        assert main(["convert", str(drawing), "--kind", "plan", "-o", str(away), *flags]) != 0
        error = capsys.readouterr().err.strip()
        assert word in error and "\n" not in error and not away.exists()
    assert main(["convert", str(drawing), "--kind", "plan", "-o", str(tmp_path / "house.txt")]) != 0
    assert ".html" in capsys.readouterr().err


def elevation_drawing(px_per_m: float = 40.0) -> np.ndarray:
    """The L-shaped plan's 10 m facade as outlines: walls 3.0 m, a door 2.2 m, two windows 1.0-2.3 m."""
    image = np.full((200, 480, 3), 255, dtype=np.uint8)

    def box(x0_m: float, bottom_m: float, x1_m: float, top_m: float) -> None:
        ground_px, left_px = 170, 40

        def corner(x_m: float, y_m: float) -> tuple[int, int]:
            return round(left_px + x_m * px_per_m), round(ground_px - y_m * px_per_m)

        cv2.rectangle(image, corner(x0_m, top_m), corner(x1_m, bottom_m), (0, 0, 0), 2)

    box(0.0, 0.0, 10.0, 3.0)
    box(4.5, 0.0, 5.5, 2.2)
    for left_m in (1.0, 7.5):
        box(left_m, 1.0, left_m + 1.5, 2.3)
    return image


def test_an_elevation_sets_wall_door_and_window_heights(tmp_path: Path, capsys) -> None:
    drawing, elevation = tmp_path / "plan.png", tmp_path / "front.png"
    Image.fromarray((l_shaped_plan().rgb * 255).astype(np.uint8)).save(drawing)
    Image.fromarray(elevation_drawing()).save(elevation)
    output = tmp_path / "house.glb"
    command = [
        "convert",
        str(drawing),
        str(elevation),
        "--kind",
        "plan",
        "--scale",
        "0.02",
        "-o",
        str(output),
    ]
    assert main(command) == 0
    options = json.loads((tmp_path / "house.lift3d.json").read_text())["options"]
    # Read between stroke centres: within a pixel (2.5 cm).
    assert options["wall_height_m"] == pytest.approx(3.0, abs=0.03)
    assert options["door_height_m"] == pytest.approx(2.2, abs=0.03)
    assert options["window_sill_m"] == pytest.approx(1.0, abs=0.03)
    assert options["window_top_m"] == pytest.approx(2.3, abs=0.03)
    scene = trimesh.load(output)
    assert scene.bounds[1][1] == pytest.approx(options["wall_height_m"], abs=1e-3)
    capsys.readouterr()
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((100, 100, 3), 255, dtype=np.uint8)).save(blank)
    assert main(["convert", str(drawing), str(blank), "--kind", "plan", "-o", str(tmp_path / "b.glb")]) != 0
    error = capsys.readouterr().err.strip()
    assert "no facade outline" in error and "\n" not in error

"""Floor-plan walkthrough pages: size, write time, reachable rooms, and load time in headless Chromium.

For held-out generated plans (data/plans.py, seeds from HELDOUT_PLAN_SEED, never tuned on),
converted at their true scale:
- bytes and write time of the .html page against the .glb scene written in the same run;
- rooms a walker can reach from the start (a flood fill of the places its circle fits,
  on a 5 cm grid, through the collision outline the page uses) against the rooms the
  drawing connects through its doors (the truth);
- doors the walker fits through (clearance from the door's centre above the body radius);
- with Chromium: seconds from opening the file to the first drawn frame, and frames per
  second while walking (software WebGL, SwiftShader, one shared core: a floor, not a laptop).

    python benchmarks/plan_walkthrough.py [--n 3] [--no-browser]
    python benchmarks/plan_walkthrough.py --n 1 --picture docs/plans/walkthrough.jpg
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from lift3d.data.plans import HELDOUT_PLAN_SEED, PlanDrawing, generate_plan
from lift3d.export.walkthrough import BODY_RADIUS_M, walk_layout
from lift3d.files import write_bytes_atomic
from lift3d.pipelines.plan import save_plan
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
GRID_M = 0.05
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def segment_distance(points: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance from each (X, Z) point to the nearest segment, in chunks to bound memory."""
    start, edge = segments[:, :2], segments[:, 2:] - segments[:, :2]
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    nearest = np.full(len(points), np.inf)
    for chunk in range(0, len(points), 4096):
        offset = points[chunk : chunk + 4096, None, :] - start[None]
        t = np.clip((offset * edge[None]).sum(axis=2) / length2, 0, 1)
        gap = np.linalg.norm(offset - t[..., None] * edge[None], axis=2)
        nearest[chunk : chunk + 4096] = gap.min(axis=1)
    return nearest


def inside(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd test of many points against one closed polygon."""
    x, z = points[:, 0], points[:, 1]
    result = np.zeros(len(points), dtype=bool)
    for (x0, z0), (x1, z1) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        crosses = (z0 > z) != (z1 > z)
        with np.errstate(divide="ignore", invalid="ignore"):
            result ^= crosses & (x < (x1 - x0) * (z - z0) / (z1 - z0) + x0)
    return result


def reachable_rooms(layout: dict) -> tuple[int, float]:
    """Rooms whose floor the walker's centre can reach from the start, and the least door clearance."""
    segments = np.asarray(layout["segments_m"], dtype=np.float64)
    (x0, z0), (x1, z1) = layout["bounds_m"]
    xs = np.arange(x0 - 1.0, x1 + 1.0, GRID_M)
    zs = np.arange(z0 - 1.0, z1 + 1.0, GRID_M)
    grid = np.stack(np.meshgrid(xs, zs), axis=-1).reshape(-1, 2)
    free = (segment_distance(grid, segments) > BODY_RADIUS_M).reshape(len(zs), len(xs))
    labels, _ = ndimage.label(free)
    start = layout["start"]["position_m"]
    reached = labels == labels[np.argmin(np.abs(zs - start[1])), np.argmin(np.abs(xs - start[0]))]
    count = 0
    for room in layout["rooms"]:
        floor = np.zeros(len(grid), dtype=bool)
        for line in room["outline_m"]:
            floor |= inside(grid, np.asarray(line))
        count += bool((floor.reshape(reached.shape) & reached).any())
    doors = [tuple(door["centre_m"]) for door in layout["doors"]]
    clearance = segment_distance(np.asarray(doors), segments).min() if doors else float("nan")
    return count, float(clearance)


def connected_rooms(drawing: PlanDrawing, result: PlanResult) -> int:
    """The truth: rooms joined to the model's start room through the drawing's doors (or the outside)."""
    walkable = ~drawing.footprint_mask
    for door in drawing.doors:
        x, y = door.centre_px
        half_along, half_across = door.width_px / 2, door.thickness_px / 2 + 1
        dx, dy = (half_along, half_across) if door.axis == "x" else (half_across, half_along)
        walkable[int(y - dy) : int(y + dy) + 1, int(x - dx) : int(x + dx) + 1] = True
    labels, _ = ndimage.label(walkable)
    x_m, z_m = walk_layout(result)["start"]["position_m"]
    frame = result.model.frame
    col = int(x_m / frame.m_per_px + frame.centre_px[0])
    row = int(z_m / frame.m_per_px + frame.centre_px[1])
    reached = labels == labels[row, col]
    return sum(bool(reached[drawing.room_labels == room.index].any()) for room in drawing.rooms)


def browser_timings(page_path: Path, picture: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 960, "height": 600}, offline=True).new_page()
        started = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_function(
            "() => window.walkthrough?.state().loaded === '1' && window.walkthrough.state().frames > 1",
            timeout=120_000,
        )
        load_s = time.perf_counter() - started
        if picture is not None:  # what a client sees on opening the page
            page.screenshot(path=str(picture.with_suffix(".png")))
        frames = page.evaluate("window.walkthrough.state().frames")
        started = time.perf_counter()
        page.keyboard.down("w")
        page.wait_for_timeout(3000)
        page.keyboard.up("w")
        fps = (page.evaluate("window.walkthrough.state().frames") - frames) / (time.perf_counter() - started)
        browser.close()
    return {"load_s": round(load_s, 2), "fps_swiftshader": round(fps, 1)}


def sheet(drawing: PlanDrawing, shot: Path, target: Path) -> None:
    """The plan drawing beside the walkthrough (view and map), as one small JPEG."""
    view = Image.open(shot).convert("RGB")
    plan = Image.fromarray(drawing.rgb)
    plan = plan.resize((round(plan.width * view.height / plan.height), view.height), Image.LANCZOS)
    both = Image.new("RGB", (plan.width + view.width + 8, view.height), "white")
    both.paste(plan, (0, 0))
    both.paste(view, (plan.width + 8, 0))
    both = both.resize((both.width * 2 // 3, both.height * 2 // 3), Image.LANCZOS)
    both.save(target, quality=82, optimize=True)
    shot.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3, help="held-out plans to measure")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    parser.add_argument("--picture", type=Path, help="also write the first plan's walkthrough sheet (JPEG)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.n):
            seed = HELDOUT_PLAN_SEED + index
            drawing = generate_plan(seed)
            result = convert_plan(drawing.picture(), PlanOptions(scale_m_per_px=drawing.m_per_px))
            started = time.perf_counter()
            glb = save_plan(result, Path(folder) / f"plan_{seed}.glb")[0]
            glb_s = time.perf_counter() - started
            started = time.perf_counter()
            page = save_plan(result, Path(folder) / f"plan_{seed}.html")[0]
            html_s = time.perf_counter() - started
            layout = walk_layout(result)
            reached, clearance = reachable_rooms(layout)
            row = {
                "seed": seed,
                "rooms": len(layout["rooms"]),
                "rooms_reachable": reached,
                "rooms_connected_truth": connected_rooms(drawing, result),
                "doors": len(layout["doors"]),
                "least_door_clearance_m": round(clearance, 3),
                "segments": len(layout["segments_m"]),
                "glb_bytes": glb.stat().st_size,
                "html_bytes": page.stat().st_size,
                "glb_write_s": round(glb_s, 3),
                "html_write_s": round(html_s, 3),
                "html_over_glb_write": round(html_s / glb_s, 2),
            }
            if not args.no_browser and Path(CHROMIUM).exists():
                picture = args.picture if index == 0 else None
                row |= browser_timings(page, picture)
                if picture is not None:
                    sheet(drawing, picture.with_suffix(".png"), picture)
            rows.append(row)
            print(" ".join(f"{key}={value}" for key, value in row.items()), flush=True)
    keys = list(rows[0])
    print()
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row.get(key, "")) for key in keys))
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(RESULTS / "plan_walkthrough.json", json.dumps({"plans": rows}, indent=2).encode())


if __name__ == "__main__":
    main()

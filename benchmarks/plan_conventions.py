"""Floor plans in a second drawing convention (data/plans_alt.py): windows, doors, size, walls.

Each alt plan (grey, hatched or black walls; three window symbols; furniture, names and
dimension lines; a scan rotated up to 2.5 degrees) is converted at its true scale and
scored on the built model against the upright ground truth: window and door recall and
precision (centres within half the true width), the share of doors whose leaf opens on
the side its arc is drawn, the worst size error of the model's
plan-view box against the drawn walls, and the wall IoU of a horizontal cut at 1.2 m
against the drawn walls (openings as gaps). Issue 15's bar: window recall >= 0.9, size
within 2 %, wall IoU >= 0.9.

Seeds: tuning looked at ALT_PLAN_SEED .. +99 only; the default measurement seeds start at
ALT_HELDOUT_SEED and were never looked at while tuning. `--first` also scores the first
generator's held-out plans, to show they are unchanged.

    python benchmarks/plan_conventions.py [--n 24] [--first-seed 2100000] [--first 0]
    python benchmarks/plan_conventions.py --sheet docs/plans   # pictures of 4 held-out plans
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lift3d.data.plans import HELDOUT_PLAN_SEED, PlanDrawing, generate_plan
from lift3d.data.plans_alt import ALT_HELDOUT_SEED, generate_alt_plan
from lift3d.errors import InputError
from lift3d.evaluate.plan_score import iou, match_openings, wall_section_mask
from lift3d.files import write_bytes_atomic
from lift3d.reconstruct.plan import PlanOptions, convert_plan

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def score(drawing: PlanDrawing) -> dict:
    started = time.perf_counter()
    try:
        result = convert_plan(drawing.picture(), PlanOptions(scale_m_per_px=drawing.m_per_px))
    except InputError as error:  # a plan the parser cannot read scores zero everywhere
        print(f"  {error}")
        windows = len(drawing.windows)
        zero = dict.fromkeys(
            ("window_recall", "window_precision", "door_recall", "door_precision", "door_swing_correct"), 0.0
        )
        return {
            "seed": drawing.seed,
            **zero,
            "windows_true": windows,
            "size_error": 1.0,
            "wall_iou_cut_1_2m": 0.0,
            "seconds": 0.0,
        }
    seconds = time.perf_counter() - started
    model = result.model
    rows, cols = np.nonzero(drawing.footprint_mask)
    true_size = np.array([cols.max() + 1 - cols.min(), rows.max() + 1 - rows.min()]) * drawing.m_per_px
    size = np.array(result.summary()["size_m"])[[0, 2]]
    doors, windows = match_openings(model, drawing, "door"), match_openings(model, drawing, "window")
    swings = [  # the leaf opens on the side its arc is drawn
        any(
            found.swing == true.swing
            and np.hypot(found.centre_px[0] - true.centre_px[0], found.centre_px[1] - true.centre_px[1])
            < 0.25 * true.width_px
            for found in result.layout.doors
        )
        for true in drawing.doors
    ]
    return {
        "seed": drawing.seed,
        "window_recall": round(windows.recall, 3),
        "window_precision": round(windows.precision, 3),
        "door_recall": round(doors.recall, 3),
        "door_precision": round(doors.precision, 3),
        "windows_true": windows.true,
        "door_swing_correct": round(float(np.mean(swings)) if swings else 1.0, 3),
        "size_error": round(float(np.abs(size / true_size - 1).max()), 4),
        "wall_iou_cut_1_2m": round(
            iou(wall_section_mask(model, drawing.wall_mask.shape, 1.2), drawing.wall_mask), 4
        ),
        "seconds": round(seconds, 2),
    }


COLUMNS = (
    ("window_recall", "win R", "{:.3f}"),
    ("window_precision", "win P", "{:.3f}"),
    ("door_recall", "door R", "{:.3f}"),
    ("door_precision", "door P", "{:.3f}"),
    ("door_swing_correct", "swing", "{:.3f}"),
    ("size_error", "size err", "{:.2%}"),
    ("wall_iou_cut_1_2m", "IoU 1.2m", "{:.3f}"),
    ("seconds", "s", "{:.2f}"),
)


def run(drawings, label: str, extra=lambda d: "") -> dict:
    print(f"{label}\n{'seed':>8} " + " ".join(f"{title:>9}" for _, title, _ in COLUMNS))
    rows = []
    for drawing, note in drawings:
        row = score(drawing)
        row["style"] = note
        rows.append(row)
        print(f"{row['seed']:>8} " + " ".join(f"{fmt.format(row[key]):>9}" for key, _, fmt in COLUMNS), note)
    # recall over all openings (not a mean of per-plan shares), and the worst cases
    true_windows = sum(row["windows_true"] for row in rows)
    summary = {
        "plans": len(rows),
        "window_recall_pooled": round(
            sum(row["window_recall"] * row["windows_true"] for row in rows) / max(true_windows, 1), 4
        ),
        "mean": {key: round(float(np.mean([row[key] for row in rows])), 4) for key, _, _ in COLUMNS},
        "worst": {
            "window_recall": min(row["window_recall"] for row in rows),
            "size_error": max(row["size_error"] for row in rows),
            "wall_iou_cut_1_2m": min(row["wall_iou_cut_1_2m"] for row in rows),
        },
        "rows": rows,
    }
    print("mean " + json.dumps(summary["mean"]) + "\nworst " + json.dumps(summary["worst"]))
    print(f"window recall pooled {summary['window_recall_pooled']}")
    return summary


COLOURS = {
    "wall": (0.75, 0.75, 0.72),
    "room": (0.85, 0.7, 0.5),
    "door": (0.55, 0.35, 0.2),
    "window": (0.5, 0.7, 0.95),
}


def overlay(picture, result) -> np.ndarray:
    """The upright picture with the found walls (blue), windows (green) and doors (red, leaf side tick)."""
    from lift3d.reconstruct.plan_conventions import deskew

    image = deskew(picture).rgb.copy()
    layout = result.layout
    image[layout.walls] = image[layout.walls] * 0.3 + np.array([0.1, 0.2, 0.9]) * 0.7
    for opening in layout.openings:
        image[opening.box()] = (0.1, 0.8, 0.1) if opening.kind == "window" else (0.9, 0.1, 0.1)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def view_3d(result, size_px: int = 640) -> np.ndarray:
    """An oblique ray-cast view of the built scene, each kind of node in its own colour."""
    import trimesh

    meshes, colours = [], []
    for node in result.model.scene.graph.nodes_geometry:
        transform, geometry = result.model.scene.graph[node]
        mesh = result.model.scene.geometry[geometry].copy().apply_transform(transform)
        meshes.append(mesh)
        colours.append(np.tile(COLOURS.get(node.split("_")[0], (0.6, 0.6, 0.6)), (len(mesh.faces), 1)))
    scene = trimesh.util.concatenate(meshes)
    face_colour = np.concatenate(colours)
    centre = scene.bounds.mean(axis=0)
    radius = float(np.linalg.norm(scene.extents)) / 2
    toward = np.array([0.45, 0.8, 0.6])
    toward /= np.linalg.norm(toward)
    right = np.cross([0.0, 1.0, 0.0], toward)
    right /= np.linalg.norm(right)
    up = np.cross(toward, right)
    steps = (np.arange(size_px) + 0.5) / size_px * 2 - 1
    sx, sy = np.meshgrid(steps * radius, -steps * radius)
    origins = centre + sx.reshape(-1, 1) * right + sy.reshape(-1, 1) * up + 3 * radius * toward
    faces, rays = scene.ray.intersects_id(
        origins, np.broadcast_to(-toward, origins.shape), multiple_hits=False
    )
    image = np.full((size_px * size_px, 3), 0.95)
    light = np.array([0.3, 0.9, 0.3]) / np.linalg.norm([0.3, 0.9, 0.3])
    shade = 0.35 + 0.65 * np.abs(scene.face_normals[faces] @ light)
    image[rays] = face_colour[faces] * shade[:, None]
    return (image.reshape(size_px, size_px, 3) * 255).astype(np.uint8)


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image shrunk to fit (width, height), keeping its shape, centred on white."""
    import cv2

    scale = min(width / image.shape[1], height / image.shape[0])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cell = np.full((height, width, 3), 255, np.uint8)
    top, left = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    cell[top : top + small.shape[0], left : left + small.shape[1]] = small
    return cell


def sheet(folder: Path, first_seed: int) -> None:
    """docs pictures: 4 held-out alt plans with what was found overlaid, and one plan in 3D."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    cells = []
    for seed in range(first_seed, first_seed + 4):
        plan = generate_alt_plan(seed)
        result = convert_plan(plan.drawing.picture(), PlanOptions(scale_m_per_px=plan.drawing.m_per_px))
        cell = _fit(overlay(plan.drawing.picture(), result), 640, 560)
        label = f"{seed} {plan.wall_style} walls, scan {plan.rotation_deg:+.1f} deg"
        cv2.putText(cell, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        cells.append(cell)
        if seed == first_seed:
            original = _fit(plan.drawing.rgb, 640, 560)
            three_d = view_3d(result)
    grid = np.concatenate([np.concatenate(cells[:2], axis=1), np.concatenate(cells[2:], axis=1)], axis=0)
    cv2.imwrite(str(folder / "conventions.jpg"), grid[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    side = np.full((640, 1280, 3), 255, np.uint8)
    side[40:600, :640] = original
    side[:, 640:] = three_d
    cv2.imwrite(str(folder / "conventions_3d.jpg"), side[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(folder / "conventions.jpg", folder / "conventions_3d.jpg")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=24, help="alt plans to score [default: 24]")
    parser.add_argument("--first-seed", type=int, default=ALT_HELDOUT_SEED)
    parser.add_argument("--first", type=int, default=0, help="also score this many first-convention plans")
    parser.add_argument("--json", default=str(RESULTS / "plan_conventions.json"))
    parser.add_argument("--sheet", help="write the pictures into this folder instead of scoring")
    args = parser.parse_args()
    if args.sheet:
        sheet(Path(args.sheet), args.first_seed)
        return

    def alt():
        for seed in range(args.first_seed, args.first_seed + args.n):
            plan = generate_alt_plan(seed)
            yield plan.drawing, f"{plan.wall_style} {plan.rotation_deg:+.2f}deg"

    report = {"first_seed": args.first_seed, "alt": run(alt(), "alt convention")}
    if args.first:
        first = (
            (generate_plan(seed), "first")
            for seed in range(HELDOUT_PLAN_SEED, HELDOUT_PLAN_SEED + args.first)
        )
        report["first_convention"] = run(first, "first convention (held out)")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, json.dumps(report, indent=2).encode())
    print(path)


if __name__ == "__main__":
    main()

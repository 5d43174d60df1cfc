"""Floor-plan conversion quality on held-out synthetic plans: walls, openings, rooms, scale, speed.

Each plan (seeds from HELDOUT_PLAN_SEED, never used for tuning) is converted at its true
scale and scored on the built model: wall IoU of a horizontal cut at 1.5 m against the
drawn walls and of the plan-view footprint against the closed footprint; door and window
precision/recall (centres within half the true width); the share of doors whose leaf
opens on the drawn side from the drawn hinge; the share of true openings a ray
passes through (doors at 1.0 m, windows at 1.5 m) and of solid-wall probes that block
one; rooms found; and the scale error of --wall-length and of the door-width default.
Prints a table and writes benchmarks/results/plan_quality.json.

    python benchmarks/plan_quality.py [--n 20] [--first-seed 1000000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan
from lift3d.evaluate.plan_score import (
    iou,
    match_openings,
    ray_is_blocked,
    solid_wall_points,
    true_centre_m,
    wall_footprint_mask,
    wall_section_mask,
    walls_mesh,
)
from lift3d.files import write_bytes_atomic
from lift3d.reconstruct.plan import PlanOptions, convert_plan, resolve_scale
from lift3d.reconstruct.plan_parse import longest_wall_px

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def score_plan(seed: int) -> dict:
    drawing = generate_plan(seed)
    started = time.perf_counter()
    result = convert_plan(drawing.picture(), PlanOptions(scale_m_per_px=drawing.m_per_px))
    seconds = time.perf_counter() - started
    model, shape = result.model, drawing.wall_mask.shape
    walls = walls_mesh(model)

    def reach_m(thickness_px: float) -> float:
        return thickness_px * drawing.m_per_px / 2 + 0.3

    passes = [
        not ray_is_blocked(
            walls,
            true_centre_m(opening, model.frame),
            opening.axis,
            1.0 if opening.kind == "door" else 1.5,
            reach_m(opening.thickness_px),
        )
        for opening in drawing.openings
    ]
    probes = solid_wall_points(drawing)
    blocks = [
        ray_is_blocked(walls, model.frame.to_metres(*point), axis, 1.0, reach_m(thickness))
        for point, axis, thickness in probes
    ]
    thinnest_px = min(wall.thickness_px for wall in drawing.walls)
    true_length_m = longest_wall_px(drawing.footprint_mask, thinnest_px) * drawing.m_per_px
    by_length, _ = resolve_scale(result.layout, PlanOptions(wall_length_m=true_length_m))
    by_default, default_from = resolve_scale(result.layout, PlanOptions())
    rows, cols = np.nonzero(drawing.footprint_mask)
    true_size = np.array([cols.max() + 1 - cols.min(), rows.max() + 1 - rows.min()]) * drawing.m_per_px
    bounds = model.scene.bounds
    doors, windows = match_openings(model, drawing, "door"), match_openings(model, drawing, "window")
    swings = [
        any(
            (found.swing, found.hinge_at_start) == (true.swing, true.hinge_at_start)
            for found in result.layout.doors
            if found.axis == true.axis
            and np.hypot(found.centre_px[0] - true.centre_px[0], found.centre_px[1] - true.centre_px[1])
            < 0.25 * true.width_px
        )
        for true in drawing.doors
    ]
    return {
        "seed": seed,
        "wall_iou_cut_1_5m": round(iou(wall_section_mask(model, shape, 1.5), drawing.wall_mask), 4),
        "wall_iou_footprint": round(iou(wall_footprint_mask(model, shape), drawing.footprint_mask), 4),
        "door_precision": round(doors.precision, 3),
        "door_recall": round(doors.recall, 3),
        "window_precision": round(windows.precision, 3),
        "window_recall": round(windows.recall, 3),
        "doors_true": doors.true,
        "windows_true": windows.true,
        "door_swing_correct": round(float(np.mean(swings)) if swings else 1.0, 3),
        "openings_passable": round(float(np.mean(passes)) if passes else 1.0, 3),
        "solid_walls_blocking": round(float(np.mean(blocks)) if blocks else 1.0, 3),
        "rooms_found": len(model.rooms),
        "rooms_true": len(drawing.rooms),
        "size_error_given_scale": round(
            float(np.abs((bounds[1] - bounds[0])[[0, 2]] / true_size - 1).max()), 4
        ),
        "scale_error_wall_length": round(abs(by_length / drawing.m_per_px - 1), 4),
        "scale_error_default": round(abs(by_default / drawing.m_per_px - 1), 4),
        "default_scale_from": default_from,
        "seconds": round(seconds, 3),
    }


COLUMNS = (
    ("seed", "seed", "{:d}"),
    ("wall_iou_cut_1_5m", "IoU cut", "{:.3f}"),
    ("wall_iou_footprint", "IoU foot", "{:.3f}"),
    ("door_precision", "door P", "{:.2f}"),
    ("door_recall", "door R", "{:.2f}"),
    ("window_precision", "win P", "{:.2f}"),
    ("window_recall", "win R", "{:.2f}"),
    ("door_swing_correct", "swing", "{:.2f}"),
    ("openings_passable", "open", "{:.2f}"),
    ("solid_walls_blocking", "solid", "{:.2f}"),
    ("size_error_given_scale", "size err", "{:.2%}"),
    ("scale_error_wall_length", "len err", "{:.2%}"),
    ("scale_error_default", "dflt err", "{:.1%}"),
    ("seconds", "s", "{:.2f}"),
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20, help="number of held-out plans [default: 20]")
    parser.add_argument("--first-seed", type=int, default=HELDOUT_PLAN_SEED)
    parser.add_argument("--json", default=str(RESULTS / "plan_quality.json"))
    args = parser.parse_args()

    rows = []
    print(" ".join(f"{title:>9}" for _, title, _ in COLUMNS), "rooms")
    for seed in range(args.first_seed, args.first_seed + args.n):
        row = score_plan(seed)
        rows.append(row)
        cells = [fmt.format(row[key]) for key, _, fmt in COLUMNS]
        print(" ".join(f"{cell:>9}" for cell in cells), f"{row['rooms_found']}/{row['rooms_true']}")

    numeric = [key for key, _, _ in COLUMNS[1:]]
    mean = {key: round(float(np.mean([row[key] for row in rows])), 4) for key in numeric}
    worst = {
        "wall_iou_cut_1_5m": min(row["wall_iou_cut_1_5m"] for row in rows),
        "wall_iou_footprint": min(row["wall_iou_footprint"] for row in rows),
        "scale_error_default": max(row["scale_error_default"] for row in rows),
    }
    rooms_exact = float(np.mean([row["rooms_found"] == row["rooms_true"] for row in rows]))
    cells = ["mean"] + [fmt.format(mean[key]) for key, _, fmt in COLUMNS[1:]]
    print(" ".join(f"{cell:>9}" for cell in cells), f"rooms exact {rooms_exact:.0%}")
    print(f"worst: {worst}")
    report = {
        "plans": args.n,
        "first_seed": args.first_seed,
        "mean": mean,
        "worst": worst,
        "rooms_exact_share": rooms_exact,
        "rows": rows,
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, json.dumps(report, indent=2).encode())
    print(path)


if __name__ == "__main__":
    main()

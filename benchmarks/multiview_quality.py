"""Quality and speed of the multi-picture inputs: ortho drawings and views around an object.

Ortho: volume IoU (manifold3d booleans) between the asset and the true solid for CAD-like
parts (blocks with holes, brackets, L-profiles, stepped blocks, channels) drawn as
third- and first-angle sheets. Views: F-score at 0.05 and 0.02 (lift3d.evaluate) of the
asset against the synthetic engine's shape, from 8 evenly spaced level views. Seeds are
apart from the tests'. Prints a table and writes benchmarks/results/multiview_quality.json.

    python benchmarks/multiview_quality.py [--parts 20] [--objects 16] [--fast]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "tests" / "multiview"))  # the ground-truth part and render helpers

from mv_shapes import (  # noqa: E402
    PART_KINDS,
    as_picture,
    cad_part,
    normalised,
    ortho_sheet,
    synthetic_object,
    to_trimesh,
    turntable_pictures,
    volume_iou,
)

from lift3d.asset import AssetOptions  # noqa: E402
from lift3d.data.synth import family_for_seed  # noqa: E402
from lift3d.evaluate import EvalOptions, score_mesh  # noqa: E402
from lift3d.evaluate.heldout import HELDOUT_SEED  # noqa: E402
from lift3d.pipelines.ortho import OrthoOptions, convert_ortho  # noqa: E402
from lift3d.pipelines.views import ViewsOptions, convert_views  # noqa: E402
from lift3d.reconstruct.views import CarveOptions  # noqa: E402

ORTHO_SEED = 20_000
VIEWS_SEED = HELDOUT_SEED + 1_000


def bench_ortho(count: int, sheet_px: int, asset: AssetOptions) -> list[dict]:
    rows = []
    for index in range(count):
        seed, kind = ORTHO_SEED + index, PART_KINDS[index % len(PART_KINDS)]
        projection = ("third-angle", "first-angle")[(index // len(PART_KINDS)) % 2]
        truth = normalised(to_trimesh(cad_part(np.random.default_rng(seed), kind)))
        sheet = as_picture(ortho_sheet(truth, sheet_px, projection), f"{kind} {seed}")
        started = time.perf_counter()
        result = convert_ortho(sheet, OrthoOptions(asset=asset))
        seconds = time.perf_counter() - started
        rows.append(
            {
                "seed": seed,
                "kind": kind,
                "projection": projection,
                "iou": round(volume_iou(result.mesh, truth), 4),
                "faces": len(result.mesh.faces),
                "seconds": round(seconds, 3),
            }
        )
    return rows


def bench_views(count: int, picture_px: int, options: ViewsOptions) -> list[dict]:
    rows = []
    scoring = EvalOptions(points=10_000)
    for index in range(count):
        seed = VIEWS_SEED + index
        mesh, face_material, materials = synthetic_object(seed)
        pictures = turntable_pictures(
            mesh, face_material, materials, [45.0 * k for k in range(8)], picture_px
        )
        started = time.perf_counter()
        result = convert_views(pictures, None, options)
        seconds = time.perf_counter() - started
        scores = score_mesh(result.mesh, mesh, scoring)
        rows.append(
            {
                "seed": seed,
                "family": family_for_seed(seed),
                "fscore_005": round(scores.fscore_005, 4),
                "fscore_002": round(scores.fscore_002, 4),
                "chamfer_l1": round(scores.chamfer_l1, 5),
                "watertight": scores.watertight,
                "seconds": round(seconds, 3),
            }
        )
    return rows


def summarise(rows: list[dict], metric: str, group: str) -> dict:
    groups: dict[str, list[float]] = {}
    for row in rows:
        groups.setdefault(row[group], []).append(row[metric])
    return {
        "mean": round(statistics.fmean(row[metric] for row in rows), 4),
        "min": round(min(row[metric] for row in rows), 4),
        "share_at_least_0.9": round(sum(row[metric] >= 0.9 for row in rows) / len(rows), 4),
        "mean_seconds": round(statistics.fmean(row["seconds"] for row in rows), 3),
        f"by_{group}": {name: round(statistics.fmean(values), 4) for name, values in sorted(groups.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", type=int, default=20, help="ortho parts to convert [default: 20]")
    parser.add_argument("--objects", type=int, default=16, help="objects seen from 8 views [default: 16]")
    parser.add_argument(
        "--sheet-px", type=int, default=256, help="render size of each drawn view [default: 256]"
    )
    parser.add_argument(
        "--picture-px", type=int, default=160, help="size of each view picture [default: 160]"
    )
    parser.add_argument(
        "--fast", action="store_true", help="small textures and face budgets (geometry unchanged)"
    )
    args = parser.parse_args()

    asset = AssetOptions(max_faces=5000, texture_px=256) if args.fast else AssetOptions()
    views_options = ViewsOptions(carve=CarveOptions(view_px=2 * args.picture_px), asset=asset)
    ortho_rows = bench_ortho(args.parts, args.sheet_px, asset)
    views_rows = bench_views(args.objects, args.picture_px, views_options)
    ortho = summarise(ortho_rows, "iou", "kind")
    views = summarise(views_rows, "fscore_005", "family")

    print(f"{'input':<8} {'n':>3} {'metric':<10} {'mean':>6} {'min':>6} {'>=0.9':>6} {'s/asset':>8}")
    for name, rows, metric, summary in (
        ("ortho", ortho_rows, "IoU", ortho),
        ("views", views_rows, "F@0.05", views),
    ):
        print(
            f"{name:<8} {len(rows):>3} {metric:<10} {summary['mean']:>6.3f} {summary['min']:>6.3f} "
            f"{summary['share_at_least_0.9']:>6.0%} {summary['mean_seconds']:>8.2f}"
        )
    for name, summary, group in (("ortho IoU", ortho, "kind"), ("views F@0.05", views, "family")):
        print(
            f"{name} by {group}: "
            + ", ".join(f"{key} {value:.3f}" for key, value in summary[f"by_{group}"].items())
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "settings": {**vars(args), "asset": asset.__dict__, "views_carve": views_options.carve.__dict__},
        "ortho": {"summary": ortho, "parts": ortho_rows},
        "views": {"summary": views, "objects": views_rows},
    }
    path = RESULTS / "multiview_quality.json"
    path.write_text(json.dumps(report, indent=2))
    print(path)


if __name__ == "__main__":
    main()

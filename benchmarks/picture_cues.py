"""Which cues of the picture the shape model reads: outline, shading, fine detail.

The same diffusion model converts each picture three ways, through the real convert path:

* full: the render as the eval sees it (RGBA, alpha as the mask);
* silhouette: every object pixel painted one grey, so only the outline is left
  (inflation sees no more than this);
* 32px: the colours shrunk to 32x32 and blown up again, the alpha untouched, so the
  outline stays sharp and only shading detail finer than the model's 64 px is lost.

Run on the real-shape set (RGBA pictures) and on synthetic held-out samples, with
inflation beside them. What the model gains over inflation on `silhouette` it knows
from outlines alone; what `full` adds on top is read from shading.

    OMP_NUM_THREADS=2 PYTHONPATH=src python benchmarks/picture_cues.py [--views 2] [--heldout 96]
        [--json benchmarks/results/picture_cues.json]

Needs `pip install 'lift3d[real]'`; about 15 minutes on two threads with the defaults.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch

from lift3d.api import Converter
from lift3d.evaluate.heldout import converter_method, heldout_samples, rendered_picture
from lift3d.evaluate.options import EvalOptions
from lift3d.evaluate.real import real_views, view_plan
from lift3d.evaluate.report import MethodSummary, format_table
from lift3d.evaluate.runner import evaluate
from lift3d.files import atomic_path
from lift3d.types import Picture, Sample

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
COARSE_PX = 32


def silhouette_picture(sample: Sample) -> Picture:
    """The render with its object painted flat grey: the outline is all that is left."""
    picture = rendered_picture(sample)
    return Picture(rgb=np.full_like(picture.rgb, 0.5), alpha=picture.alpha, source=picture.source)


def coarse_picture(sample: Sample) -> Picture:
    """The render's colours at COARSE_PX and back, with the alpha at full resolution."""
    picture = rendered_picture(sample)
    height, width = picture.rgb.shape[:2]
    small = cv2.resize(picture.rgb, (COARSE_PX, COARSE_PX), interpolation=cv2.INTER_AREA)
    rgb = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return Picture(rgb=np.clip(rgb, 0.0, 1.0), alpha=picture.alpha, source=picture.source)


CUES: dict[str, Callable[[Sample], Picture]] = {
    "full": rendered_picture,
    "silhouette": silhouette_picture,
    f"{COARSE_PX}px": coarse_picture,
}


def score_set(samples: list[Sample]) -> tuple[str, dict[str, MethodSummary]]:
    """Inflation once, the model once per cue; returns the table and {method: overall scores}."""
    model = Converter("diffusion")
    methods = {"inflate": converter_method("inflate", rendered_picture)}
    for cue, make_picture in CUES.items():
        name = "diffusion" if cue == "full" else f"diffusion/{cue}"
        methods[name] = converter_method("diffusion", make_picture, converter=model)
    report = evaluate(samples, methods, EvalOptions(), progress=False)
    return format_table(report), report.overall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--views", type=int, default=2, help="views of each real object")
    parser.add_argument("--heldout", type=int, default=96, help="synthetic held-out samples")
    parser.add_argument("--json", default=str(RESULTS / "picture_cues.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    sets = {
        "real rgba": [view.sample for _, view in real_views(view_plan(args.views))],
        "synthetic held-out": list(heldout_samples(None, args.heldout)),
    }
    results = {}
    for label, samples in sets.items():
        table, overall = score_set(samples)
        inflate = overall["inflate"]
        results[label] = {
            "samples": len(samples),
            "overall": {name: asdict(scores) for name, scores in overall.items()},
            "gain_over_inflation": {
                name: {
                    "fscore_005": scores.fscore_005 - inflate.fscore_005,
                    "normal_consistency": scores.normal_consistency - inflate.normal_consistency,
                }
                for name, scores in overall.items()
                if name != "inflate"
            },
        }
        print(f"== {label} ({len(samples)} pictures)\n{table}\n")
        for name, gain in results[label]["gain_over_inflation"].items():
            print(
                f"  {name:22s} over inflation: F@0.05 {gain['fscore_005']:+.3f}"
                f"  normals {gain['normal_consistency']:+.3f}"
            )
        print()
    record = {"coarse_px": COARSE_PX, "seconds": time.perf_counter() - start, "sets": results}
    with atomic_path(args.json) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json} ({record['seconds']:.0f} s)")


if __name__ == "__main__":
    main()

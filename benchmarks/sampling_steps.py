"""How sampling settings trade speed for quality: steps and ensemble size of the diffusion model.

On held-out samples, each setting's maps are meshed (reconstruct stage only, no asset
steps) and scored against ground truth; seconds are the model's sampling time. Used to
choose `--steps`' default by measurement. Prints a table; writes
benchmarks/results/sampling_steps.json.

    python benchmarks/sampling_steps.py --data data/heldout --n 48 [--model DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from lift3d.data.shards import iter_samples
from lift3d.evaluate import EvalOptions, score_mesh
from lift3d.evaluate.heldout import rendered_picture
from lift3d.generate.diffusion.weights import load_shape_model
from lift3d.inputs import CutoutOptions, make_cutout
from lift3d.reconstruct import maps_to_mesh

SETTINGS = [(1, 1), (1, 2), (1, 4), (1, 8), (4, 1), (10, 1), (25, 1), (10, 4)]  # (steps, ensemble)
ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="data/heldout")
    parser.add_argument("--n", type=int, default=48)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model = load_shape_model(args.model)
    samples = list(itertools.islice(iter_samples(args.data), args.n))
    cutouts = [make_cutout(rendered_picture(sample), CutoutOptions()) for sample in samples]
    rows = []
    for steps, ensemble in SETTINGS:
        scores, seconds = [], []
        for sample, cutout in zip(samples, cutouts, strict=True):
            started = time.perf_counter()
            maps = model.predict(cutout, seed=0, steps=steps, ensemble=ensemble)
            seconds.append(time.perf_counter() - started)
            scores.append(score_mesh(maps_to_mesh(maps), sample.mesh(), EvalOptions(points=5000)))
        row = {
            "steps": steps,
            "ensemble": ensemble,
            "fscore_005": round(float(np.mean([s.fscore_005 for s in scores])), 4),
            "chamfer_l1": round(float(np.mean([s.chamfer_l1 for s in scores])), 4),
            "sample_seconds": round(float(np.mean(seconds)), 4),
        }
        rows.append(row)
        print(json.dumps(row))
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "sampling_steps.json").write_text(
        json.dumps({"samples": len(samples), "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()

"""Fit the humanoid joint template of lift3d.rig.place on training characters (seeds 10000-10299).

For each training character, the true joints are projected onto the limb paths read
from its outline; a least-squares fit per joint (left and right pooled) predicts that
arclength from the path's features. Prints HUMANOID_TEMPLATE to paste into place.py.
Held-out seeds (benchmarks/rig_quality.py) never enter this fit.

    PYTHONPATH=src python benchmarks/rig_tune.py [--count 300]
"""

from __future__ import annotations

import argparse

import numpy as np

from lift3d.data.characters import character_sample, view_to_pixels
from lift3d.rig.place import (
    HUMANOID_MIN_CONFIDENCE,
    JOINT_PATH,
    REFERENCE_SIZE_PX,
    _path_features,
    humanoid_paths,
    outline_graph,
    template_key,
)

TRAINING_SEEDS_START = 10000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    rows: dict[str, list[np.ndarray]] = {}
    targets: dict[str, list[float]] = {}
    read = 0
    for seed in range(TRAINING_SEEDS_START, TRAINING_SEEDS_START + args.count):
        sample = character_sample(seed, args.size)
        reading = humanoid_paths(outline_graph(sample.mask))
        if reading is None or reading.confidence < HUMANOID_MIN_CONFIDENCE:
            continue
        read += 1
        truth = view_to_pixels(sample.skeleton.positions[:, :2], args.size)[:, ::-1]  # (row, column)
        for name, point in zip(sample.skeleton.names, truth, strict=True):
            path = reading.paths[JOINT_PATH[name]]
            key = template_key(name)
            rows.setdefault(key, []).append(_path_features(path, args.size / REFERENCE_SIZE_PX))
            targets.setdefault(key, []).append(path.project(point) / (args.size / REFERENCE_SIZE_PX))
    print(f"# {read}/{args.count} training characters read as humanoids (confidence >= the threshold)")
    print("HUMANOID_TEMPLATE: dict[str, tuple[float, ...]] = {")
    for key in rows:
        features, target = np.array(rows[key]), np.array(targets[key])
        used = features.any(axis=0)
        coefficients = np.zeros(features.shape[1])
        keep = np.ones(len(target), dtype=bool)
        for _ in range(3):  # trimmed least squares: a misread path must not pull the template
            coefficients[used] = np.linalg.lstsq(features[keep][:, used], target[keep], rcond=None)[0]
            error = np.abs(features @ coefficients - target)
            keep = error <= max(3.0 * float(np.median(error)), 1.0)
        residual = np.sqrt(np.mean((features @ coefficients - target)[keep] ** 2))
        values = ", ".join(f"{value:.4f}" for value in coefficients)
        print(f'    "{key}": ({values}),  # rms {residual:.2f} px, {keep.mean():.0%} kept')
    print("}")


if __name__ == "__main__":
    main()

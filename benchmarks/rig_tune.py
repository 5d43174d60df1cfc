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
from lift3d.rig.place import JOINT_PATH, _path_features, humanoid_paths, outline_graph, template_key

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
        if reading is None:
            continue
        read += 1
        truth = view_to_pixels(sample.skeleton.positions[:, :2], args.size)[:, ::-1]  # (row, column)
        for name, point in zip(sample.skeleton.names, truth, strict=True):
            path = reading.paths[JOINT_PATH[name]]
            key = template_key(name)
            rows.setdefault(key, []).append(_path_features(path))
            targets.setdefault(key, []).append(path.project(point))
    print(f"# {read}/{args.count} training characters read as humanoids")
    print("HUMANOID_TEMPLATE: dict[str, tuple[float, ...]] = {")
    for key in rows:
        features, target = np.array(rows[key]), np.array(targets[key])
        used = features.any(axis=0)
        coefficients = np.zeros(features.shape[1])
        coefficients[used] = np.linalg.lstsq(features[:, used], target, rcond=None)[0]
        residual = np.sqrt(np.mean((features @ coefficients - target) ** 2))
        values = ", ".join(f"{value:.4f}" for value in coefficients)
        print(f'    "{key}": ({values}),  # rms {residual:.2f} px')
    print("}")


if __name__ == "__main__":
    main()

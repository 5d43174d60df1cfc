"""Fit the joint templates of lift3d.rig: humanoid (place.py) and quadruped (quadruped.py) on training seeds.

Humanoids: characters 10000-10299; quadrupeds: animals 10000-10199 (--kind quadruped).
For each training character, the true joints are projected onto the limb paths read
from its outline; a least-squares fit per joint (left and right pooled) predicts that
arclength from the path's features. A quadruped's trunk joints also get the median
distance across the path, as a share of its thickness there. Prints the template to
paste into place.py or quadruped.py. Held-out seeds (20000 on, benchmarks/rig_quality.py)
never enter this fit.

    PYTHONPATH=src python benchmarks/rig_tune.py [--count 300]
    PYTHONPATH=src python benchmarks/rig_tune.py --kind quadruped [--count 200]
"""

from __future__ import annotations

import argparse

import numpy as np

from lift3d.data.characters import character_sample, quadruped_sample, view_to_pixels
from lift3d.rig.place import (
    HUMANOID_MIN_CONFIDENCE,
    JOINT_PATH,
    REFERENCE_SIZE_PX,
    _path_features,
    humanoid_paths,
    outline_graph,
    template_key,
)
from lift3d.rig.quadruped import (
    HOLE_SHARE_KEPT,
    QUADRUPED_JOINT_PATH,
    QUADRUPED_MIN_CONFIDENCE,
    across,
    quadruped_features,
    quadruped_paths,
    quadruped_template_key,
)

TRAINING_SEEDS_START = 10000


def trimmed_fit(features: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Least squares that drops misread paths (3x the median error) twice: coefficients, rms, share kept."""
    used = features.any(axis=0)
    coefficients = np.zeros(features.shape[1])
    keep = np.ones(len(target), dtype=bool)
    for _ in range(3):  # trimmed least squares: a misread path must not pull the template
        coefficients[used] = np.linalg.lstsq(features[keep][:, used], target[keep], rcond=None)[0]
        error = np.abs(features @ coefficients - target)
        keep = error <= max(3.0 * float(np.median(error)), 1.0)
    residual = float(np.sqrt(np.mean((features @ coefficients - target)[keep] ** 2)))
    return coefficients, residual, float(keep.mean())


def fit_quadruped(count: int, size: int) -> None:
    unit_px = size / REFERENCE_SIZE_PX
    rows: dict[str, list[np.ndarray]] = {}
    targets: dict[str, list[float]] = {}
    offsets: dict[str, list[float]] = {}
    spreads: list[float] = []
    read = 0
    for seed in range(TRAINING_SEEDS_START, TRAINING_SEEDS_START + count):
        sample = quadruped_sample(seed, size)
        reading = quadruped_paths(outline_graph(sample.mask, HOLE_SHARE_KEPT), sample.mask)
        if reading is None or reading.confidence < QUADRUPED_MIN_CONFIDENCE:
            continue
        read += 1
        truth = view_to_pixels(sample.skeleton.positions[:, :2], size)[:, ::-1]  # (row, column)
        for name, point in zip(sample.skeleton.names, truth, strict=True):
            path_name = QUADRUPED_JOINT_PATH[name]
            path = reading.paths[path_name]
            key = quadruped_template_key(name)
            distance = path.project(point)
            rows.setdefault(key, []).append(quadruped_features(reading, path_name, unit_px))
            targets.setdefault(key, []).append(distance / unit_px)
            if path_name in reading.spread:
                _, thickness = across(path, distance)
                ahead = (point[1] - path.at(distance)[1]) * reading.facing * reading.spread[path_name]
                spreads.append(ahead / max(thickness, 1.0))
            if path_name == "spine":
                normal, thickness = across(path, distance)
                offsets.setdefault(key, []).append(
                    float(np.dot(point - path.at(distance), normal)) / max(thickness, 1.0)
                )
    print(f"# {read}/{count} training animals read as quadrupeds (confidence >= the threshold)")
    print("QUADRUPED_TEMPLATE: dict[str, tuple[float, ...]] = {")
    for key in rows:
        coefficients, residual, kept = trimmed_fit(np.array(rows[key]), np.array(targets[key]))
        offset = float(np.median(offsets[key])) if key in offsets else 0.0
        values = ", ".join(f"{value:.4f}" for value in (*coefficients, offset))
        print(f'    "{key}": ({values}),  # rms {residual:.2f} px, {kept:.0%} kept')
    print("}")
    print(f"SHARED_LEG_SPREAD = {float(np.median(spreads)):.3f}  # {len(spreads)} joints on shared legs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["humanoid", "quadruped"], default="humanoid")
    parser.add_argument(
        "--count", type=int, default=0, help="training seeds [default: 300 humanoids, 200 animals]"
    )
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    if args.kind == "quadruped":
        fit_quadruped(args.count or 200, args.size)
        return
    args.count = args.count or 300
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
        coefficients, residual, kept = trimmed_fit(np.array(rows[key]), np.array(targets[key]))
        values = ", ".join(f"{value:.4f}" for value in coefficients)
        print(f'    "{key}": ({values}),  # rms {residual:.2f} px, {kept:.0%} kept')
    print("}")


if __name__ == "__main__":
    main()

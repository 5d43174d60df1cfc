"""Automatic rigging and quadrupeds: who gets rigged unasked, what it costs, how the quadruped walk stretches.

- recognition: the confidence of the reading chosen, humanoid or quadruped
  (lift3d.rig.build.character_reading) on held-out humanoids, non-character shapes and
  side-view quadrupeds (seeds from 20000, 128 px): the share at or above each threshold,
  and which kind; AUTO_RIG_MIN_CONFIDENCE is the one used (--recognition-only stops there);
- cost: `convert` with the inflate generator on 256 px pictures with auto_rig off and on:
  the rig stage's seconds (the check alone on shapes, check + rig on characters);
- quadruped walk: heat weights of the engine's true skeleton on the animal's mesh (split
  to edges under 3 % of its height, as rig_quality.py does), the largest edge stretch
  over every key of the walk (target <= 2).

Prints tables and writes benchmarks/results/rig_auto.json.

    PYTHONPATH=src python benchmarks/rig_auto.py [--count 40] [--animals 12] [--converts 5] [--recognition-only]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import trimesh

from lift3d.api import ConvertOptions, StageTimer, load_converter
from lift3d.data.characters import character_sample, quadruped_sample
from lift3d.data.synth import generate_sample
from lift3d.files import write_bytes_atomic
from lift3d.rig.animate import joint_matrices, make_clips, max_edge_stretch, skin
from lift3d.rig.build import AUTO_RIG_MIN_CONFIDENCE, character_reading
from lift3d.rig.weights import heat_weights
from lift3d.types import Picture

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
HELDOUT_SEED = 20000
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def picture(rgba: np.ndarray, name: str) -> Picture:
    return Picture(rgba[..., :3].astype(np.float32) / 255, rgba[..., 3].astype(np.float32) / 255, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="pictures per set for recognition")
    parser.add_argument("--animals", type=int, default=12, help="quadrupeds for the walk's stretch")
    parser.add_argument("--converts", type=int, default=5, help="pictures per set for the cost")
    parser.add_argument(
        "--recognition-only", action="store_true", help="measure who is rigged unasked, nothing else"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    seeds = range(HELDOUT_SEED, HELDOUT_SEED + args.count)

    readings = {
        "humanoids": [character_reading(character_sample(seed, 128).mask) for seed in seeds],
        "shapes": [character_reading(generate_sample(seed, 128).mask) for seed in seeds],
        "quadrupeds": [character_reading(quadruped_sample(seed, 128).mask) for seed in seeds],
    }
    sets = {name: [confidence for _, confidence in values] for name, values in readings.items()}
    recognition = {
        name: {f"{t:.1f}": float(np.mean(np.array(values) >= t)) for t in THRESHOLDS}
        for name, values in sets.items()
    }
    rigged_as = {
        name: {
            kind: sum(k == kind and c >= AUTO_RIG_MIN_CONFIDENCE for k, c in values)
            for kind in ("humanoid", "quadruped")
        }
        for name, values in readings.items()
    }
    print(f"rigged unasked (share with confidence >= threshold; used: {AUTO_RIG_MIN_CONFIDENCE})")
    print(f"{'set':12}" + "".join(f"{t:>7.1f}" for t in THRESHOLDS) + "  rigged as (at the threshold used)")
    for name, shares in recognition.items():
        print(f"{name:12}" + "".join(f"{share:>7.2f}" for share in shares.values()) + f"  {rigged_as[name]}")
    if args.recognition_only:
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / "rig_auto_recognition.json"
        record = {
            "auto_rig_min_confidence": AUTO_RIG_MIN_CONFIDENCE,
            "recognition": recognition,
            "rigged_as": rigged_as,
        }
        write_bytes_atomic(out, json.dumps(record, indent=2).encode())
        print(f"wrote {out}")
        return

    converter = load_converter("inflate")
    cost = {}
    for name, make in (("humanoids", character_sample), ("shapes", generate_sample)):
        for auto in (False, True):
            rig_s, rigged = [], 0
            for seed in range(HELDOUT_SEED, HELDOUT_SEED + args.converts):
                timer = StageTimer()
                options = ConvertOptions(generator="inflate", auto_rig=auto)
                asset = converter.convert(picture(make(seed, 256).rgba, name), options, timer)[0]
                rig_s.append(timer.seconds.get("rig", 0.0))
                rigged += asset.rig is not None
            cost[f"{name}_auto_{'on' if auto else 'off'}"] = {
                "rigged": rigged,
                "rig_stage_s_mean": round(float(np.mean(rig_s)), 3),
                "rig_stage_s_max": round(float(np.max(rig_s)), 3),
            }
    print("\ncost of the rig stage (convert, inflate, 256 px)")
    for name, row in cost.items():
        print(
            f"{name:22} rigged {row['rigged']}/{args.converts}  mean {row['rig_stage_s_mean']:.2f} s  max {row['rig_stage_s_max']:.2f} s"
        )

    stretches = []
    for seed in range(HELDOUT_SEED, HELDOUT_SEED + args.animals):
        animal = quadruped_sample(seed, 128)
        vertices, faces = trimesh.remesh.subdivide_to_size(
            animal.vertices, animal.faces, 0.03 * animal.height
        )
        joints, weights = heat_weights(vertices, faces, animal.skeleton)
        (walk,) = make_clips(animal.skeleton, [])
        stretch = max(
            max_edge_stretch(
                vertices, skin(vertices, joints, weights, joint_matrices(animal.skeleton, walk, key)), faces
            )
            for key in range(len(walk.times_s))
        )
        stretches.append(round(stretch, 3))
    print(f"\nquadruped walk, largest edge stretch over {args.animals} animals: max {max(stretches):.2f}, "
          f"median {np.median(stretches):.2f}")  # fmt: skip

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "rig_auto.json"
    record = {
        "auto_rig_min_confidence": AUTO_RIG_MIN_CONFIDENCE,
        "recognition": recognition,
        "cost": cost,
        "quadruped_walk_stretch": stretches,
    }
    write_bytes_atomic(out, json.dumps(record, indent=2).encode())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

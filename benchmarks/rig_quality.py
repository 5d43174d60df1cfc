"""Rig quality on held-out synthetic characters: joint error, skeleton type, skinning stretch, speed.

Held out: humanoids from HELDOUT_CHARACTER_SEED and shapes from HELDOUT_SHAPE_SEED, never
used for tuning (the template was fitted on characters 10000-10299 by rig_tune.py; the
reading rules were designed looking at characters 0-99 and shapes 0-159).

- joint error: each placed joint against the truth, projected onto the picture, as a
  share of the character's height (target: mean <= 5 %);
- skeleton type: humanoids read as humanoids and non-character shapes (primitives,
  solids of revolution, extrusions, toys, blobs, furniture) given a chain (target >= 95 %);
- skinning: heat weights of the placed skeleton on the true mesh (split to edges under 3 %
  of the height), every key of every clip, the largest ratio of an edge's posed length to
  its rest length (target <= 2);
- pipeline: `convert(..., rig=True)` with the inflate generator on rendered pictures:
  rig stage seconds and the stretch on the asset mesh; with --validator DIR (a folder
  holding node_modules/gltf-validator), the Khronos validator's counts on the rigged GLB.

Prints a table and writes benchmarks/results/rig_quality.json.

    PYTHONPATH=src python benchmarks/rig_quality.py [--humanoids 200] [--shapes 140] [--skinned 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from lift3d.data.characters import character_sample
from lift3d.data.synth import generate_sample
from lift3d.files import write_bytes_atomic
from lift3d.rig.animate import joint_matrices, make_clips, max_edge_stretch, skin
from lift3d.rig.place import place_skeleton
from lift3d.rig.weights import heat_weights

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HELDOUT_CHARACTER_SEED = 20000
HELDOUT_SHAPE_SEED = 20000
SUBDIVIDE_SHARE_OF_HEIGHT = 0.03

VALIDATE_JS = """
const fs = require('fs');
const validator = require('gltf-validator');
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])), {maxIssues: 20}).then((r) => {
  const i = r.issues;
  console.log(JSON.stringify({errors: i.numErrors, warnings: i.numWarnings, infos: i.numInfos, hints: i.numHints,
    messages: i.messages.map((m) => m.code + ' ' + (m.pointer || '') + ': ' + m.message)}));
});
"""


def clip_stretch(vertices: np.ndarray, faces: np.ndarray, joints, weights, skeleton) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The worst edge stretch over every key of every built-in clip."""
    worst = {}
    for clip in make_clips(skeleton, ()):
        worst[clip.name] = max(
            max_edge_stretch(
                vertices, skin(vertices, joints, weights, joint_matrices(skeleton, clip, key)), faces
            )
            for key in range(len(clip.times_s))
        )
    return worst


def measure_joints(count: int, size_px: int) -> dict:
    errors, humanoid, seconds = [], 0, []
    names: tuple[str, ...] = ()
    for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
        sample = character_sample(seed, size_px)
        start = time.perf_counter()
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        seconds.append(time.perf_counter() - start)
        if placement.skeleton.kind != "humanoid":
            continue
        humanoid += 1
        names = placement.skeleton.names
        offset = placement.skeleton.positions[:, :2] - sample.skeleton.positions[:, :2]
        errors.append(np.linalg.norm(offset, axis=1) / sample.height)
    table = np.array(errors)
    return {
        "size_px": size_px,
        "characters": count,
        "read_as_humanoid": humanoid,
        "mean_joint_error_share_of_height": float(table.mean()),
        "p90_joint_error_share_of_height": float(np.percentile(table, 90)),
        "worst_character_mean_error": float(table.mean(axis=1).max()),
        "per_joint_mean": {
            name: round(float(value), 4) for name, value in zip(names, table.mean(axis=0), strict=True)
        },
        "placement_seconds_mean": float(np.mean(seconds)),
    }


def measure_shapes(count: int) -> dict:
    by_family: dict[str, list[str]] = {}
    for seed in range(HELDOUT_SHAPE_SEED, HELDOUT_SHAPE_SEED + count):
        sample = generate_sample(seed, 128)
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        by_family.setdefault(sample.family, []).append(placement.skeleton.kind)
    return {
        family: {kind: kinds.count(kind) for kind in set(kinds)}
        for family, kinds in sorted(by_family.items())
    }


def measure_skinning(count: int) -> dict:
    stretches: list[dict[str, float]] = []
    influences, sums = 0, 0.0
    for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
        sample = character_sample(seed, 128)
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        if placement.skeleton.kind != "humanoid":
            continue
        # the union of capsules has triangles running the whole length of a limb; the same
        # surface split to edges under 3 % of the height is as fine as the pipeline's meshes
        vertices, faces = trimesh.remesh.subdivide_to_size(
            sample.vertices, sample.faces, max_edge=SUBDIVIDE_SHARE_OF_HEIGHT * sample.height
        )
        joints, weights = heat_weights(vertices, faces, placement.skeleton)
        influences = max(influences, int((weights > 0).sum(axis=1).max()))
        sums = max(sums, float(np.abs(weights.sum(axis=1) - 1).max()))
        stretches.append(clip_stretch(vertices, faces, joints, weights, placement.skeleton))
    per_clip = {name: [s[name] for s in stretches] for name in stretches[0]}
    return {
        "characters": len(stretches),
        "max_stretch_per_clip": {name: round(max(values), 3) for name, values in per_clip.items()},
        "median_stretch_per_clip": {
            name: round(float(np.median(values)), 3) for name, values in per_clip.items()
        },
        "characters_within_2x": sum(max(s.values()) <= 2.0 for s in stretches),
        "max_influences": influences,
        "max_weight_sum_error": sums,
    }


def measure_pipeline(count: int, validator: Path | None, faces: int) -> dict:
    from lift3d.api import ConvertOptions, StageTimer, load_converter, save

    converter = load_converter("inflate")
    options = ConvertOptions(generator="inflate", rig=True, max_faces=faces, texture_px=256)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
            picture = Path(folder) / f"hero{seed}.png"
            Image.fromarray(character_sample(seed, 256).rgba).save(picture)
            timer = StageTimer()
            asset = converter.convert(picture, options, timer)[0]
            assert asset.rig is not None
            rig = asset.rig
            vertices, faces = np.asarray(asset.mesh.vertices), np.asarray(asset.mesh.faces)
            row: dict = {
                "seed": seed,
                "skeleton": rig.skeleton.kind,
                "confidence": round(rig.confidence, 3),
                "faces": len(faces),
                "rig_seconds": round(timer.seconds["rig"], 3),
                "convert_seconds": round(sum(timer.seconds.values()), 3),
                "stretch": {
                    k: round(v, 3)
                    for k, v in clip_stretch(vertices, faces, rig.joints, rig.weights, rig.skeleton).items()
                },
            }
            if validator is not None:
                target = Path(folder) / f"hero{seed}.glb"
                save(asset, target)
                script = Path(folder) / "validate.js"
                script.write_text(VALIDATE_JS)
                output = subprocess.run(
                    ["node", str(script), str(target)],
                    capture_output=True,
                    text=True,
                    cwd=validator,
                    check=True,
                    env={"NODE_PATH": str(validator / "node_modules"), "PATH": "/usr/bin:/bin"},
                ).stdout
                row["validator"] = json.loads(output)
            results.append(row)
    return {"runs": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--humanoids", type=int, default=200)
    parser.add_argument("--large", type=int, default=40, help="humanoids also measured at 256 px")
    parser.add_argument("--shapes", type=int, default=140)
    parser.add_argument("--skinned", type=int, default=20)
    parser.add_argument("--pipeline", type=int, default=3)
    parser.add_argument(
        "--faces", type=int, default=20000, help="face budget of the pipeline runs (the convert default)"
    )
    parser.add_argument("--validator", type=Path, help="folder with node_modules/gltf-validator")
    args = parser.parse_args()

    joints = measure_joints(args.humanoids, 128)
    joints_large = measure_joints(args.large, 256)
    shapes = measure_shapes(args.shapes)
    skinning = measure_skinning(args.skinned)
    pipeline = measure_pipeline(args.pipeline, args.validator, args.faces)
    negatives = {f: counts for f, counts in shapes.items() if f != "character"}
    right = joints["read_as_humanoid"] + sum(c.get("chain", 0) for c in negatives.values())
    total = joints["characters"] + sum(sum(c.values()) for c in negatives.values())
    result = {
        "joints_128px": joints,
        "joints_256px": joints_large,
        "shapes_skeleton_kind": shapes,
        "skeleton_type_accuracy": right / total,
        "skinning": skinning,
        "pipeline": pipeline,
    }
    print(f"{'measure':44s} value")
    print(f"{'mean joint error / height (128 px)':44s} {joints['mean_joint_error_share_of_height']:.2%}")
    print(f"{'  90th percentile':44s} {joints['p90_joint_error_share_of_height']:.2%}")
    print(
        f"{'mean joint error / height (256 px)':44s} {joints_large['mean_joint_error_share_of_height']:.2%}"
    )
    print(f"{'humanoids read as humanoids':44s} {joints['read_as_humanoid']}/{joints['characters']}")
    print(
        f"{'non-characters given a chain':44s} {right - joints['read_as_humanoid']}/{total - joints['characters']}"
    )
    print(f"{'skeleton type accuracy':44s} {right / total:.1%}")
    if "character" in shapes:
        print(f"{'shapes.py cartoon characters (kinds)':44s} {shapes['character']}")
    for name, value in skinning["max_stretch_per_clip"].items():
        median = skinning["median_stretch_per_clip"][name]
        print(f"{'max / median edge stretch, ' + name:44s} {value:.2f} / {median:.2f}")
    print(
        f"{'characters within 2x in every clip':44s} {skinning['characters_within_2x']}/{skinning['characters']}"
    )
    print(
        f"{'max influences, max |weight sum - 1|':44s} {skinning['max_influences']}, {skinning['max_weight_sum_error']:.1e}"
    )
    for run in pipeline["runs"]:
        validated = run.get("validator")
        counts = (
            f", validator {validated['errors']} errors {validated['warnings']} warnings" if validated else ""
        )
        print(
            f"{'pipeline seed ' + str(run['seed']):44s} {run['skeleton']} ({run['confidence']}), rig "
            f"{run['rig_seconds']:.2f} s of {run['convert_seconds']:.1f} s, max stretch "
            f"{max(run['stretch'].values()):.2f}{counts}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(RESULTS / "rig_quality.json", json.dumps(result, indent=2).encode())


if __name__ == "__main__":
    main()

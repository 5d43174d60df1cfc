"""Rig quality on held-out synthetic characters: joint error, skeleton type, skinning stretch, speed.

Held out: humanoids, quadrupeds and shapes from seed 20000 (HELDOUT_*_SEED), never used
for tuning. Tuning: the humanoid template was fitted on characters 10000-10299 and the
quadruped one on animals 10000-10199 by rig_tune.py; the humanoid reading rules were
designed looking at characters 0-99 and shapes 0-159, the quadruped ones at animals
10000-10099, characters 10000-10149 and shapes 10000-10279 (every family).

- joint error: each placed joint against the truth, projected onto the picture, as a
  share of the character's height (target: mean <= 5 %), for humanoids (front views)
  and quadrupeds (side views);
- skeleton type: humanoids read as humanoids, quadrupeds as quadrupeds, and shapes of
  every data-engine family but the two with characters (`character`, `creature`:
  cartoon figures, animals, birds) given a chain (target >= 95 % in each group);
- skinning: heat weights of the placed skeleton on the true mesh (split to edges under 3 %
  of the height), every key of every clip, the largest ratio of an edge's posed length to
  its rest length (target <= 2);
- pipeline: `convert(..., rig=True)` with the inflate generator on rendered pictures:
  rig stage seconds and the stretch on the asset mesh; with --validator DIR (a folder
  holding node_modules/gltf-validator), the Khronos validator's counts on the rigged GLB.

Prints a table and writes benchmarks/results/rig_quality.json.

    PYTHONPATH=src python benchmarks/rig_quality.py [--humanoids 200] [--quadrupeds 200] [--shapes 280]
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

from lift3d.data.characters import CharacterSample, character_sample, quadruped_sample
from lift3d.data.synth import SYNTH_FAMILY_NAMES, generate_sample
from lift3d.files import write_bytes_atomic
from lift3d.rig.animate import clip_stretch, make_clips, untorn
from lift3d.rig.place import place_skeleton
from lift3d.rig.weights import heat_weights

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HELDOUT_CHARACTER_SEED = 20000
HELDOUT_SHAPE_SEED = 20000
CHARACTER_FAMILIES = ("character", "creature")  # shapes.py families that draw figures and animals
SAMPLERS = {"humanoid": character_sample, "quadruped": quadruped_sample}
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


def clips_stretch(
    vertices: np.ndarray, faces: np.ndarray, joints: np.ndarray, weights: np.ndarray, skeleton, clips=None
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The worst edge stretch over every key of each clip (the skeleton's built-in clips by default)."""
    return {
        clip.name: clip_stretch(vertices, faces, joints, weights, skeleton, clip)
        for clip in (clips if clips is not None else make_clips(skeleton, ()))
    }


def measure_joints(count: int, size_px: int, kind: str = "humanoid") -> dict:
    """Joint error of the characters of `kind` read as that kind, and what every one was read as."""
    errors, seconds, kinds = [], [], []
    names: tuple[str, ...] = ()
    for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
        sample = SAMPLERS[kind](seed, size_px)
        start = time.perf_counter()
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        seconds.append(time.perf_counter() - start)
        kinds.append(placement.skeleton.kind)
        if placement.skeleton.kind != kind:
            continue
        names = placement.skeleton.names
        offset = placement.skeleton.positions[:, :2] - sample.skeleton.positions[:, :2]
        errors.append(np.linalg.norm(offset, axis=1) / sample.height)
    table = np.array(errors) if errors else np.full((1, 1), np.nan)
    return {
        "kind": kind,
        "seeds": [HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count - 1],
        "size_px": size_px,
        "characters": count,
        f"read_as_{kind}": kinds.count(kind),
        "read_as": {name: kinds.count(name) for name in sorted(set(kinds))},
        "mean_joint_error_share_of_height": float(table.mean()),
        "p90_joint_error_share_of_height": float(np.percentile(table, 90)),
        "worst_character_mean_error": float(table.mean(axis=1).max()),
        "per_joint_mean": {
            name: round(float(value), 4) for name, value in zip(names, table.mean(axis=0), strict=False)
        },
        "placement_seconds_mean": float(np.mean(seconds)),
    }


def measure_shapes(count: int) -> dict:
    """What shapes of every data-engine family are read as (seeds round-robin over the families)."""
    by_family: dict[str, list[str]] = {}
    for seed in range(HELDOUT_SHAPE_SEED, HELDOUT_SHAPE_SEED + count):
        sample = generate_sample(seed, 128, SYNTH_FAMILY_NAMES)
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        by_family.setdefault(sample.family, []).append(placement.skeleton.kind)
    return {
        family: {kind: kinds.count(kind) for kind in sorted(set(kinds))}
        for family, kinds in sorted(by_family.items())
    }


def measure_skinning(count: int, kind: str = "humanoid") -> dict:
    stretches: list[dict[str, float]] = []
    raw: list[float] = []
    shares: list[float] = []
    influences, sums = 0, 0.0
    for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
        sample: CharacterSample = SAMPLERS[kind](seed, 128)
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        if placement.skeleton.kind != kind:
            continue
        # the union of capsules has triangles running the whole length of a limb; the same
        # surface split to edges under 3 % of the height is as fine as the pipeline's meshes
        vertices, faces = trimesh.remesh.subdivide_to_size(
            sample.vertices, sample.faces, max_edge=SUBDIVIDE_SHARE_OF_HEIGHT * sample.height
        )
        joints, weights = heat_weights(vertices, faces, placement.skeleton)
        influences = max(influences, int((weights > 0).sum(axis=1).max()))
        sums = max(sums, float(np.abs(weights.sum(axis=1) - 1).max()))
        clips = make_clips(placement.skeleton, ())
        raw.append(max(clips_stretch(vertices, faces, joints, weights, placement.skeleton, clips).values()))
        if kind == "quadruped":  # as rig_mesh does: damped where the mesh would tear
            clips = tuple(
                untorn(clip, placement.skeleton, vertices, faces, joints, weights) for clip in clips
            )
        shares.append(min(clip.motion_share for clip in clips))
        stretches.append(clips_stretch(vertices, faces, joints, weights, placement.skeleton, clips))
    per_clip = {name: [s[name] for s in stretches] for name in stretches[0]}
    return {
        "kind": kind,
        "characters": len(stretches),
        "max_stretch_per_clip": {name: round(max(values), 3) for name, values in per_clip.items()},
        "median_stretch_per_clip": {
            name: round(float(np.median(values)), 3) for name, values in per_clip.items()
        },
        "characters_within_2x": sum(max(s.values()) <= 2.0 for s in stretches),
        "undamped_max_stretch": [round(value, 3) for value in raw],
        "motion_share": [round(value, 3) for value in shares],
        "max_influences": influences,
        "max_weight_sum_error": sums,
    }


def measure_pipeline(count: int, validator: Path | None, faces: int, kind: str = "humanoid") -> dict:
    from lift3d.api import ConvertOptions, StageTimer, load_converter, save

    converter = load_converter("inflate")
    options = ConvertOptions(generator="inflate", rig=True, max_faces=faces, texture_px=256)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(HELDOUT_CHARACTER_SEED, HELDOUT_CHARACTER_SEED + count):
            picture = Path(folder) / f"{kind}{seed}.png"
            Image.fromarray(SAMPLERS[kind](seed, 256).rgba).save(picture)
            timer = StageTimer()
            asset = converter.convert(picture, options, timer)[0]
            assert asset.rig is not None
            rig = asset.rig
            vertices, faces = np.asarray(asset.mesh.vertices), np.asarray(asset.mesh.faces)
            row: dict = {
                "kind": kind,
                "seed": seed,
                "skeleton": rig.skeleton.kind,
                "confidence": round(rig.confidence, 3),
                "faces": len(faces),
                "rig_seconds": round(timer.seconds["rig"], 3),
                "convert_seconds": round(sum(timer.seconds.values()), 3),
                "motion_share": {clip.name: round(clip.motion_share, 3) for clip in rig.clips},
                "stretch": {
                    k: round(v, 3)
                    for k, v in clips_stretch(
                        vertices, faces, rig.joints, rig.weights, rig.skeleton, rig.clips
                    ).items()
                },
            }
            if validator is not None:
                target = Path(folder) / f"{kind}{seed}.glb"
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
    parser.add_argument("--quadrupeds", type=int, default=200)
    parser.add_argument(
        "--large", type=int, default=40, help="humanoids and quadrupeds also measured at 256 px"
    )
    parser.add_argument("--shapes", type=int, default=280, help="shapes, round-robin over all 14 families")
    parser.add_argument("--skinned", type=int, default=20)
    parser.add_argument("--pipeline", type=int, default=3)
    parser.add_argument(
        "--faces", type=int, default=20000, help="face budget of the pipeline runs (the convert default)"
    )
    parser.add_argument("--validator", type=Path, help="folder with node_modules/gltf-validator")
    parser.add_argument("--output", type=Path, default=RESULTS / "rig_quality.json")
    args = parser.parse_args()

    joints = measure_joints(args.humanoids, 128)
    joints_large = measure_joints(args.large, 256)
    animals = measure_joints(args.quadrupeds, 128, "quadruped")
    animals_large = measure_joints(args.large, 256, "quadruped")
    shapes = measure_shapes(args.shapes)
    skinning = measure_skinning(args.skinned)
    animal_skinning = measure_skinning(args.skinned, "quadruped")
    pipeline = measure_pipeline(args.pipeline, args.validator, args.faces)
    pipeline["runs"] += measure_pipeline(args.pipeline, args.validator, args.faces, "quadruped")["runs"]
    negatives = {f: counts for f, counts in shapes.items() if f not in CHARACTER_FAMILIES}
    shapes_right = sum(c.get("chain", 0) for c in negatives.values())
    shapes_total = sum(sum(c.values()) for c in negatives.values())
    shapes_as = {kind: sum(c.get(kind, 0) for c in negatives.values()) for kind in ("humanoid", "quadruped")}
    right = joints["read_as_humanoid"] + animals["read_as_quadruped"] + shapes_right
    total = joints["characters"] + animals["characters"] + shapes_total
    result = {
        "joints_128px": joints,
        "joints_256px": joints_large,
        "quadruped_joints_128px": animals,
        "quadruped_joints_256px": animals_large,
        "shapes_skeleton_kind": shapes,
        "non_characters": {"shapes": shapes_total, "chain": shapes_right, **shapes_as},
        "skeleton_type_accuracy": right / total,
        "skinning": skinning,
        "quadruped_skinning": animal_skinning,
        "pipeline": pipeline,
    }
    print(f"{'measure':44s} value")
    for label, table in (("humanoids", joints), ("quadrupeds", animals)):
        large = joints_large if table is joints else animals_large
        seeds = f"seeds {table['seeds'][0]}-{table['seeds'][1]}"
        print(
            f"{label + ': mean joint error / height (128 px)':44s} {table['mean_joint_error_share_of_height']:.2%}  ({seeds})"
        )
        print(f"{'  90th percentile':44s} {table['p90_joint_error_share_of_height']:.2%}")
        print(f"{'  worst character mean':44s} {table['worst_character_mean_error']:.2%}")
        print(
            f"{label + ': mean joint error / height (256 px)':44s} {large['mean_joint_error_share_of_height']:.2%}  ({large['characters']} characters)"
        )
        print(f"{label + ' read as':44s} {table['read_as']} of {table['characters']}")
    print(
        f"{'non-characters given a chain':44s} {shapes_right}/{shapes_total} "
        f"(as humanoid {shapes_as['humanoid']}, as quadruped {shapes_as['quadruped']}; seeds "
        f"{HELDOUT_SHAPE_SEED}-{HELDOUT_SHAPE_SEED + args.shapes - 1}, 12 families)"
    )
    print(f"{'skeleton type accuracy (all three groups)':44s} {right / total:.1%}")
    for family in CHARACTER_FAMILIES:
        if family in shapes:
            print(f"{'shapes.py ' + family + ' family (kinds)':44s} {shapes[family]}")
    for label, table in (("humanoid", skinning), ("quadruped", animal_skinning)):
        for name, value in table["max_stretch_per_clip"].items():
            median = table["median_stretch_per_clip"][name]
            print(f"{label + ' max / median edge stretch, ' + name:44s} {value:.2f} / {median:.2f}")
        print(
            f"{label + 's within 2x in every clip':44s} {table['characters_within_2x']}/{table['characters']}"
        )
        damped = [share for share in table["motion_share"] if share < 1.0]
        print(
            f"{'  undamped max stretch; damped clips':44s} {max(table['undamped_max_stretch']):.2f}; "
            f"{len(damped)} (least motion kept {min(damped, default=1.0):.0%})"
        )
        print(
            f"{'max influences, max |weight sum - 1|':44s} {table['max_influences']}, {table['max_weight_sum_error']:.1e}"
        )
    for run in pipeline["runs"]:
        validated = run.get("validator")
        counts = (
            f", validator {validated['errors']} errors {validated['warnings']} warnings" if validated else ""
        )
        print(
            f"{'pipeline ' + run['kind'] + ' seed ' + str(run['seed']):44s} {run['skeleton']} ({run['confidence']}), rig "
            f"{run['rig_seconds']:.2f} s of {run['convert_seconds']:.1f} s, max stretch "
            f"{max(run['stretch'].values()):.2f}{counts}"
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(args.output, json.dumps(result, indent=2).encode())


if __name__ == "__main__":
    main()

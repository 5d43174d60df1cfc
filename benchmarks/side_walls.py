"""Side walls before and after: a terrace measure and view sheets, this tree against a revision.

Turned 90 degrees, a result used to show a vertical ridge of stair-steps where its front
and back surfaces meet. This converts the same pictures (the bundled samples, held-out
synthetic renders, and real objects when `lift3d.evaluate.real` is installed) with the
reconstruction of this tree and of `--before REV` (extracted with `git archive`, run in its
own process on the very same shape maps), then

- measures the side walls: the mean angle between each vertex normal of the reconstructed
  mesh and the mean normal of its 24 nearest vertices, over vertices whose normal lies
  within 17.5 degrees of the picture plane ("side"), next to the same over vertices facing
  the viewer ("front"); a terrace shows as a side value well above the front one;
- draws a sheet per group, one row per object: front, 3/4, side and back of the asset as
  `lift3d convert` writes it (grey, so shading shows the geometry), before then after.

Writes docs/sidewalls/GROUP.png and benchmarks/results/side_walls.json.

    python benchmarks/side_walls.py --before 9e1d4ca [--heldout 6] [--real 10]
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHEETS = ROOT / "docs" / "sidewalls"
ANGLES_DEG = (0.0, 45.0, 90.0, 180.0)
CELL_PX = 128
NEIGHBOURS = 24
SIDE_COS = 0.3  # |n_z| below this: the normal lies within 17.5 degrees of the picture plane
FRONT_COS = 0.8


def wall_roughness_deg(vertices: np.ndarray, normals: np.ndarray) -> dict[str, float]:
    """Mean deviation (degrees) of vertex normals from their neighbourhood's mean, side and front."""
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(vertices).query(vertices, k=NEIGHBOURS)
    local = normals[nearest].mean(axis=1)
    local /= np.maximum(np.linalg.norm(local, axis=1, keepdims=True), 1e-12)
    angles = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", normals, local), -1.0, 1.0)))
    facing = np.abs(normals[:, 2])
    side, front = angles[facing < SIDE_COS], angles[facing > FRONT_COS]
    return {
        "side_deg": round(float(side.mean()), 3) if len(side) else 0.0,
        "front_deg": round(float(front.mean()), 3) if len(front) else 0.0,
    }


def mean_roughness(rows: list[dict]) -> dict[str, float]:
    return {key: round(float(np.mean([row[key] for row in rows])), 3) for key in ("side_deg", "front_deg")}


def pictures(groups: tuple[str, ...], heldout: int, real: int) -> dict[str, list[tuple[str, object]]]:
    """(label, Picture) per group: samples, held-out synthetic renders, real objects."""
    from lift3d.evaluate.heldout import heldout_samples, rendered_picture
    from lift3d.inputs import read_picture

    chosen: dict[str, list[tuple[str, object]]] = {}
    if "samples" in groups:
        chosen["samples"] = [
            (name, read_picture(ROOT / "samples" / f"{name}.png")) for name in ("vase", "creature_photo")
        ]
    if "heldout" in groups:
        chosen["heldout"] = [
            (f"{sample.family} {sample.seed}", rendered_picture(sample))
            for sample in heldout_samples(None, heldout)
        ]
    if "real" in groups and real:
        try:
            from lift3d.evaluate import real as real_set
        except ImportError:
            print("skipping real objects: lift3d.evaluate.real is not in this tree", file=sys.stderr)
        else:
            if hasattr(real_set, "view_plan"):
                views = (view for _, view in real_set.real_views(real_set.view_plan(1)))
            else:  # revisions before the evaluation plan took (object, view) pairs
                views = real_set.real_views(1)
            chosen["real"] = [
                (f"{view.item.family} {view.item.name}", rendered_picture(view.sample))
                for view in itertools.islice(views, real)
            ]
    return chosen


def run_child(
    tag: str, maps_dir: Path, out_dir: Path, groups: tuple[str, ...], heldout: int, real: int
) -> None:
    """Convert every picture with this process's lift3d; reuse shape maps saved by the first run."""
    from lift3d.api import ConvertOptions, load_converter
    from lift3d.asset import AssetOptions, build_asset
    from lift3d.asset.preview import render_view
    from lift3d.inputs.detect import detect_kind
    from lift3d.types import Asset, ShapeMaps

    converter = load_converter()
    rows = []
    for group, items in pictures(groups, heldout, real).items():
        for index, (label, picture) in enumerate(items):
            name = f"{group}_{index:02d}"
            kind = detect_kind(picture)
            options = ConvertOptions(generator=converter.generator)
            options = replace(options, adapters=converter.automatic_adapters(kind, options))
            converter.load_adapters(options.adapters)
            cutout = converter.cutout(picture, options, kind)
            saved = maps_dir / f"{name}.npz"
            if saved.exists():
                arrays = np.load(saved)
                maps = ShapeMaps(mask=arrays["mask"], front_z=arrays["front_z"], back_z=arrays["back_z"])
            else:
                maps = converter.shape_maps(cutout, options, options.seed)
                np.savez(saved, mask=maps.mask, front_z=maps.front_z, back_z=maps.back_z)
            mesh = converter.mesh(maps, options)
            asset = build_asset(mesh, cutout, maps, AssetOptions())
            grey = Asset(mesh=asset.mesh, texture=None)
            strip = np.concatenate([render_view(grey, angle, CELL_PX) for angle in ANGLES_DEG], axis=1)
            np.save(out_dir / f"{name}.npy", strip)
            roughness = wall_roughness_deg(np.asarray(mesh.vertices), np.asarray(mesh.vertex_normals))
            rows.append({"revision": tag, "group": group, "name": name, "label": label, **roughness})
    (out_dir / "rows.json").write_text(json.dumps(rows))


def extract_revision(revision: str, into: Path) -> Path:
    """`git archive REV src` unpacked under `into`; returns the src folder."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def draw_sheet(path: Path, labels: list[str], before: list[np.ndarray], after: list[np.ndarray]) -> None:
    from PIL import Image, ImageDraw

    rows = [
        np.concatenate([old, np.full((CELL_PX, 6, 3), 255, np.uint8), new], axis=1)
        for old, new in zip(before, after, strict=True)
    ]
    image = Image.fromarray(np.concatenate(rows, axis=0))
    draw = ImageDraw.Draw(image)
    half = len(ANGLES_DEG) * CELL_PX + 6
    for row, label in enumerate(labels):
        draw.text((4, row * CELL_PX + 4), f"before: {label}", fill=(20, 20, 20))
        draw.text((half + 4, row * CELL_PX + 4), "after", fill=(20, 20, 20))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", required=True, help="git revision whose reconstruction is 'before'")
    parser.add_argument("--heldout", type=int, default=6, help="held-out synthetic shapes")
    parser.add_argument("--real", type=int, default=10, help="real objects, when lift3d.evaluate.real exists")
    parser.add_argument("--groups", default="samples,heldout,real", help="which pictures to convert")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = Path(args.work)
        groups = tuple(args.groups.split(","))
        run_child(args.child, work / "maps", work / args.child, groups, args.heldout, args.real)
        return

    with tempfile.TemporaryDirectory(prefix="lift3d-sidewalls-") as temporary:
        work = Path(temporary)
        (work / "maps").mkdir()
        sources = {"after": ROOT / "src", "before": extract_revision(args.before, work / "before-tree")}
        for tag in ("after", "before"):  # "after" first: it saves the shape maps both runs use
            (work / tag).mkdir()
            environment = {**os.environ, "PYTHONPATH": str(sources[tag])}
            command = [sys.executable, __file__, "--child", tag, "--work", str(work), "--before", args.before]
            command += ["--heldout", str(args.heldout), "--real", str(args.real), "--groups", args.groups]
            subprocess.run(command, env=environment, check=True)
        rows = {tag: json.loads((work / tag / "rows.json").read_text()) for tag in ("before", "after")}
        ran = sorted({row["group"] for row in rows["after"]}, key=["samples", "heldout", "real"].index)
        for group in ran:
            names = [row for row in rows["after"] if row["group"] == group]
            draw_sheet(
                SHEETS / f"{group}.png",
                [row["label"] for row in names],
                [np.load(work / "before" / f"{row['name']}.npy") for row in names],
                [np.load(work / "after" / f"{row['name']}.npy") for row in names],
            )

    print(
        f"{'object':>28} | {'side before':>11} | {'side after':>10} | {'front before':>12} | {'front after':>11}"
    )
    for old, new in zip(rows["before"], rows["after"], strict=True):
        print(
            f"{old['label']:>28} | {old['side_deg']:>11.2f} | {new['side_deg']:>10.2f} | "
            f"{old['front_deg']:>12.2f} | {new['front_deg']:>11.2f}"
        )
    for tag in ("before", "after"):
        print(f"mean {tag}: {mean_roughness(rows[tag])}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "side_walls.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    for group in ran:  # a run of some groups keeps the others' results
        in_group = {tag: [row for row in rows[tag] if row["group"] == group] for tag in ("before", "after")}
        report[group] = {
            "before_revision": args.before,
            "summary": {tag: mean_roughness(in_group[tag]) for tag in ("before", "after")},
            "rows": in_group["before"] + in_group["after"],
        }
    path.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

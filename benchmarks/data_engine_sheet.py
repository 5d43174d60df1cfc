"""Contact sheet of the shape families: a few draws per family, one row each, as one PNG.

    python benchmarks/data_engine_sheet.py --out docs/data_engine/families_v2.png

Each solid is shown from a fixed three-quarter view in a plain material per role, so
the shape (not the texture) is what the eye judges; `--deformed` adds a bent, tapered
or twisted copy row under each family.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lift3d.data.deform import random_deformation
from lift3d.data.materials import Material
from lift3d.data.render import Lighting, place_in_view, render
from lift3d.data.shapes import FAMILIES, union_parts
from lift3d.data.synth import DEFORM_STREAM

LIGHT = Lighting(
    directions=np.array([[0.4, 0.5, 0.77], [-0.6, -0.2, 0.77]]),
    intensities=np.array([0.75, 0.25]),
    ambient=0.3,
)
PALETTE = [(0.85, 0.6, 0.35), (0.4, 0.6, 0.85), (0.55, 0.8, 0.5), (0.85, 0.45, 0.5), (0.7, 0.7, 0.7)]


def tile(family: str, seed: int, size: int, deformed: bool) -> np.ndarray:
    deformation = random_deformation(np.random.default_rng([seed, 0, DEFORM_STREAM])) if deformed else None
    part_mesh = union_parts(FAMILIES[family](np.random.default_rng([seed, 0])), deformation)
    placement = place_in_view(np.asarray(part_mesh.mesh.vertices), 35.0, 20.0)
    materials = [
        Material(base_rgb=(0.08, 0.08, 0.08))
        if role == "eye"
        else Material(base_rgb=PALETTE[k % len(PALETTE)])
        for k, role in enumerate(part_mesh.roles)
    ]
    rendering = render(
        placement.vertices,
        np.asarray(part_mesh.mesh.faces),
        part_mesh.face_role,
        materials,
        LIGHT,
        size_px=size,
    )
    rgba = rendering.rgba.astype(np.float32) / 255.0
    white = rgba[..., :3] * rgba[..., 3:] + (1.0 - rgba[..., 3:])
    return (white * 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default="creature,prop,vehicle,building,thin_furniture,mechanical")
    parser.add_argument("--per-family", type=int, default=6)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deformed", action="store_true", help="add a deformed row under each family")
    parser.add_argument("--out", default="docs/data_engine/families_v2.png")
    args = parser.parse_args()
    rows = []
    labels = []
    for family in args.families.split(","):
        for deformed in (False, True) if args.deformed else (False,):
            seeds = range(args.seed, args.seed + args.per_family)
            rows.append(np.concatenate([tile(family, seed, args.size, deformed) for seed in seeds], axis=1))
            labels.append(family + (" (deformed)" if deformed else ""))
    sheet = Image.fromarray(np.concatenate(rows, axis=0))
    draw = ImageDraw.Draw(sheet)
    for k, label in enumerate(labels):
        draw.text((4, k * args.size + 2), label, fill=(0, 0, 0))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(args.out)


if __name__ == "__main__":
    main()

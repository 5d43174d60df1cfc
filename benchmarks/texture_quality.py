"""Honest materials: de-lighting and the hidden-side fill against the true colours.

Held-out synthetic objects are rendered with random lights; their true base colour is
rendered too, seen from the front and from the back (`data.render.render_albedo`). Each
object is converted once (shape, mesh, UV atlas), then its texture is baked four ways on
the same atlas: today's bake (lit picture, mirrored darker back), de-lighting alone, the
hidden-side fill alone, and both. The baked asset is ray-cast from front and back and
scored against the truth (CIEDE2000 and RGB error on the pixels both cover).

Writes benchmarks/results/texture_quality.json and docs/texture/samples.png.

    python benchmarks/texture_quality.py [--count 32] [--seed-start 1000000000] [--generator inflate]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SHEETS = ROOT / "docs" / "texture"
VARIANTS = {
    "today": {"delight": False, "hidden_side": "mirror"},
    "delight": {"delight": True, "hidden_side": "mirror"},
    "fill": {"delight": False, "hidden_side": "fill"},
    "both": {"delight": True, "hidden_side": "fill"},
}
SIZE_PX = 128


def truth_for_seed(seed: int):  # noqa: ANN201 - (Sample, front, front_mask, back, back_mask)
    """The held-out sample of `seed` and its true colour maps, front and back."""
    from lift3d.data.render import render_albedo
    from lift3d.data.synth import (
        ATTEMPTS_PER_FAMILY,
        build_sample,
        draw_deformation,
        family_for_seed,
        placed_shape,
    )

    family = family_for_seed(seed)
    for attempt in range(2 * ATTEMPTS_PER_FAMILY):
        try_family = family if attempt < ATTEMPTS_PER_FAMILY else "primitive"
        try:
            sample = build_sample(seed, try_family, attempt, SIZE_PX)
        except ValueError:
            continue
        shape = placed_shape(
            try_family, np.random.default_rng([seed, attempt]), draw_deformation(seed, attempt, 0.0)
        )
        faces = np.asarray(shape.part_mesh.mesh.faces)
        maps = [
            render_albedo(
                shape.placement.vertices,
                faces,
                shape.part_mesh.face_role,
                shape.materials,
                SIZE_PX,
                shape.placement.rotation,
                side,
            )
            for side in ("front", "back")
        ]
        return sample, *maps[0], *maps[1]
    raise RuntimeError(f"seed {seed}: no sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--seed-start", type=int, default=1_000_000_000, help="default: the held-out range")
    parser.add_argument("--generator", default="", help="default: the shipped default generator")
    parser.add_argument("--texture-px", type=int, default=1024)
    parser.add_argument("--sheet-rows", type=int, default=8)
    parser.add_argument("--tag", default="", help="suffix of the JSON and sheet names")
    args = parser.parse_args()

    from lift3d.api import ConvertOptions, load_converter
    from lift3d.asset import AssetOptions
    from lift3d.asset.bake import bake_texture
    from lift3d.asset.build import build_textured_asset
    from lift3d.evaluate.heldout import rendered_picture
    from lift3d.evaluate.texture import colour_error, texture_colours
    from lift3d.inputs.detect import locate_object

    converter = load_converter(args.generator)
    options = ConvertOptions(generator=converter.generator)
    rows, sheet = [], []
    recorded: dict[str, np.ndarray] = {}

    def record(vertices, faces, uv, normals, size):  # noqa: ANN001, ANN202 - the atlas, kept for four bakes
        recorded.update(vertices=vertices, faces=faces, uv=uv, normals=normals)
        return np.zeros((size, size, 3), np.uint8)

    for index in range(args.count):
        seed = args.seed_start + index
        sample, front_truth, front_mask, back_truth, back_mask = truth_for_seed(seed)
        picture = rendered_picture(sample)
        found = locate_object(picture)
        run = replace(options, adapters=converter.automatic_adapters(found.kind, options))
        converter.load_adapters(run.adapters)
        cutout = converter.cutout(picture, run, found.kind, found.mask)
        maps = converter.shape_maps(cutout, run, run.seed)
        mesh = converter.mesh(maps, run)
        build_textured_asset(mesh, record, AssetOptions(texture_px=args.texture_px))
        geometry = (recorded["vertices"], recorded["faces"], recorded["uv"], recorded["normals"])
        row = {"seed": seed, "family": sample.family}
        images = {}
        for name, switches in VARIANTS.items():
            clock = time.perf_counter()
            texture = bake_texture(*geometry, cutout, maps, args.texture_px, **switches)
            row[f"{name}_bake_s"] = time.perf_counter() - clock
            for side, truth, mask in (("front", front_truth, front_mask), ("back", back_truth, back_mask)):
                shown, covered = texture_colours(
                    texture, recorded["vertices"], recorded["faces"], recorded["uv"], SIZE_PX, side
                )
                error = colour_error(shown, truth, mask & covered)
                row[f"{name}_{side}_de00"], row[f"{name}_{side}_rgb"] = error.de00, error.rgb
                images[(name, side)] = np.where(covered[..., None], shown, 1.0)
        rows.append(row)
        print(
            f"{seed} {sample.family:10s} front today {row['today_front_de00']:5.2f} both {row['both_front_de00']:5.2f}"
            f"  back today {row['today_back_de00']:5.2f} both {row['both_back_de00']:5.2f}",
            flush=True,
        )
        if len(sheet) < args.sheet_rows:
            white = np.ones_like(front_truth)
            cells = [
                sample.rgba[..., :3] / 255.0 * (sample.rgba[..., 3:] / 255.0)
                + (1 - sample.rgba[..., 3:] / 255.0),
                np.where(front_mask[..., None], front_truth, white),
                images[("today", "front")],
                images[("both", "front")],
                np.where(back_mask[..., None], back_truth, white),
                images[("today", "back")],
                images[("both", "back")],
            ]
            sheet.append(np.concatenate(cells, axis=1))

    summary = {}
    print(f"\n{len(rows)} objects, seeds {args.seed_start}+, generator {converter.generator}")
    print(
        f"{'variant':10s} {'front dE00':>10s} {'back dE00':>10s} {'front RGB':>10s} {'back RGB':>10s} {'bake s':>8s}"
    )
    for name in VARIANTS:
        stats = {
            key: float(np.nanmean([row[f"{name}_{key}"] for row in rows]))
            for key in ("front_de00", "back_de00", "front_rgb", "back_rgb", "bake_s")
        }
        summary[name] = stats
        print(
            f"{name:10s} {stats['front_de00']:10.2f} {stats['back_de00']:10.2f} {stats['front_rgb']:10.2f}"
            f" {stats['back_rgb']:10.2f} {stats['bake_s']:8.3f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = f"_{args.tag}" if args.tag else ""
    result = {
        "count": len(rows),
        "seed_start": args.seed_start,
        "generator": converter.generator,
        "texture_px": args.texture_px,
        "summary": summary,
        "rows": rows,
    }
    (RESULTS / f"texture_quality{tag}.json").write_text(json.dumps(result, indent=1))
    if sheet:
        from PIL import Image, ImageDraw

        image = Image.fromarray(
            np.clip(np.rint(np.concatenate(sheet, axis=0) * 255), 0, 255).astype(np.uint8)
        )
        image = image.resize((image.width * 2, image.height * 2), Image.NEAREST)
        draw = ImageDraw.Draw(image)
        titles = (
            "picture",
            "true front",
            "front before",
            "front after",
            "true back",
            "back before",
            "back after",
        )
        for column, title in enumerate(titles):
            draw.text((column * SIZE_PX * 2 + 4, 2), title, fill=(0, 0, 0))
        SHEETS.mkdir(parents=True, exist_ok=True)
        image.save(SHEETS / f"samples{tag}.png", optimize=True)


if __name__ == "__main__":
    main()

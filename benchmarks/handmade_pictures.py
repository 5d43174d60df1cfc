"""Pictures drawn differently from the synthetic engine, converted by inflate and diffusion.

The held-out table measures renders from the project's own engine; these pictures are
drawn with Pillow instead (flat shading, gradients, outlines, JPEG noise, a textured
backdrop) to check the model still gives watertight, sensible shapes off its training
distribution. Writes docs/handmade/NAME_compare.png (row 1 inflate, row 2 diffusion)
and benchmarks/results/handmade.json (watertight, faces, depth/width ratio). The bottle
is a solid of revolution, so its true shape is known: its scores against the lathe of
its drawn outline (F@0.05, Chamfer, as `lift3d eval` computes them) put a number on
"no worse than inflation by eye".

    python benchmarks/handmade_pictures.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image, ImageDraw, ImageFilter

from lift3d.api import ConvertOptions, load_converter
from lift3d.asset import render_preview
from lift3d.evaluate import EvalOptions, is_watertight, score_mesh
from lift3d.generate.diffusion.weights import shipped_model_dir

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "handmade"


def radial_shade(
    draw_size: int, centre: tuple[int, int], radius: int, colour: tuple[int, int, int]
) -> Image.Image:
    """A disc lit from the upper left, drawn as a radial gradient."""
    rows, cols = np.mgrid[0:draw_size, 0:draw_size]
    distance = np.hypot(cols - centre[0] + radius * 0.35, rows - centre[1] + radius * 0.35) / (1.6 * radius)
    light = np.clip(1.15 - distance, 0.35, 1.0)[..., None]
    return Image.fromarray((np.array(colour)[None, None] * light).astype(np.uint8))


def apple(size: int = 320) -> Image.Image:
    """A shaded red apple with a stem and leaf on white, saved as a JPEG-like RGB picture."""
    picture = Image.new("RGB", (size, size), "white")
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    draw.ellipse((70, 90, 190, 250), fill=255)
    draw.ellipse((130, 90, 250, 250), fill=255)
    picture.paste(radial_shade(size, (160, 170), 100, (200, 30, 30)), mask=mask)
    pen = ImageDraw.Draw(picture)
    pen.line((160, 95, 170, 50), fill=(90, 60, 20), width=7)
    pen.ellipse((172, 45, 222, 72), fill=(60, 150, 40))
    return picture


def teddy(size: int = 320) -> Image.Image:
    """A flat-coloured cartoon bear with dark outlines on a light backdrop."""
    picture = Image.new("RGB", (size, size), (235, 235, 225))
    pen = ImageDraw.Draw(picture)
    brown, dark = (170, 110, 60), (60, 35, 20)
    for box in [
        (95, 30, 135, 70),
        (185, 30, 225, 70),
        (80, 150, 240, 290),
        (40, 160, 100, 220),
        (220, 160, 280, 220),
    ]:
        pen.ellipse(box, fill=brown, outline=dark, width=4)
    pen.ellipse((100, 40, 220, 160), fill=brown, outline=dark, width=4)
    pen.ellipse((140, 100, 180, 130), fill=(230, 200, 160))
    pen.ellipse((130, 80, 142, 92), fill=dark)
    pen.ellipse((178, 80, 190, 92), fill=dark)
    return picture


BOTTLE_AXIS_X = 160
# (radius, image row) from the base up the drawn outline: body, shoulder, neck, cap
BOTTLE_PROFILE = [(0, 300), (35, 300), (40, 160), (15, 120), (12, 62), (14, 62), (14, 40), (0, 40)]


def bottle_truth() -> trimesh.Trimesh:
    """The bottle as the round solid its drawing shows, in the converter's frame (y up)."""
    profile = np.array([(radius, -row) for radius, row in BOTTLE_PROFILE], dtype=float)
    lathe = trimesh.creation.revolve(profile, sections=96)  # axis along z
    lathe.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    return lathe


def bottle(size: int = 320) -> Image.Image:
    """A green glass bottle drawn with polygons and a highlight, on a wooden-looking backdrop."""
    rng = np.random.default_rng(0)
    grain = np.cumsum(rng.normal(0, 1, (size, size)), axis=1) * 0.6
    backdrop = np.stack([200 + grain * 0.2, 170 + grain * 0.2, 130 + grain * 0.2], axis=2)
    picture = Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(picture)
    right = [(BOTTLE_AXIS_X + r, row) for r, row in BOTTLE_PROFILE[1:5]]
    left = [(BOTTLE_AXIS_X - r, row) for r, row in reversed(BOTTLE_PROFILE[1:5])]
    pen.polygon(right + left, fill=(40, 120, 60))
    pen.rectangle((BOTTLE_AXIS_X - 14, 40, BOTTLE_AXIS_X + 14, 62), fill=(180, 150, 40))
    pen.line((135, 170, 135, 280), fill=(140, 200, 150), width=6)
    return picture.filter(ImageFilter.GaussianBlur(0.8))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    generators = ["inflate"] + (["diffusion"] if shipped_model_dir() is not None else [])
    results = {}
    for name, draw in {"apple": apple, "teddy": teddy, "bottle": bottle}.items():
        path = OUT / f"{name}.jpg"
        draw().save(path, quality=85)
        assets, rows = [], {}
        for generator in generators:
            asset = load_converter(generator).convert(
                path, ConvertOptions(generator=generator, texture_px=512)
            )[0]
            assets.append(asset)
            width, height, depth = asset.mesh.extents
            rows[generator] = {
                "watertight": is_watertight(asset.mesh),
                "faces": len(asset.mesh.faces),
                "depth_over_width": round(float(depth / width), 3),
            }
            if name == "bottle":
                scores = score_mesh(asset.mesh, bottle_truth(), EvalOptions())
                rows[generator]["fscore_005"] = round(scores.fscore_005, 3)
                rows[generator]["chamfer_l1"] = round(scores.chamfer_l1, 4)
        render_preview(assets, OUT / f"{name}_compare.png", labels=generators)
        results[name] = rows
        print(name, json.dumps(rows))
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "handmade.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

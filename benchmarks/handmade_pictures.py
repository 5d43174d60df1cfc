"""Pictures drawn differently from the synthetic engine, converted by inflate and diffusion.

The held-out table measures renders from the project's own engine; these pictures are
drawn with Pillow instead (flat shading, gradients, outlines, JPEG noise, a textured
backdrop) to check the model still gives watertight, sensible shapes off its training
distribution. Writes docs/handmade/NAME_compare.png (row 1 inflate, row 2 diffusion)
and benchmarks/results/handmade.json (watertight, faces, depth/width ratio).

    python benchmarks/handmade_pictures.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lift3d.api import ConvertOptions, load_converter
from lift3d.asset import render_preview
from lift3d.evaluate import is_watertight
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


def bottle(size: int = 320) -> Image.Image:
    """A green glass bottle drawn with polygons and a highlight, on a wooden-looking backdrop."""
    rng = np.random.default_rng(0)
    grain = np.cumsum(rng.normal(0, 1, (size, size)), axis=1) * 0.6
    backdrop = np.stack([200 + grain * 0.2, 170 + grain * 0.2, 130 + grain * 0.2], axis=2)
    picture = Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(picture)
    body = [(125, 300), (195, 300), (200, 160), (175, 120), (172, 60), (148, 60), (145, 120), (120, 160)]
    pen.polygon(body, fill=(40, 120, 60))
    pen.rectangle((146, 40, 174, 62), fill=(180, 150, 40))
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
        render_preview(assets, OUT / f"{name}_compare.png", labels=generators)
        results[name] = rows
        print(name, json.dumps(rows))
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "handmade.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

"""Pictures drawn differently from the synthetic engine, converted by inflate and diffusion.

The held-out table measures renders from the project's own engine; these pictures are
drawn with Pillow instead (flat fills, cel bands, thick outlines, pencil lines on paper,
airbrush gradients, highlights, JPEG noise, a textured backdrop) to check the model still
gives watertight, sensible shapes off its training distribution. Six of them show a solid
whose true shape is known from the drawing: five solids of revolution seen from the side
(bottle, vase, can, goblet, ball; the truth is the lathe of the drawn outline) and a cube
in 3/4 view. Their F@0.05 and Chamfer (as `lift3d eval` computes them) put a number on
"no worse than inflation by eye"; the apple and the teddy are judged by eye only.
Writes docs/handmade/NAME_compare.png (row 1 inflate, row 2 diffusion) and
benchmarks/results/handmade.json.

    python benchmarks/handmade_pictures.py
"""

from __future__ import annotations

import json
from functools import partial
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


AXIS_X = 160
# (radius, image row) from the base up each drawn outline; each solid is the lathe of it
PROFILES = {
    "bottle": [(0, 300), (35, 300), (40, 160), (15, 120), (12, 62), (14, 62), (14, 40), (0, 40)],
    "vase": [(0, 300), (45, 300), (75, 230), (62, 160), (30, 110), (40, 60), (0, 60)],
    "can": [(0, 290), (55, 290), (55, 70), (0, 70)],
    "goblet": [(0, 295), (48, 295), (48, 285), (9, 270), (9, 180), (62, 130), (66, 60), (0, 60)],
    "ball": [(100 * np.sin(t), 180 - 100 * np.cos(t)) for t in np.linspace(0, np.pi, 33)],
}
CUBE_TURN = (np.radians(35.0), np.radians(25.0))  # yaw, then tip the top toward the viewer


def lathe_truth(name: str) -> trimesh.Trimesh:
    """A drawn solid of revolution as the round solid it shows, in the converter's frame (y up)."""
    profile = np.array([(radius, -row) for radius, row in PROFILES[name]], dtype=float)
    lathe = trimesh.creation.revolve(profile, sections=96)  # axis along z
    lathe.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    return lathe


def cube_rotation() -> np.ndarray:
    """The drawn cube's turn: yaw about y, then the top tipped toward the viewer."""
    yaw, pitch = CUBE_TURN
    return (
        trimesh.transformations.rotation_matrix(pitch, [1, 0, 0])
        @ trimesh.transformations.rotation_matrix(yaw, [0, 1, 0])
    )[:3, :3]


def cube_truth() -> trimesh.Trimesh:
    """The cube the 3/4 drawing shows, turned as drawn (x right, y up, z toward the viewer)."""
    cube = trimesh.creation.box((1.0, 1.0, 1.0))
    turn = np.eye(4)
    turn[:3, :3] = cube_rotation()
    cube.apply_transform(turn)
    return cube


def outline_polygon(profile: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A lathe profile's silhouette as an image polygon (right side up, left side down)."""
    right = [(AXIS_X + r, row) for r, row in profile]
    left = [(AXIS_X - r, row) for r, row in reversed(profile)]
    return right + left


def lathe_mask(name: str, size: int = 320) -> np.ndarray:
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).polygon(outline_polygon(PROFILES[name]), fill=255)
    return np.asarray(mask) > 127


def bottle(size: int = 320) -> Image.Image:
    """A green glass bottle drawn with polygons and a highlight, on a wooden-looking backdrop."""
    rng = np.random.default_rng(0)
    grain = np.cumsum(rng.normal(0, 1, (size, size)), axis=1) * 0.6
    backdrop = np.stack([200 + grain * 0.2, 170 + grain * 0.2, 130 + grain * 0.2], axis=2)
    picture = Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(picture)
    pen.polygon(outline_polygon(PROFILES["bottle"][1:5]), fill=(40, 120, 60))  # body; the cap is drawn below
    pen.rectangle((AXIS_X - 14, 40, AXIS_X + 14, 62), fill=(180, 150, 40))
    pen.line((135, 170, 135, 280), fill=(140, 200, 150), width=6)
    return picture.filter(ImageFilter.GaussianBlur(0.8))


def vase(size: int = 320) -> Image.Image:
    """A cartoon vase: one flat colour, a thick dark outline, on white."""
    picture = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(picture).polygon(
        outline_polygon(PROFILES["vase"]), fill=(70, 110, 200), outline=(20, 20, 40), width=5
    )
    return picture


def can(size: int = 320) -> Image.Image:
    """A red tin can in three flat bands of shade, the way a cel-shaded cylinder is painted."""
    mask = lathe_mask("can", size)
    offset = (np.arange(size) - AXIS_X) / 55.0
    light = np.sqrt(np.clip(1.0 - offset**2, 0.0, 1.0)) * 0.8 + 0.2 * (offset < 0)
    tone = np.array([0.55, 0.8, 1.0])[np.digitize(light, [0.45, 0.8])]
    colour = np.array([200, 45, 40])[None, None] * tone[None, :, None]
    image = np.where(mask[..., None], colour, 255.0)
    return Image.fromarray(image.astype(np.uint8))


def goblet(size: int = 320) -> Image.Image:
    """A pencil goblet: black outline and rim ellipse on off-white paper, no fill."""
    picture = Image.new("RGB", (size, size), (250, 248, 242))
    pen = ImageDraw.Draw(picture)
    outline = outline_polygon(PROFILES["goblet"])
    pen.line(outline + outline[:1], fill=(30, 30, 30), width=3)
    pen.ellipse((AXIS_X - 66, 52, AXIS_X + 66, 68), outline=(30, 30, 30), width=2)
    return picture


def ball(size: int = 320) -> Image.Image:
    """An airbrushed ball: a smooth radial gradient, a white highlight, JPEG later."""
    picture = Image.new("RGB", (size, size), "white")
    mask = Image.fromarray((lathe_mask("ball", size) * 255).astype(np.uint8))
    picture.paste(radial_shade(size, (AXIS_X, 180), 100, (240, 170, 30)), mask=mask)
    ImageDraw.Draw(picture).ellipse((115, 115, 140, 135), fill=(255, 250, 235))
    return picture.filter(ImageFilter.GaussianBlur(1.0))


def cube(size: int = 320) -> Image.Image:
    """A crate in 3/4 view: its three visible faces in flat tones with dark edges (orthographic)."""
    rotation = cube_rotation()
    picture = Image.new("RGB", (size, size), "white")
    pen = ImageDraw.Draw(picture)
    tones = [(150, 100, 60), (200, 150, 95), (175, 125, 75)]
    for axis in range(3):
        for side in (-0.5, 0.5):
            normal = rotation @ np.eye(3)[axis] * np.sign(side)
            if normal[2] <= 0:
                continue
            others = [index for index in range(3) if index != axis]
            square = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
            quad = []
            for first, second in square:
                corner = np.zeros(3)
                corner[axis], corner[others[0]], corner[others[1]] = side, first, second
                x, y, _ = rotation @ corner
                quad.append((AXIS_X + 130.0 * x, 170.0 - 130.0 * y))
            pen.polygon(quad, fill=tones[axis], outline=(40, 25, 10), width=4)
    return picture


PICTURES = {"apple": apple, "teddy": teddy, "bottle": bottle, "vase": vase, "can": can}
PICTURES |= {"goblet": goblet, "ball": ball, "cube": cube}
TRUTHS = {name: partial(lathe_truth, name) for name in PROFILES} | {"cube": cube_truth}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    generators = ["inflate"] + (["diffusion"] if shipped_model_dir() is not None else [])
    results: dict = {}
    for name, draw in PICTURES.items():
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
            if name in TRUTHS:
                scores = score_mesh(asset.mesh, TRUTHS[name](), EvalOptions())
                rows[generator]["fscore_005"] = round(scores.fscore_005, 3)
                rows[generator]["chamfer_l1"] = round(scores.chamfer_l1, 4)
        render_preview(assets, OUT / f"{name}_compare.png", labels=generators)
        results[name] = rows
        print(name, json.dumps(rows))
    scored = [rows for name, rows in results.items() if name in TRUTHS]
    results["mean_over_solids"] = {
        generator: {
            metric: round(float(np.mean([rows[generator][metric] for rows in scored])), 4)
            for metric in ("fscore_005", "chamfer_l1")
        }
        for generator in generators
    }
    print("mean over", len(scored), "drawn solids", json.dumps(results["mean_over_solids"]))
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "handmade.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

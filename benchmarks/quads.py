"""--quads on the samples and on procedural shapes: quad share, seam share, distance, time.

The samples go through the whole convert (default generator); the procedural shapes
(lift3d.data.shapes, seeds from 700,000,000) through the asset stage alone, with a plain
cutout, since only the geometry matters here. Distances are % of the bounding-box
diagonal, both ways between the triangle asset and its quads (max = Hausdorff). Prints
a table; writes benchmarks/results/quads.json; with --pictures, wireframe sheets.

    python benchmarks/quads.py [--faces 20000] [--pictures docs/quads]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPE_SEED_START = 700_000_000
SHAPES = ("revolution", "character", "furniture", "creature", "vehicle", "mechanical")


def sample_assets(faces: int) -> list[tuple[str, object]]:
    from lift3d.api import convert

    return [
        (path.stem, convert(path, max_faces=faces, texture_px=256))
        for path in sorted((ROOT / "samples").glob("*.png"))
    ]


def shape_assets(faces: int) -> list[tuple[str, object]]:
    from lift3d.asset import AssetOptions, build_asset
    from lift3d.data.shapes import FAMILIES, union_parts
    from lift3d.types import Cutout

    size = 64
    cutout = Cutout(
        rgb=np.full((size, size, 3), 0.7, np.float32),
        mask=np.ones((size, size), bool),
        crop_box=(0, 0, size, size),
        source="plain",
    )
    assets = []
    for index, family in enumerate(SHAPES):
        rng = np.random.default_rng([SHAPE_SEED_START + index, 0])
        mesh = union_parts(FAMILIES[family](rng)).mesh
        assets.append(
            (family, build_asset(mesh, cutout, None, AssetOptions(max_faces=faces, texture_px=256)))
        )
    return assets


def wireframe_view(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    texture: np.ndarray,
    angle_deg: float,
    size_px: int,
) -> np.ndarray:
    """The textured surface, ray cast orthographically about +Y, with polygon edges drawn in black.

    `faces` are (F, 4) polygons (-1 closes a triangle), `uv` their (F, 4, 2) corner UVs:
    the quads are shown with the UVs they carry, so a face that smeared across a seam shows.
    """
    import trimesh

    quads = faces[:, 3] >= 0
    tri_faces = np.concatenate([faces[:, :3], faces[quads][:, [0, 2, 3]]])
    tri_uv = np.concatenate([uv[:, :3], uv[quads][:, [0, 2, 3]]])
    # Which triangle edge (opposite corner 0, 1, 2) is a real polygon edge, not a quad diagonal.
    shown = np.ones((len(tri_faces), 3), bool)
    shown[: len(faces)][quads, 1] = False
    shown[len(faces) :, 2] = False
    mesh = trimesh.Trimesh(vertices, tri_faces, process=False)
    centre = (vertices.min(0) + vertices.max(0)) / 2
    radius = float(np.linalg.norm(vertices - centre, axis=1).max())
    theta = np.radians(angle_deg)
    toward = np.array([np.sin(theta), 0.15, np.cos(theta)])
    toward /= np.linalg.norm(toward)
    right = np.cross([0.0, 1.0, 0.0], toward)
    right /= np.linalg.norm(right)
    up = np.cross(toward, right)
    steps = (np.arange(size_px) + 0.5) / size_px * 2 - 1
    sx, sy = np.meshgrid(steps * 1.05 * radius, -steps * 1.05 * radius)
    origins = centre + sx.reshape(-1, 1) * right + sy.reshape(-1, 1) * up + 3 * radius * toward
    hit, rays, points = mesh.ray.intersects_id(
        origins, np.broadcast_to(-toward, origins.shape), multiple_hits=False, return_locations=True
    )
    image = np.full((size_px * size_px, 3), 1.0)
    corners = mesh.triangles[hit]
    weights = trimesh.triangles.points_to_barycentric(corners, points)
    corner_uv = np.einsum("nk,nkd->nd", weights, tri_uv[hit])
    t = texture.shape[0]
    px = np.clip((corner_uv[:, 0] * t).astype(int), 0, t - 1)
    py = np.clip(((1 - corner_uv[:, 1]) * t).astype(int), 0, t - 1)
    colour = texture[py, px] / 255.0
    normal = mesh.face_normals[hit]
    shade = 0.45 + 0.55 * np.clip(normal @ (toward + 0.5 * up) / np.linalg.norm(toward + 0.5 * up), 0, 1)
    # Distance to the edge opposite each corner: weight x that corner's altitude.
    opposite = np.linalg.norm(corners[:, [2, 0, 1]] - corners[:, [1, 2, 0]], axis=2)
    area2 = np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    distance = weights * (area2[:, None] / np.maximum(opposite, 1e-12))
    pixel = 2 * 1.05 * radius / size_px
    on_edge = ((distance < 0.6 * pixel) & shown[hit]).any(axis=1)
    image[rays] = np.where(on_edge[:, None], 0.0, colour * shade[:, None])
    return (image.reshape(size_px, size_px, 3) * 255).astype(np.uint8)


def wireframe_sheet(rows: list[tuple[str, object, object]], path: Path, size_px: int = 360) -> None:
    """Each row: the triangle asset from the front, its quads from the front and from 3/4."""
    from PIL import Image, ImageDraw

    tiles = []
    for name, asset, quads in rows:
        mesh = asset.mesh
        triangles = np.concatenate([mesh.faces, np.full((len(mesh.faces), 1), -1)], axis=1)
        tri_uv = np.concatenate([mesh.visual.uv[mesh.faces], np.zeros((len(mesh.faces), 1, 2))], axis=1)
        views = [
            (f"{name}: {len(mesh.faces)} triangles", mesh.vertices, triangles, tri_uv, 0.0),
            (
                f"quads {quads.report['quad_share']:.0%} of {len(quads.faces)}",
                quads.vertices,
                quads.faces,
                quads.uv,
                0.0,
            ),
            ("quads, 3/4 view", quads.vertices, quads.faces, quads.uv, -45.0),
        ]
        row = []
        for label, vertices, faces, uv, angle in views:
            tile = Image.fromarray(
                wireframe_view(np.asarray(vertices), faces, uv, asset.texture, angle, size_px)
            )
            ImageDraw.Draw(tile).text((6, 4), label, fill=(200, 0, 0))
            row.append(tile)
        tiles.append(row)
    sheet = Image.new("RGB", (3 * size_px, len(tiles) * size_px), "white")
    for r, row in enumerate(tiles):
        for c, tile in enumerate(row):
            sheet.paste(tile, (c * size_px, r * size_px))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=20000, help="triangle budget [default: 20000]")
    parser.add_argument("--pictures", type=Path, help="write wireframe sheets into this folder")
    args = parser.parse_args()

    from lift3d.asset.quads import quad_remesh

    results, rows = [], []
    for group, assets in (("sample", sample_assets(args.faces)), ("shape", shape_assets(args.faces))):
        for name, asset in assets:
            start = time.perf_counter()
            quads = quad_remesh(asset.mesh, args.faces)
            seconds = time.perf_counter() - start
            results.append(
                {
                    "group": group,
                    "name": name,
                    "triangles": len(asset.mesh.faces),
                    **quads.report,
                    "seconds": round(seconds, 2),
                }
            )
            rows.append((name, asset, quads))
    header = f"{'group':7} {'name':16} {'tris':>6} {'faces':>6} {'quads':>6} {'seams':>6} {'max %':>6} {'mean %':>7} {'closed':>6} {'s':>6}"
    print(header)
    for r in results:
        print(
            f"{r['group']:7} {r['name']:16} {r['triangles']:6d} {r['faces']:6d} {r['quad_share']:6.1%} "
            f"{r['seam_share']:6.1%} {r['hausdorff_pct']:6.3f} {r['mean_distance_pct']:7.4f} "
            f"{str(r['watertight']):>6} {r['seconds']:6.1f}"
        )
    summary = {
        "quad_share_min": min(r["quad_share"] for r in results),
        "hausdorff_pct_max": max(r["hausdorff_pct"] for r in results),
        "mean_distance_pct_max": max(r["mean_distance_pct"] for r in results),
        "all_watertight": all(r["watertight"] for r in results),
        "seconds_median": float(np.median([r["seconds"] for r in results])),
    }
    print(json.dumps(summary))
    out = ROOT / "benchmarks" / "results" / "quads.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"faces": args.faces, "results": results, "summary": summary}, indent=2))
    if args.pictures:
        wireframe_sheet(rows[:2], args.pictures / "samples.png")
        wireframe_sheet(rows[2:], args.pictures / "shapes.png")


if __name__ == "__main__":
    main()

"""The asset stage: reconstructed mesh in the view frame -> textured asset in metres."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

import numpy as np
import trimesh
from trimesh.visual import TextureVisuals

from lift3d.asset.bake import bake_view_images, view_images
from lift3d.asset.clean import clean_mesh
from lift3d.asset.decimate import decimate_mesh
from lift3d.asset.material import CornerNormals, crease_normals, pbr_material
from lift3d.asset.options import AssetOptions
from lift3d.asset.quads import quad_remesh
from lift3d.asset.topology import is_closed_manifold
from lift3d.asset.uv import UVAtlas, unwrap_uv
from lift3d.types import Asset, Cutout, ShapeMaps

# bake(vertices, faces, uv, vertex_normals, texture_px) -> (T, T, 3) uint8 texture
TextureBaker = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]


def build_asset(
    mesh: trimesh.Trimesh, cutout: Cutout, maps: ShapeMaps | None, options: AssetOptions | None = None
) -> Asset:
    """Clean, decimate, unwrap, bake from the picture and place `mesh`; the input is not modified.

    The result follows glTF axes, which match the view frame (+Y up, +Z toward the
    viewer), scaled so its height along Y is `options.height_m`, with its pivot at the
    origin: by default the base on the floor (y = 0), centred in x and z. Vertices are split along UV seams and sharp creases, so the
    mesh is closed only after merging vertices by position. Step timings in seconds go
    to `provenance["timings_s"]`.
    """

    chosen = options if options is not None else AssetOptions()
    with ThreadPoolExecutor(1) as pool:
        # the images the bake samples are made while the mesh is cleaned and unwrapped
        images = pool.submit(view_images, cutout, maps, chosen.delight, chosen.hidden_side)

        def bake(
            vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, normals: np.ndarray, size: int
        ) -> np.ndarray:
            return bake_view_images(vertices, faces, uv, normals, images.result(), size)

        return build_textured_asset(mesh, bake, chosen)


def build_textured_asset(
    mesh: trimesh.Trimesh, bake: TextureBaker, options: AssetOptions | None = None
) -> Asset:
    """The asset steps with any texture source: one picture, several views, ..."""
    options = options if options is not None else AssetOptions()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 4)
        clock = now

    cleaned = clean_mesh(mesh)
    if not is_closed_manifold(cleaned.faces):
        raise ValueError("building an asset needs a closed mesh; cleaning could not close the reconstruction")
    lap("clean")
    simple = decimate_mesh(cleaned, options.max_faces)
    lap("decimate")
    normals = crease_normals(simple, options.crease_angle_deg)
    lap("normals")
    atlas = unwrap_uv(simple, options.texture_px)
    lap("uv")
    vertices, faces, uv, vertex_normals = _split_vertices(simple, atlas, normals)
    texture = bake(vertices, faces, uv, vertex_normals, options.texture_px)
    lap("bake")
    vertices = to_output_frame(vertices, options.height_m, options.pivot)
    visuals = TextureVisuals(uv=uv, material=pbr_material(texture))
    result = trimesh.Trimesh(vertices, faces, vertex_normals=vertex_normals, visual=visuals, process=False)
    lap("material")
    quads = quad_remesh(result, options.max_faces, options.crease_angle_deg) if options.quads else None
    if quads is not None:
        lap("quads")
    provenance = {
        "asset_options": asdict(options),
        "faces_in": len(mesh.faces),
        "faces_out": len(faces),
        "timings_s": timings,
    }
    if quads is not None:
        provenance["quads"] = quads.report
    return Asset(mesh=result, texture=texture, provenance=provenance, quads=quads)


def _split_vertices(
    mesh: trimesh.Trimesh, atlas: UVAtlas, normals: CornerNormals
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One output vertex per distinct (UV chart vertex, normal fan) pair of a corner."""
    corner_atlas = atlas.faces.ravel()
    fan_count = len(normals.normals)
    # one int64 per (atlas vertex, fan) pair, ordered as the pairs are: a 1D unique is fast
    unique, inverse = np.unique(corner_atlas * fan_count + normals.corner_fan, return_inverse=True)
    atlas_vertex, fan = np.divmod(unique, fan_count)
    vertices = np.asarray(mesh.vertices)[atlas.vertex_map[atlas_vertex]]
    return vertices, inverse.reshape(-1, 3), atlas.uv[atlas_vertex], normals.normals[fan]


def to_output_frame(vertices: np.ndarray, height_m: float, pivot: str = "base") -> np.ndarray:
    """Scale to the height and move the pivot to the origin; the axes already match glTF.

    `base` puts the bottom on the floor (y = 0), centred in x and z, so an asset dropped
    into a scene stands on the ground; `center` puts the bounding-box centre there.
    """
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    height = float(high[1] - low[1])
    scale = height_m / height if height > 0 else 1.0
    origin = (low + high) / 2
    if pivot == "base":
        origin[1] = low[1]
    return (vertices - origin) * scale

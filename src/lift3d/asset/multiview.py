"""Assets from several pictures (orthographic drawings, views around an object), textured from every view."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import trimesh

from lift3d.asset.bake import (
    RIM_ERODE_PX,
    _barycentric,
    _uv_to_pixels,
    fill_from_nearest,
    rasterize_faces,
    sample_view_image,
)
from lift3d.asset.build import build_textured_asset
from lift3d.asset.options import AssetOptions
from lift3d.data.render import make_intersector
from lift3d.images import extend_beyond_mask
from lift3d.reconstruct.views import ViewPicture, apply_rows
from lift3d.types import Asset

# A drawing's views each own the faces turned toward them: with this exponent on the
# facing cosine, a face 30 degrees off one view and 60 off another takes 99.99% of the
# first, which is "the view it faces most" without a visible seam where two tie.
ORTHO_BLEND_POWER = 16.0
# Points turned less than this (cosine) toward a camera are seen edge-on: not used.
MIN_FACING = 0.02
# Visibility rays start this far (a share of the mesh's diagonal) off the surface.
RAY_OFFSET = 1e-3
_TEXELS_PER_BAND = 1 << 18


def bake_views_texture(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    normals: np.ndarray,
    views: Sequence[ViewPicture],
    texture_px: int,
    blend_power: float,
) -> np.ndarray:
    """Return a (T, T, 3) uint8 texture coloured from every view that sees each texel.

    A texel's colour is the mean of the views' colours at its projection, weighted by
    facing cosine ** `blend_power` and only over views whose camera an embree ray from
    the point reaches unobstructed, so a pocket never takes the colour of the wall in
    front of it. A point no camera sees takes the views it is turned most toward or
    away from (an underside looks like the rim around it).
    """
    face_index = rasterize_faces(uv, faces, texture_px)
    covered = face_index >= 0
    if not covered.any():
        raise ValueError("no triangle covers a texel; the UV atlas is empty")
    images = [extend_beyond_mask(view.rgb, view.mask, RIM_ERODE_PX) for view in views]
    intersector = make_intersector(trimesh.Trimesh(vertices, faces, process=False))
    offset = RAY_OFFSET * float(np.linalg.norm(np.ptp(vertices, axis=0)))
    corners_px = _uv_to_pixels(uv, texture_px)
    texture = np.zeros((texture_px, texture_px, 3), dtype=np.uint8)
    band = max(1, _TEXELS_PER_BAND // texture_px)
    for top in range(0, texture_px, band):
        rows, cols = np.nonzero(covered[top : top + band])
        if len(rows) == 0:
            continue
        rows += top
        texel_faces = faces[face_index[rows, cols]]
        weights = _barycentric(corners_px[texel_faces], np.stack([cols, rows], axis=1).astype(np.float64))
        position = np.einsum("nk,nkd->nd", weights, vertices[texel_faces])
        normal = np.einsum("nk,nkd->nd", weights, normals[texel_faces])
        normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
        colour = view_colours(position, normal, views, images, intersector, blend_power, offset)
        texture[rows, cols] = np.clip(np.rint(colour * 255), 0, 255).astype(np.uint8)
    return fill_from_nearest(texture, covered)


def view_colours(
    position: np.ndarray,
    normal: np.ndarray,
    views: Sequence[ViewPicture],
    images: Sequence[np.ndarray],
    intersector: trimesh.ray.ray_pyembree.RayMeshIntersector,
    blend_power: float,
    offset: float,
) -> np.ndarray:
    """(N, 3) colours of surface points with unit normals, blended over the views that see them."""
    directions = np.stack([view.direction for view in views])
    facing = apply_rows(normal, directions)  # (N, V)
    total = np.zeros(len(position))
    colour = np.zeros((len(position), 3))
    for index, (view, image) in enumerate(zip(views, images, strict=True)):
        candidates = np.flatnonzero(facing[:, index] > MIN_FACING)
        if len(candidates) == 0:
            continue
        direction = directions[index]
        origins = position[candidates] + offset * (direction + normal[candidates])
        blocked = intersector.intersects_any(origins, np.broadcast_to(direction, origins.shape).copy())
        seen = candidates[~blocked]
        weight = facing[seen, index] ** blend_power
        colour[seen] += weight[:, None] * _sample(view, image, position[seen])
        total[seen] += weight
    colour[total > 0] /= total[total > 0, None]
    unseen = np.flatnonzero(total <= 0)
    if len(unseen):
        weight = np.abs(facing[unseen]) ** blend_power + 1e-9
        fallback = np.zeros((len(unseen), 3))
        for index, (view, image) in enumerate(zip(views, images, strict=True)):
            fallback += weight[:, index, None] * _sample(view, image, position[unseen])
        colour[unseen] = fallback / weight.sum(axis=1, keepdims=True)
    return colour


def _sample(view: ViewPicture, image: np.ndarray, points: np.ndarray) -> np.ndarray:
    projected = apply_rows(points, view.rotation[:2])
    return sample_view_image(image, projected[:, 0], projected[:, 1])


def build_multiview_asset(
    mesh: trimesh.Trimesh, views: Sequence[ViewPicture], options: AssetOptions, blend_power: float
) -> Asset:
    """The asset steps of `build_asset` with a texture baked from all views.

    The mesh is in the world frame of `views`; the result follows glTF axes like every
    asset: centred, `options.height_m` tall, +Z toward the first camera's viewer.
    """

    def bake(
        vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, normals: np.ndarray, size: int
    ) -> np.ndarray:
        return bake_views_texture(vertices, faces, uv, normals, views, size, blend_power)

    return build_textured_asset(mesh, bake, options)

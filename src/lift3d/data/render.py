"""Orthographic ray-cast renderer: a shaded RGBA picture plus exact front/back depth maps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh

from lift3d.camera import view_rotation
from lift3d.data.materials import Material, albedo
from lift3d.types import OBJECT_FILL

# Sub-pixel ray offsets (in pixels) added to every pixel centre for anti-aliasing: the
# centre itself plus a 2x2 grid, so the centre ray that defines the mask is reused.
SUBPIXEL_OFFSETS_PX = ((0.0, 0.0), (-0.25, -0.25), (-0.25, 0.25), (0.25, -0.25), (0.25, 0.25))

# Above this angle between a face and its interpolated vertex normal the face is on a
# crease (box edge, cylinder rim) and is shaded flat instead of smoothly.
CREASE_COS = float(np.cos(np.radians(35.0)))


@dataclass(frozen=True)
class ViewOptions:
    """Range of random viewpoints; the camera always looks down -z."""

    azimuth_deg_min: float = 0.0
    azimuth_deg_max: float = 360.0
    elevation_deg_min: float = -10.0
    elevation_deg_max: float = 40.0


@dataclass(frozen=True)
class ViewPlacement:
    """Where an object landed in the view frame: view = (rotation @ p - centre) * scale."""

    vertices: np.ndarray  # (V, 3) float64 in the view frame
    rotation: np.ndarray  # (3, 3) object axes -> view axes
    centre: np.ndarray  # (3,) rotated-frame point that maps to the origin
    scale: float
    azimuth_deg: float
    elevation_deg: float


@dataclass(frozen=True)
class Lighting:
    """Directional lights toward the viewer's side plus an ambient term."""

    directions: np.ndarray  # (L, 3) unit vectors pointing from the surface to the light
    intensities: np.ndarray  # (L,)
    ambient: float


@dataclass(frozen=True)
class Rendering:
    """What the renderer produces for one object at one view."""

    rgba: np.ndarray  # (S, S, 4) uint8; straight (not premultiplied) colour, alpha = coverage
    front_z: np.ndarray  # (S, S) float32, 0 off the mask
    back_z: np.ndarray  # (S, S) float32, 0 off the mask

    @property
    def mask(self) -> np.ndarray:
        return self.rgba[..., 3] > 127


def place_in_view(vertices: np.ndarray, azimuth_deg: float, elevation_deg: float) -> ViewPlacement:
    """Rotate, then centre and scale so the picture-plane box spans OBJECT_FILL of the square.

    The longer side of the (x, y) bounding box becomes [-OBJECT_FILL, OBJECT_FILL] and
    the z range is centred on 0, which is what the cutout stage does to real photos.
    """
    rotation = view_rotation(azimuth_deg, elevation_deg)
    rotated = np.asarray(vertices, dtype=np.float64) @ rotation.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    extent = float((high - low)[:2].max())
    if not extent > 0:
        raise ValueError("object has no extent in the picture plane")
    centre = (low + high) / 2
    scale = 2.0 * OBJECT_FILL / extent
    return ViewPlacement(
        vertices=(rotated - centre) * scale,
        rotation=rotation,
        centre=centre,
        scale=scale,
        azimuth_deg=float(azimuth_deg),
        elevation_deg=float(elevation_deg),
    )


def random_view(rng: np.random.Generator, options: ViewOptions = ViewOptions()) -> tuple[float, float]:
    """(azimuth_deg, elevation_deg) drawn uniformly from the option ranges."""
    azimuth = rng.uniform(options.azimuth_deg_min, options.azimuth_deg_max)
    elevation = rng.uniform(options.elevation_deg_min, options.elevation_deg_max)
    return float(azimuth), float(elevation)


def random_lighting(rng: np.random.Generator) -> Lighting:
    """One key light, sometimes a dimmer fill, both on the camera's side of the object."""
    count = 1 if rng.random() < 0.5 else 2
    azimuth = rng.uniform(0.0, 2 * np.pi, count)
    height = rng.uniform(0.35, 0.95, count)  # cosine of the angle to the view axis
    radial = np.sqrt(1.0 - height**2)
    directions = np.stack([radial * np.cos(azimuth), radial * np.sin(azimuth), height], axis=1)
    intensities = np.array([rng.uniform(0.6, 0.85), rng.uniform(0.15, 0.35)][:count])
    return Lighting(directions=directions, intensities=intensities, ambient=float(rng.uniform(0.2, 0.4)))


def pixel_centres(size_px: int) -> tuple[np.ndarray, np.ndarray]:
    """View-frame (x, y) of pixel centres, each (S, S), as types.py defines them."""
    coordinate = (2.0 * np.arange(size_px) + 1.0) / size_px - 1.0
    return np.meshgrid(coordinate, -coordinate)


def make_intersector(mesh: trimesh.Trimesh) -> trimesh.ray.ray_pyembree.RayMeshIntersector:
    """Embree ray caster (about 10x faster than trimesh's pure-numpy one)."""
    if not trimesh.ray.has_embree:
        raise ImportError("the synthetic renderer needs embree ray casting: pip install embreex")
    from trimesh.ray.ray_pyembree import RayMeshIntersector

    return RayMeshIntersector(mesh)


def _cast_along_z(
    intersector: trimesh.ray.ray_pyembree.RayMeshIntersector,
    triangles: np.ndarray,
    xy: np.ndarray,
    start_z: float,
    direction_z: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First hits of rays parallel to z: (triangle or -1, z, barycentric weights).

    Hit depth comes from barycentric interpolation in the (x, y) projection, which is
    exact for an orthographic camera and, clipped to the triangle, stays bounded even
    on silhouette triangles seen edge-on.
    """
    count = len(xy)
    origins = np.column_stack([xy, np.full(count, start_z)])
    directions = np.zeros((count, 3))
    directions[:, 2] = direction_z
    triangle = intersector.intersects_first(origins, directions)
    hit = triangle >= 0
    corners = triangles[triangle[hit]]  # (H, 3, 3)
    edge_b = corners[:, 1, :2] - corners[:, 0, :2]
    edge_c = corners[:, 2, :2] - corners[:, 0, :2]
    to_point = xy[hit] - corners[:, 0, :2]
    area = edge_b[:, 0] * edge_c[:, 1] - edge_c[:, 0] * edge_b[:, 1]
    safe = np.where(np.abs(area) > 1e-12, area, 1.0)
    weight_b = (to_point[:, 0] * edge_c[:, 1] - edge_c[:, 0] * to_point[:, 1]) / safe
    weight_c = (edge_b[:, 0] * to_point[:, 1] - to_point[:, 0] * edge_b[:, 1]) / safe
    weights = np.column_stack([1.0 - weight_b - weight_c, weight_b, weight_c])
    weights[np.abs(area) <= 1e-12] = 1.0 / 3.0
    weights = np.clip(weights, 0.0, 1.0)
    weights /= weights.sum(axis=1, keepdims=True)
    z = np.zeros(count)
    z[hit] = np.einsum("hk,hk->h", weights, corners[:, :, 2])
    full_weights = np.zeros((count, 3))
    full_weights[hit] = weights
    return triangle, z, full_weights


def shade(
    points: np.ndarray,
    normals: np.ndarray,
    point_material: np.ndarray,
    materials: Sequence[Material],
    lighting: Lighting,
    texture_points: np.ndarray,
) -> np.ndarray:
    """Lambert + ambient + Blinn-Phong colour (N, 3) in [0, 1] for a viewer at +z."""
    colour = np.zeros((len(points), 3))
    view = np.array([0.0, 0.0, 1.0])
    for index, material in enumerate(materials):
        selected = point_material == index
        if not selected.any():
            continue
        normal = normals[selected]
        base = albedo(material, texture_points[selected])
        diffuse = np.full(len(normal), lighting.ambient)
        highlight = np.zeros(len(normal))
        for direction, intensity in zip(lighting.directions, lighting.intensities, strict=True):
            diffuse += intensity * np.clip(normal @ direction, 0.0, None)
            half = (direction + view) / np.linalg.norm(direction + view)
            highlight += intensity * np.clip(normal @ half, 0.0, None) ** material.shininess
        colour[selected] = base * diffuse[:, None] + material.specular * highlight[:, None]
    return np.clip(colour, 0.0, 1.0)


def render(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_material: np.ndarray,
    materials: Sequence[Material],
    lighting: Lighting,
    size_px: int = 128,
    texture_rotation: np.ndarray | None = None,
) -> Rendering:
    """Render a closed mesh already in the view frame.

    The mask is where the ray through a pixel centre hits; alpha is the coverage of 5
    sub-pixel rays, nudged across 127/128 so that `alpha > 127` equals the mask and the
    depth maps are defined exactly where a reader of `Sample.mask` expects them.
    `texture_rotation` maps view points back to object axes so patterns stick to the
    object rather than the camera.
    """
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    intersector = make_intersector(mesh)
    triangles = np.asarray(mesh.triangles)
    x, y = pixel_centres(size_px)
    pixel_px = 2.0 / size_px
    subpixel = np.asarray(SUBPIXEL_OFFSETS_PX) * pixel_px
    # offsets are (row, column) in pixels: +row goes down the image, i.e. -y
    xy = np.concatenate(
        [np.column_stack([x.ravel() + dc, y.ravel() - dr]) for dr, dc in subpixel]
    )  # (5 S^2, 2), the centre rays first
    low_z, high_z = float(vertices[:, 2].min()), float(vertices[:, 2].max())
    margin = 1.0 + (high_z - low_z)
    triangle, z, weights = _cast_along_z(intersector, triangles, xy, high_z + margin, -1.0)
    pixels = size_px * size_px
    centre_xy = xy[:pixels]
    back_triangle, back_z_flat, _ = _cast_along_z(intersector, triangles, centre_xy, low_z - margin, 1.0)

    hit = triangle >= 0
    mask = hit[:pixels]
    front_z = np.where(mask, z[:pixels], 0.0)
    # a grazing centre ray can slip past the rear surface; the object is then paper-thin there
    back_z = np.where(back_triangle >= 0, back_z_flat, front_z)
    back_z = np.where(mask, np.minimum(back_z, front_z), 0.0)

    hit_triangle = triangle[hit]
    points = np.column_stack([xy[hit], z[hit]])
    face_normals = np.asarray(mesh.face_normals)[hit_triangle]
    corner_normals = np.asarray(mesh.vertex_normals)[faces[hit_triangle]]  # (H, 3, 3)
    smooth = np.einsum("hk,hkd->hd", weights[hit], corner_normals)
    smooth /= np.maximum(np.linalg.norm(smooth, axis=1, keepdims=True), 1e-12)
    on_crease = np.einsum("hd,hd->h", smooth, face_normals) < CREASE_COS
    normals = np.where(on_crease[:, None], face_normals, smooth)
    rotation = np.eye(3) if texture_rotation is None else texture_rotation
    colour = shade(
        points, normals, face_material[hit_triangle], materials, lighting, texture_points=points @ rotation
    )

    samples = len(SUBPIXEL_OFFSETS_PX)
    ray_colour = np.zeros((samples * pixels, 3))
    ray_colour[hit] = colour
    hits = hit.reshape(samples, pixels).sum(axis=0)
    rgb = ray_colour.reshape(samples, pixels, 3).sum(axis=0) / np.maximum(hits, 1)[:, None]
    alpha = np.round(hits / samples * 255.0)
    alpha = np.where(mask, np.maximum(alpha, 128.0), np.minimum(alpha, 127.0))
    rgba = np.concatenate([np.round(rgb * 255.0), alpha[:, None]], axis=1)
    shape = (size_px, size_px)
    return Rendering(
        rgba=rgba.reshape(*shape, 4).astype(np.uint8),
        front_z=front_z.reshape(shape).astype(np.float32),
        back_z=back_z.reshape(shape).astype(np.float32),
    )


def cast_pixel_rays(
    vertices: np.ndarray, faces: np.ndarray, size_px: int, side: str = "front"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface seen at each pixel centre from the front (+z) or the back (-z).

    Returns (triangle or -1, barycentric weights, hit points), each per pixel in row order.
    """
    if side not in ("front", "back"):
        raise ValueError(f"side must be front or back, got {side!r}")
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    x, y = pixel_centres(size_px)
    xy = np.column_stack([x.ravel(), y.ravel()])
    low_z, high_z = float(vertices[:, 2].min()), float(vertices[:, 2].max())
    margin = 1.0 + (high_z - low_z)
    start, direction = (high_z + margin, -1.0) if side == "front" else (low_z - margin, 1.0)
    triangle, z, weights = _cast_along_z(
        make_intersector(mesh), np.asarray(mesh.triangles), xy, start, direction
    )
    return triangle, weights, np.column_stack([xy, z])


def render_albedo(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_material: np.ndarray,
    materials: Sequence[Material],
    size_px: int = 128,
    texture_rotation: np.ndarray | None = None,
    side: str = "front",
) -> tuple[np.ndarray, np.ndarray]:
    """True base colour (S, S, 3) float in [0, 1] and its mask, seen from the front or the back.

    The unlit counterpart of `render` (same view frame, same solid textures), so a
    texture can be scored against the colours the object really has, also where the
    picture cannot see. Back maps are not mirrored: pixel (r, c) is the same (x, y).
    """
    triangle, _, points = cast_pixel_rays(vertices, faces, size_px, side)
    hit = triangle >= 0
    colour = np.zeros((len(triangle), 3))
    rotation = np.eye(3) if texture_rotation is None else texture_rotation
    hit_material = np.asarray(face_material)[triangle[hit]]
    hit_points = points[hit] @ rotation
    hit_colour = np.zeros((int(hit.sum()), 3))
    for index, material in enumerate(materials):
        selected = hit_material == index
        if selected.any():
            hit_colour[selected] = albedo(material, hit_points[selected])
    colour[hit] = hit_colour
    shape = (size_px, size_px)
    return colour.reshape(*shape, 3), hit.reshape(shape)

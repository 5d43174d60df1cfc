"""Picture styles for adapter training: photo, toon, sketch and blueprint renders of one view.

Every style draws the same placed mesh, so the shape maps (the training target) are
shared and only the picture changes. Line styles come from a G-buffer (depth, normals,
face ids) ray-cast at twice the picture size and averaged down, which anti-aliases
the strokes. All randomness comes from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lift3d.data.materials import Material
from lift3d.data.render import Lighting, make_intersector, pixel_centres, random_lighting, render

STYLES = ("photo", "toon", "sketch", "blueprint")
# drawn on paper: these reach lift3d without alpha, and the line-drawing detector finds the outline
PAPER_STYLES = ("sketch", "blueprint")

SUPERSAMPLE = 2  # G-buffer pixels per picture pixel along each axis
CREASE_DEG = 40.0  # neighbouring normals further apart than this draw a crease line
DEPTH_JUMP = 0.08  # view units: a larger step between neighbours is an occluding edge
PAPER_BLUE = np.array([0.09, 0.23, 0.52])


@dataclass(frozen=True)
class SurfaceBuffers:
    """Per-pixel surface seen through each pixel centre (at the G-buffer size)."""

    mask: np.ndarray  # (N, N) bool
    depth: np.ndarray  # (N, N) float, front z, 0 off the mask
    normals: np.ndarray  # (N, N, 3) unit face normals toward the viewer, 0 off the mask
    points: np.ndarray  # (N, N, 3) hit points
    face: np.ndarray  # (N, N) int, -1 off the mask


@dataclass(frozen=True)
class StyledView:
    """One view of a mesh in a style, with the shape maps it teaches."""

    picture: np.ndarray  # (S, S, 3) float32: what a user would have (paper for line styles)
    model_rgb: np.ndarray  # (S, S, 3) float32: the picture as the cutout stage gives it (white outside)
    coverage: np.ndarray  # (S, S) float32 in [0, 1]: the filled silhouette
    front_z: np.ndarray  # (S, S) float32, 0 off the mask
    back_z: np.ndarray  # (S, S) float32, 0 off the mask
    style: str


def surface_buffers(vertices: np.ndarray, faces: np.ndarray, size_px: int) -> SurfaceBuffers:
    """Ray-cast the placed mesh along -z through every pixel centre."""
    import trimesh

    mesh = trimesh.Trimesh(vertices, faces, process=False)
    intersector = make_intersector(mesh)
    x, y = pixel_centres(size_px)
    count = size_px * size_px
    top = float(vertices[:, 2].max()) + 1.0
    origins = np.column_stack([x.ravel(), y.ravel(), np.full(count, top)])
    directions = np.tile([0.0, 0.0, -1.0], (count, 1))
    face_ids, rays, locations = intersector.intersects_id(
        origins, directions, multiple_hits=False, return_locations=True
    )
    face = np.full(count, -1, dtype=np.int64)
    face[rays] = face_ids
    points = np.zeros((count, 3))
    points[rays] = locations
    normals = np.zeros((count, 3))
    face_normals = np.asarray(mesh.face_normals)[face_ids]
    # seen from the front, a normal facing away means a flipped face; show it as facing us
    normals[rays] = face_normals * np.where(face_normals[:, 2:] < 0, -1.0, 1.0)
    shape = (size_px, size_px)
    return SurfaceBuffers(
        mask=(face >= 0).reshape(shape),
        depth=points[:, 2].reshape(shape),
        normals=normals.reshape(*shape, 3),
        points=points.reshape(*shape, 3),
        face=face.reshape(shape),
    )


def feature_lines(buffers: SurfaceBuffers, creases: bool = True) -> np.ndarray:
    """Outline, occluding edges and (optionally) creases as a (N, N) bool line image."""
    mask = buffers.mask
    outline = mask & ~ndimage.binary_erosion(mask, border_value=0)
    lines = outline.copy()
    crease_cos = np.cos(np.radians(CREASE_DEG))
    for axis in (0, 1):
        neighbour_mask = np.roll(mask, 1, axis=axis)
        both = mask & neighbour_mask
        jump = np.abs(buffers.depth - np.roll(buffers.depth, 1, axis=axis)) > DEPTH_JUMP
        lines |= both & jump
        if creases:
            dot = np.einsum("ijk,ijk->ij", buffers.normals, np.roll(buffers.normals, 1, axis=axis))
            lines |= both & (dot < crease_cos)
    return lines


def _wobble(image: np.ndarray, rng: np.random.Generator, amplitude_px: float, smooth_px: float) -> np.ndarray:
    """Displace an image by a smooth random field: the unsteady hand of a drawing."""
    import cv2

    size = image.shape[0]
    fields = []
    for _ in range(2):
        noise = ndimage.gaussian_filter(rng.standard_normal((size, size)), smooth_px)
        fields.append(noise / max(float(np.abs(noise).max()), 1e-9) * amplitude_px)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)
    return cv2.remap(
        image.astype(np.float32),
        (cols + fields[0]).astype(np.float32),
        (rows + fields[1]).astype(np.float32),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0.0,
    )


def _downsample(image: np.ndarray, factor: int) -> np.ndarray:
    size = image.shape[0] // factor
    return image.reshape(size, factor, size, factor, *image.shape[2:]).mean(axis=(1, 3))


def _lambert(buffers: SurfaceBuffers, lighting: Lighting) -> np.ndarray:
    key = lighting.directions[0]
    return np.clip(buffers.normals @ key, 0.0, 1.0)


def _thicken(lines: np.ndarray, width_px: int) -> np.ndarray:
    return ndimage.binary_dilation(lines, iterations=width_px) if width_px > 0 else lines


def toon_picture(
    buffers: SurfaceBuffers,
    face_material: np.ndarray,
    materials: Sequence[Material],
    rng: np.random.Generator,
) -> np.ndarray:
    """Flat cel shading in 2-3 tones of each material's colour, dark outlines (G-buffer size)."""
    lighting = random_lighting(rng)
    light = _lambert(buffers, lighting)
    tones = int(rng.integers(2, 4))
    thresholds = np.sort(rng.uniform(0.2, 0.7, tones - 1))
    levels = np.linspace(0.55, 1.0, tones)
    shade = levels[np.searchsorted(thresholds, light)]
    rgb = np.ones((*buffers.mask.shape, 3))
    hit = buffers.mask
    material_of = face_material[buffers.face[hit]]
    colour = np.zeros((int(hit.sum()), 3))
    for index, material in enumerate(materials):
        chosen = material_of == index
        if chosen.any():
            # toon art paints flat colours: the material's base colour, no texture pattern
            colour[chosen] = np.asarray(material.base_rgb)
    rgb[hit] = colour * shade[hit][:, None]
    lines = _thicken(feature_lines(buffers, creases=rng.random() < 0.5), 1)
    ink = np.array([0.08, 0.06, 0.06]) * rng.uniform(0.5, 1.5)
    return np.where(lines[..., None], ink, rgb)


def sketch_picture(buffers: SurfaceBuffers, rng: np.random.Generator) -> np.ndarray:
    """Black lines on white paper: outline, creases, hatching in the dark, a wobbly hand, no fill."""
    lighting = random_lighting(rng)
    light = _lambert(buffers, lighting)
    size = buffers.mask.shape[0]
    rows, cols = np.mgrid[0:size, 0:size]
    period = int(rng.integers(5, 9))
    angle_sum = (rows + cols) % period == 0
    angle_difference = (rows - cols) % period == 0
    hatch = buffers.mask & (((light < 0.35) & angle_sum) | ((light < 0.15) & angle_difference))
    lines = _thicken(feature_lines(buffers, creases=True), 1).astype(np.float32)
    amplitude = rng.uniform(0.5, 1.8)
    strokes = np.maximum(
        _wobble(lines, rng, amplitude, 6.0), 0.7 * _wobble(hatch.astype(np.float32), rng, amplitude, 6.0)
    )
    darkness = rng.uniform(0.75, 1.0) * (0.85 + 0.15 * ndimage.gaussian_filter(rng.random((size, size)), 4.0))
    paper = 1.0 - rng.uniform(0.0, 0.04)
    grey = paper * (1.0 - np.clip(strokes, 0.0, 1.0) * darkness)
    return np.repeat(grey[..., None], 3, axis=2)


def blueprint_picture(buffers: SurfaceBuffers, rng: np.random.Generator) -> np.ndarray:
    """White lines (outline, creases) on blueprint blue with a faint grid."""
    size = buffers.mask.shape[0]
    lines = _thicken(feature_lines(buffers, creases=True), 1).astype(np.float32)
    strokes = np.clip(_wobble(lines, rng, rng.uniform(0.0, 0.6), 8.0), 0.0, 1.0)
    blue = PAPER_BLUE * rng.uniform(0.85, 1.15, 3)
    rows, cols = np.mgrid[0:size, 0:size]
    spacing = int(rng.integers(12, 24))
    grid = ((rows % spacing == 0) | (cols % spacing == 0)).astype(np.float32) * 0.12
    paper = np.clip(blue + grid[..., None] + rng.normal(0.0, 0.01, (size, size, 1)), 0.0, 1.0)
    line_colour = np.array([0.95, 0.97, 1.0])
    return paper * (1.0 - strokes[..., None]) + line_colour * strokes[..., None]


def stylize(
    vertices: np.ndarray,
    faces: np.ndarray,
    face_material: np.ndarray,
    materials: Sequence[Material],
    style: str,
    seed: int,
    size_px: int = 128,
    texture_rotation: np.ndarray | None = None,
) -> StyledView:
    """The mesh (already placed in the view frame) drawn in `style`, with its shape maps."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    rng = np.random.default_rng([seed, STYLES.index(style)])
    rendering = render(
        vertices, faces, face_material, materials, random_lighting(rng), size_px, texture_rotation
    )
    coverage = rendering.rgba[..., 3].astype(np.float32) / 255.0
    shaded = rendering.rgba[..., :3].astype(np.float32) / 255.0
    if style == "photo":
        picture = shaded * coverage[..., None] + (1.0 - coverage[..., None])
        model_rgb = picture
    else:
        buffers = surface_buffers(vertices, faces, size_px * SUPERSAMPLE)
        if style == "toon":
            large = toon_picture(buffers, face_material, materials, rng)
        elif style == "sketch":
            large = sketch_picture(buffers, rng)
        else:
            large = blueprint_picture(buffers, rng)
        picture = _downsample(large, SUPERSAMPLE)
        if style in PAPER_STYLES:
            # the cutout keeps the drawing inside the outline (strokes included) on white
            inside = ndimage.binary_dilation(coverage > 0.5, iterations=2)[..., None]
            model_rgb = np.where(inside, picture, 1.0)
        else:
            picture = picture * coverage[..., None] + (1.0 - coverage[..., None])
            model_rgb = picture
    return StyledView(
        picture=np.clip(picture, 0.0, 1.0).astype(np.float32),
        model_rgb=np.clip(model_rgb, 0.0, 1.0).astype(np.float32),
        coverage=coverage,
        front_z=rendering.front_z,
        back_z=rendering.back_z,
        style=style,
    )


def picture_to_uint8(picture: np.ndarray) -> np.ndarray:
    """A styled picture as an 8-bit RGB image, for saving and for the input-kind detector."""
    return np.round(np.clip(picture, 0.0, 1.0) * 255.0).astype(np.uint8)


__all__ = [
    "STYLES",
    "StyledView",
    "SurfaceBuffers",
    "blueprint_picture",
    "feature_lines",
    "picture_to_uint8",
    "sketch_picture",
    "stylize",
    "surface_buffers",
    "toon_picture",
]

"""Shape maps to a closed surface: a signed field in a voxel grid, then marching cubes.

The field says how far inside the object a point is: the smaller of the distance to
the outline in the picture plane and the distance to the shell between the back and
front surfaces. Its zero level set is closed by construction (the grid is padded with
outside values), so marching cubes always returns a watertight surface whatever the
maps say — a learned generator can be wrong, but never produce a broken mesh.

Side walls: where front and back meet at the silhouette the maps say little (a 64 px
map's last pixel centre lies up to a pixel inside the outline), so the shell is closed
there by a rim profile instead of being cut by the outline. Cutting it left a vertical
band, as tall as the object's thickness at its last map pixel, whose edges stepped
from one map pixel to the next: the terraces a side view showed (docs/sidewalls/).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from skimage import measure

from lift3d.errors import OptionError
from lift3d.images import extend_beyond_mask
from lift3d.types import ShapeMaps

# The rim profile's slope (squared half-thickness per unit of outline distance) is read
# from map pixels this far inside the outline, in map pixels, and smoothed along the
# outline with a Gaussian this wide; the profile replaces the maps within RIM_BLEND_PX.
RIM_SLOPE_PX = (0.5, 2.5)
RIM_SLOPE_SMOOTHING_PX = 1.0
RIM_BLEND_PX = (1.0, 2.0)
# The mask's outline distance is smoothed this much (mask pixels) to round its pixel
# staircase, but never moved more than OUTLINE_SHIFT_PX inward, so thin parts stay.
OUTLINE_SMOOTHING_PX = 3.0
OUTLINE_SHIFT_PX = 0.5


@dataclass(frozen=True)
class ReconstructOptions:
    """How finely and how smoothly shape maps become a surface."""

    grid_px: int = 160  # voxels across the view square [-1, 1]
    min_thickness_voxels: float = 1.5  # thinner parts are thickened so they do not vanish
    smooth_iterations: int = 8  # Taubin smoothing steps that remove voxel steps
    min_part_fraction: float = 0.01  # parts smaller than this share of the volume are floating bits

    def __post_init__(self) -> None:
        if not 16 <= self.grid_px <= 512:
            raise OptionError(f"grid_px must be between 16 and 512, got {self.grid_px}")
        if self.smooth_iterations < 0:
            raise OptionError(f"smooth_iterations must be >= 0, got {self.smooth_iterations}")


def outline_distance(mask: np.ndarray) -> np.ndarray:
    """Signed distance to the mask's outline in view units, positive inside.

    Half a pixel is subtracted on both sides so the zero crossing lies on the pixel
    boundary rather than on pixel centres.
    """
    pixel = 2.0 / mask.shape[1]
    inside = ndimage.distance_transform_edt(mask)
    outside = ndimage.distance_transform_edt(~mask)
    return np.where(mask, inside - 0.5, 0.5 - outside).astype(np.float32) * pixel


def resample(values: np.ndarray, grid_px: int) -> np.ndarray:
    """Bilinearly sample a map at the centres of a grid_px x grid_px grid over the same square."""
    height, width = values.shape
    centres = (np.arange(grid_px) + 0.5) / grid_px
    rows = centres * height - 0.5
    cols = centres * width - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(values, [rr, cc], order=1, mode="nearest").astype(np.float32)


def smooth_outline_distance(mask: np.ndarray) -> np.ndarray:
    """`outline_distance` with the mask's pixel staircase rounded off.

    A Gaussian-smoothed signed distance follows the outline without its steps but erodes
    parts a few pixels wide. So it is used only down to the raw distance less a shift of
    up to OUTLINE_SHIFT_PX, which shrinks with the part's width (the largest raw distance
    nearby): a stroke two pixels wide keeps its raw outline.
    """
    raw = outline_distance(mask)
    pixel = 2.0 / mask.shape[1]
    smoothed = ndimage.gaussian_filter(raw, OUTLINE_SMOOTHING_PX, mode="nearest")
    window = 2 * int(np.ceil(OUTLINE_SMOOTHING_PX)) + 1
    width = ndimage.maximum_filter(raw, size=window, mode="nearest")
    shift = OUTLINE_SHIFT_PX * pixel * np.clip(width / (OUTLINE_SMOOTHING_PX * pixel), 0.0, 1.0)
    return np.maximum(smoothed, raw - shift).astype(np.float32)


def rim_slope(squared_half: np.ndarray, distance: np.ndarray, mask: np.ndarray, pixel: float) -> np.ndarray:
    """Squared half-thickness per unit of outline distance near the rim, on every map pixel.

    A smooth closed surface meets its silhouette with a vertical tangent, its
    half-thickness growing like the square root of the distance to the outline, so the
    ratio is nearly constant across the last pixels; it is read from pixels a little
    inside (RIM_SLOPE_PX), averaged along the outline and copied outward and inward.
    """
    low, high = RIM_SLOPE_PX
    reading = mask & (distance >= low * pixel) & (distance <= high * pixel)
    if not reading.any():
        reading = mask & (distance > 0)
    if not reading.any():
        return np.zeros_like(squared_half)
    ratio = np.where(reading, squared_half / np.maximum(distance, 1e-6), 0.0)
    weight = ndimage.gaussian_filter(reading.astype(np.float32), RIM_SLOPE_SMOOTHING_PX)
    total = ndimage.gaussian_filter(ratio.astype(np.float32), RIM_SLOPE_SMOOTHING_PX)
    known = weight > 1e-3
    return extend_beyond_mask(np.where(known, total / np.maximum(weight, 1e-12), 0.0), known)


def maps_to_field(maps: ShapeMaps, grid_px: int, min_thickness_voxels: float) -> tuple[np.ndarray, float]:
    """The signed field on a voxel grid (axis 0 = z, back to front; 1 = rows; 2 = columns).

    The shell is written as q - (z - m)^2 >= 0, with m the mid-surface and q the squared
    half-thickness. Near the outline q is the rim slope times the outline distance, so
    front and back meet at the silhouette with a vertical tangent, and q is smooth across
    it; divided by its gradient's length the expression is a distance to first order,
    which is what keeps marching cubes accurate where the surface turns steep.
    Returns the field and the z of the first z-slice.
    """
    voxel = 2.0 / grid_px
    map_px = maps.front_z.shape[0]
    pixel = 2.0 / map_px
    map_mask = resample(maps.mask.astype(np.float32), map_px) > 0.5
    if not map_mask.any():  # an object thinner than one map pixel: trust the maps everywhere
        map_mask = np.ones(maps.front_z.shape, dtype=bool)
    front = maps.front_z.astype(np.float32)
    back = maps.back_z.astype(np.float32)
    squared_half = extend_beyond_mask(np.maximum(0.5 * (front - back), 0.0) ** 2, map_mask)
    middle = resample(extend_beyond_mask(0.5 * (front + back), map_mask), grid_px)
    mask_distance = smooth_outline_distance(maps.mask)
    slope = rim_slope(squared_half, resample(mask_distance, map_px), map_mask, pixel)
    outline = resample(mask_distance, grid_px)
    low, high = RIM_BLEND_PX
    maps_weight = np.clip((outline - low * pixel) / ((high - low) * pixel), 0.0, 1.0)
    squared = (
        maps_weight * resample(squared_half, grid_px)
        + (1.0 - maps_weight) * resample(slope, grid_px) * outline
    )
    # Keep a minimum thickness so thin parts stay solid, closing within a voxel of the outline.
    min_half = 0.5 * min_thickness_voxels * voxel
    squared = np.maximum(squared, min_half**2 * np.minimum(outline / voxel, 1.0))

    half = np.sqrt(np.maximum(squared, 0.0))
    inside = outline > 0
    z_low = float((middle - half)[inside].min()) - 2 * voxel
    z_high = float((middle + half)[inside].max()) + 2 * voxel
    z = z_low + voxel * (np.arange(int(np.ceil((z_high - z_low) / voxel)) + 1, dtype=np.float32) + 0.5)
    # |grad(q - dz^2)|^2 = |grad q|^2 + 4 dz grad q . grad m + 4 dz^2 (1 + |grad m|^2)
    squared_rows, squared_cols = np.gradient(squared, voxel)
    middle_rows, middle_cols = np.gradient(middle, voxel)
    constant = squared_rows**2 + squared_cols**2
    linear = 4.0 * (squared_rows * middle_rows + squared_cols * middle_cols)
    quadratic = 4.0 * (1.0 + middle_rows**2 + middle_cols**2)
    dz = z[:, None, None] - middle[None]
    gradient = np.sqrt(np.maximum(constant[None] + dz * (linear[None] + dz * quadratic[None]), 1e-12))
    shell = (squared[None] - dz * dz) / gradient
    field = np.minimum(outline[None], shell)
    return field.astype(np.float32), z_low


def maps_to_mesh(maps: ShapeMaps, options: ReconstructOptions | None = None) -> trimesh.Trimesh:
    """Turn shape maps into a watertight, outward-oriented mesh in the view frame."""
    options = options or ReconstructOptions()
    if not maps.mask.any():
        raise ValueError("maps_to_mesh needs a non-empty mask")
    grid = options.grid_px
    voxel = 2.0 / grid
    field, z_low = maps_to_field(maps, grid, options.min_thickness_voxels)
    padded = np.pad(field, 1, constant_values=-1.0)
    # Values exactly at the level make marching cubes emit degenerate, non-manifold
    # pieces (the three distance terms tie at 0 on clipped maps): push them outside.
    padded[padded == 0.0] = -1e-6
    vertices, faces, _, _ = measure.marching_cubes(padded, level=0.0, spacing=(voxel, voxel, voxel))
    # Grid index (z, row, column) -> view frame (x right, y up, z toward the viewer).
    z = z_low + vertices[:, 0] + 0.5 * voxel - voxel
    y = 1.0 - (vertices[:, 1] - voxel + 0.5 * voxel)
    x = (vertices[:, 2] - voxel + 0.5 * voxel) - 1.0
    mesh = trimesh.Trimesh(np.column_stack([x, y, z]), faces, process=True)
    mesh = keep_main_parts(mesh, options.min_part_fraction)
    if options.smooth_iterations:
        trimesh.smoothing.filter_taubin(mesh, iterations=options.smooth_iterations)
    if enclosed_volume(mesh) < 0:
        mesh.invert()
    return mesh


def keep_main_parts(mesh: trimesh.Trimesh, min_part_fraction: float) -> trimesh.Trimesh:
    """Drop floating bits: connected parts whose volume is a small share of the largest.

    Parts are labelled on the face graph and their volumes summed per label, so a result
    with a floating bit costs about what one without does (splitting it into meshes cost
    0.07 s of a 0.7 s convert)."""
    faces = np.asarray(mesh.faces)
    if len(faces) == 0:
        return mesh
    count, labels = _connected_parts(faces, len(mesh.vertices))
    if count <= 1:
        return mesh
    volumes = np.abs(np.bincount(labels, weights=_face_volumes(mesh.triangles), minlength=count))
    kept = volumes[labels] >= min_part_fraction * volumes.max()
    if kept.all():
        return mesh
    result = trimesh.Trimesh(mesh.vertices, faces[kept], process=False)
    result.remove_unreferenced_vertices()
    return result


def _connected_parts(faces: np.ndarray, vertex_count: int) -> tuple[int, np.ndarray]:
    """The parts `mesh.split` would find (faces joined across edges used by exactly two
    faces): their count and each face's part label."""
    start, end = faces.ravel(), faces[:, [1, 2, 0]].ravel()
    codes = np.minimum(start, end).astype(np.int64) * vertex_count + np.maximum(start, end)
    order = np.argsort(codes)
    ordered = codes[order]
    same = ordered[1:] == ordered[:-1]
    # a pair of equal neighbours with no third equal one on either side
    before = np.concatenate([[False], same[:-1]])
    after = np.concatenate([same[1:], [False]])
    pairs = np.flatnonzero(same & ~before & ~after)
    face_pairs = np.stack([order[pairs], order[pairs + 1]]) // 3
    graph = sparse.coo_matrix(
        (np.ones(face_pairs.shape[1], dtype=np.int8), face_pairs), shape=(len(faces),) * 2
    )
    count, labels = csgraph.connected_components(graph, directed=False)
    return int(count), labels


def _face_volumes(triangles: np.ndarray) -> np.ndarray:
    """Each face's signed tetrahedron volume to the origin; their sum is the enclosed volume."""
    return np.einsum("ij,ij->i", triangles[:, 0], np.cross(triangles[:, 1], triangles[:, 2])) / 6.0


def enclosed_volume(mesh: trimesh.Trimesh) -> float:
    """Signed volume by the divergence theorem; zero-volume slivers give 0 without warnings."""
    return float(_face_volumes(mesh.triangles).sum())

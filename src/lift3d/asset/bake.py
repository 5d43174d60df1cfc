"""Texture bake: colour every texel of the UV atlas from the picture and the hidden side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

from lift3d.asset.delight import delight_picture
from lift3d.asset.hidden_side import fill_hidden_side
from lift3d.images import extend_beyond_mask
from lift3d.types import Cutout, ShapeMaps

# Surfaces whose normal z is above +BLEND_NZ take the picture's colour, below -BLEND_NZ
# the hidden side's; side walls in between mix both, which hides the seam at the rim.
BLEND_NZ = 0.25
# In hidden_side="mirror" the hidden side reuses the front colour, a bit darker so front
# and back read as different sides.
BACK_SHADE = 0.85
# The cutout's outermost ring of mask pixels is blended with the white background.
RIM_ERODE_PX = 1
# Side walls (surfaces seen edge-on, |normal z| below SIDE_NZ) take their colour from this
# share of the cutout's side inside the outline: a drawn outline or a dark shaded rim
# would otherwise be stretched across the whole wall.
SIDE_NZ = 0.5
SIDE_INSET = 0.04
# The machine's two cores: the bake is the asset stage's longest step.
BAKE_THREADS = 2
_SUBPIXEL_BITS = 4
_REMAP_WIDTH = 1024
_TEXELS_PER_BAND = 1 << 19


@dataclass(frozen=True)
class ViewImages:
    """What texels sample, in the view frame, each extended past the mask."""

    picture: np.ndarray  # (H, W, 3) the (de-lit) picture
    inset: np.ndarray  # the same, extended from further inside, for edge-on walls
    back: np.ndarray | None  # the hidden side's colour; None: the front, darker


def bake_texture(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    normals: np.ndarray,
    cutout: Cutout,
    maps: ShapeMaps | None,
    texture_px: int,
    delight: bool = True,
    hidden_side: str = "fill",
) -> np.ndarray:
    """Return a (T, T, 3) uint8 base-colour texture for a mesh in the view frame.

    Each texel finds its triangle in UV space, hence a 3D point and a normal; the
    point's (x, y) projection picks colours from the picture (front) and from
    `maps.back_rgb` (back), both first extended past the mask so the rim never picks
    up background. Texels outside all charts copy their nearest chart texel, which
    fills the gutters so mip-mapping and bilinear lookups do not bleed in black.
    `delight` divides the picture's shading out first (needs `maps`); without a
    predicted back colour, `hidden_side` "fill" continues the regions' rim colours over
    the back and "mirror" repeats the front, darker.
    """
    images = view_images(cutout, maps, delight, hidden_side)
    return bake_view_images(vertices, faces, uv, normals, images, texture_px)


def view_images(
    cutout: Cutout, maps: ShapeMaps | None, delight: bool = True, hidden_side: str = "fill"
) -> ViewImages:
    """The images `bake_texture` samples; they need no mesh, so they can be made alongside it."""
    picture = cutout.rgb
    if delight and maps is not None:
        picture = delight_picture(picture, cutout.mask, maps.front_z)
    front_image = extend_beyond_mask(picture, cutout.mask, RIM_ERODE_PX)
    inset_px = max(RIM_ERODE_PX, round(SIDE_INSET * cutout.mask.shape[0]))
    inset_image = extend_beyond_mask(picture, cutout.mask, inset_px)
    back_image = None
    if maps is not None and maps.back_rgb is not None:
        back_mask = _resize_mask(cutout.mask, maps.back_rgb.shape[:2])
        back_image = extend_beyond_mask(maps.back_rgb, back_mask, RIM_ERODE_PX)
    elif hidden_side == "fill":
        back_image = fill_hidden_side(picture, cutout.mask)
    return ViewImages(front_image, inset_image, back_image)


def bake_view_images(
    vertices: np.ndarray,
    faces: np.ndarray,
    uv: np.ndarray,
    normals: np.ndarray,
    images: ViewImages,
    texture_px: int,
) -> np.ndarray:
    """`bake_texture` from images made beforehand by `view_images`."""
    face_index = rasterize_faces(uv, faces, texture_px)
    covered = face_index >= 0
    if not covered.any():
        raise ValueError("no triangle covers a texel; the UV atlas is empty")
    surface = _face_table(_uv_to_pixels(uv, texture_px), faces, vertices, normals)
    texel_faces = face_index.ravel()
    texels = np.flatnonzero(covered)
    texture = np.zeros((texture_px * texture_px, 3), dtype=np.uint8)

    def bake_band(band: np.ndarray) -> None:
        x, y, normal_z = _texel_surface(surface, texel_faces[band], band, texture_px)
        colour = _blend_sides(x, y, normal_z, (images.picture, images.inset), images.back)
        colour *= 255
        texture[band] = np.clip(np.rint(colour, out=colour), 0, 255).astype(np.uint8).T

    # Bands bound the per-texel arrays (~150 bytes each) at large textures; numpy and
    # OpenCV release the GIL, so the bands bake in parallel.
    band_size = max(1, min(_TEXELS_PER_BAND, -(-len(texels) // BAKE_THREADS)))
    with ThreadPoolExecutor(BAKE_THREADS) as pool:
        list(
            pool.map(
                bake_band, [texels[start : start + band_size] for start in range(0, len(texels), band_size)]
            )
        )
    return fill_from_nearest(texture.reshape(texture_px, texture_px, 3), covered)


def _face_table(
    corners_px: np.ndarray, faces: np.ndarray, vertices: np.ndarray, normals: np.ndarray
) -> np.ndarray:
    """Per face, what a texel needs to find its surface point: (21, F) float32.

    Rows: corner 0 in pixels (2), the gradients of barycentrics 1 and 2 over pixels
    (4), then x, y and the normal at corner 0 (5) and their differences to corners 1 and
    2 (5 + 5). Gathering one column per texel is far cheaper than solving each texel's
    barycentrics from its corners. A degenerate face is flattened to its mean.
    """
    triangle = corners_px[faces]
    origin = triangle[:, 0]
    edge_1, edge_2 = triangle[:, 1] - origin, triangle[:, 2] - origin
    det = edge_1[:, 0] * edge_2[:, 1] - edge_1[:, 1] * edge_2[:, 0]
    flat = np.abs(det) <= 1e-12
    inverse = 1.0 / np.where(flat, 1.0, det)
    gradients = np.stack(
        [edge_2[:, 1] * inverse, -edge_2[:, 0] * inverse, -edge_1[:, 1] * inverse, edge_1[:, 0] * inverse],
        axis=1,
    )
    attributes = np.concatenate([vertices[:, :2], normals], axis=1)[faces]  # (F, 3, 5)
    attributes[flat] = attributes[flat].mean(axis=1, keepdims=True)
    gradients[flat] = 0.0
    differences = attributes[:, 1:] - attributes[:, :1]
    columns = [origin, gradients, attributes[:, 0], differences[:, 0], differences[:, 1]]
    return np.ascontiguousarray(np.concatenate(columns, axis=1).T, dtype=np.float32)


def _texel_surface(
    surface: np.ndarray, texel_faces: np.ndarray, texels: np.ndarray, texture_px: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface point's x and y and the unit normal's z under texels (flat indices).

    `surface` is `_face_table` transposed, so each gathered column is contiguous.
    Barycentrics are clamped into the triangle: edge texels that overhang it (see
    `rasterize_faces`) take the nearest point on it.
    """
    table = np.take(surface, texel_faces, axis=1)
    rows, cols = np.divmod(texels, texture_px)
    d_col = cols.astype(np.float32)
    d_col -= table[0]
    d_row = rows.astype(np.float32)
    d_row -= table[1]
    w1 = table[2] * d_col
    w1 += table[3] * d_row
    w2 = table[4] * d_col
    w2 += table[5] * d_row
    w0 = 1.0 - w1 - w2
    outside = np.flatnonzero((w0 < 0) | (w1 < 0) | (w2 < 0))
    if len(outside):
        c0, c1, c2 = (np.maximum(w[outside], 0.0) for w in (w0, w1, w2))
        total = c0 + c1 + c2  # at least 1: the unclamped weights sum to 1
        w1[outside], w2[outside] = c1 / total, c2 / total
    values = table[6:11] + w1 * table[11:16] + w2 * table[16:21]
    x, y, normal = values[0], values[1], values[2:5]
    length = np.sqrt(np.einsum("ij,ij->j", normal, normal))
    return x, y, normal[2] / np.maximum(length, 1e-12)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _blend_sides(
    x: np.ndarray,
    y: np.ndarray,
    normal_z: np.ndarray,
    front_images: tuple[np.ndarray, np.ndarray],
    back_image: np.ndarray | None,
) -> np.ndarray:
    """(3, N) colours mixing front and back by how much each surface point faces the viewer.

    `front_images` is the picture and its inset copy; edge-on surfaces use the inset.
    Images of one size are sampled together (one remap instead of three), and colours
    are channel-major so every step runs over contiguous rows.
    """
    images = list(front_images)
    together = back_image is not None and back_image.shape[:2] == images[0].shape[:2]
    if back_image is not None and together:
        images.append(back_image)
    sampled = np.ascontiguousarray(sample_view_image(np.concatenate(images, axis=2), x, y).T)
    picture, inset, *rest = np.split(sampled, np.cumsum([image.shape[2] for image in images])[:-1])
    # front = inset + facing * (picture - inset), computed in place
    front = np.subtract(picture, inset)
    front *= _smoothstep(np.abs(normal_z) / SIDE_NZ)
    front += inset
    if back_image is None:
        back = front * BACK_SHADE
    else:
        back = rest[0] if together else np.ascontiguousarray(sample_view_image(back_image, x, y).T)
    front -= back
    front *= _smoothstep((normal_z + BLEND_NZ) / (2 * BLEND_NZ))
    front += back
    return front


def rasterize_faces(uv: np.ndarray, faces: np.ndarray, texture_px: int) -> np.ndarray:
    """Return a (T, T) int32 image of the face covering each texel, -1 where none does.

    Edges are drawn too (8-connected), so slivers thinner than a texel still claim the
    texels they cross; barycentrics are clamped afterwards for those.
    """
    scale = 1 << _SUBPIXEL_BITS
    corners = np.rint(_uv_to_pixels(uv, texture_px)[faces] * scale).astype(np.int32)
    image = np.full((texture_px, texture_px), -1, dtype=np.int32)
    for index, triangle in enumerate(corners):
        cv2.fillConvexPoly(image, triangle, index, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return image


def sample_view_image(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinearly sample an (H, W, C) view-frame map at points (x, y) in [-1, 1]."""
    height, width = image.shape[:2]
    col = (x + 1) * width / 2 - 0.5
    row = (1 - y) * height / 2 - 0.5
    # cv2.remap is an order of magnitude faster than numpy gathers but wants 2D maps
    # with sides below 32767, so the points are laid out in rows of _REMAP_WIDTH.
    count = len(x)
    rows_needed = max(1, -(-count // _REMAP_WIDTH))
    padded = rows_needed * _REMAP_WIDTH
    map_x = np.zeros(padded, dtype=np.float32)
    map_y = np.zeros(padded, dtype=np.float32)
    map_x[:count], map_y[:count] = col, row
    sampled = cv2.remap(
        np.ascontiguousarray(image, dtype=np.float32),
        map_x.reshape(rows_needed, _REMAP_WIDTH),
        map_y.reshape(rows_needed, _REMAP_WIDTH),
        interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return sampled.reshape(padded, -1)[:count]


def fill_from_nearest(texture: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Give every uncovered texel the colour of its nearest covered texel.

    OpenCV's labelled distance transform (a 5x5 mask approximating Euclidean distance)
    is ~6x faster than an exact one at 1024 px; at worst it picks a covered texel up to
    one texel farther than the nearest, which in a gutter is as good.
    """
    if covered.all() or not covered.any():
        return texture
    _, labels = cv2.distanceTransformWithLabels(
        (~covered).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    filled = texture.copy()
    texels = filled.reshape(-1, *texture.shape[2:])
    holes = np.flatnonzero(~covered)
    # each covered texel is its own label, numbered from 1 in raster order
    texels[holes] = texels[np.flatnonzero(covered)[labels.ravel()[holes] - 1]]
    return filled


def _uv_to_pixels(uv: np.ndarray, texture_px: int) -> np.ndarray:
    """UV (v up) to pixel coordinates (x right, y down, texel centres at integers)."""
    return np.stack([uv[:, 0] * texture_px - 0.5, (1 - uv[:, 1]) * texture_px - 0.5], axis=1)


def _barycentric(triangles: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Barycentric weights of 2D points, clamped into the triangle (edge texels overhang)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    v0, v1, v2 = b - a, c - a, points - a
    det = v0[:, 0] * v1[:, 1] - v0[:, 1] * v1[:, 0]
    safe = np.where(np.abs(det) > 1e-12, det, 1.0)
    w1 = (v2[:, 0] * v1[:, 1] - v2[:, 1] * v1[:, 0]) / safe
    w2 = (v0[:, 0] * v2[:, 1] - v0[:, 1] * v2[:, 0]) / safe
    weights = np.stack([1 - w1 - w2, w1, w2], axis=1)
    weights[np.abs(det) <= 1e-12] = 1.0 / 3.0
    weights = np.clip(weights, 0.0, None)
    return weights / weights.sum(axis=1, keepdims=True)


def _resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return np.asarray(mask, dtype=bool)
    resized = cv2.resize(mask.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return resized >= 0.5

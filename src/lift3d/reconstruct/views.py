"""Pictures taken around one object: cameras, framing into view squares, and silhouette carving.

The world frame is the view frame (types.py) of the camera at azimuth 0 and elevation 0,
so the asset's +Z faces the viewer of that picture. A camera at azimuth a and elevation e
sees the object turned by `lift3d.camera.view_rotation(a, e)`, the convention of the
project's renderer: at azimuth 90 the camera looks at the object's -x side (the left of
the azimuth-0 picture), at elevation 90 it looks straight down. Cameras are orthographic;
a perspective photo taken from afar (weak perspective) is close enough.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import trimesh
from scipy import ndimage
from skimage import measure

from lift3d.camera import view_rotation
from lift3d.errors import InputError, OptionError
from lift3d.inputs.cutout import place_on_square
from lift3d.reconstruct.surface import outline_distance
from lift3d.types import OBJECT_FILL, Picture

FRAMINGS = ("shared", "each")
# A cameras file lists a few views; anything bigger is not one.
MAX_CAMERAS_JSON_BYTES = 1024 * 1024
# How every InputError about views that contradict each other begins.
NOT_ONE_OBJECT = "the views do not show one object"


@dataclass(frozen=True)
class Camera:
    """Where an orthographic camera looked at the object from (see the module docstring)."""

    azimuth_deg: float
    elevation_deg: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.azimuth_deg) and math.isfinite(self.elevation_deg)):
            raise OptionError(f"camera angles must be finite, got {self.azimuth_deg}, {self.elevation_deg}")
        if not -90.0 <= self.elevation_deg <= 90.0:
            raise OptionError(f"elevation must be between -90 and 90 degrees, got {self.elevation_deg}")

    @property
    def rotation(self) -> np.ndarray:
        """World -> this camera's view frame."""
        return view_rotation(self.azimuth_deg, self.elevation_deg)


@dataclass(frozen=True)
class ViewPicture:
    """One picture resampled onto its camera's view square, so every view shares world units.

    Pixel (i, j) of the S x S images sits at view-frame (x, y) as types.py defines it, and
    a world point p lands at `(rotation @ p)[:2]`.
    """

    rgb: np.ndarray  # (S, S, 3) float32 in [0, 1]
    mask: np.ndarray  # (S, S) bool
    rotation: np.ndarray  # (3, 3) world -> this view's frame
    source: str

    @property
    def direction(self) -> np.ndarray:
        """Unit world vector from the object toward the camera."""
        return np.asarray(self.rotation[2], dtype=np.float64)


@dataclass(frozen=True)
class CarveOptions:
    """How pictures around an object are framed and carved into a visual hull."""

    framing: str = "shared"  # shared: one fixed camera (turntable, renders); each: pictures cropped apart
    grid_px: int = 128  # voxels across the world cube [-1, 1]^3
    view_px: int = 384  # side of each view square (texture source and carving silhouette)
    smooth_iterations: int = 4  # Taubin steps that soften voxel steps (few: hulls have real edges)
    size_tolerance: float = 0.08  # relative mismatch allowed between extents all views share
    min_agreement: float = 0.8  # share of each silhouette the carved hull must still cover

    def __post_init__(self) -> None:
        if self.framing not in FRAMINGS:
            raise OptionError(f"framing must be one of {', '.join(FRAMINGS)}, got {self.framing!r}")
        if not 32 <= self.grid_px <= 384:
            raise OptionError(f"grid_px must be between 32 and 384, got {self.grid_px}")
        if not 64 <= self.view_px <= 4096:
            raise OptionError(f"view_px must be between 64 and 4096, got {self.view_px}")
        if self.smooth_iterations < 0:
            raise OptionError(f"smooth_iterations must be >= 0, got {self.smooth_iterations}")
        if not 0 < self.size_tolerance < 1:
            raise OptionError(f"size_tolerance must be between 0 and 1, got {self.size_tolerance}")
        if not 0 < self.min_agreement <= 1:
            raise OptionError(f"min_agreement must be in (0, 1], got {self.min_agreement}")


def apply_rows(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """`points @ matrix.T` for (N, 3) points and a (K, 3) matrix, without BLAS.

    A product with an inner size of 3 is memory-bound; OpenBLAS still starts its
    threads for it and, on a busy machine, runs 20x slower than plain broadcasting.
    """
    matrix = np.asarray(matrix)
    return points[:, 0:1] * matrix[:, 0] + points[:, 1:2] * matrix[:, 1] + points[:, 2:3] * matrix[:, 2]


def evenly_spaced_cameras(count: int) -> list[Camera]:
    """`count` cameras around the object at elevation 0, the first one in front."""
    return [Camera(360.0 * index / count) for index in range(count)]


def parse_azimuths(text: str) -> list[Camera]:
    """Cameras from a comma-separated list of azimuths in degrees, e.g. '0,45,90'."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise OptionError(f"azimuths must be numbers separated by commas, got {text!r}") from None
    if not values:
        raise OptionError("azimuths are empty")
    return [Camera(value) for value in values]


def read_cameras_json(path: str | os.PathLike, sources: Sequence[str] = ()) -> list[Camera]:
    """Read cameras from JSON: a list of {"azimuth_deg": a, "elevation_deg": e} in picture order.

    An entry may name its picture ("picture": "front.png"); the list is then matched to
    `sources` by file name, so the JSON's order does not matter.
    """
    file = Path(path)
    try:
        # A FIFO would block the open, /dev/zero would be read for ever; a cameras file is a few KB.
        if not stat.S_ISREG(file.stat().st_mode):
            raise InputError(f"cannot read cameras {file}: not a regular file")
        with file.open("rb") as stream:
            text = stream.read(MAX_CAMERAS_JSON_BYTES + 1)
        if len(text) > MAX_CAMERAS_JSON_BYTES:
            raise InputError(f"cannot read cameras {file}: larger than {MAX_CAMERAS_JSON_BYTES // 1024} KB")
        data = json.loads(text)
    except OSError as error:
        raise InputError(f"cannot read cameras {file}: {error.strerror or error}") from None
    except RecursionError:
        raise InputError(f"cannot read cameras {file}: the JSON is nested too deeply") from None
    except ValueError as error:
        raise InputError(f"cannot read cameras {file}: not JSON ({error})") from None
    entries = data.get("views", data.get("cameras")) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InputError(f"cameras {file}: expected a list of objects with azimuth_deg and elevation_deg")
    cameras = []
    for index, entry in enumerate(entries):
        azimuth = entry.get("azimuth_deg", entry.get("azimuth"))
        elevation = entry.get("elevation_deg", entry.get("elevation", 0.0))
        if not all(
            isinstance(value, int | float) and not isinstance(value, bool) for value in (azimuth, elevation)
        ):
            raise InputError(f"cameras {file}: entry {index} needs numeric azimuth_deg (and elevation_deg)")
        cameras.append(Camera(float(azimuth), float(elevation)))
    names = [entry.get("picture") for entry in entries]
    if sources and all(isinstance(name, str) for name in names):
        by_name = {Path(name).name: camera for name, camera in zip(names, cameras, strict=True)}
        missing = [source for source in sources if Path(source).name not in by_name]
        if missing:
            raise InputError(f"cameras {file} name no camera for {', '.join(missing)}")
        cameras = [by_name[Path(source).name] for source in sources]
    return cameras


def warp_to_view_square(
    image: np.ndarray,
    centre_px: tuple[float, float],
    units_per_px: tuple[float, float],
    size_px: int,
    border: float,
) -> np.ndarray:
    """Resample a picture so picture point `centre_px` (pixel-edge coordinates) lands at view (0, 0).

    A picture point (col, row) goes to view x = (col - cx) * ux, y = (cy - row) * uy; the
    view square spans [-1, 1], so a view unit is size_px / 2 output pixels.
    """
    scale = (units_per_px[0] * size_px / 2, units_per_px[1] * size_px / 2)
    return place_on_square(image, centre_px, scale, size_px, border)


def make_view_picture(
    picture: Picture,
    mask: np.ndarray,
    rotation: np.ndarray,
    centre_px: tuple[float, float],
    units_per_px: tuple[float, float],
    size_px: int,
) -> ViewPicture:
    """Place one picture and its object mask on its camera's view square."""
    rgb = warp_to_view_square(picture.rgb, centre_px, units_per_px, size_px, border=1.0)
    placed = warp_to_view_square(mask.astype(np.float32), centre_px, units_per_px, size_px, border=0.0)
    return ViewPicture(
        rgb=np.clip(rgb, 0.0, 1.0),
        mask=placed >= 0.5,
        rotation=np.asarray(rotation, dtype=np.float64),
        source=picture.source,
    )


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the mask in pixel-edge coordinates; the mask must not be empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def frame_views(
    pictures: Sequence[Picture], masks: Sequence[np.ndarray], cameras: Sequence[Camera], options: CarveOptions
) -> list[ViewPicture]:
    """Bring every picture into world units on its camera's view square.

    `shared` framing trusts the pixels: one fixed camera took every picture, so the pixel
    scale is common and the point the cameras look at is the mean of the objects' box
    centres (exact for a turntable with evenly spaced stops). `each` framing is for
    pictures cropped apart: at elevation 0 an object's height is the same from every
    side, so every picture is scaled to a common height and centred on its object.
    Sizes that must agree and disagree raise InputError.
    """
    if len(pictures) != len(cameras):
        raise OptionError(f"{len(pictures)} pictures but {len(cameras)} cameras")
    boxes = np.array([mask_box(mask) for mask in masks], dtype=np.float64)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    level = np.array([abs(camera.elevation_deg) < 1e-6 for camera in cameras])
    centres = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])
    if options.framing == "shared":
        shapes = {picture.rgb.shape[:2] for picture in pictures}
        if len(shapes) > 1:
            raise InputError(
                "shared framing needs pictures of one size (one fixed camera); use framing 'each'"
            )
        _check_agree(heights[level], "object heights", pictures, level, options.size_tolerance)
        centre = centres.mean(axis=0)
        reach = max(
            float(np.max(np.abs(boxes[:, [0, 2]] - centre[0]))),
            float(np.max(np.abs(boxes[:, [1, 3]] - centre[1]))),
        )
        units = np.full(len(pictures), OBJECT_FILL / reach)
        view_centres = np.tile(centre, (len(pictures), 1))
    else:
        if not level.all():
            raise OptionError("framing 'each' needs every camera at elevation 0 (heights then agree)")
        world_height = 2 * OBJECT_FILL * float(min(1.0, np.min(heights / widths)))
        units = world_height / heights
        view_centres = centres
    # Widths in the first picture's pixels, so messages speak of pixels a user can check.
    _check_opposite_widths(widths * units / units[0], cameras, pictures, options.size_tolerance)
    return [
        make_view_picture(picture, mask, camera.rotation, (float(c[0]), float(c[1])), (u, u), options.view_px)
        for picture, mask, camera, c, u in zip(pictures, masks, cameras, view_centres, units, strict=True)
    ]


def _check_agree(
    values: np.ndarray, what: str, pictures: Sequence[Picture], selected: np.ndarray, tolerance: float
) -> None:
    if len(values) < 2:
        return
    low, high = float(values.min()), float(values.max())
    if high - low > tolerance * high:
        names = [picture.source for picture, chosen in zip(pictures, selected, strict=True) if chosen]
        small, big = names[int(values.argmin())], names[int(values.argmax())]
        raise InputError(
            f"{NOT_ONE_OBJECT}: {what} differ by {(high - low) / high:.0%} "
            f"({small}: {low:.0f} px, {big}: {high:.0f} px)"
        )


def _check_opposite_widths(
    widths: np.ndarray, cameras: Sequence[Camera], pictures: Sequence[Picture], tolerance: float
) -> None:
    """A level object seen from opposite sides shows mirror-image silhouettes of equal width."""
    for first, camera in enumerate(cameras):
        for second in range(first + 1, len(cameras)):
            other = cameras[second]
            turn = (other.azimuth_deg - camera.azimuth_deg) % 360.0
            level = abs(camera.elevation_deg) < 1e-6 and abs(other.elevation_deg) < 1e-6
            if level and abs(turn - 180.0) < 1e-6:
                pair = np.array([widths[first], widths[second]])
                chosen = np.zeros(len(pictures), dtype=bool)
                chosen[[first, second]] = True
                _check_agree(pair, "widths seen from opposite sides", pictures, chosen, tolerance)


def carve_views(views: Sequence[ViewPicture], options: CarveOptions) -> trimesh.Trimesh:
    """The visual hull of the silhouettes as a closed, outward mesh in the world frame.

    Each view contributes its silhouette's signed distance (positive inside), read where
    a voxel centre projects; the minimum over views is positive exactly inside the
    intersection of the silhouette prisms, and, being a distance rather than a 0/1
    occupancy, it puts marching cubes' vertices on the prisms' walls to sub-voxel
    accuracy. Raises InputError when the hull cannot explain every silhouette.
    """
    grid = options.grid_px
    field = silhouette_field(views, grid)
    inside = field > 0
    check_agreement(inside, views, options.min_agreement)
    voxel = 2.0 / grid
    padded = np.pad(field, 1, constant_values=-1.0)
    # Voxel centres often project exactly between an inside and an outside pixel, where
    # the distance is exactly 0; a level just above it keeps marching cubes manifold.
    level = 1e-4 * voxel
    vertices, faces, _, _ = measure.marching_cubes(padded, level=level, spacing=(voxel, voxel, voxel))
    vertices = vertices - 1.0 - 0.5 * voxel  # padded index 1 is the centre of voxel 0, at -1 + voxel / 2
    # Floating bits are left to the asset stage's cleaning, which drops them anyway.
    mesh = trimesh.Trimesh(vertices, faces, process=True)
    if options.smooth_iterations:
        trimesh.smoothing.filter_taubin(mesh, iterations=options.smooth_iterations)
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def silhouette_field(views: Sequence[ViewPicture], grid_px: int) -> np.ndarray:
    """(G, G, G) float32 indexed [x, y, z]: the least signed silhouette distance over views."""
    centres = ((2 * np.arange(grid_px) + 1) / grid_px - 1).astype(np.float32)
    x, y = np.meshgrid(centres, centres, indexing="ij")  # one z-slice, indexed [x, y]
    field = np.full((grid_px, grid_px, grid_px), np.inf, dtype=np.float32)
    for view in views:
        distance = outline_distance(view.mask)
        size = view.mask.shape[0]
        rotation = view.rotation.astype(np.float32)
        for k, z in enumerate(centres):
            u = rotation[0, 0] * x + rotation[0, 1] * y + rotation[0, 2] * z
            v = rotation[1, 0] * x + rotation[1, 1] * y + rotation[1, 2] * z
            cols = (u + 1) * size / 2 - 0.5
            rows = (1 - v) * size / 2 - 0.5
            sampled = cv2.remap(distance, cols, rows, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            np.minimum(field[:, :, k], sampled, out=field[:, :, k])
    return field


def check_agreement(inside: np.ndarray, views: Sequence[ViewPicture], min_agreement: float) -> None:
    """Raise InputError unless the hull's shadow covers enough of every silhouette.

    Silhouettes of one object carve a hull whose shadow in each view is that view's
    silhouette again; pictures of different objects carve away parts each other shows.
    """
    grid = inside.shape[0]
    if not inside.any():
        raise InputError(f"{NOT_ONE_OBJECT}: carving the silhouettes leaves nothing")
    # A solid's shadow is its boundary's shadow, and the boundary holds far fewer voxels.
    index = np.argwhere(inside & ~ndimage.binary_erosion(inside))
    points = (2 * index + 1) / grid - 1.0
    worst, worst_view = 1.0, views[0]
    for view in views:
        projected = apply_rows(points, view.rotation[:2])
        cells = np.clip(((projected * [1, -1] + 1) * grid / 2).astype(np.int64), 0, grid - 1)
        splats = np.zeros((grid, grid), dtype=np.uint8)
        splats[cells[:, 1], cells[:, 0]] = 1
        shadow = cv2.dilate(splats, np.ones((3, 3), np.uint8)) > 0
        silhouette = (
            cv2.resize(view.mask.astype(np.float32), (grid, grid), interpolation=cv2.INTER_AREA) >= 0.5
        )
        if not silhouette.any():
            continue
        covered = float((shadow & silhouette).sum()) / float(silhouette.sum())
        if covered < worst:
            worst, worst_view = covered, view
    if worst < min_agreement:
        raise InputError(
            f"{NOT_ONE_OBJECT}: the shape carved from all views covers only {worst:.0%} "
            f"of the silhouette in {worst_view.source}"
        )

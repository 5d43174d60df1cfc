"""Pictures taken around one object -> a textured asset by silhouette carving."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import lift3d
from lift3d.api import ConvertOptions
from lift3d.asset.multiview import build_multiview_asset
from lift3d.asset.options import AssetOptions
from lift3d.errors import InputError, OptionError
from lift3d.inputs import find_object, read_picture
from lift3d.inputs.read import WORKING_SIDE_PX
from lift3d.pipelines.ortho import PictureSource
from lift3d.provenance import Provenance, Resolved
from lift3d.reconstruct.views import (
    Camera,
    CarveOptions,
    carve_views,
    evenly_spaced_cameras,
    frame_views,
    read_cameras_json,
)
from lift3d.types import Asset, Picture

CameraSource = str | os.PathLike | Sequence[float] | Sequence[Camera] | None


@dataclass(frozen=True)
class ViewsOptions:
    """Converting pictures taken around one object."""

    carve: CarveOptions = field(default_factory=CarveOptions)
    asset: AssetOptions = field(default_factory=AssetOptions)
    blend_power: float = 4.0  # how strongly the best-facing view wins over others (facing cosine exponent)
    # azimuths in degrees, Camera objects or a cameras JSON path; None spaces them evenly
    cameras: CameraSource = None
    max_views: int = 72  # a picture every 5 degrees; more is a mistake or an attack
    # Decoded pixels all views may hold together (about 16 bytes each: 384 MB); pictures are
    # shrunk to share it, so 64 phone photos do not decode to 4 GB.
    budget_px: int = 24_000_000

    def __post_init__(self) -> None:
        if not 0 <= self.blend_power <= 64:
            raise OptionError(f"blend_power must be between 0 and 64, got {self.blend_power}")
        if not 2 <= self.max_views <= 1024:
            raise OptionError(f"max_views must be between 2 and 1024, got {self.max_views}")
        if not 1_000_000 <= self.budget_px <= 1_000_000_000:
            raise OptionError(f"budget_px must be between 1e6 and 1e9, got {self.budget_px}")


def resolve_cameras(cameras: CameraSource, sources: Sequence[str]) -> list[Camera]:
    """Cameras from azimuths in degrees, Camera objects, a cameras JSON path, or None (evenly spaced)."""
    if cameras is None:
        return evenly_spaced_cameras(len(sources))
    if isinstance(cameras, str | os.PathLike):
        return read_cameras_json(cameras, sources)
    return [camera if isinstance(camera, Camera) else Camera(float(camera)) for camera in cameras]


def convert_views(
    pictures: Sequence[PictureSource], cameras: CameraSource = None, options: ViewsOptions | None = None
) -> Asset:
    """A textured asset from pictures of one object around it, by silhouette carving.

    Raises InputError "the views do not show one object" when the silhouettes contradict
    each other (sizes that must match differ, or carving leaves too little).
    """
    options = options or ViewsOptions()
    if isinstance(pictures, str | os.PathLike | Picture) or len(pictures) < 2:
        raise InputError("views needs at least 2 pictures of the object from different sides")
    started = time.perf_counter()
    read = read_views(pictures, options)
    sources = [picture.source for picture in read]
    resolved = resolve_cameras(cameras, sources)
    if len(resolved) != len(read):
        raise OptionError(f"{len(read)} pictures but {len(resolved)} cameras")
    masks = [find_object(picture) for picture in read]
    view_pictures = frame_views(read, masks, resolved, options.carve)
    mesh = carve_views(view_pictures, options.carve)
    carved = time.perf_counter() - started
    asset = build_multiview_asset(mesh, view_pictures, options.asset, options.blend_power)
    asset.provenance = Provenance(
        source=sources,
        input_kind="views",
        options=asdict(options),
        model={"generator": "silhouette-carving", "lift3d": lift3d.__version__},
        resolved=Resolved(generator="silhouette-carving"),
        extra={"cameras": [asdict(camera) for camera in resolved], "timings_s": {"carve": round(carved, 4)}},
    ).merge_into(asset.provenance)
    return asset


def read_views(pictures: Sequence[PictureSource], options: ViewsOptions) -> list[Picture]:
    """The pictures, counted before any is decoded, each shrunk so all share `options.budget_px`."""
    if len(pictures) > options.max_views:
        raise InputError(f"{len(pictures)} views, more than the {options.max_views} allowed")
    side_px = max(256, min(WORKING_SIDE_PX, math.isqrt(options.budget_px // len(pictures))))
    return [
        item if isinstance(item, Picture) else read_picture(item, max_side_px=side_px) for item in pictures
    ]


def run(sources: Sequence[PictureSource], options: ConvertOptions, views: ViewsOptions) -> Asset:
    """The table's entry: the pictures, with the cameras the views options name."""
    return convert_views(sources, views.cameras, replace(views, asset=options.asset_options()))

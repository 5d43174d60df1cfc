"""Orthographic drawings (one sheet, or front, side and top pictures) -> a textured solid by visual hull."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import lift3d
from lift3d.api import ConvertOptions
from lift3d.asset.multiview import ORTHO_BLEND_POWER, build_multiview_asset
from lift3d.asset.options import AssetOptions
from lift3d.errors import OptionError
from lift3d.inputs.sheets import PROJECTIONS, read_ortho_views
from lift3d.provenance import Provenance, Resolved
from lift3d.reconstruct.hull import HullOptions, ortho_hull
from lift3d.types import Asset, Picture


@dataclass(frozen=True)
class OrthoOptions:
    """Converting an orthographic drawing: one sheet, or front, side and top pictures."""

    projection: str = "auto"  # auto | third-angle | first-angle (see lift3d.inputs.sheets)
    hull: HullOptions = field(default_factory=HullOptions)
    asset: AssetOptions = field(default_factory=AssetOptions)

    def __post_init__(self) -> None:
        if self.projection not in PROJECTIONS:
            raise OptionError(f"projection must be one of {', '.join(PROJECTIONS)}, got {self.projection!r}")


PictureSource = str | os.PathLike | Picture


def convert_ortho(
    source: PictureSource | Sequence[PictureSource], options: OrthoOptions | None = None
) -> Asset:
    """A textured solid from an orthographic sheet, or from three pictures in the order front, side, top."""
    options = options or OrthoOptions()
    started = time.perf_counter()
    views = read_ortho_views(source, options.projection)
    mesh, view_pictures = ortho_hull(views, options.hull)
    carved = time.perf_counter() - started
    asset = build_multiview_asset(mesh, view_pictures, options.asset, ORTHO_BLEND_POWER)
    asset.provenance = Provenance(
        source=[view.source for view in view_pictures],
        input_kind="ortho",
        options=asdict(options),
        model={"generator": "visual-hull", "lift3d": lift3d.__version__},
        resolved=Resolved(generator="visual-hull"),
        extra={
            "projection": views.projection,
            "side_seen_from": views.side_from,
            "timings_s": {"hull": round(carved, 4)},
        },
    ).merge_into(asset.provenance)
    return asset


def run(sources: Sequence[PictureSource], options: ConvertOptions, ortho: OrthoOptions) -> Asset:
    """The table's entry: one sheet, or front, side and top pictures."""
    source = sources[0] if len(sources) == 1 else list(sources)
    return convert_ortho(source, replace(ortho, asset=options.asset_options()))

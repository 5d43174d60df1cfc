"""Floor plans: a plan drawing file -> a walkable glTF scene, or an offline walkthrough page, with its summary."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lift3d.api import ConvertOptions
from lift3d.errors import InputError, OptionError, OutputError
from lift3d.export import ExportOptions
from lift3d.export.gltf import plan_glb
from lift3d.export.walkthrough import walk_layout, walkthrough_html
from lift3d.files import atomic_path, refuse_to_replace, write_bytes_atomic
from lift3d.inputs.read import read_picture
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan
from lift3d.reconstruct.plan_elevation import read_elevation
from lift3d.types import Picture

# .glb: the scene for any viewer or editor; .html: one page with a first-person walkthrough of it.
OUTPUT_SUFFIXES = (".glb", ".html")


def convert_plan_file(path: str | os.PathLike, options: PlanOptions | None = None) -> PlanResult:
    """Like `convert_plan`, for a file; a scale is per pixel of the file even if it is shrunk to read."""
    options = options or PlanOptions()
    picture = read_picture(path)
    file_px_per_picture_px = _file_long_side(path, picture) / max(picture.rgb.shape[:2])
    picture_options = options
    if options.scale_m_per_px is not None:
        picture_options = replace(options, scale_m_per_px=options.scale_m_per_px * file_px_per_picture_px)
    result = convert_plan(picture, picture_options)
    return replace(result, options=options, file_px_per_picture_px=file_px_per_picture_px)


def _file_long_side(path: str | os.PathLike, picture: Picture) -> int:
    """The longer side of the picture as stored (read_picture shrinks very big pictures)."""
    from PIL import Image

    with warnings.catch_warnings():
        # read_picture has already checked the size against its own, lower limit.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                return max(image.size)
        except (OSError, ValueError, Image.DecompressionBombError):
            return max(picture.rgb.shape[:2])


def save_plan(
    result: PlanResult, path: str | os.PathLike, export: ExportOptions | None = None, pivot: str = "base"
) -> list[Path]:
    """Write the scene (.glb) or its walkthrough page (.html), and the summary as NAME.lift3d.json, atomically.

    `pivot="center"` moves the plan's node so the middle of its box is at the origin; the
    summary stays in the plan's own frame (floor at y = 0). The summary's `walkthrough`
    holds what the studio's walkthrough needs beside the GLB (collision outline, start).
    """
    export = export or ExportOptions()
    target = Path(path)
    refuse_to_replace(outputs(target, export, pivot), [result.layout.source])
    layout = walk_layout(result)
    glb = plan_glb(result.model.scene, export, target.stem, pivot)
    page = walkthrough_html(glb, layout, target.stem) if target.suffix.lower() == ".html" else None
    with atomic_path(target) as tmp:
        tmp.write_bytes(page.encode("utf-8") if page is not None else glb)
    summary_path = target.with_suffix(".lift3d.json")
    summary = {**result.summary(), "walkthrough": layout}
    write_bytes_atomic(summary_path, json.dumps(summary, indent=2).encode())
    return [target, summary_path]


def run(sources: Sequence[str | os.PathLike], options: ConvertOptions, plan: PlanOptions) -> PlanResult:
    """The table's entry: one plan drawing, and optionally an elevation of its facade for the heights."""
    if len(sources) not in (1, 2):
        raise OptionError("--kind plan takes a plan picture and, optionally, an elevation picture")
    if len(sources) == 2 and plan.wall_height_m != PlanOptions.wall_height_m:
        raise OptionError("give --wall-height or an elevation drawing, not both")
    result = convert_plan_file(sources[0], plan)
    if len(sources) == 1:
        return result
    return convert_plan_file(sources[0], heights_from_elevation(result, sources[1], plan))


def heights_from_elevation(result: PlanResult, path: str | os.PathLike, options: PlanOptions) -> PlanOptions:
    """The options with the wall, door and window heights an elevation drawing shows (its width is the plan's)."""
    heights = read_elevation(read_picture(path), result.summary()["size_m"][0])
    door_m, sill_m, top_m = options.door_height_m, options.window_sill_m, options.window_top_m
    if heights.door_m is not None:
        door_m = min(heights.door_m, heights.wall_m)
    if heights.window_sill_m is not None and heights.window_top_m is not None:
        sill_m, top_m = heights.window_sill_m, min(heights.window_top_m, heights.wall_m)
    try:
        return replace(
            options,
            wall_height_m=heights.wall_m,
            door_height_m=door_m,
            window_sill_m=sill_m,
            window_top_m=top_m,
        )
    except OptionError as error:
        raise InputError(f"the elevation {path} gives heights that do not fit: {error}") from None


def outputs(path: str | os.PathLike, export: ExportOptions, pivot: str = "base") -> list[Path]:
    """The files `save_plan` writes; refuses, before any work, what it could not write."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise OutputError(
            f"floor plans are written as .glb scenes or .html walkthroughs; cannot write {target}"
        )
    if suffix == ".html" and (pivot != "base" or export.up_for(".glb") != "y"):
        raise OptionError("a walkthrough page is Y-up with the floor at y = 0: leave out --pivot and --up")
    return [target, target.with_suffix(".lift3d.json")]

"""The table from kind of input to the pipeline that converts it; `lift3d.api.convert` looks kinds up here.

Pipelines orchestrate stages (inputs -> generate -> reconstruct -> asset -> export), so
they sit above them beside the API: no stage folder imports a pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from lift3d.api import ConvertOptions, save, saved_files
from lift3d.errors import OptionError
from lift3d.export import ExportOptions
from lift3d.pipelines import frames, ortho, picture, plan, views
from lift3d.types import Picture


@dataclass(frozen=True)
class Pipeline:
    """How one kind of input becomes an asset and files."""

    kind: str
    options_type: type  # the kind's own options (projection, cameras, frame rate, scale ...)
    uses: frozenset[str]  # the ConvertOptions fields that mean something for this kind
    run: Callable[..., Any]  # run(sources, ConvertOptions, kind options) -> result
    save: Callable[[Any, Path, ExportOptions, ConvertOptions], list[Path]]
    outputs: Callable[[Path, ExportOptions, ConvertOptions], list[Path]]  # files `save` may write


def _save_asset(asset: Any, path: Path, export: ExportOptions, options: ConvertOptions) -> list[Path]:
    return save(asset, path, export=export)


def _asset_outputs(path: Path, export: ExportOptions, options: ConvertOptions) -> list[Path]:
    return saved_files(path, export)


ALL_FIELDS = frozenset(field.name for field in fields(ConvertOptions))
# Carving and hulls imagine nothing: the generator's options mean nothing to them.
ASSET_FIELDS = frozenset({"max_faces", "texture_px", "height_m", "pivot"})

PIPELINES: dict[str, Pipeline] = {
    "picture": Pipeline(
        "picture",
        picture.PictureOptions,
        ALL_FIELDS,
        picture.run,
        picture.save_assets,
        picture.outputs,
    ),
    "ortho": Pipeline("ortho", ortho.OrthoOptions, ASSET_FIELDS, ortho.run, _save_asset, _asset_outputs),
    "views": Pipeline("views", views.ViewsOptions, ASSET_FIELDS, views.run, _save_asset, _asset_outputs),
    "frames": Pipeline(
        "frames",
        frames.FramesOptions,
        ALL_FIELDS - {"variants", "animations", "mask"},  # rig: one character posed per frame
        frames.run,
        lambda result, path, export, options: frames.save_frames(result, path, export=export),
        lambda path, export, options: frames.outputs(path, export),
    ),
    "plan": Pipeline(
        "plan",
        plan.PlanOptions,
        frozenset({"pivot"}),
        plan.run,
        lambda result, path, export, options: plan.save_plan(result, path, export, pivot=options.pivot),
        lambda path, export, options: plan.outputs(path, export, options.pivot),
    ),
}


def pipeline_for(kind: str) -> Pipeline:
    """The pipeline of a kind; OptionError naming the kinds there are."""
    if kind not in PIPELINES:
        raise OptionError(f"unknown kind {kind!r}; choose one of {', '.join(PIPELINES)}")
    return PIPELINES[kind]


def refuse_unused(kind: str, options: ConvertOptions, names: dict[str, str] | None = None) -> None:
    """Refuse, in one line, an option set away from its default that means nothing for this kind.

    `names` maps option fields to what the caller calls them (the CLI's flags).
    """
    uses = pipeline_for(kind).uses
    defaults = ConvertOptions()
    for field in fields(ConvertOptions):
        if field.name in uses or getattr(options, field.name) == getattr(defaults, field.name):
            continue
        name = (names or {}).get(field.name, field.name)
        raise OptionError(f"{name} means nothing for kind {kind}; leave it out")


def check_sources(sources: object) -> list[str | os.PathLike | Picture]:
    """The sources as a list: one path or picture is a list of one."""
    if isinstance(sources, str | os.PathLike | Picture):
        return [sources]
    return list(sources)  # type: ignore[call-overload]

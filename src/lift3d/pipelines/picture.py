"""One picture -> one asset per variant (optionally rigged), through the API's loaded converter."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lift3d.api import ConvertOptions, StageTimer, load_converter, save, saved_files, variant_paths
from lift3d.errors import OptionError
from lift3d.export import ExportOptions
from lift3d.types import Asset, Picture


@dataclass(frozen=True)
class PictureOptions:
    """Nothing beyond ConvertOptions: a single picture uses every shared option."""


def run(
    sources: Sequence[str | os.PathLike | Picture],
    options: ConvertOptions,
    picture: PictureOptions,
    timer: StageTimer | None = None,
) -> list[Asset]:
    """The table's entry: one asset per variant of one picture."""
    if len(sources) != 1:
        raise OptionError(f"one picture at a time ({len(sources)} given); use --kind views or lift3d batch")
    resolved = options.resolved()
    return load_converter(resolved.generator).convert(sources[0], resolved, timer)


def save_assets(
    assets: list[Asset], path: str | os.PathLike, export: ExportOptions, options: ConvertOptions
) -> list[Path]:
    """name.glb for one result, name_0.glb ... for variants, each with its provenance."""
    written: list[Path] = []
    for asset, target in zip(assets, variant_paths(path, len(assets)), strict=True):
        written += save(asset, target, export=export)
    return written


def outputs(path: str | os.PathLike, export: ExportOptions, options: ConvertOptions) -> list[Path]:
    """Every file `save_assets` writes for these options."""
    return [file for target in variant_paths(path, options.variants) for file in saved_files(target, export)]

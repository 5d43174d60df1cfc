"""Choose an exporter by file extension: the registry and `save_asset`."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from lift3d.asset.quads import check_quads_format
from lift3d.errors import OutputError
from lift3d.export.gltf import export_glb
from lift3d.export.obj import export_obj, obj_sidecars
from lift3d.export.options import ExportOptions
from lift3d.export.ply import export_ply
from lift3d.export.stl import export_stl
from lift3d.export.usdz import export_usdz  # imports pxr only when called
from lift3d.types import Asset

Exporter = Callable[[Asset, Path, ExportOptions], list[Path]]

# Extension (lower case, with the dot) -> exporter returning the files it wrote.
EXPORTERS: Mapping[str, Exporter] = MappingProxyType(
    {
        ".glb": export_glb,
        ".obj": export_obj,
        ".ply": export_ply,
        ".stl": export_stl,
        ".usdz": export_usdz,
    }
)
DEFAULT_SUFFIX = ".glb"
# Formats whose exporter needs an optional package: extension -> (module, extra to install).
OPTIONAL_PACKAGES: Mapping[str, tuple[str, str]] = MappingProxyType({".usdz": ("pxr", "lift3d[usd]")})


def save_asset(asset: Asset, path: str | os.PathLike, options: ExportOptions | None = None) -> list[Path]:
    """Write `asset` in the format named by the extension of `path`; return the files written.

    A path without an extension gets `.glb`. Every file is written atomically, so on
    any error no file (or partial set of files) is left under the requested names.
    Each format gets its ecosystem's up axis unless `options` asks for one.
    """
    options = options or ExportOptions()
    target = Path(path)
    if target.is_dir():  # before the default extension: `-o some_folder` must not write some_folder.glb
        raise OutputError(
            f"cannot write {target}: it is a folder; give a file name such as {target / ('NAME' + DEFAULT_SUFFIX)}"
        )
    if not target.suffix:
        target = target.with_suffix(DEFAULT_SUFFIX)
    exporter = EXPORTERS.get(target.suffix.lower())
    if asset.quads is not None:
        check_quads_format(target)
    if exporter is None:
        supported = ", ".join(EXPORTERS)
        raise OutputError(
            f"cannot write {target.name}: unknown format '{target.suffix}'; supported: {supported}"
        )
    return exporter(asset, target, options)


def output_files(path: str | os.PathLike, options: ExportOptions | None = None) -> list[Path]:
    """Every file `save_asset(asset, path, options)` writes, sidecars included: checked before any work."""
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(DEFAULT_SUFFIX)
    if target.suffix.lower() == ".obj":
        return [target, *obj_sidecars(target, (options or ExportOptions()).texture_format)]
    return [target]


def check_output_path(path: str | os.PathLike, suffixes: Sequence[str] = tuple(EXPORTERS)) -> Path:
    """Refuse an output path before any work is done: unknown format, missing or read-only folder.

    Returns the path with the default extension applied, as `save_asset` would write it.
    """
    target = Path(path)
    try:
        return _check_output_path(target, suffixes)
    except OSError as error:  # a name longer than the filesystem allows, a folder we may not enter
        shown = str(target) if len(str(target)) <= 80 else f"{str(target)[:60]}...{target.suffix}"
        raise OutputError(f"cannot write {shown}: {error.strerror or error}") from None


def _check_output_path(target: Path, suffixes: Sequence[str]) -> Path:
    if target.is_dir():  # before the default extension: `-o some_folder` must not write some_folder.glb
        raise OutputError(
            f"cannot write {target}: it is a folder; give a file name such as {target / ('NAME' + DEFAULT_SUFFIX)}"
        )
    if not target.suffix:
        target = target.with_suffix(DEFAULT_SUFFIX)
    if target.suffix.lower() not in suffixes:
        raise OutputError(
            f"cannot write {target.name}: unknown format '{target.suffix}'; supported: {', '.join(suffixes)}"
        )
    needed = OPTIONAL_PACKAGES.get(target.suffix.lower())
    if needed and importlib.util.find_spec(needed[0]) is None:
        raise OutputError(f"cannot write {target.name}: {target.suffix} needs pip install '{needed[1]}'")
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {target}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write {target}: folder {folder} is not writable")
    return target

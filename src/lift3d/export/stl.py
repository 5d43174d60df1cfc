"""Binary STL: closed geometry only, for printing and CAD."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import trimesh

from lift3d.export.geometry import weld_by_position
from lift3d.export.options import ExportOptions, z_up
from lift3d.files import write_bytes_atomic
from lift3d.types import Asset


def export_stl(asset: Asset, path: Path, options: ExportOptions) -> list[Path]:
    """Write the welded (closed) surface of `asset` as binary STL, in metres."""
    vertices, faces, _ = weld_by_position(asset.mesh)
    if options.up_for(".stl") == "z":
        vertices = z_up(vertices)
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    write_bytes_atomic(path, cast(bytes, mesh.export(file_type="stl")))
    return [path]

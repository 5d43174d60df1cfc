"""Binary glTF (.glb) with the baked base-colour texture embedded."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from lift3d.files import write_bytes_atomic
from lift3d.types import Asset


def export_glb(asset: Asset, path: Path) -> list[Path]:
    """Write `asset` as one self-contained .glb (mesh, normals, UVs, PBR material, PNG)."""
    data = cast(bytes, asset.mesh.export(file_type="glb"))
    write_bytes_atomic(path, data)
    return [path]

"""The preview sheet is a real picture: one row per asset, one column per view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from lift3d.asset import AssetOptions, build_asset, render_preview
from lift3d.errors import OptionError
from lift3d.types import Cutout


def test_preview_sheet_shows_textured_objects(tmp_path: Path, cutout: Cutout) -> None:
    options = AssetOptions(max_faces=1000, texture_px=128)
    sphere = build_asset(trimesh.creation.icosphere(subdivisions=3, radius=0.8), cutout, None, options)
    box = build_asset(trimesh.creation.box(extents=(1.0, 1.4, 0.5)), cutout, None, options)
    path = tmp_path / "sheet.png"
    render_preview([sphere, box], path, views=4, size_px=64, labels=["sphere", "box"])
    sheet = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert sheet.shape == (128, 256, 3)
    assert list(tmp_path.iterdir()) == [path]
    front = sheet[:64, :64]
    assert front.std() > 10
    # The front view of the sphere shows the red left half and the blue right half.
    centre_left, centre_right = front[32, 20], front[32, 44]
    assert centre_left[0] > centre_left[2] and centre_right[2] > centre_right[0]


def test_preview_rejects_mismatched_labels(tmp_path: Path, cutout: Cutout) -> None:
    options = AssetOptions(max_faces=200, texture_px=64)
    asset = build_asset(trimesh.creation.icosphere(subdivisions=2), cutout, None, options)
    with pytest.raises(OptionError, match="labels"):
        render_preview([asset], tmp_path / "sheet.png", labels=["a", "b"])
    assert not any(tmp_path.iterdir())

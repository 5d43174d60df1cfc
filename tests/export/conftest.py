"""A small finished asset, built once, for the exporter round trips."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from lift3d.asset import AssetOptions, build_asset
from lift3d.types import Asset, Cutout


@pytest.fixture(scope="session")
def orange_disc() -> Cutout:
    """An orange disc cutout: the picture the exporter tests' assets are baked from."""
    size = 96
    centres = (np.arange(size) + 0.5) / size * 2 - 1
    x, y = np.meshgrid(centres, -centres)
    mask = x**2 + y**2 < 0.64
    rgb = np.ones((size, size, 3), dtype=np.float32)
    rgb[mask] = (0.8, 0.3, 0.1)
    return Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, size, size), source="disc")


@pytest.fixture(scope="session")
def asset(orange_disc: Cutout) -> Asset:
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=0.8)
    return build_asset(mesh, orange_disc, None, AssetOptions(max_faces=600, texture_px=128, height_m=2.0))

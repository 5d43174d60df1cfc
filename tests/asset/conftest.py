"""Fixtures for the asset-stage tests."""

from __future__ import annotations

import pytest
from asset_shapes import disc_cutout

from lift3d.types import Cutout


@pytest.fixture
def cutout() -> Cutout:
    return disc_cutout()

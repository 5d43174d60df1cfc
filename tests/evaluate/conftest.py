"""Analytic meshes and Sample objects shared by the evaluation tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import trimesh

from lift3d.types import Sample


def build_sample(mesh: trimesh.Trimesh, family: str = "blob", seed: int = 0) -> Sample:
    """A Sample whose ground truth is `mesh`; the picture is a blank placeholder."""
    size = 8
    return Sample(
        rgba=np.zeros((size, size, 4), dtype=np.uint8),
        front_z=np.zeros((size, size), dtype=np.float32),
        back_z=np.zeros((size, size), dtype=np.float32),
        vertices=np.asarray(mesh.vertices, dtype=np.float32),
        faces=np.asarray(mesh.faces, dtype=np.int32),
        family=family,
        seed=seed,
    )


@pytest.fixture
def make_sample() -> Callable[..., Sample]:
    return build_sample


@pytest.fixture
def sphere() -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=4, radius=0.6)


@pytest.fixture
def box() -> trimesh.Trimesh:
    return trimesh.creation.box(extents=(1.0, 0.6, 0.4))

"""A real `lift3d serve` on a loopback port and a small picture, for the Blender add-on's client."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def token() -> str:
    return ""


@pytest.fixture
def live_server(tmp_path: Path, token: str) -> Iterator[str]:
    """uvicorn serving `create_app` in a thread of this process, on a port the kernel picks."""
    pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
    pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
    from tests.serve.serve_helpers import running_server

    with running_server(tmp_path / "studio", token) as url:
        yield url


@pytest.fixture
def disc_picture(tmp_path: Path) -> Path:
    """A red disc on a transparent background: the alpha is the object mask."""
    size = 96
    rows, cols = np.mgrid[0:size, 0:size]
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[(rows - size / 2) ** 2 + (cols - size / 2) ** 2 < (size * 0.32) ** 2] = (200, 60, 40, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    path = tmp_path / "red disc.png"
    path.write_bytes(stream.getvalue())
    return path

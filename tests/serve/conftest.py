"""Fixtures for the server tests: settings on a temporary data folder, an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "studio"


@pytest.fixture
def client(data_dir: Path) -> Iterator[Any]:
    """A TestClient on a fresh server with one worker; the lifespan (workers) runs inside."""
    from fastapi.testclient import TestClient

    from lift3d.serve.app import create_app
    from lift3d.serve.settings import ServerSettings

    with TestClient(
        create_app(ServerSettings(data_dir=data_dir)), base_url="http://localhost"
    ) as test_client:
        yield test_client

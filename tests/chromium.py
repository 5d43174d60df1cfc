"""Debian's Chromium for the browser tests (`apt-get install chromium`); playwright's own
browser downloads are never used, so the tests run offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL without a GPU: ANGLE on SwiftShader, the software renderer Chromium ships.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed: apt-get install -y chromium"
)

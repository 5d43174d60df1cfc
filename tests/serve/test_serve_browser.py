"""The studio in a real headless Chromium: upload, watch it finish, see the model, download it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

import trimesh  # noqa: E402
from PIL import Image  # noqa: E402
from serve_helpers import disc_png, running_server  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, needs_chromium  # noqa: E402

from lift3d.api import OPTION_RANGES, ConvertOptions  # noqa: E402
from lift3d.evaluate.metrics import is_watertight  # noqa: E402
from lift3d.serve.settings import ServerSettings  # noqa: E402


@pytest.fixture
def token() -> str:
    return ""


@pytest.fixture
def live_server(tmp_path: Path, token: str) -> Iterator[str]:
    """A real uvicorn server on a loopback port picked by the kernel, in a thread of this process."""
    with running_server(tmp_path / "studio", token) as url:
        yield f"{url}/"


@pytest.mark.slow
@needs_chromium
def test_studio_converts_shows_and_downloads_a_picture(live_server: str, tmp_path: Path) -> None:
    picture = tmp_path / "red disc.png"
    picture.write_bytes(disc_png(128))
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800}, accept_downloads=True)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
            offsite = lambda url: not url.startswith((live_server, "blob:", "data:"))  # noqa: E731
            page.on(
                "request", lambda request: offsite(request.url) and problems.append(f"offsite: {request.url}")
            )
            page.goto(live_server)
            page.wait_for_selector("#generator option[value=inflate]", state="attached")
            # The form's defaults and limits are the converter's, read from /api/info, not the page's own.
            faces = page.locator("#faces")
            assert faces.input_value() == str(ConvertOptions.max_faces)
            assert faces.get_attribute("max") == str(ServerSettings(data_dir=tmp_path).max_faces)
            assert page.locator("#texture_size").get_attribute("min") == str(OPTION_RANGES["texture_px"][0])
            assert float(page.locator("#height").input_value()) == ConvertOptions.height_m
            page.set_input_files("#file", str(picture))
            page.select_option("#generator", "inflate")
            page.fill("#faces", "2000")
            page.fill("#texture_size", "128")
            page.fill("#variants", "2")
            page.click("#submit")
            page.wait_for_selector("canvas[data-rendered]", timeout=90_000)
            page.wait_for_function(
                "document.querySelectorAll('canvas[data-rendered]').length === 2", timeout=30_000
            )
            assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
            assert page.locator("canvas[data-rendered='1']").count() == 2
            assert "done (100%)" in (page.locator("#stage").text_content() or "")

            shot = np.asarray(
                Image.open(io.BytesIO(page.locator("canvas").first.screenshot())).convert("RGB")
            )
            background = np.array([0xE9, 0xEC, 0xF1])
            covered = np.abs(shot.astype(int) - background).sum(axis=2) > 30
            assert shot.std() > 10, "the viewer canvas is blank"
            assert 0.05 < covered.mean() < 0.95, f"the model covers {covered.mean():.0%} of the viewer"
            reddish = shot[covered].mean(axis=0)
            assert reddish[0] > reddish[1] + 40, f"the texture is not the picture's red: {reddish}"

            with page.expect_download() as download_info:
                page.locator("article[data-variant='0'] button[data-download=glb]").click()
            download = download_info.value
            assert (
                download.suggested_filename == "red disc_0.glb"
            )  # named after the picture, as the CLI names it
            target = tmp_path / "downloaded.glb"
            download.save_as(target)
        finally:
            browser.close()
    assert not problems, problems
    mesh = trimesh.load(target, force="mesh")
    assert len(mesh.faces) > 100 and is_watertight(mesh)


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("token", ["browser-t0ken"])
def test_studio_asks_for_the_token_and_then_works(live_server: str) -> None:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(live_server)
            page.wait_for_selector("#error:not([hidden])")
            assert "bearer token" in (page.locator("#error").text_content() or "")
            assert page.locator("#auth").get_attribute("open") is not None
            page.fill("#token", "browser-t0ken")
            page.dispatch_event("#token", "change")
            page.wait_for_selector("#generator option[value=inflate]", state="attached")
            assert page.locator("#error").is_hidden()
            page.reload()  # the token is remembered
            page.wait_for_selector("#generator option[value=inflate]", state="attached")
        finally:
            browser.close()


@pytest.mark.slow
@needs_chromium
def test_studio_outlines_the_object_before_converting(live_server: str, tmp_path: Path) -> None:
    """Issue 15.1: the found outline is drawn over the picture as soon as it is chosen."""
    picture, blank = tmp_path / "disc.png", tmp_path / "blank.png"
    picture.write_bytes(disc_png(128))  # a disc of radius 41 px centred at (64, 64)
    Image.new("RGB", (64, 64), "white").save(blank)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(live_server)
            page.wait_for_selector("#generator option[value=inflate]", state="attached")
            page.set_input_files("#file", str(picture))
            page.wait_for_selector("#outline polygon", state="attached", timeout=30_000)
            box = page.evaluate(
                "(() => { const b = document.querySelector('#outline polygon').getBBox();"
                " return [b.x, b.y, b.width, b.height]; })()"
            )
            assert np.allclose(box, [23, 23, 82, 82], atol=4), box
            assert "found as" in (page.locator("#cutout-note").text_content() or "")

            page.set_input_files("#file", str(blank))
            page.wait_for_selector("#cutout-note:has-text('no object found')", timeout=30_000)
            assert page.locator("#outline polygon").count() == 0
        finally:
            browser.close()

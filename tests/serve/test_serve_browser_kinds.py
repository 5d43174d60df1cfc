"""Every kind through the studio in a real headless Chromium: choose the kind, upload its files, see it.

Frames must play (the viewer runs the GLB's animation) and an error must leave no stale result.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from PIL import Image, ImageDraw  # noqa: E402
from serve_helpers import disc_png, running_server  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, needs_chromium  # noqa: E402

FAST = {"#faces": "1500", "#texture_size": "64"}


def frame_png(index: int) -> bytes:
    """A disc sliding right across the frames, on a transparent background."""
    rows, cols = np.mgrid[0:64, 0:64]
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[(cols - 16 - 8 * index) ** 2 + (rows - 32) ** 2 < 121] = (40, 90, 200, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    return stream.getvalue()


def box_sheet_png() -> bytes:
    """A third-angle sheet of a box: top view above the front view, side view to its right."""
    image = Image.new("RGB", (160, 160), "white")
    draw = ImageDraw.Draw(image)
    for box in ([20, 70, 80, 130], [20, 20, 80, 50], [100, 70, 130, 130]):
        draw.rectangle(box, fill=(90, 90, 90))
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return stream.getvalue()


def plan_png() -> bytes:
    from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan

    rgb = generate_plan(HELDOUT_PLAN_SEED).picture().rgb
    stream = io.BytesIO()
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(stream, format="PNG")
    return stream.getvalue()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    with running_server(tmp_path / "studio", "") as url:
        yield f"{url}/"


def write(folder: Path, files: dict[str, bytes]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [str(folder / name) for name in files]


def open_studio(playwright, url: str, problems: list[str]):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1100, "height": 800}, accept_downloads=True)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#generator option[value=inflate]", state="attached")
    return browser, page


def canvas_pixels(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.locator("canvas").first.screenshot())).convert("RGB"))


@pytest.mark.slow
@needs_chromium
def test_frames_play_in_the_viewer_and_an_error_leaves_no_stale_result(
    live_server: str, tmp_path: Path
) -> None:
    frames = write(tmp_path / "wave", {f"wave_{index}.png": frame_png(index) for index in range(4)})
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser, page = open_studio(playwright, live_server, problems)
        try:
            page.select_option("#kind", "frames")
            assert page.locator("#file").evaluate("input => input.multiple")
            assert page.locator("#variants").is_disabled() and page.locator("#fps").is_enabled()
            assert page.locator("#formats input").count() == 1  # an animation is written as .glb
            page.set_input_files("#file", frames)
            page.select_option("#generator", "inflate")
            for selector, value in FAST.items():
                page.fill(selector, value)
            page.fill("#fps", "4")
            page.click("#submit")
            page.wait_for_selector("canvas[data-rendered='1']", timeout=120_000)
            assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
            assert page.locator("canvas").get_attribute("data-animated") == "1.000"  # 4 frames at 4 fps
            shots = []
            for _ in range(6):  # the disc slides: frames a quarter second apart differ
                shots.append(canvas_pixels(page))
                time.sleep(0.3)
            assert max(np.abs(shot.astype(int) - shots[0]).sum(axis=2).max() for shot in shots) > 100
            with page.expect_download() as download_info:
                page.locator("button[data-download=glb]").click()
            assert download_info.value.suggested_filename == "wave_0.glb"

            page.select_option("#kind", "views")  # one picture is not enough for views
            page.set_input_files("#file", frames[:1])
            page.click("#submit")
            page.wait_for_selector("#error:not([hidden])")
            assert "kind views takes two or more pictures" in (page.locator("#error").text_content() or "")
            assert page.locator("#results canvas").count() == 0  # the animation is gone
            assert page.locator("#status").is_hidden()
        finally:
            browser.close()
    assert not problems, problems


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("kind", ["ortho", "views", "plan"])
def test_each_kind_converts_and_shows_in_the_studio(kind: str, live_server: str, tmp_path: Path) -> None:
    files = {
        "ortho": {"bracket.png": box_sheet_png()},
        "views": {f"turn_{index}.png": disc_png(96) for index in range(4)},
        "plan": {"flat.png": plan_png()},
    }[kind]
    paths = write(tmp_path / kind, files)
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser, page = open_studio(playwright, live_server, problems)
        try:
            page.select_option("#kind", kind)
            page.set_input_files("#file", paths)
            for selector, value in FAST.items():
                if page.locator(selector).is_enabled():
                    page.fill(selector, value)
            assert page.locator("#seed").is_disabled()  # carving, hulls and plans imagine nothing
            page.click("#submit")
            page.wait_for_selector("canvas[data-rendered]", timeout=120_000)
            assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
            assert page.locator("canvas[data-rendered='1']").count() == 1
            shot = canvas_pixels(page)
            background = np.array([0xE9, 0xEC, 0xF1])
            covered = (np.abs(shot.astype(int) - background).sum(axis=2) > 30).mean()
            assert 0.02 < covered < 0.95, f"the model covers {covered:.0%} of the viewer"
            first = Path(paths[0]).stem
            downloads = {
                button.get_attribute("title").split(" (")[0]
                for button in page.locator("button[data-download]").all()
            }
            assert f"{first}.glb" in downloads
        finally:
            browser.close()
    assert not problems, problems

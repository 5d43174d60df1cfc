"""Live drawing: POST /api/preview answers a drawing with a quick, closed, coloured GLB; the /draw page uses it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import trimesh
from PIL import Image, ImageDraw

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def drawing_png(size: int = 256) -> bytes:
    """A pen outline of a pear shape with an inner stroke, black on white, as a canvas sends it."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    s = size / 256
    draw.ellipse((70 * s, 100 * s, 186 * s, 220 * s), outline="black", width=3)
    draw.ellipse((96 * s, 40 * s, 160 * s, 120 * s), outline="black", width=3)
    draw.line([(128 * s, 150 * s), (140 * s, 170 * s)], fill="black", width=3)
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return stream.getvalue()


def test_a_drawing_gets_a_closed_coloured_preview(client) -> None:
    response = client.post("/api/preview", content=drawing_png(), headers={"Content-Type": "image/png"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "model/gltf-binary"
    mesh = trimesh.load(io.BytesIO(response.content), file_type="glb", force="mesh")
    assert mesh.is_watertight
    low, high = mesh.bounds
    assert abs(low[1]) < 1e-3 and abs(high[1] - 1.0) < 1e-3  # stands on the floor, 1 m tall like the asset
    assert mesh.visual.vertex_colors is not None


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"", 400, "request body"),
        (b"not a picture at all", 422, "picture"),
        (Image.new("RGB", (64, 64), "white").tobytes(), 422, "picture"),
    ],
)
def test_a_bad_drawing_is_refused_with_one_line(client, body: bytes, status: int, words: str) -> None:
    response = client.post("/api/preview", content=body, headers={"Content-Type": "image/png"})
    assert response.status_code == status
    message = response.json()["error"]
    assert words in message and "\n" not in message


def test_a_blank_canvas_is_refused_with_one_line(client) -> None:
    stream = io.BytesIO()
    Image.new("RGB", (128, 128), "white").save(stream, format="PNG")
    response = client.post("/api/preview", content=stream.getvalue(), headers={"Content-Type": "image/png"})
    assert response.status_code == 422
    assert "\n" not in response.json()["error"]


def test_a_drawing_over_the_upload_limit_is_refused(data_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from lift3d.serve.app import create_app
    from lift3d.serve.settings import ServerSettings

    settings = ServerSettings(data_dir=data_dir, max_upload_bytes=1024 * 1024)
    with TestClient(create_app(settings), base_url="http://localhost") as small:
        response = small.post("/api/preview", content=b"\x89PNG" + bytes(2 * 1024 * 1024))
    assert response.status_code == 413 and "larger than" in response.json()["error"]


@pytest.mark.slow
def test_the_draw_page_previews_each_stroke_and_undoes(data_dir: Path) -> None:
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from serve_helpers import running_server

    problems: list[str] = []
    with running_server(data_dir, "") as url, playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 700})
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{url}/draw")
            box = page.locator("#paper").bounding_box()
            assert box is not None

            def stroke(points: list[tuple[float, float]]) -> None:
                page.mouse.move(
                    box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"]
                )
                page.mouse.down()
                for x, y in points[1:]:
                    page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
                page.mouse.up()

            square = [(0.3, 0.3), (0.7, 0.3), (0.7, 0.75), (0.3, 0.75), (0.3, 0.3)]
            stroke(square)
            page.wait_for_selector("#paper[data-previews='1']", timeout=60_000)
            page.wait_for_selector("#view[data-rendered='1']", timeout=10_000)
            stroke([(0.4, 0.4), (0.6, 0.5)])  # an inner stroke: one more preview
            page.wait_for_selector("#paper[data-previews='2']", timeout=60_000)
            page.click("#make")  # the full asset, as an ordinary job
            link = page.wait_for_selector("#download-glb", timeout=120_000)
            assert (link.get_attribute("download") or "").endswith(".glb")
            assert page.locator("#status").text_content().startswith("done")
            page.click("#undo")
            page.click("#undo")  # back to an empty page: nothing to make
            page.wait_for_selector("#make:disabled", timeout=10_000)
            assert page.locator("#error").is_hidden(), page.locator("#error").text_content()
        finally:
            browser.close()
    assert not problems, problems

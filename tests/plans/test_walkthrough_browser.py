"""The walkthrough in a real headless Chromium: offline page and studio, keys move, walls stop, doors pass."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lift3d.export.walkthrough import BODY_RADIUS_M, WALKTHROUGH_JS
from lift3d.pipelines.plan import save_plan
from lift3d.reconstruct.plan import PlanOptions, PlanResult, convert_plan
from tests.chromium import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.plans.conftest import l_shaped_plan

playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

# The L-shaped plan at 0.02 m/px (tests/plans/conftest.py): the wide room's top wall has its
# inner face at Z = -3.8 m; the door between the rooms is centred at X = -3.4 m, Z = 0.1 m.
TOP_WALL_Z_M = -3.8
DOOR_X_M = -3.4

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def l_plan() -> PlanResult:
    return convert_plan(l_shaped_plan(), PlanOptions(scale_m_per_px=0.02))


@pytest.fixture
def browser() -> Iterator:
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def state(page) -> dict:
    return page.evaluate("window.walkthrough.state()")


def hold(page, key: str, until: str, timeout_ms: int = 60_000) -> dict:
    """Hold a key until the JS condition on the walker `s` holds; the walker's state then."""
    page.keyboard.down(key)
    try:
        page.wait_for_function(f"() => (s => {until})(window.walkthrough.state())", timeout=timeout_ms)
    finally:
        page.keyboard.up(key)
    return state(page)


def wait_frames(page, count: int) -> None:
    frames = state(page)["frames"]
    page.wait_for_function(f"() => window.walkthrough.state().frames >= {frames + count}", timeout=60_000)


def walk_the_l_plan(page) -> None:
    """Forward moves the camera the way it looks; the top wall stops the walker; the door lets it through."""
    start = state(page)
    assert start["eye_m"] == pytest.approx(1.6)
    after = hold(page, "w", f"Math.hypot(s.x - {start['x']}, s.z - {start['z']}) > 0.3")
    yaw = np.radians(start["yaw_deg"])
    moved = np.array([after["x"] - start["x"], after["z"] - start["z"]])
    assert moved @ np.array([-np.sin(yaw), -np.cos(yaw)]) > 0.95 * np.linalg.norm(moved)

    # Face the top wall from the middle of the wide room and keep walking into it.
    page.evaluate("window.walkthrough.teleport(0, -1.5, 0)")
    stop_z = TOP_WALL_Z_M + BODY_RADIUS_M
    hold(page, "ArrowUp", f"s.z < {stop_z + 0.02}", timeout_ms=60_000)
    page.keyboard.down("ArrowUp")
    wait_frames(page, 20)
    pressed = state(page)
    page.keyboard.up("ArrowUp")
    assert stop_z - 1e-3 <= pressed["z"] < stop_z + 0.02
    assert pressed["x"] == pytest.approx(0.0, abs=1e-6)

    # From the wide room through the door (facing +Z) into the narrow room below.
    page.evaluate(f"window.walkthrough.teleport({DOOR_X_M}, -1.0, 180)")
    through = hold(page, "w", "s.z > 1.2")
    assert through["x"] == pytest.approx(DOOR_X_M, abs=0.05)


def rendered(png: bytes) -> float:
    """Spread of the screenshot's grey levels: a blank canvas has none."""
    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float32).std())


def test_offline_page_loads_walks_and_stops_at_walls(tmp_path: Path, l_plan: PlanResult, browser) -> None:
    page_path = save_plan(l_plan, tmp_path / "house.html")[0]
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 480, "height": 320}, offline=True)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request", lambda request: request.url.startswith(("data:", "file:")) or problems.append(request.url)
    )
    page.goto(page_path.as_uri())
    page.wait_for_function(
        "() => window.walkthrough?.state().loaded === '1' && window.walkthrough.state().frames > 2",
        timeout=60_000,
    )
    assert rendered(page.locator("canvas").first.screenshot()) > 10
    assert rendered(page.locator("canvas.lift3d-walk-map").screenshot()) > 10
    walk_the_l_plan(page)
    assert problems == []
    context.close()


def test_studio_offers_walk_through_for_a_plan_result(tmp_path: Path, l_plan: PlanResult, browser) -> None:
    """A done plan job (its GLB and its record, as save_plan writes them) gets a Walk through button."""
    pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
    pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
    from tests.serve.serve_helpers import running_server

    glb_path, record_path = save_plan(l_plan, tmp_path / "model_0.glb")
    files = {path.name: path.read_bytes() for path in (glb_path, record_path)}
    job_id = "0" * 32
    job = {
        "id": job_id,
        "status": "done",
        "progress": 1.0,
        "stage": "done",
        "error": None,
        "source": "plan.png",
        "options": {"convert": {"seed": 0}},
        "queue_position": None,
        "created_at": 0.0,
        "started_at": 0.0,
        "finished_at": 0.0,
        "url": f"/api/jobs/{job_id}",
        "files": [
            {
                "name": name,
                "kind": kind,
                "variant": 0,
                "bytes": len(files[name]),
                "url": f"/api/jobs/{job_id}/files/{name}",
            }
            for name, kind in (("model_0.glb", "glb"), ("model_0.lift3d.json", "provenance"))
        ],
    }

    # The server does not take plans yet (issue 18 item 5): its jobs API answers with this plan job.
    def answer(route) -> None:
        path = route.request.url.split("/api/", 1)[1]
        if path.startswith("jobs?"):
            route.fulfill(json={"jobs": [job]})
        elif path == f"jobs/{job_id}":
            route.fulfill(json=job)
        else:
            route.fulfill(body=files[path.rsplit("/", 1)[1]])

    with running_server(tmp_path / "studio", "") as url:
        problems: list[str] = []
        page = browser.new_page(viewport={"width": 640, "height": 420})
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.route("**/api/jobs**", answer)
        page.goto(f"{url}/")
        served = page.evaluate("() => fetch('walkthrough.js').then((response) => response.text())")
        assert served == WALKTHROUGH_JS.read_text(encoding="utf-8")  # one source for page and studio
        page.click("#jobs li a")
        page.click("button[data-walkthrough]", timeout=60_000)
        page.wait_for_function("() => window.walkthrough?.state().loaded === '1'", timeout=60_000)
        walk_the_l_plan(page)
        page.click("#walk-overlay button")
        page.wait_for_function("() => !window.walkthrough && !document.getElementById('walk-overlay')")
        assert problems == []

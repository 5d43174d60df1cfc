"""Jobs of every kind over HTTP: several files, the kind's own fields, one-line refusals, every format."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from PIL import Image  # noqa: E402
from serve_helpers import disc_png, wait_for_job  # noqa: E402

from lift3d.export.gltf import read_glb  # noqa: E402
from lift3d.serve.app import create_app  # noqa: E402
from lift3d.serve.settings import ServerSettings  # noqa: E402

FAST = {"generator": "inflate", "faces": "1500", "texture_size": "64"}


def frame_png(index: int) -> bytes:
    """A disc sliding right: frame `index` of a little animation."""
    rows, cols = np.mgrid[0:64, 0:64]
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[(cols - 20 - 4 * index) ** 2 + (rows - 32) ** 2 < 144] = (40, 90, 200, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    return stream.getvalue()


def post(client: TestClient, pictures: list[tuple[str, bytes]], **fields: str):
    files = [("file", (name, data, "image/png")) for name, data in pictures]
    return client.post("/api/jobs", files=files, data=fields)


def assert_refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_frames_job_gives_an_animated_glb_named_after_the_first_frame(
    client: TestClient, data_dir: Path
) -> None:
    frames = [(f"wave_{index}.png", frame_png(index)) for index in range(3)]
    created = post(client, frames, kind="frames", fps="12", **FAST)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "frames" and created.json()["source"] == "wave_0.png"
    job = wait_for_job(lambda url: client.get(url).json(), created.json()["id"])
    assert job["status"] == "done", job["error"]
    by_kind: dict[str, list[dict]] = {}
    for file in job["files"]:
        by_kind.setdefault(file["kind"], []).append(file)
    assert len(by_kind["frame"]) == 3 and len(by_kind["glb"]) == 1
    [glb] = by_kind["glb"]
    assert glb["download_name"] == "wave_0.glb"
    response = client.get(glb["url"])
    assert 'filename="wave_0.glb"' in response.headers["content-disposition"]
    document, _ = read_glb(response.content)
    [animation] = document["animations"]
    times = document["accessors"][animation["samplers"][0]["input"]]
    assert times["max"] == [pytest.approx(3 / 12)]  # three frames at 12 fps, the last held a frame
    [record] = by_kind["provenance"]
    provenance = client.get(record["url"]).text
    assert "wave_2.png" in provenance  # the frames as uploaded ...
    assert str(data_dir) not in provenance  # ... never the server's folders


def test_a_plan_job_gives_its_scene_and_summary(client: TestClient, tmp_path: Path) -> None:
    from lift3d.data.plans import HELDOUT_PLAN_SEED, generate_plan

    rgb = generate_plan(HELDOUT_PLAN_SEED).picture().rgb
    stream = io.BytesIO()
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(stream, format="PNG")
    created = post(client, [("flat.png", stream.getvalue())], kind="plan", wall_height="3")
    assert created.status_code == 201, created.text
    job = wait_for_job(lambda url: client.get(url).json(), created.json()["id"])
    assert job["status"] == "done", job["error"]
    names = {file["download_name"]: file for file in job["files"]}
    assert set(names) == {"flat.glb", "flat.lift3d.json"}
    summary = json.loads(client.get(names["flat.lift3d.json"]["url"]).content)
    assert summary["rooms"] and 3.0 <= summary["size_m"][1] <= 3.2  # 3 m walls on the floor slab, not 2.7 m


def test_usdz_and_every_other_format_download(client: TestClient) -> None:
    pytest.importorskip("pxr", reason="usd-core is not installed")
    created = post(client, [("my mug.png", disc_png())], formats="glb,obj,stl,ply,usdz", **FAST)
    job = wait_for_job(lambda url: client.get(url).json(), created.json()["id"])
    assert job["status"] == "done", job["error"]
    names = {file["download_name"] for file in job["files"]}
    assert {"my mug.glb", "my mug_obj.zip", "my mug.stl", "my mug.ply", "my mug.usdz"} <= names
    obj_zip = next(file for file in job["files"] if file["kind"] == "obj.zip")
    with zipfile.ZipFile(io.BytesIO(client.get(obj_zip["url"]).content)) as archive:
        assert sorted(archive.namelist()) == ["my_mug.mtl", "my_mug.obj", "my_mug_basecolor.png"]
        assert b"mtllib my_mug.mtl" in archive.read("my_mug.obj")
    usdz = next(file for file in job["files"] if file["kind"] == "usdz")
    with zipfile.ZipFile(io.BytesIO(client.get(usdz["url"]).content)) as package:
        assert any(name.endswith(".usdc") for name in package.namelist())


@pytest.mark.parametrize(
    ("pictures", "fields", "words"),
    [
        (1, {"kind": "mesh"}, ("unknown kind 'mesh'", "picture, ortho, views, frames, plan")),
        (1, {"kind": "plan", "fps": "12"}, ("fps means nothing for kind plan", "kind frames")),
        (1, {"kind": "plan", "faces": "900"}, ("faces means nothing for kind plan",)),
        (1, {"kind": "ortho", "seed": "3"}, ("seed means nothing for kind ortho",)),
        (1, {"projection": "first-angle"}, ("projection means nothing for kind picture",)),
        (1, {"kind": "views"}, ("kind views takes two or more pictures", "got 1")),
        (2, {}, ("kind picture takes one picture", "got 2")),
        (2, {"kind": "ortho"}, ("front, side and top", "got 2")),
        (1, {"kind": "frames", "formats": "glb,obj"}, ("kind frames is written as glb, not obj",)),
        (3, {"kind": "views", "azimuths": "0,90"}, ("3 pictures but 2 azimuths",)),
        (2, {"kind": "views", "azimuths": "0,north"}, ("azimuths must be numbers",)),
        (1, {"kind": "frames", "frames_grid": "4by3"}, ("COLUMNSxROWS",)),
        (1, {"kind": "frames", "fps": "1000"}, ("fps:",)),
        (1, {"kind": "plan", "scale": "0.02", "wall_length": "9"}, ("either a scale or a wall length",)),
    ],
)
def test_a_bad_kind_request_is_refused_in_one_line(
    client: TestClient, pictures: int, fields: dict, words: tuple
) -> None:
    files = [(f"p{index}.png", disc_png()) for index in range(pictures)]
    assert_refused(post(client, files, **fields), 422, *words)


def test_a_bad_picture_among_several_is_named(client: TestClient) -> None:
    files = [("good.png", disc_png()), ("broken.png", b"\x89PNG\r\n\x1a\nnot really")]
    assert_refused(post(client, files, kind="views"), 422, "broken.png")


@pytest.fixture
def capped(data_dir: Path) -> Iterator[TestClient]:
    settings = ServerSettings(data_dir=data_dir, max_files_per_job=3, max_upload_bytes=3 * len(disc_png()))
    with TestClient(create_app(settings), base_url="http://localhost") as test_client:
        yield test_client


def test_file_count_and_total_size_are_capped_per_job(capped: TestClient, data_dir: Path) -> None:
    four = [(f"v{index}.png", disc_png()) for index in range(4)]
    assert_refused(post(capped, four, kind="views"), 413, "at most 3 files per job")
    bigger = [("v0.png", disc_png()), ("v1.png", disc_png()), ("v2.png", disc_png(120))]
    assert_refused(post(capped, bigger, kind="views"), 413, "larger than")
    info = capped.get("/api/info").json()
    assert info["limits"]["max_files_per_job"] == 3 and info["kinds"]["views"]["max_files"] == 3
    assert not list((data_dir / "jobs").iterdir())  # nothing refused was stored


def test_info_says_what_each_kind_takes(client: TestClient) -> None:
    kinds = client.get("/api/info").json()["kinds"]
    assert list(kinds) == ["picture", "ortho", "views", "frames", "plan"]
    assert "faces" not in kinds["plan"]["fields"] and "scale" in kinds["plan"]["fields"]
    assert {"faces", "texture_size"} <= set(kinds["ortho"]["fields"]) and "seed" not in kinds["ortho"][
        "fields"
    ]
    assert {"generator", "seed", "fps"} <= set(kinds["frames"]["fields"])
    assert kinds["frames"]["formats"] == ["glb"] and kinds["views"]["min_files"] == 2


def test_a_single_picture_job_is_unchanged(client: TestClient) -> None:
    """The old upload (one `file`, no kind) still gives the picture's files in the old formats."""
    created = post(client, [("disc.png", disc_png())], **FAST)
    job = wait_for_job(lambda url: client.get(url).json(), created.json()["id"])
    assert job["status"] == "done" and job["kind"] == "picture"
    kinds = {file["kind"] for file in job["files"]}
    assert {"glb", "obj.zip", "stl", "preview"} <= kinds and "usdz" not in kinds


@pytest.fixture
def slow_carving(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[str]]:
    """Carving that waits (in Python, so it can be interrupted) for up to 30 s before it runs."""
    from lift3d.pipelines import views

    entered, interrupted = threading.Event(), []
    carve = views.carve_views

    def waiting_carve(*args: object, **kwargs: object) -> object:
        entered.set()
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                time.sleep(0.01)
        except BaseException as error:
            interrupted.append(type(error).__name__)
            raise
        return carve(*args, **kwargs)

    monkeypatch.setattr(views, "carve_views", waiting_carve)
    return entered, interrupted


def test_deleting_a_running_views_job_stops_it_mid_stage(
    client: TestClient, data_dir: Path, slow_carving: tuple[threading.Event, list[str]]
) -> None:
    entered, interrupted = slow_carving
    created = post(client, [(f"v{index}.png", disc_png()) for index in range(3)], kind="views").json()
    assert entered.wait(60), "the views job never started carving"
    assert client.delete(created["url"]).status_code == 204
    deadline = time.monotonic() + 10
    while not interrupted or (data_dir / "jobs" / created["id"]).exists():
        assert time.monotonic() < deadline, "the deleted job kept running or left its files"
        time.sleep(0.05)
    assert interrupted == ["_Deleted"] and client.get(created["url"]).status_code == 404


def test_a_views_job_cut_short_by_a_stop_finishes_after_the_restart(
    data_dir: Path, slow_carving: tuple[threading.Event, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, interrupted = slow_carving
    settings = ServerSettings(data_dir=data_dir)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        files = [(f"v{index}.png", disc_png()) for index in range(3)]
        created = post(client, files, kind="views", azimuths="0,120,240", formats="glb").json()
        assert entered.wait(60), "the views job never started carving"
    assert interrupted == ["_Stopped"]
    monkeypatch.undo()  # carving at full speed again
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        job = wait_for_job(lambda url: client.get(url).json(), created["id"])
        assert job["status"] == "done", job["error"]
        assert [file["download_name"] for file in job["files"] if file["kind"] == "glb"] == ["v0.glb"]


def animated_gif(count: int) -> bytes:
    stream = io.BytesIO()
    frames = [Image.open(io.BytesIO(frame_png(index))).convert("RGB") for index in range(count)]
    frames[0].save(stream, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return stream.getvalue()


def test_an_animated_gif_is_one_frames_upload_and_its_frames_count_against_the_pixel_limit(
    data_dir: Path,
) -> None:
    settings = ServerSettings(data_dir=data_dir, max_pixels=64 * 64 * 3)
    with TestClient(create_app(settings), base_url="http://localhost") as capped_client:
        created = post(capped_client, [("wave.gif", animated_gif(3))], kind="frames", **FAST)
        assert created.status_code == 201, created.text
        job = wait_for_job(lambda url: capped_client.get(url).json(), created.json()["id"])
        assert job["status"] == "done", job["error"]
        assert len([file for file in job["files"] if file["kind"] == "frame"]) == 3
        too_many = post(capped_client, [("long.gif", animated_gif(4))], kind="frames", **FAST)
        assert_refused(too_many, 422, "long.gif", "4 frames of 64x64")
        # A picture job reads the first frame only: the same GIF is one picture.
        assert post(capped_client, [("long.gif", animated_gif(4))], **FAST).status_code == 201


def test_a_sprite_sheet_is_cut_by_the_grid_given(client: TestClient) -> None:
    sheet = Image.new("RGBA", (128, 64), (0, 0, 0, 0))
    for index in range(4):  # four frames side by side, as 4x1; read as 2x1 they would be two
        sheet.paste(Image.open(io.BytesIO(frame_png(index))).resize((32, 64)), (32 * index, 0))
    stream = io.BytesIO()
    sheet.save(stream, format="PNG")
    created = post(client, [("run.png", stream.getvalue())], kind="frames", frames_grid="4x1", **FAST)
    assert created.status_code == 201, created.text
    job = wait_for_job(lambda url: client.get(url).json(), created.json()["id"])
    assert job["status"] == "done", job["error"]
    assert len([file for file in job["files"] if file["kind"] == "frame"]) == 4

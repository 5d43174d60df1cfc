"""The jobs API end to end in-process: submit, follow, download, list, delete, OpenAPI."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

import trimesh  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from serve_helpers import FAST_FIELDS, GatedConverter, disc_png, wait_for_job  # noqa: E402

from lift3d.api import OPTION_RANGES, ConvertOptions  # noqa: E402
from lift3d.evaluate.metrics import is_watertight  # noqa: E402
from lift3d.pipelines.frames import FramesOptions  # noqa: E402
from lift3d.reconstruct.plan import PlanOptions  # noqa: E402
from lift3d.serve.app import create_app  # noqa: E402
from lift3d.serve.settings import ServerSettings  # noqa: E402


def submit(client: TestClient, picture: bytes, name: str = "disc.png", **fields: str) -> dict:
    response = client.post(
        "/api/jobs", files={"file": (name, picture, "image/png")}, data={**FAST_FIELDS, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_submit_poll_download_gives_watertight_assets_in_every_format(client: TestClient) -> None:
    created = submit(client, disc_png(), formats="glb,obj,stl,preview", variants="2", seed="7")
    assert created["status"] == "queued"
    seen_stages: set[str] = set()

    def get_json(url: str) -> dict:
        job = client.get(url).json()
        seen_stages.add(job["stage"])
        assert 0.0 <= job["progress"] <= 1.0
        return job

    job = wait_for_job(get_json, created["id"])
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0 and job["error"] is None
    assert seen_stages & {"cutout", "generate", "mesh", "asset", "save", "done"}
    kinds = {(file["kind"], file["variant"]) for file in job["files"]}
    for variant in (0, 1):
        assert {("glb", variant), ("obj.zip", variant), ("stl", variant), ("provenance", variant)} <= kinds
    assert ("preview", None) in kinds

    for file in job["files"]:
        response = client.get(file["url"])
        assert response.status_code == 200, file
        assert len(response.content) == file["bytes"] > 0
        if file["kind"] == "glb":
            assert response.headers["content-type"] == "model/gltf-binary"
            mesh = trimesh.load(io.BytesIO(response.content), file_type="glb", force="mesh")
            assert len(mesh.faces) <= 2000 * 1.05
            assert is_watertight(mesh), f"{file['name']} is not watertight"
        elif file["kind"] == "stl":
            assert is_watertight(trimesh.load(io.BytesIO(response.content), file_type="stl"))
        elif file["kind"] == "obj.zip":
            names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
            assert sorted(name.rsplit(".", 1)[1] for name in names) == ["mtl", "obj", "png"]
        elif file["kind"] == "provenance":
            record = response.json()
            assert record["seed"] == 7 + file["variant"] and record["model"]["generator"] == "inflate"
        elif file["kind"] == "preview":
            assert response.content.startswith(b"\x89PNG")


def test_list_info_and_delete(client: TestClient, data_dir: Path) -> None:
    info = client.get("/api/info").json()
    assert "inflate" in info["generators"] and info["auth_required"] is False
    # Each form field's default and range, for building a form: ConvertOptions' own, and the
    # converter's limits lowered to this server's caps.
    options, defaults = info["options"], ConvertOptions()
    assert {
        name: options[name]["default"] for name in ("faces", "texture_size", "height", "seed", "variants")
    } == {
        "faces": defaults.max_faces,
        "texture_size": defaults.texture_px,
        "height": defaults.height_m,
        "seed": defaults.seed,
        "variants": defaults.variants,
    }
    assert options["faces"]["minimum"] == OPTION_RANGES["max_faces"][0]
    assert (
        options["faces"]["maximum"]
        == ServerSettings(data_dir=data_dir).max_faces
        < OPTION_RANGES["max_faces"][1]
    )
    assert options["height"]["maximum"] == OPTION_RANGES["height_m"][1]
    assert options["fps"]["default"] == FramesOptions.frame_rate_fps
    assert options["wall_height"]["default"] == PlanOptions.wall_height_m
    first = submit(client, disc_png())
    second = submit(client, disc_png(), name="second.png")
    listed = [job["id"] for job in client.get("/api/jobs").json()["jobs"]]
    assert listed[:2] == [second["id"], first["id"]]  # newest first
    # One worker: the second job waits behind the first, so this deletes a queued job.
    assert client.get(second["url"]).json()["status"] == "queued"
    assert client.delete(second["url"]).status_code == 204
    wait_for_job(lambda url: client.get(url).json(), first["id"])
    assert client.delete(first["url"]).status_code == 204  # and this a finished one
    for job in (first, second):
        response = client.get(job["url"])
        assert response.status_code == 404 and "no job" in response.json()["error"]
        assert not (data_dir / "jobs" / job["id"]).exists()
    assert client.delete(first["url"]).status_code == 404
    assert client.get("/api/jobs").json() == {"jobs": []}


def test_deleting_a_running_job_stops_it_and_removes_its_files(data_dir: Path) -> None:
    gate, entered = threading.Event(), threading.Event()
    app = create_app(
        ServerSettings(data_dir=data_dir), converter_factory=lambda name: GatedConverter(name, gate, entered)
    )
    with TestClient(app, base_url="http://localhost") as client:
        job = submit(client, disc_png())
        assert entered.wait(30)
        assert client.get(job["url"]).json()["status"] == "running"
        assert client.delete(job["url"]).status_code == 204
        assert client.get(job["url"]).status_code == 404
        gate.set()
        follow_up = submit(client, disc_png())  # the worker is free again after throwing the work away
        assert wait_for_job(lambda url: client.get(url).json(), follow_up["id"])["status"] == "done"
        assert not (data_dir / "jobs" / job["id"]).exists()


def test_files_are_served_only_when_done_and_only_by_recorded_name(data_dir: Path) -> None:
    gate, entered = threading.Event(), threading.Event()
    app = create_app(
        ServerSettings(data_dir=data_dir), converter_factory=lambda name: GatedConverter(name, gate, entered)
    )
    with TestClient(app, base_url="http://localhost") as client:
        job = submit(client, disc_png())
        assert entered.wait(30)
        early = client.get(f"{job['url']}/files/model_0.glb")
        assert early.status_code == 409 and "running" in early.json()["error"]
        gate.set()
        wait_for_job(lambda url: client.get(url).json(), job["id"])
        assert client.get(f"{job['url']}/files/model_0.glb").status_code == 200
        # httpx resolves a literal ".." itself, so dot segments are sent percent-encoded.
        for name in (
            "upload",
            "model_9.glb",
            "%2E%2E",
            "jobs.sqlite3",
            "%2e%2e%2fjobs.sqlite3",
            "..%2F..%2Fupload",
        ):
            response = client.get(f"{job['url']}/files/{name}")
            assert response.status_code == 404, name
        assert client.get("/api/jobs/%2E%2E%2Fjobs.sqlite3").status_code == 404
        assert client.get("/api/jobs/not-a-job-id").json() == {"error": "no job 'not-a-job-id'"}


def test_openapi_document_is_valid_and_describes_the_upload(client: TestClient) -> None:
    validator = pytest.importorskip(
        "openapi_spec_validator", reason="openapi-spec-validator is not installed"
    )
    document = client.get("/openapi.json").json()
    validator.validate(document)
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/files/{name}", "/api/info"} <= set(
        document["paths"]
    )
    body = document["paths"]["/api/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["file"]
    assert {
        "file",
        "generator",
        "faces",
        "texture_size",
        "height",
        "seed",
        "variants",
        "formats",
        "adapters",
    } <= set(body["properties"])


def test_studio_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "lift3d studio" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "http" not in policy.replace("'self'", "")
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    for path in (
        "/static/studio.js",
        "/static/vendor/three/build/three.module.js",
        "/static/vendor/three/build/three.core.js",
        "/static/vendor/three/examples/jsm/loaders/GLTFLoader.js",
        "/static/vendor/three/examples/jsm/controls/OrbitControls.js",
        "/static/vendor/three/LICENSE",
    ):
        assert client.get(path).status_code == 200, path
    assert client.get("/static/../jobs.sqlite3").status_code == 404

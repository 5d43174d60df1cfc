"""What the server refuses, and how: sizes, non-pictures, bombs, paths, options, tokens, a full queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from serve_helpers import FAST_FIELDS, GatedConverter, disc_png, wait_for_job  # noqa: E402
from tests.inputs.input_pictures import png_header_only  # noqa: E402

from lift3d.serve.app import create_app, safe_upload_name  # noqa: E402
from lift3d.serve.settings import MEGABYTE, ServerSettings  # noqa: E402


def post_picture(client: TestClient, data: bytes, name: str = "picture.png", **fields: str):
    return client.post("/api/jobs", files={"file": (name, data, "image/png")}, data={**FAST_FIELDS, **fields})


def assert_refused(response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"]
    for word in words:
        assert word in body["error"], body["error"]


@pytest.fixture
def small_client(data_dir: Path) -> Iterator[TestClient]:
    """A server with a 1 MB upload limit."""
    with TestClient(
        create_app(ServerSettings(data_dir=data_dir, max_upload_bytes=MEGABYTE)), base_url="http://localhost"
    ) as client:
        yield client


def test_oversized_upload_is_refused_with_413(small_client: TestClient) -> None:
    big = disc_png() + b"\x00" * (2 * MEGABYTE)
    assert_refused(post_picture(small_client, big), 413, "1 MB limit")


def test_oversized_chunked_upload_is_cut_off_while_streaming(small_client: TestClient) -> None:
    """Without a Content-Length the body is counted as it arrives."""
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    body += b"\x00" * (2 * MEGABYTE) + b"\r\n--b--\r\n"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = small_client.post(
        "/api/jobs", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert "content-length" not in response.request.headers
    assert_refused(response, 413, "limit")


def test_non_pictures_are_refused_by_content_not_by_name(client: TestClient) -> None:
    assert_refused(
        post_picture(client, b"just some text\n", "fake.png"), 422, "fake.png", "text file, not a picture"
    )
    assert_refused(post_picture(client, b"\x00\x01\x02" * 100, "x.jpg"), 422, "not a picture")
    assert_refused(post_picture(client, b"", "empty.png"), 422, "empty")
    # A real PNG with a misleading name and content type is accepted: the content decides.
    response = client.post(
        "/api/jobs", files={"file": ("notes.txt", disc_png(), "text/plain")}, data=FAST_FIELDS
    )
    assert response.status_code == 201


def test_decompression_bomb_is_refused_from_its_header(client: TestClient) -> None:
    assert_refused(
        post_picture(client, png_header_only(10_000, 10_000), "bomb.png"), 422, "bomb.png", "too large"
    )
    assert_refused(post_picture(client, png_header_only(30_000, 30_000)), 422, "decompression bomb")


def test_path_traversal_filename_is_harmless(client: TestClient, data_dir: Path) -> None:
    response = post_picture(client, disc_png(), "../../etc/passwd")
    assert response.status_code == 201
    job = response.json()
    assert job["source"] == "passwd"
    assert_refused(post_picture(client, b"root:x:0:0", "../../etc/passwd"), 422, "cannot read passwd")
    done = wait_for_job(lambda url: client.get(url).json(), job["id"])
    assert done["status"] == "done"
    written = {path.relative_to(data_dir).parts[0] for path in data_dir.rglob("*")}
    assert written <= {"jobs", "jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm", "server.lock"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("photo 1.png", "photo 1.png"),
        ("\x00\n<script>.png", "___script_.png"),
        ("..", "upload"),
        ("", "upload"),
        ("a" * 300 + ".png", "a" * 100),
    ],
)
def test_upload_names_are_sanitised(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"generator": "magic"}, ("unknown generator 'magic'",)),
        ({"variants": "9"}, ("variants is limited to 4",)),
        ({"faces": "lots"}, ("faces:", "integer")),
        ({"texture_size": "100000"}, ("texture_size is limited to 4096",)),
        ({"height": "-1"}, ("height:",)),
        ({"formats": "glb,fbx"}, ("formats must be",)),
        ({"colour": "red"}, ("colour: unknown field",)),
        ({"adapters": "wood:0.5"}, ("adapters",)),
    ],
)
def test_bad_options_are_refused_with_their_name(client: TestClient, fields: dict, words: tuple) -> None:
    assert_refused(post_picture(client, disc_png(), **fields), 422, *words)


def test_malformed_requests_get_json_errors(client: TestClient) -> None:
    assert_refused(client.post("/api/jobs", json={"file": "x"}), 415, "multipart/form-data")
    assert_refused(client.post("/api/jobs", files={"other": ("a.png", disc_png())}), 422, "'file' field")
    assert_refused(client.post("/api/jobs", data={"file": "not a file"}), 415, "multipart/form-data")
    text_part = {"file": (None, b"not a file"), "other": (None, b"x")}
    assert_refused(client.post("/api/jobs", files=text_part), 422, "'file' field must be a file")
    assert_refused(client.get("/api/jobs?limit=0"), 422, "limit")
    assert_refused(client.get("/api/nothing"), 404, "Not Found")


def test_token_is_required_when_set(data_dir: Path) -> None:
    with TestClient(
        create_app(ServerSettings(data_dir=data_dir, token="s3cret-token")), base_url="http://localhost"
    ) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic czNjcmV0LXRva2Vu"}):
            response = client.get("/api/jobs", headers=headers)
            assert_refused(response, 401, "bearer token")
            assert response.headers["www-authenticate"] == "Bearer"
        assert_refused(post_picture(client, disc_png()), 401, "bearer token")
        good = {"Authorization": "Bearer s3cret-token"}
        assert client.get("/api/jobs", headers=good).status_code == 200
        assert client.get("/api/info", headers=good).json()["auth_required"] is True
        # The page and the API description stay public: they hold no data.
        assert client.get("/").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_full_queue_is_refused_with_503(data_dir: Path) -> None:
    gate, entered = threading.Event(), threading.Event()
    settings = ServerSettings(data_dir=data_dir, max_queued_jobs=1)
    app = create_app(settings, converter_factory=lambda name: GatedConverter(name, gate, entered))
    with TestClient(app, base_url="http://localhost") as client:
        try:
            assert post_picture(client, disc_png()).status_code == 201  # running, held at the gate
            assert entered.wait(30)
            assert post_picture(client, disc_png()).status_code == 201  # queued
            response = post_picture(client, disc_png())
            assert_refused(response, 503, "queue is full")
            assert response.headers["retry-after"] == "30"
        finally:
            gate.set()

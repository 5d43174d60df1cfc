"""The server under hostile and careless use (issue 19): each case answers with a 4xx and a reason."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from serve_helpers import FAST_FIELDS, GatedConverter, disc_png, wait_for_job  # noqa: E402

from lift3d.api import Converter, ConvertOptions  # noqa: E402
from lift3d.cli import main  # noqa: E402
from lift3d.inputs.read import read_picture_bytes  # noqa: E402
from lift3d.serve.app import create_app  # noqa: E402
from lift3d.serve.decode_budget import PEAK_BYTES_PER_PIXEL, DecodeBudget  # noqa: E402
from lift3d.serve.service import enforce_retention  # noqa: E402
from lift3d.serve.settings import ServerSettings  # noqa: E402
from lift3d.serve.store import DONE, QUEUED, JobStore  # noqa: E402
from lift3d.types import Cutout, ShapeMaps  # noqa: E402

LOCAL = "http://localhost"


def post(client: Any, data: bytes | None = None, headers: dict | None = None, **fields: str) -> Any:
    return client.post(
        "/api/jobs",
        files={"file": ("disc.png", data or disc_png(), "image/png")},
        data={**FAST_FIELDS, **fields},
        headers=headers or {},
    )


def assert_refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert "\n" not in message
    for word in words:
        assert word in message, message


# ------------------------------------------------------------------------------- Host and Origin


def test_a_foreign_host_header_is_refused(data_dir: Path) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    with TestClient(create_app(ServerSettings(data_dir=data_dir)), base_url="http://evil.example") as client:
        for path in ("/api/jobs", "/api/info", "/"):
            assert_refused(client.get(path), 400, "evil.example")
        assert_refused(post(client), 400, "does not answer")
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        with TestClient(create_app(ServerSettings(data_dir=data_dir)), base_url=f"http://{host}") as client:
            assert client.get("/api/jobs").status_code == 200, host


def test_the_host_list_is_configurable(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, allowed_hosts=("studio.lan",))
    with TestClient(create_app(settings), base_url="http://studio.lan:8000") as client:
        assert client.get("/api/jobs").status_code == 200
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        assert client.get("/api/jobs").status_code == 400


def test_a_foreign_origin_cannot_queue_list_or_delete(client: TestClient) -> None:
    """Cross-site request forgery: a page elsewhere posting a form to the local server."""
    job = post(client).json()
    for origin in ("https://evil.example", "null", "http://localhost.evil.example"):
        foreign = {"Origin": origin}
        assert_refused(post(client, headers=foreign), 403, "not allowed")
        assert_refused(client.get("/api/jobs", headers=foreign), 403)
        assert_refused(client.delete(f"/api/jobs/{job['id']}", headers=foreign), 403)
    assert (
        post(client, headers={"Origin": "http://localhost:8000"}).status_code == 201
    )  # the studio page itself
    assert client.get(f"/api/jobs/{job['id']}").status_code == 200


def test_an_allowed_origin_may_send_requests(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, allowed_origins=("https://studio.example.org",))
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        assert client.get("/api/jobs", headers={"Origin": "https://studio.example.org"}).status_code == 200
        assert client.get("/api/jobs", headers={"Origin": "https://other.example.org"}).status_code == 403


def test_serving_beyond_localhost_without_a_token_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    assert main(["serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "without --token" in error and "--trust-network" in error


# ------------------------------------------------------------------------------------ ownership


def test_with_tokens_each_holder_sees_and_deletes_only_its_own_jobs(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, token="alice-token", extra_tokens=("bob-token",))
    alice, bob = {"Authorization": "Bearer alice-token"}, {"Authorization": "Bearer bob-token"}
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        job = post(client, headers=alice).json()
        assert [item["id"] for item in client.get("/api/jobs", headers=alice).json()["jobs"]] == [job["id"]]
        assert client.get("/api/jobs", headers=bob).json()["jobs"] == []
        assert_refused(client.get(f"/api/jobs/{job['id']}", headers=bob), 404)
        assert_refused(client.delete(f"/api/jobs/{job['id']}", headers=bob), 404)
        done = wait_for_job(lambda url: client.get(url, headers=alice).json(), job["id"])
        file_url = done["files"][0]["url"]
        assert_refused(client.get(file_url, headers=bob), 404)
        assert client.get(file_url, headers=alice).status_code == 200
        assert client.delete(f"/api/jobs/{job['id']}", headers=alice).status_code == 204
        owners = {row["owner"] for row in _rows(data_dir)}
        assert "alice-token" not in json.dumps(_rows(data_dir))  # the database holds hashes, not tokens
        assert owners <= {""} or all(len(owner) == 16 for owner in owners)


def _rows(data_dir: Path) -> list[dict]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(data_dir / "jobs.sqlite3")) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute("SELECT * FROM jobs")]


# -------------------------------------------------------------------------------- numeric options


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"seed": str(2**64)}, ("seed",)),
        ({"seed": "-1"}, ("seed",)),
        ({"height": "1e308"}, ("height",)),
        ({"height": "1e-300"}, ("height",)),
        ({"height": "inf"}, ("height",)),
        ({"height": "nan"}, ("height",)),
        ({"steps": "1000"}, ("steps is limited to 50",)),
        ({"faces": str(10**12)}, ("faces is limited",)),
    ],
)
def test_unbounded_numbers_are_refused_with_422(client: TestClient, fields: dict, words: tuple) -> None:
    assert_refused(post(client, **fields), 422, *words)


def test_a_tiff_memory_bomb_upload_is_refused_with_422(client: TestClient, tmp_path: Path) -> None:
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "planes.tif"
    tifffile.imwrite(path, np.zeros((100, 8, 8)), planarconfig="separate", photometric="minisblack")
    with tifffile.TiffFile(path, mode="r+b") as tiff:
        tiff.pages[0].tags["ImageWidth"].overwrite(5000)
        tiff.pages[0].tags["ImageLength"].overwrite(5000)
    assert_refused(post(client, path.read_bytes()), 422, "memory bomb")


# ------------------------------------------------------------------------- queue and cancellation


@contextlib.contextmanager
def real_server(settings: ServerSettings, converter_factory: Any = Converter) -> Iterator[str]:
    """A real uvicorn (with the serve command's protocol and limits) in a thread, on a free port."""
    import uvicorn

    from lift3d.serve.cli import header_timeout_protocol

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, converter_factory),
        log_level="warning",
        http=header_timeout_protocol(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600  # start-up imports the model code: minutes on a busy machine
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def test_the_queue_limit_holds_under_concurrent_submissions(data_dir: Path) -> None:
    """16 clients at once against a limit of 5: exactly 5 queued, the rest 503 (before: counted, then added)."""
    gate, entered = threading.Event(), threading.Event()
    settings = ServerSettings(data_dir=data_dir, max_queued_jobs=5)
    with real_server(settings, lambda name: HeldConverter(name, gate, entered)) as base:
        try:
            with httpx.Client(base_url=base) as http:
                assert post(http).status_code == 201
                assert entered.wait(30)  # one running, held

                def submit(_: int) -> int:
                    with httpx.Client(base_url=base, timeout=60) as own:
                        return post(own).status_code

                with ThreadPoolExecutor(16) as pool:
                    codes = list(pool.map(submit, range(48)))
                assert codes.count(201) == 5 and codes.count(503) == 43, codes
                statuses = [job["status"] for job in http.get("/api/jobs?limit=100").json()["jobs"]]
                assert statuses.count("queued") == 5
        finally:
            gate.set()
    assert len(list((data_dir / "jobs").iterdir())) == 6  # refused uploads leave no folder behind


def test_store_admission_is_atomic(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    with ThreadPoolExecutor(16) as pool:
        added = list(pool.map(lambda i: store.add(f"{i:032x}", "x", {}, max_queued=10), range(200)))
    assert sum(job is not None for job in added) == 10 == store.count_queued()
    store.close()


class HeldConverter(GatedConverter):
    """A GatedConverter that waits up to ten minutes, so a slow machine cannot free the worker early."""

    def convert(self, image: Any, options: ConvertOptions, timer: Any = None) -> Any:
        self.entered.set()
        assert self.gate.wait(600), "the test never opened the gate"
        return super().convert(image, options, timer)


class EndlessConverter(Converter):
    """An inflate converter whose generate stage would run for two minutes (a stand-in for 1000 steps)."""

    def __init__(self, generator: str, entered: threading.Event, finished: list) -> None:
        super().__init__("inflate")
        self.entered, self.finished = entered, finished

    def shape_maps(self, cutout: Cutout, options: ConvertOptions, seed: int) -> ShapeMaps:
        self.entered.set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sum(range(1000))  # Python work, as a sampling loop does between its C calls
        self.finished.append(True)
        return super().shape_maps(cutout, options, seed)


def test_delete_stops_a_running_stage(data_dir: Path) -> None:
    entered, finished = threading.Event(), []
    app = create_app(
        ServerSettings(data_dir=data_dir), lambda name: EndlessConverter(name, entered, finished)
    )
    with TestClient(app, base_url=LOCAL) as client:
        job = post(client).json()
        assert entered.wait(60)
        assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
        deadline = time.monotonic() + 20  # the stage would otherwise run for 120 s
        while _rows(data_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _rows(data_dir) == [] and not (data_dir / "jobs" / job["id"]).exists()
        assert finished == []
        # The worker is free again: the next job runs to the end.
        entered.clear()
        assert post(client).status_code == 201
        assert entered.wait(60)


def test_stopping_the_server_interrupts_a_running_stage_and_requeues_it(data_dir: Path) -> None:
    entered, finished = threading.Event(), []
    app = create_app(
        ServerSettings(data_dir=data_dir), lambda name: EndlessConverter(name, entered, finished)
    )
    started = time.monotonic()
    with TestClient(app, base_url=LOCAL) as client:
        post(client)
        assert entered.wait(60)
    assert time.monotonic() - started < 100  # the stage alone would take 120 s
    assert finished == [] and [row["status"] for row in _rows(data_dir)] == [QUEUED]


# --------------------------------------------------------------------------------------- timeouts


def test_a_half_sent_request_head_is_closed(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, header_timeout_s=0.5)
    with real_server(settings) as base:
        port = int(base.rsplit(":", 1)[1])
        with (
            socket.create_connection(("127.0.0.1", port), timeout=30) as idle,
            socket.create_connection(("127.0.0.1", port), timeout=30) as half,
        ):
            half.sendall(b"GET /api/jobs HTTP/1.1\r\nHost: localhost\r\n")  # never finished
            assert idle.recv(100) == b""  # closed by the server, not by our 30 s timeout
            assert half.recv(100) == b""


def test_a_trickled_upload_times_out_with_408(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, request_timeout_s=1.0)
    with real_server(settings) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                b"POST /api/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 100000\r\n\r\n--b\r\n"
            )
            reply = connection.recv(1000)
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert b"did not arrive within 1 s" in reply


# ------------------------------------------------------------------------- retention and leftovers


def test_retention_removes_old_jobs_then_the_oldest_over_quota(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, keep_days=7, max_disk_gb=2.5 / 1024)  # 2.5 MiB
    (data_dir / "jobs").mkdir(parents=True)
    store = JobStore(settings.database_path)
    now = time.time()
    ages_days = {"a" * 32: 10, "b" * 32: 3, "c" * 32: 2, "d" * 32: 1}
    for job_id, age in ages_days.items():
        store.add(job_id, "x.png", {})
        store.claim_next()
        store.finish(job_id, ["model_0.glb"])
        store._connection.execute("UPDATE jobs SET finished_at = ? WHERE id = ?", (now - age * 86400, job_id))
        (data_dir / "jobs" / job_id).mkdir()
        (data_dir / "jobs" / job_id / "model_0.glb").write_bytes(b"\0" * 1024 * 1024)
    store.add("e" * 32, "queued.png", {})  # queued: never removed
    (data_dir / "jobs" / ("e" * 32)).mkdir()
    (data_dir / "jobs" / ("e" * 32) / "upload").write_bytes(b"\0" * 1024 * 1024)
    removed = enforce_retention(settings, store, now)
    assert removed == ["a" * 32, "b" * 32, "c" * 32]  # past 7 days, then the oldest until under 2.5 MiB
    assert {job.id for job in store.recent()} == {"d" * 32, "e" * 32}
    assert sorted(path.name for path in (data_dir / "jobs").iterdir()) == ["d" * 32, "e" * 32]
    assert store.get("d" * 32).status == DONE  # type: ignore[union-attr]
    store.close()


def test_temporary_files_left_by_a_killed_save_are_removed_at_start(data_dir: Path) -> None:
    with TestClient(create_app(ServerSettings(data_dir=data_dir)), base_url=LOCAL) as client:
        job = wait_for_job(lambda url: client.get(url).json(), post(client).json()["id"])
    leftover = data_dir / "jobs" / job["id"] / ".model_0.glb.k3j9x2.glb"
    leftover.write_bytes(b"\0" * 8 * 1024 * 1024)
    with TestClient(create_app(ServerSettings(data_dir=data_dir)), base_url=LOCAL) as client:
        assert not leftover.exists()
        assert client.get(job["files"][0]["url"]).status_code == 200  # results are kept


# ------------------------------------------------------------------------- memory of big uploads


def big_png(side_px: int) -> bytes:
    """A big picture that compresses to a few hundred KB: its decode, not its upload, costs memory."""
    rgba = np.zeros((side_px, side_px, 4), np.uint8)
    rgba[side_px // 4 : -side_px // 4, side_px // 4 : -side_px // 4] = (200, 60, 40, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    return stream.getvalue()


def test_the_decode_budget_estimates_from_the_header() -> None:
    budget = DecodeBudget(10**9)
    assert budget.estimate(big_png(1000)) == 1000 * 1000 * PEAK_BYTES_PER_PIXEL
    assert budget.estimate(b"not a picture") == 10**9  # unknown: decoded alone


def test_concurrent_big_uploads_decode_within_the_memory_budget(data_dir: Path, monkeypatch) -> None:
    """Issue 19.8: 16 x 49 MP uploads took a server to 2.9 GB, two upload decodes plus a worker's
    read at ~630 MB each. Big decodes now wait for the budget; small ones still overlap."""
    import lift3d.serve.app as app_module

    in_flight, peak, lock = [0], [0], threading.Lock()

    def counted_read(*args: Any, **kwargs: Any) -> Any:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            time.sleep(0.3)  # hold the decode long enough for the others to arrive
            return read_picture_bytes(*args, **kwargs)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(app_module, "read_picture_bytes", counted_read)
    gate, entered = threading.Event(), threading.Event()
    # Four threads may decode at once, but a 2000 x 2000 picture is an estimated 52 MB of a 64 MB budget.
    settings = ServerSettings(data_dir=data_dir, decode_concurrency=4, decode_memory_mb=64)
    big = big_png(2000)
    with real_server(settings, lambda name: HeldConverter(name, gate, entered)) as base:
        try:

            def submit(data: bytes) -> int:
                with httpx.Client(base_url=base, timeout=120) as own:
                    return post(own, data).status_code

            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(submit, [big] * 8))
            assert codes == [201] * 8
            assert peak[0] == 1, peak  # one big decode at a time (before: four)
            peak[0] = 0
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(submit, [disc_png()] * 8))
            assert codes == [201] * 8 and peak[0] >= 2, peak  # small pictures decode side by side
        finally:
            gate.set()


def test_big_decodes_on_many_threads_hand_their_memory_back(tmp_path: Path) -> None:
    """glibc kept each thread's freed decode in its arena: serial big decodes on six threads
    stayed resident (2.2 GB for 49 MP pictures). Run in a fresh process to read its own RSS."""
    script = tmp_path / "decodes.py"
    script.write_text(
        "import sys, threading\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from lift3d.inputs.read import read_picture_bytes\n"
        "from lift3d.serve.decode_budget import DecodeBudget\n"
        "def rss_mb():\n"
        "    line = next(l for l in open('/proc/self/status') if l.startswith('VmRSS:'))\n"
        "    return int(line.split()[1]) // 1024\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "budget, lock = DecodeBudget(1 << 40), threading.Lock()\n"
        "def decode(_):\n"
        "    with lock, budget.reserve(data):\n"
        "        read_picture_bytes(data, 'big.png')\n"
        "before = rss_mb()\n"
        "with ThreadPoolExecutor(6) as pool:\n"
        "    list(pool.map(decode, range(6)))\n"
        "print(rss_mb() - before)\n"
    )
    picture = tmp_path / "big.png"
    picture.write_bytes(big_png(4000))  # 16 MP: about 200 MB at the peak of each decode
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    result = subprocess.run(
        [sys.executable, str(script), str(picture)], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 150, f"{result.stdout.strip()} MB still resident after the decodes"

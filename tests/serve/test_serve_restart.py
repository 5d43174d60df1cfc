"""Nothing is lost across restarts: queued and interrupted jobs finish, finished results stay."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the studio extra is not installed: pip install 'lift3d[studio]'")
pytest.importorskip("httpx", reason="the TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402
from serve_helpers import FAST_FIELDS, disc_png, wait_for_job  # noqa: E402

from lift3d.errors import Lift3DError  # noqa: E402
from lift3d.serve.app import create_app  # noqa: E402
from lift3d.serve.service import open_service  # noqa: E402
from lift3d.serve.settings import ServerSettings  # noqa: E402
from lift3d.serve.store import MAX_ATTEMPTS, JobStore  # noqa: E402


def submit(client: TestClient, name: str) -> str:
    response = client.post("/api/jobs", files={"file": (name, disc_png(), "image/png")}, data=FAST_FIELDS)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_restart_mid_queue_finishes_every_job_and_keeps_old_results(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir, workers=1)
    with TestClient(create_app(settings), base_url="http://localhost") as client:
        finished = submit(client, "before.png")
        wait_for_job(lambda url: client.get(url).json(), finished)
        glb_before = client.get(f"/api/jobs/{finished}/files/model_0.glb").content
        pending = [submit(client, f"pending{index}.png") for index in range(3)]
        wait_for_job(lambda url: client.get(url).json(), pending[0], until=("running",))
        statuses = [client.get(f"/api/jobs/{job_id}").json()["status"] for job_id in pending]
        assert statuses[1:] == ["queued", "queued"]
    # The server stopped with one job running and two queued; nothing ran meanwhile.
    store = JobStore(settings.database_path)
    try:
        left = {job_id: store.get(job_id) for job_id in pending}
        assert all(job is not None and job.status in ("queued", "running") for job in left.values())
        assert store.get(finished).status == "done"  # type: ignore[union-attr]
    finally:
        store.close()

    with TestClient(create_app(settings), base_url="http://localhost") as client:
        for job_id in pending:
            job = wait_for_job(lambda url: client.get(url).json(), job_id)
            assert job["status"] == "done", job["error"]
            assert client.get(f"/api/jobs/{job_id}/files/model_0.glb").status_code == 200
        assert client.get(f"/api/jobs/{finished}/files/model_0.glb").content == glb_before
        assert len(client.get("/api/jobs").json()["jobs"]) == 4


def test_jobs_running_at_a_crash_are_requeued_and_a_poison_job_eventually_fails(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    try:
        store.add("a" * 32, "a.png", {})
        store.add("b" * 32, "b.png", {})
        assert store.claim_next().id == "a" * 32  # type: ignore[union-attr]
        # A crash: the row stays "running" with nobody working on it.
        recovery = store.recover()
        assert recovery.requeued == ["a" * 32] and recovery.failed == []
        assert store.get("a" * 32).status == "queued"  # type: ignore[union-attr]
        for _ in range(2, MAX_ATTEMPTS + 1):  # the same job crashes the server again and again
            assert store.claim_next().id == "a" * 32  # type: ignore[union-attr]
            recovery = store.recover()
        job = store.get("a" * 32)
        assert recovery.failed == ["a" * 32] and job is not None and job.status == "failed"
        assert "stopped 3 times" in (job.error or "")
        assert store.claim_next().id == "b" * 32  # type: ignore[union-attr]
    finally:
        store.close()


def test_database_is_a_wal_sqlite_file(data_dir: Path) -> None:
    service = open_service(ServerSettings(data_dir=data_dir))
    try:
        store = service.store
        assert store.path == data_dir / "jobs.sqlite3" and store.path.is_file()
        with store._lock:
            assert store._connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        service.close()


def test_a_second_server_on_the_same_data_dir_is_refused(data_dir: Path) -> None:
    first = open_service(ServerSettings(data_dir=data_dir))
    try:
        with pytest.raises(Lift3DError, match="in use by another lift3d server"):
            open_service(ServerSettings(data_dir=data_dir))
    finally:
        first.close()
    open_service(ServerSettings(data_dir=data_dir)).close()  # free again once the first has stopped

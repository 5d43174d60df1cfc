"""`lift3d serve` as a user runs it: its errors, and a real server process killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lift3d.cli import main


def test_missing_studio_packages_give_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "fastapi" else real_find_spec(name, *args),
    )
    assert main(["serve", "--data-dir", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "pip install 'lift3d[studio]'" in error and "fastapi" in error


def test_bad_settings_are_one_line_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="the studio extra is not installed")
    assert main(["serve", "--data-dir", str(tmp_path), "--workers", "0"]) == 2
    assert "workers must be" in capsys.readouterr().err
    assert main(["serve", "--data-dir", str(tmp_path), "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err
    assert main(["serve", "--data-dir", str(tmp_path), "--token", "has space"]) == 2
    assert "token" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`python -m lift3d.cli serve` in a child process, on a loopback port."""

    def __init__(self, data_dir: Path, token: str = "") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LIFT3D_TOKEN": token}
        command = [
            sys.executable,
            "-m",
            "lift3d.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
        ]
        self.log = data_dir.parent / f"server-{self.port}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.token = token

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None) -> dict:
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        """Starting imports the model code, which takes a while on a busy machine."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log.read_text()}")
            try:
                self.request("/api/info")
                return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise AssertionError(f"server not ready after {timeout_s} s:\n{self.log.read_text()}")

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout_s)


def multipart(picture: bytes, fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    boundary = "lift3d-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="disc.png"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + picture
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def start_server() -> Iterator[Callable[..., ServerProcess]]:
    """Start servers that are killed at the end of the test, even when it fails."""
    started: list[ServerProcess] = []

    def start(data_dir: Path, token: str = "") -> ServerProcess:
        server = ServerProcess(data_dir, token)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(10)


@pytest.mark.slow
def test_killed_server_restarts_and_finishes_its_queue(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    pytest.importorskip("fastapi", reason="the studio extra is not installed")
    from serve_helpers import FAST_FIELDS, disc_png, wait_for_job

    data_dir = tmp_path / "studio"
    first = start_server(data_dir, token="t0ken")
    body, headers = multipart(disc_png(), FAST_FIELDS)
    job_ids = [first.request("/api/jobs", body, headers)["id"] for _ in range(3)]
    wait_for_job(first.request, job_ids[0], until=("running", "done"))
    first.stop(signal.SIGKILL)  # a crash: no shutdown code runs

    second = start_server(data_dir, token="t0ken")
    for job_id in job_ids:
        job = wait_for_job(second.request, job_id, timeout_s=120)
        assert job["status"] == "done", f"{job}\n{second.log.read_text()}"
    assert second.stop(signal.SIGINT) == 0  # Ctrl-C stops it cleanly
    assert "Traceback" not in second.log.read_text()

"""Pictures, options and waiting helpers shared by the server tests (imported by name)."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lift3d.api import Converter, ConvertOptions, StageTimer
from lift3d.types import Asset

# Small everything: a conversion with these takes about a second on one core.
FAST_FIELDS = {"generator": "inflate", "faces": "2000", "texture_size": "128", "formats": "glb"}


def disc_png(size_px: int = 96, colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A coloured disc on a transparent background: the alpha is the object mask."""
    rows, cols = np.mgrid[0:size_px, 0:size_px]
    centre, radius = size_px / 2, size_px * 0.32
    rgba = np.zeros((size_px, size_px, 4), dtype=np.uint8)
    rgba[(rows - centre) ** 2 + (cols - centre) ** 2 < radius**2] = (*colour, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    return stream.getvalue()


def wait_for_job(
    get_json: Callable[[str], dict[str, Any]],
    job_id: str,
    timeout_s: float = 60.0,
    until: tuple = ("done", "failed"),
) -> dict[str, Any]:
    """Poll a job until its status is one of `until`; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = get_json(f"/api/jobs/{job_id}")
        if job.get("status") in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.get('status')} after {timeout_s} s: {job}")
        time.sleep(0.1)


class GatedConverter(Converter):
    """A real inflate converter that holds each conversion after its cutout until `gate` opens.

    Lets a test catch a job while it is running, deterministically.
    """

    def __init__(self, generator: str, gate: threading.Event, entered: threading.Event) -> None:
        super().__init__("inflate")
        self.gate, self.entered = gate, entered

    def convert(self, image: Any, options: ConvertOptions, timer: StageTimer | None = None) -> list[Asset]:
        timer = timer or StageTimer()
        original = timer.on_stage

        def on_stage(name: str) -> None:
            if original:
                original(name)
            if name == "generate":
                self.entered.set()
                assert self.gate.wait(30), "the test never opened the gate"

        timer.on_stage = on_stage
        return super().convert(image, options, timer)


@contextlib.contextmanager
def running_server(data_dir: Path, token: str) -> Iterator[str]:
    """A real uvicorn serving `create_app` in a thread of this process, on a port the kernel picks.

    Yields the base URL (no trailing slash); the server stops when the block ends.
    """
    import uvicorn

    from lift3d.serve.app import create_app
    from lift3d.serve.settings import ServerSettings

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = create_app(ServerSettings(data_dir=data_dir, token=token))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()

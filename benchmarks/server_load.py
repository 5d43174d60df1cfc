"""Server load: M jobs from N concurrent clients against one `lift3d serve` process on 127.0.0.1.

Starts the real server command in a child process (one worker, a fresh data folder) and
drives it with N client threads. Each client submits its share of the jobs one after
another (after a full-queue 503 it waits 5 s), polling the jobs it got accepted every 2 s
until they finish. Reported: jobs lost (accepted, then failed or gone), 503 answers, the most jobs
ever seen queued against the server's limit, the server's peak resident memory (VmHWM),
and p50/p95 latency of submissions, status reads and whole jobs. Prints a table and writes
benchmarks/results/server_load.json. Bounded: at most --jobs jobs and --timeout-s seconds.

    python benchmarks/server_load.py [--clients 16] [--jobs 200] [--timeout-s 900]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
HOST = "127.0.0.1"  # never anything else: this is a load test of the local machine
FIELDS = {"generator": "inflate", "faces": "1000", "texture_size": "64", "formats": "glb"}


def pictures(count: int, size_px: int = 96) -> list[bytes]:
    """Small coloured ellipses on transparent backgrounds, each a little different."""
    rows, cols = np.mgrid[0:size_px, 0:size_px]
    centre = size_px / 2
    result = []
    for index in range(count):
        rng = np.random.default_rng(index)
        radius_x, radius_y = rng.uniform(0.2, 0.4, 2) * size_px
        rgba = np.zeros((size_px, size_px, 4), np.uint8)
        inside = ((cols - centre) / radius_x) ** 2 + ((rows - centre) / radius_y) ** 2 <= 1
        rgba[inside] = (*rng.integers(20, 220, 3), 255)
        stream = io.BytesIO()
        Image.fromarray(rgba).save(stream, format="PNG")
        result.append(stream.getvalue())
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share)) if values else float("nan")


def peak_memory_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Load:
    """Shared tallies of the client threads (appends are atomic under the GIL; counters locked)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.submit_s: list[float] = []
        self.status_s: list[float] = []
        self.job_s: list[float] = []
        self.refused = 0
        self.transport_errors = 0
        self.accepted: list[str] = []
        self.finished: dict[str, str] = {}
        self.errors: list[str] = []


def client(base: str, jobs: list[bytes], load: Load, deadline: float) -> None:
    """Submit every picture (waiting 5 s after a full-queue answer) while polling those accepted every 2 s."""
    pending = list(jobs)
    mine: dict[str, float] = {}
    next_submit = next_poll = 0.0
    with httpx.Client(base_url=base, timeout=60) as http:
        while (pending or mine) and time.monotonic() < deadline:
            now = time.monotonic()
            try:
                if pending and now >= next_submit:
                    started = time.perf_counter()
                    response = http.post(
                        "/api/jobs", files={"file": ("shape.png", pending[0], "image/png")}, data=FIELDS
                    )
                    if response.status_code == 503:
                        with load.lock:
                            load.refused += 1
                        next_submit = now + 5.0
                    elif response.status_code == 201:
                        load.submit_s.append(time.perf_counter() - started)
                        job_id = response.json()["id"]
                        mine[job_id] = time.perf_counter()
                        load.accepted.append(job_id)
                        pending.pop(0)
                    else:
                        load.errors.append(f"{response.status_code}: {response.text[:200]}")
                        pending.pop(0)
                    continue
                if mine and now >= next_poll:
                    for job_id in list(mine):
                        started = time.perf_counter()
                        job = http.get(f"/api/jobs/{job_id}").json()
                        load.status_s.append(time.perf_counter() - started)
                        if job.get("status") in ("done", "failed"):
                            load.job_s.append(time.perf_counter() - mine.pop(job_id))
                            load.finished[job_id] = job["status"]
                            if job["status"] == "failed":
                                load.errors.append(f"job failed: {job.get('error')}")
                    next_poll = now + 2.0
            except httpx.TransportError as error:  # a dropped connection: count it, then try again
                with load.lock:
                    load.transport_errors += 1
                    if len(load.errors) < 10:
                        load.errors.append(f"{type(error).__name__}: {error}")
                time.sleep(1.0)
                continue
            time.sleep(0.2)


def watch(pid: int, base: str, stop: threading.Event, samples: dict) -> None:
    """Sample the server's memory and queue length every second."""
    with httpx.Client(base_url=base, timeout=60) as http:
        while not stop.is_set():
            try:
                samples["rss_mb"], samples["peak_rss_mb"] = peak_memory_mb(pid)
                queued = http.get("/api/info").json()["queued_jobs"]
                samples["max_queued_seen"] = max(samples.get("max_queued_seen", 0), queued)
            except (OSError, httpx.HTTPError, KeyError):
                pass
            stop.wait(1.0)


def final_statuses(base: str, accepted: list[str]) -> dict[str, str]:
    """What the server says of every accepted job at the end ('missing' if it has no such job)."""
    statuses = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for job_id in accepted:
            response = http.get(f"/api/jobs/{job_id}")
            statuses[job_id] = response.json()["status"] if response.status_code == 200 else "missing"
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--timeout-s", type=float, default=900.0)
    args = parser.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.jobs <= 1000 and 0 < args.timeout_s <= 3600):
        parser.error("at most 64 clients, 1000 jobs and an hour")

    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="lift3d-load-") as folder:
        log_path = Path(folder) / "server.log"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LIFT3D_TOKEN": ""}
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
        command = [sys.executable, "-m", "lift3d.cli", "serve", "--host", HOST, "--port", str(port)]
        command += ["--data-dir", str(Path(folder) / "data"), "--workers", "1"]
        with log_path.open("wb") as log:
            server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            # Start-up imports torch and diffusers: minutes on a busy machine.
            ready_by = time.monotonic() + 600
            while True:
                try:
                    limits = httpx.get(f"{base}/api/info", timeout=5).json()["limits"]
                    break
                except httpx.HTTPError:
                    if server.poll() is not None or time.monotonic() > ready_by:
                        raise SystemExit(f"the server did not start:\n{log_path.read_text()}") from None
                    time.sleep(0.3)
            idle_mb = peak_memory_mb(server.pid)[0]
            load, samples, stop = Load(), {}, threading.Event()
            work = pictures(args.jobs)
            shares = [work[index :: args.clients] for index in range(args.clients)]
            started = time.monotonic()
            deadline = started + args.timeout_s
            watcher = threading.Thread(target=watch, args=(server.pid, base, stop, samples), daemon=True)
            watcher.start()
            threads = [
                threading.Thread(target=client, args=(base, share, load, deadline)) for share in shares
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stop.set()
            watcher.join()
            wall_s = time.monotonic() - started
            samples["rss_mb"], samples["peak_rss_mb"] = peak_memory_mb(server.pid)
            statuses = final_statuses(base, load.accepted)
        finally:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(60)
    done = sum(status == "done" for status in statuses.values())
    result = {
        "clients": args.clients,
        "jobs": args.jobs,
        "accepted": len(load.accepted),
        "done": done,
        "failed": sum(status == "failed" for status in statuses.values()),
        # accepted, then gone or failed: the number that must be 0
        "lost": sum(status in ("missing", "failed") for status in statuses.values()),
        "unfinished_at_deadline": sum(status in ("queued", "running") for status in statuses.values()),
        "not_submitted_by_deadline": args.jobs - len(load.accepted),
        "transport_errors": load.transport_errors,
        "refused_503": load.refused,
        "queue_limit": limits["max_queued_jobs"],
        "max_queued_seen": samples.get("max_queued_seen", 0),
        "server_idle_rss_mb": round(idle_mb, 1),
        "server_peak_rss_mb": round(samples["peak_rss_mb"], 1),
        "wall_s": round(wall_s, 1),
        "jobs_per_min": round(60 * done / wall_s, 1),
        "submit_p50_ms": round(1000 * percentile(load.submit_s, 50), 1),
        "submit_p95_ms": round(1000 * percentile(load.submit_s, 95), 1),
        "status_p50_ms": round(1000 * percentile(load.status_s, 50), 1),
        "status_p95_ms": round(1000 * percentile(load.status_s, 95), 1),
        "job_p50_s": round(percentile(load.job_s, 50), 1),
        "job_p95_s": round(percentile(load.job_s, 95), 1),
        "errors": load.errors[:10],
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "server_load.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["lost"] == 0 and result["max_queued_seen"] <= result["queue_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""A batch killed with kill -9 and started again redoes nothing finished and loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import trimesh
from batch_pictures import FAST_FLAGS, write_bad_pictures, write_pictures

from lift3d.batch import EXIT_SOME_FAILED

GOOD, BAD = 28, 2
LINES_BEFORE_KILL = 6


def manifest_records(output_dir: Path) -> list[dict]:
    """Every whole line of the manifest (a torn last line is skipped, as the batch does)."""
    records = []
    for line in (output_dir / "manifest.jsonl").read_bytes().split(b"\n"):
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def children_of(pid: int) -> list[int]:
    """Direct child processes (Linux /proc), e.g. the pool's workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def is_running(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "zombie" not in state


@pytest.mark.slow
def test_kill_9_midway_then_rerun_converts_each_picture_exactly_once(tmp_path: Path) -> None:
    input_dir, output_dir = tmp_path / "pictures", tmp_path / "assets"
    write_pictures(input_dir, GOOD)
    bad = write_bad_pictures(input_dir)
    (input_dir / "notes.txt").write_text("not matched by the default patterns")
    command = [sys.executable, "-m", "lift3d.cli", "batch", str(input_dir), str(output_dir)]
    command += [*FAST_FLAGS, "--workers", "2", "--quiet"]

    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    manifest = output_dir / "manifest.jsonl"
    while not (manifest.exists() and len(manifest_records(output_dir)) >= LINES_BEFORE_KILL):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the batch wrote too few manifest lines in 120 s"
        time.sleep(0.05)
    workers = children_of(first.pid)
    first.send_signal(signal.SIGKILL)
    first.communicate()

    before = manifest_records(output_dir)
    assert LINES_BEFORE_KILL <= len(before) < GOOD + BAD, "the kill must land midway"
    done_before = {record["input"]: record for record in before if record["status"] == "ok"}
    stats_before = {}
    for record in done_before.values():
        for output in record["outputs"]:
            status = (output_dir / output).stat()
            stats_before[output] = (status.st_ino, status.st_mtime_ns)
    # Orphaned workers notice their parent is gone and exit instead of converting for nobody.
    deadline = time.monotonic() + 10
    while any(is_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(is_running(pid) for pid in workers)

    # Resumed in one process: the pool was exercised above, and spawning it costs time here.
    command[command.index("--workers") + 1] = "1"
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == EXIT_SOME_FAILED, second.stderr
    assert f"{len(done_before)} done earlier" in second.stdout

    records = manifest_records(output_dir)
    latest = {record["input"]: record for record in records}
    assert len(latest) == GOOD + BAD
    ok_lines = Counter(record["input"] for record in records if record["status"] == "ok")
    assert len(ok_lines) == GOOD and set(ok_lines.values()) == {1}, "a picture was converted twice"
    failed_lines = Counter(record["input"] for record in records if record["status"] == "failed")
    bad_inputs = {path.relative_to(input_dir).as_posix() for path in bad}
    assert failed_lines == Counter({name: 1 for name in bad_inputs})
    for name in bad_inputs:
        assert name in latest[name]["error"] and "\n" not in latest[name]["error"]
        assert latest[name]["outputs"] == []

    for name, record in latest.items():
        if record["status"] != "ok":
            continue
        stem = Path(name).with_suffix("").as_posix()
        assert record["outputs"] == [f"{stem}.glb", f"{stem}.lift3d.json"]
        mesh = trimesh.load(output_dir / f"{stem}.glb", force="mesh")
        assert len(mesh.faces) == record["faces"] <= 2000
        assert record["settings"]["max_faces"] == 2000 and record["settings"]["format"] == "glb"
        assert record["input_bytes"] == (input_dir / name).stat().st_size
    for output, stat in stats_before.items():
        status = (output_dir / output).stat()
        assert (status.st_ino, status.st_mtime_ns) == stat, f"{output} was rewritten"

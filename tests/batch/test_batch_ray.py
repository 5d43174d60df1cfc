"""A batch on Ray (a local two-CPU instance) writes exactly what the local batch writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_pictures import FAST_OPTIONS, write_bad_pictures, write_frames, write_pictures, write_plan

from lift3d.batch import BatchOptions, run_batch
from lift3d.batch.manifest import MANIFEST_NAME
from lift3d.errors import OptionError

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'lift3d[cluster]')")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # "local": a private instance, never a cluster someone else started on this machine.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


def outputs(output_dir: Path) -> dict[str, bytes]:
    return {
        path.relative_to(output_dir).as_posix(): path.read_bytes()
        for path in output_dir.rglob("*")
        if path.is_file() and path.name != MANIFEST_NAME
    }


def results(output_dir: Path) -> dict[str, tuple[str, int, list[str]]]:
    lines = (output_dir / MANIFEST_NAME).read_text().splitlines()
    return {r["input"]: (r["status"], r["faces"], r["outputs"]) for r in map(json.loads, lines)}


@pytest.mark.slow
def test_ray_batch_matches_the_local_batch(tmp_path: Path, local_ray: None) -> None:
    input_dir = tmp_path / "pictures"
    write_pictures(input_dir, 5)
    write_bad_pictures(input_dir)
    write_frames(input_dir / "chairs" / "spin.frames", 3)  # a folder sent to an actor as its files' bytes
    write_plan(input_dir / "house.plan.png")
    local = run_batch(BatchOptions(input_dir, tmp_path / "local"), FAST_OPTIONS)
    on_ray = run_batch(BatchOptions(input_dir, tmp_path / "ray", ray_address="auto", workers=2), FAST_OPTIONS)

    assert (on_ray.converted, on_ray.failed) == (local.converted, local.failed) == (7, 2)
    assert results(tmp_path / "ray") == results(tmp_path / "local")
    assert outputs(tmp_path / "ray") == outputs(tmp_path / "local")  # byte for byte
    assert ray.is_initialized()  # a session the caller started is left running

    resumed = run_batch(BatchOptions(input_dir, tmp_path / "ray", ray_address="auto"), FAST_OPTIONS)
    assert (resumed.converted, resumed.done_before, resumed.failed_before) == (0, 7, 2)


def test_actor_bigger_than_any_machine_is_refused(tmp_path: Path, local_ray: None) -> None:
    write_pictures(tmp_path / "pictures", 1)
    batch = BatchOptions(tmp_path / "pictures", tmp_path / "assets", ray_address="auto", cpus_per_worker=3)
    with pytest.raises(OptionError, match="more than any Ray machine has"):
        run_batch(batch, FAST_OPTIONS)

"""When a batch converts a picture again, and what it writes: the rules a user relies on to resume."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import trimesh
from batch_pictures import FAST_OPTIONS, write_bad_pictures, write_pictures

from lift3d.batch import EXIT_SOME_FAILED, BatchOptions, run_batch
from lift3d.batch import work as batch_work
from lift3d.batch.manifest import MANIFEST_NAME


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    input_dir, output_dir = tmp_path / "pictures", tmp_path / "assets"
    write_pictures(input_dir, 3)
    return input_dir, output_dir


def manifest_lines(output_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (output_dir / MANIFEST_NAME).read_text().splitlines()]


def test_obj_outputs_mirror_the_input_tree_with_provenance(folders: tuple[Path, Path]) -> None:
    input_dir, output_dir = folders
    summary = run_batch(BatchOptions(input_dir, output_dir, format="obj"), FAST_OPTIONS)
    assert (summary.converted, summary.failed, summary.exit_code) == (3, 0, 0)
    for line in manifest_lines(output_dir):
        stem = Path(line["input"]).with_suffix("").as_posix()
        assert sorted(line["outputs"]) == sorted(
            f"{stem}{suffix}" for suffix in (".obj", ".mtl", "_basecolor.png", ".lift3d.json")
        )
        mesh = trimesh.load(output_dir / f"{stem}.obj", force="mesh")
        assert len(mesh.faces) == line["faces"]
        provenance = json.loads((output_dir / f"{stem}.lift3d.json").read_text())
        assert provenance["source"] == line["input"] and provenance["options"]["max_faces"] == 2000


def test_rerun_redoes_only_what_changed(folders: tuple[Path, Path]) -> None:
    input_dir, output_dir = folders
    batch = BatchOptions(input_dir, output_dir)
    first = (
        {line["input"]: line for line in manifest_lines(output_dir)} if run_batch(batch, FAST_OPTIONS) else {}
    )
    names = sorted(first)

    untouched = run_batch(batch, FAST_OPTIONS)
    assert (untouched.converted, untouched.done_before) == (0, 3)

    source = input_dir / names[0]
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))  # picture replaced
    (output_dir / first[names[1]]["outputs"][0]).unlink()  # output deleted by hand
    partly = run_batch(batch, FAST_OPTIONS)
    assert (partly.converted, partly.done_before) == (2, 1)
    assert [line["input"] for line in manifest_lines(output_dir)[3:]] == names[:2]

    reseeded = run_batch(batch, replace(FAST_OPTIONS, seed=7))
    assert (reseeded.converted, reseeded.done_before) == (3, 0)


def test_failed_pictures_are_skipped_until_retry_failed(folders: tuple[Path, Path]) -> None:
    input_dir, output_dir = folders
    write_bad_pictures(input_dir)
    batch = BatchOptions(input_dir, output_dir)
    summary = run_batch(batch, FAST_OPTIONS)
    assert (summary.converted, summary.failed, summary.exit_code) == (3, 2, EXIT_SOME_FAILED)
    assert {record.input for record in summary.failures} == {"truncated.png", "mugs/blank.png"}

    again = run_batch(batch, FAST_OPTIONS)
    assert (again.converted, again.failed, again.failed_before, again.exit_code) == (
        0,
        0,
        2,
        EXIT_SOME_FAILED,
    )
    retried = run_batch(replace(batch, retry_failed=True), FAST_OPTIONS)
    assert (retried.failed, retried.failed_before, retried.done_before) == (2, 0, 3)
    assert len(manifest_lines(output_dir)) == 7


def test_an_unexpected_error_fails_one_picture_with_its_traceback(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    input_dir, output_dir = folders
    real_convert = batch_work.export_to_bytes

    def export_or_crash(assets: list, output_stem: str, file_format: str) -> dict[str, bytes]:
        if output_stem.endswith("object01"):
            raise ZeroDivisionError("a bug")
        return real_convert(assets, output_stem, file_format)

    monkeypatch.setattr(batch_work, "export_to_bytes", export_or_crash)
    summary = run_batch(BatchOptions(input_dir, output_dir), FAST_OPTIONS)
    assert (summary.converted, summary.failed) == (2, 1)
    [failure] = [line for line in manifest_lines(output_dir) if line["status"] == "failed"]
    assert failure["error"].startswith("unexpected ZeroDivisionError") and "a bug" in failure["error"]
    assert "Traceback" in failure["traceback"]
    assert not (output_dir / "chairs" / "object01.glb").exists()

"""The manifest survives a crash mid-write: a torn last line is dropped, never glued to the next one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_pictures import FAST_OPTIONS, write_pictures

from lift3d.batch import BatchOptions, run_batch
from lift3d.batch.manifest import MANIFEST_NAME, ItemRecord, Manifest
from lift3d.errors import OutputError


def record(name: str, status: str = "ok") -> ItemRecord:
    return ItemRecord(input=name, status=status, outputs=(f"{name}.glb",), settings={"seed": 0}, faces=10)


def lines(folder: Path) -> list[dict]:
    text = (folder / MANIFEST_NAME).read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_torn_last_line_is_dropped_and_the_next_append_is_whole(tmp_path: Path) -> None:
    with Manifest(tmp_path) as manifest:
        manifest.append(record("a"))
        manifest.append(record("b"))
    path = tmp_path / MANIFEST_NAME
    path.write_bytes(path.read_bytes() + record("c").to_line()[:25])  # kill -9 mid-write

    with Manifest(tmp_path) as manifest:
        assert set(manifest.records) == {"a", "b"}
        assert manifest.dropped_torn_line and manifest.ignored_lines == 0
        manifest.append(record("d", "failed"))
    assert [line["input"] for line in lines(tmp_path)] == ["a", "b", "d"]


def test_whole_last_record_without_newline_is_kept(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_bytes(record("a").to_line().rstrip(b"\n"))
    with Manifest(tmp_path) as manifest:
        assert set(manifest.records) == {"a"} and not manifest.dropped_torn_line
        manifest.append(record("b"))
    assert [line["input"] for line in lines(tmp_path)] == ["a", "b"]


def test_unreadable_lines_are_counted_and_later_lines_win(tmp_path: Path) -> None:
    content = record("a", "failed").to_line() + b"{oops\n" + b"[1, 2]\n\n" + record("a").to_line()
    (tmp_path / MANIFEST_NAME).write_bytes(content)
    with Manifest(tmp_path) as manifest:
        assert manifest.ignored_lines == 2
        assert manifest.records["a"].status == "ok"
        assert manifest.records["a"].outputs == ("a.glb",)


def test_two_batches_cannot_write_one_folder(tmp_path: Path) -> None:
    with Manifest(tmp_path), pytest.raises(OutputError, match="another lift3d batch"):
        Manifest(tmp_path)
    Manifest(tmp_path).close()  # free again once the first is closed


def test_batch_after_a_torn_line_redoes_only_that_picture(tmp_path: Path) -> None:
    input_dir, output_dir = tmp_path / "pictures", tmp_path / "assets"
    write_pictures(input_dir, 3)
    batch = BatchOptions(input_dir, output_dir)
    assert run_batch(batch, FAST_OPTIONS).converted == 3
    manifest = output_dir / MANIFEST_NAME
    data = manifest.read_bytes()
    manifest.write_bytes(data[:-40])
    torn = json.loads(data.splitlines()[-1])["input"]

    summary = run_batch(batch, FAST_OPTIONS)
    assert summary.dropped_torn_line
    assert (summary.converted, summary.done_before, summary.exit_code) == (1, 2, 0)
    records = lines(output_dir)
    assert len(records) == 3 and records[-1]["input"] == torn
    assert {line["status"] for line in records} == {"ok"}

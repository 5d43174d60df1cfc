"""Entries of every kind in one batch: found by their names, converted as `convert --kind` does, resumed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import trimesh
from batch_pictures import FAST_OPTIONS, object_picture, write_frames, write_plan
from PIL import Image

from lift3d.batch import BatchOptions, run_batch
from lift3d.batch.plan import find_pictures, kind_of


def test_names_carry_the_kind() -> None:
    assert kind_of("walk.frames", is_folder=True) == "frames"
    assert kind_of("mug.views", is_folder=True) == "views"
    assert kind_of("house.plan.PNG", is_folder=False) == "plan"
    assert kind_of("house.plan", is_folder=True) == "picture"  # a plan is one picture, not a folder
    assert kind_of("mug.png", is_folder=False) == "picture"
    assert kind_of("my.holiday.png", is_folder=False) == "picture"


def test_a_kind_folder_is_one_input_with_its_pictures_in_natural_order(tmp_path: Path) -> None:
    write_frames(tmp_path / "a" / "walk.frames", 11)
    (tmp_path / "a" / "walk.frames" / "notes.txt").write_text("not a frame")
    write_plan(tmp_path / "house.plan.png")
    Image.fromarray(object_picture(1)).save(tmp_path / "mug.png")
    items = {item.input: item for item in find_pictures(tmp_path, ("*.png",))}
    assert set(items) == {"a/walk.frames", "house.plan.png", "mug.png"}
    walk = items["a/walk.frames"]
    assert walk.kind == "frames" and walk.output_stem == "a/walk"
    assert walk.members == tuple(f"frame_{index}.png" for index in range(11))
    assert (items["house.plan.png"].kind, items["house.plan.png"].output_stem) == ("plan", "house")
    assert (items["mug.png"].kind, items["mug.png"].output_stem) == ("picture", "mug")


def test_a_mixed_batch_converts_each_kind_and_a_rerun_redoes_nothing(tmp_path: Path) -> None:
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    write_frames(input_dir / "walk.frames", 3)
    write_plan(input_dir / "house.plan.png")
    Image.fromarray(object_picture(2)).save(input_dir / "mug.png")
    (input_dir / "empty.views").mkdir()
    batch = BatchOptions(input_dir, output_dir)

    first = run_batch(batch, FAST_OPTIONS)
    assert (first.converted, first.failed) == (3, 1)
    [failure] = first.failures
    assert failure.input == "empty.views" and failure.error == "empty.views holds no pictures"

    animation = trimesh.load(output_dir / "walk.glb", force="scene")
    assert len(animation.geometry) == 3  # one node per frame
    assert (output_dir / "walk_frame_002.glb").is_file()
    provenance = json.loads((output_dir / "walk.lift3d.json").read_text())
    assert provenance["frames"][0] == "walk.frames/frame_0.png"  # as in the input folder, not a scratch one
    summary = json.loads((output_dir / "house.lift3d.json").read_text())
    assert summary["rooms"] and summary["doors"]
    records = {
        json.loads(line)["input"]: json.loads(line)
        for line in (output_dir / "manifest.jsonl").read_text().splitlines()
    }
    assert records["walk.frames"]["settings"]["kind"] == "frames"
    # A plan takes no face budget: the batch's picture options are left out of its conversion.
    assert records["house.plan.png"]["settings"]["max_faces"] != FAST_OPTIONS.max_faces
    assert "kind" not in records["mug.png"]["settings"]  # a picture's record is as before

    again = run_batch(batch, FAST_OPTIONS)
    assert (again.converted, again.done_before, again.failed_before) == (0, 3, 1)

    write_frames(input_dir / "walk.frames" / "more", 1)  # a sub-folder is not a frame
    (input_dir / "walk.frames" / "frame_3.png").write_bytes(
        (input_dir / "walk.frames" / "frame_0.png").read_bytes()
    )
    changed = run_batch(batch, FAST_OPTIONS)
    assert (changed.converted, changed.done_before) == (1, 2)  # only the folder whose frames changed
    assert len(trimesh.load(output_dir / "walk.glb", force="scene").geometry) == 4


def test_a_views_folder_takes_its_cameras_file(tmp_path: Path) -> None:
    folder = tmp_path / "in" / "ball.views"
    folder.mkdir(parents=True)
    rows, cols = np.mgrid[0:96, 0:96]
    for index in range(3):  # a ball looks the same from every side
        rgba = np.zeros((96, 96, 4), np.uint8)
        rgba[(cols - 48) ** 2 + (rows - 48) ** 2 < 900] = (200, 60 + 60 * index, 40, 255)
        Image.fromarray(rgba).save(folder / f"side_{index}.png")
    cameras = [{"picture": f"side_{index}.png", "azimuth_deg": 100.0 * index} for index in (2, 0, 1)]
    (folder / "cameras.json").write_text(json.dumps(cameras))
    summary = run_batch(BatchOptions(tmp_path / "in", tmp_path / "out"), FAST_OPTIONS)
    assert (summary.converted, summary.failed) == (1, 0), summary.failures
    provenance = json.loads((tmp_path / "out" / "ball.lift3d.json").read_text())
    assert [camera["azimuth_deg"] for camera in provenance["cameras"]] == [0.0, 100.0, 200.0]

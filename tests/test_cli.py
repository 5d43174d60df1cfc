"""The `lift3d` command end to end: a good picture gives a watertight textured GLB; bad input one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from lift3d.cli import main
from lift3d.evaluate import is_watertight
from tests.inputs.input_pictures import png_header_only

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128", "--quiet"]


def test_convert_writes_a_watertight_textured_glb_with_provenance(tmp_path, picture, capsys) -> None:
    output = tmp_path / "egg.glb"
    preview = tmp_path / "egg_preview.png"
    assert main(["convert", str(picture), "-o", str(output), "--preview", str(preview), *FAST]) == 0
    mesh = trimesh.load(output, force="mesh")
    assert is_watertight(mesh)
    assert len(mesh.faces) <= 3000
    assert mesh.visual.uv is not None and mesh.visual.material.baseColorTexture.size == (128, 128)
    assert mesh.extents[1] == pytest.approx(1.0, rel=1e-3)  # --height default, +Y up
    # pivot "base" (issue 16): standing on the floor at y = 0, centred in x and z
    assert mesh.bounds[0][1] == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(mesh.bounds.mean(axis=0)[[0, 2]], 0, atol=1e-3)
    record = json.loads((tmp_path / "egg.lift3d.json").read_text())
    assert record["options"]["max_faces"] == 3000 and record["model"]["generator"] == "inflate"
    assert np.asarray(Image.open(preview)).std() > 5
    assert str(output) in capsys.readouterr().out


def test_variants_are_numbered_and_previewed_together(tmp_path, picture) -> None:
    output = tmp_path / "egg.obj"
    assert main(["convert", str(picture), "-o", str(output), "--variants", "2", *FAST]) == 0
    for index in range(2):
        assert is_watertight(trimesh.load(tmp_path / f"egg_{index}.obj", force="mesh"))
    assert not output.exists()


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input with a word its error message must contain."""
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture\n" * 10)
    good = tmp_path / "good.png"
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(60000, 60000))
    blank = tmp_path / "blank.jpg"
    Image.fromarray(np.full((64, 64, 3), 255, np.uint8)).save(blank)
    clear = tmp_path / "clear.png"
    Image.fromarray(np.zeros((64, 64, 4), np.uint8)).save(clear)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    return {
        "empty": (empty, "empty"),
        "text": (text, "notes.png"),
        "truncated": (truncated, "truncated.png"),
        "bomb": (bomb, "decompression bomb"),
        "blank": (blank, "blank"),
        "transparent": (clear, "transparent"),
        "directory": (folder, "folder"),
        "missing": (tmp_path / "nope.png", "nope.png"),
    }


@pytest.mark.parametrize(
    "case", ["empty", "text", "truncated", "bomb", "blank", "transparent", "directory", "missing"]
)
def test_bad_input_gives_one_line_and_no_output(tmp_path, capsys, case) -> None:
    path, word = bad_inputs(tmp_path)[case]
    output = tmp_path / "out" / "result.glb"
    output.parent.mkdir()
    code = main(["convert", str(path), "-o", str(output), *FAST])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and err.startswith("lift3d: error:")
    assert word.lower() in err.lower()
    assert list(output.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "word"),
    [
        ("missing_folder/result.glb", "does not exist"),
        ("result.fbx", "unknown format"),
        ("a_file/x.glb", "a_file"),
    ],
)
def test_unusable_output_path_is_refused_before_work(tmp_path, picture, capsys, output, word) -> None:
    (tmp_path / "a_file").write_text("I am a file, not a folder")
    code = main(["convert", str(picture), "-o", str(tmp_path / output), *FAST])
    err = capsys.readouterr().err.strip()
    assert code != 0 and word in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "egg.png"]


def test_help_explains_every_convert_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lift3d.cli", "convert", "--help"], capture_output=True, text=True, check=True
    )
    for flag in [
        "--faces",
        "--texture-size",
        "--height",
        "--preview",
        "--generator",
        "--variants",
        "--ensemble",
    ]:
        assert flag in result.stdout
    assert "+Y up" in result.stdout

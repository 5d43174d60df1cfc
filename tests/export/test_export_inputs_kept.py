"""No output ever replaces an input: every kind and format converted next to its pictures.

The bug this pins: `lift3d convert vase.png -o vase.obj` wrote the OBJ's texture as
`vase.png`, over the picture it was made from, and exited 0.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lift3d.api import ConvertOptions
from lift3d.batch import BatchOptions, run_batch
from lift3d.cli import main
from lift3d.data.plans import generate_plan
from lift3d.errors import OutputError

FAST = ["--generator", "inflate", "--faces", "600", "--texture-size", "64", "--quiet"]


def fast_for(kind: str) -> list[str]:
    """FAST less the flags a kind refuses: no generator for ortho and views, no asset sizes for a plan."""
    return {"ortho": FAST[2:], "views": FAST[2:], "plan": ["--quiet"]}.get(kind, FAST)


FORMATS = ["glb", "obj", "ply", "stl"] + (["usdz"] if importlib.util.find_spec("pxr") else [])


def disc(path: Path, centre: tuple[int, int] = (32, 34), size: int = 64, colour=(200, 60, 40)) -> Path:
    """A small RGBA picture of an ellipse: the object, its alpha the mask."""
    rows, cols = np.mgrid[0:size, 0:size]
    inside = ((cols - centre[0]) / 20) ** 2 + ((rows - centre[1]) / 26) ** 2 < 1
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[inside] = [*colour, 255]
    Image.fromarray(rgba).save(path)
    return path


def box_view(path: Path, width: int, height: int) -> Path:
    """One orthographic view of a box: a filled rectangle on white."""
    rgb = np.full((96, 96, 3), 255, np.uint8)
    top, left = (96 - height) // 2, (96 - width) // 2
    rgb[top : top + height, left : left + width] = (90, 120, 200)
    Image.fromarray(rgb).save(path)
    return path


def make_inputs(folder: Path, kind: str) -> list[str]:
    """The pictures of one kind of conversion, written into `folder`; the CLI's input arguments."""
    if kind == "picture":
        return [disc(folder / "vase.png").name]
    if kind == "ortho":
        return [
            box_view(folder / name, width, height).name
            for name, width, height in (("front.png", 60, 40), ("side.png", 30, 40), ("top.png", 60, 30))
        ]
    if kind == "views":
        return [disc(folder / f"view{index}.png").name for index in range(4)]
    if kind == "frames":
        (folder / "walk").mkdir()
        for index in range(3):
            disc(folder / "walk" / f"walk_{index}.png", centre=(28 + 4 * index, 34))
        return ["walk"]
    Image.fromarray(generate_plan(7).rgb.astype(np.uint8)).save(folder / "house.png")
    return ["house.png"]


def fingerprints(folder: Path) -> dict[str, str]:
    """Hash of every file under `folder`, keyed by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


CASES = (
    [("picture", file_format) for file_format in FORMATS]
    + [("ortho", file_format) for file_format in FORMATS]
    + [("views", file_format) for file_format in FORMATS]
    + [("frames", "glb"), ("plan", "glb")]
)


@pytest.mark.parametrize(("kind", "file_format"), CASES)
def test_converting_next_to_the_inputs_leaves_them_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, file_format: str
) -> None:
    inputs = make_inputs(tmp_path, kind)
    before = fingerprints(tmp_path)
    monkeypatch.chdir(tmp_path)
    stem = Path(inputs[0]).stem
    extra = ["--azimuths", "0,90,180,270"] if kind == "views" else []
    code = main(["convert", *inputs, "--kind", kind, "-o", f"{stem}.{file_format}", *extra, *fast_for(kind)])
    assert code == 0
    after = fingerprints(tmp_path)
    assert {name: after.get(name) for name in before} == before
    assert (tmp_path / f"{stem}.{file_format}").is_file()
    if file_format == "obj":
        assert (tmp_path / f"{stem}_basecolor.png").is_file() and (tmp_path / f"{stem}.mtl").is_file()
        assert f"map_Kd {stem}_basecolor.png" in (tmp_path / f"{stem}.mtl").read_text()


def test_picture_variants_next_to_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disc(tmp_path / "vase.png")
    before = fingerprints(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "vase.png", "-o", "vase.obj", "--variants", "2", *FAST]) == 0
    after = fingerprints(tmp_path)
    assert after["vase.png"] == before["vase.png"]
    assert {"vase_0_basecolor.png", "vase_1_basecolor.png"} <= set(after)


def refused_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], word: str) -> None:
    """The command fails with one line naming `word`, and the folder is exactly as it was."""
    before = fingerprints(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == OutputError.exit_code
    assert len(err.splitlines()) == 1 and "would replace the input" in err and word in err
    assert fingerprints(tmp_path) == before


def test_a_sidecar_that_would_replace_an_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    disc(tmp_path / "vase_basecolor.png")
    monkeypatch.chdir(tmp_path)
    refused_cleanly(
        tmp_path, capsys, ["convert", "vase_basecolor.png", "-o", "vase.obj", *FAST], "vase_basecolor"
    )


def test_a_preview_over_the_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    disc(tmp_path / "vase.png")
    monkeypatch.chdir(tmp_path)
    refused_cleanly(tmp_path, capsys, ["convert", "vase.png", "--preview", "./vase.png", *FAST], "vase.png")


def test_an_output_linked_to_the_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    disc(tmp_path / "vase.png")
    (tmp_path / "vase.glb").symlink_to("vase.png")
    monkeypatch.chdir(tmp_path)
    refused_cleanly(tmp_path, capsys, ["convert", "vase.png", *FAST], "vase.glb")


@pytest.mark.parametrize("kind", ["ortho", "views"])
def test_multi_picture_output_over_an_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    inputs = make_inputs(tmp_path, kind)
    monkeypatch.chdir(tmp_path)
    second = Path(inputs[1]).stem
    argv = ["convert", *inputs, "--kind", kind, "-o", "x.obj", "--preview", f"{second}.png", *fast_for(kind)]
    refused_cleanly(tmp_path, capsys, argv, second)


BATCH = ConvertOptions(generator="inflate", max_faces=600, texture_px=64, cutout_px=64, grid_px=40)


def test_batch_refuses_before_work_when_an_output_is_an_input(tmp_path: Path) -> None:
    """The output folder may not be the input folder; a link inside it to a picture is caught too."""
    pictures, results = tmp_path / "pictures", tmp_path / "results"
    pictures.mkdir()
    results.mkdir()
    disc(pictures / "mug.png")
    disc(pictures / "cup.png")
    (results / "mug_basecolor.png").symlink_to(pictures / "cup.png")
    before = fingerprints(tmp_path)
    with pytest.raises(OutputError, match="would replace the input .*cup.png"):
        run_batch(BatchOptions(pictures, results, format="obj"), BATCH)
    after = fingerprints(tmp_path)
    assert {name: after[name] for name in before} == before
    assert not any(name.endswith((".obj", ".mtl", ".lift3d.json")) for name in after)

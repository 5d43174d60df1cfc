"""Careless and hostile command lines: absurd numbers, a folder as output, piped errors (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lift3d.cli import main

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128", "--quiet"]


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    rows, cols = np.mgrid[0:64, 0:64]
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[(cols - 32) ** 2 + (rows - 32) ** 2 < 400] = [200, 40, 40, 255]
    path = tmp_path / "disc.png"
    Image.fromarray(rgba).save(path)
    return path


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--seed", str(2**64)], ("--seed", "4,294,967,295")),
        (["--seed", "-1"], ("--seed",)),
        (["--height", "1e308"], ("--height", "1,000")),
        (["--height", "1e-300"], ("--height", "0.001")),
        (["--height", "nan"], ("--height",)),
        (["--steps", "100000"], ("--steps",)),
        (["--faces", str(10**12)], ("--faces",)),
        (["--variants", "1000"], ("--variants",)),
        (["--ensemble", "1000"], ("--ensemble",)),
        (["--texture-size", str(10**9)], ("--texture-size",)),
    ],
)
def test_absurd_numbers_are_refused_in_one_line(tmp_path, picture, capsys, flags, words) -> None:
    output = tmp_path / "out.glb"
    assert main(["convert", str(picture), "-o", str(output), *FAST, *flags]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("lift3d: error:"), error
    for word in words:
        assert word in error
    assert not any(field in error for field in ("height_m", "max_faces", "texture_px")), error
    assert not output.exists()


def test_an_existing_folder_as_output_is_refused_not_renamed(tmp_path, picture, capsys) -> None:
    folder = tmp_path / "some_folder"
    folder.mkdir()
    assert main(["convert", str(picture), "-o", str(folder), *FAST]) == 3
    error = capsys.readouterr().err
    assert "some_folder: it is a folder" in error and error.count("\n") == 1
    assert not (tmp_path / "some_folder.glb").exists()


def test_an_output_name_too_long_for_the_filesystem_is_one_line(tmp_path, picture, capsys) -> None:
    """Probe case "-o a 300-byte name": the stat of the name raised ENAMETOOLONG as a traceback."""
    output = tmp_path / ("n" * 300 + ".glb")
    assert main(["convert", str(picture), "-o", str(output), *FAST]) == 3
    error = capsys.readouterr().err
    assert error.startswith("lift3d: error: cannot write") and error.count("\n") == 1, error
    assert "too long" in error and len(error) < 300
    assert sorted(path.name for path in tmp_path.iterdir()) == ["disc.png"]


def test_piped_errors_have_no_progress_fragments(tmp_path) -> None:
    """Without --quiet and with stderr a pipe, the error is the only thing on stderr."""
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lift3d.cli",
            "convert",
            str(fake),
            "--generator",
            "inflate",
            "-o",
            str(tmp_path / "x.glb"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("lift3d: error: cannot read"), repr(result.stderr)
    assert result.stderr.count("\n") == 1 and "\r" not in result.stderr


def test_a_tiff_memory_bomb_is_one_line_on_stderr(tmp_path) -> None:
    """Issue 19.1 from the command line: tifffile's complaints about the hostile strips stay quiet."""
    tifffile = pytest.importorskip("tifffile")
    bomb = tmp_path / "bomb.tif"
    tifffile.imwrite(bomb, np.zeros((100, 8, 8)), planarconfig="separate", photometric="minisblack")
    with tifffile.TiffFile(bomb, mode="r+b") as tiff:
        tiff.pages[0].tags["ImageWidth"].overwrite(5000)
        tiff.pages[0].tags["ImageLength"].overwrite(5000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    command = [sys.executable, "-m", "lift3d.cli", "convert", str(bomb), "-o", str(tmp_path / "x.glb"), *FAST]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2
    assert result.stderr.startswith("lift3d: error: cannot read"), repr(result.stderr)
    assert "memory bomb" in result.stderr and result.stderr.count("\n") == 1, repr(result.stderr)


# Ctrl-C arrives while `module` is being imported: the child asks for it from an import hook.
CTRL_C_DURING_IMPORT = """
import os, signal, sys

class CtrlCOnImport:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1]:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlCOnImport())
from lift3d.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("module", ["numpy", "scipy._lib.array_api_extra.testing", "gmpy2"])
def test_ctrl_c_while_the_modules_import_stops_in_one_line(tmp_path, picture, module) -> None:
    """Probe case "Ctrl-C during convert", in its first seconds: raised inside numpy's import it was
    a traceback; inside scipy's, or mpmath's optional import of gmpy2 (torch -> sympy -> mpmath, under a
    bare `except:`), it was swallowed by the library and the conversion ran to the end (issue 19's probe,
    Ctrl-C 1-3 s into convert: exit 0 seconds later, whole files)."""
    output = tmp_path / "out.glb"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    command = [sys.executable, "-c", CTRL_C_DURING_IMPORT, module, "convert", str(picture), "-o", str(output)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 130, result.stderr[-2000:]
    assert result.stderr == "lift3d: interrupted\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["disc.png"]

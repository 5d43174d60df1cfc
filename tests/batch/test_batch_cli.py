"""`lift3d batch` in-process: flags reach the options, user errors are one line with their exit code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from batch_pictures import FAST_FLAGS, write_pictures

from lift3d.batch.cluster import import_ray
from lift3d.cli import build_parser, main
from lift3d.errors import Lift3DError


def test_flags_parse() -> None:
    args = build_parser().parse_args(
        ["batch", "in", "out", "--glob", "*.png", "--glob", "*.jpg", "--format", "stl", "--workers", "3"]
        + ["--ray", "auto", "--retry-failed", "--faces", "500"]
    )
    assert (args.patterns, args.format, args.workers, args.ray_address) == (
        ["*.png", "*.jpg"],
        "stl",
        3,
        "auto",
    )
    assert args.retry_failed and args.faces == 500


def test_missing_input_folder_is_one_line_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["batch", str(tmp_path / "nope"), str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("lift3d: error: input folder") and "\n" not in error
    assert not (tmp_path / "out").exists()


def test_empty_folder_names_the_patterns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("no pictures here")
    assert main(["batch", str(tmp_path), str(tmp_path / "out"), "--glob", "*.png"]) == 2
    assert "no pictures matching *.png" in capsys.readouterr().err


def test_all_ok_exits_0_with_a_summary_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_pictures(tmp_path / "in", 1)
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), *FAST_FLAGS, "--format", "ply"]) == 0
    assert "1 converted, 0 failed of 1 pictures" in capsys.readouterr().out
    assert (tmp_path / "out" / "object00.ply").is_file()


def test_missing_ray_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if not installed
    with pytest.raises(Lift3DError, match=r"pip install 'lift3d\[cluster\]'"):
        import_ray()


def test_a_symlink_loop_among_the_pictures_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Probe case "batch: folder with a good picture, two bombs and a symlink loop": Path.resolve
    raised RuntimeError on the loop, a traceback before anything was converted."""
    pictures = tmp_path / "in"
    write_pictures(pictures, 1)
    (pictures / "loop.png").symlink_to("loop.png")
    output = tmp_path / "out"
    assert main(["batch", str(pictures), str(output), "--quiet", *FAST_FLAGS]) == 5
    assert "loop.png" in capsys.readouterr().err
    assert sorted(path.name for path in output.glob("*.glb")) == ["object00.glb"]
    # The output folder as a link loop: one line, not a traceback.
    looped = tmp_path / "looped"
    looped.symlink_to("looped")
    capsys.readouterr()
    assert main(["batch", str(pictures), str(looped), "--quiet", *FAST_FLAGS]) == 3
    error = capsys.readouterr().err
    assert error.startswith("lift3d: error: cannot create") and error.count("\n") == 1, error

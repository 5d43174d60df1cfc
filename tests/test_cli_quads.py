"""`lift3d convert --quads`: polygons in the OBJ, the report on stderr and in the provenance; GLB refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lift3d.cli import main

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128"]

pytest.importorskip("pyinstantmeshes", reason="--quads needs pyinstantmeshes: pip install 'lift3d[quads]'")


def test_quads_obj_reports_share_and_distance(tmp_path: Path, picture: Path, capfd) -> None:
    output = tmp_path / "egg.obj"
    assert main(["convert", str(picture), "-o", str(output), *FAST, "--quads"]) == 0
    captured = capfd.readouterr()
    assert "egg.obj" in captured.out and "Running in batch mode" not in captured.out  # remesher muted
    assert "% quads" in captured.err and "diagonal" in captured.err
    report = json.loads((tmp_path / "egg.lift3d.json").read_text())["quads"]
    assert report["quad_share"] > 0.8 and report["hausdorff_pct"] < 1.0 and report["watertight"]
    faces = [line for line in output.read_text().splitlines() if line.startswith("f ")]
    assert sum(len(line.split()) == 5 for line in faces) > 0.8 * len(faces)


def test_quads_to_glb_is_refused_before_any_work(tmp_path: Path, picture: Path, capsys) -> None:
    assert main(["convert", str(picture), "-o", str(tmp_path / "egg.glb"), *FAST, "--quads"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and ".glb" in error and ".obj" in error
    assert list(tmp_path.iterdir()) == [picture]

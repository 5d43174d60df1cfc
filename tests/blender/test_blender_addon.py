"""The add-on inside Blender (the `bpy` module from PyPI): it installs, imports GLBs and converts via a server."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh
from PIL import Image

import lift3d.blender
from lift3d.evaluate.metrics import is_watertight

ADDON_PATH = Path(lift3d.blender.__file__).with_name("lift3d_addon.py")
SESSION = Path(__file__).with_name("bpy_session.py")
# bpy pins numpy<2, so it usually lives in a Python of its own; point this variable at it.
BPY_PYTHON_VARIABLE = "LIFT3D_BPY_PYTHON"
REPO_BPY_PYTHON = Path(__file__).resolve().parents[2] / ".venv-bpy" / "bin" / "python"  # `make bpy`
FAST_SETTINGS = {"generator": "inflate", "faces": 2000, "texture_size": 128}


def bpy_python() -> str | None:
    if importlib.util.find_spec("bpy") is not None:
        return sys.executable
    candidate = os.environ.get(BPY_PYTHON_VARIABLE, "") or str(REPO_BPY_PYTHON)
    return candidate if Path(candidate).is_file() else None


needs_bpy = pytest.mark.skipif(
    bpy_python() is None,
    reason=f"bpy is not installed here; `make bpy` builds .venv-bpy (Python 3.11, bpy from PyPI; in CI "
    f"set LIFT3D_CI_BLENDER=1), or set {BPY_PYTHON_VARIABLE} to a python that has bpy",
)


def run_blender(tmp_path: Path, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the steps in a fresh Blender process whose user folders are inside tmp_path."""
    config, report = tmp_path / "config.json", tmp_path / "report.json"
    config.write_text(json.dumps({"addon": str(ADDON_PATH), "steps": steps}))
    home = tmp_path / "blender-home"
    env = {
        **os.environ,
        "HOME": str(home),
        "BLENDER_USER_RESOURCES": str(home / "resources"),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("LIFT3D_TOKEN", None)
    env.pop("PYTHONPATH", None)  # Blender's Python is its own environment: no lift3d from the host
    done = subprocess.run(
        [str(bpy_python()), str(SESSION), str(config), str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(report.read_text())


def as_trimesh(described: dict[str, Any]) -> trimesh.Trimesh:
    return trimesh.Trimesh(described["vertices"], described["faces"], process=False)


@pytest.fixture
def glb(disc_picture: Path, tmp_path: Path) -> Path:
    from lift3d.api import convert, save

    asset = convert(disc_picture, generator="inflate", max_faces=2000, texture_px=128)
    return save(asset, tmp_path / "disc.glb")[0]


@needs_bpy
def test_addon_installs_imports_a_glb_and_reports_errors(
    tmp_path: Path, glb: Path, disc_picture: Path
) -> None:
    (tmp_path / "float").mkdir()
    steps = [
        {"do": "import", "paths": [str(glb)], "name": "lift3d_fixture"},
        {"do": "draw", "settings": {"source": "FILE", "mode": "SERVER"}},
        {"do": "draw", "settings": {"source": "IMAGE_EDITOR", "mode": "IN_PROCESS"}},
        {"do": "image_file", "folder": str(tmp_path), "float": False},
        {"do": "image_file", "folder": str(tmp_path / "float"), "float": True},
        {"do": "convert", "settings": {"source": "FILE", "image_path": str(tmp_path / "missing.png")}},
        {
            "do": "convert",
            "settings": {
                "image_path": str(disc_picture),
                "mode": "SERVER",
                "source": "FILE",
                "server_url": "ftp://example.org",
            },
        },
    ]
    report = run_blender(tmp_path, steps)
    assert report["install"] == ["FINISHED"]
    assert report["registered"] == {
        "scene_settings": True,
        "panel_category": "lift3d",
        "panel_space": "VIEW_3D",
        "operator": True,
        "bl_info_name": "lift3d",
    }
    imported = report["import"]
    assert imported["names"] == ["lift3d_fixture"]
    assert imported["selected"] == imported["mesh_names"] and imported["active"] in imported["mesh_names"]
    assert imported["textured"] == [True]
    assert is_watertight(as_trimesh(imported["meshes"][0]))

    options = ["generator", "faces", "texture_size", "height", "seed", "variants", "quads", "mode"]
    assert report["drawn"][0] == [
        "source",
        "image_path",
        *options,
        "server_url",
        "lift3d_token",
        "operator:lift3d.convert",
    ]
    assert report["drawn"][1] == [
        "source",
        "label:Open an image in an Image Editor",
        *options,
        "label:lift3d is not installed in Blender's Python",
        "operator:lift3d.convert",
    ]

    byte_png, float_png = (np.asarray(Image.open(path)) for path in report["image_files"])
    assert byte_png.shape == (4, 8, 4)
    assert tuple(byte_png[0, 0]) == (128, 0, 0, 255) and tuple(byte_png[-1, 0]) == (0, 0, 128, 255)
    assert tuple(float_png[0, 0]) == (188, 0, 0, 255)  # linear 0.5 written as sRGB

    missing, bad_url = report["convert"]
    assert missing["result"] == ["CANCELLED"] and "no picture at" in missing["error"]
    assert "missing.png" in missing["error"] and "\n" not in missing["error"]
    assert "server URL must look like" in bad_url["error"]
    assert missing["names"] == bad_url["names"] == []
    assert report["unregistered"]


@pytest.mark.slow
@needs_bpy
def test_addon_converts_through_a_local_server(live_server: str, disc_picture: Path, tmp_path: Path) -> None:
    settings = {**FAST_SETTINGS, "image_path": str(disc_picture), "server_url": live_server, "variants": 2}
    report = run_blender(tmp_path, [{"do": "convert", "settings": settings}])
    (converted,) = report["convert"]
    assert converted["result"] == ["FINISHED"], converted["error"]
    assert converted["names"] == ["lift3d_red disc_0", "lift3d_red disc_1"]
    assert converted["root_x"][0] == 0 and converted["root_x"][1] > 0.5  # side by side, not overlapping
    assert converted["selected"] == sorted(converted["mesh_names"])
    assert converted["textured"] == [True, True]
    for described in converted["meshes"]:
        mesh = as_trimesh(described)
        assert is_watertight(mesh) and len(mesh.faces) <= 2000
        assert mesh.extents[2] == pytest.approx(1.0, rel=1e-3)  # 1 m tall: glTF's +Y is Blender's +Z

"""Every format lift3d writes, opened by Blender's own importers (bpy from PyPI, in its own Python).

What a user sees after File > Import: the object stands upright on the floor (Blender is
Z-up), it is named after the asset, it has normals, its base colour is a texture on the
Principled BSDF (PLY: vertex colours; STL carries no colour), and a rigged GLB arrives
as one armature with the documented bones and one action per clip that plays without
tearing the mesh. The bpy side is bpy_import_check.py, run in the bpy Python.
"""

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
from PIL import Image

from lift3d.cli import main
from lift3d.data.characters import character_sample
from lift3d.data.plans import generate_plan
from lift3d.rig.skeleton import HUMANOID_JOINTS

CHECK = Path(__file__).with_name("bpy_import_check.py")
REPO_BPY_PYTHON = Path(__file__).resolve().parents[2] / ".venv-bpy" / "bin" / "python"  # `make bpy`
BPY_PYTHON_VARIABLE = "LIFT3D_BPY_PYTHON"
FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128", "--quiet"]
HEIGHT_M = 1.5
CLIPS = ("idle", "walk", "wave", "jump")
FORMATS = [
    ".glb",
    ".obj",
    ".ply",
    ".stl",
    pytest.param(
        ".usdz",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("pxr") is None, reason="usd-core (lift3d[usd]) is not installed"
        ),
    ),
]
TEXTURED = (".glb", ".obj", ".usdz")  # formats whose material carries a base-colour image

pytestmark = pytest.mark.slow


def bpy_python() -> str:
    """The Python that has bpy, or skip saying how to get one."""
    if importlib.util.find_spec("bpy") is not None:
        return sys.executable
    candidate = os.environ.get(BPY_PYTHON_VARIABLE, "") or str(REPO_BPY_PYTHON)
    if not Path(candidate).is_file():
        pytest.skip(
            "bpy is not installed here; `make bpy` builds .venv-bpy (Python 3.11, bpy from PyPI; in CI set "
            f"LIFT3D_CI_BLENDER=1), or set {BPY_PYTHON_VARIABLE} to a python that has bpy"
        )
    return candidate


def two_tone_pot(path: Path, shift: int = 0) -> Path:
    """A pot: an upright rounded body, red above and blue below, on a transparent background."""
    size = 128
    rows, cols = np.mgrid[0:size, 0:size]
    body = ((cols - 64 - shift) / 40.0) ** 2 + ((rows - 64) / 56.0) ** 2 < 1.0
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[body & (rows < 64)] = (200, 40, 30, 255)
    rgba[body & (rows >= 64)] = (30, 60, 200, 255)
    Image.fromarray(rgba).save(path)
    return path


@pytest.fixture(scope="module")
def blender(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Convert once into every format (and a rigged character), import each in Blender: suffix -> report."""
    python = bpy_python()
    folder = tmp_path_factory.mktemp("blender-import")
    pot = two_tone_pot(folder / "pot_picture.png")
    files = {}
    for suffix in [".glb", ".obj", ".ply", ".stl", ".usdz"]:
        if suffix == ".usdz" and importlib.util.find_spec("pxr") is None:
            continue
        target = folder / f"pot{suffix}"
        assert main(["convert", str(pot), "-o", str(target), "--height", str(HEIGHT_M), *FAST]) == 0
        files[suffix] = target
    walk = folder / "walk"
    walk.mkdir()
    for index in range(3):  # the pot moving right: an animated GLB of three poses
        two_tone_pot(walk / f"walk_{index}.png", shift=6 * index)
    files["frames"] = folder / "walk.glb"
    assert main(["convert", str(walk), "--kind", "frames", "-o", str(files["frames"]), *FAST]) == 0
    plan = folder / "house_plan.png"
    Image.fromarray(generate_plan(7).rgb.astype(np.uint8)).save(plan)
    files["plan"] = folder / "house.glb"
    # a plan takes none of the picture's flags (each would be refused as meaning nothing)
    assert main(["convert", str(plan), "--kind", "plan", "-o", str(files["plan"]), "--quiet"]) == 0
    hero = folder / "hero_picture.png"
    Image.fromarray(character_sample(20000, 128).rgba).save(hero)
    files["rig"] = folder / "hero.glb"
    assert main(["convert", str(hero), "-o", str(files["rig"]), "--rig", *FAST]) == 0

    listing, report = folder / "files.json", folder / "report.json"
    listing.write_text(json.dumps([str(path) for path in files.values()]))
    env = {**os.environ, "HOME": str(folder / "home"), "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)  # Blender's Python is its own environment: no lift3d from the host
    done = subprocess.run(
        [python, str(CHECK), str(listing), str(report)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    imported = json.loads(report.read_text())["files"]
    return {key: imported[str(path)] for key, path in files.items()}


@pytest.mark.parametrize("suffix", FORMATS)
def test_stands_upright_with_its_base_on_the_floor(blender: dict, suffix: str) -> None:
    low, high = np.array(blender[suffix]["bounds_min"]), np.array(blender[suffix]["bounds_max"])
    assert high[2] - low[2] == pytest.approx(HEIGHT_M, rel=0.01)  # the asked height along Blender's Z
    assert high[2] - low[2] > 1.2 * max(high[:2] - low[:2])  # the pot is taller than wide: not lying down
    assert low[2] == pytest.approx(0.0, abs=1e-3)  # base on the floor
    assert np.abs(low[:2] + high[:2]).max() < 1e-3  # centred on the origin in plan


@pytest.mark.parametrize("suffix", FORMATS)
def test_one_object_named_after_the_asset(blender: dict, suffix: str) -> None:
    report = blender[suffix]
    assert report["objects"] == [{"name": "pot", "type": "MESH"}]
    (mesh,) = report["meshes"]
    assert mesh["mesh"] == "pot"
    assert mesh["materials"] == (["pot"] if suffix in TEXTURED else [])


@pytest.mark.parametrize("suffix", FORMATS)
def test_normals_present_and_facing_out(blender: dict, suffix: str) -> None:
    (mesh,) = blender[suffix]["meshes"]
    assert mesh["volume"] > 0  # a closed surface whose faces point outwards
    if suffix == ".stl":  # STL stores one normal per facet and nothing else
        assert mesh["normals_domain"] == "FACE"
    else:  # the file's smooth vertex normals arrive as Blender's custom split normals
        assert mesh["custom_normals"] and mesh["normals_domain"] == "CORNER"


@pytest.mark.parametrize("suffix", [suffix for suffix in FORMATS if suffix != ".stl"])
def test_base_colour_is_attached(blender: dict, suffix: str) -> None:
    (mesh,) = blender[suffix]["meshes"]
    if suffix == ".ply":  # PLY has no material: the base colour is a vertex colour attribute
        assert mesh["color_attributes"] and not mesh["base_color"]
        assert mesh["vertex_colour_spread"] > 0.3  # red top and blue bottom, not one flat colour
        return
    (source,) = mesh["base_color"]
    assert source["principled"] and source["image"]["size"] == [128, 128]


@pytest.mark.parametrize(("kind", "name"), [("frames", "walk"), ("plan", "house")])
def test_frames_and_plans_arrive_under_one_parent_with_normals(blender: dict, kind: str, name: str) -> None:
    report = blender[kind]
    roots = [obj for obj in report["objects"] if obj["type"] == "EMPTY"]
    assert roots == [{"name": name, "type": "EMPTY"}]
    assert report["meshes"] and all(obj["parent"] == name for obj in report["meshes"])
    assert all(mesh["custom_normals"] for mesh in report["meshes"])
    if kind == "frames":  # every pose is textured and stands on the floor
        assert all(mesh["base_color"][0]["image"] for mesh in report["meshes"])
        assert report["bounds_min"][2] == pytest.approx(0.0, abs=1e-3)
    else:  # rooms and openings by name; the walkable floor is z = 0, its slab below
        names = {mesh["object"] for mesh in report["meshes"]}
        assert any(text.startswith("door") for text in names) and any("floor" in text for text in names)
        assert report["bounds_max"][2] > 2.0  # walls stand up along Blender's Z


def test_rigged_glb_has_one_armature_with_the_named_bones(blender: dict) -> None:
    report = blender["rig"]
    (armature,) = report["armatures"]
    assert armature["name"] == "hero_rig"
    assert armature["bones"] == list(HUMANOID_JOINTS)
    assert [obj["name"] for obj in report["objects"] if obj["type"] == "MESH"] == ["hero"]
    (mesh,) = report["meshes"]
    assert mesh["materials"] == ["hero"] and mesh["base_color"][0]["image"] is not None
    assert report["bounds_min"][2] == pytest.approx(0.0, abs=0.01)


def test_rigged_glb_plays_one_action_per_clip_without_tearing(blender: dict) -> None:
    report = blender["rig"]
    assert report["actions"] == sorted(CLIPS)
    for clip, worst in report["stretch"].items():
        # Above 1: the action really moves the skinned mesh; under 2x: no triangle tears.
        assert 1.0 < worst < 2.0, f"{clip}: an edge stretches {worst:.2f}x its rest length"
    assert sorted(report["stretch"]) == sorted(CLIPS)

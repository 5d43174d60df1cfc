"""`lift3d convert --rig`: a picture of a character becomes a skinned, animated GLB, and says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image

from lift3d.cli import main
from lift3d.rig.skeleton import HUMANOID_JOINTS

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128", "--quiet"]


@pytest.fixture
def hero(tmp_path: Path, humanoids) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "hero.png"
    Image.fromarray(humanoids[0].rgba).save(path)
    return path


def test_convert_rig_writes_a_skinned_glb_and_reports_the_fit(tmp_path, hero, capsys) -> None:
    output = tmp_path / "hero.glb"
    assert main(["convert", str(hero), "-o", str(output), "--rig", "--animations", "walk,wave", *FAST]) == 0
    gltf = pygltflib.GLTF2().load(str(output))
    assert [gltf.nodes[j].name for j in gltf.skins[0].joints] == list(HUMANOID_JOINTS)
    assert [animation.name for animation in gltf.animations] == ["walk", "wave"]
    record = json.loads(output.with_suffix(".lift3d.json").read_text())
    assert record["rig"]["skeleton"] == "humanoid" and record["rig"]["clips"] == ["walk", "wave"]
    assert "rigged as a humanoid" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "word"),
    [
        (["--rig", "-o", "hero.obj"], ".glb"),
        (["--rig", "--animations", "dance"], "dance"),
        (["--animations", "walk"], "--rig"),
    ],
)
def test_bad_rig_options_give_one_line(tmp_path, hero, capsys, flags, word) -> None:
    flags = [str(tmp_path / flag) if flag.endswith(".obj") else flag for flag in flags]
    assert main(["convert", str(hero), *flags, *FAST]) != 0
    error = capsys.readouterr().err.strip()
    assert word in error and len(error.splitlines()) == 1
    assert not list(tmp_path.glob("*.glb"))


def test_a_character_glb_is_rigged_unasked_and_says_so(tmp_path, hero, capsys) -> None:
    output = tmp_path / "hero.glb"
    assert main(["convert", str(hero), "-o", str(output), *FAST]) == 0
    gltf = pygltflib.GLTF2().load(str(output))
    assert len(gltf.skins) == 1 and [animation.name for animation in gltf.animations] == [
        "idle",
        "walk",
        "wave",
        "jump",
    ]
    assert json.loads(output.with_suffix(".lift3d.json").read_text())["rig"]["automatic"] is True
    assert "recognised as a character" in capsys.readouterr().err


def test_no_rig_and_other_formats_stay_unrigged(tmp_path, hero, capsys) -> None:
    plain = tmp_path / "plain.glb"
    assert main(["convert", str(hero), "-o", str(plain), "--no-rig", *FAST]) == 0
    assert not pygltflib.GLTF2().load(str(plain)).skins
    obj = tmp_path / "hero.obj"
    assert main(["convert", str(hero), "-o", str(obj), *FAST]) == 0  # an OBJ holds no skin: not rigged
    assert "rig" not in json.loads(obj.with_suffix(".lift3d.json").read_text())
    assert "character" not in capsys.readouterr().err
    assert main(["convert", str(hero), "-o", str(tmp_path / "x.glb"), "--rig", "--no-rig", *FAST]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_shape_that_is_no_character_is_not_rigged(tmp_path, capsys) -> None:
    rows, columns = np.mgrid[0:96, 0:96]
    picture = np.zeros((96, 96, 4), dtype=np.uint8)
    inside = ((rows - 48) / 36.0) ** 2 + ((columns - 48) / 24.0) ** 2 <= 1
    picture[inside] = (200, 60, 40, 255)  # an upright egg
    path = tmp_path / "egg.png"
    Image.fromarray(picture).save(path)
    output = tmp_path / "egg.glb"
    assert main(["convert", str(path), "-o", str(output), *FAST]) == 0
    assert not pygltflib.GLTF2().load(str(output)).skins
    assert "rig" not in capsys.readouterr().err

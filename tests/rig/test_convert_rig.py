"""`lift3d convert --rig`: a picture of a character becomes a skinned, animated GLB, and says so."""

from __future__ import annotations

import json
from pathlib import Path

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

"""Quadrupeds placed from a picture: recognised, joints within the bar, and rigged through `convert`."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pygltflib
import pytest
from PIL import Image

from lift3d.cli import main
from lift3d.data.characters import CharacterSample, quadruped_sample
from lift3d.rig.animate import joint_matrices, max_edge_stretch, skin
from lift3d.rig.place import place_skeleton, read_outline
from lift3d.rig.skeleton import QUADRUPED_JOINTS
from tests.conftest import view_grid
from tests.export.test_export_gltf_validator import VALIDATOR, validator_missing

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128"]


@pytest.fixture(scope="module")
def animals() -> list[CharacterSample]:
    """The first three held-out animals (seeds outside the template's training range 10000-10199)."""
    return [quadruped_sample(seed, 128) for seed in (20000, 20001, 20002)]


def test_a_drawn_animal_is_read_as_a_quadruped_with_joints_within_the_bar(animals) -> None:
    # the bar is on the average over characters (issue 17); one animal alone may miss it
    # (seed 20001: 5.5 %, a far leg placed on the near one's path)
    errors = []
    for sample in animals:
        placement = place_skeleton(sample.mask, sample.front_z, sample.back_z)
        assert placement.skeleton.kind == "quadruped", sample.seed
        assert placement.skeleton.names == QUADRUPED_JOINTS
        assert placement.confidence >= 0.5
        error = np.linalg.norm(placement.skeleton.positions[:, :2] - sample.skeleton.positions[:, :2], axis=1)
        errors.append(error.mean() / sample.height)
        assert errors[-1] < 0.08, sample.seed
    assert np.mean(errors) < 0.05


def test_a_mirrored_animal_is_read_facing_the_other_way(animals) -> None:
    sample = animals[0]
    mirrored = sample.mask[:, ::-1]
    reading = read_outline(mirrored)
    assert reading.kind == "quadruped" and reading.quadruped is not None
    assert reading.quadruped.facing == -1.0
    skeleton = place_skeleton(mirrored, sample.front_z[:, ::-1], sample.back_z[:, ::-1]).skeleton
    nose = skeleton.tails[skeleton.names.index("head")]
    assert nose[0] < skeleton.position("hips")[0]  # the head toward the picture's left


def test_a_table_a_box_and_a_star_are_no_animals() -> None:
    x, y = view_grid(128)
    table = (np.abs(x) < 0.7) & (np.abs(y - 0.3) < 0.06)
    for leg_x in (-0.62, -0.45, 0.45, 0.62):
        table |= (np.abs(x - leg_x) < 0.04) & (y < 0.3) & (y > -0.6)
    box = (np.abs(x) < 0.6) & (np.abs(y) < 0.4)
    angle, radius = np.arctan2(y, x), np.hypot(x, y)
    star = radius < 0.25 + 0.5 * np.clip(np.cos(3 * angle), 0, None) ** 8
    for mask in (table, box, star):
        assert read_outline(mask).kind != "quadruped"


def test_convert_rig_makes_a_quadruped_glb_that_walks(tmp_path, animals, capsys) -> None:
    picture = tmp_path / "dog.png"
    Image.fromarray(animals[0].rgba).save(picture)
    output = tmp_path / "dog.glb"
    assert main(["convert", str(picture), "--rig", "-o", str(output), *FAST]) == 0
    assert "rigged as a quadruped (18 joints, template fit confidence" in capsys.readouterr().err
    gltf = pygltflib.GLTF2().load(str(output))
    assert [gltf.nodes[j].name for j in gltf.skins[0].joints] == list(QUADRUPED_JOINTS)
    assert [animation.name for animation in gltf.animations] == ["walk"]
    record = json.loads(output.with_suffix(".lift3d.json").read_text())
    assert record["rig"]["skeleton"] == "quadruped" and record["rig"]["clips"] == ["walk"]
    if not validator_missing():
        run = subprocess.run(
            ["node", str(VALIDATOR / "validate.mjs"), str(output)], capture_output=True, text=True, check=True
        )
        (report,) = json.loads(run.stdout)
        assert report["errors"] == 0, report["messages"]


def test_the_rigged_animal_keeps_four_normalised_weights_and_walks_without_tearing(animals) -> None:
    from lift3d.api import ConvertOptions, StageTimer, load_converter
    from lift3d.types import Picture

    rgba = animals[0].rgba
    picture = Picture(rgba[..., :3].astype(np.float32) / 255, rgba[..., 3].astype(np.float32) / 255, "dog")
    options = ConvertOptions(generator="inflate", rig=True, max_faces=3000, texture_px=128)
    asset = load_converter("inflate").convert(picture, options, StageTimer())[0]
    rig = asset.rig
    assert rig is not None and rig.skeleton.kind == "quadruped"
    assert rig.joints.shape[1] <= 4 and np.allclose(rig.weights.sum(axis=1), 1.0, atol=1e-5)
    vertices, faces = np.asarray(asset.mesh.vertices), np.asarray(asset.mesh.faces)
    (walk,) = rig.clips
    stretch = max(
        max_edge_stretch(
            vertices, skin(vertices, rig.joints, rig.weights, joint_matrices(rig.skeleton, walk, k)), faces
        )
        for k in range(len(walk.times_s))
    )
    assert stretch <= 2.0

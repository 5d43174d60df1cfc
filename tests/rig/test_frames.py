"""Animation frames drive the rig: one skinned character whose one clip follows every frame's outline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image

from lift3d.api import ConvertOptions
from lift3d.cli import main
from lift3d.data.characters import CharacterSample, walk_cycle
from lift3d.evaluate.rig_frames import frames_iou
from lift3d.pipelines.frames import FramesOptions, FramesResult, convert_frames
from lift3d.rig.pose import POINT_NAMES, chains_read, drop_misread, skeleton_points, solve_pose
from lift3d.rig.skeleton import HUMANOID_JOINTS, Skeleton
from lift3d.types import Picture
from tests.export.test_export_gltf_validator import VALIDATOR, validator_missing

FAST = ["--generator", "inflate", "--faces", "3000", "--texture-size", "128", "--quiet"]
WALK_SEED = 30001  # outside the template's training seeds and the benchmark's held-out ones


@pytest.fixture(scope="module")
def walk() -> list[CharacterSample]:
    """A short walk cycle: 4 frames of 128 px."""
    return walk_cycle(WALK_SEED, 4, 128)


def _pictures(frames: list[CharacterSample]) -> list[Picture]:
    return [
        Picture(frame.rgba[..., :3] / np.float32(255), frame.rgba[..., 3] / np.float32(255), f"walk_{index}")
        for index, frame in enumerate(frames)
    ]


@pytest.fixture(scope="module")
def rigged(walk: list[CharacterSample]) -> FramesResult:
    options = ConvertOptions(generator="inflate", rig=True, max_faces=3000, texture_px=128)
    return convert_frames(_pictures(walk), FramesOptions(convert=options))


def test_each_posed_frame_matches_its_input_silhouette(walk, rigged) -> None:
    character = rigged.character
    assert character is not None and character.rig is not None and rigged.frames == []
    assert [clip.name for clip in character.rig.clips] == ["frames"]
    assert len(character.rig.clips[0].times_s) == len(walk) + 1  # a key per frame, the last held
    masks = [frame.mask for frame in walk]
    posed, held = frames_iou(
        np.asarray(character.mesh.vertices),
        np.asarray(character.mesh.faces),
        character.rig,
        masks,
        rigged.provenance["rig"]["rest_frame"],
    )
    assert min(posed) >= 0.85, posed
    # the poses do the work: the rest mesh held still misses the frames that move most
    assert min(held) < 0.8, held


def _forward(skeleton: Skeleton, world: np.ndarray, root_offset: np.ndarray) -> np.ndarray:
    """Joint and tip (x, y) after turning each joint's bone by its world turn about +Z."""

    def turn(angle: float, vector: np.ndarray) -> np.ndarray:
        return np.array(
            [
                np.cos(angle) * vector[0] - np.sin(angle) * vector[1],
                np.sin(angle) * vector[0] + np.cos(angle) * vector[1],
            ]
        )

    posed = np.zeros((len(skeleton.names), 2))
    for joint, parent in enumerate(skeleton.parents):
        rest = skeleton.positions[joint, :2]
        posed[joint] = (
            rest + root_offset[:2]
            if parent < 0
            else posed[parent] + turn(world[parent], rest - skeleton.positions[parent, :2])
        )
    tips = [
        posed[skeleton.names.index(name[:-4])]
        + turn(
            world[skeleton.names.index(name[:-4])],
            (skeleton.tails - skeleton.positions)[skeleton.names.index(name[:-4]), :2],
        )
        for name in POINT_NAMES[len(HUMANOID_JOINTS) :]
    ]
    return np.vstack([posed, tips])


def test_ik_on_true_joints_reaches_them(walk) -> None:
    """Solved from one frame's true joints, the rest skeleton's joints land on them (2D)."""
    rest = walk[0].skeleton
    height = walk[0].height
    for frame in walk[1:]:
        target = skeleton_points(frame.skeleton)[:, :2]
        world, offset = solve_pose(rest, target)
        error = np.linalg.norm(_forward(rest, world, offset) - target, axis=1)
        assert error.mean() < 0.02 * height, error.mean() / height


def test_a_misread_chain_is_dropped_and_a_misread_trunk_drops_the_frame(walk) -> None:
    rest = walk[0].skeleton
    points = skeleton_points(walk[1].skeleton)[:, :2]
    assert chains_read(rest, points) == [True] * 5
    arm = [POINT_NAMES.index(name) for name in ("lower_arm.R", "hand.R", "hand.R.tip")]
    short_arm = points.copy()
    short_arm[arm] = points[POINT_NAMES.index("upper_arm.R")]  # the arm's end pruned away
    kept = drop_misread(rest, short_arm)
    assert kept is not None and np.isnan(kept[arm]).all()
    assert not np.isnan(np.delete(kept, arm + [POINT_NAMES.index("upper_arm.R")], axis=0)).any()
    headless = points.copy()
    head = [POINT_NAMES.index(name) for name in ("neck", "head", "head.tip")]
    headless[head] = points[POINT_NAMES.index("chest")]  # the trunk ends at the chest
    assert drop_misread(rest, headless) is None


def _gif(frames: list[np.ndarray], path: Path) -> Path:
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0, disposal=2)
    return path


def test_cli_frames_rig_writes_one_skinned_mesh_with_one_animation(tmp_path, walk, capsys) -> None:
    # flattened onto white, as a GIF of a drawing would be
    frames = [
        (frame.rgba[..., :3] * (frame.rgba[..., 3:] / 255) + 255 * (1 - frame.rgba[..., 3:] / 255)).astype(
            np.uint8
        )
        for frame in walk
    ]
    gif = _gif(frames, tmp_path / "walk.gif")
    output = tmp_path / "walk.glb"
    assert main(["convert", str(gif), "--kind", "frames", "--rig", "-o", str(output), *FAST]) == 0
    gltf = pygltflib.GLTF2().load(str(output))
    assert len(gltf.meshes) == 1 and len(gltf.skins) == 1
    assert [gltf.nodes[j].name for j in gltf.skins[0].joints] == list(HUMANOID_JOINTS)
    assert [animation.name for animation in gltf.animations] == ["frames"]
    record = json.loads(output.with_suffix(".lift3d.json").read_text())
    assert record["rig"]["skeleton"] == "humanoid" and len(record["rig"]["silhouette_iou"]) == len(walk)
    assert sorted(path.name for path in tmp_path.glob("*.glb")) == ["walk.glb"]  # no flipbook frames
    assert "posed from 4 frames" in capsys.readouterr().err
    if not validator_missing():  # the Khronos validator, where tools/gltf-validator is installed
        run = subprocess.run(
            ["node", str(VALIDATOR / "validate.mjs"), str(output)], capture_output=True, text=True, check=True
        )
        (report,) = json.loads(run.stdout)
        assert report["errors"] == 0 and report["warnings"] == 0, report["messages"]


def test_cli_frames_rig_refuses_frames_that_are_not_a_character(tmp_path, capsys) -> None:
    frames = []
    for shift in range(4):
        frame = np.full((96, 96, 3), 255, dtype=np.uint8)
        frame[30:66, 20 + 4 * shift : 56 + 4 * shift] = (200, 60, 40)  # a box sliding along
        frames.append(frame)
    gif = _gif(frames, tmp_path / "box.gif")
    assert (
        main(["convert", str(gif), "--kind", "frames", "--rig", "-o", str(tmp_path / "box.glb"), *FAST]) != 0
    )
    error = capsys.readouterr().err.strip()
    assert "humanoid" in error and len(error.splitlines()) == 1
    assert not list(tmp_path.glob("*.glb"))

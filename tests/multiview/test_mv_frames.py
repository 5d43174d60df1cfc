"""Frames: a sequence of poses becomes one GLB that plays them, plus one mesh per frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from mv_shapes import character_frames
from PIL import Image

from lift3d.api import ConvertOptions
from lift3d.errors import InputError, OptionError, OutputError
from lift3d.inputs.sheets import parse_grid, read_frames, split_sprite_sheet
from lift3d.pipelines.frames import FramesOptions, convert_frames, save_frames
from lift3d.types import Picture

FRAMES = 12
FAST = FramesOptions(
    convert=ConvertOptions(
        generator="inflate", max_faces=600, texture_px=64, cutout_px=64, grid_px=40, height_m=1.5
    ),
    frame_rate_fps=12.0,
)


def _sprite_sheet(frames: list[Image.Image], columns: int, rows: int) -> Image.Image:
    width, height = frames[0].size
    sheet = Image.new("RGBA", (width * columns, height * rows))
    for index, frame in enumerate(frames):
        sheet.paste(frame, ((index % columns) * width, (index // columns) * height))
    return sheet


@pytest.fixture(scope="module")
def sheet_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("frames") / "wave.png"
    _sprite_sheet(character_frames(FRAMES), 4, 3).save(path)
    return path


@pytest.fixture(scope="module")
def saved(sheet_path: Path) -> tuple[list[Path], Path]:
    result = convert_frames(sheet_path, FAST)
    target = sheet_path.with_name("wave.glb")
    return save_frames(result, target), target


def test_glb_holds_one_node_per_frame_and_a_stepped_animation(saved: tuple[list[Path], Path]) -> None:
    _, target = saved
    gltf = pygltflib.GLTF2().load(str(target))
    frame_nodes = [node for node in gltf.nodes if node.mesh is not None]
    assert len(frame_nodes) == FRAMES
    assert len(gltf.animations) == 1
    animation = gltf.animations[0]
    assert len(animation.channels) == FRAMES
    assert {channel.target.path for channel in animation.channels} == {"scale"}
    assert {sampler.interpolation for sampler in animation.samplers} == {"STEP"}
    # Read the keyframes back: at each of the 12 steps exactly one frame shows, each once, in order.
    binary = gltf.binary_blob()

    def values(accessor_index: int, width: int) -> np.ndarray:
        accessor = gltf.accessors[accessor_index]
        view = gltf.bufferViews[accessor.bufferView]
        start = view.byteOffset + (accessor.byteOffset or 0)
        return np.frombuffer(binary, "<f4", accessor.count * width, start).reshape(accessor.count, width)

    times = values(animation.samplers[0].input, 1)[:, 0]
    np.testing.assert_allclose(times[:FRAMES], np.arange(FRAMES) / 12.0, atol=1e-6)
    shown = np.stack([values(sampler.output, 3)[:FRAMES, 0] for sampler in animation.samplers], axis=1)
    node_of_channel = [channel.target.node for channel in animation.channels]
    assert (shown.sum(axis=1) == 1).all()
    assert [node_of_channel[column] for column in shown.argmax(axis=1)] == [
        gltf.nodes.index(node) for node in frame_nodes
    ]


def test_glb_loads_in_trimesh_with_every_pose(saved: tuple[list[Path], Path]) -> None:
    _, target = saved
    scene = trimesh.load(target)
    assert isinstance(scene, trimesh.Scene)
    assert len(scene.geometry) == FRAMES
    assert len(scene.graph.nodes_geometry) == FRAMES
    assert all(len(mesh.faces) > 0 for mesh in scene.geometry.values())


def test_frames_are_written_apart_with_provenance(saved: tuple[list[Path], Path]) -> None:
    written, target = saved
    frame_files = [path for path in written if "_frame_" in path.name]
    assert len(frame_files) == FRAMES and all(path.exists() for path in frame_files)
    assert target.with_suffix(".lift3d.json").exists()
    single = trimesh.load(frame_files[3], force="mesh")
    assert len(single.faces) <= FAST.convert.max_faces


def test_frames_share_scale_and_pivot(sheet_path: Path) -> None:
    result = convert_frames(sheet_path, FAST)
    bounds = np.array([asset.mesh.bounds for asset in result.frames])  # (F, 2, 3)
    # Feet stay on the ground (the figure's legs do not move), the tallest frame is height_m.
    np.testing.assert_allclose(bounds[:, 0, 1], 0.0, atol=0.03)
    assert bounds[:, 1, 1].max() == pytest.approx(1.5, abs=0.03)
    # The body bobs: frames differ in height by the bob, not rescaled to one height.
    assert np.ptp(bounds[:, 1, 1]) > 0.05
    assert abs(bounds[:, :, 0].mean()) < 0.2


def test_gif_folder_and_sheet_give_the_same_frames(tmp_path: Path, sheet_path: Path) -> None:
    frames = character_frames(FRAMES)
    gif = tmp_path / "wave.gif"
    frames[0].save(
        gif, save_all=True, append_images=frames[1:], duration=80, loop=0, disposal=2, transparency=0
    )
    folder = tmp_path / "poses"
    folder.mkdir()
    for index, frame in enumerate(frames):
        frame.save(folder / f"pose{index}.png")  # pose10 sorts after pose9
    sources = [
        read_frames(gif),
        read_frames(folder),
        read_frames(sheet_path),
        read_frames(sheet_path, (4, 3)),
    ]
    assert [len(pictures) for pictures in sources] == [FRAMES] * 4
    for pictures in sources[1:]:
        np.testing.assert_allclose(pictures[10].alpha, sources[0][10].alpha > 0.5, atol=0.01)


def test_a_single_frame_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.png"
    character_frames(1)[0].save(path)
    with pytest.raises(InputError, match="frames needs at least 2 frames"):
        convert_frames(path, FAST)


def test_bad_grid_and_output_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OptionError):
        parse_grid("4 by 3")
    with pytest.raises(OptionError):
        FramesOptions(sheet_grid=(0, 3))
    with pytest.raises(OutputError, match=".glb"):
        save_frames(convert_frames([*_two_pictures()], FAST), tmp_path / "wave.obj")


def _two_pictures() -> Iterator[Picture]:
    for frame in character_frames(2):
        rgba = np.asarray(frame, dtype=np.float32) / 255
        yield Picture(rgb=rgba[..., :3], alpha=rgba[..., 3], source="frame")


def test_explicit_grid_skips_empty_cells() -> None:
    rgba = np.asarray(_sprite_sheet(character_frames(10), 4, 3), dtype=np.float32) / 255
    sheet = Picture(rgb=rgba[..., :3], alpha=rgba[..., 3], source="ten.png")
    assert len(split_sprite_sheet(sheet, (4, 3))) == 10
    assert len(split_sprite_sheet(sheet)) == 10

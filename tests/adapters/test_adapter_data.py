"""Adapter data: styles are deterministic and look their part; user meshes load safely into pairs."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from lift3d.data.styles import PAPER_BLUE, STYLES
from lift3d.errors import InputError, OptionError
from lift3d.generate.adapters.config import AdapterConfig
from lift3d.generate.diffusion.model import CONDITION_CHANNELS
from lift3d.training.adapter_data import load_user_mesh, pairs_from_meshes, synthetic_view, truth_mesh


@pytest.mark.parametrize("style", STYLES)
def test_styles_are_deterministic_and_share_the_maps(style):
    first, source = synthetic_view(7, style)
    again, _ = synthetic_view(7, style)
    assert np.array_equal(first.picture, again.picture)
    photo, _ = synthetic_view(7, "photo")
    assert np.array_equal(first.front_z, photo.front_z) and np.array_equal(first.coverage, photo.coverage)
    assert first.picture.shape == (128, 128, 3) and first.model_rgb.min() >= 0.0
    assert truth_mesh(source).is_watertight


def test_sketch_is_lines_without_fill_and_blueprint_is_blue():
    sketch, _ = synthetic_view(3, "sketch")
    inside = sketch.coverage > 0.99
    grey = sketch.picture.mean(axis=2)
    assert np.allclose(sketch.picture[..., 0], sketch.picture[..., 2])  # black on white, no colour
    assert (grey[~inside] > 0.9).mean() > 0.97  # paper around the object
    assert (grey < 0.5).mean() < 0.2  # lines and hatching, not a filled silhouette
    blueprint, _ = synthetic_view(3, "blueprint")
    corner = blueprint.picture[:8, :8].reshape(-1, 3).mean(axis=0)
    assert corner[2] > corner[0] + 0.2 and np.abs(corner - PAPER_BLUE).max() < 0.2
    assert (blueprint.model_rgb[~np.pad(inside, 0)][:, 2] > 0.9).mean() > 0.5  # white outside in the cutout


def test_mesh_folder_becomes_pairs_grouped_by_mesh(tmp_path):
    trimesh.creation.box((1.0, 0.5, 0.3)).export(tmp_path / "box.glb")
    trimesh.creation.icosphere(2).export(tmp_path / "ball.obj")
    trimesh.creation.cylinder(0.3, 1.0).export(tmp_path / "rod.ply")
    (tmp_path / "notes.txt").write_text("not a mesh")
    (tmp_path / "broken.obj").write_text("v 0 0 0\nthis is not obj\n")
    pairs = pairs_from_meshes(tmp_path, "toon", 16, views_per_mesh=2, progress=False)
    assert pairs.condition.shape == (6, CONDITION_CHANNELS, 16, 16) and pairs.maps.shape == (6, 2, 16, 16)
    assert pairs.summary["meshes"] == 3 and "broken.obj" in pairs.summary["skipped"]
    train, held = pairs.split(0.34, seed=0)
    assert held is not None and not set(train.group) & set(held.group)
    assert truth_mesh(held.sources[0]).bounds[:, :2].max() == pytest.approx(0.8, abs=1e-6)


def test_hostile_or_empty_mesh_files_are_one_line_input_errors(tmp_path):
    cases = {}
    (tmp_path / "empty.glb").write_bytes(b"")
    cases["empty.glb"] = "empty"
    (tmp_path / "garbage.glb").write_bytes(b"glTF" + b"\xff" * 64)
    cases["garbage.glb"] = "cannot read"
    trimesh.PointCloud(np.random.default_rng(0).random((50, 3))).export(tmp_path / "cloud.ply")
    cases["cloud.ply"] = "(no triangles|not a triangle mesh)"
    trimesh.creation.icosphere(3).export(tmp_path / "big.ply")
    (tmp_path / "model.fbx").write_bytes(b"x")
    cases["model.fbx"] = "not a mesh file"
    for name, message in cases.items():
        with pytest.raises(InputError, match=message) as caught:
            load_user_mesh(tmp_path / name)
        assert "\n" not in str(caught.value) and name in str(caught.value)
    with pytest.raises(InputError, match="more than 100"):
        load_user_mesh(tmp_path / "big.ply", max_faces=100)


@pytest.mark.parametrize(
    "bad",
    [{"rank": 0}, {"alpha": -1.0}, {"dropout": 1.0}, {"style": "oil"}, {"target_modules": ()}, {"steps": 0}],
)
def test_config_rejects_bad_values(bad):
    with pytest.raises(OptionError):
        AdapterConfig(**bad)


def test_config_round_trips_through_json_lists():
    assert AdapterConfig(target_modules=["conv1"]).target_modules == ("conv1",)
    assert AdapterConfig().lora_config().r == AdapterConfig().rank


def test_pairs_jsonl_uses_the_users_pictures(tmp_path):
    from PIL import Image

    from lift3d.training.adapter_data import make_pairs

    mesh = trimesh.creation.box((1.0, 1.0, 0.4))
    mesh.export(tmp_path / "box.glb")
    view, _ = synthetic_view(3, "sketch")  # any line drawing will do as the user's picture
    Image.fromarray((view.picture * 255).astype(np.uint8)).save(tmp_path / "box.png")
    (tmp_path / "pairs.jsonl").write_text(
        '{"picture": "box.png", "mesh": "box.glb", "camera": {"azimuth_deg": 0, "elevation_deg": 0}}\n'
    )
    pairs = make_pairs("sketch", 16, pairs_file=tmp_path / "pairs.jsonl", progress=False)
    assert pairs.condition.shape == (1, CONDITION_CHANNELS, 16, 16) and pairs.summary["source"] == "pairs"
    assert float(pairs.maps[0, 0].max()) == pytest.approx(
        0.32, abs=0.03
    )  # the box's front face, z = 0.2 * 0.8/0.5
    (tmp_path / "bad.jsonl").write_text('{"picture": "box.png"}\n')
    with pytest.raises(InputError, match="line 1"):
        make_pairs("sketch", 16, pairs_file=tmp_path / "bad.jsonl", progress=False)
    with pytest.raises(OptionError, match="exactly one"):
        make_pairs("sketch", 16, pairs_file=tmp_path / "pairs.jsonl", synthetic=3)

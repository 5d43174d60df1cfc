"""Every format round-trips through trimesh; failures raise OutputError and leave no file."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import trimesh

from lift3d.errors import OutputError
from lift3d.export import EXPORTERS, save_asset
from lift3d.types import Asset


def _closed_after_welding(mesh: trimesh.Trimesh) -> bool:
    welded = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    welded.merge_vertices(merge_tex=True, merge_norm=True)
    return welded.is_watertight and welded.is_winding_consistent


def _only_mesh(loaded: trimesh.Scene | trimesh.Trimesh) -> trimesh.Trimesh:
    if isinstance(loaded, trimesh.Scene):
        assert len(loaded.geometry) == 1
        return next(iter(loaded.geometry.values()))
    return loaded


def test_registry_names_the_supported_formats() -> None:
    assert set(EXPORTERS) == {".glb", ".obj", ".ply", ".stl", ".usdz"}


def test_glb_round_trip(tmp_path: Path, asset: Asset) -> None:
    written = save_asset(asset, tmp_path / "thing.glb")
    assert written == [tmp_path / "thing.glb"]
    mesh = _only_mesh(trimesh.load(written[0]))
    assert mesh.visual.uv.shape == (len(mesh.vertices), 2)
    assert mesh.visual.material.baseColorTexture.size == (128, 128)
    assert len(mesh.faces) == len(asset.mesh.faces)
    assert _closed_after_welding(mesh)
    assert mesh.extents[1] == pytest.approx(2.0, rel=1e-5)


def test_path_without_extension_becomes_glb(tmp_path: Path, asset: Asset) -> None:
    assert save_asset(asset, tmp_path / "thing") == [tmp_path / "thing.glb"]


def test_obj_round_trip_writes_mtl_and_texture(tmp_path: Path, asset: Asset) -> None:
    written = save_asset(asset, tmp_path / "thing.obj")
    assert sorted(p.name for p in written) == ["thing.mtl", "thing.obj", "thing_basecolor.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.mtl", "thing.obj", "thing_basecolor.png"]
    mesh = _only_mesh(trimesh.load(tmp_path / "thing.obj"))
    assert mesh.visual.uv is not None and len(mesh.faces) == len(asset.mesh.faces)
    image = getattr(mesh.visual.material, "image", None) or mesh.visual.material.baseColorTexture
    assert image.size == (128, 128)
    assert _closed_after_welding(mesh)


def test_ply_round_trip_has_texture_colours(tmp_path: Path, asset: Asset) -> None:
    save_asset(asset, tmp_path / "thing.ply")
    mesh = _only_mesh(trimesh.load(tmp_path / "thing.ply"))
    assert mesh.is_watertight
    colours = mesh.visual.vertex_colors[:, :3].astype(float) / 255
    front = mesh.vertex_normals[:, 1] < -0.9  # PLY is Z-up: the front (+Z in glTF) faces -Y
    assert np.allclose(colours[front].mean(axis=0), (0.8, 0.3, 0.1), atol=0.05)


def test_stl_round_trip_is_closed(tmp_path: Path, asset: Asset) -> None:
    save_asset(asset, tmp_path / "thing.stl")
    mesh = _only_mesh(trimesh.load(tmp_path / "thing.stl"))
    assert mesh.is_watertight and mesh.volume > 0
    assert len(mesh.faces) == len(asset.mesh.faces)


def test_unknown_extension_names_supported_ones(tmp_path: Path, asset: Asset) -> None:
    with pytest.raises(OutputError, match=r"\.glb, \.obj, \.ply, \.stl"):
        save_asset(asset, tmp_path / "thing.fbx")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", sorted(EXPORTERS))
def test_unwritable_folder_gives_one_line_error_and_no_file(
    tmp_path: Path, asset: Asset, suffix: str
) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    with pytest.raises(OutputError) as caught:
        save_asset(asset, blocker / f"thing{suffix}")
    assert "\n" not in str(caught.value) and "not_a_folder" in str(caught.value)
    with pytest.raises(OutputError, match="does not exist"):
        save_asset(asset, tmp_path / "missing" / f"thing{suffix}")
    assert [p.name for p in tmp_path.iterdir()] == ["not_a_folder"]


def test_obj_set_is_all_or_nothing(tmp_path: Path, asset: Asset, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace
    calls = []

    def failing_replace(source: str | os.PathLike, target: str | os.PathLike) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left"):
        save_asset(asset, tmp_path / "thing.obj")
    assert not any(tmp_path.iterdir())


def test_obj_set_files_follow_the_umask(tmp_path: Path, asset: Asset) -> None:
    previous = os.umask(0o022)
    try:
        written = save_asset(asset, tmp_path / "thing.obj")
    finally:
        os.umask(previous)
    assert {p.stat().st_mode & 0o777 for p in written} == {0o644}

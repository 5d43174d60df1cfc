"""--quads in the files: OBJ `f` lines of four corners, USD faceVertexCounts of 4, GLB refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh

from lift3d.asset import AssetOptions, build_asset
from lift3d.errors import OptionError
from lift3d.export import save_asset
from lift3d.types import Asset, Cutout

pytest.importorskip("pyinstantmeshes", reason="--quads needs pyinstantmeshes: pip install 'lift3d[quads]'")


@pytest.fixture(scope="module")
def quad_asset(orange_disc: Cutout) -> Asset:
    mesh = trimesh.creation.capsule(height=1.0, radius=0.5, count=[24, 24])
    options = AssetOptions(max_faces=2000, texture_px=128, height_m=2.0, quads=True)
    return build_asset(mesh, orange_disc, None, options)


def test_obj_writes_quads_that_close_into_a_watertight_surface(tmp_path: Path, quad_asset: Asset) -> None:
    path = tmp_path / "capsule.obj"
    save_asset(quad_asset, path)
    faces = [line.split()[1:] for line in path.read_text().splitlines() if line.startswith("f ")]
    corners = np.array([len(face) for face in faces])
    assert set(corners) <= {3, 4}
    assert (corners == 4).mean() > 0.8
    assert all(len(token.split("/")) == 3 for token in faces[0])  # position/uv/normal
    loaded = trimesh.load(path, process=False, force="mesh")
    assert len(loaded.faces) == (corners - 2).sum()
    assert np.all((loaded.visual.uv >= 0) & (loaded.visual.uv <= 1))
    loaded.merge_vertices(merge_tex=True, merge_norm=True)
    assert loaded.is_watertight and loaded.is_winding_consistent
    diagonal = np.linalg.norm(np.ptp(quad_asset.mesh.vertices, axis=0))
    points, _ = trimesh.sample.sample_surface_even(quad_asset.mesh, 3000, seed=0)
    _, distance, _ = trimesh.proximity.closest_point(loaded, points)
    assert distance.max() < 0.01 * diagonal


def test_usdz_writes_four_corner_faces(tmp_path: Path, quad_asset: Asset) -> None:
    pxr = pytest.importorskip("pxr", reason="writing .usdz needs usd-core: pip install 'lift3d[usd]'")
    from pxr import Usd, UsdGeom

    path = tmp_path / "capsule.usdz"
    save_asset(quad_asset, path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "unpacked")
    stage = Usd.Stage.Open(str(tmp_path / "unpacked" / "model.usdc"))
    mesh = next(UsdGeom.Mesh(prim) for prim in stage.Traverse() if prim.IsA(UsdGeom.Mesh))
    counts = np.array(mesh.GetFaceVertexCountsAttr().Get())
    indices = np.array(mesh.GetFaceVertexIndicesAttr().Get())
    st = UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st")
    assert set(counts) <= {3, 4} and (counts == 4).mean() > 0.8
    assert len(indices) == counts.sum() == len(st.GetIndices())
    assert indices.max() < len(mesh.GetPointsAttr().Get())
    assert pxr is not None
    try:
        from pxr import UsdValidation
    except ImportError:
        return  # older usd-core: its Python checker is run by test_export_usdz
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    errors = UsdValidation.ValidationContext(validators).Validate(Usd.Stage.Open(str(path)))
    assert [error.GetMessage() for error in errors] == []


@pytest.mark.parametrize("name", ["capsule.glb", "capsule.stl", "capsule.ply"])
def test_triangle_formats_refuse_quads_in_one_line(tmp_path: Path, quad_asset: Asset, name: str) -> None:
    with pytest.raises(OptionError) as error:
        save_asset(quad_asset, tmp_path / name)
    assert "\n" not in str(error.value) and Path(name).suffix in str(error.value)
    assert not (tmp_path / name).exists()

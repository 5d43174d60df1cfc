"""USDZ round trip through usd-core: one textured mesh that AR Quick Look's rules accept."""

from __future__ import annotations

import builtins
import importlib.util
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lift3d.errors import OutputError
from lift3d.export import EXPORTERS, save_asset
from lift3d.types import Asset

needs_usd = pytest.mark.skipif(
    importlib.util.find_spec("pxr") is None, reason="usd-core is not installed: pip install 'lift3d[usd]'"
)


@pytest.fixture(scope="module")
def usdz(tmp_path_factory: pytest.TempPathFactory, asset: Asset) -> Path:
    path = tmp_path_factory.mktemp("usdz") / "thing.usdz"
    assert save_asset(asset, path) == [path]
    return path


def test_usdz_is_registered() -> None:
    assert ".usdz" in EXPORTERS


@needs_usd
def test_usdz_round_trip_has_one_textured_mesh(usdz: Path, asset: Asset) -> None:
    from pxr import Usd, UsdGeom, UsdShade

    stage = Usd.Stage.Open(str(usdz))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().IsValid()
    meshes = [UsdGeom.Mesh(prim) for prim in stage.Traverse() if prim.IsA(UsdGeom.Mesh)]
    assert len(meshes) == 1
    mesh = meshes[0]
    counts = np.asarray(mesh.GetFaceVertexCountsAttr().Get())
    assert len(counts) == len(asset.mesh.faces) and set(counts) == {3}
    points = np.asarray(mesh.GetPointsAttr().Get())
    assert np.ptp(points[:, 1]) == pytest.approx(2.0, rel=1e-5)  # the fixture is 2 m tall, Y up
    assert len(mesh.GetNormalsAttr().Get()) == len(points)

    st = UsdGeom.PrimvarsAPI(mesh).GetPrimvar("st")
    assert st and st.GetInterpolation() == UsdGeom.Tokens.faceVarying
    assert len(st.ComputeFlattened()) == 3 * len(asset.mesh.faces)

    material, _ = UsdShade.MaterialBindingAPI(mesh.GetPrim()).ComputeBoundMaterial()
    assert material
    shaders = {UsdShade.Shader(prim).GetIdAttr().Get(): prim for prim in Usd.PrimRange(material.GetPrim())}
    assert {"UsdPreviewSurface", "UsdUVTexture", "UsdPrimvarReader_float2"} <= set(shaders)
    texture = UsdShade.Shader(shaders["UsdUVTexture"]).GetInput("file").Get()
    assert texture.resolvedPath, f"the texture {texture.path} does not resolve inside the package"


@needs_usd
def test_usdz_is_a_zip_whose_first_file_is_the_layer(usdz: Path) -> None:
    with zipfile.ZipFile(usdz) as archive:
        names = archive.namelist()
        assert names[0].endswith((".usdc", ".usda"))
        assert any(name.endswith(".png") for name in names)
        # usdz requires stored (uncompressed) entries so a viewer can map them in place.
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())


@needs_usd
def test_usdz_passes_the_arkit_checks(usdz: Path) -> None:
    from pxr import Usd

    try:
        from pxr.UsdUtils.complianceChecker import ComplianceChecker
    except ImportError:
        # usd-core 25.x+ dropped the Python checker for the UsdValidation framework.
        from pxr import UsdValidation

        validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
        errors = UsdValidation.ValidationContext(validators).Validate(Usd.Stage.Open(str(usdz)))
        problems = [error.GetMessage() for error in errors]
    else:
        checker = ComplianceChecker(arkit=True, skipARKitRootLayerCheck=False)
        checker.CheckCompliance(str(usdz))
        problems = [*checker.GetErrors(), *checker.GetFailedChecks()]
    assert problems == []


def test_missing_usd_core_names_the_extra(
    tmp_path: Path, asset: Asset, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def without_pxr(name: str, *args: object, **kwargs: object) -> object:
        if name == "pxr" or name.startswith("pxr."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pxr)
    with pytest.raises(OutputError, match=r"pip install 'lift3d\[usd\]'"):
        save_asset(asset, tmp_path / "thing.usdz")
    assert not any(tmp_path.iterdir())

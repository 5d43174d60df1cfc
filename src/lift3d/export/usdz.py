"""USDZ for Apple AR Quick Look: one mesh with a UsdPreviewSurface and its texture, packed in a zip."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lift3d.errors import OptionError, OutputError
from lift3d.export.gltf import oriented_mesh
from lift3d.export.options import ExportOptions, encode_texture
from lift3d.export.polygons import polygon_arrays
from lift3d.files import atomic_path
from lift3d.types import Asset

INSTALL_HINT = "pip install 'lift3d[usd]'"
TEXTURE_STEM = "base_color"  # the texture's path inside the package, relative to the .usdc
USDZ_TEXTURE_FORMATS = ("png", "jpg")  # what the usdz specification allows inside a package


def export_usdz(asset: Asset, path: Path, options: ExportOptions) -> list[Path]:
    """Write `asset` as one .usdz that AR Quick Look, Reality Composer and Blender open.

    `pxr` (usd-core, ~30 MB) is imported here rather than at module level, so lift3d
    imports without it and only this format asks for the extra.
    """
    try:
        from pxr import Tf, UsdUtils
    except ImportError:
        raise OutputError(f"cannot write {path.name}: writing .usdz needs usd-core: {INSTALL_HINT}") from None
    if options.texture_format not in USDZ_TEXTURE_FORMATS:
        raise OptionError(f"a .usdz holds png or jpg textures, not {options.texture_format}")
    texture_name = f"{TEXTURE_STEM}.{options.texture_format}"
    with tempfile.TemporaryDirectory(prefix="lift3d-usdz-") as folder:
        layer_path = Path(folder) / "model.usdc"
        (Path(folder) / texture_name).write_bytes(encode_texture(asset.texture, options.texture_format))
        _write_stage(asset, layer_path, options.name_for(path.stem), options.up_for(".usdz"), texture_name)
        with atomic_path(path) as tmp:
            try:
                # The ARKit variant refuses what Quick Look cannot show (e.g. an unsupported
                # texture type) and puts the .usdc first in the zip, as the usdz spec requires.
                packaged = UsdUtils.CreateNewARKitUsdzPackage(str(layer_path), str(tmp))
            except Tf.ErrorException as error:
                raise OutputError(f"cannot write {path.name}: {_first_line(error)}") from None
            if not packaged:
                raise OutputError(f"cannot write {path.name}: usd-core could not package the usdz")
    return [path]


def _write_stage(asset: Asset, layer_path: Path, name: str, up_axis: str, texture_name: str) -> None:
    """Author the stage: metres, the up axis asked for, a component root named after the asset,
    the mesh and its bound material."""
    from pxr import Gf, Kind, Sdf, Usd, UsdGeom, UsdShade, Vt

    mesh = oriented_mesh(asset.mesh, up_axis)
    vertices = np.asarray(mesh.vertices, dtype=np.float32)
    faces = np.asarray(mesh.faces, dtype=np.int32)
    normals = np.asarray(mesh.vertex_normals, dtype=np.float32)
    uv = getattr(mesh.visual, "uv", None)

    stage = Usd.Stage.CreateNew(str(layer_path))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z if up_axis == "z" else UsdGeom.Tokens.y)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root_path = f"/{name}"
    root = UsdGeom.Xform.Define(stage, root_path).GetPrim()
    stage.SetDefaultPrim(root)
    Usd.ModelAPI(root).SetKind(Kind.Tokens.component)

    counts, indices, uv_indices = np.full(len(faces), 3, dtype=np.int32), faces.reshape(-1), faces.reshape(-1)
    if asset.quads is not None:  # --quads: the retopology's polygons instead of the triangles
        polygons = polygon_arrays(asset.quads, up_axis)
        vertices, normals = polygons.vertices.astype(np.float32), polygons.normals.astype(np.float32)
        counts, indices, uv, uv_indices = polygons.counts, polygons.indices, polygons.uv, polygons.uv_indices

    geometry = UsdGeom.Mesh.Define(stage, f"{root_path}/{name}")
    geometry.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(vertices))
    geometry.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.asarray(counts, dtype=np.int32)))
    geometry.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.asarray(indices, dtype=np.int32)))
    geometry.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(normals))
    geometry.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    # Without this a viewer subdivides the triangles (Catmull-Clark is USD's default) and
    # ignores the authored normals.
    geometry.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)
    geometry.CreateOrientationAttr(UsdGeom.Tokens.rightHanded)
    geometry.CreateDoubleSidedAttr(False)
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    geometry.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, low)), Gf.Vec3f(*map(float, high))]))
    if uv is not None:
        # Indexed faceVarying: the UVs once per vertex, indexed per face corner. USD's st has
        # v up like trimesh's uv, so no flip.
        st = UsdGeom.PrimvarsAPI(geometry).CreatePrimvar(
            "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.faceVarying
        )
        st.Set(Vt.Vec2fArray.FromNumpy(np.asarray(uv, dtype=np.float32)))
        st.SetIndices(Vt.IntArray.FromNumpy(np.asarray(uv_indices, dtype=np.int32)))

    # The material sits under the mesh prim: Blender's importer then merges the root Xform
    # and its one mesh into a single object named after the asset (a sibling Scope of
    # materials would arrive as an extra empty, and the root as `name.001`).
    material = _define_material(stage, f"{root_path}/{name}/{name}", asset, texture_name)
    UsdShade.MaterialBindingAPI.Apply(geometry.GetPrim()).Bind(material)
    stage.GetRootLayer().Save()


def _define_material(stage: Any, path: str, asset: Asset, texture_name: str) -> Any:
    """A UsdPreviewSurface whose diffuse colour reads the packed texture through the st primvar."""
    from pxr import Gf, Sdf, UsdShade

    source = getattr(asset.mesh.visual, "material", None)
    roughness = getattr(source, "roughnessFactor", None)
    metallic = getattr(source, "metallicFactor", None)

    material = UsdShade.Material.Define(stage, path)
    surface = UsdShade.Shader.Define(stage, f"{path}/surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(
        1.0 if roughness is None else float(roughness)
    )
    surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(
        0.0 if metallic is None else float(metallic)
    )
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")

    reader = UsdShade.Shader.Define(stage, f"{path}/st_reader")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    # The primvar name comes through a material input, the pattern AR Quick Look expects.
    varname = material.CreateInput("frame:stPrimvarName", Sdf.ValueTypeNames.String)
    varname.Set("st")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).ConnectToSource(varname)
    reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)

    texture = UsdShade.Shader.Define(stage, f"{path}/base_color")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(texture_name))
    texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(reader.ConnectableAPI(), "result")
    texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    texture.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("clamp")
    texture.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("clamp")
    texture.CreateInput("fallback", Sdf.ValueTypeNames.Float4).Set(Gf.Vec4f(1.0, 1.0, 1.0, 1.0))
    texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(
        texture.ConnectableAPI(), "rgb"
    )
    return material


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]

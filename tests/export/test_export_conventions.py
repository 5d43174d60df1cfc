"""What each tool expects: up axis per format, the base on the floor, normals, names, sampler, texture formats."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from tests.export.test_export_inputs_kept import fast_for, make_inputs

from lift3d.cli import main
from lift3d.export import ExportOptions, save_asset
from lift3d.export.gltf import SAMPLER, read_glb
from lift3d.types import Asset

HEIGHT_M = 2.0  # the session asset's height; its centre was at the origin before the pivot moved


def glb_document(path: Path) -> dict:
    return read_glb(path.read_bytes())[0]


def convert(folder: Path, kind: str, output: str, *extra: str) -> Path:
    inputs = [str(folder / name) for name in make_inputs(folder, kind)]
    views = ["--azimuths", "0,90,180,270"] if kind == "views" else []
    target = folder / output
    assert main(["convert", *inputs, "--kind", kind, "-o", str(target), *views, *extra, *fast_for(kind)]) == 0
    return target


@pytest.mark.parametrize(("suffix", "up"), [(".glb", "y"), (".obj", "y"), (".stl", "z"), (".ply", "z")])
def test_each_format_is_written_with_its_ecosystems_up_axis(tmp_path: Path, asset: Asset, suffix, up) -> None:
    path = tmp_path / f"thing{suffix}"
    save_asset(asset, path)
    mesh = trimesh.load(path, force="mesh")
    axis = {"y": 1, "z": 2}[up]
    assert mesh.extents[axis] == pytest.approx(HEIGHT_M, rel=1e-4)
    assert mesh.bounds[0][axis] == pytest.approx(0.0, abs=1e-5)  # standing on the floor


@pytest.mark.parametrize("suffix", [".glb", ".obj", ".stl", ".ply"])
def test_up_flag_overrides_the_format(tmp_path: Path, asset: Asset, suffix: str) -> None:
    default = trimesh.load(save_asset(asset, tmp_path / f"a{suffix}")[0], force="mesh")
    flipped_up = "y" if ExportOptions().up_for(suffix) == "z" else "z"
    other = trimesh.load(
        save_asset(asset, tmp_path / f"b{suffix}", ExportOptions(up_axis=flipped_up))[0], force="mesh"
    )
    axis = {"y": 1, "z": 2}[flipped_up]
    assert other.extents[axis] == pytest.approx(HEIGHT_M, rel=1e-4)
    assert other.volume == pytest.approx(default.volume, rel=1e-6)  # a rotation: inside stays inside
    assert other.volume > 0


@pytest.mark.skipif(importlib.util.find_spec("pxr") is None, reason="usd-core (lift3d[usd]) is not installed")
@pytest.mark.parametrize("up", ["y", "z"])
def test_usdz_declares_its_up_axis_and_is_named_after_the_asset(
    tmp_path: Path, asset: Asset, up: str
) -> None:
    from pxr import Usd, UsdGeom, UsdShade

    path = save_asset(asset, tmp_path / "teapot.usdz", ExportOptions(up_axis=up, texture_format="jpg"))[0]
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == up.upper()
    assert stage.GetDefaultPrim().GetPath().pathString == "/teapot"
    mesh = UsdGeom.Mesh(stage.GetPrimAtPath("/teapot/teapot"))
    points = np.asarray(mesh.GetPointsAttr().Get())
    axis = {"y": 1, "z": 2}[up]
    assert points[:, axis].min() == pytest.approx(0.0, abs=1e-5)
    bound, _ = UsdShade.MaterialBindingAPI(mesh.GetPrim()).ComputeBoundMaterial()
    assert bound.GetPath().pathString == "/teapot/teapot/teapot"  # under the mesh: one object in Blender


@pytest.mark.parametrize("kind", ["picture", "ortho", "views", "frames", "plan"])
def test_every_kind_stands_on_the_floor_centred_in_x_and_z(tmp_path: Path, kind: str) -> None:
    scene = trimesh.load(convert(tmp_path, kind, "out.glb"))
    low, high = scene.bounds
    if kind == "frames":  # the animated GLB hides all but one pose (scale 0); take every pose's file
        poses = [trimesh.load(path, force="mesh") for path in sorted(tmp_path.glob("out_frame_*.glb"))]
        low = np.min([pose.bounds[0] for pose in poses], axis=0)
        high = np.max([pose.bounds[1] for pose in poses], axis=0)
    if kind == "plan":  # the walkable floor is y = 0; the floor slab lies below it
        floors = [name for name in scene.graph.nodes_geometry if name.endswith("_floor")]
        tops = [scene.geometry[scene.graph[name][1]].bounds[1][1] for name in floors]
        assert tops and np.allclose(tops, 0.0, atol=1e-6)
    else:
        assert low[1] == pytest.approx(0.0, abs=1e-6)
    centre, size = (low + high) / 2, high - low
    assert abs(centre[0]) < 2e-3 * size[0] and abs(centre[2]) < 2e-3 * size[2]
    (tmp_path / "centred").mkdir()
    centred = trimesh.load(convert(tmp_path / "centred", kind, "c.glb", "--pivot", "center"))
    if kind == "frames":
        poses = [
            trimesh.load(path, force="mesh") for path in sorted((tmp_path / "centred").glob("c_frame_*.glb"))
        ]
        centre = (
            np.min([p.bounds[0] for p in poses], axis=0) + np.max([p.bounds[1] for p in poses], axis=0)
        ) / 2
    else:
        centre = centred.bounds.mean(axis=0)
    assert np.allclose(centre, 0.0, atol=2e-3 * float(size.max()))


@pytest.mark.parametrize("kind", ["picture", "frames", "plan"])
def test_every_primitive_has_unit_normals(tmp_path: Path, kind: str) -> None:
    path = convert(tmp_path, kind, "shaded.glb")
    gltf_document, binary = read_glb(path.read_bytes())
    for mesh in gltf_document["meshes"]:
        for primitive in mesh["primitives"]:
            assert "NORMAL" in primitive["attributes"], mesh["name"]
            accessor = gltf_document["accessors"][primitive["attributes"]["NORMAL"]]
            view = gltf_document["bufferViews"][accessor["bufferView"]]
            start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
            normals = np.frombuffer(binary, "<f4", accessor["count"] * 3, start).reshape(-1, 3)
            assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-4)


@pytest.mark.xfail(
    strict=True,
    reason="known shortfall (issue 16 item 4): the animated GLB's frames carry normals, but trimesh "
    "recomputes them on the scene export, so seam vertices differ from the asset's crease-aware ones",
)
def test_frame_normals_are_the_assets_own(tmp_path: Path) -> None:
    """The animated GLB carries the crease-aware normals of each frame's asset, not ones recomputed."""
    path = convert(tmp_path, "frames", "walk.glb")
    animated = trimesh.load(path, process=False)  # processing would merge and reorder vertices
    single = trimesh.load(tmp_path / "walk_frame_000.glb", force="mesh", process=False)
    first = animated.geometry["walk_frame_000"]
    assert np.allclose(first.vertex_normals, single.vertex_normals, atol=1e-4)


def test_plan_parts_are_flat_shaded_with_uvs_in_metres(tmp_path: Path) -> None:
    scene = trimesh.load(convert(tmp_path, "plan", "house.glb"), process=False)
    for name, mesh in scene.geometry.items():
        normals = np.asarray(mesh.vertex_normals)[mesh.faces]  # (F, 3, 3)
        assert np.allclose(normals, np.asarray(mesh.face_normals)[:, None, :], atol=1e-4), name
        uv = np.asarray(mesh.visual.uv)[mesh.faces]
        corners = np.asarray(mesh.vertices)[mesh.faces]
        # each edge is as long in UV as in space: one texture unit per metre, undistorted
        for a, b in ((0, 1), (1, 2), (2, 0)):
            np.testing.assert_allclose(
                np.linalg.norm(uv[:, a] - uv[:, b], axis=1),
                np.linalg.norm(corners[:, a] - corners[:, b], axis=1),
                atol=1e-4,
                err_msg=name,
            )


def test_single_asset_names_and_sampler(tmp_path: Path) -> None:
    document = glb_document(convert(tmp_path, "picture", "vase.glb"))
    assert [node["name"] for node in document["nodes"]] == ["vase"]
    assert [mesh["name"] for mesh in document["meshes"]] == ["vase"]
    assert [material["name"] for material in document["materials"]] == ["vase"]
    assert document["samplers"] == [SAMPLER]
    assert all(texture["sampler"] == 0 for texture in document["textures"])


def test_plan_parts_sit_under_one_node_named_after_the_plan(tmp_path: Path) -> None:
    document = glb_document(convert(tmp_path, "plan", "house.glb"))
    roots = document["scenes"][0]["nodes"]
    assert len(roots) == 1 and document["nodes"][roots[0]]["name"] == "house"
    children = [document["nodes"][index]["name"] for index in document["nodes"][roots[0]]["children"]]
    assert len(children) == len(document["nodes"]) - 1
    kinds = {name.rsplit("_", 1)[0] if not name.endswith("_floor") else "floor" for name in children}
    assert {"wall", "door", "floor"} <= kinds
    assert all(name.startswith(("wall_", "door_", "window_", "room_")) for name in children)


def test_frames_are_named_after_the_animation(tmp_path: Path) -> None:
    document = glb_document(convert(tmp_path, "frames", "walk.glb"))
    root = document["nodes"][document["scenes"][0]["nodes"][0]]
    assert root["name"] == "walk"
    assert [document["nodes"][i]["name"] for i in root["children"]] == [
        f"walk_frame_{i:03d}" for i in range(3)
    ]
    assert {material["name"] for material in document["materials"]} <= {
        f"walk_frame_{i:03d}" for i in range(3)
    }


def test_obj_names_its_object_and_material_after_the_asset(tmp_path: Path, asset: Asset) -> None:
    save_asset(asset, tmp_path / "teapot.obj")
    text = (tmp_path / "teapot.obj").read_text()
    assert "\no teapot\n" in text and "\nusemtl teapot\n" in text
    assert (tmp_path / "teapot.mtl").read_text().startswith("newmtl teapot\n")


@pytest.mark.parametrize(
    ("texture_format", "mime"), [("png", "image/png"), ("jpg", "image/jpeg"), ("webp", "image/webp")]
)
def test_texture_formats(tmp_path: Path, asset: Asset, texture_format: str, mime: str) -> None:
    options = ExportOptions(texture_format=texture_format)
    document, binary = read_glb(save_asset(asset, tmp_path / "a.glb", options)[0].read_bytes())
    image = document["images"][0]
    assert image["mimeType"] == mime
    view = document["bufferViews"][image["bufferView"]]
    start = view.get("byteOffset", 0)
    decoded = Image.open(io.BytesIO(binary[start : start + view["byteLength"]]))
    assert decoded.format == {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[texture_format]
    assert decoded.size == (128, 128)
    if texture_format == "webp":
        assert document["extensionsRequired"] == ["EXT_texture_webp"]
        assert document["textures"][0]["extensions"]["EXT_texture_webp"] == {"source": 0}
    written = save_asset(asset, tmp_path / "b.obj", options)
    assert (tmp_path / f"b_basecolor.{texture_format}") in written
    assert f"map_Kd b_basecolor.{texture_format}" in (tmp_path / "b.mtl").read_text()
    # the texture survives encoding: mean colour within a few levels of the PNG's
    assert abs(np.asarray(decoded.convert("RGB"), float).mean() - asset.texture[..., :3].mean()) < 3


def test_glb_embeds_the_assets_own_texture_exactly_and_leaves_the_asset_alone(
    tmp_path: Path, asset: Asset
) -> None:
    """The exporter encodes the texture itself (trimesh gets a one-texel stand-in)."""
    document, binary = read_glb(save_asset(asset, tmp_path / "a.glb")[0].read_bytes())
    assert len(document["images"]) == 1
    view = document["bufferViews"][document["images"][0]["bufferView"]]
    start = view.get("byteOffset", 0)
    decoded = np.asarray(Image.open(io.BytesIO(binary[start : start + view["byteLength"]])).convert("RGB"))
    assert np.array_equal(decoded, asset.texture[..., :3])  # PNG is lossless: the very texels
    assert asset.mesh.visual.material.baseColorTexture.size == (128, 128)


def test_frames_use_the_default_generator_when_none_is_asked(tmp_path: Path) -> None:
    """--kind frames used to fall back to inflation silently; now it resolves like one picture."""
    from lift3d.api import default_generator

    inputs = [str(tmp_path / name) for name in make_inputs(tmp_path, "frames")]
    flags = ["--faces", "600", "--texture-size", "64", "--quiet", "--steps", "1", "--ensemble", "1"]
    assert main(["convert", *inputs, "--kind", "frames", "-o", str(tmp_path / "walk.glb"), *flags]) == 0
    record = json.loads((tmp_path / "walk.lift3d.json").read_text())
    assert record["model"]["generator"] == default_generator()

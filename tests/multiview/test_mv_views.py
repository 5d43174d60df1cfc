"""Views: pictures around an object carve its shape, coloured from the views that see each point."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh
from mv_shapes import synthetic_object, turntable_pictures

from lift3d.asset import AssetOptions
from lift3d.data.materials import Material
from lift3d.errors import InputError, OptionError
from lift3d.evaluate import EvalOptions, score_mesh
from lift3d.evaluate.heldout import HELDOUT_SEED
from lift3d.pipelines.views import ViewsOptions, convert_views
from lift3d.reconstruct.views import (
    Camera,
    CarveOptions,
    ViewPicture,
    carve_views,
    parse_azimuths,
    read_cameras_json,
)
from lift3d.types import Picture

PICTURE_PX = 128
FAST = ViewsOptions(
    carve=CarveOptions(grid_px=96, view_px=2 * PICTURE_PX), asset=AssetOptions(max_faces=3000, texture_px=128)
)
EVENLY_8 = [45.0 * index for index in range(8)]
SCORING = EvalOptions(points=3000)


@pytest.mark.parametrize("seed", [HELDOUT_SEED + 6, HELDOUT_SEED + 7, HELDOUT_SEED + 1])
def test_eight_views_carve_the_object(seed: int) -> None:
    mesh, face_material, materials = synthetic_object(seed)
    pictures = turntable_pictures(mesh, face_material, materials, EVENLY_8, PICTURE_PX)
    asset = convert_views(pictures, None, FAST)
    scores = score_mesh(asset.mesh, mesh, SCORING)
    assert scores.fscore_005 >= 0.9
    assert scores.watertight


def _cube_with_coloured_sides() -> tuple[trimesh.Trimesh, np.ndarray, list[Material]]:
    mesh = trimesh.creation.box((1.0, 0.8, 0.9))
    colours = {
        (0, 1): (0.9, 0.1, 0.1),
        (0, -1): (0.1, 0.8, 0.1),
        (1, 1): (0.1, 0.1, 0.9),
        (1, -1): (0.9, 0.9, 0.1),
    }
    normals = mesh.face_normals
    face_material = np.zeros(len(mesh.faces), dtype=np.int16)
    materials = [Material((0.5, 0.5, 0.5))]
    for (axis, sign), colour in colours.items():
        axis_index = (2, 0)[axis]  # +-z, then +-x
        face_material[normals[:, axis_index] * sign > 0.9] = len(materials)
        materials.append(Material(colour, roughness=1.0, specular=0.0))
    return mesh, face_material, materials


def test_each_side_takes_the_colour_of_the_camera_that_saw_it() -> None:
    """Checks the azimuth convention end to end: renderer, carving and bake agree."""
    mesh, face_material, materials = _cube_with_coloured_sides()
    pictures = turntable_pictures(mesh, face_material, materials, [0.0, 90.0, 180.0, 270.0], PICTURE_PX)
    asset = convert_views(pictures, parse_azimuths("0,90,180,270"), FAST)
    size = asset.texture.shape[0]
    uv = asset.mesh.visual.uv[asset.mesh.faces].mean(axis=1)
    colour = asset.texture[
        np.clip(((1 - uv[:, 1]) * size).astype(int), 0, size - 1),
        np.clip((uv[:, 0] * size).astype(int), 0, size - 1),
    ]
    normals = asset.mesh.face_normals
    for axis, sign, channel in ((2, 1, 0), (2, -1, 1), (0, 1, 2)):  # +z red, -z green, +x blue
        facing = normals[:, axis] * sign > 0.95
        assert facing.any()
        assert np.median(colour[facing], axis=0).argmax() == channel
    facing = normals[:, 0] < -0.95  # -x is yellow: red and green high, blue low
    red, green, blue = np.median(colour[facing], axis=0)
    assert min(red, green) > 2 * blue


@pytest.mark.parametrize("framing", ["shared", "each"])
def test_views_of_different_objects_are_refused(framing: str) -> None:
    first = synthetic_object(HELDOUT_SEED + 6)
    second = synthetic_object(HELDOUT_SEED + 7)
    pictures = turntable_pictures(*first, EVENLY_8[:4], PICTURE_PX)
    pictures += turntable_pictures(*second, EVENLY_8[4:], PICTURE_PX)
    options = ViewsOptions(carve=CarveOptions(framing=framing, grid_px=64, view_px=128), asset=FAST.asset)
    with pytest.raises(InputError, match="the views do not show one object"):
        convert_views(pictures, None, options)


def _cropped(picture: Picture, scale: float) -> Picture:
    """The picture cut to its object plus a margin and resized, as a photo cropped by hand."""
    mask = picture.alpha > 0.5
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0] - 4, rows[-1] + 9, cols[0] - 7, cols[-1] + 3
    rgb = picture.rgb[max(top, 0) : bottom, max(left, 0) : right]
    alpha = picture.alpha[max(top, 0) : bottom, max(left, 0) : right]
    size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
    resize = lambda image: cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)  # noqa: E731
    return Picture(rgb=resize(rgb), alpha=resize(alpha), source=picture.source)


def test_pictures_cropped_apart_use_each_framing() -> None:
    mesh, face_material, materials = synthetic_object(HELDOUT_SEED + 7)
    pictures = turntable_pictures(mesh, face_material, materials, EVENLY_8, PICTURE_PX)
    scales = [1.0, 1.3, 0.8, 1.1, 0.9, 1.4, 1.2, 0.7]
    cropped = [_cropped(picture, scale) for picture, scale in zip(pictures, scales, strict=True)]
    with pytest.raises(InputError, match="one size"):
        convert_views(cropped, None, FAST)
    options = ViewsOptions(carve=CarveOptions(framing="each", grid_px=96, view_px=256), asset=FAST.asset)
    asset = convert_views(cropped, None, options)
    assert score_mesh(asset.mesh, mesh, SCORING).fscore_005 >= 0.9


def test_cameras_json_with_a_view_from_above(tmp_path) -> None:
    mesh, face_material, materials = synthetic_object(HELDOUT_SEED + 6)
    azimuths, elevations = [0.0, 90.0, 180.0, 270.0, 0.0], [0.0, 0.0, 0.0, 0.0, 90.0]
    pictures = turntable_pictures(mesh, face_material, materials, azimuths, PICTURE_PX, elevations)
    pictures = [Picture(p.rgb, p.alpha, f"view_{index}.png") for index, p in enumerate(pictures)]
    entries = [
        {"picture": f"view_{index}.png", "azimuth_deg": azimuth, "elevation_deg": elevation}
        for index, (azimuth, elevation) in enumerate(zip(azimuths, elevations, strict=True))
    ]
    cameras = tmp_path / "cameras.json"
    cameras.write_text(json.dumps(entries[::-1]))  # matched by picture name, not order
    assert read_cameras_json(cameras, [p.source for p in pictures])[4] == Camera(0.0, 90.0)
    asset = convert_views(pictures, cameras, FAST)
    assert score_mesh(asset.mesh, mesh, SCORING).fscore_005 >= 0.9
    assert asset.provenance["cameras"][4] == {"azimuth_deg": 0.0, "elevation_deg": 90.0}


def test_bad_cameras_are_refused(tmp_path) -> None:
    with pytest.raises(OptionError):
        parse_azimuths("0, forty-five")
    with pytest.raises(OptionError):
        Camera(0.0, 120.0)
    broken = tmp_path / "cameras.json"
    broken.write_text("[{'azimuth': 0}]")
    with pytest.raises(InputError, match="not JSON"):
        read_cameras_json(broken)
    mesh, face_material, materials = synthetic_object(HELDOUT_SEED + 7)
    pictures = turntable_pictures(mesh, face_material, materials, [0.0, 90.0, 180.0], 64)
    with pytest.raises(OptionError, match="3 pictures but 2 cameras"):
        convert_views(pictures, [0.0, 90.0], FAST)
    with pytest.raises(InputError, match="at least 2 pictures"):
        convert_views(pictures[:1], None, FAST)


def _box_view(camera: Camera, columns: slice) -> ViewPicture:
    mask = np.zeros((64, 64), dtype=bool)
    mask[16:48, columns] = True
    return ViewPicture(rgb=np.ones((64, 64, 3), np.float32), mask=mask, rotation=camera.rotation, source="v")


def test_carving_checks_that_silhouettes_agree() -> None:
    """From behind, a box on the left of the front picture must appear on the right."""
    options = CarveOptions(grid_px=32)
    agreeing = [_box_view(Camera(0.0), slice(8, 30)), _box_view(Camera(180.0), slice(34, 56))]
    assert carve_views(agreeing, options).is_watertight
    contradicting = [_box_view(Camera(0.0), slice(8, 30)), _box_view(Camera(180.0), slice(8, 30))]
    with pytest.raises(InputError, match="the views do not show one object: carving"):
        carve_views(contradicting, options)

"""De-lighting and the hidden-side fill: textures closer to an object's true colours."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from lift3d.asset import AssetOptions, build_asset
from lift3d.asset.delight import delight_picture
from lift3d.asset.hidden_side import fill_hidden_side
from lift3d.data.materials import Material
from lift3d.data.render import Lighting, render, render_albedo
from lift3d.errors import OptionError
from lift3d.evaluate.texture import colour_error, texture_colours
from lift3d.types import Cutout, ShapeMaps

SIZE = 96
OPTIONS = AssetOptions(max_faces=3000, texture_px=256)
ORANGE = np.array([0.9, 0.5, 0.15])


def lit_sphere() -> tuple[trimesh.Trimesh, Cutout, ShapeMaps, np.ndarray, np.ndarray]:
    """A plain orange sphere lit from the upper left; its picture, shape maps and true colour."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.8)
    materials = [Material(base_rgb=tuple(ORANGE), roughness=1.0, specular=0.0)]
    roles = np.zeros(len(sphere.faces), dtype=int)
    light = np.array([-0.5, 0.5, 0.7]) / np.linalg.norm([-0.5, 0.5, 0.7])
    lighting = Lighting(directions=light[None], intensities=np.array([0.75]), ambient=0.25)
    rendering = render(sphere.vertices, sphere.faces, roles, materials, lighting, size_px=SIZE)
    mask = rendering.mask
    rgb = np.where(mask[..., None], rendering.rgba[..., :3] / 255.0, 1.0).astype(np.float32)
    cutout = Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, SIZE, SIZE), source="lit sphere")
    maps = ShapeMaps(mask=mask, front_z=rendering.front_z, back_z=rendering.back_z)
    truth, truth_mask = render_albedo(sphere.vertices, sphere.faces, roles, materials, SIZE)
    return sphere, cutout, maps, truth, truth_mask


def front_error(
    mesh: trimesh.Trimesh, cutout: Cutout, maps: ShapeMaps, options: AssetOptions, truth, mask
) -> float:
    captured = {}

    def keep(vertices, faces, uv, normals, size):  # noqa: ANN001, ANN202
        from lift3d.asset.bake import bake_texture

        texture = bake_texture(
            vertices, faces, uv, normals, cutout, maps, size, options.delight, options.hidden_side
        )
        captured.update(texture=texture, vertices=vertices, faces=faces, uv=uv)
        return texture

    from lift3d.asset.build import build_textured_asset

    build_textured_asset(mesh, keep, options)
    shown, covered = texture_colours(
        captured["texture"], captured["vertices"], captured["faces"], captured["uv"], SIZE, "front"
    )
    return colour_error(shown, truth, mask & covered).de00


def test_delit_texture_is_closer_to_the_true_colour_than_the_lit_one() -> None:
    sphere, cutout, maps, truth, mask = lit_sphere()
    lit = front_error(
        sphere, cutout, maps, AssetOptions(max_faces=3000, texture_px=256, delight=False), truth, mask
    )
    delit = front_error(sphere, cutout, maps, OPTIONS, truth, mask)
    assert lit > 8.0  # the light really is in the picture
    assert delit < 0.5 * lit


def test_delighting_flattens_shading_but_keeps_hue() -> None:
    _, cutout, maps, _, _ = lit_sphere()
    delit = delight_picture(cutout.rgb, cutout.mask, maps.front_z)
    inner = cutout.mask & (
        np.hypot(*np.meshgrid(np.arange(SIZE) - SIZE / 2, np.arange(SIZE) - SIZE / 2)) < SIZE * 0.3
    )
    before, after = cutout.rgb[inner] @ [0.3, 0.6, 0.1], delit[inner] @ [0.3, 0.6, 0.1]
    assert after.std() < 0.4 * before.std()
    chroma = delit[inner] / delit[inner].sum(axis=1, keepdims=True)
    assert np.abs(chroma - ORANGE / ORANGE.sum()).max() < 0.05
    assert np.array_equal(delit[~cutout.mask], cutout.rgb[~cutout.mask])


def face_picture() -> tuple[trimesh.Trimesh, Cutout, ShapeMaps, np.ndarray]:
    """An unlit orange sphere with two dark eyes on its front; returns the eyes' mask too."""
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.8)
    centres = (np.arange(SIZE) + 0.5) / SIZE * 2 - 1
    x, y = np.meshgrid(centres, -centres)
    mask = x**2 + y**2 < 0.8**2
    eyes = (np.hypot(x + 0.28, y - 0.2) < 0.12) | (np.hypot(x - 0.28, y - 0.2) < 0.12)
    rgb = np.ones((SIZE, SIZE, 3), dtype=np.float32)
    rgb[mask] = ORANGE
    rgb[eyes] = (0.05, 0.05, 0.05)
    front_z = np.sqrt(np.clip(0.8**2 - x**2 - y**2, 0, None)).astype(np.float32)
    cutout = Cutout(rgb=rgb, mask=mask, crop_box=(0, 0, SIZE, SIZE), source="face")
    return sphere, cutout, ShapeMaps(mask=mask, front_z=front_z, back_z=-front_z), eyes


def back_colours(mode: str) -> tuple[np.ndarray, np.ndarray]:
    sphere, cutout, maps, eyes = face_picture()
    asset = build_asset(sphere, cutout, maps, AssetOptions(max_faces=3000, texture_px=256, hidden_side=mode))
    # back to the view frame: undo the output placement (scale and shift only)
    vertices = np.asarray(asset.mesh.vertices)
    vertices = (vertices - vertices.mean(axis=0)) / (np.ptp(vertices[:, 1]) / 1.6)
    shown, covered = texture_colours(
        asset.texture, vertices, np.asarray(asset.mesh.faces), np.asarray(asset.mesh.visual.uv), SIZE, "back"
    )
    return shown[eyes & covered], shown[covered & ~eyes]


def test_back_of_a_face_does_not_show_the_face() -> None:
    eyes_back, rest_back = back_colours("fill")
    assert len(eyes_back) > 50
    assert np.median(np.linalg.norm(eyes_back - ORANGE, axis=1)) < 0.1
    assert np.median(np.linalg.norm(rest_back - ORANGE, axis=1)) < 0.1


def test_mirror_mode_repeats_the_face_on_the_back() -> None:
    eyes_back, _ = back_colours("mirror")
    assert np.median(np.linalg.norm(eyes_back - ORANGE, axis=1)) > 0.5


def test_fill_is_defined_off_the_mask_too() -> None:
    _, cutout, _, _ = face_picture()
    filled = fill_hidden_side(cutout.rgb, cutout.mask)
    assert filled.shape == cutout.rgb.shape
    assert np.linalg.norm(filled[2, 2] - ORANGE) < 0.15  # the corner takes object colour, not white


def test_unknown_hidden_side_mode_is_named() -> None:
    with pytest.raises(OptionError, match="hidden_side must be fill or mirror, got 'guess'"):
        AssetOptions(hidden_side="guess")


def test_cli_switches_reach_the_record(tmp_path, capsys) -> None:
    import json

    from PIL import Image

    from lift3d.cli import main
    from lift3d.export.gltf import read_glb

    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[12:52, 16:48] = (200, 120, 40, 255)
    picture = tmp_path / "box.png"
    Image.fromarray(rgba).save(picture)
    fast = ["--generator", "inflate", "--faces", "2000", "--texture-size", "128", "--quiet"]
    argv = ["convert", str(picture), "-o", str(tmp_path / "box.glb"), *fast]
    assert main([*argv, "--hidden-side", "mirror", "--no-delight", "--material", "unlit"]) == 0
    options = json.loads((tmp_path / "box.lift3d.json").read_text())["options"]
    assert options["hidden_side"] == "mirror" and options["delight"] is False
    document, _ = read_glb((tmp_path / "box.glb").read_bytes())
    assert "KHR_materials_unlit" in document["extensionsUsed"]
    assert all("KHR_materials_unlit" in material["extensions"] for material in document["materials"])
    assert main(argv) == 0  # lit by default
    assert "KHR_materials_unlit" not in read_glb((tmp_path / "box.glb").read_bytes())[0].get(
        "extensionsUsed", []
    )
    with pytest.raises(SystemExit):
        main([*argv, "--hidden-side", "guess"])
    assert "--hidden-side" in capsys.readouterr().err

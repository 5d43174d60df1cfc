"""The live-drawing preview: closed, coloured from the picture, standing where the asset will."""

from __future__ import annotations

import io

import numpy as np
import trimesh

from lift3d.api import Converter, ConvertOptions
from lift3d.inputs.read import read_picture_bytes
from lift3d.pipelines.quick import quick_glb, quick_mesh


def two_colour_disc() -> bytes:
    """A disc on a transparent backdrop, blue above its middle and red below."""
    from PIL import Image

    size = 160
    rows, cols = np.mgrid[0:size, 0:size]
    inside = (rows - 80) ** 2 + (cols - 80) ** 2 < 60**2
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[inside & (rows < 80)] = (30, 60, 220, 255)
    rgba[inside & (rows >= 80)] = (220, 40, 30, 255)
    stream = io.BytesIO()
    Image.fromarray(rgba).save(stream, format="PNG")
    return stream.getvalue()


def test_the_preview_is_closed_coloured_and_in_the_asset_frame() -> None:
    picture = read_picture_bytes(two_colour_disc(), "disc.png")
    mesh = quick_mesh(Converter("inflate"), picture, ConvertOptions(height_m=2.0))
    assert mesh.is_watertight and mesh.is_winding_consistent
    low, high = mesh.bounds
    assert abs(low[1]) < 1e-6 and abs(high[1] - 2.0) < 1e-6  # base on the floor, 2 m tall
    assert abs(low[0] + high[0]) < 1e-6 and abs(low[2] + high[2]) < 1e-6  # centred in x and z
    colours = mesh.visual.vertex_colors[:, :3].astype(int)
    top, bottom = mesh.vertices[:, 1] > 1.4, mesh.vertices[:, 1] < 0.6
    assert (colours[top, 2] > colours[top, 0]).mean() > 0.95  # blue above
    assert (colours[bottom, 0] > colours[bottom, 2]).mean() > 0.95  # red below


def test_the_preview_is_coarser_than_the_asset_and_reads_back_as_glb() -> None:
    picture = read_picture_bytes(two_colour_disc(), "disc.png")
    converter = Converter("inflate")
    mesh = quick_mesh(converter, picture)
    full = converter.mesh(
        converter.shape_maps(converter.cutout(picture, ConvertOptions(), "render"), ConvertOptions(), 0),
        ConvertOptions(),
    )
    assert len(mesh.faces) < len(full.faces) / 3  # a 64-voxel grid, not the asset's 160
    loaded = trimesh.load(io.BytesIO(quick_glb(mesh)), file_type="glb", force="mesh")
    assert len(loaded.faces) == len(mesh.faces)
    assert loaded.visual.vertex_colors is not None and loaded.visual.vertex_colors[:, 2].max() > 200

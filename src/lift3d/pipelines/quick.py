"""A quick 3D look at a picture while it is being drawn: the shape without the asset stage.

The full convert spends most of its time making an asset (decimation, UV atlas, baked
texture). A live preview needs none of that: it meshes a coarser field from one model
sample and colours each vertex from the picture straight in front of it, then stands the
mesh in the asset's frame (base on the floor, the asked height) so it lines up with the
asset "Make 3D" makes afterwards.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

import numpy as np
import trimesh

from lift3d.api import Converter, ConvertOptions, StageTimer
from lift3d.asset.build import to_output_frame
from lift3d.images import extend_beyond_mask
from lift3d.inputs.detect import locate_object
from lift3d.types import Cutout, Picture

# Side walls take their colour this far (a share of the cutout's side) inside the outline.
OUTLINE_SHARE = 0.02


@dataclass(frozen=True)
class QuickOptions:
    """What makes the preview quick; the rest comes from the convert's options."""

    grid_px: int = 64  # voxels across the view square (the asset uses 160)
    ensemble: int = 1  # model samples averaged (the asset averages 8)


def quick_mesh(
    converter: Converter,
    picture: Picture,
    options: ConvertOptions | None = None,
    quick: QuickOptions | None = None,
    timer: StageTimer | None = None,
) -> trimesh.Trimesh:
    """A closed, vertex-coloured mesh of `picture` in the asset frame (+Y up, base at y = 0)."""
    quick = quick or QuickOptions()
    options = replace(
        options or ConvertOptions(),
        generator=converter.generator,
        grid_px=quick.grid_px,
        ensemble=quick.ensemble,
    )
    timer = timer or StageTimer()
    with timer.stage("cutout"):
        found = locate_object(picture)
        options = replace(options, adapters=converter.automatic_adapters(found.kind, options))
        converter.load_adapters(options.adapters)
        cutout = converter.cutout(picture, options, found.kind, found.mask)
    with timer.stage("generate"):
        maps = converter.shape_maps(cutout, options, options.seed)
    with timer.stage("mesh"):
        mesh = converter.mesh(maps, options)
    with timer.stage("colour"):
        colours = front_colours(cutout, mesh.vertices)
        vertices = to_output_frame(mesh.vertices, options.height_m, options.pivot)
        coloured = trimesh.Trimesh(vertices, mesh.faces, vertex_colors=colours, process=False)
    return coloured


def front_colours(cutout: Cutout, vertices: np.ndarray) -> np.ndarray:
    """(V, 4) uint8: each view-frame vertex takes the cutout's colour at its (x, y), front and back alike.

    Colours come from inside the outline (OUTLINE_SHARE of the square in): a drawn outline
    would otherwise paint the side walls, which face along it, in ink.
    """
    size = cutout.rgb.shape[0]
    inside = extend_beyond_mask(cutout.rgb, cutout.mask, erode_px=round(OUTLINE_SHARE * size))
    columns = np.clip(((vertices[:, 0] + 1) / 2 * size).astype(int), 0, size - 1)
    rows = np.clip(((1 - vertices[:, 1]) / 2 * size).astype(int), 0, size - 1)
    rgb = (inside[rows, columns] * 255).round().astype(np.uint8)
    return np.column_stack([rgb, np.full(len(rgb), 255, np.uint8)])


def quick_glb(mesh: trimesh.Trimesh) -> bytes:
    """The preview as GLB bytes (vertex colours, normals) for a web viewer."""
    stream = io.BytesIO()
    mesh.export(stream, file_type="glb", include_normals=True)
    return stream.getvalue()

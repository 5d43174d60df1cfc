"""Ground-truth solids and their pictures for the multi-view tests and benchmark.

CAD-like parts (blocks with through-holes, brackets, L-profiles, stepped blocks, channels)
are built with manifold3d in the world frame (y up, z toward the front viewer) and drawn
with the project's renderer, so the pictures obey the same view frame as the pipeline.
"""

from __future__ import annotations

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold, OpType
from PIL import Image, ImageDraw

from lift3d.camera import view_rotation
from lift3d.data.materials import Material, random_materials
from lift3d.data.render import Lighting, render
from lift3d.data.shapes import FAMILIES, box, union_parts
from lift3d.data.synth import family_for_seed
from lift3d.types import OBJECT_FILL, Picture

LIGHT = Lighting(
    directions=np.array([[0.3, 0.5, 0.81], [-0.5, 0.2, 0.84]]),
    intensities=np.array([0.55, 0.25]),
    ambient=0.35,
)
PART_KINDS = ("holed_block", "bracket", "l_profile", "stepped_block", "channel")


def _hole(axis: str, radius: float, centre: tuple[float, float, float], length: float) -> Manifold:
    """A cylinder along `axis` through `centre`, long enough to cut through a part."""
    cylinder = Manifold.cylinder(length, radius, radius, 32, True)  # along z
    if axis == "x":
        cylinder = cylinder.rotate([0.0, 90.0, 0.0])
    elif axis == "y":
        cylinder = cylinder.rotate([90.0, 0.0, 0.0])
    return cylinder.translate(list(centre))


def cad_part(rng: np.random.Generator, kind: str | None = None) -> Manifold:
    """A random machined part whose features all show in the front, top or side view."""
    kind = kind or PART_KINDS[rng.integers(len(PART_KINDS))]
    width, height, depth = rng.uniform(0.6, 1.4), rng.uniform(0.4, 1.0), rng.uniform(0.4, 1.0)
    if kind == "holed_block":
        solid = box((width, height, depth))
        holes = []
        for _ in range(int(rng.integers(1, 4))):
            axis = "xyz"[rng.integers(3)]
            sizes = {"x": (height, depth), "y": (width, depth), "z": (width, height)}[axis]
            radius = 0.12 * min(sizes) * rng.uniform(1.0, 2.0)
            offset = [rng.uniform(-0.5, 0.5) * (size - 2.4 * radius) for size in sizes]
            centre = {"x": (0, *offset), "y": (offset[0], 0, offset[1]), "z": (*offset, 0)}[axis]
            holes.append(_hole(axis, radius, centre, 4.0))
        return solid - Manifold.batch_boolean(holes, OpType.Add)
    if kind == "bracket":
        thickness = rng.uniform(0.08, 0.2)
        base = box((width, thickness, depth), (0, -height / 2 + thickness / 2, 0))
        wall = box((width, height, thickness), (0, 0, -depth / 2 + thickness / 2))
        radius = 0.25 * min(width, depth) * rng.uniform(0.4, 0.8)
        holes = [
            _hole("y", radius, (-width / 4, 0, thickness / 2), 4.0),
            _hole("y", radius, (width / 4, 0, thickness / 2), 4.0),
            _hole("z", radius, (0, height / 6, 0), 4.0),
        ]
        return (base + wall) - Manifold.batch_boolean(holes, OpType.Add)
    if kind == "l_profile":
        leg_x, leg_y = rng.uniform(0.15, 0.4) * width, rng.uniform(0.15, 0.4) * height
        outline = np.array(
            [[0, 0], [width, 0], [width, leg_y], [leg_x, leg_y], [leg_x, height], [0, height]],
            dtype=np.float64,
        ) - [width / 2, height / 2]
        solid = Manifold.extrude(CrossSection([outline]), depth).translate([0, 0, -depth / 2])
        if rng.random() < 0.5:
            solid = solid - _hole("y", 0.3 * min(width - leg_x, depth) / 2, (leg_x / 2, 0, 0), 4.0)
        return solid
    if kind == "stepped_block":
        steps = int(rng.integers(2, 4))
        parts = []
        for step in range(steps):
            step_height = height * (step + 1) / steps
            step_depth = depth * (steps - step) / steps
            parts.append(
                box(
                    (width, step_height, step_depth),
                    (0, -height / 2 + step_height / 2, depth / 2 - step_depth / 2),
                )
            )
        return Manifold.batch_boolean(parts, OpType.Add)
    if kind == "channel":
        wall = rng.uniform(0.1, 0.25) * min(width, height)
        slot = box((width - 2 * wall, height, 4.0), (0, wall, 0))
        return box((width, height, depth)) - slot
    raise ValueError(f"unknown part kind {kind!r}")


def to_trimesh(solid: Manifold) -> trimesh.Trimesh:
    mesh = solid.to_mesh()
    return trimesh.Trimesh(np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts), process=False)


def normalised(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Centred on its box, the longest side 2 * OBJECT_FILL: the world frame the pipeline uses."""
    low, high = mesh.bounds
    return trimesh.Trimesh(
        (mesh.vertices - (low + high) / 2) * (2 * OBJECT_FILL / np.max(high - low)), mesh.faces
    )


def render_rgba(
    mesh: trimesh.Trimesh,
    rotation: np.ndarray,
    size_px: int,
    materials: list[Material] | None = None,
    face_material: np.ndarray | None = None,
) -> np.ndarray:
    """An (S, S, 4) uint8 orthographic picture of a world-frame mesh seen through `rotation`."""
    if materials is None:
        materials = [Material((0.55, 0.6, 0.7))]
    if face_material is None:
        face_material = np.zeros(len(mesh.faces), dtype=np.int16)
    vertices = np.asarray(mesh.vertices) @ np.asarray(rotation).T
    return render(
        vertices, np.asarray(mesh.faces), face_material, materials, LIGHT, size_px, texture_rotation=rotation
    ).rgba


def as_picture(rgba: np.ndarray, source: str, white_backdrop: bool = False) -> Picture:
    colour = rgba[..., :3].astype(np.float32) / 255
    alpha = rgba[..., 3].astype(np.float32) / 255
    if white_backdrop:
        return Picture(rgb=colour * alpha[..., None] + (1 - alpha[..., None]), alpha=None, source=source)
    return Picture(rgb=colour, alpha=alpha, source=source)


ORTHO_ROTATIONS = {
    "front": np.eye(3),
    "top": view_rotation(0.0, 90.0),
    "right": view_rotation(-90.0, 0.0),
    "left": view_rotation(90.0, 0.0),
}


def ortho_renders(mesh: trimesh.Trimesh, size_px: int, side: str = "right") -> dict[str, np.ndarray]:
    """Front, top and side renders of a normalised mesh, cropped to the object's exact world box."""
    low, high = mesh.bounds
    renders = {}
    for role, name in (("front", "front"), ("top", "top"), ("side", side)):
        rotation = ORTHO_ROTATIONS[name]
        corners = np.array(
            [[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])]
        )
        view = corners @ rotation.T
        col0 = int(np.floor((view[:, 0].min() + 1) * size_px / 2)) - 3
        col1 = int(np.ceil((view[:, 0].max() + 1) * size_px / 2)) + 3
        row0 = int(np.floor((1 - view[:, 1].max()) * size_px / 2)) - 3
        row1 = int(np.ceil((1 - view[:, 1].min()) * size_px / 2)) + 3
        rgba = render_rgba(mesh, rotation, size_px)
        renders[role] = rgba[max(row0, 0) : row1, max(col0, 0) : col1]
    return renders


def ortho_sheet(
    mesh: trimesh.Trimesh, size_px: int, projection: str = "third-angle", gap_px: int = 24
) -> np.ndarray:
    """An RGBA sheet of the three views laid out by the drawing convention."""
    side = "right" if projection == "third-angle" else "left"
    views = ortho_renders(mesh, size_px, side)
    front, top, side_view = views["front"], views["top"], views["side"]
    margin = 10
    height = margin * 2 + top.shape[0] + gap_px + front.shape[0]
    width = margin * 2 + front.shape[1] + gap_px + side_view.shape[1]
    sheet = np.zeros((height, width, 4), dtype=np.uint8)
    if projection == "third-angle":
        top_row, front_row = margin, margin + top.shape[0] + gap_px
    else:
        front_row, top_row = margin, margin + front.shape[0] + gap_px
    side_col = margin + front.shape[1] + gap_px
    sheet[front_row : front_row + front.shape[0], margin : margin + front.shape[1]] = front
    sheet[top_row : top_row + top.shape[0], margin : margin + top.shape[1]] = top
    sheet[front_row : front_row + side_view.shape[0], side_col : side_col + side_view.shape[1]] = side_view
    return sheet


def synthetic_object(seed: int) -> tuple[trimesh.Trimesh, np.ndarray, list[Material]]:
    """A shape of the synthetic data engine in world axes, its face materials and materials."""
    family = family_for_seed(seed)
    for attempt in range(8):
        rng = np.random.default_rng([seed, attempt])
        part_mesh = union_parts(FAMILIES[family](rng))
        mesh = part_mesh.mesh
        if mesh.is_watertight and mesh.volume > 0 and mesh.body_count == 1:
            low, high = mesh.bounds
            centred = trimesh.Trimesh(mesh.vertices - (low + high) / 2, mesh.faces, process=False)
            return centred, part_mesh.face_role, random_materials(part_mesh.roles, rng)
    raise RuntimeError(f"seed {seed} gives no valid {family} shape")


def turntable_pictures(
    mesh: trimesh.Trimesh,
    face_material: np.ndarray,
    materials: list[Material],
    azimuths_deg: list[float],
    size_px: int,
    elevations_deg: list[float] | None = None,
) -> list[Picture]:
    """Pictures from one fixed camera of the object turned on a turntable (shared framing)."""
    radius = max(
        float(np.linalg.norm(mesh.vertices[:, [0, 2]], axis=1).max()),
        float(np.abs(mesh.vertices[:, 1]).max()),
    )
    scaled = trimesh.Trimesh(mesh.vertices * (OBJECT_FILL / radius), mesh.faces, process=False)
    elevations_deg = elevations_deg or [0.0] * len(azimuths_deg)
    pictures = []
    for azimuth, elevation in zip(azimuths_deg, elevations_deg, strict=True):
        rgba = render_rgba(scaled, view_rotation(azimuth, elevation), size_px, materials, face_material)
        pictures.append(as_picture(rgba, f"view_{azimuth:g}.png"))
    return pictures


def character_frames(count: int, size_px: int = 64) -> list[Image.Image]:
    """A little figure waving an arm and bobbing, one RGBA image per frame."""
    frames = []
    for index in range(count):
        phase = 2 * np.pi * index / count
        image = Image.new("RGBA", (size_px, size_px), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        s = size_px / 64
        bob = round(3 * s * np.sin(phase))
        draw.ellipse([24 * s, 6 * s - bob, 40 * s, 22 * s - bob], fill=(230, 180, 140, 255))
        draw.rectangle([22 * s, 22 * s - bob, 42 * s, 46 * s - bob], fill=(40, 90, 200, 255))
        draw.rectangle([24 * s, 46 * s - bob, 30 * s, 60 * s], fill=(60, 60, 60, 255))
        draw.rectangle([34 * s, 46 * s - bob, 40 * s, 60 * s], fill=(60, 60, 60, 255))
        angle = 0.6 + 0.9 * np.sin(phase)
        shoulder = np.array([42 * s, 26 * s - bob])
        hand = shoulder + 16 * s * np.array([np.cos(angle), -np.sin(angle)])
        draw.line([tuple(shoulder), tuple(hand)], fill=(230, 180, 140, 255), width=max(2, round(5 * s)))
        frames.append(image)
    return frames


def volume_iou(asset_mesh: trimesh.Trimesh, truth: trimesh.Trimesh) -> float:
    """Volume IoU of an asset (welded) and the truth placed like an asset: base on the floor, same height."""
    from lift3d.data.shapes import manifold_from_arrays
    from lift3d.export.geometry import weld_by_position

    vertices, faces, _ = weld_by_position(asset_mesh)
    predicted = manifold_from_arrays(vertices, faces)
    low, high = truth.bounds
    asset_height = float(np.ptp(vertices[:, 1]))
    origin = (low + high) / 2
    origin[1] = low[1]  # assets stand on the floor (pivot "base", issue 16)
    placed = (np.asarray(truth.vertices) - origin) * (asset_height / (high[1] - low[1]))
    expected = manifold_from_arrays(placed, np.asarray(truth.faces))
    common = (predicted ^ expected).volume()
    return common / (predicted.volume() + expected.volume() - common)

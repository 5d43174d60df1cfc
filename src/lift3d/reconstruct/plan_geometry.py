"""A parsed floor plan to a glTF scene: watertight walls with openings cut out, floors, doors, glass.

Frame (glTF): +Y up, metres; the picture's x is +X and its downward y is +Z; the walls'
bounding box is centred on the origin in X and Z, and the floor is at Y = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import trimesh
from manifold3d import CrossSection, FillRule, JoinType, Manifold, OpType
from scipy import ndimage
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from lift3d.reconstruct.plan_parse import Opening, PlanLayout, run_lengths

DOOR_LEAF_M = 0.04
GLASS_M = 0.02
SLAB_M = 0.1  # floors and ceilings


@dataclass(frozen=True)
class PlanFrame:
    """Pixel-edge coordinates (pixel (i, j) spans [j, j+1] x [i, i+1]) to metres in the scene."""

    m_per_px: float
    centre_px: tuple[float, float]  # (x, y) that lands on the origin

    def to_metres(self, x_px: float | np.ndarray, y_px: float | np.ndarray) -> tuple:
        """(X, Z) in the scene."""
        return (x_px - self.centre_px[0]) * self.m_per_px, (y_px - self.centre_px[1]) * self.m_per_px


@dataclass(frozen=True)
class Heights:
    """Vertical sizes in metres."""

    wall_m: float
    door_m: float
    window_sill_m: float
    window_top_m: float
    ceilings: bool


@dataclass(frozen=True)
class PlacedWall:
    name: str
    length_m: float
    thickness_m: float


@dataclass(frozen=True)
class PlacedOpening:
    name: str
    kind: str  # door or window
    centre_m: tuple[float, float]  # (X, Z)
    width_m: float
    wall: str  # name of the wall it is cut into
    swing_drawn: bool  # doors: the picture showed which way it opens


@dataclass(frozen=True)
class PlacedRoom:
    name: str
    area_m2: float
    centroid_m: tuple[float, float]  # (X, Z)


@dataclass
class PlanModel:
    """The built scene and what each named node in it is."""

    scene: trimesh.Scene
    walls: list[PlacedWall]
    openings: list[PlacedOpening]
    rooms: list[PlacedRoom]
    frame: PlanFrame

    @property
    def built_bounds(self) -> np.ndarray | None:
        """(2, 3) box of the walls and floors: the building's size, without door leaves
        standing open outside it."""
        boxes = []
        for node in self.scene.graph.nodes_geometry:
            if node.startswith(("wall_", "room_")):
                transform, geometry = self.scene.graph[node]
                boxes.append(trimesh.transform_points(self.scene.geometry[geometry].bounds, transform))
        if not boxes:
            return self.scene.bounds
        points = np.concatenate(boxes)
        return np.stack([points.min(axis=0), points.max(axis=0)])


def _material(name: str, rgba: tuple[float, float, float, float], roughness: float = 0.9) -> PBRMaterial:
    blend = rgba[3] < 1
    return PBRMaterial(
        name=name,
        baseColorFactor=list(rgba),
        metallicFactor=0.0,
        roughnessFactor=roughness,
        alphaMode="BLEND" if blend else "OPAQUE",
        doubleSided=blend,
    )


def plan_frame(layout: PlanLayout, m_per_px: float) -> PlanFrame:
    """Centre the walls' bounding box on the origin."""
    rows, cols = np.nonzero(layout.closed_walls)
    return PlanFrame(m_per_px, ((cols.min() + cols.max() + 1) / 2, (rows.min() + rows.max() + 1) / 2))


def split_walls(closed: np.ndarray, thinnest_px: float) -> np.ndarray:
    """Label straight wall pieces: each pixel joins the direction of its longer run.

    Slivers (corners, ragged edges) smaller than a wall's square join the nearest piece,
    so pieces tile the walls exactly and meet face to face.
    """
    along_rows, along_cols = run_lengths(closed)[0], run_lengths(closed.T)[0].T
    horizontal = closed & (along_rows >= along_cols)
    labels_h, count_h = ndimage.label(horizontal)
    labels_v, _ = ndimage.label(closed & ~horizontal)
    labels = np.where(horizontal, labels_h, np.where(closed, labels_v + count_h, 0))
    sizes = np.bincount(labels.ravel())
    small = sizes < max(thinnest_px**2, 4)
    small[0] = False
    keep = closed & ~small[labels]
    if not keep.any():
        return labels
    _, (near_rows, near_cols) = ndimage.distance_transform_edt(~keep, return_indices=True)
    labels = np.where(closed, labels[near_rows, near_cols], 0)
    present = np.zeros(labels.max() + 1, dtype=bool)
    present[labels] = True
    present[0] = False
    return (np.cumsum(present) * present)[labels].astype(np.int32)


def mask_to_section(mask: np.ndarray, frame: PlanFrame) -> CrossSection:
    """The region of True pixels as a CrossSection in metres (x = X, y = -Z)."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return CrossSection()
    top, left = rows.min(), cols.min()
    crop = np.pad(mask[top : rows.max() + 1, left : cols.max() + 1], 1).astype(np.uint8)
    contours, _ = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        points = cv2.approxPolyDP(contour, 0.6, True)[:, 0, :].astype(np.float64)
        if len(points) < 3:
            continue
        # Contours run through pixel centres; the centre of crop pixel (i, j) is at edge
        # coordinates (left + j - 1 + 0.5, top + i - 1 + 0.5).
        x_m, z_m = frame.to_metres(points[:, 0] + left - 0.5, points[:, 1] + top - 0.5)
        polygons.append(np.stack([x_m, -z_m], axis=1))
    if not polygons:
        return CrossSection()
    # Growing by half a pixel turns the pixel-centre outline into the pixels' outer edges.
    return CrossSection(polygons, FillRule.EvenOdd).offset(0.5 * frame.m_per_px, JoinType.Miter)


def _box(
    frame: PlanFrame, x_px: tuple[float, float], y_px: tuple[float, float], z_m: tuple[float, float]
) -> Manifold:
    """An axis-aligned box given by pixel-edge extents in the picture and heights in metres."""
    (x0, z0), (x1, z1) = frame.to_metres(x_px[0], y_px[0]), frame.to_metres(x_px[1], y_px[1])
    size = (x1 - x0, z1 - z0, z_m[1] - z_m[0])
    return Manifold.cube(size).translate((x0, -z1, z_m[0]))


def _to_trimesh(solid: Manifold, material: PBRMaterial) -> trimesh.Trimesh:
    """Manifold (z up, y = -Z) to a glTF-frame mesh; a rotation, so windings stay outward."""
    mesh = solid.to_mesh()
    points = np.asarray(mesh.vert_properties)[:, :3]
    vertices = np.stack([points[:, 0], points[:, 2], -points[:, 1]], axis=1)
    result = trimesh.Trimesh(vertices, np.asarray(mesh.tri_verts), process=False)
    result.visual = TextureVisuals(material=material)
    return result


def _opening_box(opening: Opening, piece_box: tuple[slice, slice]) -> tuple[tuple[float, float], ...]:
    """Pixel extents (x, y) of the cut: the gap along the wall, and through the whole piece across it."""
    rows, cols = piece_box
    across_slice = rows if opening.axis == "x" else cols
    across = (across_slice.start - 1.0, across_slice.stop + 1.0)
    along = (opening.start_px, opening.end_px)
    return (along, across) if opening.axis == "x" else (across, along)


def _door_leaf(opening: Opening, frame: PlanFrame, height_m: float) -> Manifold:
    """The leaf opened 90 degrees at its hinge jamb, on the side the swing was drawn (+across if none was)."""
    side = opening.swing or 1
    leaf_px = DOOR_LEAF_M / frame.m_per_px
    face = opening.high_px if side > 0 else opening.low_px
    far = face + side * opening.width_px
    across = (min(face, far), max(face, far))
    if opening.hinge_at_start:
        along = (opening.start_px, opening.start_px + leaf_px)
    else:
        along = (opening.end_px - leaf_px, opening.end_px)
    x_px, y_px = (along, across) if opening.axis == "x" else (across, along)
    return _box(frame, x_px, y_px, (0.0, height_m))


def _glass(opening: Opening, frame: PlanFrame, heights: Heights) -> Manifold:
    middle = (opening.low_px + opening.high_px) / 2
    half_px = GLASS_M / frame.m_per_px / 2
    along, across = (opening.start_px, opening.end_px), (middle - half_px, middle + half_px)
    x_px, y_px = (along, across) if opening.axis == "x" else (across, along)
    return _box(frame, x_px, y_px, (heights.window_sill_m, heights.window_top_m))


def _reading_order(centres: list[tuple[float, float]]) -> list[int]:
    """Indices sorted top to bottom, then left to right (by (y, x) pixel centre)."""
    return sorted(range(len(centres)), key=lambda index: (round(centres[index][1]), centres[index][0]))


def build_plan_scene(
    layout: PlanLayout, room_labels: np.ndarray, frame: PlanFrame, heights: Heights
) -> PlanModel:
    """Walls (prisms minus opening boxes, one node per straight wall), doors, glass, floors, ceilings."""
    materials = {
        "wall": _material("wall", (0.92, 0.91, 0.88, 1.0)),
        "floor": _material("floor", (0.72, 0.56, 0.38, 1.0), 0.7),
        "ceiling": _material("ceiling", (0.97, 0.97, 0.97, 1.0)),
        "door": _material("door", (0.55, 0.38, 0.22, 1.0), 0.6),
        "glass": _material("glass", (0.7, 0.85, 0.95, 0.3), 0.05),
    }
    scene = trimesh.Scene()
    closed = layout.closed_walls
    pieces = split_walls(closed, layout.wall_thickness_px[0])
    boxes = ndimage.find_objects(pieces)
    order = _reading_order([((b[1].start + b[1].stop) / 2, (b[0].start + b[0].stop) / 2) for b in boxes])
    names = {label: f"wall_{rank + 1:02d}" for rank, label in enumerate(np.array(order) + 1)}

    cuts: dict[int, list[Manifold]] = {}
    openings = []
    opening_order = _reading_order([opening.centre_px for opening in layout.openings])
    counters = {"door": 0, "window": 0}
    for index in opening_order:
        opening = layout.openings[index]
        x_px, y_px = opening.centre_px
        label = int(pieces[min(int(y_px), pieces.shape[0] - 1), min(int(x_px), pieces.shape[1] - 1)])
        if label == 0:
            continue
        x_cut, y_cut = _opening_box(opening, boxes[label - 1])
        if opening.kind == "door":
            z_cut = (-1.0, heights.door_m)
            solid, material = _door_leaf(opening, frame, heights.door_m), materials["door"]
        else:
            z_cut = (heights.window_sill_m, heights.window_top_m)
            solid, material = _glass(opening, frame, heights), materials["glass"]
        cuts.setdefault(label, []).append(_box(frame, x_cut, y_cut, z_cut))
        counters[opening.kind] += 1
        name = f"{opening.kind}_{counters[opening.kind]:02d}"
        scene.add_geometry(_to_trimesh(solid, material), node_name=name, geom_name=name)
        centre = frame.to_metres(x_px, y_px)
        openings.append(
            PlacedOpening(
                name=name,
                kind=opening.kind,
                centre_m=(float(centre[0]), float(centre[1])),
                width_m=opening.width_px * frame.m_per_px,
                wall=names[label],
                swing_drawn=opening.swing != 0,
            )
        )

    walls = []
    for label in np.array(order) + 1:
        piece = pieces == label
        solid = Manifold.extrude(mask_to_section(piece, frame), heights.wall_m)
        if label in cuts:
            solid = solid - Manifold.batch_boolean(cuts[label], OpType.Add)
        if solid.is_empty():
            continue
        scene.add_geometry(
            _to_trimesh(solid, materials["wall"]), node_name=names[label], geom_name=names[label]
        )
        box = boxes[label - 1]
        extent = sorted((box[0].stop - box[0].start, box[1].stop - box[1].start))
        walls.append(PlacedWall(names[label], extent[1] * frame.m_per_px, extent[0] * frame.m_per_px))

    rooms = []
    for label in range(1, int(room_labels.max()) + 1):
        region = room_labels == label
        section = mask_to_section(region, frame)
        name = f"room_{label}"
        floor = Manifold.extrude(section, SLAB_M).translate((0, 0, -SLAB_M))
        scene.add_geometry(
            _to_trimesh(floor, materials["floor"]), node_name=f"{name}_floor", geom_name=f"{name}_floor"
        )
        if heights.ceilings:
            ceiling = Manifold.extrude(section, SLAB_M).translate((0, 0, heights.wall_m))
            scene.add_geometry(
                _to_trimesh(ceiling, materials["ceiling"]),
                node_name=f"{name}_ceiling",
                geom_name=f"{name}_ceiling",
            )
        rows, cols = np.nonzero(region)
        centroid = frame.to_metres(cols.mean() + 0.5, rows.mean() + 0.5)
        rooms.append(
            PlacedRoom(name, float(rows.size * frame.m_per_px**2), (float(centroid[0]), float(centroid[1])))
        )
    return PlanModel(scene=scene, walls=walls, openings=openings, rooms=rooms, frame=frame)

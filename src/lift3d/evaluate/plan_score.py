"""Score a built floor-plan model against a synthetic plan's ground truth (tests and benchmarks).

Everything is measured on the model, not on intermediate masks: walls are sliced or
projected back into the picture's pixel grid, openings are probed with rays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import trimesh
from manifold3d import Manifold, Mesh
from skimage.draw import polygon as polygon_pixels

from lift3d.data.plans import PlanDrawing, PlanOpening
from lift3d.reconstruct.plan_geometry import PlacedOpening, PlanFrame, PlanModel


def wall_meshes(model: PlanModel) -> list[trimesh.Trimesh]:
    """The wall nodes' meshes, placed in the scene frame."""
    meshes = []
    for node in model.scene.graph.nodes_geometry:
        if node.startswith("wall_"):
            transform, geometry = model.scene.graph[node]
            meshes.append(model.scene.geometry[geometry].copy().apply_transform(transform))
    return meshes


def walls_mesh(model: PlanModel) -> trimesh.Trimesh:
    """All wall nodes as one mesh (no glass, no doors), for ray tests."""
    meshes = wall_meshes(model)
    return trimesh.Trimesh(
        np.concatenate([mesh.vertices for mesh in meshes]),
        np.concatenate([mesh.faces + offset for mesh, offset in zip(meshes, _offsets(meshes), strict=True)]),
        process=False,
    )


def _offsets(meshes: list[trimesh.Trimesh]) -> list[int]:
    counts = [len(mesh.vertices) for mesh in meshes]
    return [sum(counts[:index]) for index in range(len(meshes))]


def rasterise_rings(rings: list[np.ndarray], frame: PlanFrame, shape: tuple[int, int]) -> np.ndarray:
    """Even-odd fill of rings given in (X, -Z) metres, at the picture's pixel centres."""
    mask = np.zeros(shape, dtype=bool)
    for ring in rings:
        cols = ring[:, 0] / frame.m_per_px + frame.centre_px[0] - 0.5
        rows = -ring[:, 1] / frame.m_per_px + frame.centre_px[1] - 0.5
        inside = np.zeros(shape, dtype=bool)
        inside[polygon_pixels(rows, cols, shape)] = True
        mask ^= inside
    return mask


def _wall_solids(model: PlanModel) -> Iterator[Manifold]:
    """Each built wall as a manifold in plan axes: x right, y up the drawing, z the height."""
    for mesh in wall_meshes(model):
        vertices = np.asarray(mesh.vertices)
        plan_axes = np.stack([vertices[:, 0], -vertices[:, 2], vertices[:, 1]], axis=1).astype(np.float32)
        yield Manifold(Mesh(vert_properties=plan_axes, tri_verts=np.asarray(mesh.faces, dtype=np.uint32)))


def wall_section_mask(model: PlanModel, shape: tuple[int, int], height_m: float) -> np.ndarray:
    """Pixels where the built walls stand at `height_m` (a horizontal cut, like a plan drawing's)."""
    mask = np.zeros(shape, dtype=bool)
    for solid in _wall_solids(model):
        mask |= rasterise_rings(solid.slice(height_m).to_polygons(), model.frame, shape)
    return mask


def wall_footprint_mask(model: PlanModel, shape: tuple[int, int]) -> np.ndarray:
    """Pixels covered by the built walls seen from above (lintels and sills included)."""
    mask = np.zeros(shape, dtype=bool)
    for solid in _wall_solids(model):
        mask |= rasterise_rings(solid.project().to_polygons(), model.frame, shape)
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


def true_centre_m(opening: PlanOpening, frame: PlanFrame) -> tuple[float, float]:
    x_m, z_m = frame.to_metres(*opening.centre_px)
    return float(x_m), float(z_m)


@dataclass(frozen=True)
class Detection:
    """Precision and recall of one kind of opening."""

    found: int
    true: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.true if self.true else 1.0


def match_openings(model: PlanModel, drawing: PlanDrawing, kind: str) -> Detection:
    """Greedy one-to-one matching by centre distance, within half the true opening's width."""
    found: list[PlacedOpening] = [opening for opening in model.openings if opening.kind == kind]
    truth = [opening for opening in drawing.openings if opening.kind == kind]
    pairs = []
    for i, detected in enumerate(found):
        for j, true in enumerate(truth):
            centre = true_centre_m(true, model.frame)
            distance = float(np.hypot(detected.centre_m[0] - centre[0], detected.centre_m[1] - centre[1]))
            if distance <= 0.5 * true.width_px * drawing.m_per_px:
                pairs.append((distance, i, j))
    used_found, used_true = set(), set()
    for _, i, j in sorted(pairs):
        if i not in used_found and j not in used_true:
            used_found.add(i)
            used_true.add(j)
    return Detection(found=len(found), true=len(truth), matched=len(used_true))


def ray_is_blocked(
    walls: trimesh.Trimesh, centre_m: tuple[float, float], axis: str, height_m: float, reach_m: float
) -> bool:
    """Whether a ray across a wall running along `axis`, through `centre_m`, hits within `reach_m` of it."""
    direction = np.array([0.0, 0.0, 1.0]) if axis == "x" else np.array([1.0, 0.0, 0.0])
    origin = np.array([centre_m[0], height_m, centre_m[1]]) - direction * reach_m
    locations, _, _ = walls.ray.intersects_location(origin[None], direction[None])
    if len(locations) == 0:
        return False
    distances = (locations - origin) @ direction
    return bool(np.any((distances >= 0) & (distances <= 2 * reach_m)))


def solid_wall_points(
    drawing: PlanDrawing, clearance_m: float = 0.3
) -> list[tuple[tuple[float, float], str, float]]:
    """One point per true wall well away from its ends and openings: ((x, y) px, axis, thickness px)."""
    clearance_px = clearance_m / drawing.m_per_px
    points = []
    for wall in drawing.walls:
        blocked = [(wall.start_px, wall.start_px + wall.thickness_px / 2 + clearance_px)]
        blocked.append((wall.end_px - wall.thickness_px / 2 - clearance_px, wall.end_px))
        for opening in drawing.openings:
            along, across = opening.centre_px if wall.axis == "x" else opening.centre_px[::-1]
            if (
                opening.axis == wall.axis
                and abs(across - wall.line_px) < 1
                and wall.start_px <= along <= wall.end_px
            ):
                half = opening.width_px / 2 + clearance_px
                blocked.append((along - half, along + half))
        blocked.sort()
        cursor, best = wall.start_px, (0.0, 0.0)
        for low, high in blocked:
            if low - cursor > best[1] - best[0]:
                best = (cursor, low)
            cursor = max(cursor, high)
        if best[1] - best[0] > 2:
            along = (best[0] + best[1]) / 2
            point = (along, wall.line_px) if wall.axis == "x" else (wall.line_px, along)
            points.append((point, wall.axis, wall.thickness_px))
    return points

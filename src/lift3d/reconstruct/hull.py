"""Visual hull of an orthographic drawing: front, top and side silhouettes extruded and intersected.

Each silhouette is traced as polygons (holes included), simplified so straight edges
stay straight, extruded through the world along its view direction and intersected
with the others by manifold3d: flat faces stay flat and edges stay sharp, which a
voxel grid would round off. Pockets seen in none of the three views (a blind hole)
cannot be recovered; through-holes, slots, steps and profiles are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import trimesh
from manifold3d import CrossSection, FillRule, JoinType, Manifold, OpType

from lift3d.camera import view_rotation
from lift3d.errors import InputError, OptionError
from lift3d.inputs.sheets import OrthoViews
from lift3d.reconstruct.views import NOT_ONE_OBJECT, ViewPicture, make_view_picture, mask_box
from lift3d.types import OBJECT_FILL

# Prisms reach this far along their view direction, beyond the world cube [-1, 1]^3.
_PRISM_REACH = 2.0


@dataclass(frozen=True)
class HullOptions:
    """How three orthographic silhouettes become one solid."""

    size_tolerance: float = 0.08  # relative mismatch allowed between the extents two views share
    simplify_px: float = 1.0  # outline simplification tolerance, in picture pixels
    min_agreement: float = 0.9  # share of each silhouette the intersected solid must still cast
    view_px: int = 1024  # side of the view squares the texture is taken from

    def __post_init__(self) -> None:
        if not 0 < self.size_tolerance < 1:
            raise OptionError(f"size_tolerance must be between 0 and 1, got {self.size_tolerance}")
        if not 0 <= self.simplify_px <= 10:
            raise OptionError(f"simplify_px must be between 0 and 10 pixels, got {self.simplify_px}")
        if not 0 < self.min_agreement <= 1:
            raise OptionError(f"min_agreement must be in (0, 1], got {self.min_agreement}")
        if not 64 <= self.view_px <= 4096:
            raise OptionError(f"view_px must be between 64 and 4096, got {self.view_px}")


@dataclass(frozen=True)
class _Placement:
    """How one drawing maps to its view frame: x = (col - cx) * ux, y = (cy - row) * uy."""

    centre_px: tuple[float, float]
    units_per_px: tuple[float, float]
    rotation: np.ndarray


def ortho_rotations(side_from: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World -> view rotations of the front, top and side views."""
    side = view_rotation(-90.0 if side_from == "right" else 90.0, 0.0)
    return np.eye(3), view_rotation(0.0, 90.0), side


def world_size(views: OrthoViews, tolerance: float) -> tuple[float, float, float]:
    """Width, height and depth of the object, the longest scaled to 2 * OBJECT_FILL.

    Each extent is seen in two views (front and top share the width, front and side the
    height, top and side the depth). On one sheet they must match in pixels; separate
    pictures may use different scales, so only their proportions must agree.
    """
    front_w, front_h = _extent(views.front_mask)
    top_w, top_d = _extent(views.top_mask)
    side_d, side_h = _extent(views.side_mask)
    # (extent, the two views showing it, its size in each, in the front view's pixels)
    depth_from_top, depth_from_side = top_d * front_w / top_w, side_d * front_h / side_h
    checks = [("depth", "top and side", depth_from_top, depth_from_side)]
    if views.shared_scale:
        checks += [("width", "front and top", front_w, top_w), ("height", "front and side", front_h, side_h)]
    for extent, shown_in, first, second in checks:
        if abs(first - second) > tolerance * max(first, second):
            raise InputError(
                f"{NOT_ONE_OBJECT}: the {extent} differs between the {shown_in} views "
                f"({first:.0f} vs {second:.0f} px)"
            )
    width, height = front_w, front_h
    if views.shared_scale:
        width, height = (front_w + top_w) / 2, (front_h + side_h) / 2
    depth = (depth_from_top + depth_from_side) / 2
    scale = 2 * OBJECT_FILL / max(width, height, depth)
    return width * scale, height * scale, depth * scale


def _extent(mask: np.ndarray) -> tuple[float, float]:
    x0, y0, x1, y1 = mask_box(mask)
    return float(x1 - x0), float(y1 - y0)


def placements(views: OrthoViews, tolerance: float) -> list[_Placement]:
    """Map each drawing's object box onto the world box it shows, per view."""
    width, height, depth = world_size(views, tolerance)
    front_rotation, top_rotation, side_rotation = ortho_rotations(views.side_from)
    result = []
    for mask, rotation, (view_w, view_h) in (
        (views.front_mask, front_rotation, (width, height)),
        (views.top_mask, top_rotation, (width, depth)),
        (views.side_mask, side_rotation, (depth, height)),
    ):
        x0, y0, x1, y1 = mask_box(mask)
        result.append(
            _Placement(
                centre_px=((x0 + x1) / 2, (y0 + y1) / 2),
                units_per_px=(view_w / (x1 - x0), view_h / (y1 - y0)),
                rotation=rotation,
            )
        )
    return result


def silhouette_section(mask: np.ndarray, placement: _Placement, simplify_px: float) -> CrossSection:
    """The mask's outline, holes included, as polygons in view-frame units.

    OpenCV traces the centres of boundary pixels; growing the polygons by half a pixel
    (mitred, so corners stay square) puts the outline on the pixel edges.
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    polygons = []
    for contour in contours:
        simple = cv2.approxPolyDP(contour, simplify_px, True) if simplify_px > 0 else contour
        points = simple.reshape(-1, 2).astype(np.float64) + 0.5  # pixel centre -> edge coordinates
        if len(points) >= 3:
            polygons.append(np.column_stack([points[:, 0], -points[:, 1]]))
    if not polygons:
        raise InputError("a view's silhouette has no area")
    section = CrossSection(polygons, FillRule.EvenOdd).offset(0.5, JoinType.Miter, 2.0)
    (cx, cy), (ux, uy) = placement.centre_px, placement.units_per_px
    return section.transform(np.array([[ux, 0.0, -cx * ux], [0.0, uy, cy * uy]]))


def silhouette_prism(section: CrossSection, rotation: np.ndarray) -> Manifold:
    """Every world point whose projection in this view falls inside the silhouette."""
    prism = Manifold.extrude(section, 2 * _PRISM_REACH).translate([0.0, 0.0, -_PRISM_REACH])
    to_world = np.zeros((3, 4))
    to_world[:, :3] = np.asarray(rotation).T
    return prism.transform(to_world)


def ortho_hull(
    views: OrthoViews, options: HullOptions | None = None
) -> tuple[trimesh.Trimesh, list[ViewPicture]]:
    """The solid the three views describe, in the world frame, and the views placed for texturing.

    Raises InputError when the views disagree: their shared extents differ, or the
    solid they carve no longer casts one of the silhouettes.
    """
    options = options or HullOptions()
    placed = placements(views, options.size_tolerance)
    masks = (views.front_mask, views.top_mask, views.side_mask)
    sections = [
        silhouette_section(mask, placement, options.simplify_px)
        for mask, placement in zip(masks, placed, strict=True)
    ]
    prisms = [silhouette_prism(section, p.rotation) for section, p in zip(sections, placed, strict=True)]
    solid = Manifold.batch_boolean(prisms, OpType.Intersect)
    if solid.is_empty():
        raise InputError(f"{NOT_ONE_OBJECT}: the three silhouettes have no solid in common")
    pictures = (views.front, views.top, views.side)
    for section, placement, picture in zip(sections, placed, pictures, strict=True):
        agreement = _cast_share(solid, section, placement.rotation)
        if agreement < options.min_agreement:
            raise InputError(
                f"{NOT_ONE_OBJECT}: the solid the three views carve casts only {agreement:.0%} "
                f"of the silhouette in {picture.source}"
            )
    mesh = solid.to_mesh()
    result = trimesh.Trimesh(
        np.asarray(mesh.vert_properties)[:, :3].astype(np.float64),
        np.asarray(mesh.tri_verts, dtype=np.int64),
        process=False,
    )
    view_pictures = [
        make_view_picture(picture, mask, p.rotation, p.centre_px, p.units_per_px, options.view_px)
        for picture, mask, p in zip(pictures, masks, placed, strict=True)
    ]
    return result, view_pictures


def _cast_share(solid: Manifold, section: CrossSection, rotation: np.ndarray) -> float:
    """Share of a silhouette's area that the solid's shadow in that view covers."""
    to_view = np.zeros((3, 4))
    to_view[:, :3] = rotation
    shadow = solid.transform(to_view).project()
    area = section.area()
    return float((shadow ^ section).area() / area) if area > 0 else 0.0

"""Procedural shape families: random solids built from parts and unioned into one manifold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold, Mesh, OpType
from scipy.interpolate import PchipInterpolator
from skimage.measure import marching_cubes

# Segments around a full circle: enough for smooth silhouettes at 128 px while the
# unioned mesh stays at a few thousand faces.
CIRCLE_SEGMENTS = 28


@dataclass(frozen=True)
class Part:
    """One solid piece of a shape; parts that share a `role` share a material.

    A `subtract` part is carved out of the union of the others (a mug's cavity);
    the surface it leaves behind takes its role.
    """

    solid: Manifold
    role: str = "body"
    subtract: bool = False


@dataclass(frozen=True)
class PartMesh:
    """A unioned shape: one watertight mesh and which role each face came from."""

    mesh: trimesh.Trimesh
    face_role: np.ndarray  # (F,) int16 index into `roles`
    roles: tuple[str, ...]


ShapeFamily = Callable[[np.random.Generator], list[Part]]
Vector = Sequence[float] | np.ndarray  # a 3D point or size


def union_parts(parts: Sequence[Part]) -> PartMesh:
    """Union the positive parts, carve the negative ones, and keep face provenance.

    manifold3d booleans give a guaranteed manifold result in milliseconds; each part
    gets its own original id so every output face can be traced to its part's role.
    """
    roles = tuple(dict.fromkeys(part.role for part in parts))
    tagged = [(part, part.solid.as_original()) for part in parts]
    id_to_role = {solid.original_id(): roles.index(part.role) for part, solid in tagged}
    positive = [solid for part, solid in tagged if not part.subtract]
    negative = [solid for part, solid in tagged if part.subtract]
    if not positive:
        raise ValueError("a shape needs at least one positive part")
    solid = Manifold.batch_boolean(positive, OpType.Add) if len(positive) > 1 else positive[0]
    if negative:
        carve = Manifold.batch_boolean(negative, OpType.Add) if len(negative) > 1 else negative[0]
        solid = solid - carve
    mesh = solid.to_mesh()
    faces = np.asarray(mesh.tri_verts, dtype=np.int64)
    if len(faces) == 0:
        raise ValueError("the parts' union is empty")
    vertices = np.asarray(mesh.vert_properties[:, :3], dtype=np.float64)
    run_index = np.asarray(mesh.run_index, dtype=np.int64) // 3
    run_role = np.array([id_to_role.get(int(i), 0) for i in mesh.run_original_id], dtype=np.int16)
    face_role = np.repeat(run_role, np.diff(run_index))
    result = trimesh.Trimesh(vertices, faces, process=False)
    return PartMesh(mesh=result, face_role=face_role, roles=roles)


def manifold_from_arrays(vertices: np.ndarray, faces: np.ndarray) -> Manifold:
    """Wrap raw triangles as a Manifold; raises ValueError when they are not a closed 2-manifold."""
    mesh = Mesh(
        vert_properties=np.ascontiguousarray(vertices, dtype=np.float32),
        tri_verts=np.ascontiguousarray(faces, dtype=np.uint32),
    )
    solid = Manifold(mesh)
    if solid.status().name != "NoError" or solid.is_empty():
        raise ValueError(f"triangles are not a closed manifold: {solid.status().name}")
    return solid


# --- building blocks (all y-up, centred at the origin unless said) ---------------------


def _z_to_y(solid: Manifold) -> Manifold:
    """Manifold's revolve/extrude/cylinder use +z as the axis; shapes here stand on +y."""
    return solid.rotate([-90.0, 0.0, 0.0])


def ellipsoid(radii: Vector, center: Vector = (0, 0, 0)) -> Manifold:
    return Manifold.sphere(1.0, CIRCLE_SEGMENTS).scale(list(map(float, radii))).translate(list(center))


def sphere(radius: float, center: Vector = (0, 0, 0), segments: int = CIRCLE_SEGMENTS) -> Manifold:
    return Manifold.sphere(float(radius), segments).translate([float(c) for c in center])


def capsule(start: Vector, end: Vector, radius: float) -> Manifold:
    """A rounded limb between two points: the hull of two spheres."""
    segments = max(12, CIRCLE_SEGMENTS * 2 // 3)
    return Manifold.batch_hull([sphere(radius, start, segments), sphere(radius, end, segments)])


def box(size: Vector, center: Vector = (0, 0, 0)) -> Manifold:
    return Manifold.cube([float(s) for s in size], center=True).translate([float(c) for c in center])


def cylinder_y(
    height: float, radius: float, radius_top: float | None = None, center: Vector = (0, 0, 0)
) -> Manifold:
    """A vertical cylinder (or cone when `radius_top` differs) centred on `center`."""
    top = radius if radius_top is None else radius_top
    solid = Manifold.cylinder(float(height), float(radius), float(top), CIRCLE_SEGMENTS, True)
    return _z_to_y(solid).translate([float(c) for c in center])


def torus(major_radius: float, minor_radius: float) -> Manifold:
    """A ring lying in the xz plane (axis +y)."""
    circle = CrossSection.circle(float(minor_radius), 16).translate([float(major_radius), 0.0])
    return _z_to_y(Manifold.revolve(circle, CIRCLE_SEGMENTS + 4))


def revolve_profile(points: np.ndarray, segments: int = CIRCLE_SEGMENTS + 4) -> Manifold:
    """Revolve a closed (radius, height) polygon about the +y axis."""
    section = CrossSection([np.ascontiguousarray(points, dtype=np.float64)])
    return _z_to_y(Manifold.revolve(section, segments))


def _random_rotation_degrees(rng: np.random.Generator) -> list[float]:
    return [float(a) for a in rng.uniform(0.0, 360.0, 3)]


# --- families ----------------------------------------------------------------------------

PRIMITIVE_KINDS = ("box", "sphere", "cylinder", "cone", "capsule", "torus")


def primitive_solid(rng: np.random.Generator, kind: str) -> Manifold:
    """One primitive of roughly unit size, centred so the origin lies inside it (except a torus)."""
    if kind == "box":
        return box(rng.uniform(0.35, 1.0, 3))
    if kind == "sphere":
        radii = np.full(3, 0.5) if rng.random() < 0.5 else rng.uniform(0.25, 0.6, 3)
        return ellipsoid(radii)
    if kind == "cylinder":
        return cylinder_y(rng.uniform(0.3, 1.0), rng.uniform(0.15, 0.5))
    if kind == "cone":
        radius = rng.uniform(0.25, 0.55)
        top = 0.0 if rng.random() < 0.6 else radius * rng.uniform(0.15, 0.6)
        return cylinder_y(rng.uniform(0.4, 1.0), radius, top)
    if kind == "capsule":
        half = rng.uniform(0.1, 0.4)
        return capsule((0, -half, 0), (0, half, 0), rng.uniform(0.12, 0.35))
    if kind == "torus":
        major = rng.uniform(0.3, 0.5)
        return torus(major, major * rng.uniform(0.2, 0.55))
    raise ValueError(f"unknown primitive {kind!r}")


def primitive(rng: np.random.Generator) -> list[Part]:
    """A single box, sphere, cylinder, cone, capsule or torus with random proportions."""
    kind = PRIMITIVE_KINDS[rng.integers(len(PRIMITIVE_KINDS))]
    solid = primitive_solid(rng, kind)
    if kind == "torus" and rng.random() < 0.5:
        solid = solid.rotate([float(rng.uniform(30.0, 90.0)), 0.0, 0.0])
    return [Part(solid)]


def superquadric_points(
    directions: np.ndarray, radii: np.ndarray, exponents: tuple[float, float]
) -> np.ndarray:
    """Push unit directions onto a superquadric; it is star-shaped, so the mesh cannot fold."""
    east_west, north_south = exponents
    x, y, z = (np.abs(directions[:, k]) / radii[k] for k in range(3))
    horizontal = (x ** (2 / east_west) + z ** (2 / east_west)) ** (east_west / north_south)
    inside = horizontal + y ** (2 / north_south)
    distance = np.maximum(inside, 1e-12) ** (-north_south / 2)
    return directions * distance[:, None]


def superquadric(rng: np.random.Generator) -> list[Part]:
    """Rounded cubes, pillows, diamonds and spindles, optionally tapered."""
    sphere_mesh = trimesh.creation.icosphere(subdivisions=3)
    radii = rng.uniform(0.3, 0.6, 3)
    exponents = (float(rng.uniform(0.25, 1.8)), float(rng.uniform(0.25, 1.8)))
    points = superquadric_points(np.asarray(sphere_mesh.vertices), radii, exponents)
    if rng.random() < 0.4:
        taper = rng.uniform(-0.6, 0.6)
        points[:, [0, 2]] *= (1.0 + taper * points[:, 1:2] / radii[1]) * 0.5 + 0.5
    return [Part(manifold_from_arrays(points, np.asarray(sphere_mesh.faces)))]


def _smooth_radii(rng: np.random.Generator, count: int, low: float, high: float, samples: int) -> np.ndarray:
    """A smooth random radius curve along a height, from a few control values."""
    control = rng.uniform(low, high, count)
    t = np.linspace(0.0, 1.0, samples)
    knots = np.linspace(0.0, 1.0, count)
    return PchipInterpolator(knots, control)(t)  # monotone pieces: never dips below `low`


def revolution(rng: np.random.Generator) -> list[Part]:
    """Vases, bottles, bowls and mugs: profile curves revolved about the vertical axis."""
    kind = ("vase", "bottle", "bowl", "mug")[rng.integers(4)]
    samples = 14
    if kind == "vase":
        height = rng.uniform(0.8, 1.6)
        heights = np.linspace(0.0, height, samples)
        radii = _smooth_radii(rng, int(rng.integers(3, 6)), 0.15, 0.5, samples)
        profile = np.concatenate([[[0.0, 0.0]], np.stack([radii, heights], 1), [[0.0, height]]])
        parts = [Part(revolve_profile(profile))]
        if rng.random() < 0.7:
            wall = 0.04
            depth = rng.uniform(0.3, 0.9) * height
            narrowest = float(radii[heights >= height - depth].min())
            cavity_radius = max(0.03, narrowest - wall)
            cavity = cylinder_y(depth + 0.2, cavity_radius, center=(0, height - depth / 2 + 0.1, 0))
            parts.append(Part(cavity, role="inside", subtract=True))
        return parts
    if kind == "bottle":
        body_radius = rng.uniform(0.2, 0.4)
        body_height = rng.uniform(0.5, 1.0)
        neck_radius = body_radius * rng.uniform(0.25, 0.5)
        shoulder = rng.uniform(0.1, 0.3)
        neck = rng.uniform(0.15, 0.35)
        angle = np.linspace(0.0, np.pi / 2, 6)
        shoulder_curve = np.stack(
            [
                neck_radius + (body_radius - neck_radius) * np.cos(angle),
                body_height + shoulder * np.sin(angle),
            ],
            1,
        )
        top = body_height + shoulder + neck
        profile = np.concatenate(
            [
                [[0.0, 0.0], [body_radius, 0.0]],
                shoulder_curve,
                [[neck_radius, top], [0.0, top]],
            ]
        )
        parts = [Part(revolve_profile(profile))]
        if rng.random() < 0.6:
            cap = cylinder_y(neck * 0.5, neck_radius * 1.15, center=(0, top - neck * 0.2, 0))
            parts.append(Part(cap, role="cap"))
        return parts
    if kind == "bowl":
        radius = rng.uniform(0.4, 0.7)
        height = rng.uniform(0.25, 0.6)
        power = rng.uniform(0.3, 0.7)
        foot = radius * rng.uniform(0.25, 0.5)
        heights = np.linspace(0.0, height, samples)
        outer = np.maximum(foot, radius * (heights / height) ** power)
        profile = np.concatenate([[[0.0, 0.0]], np.stack([outer, heights], 1), [[0.0, height]]])
        wall = rng.uniform(0.03, 0.07)
        inner_heights = np.linspace(wall, height + 0.1, samples)
        inner = (radius - wall) * ((inner_heights - wall) / (height - wall)) ** power
        inner_profile = np.concatenate(
            [[[0.0, wall]], np.stack([inner, inner_heights], 1)[1:], [[0.0, height + 0.1]]]
        )
        return [Part(revolve_profile(profile)), Part(revolve_profile(inner_profile), "inside", subtract=True)]
    # mug: a cylinder with a ring handle, carved after the handle is attached so the
    # handle never pokes into the cavity
    radius = rng.uniform(0.25, 0.4)
    height = rng.uniform(0.5, 0.9)
    wall = rng.uniform(0.03, 0.06)
    body = cylinder_y(height, radius, radius * rng.uniform(0.85, 1.1), center=(0, height / 2, 0))
    handle_radius = height * rng.uniform(0.22, 0.33)
    handle = (
        torus(handle_radius, handle_radius * rng.uniform(0.15, 0.25))
        .rotate([90.0, 0.0, 0.0])
        .translate([radius + handle_radius * 0.45, height * 0.5, 0.0])
    )
    cavity = cylinder_y(height, radius - wall, center=(0, height / 2 + wall + 0.01, 0))
    return [Part(body), Part(handle, "handle"), Part(cavity, "inside", subtract=True)]


def _outline(rng: np.random.Generator) -> np.ndarray:
    """A star, blob or jittered polygon around the origin (star-shaped from it)."""
    kind = ("star", "blob", "polygon")[rng.integers(3)]
    if kind == "star":
        tips = int(rng.integers(4, 9))
        angle = np.arange(2 * tips) * np.pi / tips
        radius = np.where(np.arange(2 * tips) % 2 == 0, 0.5, 0.5 * rng.uniform(0.35, 0.7))
    elif kind == "blob":
        angle = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
        radius = np.ones_like(angle)
        for frequency in range(2, 6):
            radius += rng.uniform(-0.25, 0.25) / frequency * np.cos(frequency * angle + rng.uniform(0, 6.3))
        radius = 0.5 * np.maximum(radius, 0.35)
    else:
        sides = int(rng.integers(3, 9))
        angle = np.arange(sides) * 2 * np.pi / sides + rng.uniform(-0.15, 0.15, sides)
        radius = 0.5 * rng.uniform(0.8, 1.0, sides)
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)


def extrusion(rng: np.random.Generator) -> list[Part]:
    """Cookie-cutter solids: a random outline extruded, maybe bevelled or twisted."""
    section = CrossSection([_outline(rng)])
    height = rng.uniform(0.12, 0.8)
    style = rng.random()
    if style < 0.2:
        solid = Manifold.extrude(section, height, 8, float(rng.uniform(-90, 90)))
    elif style < 0.55:
        bevel = min(height * 0.3, 0.08)
        scale = float(rng.uniform(0.75, 0.92))
        core = Manifold.extrude(section, height - 2 * bevel + 0.002).translate([0, 0, bevel - 0.001])
        top = Manifold.extrude(section, bevel, 0, 0.0, [scale, scale]).translate([0, 0, height - bevel])
        bottom = (
            Manifold.extrude(section, bevel, 0, 0.0, [scale, scale])
            .mirror([0, 0, 1])
            .translate([0, 0, bevel])
        )
        solid = Manifold.batch_boolean([core, top, bottom], OpType.Add)
    else:
        solid = Manifold.extrude(section, height)
    solid = solid.translate([0.0, 0.0, -height / 2])
    if rng.random() < 0.5:
        solid = solid.rotate([90.0, 0.0, 0.0])
    return [Part(solid)]


def toy(rng: np.random.Generator) -> list[Part]:
    """2-5 primitives stuck together, each centred on a point inside an earlier one."""
    kinds = [k for k in PRIMITIVE_KINDS if k != "torus"]  # a torus's centre is not inside it
    parts: list[Part] = []
    for index in range(int(rng.integers(2, 6))):
        solid = primitive_solid(rng, kinds[rng.integers(len(kinds))]).scale(
            [float(rng.uniform(0.5, 1.0))] * 3
        )
        solid = solid.rotate(_random_rotation_degrees(rng))
        if parts:
            anchor = parts[rng.integers(len(parts))].solid
            anchor_vertices = np.asarray(anchor.to_mesh().vert_properties[:, :3], dtype=np.float64)
            low, high = np.asarray(anchor.bounding_box()).reshape(2, 3)
            centre = (low + high) / 2
            surface_point = anchor_vertices[rng.integers(len(anchor_vertices))]
            solid = solid.translate([float(c) for c in centre + 0.8 * (surface_point - centre)])
        parts.append(Part(solid, role=f"part{index}"))
    return parts


def blob(rng: np.random.Generator) -> list[Part]:
    """Metaball creatures: a smooth field around a random walk of balls, meshed by marching cubes."""
    count = int(rng.integers(3, 8))
    radii = rng.uniform(0.22, 0.45, count)
    centres = np.zeros((count, 3))
    for k in range(1, count):
        step = rng.normal(size=3)
        parent = rng.integers(k)
        reach = (radii[k] + radii[parent]) * rng.uniform(0.7, 1.1)
        centres[k] = centres[parent] + step / np.linalg.norm(step) * reach
    margin = radii.max() * 1.3
    low, high = centres.min(0) - margin, centres.max(0) + margin
    spacing = float((high - low).max() / 34)
    axes = [np.arange(lo, hi + spacing, spacing) for lo, hi in zip(low, high, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1)
    # a compactly supported kernel keeps lobes distinct (1/d^2 tails melt them into one egg)
    support = 1.8
    field = np.zeros(grid.shape[:3])
    for centre, radius in zip(centres, radii, strict=True):
        falloff = 1.0 - np.sum((grid - centre) ** 2, -1) / (support * radius) ** 2
        field += np.clip(falloff, 0.0, None) ** 3
    level = (1.0 - 1.0 / support**2) ** 3  # a lone ball's surface sits at its radius
    field = np.pad(field, 1)  # zero border closes the surface
    vertices, faces, _, _ = marching_cubes(field, level=level, spacing=(spacing,) * 3)
    vertices += low - spacing
    faces = faces[:, ::-1]  # skimage winds faces inward for a field that is high inside
    body = manifold_from_arrays(vertices, faces)
    if body.volume() < 0:
        raise ValueError("blob came out inside-out")
    body = body.simplify(spacing * 0.15)
    parts = [Part(body)]
    if rng.random() < 0.7:
        top = int(np.argmax(centres[:, 1] + radii))
        eye_radius = radii[top] * rng.uniform(0.18, 0.3)
        for side in (-1.0, 1.0):
            direction = np.array([0.35 * side, 0.25, 0.9])
            direction /= np.linalg.norm(direction)
            parts.append(Part(sphere(eye_radius, centres[top] + direction * radii[top] * 0.95), role="eye"))
    return parts


def character(rng: np.random.Generator) -> list[Part]:
    """A cartoon figure: ellipsoid body, big head, capsule arms and legs, maybe eyes, ears, feet."""
    body_radii = np.array([rng.uniform(0.22, 0.35), rng.uniform(0.25, 0.4), rng.uniform(0.17, 0.28)])
    head_radius = body_radii[0] * rng.uniform(0.9, 1.5)
    head_centre = np.array([0.0, body_radii[1] + head_radius * 0.6, 0.0])
    same_skin = rng.random() < 0.4
    parts = [
        Part(ellipsoid(body_radii), "body"),
        Part(sphere(head_radius, head_centre), "body" if same_skin else "head"),
    ]
    limb_radius = body_radii[0] * rng.uniform(0.18, 0.3)
    arm_length = body_radii[1] * rng.uniform(1.0, 1.8)
    arm_angle = np.radians(rng.uniform(-60.0, 40.0))
    leg_length = body_radii[1] * rng.uniform(0.6, 1.3)
    leg_spread = np.radians(rng.uniform(0.0, 15.0))
    for side in (-1.0, 1.0):
        shoulder = np.array([side * body_radii[0] * 0.75, body_radii[1] * 0.35, 0.0])
        hand = shoulder + arm_length * np.array([side * np.cos(arm_angle), np.sin(arm_angle), 0.15])
        parts.append(Part(capsule(shoulder, hand, limb_radius), "body" if same_skin else "head"))
        hip = np.array([side * body_radii[0] * 0.45, -body_radii[1] * 0.6, 0.0])
        foot = hip + leg_length * np.array([side * np.sin(leg_spread), -np.cos(leg_spread), 0.0])
        parts.append(Part(capsule(hip, foot, limb_radius * 1.2), "legs"))
        if rng.random() < 0.6:
            shoe = ellipsoid(
                [limb_radius * 1.5, limb_radius * 1.1, limb_radius * 2.2], foot + [0, 0, limb_radius]
            )
            parts.append(Part(shoe, "shoes"))
        eye_offset = np.array([side * 0.35, 0.15, 0.92])
        eye_offset /= np.linalg.norm(eye_offset)
        parts.append(Part(sphere(head_radius * 0.16, head_centre + eye_offset * head_radius * 0.95), "eye"))
    ears = rng.integers(3)
    for side in (-1.0, 1.0):
        ear_centre = head_centre + head_radius * np.array([side * 0.6, 0.75, 0.0])
        if ears == 1:
            parts.append(Part(sphere(head_radius * 0.35, ear_centre), "body" if same_skin else "head"))
        elif ears == 2:
            cone = cylinder_y(head_radius * 0.7, head_radius * 0.3, 0.0).rotate([0.0, 0.0, -side * 20.0])
            parts.append(
                Part(cone.translate([float(c) for c in ear_centre]), "body" if same_skin else "head")
            )
    return parts


def furniture(rng: np.random.Generator) -> list[Part]:
    """Tables, chairs and shelves from boards and legs that overlap where they join."""
    kind = ("table", "chair", "shelf")[rng.integers(3)]
    round_legs = rng.random() < 0.5

    def leg(x: float, z: float, height: float, thickness: float) -> Manifold:
        if round_legs:
            return cylinder_y(height, thickness / 2, center=(x, height / 2, z))
        return box((thickness, height, thickness), (x, height / 2, z))

    if kind == "shelf":
        width, height, depth = rng.uniform(0.6, 1.2), rng.uniform(0.5, 1.5), rng.uniform(0.2, 0.45)
        board = rng.uniform(0.03, 0.06)
        parts = [
            Part(box((board, height, depth), (side * (width - board) / 2, height / 2, 0)), "frame")
            for side in (-1.0, 1.0)
        ]
        levels = int(rng.integers(2, 6))
        for y in np.linspace(board / 2, height - board / 2, levels):
            parts.append(Part(box((width - board, board, depth), (0, float(y), 0)), "boards"))
        if rng.random() < 0.6:
            parts.append(
                Part(box((width - board, height, board), (0, height / 2, (board - depth) / 2)), "boards")
            )
        return parts

    width, depth = rng.uniform(0.4, 1.4), rng.uniform(0.4, 1.0)
    top_height = rng.uniform(0.4, 0.8) if kind == "table" else rng.uniform(0.35, 0.5)
    if kind == "chair":
        width = depth = rng.uniform(0.4, 0.55)
    thickness = rng.uniform(0.03, 0.07)
    leg_thickness = rng.uniform(0.04, 0.08)
    parts = []
    if kind == "table" and rng.random() < 0.3:
        radius = width / 2
        parts.append(Part(cylinder_y(thickness, radius, center=(0, top_height - thickness / 2, 0)), "top"))
        parts.append(Part(cylinder_y(top_height, leg_thickness, center=(0, top_height / 2, 0)), "legs"))
        parts.append(Part(cylinder_y(thickness, radius * 0.5, center=(0, thickness / 2, 0)), "legs"))
        return parts
    parts.append(Part(box((width, thickness, depth), (0, top_height - thickness / 2, 0)), "top"))
    inset = leg_thickness / 2 + rng.uniform(0.0, 0.05)
    for sx in (-1.0, 1.0):
        for sz in (-1.0, 1.0):
            x, z = sx * (width / 2 - inset), sz * (depth / 2 - inset)
            parts.append(Part(leg(x, z, top_height - thickness / 2, leg_thickness), "legs"))
    if kind == "chair":
        back_height = rng.uniform(0.3, 0.6)
        back_z = -(depth / 2 - inset)
        if rng.random() < 0.5:
            back = box((width, back_height, thickness), (0, top_height + back_height / 2 - 0.01, back_z))
            parts.append(Part(back, "top"))
        else:
            rail = box((width, thickness * 2, thickness), (0, top_height + back_height, back_z))
            parts.append(Part(rail, "top"))
            for x in np.linspace(-(width / 2 - inset), width / 2 - inset, int(rng.integers(2, 5))):
                # reaches down into the seat so the union is one piece
                slat_centre = (float(x), top_height + back_height / 2 - thickness / 2, back_z)
                slat = box((leg_thickness, back_height + thickness, leg_thickness), slat_centre)
                parts.append(Part(slat, "legs"))
    return parts


FAMILIES: dict[str, ShapeFamily] = {
    "primitive": primitive,
    "superquadric": superquadric,
    "revolution": revolution,
    "extrusion": extrusion,
    "toy": toy,
    "blob": blob,
    "character": character,
    "furniture": furniture,
}

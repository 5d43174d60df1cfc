"""Procedural shape families: random solids built from parts and unioned into one manifold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold, Mesh, OpType
from scipy.interpolate import PchipInterpolator
from skimage.measure import marching_cubes

from lift3d.data.deform import Deformation, deform

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


def union_parts(parts: Sequence[Part], deformation: Deformation | None = None) -> PartMesh:
    """Union the positive parts, carve the negative ones, and keep face provenance.

    manifold3d booleans give a guaranteed manifold result in milliseconds; each part
    gets its own original id so every output face can be traced to its part's role.
    A `deformation` bends, tapers or twists the finished solid (refine and warp keep
    the provenance).
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
    if deformation is not None:
        solid = deform(solid, deformation)
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


# --- v2 families: shapes like the ones people draw and photograph -------------------------


def _sign(rng: np.random.Generator) -> float:
    return 1.0 if rng.random() < 0.5 else -1.0


def round_cone(start: Vector, end: Vector, radius_start: float, radius_end: float) -> Manifold:
    """A limb or spout that narrows from `start` to `end`: the hull of two spheres."""
    segments = max(12, CIRCLE_SEGMENTS * 2 // 3)
    return Manifold.batch_hull([sphere(radius_start, start, segments), sphere(radius_end, end, segments)])


def rounded_box(size: Vector, radius: float, center: Vector = (0, 0, 0)) -> Manifold:
    """A box with rounded edges and corners (car bodies, cabins): the hull of 8 corner spheres."""
    half = np.asarray(size, dtype=np.float64) / 2
    radius = float(min(radius, half.min() * 0.95))
    inner = half - radius
    corners = [
        sphere(radius, np.array([sx, sy, sz]) * inner + np.asarray(center, dtype=np.float64), 12)
        for sx in (-1, 1)
        for sy in (-1, 1)
        for sz in (-1, 1)
    ]
    return Manifold.batch_hull(corners)


def chamfered_box(size: Vector, chamfer: float, center: Vector = (0, 0, 0)) -> Manifold:
    """A box with 45-degree chamfers on every edge: the hull of three shrunken boxes."""
    size = np.asarray(size, dtype=np.float64)
    chamfer = float(min(chamfer, size.min() * 0.3))
    boxes = [box(size - 2 * chamfer * (1 - np.eye(3)[k]), center) for k in range(3)]
    return Manifold.batch_hull(boxes)


def cylinder_z(
    height: float, radius: float, center: Vector = (0, 0, 0), segments: int = CIRCLE_SEGMENTS
) -> Manifold:
    """A cylinder along z (wheels, axles, holes through a plate lying in xy)."""
    solid = Manifold.cylinder(float(height), float(radius), float(radius), segments, True)
    return solid.translate([float(c) for c in center])


def cylinder_x(
    height: float, radius: float, center: Vector = (0, 0, 0), segments: int = CIRCLE_SEGMENTS
) -> Manifold:
    solid = Manifold.cylinder(float(height), float(radius), float(radius), segments, True).rotate(
        [0.0, 90.0, 0.0]
    )
    return solid.translate([float(c) for c in center])


# A creature is a signed-distance function: segments and ellipsoids joined by a smooth
# minimum, so limbs grow out of the body without creases, meshed by marching cubes.
CREATURE_GRID = 44  # cells along the longest side: ~0.03 s per creature, limbs >= 2 cells thick


@dataclass(frozen=True)
class _Segment:
    start: np.ndarray
    end: np.ndarray
    radius_start: float
    radius_end: float


@dataclass(frozen=True)
class _Ellipsoid:
    centre: np.ndarray
    radii: np.ndarray


def _segment(start: Vector, end: Vector, radius_start: float, radius_end: float | None = None) -> _Segment:
    return _Segment(
        np.asarray(start, dtype=np.float64),
        np.asarray(end, dtype=np.float64),
        float(radius_start),
        float(radius_start if radius_end is None else radius_end),
    )


def _distance(points: np.ndarray, primitive: _Segment | _Ellipsoid) -> np.ndarray:
    if isinstance(primitive, _Ellipsoid):
        scaled = (points - primitive.centre) / primitive.radii
        return (np.linalg.norm(scaled, axis=1) - 1.0) * primitive.radii.min()
    axis = primitive.end - primitive.start
    t = np.clip((points - primitive.start) @ axis / max(float(axis @ axis), 1e-12), 0.0, 1.0)
    closest = primitive.start + t[:, None] * axis
    radius = primitive.radius_start + (primitive.radius_end - primitive.radius_start) * t
    return np.linalg.norm(points - closest, axis=1) - radius


def _primitive_bounds(primitive: _Segment | _Ellipsoid) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(primitive, _Ellipsoid):
        return primitive.centre - primitive.radii, primitive.centre + primitive.radii
    reach = max(primitive.radius_start, primitive.radius_end)
    return np.minimum(primitive.start, primitive.end) - reach, np.maximum(
        primitive.start, primitive.end
    ) + reach


def sdf_solid(
    primitives: Sequence[_Segment | _Ellipsoid], blend: float, grid: int = CREATURE_GRID
) -> Manifold:
    """Mesh the smooth union of `primitives` (polynomial smooth-min with width `blend`) on a
    grid of `grid` cells along the longest side."""
    bounds = [_primitive_bounds(primitive) for primitive in primitives]
    low = np.min([b[0] for b in bounds], axis=0) - blend
    high = np.max([b[1] for b in bounds], axis=0) + blend
    spacing = float((high - low).max() / grid)
    # a limb thinner than about two cells would break into crumbs on the grid
    thinnest = 1.1 * spacing
    primitives = [
        _Segment(p.start, p.end, max(p.radius_start, thinnest), max(p.radius_end, thinnest))
        if isinstance(p, _Segment)
        else _Ellipsoid(p.centre, np.maximum(p.radii, thinnest))
        for p in primitives
    ]
    bounds = [_primitive_bounds(primitive) for primitive in primitives]
    axes = [np.arange(lo, hi + spacing, spacing) for lo, hi in zip(low, high, strict=True)]
    field = np.full(tuple(len(a) for a in axes), float((high - low).max()))
    # each primitive only reaches the cells of its own box (grown by the blend and two
    # cells, so the smooth seam and marching cubes' neighbours see exact values)
    for primitive, (box_low, box_high) in zip(primitives, bounds, strict=True):
        first = np.floor((box_low - blend - 2 * spacing - low) / spacing).astype(int).clip(0)
        last = np.ceil((box_high + blend + 2 * spacing - low) / spacing).astype(int) + 1
        window = tuple(slice(a, b) for a, b in zip(first, last, strict=True))
        local = [axis[cut] for axis, cut in zip(axes, window, strict=True)]
        points = np.stack(np.meshgrid(*local, indexing="ij"), -1).reshape(-1, 3)
        current = field[window].reshape(-1)
        other = _distance(points, primitive)
        h = np.clip(blend - np.abs(current - other), 0.0, None) / blend
        field[window] = (np.minimum(current, other) - h * h * blend / 4).reshape(field[window].shape)
    inside = np.pad(-field, 1, constant_values=-spacing)  # border closes the surface
    vertices, faces, _, _ = marching_cubes(inside, level=0.0, spacing=(spacing,) * 3)
    vertices += low - spacing
    faces = faces[:, ::-1]  # skimage winds faces inward for a field that is high inside
    solid = manifold_from_arrays(vertices, faces)
    if solid.volume() < 0:
        raise ValueError("creature came out inside-out")
    return merged([solid.simplify(spacing * 0.15)])


def _eyes(head: np.ndarray, head_radius: float, forward: np.ndarray, rng: np.random.Generator) -> list[Part]:
    """Two eyes on the front of a head, half sunk in so they are part of one body."""
    up = np.array([0.0, 1.0, 0.0])
    side = np.cross(up, forward)
    side /= np.linalg.norm(side)
    eye_radius = head_radius * rng.uniform(0.14, 0.26)
    spread = rng.uniform(0.3, 0.5)
    parts = []
    for sign in (-1.0, 1.0):
        direction = forward * 0.85 + side * sign * spread + up * 0.2
        direction /= np.linalg.norm(direction)
        parts.append(Part(sphere(eye_radius, head + direction * head_radius * 0.92, 14), role="eye"))
    return parts


def _quadruped(rng: np.random.Generator) -> tuple[list[_Segment | _Ellipsoid], np.ndarray, float, np.ndarray]:
    """Dogs, cats, horses, dachshunds, giraffes: a body, four posed legs, neck, head, tail, ears."""
    length = rng.uniform(0.6, 1.4)
    body_radius = length * rng.uniform(0.14, 0.3)
    leg_length = length * rng.uniform(0.3, 1.0)
    leg_radius = body_radius * rng.uniform(0.25, 0.5)
    height = leg_length + body_radius * 0.6
    back = np.array([-length / 2, height, 0.0])
    front = np.array([length / 2, height + length * rng.uniform(-0.05, 0.1), 0.0])
    prims: list[_Segment | _Ellipsoid] = [
        _segment(back, front, body_radius, body_radius * rng.uniform(0.8, 1.15))
    ]
    stride = rng.uniform(0.0, 0.5)
    for end, phase in ((front, 1.0), (back, -1.0)):
        for side in (-1.0, 1.0):
            hip = end + np.array(
                [-0.15 * np.sign(end[0]) * body_radius, -body_radius * 0.4, side * body_radius * 0.55]
            )
            swing = stride * phase * side * rng.uniform(0.5, 1.0)
            knee = hip + leg_length * 0.5 * np.array([np.sin(swing), -np.cos(swing), 0.0])
            bend = rng.uniform(-0.4, 0.4)
            foot = knee + leg_length * 0.5 * np.array([np.sin(swing + bend), -np.cos(swing + bend), 0.0])
            foot[1] = max(foot[1], leg_radius)
            prims.append(_segment(hip, knee, leg_radius * 1.15, leg_radius))
            prims.append(_segment(knee, foot, leg_radius, leg_radius * rng.uniform(0.8, 1.2)))
    neck_angle = rng.uniform(0.2, 1.3)
    neck_length = length * rng.uniform(0.15, 0.7)
    neck_top = front + neck_length * np.array([np.cos(neck_angle), np.sin(neck_angle), 0.0])
    prims.append(_segment(front, neck_top, body_radius * 0.6, body_radius * 0.45))
    head_radius = body_radius * rng.uniform(0.6, 1.1)
    head = neck_top + np.array([head_radius * 0.3, head_radius * 0.4, 0.0])
    prims.append(_Ellipsoid(head, head_radius * np.array([1.1, 0.9, 0.9])))
    snout = head + np.array([head_radius * rng.uniform(0.8, 1.6), -head_radius * 0.3, 0.0])
    prims.append(_segment(head, snout, head_radius * 0.55, head_radius * rng.uniform(0.25, 0.45)))
    ear_length = head_radius * rng.uniform(0.4, 1.2)
    for side in (-1.0, 1.0):
        base = head + head_radius * np.array([-0.2, 0.7, side * 0.45])
        tip = base + ear_length * np.array([rng.uniform(-0.5, 0.1), 1.0, side * rng.uniform(0.1, 0.6)])
        prims.append(_segment(base, tip, head_radius * 0.28, head_radius * 0.08))
    tail_angle = rng.uniform(-1.2, 1.2)
    tail = back + length * rng.uniform(0.15, 0.6) * np.array([-np.cos(tail_angle), np.sin(tail_angle), 0.0])
    prims.append(_segment(back, tail, body_radius * 0.3, body_radius * rng.uniform(0.08, 0.35)))
    return prims, head, head_radius, np.array([1.0, 0.0, 0.0])


def _humanoid(rng: np.random.Generator) -> tuple[list[_Segment | _Ellipsoid], np.ndarray, float, np.ndarray]:
    """People, robots-with-curves and chibi figures: proportions and pose drawn at random."""
    height = 1.0
    head_fraction = rng.uniform(0.12, 0.33)  # realistic .. chibi
    head_radius = height * head_fraction / 2
    leg_length = height * rng.uniform(0.3, 0.5)
    torso_length = height - leg_length - 2 * head_radius
    width = torso_length * rng.uniform(0.35, 0.7)
    limb = width * rng.uniform(0.12, 0.22)
    hip_y = leg_length
    chest_y = hip_y + torso_length * 0.8
    prims: list[_Segment | _Ellipsoid] = [
        _segment([0, hip_y + limb, 0], [0, chest_y - limb, 0], width * 0.5, width * rng.uniform(0.45, 0.65)),
    ]
    if rng.random() < 0.4:  # a round belly
        prims.append(
            _Ellipsoid(np.array([0.0, hip_y + torso_length * 0.35, width * 0.1]), np.full(3, width * 0.55))
        )
    head = np.array([0.0, hip_y + torso_length + head_radius * 0.9, 0.0])
    prims.append(_Ellipsoid(head, head_radius * np.array([1.0, rng.uniform(0.95, 1.15), 1.0])))
    prims.append(_segment([0, chest_y, 0], head, limb * 1.1, limb))
    arm_length = height * rng.uniform(0.28, 0.42)
    for side in (-1.0, 1.0):
        shoulder = np.array([side * width * 0.6, chest_y, 0.0])
        raise_angle = rng.uniform(-1.4, 1.2)  # down along the body .. raised
        forward = rng.uniform(-0.6, 0.6)
        elbow = shoulder + arm_length * 0.5 * np.array(
            [side * np.cos(raise_angle) * np.cos(forward), np.sin(raise_angle), np.sin(forward)]
        )
        bend = rng.uniform(0.0, 1.5)
        hand = elbow + arm_length * 0.5 * np.array(
            [side * np.cos(raise_angle + bend), np.sin(raise_angle + bend), np.sin(forward) + 0.3 * bend]
        )
        prims.append(_segment(shoulder, elbow, limb, limb * 0.9))
        prims.append(_segment(elbow, hand, limb * 0.9, limb * 0.8))
        prims.append(_Ellipsoid(hand, np.full(3, limb * 1.2)))
        hip = np.array([side * width * 0.3, hip_y + limb, 0.0])
        stride = rng.uniform(-0.5, 0.5)
        spread = rng.uniform(0.0, 0.3)
        knee = hip + leg_length * 0.5 * np.array([side * np.sin(spread), -np.cos(stride), np.sin(stride)])
        foot = np.array([knee[0] + side * leg_length * 0.05, limb * 1.2, knee[2] * rng.uniform(0.0, 1.5)])
        prims.append(_segment(hip, knee, limb * 1.3, limb * 1.1))
        prims.append(_segment(knee, foot, limb * 1.1, limb))
        prims.append(_segment(foot, foot + [0, -limb * 0.2, limb * 1.6], limb * 1.1, limb * 0.9))
    extra = rng.random()
    if extra < 0.3:  # animal ears
        for side in (-1.0, 1.0):
            base = head + head_radius * np.array([side * 0.55, 0.7, 0.0])
            tip = base + head_radius * rng.uniform(0.5, 1.3) * np.array([side * 0.4, 1.0, 0.0])
            prims.append(_segment(base, tip, head_radius * 0.3, head_radius * 0.1))
    elif extra < 0.45:  # a tail
        start = np.array([0.0, hip_y + limb, -width * 0.4])
        prims.append(
            _segment(start, start + [0, -leg_length * 0.3, -leg_length * 0.6], limb * 0.8, limb * 0.4)
        )
    return prims, head, head_radius, np.array([0.0, 0.0, 1.0])


def _bird(rng: np.random.Generator) -> tuple[list[_Segment | _Ellipsoid], np.ndarray, float, np.ndarray]:
    """Birds, penguins and fish-like bodies: an egg body, head, beak, wings or fins, tail."""
    body = np.array([0.0, 0.5, 0.0])
    radii = np.array([rng.uniform(0.3, 0.6), rng.uniform(0.25, 0.45), rng.uniform(0.2, 0.35)])
    prims: list[_Segment | _Ellipsoid] = [_Ellipsoid(body, radii)]
    head_radius = radii[1] * rng.uniform(0.45, 0.8)
    head = body + np.array([radii[0] * 0.75, radii[1] * rng.uniform(0.3, 1.0), 0.0])
    prims.append(_Ellipsoid(head, np.full(3, head_radius)))
    beak = head + np.array([head_radius * rng.uniform(1.2, 2.2), -head_radius * 0.2, 0.0])
    prims.append(_segment(head, beak, head_radius * 0.4, head_radius * 0.06))
    wing_span = radii[0] * rng.uniform(0.6, 1.8)
    for side in (-1.0, 1.0):
        root = body + np.array([0.0, radii[1] * 0.3, side * radii[2] * 0.8])
        tip = root + wing_span * np.array([-0.5, rng.uniform(-0.2, 0.8), side * rng.uniform(0.2, 1.0)])
        prims.append(_segment(root, tip, radii[1] * 0.3, radii[1] * 0.1))
        hip = body + np.array([0.0, -radii[1] * 0.7, side * radii[2] * 0.4])
        prims.append(_segment(hip, [hip[0], 0.04, hip[2]], radii[1] * 0.09, radii[1] * 0.07))
        prims.append(_segment([hip[0], 0.04, hip[2]], [hip[0] + radii[0] * 0.35, 0.04, hip[2]], 0.04))
    tail = body + np.array([-radii[0] * rng.uniform(1.1, 1.7), radii[1] * rng.uniform(-0.2, 0.8), 0.0])
    prims.append(_segment(body - [radii[0] * 0.6, 0, 0], tail, radii[1] * 0.35, radii[1] * 0.12))
    return prims, head, head_radius, np.array([1.0, 0.0, 0.0])


def creature(rng: np.random.Generator) -> list[Part]:
    """Quadrupeds, humanoids of many proportions and poses, and birds: smooth blends of parts."""
    kind = ("quadruped", "humanoid", "bird")[rng.integers(3)]
    build = {"quadruped": _quadruped, "humanoid": _humanoid, "bird": _bird}[kind]
    prims, head, head_radius, forward = build(rng)
    scale = max(
        float(np.ptp(np.concatenate([np.stack(_primitive_bounds(p)) for p in prims]), axis=0).max()), 1e-6
    )
    body = sdf_solid(prims, blend=scale * rng.uniform(0.03, 0.08))
    parts = [Part(body)]
    if rng.random() < 0.75:
        parts += _eyes(head, head_radius, forward, rng)
    return parts


def _revolved(heights: np.ndarray, radii: np.ndarray) -> Manifold:
    profile = np.concatenate([[[0.0, heights[0]]], np.stack([radii, heights], 1), [[0.0, heights[-1]]]])
    return revolve_profile(profile)


def _ring_handle(radius: float, thickness: float, centre: Vector) -> Manifold:
    """A handle loop in the xy plane (half of it sinks into whatever it is attached to)."""
    return torus(radius, thickness).rotate([90.0, 0.0, 0.0]).translate([float(c) for c in centre])


def prop(rng: np.random.Generator) -> list[Part]:
    """Teapots, lamps, jugs, hammers, screwdrivers, spanners and buckets: handles, spouts, holes."""
    kind = ("teapot", "lamp", "jug", "hammer", "screwdriver", "spanner", "bucket")[rng.integers(7)]
    if kind == "teapot":
        height = rng.uniform(0.45, 0.8)
        heights = np.linspace(0.0, height, 12)
        radius = rng.uniform(0.3, 0.45)
        bulge = np.sin(np.linspace(0.15, np.pi - 0.5, 12)) ** rng.uniform(0.4, 0.9)
        radii = np.maximum(radius * bulge, radius * 0.35)
        parts = [Part(_revolved(heights, radii))]
        lid = radii[-1] * rng.uniform(0.9, 1.1)
        parts.append(
            Part(cylinder_y(height * 0.1, lid, lid * 0.5, center=(0, height + height * 0.04, 0)), "lid")
        )
        parts.append(Part(sphere(lid * 0.3, (0, height + height * 0.12, 0), 16), "lid"))
        spout_start = np.array([radius * 0.7, height * 0.35, 0.0])
        spout_end = spout_start + np.array(
            [radius * rng.uniform(0.6, 1.0), height * rng.uniform(0.4, 0.8), 0.0]
        )
        parts.append(Part(round_cone(spout_start, spout_end, radius * 0.2, radius * rng.uniform(0.06, 0.12))))
        handle = height * rng.uniform(0.22, 0.32)
        parts.append(Part(_ring_handle(handle, handle * 0.18, (-radius * 0.95, height * 0.5, 0)), "handle"))
        return parts
    if kind == "lamp":
        base_radius = rng.uniform(0.15, 0.3)
        stem_height = rng.uniform(0.5, 1.1)
        base = cylinder_y(0.05, base_radius, base_radius * 0.8, center=(0, 0.025, 0))
        stem_radius = rng.uniform(0.015, 0.03)
        bottom, top = rng.uniform(0.2, 0.4), rng.uniform(0.08, 0.2)
        shade_height = rng.uniform(0.2, 0.4)
        y0, wall = stem_height - shade_height * 0.6, 0.02
        y1 = y0 + shade_height
        stem = cylinder_y(y1 - wall / 2, stem_radius, center=(0, (y1 - wall / 2) / 2, 0))  # reaches the cap
        shell = np.array(
            [
                [0.0, y1],
                [top, y1],
                [bottom, y0],
                [bottom - wall, y0],
                [top - wall, y1 - wall],
                [0.0, y1 - wall],
            ]
        )
        return [Part(base, "base"), Part(stem, "base"), Part(revolve_profile(shell[::-1]), "shade")]
    if kind == "jug":
        height = rng.uniform(0.6, 1.1)
        heights = np.linspace(0.0, height, 14)
        radii = _smooth_radii(rng, 4, 0.15, 0.35, 14)
        radii[-3:] = np.maximum(radii[-3:], radii[-4] * 0.7)
        parts = [Part(_revolved(heights, radii))]
        top_radius = float(radii[-1])
        handle = height * rng.uniform(0.2, 0.3)
        parts.append(
            Part(_ring_handle(handle, handle * 0.16, (-float(radii[7]) * 0.95, height * 0.6, 0)), "handle")
        )
        cavity = cylinder_y(height * 0.5, top_radius * 0.75, center=(0, height * 0.9, 0))
        parts.append(Part(cavity, "inside", subtract=True))
        return parts
    if kind == "hammer":
        handle_length = rng.uniform(0.8, 1.2)
        handle_radius = rng.uniform(0.025, 0.05)
        head_length = rng.uniform(0.25, 0.45)
        head_size = rng.uniform(0.06, 0.12)
        parts = [Part(cylinder_y(handle_length, handle_radius, center=(0, handle_length / 2, 0)), "handle")]
        head = chamfered_box(
            (head_length, head_size, head_size), head_size * 0.15, (0, handle_length - head_size / 2, 0)
        )
        parts.append(Part(head, "head"))
        if rng.random() < 0.5:  # a claw
            claw = round_cone(
                (-head_length / 2, handle_length - head_size / 2, 0),
                (-head_length * 0.9, handle_length - head_size * 1.5, 0),
                head_size * 0.35,
                head_size * 0.1,
            )
            parts.append(Part(claw, "head"))
        return parts
    if kind == "screwdriver":
        grip_length = rng.uniform(0.3, 0.45)
        heights = np.linspace(0.0, grip_length, 10)
        radii = _smooth_radii(rng, 3, 0.05, 0.09, 10)
        shaft = rng.uniform(0.4, 0.7)
        parts = [Part(_revolved(heights, radii), "handle")]
        parts.append(
            Part(cylinder_y(shaft + 0.02, 0.015, center=(0, grip_length + shaft / 2 - 0.01, 0)), "metal")
        )
        parts.append(Part(box((0.045, 0.06, 0.01), (0, grip_length + shaft, 0)), "metal"))
        return parts
    if kind == "spanner":
        length = rng.uniform(0.8, 1.3)
        width = rng.uniform(0.07, 0.12)
        jaw = width * rng.uniform(1.4, 2.0)
        outline = CrossSection.square([length, width], center=True)
        outline = outline + CrossSection.circle(jaw, 24).translate([length / 2, 0.0])
        outline = outline + CrossSection.circle(jaw * 0.85, 24).translate([-length / 2, 0.0])
        outline = outline - CrossSection.square([jaw * 1.3, jaw * 0.9], center=True).translate(
            [length / 2 + jaw * 0.7, 0.0]
        )
        outline = outline - CrossSection.circle(jaw * 0.45, 6).translate([-length / 2, 0.0])
        thickness = rng.uniform(0.03, 0.06)
        solid = Manifold.extrude(outline, thickness).translate([0, 0, -thickness / 2])
        return [Part(solid.rotate([90.0, 0.0, 0.0]) if rng.random() < 0.5 else solid, "metal")]
    # bucket: a tapered pail with a wire handle over the top
    height = rng.uniform(0.4, 0.7)
    bottom, top = rng.uniform(0.2, 0.3), rng.uniform(0.28, 0.4)
    wall = 0.025
    body = cylinder_y(height, bottom, top, center=(0, height / 2, 0))
    cavity = cylinder_y(height, bottom - wall, top - wall, center=(0, height / 2 + wall, 0))
    loop = torus(top * 0.97, 0.012).rotate([90.0, 0.0, 0.0]).translate([0.0, height * 0.85, 0.0])
    keep = box((3 * top, 2 * top, 3 * top), (0, height * 0.85 + top, 0))
    return [Part(body), Part(loop ^ keep, "handle"), Part(cavity, "inside", subtract=True)]


def _wheels(
    xs: Sequence[float], radius: float, width: float, track: float, role: str = "wheels"
) -> list[Part]:
    """Wheels along z at the given x positions, touching the ground (y = 0)."""
    return [
        Part(cylinder_z(width, radius, (float(x), radius, side * track / 2), 20), role)
        for x in xs
        for side in (-1.0, 1.0)
    ]


def vehicle(rng: np.random.Generator) -> list[Part]:
    """Cars, trucks, buses, planes, boats and rockets from rounded boxes, cylinders and wheels."""
    kind = ("car", "truck", "bus", "plane", "boat", "rocket")[rng.integers(6)]
    if kind in ("car", "truck", "bus"):
        length = rng.uniform(0.9, 1.6) * (1.3 if kind == "bus" else 1.0)
        width = length * rng.uniform(0.35, 0.5)
        wheel = length * rng.uniform(0.09, 0.15)
        floor = wheel * rng.uniform(0.5, 0.9)
        body_height = length * (rng.uniform(0.15, 0.25) if kind == "car" else rng.uniform(0.3, 0.45))
        rounding = body_height * rng.uniform(0.1, 0.45)
        if kind == "truck":
            cab = length * rng.uniform(0.25, 0.35)
            parts = [
                Part(
                    rounded_box(
                        (cab, body_height, width),
                        rounding,
                        (length / 2 - cab / 2, floor + body_height / 2, 0),
                    )
                ),
                Part(
                    box(
                        (length - cab * 1.05, body_height * rng.uniform(1.0, 1.3), width),
                        (-cab / 2, floor + body_height * 0.55, 0),
                    ),
                    "cargo",
                ),
                Part(box((length, floor * 0.6, width * 0.8), (0, floor, 0)), "chassis"),
            ]
        else:
            parts = [
                Part(rounded_box((length, body_height, width), rounding, (0, floor + body_height / 2, 0)))
            ]
            if kind == "car":
                cabin_length = length * rng.uniform(0.4, 0.6)
                cabin = rounded_box(
                    (cabin_length, body_height * rng.uniform(0.6, 0.9), width * 0.85),
                    rounding * 1.5,
                    (length * rng.uniform(-0.15, 0.05), floor + body_height * 1.2, 0),
                )
                parts.append(Part(cabin, "cabin"))
        inset = wheel * 1.5
        xs = [length / 2 - inset, -length / 2 + inset]
        if kind != "car" and rng.random() < 0.5:
            xs.append(-length / 2 + inset + wheel * 2.3)
        parts += _wheels(xs, wheel, width * 0.18, width * 0.95)
        return parts
    if kind == "plane":
        length = rng.uniform(1.0, 1.5)
        radius = length * rng.uniform(0.05, 0.09)
        y = 0.3
        fuselage = Manifold.batch_hull(
            [
                sphere(radius, (length / 2, y, 0), 16),
                sphere(radius, (-length * 0.2, y, 0), 16),
                sphere(radius * 0.4, (-length / 2, y + radius * 0.6, 0), 12),
            ]
        )
        span = length * rng.uniform(0.7, 1.2)
        chord = length * rng.uniform(0.12, 0.22)
        sweep = rng.uniform(0.0, 30.0)
        wing = box((chord, radius * 0.25, span), (0, 0, 0)).rotate([0.0, -sweep * 0.0, 0.0])
        wing = wing.warp_batch(
            lambda p: p - np.stack([np.abs(p[:, 2]) * np.tan(np.radians(sweep)), 0 * p[:, 2], 0 * p[:, 2]], 1)
        )
        wing = wing.translate([length * rng.uniform(-0.05, 0.12), y - radius * rng.uniform(-0.5, 0.5), 0])
        parts = [Part(fuselage), Part(wing, "wings")]
        parts.append(
            Part(
                box(
                    (chord * 0.6, radius * 0.2, span * 0.35), (-length / 2 + chord * 0.3, y + radius * 0.6, 0)
                ),
                "wings",
            )
        )
        fin = chord * rng.uniform(0.4, 0.7)
        parts.append(
            Part(
                box((fin, fin * 1.2, radius * 0.2), (-length / 2 + fin / 2, y + radius * 0.6 + fin * 0.5, 0)),
                "wings",
            )
        )
        if rng.random() < 0.5:
            for side in (-1.0, 1.0):
                engine = cylinder_x(
                    chord * 0.9, radius * 0.45, (length * 0.05, y - radius * 0.5, side * span * 0.25), 16
                )
                parts.append(Part(engine, "engine"))
        return parts
    if kind == "boat":
        length = rng.uniform(0.9, 1.5)
        beam = length * rng.uniform(0.25, 0.4)
        depth = length * rng.uniform(0.12, 0.2)
        deck = np.array(
            [[x, depth, z] for x in (-length / 2, length * 0.25) for z in (-beam / 2, beam / 2)]
            + [[length / 2, depth * 1.1, 0.0]]
        )
        keel = np.array(
            [
                [-length * 0.45, 0.0, 0.0],
                [length * 0.3, 0.0, 0.0],
                [-length / 2, depth * 0.4, -beam * 0.35],
                [-length / 2, depth * 0.4, beam * 0.35],
            ]
        )
        hull = Manifold.hull_points(np.concatenate([deck, keel]))
        parts = [Part(hull)]
        cabin_length = length * rng.uniform(0.2, 0.4)
        parts.append(
            Part(
                rounded_box(
                    (cabin_length, depth * rng.uniform(0.6, 1.2), beam * 0.7),
                    depth * 0.1,
                    (-length * 0.1, depth * 1.3, 0),
                ),
                "cabin",
            )
        )
        if rng.random() < 0.5:
            mast = length * rng.uniform(0.5, 0.9)
            parts.append(Part(cylinder_y(mast, 0.015, center=(length * 0.1, depth + mast / 2, 0)), "mast"))
            sail = CrossSection([np.array([[0.0, 0.0], [length * 0.35, 0.0], [0.0, mast * 0.9]])])
            sail_solid = (
                Manifold.extrude(sail, 0.01)
                .translate([0, 0, -0.005])
                .translate([length * 0.1 - length * 0.36, depth + mast * 0.05, 0])
            )
            parts.append(Part(sail_solid.mirror([1, 0, 0]).translate([2 * length * 0.1 - 0.0, 0, 0]), "sail"))
        return parts
    # rocket
    height = rng.uniform(0.9, 1.5)
    radius = height * rng.uniform(0.07, 0.12)
    nose = height * rng.uniform(0.15, 0.3)
    angle = np.linspace(0.0, np.pi / 2, 8)
    profile = np.concatenate(
        [
            [[0.0, 0.0], [radius, 0.0]],
            np.stack([radius * np.cos(angle), height - nose + nose * np.sin(angle)], 1)[:-1],
            [[0.0, height]],
        ]
    )
    parts = [Part(revolve_profile(profile))]
    fins = int(rng.integers(3, 5))
    fin = radius * rng.uniform(1.0, 2.0)
    for k in range(fins):
        blade = CrossSection(
            [
                np.array(
                    [
                        [radius * 0.8, 0.0],
                        [radius + fin, -fin * 0.3],
                        [radius + fin * 0.6, fin * 0.5],
                        [radius * 0.8, fin * 1.6],
                    ]
                )
            ]
        )
        solid = Manifold.extrude(blade, 0.02).translate([0, 0, -0.01]).rotate([0.0, 0.0, 0.0])
        parts.append(Part(solid.rotate([0.0, 360.0 * k / fins, 0.0]).translate([0, fin * 0.3, 0]), "fins"))
    return parts


def building(rng: np.random.Generator) -> list[Part]:
    """Houses with gable or hip roofs and chimneys, towers, castles and stepped blocks."""
    kind = ("house", "tower", "castle", "block")[rng.integers(4)]
    if kind == "house":
        width, depth, wall = rng.uniform(0.6, 1.2), rng.uniform(0.5, 0.9), rng.uniform(0.35, 0.7)
        parts = [Part(box((width, wall, depth), (0, wall / 2, 0)), "walls")]
        roof_height = rng.uniform(0.2, 0.5)
        overhang = rng.uniform(0.0, 0.08)
        if rng.random() < 0.6:
            gable = CrossSection(
                [np.array([[-depth / 2 - overhang, 0.0], [depth / 2 + overhang, 0.0], [0.0, roof_height]])]
            )
            roof = Manifold.extrude(gable, width + 2 * overhang).translate(
                [0, 0, -(width + 2 * overhang) / 2]
            )
            roof = roof.rotate([0.0, 90.0, 0.0]).translate([0, wall - 0.01, 0])
        else:
            hip = Manifold.cylinder(roof_height, 1.0, 0.0, 4).rotate([0.0, 0.0, 45.0])
            roof = (
                _z_to_y(hip)
                .scale([(width / 2 + overhang) * 1.414, 1.0, (depth / 2 + overhang) * 1.414])
                .translate([0, wall - 0.01, 0])
            )
        parts.append(Part(roof, "roof"))
        if rng.random() < 0.7:
            cx = rng.uniform(-0.3, 0.3) * width
            parts.append(
                Part(
                    box((0.08, roof_height + 0.1, 0.08), (cx, wall + roof_height * 0.6, depth * 0.15)),
                    "chimney",
                )
            )
        door_height = wall * rng.uniform(0.4, 0.6)
        parts.append(
            Part(
                box(
                    (wall * 0.25, door_height, 0.04),
                    (rng.uniform(-0.25, 0.25) * width, door_height / 2, depth / 2),
                ),
                "door",
                subtract=True,
            )
        )
        for x in np.linspace(-width * 0.35, width * 0.35, int(rng.integers(2, 4))):
            parts.append(
                Part(box((0.09, 0.09, 0.03), (float(x), wall * 0.7, depth / 2)), "window", subtract=True)
            )
        if rng.random() < 0.3:
            annex = rng.uniform(0.3, 0.5)
            parts.append(
                Part(
                    box((annex, wall * 0.6, depth * 0.8), (width / 2 + annex / 2 - 0.01, wall * 0.3, 0)),
                    "walls",
                )
            )
        return parts
    if kind == "tower":
        radius, height = rng.uniform(0.15, 0.3), rng.uniform(0.8, 1.6)
        parts = [
            Part(
                cylinder_y(height, radius, radius * rng.uniform(0.8, 1.0), center=(0, height / 2, 0)), "walls"
            )
        ]
        roof = rng.uniform(0.2, 0.5)
        parts.append(Part(cylinder_y(roof, radius * 1.2, 0.0, center=(0, height + roof / 2, 0)), "roof"))
        for y in np.linspace(height * 0.3, height * 0.8, int(rng.integers(1, 4))):
            parts.append(Part(box((0.05, 0.1, 0.2), (0, float(y), radius)), "window", subtract=True))
        return parts
    if kind == "castle":
        width, depth, wall = rng.uniform(0.7, 1.2), rng.uniform(0.5, 1.0), rng.uniform(0.3, 0.5)
        parts = [Part(box((width, wall, depth), (0, wall / 2, 0)), "walls")]
        tooth = rng.uniform(0.05, 0.09)
        for x in np.arange(-width / 2 + tooth / 2, width / 2, tooth * 2):
            for z in (-depth / 2 + tooth / 2, depth / 2 - tooth / 2):
                parts.append(
                    Part(box((tooth, tooth * 1.6, tooth), (float(x), wall + tooth * 0.7, z)), "walls")
                )
        tower_radius, tower_height = rng.uniform(0.1, 0.18), wall * rng.uniform(1.3, 1.9)
        for sx in (-1.0, 1.0):
            for sz in (-1.0, 1.0):
                centre = (sx * width / 2, tower_height / 2, sz * depth / 2)
                parts.append(Part(cylinder_y(tower_height, tower_radius, center=centre), "towers"))
                if rng.random() < 0.6:
                    parts.append(
                        Part(
                            cylinder_y(
                                tower_radius * 2,
                                tower_radius * 1.2,
                                0.0,
                                center=(centre[0], tower_height + tower_radius, centre[2]),
                            ),
                            "roof",
                        )
                    )
        parts.append(
            Part(box((width * 0.2, wall * 0.6, 0.1), (0, wall * 0.3, depth / 2)), "door", subtract=True)
        )
        return parts
    # block: stepped storeys and an antenna
    width, depth = rng.uniform(0.4, 0.8), rng.uniform(0.4, 0.8)
    y = 0.0
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        storey = rng.uniform(0.3, 0.7)
        parts.append(Part(box((width, storey + 0.01, depth), (0, y + storey / 2, 0)), "walls"))
        y += storey
        width, depth = width * rng.uniform(0.6, 0.9), depth * rng.uniform(0.6, 0.9)
    if rng.random() < 0.6:
        parts.append(Part(cylinder_y(0.3, 0.015, center=(0, y + 0.14, 0)), "roof"))
    return parts


def merged(solids: Sequence[Manifold]) -> Manifold:
    """The union of touching solids as one piece: the boolean can leave a zero-volume sliver
    where thin capsules cross (a second "body"), which is dropped here."""
    union = Manifold.batch_boolean(list(solids), OpType.Add) if len(solids) > 1 else solids[0]
    pieces = union.decompose()
    return max(pieces, key=lambda piece: piece.volume()) if len(pieces) > 1 else union


def thin_furniture(rng: np.random.Generator) -> list[Part]:
    """Stools, chairs, side tables, benches and coat stands with thin legs, rungs and frames."""
    kind = ("stool", "chair", "side_table", "bench", "coat_stand")[rng.integers(5)]
    leg = rng.uniform(0.012, 0.03)
    if kind == "coat_stand":
        height = rng.uniform(1.2, 1.8)
        parts = [Part(cylinder_y(height, leg * 1.2, center=(0, height / 2, 0)), "frame")]
        foot_count = int(rng.integers(3, 5))
        for k in range(foot_count):
            angle = 2 * np.pi * k / foot_count
            tip = np.array([np.cos(angle) * 0.3, 0.02, np.sin(angle) * 0.3])
            parts.append(Part(capsule((0, 0.2, 0), tip, leg), "frame"))
            hook = np.array([np.cos(angle) * 0.15, height + 0.05, np.sin(angle) * 0.15])
            parts.append(Part(capsule((0, height - 0.15, 0), hook, leg * 0.8), "frame"))
        return parts
    width = rng.uniform(0.35, 0.6) * (2.5 if kind == "bench" else 1.0)
    depth = rng.uniform(0.3, 0.5)
    seat_height = rng.uniform(0.4, 0.75) if kind != "side_table" else rng.uniform(0.45, 0.7)
    top = rng.uniform(0.02, 0.04)
    splay = rng.uniform(0.0, 0.08)
    round_top = kind in ("stool", "side_table") and rng.random() < 0.5
    if round_top:
        parts = [Part(cylinder_y(top, width / 2, center=(0, seat_height - top / 2, 0)), "top")]
        corners = [
            (np.cos(a) * width * 0.35, np.sin(a) * width * 0.35)
            for a in np.linspace(0, 2 * np.pi, int(rng.integers(3, 5)), endpoint=False)
        ]
    else:
        parts = [Part(box((width, top, depth), (0, seat_height - top / 2, 0)), "top")]
        corners = [
            (sx * (width / 2 - leg * 2), sz * (depth / 2 - leg * 2)) for sx in (-1, 1) for sz in (-1, 1)
        ]
    feet = []
    for x, z in corners:
        norm = max(float(np.hypot(x, z)), 1e-6)
        foot = np.array([x + splay * x / norm, leg, z + splay * z / norm])
        parts.append(Part(capsule((x, seat_height - top, z), foot, leg), "legs"))
        feet.append(foot)
    if rng.random() < 0.6:  # rungs between neighbouring legs
        rung_t = rng.uniform(0.2, 0.5)
        points = [
            np.array([x, seat_height - top, z]) * (1 - rung_t) + foot * rung_t
            for (x, z), foot in zip(corners, feet, strict=True)
        ]
        order = points if round_top else [points[0], points[1], points[3], points[2]]
        legs = [part.solid for part in parts if part.role == "legs"]
        rungs = [capsule(a, b, leg * 0.7) for a, b in zip(order, order[1:] + order[:1], strict=True)]
        parts = [part for part in parts if part.role != "legs"] + [Part(merged(legs + rungs), "legs")]
    if kind == "side_table" and not round_top and rng.random() < 0.6:
        shelf_y = seat_height * rng.uniform(0.2, 0.4)
        # wide enough to meet the splayed legs at any height
        reach = np.abs(np.array(corners[0])) + splay * np.abs(np.array(corners[0])) / np.hypot(*corners[0])
        shelf = box((2 * reach[0] + leg, top * 0.7, 2 * reach[1] + leg), (0, shelf_y, 0))
        parts.append(Part(shelf, "top"))
    if kind in ("chair", "bench") and rng.random() < 0.8:
        back = rng.uniform(0.3, 0.55)
        z = -(depth / 2 - leg * 2)
        for sx in (-1.0, 1.0):
            parts.append(
                Part(
                    capsule(
                        (sx * (width / 2 - leg * 2), seat_height - top, z),
                        (sx * (width / 2 - leg * 2), seat_height + back, z - 0.04),
                        leg,
                    ),
                    "frame",
                )
            )
        parts.append(
            Part(
                box(
                    (width - leg * 2, rng.uniform(0.04, 0.1), leg * 1.6),
                    (0, seat_height + back * 0.9, z - 0.035),
                ),
                "frame",
            )
        )
        if rng.random() < 0.5:
            for x in np.linspace(-width / 3, width / 3, int(rng.integers(1, 4))):
                parts.append(
                    Part(
                        capsule(
                            (float(x), seat_height, z - 0.005),
                            (float(x), seat_height + back * 0.9, z - 0.035),
                            leg * 0.6,
                        ),
                        "frame",
                    )
                )
    return parts


def _gear_outline(rng: np.random.Generator, radius: float) -> CrossSection:
    teeth = int(rng.integers(8, 20))
    depth = radius * rng.uniform(0.1, 0.2)
    angle = np.linspace(0.0, 2 * np.pi, teeth * 4, endpoint=False)
    profile = np.where((np.arange(teeth * 4) // 2) % 2 == 0, radius, radius - depth)
    return CrossSection([np.stack([profile * np.cos(angle), profile * np.sin(angle)], 1)])


def mechanical(rng: np.random.Generator) -> list[Part]:
    """Plates with holes, brackets, flanges, gears, shafts, nuts and pipe tees."""
    kind = ("plate", "bracket", "flange", "gear", "shaft", "nut", "tee")[rng.integers(7)]
    if kind == "plate":
        size = np.array([rng.uniform(0.6, 1.2), rng.uniform(0.05, 0.15), rng.uniform(0.4, 0.9)])
        parts = [Part(chamfered_box(size, size[1] * rng.uniform(0.1, 0.4)), "metal")]
        hole = rng.uniform(0.03, 0.08)
        for sx in (-1.0, 1.0):
            for sz in (-1.0, 1.0):
                parts.append(
                    Part(
                        cylinder_y(
                            1.0,
                            hole,
                            center=(sx * (size[0] / 2 - hole * 2), 0, sz * (size[2] / 2 - hole * 2)),
                        ),
                        "hole",
                        subtract=True,
                    )
                )
        if rng.random() < 0.6:  # a boss in the middle
            boss = rng.uniform(0.08, 0.18)
            parts.append(Part(cylinder_y(size[1] + boss, boss, center=(0, boss / 2, 0)), "metal"))
            parts.append(Part(cylinder_y(1.0, boss * 0.5), "hole", subtract=True))
        return parts
    if kind == "bracket":
        leg_a, leg_b = rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.7)
        thickness, width = rng.uniform(0.05, 0.12), rng.uniform(0.3, 0.6)
        profile = CrossSection(
            [
                np.array(
                    [
                        [0.0, 0.0],
                        [leg_a, 0.0],
                        [leg_a, thickness],
                        [thickness, thickness],
                        [thickness, leg_b],
                        [0.0, leg_b],
                    ]
                )
            ]
        )
        solid = Manifold.extrude(profile, width).translate([0, 0, -width / 2])
        parts = [Part(solid, "metal")]
        if rng.random() < 0.6:
            gusset = CrossSection(
                [
                    np.array(
                        [
                            [thickness * 0.9, thickness * 0.9],
                            [leg_a * 0.6, thickness * 0.9],
                            [thickness * 0.9, leg_b * 0.6],
                        ]
                    )
                ]
            )
            parts.append(Part(Manifold.extrude(gusset, thickness).translate([0, 0, -thickness / 2]), "metal"))
        hole = min(width, leg_a, leg_b) * rng.uniform(0.08, 0.15)
        for z in (-width / 4, width / 4):
            parts.append(
                Part(
                    cylinder_y(1.0, hole, center=((leg_a + thickness) / 2 + thickness * 0.5, 0, z)),
                    "hole",
                    subtract=True,
                )
            )
            parts.append(
                Part(
                    cylinder_x(1.0, hole, (0, (leg_b + thickness) / 2 + thickness * 0.5, z)),
                    "hole",
                    subtract=True,
                )
            )
        return parts
    if kind == "flange":
        radius = rng.uniform(0.35, 0.55)
        thickness = rng.uniform(0.06, 0.14)
        hub = radius * rng.uniform(0.35, 0.55)
        hub_height = rng.uniform(0.15, 0.4)
        parts = [Part(cylinder_y(thickness, radius, center=(0, thickness / 2, 0)), "metal")]
        parts.append(
            Part(
                cylinder_y(hub_height, hub, hub * rng.uniform(0.8, 1.0), center=(0, hub_height / 2, 0)),
                "metal",
            )
        )
        parts.append(Part(cylinder_y(1.0, hub * rng.uniform(0.4, 0.7)), "hole", subtract=True))
        holes = int(rng.integers(3, 9))
        for k in range(holes):
            angle = 2 * np.pi * k / holes
            ring = (radius + hub) / 2
            parts.append(
                Part(
                    cylinder_y(
                        1.0, (radius - hub) * 0.15, center=(ring * np.cos(angle), 0, ring * np.sin(angle))
                    ),
                    "hole",
                    subtract=True,
                )
            )
        return parts
    if kind == "gear":
        radius = rng.uniform(0.3, 0.55)
        thickness = rng.uniform(0.06, 0.2)
        gear = _z_to_y(Manifold.extrude(_gear_outline(rng, radius), thickness))
        parts = [Part(gear, "metal")]
        if rng.random() < 0.6:
            parts.append(Part(cylinder_y(thickness * 2, radius * 0.3, center=(0, thickness, 0)), "metal"))
        parts.append(Part(cylinder_y(1.0, radius * rng.uniform(0.1, 0.2)), "hole", subtract=True))
        if rng.random() < 0.5:
            for k in range(4):
                angle = np.pi / 2 * k + np.pi / 4
                parts.append(
                    Part(
                        cylinder_y(
                            1.0,
                            radius * 0.15,
                            center=(radius * 0.55 * np.cos(angle), 0, radius * 0.55 * np.sin(angle)),
                        ),
                        "hole",
                        subtract=True,
                    )
                )
        return parts
    if kind == "shaft":
        length = rng.uniform(0.8, 1.4)
        steps = int(rng.integers(3, 6))
        edges = np.sort(rng.uniform(0.0, length, steps - 1))
        bounds = np.concatenate([[0.0], edges, [length]])
        radii = rng.uniform(0.04, 0.12, steps)
        profile = [[0.0, 0.0]]
        for k in range(steps):
            profile += [[float(radii[k]), float(bounds[k])], [float(radii[k]), float(bounds[k + 1])]]
        profile.append([0.0, length])
        return [Part(revolve_profile(np.array(profile)), "metal")]
    if kind == "nut":
        radius = rng.uniform(0.2, 0.4)
        height = radius * rng.uniform(0.5, 1.0)
        nut = _z_to_y(Manifold.cylinder(height, radius, radius, 6, True))
        # cones that only clip the hexagon's corners at its top and bottom faces
        chamfer = cylinder_y(height, radius * 1.3, radius * 0.9) ^ cylinder_y(
            height, radius * 0.9, radius * 1.3
        )
        parts = [Part(nut ^ chamfer, "metal")]
        if rng.random() < 0.5:  # a bolt through it
            shank = rng.uniform(0.4, 0.9)
            parts.append(
                Part(cylinder_y(shank, radius * 0.5, center=(0, -shank / 2 + height / 2, 0)), "metal")
            )
        else:
            parts.append(Part(cylinder_y(1.0, radius * 0.5), "hole", subtract=True))
        return parts
    # pipe tee
    radius = rng.uniform(0.1, 0.2)
    length = rng.uniform(0.6, 1.0)
    wall = radius * rng.uniform(0.15, 0.3)
    branch = length * rng.uniform(0.3, 0.5)
    parts = [
        Part(cylinder_x(length, radius), "metal"),
        Part(cylinder_y(branch, radius, center=(0, branch / 2, 0)), "metal"),
    ]
    for x in (-length / 2, length / 2):
        parts.append(Part(cylinder_x(0.08, radius * 1.2, (x - np.sign(x) * 0.04, 0, 0)), "metal"))
    parts.append(Part(cylinder_x(length + 0.1, radius - wall), "inside", subtract=True))
    parts.append(
        Part(
            cylinder_y(branch + 0.1, radius - wall, center=(0, branch / 2 + 0.05, 0)), "inside", subtract=True
        )
    )
    return parts


# --- data engine v3: thin parts that lean in depth -----------------------------------------

V3_FAMILY_NAMES: tuple[str, ...] = ("rod",)
ROD_KINDS = ("bone", "blade", "handle", "curve")
ROD_GRID = 64  # finer than the creatures' grid: shafts down to ~2 % of the length stay whole


def _smooth_path(rng: np.random.Generator, points: int, length: float, bend: float) -> np.ndarray:
    """A gently curving 3D polyline of `length` along x, bending up to `bend` in y and z."""
    t = np.linspace(0.0, 1.0, points)
    controls = rng.normal(0.0, bend, (4, 2)) * np.array([[0.0], [1.0], [1.0], [0.0]])
    offsets = PchipInterpolator(np.linspace(0.0, 1.0, 4), controls)(t)
    return np.column_stack([(t - 0.5) * length, offsets])


def _tube(path: np.ndarray, radii: np.ndarray) -> list[_Segment | _Ellipsoid]:
    return [
        _segment(path[k], path[k + 1], float(radii[k]), float(radii[k + 1])) for k in range(len(path) - 1)
    ]


def rod(rng: np.random.Generator) -> list[Part]:
    """Bones, blades, handles and bent wires, turned at random so they lean in depth.

    Real objects that the v2 model got wrong are mostly thin parts (a dog's bones, a box's
    handle, a knob's stem): it made them blobs and did not tilt them in depth. These are
    such parts alone, each a smooth signed-distance union."""
    kind = ROD_KINDS[rng.integers(len(ROD_KINDS))]
    length = 1.0
    prims: list[_Segment | _Ellipsoid]
    if kind == "bone":  # a shaft with knobbly ends (long bones, vertebra spines, jaws)
        path = _smooth_path(rng, 6, length, rng.uniform(0.0, 0.12))
        shaft = length * rng.uniform(0.025, 0.07)
        prims = _tube(path, shaft * rng.uniform(0.8, 1.3, len(path)))
        for end, inward in ((path[0], path[1] - path[0]), (path[-1], path[-2] - path[-1])):
            knob = shaft * rng.uniform(1.4, 2.6)
            lobes = int(rng.integers(1, 3))
            for lobe in range(lobes):
                side = rng.normal(0.0, 1.0, 3)
                side -= side @ inward / (inward @ inward) * inward
                side *= knob * 0.6 * (lobe - (lobes - 1) / 2) / max(float(np.linalg.norm(side)), 1e-9)
                prims.append(_Ellipsoid(end + side, knob * rng.uniform(0.7, 1.2, 3)))
    elif kind == "blade":  # a thin curved plate with a thick rim (shoulder blades, hip bones)
        count = int(rng.integers(3, 7))
        span = length * rng.uniform(0.6, 1.0)
        path = _smooth_path(rng, count, span, rng.uniform(0.05, 0.2))
        thickness = length * rng.uniform(0.02, 0.05)
        widths = length * rng.uniform(0.08, 0.25, count)
        prims = [  # neighbours overlap by half, so the plate is one piece
            _Ellipsoid(point, np.array([0.75 * span / (count - 1), width, thickness]))
            for point, width in zip(path, widths, strict=True)
        ]
        prims += _tube(path + np.array([0.0, widths.max() * 0.8, 0.0]), np.full(count, thickness * 1.5))
    elif kind == "handle":  # a bar on two posts, maybe on a plate (drawer pulls, grab bars)
        span = length * rng.uniform(0.5, 1.0)
        rise = span * rng.uniform(0.15, 0.5)
        radius = length * rng.uniform(0.025, 0.06)
        corners = np.array([[-span / 2, 0, 0], [-span / 2, rise, 0], [span / 2, rise, 0], [span / 2, 0, 0]])
        corners[1:3, 2] = rise * rng.uniform(-0.5, 0.5)  # the grip may lean out of the posts' plane
        prims = _tube(corners, np.full(4, radius))
        if rng.random() < 0.6:
            plate = radius * rng.uniform(0.8, 1.5)
            prims += [
                _Ellipsoid(corner, np.array([radius * 2.5, plate, radius * 2.5]))
                for corner in corners[[0, 3]]
            ]
    else:  # a bent wire, tail, horn or tentacle: one tapering tube along a 3D curve
        path = _smooth_path(rng, 10, length, rng.uniform(0.1, 0.3))
        start = length * rng.uniform(0.03, 0.09)
        prims = _tube(path, np.linspace(start, start * rng.uniform(0.3, 1.0), len(path)))
    scale = max(
        float(np.ptp(np.concatenate([np.stack(_primitive_bounds(p)) for p in prims]), axis=0).max()), 1e-6
    )
    body = sdf_solid(prims, blend=scale * rng.uniform(0.01, 0.04), grid=ROD_GRID)
    return [Part(body.rotate(_random_rotation_degrees(rng)))]


V1_FAMILY_NAMES: tuple[str, ...] = (
    "primitive",
    "superquadric",
    "revolution",
    "extrusion",
    "toy",
    "blob",
    "character",
    "furniture",
)

FAMILIES: dict[str, ShapeFamily] = {
    "primitive": primitive,
    "superquadric": superquadric,
    "revolution": revolution,
    "extrusion": extrusion,
    "toy": toy,
    "blob": blob,
    "character": character,
    "furniture": furniture,
    "creature": creature,
    "prop": prop,
    "vehicle": vehicle,
    "building": building,
    "thin_furniture": thin_furniture,
    "mechanical": mechanical,
    "rod": rod,
}

"""Characters with known skeletons: closed humanoid and quadruped meshes of many proportions and poses.

The engine places every limb, so it knows where each joint is; the rig stage is tuned
and measured against these truths. A character faces +Z (the viewer) with its own left
(`.L`) at +X, so a front rendering shows `.L` on the picture's right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import trimesh

from lift3d.data.materials import random_materials
from lift3d.data.render import place_in_view, random_lighting, render
from lift3d.data.shapes import Part, capsule, ellipsoid, sphere, union_parts
from lift3d.rig.skeleton import HUMANOID_JOINTS, Skeleton, humanoid_skeleton, quadruped_skeleton

ATTEMPTS = 8


@dataclass(frozen=True)
class Character:
    """A closed mesh and the skeleton the engine built it around, in the same frame."""

    mesh: trimesh.Trimesh
    face_role: np.ndarray  # (F,) index into roles
    roles: tuple[str, ...]
    skeleton: Skeleton


@dataclass(frozen=True)
class CharacterSample:
    """A front rendering of a character with its true joints in the view frame."""

    rgba: np.ndarray  # (S, S, 4) uint8
    front_z: np.ndarray  # (S, S) float32
    back_z: np.ndarray  # (S, S) float32
    vertices: np.ndarray  # (V, 3) view frame
    faces: np.ndarray  # (F, 3)
    skeleton: Skeleton  # view frame
    seed: int

    @property
    def mask(self) -> np.ndarray:
        return self.rgba[..., 3] > 127

    @property
    def height(self) -> float:
        """The character's height in view-frame units (what joint errors are a share of)."""
        return float(np.ptp(self.vertices[:, 1]))

    def joints_px(self) -> np.ndarray:
        """(J, 2) true joint positions as (column, row) pixel coordinates of the picture."""
        return view_to_pixels(self.skeleton.positions[:, :2], len(self.rgba))


def view_to_pixels(xy: np.ndarray, size_px: int) -> np.ndarray:
    """View-frame (x, y) -> (column, row) in pixel units (pixel centres at integers)."""
    column = (xy[:, 0] + 1.0) * size_px / 2.0 - 0.5
    row = (1.0 - xy[:, 1]) * size_px / 2.0 - 0.5
    return np.column_stack([column, row])


def _direction(angle_deg: float, side: float, forward: float = 0.0) -> np.ndarray:
    """Unit vector in the frontal plane at `angle_deg` from straight down, outward on `side`."""
    angle = np.radians(angle_deg)
    vector = np.array([side * np.sin(angle), -np.cos(angle), forward])
    return vector / np.linalg.norm(vector)


@dataclass(frozen=True)
class HumanoidBody:
    """A humanoid's proportions (view-frame units before framing; the figure is about 2 tall)."""

    leg_length: float
    torso_length: float
    head_radius: float
    neck_length: float
    shoulder_half: float
    hip_half: float
    arm_length: float
    arm_radius: float
    leg_radius: float
    torso_depth: float
    belly: float  # torso width at the waist relative to the shoulders
    upper_share: float  # the upper limb's share of a limb's length
    hand_radius: float
    head_stretch: float  # head height over width


@dataclass(frozen=True)
class HumanoidPose:
    """Where a body's limbs point; angles in the frontal plane from straight down, (.L, .R) pairs.

    `forward` values tilt a limb toward the viewer (+Z), as a share of its length.
    """

    lean_deg: float
    spread_deg: tuple[float, float]
    knee_bend_deg: tuple[float, float]
    leg_forward: tuple[float, float]
    arm_raise_deg: tuple[float, float]
    elbow_deg: tuple[float, float]  # the forearm's angle from straight down
    arm_forward: tuple[float, float]


def random_body(rng: np.random.Generator) -> HumanoidBody:
    """Proportions from cartoon to lanky (the first draws of `humanoid`, in its order)."""
    leg_length = rng.uniform(0.35, 0.95)
    torso_length = rng.uniform(0.4, 0.7)
    head_radius = rng.uniform(0.1, 0.26)
    neck_length = rng.uniform(0.02, 0.09)
    shoulder_half = rng.uniform(0.13, 0.24)
    hip_half = rng.uniform(0.07, 0.12)
    arm_length = rng.uniform(0.38, 0.75)
    arm_radius = rng.uniform(0.03, 0.06)
    leg_radius = min(arm_radius * rng.uniform(1.1, 1.6), hip_half * 0.8)
    torso_depth = rng.uniform(0.09, 0.16)
    belly = rng.uniform(0.75, 1.15)
    upper_share = rng.uniform(0.45, 0.55)
    return HumanoidBody(
        leg_length, torso_length, head_radius, neck_length, shoulder_half, hip_half, arm_length,
        arm_radius, leg_radius, torso_depth, belly, upper_share, hand_radius=0.0, head_stretch=1.0,
    )  # fmt: skip


def humanoid(rng: np.random.Generator) -> Character:
    """A humanoid of random proportions (cartoon to lanky) in a random, readable pose.

    Arms are raised at least 30 degrees from the body and legs spread apart, so the
    limbs separate from the torso in a front view, as in most drawings of characters.
    """
    body = random_body(rng)
    lean_deg = rng.uniform(-6.0, 6.0)
    spread = (rng.uniform(4.0, 22.0), rng.uniform(4.0, 22.0))
    knee_bend = (rng.uniform(-12.0, 12.0), rng.uniform(-12.0, 12.0))
    leg_forward = (rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25))
    hand_radius = body.arm_radius * rng.uniform(1.2, 1.7)
    raise_deg, elbow_deg, arm_forward = [], [], []
    for _ in range(2):
        raise_deg.append(rng.uniform(30.0, 165.0))
        elbow_deg.append(raise_deg[-1] + rng.uniform(-50.0, 50.0))
        arm_forward.append(rng.uniform(-0.3, 0.3))
    body = replace(body, hand_radius=hand_radius, head_stretch=rng.uniform(0.95, 1.15))
    pose = HumanoidPose(
        lean_deg, spread, knee_bend, leg_forward,
        (raise_deg[0], raise_deg[1]), (elbow_deg[0], elbow_deg[1]), (arm_forward[0], arm_forward[1]),
    )  # fmt: skip
    return posed_humanoid(body, pose)


def posed_humanoid(body: HumanoidBody, pose: HumanoidPose) -> Character:
    """The closed mesh and true skeleton of `body` in `pose`, the lower foot on the ground (y = 0)."""
    ankle_height = body.leg_radius * 1.1
    # the hip joints sit high enough that the lower foot still reaches the ground
    drop = max(body.leg_length * np.cos(np.radians(s)) for s in pose.spread_deg)
    hip_joint_y = ankle_height + drop
    hips = np.array([0.0, hip_joint_y + body.leg_radius * 0.6, 0.0])
    lean = _direction(180.0 + pose.lean_deg, 1.0)  # up, tilted sideways
    torso_length = body.torso_length
    neck_base = hips + lean * torso_length
    joints: dict[str, np.ndarray] = {
        "hips": hips,
        "spine": hips + lean * torso_length * 0.35,
        "chest": hips + lean * torso_length * 0.7,
        "neck": neck_base,
        "head": neck_base + lean * body.neck_length,
    }
    head_centre = joints["head"] + lean * body.head_radius * 0.85
    tips = {"head": head_centre + lean * body.head_radius}
    across = np.array([lean[1], -lean[0], 0.0])  # the torso's own +X
    arm_radius, leg_radius, upper_share = body.arm_radius, body.leg_radius, body.upper_share
    for side, suffix in ((1.0, ".L"), (-1.0, ".R")):
        index = 0 if side > 0 else 1
        shoulder = neck_base - lean * torso_length * 0.1 + across * side * body.shoulder_half
        forward = pose.arm_forward[index]
        elbow = (
            shoulder + _direction(pose.arm_raise_deg[index], side, forward) * body.arm_length * upper_share
        )
        wrist = elbow + _direction(pose.elbow_deg[index], side, forward) * body.arm_length * (1 - upper_share)
        hand_direction = (wrist - elbow) / np.linalg.norm(wrist - elbow)
        joints["upper_arm" + suffix] = shoulder
        joints["lower_arm" + suffix] = elbow
        joints["hand" + suffix] = wrist
        tips["hand" + suffix] = wrist + hand_direction * body.hand_radius * 2.0
        hip_joint = np.array([side * body.hip_half, hip_joint_y, 0.0])
        spread = pose.spread_deg[index]
        thigh = _direction(spread, side, pose.leg_forward[index])
        knee = hip_joint + thigh * body.leg_length * upper_share
        shin = _direction(spread + pose.knee_bend_deg[index], side, -pose.leg_forward[index] * 0.5)
        ankle = knee + shin * body.leg_length * (1 - upper_share)
        joints["upper_leg" + suffix] = hip_joint
        joints["lower_leg" + suffix] = knee
        joints["foot" + suffix] = ankle
        tips["foot" + suffix] = ankle + np.array([0.0, -leg_radius * 0.6, leg_radius * 2.5])

    head_radius = body.head_radius
    parts = [
        Part(
            ellipsoid(
                [body.shoulder_half * (0.5 + 0.5 * body.belly), torso_length * 0.55, body.torso_depth],
                hips + lean * torso_length * 0.5,
            ),
            "body",
        ),
        Part(ellipsoid([body.hip_half + leg_radius, leg_radius * 2.0, body.torso_depth * 0.9], hips), "legs"),
        Part(
            capsule(neck_base - lean * torso_length * 0.1, joints["head"] + lean * 0.02, arm_radius), "body"
        ),
        # shoulders: the arms hang from a bar across the top of the torso
        Part(capsule(joints["upper_arm.L"], joints["upper_arm.R"], arm_radius * 1.25), "body"),
        Part(
            ellipsoid([head_radius, head_radius * body.head_stretch, head_radius * 0.95], head_centre),
            "head",
        ),
    ]
    for suffix in (".L", ".R"):
        shoulder, elbow, wrist = (joints[name + suffix] for name in ("upper_arm", "lower_arm", "hand"))
        hip_joint, knee, ankle = (joints[name + suffix] for name in ("upper_leg", "lower_leg", "foot"))
        parts += [
            Part(capsule(shoulder, elbow, arm_radius), "body"),
            Part(capsule(elbow, wrist, arm_radius * 0.9), "body"),
            Part(sphere(body.hand_radius, (wrist + tips["hand" + suffix]) / 2), "head"),
            Part(capsule(hip_joint, knee, leg_radius), "legs"),
            Part(capsule(knee, ankle, leg_radius * 0.9), "legs"),
            Part(
                ellipsoid(
                    [leg_radius * 1.2, leg_radius * 0.9, leg_radius * 2.0],
                    ankle + np.array([0.0, -leg_radius * 0.2, leg_radius * 1.0]),
                ),
                "shoes",
            ),
        ]
    for side in (-1.0, 1.0):
        eye = (
            head_centre
            + np.array([side * 0.35, 0.15, 0.92]) / np.linalg.norm([0.35, 0.15, 0.92]) * head_radius
        )
        parts.append(Part(sphere(head_radius * 0.15, eye, 12), "eye"))
    union = union_parts(parts)
    if union.mesh.body_count != 1:
        raise ValueError("the character's parts do not join into one solid")
    return Character(
        mesh=union.mesh,
        face_role=union.face_role,
        roles=union.roles,
        skeleton=humanoid_skeleton(joints, tips),
    )


def render_character(character: Character, rng: np.random.Generator, size_px: int = 128) -> CharacterSample:
    """A front view (azimuth 0, elevation 0) framed like every synthetic picture."""
    placement = place_in_view(np.asarray(character.mesh.vertices), 0.0, 0.0)
    offset = -placement.centre  # rotation is the identity for a front view
    skeleton = character.skeleton.transformed(offset, placement.scale)
    faces = np.asarray(character.mesh.faces)
    materials = random_materials(character.roles, rng)
    rendering = render(
        placement.vertices, faces, character.face_role, materials, random_lighting(rng), size_px=size_px
    )
    return CharacterSample(
        rgba=rendering.rgba,
        front_z=rendering.front_z,
        back_z=rendering.back_z,
        vertices=placement.vertices,
        faces=faces,
        skeleton=skeleton,
        seed=-1,
    )


def character_sample(seed: int, size_px: int = 128) -> CharacterSample:
    """The humanoid for `seed`, rendered from the front: same seed, same picture.

    A draw whose parts fall apart is drawn again from the next attempt's stream.
    """
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng([seed, 17, attempt])
        try:
            character = humanoid(rng)
        except ValueError:
            continue
        sample = render_character(character, rng, size_px)
        return CharacterSample(**{**sample.__dict__, "seed": seed})
    raise RuntimeError(f"seed {seed}: no valid character after {ATTEMPTS} attempts")


def walk_pose(base: HumanoidPose, phase: float) -> HumanoidPose:
    """`base` at one phase (0..1) of a walk drawn in the picture plane, as a front-facing cartoon walks.

    The arms swing in turn, the lifted leg's thigh goes out and its shin in (the hip
    height follows the standing leg, so the body bobs), and the body sways toward
    the standing leg.
    """
    swing = float(np.sin(2 * np.pi * phase))
    lift = (max(0.0, swing), max(0.0, -swing))
    return HumanoidPose(
        lean_deg=base.lean_deg + 3.0 * swing,
        spread_deg=(base.spread_deg[0] + 10.0 * lift[0], base.spread_deg[1] + 10.0 * lift[1]),
        knee_bend_deg=(base.knee_bend_deg[0] - 30.0 * lift[0], base.knee_bend_deg[1] - 30.0 * lift[1]),
        leg_forward=(0.25 * swing, -0.25 * swing),
        arm_raise_deg=(base.arm_raise_deg[0] + 18.0 * swing, base.arm_raise_deg[1] - 18.0 * swing),
        elbow_deg=(base.elbow_deg[0] + 30.0 * swing, base.elbow_deg[1] - 30.0 * swing),
        arm_forward=(0.3 * swing, -0.3 * swing),
    )


def walk_cycle(seed: int, frame_count: int = 12, size_px: int = 128) -> list[CharacterSample]:
    """One character walking, `frame_count` front views of one cycle, framed alike (one fixed camera).

    Every frame's true skeleton is in the shared view frame, so a rig posed for frame k
    can be scored against frame k's picture.
    """
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng([seed, 18, attempt])
        body = random_body(rng)
        body = replace(
            body, hand_radius=body.arm_radius * rng.uniform(1.2, 1.7), head_stretch=rng.uniform(0.95, 1.15)
        )
        raise_deg = (rng.uniform(45.0, 70.0), rng.uniform(45.0, 70.0))
        base = HumanoidPose(
            lean_deg=0.0,
            spread_deg=(rng.uniform(8.0, 14.0), rng.uniform(8.0, 14.0)),
            knee_bend_deg=(0.0, 0.0),
            leg_forward=(0.0, 0.0),
            arm_raise_deg=raise_deg,
            elbow_deg=(raise_deg[0] + rng.uniform(-20.0, 20.0), raise_deg[1] + rng.uniform(-20.0, 20.0)),
            arm_forward=(0.0, 0.0),
        )
        try:
            characters = [posed_humanoid(body, walk_pose(base, k / frame_count)) for k in range(frame_count)]
        except ValueError:
            continue
        everything = np.vstack([np.asarray(character.mesh.vertices) for character in characters])
        placement = place_in_view(everything, 0.0, 0.0)
        materials = random_materials(characters[0].roles, rng)
        lighting = random_lighting(rng)
        frames = []
        for character in characters:
            vertices = (np.asarray(character.mesh.vertices) - placement.centre) * placement.scale
            faces = np.asarray(character.mesh.faces)
            rendering = render(vertices, faces, character.face_role, materials, lighting, size_px=size_px)
            frames.append(
                CharacterSample(
                    rgba=rendering.rgba,
                    front_z=rendering.front_z,
                    back_z=rendering.back_z,
                    vertices=vertices,
                    faces=faces,
                    skeleton=character.skeleton.transformed(-placement.centre, placement.scale),
                    seed=seed,
                )
            )
        return frames
    raise RuntimeError(f"seed {seed}: no valid walk cycle after {ATTEMPTS} attempts")


def _side_direction(angle_deg: float) -> np.ndarray:
    """Unit vector in the XY plane at `angle_deg` from straight down, positive toward +X (forward)."""
    angle = np.radians(angle_deg)
    return np.array([np.sin(angle), -np.cos(angle), 0.0])


def quadruped(rng: np.random.Generator) -> Character:
    """A four-legged animal of random proportions, head toward +X, legs in a random stance.

    Seen from the front camera (along -Z) it is seen from the side, its right side (`.R`,
    +Z) toward the viewer. Near and far legs stand at different angles, as in drawings
    of animals walking, so all four show.
    """
    body_length = rng.uniform(0.7, 1.2)
    body_height = rng.uniform(0.13, 0.24)  # radii of the body's ellipsoid
    body_width = rng.uniform(0.11, 0.18)
    leg_length = rng.uniform(0.35, 0.7)
    leg_radius = rng.uniform(0.035, 0.065)
    upper_share = rng.uniform(0.45, 0.55)
    neck_length = rng.uniform(0.15, 0.35)
    neck_deg = rng.uniform(25.0, 70.0)  # above the horizontal
    head_radius = rng.uniform(0.08, 0.14)
    snout = rng.uniform(0.6, 1.3)  # snout length over head radius
    tail_length = rng.uniform(0.15, 0.5)
    tail_deg = rng.uniform(-50.0, 30.0)  # above the horizontal, pointing back
    tail_radius = leg_radius * rng.uniform(0.4, 0.8)

    body_y = leg_length + body_height * 0.4
    hips = np.array([-body_length * 0.32, body_y, 0.0])
    chest = np.array([body_length * 0.3, body_y + body_height * 0.1, 0.0])
    neck_base = np.array([body_length * 0.42, body_y + body_height * 0.45, 0.0])
    neck_direction = np.array([np.cos(np.radians(neck_deg)), np.sin(np.radians(neck_deg)), 0.0])
    head_base = neck_base + neck_direction * neck_length
    head_centre = head_base + np.array([head_radius * 0.6, head_radius * 0.3, 0.0])
    nose = head_centre + np.array([head_radius * (1.0 + snout), -head_radius * 0.3, 0.0])
    tail_root = np.array([-body_length * 0.48, body_y + body_height * 0.3, 0.0])
    tail_tip = (
        tail_root + np.array([-np.cos(np.radians(tail_deg)), np.sin(np.radians(tail_deg)), 0.0]) * tail_length
    )
    joints: dict[str, np.ndarray] = {
        "hips": hips,
        "spine": (hips + chest) / 2 + np.array([0.0, body_height * 0.1, 0.0]),
        "chest": chest,
        "neck": neck_base,
        "head": head_base,
        "tail": tail_root,
    }
    tips = {"head": nose, "tail": tail_tip}
    parts = [
        Part(ellipsoid([body_length * 0.5, body_height, body_width], [0.0, body_y, 0.0]), "body"),
        Part(capsule(chest, head_base, leg_radius * 1.4), "body"),
        Part(ellipsoid([head_radius, head_radius * 0.9, head_radius * 0.85], head_centre), "head"),
        Part(
            ellipsoid(
                [head_radius * snout * 0.6, head_radius * 0.5, head_radius * 0.5],
                (head_centre + nose) / 2 + np.array([0.0, -head_radius * 0.1, 0.0]),
            ),
            "head",
        ),
        Part(capsule(tail_root, tail_tip, tail_radius), "legs"),
    ]
    for end, root in (("front", chest), ("back", hips)):
        base_deg = rng.uniform(-8.0, 8.0)
        spread = rng.uniform(12.0, 28.0)
        for side, suffix in ((-1.0, ".L"), (1.0, ".R")):  # the animal's left is -Z (away from the viewer)
            upper_deg = base_deg + side * spread / 2 + rng.uniform(-4.0, 4.0)
            bend = rng.uniform(5.0, 25.0) * (-1.0 if end == "front" else 1.0)
            shoulder = np.array([root[0], body_y - body_height * 0.35, side * body_width * 0.55])
            knee = shoulder + _side_direction(upper_deg) * leg_length * upper_share
            ankle = knee + _side_direction(upper_deg + bend) * leg_length * (1 - upper_share)
            toe = ankle + np.array([leg_radius * 2.2, -leg_radius * 0.6, 0.0])
            joints[f"{end}_upper_leg{suffix}"] = shoulder
            joints[f"{end}_lower_leg{suffix}"] = knee
            joints[f"{end}_foot{suffix}"] = ankle
            tips[f"{end}_foot{suffix}"] = toe
            parts += [
                Part(capsule(shoulder, knee, leg_radius * 1.15), "legs"),
                Part(capsule(knee, ankle, leg_radius), "legs"),
                Part(
                    ellipsoid(
                        [leg_radius * 1.5, leg_radius * 0.8, leg_radius * 1.1],
                        (ankle + toe) / 2 + np.array([0.0, -leg_radius * 0.2, 0.0]),
                    ),
                    "shoes",
                ),
            ]
    for side in (-1.0, 1.0):
        eye = (
            head_centre
            + np.array([0.35, 0.45, side * 0.75]) / np.linalg.norm([0.35, 0.45, 0.75]) * head_radius
        )
        parts.append(Part(sphere(head_radius * 0.15, eye, 12), "eye"))
    union = union_parts(parts)
    if union.mesh.body_count != 1:
        raise ValueError("the animal's parts do not join into one solid")
    return Character(
        mesh=union.mesh,
        face_role=union.face_role,
        roles=union.roles,
        skeleton=quadruped_skeleton(joints, tips),
    )


def quadruped_sample(seed: int, size_px: int = 128) -> CharacterSample:
    """The quadruped for `seed`, seen from its side (the front camera): same seed, same picture."""
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng([seed, 19, attempt])
        try:
            character = quadruped(rng)
        except ValueError:
            continue
        sample = render_character(character, rng, size_px)
        return CharacterSample(**{**sample.__dict__, "seed": seed})
    raise RuntimeError(f"seed {seed}: no valid quadruped after {ATTEMPTS} attempts")


__all__ = [
    "HUMANOID_JOINTS",
    "Character",
    "CharacterSample",
    "character_sample",
    "humanoid",
    "quadruped",
    "quadruped_sample",
    "render_character",
    "walk_cycle",
]

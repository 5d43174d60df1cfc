"""Built-in clips (idle, walk, wave, jump; a quadruped's walk) as joint rotations, and linear blend skinning to play them.

Clips are made for each skeleton from its rest pose (the pose in the picture): a wave
turns the right arm from wherever it rests to above the shoulder, a walk swings the
legs about the hips. Rotations are local, on top of the rest pose whose rotations are
all identity, so at rest a joint's axes are the asset's axes (+X the character's left,
+Y up, +Z forward).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from lift3d.rig.skeleton import Clip, Skeleton

KEYS_PER_SECOND = 12
UPPER_ARM_OUT = (0.85, 0.45, 0.2)
LEGS_APART_SHARE = 0.1
# A clip that stretches an edge of its mesh past this is damped until it does not (the
# acceptance bar is 2x; keys are interpolated in between, so a little is kept in hand).
MAX_CLIP_STRETCH = 1.9
DAMPING_STEPS = 6  # wave: the raised upper arm's direction on the character's left


def _turn(axis: Sequence[float] | np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """(K, 4) quaternions (x, y, z, w) of `degrees` about one axis."""
    unit = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    return Rotation.from_rotvec(np.radians(np.asarray(degrees))[:, None] * unit[None]).as_quat()


def _between(start: np.ndarray, end: np.ndarray) -> Rotation:
    """The smallest rotation taking direction `start` to direction `end`."""
    a, b = start / np.linalg.norm(start), end / np.linalg.norm(end)
    axis = np.cross(a, b)
    sine, cosine = np.linalg.norm(axis), float(np.dot(a, b))
    if sine < 1e-9:
        if cosine > 0:
            return Rotation.identity()
        perpendicular = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        return Rotation.from_rotvec(np.pi * perpendicular / np.linalg.norm(perpendicular))
    return Rotation.from_rotvec(axis / sine * np.arctan2(sine, cosine))


def _blend(rotation: Rotation, amount: np.ndarray) -> np.ndarray:
    """(K, 4) quaternions: `amount` (0..1 per key) of the way from identity to `rotation`."""
    return Rotation.from_rotvec(np.asarray(amount)[:, None] * rotation.as_rotvec()[None]).as_quat()


def _times(duration_s: float) -> tuple[np.ndarray, np.ndarray]:
    count = int(round(duration_s * KEYS_PER_SECOND)) + 1
    times = np.linspace(0.0, duration_s, count)
    return times, times / duration_s  # seconds, phase in [0, 1]


def _bone_direction(skeleton: Skeleton, name: str) -> np.ndarray:
    index = skeleton.names.index(name)
    return skeleton.tails[index] - skeleton.positions[index]


def _height(skeleton: Skeleton) -> float:
    return float(np.ptp(np.vstack([skeleton.positions, skeleton.tails])[:, 1]))


def idle(skeleton: Skeleton) -> Clip:
    """Breathing: the chest rocks, the head turns a little, the body bobs."""
    times, phase = _times(2.0)
    wave = np.sin(2 * np.pi * phase)
    index = skeleton.names.index
    bob = np.zeros((len(times), 3))
    bob[:, 1] = 0.006 * _height(skeleton) * (1 - np.cos(2 * np.pi * phase)) / 2
    return Clip(
        "idle",
        times,
        {
            index("chest"): _turn([1, 0, 0], -3.0 * wave),
            index("head"): _turn([0, 1, 0], 6.0 * np.sin(4 * np.pi * phase) * 0.5),
            index("upper_arm.L"): _turn([0, 0, 1], 3.0 * wave),
            index("upper_arm.R"): _turn([0, 0, 1], -3.0 * wave),
        },
        bob,
    )


def walk(skeleton: Skeleton) -> Clip:
    """A walk cycle in place: legs swing about the hips, knees bend in the swing, arms counter-swing."""
    times, phase = _times(1.0)
    swing = np.sin(2 * np.pi * phase)
    index = skeleton.names.index
    rotations = {}
    for side, sign in ((".L", 1.0), (".R", -1.0)):
        leg_swing = 25.0 * sign * swing  # positive: the foot goes forward (+Z)
        knee = 35.0 * np.clip(np.sin(2 * np.pi * phase + sign * np.pi / 2), 0.0, None)
        rotations[index("upper_leg" + side)] = _turn([1, 0, 0], -leg_swing)
        rotations[index("lower_leg" + side)] = _turn([1, 0, 0], knee)
        rotations[index("upper_arm" + side)] = _turn([1, 0, 0], 20.0 * sign * swing)
        rotations[index("lower_arm" + side)] = _turn([1, 0, 0], -10.0 - 10.0 * sign * swing)
    bob = np.zeros((len(times), 3))
    bob[:, 1] = 0.015 * _height(skeleton) * np.cos(4 * np.pi * phase)
    return Clip("walk", times, rotations, bob)


def wave(skeleton: Skeleton) -> Clip:
    """The right arm rises beside the head and the forearm waves three times, then comes back down."""
    times, phase = _times(2.4)
    index = skeleton.names.index
    # the upper arm out to the side a little above the shoulder, the forearm up: most of the
    # raise is at the elbow, so the armpit (where linear blend skinning stretches) turns less
    out = np.array([-UPPER_ARM_OUT[0], UPPER_ARM_OUT[1], UPPER_ARM_OUT[2]])  # the character's right is -X
    raise_arm = _between(_bone_direction(skeleton, "upper_arm.R"), out)
    # the forearm's target, measured in the upper arm's turned frame
    forearm_target = raise_arm.inv().apply(np.array([-0.25, 1.0, 0.15]))
    straighten = _between(_bone_direction(skeleton, "lower_arm.R"), forearm_target)
    ramp = np.clip(np.minimum(phase / 0.2, (1.0 - phase) / 0.2), 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)  # ease in and out
    waving = (phase > 0.2) & (phase < 0.8)
    shake = np.where(waving, 20.0 * np.sin(2 * np.pi * 3 * (phase - 0.2) / 0.6), 0.0)
    forearm = Rotation.from_quat(_blend(straighten, ramp)) * Rotation.from_quat(_turn([0, 0, 1], shake))
    return Clip(
        "wave",
        times,
        {
            index("upper_arm.R"): _blend(raise_arm, ramp),
            index("lower_arm.R"): forearm.as_quat(),
            index("head"): _turn([0, 0, 1], -6.0 * ramp),
        },
    )


def jump(skeleton: Skeleton) -> Clip:
    """Crouch, leap with the arms up, land in a crouch, stand."""
    times, phase = _times(1.2)
    height = _height(skeleton)
    # crouch amount and rise: crouch 0-0.25, airborne 0.3-0.7, land 0.75-0.9
    crouch = np.interp(phase, [0.0, 0.2, 0.3, 0.7, 0.8, 0.95, 1.0], [0.0, 1.0, 0.0, 0.0, 0.8, 0.0, 0.0])
    rise = np.interp(phase, [0.0, 0.3, 0.5, 0.7, 1.0], [0.0, 0.0, 1.0, 0.0, 0.0])
    index = skeleton.names.index
    offsets = np.zeros((len(times), 3))
    offsets[:, 1] = -0.06 * height * crouch + 0.25 * height * np.sin(np.pi * rise / 2)
    arms = np.interp(phase, [0.0, 0.25, 0.45, 0.75, 1.0], [0.0, -0.3, 1.0, 0.0, 0.0])
    rotations = {
        index("chest"): _turn([1, 0, 0], 15.0 * crouch),
        index("upper_arm.L"): _turn([0, 0, 1], 40.0 * arms),
        index("upper_arm.R"): _turn([0, 0, 1], -40.0 * arms),
    }
    for side in (".L", ".R"):
        rotations[index("upper_leg" + side)] = _turn([1, 0, 0], -35.0 * crouch)
        rotations[index("lower_leg" + side)] = _turn([1, 0, 0], 60.0 * crouch)
        rotations[index("foot" + side)] = _turn([1, 0, 0], -25.0 * crouch)
    return Clip("jump", times, rotations, offsets)


HUMANOID_CLIPS: dict[str, Callable[[Skeleton], Clip]] = {
    "idle": idle,
    "walk": walk,
    "wave": wave,
    "jump": jump,
}


def _legs_apart(skeleton: Skeleton, end: str) -> bool:
    """Whether a pair of legs (`front` or `back`) stands apart: knees and ankles LEGS_APART_SHARE of the height apart.

    Seen from the side, near and far legs often overlap in the picture; the mesh made from
    it then has one leg where the skeleton has two, and two bones swinging in turn inside
    it would tear it (edges stretched 5x on held-out animals).
    """
    gaps = [
        np.linalg.norm(skeleton.position(f"{end}_{part}.L") - skeleton.position(f"{end}_{part}.R"))
        for part in ("lower_leg", "foot")
    ]
    return bool(min(gaps) >= LEGS_APART_SHARE * _height(skeleton))


def quadruped_walk(skeleton: Skeleton) -> Clip:
    """A four-beat walk in place: hind left, fore left, hind right, fore right, a quarter cycle apart.

    Legs swing about the animal's own side axis (forward x up, forward from hips to
    chest); each lower leg folds while its foot is carried forward (the fore knee
    back, the hock forward). The head nods and the tail sways.
    """
    times, phase = _times(1.2)
    index = skeleton.names.index
    forward = skeleton.position("chest") - skeleton.position("hips")
    forward[1] = 0.0
    forward = (
        forward / np.linalg.norm(forward) if np.linalg.norm(forward) > 1e-9 else np.array([1.0, 0.0, 0.0])
    )
    side_axis = np.cross(forward, [0.0, 1.0, 0.0])  # turning about it carries a foot forward
    rotations = {}
    for name, offset in (("back_{}.L", 0.0), ("front_{}.L", 0.25), ("back_{}.R", 0.5), ("front_{}.R", 0.75)):
        end = name.split("_")[0]
        if not _legs_apart(skeleton, end):
            offset = 0.0 if end == "back" else 0.25  # one leg in the mesh for both: they swing as one
        cycle = 2 * np.pi * (phase + offset)
        rotations[index(name.format("upper_leg"))] = _turn(side_axis, 15.0 * np.sin(cycle))
        fold = 28.0 * np.clip(np.cos(cycle), 0.0, None)  # while the leg swings forward
        sign = -1.0 if name.startswith("front") else 1.0
        rotations[index(name.format("lower_leg"))] = _turn(side_axis, sign * fold)
    rotations[index("head")] = _turn(side_axis, -4.0 * np.sin(4 * np.pi * phase))
    rotations[index("tail")] = _turn([0.0, 1.0, 0.0], 12.0 * np.sin(2 * np.pi * phase))
    bob = np.zeros((len(times), 3))
    bob[:, 1] = 0.01 * _height(skeleton) * np.cos(4 * np.pi * phase)
    return Clip("walk", times, rotations, bob)


QUADRUPED_CLIPS: dict[str, Callable[[Skeleton], Clip]] = {"walk": quadruped_walk}


def chain_sway(skeleton: Skeleton) -> Clip:
    """For a chain skeleton: every bone sways gently about the forward axis (tails, ears, tentacles)."""
    times, phase = _times(2.0)
    rotations = {
        joint: _turn([0, 0, 1], 8.0 * np.sin(2 * np.pi * phase + 0.7 * joint))
        for joint in range(1, len(skeleton.names))
    }
    return Clip("sway", times, rotations)


def make_clips(skeleton: Skeleton, names: Sequence[str]) -> tuple[Clip, ...]:
    """The asked-for clips (all four when `names` is empty) for a humanoid; a walk for a quadruped; a sway for a chain.

    A quadruped has only its walk, whatever was asked for.
    """
    if skeleton.kind == "quadruped":
        return tuple(clip(skeleton) for clip in QUADRUPED_CLIPS.values())
    if skeleton.kind != "humanoid":
        return (chain_sway(skeleton),)
    chosen = list(names) or list(HUMANOID_CLIPS)
    unknown = [name for name in chosen if name not in HUMANOID_CLIPS]
    if unknown:
        raise ValueError(f"unknown animation {unknown[0]!r}; choose from {', '.join(HUMANOID_CLIPS)}")
    return tuple(HUMANOID_CLIPS[name](skeleton) for name in chosen)


def joint_matrices(skeleton: Skeleton, clip: Clip, key: int) -> np.ndarray:
    """(J, 4, 4) skinning matrices (world pose times inverse bind) at one key of a clip."""
    count = len(skeleton.names)
    world = np.zeros((count, 4, 4))
    for joint, parent in enumerate(skeleton.parents):
        local = np.eye(4)
        if joint in clip.rotations:
            local[:3, :3] = Rotation.from_quat(clip.rotations[joint][key]).as_matrix()
        if parent < 0:
            local[:3, 3] = skeleton.positions[joint]
            if clip.root_offsets is not None:
                local[:3, 3] += clip.root_offsets[key]
            world[joint] = local
        else:
            local[:3, 3] = skeleton.positions[joint] - skeleton.positions[parent]
            world[joint] = world[parent] @ local
    inverse_bind = np.tile(np.eye(4), (count, 1, 1))
    inverse_bind[:, :3, 3] = -skeleton.positions
    return world @ inverse_bind


def skin(vertices: np.ndarray, joints: np.ndarray, weights: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """Linear blend skinning: each vertex moved by its weighted joint matrices."""
    homogeneous = np.column_stack([vertices, np.ones(len(vertices))])
    blended = np.einsum("vk,vkij->vij", weights, matrices[joints])
    return np.einsum("vij,vj->vi", blended, homogeneous)[:, :3]


def max_edge_stretch(rest: np.ndarray, posed: np.ndarray, faces: np.ndarray) -> float:
    """The largest ratio of an edge's posed length to its rest length (1 = no stretch)."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    rest_length = np.linalg.norm(rest[edges[:, 0]] - rest[edges[:, 1]], axis=1)
    posed_length = np.linalg.norm(posed[edges[:, 0]] - posed[edges[:, 1]], axis=1)
    valid = rest_length > 1e-9 * max(float(rest_length.max()), 1e-12)
    return float((posed_length[valid] / rest_length[valid]).max())


def clip_stretch(
    vertices: np.ndarray,
    faces: np.ndarray,
    joints: np.ndarray,
    weights: np.ndarray,
    skeleton: Skeleton,
    clip: Clip,
) -> float:
    """The largest edge stretch over every key of a clip."""
    return max(
        max_edge_stretch(
            vertices, skin(vertices, joints, weights, joint_matrices(skeleton, clip, key)), faces
        )
        for key in range(len(clip.times_s))
    )


def damped(clip: Clip, share: float) -> Clip:
    """The clip with `share` of its motion: every rotation and root offset scaled toward the rest pose."""
    rotations = {
        joint: Rotation.from_rotvec(share * Rotation.from_quat(quats).as_rotvec()).as_quat()
        for joint, quats in clip.rotations.items()
    }
    offsets = None if clip.root_offsets is None else clip.root_offsets * share
    return replace(clip, rotations=rotations, root_offsets=offsets, motion_share=clip.motion_share * share)


def untorn(
    clip: Clip,
    skeleton: Skeleton,
    vertices: np.ndarray,
    faces: np.ndarray,
    joints: np.ndarray,
    weights: np.ndarray,
) -> Clip:
    """The clip, or the largest share of its motion (by bisection) that stretches no edge past MAX_CLIP_STRETCH.

    A picture can fuse what the skeleton keeps apart (a side view's near and far legs, or
    crossing legs whose feet touch); bones inside one part of the mesh moving apart would
    tear it, so the motion is made smaller instead, and the clip says by how much.
    """
    if clip_stretch(vertices, faces, joints, weights, skeleton, clip) <= MAX_CLIP_STRETCH:
        return clip
    low, high = 0.0, 1.0
    for _ in range(DAMPING_STEPS):
        middle = (low + high) / 2
        if clip_stretch(vertices, faces, joints, weights, skeleton, damped(clip, middle)) <= MAX_CLIP_STRETCH:
            low = middle
        else:
            high = middle
    return damped(clip, low)

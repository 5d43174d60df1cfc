"""Joint tables and the plain data a rig is made of: skeleton, skin weights, clips.

Frames: a skeleton's positions are in whatever frame its mesh is in (the view frame
while placing, the asset frame once rigged); +Y up, +Z toward the viewer. A character
facing the viewer has its own left (`.L`) at +X, on the picture's right.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The documented humanoid skeleton (README, "Rigging"). Each joint sits at the start of
# its bone: upper_arm at the shoulder, lower_arm at the elbow, hand at the wrist,
# upper_leg at the hip joint, lower_leg at the knee, foot at the ankle, neck at the base
# of the neck, hips at the pelvis.
HUMANOID_JOINTS: tuple[str, ...] = (
    "hips",
    "spine",
    "chest",
    "neck",
    "head",
    "upper_arm.L",
    "lower_arm.L",
    "hand.L",
    "upper_arm.R",
    "lower_arm.R",
    "hand.R",
    "upper_leg.L",
    "lower_leg.L",
    "foot.L",
    "upper_leg.R",
    "lower_leg.R",
    "foot.R",
)
HUMANOID_PARENTS: dict[str, str | None] = {
    "hips": None,
    "spine": "hips",
    "chest": "spine",
    "neck": "chest",
    "head": "neck",
    "upper_arm.L": "chest",
    "lower_arm.L": "upper_arm.L",
    "hand.L": "lower_arm.L",
    "upper_arm.R": "chest",
    "lower_arm.R": "upper_arm.R",
    "hand.R": "lower_arm.R",
    "upper_leg.L": "hips",
    "lower_leg.L": "upper_leg.L",
    "foot.L": "lower_leg.L",
    "upper_leg.R": "hips",
    "lower_leg.R": "upper_leg.R",
    "foot.R": "lower_leg.R",
}
# A joint's bone runs to this child (the others branch off it); leaves end at their tip.
HUMANOID_BONE_CHILD: dict[str, str] = {
    "hips": "spine",
    "spine": "chest",
    "chest": "neck",
    "neck": "head",
    "upper_arm.L": "lower_arm.L",
    "lower_arm.L": "hand.L",
    "upper_arm.R": "lower_arm.R",
    "lower_arm.R": "hand.R",
    "upper_leg.L": "lower_leg.L",
    "lower_leg.L": "foot.L",
    "upper_leg.R": "lower_leg.R",
    "lower_leg.R": "foot.R",
}
HUMANOID_TIPS: tuple[str, ...] = ("head", "hand.L", "hand.R", "foot.L", "foot.R")

SKELETON_KINDS = ("humanoid", "chain")


@dataclass(frozen=True)
class Skeleton:
    """Named joints in a tree; each joint's bone runs from `positions[j]` to `tails[j]`.

    Parents come before their children, so a forward pass over the joints can compose
    transforms. `tails` of leaf joints are the limb tips (top of the head, fingertips,
    toes); the skin weights are computed against these bone segments.
    """

    kind: str  # humanoid | chain
    names: tuple[str, ...]
    parents: tuple[int, ...]  # index of each joint's parent, -1 for the root
    positions: np.ndarray  # (J, 3) float64
    tails: np.ndarray  # (J, 3) float64

    def __post_init__(self) -> None:
        if self.kind not in SKELETON_KINDS:
            raise ValueError(f"unknown skeleton kind {self.kind!r}")
        if any(parent >= index for index, parent in enumerate(self.parents)):
            raise ValueError("every joint's parent must come before it")

    def position(self, name: str) -> np.ndarray:
        return self.positions[self.names.index(name)]

    def transformed(self, offset: np.ndarray, scale: float) -> Skeleton:
        """The same skeleton in another frame: (p + offset) * scale."""
        return Skeleton(
            kind=self.kind,
            names=self.names,
            parents=self.parents,
            positions=(self.positions + offset) * scale,
            tails=(self.tails + offset) * scale,
        )


def humanoid_skeleton(joints: dict[str, np.ndarray], tips: dict[str, np.ndarray]) -> Skeleton:
    """A humanoid Skeleton from joint positions by name and the five limb tips."""
    positions = np.array([joints[name] for name in HUMANOID_JOINTS], dtype=np.float64)
    tails = np.array(
        [
            joints[HUMANOID_BONE_CHILD[name]] if name in HUMANOID_BONE_CHILD else tips[name]
            for name in HUMANOID_JOINTS
        ],
        dtype=np.float64,
    )
    parents = tuple(
        -1 if HUMANOID_PARENTS[name] is None else HUMANOID_JOINTS.index(HUMANOID_PARENTS[name])  # type: ignore[arg-type]
        for name in HUMANOID_JOINTS
    )
    return Skeleton("humanoid", HUMANOID_JOINTS, parents, positions, tails)


@dataclass(frozen=True)
class Clip:
    """One animation: per-joint local rotations (and root translation) keyed in time.

    Rotations are unit quaternions (x, y, z, w) applied on top of the rest pose, in the
    parent's frame; the rest pose has identity rotations, so these are world axes at rest.
    """

    name: str
    times_s: np.ndarray  # (K,)
    rotations: dict[int, np.ndarray] = field(default_factory=dict)  # joint -> (K, 4)
    root_offsets: np.ndarray | None = None  # (K, 3) added to the root's rest translation


@dataclass(frozen=True)
class Rig:
    """A skeleton bound to a mesh: up to 4 influences per vertex, and its clips."""

    skeleton: Skeleton
    joints: np.ndarray  # (V, 4) int, indices into skeleton.names
    weights: np.ndarray  # (V, 4) float32, rows sum to 1
    clips: tuple[Clip, ...]
    confidence: float  # how well the skeleton template fits the shape, in [0, 1]

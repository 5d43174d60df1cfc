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

# The documented quadruped skeleton (README, "Rigging"): 18 joints, each at the start of its
# bone, the animal's own left `.L`. Seen from the side with its head toward +X, the viewer
# sees its right side: `.R` legs are the near ones (+Z), `.L` the far ones.
#
# | joint              | parent             | sits at                                  |
# |--------------------|--------------------|------------------------------------------|
# | hips               | (root)             | the pelvis, between the hind hip joints  |
# | spine              | hips               | the middle of the back                   |
# | chest              | spine              | between the shoulders                    |
# | neck               | chest              | the base of the neck                     |
# | head               | neck               | the top of the neck (skull base)         |
# | tail               | hips               | the root of the tail                     |
# | front_upper_leg.L  | chest              | the shoulder joint                       |
# | front_lower_leg.L  | front_upper_leg.L  | the elbow                                |
# | front_foot.L       | front_lower_leg.L  | the wrist (front ankle)                  |
# | back_upper_leg.L   | hips               | the hip joint                            |
# | back_lower_leg.L   | back_upper_leg.L   | the knee (stifle)                        |
# | back_foot.L        | back_lower_leg.L   | the hock (hind ankle)                    |
# | (.R: the same four legs on the right)   |                                          |
#
# Leaf bones end at tips: the nose (head), the tail's end, each foot's toe.
QUADRUPED_JOINTS: tuple[str, ...] = (
    "hips",
    "spine",
    "chest",
    "neck",
    "head",
    "tail",
    "front_upper_leg.L",
    "front_lower_leg.L",
    "front_foot.L",
    "front_upper_leg.R",
    "front_lower_leg.R",
    "front_foot.R",
    "back_upper_leg.L",
    "back_lower_leg.L",
    "back_foot.L",
    "back_upper_leg.R",
    "back_lower_leg.R",
    "back_foot.R",
)
QUADRUPED_PARENTS: dict[str, str | None] = {
    "hips": None,
    "spine": "hips",
    "chest": "spine",
    "neck": "chest",
    "head": "neck",
    "tail": "hips",
    **{
        f"{end}_{part}{side}": parent
        for side in (".L", ".R")
        for end, root in (("front", "chest"), ("back", "hips"))
        for part, parent in (
            ("upper_leg", root),
            ("lower_leg", f"{end}_upper_leg{side}"),
            ("foot", f"{end}_lower_leg{side}"),
        )
    },
}
QUADRUPED_BONE_CHILD: dict[str, str] = {
    "hips": "spine",
    "spine": "chest",
    "chest": "neck",
    "neck": "head",
    **{
        f"{end}_{part}{side}": f"{end}_{child}{side}"
        for side in (".L", ".R")
        for end in ("front", "back")
        for part, child in (("upper_leg", "lower_leg"), ("lower_leg", "foot"))
    },
}
QUADRUPED_TIPS: tuple[str, ...] = (
    "head",
    "tail",
    "front_foot.L",
    "front_foot.R",
    "back_foot.L",
    "back_foot.R",
)

SKELETON_KINDS = ("humanoid", "quadruped", "chain")


@dataclass(frozen=True)
class Skeleton:
    """Named joints in a tree; each joint's bone runs from `positions[j]` to `tails[j]`.

    Parents come before their children, so a forward pass over the joints can compose
    transforms. `tails` of leaf joints are the limb tips (top of the head, fingertips,
    toes); the skin weights are computed against these bone segments.
    """

    kind: str  # humanoid | quadruped | chain
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


def _table_skeleton(
    kind: str,
    names: tuple[str, ...],
    parents: dict[str, str | None],
    bone_child: dict[str, str],
    joints: dict[str, np.ndarray],
    tips: dict[str, np.ndarray],
) -> Skeleton:
    positions = np.array([joints[name] for name in names], dtype=np.float64)
    tails = np.array(
        [joints[bone_child[name]] if name in bone_child else tips[name] for name in names], dtype=np.float64
    )
    parent_index = tuple(-1 if parents[name] is None else names.index(parents[name]) for name in names)  # type: ignore[arg-type]
    return Skeleton(kind, names, parent_index, positions, tails)


def humanoid_skeleton(joints: dict[str, np.ndarray], tips: dict[str, np.ndarray]) -> Skeleton:
    """A humanoid Skeleton from joint positions by name and the five limb tips."""
    return _table_skeleton("humanoid", HUMANOID_JOINTS, HUMANOID_PARENTS, HUMANOID_BONE_CHILD, joints, tips)


def quadruped_skeleton(joints: dict[str, np.ndarray], tips: dict[str, np.ndarray]) -> Skeleton:
    """A quadruped Skeleton from joint positions by name and the six tips (nose, tail end, four toes)."""
    return _table_skeleton(
        "quadruped", QUADRUPED_JOINTS, QUADRUPED_PARENTS, QUADRUPED_BONE_CHILD, joints, tips
    )


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
    motion_share: float = 1.0  # below 1 when the clip was damped so its mesh does not tear


@dataclass(frozen=True)
class Rig:
    """A skeleton bound to a mesh: up to 4 influences per vertex, and its clips."""

    skeleton: Skeleton
    joints: np.ndarray  # (V, 4) int, indices into skeleton.names
    weights: np.ndarray  # (V, 4) float32, rows sum to 1
    clips: tuple[Clip, ...]
    confidence: float  # how well the skeleton template fits the shape, in [0, 1]

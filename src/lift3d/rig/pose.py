"""Poses from pictures: a humanoid's joints found on each frame's outline, bones turned to meet them.

Each frame's joints are placed exactly as the rig places them on the rest picture
(`place.py`: medial axis, humanoid reading, fitted template), so a frame in the rest
pose gives the rest skeleton back. The pose is then 2D inverse kinematics in the
picture plane: from the hips outward, each bone turns about the view axis (+Z) so it
points from where its joint now is at its child's found position (a leaf at its found
tip). Bones keep their length and depth; only what the picture shows is fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from lift3d.rig.place import (
    HUMANOID_MIN_CONFIDENCE,
    REFERENCE_SIZE_PX,
    humanoid_paths,
    outline_graph,
    place_humanoid,
)
from lift3d.rig.skeleton import HUMANOID_BONE_CHILD, HUMANOID_JOINTS, HUMANOID_TIPS, Clip, Rig, Skeleton

# A bone whose picture-plane length is below this share of its length points at the
# viewer (a foot seen from the front): its direction in the picture says nothing, so it
# keeps its parent's turn.
MIN_VISIBLE_SHARE = 0.3
# A frame's reading is kept when the picture-plane length of its trunk (hips to the top of
# the head) and of each limb (root joint to tip) is within these ratios of the rest
# skeleton's: a misread outline (a head pruned away, a hand taken for the head) stretches
# or shrinks a chain far more than a limb turning toward the viewer does.
CHAIN_LENGTH_RATIOS = (0.8, 1.3)
CHAINS: tuple[tuple[str, ...], ...] = (
    ("hips", "spine", "chest", "neck", "head", "head.tip"),
    ("upper_arm.L", "lower_arm.L", "hand.L", "hand.L.tip"),
    ("upper_arm.R", "lower_arm.R", "hand.R", "hand.R.tip"),
    ("upper_leg.L", "lower_leg.L", "foot.L", "foot.L.tip"),
    ("upper_leg.R", "lower_leg.R", "foot.R", "foot.R.tip"),
)
# Silhouette refinement: turn and shift steps, coarse to fine, and sweeps over the joints per step.
REFINE_TURNS_DEG = (4.0, 1.5)
REFINE_SHIFTS_PX = (1.0, 0.5)
REFINE_SWEEPS = 2
REFINE_MAX_STEPS = 8  # steps one joint may take in one direction per sweep
# The joints refined: the trunk turns as one at the hips, and a foot seen from the front
# points at the viewer, so its turn hardly shows.
REFINED_JOINTS = (
    "hips", "head", "upper_arm.L", "lower_arm.L", "hand.L", "upper_arm.R", "lower_arm.R", "hand.R",
    "upper_leg.L", "lower_leg.L", "upper_leg.R", "lower_leg.R",
)  # fmt: skip
SUPERSAMPLE = 4
FIT_FACES = 1500
# Silhouettes are fitted with the character about this many pixels tall (picture pixels
# are scaled down to it, never up).
REFINE_HEIGHT_PX = 160
# The trunk's joints move as one rigid piece (see solve_pose).
TRUNK = ("hips", "spine", "chest", "neck")
# The 2D points of a frame: the joints, then the limb tips.
POINT_NAMES: tuple[str, ...] = HUMANOID_JOINTS + tuple(f"{name}.tip" for name in HUMANOID_TIPS)


@dataclass(frozen=True)
class FrameJoints:
    """A humanoid's joints and limb tips found on one outline, as (row, column) pixels of its mask."""

    points: np.ndarray  # (len(POINT_NAMES), 2)
    confidence: float


@dataclass(frozen=True)
class PictureToAsset:
    """The similarity from picture pixels (column, row) to the asset's (x, y): asset = scale * (c, -r) + offset."""

    scale: float
    offset: np.ndarray  # (2,)

    def apply(self, points_rc: np.ndarray) -> np.ndarray:
        return self.scale * np.column_stack([points_rc[:, 1], -points_rc[:, 0]]) + self.offset

    def inverse(self, points_xy: np.ndarray) -> np.ndarray:
        """Asset (x, y) -> picture (row, column)."""
        local = (points_xy - self.offset) / self.scale
        return np.column_stack([-local[:, 1], local[:, 0]])


def frame_joints(mask: np.ndarray) -> FrameJoints | None:
    """The humanoid's 2D joints on a square mask framed like a cutout; None when it does not read as one."""
    graph = outline_graph(mask)
    reading = humanoid_paths(graph)
    if reading is None or reading.confidence < HUMANOID_MIN_CONFIDENCE:
        return None
    joints = place_humanoid(reading, mask.shape[0] / REFERENCE_SIZE_PX)
    points = [joints[name] for name in HUMANOID_JOINTS] + [reading.tips[name] for name in HUMANOID_TIPS]
    return FrameJoints(points=np.array(points, dtype=np.float64), confidence=reading.confidence)


def skeleton_points(skeleton: Skeleton) -> np.ndarray:
    """The skeleton's joints then limb tips, (len(POINT_NAMES), 3), in POINT_NAMES order."""
    tips = [skeleton.tails[skeleton.names.index(name)] for name in HUMANOID_TIPS]
    return np.vstack([skeleton.positions, np.array(tips)])


def picture_to_asset(mask: np.ndarray, vertices: np.ndarray) -> PictureToAsset:
    """The similarity that lays the rest mesh's (x, y) box onto its picture's mask box.

    The reconstruction spans the mask, and the asset is that mesh scaled and moved, so
    the two boxes are the same rectangle in two units (the flipbook places its frames so too).
    """
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    low, high = vertices[:, :2].min(axis=0), vertices[:, :2].max(axis=0)
    scale = float(high[1] - low[1]) / float(rows[-1] + 1 - rows[0])
    centre_px = np.array([(columns[0] + columns[-1] + 1) / 2 - 0.5, -((rows[0] + rows[-1] + 1) / 2 - 0.5)])
    return PictureToAsset(scale=scale, offset=(low + high) / 2 - scale * centre_px)


def chains_read(skeleton: Skeleton, targets_xy: np.ndarray) -> list[bool]:
    """For each of CHAINS, whether its found points (asset frame) could be the rest chain moved.

    A chain whose picture-plane length is outside CHAIN_LENGTH_RATIOS of the rest
    skeleton's was misread; without the trunk (the first chain) nothing of the frame is.
    """
    rest = skeleton_points(skeleton)[:, :2]
    low, high = CHAIN_LENGTH_RATIOS
    read = []
    for chain in CHAINS:
        index = [POINT_NAMES.index(name) for name in chain]
        found = np.linalg.norm(np.diff(targets_xy[index], axis=0), axis=1).sum()
        expected = np.linalg.norm(np.diff(rest[index], axis=0), axis=1).sum()
        read.append(bool(low * expected <= found <= high * expected))
    return read


def drop_misread(skeleton: Skeleton, targets_xy: np.ndarray | None) -> np.ndarray | None:
    """The targets with each misread limb's points set to NaN; None when the trunk is misread."""
    if targets_xy is None:
        return None
    read = chains_read(skeleton, targets_xy)
    if not read[0]:
        return None
    kept = targets_xy.copy()
    for chain, ok in zip(CHAINS[1:], read[1:], strict=True):
        if not ok:
            kept[[POINT_NAMES.index(name) for name in chain]] = np.nan
    return kept


def _angle(vector: np.ndarray) -> float:
    return float(np.arctan2(vector[1], vector[0]))


def _turn_z(angle: float, vector: np.ndarray) -> np.ndarray:
    cosine, sine = np.cos(angle), np.sin(angle)
    return np.array([cosine * vector[0] - sine * vector[1], sine * vector[0] + cosine * vector[1], vector[2]])


def _trunk_fit(rest_xy: np.ndarray, found_xy: np.ndarray) -> tuple[float, np.ndarray]:
    """The turn (radians) and shift taking the rest trunk onto the found one, rigidly (2D Procrustes)."""
    rest_mean, found_mean = rest_xy.mean(axis=0), found_xy.mean(axis=0)
    a, b = rest_xy - rest_mean, found_xy - found_mean
    turn = float(np.arctan2((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum(), (a * b).sum()))
    cosine, sine = np.cos(turn), np.sin(turn)
    rotated_mean = np.array(
        [cosine * rest_mean[0] - sine * rest_mean[1], sine * rest_mean[0] + cosine * rest_mean[1]]
    )
    return turn, found_mean - rotated_mean


def solve_pose(skeleton: Skeleton, targets_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2D inverse kinematics: per-joint world turns about +Z (radians) and the root's offset.

    `targets_xy` are the frame's found points (POINT_NAMES order) in the asset's frame;
    a misread limb's are NaN, and so are its joints' turns.
    The trunk (hips to neck) moves as one rigid piece fitted to its found points: its
    short bones would swing the whole body on a pixel's error. Every other bone then
    turns so it points from its posed joint at its child's found position.
    """
    if skeleton.kind != "humanoid":
        raise ValueError("frame poses are fitted to a humanoid skeleton")
    names = skeleton.names
    target = {name: targets_xy[index] for index, name in enumerate(POINT_NAMES)}
    trunk = [POINT_NAMES.index(name) for name in TRUNK]
    trunk_turn, shift = _trunk_fit(skeleton_points(skeleton)[trunk, :2], targets_xy[trunk])
    world = np.zeros(len(names))
    posed = skeleton.positions.copy()
    root_offset = np.zeros(3)
    for joint, parent in enumerate(skeleton.parents):
        name = names[joint]
        if parent < 0:
            posed[joint] = _turn_z(trunk_turn, skeleton.positions[joint]) + np.append(shift, 0.0)
            root_offset = posed[joint] - skeleton.positions[joint]
            parent_turn = 0.0
        else:
            parent_turn = world[parent]
            rest_offset = skeleton.positions[joint] - skeleton.positions[parent]
            posed[joint] = posed[parent] + _turn_z(parent_turn, rest_offset)
        if name in TRUNK:
            world[joint] = trunk_turn
            continue
        bone = _turn_z(parent_turn, skeleton.tails[joint] - skeleton.positions[joint])
        aim = target[HUMANOID_BONE_CHILD.get(name, f"{name}.tip")] - posed[joint, :2]
        if np.isnan(aim).any() or np.isnan(parent_turn):  # a misread limb: left for its neighbours' poses
            world[joint] = np.nan
            continue
        visible = np.linalg.norm(bone[:2]) >= MIN_VISIBLE_SHARE * np.linalg.norm(bone)
        if visible and np.linalg.norm(aim) > 1e-9:
            turn = np.angle(np.exp(1j * (_angle(aim) - _angle(bone[:2]))))
            world[joint] = parent_turn + float(turn)
        else:
            world[joint] = parent_turn
    return world, root_offset


@dataclass(frozen=True)
class SilhouetteFit:
    """The skinned mesh drawn in one frame's pixels, to fit a pose to its outline (analysis by synthesis).

    Poses are turns about the view axis, as `solve_pose` gives them, so only the
    picture-plane (x, y) of the mesh moves and a face that faces the viewer at rest
    always does: the front faces alone cover a closed mesh's silhouette. They are drawn
    with OpenCV's polygon filler at `scale` times the picture's resolution.
    """

    vertices: np.ndarray  # (V, 3) the rest mesh (or a coarser copy of it), asset frame
    faces: np.ndarray  # (F, 3) the faces toward the viewer
    weight_matrix: np.ndarray  # (V, J) skin weights
    skeleton: Skeleton
    to_asset: PictureToAsset
    scale: float  # drawn pixels per picture pixel

    @classmethod
    def of_rig(
        cls, vertices: np.ndarray, faces: np.ndarray, rig: Rig, to_asset: PictureToAsset, scale: float
    ) -> SilhouetteFit:
        """The fit for a rigged mesh, drawn from a copy of at most FIT_FACES faces (the filler's cost is per face).

        The copy's vertices take the skin weights of the nearest rest vertex.
        """
        from scipy.spatial import cKDTree

        from lift3d.asset.decimate import decimate_mesh

        coarse_vertices, coarse_faces = vertices, faces
        if len(faces) > FIT_FACES:
            # the asset's seams split vertices; merged, the mesh is closed again
            coarse = decimate_mesh(trimesh.Trimesh(vertices, faces, process=True), FIT_FACES)
            coarse_vertices, coarse_faces = np.asarray(coarse.vertices), np.asarray(coarse.faces)
        _, nearest = cKDTree(vertices).query(coarse_vertices)
        weight_matrix = np.zeros((len(coarse_vertices), len(rig.skeleton.names)))
        rows = np.repeat(np.arange(len(coarse_vertices)), rig.joints.shape[1])
        np.add.at(weight_matrix, (rows, rig.joints[nearest].ravel()), rig.weights[nearest].ravel())
        corners = coarse_vertices[coarse_faces]
        facing = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])[:, 2] > 0
        return cls(coarse_vertices, coarse_faces[facing], weight_matrix, rig.skeleton, to_asset, scale)

    def posed_xy(self, world: np.ndarray, root_offset: np.ndarray) -> np.ndarray:
        """(V, 2) skinned vertices in the asset frame for world turns and a root offset."""
        rest = self.skeleton.positions[:, :2]
        cosine, sine = np.cos(world), np.sin(world)
        posed = np.zeros_like(rest)
        for joint, parent in enumerate(self.skeleton.parents):
            if parent < 0:
                posed[joint] = rest[joint] + root_offset[:2]
            else:
                x, y = rest[joint] - rest[parent]
                posed[joint] = posed[parent] + (
                    cosine[parent] * x - sine[parent] * y,
                    sine[parent] * x + cosine[parent] * y,
                )
        # each joint's 2D affine map (a b c; d e f), blended per vertex by its weights
        shift = posed - np.column_stack(
            [cosine * rest[:, 0] - sine * rest[:, 1], sine * rest[:, 0] + cosine * rest[:, 1]]
        )
        affine = np.column_stack([cosine, -sine, shift[:, 0], sine, cosine, shift[:, 1]])  # (J, 6)
        blended = self.weight_matrix @ affine  # (V, 6)
        x, y = self.vertices[:, 0], self.vertices[:, 1]
        return np.column_stack(
            [
                blended[:, 0] * x + blended[:, 1] * y + blended[:, 2],
                blended[:, 3] * x + blended[:, 4] * y + blended[:, 5],
            ]
        )

    def draw(self, world: np.ndarray, root_offset: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        """The silhouette as a bool mask of `shape` (the picture's shape times `scale`).

        The filler marks every pixel a polygon's edge touches, a fat half pixel all round;
        drawn SUPERSAMPLE times finer and averaged, the mask holds the pixels mostly covered.
        """
        import cv2

        points_rc = self.to_asset.inverse(self.posed_xy(world, root_offset))
        fine = self.scale * SUPERSAMPLE
        # picture pixel centres -> fine pixel centres, in 1/16 pixel fixed point
        points = np.round(((points_rc[:, ::-1] + 0.5) * fine - 0.5) * 16).astype(np.int32)
        canvas = np.zeros((shape[0] * SUPERSAMPLE, shape[1] * SUPERSAMPLE), dtype=np.uint8)
        cv2.fillPoly(canvas, list(points[self.faces]), 1, lineType=cv2.LINE_8, shift=4)
        coverage = cv2.resize(canvas * 255, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
        return coverage >= 128


def refine_pose(
    fit: SilhouetteFit, mask: np.ndarray, world: np.ndarray, root_offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Nudge the root and each joint's turn while the silhouette's IoU with `mask` improves.

    Coordinate descent from the IK pose, coarse to fine (REFINE_TURNS_DEG, REFINE_SHIFTS_PX);
    the trunk stays one rigid piece. Returns the turns, the root offset, and the IoU before
    and after.
    """
    parents = fit.skeleton.parents
    names = fit.skeleton.names
    local = world - np.array([world[parent] if parent >= 0 else 0.0 for parent in parents])
    offset = np.asarray(root_offset, dtype=np.float64).copy()
    free = [names.index(name) for name in REFINED_JOINTS]

    def world_of(local_turns: np.ndarray) -> np.ndarray:
        turns = np.zeros(len(parents))
        for joint, parent in enumerate(parents):
            turns[joint] = local_turns[joint] + (turns[parent] if parent >= 0 else 0.0)
        return turns

    def score(local_turns: np.ndarray, shift: np.ndarray) -> float:
        drawn = fit.draw(world_of(local_turns), shift, mask.shape)
        union = np.logical_or(drawn, mask).sum()
        return float(np.logical_and(drawn, mask).sum() / union) if union else 0.0

    best = start = score(local, offset)
    for turn_deg, shift_px in zip(REFINE_TURNS_DEG, REFINE_SHIFTS_PX, strict=True):
        shift_m = shift_px * abs(fit.to_asset.scale) / fit.scale
        for _ in range(REFINE_SWEEPS):
            improved = False
            for axis in range(2):
                for sign in (1.0, -1.0):
                    trial = offset.copy()
                    trial[axis] += sign * shift_m
                    value = score(local, trial)
                    if value > best:
                        best, offset, improved = value, trial, True
                        break
            for joint in free:
                for sign in (1.0, -1.0):
                    moved = False
                    for _ in range(REFINE_MAX_STEPS):  # keep turning while it helps
                        trial = local.copy()
                        trial[joint] += sign * np.radians(turn_deg)
                        value = score(trial, offset)
                        if value <= best:
                            break
                        best, local, improved, moved = value, trial, True, True
                    if moved:
                        break
            if not improved:
                break
    return world_of(local), offset, start, best


def local_rotations(skeleton: Skeleton, world: np.ndarray) -> np.ndarray:
    """(J, 4) quaternions (x, y, z, w): each joint's turn relative to its parent's."""
    parent_turn = np.array([world[parent] if parent >= 0 else 0.0 for parent in skeleton.parents])
    return Rotation.from_rotvec(np.outer(world - parent_turn, [0.0, 0.0, 1.0])).as_quat()


def frame_poses(skeleton: Skeleton, targets: Sequence[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """World turns (N, J) and root offsets (N, 3) per frame: solved where read, else blended.

    Each joint's turn relative to its parent is blended on its own, so a frame with one
    misread arm keeps the rest of its pose; a joint never read in a frame takes the turn
    between its nearest read neighbours (the nearest one's at either end of the sequence).
    """
    read = [index for index, points in enumerate(targets) if points is not None]
    if not read:
        raise ValueError("no frame reads as a humanoid")
    count, joints = len(targets), len(skeleton.names)
    local = np.full((count, joints), np.nan)
    root = np.full((count, 3), np.nan)
    parents = np.array(skeleton.parents)
    for index in read:
        world, offset = solve_pose(skeleton, targets[index])  # type: ignore[arg-type]
        parent_turn = np.where(parents >= 0, world[np.maximum(parents, 0)], 0.0)
        local[index] = world - parent_turn
        root[index] = offset
    frames = np.arange(count)
    for joint in range(joints):
        known = np.flatnonzero(~np.isnan(local[:, joint]))
        # wrapped into (-pi, pi] and unwrapped over the known frames, so a blend takes the short way
        values = np.unwrap(np.angle(np.exp(1j * local[known, joint]))) if len(known) else np.zeros(0)
        local[:, joint] = np.interp(frames, known, values) if len(known) else 0.0
    for axis in range(3):
        known = np.flatnonzero(~np.isnan(root[:, axis]))
        root[:, axis] = np.interp(frames, known, root[known, axis])
    world = np.zeros_like(local)
    for joint, parent in enumerate(skeleton.parents):
        world[:, joint] = local[:, joint] + (world[:, parent] if parent >= 0 else 0.0)
    return world, root


def pose_clip(
    skeleton: Skeleton, world: np.ndarray, offsets: np.ndarray, frame_rate_fps: float, name: str = "frames"
) -> Clip:
    """One clip keyed at every frame's pose; a last key repeats the final pose so it lasts a full frame, as the flipbook's does."""
    world = np.vstack([world, world[-1:]])
    offsets = np.vstack([offsets, offsets[-1:]])
    times = np.arange(len(world)) / frame_rate_fps
    per_key = np.stack([local_rotations(skeleton, turn) for turn in world])  # (K, J, 4)
    rotations = {joint: per_key[:, joint] for joint in range(len(skeleton.names))}
    return Clip(name, times, rotations, offsets)

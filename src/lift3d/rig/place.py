"""Where joints go: limb branches from the outline's medial axis, a humanoid template fitted to them.

The outline's skeleton (scikit-image thinning) gives one branch per limb and the
distance to the outline gives each branch's thickness. Five ends that read as a head,
two hands and two feet make a humanoid: its joints are placed along the geodesic paths
between the ends at arclengths predicted from the path's length and thickness by a
linear template fitted on the data engine's characters (`HUMANOID_TEMPLATE`). Depth
comes from the shape maps: each joint sits midway between the front and back surface.
A side view of a four-legged animal is read by `quadruped.py` on the same graph;
`read_outline` chooses between the readings. Anything that reads as neither gets a
generic chain skeleton along its branches, rooted at its thickest point.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra
from skimage.morphology import skeletonize

from lift3d.rig.skeleton import HUMANOID_JOINTS, Skeleton, humanoid_skeleton, quadruped_skeleton

if TYPE_CHECKING:
    from lift3d.rig.quadruped import QuadrupedPaths

# A branch from an end to a junction shorter than this many times the thickness at its
# junction (plus SPUR_MIN_PX) is a bump of the outline, not a limb.
SPUR_THICKNESS_RATIO = 1.2
SPUR_MIN_PX = 3.0
SPUR_SWELL_RATIO = 0.9
# Below this confidence a shape is given a chain skeleton instead of the humanoid one.
HUMANOID_MIN_CONFIDENCE = 0.5
MAX_CHAIN_JOINTS = 32
REFERENCE_SIZE_PX = 128

# Which path each humanoid joint lies on, and the template: arclength along the path
# (pixels) = coefficients . path features (see `_path_features`). Fitted by least
# squares on training characters (seeds 10000-10299) with benchmarks/rig_tune.py; the
# held-out measurement is in benchmarks/rig_quality.py. Lengths are in pixels of a
# REFERENCE_SIZE_PX mask; other sizes are scaled to it.
JOINT_PATH: dict[str, str] = {
    "hips": "spine",
    "spine": "spine",
    "chest": "spine",
    "neck": "spine",
    "head": "spine",
    "upper_arm.L": "arm.L",
    "lower_arm.L": "arm.L",
    "hand.L": "arm.L",
    "upper_arm.R": "arm.R",
    "lower_arm.R": "arm.R",
    "hand.R": "arm.R",
    "upper_leg.L": "leg.L",
    "lower_leg.L": "leg.L",
    "foot.L": "leg.L",
    "upper_leg.R": "leg.R",
    "lower_leg.R": "leg.R",
    "foot.R": "leg.R",
}
FEATURE_NAMES = ("length", "start_thickness", "end_thickness", "junction", "one")
HUMANOID_TEMPLATE: dict[str, tuple[float, ...]] = {
    "hips": (-0.0315, 0.0293, 0.0561, 0.0547, -0.2486),  # rms 0.29 px, 97% kept
    "spine": (0.0999, 0.1318, -0.1682, 0.2975, -1.5306),  # rms 0.57 px, 90% kept
    "chest": (0.3371, 0.1859, -0.6242, 0.3483, -0.1147),  # rms 0.79 px, 89% kept
    "neck": (0.6030, 0.2108, -1.1084, 0.3410, 0.1882),  # rms 1.13 px, 89% kept
    "head": (0.9237, 0.0660, -1.7217, 0.0531, 0.3255),  # rms 0.74 px, 86% kept
    "upper_arm": (0.0372, 1.3123, -0.3363, 0.0000, -0.2736),  # rms 1.02 px, 93% kept
    "lower_arm": (0.4958, 0.6939, -0.7883, 0.0000, -1.1488),  # rms 1.26 px, 94% kept
    "hand": (0.9725, 0.0470, -1.5301, 0.0000, -1.4521),  # rms 0.88 px, 93% kept
    "upper_leg": (0.0177, 0.8295, -0.4829, 0.0000, 0.5157),  # rms 0.97 px, 97% kept
    "lower_leg": (0.5032, 0.3004, -0.4437, 0.0000, -0.2752),  # rms 1.32 px, 98% kept
    "foot": (1.0041, -0.3366, -0.2180, 0.0000, -1.1358),  # rms 0.62 px, 89% kept
}


@dataclass(frozen=True)
class OutlineGraph:
    """The pruned medial axis of a mask as a graph of pixels, with thickness."""

    pixels: np.ndarray  # (N, 2) float (row, column)
    thickness: np.ndarray  # (N,) distance to the outline in pixels
    graph: sparse.csr_matrix  # (N, N) step lengths between 8-neighbours
    ends: np.ndarray  # indices of pixels with one neighbour

    def degree(self) -> np.ndarray:
        return np.diff(self.graph.indptr)


@dataclass(frozen=True)
class Path:
    """A polyline on the medial axis (pixels), optionally extended to the outline at its end."""

    points: np.ndarray  # (P, 2) (row, column)
    thickness: np.ndarray  # (P,)
    junction_px: float = 0.0  # arclength of a landmark on the path (the arms' junction on the spine)

    @property
    def arclength(self) -> np.ndarray:
        steps = np.linalg.norm(np.diff(self.points, axis=0), axis=1)
        return np.concatenate([[0.0], np.cumsum(steps)])

    def at(self, distance_px: float) -> np.ndarray:
        """The point `distance_px` along the path (clamped to its ends)."""
        arclength = self.arclength
        distance = float(np.clip(distance_px, 0.0, arclength[-1]))
        return np.array([np.interp(distance, arclength, self.points[:, axis]) for axis in range(2)])

    def project(self, point: np.ndarray) -> float:
        """Arclength of the path point closest to `point`."""
        start, end = self.points[:-1], self.points[1:]
        segment = end - start
        length_sq = np.maximum((segment**2).sum(axis=1), 1e-12)
        t = np.clip(((point - start) * segment).sum(axis=1) / length_sq, 0.0, 1.0)
        closest = start + t[:, None] * segment
        index = int(np.argmin(((closest - point) ** 2).sum(axis=1)))
        return float(self.arclength[index] + t[index] * np.sqrt(length_sq[index]))


@dataclass(frozen=True)
class HumanoidPaths:
    """The five limb paths of a humanoid reading of an outline."""

    paths: dict[str, Path]  # spine, arm.L, arm.R, leg.L, leg.R
    tips: dict[str, np.ndarray]  # head, hand.L, hand.R, foot.L, foot.R in (row, column)
    confidence: float


@dataclass(frozen=True)
class Placement:
    """The placed skeleton (view frame) and how confidently its template fits the shape."""

    skeleton: Skeleton
    confidence: float  # humanoid or quadruped template fit in [0, 1]; 0 for a chain skeleton


def outline_graph(mask: np.ndarray, keep_holes_share: float = 0.0) -> OutlineGraph:
    """The medial axis of the mask's largest component, with short spurs pruned.

    Holes are filled, except (with `keep_holes_share` > 0) those covering at least that
    share of the component: the gap a quadruped's crossing legs close under its belly.
    """
    unit_px = mask.shape[0] / REFERENCE_SIZE_PX
    labels, count = ndimage.label(mask)
    if count == 0:
        raise ValueError("the mask is empty")
    sizes = ndimage.sum(mask, labels, range(1, count + 1))
    component = labels == 1 + int(np.argmax(sizes))
    solid = ndimage.binary_fill_holes(component)
    if keep_holes_share > 0.0:
        holes, hole_count = ndimage.label(solid & ~component)
        hole_sizes = ndimage.sum(np.ones_like(holes), holes, range(1, hole_count + 1))
        large = np.flatnonzero(np.asarray(hole_sizes) >= keep_holes_share * component.sum()) + 1
        solid &= ~np.isin(holes, large)
    distance = ndimage.distance_transform_edt(solid)
    axis = skeletonize(solid)
    for _ in range(8):
        graph = _pixel_graph(axis, distance)
        pruned = _prune_spurs(axis, graph, SPUR_MIN_PX * unit_px)
        if pruned is None:
            return graph
        axis = pruned
    return _pixel_graph(axis, distance)


def _pixel_graph(axis: np.ndarray, distance: np.ndarray) -> OutlineGraph:
    rows, columns = np.nonzero(axis)
    index = -np.ones(axis.shape, dtype=np.int64)
    index[rows, columns] = np.arange(len(rows))
    sources, targets, steps = [], [], []
    padded = np.pad(index, 1, constant_values=-1)
    for d_row, d_column in ((0, 1), (1, -1), (1, 0), (1, 1)):
        neighbour = padded[rows + 1 + d_row, columns + 1 + d_column]
        linked = neighbour >= 0
        if d_row and d_column:
            # a diagonal step around a corner that a pair of straight steps already joins
            # would make every staircase pixel look like a junction
            corner = (padded[rows + 1 + d_row, columns + 1] >= 0) | (
                padded[rows + 1, columns + 1 + d_column] >= 0
            )
            linked &= ~corner
        sources.append(index[rows, columns][linked])
        targets.append(neighbour[linked])
        steps.append(np.full(int(linked.sum()), np.hypot(d_row, d_column)))
    source, target, step = (np.concatenate(values) for values in (sources, targets, steps))
    count = len(rows)
    graph = sparse.coo_matrix(
        (np.concatenate([step, step]), (np.concatenate([source, target]), np.concatenate([target, source]))),
        shape=(count, count),
    ).tocsr()
    degree = np.diff(graph.indptr)
    return OutlineGraph(
        pixels=np.column_stack([rows, columns]).astype(np.float64),
        thickness=distance[rows, columns].astype(np.float64),
        graph=graph,
        ends=np.flatnonzero(degree == 1),
    )


def _prune_spurs(axis: np.ndarray, graph: OutlineGraph, min_px: float) -> np.ndarray | None:
    """Remove end branches that are short for the thickness where they join; None if none are."""
    degree = graph.degree()
    if len(graph.ends) <= 2:
        return None
    removed = np.zeros(len(graph.pixels), dtype=bool)
    for end in graph.ends:
        branch, current, previous, length = [end], end, -1, 0.0
        while True:
            neighbours = graph.graph.indices[graph.graph.indptr[current] : graph.graph.indptr[current + 1]]
            onward = [n for n in neighbours if n != previous and n not in branch]
            if degree[current] >= 3 or not onward:
                break
            step = graph.graph[current, onward[0]]
            previous, current = current, onward[0]
            length += float(step)
            branch.append(current)
        short = length < SPUR_THICKNESS_RATIO * graph.thickness[current] + min_px
        # a bump of the outline thins toward its end; a short branch that swells (a round
        # head on a thin neck) is a part of its own
        outer = branch[: max(1, len(branch) // 3)]  # the third of the branch at its free end
        swells = graph.thickness[outer].max() >= SPUR_SWELL_RATIO * graph.thickness[current]
        if degree[current] >= 3 and short and not swells:
            removed[branch[:-1]] = True
    if not removed.any():
        return None
    pruned = axis.copy()
    rows, columns = graph.pixels[removed].astype(np.int64).T
    pruned[rows, columns] = False
    return skeletonize(pruned)


def _shortest_path(predecessors: np.ndarray, source: int, target: int) -> list[int]:
    path = [target]
    while path[-1] != source:
        previous = int(predecessors[path[-1]])
        if previous < 0:
            return []
        path.append(previous)
    return path[::-1]


def _extended_path(graph: OutlineGraph, nodes: list[int]) -> tuple[Path, np.ndarray]:
    """The path through `nodes`, run on past its last node to the outline (the limb's tip)."""
    points = graph.pixels[nodes]
    thickness = graph.thickness[nodes]
    back = points[max(0, len(points) - 6)]
    direction = points[-1] - back
    norm = np.linalg.norm(direction)
    direction = direction / norm if norm > 0 else np.zeros(2)
    tip = points[-1] + direction * thickness[-1]
    return Path(np.vstack([points, tip]), np.concatenate([thickness, [thickness[-1]]])), tip


def humanoid_paths(graph: OutlineGraph) -> HumanoidPaths | None:
    """Read the outline as head, hands and feet, or None when its ends cannot be read so."""
    ends = graph.ends
    if len(ends) < 5 or len(ends) > 8:
        return None
    distances, predecessors = dijkstra(graph.graph, indices=ends, return_predecessors=True)
    best: tuple[float, tuple[int, ...]] | None = None
    for choice in itertools.permutations(range(len(ends)), 5):
        head, hand_a, hand_b, foot_a, foot_b = choice
        if hand_a > hand_b or foot_a > foot_b:
            continue
        score = _assignment_score(graph, ends, distances, choice)
        if best is None or score > best[0]:
            best = (score, choice)
    if best is None or not np.isfinite(best[0]):
        return None
    head, *limbs = best[1]
    hand_a, hand_b, foot_a, foot_b = limbs
    # .L is on the picture's right (larger column) for a character facing the viewer
    if graph.pixels[ends[hand_a], 1] < graph.pixels[ends[hand_b], 1]:
        hand_a, hand_b = hand_b, hand_a
    if graph.pixels[ends[foot_a], 1] < graph.pixels[ends[foot_b], 1]:
        foot_a, foot_b = foot_b, foot_a
    head_to = {
        key: _shortest_path(predecessors[head], ends[head], ends[i])
        for key, i in (("hand.L", hand_a), ("hand.R", hand_b), ("foot.L", foot_a), ("foot.R", foot_b))
    }
    if not all(head_to.values()):
        return None
    left, right = head_to["foot.L"], head_to["foot.R"]
    split = (
        next(
            (i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b),
            min(len(left), len(right)),
        )
        - 1
    )
    pelvis = split
    spine_nodes = left[: pelvis + 1][::-1]  # pelvis -> head end
    spine_set = {node: position for position, node in enumerate(spine_nodes)}
    paths: dict[str, Path] = {}
    tips: dict[str, np.ndarray] = {}
    junctions = []
    for suffix in (".L", ".R"):
        to_hand = head_to["hand" + suffix]
        joins = max(i for i, node in enumerate(to_hand) if node in spine_set)
        junctions.append(spine_set[to_hand[joins]])
        paths["arm" + suffix], tips["hand" + suffix] = _extended_path(graph, to_hand[joins:])
        to_foot = head_to["foot" + suffix]
        paths["leg" + suffix], tips["foot" + suffix] = _extended_path(graph, to_foot[pelvis:])
    spine, tips["head"] = _extended_path(graph, spine_nodes)
    junction_px = float(np.mean([spine.arclength[j] for j in junctions]))
    paths["spine"] = Path(spine.points, spine.thickness, junction_px)
    confidence = _humanoid_confidence(graph, paths, len(ends))
    return HumanoidPaths(paths=paths, tips=tips, confidence=confidence)


def _assignment_score(
    graph: OutlineGraph, ends: np.ndarray, distances: np.ndarray, choice: tuple[int, ...]
) -> float:
    """How well five ends read as (head, hand, hand, foot, foot); higher is better."""
    head, hand_a, hand_b, foot_a, foot_b = choice
    row = graph.pixels[ends, 0]
    height = float(np.ptp(graph.pixels[:, 0])) + 1.0
    feet_low = min(row[foot_a], row[foot_b]) - max(row[head], row[hand_a], row[hand_b]) * 0.0
    # feet are the lowest ends, the head the thickest of the rest
    lowest = np.sort(row)[-2:]
    feet_rank = float(row[foot_a] + row[foot_b] - lowest.sum()) / height
    head_end = graph.thickness[ends[head]]
    hands_end = max(graph.thickness[ends[hand_a]], graph.thickness[ends[hand_b]])
    # the head's path to either foot is longer than a hand's path to the feet on its own side
    leg_symmetry = abs(distances[head, ends[foot_a]] - distances[head, ends[foot_b]]) / height
    score = 4.0 * feet_rank + (head_end - hands_end) / height * 10.0 - leg_symmetry
    score -= 0.5 * float(row[head] > feet_low)
    return score


def _humanoid_confidence(graph: OutlineGraph, paths: dict[str, Path], end_count: int) -> float:
    """A [0, 1] score of how plausible the humanoid reading is (1 = everything as expected)."""
    spine, legs, arms = paths["spine"], (paths["leg.L"], paths["leg.R"]), (paths["arm.L"], paths["arm.R"])
    checks = []
    checks.append(1.0 if end_count == 5 else 0.6)
    leg_lengths = [leg.arclength[-1] for leg in legs]
    checks.append(float(np.clip(2.0 - max(leg_lengths) / max(min(leg_lengths), 1.0), 0.0, 1.0)))
    arm_lengths = [arm.arclength[-1] for arm in arms]
    checks.append(float(np.clip(2.5 - max(arm_lengths) / max(min(arm_lengths), 1.0), 0.0, 1.0)))
    # feet below the pelvis, head above it, the arms join the spine above the legs
    pelvis_row = spine.points[0, 0]
    checks.append(1.0 if all(leg.points[-1, 0] > pelvis_row for leg in legs) else 0.0)
    checks.append(1.0 if spine.points[-1, 0] < pelvis_row else 0.0)
    checks.append(float(np.clip(spine.junction_px / max(spine.arclength[-1], 1.0) * 4.0, 0.0, 1.0)))
    # the trunk is thicker than the limbs
    limb = np.median(np.concatenate([path.thickness for path in (*legs, *arms)]))
    trunk = np.max(spine.thickness)
    checks.append(float(np.clip(trunk / max(limb, 1.0) - 0.5, 0.0, 1.0)))
    # limbs are tubes, long for their thickness (a box's corners are wedges that thin out)
    for path in (*legs, *arms):
        slenderness = path.arclength[-1] / max(float(np.median(path.thickness)), 1.0)
        checks.append(float(np.clip((slenderness - 2.0) / 2.0, 0.0, 1.0)))
    # the head is a round part, thicker than the limbs
    head = float(spine.thickness[-8:].max())
    checks.append(float(np.clip((head / max(limb, 1.0) - 1.0) / 0.5, 0.0, 1.0)))
    return float(np.prod(checks))


def _path_features(path: Path, unit_px: float = 1.0) -> np.ndarray:
    """Length, thickness at both ends and landmark arclength, in reference pixels (see REFERENCE_SIZE_PX)."""
    lengths = (
        np.array([path.arclength[-1], path.thickness[0], path.thickness[-1], path.junction_px]) / unit_px
    )
    return np.append(lengths, 1.0)


def template_key(name: str) -> str:
    return name.split(".")[0]


def place_humanoid(reading: HumanoidPaths, unit_px: float = 1.0) -> dict[str, np.ndarray]:
    """Joint positions (row, column) along the limb paths, by the fitted template.

    `unit_px` is the mask's size over REFERENCE_SIZE_PX.
    """
    joints = {}
    for name in HUMANOID_JOINTS:
        path = reading.paths[JOINT_PATH[name]]
        distance = unit_px * float(
            np.dot(HUMANOID_TEMPLATE[template_key(name)], _path_features(path, unit_px))
        )
        joints[name] = path.at(distance)
    return joints


def pixels_to_view(points: np.ndarray, size_px: int) -> np.ndarray:
    """(row, column) pixel coordinates -> view-frame (x, y)."""
    points = np.atleast_2d(points)
    return np.column_stack(
        [(2.0 * points[:, 1] + 1.0) / size_px - 1.0, 1.0 - (2.0 * points[:, 0] + 1.0) / size_px]
    )


def surfaces(
    points_px: np.ndarray, mask_px: int, front_z: np.ndarray, back_z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The front and back surface's depth at each point (maps may be coarser than the mask)."""
    scale = front_z.shape[0] / mask_px
    rows = np.clip(np.round((points_px[:, 0] + 0.5) * scale - 0.5).astype(int), 0, front_z.shape[0] - 1)
    columns = np.clip(np.round((points_px[:, 1] + 0.5) * scale - 0.5).astype(int), 0, front_z.shape[1] - 1)
    return front_z[rows, columns], back_z[rows, columns]


def _depth(points_px: np.ndarray, mask_px: int, front_z: np.ndarray, back_z: np.ndarray) -> np.ndarray:
    """Midway between the front and back surface at each point."""
    front, back = surfaces(points_px, mask_px, front_z, back_z)
    return (front + back) / 2.0


def _lift(points_px: np.ndarray, mask: np.ndarray, front_z: np.ndarray, back_z: np.ndarray) -> np.ndarray:
    xy = pixels_to_view(points_px, mask.shape[0])
    return np.column_stack([xy, _depth(points_px, mask.shape[0], front_z, back_z)])


@dataclass(frozen=True)
class OutlineReading:
    """Which skeleton an outline takes, how surely, and the reading that says so."""

    kind: str  # humanoid | quadruped | chain
    confidence: float  # the chosen template's fit in [0, 1]; 0 for a chain
    graph: OutlineGraph  # the medial axis the chosen reading (or the chain) follows
    humanoid: HumanoidPaths | None
    quadruped: QuadrupedPaths | None


def read_outline(mask: np.ndarray) -> OutlineReading:
    """Read the outline as a quadruped, a humanoid or neither (a chain).

    A quadruped is read on the medial axis that keeps the gaps under its belly (crossing
    legs close them), a humanoid on the filled outline. The quadruped reading comes first
    when it is sure enough: on training pictures it is specific (1 of 150 humanoids and 3
    of 280 other shapes reach QUADRUPED_MIN_CONFIDENCE, benchmarks/rig_quality.py) while
    the humanoid reading also fits some animals (a tail and a foot read as two hands).
    """
    from lift3d.rig.quadruped import (  # quadruped.py builds on this module's paths
        HOLE_SHARE_KEPT,
        QUADRUPED_MIN_CONFIDENCE,
        quadruped_paths,
    )

    filled = outline_graph(mask)
    humanoid = humanoid_paths(filled)
    open_graph = outline_graph(mask, HOLE_SHARE_KEPT)
    quadruped = quadruped_paths(open_graph, mask)
    humanoid_confidence = 0.0 if humanoid is None else humanoid.confidence
    quadruped_confidence = 0.0 if quadruped is None else quadruped.confidence
    if quadruped_confidence >= QUADRUPED_MIN_CONFIDENCE:
        return OutlineReading("quadruped", quadruped_confidence, open_graph, humanoid, quadruped)
    if humanoid_confidence >= HUMANOID_MIN_CONFIDENCE:
        return OutlineReading("humanoid", humanoid_confidence, filled, humanoid, quadruped)
    return OutlineReading("chain", 0.0, filled, humanoid, quadruped)


def place_skeleton(mask: np.ndarray, front_z: np.ndarray, back_z: np.ndarray) -> Placement:
    """The skeleton of the shape in the view frame: a quadruped or humanoid where its template fits, else a chain."""
    from lift3d.rig.quadruped import leg_depths, place_quadruped  # quadruped.py builds on this module's paths

    reading = read_outline(mask)
    unit_px = mask.shape[0] / REFERENCE_SIZE_PX
    if reading.kind == "chain":
        return Placement(skeleton=chain_skeleton(reading.graph, mask, front_z, back_z), confidence=0.0)
    if reading.kind == "quadruped":
        assert reading.quadruped is not None
        joints_px, tips_px = place_quadruped(reading.quadruped, unit_px), reading.quadruped.tips
        skeleton = quadruped_skeleton(
            leg_depths(reading.quadruped, joints_px, mask, front_z, back_z),
            leg_depths(reading.quadruped, tips_px, mask, front_z, back_z),
        )
        return Placement(skeleton=skeleton, confidence=reading.confidence)
    assert reading.humanoid is not None
    joints_px, tips_px = place_humanoid(reading.humanoid, unit_px), reading.humanoid.tips
    names = list(joints_px)
    lifted = _lift(np.array([joints_px[n] for n in names]), mask, front_z, back_z)
    tip_names = list(tips_px)
    tips = _lift(np.array([tips_px[n] for n in tip_names]), mask, front_z, back_z)
    skeleton = humanoid_skeleton(
        dict(zip(names, lifted, strict=True)), dict(zip(tip_names, tips, strict=True))
    )
    return Placement(skeleton=skeleton, confidence=reading.confidence)


def chain_skeleton(
    graph: OutlineGraph, mask: np.ndarray, front_z: np.ndarray, back_z: np.ndarray
) -> Skeleton:
    """A generic skeleton: a root at the thickest point and a chain of bones along each branch."""
    root = int(np.argmax(graph.thickness))
    height = float(np.ptp(np.nonzero(mask)[0])) + 1.0
    points: list[np.ndarray] = [graph.pixels[root]]
    parents: list[int] = [-1]
    tails: list[np.ndarray] = []
    names: list[str] = ["root"]
    if len(graph.ends) == 0:
        tails.append(graph.pixels[root] - np.array([graph.thickness[root], 0.0]))
    else:
        _, predecessors = dijkstra(graph.graph, indices=root, return_predecessors=True)
        owner = {root: 0}  # pixel -> joint whose bone covers it
        ends = sorted(graph.ends, key=lambda end: graph.thickness[end])
        for branch, end in enumerate(ends):
            nodes = _shortest_path(predecessors, root, int(end))
            if len(nodes) < 2 or len(points) >= MAX_CHAIN_JOINTS:
                continue
            start = max(i for i, node in enumerate(nodes) if node in owner)
            parent = owner[nodes[start]]
            path, tip = _extended_path(graph, nodes[start:])
            length = path.arclength[-1]
            bones = int(np.clip(round(length / (0.15 * height)), 1, 3))
            for bone in range(bones):
                if len(points) >= MAX_CHAIN_JOINTS:
                    break
                points.append(path.at(length * bone / bones))
                parents.append(parent)
                names.append(f"chain{branch}.{bone}")
                parent = len(points) - 1
            for node in nodes[start + 1 :]:
                owner[node] = parent
            tails.append(tip)
        tails = _chain_tails(points, parents, tails)
    positions = _lift(np.array(points), mask, front_z, back_z)
    tail_positions = _lift(np.array(tails), mask, front_z, back_z)
    parents_tuple = tuple(parents)
    return Skeleton("chain", tuple(names), parents_tuple, positions, tail_positions)


def _chain_tails(
    points: list[np.ndarray], parents: list[int], branch_tips: list[np.ndarray]
) -> list[np.ndarray]:
    """Each joint's bone ends at its first child, or at its branch's tip for the last joint."""
    tails: list[np.ndarray] = []
    children: dict[int, int] = {}
    for index, parent in enumerate(parents):
        if parent >= 0 and parent not in children:
            children[parent] = index
    leaves = [index for index in range(len(points)) if index not in children]
    leaf_tip = dict(zip(leaves, branch_tips, strict=False))
    for index in range(len(points)):
        if index in children:
            tails.append(points[children[index]])
        else:
            tails.append(leaf_tip.get(index, points[index] + np.array([-1.0, 0.0])))
    return tails

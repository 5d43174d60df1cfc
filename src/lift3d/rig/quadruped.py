"""Where a four-legged animal's joints go: its outline read as head, tail and feet, a quadruped template fitted.

An animal drawn from the side shows its feet as the lowest ends of the outline's medial
axis, its head as a thick end at one side above them and its tail as a thin end at the
other. The geodesic path from the tail to the head runs through the trunk (`spine`);
each foot's path up to the spine is a leg. Near and far legs often overlap in a side
view: two feet that touch make one end, which then serves both legs that stand there.
Joints are placed along these paths at arclengths predicted by a linear template
(`QUADRUPED_TEMPLATE`, fitted like the humanoid one on the data engine's animals), the
trunk's joints also moved across the path by a share of its thickness (hips and chest
sit on the trunk's midline, the leg joints below it). Depth comes from the shape maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import dijkstra

from lift3d.rig.place import OutlineGraph, Path, _extended_path, _shortest_path, pixels_to_view, surfaces
from lift3d.rig.skeleton import QUADRUPED_JOINTS

# Below this confidence an outline is not taken for a quadruped (as HUMANOID_MIN_CONFIDENCE).
QUADRUPED_MIN_CONFIDENCE = 0.5
# Gaps in the outline covering at least this share of it are kept (place.outline_graph): the
# gap under an animal's belly closed by crossing legs or touching feet.
HOLE_SHARE_KEPT = 0.01
# Ends this share of the outline's height above its lowest end still count as feet.
FEET_BAND_SHARE = 0.25
# Axis points within this share of the height of a foot belong to that foot.
FOOT_REACH_SHARE = 0.12
# Two legs read as one path stand apart by this share of the path's thickness, each way
# (the median over training animals, benchmarks/rig_tune.py --kind quadruped).
SHARED_LEG_SPREAD = 0.368
# A head or tail branch is at least this share of the height long (shorter ends are bumps).
MIN_BRANCH_SHARE = 0.08
# The head is told from the tail by the thickest point within this share of the height of the end.
END_REACH_SHARE = 0.15

# Which path each quadruped joint lies on. The four leg paths are named by slot: in a side
# view of an animal facing the picture's right, its near (right, `.R`) legs stand ahead of
# its far ones, so along the body from the tail the feet read back.L, back.R, front.L,
# front.R (mirrored for an animal facing left, whose near side is its left).
QUADRUPED_JOINT_PATH: dict[str, str] = {
    "hips": "spine",
    "spine": "spine",
    "chest": "spine",
    "neck": "spine",
    "head": "spine",
    "tail": "spine",
    # both shoulders (hips) sit below the trunk's midline, wherever the legs below them stand
    **{f"{end}_upper_leg{side}": "spine" for end in ("front", "back") for side in (".L", ".R")},
    **{
        f"{end}_{part}{side}": f"{end}_leg{side}"
        for end in ("front", "back")
        for side in (".L", ".R")
        for part in ("lower_leg", "foot")
    },
}
QUADRUPED_FEATURE_NAMES = (
    "length",
    "start_thickness",
    "end_thickness",
    "back_junction",
    "front_junction",
    "one",
)
# arclength (reference pixels) = coefficients[:6] . features; then a move across the path of
# coefficients[6] times the thickness there (toward the picture's bottom). Fitted on training
# animals (seeds 10000-10199) by benchmarks/rig_tune.py --kind quadruped.
QUADRUPED_TEMPLATE: dict[str, tuple[float, ...]] = {
    "hips": (-0.0479, 0.4968, -0.1755, 0.6101, 0.3645, -9.5554, 0.0036),  # rms 1.77 px, 87% kept
    "spine": (0.0837, 0.0009, -0.0305, 0.3663, 0.5468, -7.2712, -0.1387),  # rms 0.76 px, 84% kept
    "chest": (0.2161, -0.3564, -0.1827, 0.1204, 0.7001, -2.4348, 0.0439),  # rms 1.43 px, 94% kept
    "neck": (0.1432, -0.4109, -0.4085, 0.1028, 0.6530, 19.5172, 0.1630),  # rms 2.00 px, 93% kept
    "head": (0.8427, -0.1529, -1.7133, 0.0117, 0.2480, -10.1646, -0.0700),  # rms 2.09 px, 95% kept
    "tail": (-0.1145, 0.5493, -0.1826, 0.6500, 0.2774, -8.2491, -0.1777),  # rms 2.90 px, 93% kept
    "front_upper_leg": (0.1519, -0.8595, -0.5653, 0.0636, 0.7712, 2.3868, 0.5505),  # rms 2.19 px, 95% kept
    "front_lower_leg": (0.4699, 0.1669, 0.3888, 0.0000, 0.0000, -2.1589, 0.0000),  # rms 1.88 px, 93% kept
    "front_foot": (0.8819, -0.1160, 0.8298, 0.0000, 0.0000, -2.7135, 0.0000),  # rms 2.30 px, 88% kept
    "back_upper_leg": (0.0715, 0.9911, -0.6645, 0.4630, 0.4497, -22.3478, 0.4569),  # rms 2.82 px, 91% kept
    "back_lower_leg": (0.4750, 0.1720, -0.0642, 0.0000, 0.0000, -2.2018, 0.0000),  # rms 2.04 px, 91% kept
    "back_foot": (0.9125, -0.0970, 0.0367, 0.0000, 0.0000, -2.9032, 0.0000),  # rms 2.16 px, 85% kept
}


@dataclass(frozen=True)
class QuadrupedPaths:
    """The spine (tail end to nose) and four leg paths of a quadruped reading of an outline."""

    paths: dict[str, Path]  # spine, front_leg.L/.R, back_leg.L/.R (a shared foot: the same path twice)
    tips: dict[str, np.ndarray]  # head (nose), tail, and each foot's toe, in (row, column)
    back_junction_px: float  # arclength on the spine where the hind legs join it
    front_junction_px: float
    facing: float  # +1 head toward the picture's right, -1 toward its left
    confidence: float
    # legs that share one path (two legs seen as one): the hinder -1, the one ahead +1
    spread: dict[str, float] = field(default_factory=dict)


def _end_reach_thickness(graph: OutlineGraph, end: int, reach_px: float) -> float:
    """The largest thickness within `reach_px` (along the axis) of an end: a head is thick, a tail thin."""
    distances = dijkstra(graph.graph, indices=end, limit=reach_px)
    return float(graph.thickness[np.isfinite(distances)].max())


def _branch_length(graph: OutlineGraph, end: int) -> float:
    """Length along the axis from an end to the first junction (or the far end)."""
    degree = graph.degree()
    length, previous, current = 0.0, -1, end
    while True:
        neighbours = graph.graph.indices[graph.graph.indptr[current] : graph.graph.indptr[current + 1]]
        onward = [int(n) for n in neighbours if n != previous]
        if not onward or (current != end and degree[current] != 2):
            return length
        length += float(graph.graph[current, onward[0]])
        previous, current = current, onward[0]


def _feet(graph: OutlineGraph, height: float) -> list[int]:
    """Where the animal stands: the lowest axis point of each foot (or of touching feet), at most four.

    A foot is an axis point in the bottom band that no point within FOOT_REACH_SHARE of the
    height (along the axis) lies below: a leg's end, or the bottom of the loop that two
    legs close where their feet touch.
    """
    rows = graph.pixels[:, 0]
    band = np.flatnonzero(rows >= rows.max() - FEET_BAND_SHARE * height)
    reach = dijkstra(graph.graph, indices=band, limit=FOOT_REACH_SHARE * height)
    is_end = np.zeros(len(rows), dtype=bool)
    is_end[graph.ends] = True
    order = sorted(range(len(band)), key=lambda i: (-rows[band[i]], not is_end[band[i]]))
    feet: list[int] = []
    taken = np.zeros(len(rows), dtype=bool)
    for i in order:
        node = int(band[i])
        nearby = np.isfinite(reach[i])
        if taken[node] or rows[nearby].max() > rows[node]:
            continue
        feet.append(node)
        taken |= nearby
        if len(feet) == 4:
            break
    return feet


def _leg_routes(graph: OutlineGraph, foot: int, spine_position: dict[int, int]) -> list[list[int]]:
    """Paths (spine node first, foot last) by which the foot's leg can reach the spine, shortest first.

    Where crossing legs close a loop under the belly there are two: one up each leg. A
    route that is more than half again as long as the shortest is a detour, not a leg.
    """
    distances, predecessors = dijkstra(graph.graph, indices=foot, return_predecessors=True)
    entries = [
        node
        for node in spine_position
        if np.isfinite(distances[node]) and int(predecessors[node]) not in spine_position
    ]
    if not entries:
        return []
    shortest = min(distances[node] for node in entries)
    entries = sorted(
        (node for node in entries if distances[node] <= 1.5 * shortest), key=lambda n: distances[n]
    )
    return [_shortest_path(predecessors, foot, node)[::-1] for node in entries]


def quadruped_paths(graph: OutlineGraph, mask: np.ndarray) -> QuadrupedPaths | None:
    """Read the outline as a side view of a four-legged animal, or None when its ends cannot be read so."""
    ends = [int(end) for end in graph.ends]
    if len(ends) < 2 or len(ends) > 9:
        return None
    rows = graph.pixels[:, 0]
    height = float(np.ptp(rows)) + 1.0
    feet = _feet(graph, height)
    near_feet = dijkstra(graph.graph, indices=feet, limit=FOOT_REACH_SHARE * height) if feet else None
    others = [end for end in ends if near_feet is None or not np.isfinite(near_feet[:, end]).any()]
    # a head or tail is a limb of its own; a short branch is a bump of the outline
    others = [end for end in others if _branch_length(graph, end) >= MIN_BRANCH_SHARE * height]
    if len(feet) < 2 or not others:
        return None
    lowest = max(rows[foot] for foot in feet)
    reach = END_REACH_SHARE * height
    head = max(others, key=lambda end: (_end_reach_thickness(graph, end, reach), -rows[end]))
    feet_column = float(np.mean(graph.pixels[feet, 1]))
    facing = 1.0 if graph.pixels[head, 1] >= feet_column else -1.0
    behind = [end for end in others if end != head and (graph.pixels[end, 1] - feet_column) * facing < 0]
    head_distances, head_predecessors = dijkstra(graph.graph, indices=head, return_predecessors=True)
    if behind:
        tail = max(behind, key=lambda end: head_distances[end])
    else:  # no tail drawn: the trunk ends at the axis point farthest from the head above the feet
        above = np.flatnonzero(np.isfinite(head_distances) & (rows < lowest - 0.5 * height))
        if len(above) == 0:
            return None
        tail = int(above[np.argmax(head_distances[above])])
    if not np.isfinite(head_distances[tail]) or not all(np.isfinite(head_distances[f]) for f in feet):
        return None
    spine_nodes = _shortest_path(head_predecessors, head, tail)[::-1]  # tail -> head
    spine, nose = _extended_path(graph, spine_nodes)
    _, tail_tip = _extended_path(graph, spine_nodes[::-1])
    spine = Path(np.vstack([tail_tip, spine.points]), np.concatenate([[spine.thickness[0]], spine.thickness]))
    spine_position = {node: index + 1 for index, node in enumerate(spine_nodes)}  # +1: the tail tip
    arclength = spine.arclength

    # feet from the tail toward the head; of three, one stands for two touching legs: the foot
    # with two routes up to the trunk (legs crossing), else the one standing apart (the other
    # two are a pair seen apart)
    feet = sorted(feet, key=lambda end: graph.pixels[end, 1] * facing)
    slots = list(feet)
    if len(feet) == 3:
        route_counts = [len(_leg_routes(graph, foot, spine_position)) for foot in feet]
        columns = graph.pixels[feet, 1]
        apart = [min(abs(columns[i] - columns[j]) for j in range(3) if j != i) for i in range(3)]
        shared = max(range(3), key=lambda i: (route_counts[i] > 1, apart[i]))
        slots.insert(shared, feet[shared])
    elif len(feet) == 2:
        slots = [feet[0], feet[0], feet[1], feet[1]]
    # the near side is the animal's right when it faces the picture's right
    names = ("back_leg.L", "back_leg.R", "front_leg.L", "front_leg.R")
    if facing < 0:
        names = ("back_leg.R", "back_leg.L", "front_leg.R", "front_leg.L")
    paths: dict[str, Path] = {"spine": spine}
    tips: dict[str, np.ndarray] = {"head": nose, "tail": tail_tip}
    junctions: dict[str, float] = {}
    spread: dict[str, float] = {}
    for index, (name, end) in enumerate(zip(names, slots, strict=True)):
        routes = _leg_routes(graph, end, spine_position)
        if not routes:
            return None
        shared_with = slots.count(end) > 1
        if shared_with and len(routes) == 1:
            spread[name] = -1.0 if slots.index(end) == index else 1.0
        # of a foot standing for two legs, the hinder leg takes the route nearest the tail
        if shared_with and slots.index(end) == index:
            nodes = min(routes, key=lambda route: spine_position[route[0]])
        elif shared_with:
            nodes = max(routes, key=lambda route: spine_position[route[0]])
        else:
            nodes = routes[0]
        if len(nodes) < 2:
            return None
        junctions[name] = float(arclength[spine_position[nodes[0]]])
        paths[name], tips[name.replace("leg", "foot")] = _extended_path(graph, nodes)
    back = float(np.mean([junctions["back_leg.L"], junctions["back_leg.R"]]))
    front = float(np.mean([junctions["front_leg.L"], junctions["front_leg.R"]]))
    reading = QuadrupedPaths(paths, tips, back, front, facing, 0.0, spread)
    end_feet = sum(foot in ends for foot in feet)
    confidence = float(np.prod(quadruped_checks(graph, reading, len(ends), end_feet, bool(behind))))
    return QuadrupedPaths(paths, tips, back, front, facing, confidence, spread)


def quadruped_checks(
    graph: OutlineGraph, reading: QuadrupedPaths, end_count: int, end_feet: int, has_tail: bool
) -> list[float]:
    """[0, 1] scores of how plausible each part of the quadruped reading is; their product is its confidence."""
    spine = reading.paths["spine"]
    legs = [reading.paths[name] for name in ("back_leg.L", "back_leg.R", "front_leg.L", "front_leg.R")]
    height = float(np.ptp(graph.pixels[:, 0])) + 1.0
    checks = [1.0 if has_tail else 0.8]
    # every end is a foot, the head or the tail
    checks.append(1.0 if end_count == end_feet + 1 + int(has_tail) else 0.85)
    # the hind and fore legs join the trunk apart, along a trunk that lies rather than stands
    arclength = spine.arclength
    back_point = spine.at(reading.back_junction_px)
    front_point = spine.at(reading.front_junction_px)
    along = (front_point[1] - back_point[1]) * reading.facing
    rise = abs(front_point[0] - back_point[0])
    trunk = spine.thickness[
        (arclength >= reading.back_junction_px) & (arclength <= reading.front_junction_px)
    ]
    trunk_thickness = float(trunk.max()) if len(trunk) else 0.0
    checks.append(float(np.clip(along / max(trunk_thickness, 1.0) + 0.3, 0.0, 1.0)))
    checks.append(float(np.clip(2.0 - 2.0 * rise / max(along, 1.0), 0.0, 1.0)))
    # legs hang down from the trunk to feet at about one level
    for leg in legs:
        drop = leg.points[-1, 0] - leg.points[0, 0]
        checks.append(float(np.clip(2.0 * drop / max(leg.arclength[-1], 1.0) - 0.2, 0.0, 1.0)))
    foot_rows = np.array([leg.points[-1, 0] for leg in legs])
    checks.append(float(np.clip(2.0 - 10.0 * np.ptp(foot_rows) / height, 0.0, 1.0)))
    # the trunk is thicker than the legs, which are long for their thickness
    limb = float(np.median(np.concatenate([leg.thickness[len(leg.thickness) // 3 :] for leg in legs])))
    checks.append(float(np.clip(trunk_thickness / max(limb, 1.0) - 0.8, 0.0, 1.0)))
    for leg in legs:
        slenderness = leg.arclength[-1] / max(float(np.median(leg.thickness)), 1.0)
        checks.append(float(np.clip((slenderness - 1.5) / 1.5, 0.0, 1.0)))
    # the head rises above the legs' tops, and above the trunk (a table's corner does not)
    top = min(leg.points[0, 0] for leg in legs)
    checks.append(1.0 if reading.tips["head"][0] < top else 0.3)
    rise = front_point[0] - reading.tips["head"][0]
    checks.append(float(np.clip(2.0 * rise / max(trunk_thickness, 1.0), 0.0, 1.0)))
    return checks


def quadruped_features(reading: QuadrupedPaths, path_name: str, unit_px: float = 1.0) -> np.ndarray:
    """The template's features of one path, in reference pixels: length, end thicknesses, junctions, 1."""
    path = reading.paths[path_name]
    on_spine = path_name == "spine"
    values = [
        path.arclength[-1],
        path.thickness[0],
        path.thickness[-1],
        reading.back_junction_px if on_spine else 0.0,
        reading.front_junction_px if on_spine else 0.0,
    ]
    return np.append(np.array(values) / unit_px, 1.0)


def across(path: Path, distance_px: float) -> tuple[np.ndarray, float]:
    """The unit normal of the path at `distance_px`, turned toward the picture's bottom, and the thickness there."""
    arclength = path.arclength
    distance = float(np.clip(distance_px, 0.0, arclength[-1]))
    step = max(2.0, 0.05 * arclength[-1])
    direction = path.at(min(distance + step, arclength[-1])) - path.at(max(distance - step, 0.0))
    norm = np.linalg.norm(direction)
    normal = np.array([direction[1], -direction[0]]) / norm if norm > 0 else np.array([1.0, 0.0])
    if normal[0] < 0:
        normal = -normal
    return normal, float(np.interp(distance, arclength, path.thickness))


def quadruped_template_key(name: str) -> str:
    return name.split(".")[0]


def place_quadruped(reading: QuadrupedPaths, unit_px: float = 1.0) -> dict[str, np.ndarray]:
    """Joint positions (row, column) on the read paths, by the fitted template.

    `unit_px` is the mask's size over place.REFERENCE_SIZE_PX.
    """
    joints = {}
    for name in QUADRUPED_JOINTS:
        path_name = QUADRUPED_JOINT_PATH[name]
        coefficients = np.array(QUADRUPED_TEMPLATE[quadruped_template_key(name)])
        distance = unit_px * float(np.dot(coefficients[:6], quadruped_features(reading, path_name, unit_px)))
        path = reading.paths[path_name]
        normal, thickness = across(path, distance)
        joints[name] = path.at(distance) + normal * coefficients[6] * thickness
        if path_name in reading.spread:
            forward = np.array([0.0, reading.facing * reading.spread[path_name]])
            joints[name] += forward * SHARED_LEG_SPREAD * thickness
    return joints


def leg_depths(
    reading: QuadrupedPaths,
    points_px: dict[str, np.ndarray],
    mask: np.ndarray,
    front_z: np.ndarray,
    back_z: np.ndarray,
) -> dict[str, np.ndarray]:
    """Joints (or tips) by name in the view frame: the near legs one leg's half-thickness behind the front surface, the far ones in front of the back.

    Seen from the side, the near legs (the animal's right when it faces the picture's right)
    hide the far ones where they overlap: midway between the surfaces would put both legs'
    bones between them, and every leg vertex would follow both. The trunk, head and tail
    sit midway. A leg thinner than the maps say keeps its bones no further than midway.
    """
    names = list(points_px)
    points = np.array([points_px[name] for name in names])
    front, back = surfaces(points, mask.shape[0], front_z, back_z)
    depth = (front + back) / 2.0
    near = ".R" if reading.facing > 0 else ".L"
    for index, name in enumerate(names):
        end = name.split("_")[0]
        if end not in ("front", "back"):
            continue
        path = reading.paths[f"{end}_leg{name[-2:]}"]
        half_thickness = float(np.median(path.thickness)) * 2.0 / mask.shape[0]  # pixels -> view units
        if name.endswith(near):
            depth[index] = max(depth[index], front[index] - half_thickness)
        else:
            depth[index] = min(depth[index], back[index] + half_thickness)
    xy = pixels_to_view(points, mask.shape[0])
    return {name: np.array([*xy[index], depth[index]]) for index, name in enumerate(names)}

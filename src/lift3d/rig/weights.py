"""Skin weights by heat diffusion (Baran & Popovic, "Automatic rigging and animation of 3D characters", 2007).

Each bone is a heat source: a vertex is attached to its nearest bone that it can see
from inside the mesh with strength 1/d^2, and heat diffuses over the surface by the
cotangent Laplacian, solving (L + M H) w_j = M H p_j for every bone j with one sparse
factorisation. The weights vary smoothly across joints and fall to zero on far limbs;
the four largest per vertex are kept and normalised, as glTF skins expect.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy import sparse
from scipy.sparse.linalg import splu

from lift3d.rig.skeleton import Skeleton

MAX_INFLUENCES = 4
# Candidate bones tested for visibility per vertex, nearest first.
VISIBILITY_CANDIDATES = 3
# Pinocchio's attachment strength c in H = c / d^2 (1 there); larger keeps limbs more independent.
HEAT_STRENGTH = 1.0


def merge_by_position(vertices: np.ndarray, decimals: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Unique positions and, for each input vertex, its index among them (UV seams split vertices)."""
    unique, inverse = np.unique(np.round(vertices, decimals), axis=0, return_inverse=True)
    return unique, inverse.ravel()


def surface_laplacian(vertices: np.ndarray, faces: np.ndarray) -> tuple[sparse.csc_matrix, np.ndarray]:
    """The cotangent Laplacian (positive semi-definite) and lumped vertex areas.

    Boolean unions leave sliver triangles whose obtuse angles give negative cotangent
    weights, and then heat leaks into far limbs (a hip vertex took half its weight from
    the knee). The intrinsic Delaunay Laplacian of `robust-laplacian` (Sharp & Crane
    2020) has no negative weights; without it, negative weights are clamped to zero.
    """
    try:
        import robust_laplacian
    except ImportError:
        return cotangent_laplacian(vertices, faces)
    laplacian, mass = robust_laplacian.mesh_laplacian(
        np.ascontiguousarray(vertices, dtype=np.float64), np.ascontiguousarray(faces, dtype=np.int64)
    )
    return sparse.csc_matrix(laplacian), np.maximum(np.asarray(mass.diagonal()), 1e-12)


def cotangent_laplacian(vertices: np.ndarray, faces: np.ndarray) -> tuple[sparse.csc_matrix, np.ndarray]:
    """The cotangent Laplacian with negative weights clamped to zero, and barycentric vertex areas."""
    corners = vertices[faces]  # (F, 3, 3)
    count = len(vertices)
    rows, columns, values = [], [], []
    for corner in range(3):
        a, b = (corner + 1) % 3, (corner + 2) % 3
        u = corners[:, a] - corners[:, corner]
        v = corners[:, b] - corners[:, corner]
        cross = np.linalg.norm(np.cross(u, v), axis=1)
        cotangent = (u * v).sum(axis=1) / np.maximum(cross, 1e-12)
        weight = 0.5 * np.clip(cotangent, 0.0, 10.0)  # degenerate triangles must not blow up
        rows += [faces[:, a], faces[:, b]]
        columns += [faces[:, b], faces[:, a]]
        values += [weight, weight]
    off_diagonal = sparse.coo_matrix(
        (-np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))), shape=(count, count)
    ).tocsr()
    diagonal = -np.asarray(off_diagonal.sum(axis=1)).ravel()
    laplacian = (off_diagonal + sparse.diags(diagonal)).tocsc()
    area = np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1) / 2
    mass = np.bincount(faces.ravel(), weights=np.repeat(area / 3.0, 3), minlength=count)
    return laplacian, np.maximum(mass, 1e-12)


def point_segment_distance(
    points: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(N, J) distances from each point to each segment, and (N, J, 3) the closest segment points."""
    segment = ends - starts  # (J, 3)
    length_sq = np.maximum((segment**2).sum(axis=1), 1e-12)
    t = np.clip(((points[:, None, :] - starts[None]) * segment[None]).sum(axis=2) / length_sq, 0.0, 1.0)
    closest = starts[None] + t[..., None] * segment[None]
    return np.linalg.norm(points[:, None, :] - closest, axis=2), closest


def _attachments(mesh: trimesh.Trimesh, distance: np.ndarray, closest: np.ndarray) -> np.ndarray:
    """Each vertex's nearest bone that a straight line inside the mesh reaches."""
    order = np.argsort(distance, axis=1)[:, :VISIBILITY_CANDIDATES]
    chosen = order[:, 0].copy()
    undecided = np.ones(len(chosen), dtype=bool)
    normals = np.asarray(mesh.vertex_normals)
    vertices = np.asarray(mesh.vertices)
    scale = float(np.ptp(vertices, axis=0).max())
    for rank in range(order.shape[1]):
        candidates = np.flatnonzero(undecided)
        if len(candidates) == 0:
            break
        bone = order[candidates, rank]
        origins = vertices[candidates] - normals[candidates] * 1e-4 * scale
        targets = closest[candidates, bone]
        direction = targets - origins
        length = np.linalg.norm(direction, axis=1)
        direction /= np.maximum(length, 1e-12)[:, None]
        locations, ray, _ = mesh.ray.intersects_location(origins, direction, multiple_hits=False)
        blocked = np.zeros(len(candidates), dtype=bool)
        if len(ray):
            hit_distance = np.linalg.norm(locations - origins[ray], axis=1)
            blocked[ray] = hit_distance < length[ray] - 1e-6 * scale
        visible = ~blocked
        chosen[candidates[visible]] = bone[visible]
        undecided[candidates[visible]] = False
    return chosen


def heat_weights(
    vertices: np.ndarray, faces: np.ndarray, skeleton: Skeleton
) -> tuple[np.ndarray, np.ndarray]:
    """Skin weights for a closed mesh: (V, 4) joint indices and (V, 4) weights summing to 1.

    `vertices` may repeat positions (split along UV seams); they are merged for the
    diffusion, so copies of one point get the same weights.
    """
    merged, inverse = merge_by_position(np.asarray(vertices, dtype=np.float64))
    merged_faces = inverse[np.asarray(faces)]
    mesh = trimesh.Trimesh(merged, merged_faces, process=False)
    laplacian, mass = surface_laplacian(merged, merged_faces)
    distance, closest = point_segment_distance(merged, skeleton.positions, skeleton.tails)
    attached = _attachments(mesh, distance, closest)
    nearest = distance[np.arange(len(merged)), attached]
    scale = float(np.ptp(merged, axis=0).max())
    heat = HEAT_STRENGTH / np.maximum(nearest, 1e-3 * scale) ** 2
    system = (laplacian + sparse.diags(mass * heat)).tocsc()
    solve = splu(system).solve
    joint_count = len(skeleton.names)
    sources = np.zeros((len(merged), joint_count))
    sources[np.arange(len(merged)), attached] = mass * heat
    weights = np.clip(solve(sources), 0.0, None)
    joints, top = top_influences(weights)
    return joints[inverse], top[inverse]


def top_influences(weights: np.ndarray, count: int = MAX_INFLUENCES) -> tuple[np.ndarray, np.ndarray]:
    """The `count` largest weights per row, renormalised to sum to 1, continuous over the surface.

    Cutting at the 4th weight alone would jump where neighbours disagree on which joint
    is 5th (a sliver at the neck stretched 15x as an arm raised); subtracting the 5th
    weight first makes every kept weight reach zero exactly where it would be cut.
    """
    order = np.argsort(-weights, axis=1)
    joints = order[:, :count]
    top = np.take_along_axis(weights, joints, axis=1)
    if weights.shape[1] > count:
        top = np.clip(top - np.take_along_axis(weights, order[:, count : count + 1], axis=1), 0.0, None)
    if top.shape[1] < count:
        pad = count - top.shape[1]
        joints = np.pad(joints, ((0, 0), (0, pad)))
        top = np.pad(top, ((0, 0), (0, pad)))
    total = top.sum(axis=1, keepdims=True)
    fallback = total[:, 0] <= 0
    top[fallback, 0], total[fallback] = 1.0, 1.0
    top = top / total
    joints = np.where(top > 0, joints, 0)
    return joints.astype(np.int64), top.astype(np.float32)

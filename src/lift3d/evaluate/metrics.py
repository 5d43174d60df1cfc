"""Surface metrics comparing a predicted mesh to its ground truth: Chamfer-L1, F-score, normals.

Conventions (those of Occupancy Networks / DeepSDF, so numbers compare with the literature):

* Each mesh is sampled with `EvalOptions.points` area-weighted surface points, after
  being normalised by its *own* bounding box: the box is centred at the origin and its
  longest side scaled to 1. Distances are in units of the object's size, and a prediction
  of the right shape at the wrong size or position is not penalised.
* With `align`, the prediction is then fitted to the truth by ICP with a similarity
  transform (rotation, uniform scale, translation; never a reflection), starting from the
  identity because both meshes live in the same view frame.
* Chamfer-L1 is the mean of the two directed mean *Euclidean* (not squared) distances:
  0.5 * (mean_p d(p, truth) + mean_q d(q, prediction)), p and q the sampled points.
* F-score at tau: precision is the fraction of predicted points closer than tau to the
  truth, recall the fraction of truth points closer than tau to the prediction,
  F = 2PR / (P + R).
* Normal consistency is the mean |cos| between each point's face normal and the normal of
  the nearest point on the other surface, averaged over both directions; the absolute value
  makes it blind to face winding, which `watertight` and the asset stage deal with.

A point's distance to the other surface is not its distance to the other's *samples*:
with 10 000 samples on each side that sampling floor alone would cap a perfect box at
F@0.02 = 0.88. Each point is instead measured to the triangles under its nearest neighbours
in a cloud ten times denser, exactly in the usual case and never more than the distance to
the nearest dense sample, so the truth scored against itself gives F = 1 and a Chamfer-L1
below 1e-3 (what remains is ICP fitting sampling noise; about 1e-4 with `align` off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from lift3d.errors import InputError
from lift3d.evaluate.options import EvalOptions

# Chamfer-L1 given to an empty, degenerate or failed prediction: the diagonal of the unit
# cube, the largest distance between two points of two normalised meshes. Real scores are
# clipped to it too, so a failure is always the worst score and means stay finite (JSON
# has no infinity).
CHAMFER_CAP = math.sqrt(3.0)

# The cloud that distances are looked up in is this many times denser than the scored
# points, and a point is measured to the triangles under its nearest few neighbours there.
_REFERENCE_DENSITY = 10
_CANDIDATE_TRIANGLES = 4

# ICP runs on a random subset of the scored points: 7 parameters are settled long before
# 2000 points, and it keeps a score well under a second.
_ALIGN_POINTS = 2_000
_ALIGN_MAX_ITERATIONS = 50
_ALIGN_TOLERANCE = 1e-4  # stop when the cost improves by less than this fraction

# The random streams of the two surfaces, mixed with EvalOptions.seed.
_TRUTH_STREAM = 0
_PREDICTION_STREAM = 1


@dataclass(frozen=True)
class MeshScores:
    """How close one predicted mesh is to its ground truth (see the module docstring)."""

    chamfer_l1: float  # lower is better, in normalised-box units, at most CHAMFER_CAP
    fscore_002: float  # F-score at tau = 0.02, in [0, 1]
    fscore_005: float  # F-score at tau = 0.05, in [0, 1]
    normal_consistency: float  # in [0, 1]
    watertight: bool  # of the predicted mesh, after merging vertices split by UV seams
    fscores: dict[str, float] = field(default_factory=dict)  # F at each EvalOptions threshold

    @classmethod
    def failure(cls, options: EvalOptions) -> MeshScores:
        """The worst possible scores: given to empty, degenerate and failed predictions."""
        return cls(
            chamfer_l1=CHAMFER_CAP,
            fscore_002=0.0,
            fscore_005=0.0,
            normal_consistency=0.0,
            watertight=False,
            fscores={threshold_key(tau): 0.0 for tau in options.thresholds},
        )


@dataclass(frozen=True)
class Surface:
    """A mesh normalised to the unit box, with scored samples and a dense cloud to measure against.

    Sampling the truth once and reusing it for every method is what keeps a run fast.
    """

    points: np.ndarray  # (N, 3) scored sample points
    normals: np.ndarray  # (N, 3) unit face normals of the scored points
    triangles: np.ndarray  # (F, 3, 3) the normalised mesh
    face_normals: np.ndarray  # (F, 3) unit, zero for degenerate faces
    reference_faces: np.ndarray  # (M,) face of each dense sample, indexed like `tree.data`
    tree: cKDTree  # over the (M, 3) dense samples, of which `points` are the first N
    coarse_tree: cKDTree  # over `points`, for ICP

    def distance_from(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each query point to this surface, and the index of the nearest face."""
        _, neighbours = self.tree.query(queries, k=_CANDIDATE_TRIANGLES)
        candidates = self.reference_faces[neighbours]  # (Q, K)
        repeated = np.repeat(queries, _CANDIDATE_TRIANGLES, axis=0)
        closest = trimesh.triangles.closest_point(self.triangles[candidates.ravel()], repeated)
        distances = np.linalg.norm(closest - repeated, axis=1).reshape(candidates.shape)
        best = np.argmin(distances, axis=1)
        rows = np.arange(len(queries))
        return distances[rows, best], candidates[rows, best]


def threshold_key(tau: float) -> str:
    """The name of an F-score threshold in `MeshScores.fscores` and in reports, e.g. '0.02'."""
    return f"{tau:g}"


def sample_truth(truth: trimesh.Trimesh, options: EvalOptions) -> Surface:
    """Sample a ground-truth mesh for `score_against`; an empty truth is a data error."""
    surface = _sample_surface(truth, options.points, _rng(options, _TRUTH_STREAM))
    if surface is None:
        raise InputError("the ground-truth mesh has no surface to compare against")
    return surface


def score_mesh(predicted: trimesh.Trimesh, truth: trimesh.Trimesh, options: EvalOptions) -> MeshScores:
    """Score `predicted` against `truth`; an empty or degenerate prediction gets the worst scores."""
    return score_against(predicted, sample_truth(truth, options), options)


@dataclass(frozen=True)
class SurfaceMatch:
    """Per-point results of fitting a prediction to its truth, from which `MeshScores` are made.

    Kept apart so a benchmark can split a score by where on the truth it was lost
    (say, by the direction a surface faces) with exactly the metric's own matching.
    """

    to_truth: np.ndarray  # (N,) each predicted point's distance to the truth, truth units
    to_prediction: np.ndarray  # (N,) each truth point's distance to the prediction, truth units
    prediction_cosines: np.ndarray  # (N,) |cos| of each predicted point's normal and its nearest truth face's
    prediction_truth_normals: np.ndarray  # (N, 3) that nearest truth face's normal
    truth_cosines: np.ndarray  # (N,) |cos| of each truth point's normal and its nearest predicted face's
    truth_normals: np.ndarray  # (N, 3) the truth points' own normals


def match_surfaces(predicted: trimesh.Trimesh, truth: Surface, options: EvalOptions) -> SurfaceMatch | None:
    """Fit `predicted` to an already sampled truth and pair their points; None for a bad prediction."""
    prediction = _sample_surface(predicted, options.points, _rng(options, _PREDICTION_STREAM))
    if prediction is None:
        return None
    scale, rotation, translation = (
        _fit_similarity_icp(prediction, truth) if options.align else (1.0, np.eye(3), np.zeros(3))
    )
    # The prediction is never moved: truth points are mapped into its frame instead, which
    # saves rebuilding its search tree; distances found there are rescaled by `scale`.
    to_truth, nearest_truth = truth.distance_from(scale * prediction.points @ rotation.T + translation)
    to_prediction, nearest_prediction = prediction.distance_from(
        (truth.points - translation) @ rotation / scale
    )
    return SurfaceMatch(
        to_truth=to_truth,
        to_prediction=to_prediction * scale,
        prediction_cosines=_abs_cosines(prediction.normals @ rotation.T, truth.face_normals[nearest_truth]),
        prediction_truth_normals=truth.face_normals[nearest_truth],
        truth_cosines=_abs_cosines(truth.normals @ rotation, prediction.face_normals[nearest_prediction]),
        truth_normals=truth.normals,
    )


def score_against(predicted: trimesh.Trimesh, truth: Surface, options: EvalOptions) -> MeshScores:
    """Score `predicted` against an already sampled truth; never raises on a bad prediction."""
    return scores_from_match(match_surfaces(predicted, truth, options), predicted, options)


def scores_from_match(
    match: SurfaceMatch | None, predicted: trimesh.Trimesh, options: EvalOptions
) -> MeshScores:
    """The scores of a match (the worst ones for None), without fitting the surfaces again."""
    if match is None:
        return MeshScores.failure(options)
    to_truth, to_prediction = match.to_truth, match.to_prediction
    chamfer = 0.5 * (float(to_truth.mean()) + float(to_prediction.mean()))
    normal_consistency = 0.5 * (float(match.prediction_cosines.mean()) + float(match.truth_cosines.mean()))

    def fscore(tau: float) -> float:
        precision = float(np.mean(to_truth < tau))
        recall = float(np.mean(to_prediction < tau))
        return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)

    return MeshScores(
        chamfer_l1=min(chamfer, CHAMFER_CAP),
        fscore_002=fscore(0.02),
        fscore_005=fscore(0.05),
        normal_consistency=min(normal_consistency, 1.0),
        watertight=is_watertight(predicted),
        fscores={threshold_key(tau): fscore(tau) for tau in options.thresholds},
    )


def is_watertight(mesh: trimesh.Trimesh) -> bool:
    """Whether the surface is closed, judged on positions only.

    A textured mesh duplicates vertices along UV seams, which makes trimesh call it open;
    merging by position alone (on a copy, leaving `mesh` untouched) sees the real surface.
    """
    arrays = _clean_arrays(mesh)
    if arrays is None:
        return False
    merged = trimesh.Trimesh(*arrays, process=False)
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    return bool(merged.is_watertight)


def _abs_cosines(normals: np.ndarray, other: np.ndarray) -> np.ndarray:
    return np.abs(np.einsum("ij,ij->i", normals, other))


def _rng(options: EvalOptions, stream: int) -> np.random.Generator:
    return np.random.default_rng([options.seed, stream])


def _clean_arrays(mesh: trimesh.Trimesh) -> tuple[np.ndarray, np.ndarray] | None:
    """The mesh's used vertices and re-indexed faces, or None when they cannot form a surface."""
    try:
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        faces = np.asarray(mesh.faces)
    except (AttributeError, TypeError, ValueError):
        return None
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.ndim != 2 or faces.shape[1] != 3:
        return None
    if len(faces) == 0 or not np.issubdtype(faces.dtype, np.integer):
        return None
    if faces.min() < 0 or faces.max() >= len(vertices):
        return None
    # Only vertices the faces use: a stray unused vertex must not stretch the bounding box.
    used, inverse = np.unique(faces, return_inverse=True)
    vertices = vertices[used]
    if not np.isfinite(vertices).all():
        return None
    return vertices, inverse.reshape(faces.shape)


def _sample_surface(mesh: trimesh.Trimesh, count: int, rng: np.random.Generator) -> Surface | None:
    """Normalise a mesh to the unit box and sample it, or None when it has no surface."""
    arrays = _clean_arrays(mesh)
    if arrays is None:
        return None
    vertices, faces = arrays
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    size = float((high - low).max())
    if not size > 0:
        return None
    vertices = (vertices - 0.5 * (low + high)) / size
    triangles = vertices[faces]
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    double_area = np.linalg.norm(cross, axis=1)
    # Only collinear faces: a wire or a point has no surface to sample.
    if not double_area.sum() > 1e-12:
        return None
    face_normals = np.divide(
        cross, double_area[:, None], out=np.zeros_like(cross), where=double_area[:, None] > 0
    )
    normalised = trimesh.Trimesh(vertices, faces, process=False)
    reference, reference_faces = trimesh.sample.sample_surface(
        normalised, count * _REFERENCE_DENSITY, seed=rng
    )
    # The samples are i.i.d., so the first `count` of the dense cloud are a fair sample too.
    return Surface(
        points=np.asarray(reference[:count], dtype=np.float64),
        normals=face_normals[reference_faces[:count]],
        triangles=triangles,
        face_normals=face_normals,
        reference_faces=reference_faces,
        tree=cKDTree(reference),
        coarse_tree=cKDTree(reference[:count]),
    )


def _fit_similarity_icp(prediction: Surface, truth: Surface) -> tuple[float, np.ndarray, np.ndarray]:
    """Fit scale, rotation and translation taking the prediction onto the truth by symmetric ICP.

    Each step pairs every predicted point with its nearest truth point *and* every truth
    point with its nearest predicted point, then solves the similarity in closed form
    (Umeyama). One-sided pairs would let the scale shrink towards zero, since a collapsed
    prediction is close to the truth; the truth-to-prediction pairs forbid that, so the
    fit minimises the symmetric squared Chamfer distance. It queries a subset of the
    scored points against the scored clouds, not the dense ones: queries from points far
    off a dense surface are slow, and a few thousand pairs fix seven parameters well.
    """
    source = prediction.points[:_ALIGN_POINTS]
    target = truth.points[:_ALIGN_POINTS]
    transform: tuple[float, np.ndarray, np.ndarray] = (1.0, np.eye(3), np.zeros(3))
    best, best_cost = transform, math.inf
    for _ in range(_ALIGN_MAX_ITERATIONS):
        scale, rotation, translation = transform
        to_truth, nearest_truth = truth.coarse_tree.query(scale * source @ rotation.T + translation)
        to_prediction, nearest_prediction = prediction.coarse_tree.query(
            (target - translation) @ rotation / scale
        )
        cost = float(np.mean(to_truth**2) + np.mean((scale * to_prediction) ** 2))
        converged = not cost < best_cost * (1 - _ALIGN_TOLERANCE)
        if cost < best_cost:
            best, best_cost = transform, cost
        if converged:
            break
        transform = _umeyama(
            np.concatenate([source, prediction.points[nearest_prediction]]),
            np.concatenate([truth.points[nearest_truth], target]),
        )
        if not transform[0] > 1e-6:  # a collapsed fit cannot be mapped back; keep the best so far
            break
    return best


def _umeyama(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The least-squares similarity (s, R, t) with target ~ s R source + t and det R = +1."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    source_centred, target_centred = source - source_mean, target - target_mean
    covariance = target_centred.T @ source_centred / len(source)
    u, singular, vt = np.linalg.svd(covariance)
    signs = np.ones(3)
    signs[2] = np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0
    rotation = (u * signs) @ vt
    variance = float(np.mean(np.sum(source_centred**2, axis=1)))
    scale = float(np.dot(singular, signs) / variance) if variance > 0 else 1.0
    return scale, rotation, target_mean - scale * rotation @ source_mean

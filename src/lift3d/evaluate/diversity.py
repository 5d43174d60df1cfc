"""Shape descriptors that ignore pose and size, to ask how close training shapes come to real ones.

A shape is described by the distributions of classical shape functions over random
surface points (Osada et al. 2002): D1 (distance to the centroid), D2 (distance between
two points) and A3 (angle at the middle of three points), each divided by its mean
so size drops out, plus the sorted principal-axis spreads (elongated, flat or round).
All of these are unchanged by rotation, translation and uniform scale, which is what
a picture taken from any side of an object calls for. Two shapes are compared by the
1D earth mover's distance between their distributions (the L1 distance of the CDFs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

# Bins of each distribution, over [0, D2_RANGE] x its mean (A3 over [0, pi]).
BINS = 32
D_RANGE = 3.0
SURFACE_POINTS = 2048
PAIRS = 8192


@dataclass(frozen=True)
class ShapeDescriptor:
    """Cumulative histograms of D1, D2, A3 and the principal spreads of one shape."""

    d1: np.ndarray  # (BINS,) CDF of distance to centroid / its mean
    d2: np.ndarray  # (BINS,) CDF of pair distance / its mean
    a3: np.ndarray  # (BINS,) CDF of the angle at the middle of three points / pi
    spreads: np.ndarray  # (2,) middle / largest and smallest / largest principal standard deviation


def _cdf(values: np.ndarray, high: float) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, 0.0, high), bins=BINS, range=(0.0, high))
    return np.cumsum(counts) / max(len(values), 1)


def describe(mesh: trimesh.Trimesh, seed: int = 0) -> ShapeDescriptor:
    """The descriptor of a closed mesh's surface, sampled with a fixed seed."""
    rng = np.random.default_rng(seed)
    areas = np.asarray(mesh.area_faces, dtype=np.float64)
    faces = rng.choice(len(areas), SURFACE_POINTS, p=areas / areas.sum())
    corners = np.asarray(mesh.vertices, dtype=np.float64)[np.asarray(mesh.faces)[faces]]
    u, v = rng.random((2, SURFACE_POINTS, 1))
    flip = (u + v) > 1.0
    u, v = np.where(flip, 1.0 - u, u), np.where(flip, 1.0 - v, v)
    points = corners[:, 0] + u * (corners[:, 1] - corners[:, 0]) + v * (corners[:, 2] - corners[:, 0])
    centred = points - points.mean(axis=0)
    d1 = np.linalg.norm(centred, axis=1)
    a, b, c = (points[rng.integers(SURFACE_POINTS, size=PAIRS)] for _ in range(3))
    d2 = np.linalg.norm(a - b, axis=1)
    first, second = a - b, c - b
    cosine = np.sum(first * second, axis=1) / np.maximum(
        np.linalg.norm(first, axis=1) * np.linalg.norm(second, axis=1), 1e-12
    )
    a3 = np.arccos(np.clip(cosine, -1.0, 1.0))
    sigma = np.sqrt(np.maximum(np.sort(np.linalg.eigvalsh(np.cov(centred.T)))[::-1], 0.0))
    return ShapeDescriptor(
        d1=_cdf(d1 / max(d1.mean(), 1e-12), D_RANGE),
        d2=_cdf(d2 / max(d2.mean(), 1e-12), D_RANGE),
        a3=_cdf(a3 / np.pi, 1.0),
        spreads=np.array([sigma[1] / sigma[0], sigma[2] / sigma[0]]),
    )


def descriptor_vector(descriptor: ShapeDescriptor) -> np.ndarray:
    """The descriptor as one weighted vector: the L1 distance of two vectors is `descriptor_distance`.

    Each of the four parts is weighted to a mean over its entries, so each term lies in
    [0, 1]-ish and no one of them drowns the others.
    """
    return (
        np.concatenate(
            [descriptor.d1 / BINS, descriptor.d2 / BINS, descriptor.a3 / BINS, descriptor.spreads / 2]
        )
        / 4.0
    )


def descriptor_distance(first: ShapeDescriptor, second: ShapeDescriptor) -> float:
    """Mean earth mover's distance over D1, D2, A3 and the mean principal-spread difference."""
    return float(np.abs(descriptor_vector(first) - descriptor_vector(second)).sum())


def nearest_neighbours(
    queries: list[ShapeDescriptor], pool: list[ShapeDescriptor]
) -> tuple[np.ndarray, np.ndarray]:
    """For each query, the distance to its nearest neighbour in `pool` and that neighbour's index."""
    pool_vectors = np.stack([descriptor_vector(item) for item in pool])
    distances = np.stack([np.abs(pool_vectors - descriptor_vector(query)).sum(axis=1) for query in queries])
    nearest = distances.argmin(axis=1)
    return distances[np.arange(len(queries)), nearest], nearest

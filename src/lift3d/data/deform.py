"""Smooth random deformations (bend, taper, twist) of whole solids, keeping them closed.

Each deformation is a bijection of the shape's bounding box, so a closed, non-self-
intersecting solid stays one: taper scales stay positive, twists turn each slice
rigidly, and a bend's radius stays larger than the shape's half-thickness on its
inner side. The solid is refined first so straight edges can curve, then simplified
back towards a few thousand faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from manifold3d import Manifold

DEFORMATION_KINDS = ("bend", "taper", "twist")

# Edges are split to this fraction of the shape's largest extent before warping: enough
# for a 90-degree bend to read as a curve at 128 px, while a refined box stays near 3k faces.
REFINE_FRACTION = 1.0 / 14

# After warping, vertices that move the surface less than this fraction of the extent
# are merged away again. 0.002 crumpled the shading of tapered buckets and boxes;
# 0.0003 keeps them smooth and every family's mean under ~3.5k faces (0: thin furniture 5.6k).
SIMPLIFY_FRACTION = 0.0003


@dataclass(frozen=True)
class Deformation:
    """One deformation along `axis` (0 x, 1 y, 2 z).

    bend: the axis curves by `amount` radians in total, towards axis `toward`;
    taper: the cross-section's scale goes from 1 - amount to 1 + amount along the axis;
    twist: cross-sections turn by `amount` radians from one end to the other.
    """

    kind: str
    axis: int
    amount: float
    toward: int = 0


def random_deformation(rng: np.random.Generator) -> Deformation:
    """A noticeable but plausible deformation: bent props, tapered towers, twisted bars."""
    kind = DEFORMATION_KINDS[rng.integers(len(DEFORMATION_KINDS))]
    axis = 1 if rng.random() < 0.6 else int(rng.integers(3))
    others = [k for k in range(3) if k != axis]
    toward = others[rng.integers(2)]
    if kind == "bend":
        amount = float(rng.uniform(0.3, 1.2)) * (1 if rng.random() < 0.5 else -1)
    elif kind == "taper":
        amount = float(rng.uniform(0.15, 0.45)) * (1 if rng.random() < 0.5 else -1)
    else:
        amount = float(rng.uniform(0.3, 1.2)) * (1 if rng.random() < 0.5 else -1)
    return Deformation(kind, axis, amount, toward)


def warp_points(
    points: np.ndarray, deformation: Deformation, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Apply `deformation` to points of a solid whose bounding box is `low`..`high`."""
    axis = deformation.axis
    centre = (low + high) / 2
    length = max(float(high[axis] - low[axis]), 1e-9)
    out = np.array(points, dtype=np.float64)
    t = (out[:, axis] - low[axis]) / length  # 0..1 along the axis
    others = [k for k in range(3) if k != axis]
    if deformation.kind == "taper":
        scale = 1.0 + deformation.amount * (2.0 * t - 1.0)
        for k in others:
            out[:, k] = centre[k] + (out[:, k] - centre[k]) * scale
        return out
    if deformation.kind == "twist":
        angle = deformation.amount * (t - 0.5)
        a, b = others
        u, v = out[:, a] - centre[a], out[:, b] - centre[b]
        out[:, a] = centre[a] + u * np.cos(angle) - v * np.sin(angle)
        out[:, b] = centre[b] + u * np.sin(angle) + v * np.cos(angle)
        return out
    if deformation.kind == "bend":
        toward = deformation.toward
        half_thickness = max(float(high[toward] - low[toward]) / 2, 1e-9)
        # the inner side must not fold over itself: radius > 1.25 x half-thickness
        angle = float(np.sign(deformation.amount)) * min(
            abs(deformation.amount), length / (1.25 * half_thickness)
        )
        if abs(angle) < 1e-6:
            return out
        radius = length / angle  # signed: negative bends the other way
        s = out[:, axis] - centre[axis]
        u = out[:, toward] - centre[toward]
        theta = s / radius
        out[:, axis] = centre[axis] + (radius - u) * np.sin(theta)
        out[:, toward] = centre[toward] + radius - (radius - u) * np.cos(theta)
        return out
    raise ValueError(f"unknown deformation {deformation.kind!r}")


def deform(solid: Manifold, deformation: Deformation) -> Manifold:
    """The solid, refined, warped by `deformation` and simplified; still closed and manifold."""
    low, high = (
        np.asarray(corner, dtype=np.float64) for corner in np.asarray(solid.bounding_box()).reshape(2, 3)
    )
    extent = float((high - low).max())
    refined = solid.refine_to_length(extent * REFINE_FRACTION)
    warped = refined.warp_batch(lambda points: warp_points(points, deformation, low, high))
    return warped.simplify(extent * SIMPLIFY_FRACTION)

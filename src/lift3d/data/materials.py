"""Random materials with solid (3D) procedural textures, so meshes need no UVs."""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PATTERNS = ("plain", "stripes", "checker", "dots", "noise")


@dataclass(frozen=True)
class Material:
    """A base colour, an optional solid pattern in a second colour, and a highlight.

    Pattern frequencies are in cycles per view-frame unit (the object spans about 1.6).
    """

    base_rgb: tuple[float, float, float]  # in [0, 1]
    pattern: str = "plain"
    pattern_rgb: tuple[float, float, float] = (1.0, 1.0, 1.0)
    pattern_frequency: float = 4.0
    pattern_axis: tuple[float, float, float] = (0.0, 1.0, 0.0)  # stripe normal, unit length
    dot_radius: float = 0.25  # fraction of a cell
    noise_seed: int = 0
    roughness: float = 0.6  # 0 = mirror-like highlight, 1 = matte
    specular: float = 0.2  # highlight strength

    @property
    def shininess(self) -> float:
        """Blinn-Phong exponent: rough surfaces get broad, dim highlights."""
        return 4.0 + 120.0 * (1.0 - self.roughness) ** 2


def random_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """A colour spread over hues, with some greys and pastels, never pure black."""
    hue = rng.random()
    saturation = 0.0 if rng.random() < 0.12 else rng.uniform(0.2, 0.95)
    value = rng.uniform(0.3, 0.97)
    return tuple(float(c) for c in colorsys.hsv_to_rgb(hue, saturation, value))  # type: ignore[return-value]


def random_material(rng: np.random.Generator) -> Material:
    """One material: plain about half the time, otherwise one of the solid patterns."""
    pattern = "plain" if rng.random() < 0.45 else PATTERNS[1 + rng.integers(len(PATTERNS) - 1)]
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    return Material(
        base_rgb=random_colour(rng),
        pattern=pattern,
        pattern_rgb=random_colour(rng),
        pattern_frequency=float(rng.uniform(2.0, 8.0)),
        pattern_axis=tuple(float(a) for a in axis),  # type: ignore[arg-type]
        dot_radius=float(rng.uniform(0.15, 0.35)),
        noise_seed=int(rng.integers(2**31)),
        roughness=float(rng.uniform(0.2, 1.0)),
        specular=float(rng.uniform(0.0, 0.5)),
    )


def random_materials(roles: Sequence[str], rng: np.random.Generator) -> list[Material]:
    """A material per role; eyes stay dark and glossy so faces read as faces."""
    materials = []
    for role in roles:
        material = random_material(rng)
        if role == "eye":
            grey = float(rng.uniform(0.02, 0.15))
            material = Material(base_rgb=(grey, grey, grey), roughness=0.2, specular=0.6)
        materials.append(material)
    return materials


def _lattice_hash(cells: np.ndarray, seed: int) -> np.ndarray:
    """A deterministic pseudo-random value in [0, 1) per integer lattice point."""
    cells = cells.astype(np.uint64)
    mixed = (
        cells[..., 0] * np.uint64(0x9E3779B1)
        ^ cells[..., 1] * np.uint64(0x85EBCA77)
        ^ cells[..., 2] * np.uint64(0xC2B2AE3D)
        ^ np.uint64(((seed & 0xFFFFFFFF) * 0x27D4EB2F) & 0xFFFFFFFFFFFFFFFF)
    )
    mixed ^= mixed >> np.uint64(15)
    mixed *= np.uint64(0x2C1B3C6D)
    mixed ^= mixed >> np.uint64(12)
    return (mixed & np.uint64(0xFFFFFF)).astype(np.float64) / float(0x1000000)


def value_noise(points: np.ndarray, seed: int) -> np.ndarray:
    """Smooth 3D value noise in [0, 1]: trilinear blend of hashed lattice values."""
    base = np.floor(points)
    frac = points - base
    weight = frac * frac * (3.0 - 2.0 * frac)
    base = base.astype(np.int64) + (1 << 20)  # keep lattice indices positive for the hash
    total = np.zeros(len(points))
    for corner in np.ndindex(2, 2, 2):
        offset = np.array(corner)
        corner_weight = np.prod(np.where(offset == 1, weight, 1.0 - weight), axis=1)
        total += corner_weight * _lattice_hash(base + offset, seed)
    return total


def albedo(material: Material, points: np.ndarray) -> np.ndarray:
    """Surface colour (N, 3) at 3D `points` (N, 3) on the object."""
    base = np.asarray(material.base_rgb, dtype=np.float64)
    other = np.asarray(material.pattern_rgb, dtype=np.float64)
    scaled = points * material.pattern_frequency
    if material.pattern == "plain":
        amount = np.zeros(len(points))
    elif material.pattern == "stripes":
        amount = (np.sin(2 * np.pi * scaled @ np.asarray(material.pattern_axis)) > 0).astype(np.float64)
    elif material.pattern == "checker":
        amount = (np.floor(scaled + 1e-4).astype(np.int64).sum(axis=1) % 2).astype(np.float64)
    elif material.pattern == "dots":
        distance = np.linalg.norm(scaled - np.round(scaled), axis=1)
        amount = (distance < material.dot_radius).astype(np.float64)
    elif material.pattern == "noise":
        fractal = 0.65 * value_noise(scaled, material.noise_seed) + 0.35 * value_noise(
            scaled * 2.3, material.noise_seed + 1
        )
        amount = np.clip((fractal - 0.35) * 3.0, 0.0, 1.0)
    else:
        raise ValueError(f"unknown pattern {material.pattern!r}")
    return base * (1.0 - amount[:, None]) + other * amount[:, None]

"""Procedural pictures shared by the inputs tests (imported by name, not a fixture module)."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np


def png_header_only(width: int, height: int) -> bytes:
    """A tiny valid PNG that declares `width` x `height` but holds no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def synthetic_photo(
    height: int = 300,
    width: int = 400,
    backdrop: tuple[float, float, float] = (0.85, 0.85, 0.87),
    colour: tuple[float, float, float] = (0.8, 0.2, 0.15),
    shape: str = "ellipse",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """An object on a backdrop with a gradient, a soft shadow and noise; returns (rgb, truth)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    centre_y, centre_x = 0.48 * height, 0.52 * width
    radius_y, radius_x = 0.3 * height, 0.25 * width
    if shape == "ellipse":
        truth = ((cols - centre_x) / radius_x) ** 2 + ((rows - centre_y) / radius_y) ** 2 <= 1
    else:  # rounded box
        corner = 0.3 * min(radius_x, radius_y)
        dx = np.clip(np.abs(cols - centre_x) - (radius_x - corner), 0, None)
        dy = np.clip(np.abs(rows - centre_y) - (radius_y - corner), 0, None)
        truth = dx**2 + dy**2 <= corner**2
    gradient = 1 + 0.10 * (cols / width - 0.5) - 0.08 * (rows / height - 0.5)
    image = np.asarray(backdrop, np.float32) * gradient[..., None]
    shadow = np.roll(truth, (int(0.12 * radius_y), int(0.2 * radius_x)), axis=(0, 1)).astype(np.float32)
    shadow = cv2.GaussianBlur(shadow, (0, 0), sigmaX=0.08 * min(height, width))
    image *= (1 - 0.3 * shadow)[..., None]
    radial = ((cols - centre_x) / radius_x) ** 2 + ((rows - centre_y) / radius_y) ** 2
    shading = 0.65 + 0.35 * np.sqrt(np.clip(1 - radial, 0, 1))
    image[truth] = (np.asarray(colour, np.float32) * shading[..., None])[truth]
    image += rng.normal(0, 0.015, image.shape).astype(np.float32)
    return np.clip(image, 0, 1).astype(np.float32), truth


def disk_alpha(
    height: int, width: int, radius: float, centre: tuple[float, float] | None = None
) -> np.ndarray:
    """An anti-aliased disk as float alpha in [0, 1]."""
    cy, cx = centre if centre is not None else ((height - 1) / 2, (width - 1) / 2)
    rows, cols = np.mgrid[0:height, 0:width]
    distance = np.hypot(rows - cy, cols - cx)
    return np.clip(radius + 0.5 - distance, 0, 1).astype(np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))

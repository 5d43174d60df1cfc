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


def drawn_figure(size: int = 256, stroke_px: int = 3, gaps: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A figure drawn as black lines on white: a head on a body with a crease and hatching.

    Returns (grey picture in [0, 1], true filled silhouette). `gaps` erases that many
    short pieces (3 % of the figure's height each) from the outline, as hands leave them.
    """
    scale = size / 256
    truth = np.zeros((size, size), np.uint8)
    head, body = ((128, 80), (48, 42)), ((70, 110), (186, 220))
    cv2.ellipse(
        truth,
        (round(head[0][0] * scale), round(head[0][1] * scale)),
        (round(head[1][0] * scale), round(head[1][1] * scale)),
        0,
        0,
        360,
        1,
        -1,
    )
    cv2.rectangle(
        truth,
        (round(body[0][0] * scale), round(body[0][1] * scale)),
        (round(body[1][0] * scale), round(body[1][1] * scale)),
        1,
        -1,
    )
    contours, _ = cv2.findContours(truth, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    ink = np.zeros((size, size), np.uint8)
    cv2.drawContours(ink, contours, -1, 1, stroke_px)
    cv2.line(
        ink,
        (round(90 * scale), round(170 * scale)),
        (round(166 * scale), round(170 * scale)),
        1,
        max(1, stroke_px // 2),
    )
    for x in range(80, 180, 9):  # hatching in the lower body
        cv2.line(
            ink, (round(x * scale), round(185 * scale)), (round((x + 12) * scale), round(212 * scale)), 1, 1
        )
    ink &= cv2.erode(truth, np.ones((3, 3), np.uint8)) | cv2.morphologyEx(
        truth, cv2.MORPH_GRADIENT, np.ones((stroke_px + 2,) * 2, np.uint8)
    )
    outline = contours[0][:, 0, :]
    for index in range(gaps):
        x, y = outline[(index * 2 + 1) * len(outline) // (2 * gaps + 1)]
        cv2.circle(ink, (int(x), int(y)), round(np.hypot(0.015 * 180 * scale, stroke_px / 2 + 1)), 0, -1)
    grey = 0.97 - 0.9 * cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 0.5)
    return np.clip(grey, 0, 1).astype(np.float32), truth > 0


def photographed_drawing(seed: int = 0, coloured: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`drawn_figure` in ballpoint on cream paper, photographed on a wooden table.

    Turned and seen slightly from the side, with light falling off, a soft shadow
    across the page, sensor noise and JPEG; returns (rgb, true mask in the photo).
    """
    rng = np.random.default_rng(seed)
    grey, truth = drawn_figure(256, stroke_px=2)
    sheet = np.full((380, 300, 3), (0.95, 0.92, 0.82), np.float32)
    sheet *= (1 + 0.02 * rng.standard_normal((380, 300, 1))).astype(np.float32)
    page_truth = np.zeros((380, 300), np.float32)
    ink = 1 - (grey - grey.min()) / (grey.max() - grey.min())
    region = (slice(60, 316), slice(22, 278))
    if coloured:
        inside = cv2.erode(truth.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(np.float32)
        sheet[region] *= 1 - inside[..., None] * (1 - np.array([0.9, 0.45, 0.35], np.float32))
    sheet[region] *= 1 - ink[..., None] * (1 - np.array([0.15, 0.2, 0.5], np.float32))
    page_truth[region] = truth
    corners = np.float32([[0, 0], [300, 0], [300, 380], [0, 380]])
    placed = np.float32([[150, 70], [440, 95], [425, 455], [120, 430]])
    homography = cv2.getPerspectiveTransform(corners, placed)
    size = (600, 520)
    page = cv2.warpPerspective(sheet, homography, size)
    alpha = cv2.warpPerspective(np.ones((380, 300), np.float32), homography, size)[..., None]
    mask = cv2.warpPerspective(page_truth, homography, size) >= 0.5
    rows, cols = np.mgrid[0:520, 0:600].astype(np.float32)
    wood = (
        np.array([0.5, 0.33, 0.18], np.float32) * (1 + 0.1 * np.sin(rows / 9 + np.sin(cols / 40)))[..., None]
    )
    photo = page * alpha + wood * (1 - alpha)
    light = 1.05 - 0.35 * ((cols - 200) ** 2 + (rows - 150) ** 2) / (600**2)
    shadow = cv2.GaussianBlur(((cols - 430) ** 2 + (rows - 140) ** 2 < 130**2).astype(np.float32), (0, 0), 15)
    photo = photo * (light * (1 - 0.35 * shadow))[..., None]
    photo = cv2.GaussianBlur(photo, (0, 0), 0.7) + rng.normal(0, 0.01, photo.shape).astype(np.float32)
    encoded = cv2.imencode(
        ".jpg", np.round(np.clip(photo, 0, 1) * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 70]
    )[1]
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR).astype(np.float32) / 255, mask


def white_on_white(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A white, softly shaded box on an off-white backdrop with a soft shadow; returns (rgb, truth)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:300, 0:400].astype(np.float32)
    corner = 18.0
    dx = np.clip(np.abs(cols - 200) - (110 - corner), 0, None)
    dy = np.clip(np.abs(rows - 150) - (80 - corner), 0, None)
    truth = dx**2 + dy**2 <= corner**2
    backdrop = 0.9 * (1 + 0.04 * (cols / 400 - 0.5))
    shadow = cv2.GaussianBlur(np.roll(truth, (10, 14), axis=(0, 1)).astype(np.float32), (0, 0), 8)
    image = (backdrop * (1 - 0.25 * shadow))[..., None] * np.ones(3, np.float32)
    shading = 0.8 + 0.17 * np.clip(1 - ((cols - 170) / 150) ** 2 - ((rows - 130) / 120) ** 2, 0, 1)
    image[truth] = (shading[..., None] * np.array([0.99, 0.98, 0.96], np.float32))[truth]
    image += rng.normal(0, 0.01, image.shape).astype(np.float32)
    return np.clip(image, 0, 1).astype(np.float32), truth

"""De-lighting: divide the picture's shading out, so the texture holds base colour, not light.

A glTF viewer lights the asset again; a texture that still carries the photo's light
shows it twice (dark sides get darker, the lit side glows). The surface the project
built gives a normal per pixel, so a low-order lighting model (2nd-order spherical
harmonics of the normal) fitted to the picture's luminance is the shading to remove.
"""

from __future__ import annotations

import cv2
import numpy as np

from lift3d.images import extend_beyond_mask

# Shading is scaled so that this share of the object's pixels are at most fully lit:
# the best-lit side of the picture keeps its colour, shadowed sides are lifted to it.
LIT_PERCENTILE = 90.0
# Never lift a pixel by more than 1 / MIN_SHADING: grazing normals are unreliable.
MIN_SHADING = 0.35
# Robust fit: pixels this many median deviations off the fit (eyes, stripes, highlights)
# get down-weighted, so the model follows the light and not the paint.
HUBER_K = 1.5
FIT_ROUNDS = 4
FIT_PX = 96
BLUR_SIGMA_PX = 1.0
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def normals_from_depth(front_z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(H, W, 3) unit normals of the visible surface in the view frame, from its height map.

    `front_z` is in view units over the [-1, 1] square; off the mask the normal of the
    nearest object pixel is used.
    """
    height, width = mask.shape
    depth = cv2.resize(np.asarray(front_z, dtype=np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    depth = extend_beyond_mask(depth, mask, 1)
    depth = cv2.GaussianBlur(depth, (0, 0), BLUR_SIGMA_PX * height / FIT_PX)
    d_row, d_col = np.gradient(depth)
    # x grows with columns, y shrinks with rows; a pixel is 2 / side view units
    dz_dx = d_col * width / 2.0
    dz_dy = -d_row * height / 2.0
    normal = np.stack([-dz_dx, -dz_dy, np.ones_like(depth)], axis=-1)
    return normal / np.linalg.norm(normal, axis=-1, keepdims=True)


def sh_basis(normal: np.ndarray) -> np.ndarray:
    """The 9 real spherical-harmonic functions (up to order 2) of unit normals (N, 3)."""
    x, y, z = normal[:, 0], normal[:, 1], normal[:, 2]
    one = np.ones_like(x)
    return np.stack([one, x, y, z, x * y, x * z, y * z, x * x - y * y, 3 * z * z - 1], axis=1)


def fit_shading(luminance: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """SH coefficients (9,) of luminance ~ shading(normal), fitted robustly (IRLS, Huber)."""
    basis = sh_basis(normal).astype(np.float64)
    target = luminance.astype(np.float64)
    weight = np.ones_like(target)
    # a little ridge keeps flat or one-sided surfaces solvable (they then get no change)
    ridge = len(target) * np.diag([1e-6, 1e-4, 1e-4, 1e-4, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3])
    coefficients = np.zeros(basis.shape[1])
    for _ in range(FIT_ROUNDS):
        weighted = basis * weight[:, None]
        coefficients = np.linalg.solve(weighted.T @ basis + ridge, weighted.T @ target)
        residual = target - basis @ coefficients
        scale = 1.4826 * np.median(np.abs(residual)) + 1e-6
        ratio = np.abs(residual) / (HUBER_K * scale)
        weight = np.where(ratio <= 1.0, 1.0, 1.0 / np.maximum(ratio, 1e-12))
    return coefficients


def delight_picture(rgb: np.ndarray, mask: np.ndarray, front_z: np.ndarray) -> np.ndarray:
    """The picture (H, W, 3) in [0, 1] with its shading divided out on the mask; hue is kept.

    Every channel is divided by the same shading, so only brightness changes. Pixels off
    the mask are returned unchanged.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.sum() < 16:
        return rgb
    rgb = np.asarray(rgb, dtype=np.float32)
    normal = normals_from_depth(front_z, mask)
    step = max(1, mask.shape[0] // FIT_PX)
    fit_mask = mask[::step, ::step]
    sampled_normal = normal[::step, ::step][fit_mask]
    luminance = rgb[::step, ::step][fit_mask] @ LUMA
    coefficients = fit_shading(luminance, sampled_normal)
    shading = (sh_basis(normal.reshape(-1, 3)) @ coefficients).reshape(mask.shape)
    peak = np.percentile(shading[mask], LIT_PERCENTILE)
    if not peak > 1e-6:
        return rgb
    shading = np.clip(shading / peak, MIN_SHADING, None).astype(np.float32)
    delit = np.clip(rgb / shading[..., None], 0.0, 1.0)
    return np.where(mask[..., None], delit, rgb)

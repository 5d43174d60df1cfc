"""Find the object in a picture: from its alpha channel, or by separating it from a plain backdrop."""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from lift3d.errors import InputError
from lift3d.images import scaled_size
from lift3d.types import Picture

# Objects covering less of the picture than this are specks, not subjects.
MIN_OBJECT_FRACTION = 0.001
# Enclosed holes smaller than this fraction of the object are filled (glare, a label
# that matches the backdrop); larger ones, like a mug handle's, are kept.
MAX_HOLE_FRACTION = 0.02
# Alpha counts as a cutout only when at least this fraction of pixels is transparent;
# otherwise (an opaque PNG, rounded corners) the colours are segmented instead.
MIN_TRANSPARENT_FRACTION = 0.01
# Segmentation runs at this size; the mask is then smoothed back to full size.
SEGMENT_SIDE_PX = 512
# Shadows on the backdrop may darken it by up to this fraction without counting as object.
SHADOW_DEPTH = 0.35
# Colour distance (RGB units in [0, 1]) that always separates object from backdrop.
MIN_THRESHOLD = 0.08
# GrabCut's colour models start from OpenCV's random state, seeded with this.
GRABCUT_SEED = 0
# Components smaller than this fraction of the largest are dropped as specks.
MIN_COMPONENT_FRACTION = 0.05


def find_object(
    picture: Picture,
    *,
    min_object_fraction: float = MIN_OBJECT_FRACTION,
    max_hole_fraction: float = MAX_HOLE_FRACTION,
) -> np.ndarray:
    """Return the (H, W) bool mask of the picture's object.

    A cut-out picture's alpha is trusted; otherwise the object is separated from a
    plain or simple backdrop (shadows, gradients and noise allowed). Raises InputError
    when nothing usable stands out, since every later stage needs an object.
    """
    height, width = picture.rgb.shape[:2]
    if picture.alpha is not None and float(picture.alpha.max()) < 2 / 255:
        raise InputError(f"no object found in {picture.source}: the picture is fully transparent")
    if picture.alpha is not None and has_cutout_alpha(picture):
        mask = _clean(_alpha_mask(picture.alpha), max_hole_fraction)
    else:
        mask = _segment_colours(picture, max_hole_fraction)
    area = int(mask.sum())
    if area == 0:
        raise InputError(f"no object found in {picture.source}: nothing stands out from the backdrop")
    if area < min_object_fraction * height * width:
        raise InputError(
            f"no object found in {picture.source}: the only thing standing out is too small "
            f"({area} pixels, under {min_object_fraction:.1%} of the picture)"
        )
    return mask


def has_cutout_alpha(picture: Picture) -> bool:
    """Whether the picture's alpha already separates an object from empty space."""
    if picture.alpha is None:
        return False
    transparent = float((~_alpha_mask(picture.alpha)).mean())
    return transparent >= MIN_TRANSPARENT_FRACTION


def _alpha_mask(alpha: np.ndarray) -> np.ndarray:
    # Half coverage, unless the whole object is faint (a ghostly render).
    return alpha >= min(0.5, 0.5 * float(alpha.max()))


def _segment_colours(picture: Picture, max_hole_fraction: float) -> np.ndarray:
    """Separate the object from the backdrop by colour, at a working size."""
    height, width = picture.rgb.shape[:2]
    scale = min(1.0, SEGMENT_SIDE_PX / max(height, width))
    small: np.ndarray = picture.rgb
    if scale < 1:
        small = cv2.resize(small, scaled_size(height, width, scale), interpolation=cv2.INTER_AREA)
    # Pixel noise would otherwise decide single pixels near the threshold.
    smooth = cv2.GaussianBlur(small, (0, 0), sigmaX=1.0)
    median = np.median(smooth.reshape(-1, 3), axis=0)
    if float(np.abs(smooth - median).max()) < 0.05:
        raise InputError(f"no object found in {picture.source}: the picture is blank (one flat colour)")

    backdrop, noise = _fit_backdrop(smooth)
    threshold = max(MIN_THRESHOLD, 4.0 * noise)
    distance = _backdrop_distance(smooth, backdrop, SHADOW_DEPTH)
    candidate = _clean(distance > threshold, max_hole_fraction)
    darkening = _backdrop_distance(smooth, backdrop, 0.0)
    if candidate.sum() < 0.01 * candidate.size:
        # Little but "shadow": the object is more likely a grey close to the backdrop's
        # hue than that small, so darkening has to count after all.
        distance = darkening
        candidate = _clean(distance > threshold, max_hole_fraction)
    else:
        enclosed = _enclosed_darkening(darkening, threshold, candidate)
        distance = np.where(enclosed, darkening, distance)
        candidate = _clean(candidate | enclosed, max_hole_fraction)
    if not candidate.any():
        return np.zeros((height, width), dtype=bool)
    mask = _clean(_refine_with_grabcut(small, distance, threshold, candidate), max_hole_fraction)
    if not mask.any():
        mask = candidate

    # Back to full size; blurring before the threshold smooths the outline.
    soft: np.ndarray = mask.astype(np.float32)
    if scale < 1:
        soft = cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(soft, (0, 0), sigmaX=max(1.0, 0.75 / scale))
    return _clean(soft >= 0.5, max_hole_fraction)


def _fit_backdrop(image: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit a smooth backdrop colour to the border and measure its noise.

    A quadratic in x and y per channel follows lighting gradients and vignetting;
    trimming the worst-fitting border pixels makes it ignore an object or a shadow
    that reaches the edge.
    """
    height, width = image.shape[:2]
    band = max(2, round(0.03 * min(height, width)))
    border = np.zeros((height, width), dtype=bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    rows, cols = np.nonzero(border)
    colours = image[rows, cols].astype(np.float64)
    step = max(1, len(rows) // 20000)
    rows, cols, colours = rows[::step], cols[::step], colours[::step]

    def basis(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        u = 2.0 * x / max(width - 1, 1) - 1.0
        v = 2.0 * y / max(height - 1, 1) - 1.0
        return np.stack([np.ones_like(u), u, v, u * v, u * u, v * v], axis=-1)

    design = basis(rows.astype(np.float64), cols.astype(np.float64))
    # Start from the median colour, which ignores anything covering under half the border.
    coefficients = np.zeros((design.shape[1], 3))
    coefficients[0] = np.median(colours, axis=0)
    residual = np.linalg.norm(colours - coefficients[0], axis=1)
    keep = residual <= max(2.5 * float(np.median(residual)), 0.03)
    for _ in range(5):
        if keep.sum() < 4 * design.shape[1]:
            break
        coefficients, *_ = np.linalg.lstsq(design[keep], colours[keep], rcond=None)
        residual = np.linalg.norm(colours - design @ coefficients, axis=1)
        keep = residual <= max(3.0 * float(np.median(residual[keep])), 0.01)
    # The norm of 3-channel Gaussian noise has median about 1.54 sigma.
    noise = float(np.median(residual[keep])) / 1.54 if keep.any() else 0.0

    grid_rows, grid_cols = np.mgrid[0:height, 0:width]
    backdrop = basis(grid_rows.astype(np.float64), grid_cols.astype(np.float64)) @ coefficients
    return np.clip(backdrop, 0.0, 1.0).astype(np.float32), noise


def _backdrop_distance(image: np.ndarray, backdrop: np.ndarray, shadow_depth: float) -> np.ndarray:
    """How far each pixel is from the backdrop, forgiving shadows.

    A shadow scales the backdrop colour by a factor a little under one, so only the
    change of hue, and darkening beyond `shadow_depth`, count.
    """
    power = np.sum(backdrop * backdrop, axis=-1) + 1e-6
    brightness = np.sum(image * backdrop, axis=-1) / power
    hue_change = np.linalg.norm(image - brightness[..., None] * backdrop, axis=-1)
    length = np.sqrt(power)
    darker = np.clip((1.0 - shadow_depth) - brightness, 0.0, None) * length
    brighter = np.clip(brightness - 1.0, 0.0, None) * length
    return np.sqrt(hue_change**2 + darker**2 + brighter**2)


def _enclosed_darkening(darkening: np.ndarray, threshold: float, candidate: np.ndarray) -> np.ndarray:
    """Parts forgiven as shadow that the object encloses: a grey object's lit middle, not a shadow.

    A shadow lies on the backdrop beside the object; a region no darker than a shadow
    with object all around it (the highlight of a grey ball on white) is object. A hole
    that shows any clean backdrop is left alone, shadowed or not.
    """
    extra = (darkening > threshold) & ~candidate
    labels, count = ndimage.label(extra, structure=np.ones((3, 3)))
    if count == 0:
        return extra
    found = (candidate | extra).astype(np.uint8)
    beyond = cv2.dilate(found, np.ones((7, 7), np.uint8)) > 0
    beyond &= ~(cv2.dilate(found, np.ones((3, 3), np.uint8)) > 0)
    touching_backdrop = np.bincount(ndimage.grey_dilation(labels, size=7)[beyond], minlength=count + 1) > 0
    enclosed = ~touching_backdrop
    enclosed[0] = False
    return enclosed[labels]


def _refine_with_grabcut(
    image: np.ndarray, distance: np.ndarray, threshold: float, candidate: np.ndarray
) -> np.ndarray:
    """Let GrabCut settle the uncertain edge and shadow pixels the threshold guessed."""
    height, width = candidate.shape
    reach = max(3, round(0.04 * max(height, width)))
    near = cv2.dilate(candidate.astype(np.uint8), np.ones((2 * reach + 1,) * 2, np.uint8)) > 0
    core = cv2.erode(candidate.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    labels = np.full((height, width), cv2.GC_BGD, dtype=np.uint8)
    labels[near] = cv2.GC_PR_BGD
    labels[distance > threshold] = cv2.GC_PR_FGD
    labels[~near] = cv2.GC_BGD
    labels[core & (distance > 1.5 * threshold)] = cv2.GC_FGD
    if not (labels == cv2.GC_FGD).any() or not (labels == cv2.GC_BGD).any():
        return candidate
    image8 = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)  # background, foreground
    # GrabCut seeds its colour models from OpenCV's global random state, which every call
    # advances: unseeded, the same picture gave IoU 0.99 on one call and 0.82 on the next.
    cv2.setRNGSeed(GRABCUT_SEED)
    try:
        cv2.grabCut(image8, labels, (0, 0, 0, 0), *models, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return candidate
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _clean(mask: np.ndarray, max_hole_fraction: float) -> np.ndarray:
    """Drop specks, keep the main component(s) and fill small enclosed holes."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, dtype=bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    kept = np.flatnonzero(areas >= MIN_COMPONENT_FRACTION * areas.max()) + 1
    mask = np.isin(labels, kept)

    count, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    height, width = mask.shape
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right = left + stats[:, cv2.CC_STAT_WIDTH]
    bottom = top + stats[:, cv2.CC_STAT_HEIGHT]
    enclosed = (left > 0) & (top > 0) & (right < width) & (bottom < height)
    small = stats[:, cv2.CC_STAT_AREA] <= max_hole_fraction * mask.sum()
    enclosed[0] = False  # label 0 is the object itself
    holes = np.flatnonzero(enclosed & small)
    if len(holes):
        mask = mask | np.isin(labels, holes)
    return mask

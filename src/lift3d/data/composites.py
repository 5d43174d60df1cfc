"""Training pictures for the learned cutout: the project's objects and drawings on many backdrops.

The same picture makers as the cutout measurement set (`data.paper`: object photos on
plain, white-on-white, low-contrast, gradient and textured backdrops with shadows;
line drawings on white; drawings photographed on tinted paper on a table), plus objects
photographed lying on a sheet of paper, all drawn from seeds in
[COMPOSITE_SEED, COMPOSITE_SEED + 100,000,000): below the measurement set's range
(1,000,000,000 up), so no training picture shares a shape or a backdrop with a
measured one.
"""

from __future__ import annotations

import cv2
import numpy as np

from lift3d.data.paper import (
    PAPER_TINTS,
    CutoutCase,
    _homography,
    _jpeg,
    _smooth_field,
    _table,
    line_case,
    paper_case,
    photo_case,
)

COMPOSITE_SEED = 900_000_000
COMPOSITE_SEEDS = 100_000_000
# Share of each picture kind among the training composites, out of 21 consecutive seeds: 21 is
# prime to the measurement makers' own cycles (4 styles, 5 backdrops), so every kind meets them all.
MIX = (("photo", 10), ("paper", 4), ("line", 4), ("sheet", 3))


def composite_kind(seed: int) -> str:
    """Which kind of picture `seed` draws: a fixed cycle over MIX."""
    slot = seed % sum(share for _, share in MIX)
    for kind, share in MIX:
        if slot < share:
            return kind
        slot -= share
    raise AssertionError("unreachable")


def object_on_sheet(seed: int) -> CutoutCase:
    """An object photographed lying on a sheet of paper that lies on a table."""
    from lift3d.data.synth import generate_sample

    rng = np.random.default_rng([seed, 404])
    frame = (480, 640) if rng.random() < 0.5 else (640, 480)
    side = int(rng.integers(200, 340))
    sample = generate_sample(seed, size=side)
    rgba = cv2.resize(sample.rgba, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    sheet_h, sheet_w = (420, 300) if rng.random() < 0.5 else (300, 420)
    tint = np.asarray(list(PAPER_TINTS.values())[int(rng.integers(len(PAPER_TINTS)))], np.float32)
    sheet = tint * (1 + 0.02 * _smooth_field(rng, (sheet_h, sheet_w), 20))[..., None]
    homography = _homography(rng, (sheet_h, sheet_w), frame, rng.uniform(0.8, 1.3))
    size = (frame[1], frame[0])
    sheet_alpha = cv2.warpPerspective(np.ones((sheet_h, sheet_w), np.float32), homography, size)
    warped = cv2.warpPerspective(sheet, homography, size)
    table, _ = _table(rng, frame)
    backdrop = warped * sheet_alpha[..., None] + table * (1 - sheet_alpha[..., None])
    alpha = np.zeros(frame, np.float32)
    colour = np.zeros((*frame, 3), np.float32)
    top = int(rng.integers(0, frame[0] - side + 1))
    left = int(rng.integers(0, frame[1] - side + 1))
    alpha[top : top + side, left : left + side] = rgba[..., 3]
    colour[top : top + side, left : left + side] = rgba[..., :3]
    shadow = cv2.GaussianBlur(
        np.roll(alpha, (int(rng.integers(2, 14)), int(rng.integers(-10, 11))), axis=(0, 1)),
        (0, 0),
        rng.uniform(3, 12),
    )
    backdrop = backdrop * (1 - rng.uniform(0.15, 0.4) * shadow)[..., None]
    rows, cols = np.mgrid[0 : frame[0], 0 : frame[1]].astype(np.float32)
    light = 1 + rng.uniform(0.0, 0.3) * (
        (cols / frame[1] - 0.5) * rng.uniform(-1, 1) + (rows / frame[0] - 0.5)
    )
    photo = (colour * alpha[..., None] + backdrop * (1 - alpha[..., None])) * light[..., None]
    photo = photo + rng.normal(0, rng.uniform(0.004, 0.015), photo.shape)
    rgb = _jpeg(np.clip(photo, 0, 1).astype(np.float32), int(rng.integers(65, 95)))
    return CutoutCase(rgb=rgb, truth=alpha >= 0.5, kind="sheet", variant="object on paper", seed=seed)


def training_composite(seed: int) -> CutoutCase:
    """The training picture for `seed` (from COMPOSITE_SEED on) and its true mask."""
    if not COMPOSITE_SEED <= seed < COMPOSITE_SEED + COMPOSITE_SEEDS:
        raise ValueError(f"seed {seed} is outside the composites' range; measured pictures stay apart")
    makers = {"photo": photo_case, "paper": paper_case, "line": line_case, "sheet": object_on_sheet}
    return makers[composite_kind(seed)](seed)

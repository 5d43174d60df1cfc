"""The hidden side's colour: each region's base colour continued inward from the outline.

Mirroring the picture onto the back prints the face, buttons and logo on both sides.
What the picture does show of the back is its outline: the rim of every region. Its
colour, with small features filtered out, is filled across the inside, so the back
keeps the regions' colours and loses the front's details.
"""

from __future__ import annotations

import cv2
import numpy as np

FILL_PX = 64
# The rim band the colours come from: inside a drawn outline or the dark shaded rim
# (the bake's SIDE_INSET share of the square), up to this share of the object's largest
# inner distance.
RIM_START_PX = 3.0
RIM_SHARE = 0.3
MEDIAN_PX = 5  # removes features up to about 2 px wide at FILL_PX (eyes, buttons, dots)


def fill_hidden_side(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 back colour for a view-frame picture: rim colours filled inward.

    Defined everywhere (also off the mask), like the extended front image.
    """
    height, width = mask.shape
    small = cv2.resize(np.asarray(rgb, dtype=np.float32), (FILL_PX, FILL_PX), interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(mask.astype(np.float32), (FILL_PX, FILL_PX), interpolation=cv2.INTER_AREA) >= 0.5
    if small_mask.sum() < 4:
        return np.asarray(rgb, dtype=np.float32)
    inside = cv2.distanceTransform(small_mask.astype(np.uint8), cv2.DIST_L2, 5)
    rim = (inside > RIM_START_PX) & (inside <= max(RIM_START_PX + 2.0, RIM_SHARE * inside.max()))
    if rim.sum() < 4:
        rim = small_mask
    small8 = np.clip(np.rint(small * 255), 0, 255).astype(np.uint8)
    # fill the unknown first so the median near the rim's edges sees object colour only
    seeded = cv2.inpaint(small8, (~rim).astype(np.uint8), 3, cv2.INPAINT_TELEA)
    base = cv2.medianBlur(seeded, MEDIAN_PX)
    base[~rim] = 0
    filled = cv2.inpaint(base, (~rim).astype(np.uint8), 3, cv2.INPAINT_TELEA)
    filled = cv2.GaussianBlur(filled.astype(np.float32) / 255.0, (0, 0), 1.0)
    return cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)

"""The camera convention shared by the renderer, the visual hull and view carving."""

from __future__ import annotations

import numpy as np


def view_rotation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Spin about +y (azimuth), then tip the top toward the viewer (elevation)."""
    azimuth, elevation = np.radians(azimuth_deg), np.radians(elevation_deg)
    spin = np.array(
        [[np.cos(azimuth), 0, np.sin(azimuth)], [0, 1, 0], [-np.sin(azimuth), 0, np.cos(azimuth)]]
    )
    tip = np.array(
        [[1, 0, 0], [0, np.cos(elevation), -np.sin(elevation)], [0, np.sin(elevation), np.cos(elevation)]]
    )
    return tip @ spin

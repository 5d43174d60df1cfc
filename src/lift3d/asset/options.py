"""Options of the asset stage, validated up front so a bad value fails before any work."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from lift3d.errors import OptionError

MIN_FACES = 100
TEXTURE_PX_RANGE = (64, 8192)


@dataclass(frozen=True)
class AssetOptions:
    """How the reconstructed mesh becomes a finished, textured asset."""

    max_faces: int = field(default=20000, metadata={"help": "triangle budget after decimation"})
    texture_px: int = field(default=1024, metadata={"help": "side of the square base-colour texture"})
    height_m: float = field(default=1.0, metadata={"help": "height of the asset along +Y in metres"})
    crease_angle_deg: float = field(
        default=40.0, metadata={"help": "edges sharper than this keep a hard normal crease"}
    )

    def __post_init__(self) -> None:
        if not _is_int(self.max_faces) or self.max_faces < MIN_FACES:
            raise OptionError(f"max_faces must be an integer >= {MIN_FACES}, got {self.max_faces!r}")
        low, high = TEXTURE_PX_RANGE
        if not _is_int(self.texture_px) or not low <= self.texture_px <= high:
            raise OptionError(f"texture_px must be an integer in {low}..{high}, got {self.texture_px!r}")
        if not _is_number(self.height_m) or not 0 < self.height_m < math.inf:
            raise OptionError(f"height_m must be a positive number of metres, got {self.height_m!r}")
        if not _is_number(self.crease_angle_deg) or not 0 <= self.crease_angle_deg <= 180:
            raise OptionError(f"crease_angle_deg must be in 0..180 degrees, got {self.crease_angle_deg!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)

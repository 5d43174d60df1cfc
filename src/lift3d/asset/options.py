"""Options of the asset stage, validated up front so a bad value fails before any work."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from lift3d.errors import OptionError

MIN_FACES = 100
# Far above what the reconstruction grid can give; only a typo or an attack asks for more.
MAX_FACES = 2_000_000
PIVOTS = ("base", "center")
HIDDEN_SIDE_MODES = ("fill", "mirror")
TEXTURE_PX_RANGE = (64, 8192)
# A millimetre to a kilometre: outside it a float32 glTF loses the shape (1e-300 collapses
# it to a point, 1e308 overflows to infinite vertex positions).
HEIGHT_M_RANGE = (0.001, 1000.0)


@dataclass(frozen=True)
class AssetOptions:
    """How the reconstructed mesh becomes a finished, textured asset."""

    # Each field's help is what the CLI, the server's form and its /api/info show: written here only.
    max_faces: int = field(default=20000, metadata={"help": "maximum number of triangles"})
    texture_px: int = field(default=1024, metadata={"help": "texture width and height in pixels"})
    height_m: float = field(default=1.0, metadata={"help": "height of the asset in metres"})
    crease_angle_deg: float = field(
        default=40.0, metadata={"help": "edges sharper than this keep a hard normal crease"}
    )
    pivot: str = field(
        default="base",
        metadata={
            "help": "where the origin is: base = bottom on the floor (y = 0), centred in x and z; "
            "center = the middle of the bounding box",
            "choices": PIVOTS,
        },
    )
    quads: bool = field(
        default=False,
        metadata={
            "help": "also retopologise to quads (Instant Meshes) for editing; .obj and .usdz write them "
            "[needs pip install 'lift3d[quads]']"
        },
    )

    delight: bool = field(
        default=True,
        metadata={
            "help": "divide the picture's light and shadows out of the texture, leaving base colour",
            "off_help": "keep the picture's light and shadows in the texture",
        },
    )
    hidden_side: str = field(
        default="fill",
        metadata={
            "help": "colour of the side the picture cannot see: fill = each region's colour continued "
            "from the outline, without the front's details; mirror = the front repeated, darker",
            "choices": HIDDEN_SIDE_MODES,
        },
    )

    def __post_init__(self) -> None:
        if not _is_int(self.max_faces) or not MIN_FACES <= self.max_faces <= MAX_FACES:
            raise OptionError(
                f"max_faces must be an integer in {MIN_FACES}..{MAX_FACES}, got {self.max_faces!r}"
            )
        low, high = TEXTURE_PX_RANGE
        if not _is_int(self.texture_px) or not low <= self.texture_px <= high:
            raise OptionError(f"texture_px must be an integer in {low}..{high}, got {self.texture_px!r}")
        low_m, high_m = HEIGHT_M_RANGE
        if not _is_number(self.height_m) or not low_m <= self.height_m <= high_m:
            raise OptionError(f"height_m must be {low_m:g} to {high_m:g} metres, got {self.height_m!r}")
        if self.pivot not in PIVOTS:
            raise OptionError(f"pivot must be base or center, got {self.pivot!r}")
        if self.hidden_side not in HIDDEN_SIDE_MODES:
            raise OptionError(f"hidden_side must be fill or mirror, got {self.hidden_side!r}")
        if not isinstance(self.delight, bool):
            raise OptionError(f"delight must be true or false, got {self.delight!r}")
        if not _is_number(self.crease_angle_deg) or not 0 <= self.crease_angle_deg <= 180:
            raise OptionError(f"crease_angle_deg must be in 0..180 degrees, got {self.crease_angle_deg!r}")
        if self.quads:
            from lift3d.asset.quads import check_quads_available

            check_quads_available()


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isnan(value)

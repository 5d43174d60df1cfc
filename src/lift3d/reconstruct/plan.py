"""Floor plans: a plan drawing becomes a walkable glTF scene (walls, openings, floors) and a JSON summary.

Stages: `parse_plan` (picture -> walls and openings in pixels), `resolve_scale` (metres
per pixel), `find_rooms`, then `build_plan_scene` (pixels -> named, watertight solids).
`convert_plan` runs them all (lift3d.pipelines.plan reads a file and writes the GLB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

import lift3d
from lift3d.errors import InputError, OptionError
from lift3d.reconstruct.plan_geometry import Heights, PlanModel, build_plan_scene, plan_frame
from lift3d.reconstruct.plan_parse import PlanLayout, find_rooms, longest_wall_px, parse_plan
from lift3d.types import Picture

# Without --scale or --wall-length the drawn doors set the scale: the median door gap
# is taken to be this wide (a common interior door's clear opening). A plan without doors
# falls back to its thinnest walls being this thick (an interior partition).
DEFAULT_DOOR_WIDTH_M = 0.85
DEFAULT_WALL_THICKNESS_M = 0.15
AXES = "glTF: +Y up, metres; picture x -> +X, picture down -> +Z; walls centred on the origin, floor at Y = 0"


@dataclass(frozen=True)
class PlanOptions:
    """How a plan picture becomes a 3D model. At most one of the two scale options may be given."""

    scale_m_per_px: float | None = None  # metres per pixel of the picture file
    wall_length_m: float | None = None  # or: the longest straight wall is this long (outside faces)
    wall_height_m: float = 2.7
    door_height_m: float = 2.1
    window_sill_m: float = 0.9
    window_top_m: float = 2.1
    ceilings: bool = False
    min_room_area_m2: float = 1.0  # smaller enclosed spaces (shafts, columns) are not rooms

    def __post_init__(self) -> None:
        if self.scale_m_per_px is not None and self.wall_length_m is not None:
            raise OptionError("give either a scale or a wall length, not both")
        if self.scale_m_per_px is not None and not 0 < self.scale_m_per_px <= 10:
            raise OptionError(f"scale must be between 0 and 10 metres per pixel, got {self.scale_m_per_px}")
        if self.wall_length_m is not None and not 0 < self.wall_length_m <= 10_000:
            raise OptionError(f"wall length must be between 0 and 10000 m, got {self.wall_length_m}")
        if not 0.5 <= self.wall_height_m <= 100:
            raise OptionError(f"wall height must be between 0.5 and 100 m, got {self.wall_height_m}")
        if not 0 < self.door_height_m <= self.wall_height_m:
            raise OptionError(
                f"door height must be positive and at most the wall height ({self.wall_height_m} m), "
                f"got {self.door_height_m}"
            )
        if not 0 <= self.window_sill_m < self.window_top_m <= self.wall_height_m:
            raise OptionError(
                f"windows need 0 <= sill < top <= wall height ({self.wall_height_m} m), "
                f"got sill {self.window_sill_m} m and top {self.window_top_m} m"
            )
        if self.min_room_area_m2 < 0:
            raise OptionError(f"min_room_area_m2 must be >= 0, got {self.min_room_area_m2}")


@dataclass
class PlanResult:
    """A converted plan: the scene, what its nodes are, and what was read from the picture."""

    model: PlanModel
    layout: PlanLayout
    room_labels: np.ndarray  # (H, W) int32 room ids on the picture's pixels
    m_per_px: float
    scale_from: str  # given | wall_length | door_width | wall_thickness
    options: PlanOptions  # as the caller gave them
    file_px_per_picture_px: float = 1.0  # above 1 when a big file was shrunk to read

    def summary(self) -> dict:
        """Everything a user or another tool needs to know about the model, JSON-ready."""
        bounds = self.model.built_bounds  # open door leaves outside do not count
        size = (bounds[1] - bounds[0]).tolist() if bounds is not None else [0.0, 0.0, 0.0]

        def point(values: tuple[float, float]) -> list[float]:
            return [round(value, 3) for value in values]

        return {
            "source": self.layout.source,
            "axes": AXES,
            "scale_m_per_px": self.m_per_px / self.file_px_per_picture_px,  # per pixel of the input file
            "scale_from": self.scale_from,
            "size_m": [round(value, 3) for value in size],
            "rooms": [
                {"name": room.name, "area_m2": round(room.area_m2, 2), "centroid_m": point(room.centroid_m)}
                for room in self.model.rooms
            ],
            "doors": [
                {
                    "name": opening.name,
                    "centre_m": point(opening.centre_m),
                    "width_m": round(opening.width_m, 3),
                    "wall": opening.wall,
                    "swing_drawn": opening.swing_drawn,
                }
                for opening in self.model.openings
                if opening.kind == "door"
            ],
            "windows": [
                {
                    "name": opening.name,
                    "centre_m": point(opening.centre_m),
                    "width_m": round(opening.width_m, 3),
                    "wall": opening.wall,
                }
                for opening in self.model.openings
                if opening.kind == "window"
            ],
            "walls": [
                {
                    "name": wall.name,
                    "length_m": round(wall.length_m, 3),
                    "thickness_m": round(wall.thickness_m, 3),
                }
                for wall in self.model.walls
            ],
            "options": asdict(self.options),
            "lift3d": lift3d.__version__,
        }


def resolve_scale(layout: PlanLayout, options: PlanOptions) -> tuple[float, str]:
    """Metres per pixel and where it came from: the option, the longest wall, doors, or walls."""
    if options.scale_m_per_px is not None:
        return options.scale_m_per_px, "given"
    if options.wall_length_m is not None:
        length_px = longest_wall_px(layout.closed_walls, layout.wall_thickness_px[0])
        if length_px == 0:
            raise InputError(f"no straight wall found in {layout.source} to measure against --wall-length")
        return options.wall_length_m / length_px, "wall_length"
    if layout.doors:
        return DEFAULT_DOOR_WIDTH_M / float(np.median([door.width_px for door in layout.doors])), "door_width"
    return DEFAULT_WALL_THICKNESS_M / layout.wall_thickness_px[0], "wall_thickness"


def convert_plan(picture: Picture, options: PlanOptions | None = None) -> PlanResult:
    """Read a plan drawing and build its 3D model; InputError when the picture is not a plan."""
    options = options or PlanOptions()
    layout = parse_plan(picture)
    m_per_px, scale_from = resolve_scale(layout, options)
    room_labels = find_rooms(layout, options.min_room_area_m2 / m_per_px**2)
    if room_labels.max() == 0:
        raise InputError(f"no rooms found in {picture.source}: no walls enclose a space; is it a floor plan?")
    heights = Heights(
        wall_m=options.wall_height_m,
        door_m=options.door_height_m,
        window_sill_m=options.window_sill_m,
        window_top_m=options.window_top_m,
        ceilings=options.ceilings,
    )
    model = build_plan_scene(layout, room_labels, plan_frame(layout, m_per_px), heights)
    return PlanResult(model, layout, room_labels, m_per_px, scale_from, options)

"""The server's share of each kind of input: its form fields, how many files it takes, what it writes.

The conversion itself is `lift3d.api.convert` with the kind looked up in
`lift3d.pipelines.PIPELINES`; this module only turns form text into the kind's own
options and says what a job of that kind may upload and download.
"""

from __future__ import annotations

from dataclasses import dataclass

from lift3d.errors import OptionError
from lift3d.pipelines import PIPELINES
from lift3d.serve.settings import DEFAULT_FORMATS, FORMATS


@dataclass(frozen=True)
class KindRules:
    """What a job of one kind uploads and downloads."""

    min_files: int
    max_files: int | None  # None: as many as the server allows per job
    formats: tuple[str, ...]  # the formats its result can be written in
    default_formats: tuple[str, ...]
    fields: tuple[str, ...]  # its own form fields
    files_help: str


# The CLI writes frames and plans only as .glb scenes (an animation, a building of named
# nodes); every other kind is one asset, written in any format.
KINDS: dict[str, KindRules] = {
    "picture": KindRules(1, 1, FORMATS, DEFAULT_FORMATS, (), "one picture of an object"),
    "ortho": KindRules(
        1, 3, FORMATS, DEFAULT_FORMATS, ("projection",), "one sheet, or front, side and top pictures"
    ),
    "views": KindRules(
        2, None, FORMATS, DEFAULT_FORMATS, ("azimuths", "framing"), "two or more pictures around the object"
    ),
    "frames": KindRules(
        1, None, ("glb",), ("glb",), ("fps", "frames_grid"), "the frames, or one GIF or sprite sheet"
    ),
    "plan": KindRules(
        1,
        1,
        ("glb",),
        ("glb",),
        ("scale", "wall_length", "wall_height", "ceilings"),
        "one floor plan drawing",
    ),
}
KIND_FIELDS = {name: kind for kind, rules in KINDS.items() for name in rules.fields}
assert set(KINDS) == set(PIPELINES), "every pipeline is offered by the server"


def kind_defaults() -> dict[str, bool | float | str]:
    """What each kind's form field is when left out: the kind's own options' default."""
    from lift3d.pipelines.frames import FramesOptions
    from lift3d.pipelines.ortho import OrthoOptions
    from lift3d.reconstruct.plan import PlanOptions
    from lift3d.reconstruct.views import CarveOptions

    return {
        "projection": OrthoOptions.projection,
        "framing": CarveOptions.framing,
        "fps": FramesOptions.frame_rate_fps,
        "wall_height": PlanOptions.wall_height_m,
        "ceilings": PlanOptions.ceilings,
    }


def check_files(kind: str, count: int, max_files: int) -> None:
    """Refuse, in one line, a number of files the kind cannot take."""
    rules = KINDS[kind]
    most = min(rules.max_files or max_files, max_files)
    if count < rules.min_files or count > most or (kind == "ortho" and count == 2):
        raise OptionError(f"kind {kind} takes {rules.files_help}; got {count} file(s)")


def check_kind_fields(kind: str, given: dict[str, object]) -> None:
    """A field of another kind (fps with a plan) is refused, never silently dropped."""
    for name, value in given.items():
        owner = KIND_FIELDS.get(name)
        if owner is not None and owner != kind and value is not None:
            raise OptionError(f"{name} means nothing for kind {kind}; it belongs to kind {owner}")


def kind_options(kind: str, given: dict[str, object]) -> object:
    """The kind's own options from its form fields (None or missing: the default)."""
    values = {name: value for name, value in given.items() if value is not None}
    if kind == "picture":
        from lift3d.pipelines.picture import PictureOptions

        return PictureOptions()
    if kind == "ortho":
        from lift3d.pipelines.ortho import OrthoOptions

        return OrthoOptions(projection=str(values.get("projection", OrthoOptions.projection)))
    if kind == "views":
        from lift3d.pipelines.views import ViewsOptions
        from lift3d.reconstruct.views import CarveOptions, parse_azimuths

        azimuths = str(values.get("azimuths", "")).strip()
        carve = CarveOptions(framing=str(values.get("framing") or CarveOptions.framing))
        return ViewsOptions(carve=carve, cameras=parse_azimuths(azimuths) if azimuths else None)
    if kind == "frames":
        from lift3d.inputs.sheets import parse_grid
        from lift3d.pipelines.frames import FramesOptions

        grid = str(values.get("frames_grid", "")).strip()
        return FramesOptions(
            frame_rate_fps=float(values.get("fps", FramesOptions.frame_rate_fps)),  # type: ignore[arg-type]
            sheet_grid=parse_grid(grid) if grid else None,
        )
    from lift3d.reconstruct.plan import PlanOptions

    return PlanOptions(
        scale_m_per_px=values.get("scale"),  # type: ignore[arg-type]
        wall_length_m=values.get("wall_length"),  # type: ignore[arg-type]
        wall_height_m=float(values.get("wall_height", PlanOptions.wall_height_m)),  # type: ignore[arg-type]
        ceilings=bool(values.get("ceilings", False)),
    )


def check_views_cameras(kind: str, options: object, count: int) -> None:
    """Azimuths must name one camera per picture: said at upload, not after the queue."""
    cameras = getattr(options, "cameras", None)
    if kind == "views" and cameras is not None and len(cameras) != count:
        raise OptionError(f"{count} pictures but {len(cameras)} azimuths; give one azimuth per picture")

"""The public entry points: convert a picture, or load a converter once and reuse it.

The CLI, the evaluation runner and any server all go through `Converter`, so every
path to an asset is the same code.
"""

from __future__ import annotations

import functools
import json
import numbers
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

import lift3d
from lift3d.asset import AssetOptions, build_asset, render_preview
from lift3d.asset.options import HEIGHT_M_RANGE, MAX_FACES, MIN_FACES, TEXTURE_PX_RANGE
from lift3d.errors import OptionError
from lift3d.export import ExportOptions, output_files, save_asset
from lift3d.files import refuse_to_replace, write_bytes_atomic
from lift3d.generate import extrude_slab, inflate
from lift3d.inputs import CutoutOptions, make_cutout, read_picture
from lift3d.inputs.detect import FoundObject
from lift3d.inputs.masks import picture_size, read_mask, resize_mask, write_mask
from lift3d.provenance import Provenance, Resolved
from lift3d.reconstruct import ReconstructOptions, maps_to_mesh
from lift3d.types import Asset, Cutout, Picture, ShapeMaps

CLASSICAL_GENERATORS = ("inflate", "slab")
GENERATORS = ("diffusion", *CLASSICAL_GENERATORS)


# The best generator by held-out measurement (README, Quality): the shipped diffusion
# model; inflation when the weights are missing (e.g. a trimmed install).
DEFAULT_GENERATOR = "diffusion"


def default_generator() -> str:
    """The generator used when none is asked for: the best one by held-out measurement."""
    from lift3d.generate.diffusion.weights import shipped_model_dir

    return DEFAULT_GENERATOR if shipped_model_dir() is not None else "inflate"


# The accepted range of every numeric option, declared once beside the options:
# ConvertOptions checks them, the CLI and the server quote them (a server may only lower them).
OPTION_RANGES: dict[str, tuple[float, float]] = {
    "max_faces": (MIN_FACES, MAX_FACES),
    "texture_px": TEXTURE_PX_RANGE,
    "height_m": HEIGHT_M_RANGE,
    "seed": (0, 2**32 - 1),  # what every random generator we use accepts
    "steps": (0, 1000),
    "variants": (1, 16),
    "ensemble": (0, 16),
}


def check_option_ranges(values: dict[str, object], ranges: dict[str, tuple[float, float]]) -> None:
    """Refuse a value outside its range, or of the wrong type, with one line naming it."""
    for name, (low, high) in ranges.items():
        value = values[name]
        whole = isinstance(low, int) and isinstance(high, int)
        kind = numbers.Integral if whole else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:  # type: ignore[operator]
            what = "a whole number" if whole else "a number"
            raise OptionError(f"{name} must be {what} from {low:,} to {high:,}, got {value!r}", option=name)


def stage_field(options: type, name: str) -> Any:
    """A stage option offered again here with the stage's own default and help, written once there."""
    (declared,) = (item for item in fields(options) if item.name == name)
    return field(default=declared.default, metadata=declared.metadata)


@dataclass(frozen=True)
class ConvertOptions:
    """Everything a conversion can be asked for.

    The CLI flags, the server's form and its /api/info, and the Blender add-on take each
    option's default and help from these fields, and its limits from OPTION_RANGES.
    """

    generator: str = field(
        default="",
        metadata={
            "help": "what imagines the hidden shape: the shipped diffusion model, classical inflation, "
            "or a flat extruded slab",
            "choices": GENERATORS,
            "when_empty": f"{DEFAULT_GENERATOR}, the best by held-out measurement",
        },
    )
    max_faces: int = stage_field(AssetOptions, "max_faces")
    texture_px: int = stage_field(AssetOptions, "texture_px")
    height_m: float = stage_field(AssetOptions, "height_m")
    seed: int = field(default=0, metadata={"help": "random seed of the generator"})
    steps: int = field(
        default=0,
        metadata={
            "help": "diffusion sampling steps; 0 takes the model's default; 1 is deterministic and the "
            "most accurate, variants need more so they differ"
        },
    )
    variants: int = field(
        default=1, metadata={"help": "different results from consecutive seeds, as NAME_0, NAME_1 ..."}
    )
    ensemble: int = field(
        default=0,
        metadata={
            "help": "diffusion samples averaged into one; 0 takes the model's default (1 with variants)"
        },
    )
    cutout_px: int = stage_field(CutoutOptions, "size_px")
    grid_px: int = stage_field(ReconstructOptions, "grid_px")
    # "a:0.5,b" is accepted too
    adapters: tuple[tuple[str, float], ...] = field(
        default=(),
        metadata={
            "help": "a LoRA adapter, a shipped name (see `lift3d adapter list`) or a .safetensors file, "
            "and its weight (1 when not given)"
        },
    )
    # With no adapters asked for, the shipped adapter named after the detected input kind
    # (a line drawing gets `sketch`); the output says so.
    auto_adapter: bool = field(
        default=True,
        metadata={"help": "apply the shipped adapter made for the detected kind of picture (e.g. sketch)"},
    )
    rig: bool = False  # a skeleton, skin weights and clips in the GLB (lift3d.rig)
    # Rig only when the picture surely reads as a humanoid character (rig.build.reads_as_character);
    # the CLI turns it on for a .glb output (--no-rig turns it off), as other formats hold no skin.
    auto_rig: bool = False
    animations: tuple[str, ...] = ()  # clips to build when rigging; empty = all built-in ones
    pivot: str = stage_field(AssetOptions, "pivot")
    delight: bool = stage_field(AssetOptions, "delight")
    hidden_side: str = stage_field(AssetOptions, "hidden_side")
    # A mask file (white object on black, the picture's size) to use instead of finding the object.
    mask: str = ""
    quads: bool = stage_field(AssetOptions, "quads")

    def __post_init__(self) -> None:
        if self.generator and self.generator not in GENERATORS:
            raise OptionError(f"unknown generator {self.generator!r}; choose one of {', '.join(GENERATORS)}")
        if self.adapters:
            from lift3d.generate.adapters.files import parse_adapter_specs

            object.__setattr__(self, "adapters", parse_adapter_specs(self.adapters))
            if self.generator and self.generator != "diffusion":
                raise OptionError(f"adapters need the diffusion generator, not {self.generator}")
        check_option_ranges({name: getattr(self, name) for name in OPTION_RANGES}, OPTION_RANGES)
        if self.seed + self.variants - 1 > OPTION_RANGES["seed"][1]:
            raise OptionError(f"seed + variants - 1 must be at most {OPTION_RANGES['seed'][1]:,}")
        # Each stage's options check their own share, so a bad value fails before any work.
        self.asset_options()
        self.cutout_options()
        self.reconstruct_options()
        if self.animations:
            from lift3d.rig.build import RigOptions

            object.__setattr__(self, "animations", tuple(self.animations))
            RigOptions(animations=self.animations)

    def resolved(self) -> ConvertOptions:
        return self if self.generator else replace(self, generator=default_generator())

    def asset_options(self) -> AssetOptions:
        """The asset stage's share of these options."""
        return AssetOptions(
            max_faces=self.max_faces,
            texture_px=self.texture_px,
            height_m=self.height_m,
            pivot=self.pivot,
            delight=self.delight,
            hidden_side=self.hidden_side,
            quads=self.quads,
        )

    def cutout_options(self, kind: str = CutoutOptions.kind) -> CutoutOptions:
        """The cutout stage's share, for a picture of this detected kind."""
        return CutoutOptions(size_px=self.cutout_px, kind=kind)

    def reconstruct_options(self) -> ReconstructOptions:
        """The reconstruction stage's share."""
        return ReconstructOptions(grid_px=self.grid_px)


@dataclass
class StageTimer:
    """Seconds spent per pipeline stage, reported by benchmarks and progress displays."""

    seconds: dict[str, float] = field(default_factory=dict)
    on_stage: Callable[[str], None] | None = None

    def stage(self, name: str) -> _StageContext:
        return _StageContext(self, name)


class _StageContext:
    def __init__(self, timer: StageTimer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        if self.timer.on_stage:
            self.timer.on_stage(self.name)
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.start
        self.timer.seconds[self.name] = self.timer.seconds.get(self.name, 0.0) + elapsed


class Converter:
    """A loaded pipeline: picture -> cutout -> shape maps -> mesh -> asset.

    Holding one keeps the diffusion model in memory, so repeated conversions
    (variants, batches, a server) do not reload weights.
    """

    def __init__(self, generator: str = "", model_dir: str | os.PathLike | None = None) -> None:
        self.generator = generator or default_generator()
        if self.generator not in GENERATORS:
            raise OptionError(f"unknown generator {self.generator!r}; choose one of {', '.join(GENERATORS)}")
        self.model = None
        if self.generator == "diffusion":
            from lift3d.generate.diffusion.weights import load_shape_model

            self.model = load_shape_model(model_dir)
        # the shared, cached model; adapters are loaded onto a copy so other converters never see them
        self.base_model = self.model
        self.adapters: tuple[tuple[str, float], ...] = ()

    def load_adapters(self, adapters: tuple[tuple[str, float], ...]) -> None:
        """Use these LoRA adapters (name or path, weight), replacing any loaded before."""
        if adapters == self.adapters:
            return
        if not adapters:
            self.model = self.base_model
        elif self.base_model is None:
            raise OptionError(f"adapters need the diffusion generator, not {self.generator}")
        else:
            from lift3d.generate.adapters.files import with_adapters

            self.model = with_adapters(self.base_model, adapters)
        self.adapters = adapters

    def unload_adapters(self) -> None:
        """Back to the plain base model."""
        self.load_adapters(())

    @property
    def identity(self) -> dict:
        """What produced a result: enough to reproduce it."""
        if self.model is None:
            return {"generator": self.generator, "lift3d": lift3d.__version__}
        identity = {"generator": self.generator, "lift3d": lift3d.__version__, **self.model.identity}
        if self.adapters:
            from lift3d.generate.adapters.files import adapters_identity

            identity["adapters"] = adapters_identity(self.model)
        return identity

    def automatic_adapters(self, kind: str, options: ConvertOptions) -> tuple[tuple[str, float], ...]:
        """The adapters to use: those asked for, else the shipped one matching the input kind."""
        if options.adapters or not options.auto_adapter or self.base_model is None:
            return options.adapters
        from lift3d.generate.adapters.files import shipped_adapter_names

        return ((kind, 1.0),) if kind in shipped_adapter_names() else ()

    def cutout(
        self, picture: Picture, options: ConvertOptions, kind: str, mask: np.ndarray | None = None
    ) -> Cutout:
        """The square cutout; `mask` defaults to the object the converter finds for this kind."""
        if mask is None:
            from lift3d.inputs.detect import locate_object

            mask = locate_object(picture).mask
        return make_cutout(picture, options.cutout_options(kind), mask=mask)

    def shape_maps(self, cutout: Cutout, options: ConvertOptions, seed: int) -> ShapeMaps:
        if self.generator == "inflate":
            return inflate(cutout)
        if self.generator == "slab":
            return extrude_slab(cutout)
        assert self.model is not None
        resolved = self.resolved(options)
        return self.model.predict(
            cutout, seed=seed, steps=resolved.steps or 0, ensemble=resolved.ensemble or 0
        )

    def resolved(self, options: ConvertOptions) -> Resolved:
        """The generator, steps and ensemble this converter runs `options` with, every default applied."""
        if self.model is None:
            return Resolved(generator=self.generator, adapters=options.adapters)
        from lift3d.generate.diffusion.pipeline import DEFAULT_ENSEMBLE, DEFAULT_STEPS, VARIANT_STEPS

        several = options.variants > 1  # variants must differ: stochastic steps, no averaging
        steps = options.steps or (VARIANT_STEPS if several else DEFAULT_STEPS)
        ensemble = options.ensemble or (1 if several else DEFAULT_ENSEMBLE)
        return Resolved(generator=self.generator, steps=steps, ensemble=ensemble, adapters=options.adapters)

    def mesh(self, maps: ShapeMaps, options: ConvertOptions) -> trimesh.Trimesh:
        return maps_to_mesh(maps, options.reconstruct_options())

    def convert(
        self, image: str | os.PathLike | Picture, options: ConvertOptions, timer: StageTimer | None = None
    ) -> list[Asset]:
        """One asset per variant, each with its provenance."""
        from lift3d.inputs.detect import detect_kind, locate_object

        options = replace(options, generator=self.generator)
        timer = timer or StageTimer()
        with timer.stage("read"):
            picture = image if isinstance(image, Picture) else read_picture(image)
        with timer.stage("cutout"):
            if options.mask:
                kind = detect_kind(picture)
                mask = read_mask(options.mask, picture, own_size(image, picture))
            else:
                found = locate_object(picture)
                kind, mask = found.kind, found.mask
            options = replace(options, adapters=self.automatic_adapters(kind, options))
            self.load_adapters(options.adapters)
            cutout = self.cutout(picture, options, kind, mask)
        assets = []
        for variant in range(options.variants):
            seed = options.seed + variant
            with timer.stage("generate"):
                maps = self.shape_maps(cutout, options, seed)
            with timer.stage("mesh"):
                mesh = self.mesh(maps, options)
            with timer.stage("asset"):
                asset = build_asset(mesh, cutout, maps, options.asset_options())
            asset.provenance = Provenance(
                source=picture.source,
                input_kind=cutout.kind,
                options=asdict(options),
                model=self.identity,
                resolved=self.resolved(options),
                seed=seed,
                variant=variant,
            ).merge_into(asset.provenance)
            if options.rig or options.auto_rig:
                from lift3d.rig.build import RigOptions, reads_as_character, rig_mesh, rig_summary

                with timer.stage("rig"):
                    if options.rig or reads_as_character(maps.mask):
                        asset.rig = rig_mesh(
                            asset.mesh, mesh, maps, RigOptions(animations=options.animations)
                        )
                if asset.rig is not None:
                    asset.provenance["rig"] = {**rig_summary(asset.rig), "automatic": not options.rig}
            assets.append(asset)
        return assets


@functools.lru_cache(maxsize=4)
def load_converter(generator: str = "", model_dir: str | None = None) -> Converter:
    """A converter kept warm between calls (the model is loaded once per process)."""
    return Converter(generator, model_dir)


def convert(
    sources: str | os.PathLike | Picture | Sequence[str | os.PathLike | Picture],
    options: ConvertOptions | None = None,
    *,
    kind: str = "picture",
    kind_options: object = None,
    **fields: object,
) -> Any:
    """Convert any kind of input: the one orchestrator, looking the kind up in `lift3d.pipelines.PIPELINES`.

    Keyword `fields` are those of ConvertOptions (or give `options`); `kind_options` are the
    kind's own (OrthoOptions, ViewsOptions, FramesOptions, PlanOptions). An option that
    means nothing for the kind is refused. A picture gives an Asset (a list with variants),
    ortho and views an Asset, frames a FramesResult, a plan a PlanResult.

    >>> asset = convert("mug.png", max_faces=5000)  # doctest: +SKIP
    >>> save(asset, "mug.glb")  # doctest: +SKIP
    """
    from lift3d.pipelines import check_sources, pipeline_for, refuse_unused

    options = replace(options, **fields) if options else ConvertOptions(**fields)  # type: ignore[arg-type]
    pipeline = pipeline_for(kind)
    refuse_unused(kind, options)
    result = pipeline.run(check_sources(sources), options, kind_options or pipeline.options_type())
    if kind == "picture" and options.variants == 1:
        return result[0]
    return result


def convert_to_files(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    path: str | os.PathLike,
    options: ConvertOptions | None = None,
    *,
    kind: str = "picture",
    kind_options: object = None,
    export: ExportOptions | None = None,
) -> tuple[Any, list[Path]]:
    """`convert` then write every file of the kind; refuses to replace an input before any work."""
    from lift3d.pipelines import check_sources, pipeline_for, refuse_unused

    options = options or ConvertOptions()
    export = export or ExportOptions()
    pipeline = pipeline_for(kind)
    refuse_unused(kind, options)
    listed = check_sources(sources)
    refuse_to_replace(
        pipeline.outputs(Path(path), export, options),
        [item for item in listed if not isinstance(item, Picture)],
    )
    result = pipeline.run(listed, options, kind_options or pipeline.options_type())
    return result, pipeline.save(result, Path(path), export, options)


def own_size(image: str | os.PathLike | Picture, picture: Picture) -> tuple[int, int]:
    """(width, height) of the picture as the user has it: the file's own size, before shrinking."""
    if isinstance(image, Picture):
        return picture.rgb.shape[1], picture.rgb.shape[0]
    return picture_size(image, picture)


def cutout_mask(image: str | os.PathLike | Picture) -> FoundObject:
    """The mask `convert` would use, at the picture's own resolution, and the detected input kind.

    >>> found = cutout_mask("drawing.jpg")  # doctest: +SKIP
    >>> save_mask(found.mask, "drawing_mask.png")  # doctest: +SKIP
    """
    from lift3d.inputs.detect import locate_object

    picture = image if isinstance(image, Picture) else read_picture(image)
    found = locate_object(picture)
    return FoundObject(mask=resize_mask(found.mask, own_size(image, picture)), kind=found.kind)


def save_mask(mask: np.ndarray, path: str | os.PathLike) -> Path:
    """Write a mask as a PNG, white object on black; `convert(..., mask=path)` reads it back."""
    return write_mask(mask, path)


def variant_paths(path: str | os.PathLike, count: int) -> list[Path]:
    """name.glb for one result; name_0.glb ... name_{N-1}.glb for variants."""
    target = Path(path)
    if count == 1:
        return [target]
    return [target.with_name(f"{target.stem}_{index}{target.suffix}") for index in range(count)]


def saved_files(path: str | os.PathLike, export: ExportOptions | None = None) -> list[Path]:
    """Every file `save(asset, path, export=export)` writes: the format's files and the provenance JSON."""
    return [*output_files(path, export), Path(path).with_suffix(".lift3d.json")]


def provenance_inputs(provenance: dict) -> list[str]:
    """The files a result was read from, as its provenance names them (one source or several)."""
    named = []
    for key in ("source", "frames"):
        value = provenance.get(key)
        named += (
            [value] if isinstance(value, str) else [item for item in value or () if isinstance(item, str)]
        )
    return named


def save(
    asset: Asset,
    path: str | os.PathLike,
    inputs: Sequence[str | os.PathLike] = (),
    export: ExportOptions | None = None,
) -> list[Path]:
    """Write the asset (format by extension; up axis, texture format by `export`) and its provenance JSON.

    Refuses, before writing anything, to replace a file it was made from: `inputs` and
    the sources its provenance names.
    """
    refuse_to_replace(saved_files(path, export), [*inputs, *provenance_inputs(asset.provenance)])
    if asset.rig is not None:
        from lift3d.export.gltf_skin import export_rigged_glb

        if Path(path).suffix.lower() != ".glb":
            raise OptionError(f"a rigged asset is written as .glb, not {Path(path).suffix or 'no extension'}")
        written = export_rigged_glb(asset, asset.rig, Path(path), export)
    else:
        written = save_asset(asset, path, export)
    record = Path(path).with_suffix(".lift3d.json")
    write_bytes_atomic(record, json.dumps(saved_record(asset.provenance), indent=2, default=str).encode())
    return [*written, record]


def saved_record(provenance: dict) -> dict:
    """The provenance as written beside the asset: without the stage timings, so two runs write the same bytes."""
    return {key: value for key, value in provenance.items() if key != "timings_s"}


def save_preview(assets: list[Asset], path: str | os.PathLike) -> Path:
    """A sheet of renders of each asset from several angles (one row per variant)."""
    labels = [f"seed {asset.provenance.get('seed', '?')}" for asset in assets]
    render_preview(assets, path, labels=labels)
    return Path(path)

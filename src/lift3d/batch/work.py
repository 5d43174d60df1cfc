"""Turn one batch input into the bytes of its output files: the work every batch worker does.

Workers return bytes instead of writing files so that one process, the one holding
the manifest, writes every output and then the line vouching for it. That keeps a
local pool and a Ray cluster identical, and a cluster needs no shared folder.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from lift3d.api import Converter, ConvertOptions, convert, load_converter, save, variant_paths
from lift3d.batch.plan import CAMERAS_NAME, BatchItem
from lift3d.errors import InputError, Lift3DError
from lift3d.export import ExportOptions
from lift3d.inputs.read import read_picture_bytes
from lift3d.provenance import renamed_paths
from lift3d.types import Asset

MAX_WARNINGS = 10  # distinct warning messages kept per picture


@dataclass(frozen=True)
class BatchJob:
    """What every item of a batch is converted with; sent once to each worker."""

    options: ConvertOptions  # resolved: names its generator
    format: str  # glb | obj | ply | stl

    @property
    def settings(self) -> dict:
        """The manifest's record of the settings: a result made with other settings is redone.

        Round-tripped through JSON so it compares equal to what the manifest reads back
        (tuples such as the adapter list become lists).
        """
        return json.loads(json.dumps({**asdict(self.options), "format": self.format}))

    def settings_for(self, item: BatchItem) -> dict:
        """The settings an item is converted with: its kind's share of the options, and the kind."""
        if item.kind == "picture":
            return self.settings
        options = kind_options(self.options, item.kind)
        return json.loads(json.dumps({**asdict(options), "format": self.format, "kind": item.kind}))


def kind_options(options: ConvertOptions, kind: str) -> ConvertOptions:
    """The options a kind uses, the rest at their defaults.

    One batch mixes kinds, so a flag that only pictures use (the generator, a seed) is
    left out of a floor plan's conversion instead of refusing the plan.
    """
    from lift3d.pipelines import pipeline_for

    uses = pipeline_for(kind).uses
    return replace(ConvertOptions(), **{name: getattr(options, name) for name in uses})


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back for one input: its files, or why there are none."""

    input: str
    files: dict[str, bytes] = field(default_factory=dict)  # path relative to the output folder -> content
    error: str = ""
    traceback: str = ""  # set only for unexpected errors
    warnings: tuple[str, ...] = ()  # library warnings, kept off the terminal's progress bar
    faces: int = 0
    seconds: float = 0.0
    model: dict = field(default_factory=dict)


def read_input(input_dir: Path, item: BatchItem) -> bytes | dict[str, bytes]:
    """The input file's bytes (a kind's folder: each picture's, by name); InputError naming the file."""
    if item.members or (input_dir / item.input).is_dir():
        if not item.members:
            raise InputError(f"{item.input} holds no pictures")
        return {name: _read(input_dir / item.input / name, f"{item.input}/{name}") for name in item.members}
    return _read(input_dir / item.input, item.input)


def _read(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read {name}: no such file (removed, or a broken link?)") from None
    except PermissionError:
        raise InputError(f"cannot read {name}: permission denied") from None
    except OSError as error:
        raise InputError(f"cannot read {name}: {error.strerror or error}") from None


def failed(item: BatchItem, error: Lift3DError) -> Outcome:
    return Outcome(item.input, error=_one_line(str(error)))


def convert_item(
    converter: Converter, data: bytes | dict[str, bytes], item: BatchItem, job: BatchJob
) -> Outcome:
    """Convert one picture; any problem with it becomes a failed outcome instead of an exception.

    Unexpected errors (bugs) are caught too, with their traceback kept for a report, so
    one odd picture cannot end an overnight batch. Warnings are collected into the
    outcome: printed by N workers at once they would shred the progress bar.
    """
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _convert_item(converter, data, item, job)
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {_one_line(str(w.message))}" for w in caught))
    return replace(outcome, warnings=messages[:MAX_WARNINGS], seconds=time.perf_counter() - started)


def _convert_item(
    converter: Converter, data: bytes | dict[str, bytes], item: BatchItem, job: BatchJob
) -> Outcome:
    try:
        if item.kind != "picture":
            return _convert_kind(data, item, job)
        assert isinstance(data, bytes)
        picture = read_picture_bytes(data, source=item.input)
        assets = converter.convert(picture, job.options)
        files = export_to_bytes(assets, item.output_stem, job.format)
    except Lift3DError as error:
        return Outcome(item.input, error=_one_line(str(error)))
    except Exception as error:
        message = f"unexpected {type(error).__name__} (a bug; the traceback is in the manifest): {error}"
        return Outcome(item.input, error=_one_line(message), traceback=traceback.format_exc())
    return Outcome(
        item.input,
        files=files,
        faces=sum(len(asset.mesh.faces) for asset in assets),
        model=converter.identity,
    )


def _convert_kind(data: bytes | dict[str, bytes], item: BatchItem, job: BatchJob) -> Outcome:
    """Any kind but a picture: `lift3d.api.convert` on the input's files, as `lift3d convert --kind` runs it.

    The files are put in a scratch folder under their own names (a Ray worker has no
    access to the input folder), so a folder of frames is read as a folder.
    """
    from lift3d.pipelines import pipeline_for

    pipeline = pipeline_for(item.kind)
    options = kind_options(job.options, item.kind)
    stem = PurePosixPath(item.output_stem)
    with tempfile.TemporaryDirectory(prefix="lift3d-batch-") as scratch:
        folder = Path(scratch) / "in"
        entry = folder / PurePosixPath(item.input).name
        specific = None
        if isinstance(data, dict):
            entry.mkdir(parents=True)
            for name, content in data.items():
                (entry / name).write_bytes(content)
            pictures = [entry / name for name in data if name != CAMERAS_NAME]
            sources = [entry] if item.kind == "frames" else pictures
            if CAMERAS_NAME in data:
                from lift3d.pipelines.views import ViewsOptions

                specific = ViewsOptions(cameras=entry / CAMERAS_NAME)
        else:
            folder.mkdir()
            entry.write_bytes(data)
            sources = [entry]
        result = convert(sources, options, kind=item.kind, kind_options=specific)
        target = Path(scratch) / "out" / f"{stem.name}.{job.format}"
        target.parent.mkdir()
        written = pipeline.save(result, target, ExportOptions(), options)
        files = {(stem.parent / path.name).as_posix(): path.read_bytes() for path in written}
        # The provenance names the input as it lies in the input folder, not in this scratch folder.
        replacements = [(str(entry), item.input), (scratch, "")]
        for name in [name for name in files if name.endswith(".lift3d.json")]:
            record = renamed_paths(json.loads(files[name]), replacements)
            files[name] = json.dumps(record, indent=2).encode()
    return Outcome(item.input, files=files, faces=_faces(result), model=_model(result))


def _faces(result: Any) -> int:
    """Triangles of an asset or of every frame; 0 for a scene (a floor plan)."""
    if isinstance(result, Asset):
        return len(result.mesh.faces)
    return sum(len(frame.mesh.faces) for frame in getattr(result, "frames", ()))


def _model(result: Any) -> dict:
    provenance = getattr(result, "provenance", None) or {}
    return dict(provenance.get("model", {}))


def export_to_bytes(assets: list[Asset], output_stem: str, file_format: str) -> dict[str, bytes]:
    """Each asset's files (model, texture, provenance JSON) keyed by their path in the output folder.

    Exported through a scratch folder, so every format's exporter is used unchanged.
    """
    stem = PurePosixPath(output_stem)
    with tempfile.TemporaryDirectory(prefix="lift3d-batch-") as scratch:
        targets = variant_paths(Path(scratch) / f"{stem.name}.{file_format}", len(assets))
        written: list[Path] = []
        for asset, target in zip(assets, targets, strict=True):
            written += save(asset, target)
        return {(stem.parent / path.name).as_posix(): path.read_bytes() for path in written}


def convert_from_folder(input_dir: Path, item: BatchItem, job: BatchJob) -> Outcome:
    """A local worker's task: read the input and convert it with this process's cached converter.

    A converter that cannot load (missing weights) raises, stopping the batch: that
    is not the fault of any one picture.
    """
    converter = load_converter(job.options.generator)
    try:
        data = read_input(input_dir, item)
    except InputError as error:
        return failed(item, error)
    return convert_item(converter, data, item, job)


class PictureWorker:
    """A converter loaded once and kept for many pictures: the body of a Ray actor.

    A load failure is kept rather than raised, so the driver can raise it as the same
    one-line error (and exit code) a local run gives, instead of Ray's dead-actor traceback.
    """

    def __init__(self, generator: str, threads: int = 0) -> None:
        self.load_error: Lift3DError | None = None
        try:
            self.converter = Converter(generator)
        except Lift3DError as error:
            self.load_error = error
        limit_threads(threads)

    def ready(self) -> Lift3DError | None:
        """None once the converter is loaded, else the error that stopped it."""
        return self.load_error

    def convert(self, data: bytes, item: BatchItem, job: BatchJob) -> Outcome:
        return convert_item(self.converter, data, item, job)


def limit_threads(threads: int) -> None:
    """Give each worker its share of the cores, so N workers do not fight over them.

    Only libraries already imported are limited; importing torch just for this would
    cost a second of start-up in workers that never use it.
    """
    if threads < 1:
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(threads)


def _one_line(message: str) -> str:
    return " ".join(message.split())

"""A bounded pool of worker threads that take jobs from the store and convert them."""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import re
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lift3d.api import Converter, ConvertOptions, StageTimer, convert, save, save_preview
from lift3d.errors import Lift3DError
from lift3d.export import ExportOptions, save_asset
from lift3d.files import atomic_path, write_bytes_atomic
from lift3d.inputs.read import read_picture_bytes
from lift3d.provenance import renamed_paths
from lift3d.serve.decode_budget import DecodeBudget
from lift3d.serve.kinds import kind_options
from lift3d.serve.store import Job, JobStore
from lift3d.types import Asset

logger = logging.getLogger(__name__)

UPLOAD_NAME = "upload"  # a picture job's one file
INPUTS_DIR = "inputs"  # the files of every other kind, numbered in upload order
RESULT_STEM = "model"
PREVIEW_NAME = "preview.png"
# How long an idle worker sleeps before looking at the queue again without being told;
# a fallback only, since submitting a job wakes the workers at once.
IDLE_POLL_S = 2.0


# Both derive from BaseException, as KeyboardInterrupt does: they may be raised anywhere inside
# a conversion, and a library's `except Exception` must not turn them into a failed job.
class _Stopped(BaseException):
    """Raised inside a conversion when the server is stopping: the job goes back in the queue."""


class _Deleted(BaseException):
    """Raised inside a conversion when its job was deleted: the work is thrown away."""


class _Interruptible:
    """Stops a worker thread in the middle of a stage by raising an exception inside it.

    A stage can run for minutes (many sampling steps) without reaching a stage boundary,
    so a deleted job or a stopping server interrupts it at once: CPython raises the
    exception at the thread's next Python instruction (a denoising step, a loop turn),
    well within a second; only a single long C call (one UV unwrap) finishes first.
    The exception is only ever raised while the thread is inside the conversion itself,
    never while it holds the store's lock or writes its results.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._armed: dict[int, str] = {}  # thread id -> job id, while interruptible
        self._raised: dict[int, type[BaseException]] = {}

    def arm(self, job_id: str) -> None:
        with self._guard:
            self._armed[threading.get_ident()] = job_id

    def disarm(self) -> None:
        """Leave the interruptible part; an exception raised at the last moment is raised here instead."""
        ident = threading.get_ident()
        with self._guard:
            self._armed.pop(ident, None)
            raised = self._raised.pop(ident, None)
            if raised is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)
        if raised is not None:
            raise raised

    def interrupt(self, exception: type[BaseException], job_id: str | None = None) -> int:
        """Raise `exception` in the threads converting `job_id` (all armed threads if None)."""
        count = 0
        with self._guard:
            for ident, armed_job in self._armed.items():
                if (job_id is None or armed_job == job_id) and ident not in self._raised:
                    self._raised[ident] = exception
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(ident), ctypes.py_object(exception)
                    )
                    count += 1
        return count


def job_dir(jobs_dir: Path, job_id: str) -> Path:
    return jobs_dir / job_id


def remove_job_files(jobs_dir: Path, job_id: str) -> None:
    shutil.rmtree(job_dir(jobs_dir, job_id), ignore_errors=True)


def remove_leftover_temporaries(jobs_dir: Path) -> int:
    """Delete the hidden temporary files (`lift3d.files`) a killed server left in job folders."""
    removed = 0
    for path in jobs_dir.glob("*/.*"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def stage_count(variants: int) -> int:
    """Stages a job reports: read, cutout, (generate, mesh, asset) per variant, then save."""
    return 2 + 3 * variants + 1


class WorkerPool:
    """`workers` threads converting queued jobs until `stop` is called.

    Each worker keeps its own converters (one per generator), so a model is loaded once
    per worker and reused. Progress is written to the store at every pipeline stage; that
    is also where a worker notices that its job was deleted or the server is stopping,
    and stops at the next stage boundary instead of finishing work nobody will read.
    """

    def __init__(
        self,
        store: JobStore,
        jobs_dir: Path,
        workers: int,
        max_pixels: int,
        converter_factory: Callable[[str], Converter] = Converter,
        on_finished: Callable[[], object] | None = None,
        decode_budget: DecodeBudget | None = None,
    ) -> None:
        self.store = store
        self.decode_budget = decode_budget or DecodeBudget(1 << 62)
        self.on_finished = on_finished  # after every job: retention runs here
        self.jobs_dir = jobs_dir
        self.max_pixels = max_pixels
        self.converter_factory = converter_factory
        self._threads = [
            threading.Thread(target=self._work, name=f"lift3d-worker-{index}", daemon=True)
            for index in range(workers)
        ]
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._wake_count = 0
        self._interruptible = _Interruptible()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def notify(self) -> None:
        """Wake idle workers: a job was queued."""
        with self._wake:
            self._wake_count += 1
            self._wake.notify_all()

    def cancel(self, job_id: str) -> None:
        """Stop converting a job that was just deleted, in the middle of its stage."""
        self._interruptible.interrupt(_Deleted, job_id)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs; running ones are interrupted and go back in the queue."""
        self._stopping.set()
        self.notify()
        self._interruptible.interrupt(_Stopped)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    def _work(self) -> None:
        converters: dict[str, Converter] = {}
        while not self._stopping.is_set():
            with self._wake:
                seen = self._wake_count
            job = self.store.claim_next()
            if job is None:
                with self._wake:
                    if self._wake_count == seen and not self._stopping.is_set():
                        self._wake.wait(IDLE_POLL_S)
                continue
            self._run(job, converters)
            if self.on_finished is not None:
                try:
                    self.on_finished()
                except Exception:  # housekeeping must never stop the worker
                    logger.exception("after job %s: housekeeping failed", job.id)

    def _run(self, job: Job, converters: dict[str, Converter]) -> None:
        folder = job_dir(self.jobs_dir, job.id)
        logger.info("job %s: converting %s", job.id, job.source)
        try:
            files = self._convert(job, folder, converters)
        except _Stopped:
            logger.info("job %s: server stopping, back in the queue", job.id)
            self.store.release(job.id)
            return
        except _Deleted:
            logger.info("job %s: deleted while converting, stopped", job.id)
            # The interrupted converter may hold half-loaded adapters: start the next job afresh.
            converters.pop(job.options.get("convert", {}).get("generator", ""), None)
            self._discard(job.id)
            return
        except Lift3DError as error:
            if not self.store.fail(job.id, str(error)):
                self._discard(job.id)
            logger.info("job %s failed: %s", job.id, error)
            return
        except Exception as error:  # a bug must fail the job, not kill the worker
            logger.exception("job %s: unexpected error", job.id)
            if not self.store.fail(job.id, f"internal error: {type(error).__name__}: {error}"):
                self._discard(job.id)
            return
        if self.store.finish(job.id, files):
            logger.info("job %s done", job.id)
        else:
            self._discard(job.id)

    def _discard(self, job_id: str) -> None:
        remove_job_files(self.jobs_dir, job_id)
        self.store.remove(job_id)

    def _convert(self, job: Job, folder: Path, converters: dict[str, Converter]) -> list[str]:
        options = stored_options(job.options["convert"])
        formats = list(job.options["formats"])
        kind = job.options.get("kind", "picture")
        if kind != "picture":
            return self._convert_kind(job, folder, kind, options, formats)
        total = stage_count(options.variants)
        started = 0

        def on_stage(name: str) -> None:
            nonlocal started
            self._interruptible.disarm()  # the store's lock is taken below: no interruption in there
            if self._stopping.is_set():
                raise _Stopped
            if not self.store.set_progress(job.id, started / total, name):
                raise _Deleted
            started += 1
            self._interruptible.arm(job.id)

        on_stage("read")
        try:
            data = (folder / UPLOAD_NAME).read_bytes()
            with self.decode_budget.reserve(data):
                picture = read_picture_bytes(data, job.source, max_pixels=self.max_pixels)
            converter = converters.get(options.generator)
            if converter is None:
                converter = converters[options.generator] = self.converter_factory(options.generator)
            timer = StageTimer(on_stage=lambda name: None if name == "read" else on_stage(name))
            assets = converter.convert(picture, options, timer)
        finally:
            self._interruptible.disarm()
        on_stage("save")
        self._interruptible.disarm()
        return write_results(assets, folder, formats, _export(job), job)

    def _convert_kind(
        self, job: Job, folder: Path, kind: str, options: ConvertOptions, formats: list[str]
    ) -> list[str]:
        """Any kind but a single picture: `lift3d.api.convert` on the stored files, as the CLI runs it.

        The pipelines read every picture inside the conversion and keep them, so the
        decode budget is held for all of them until it ends.
        """
        from lift3d.pipelines import pipeline_for

        pipeline = pipeline_for(kind)
        paths = [folder / name for name in job.options["inputs"]]
        # Several frames are a folder of frames to the pipeline, as on the command line.
        sources = [folder / INPUTS_DIR] if kind == "frames" and len(paths) > 1 else paths
        specific = kind_options(kind, job.options.get("kind_fields", {}))
        stages = iter(("convert", "save"))

        def next_stage() -> None:
            self._interruptible.disarm()
            if self._stopping.is_set():
                raise _Stopped
            stage = next(stages)
            if not self.store.set_progress(job.id, 0.0 if stage == "convert" else 0.9, stage):
                raise _Deleted
            self._interruptible.arm(job.id)

        next_stage()
        try:
            with self.decode_budget.reserve_all([path.read_bytes() for path in paths]):
                result = convert(sources, options, kind=kind, kind_options=specific)
        finally:
            self._interruptible.disarm()
        next_stage()
        self._interruptible.disarm()
        export = _export(job)
        written: set[Path] = set()
        for extension in formats:
            if extension == "preview":
                written.add(save_preview([result], folder / PREVIEW_NAME))
                continue
            stem = folder / f"{RESULT_STEM}_0"
            written.update(pipeline.save(result, stem.with_suffix(f".{extension}"), export, options))
            if extension == "obj":
                name = download_name(job, f"{stem.name}.obj")
                written.add(_zip_obj(stem, lambda path: pipeline.save(result, path, export, options), name))
        named = dict(zip(job.options["inputs"], job.options["sources"], strict=True))
        for path in written:
            if path.name.endswith(".lift3d.json"):
                _name_uploads(path, folder, named)
        return sorted(path.relative_to(folder).as_posix() for path in written)


def _name_uploads(record: Path, folder: Path, named: dict[str, str]) -> None:
    """Name the inputs in a provenance record as the client uploaded them, never by the server's folders."""
    replacements = [(str(folder / stored), upload) for stored, upload in named.items()]
    replacements += [(str(folder / INPUTS_DIR), "uploaded frames"), (str(folder), "")]
    text = json.dumps(renamed_paths(json.loads(record.read_text()), replacements), indent=2)
    write_bytes_atomic(record, text.encode())


def stored_options(record: dict) -> ConvertOptions:
    """The options a job was queued with, read back from JSON (whose lists were tuples)."""

    def as_tuple(value: Any) -> Any:
        return tuple(as_tuple(item) for item in value) if isinstance(value, list) else value

    return ConvertOptions(**{name: as_tuple(value) for name, value in record.items()})


def _export(job: Job) -> ExportOptions:
    """Nodes and materials named after the picture, as the CLI names them after its output file."""
    return ExportOptions(name=Path(job.source).stem)


def download_name(job: Job, name: str) -> str:
    """What a result file is saved as: named after the (first) picture, as `lift3d convert` names it.

    model_0.glb -> mug.glb (mug_0.glb, mug_1.glb ... for variants), preview.png -> mug_preview.png.
    """
    stem = Path(job.source).stem or "model"
    if name == PREVIEW_NAME:
        return f"{stem}_preview.png"
    match = re.match(rf"^{RESULT_STEM}_(\d+)(.*)$", name)
    if match is None:
        return name
    several = job.options.get("convert", {}).get("variants", 1) > 1
    return f"{stem}_{match.group(1)}{match.group(2)}" if several else f"{stem}{match.group(2)}"


def write_results(
    assets: list[Asset],
    folder: Path,
    formats: list[str],
    export: ExportOptions | None = None,
    job: Job | None = None,
) -> list[str]:
    """Write every asset in every format; return the file names written, relative to `folder`."""
    written: set[Path] = set()
    for index, asset in enumerate(assets):
        stem = folder / f"{RESULT_STEM}_{index}"
        for extension in ("glb", "obj", "stl", "ply", "usdz"):
            if extension in formats:
                written.update(
                    save(
                        asset, stem.with_suffix(f".{extension}"), inputs=[folder / UPLOAD_NAME], export=export
                    )
                )
        if "obj" in formats:
            name = download_name(job, f"{stem.name}.obj") if job else f"{stem.name}.obj"
            written.add(_zip_obj(stem, functools.partial(save_asset, asset, options=export), name))
    if "preview" in formats:
        save_preview(assets, folder / PREVIEW_NAME)
        written.add(folder / PREVIEW_NAME)
    return sorted(path.name for path in written)


def _zip_obj(stem: Path, write: Callable[[Path], list[Path]], name: str) -> Path:
    """One download holding the .obj with the .mtl and texture it names, all named after the picture.

    `write` exports the .obj at a given path: the .obj names its sidecars after its own file,
    so it is written again under the picture's name (spaces become underscores, which an
    `mtllib` line cannot hold).
    """
    target = stem.with_name(f"{stem.name}_obj.zip")
    obj_name = re.sub(r"\s+", "_", Path(name).stem) + ".obj"
    with (
        tempfile.TemporaryDirectory(prefix="lift3d-obj-") as scratch,
        atomic_path(target) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for file in write(Path(scratch) / obj_name):
            if file.suffix.lower() != ".json":
                archive.write(file, file.name)
    return target

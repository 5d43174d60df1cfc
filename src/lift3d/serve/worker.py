"""A bounded pool of worker threads that take jobs from the store and convert them."""

from __future__ import annotations

import logging
import shutil
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from lift3d.api import Converter, ConvertOptions, StageTimer, save, save_preview
from lift3d.errors import Lift3DError
from lift3d.export import output_files
from lift3d.files import atomic_path
from lift3d.inputs.read import read_picture_bytes
from lift3d.serve.store import Job, JobStore
from lift3d.types import Asset

logger = logging.getLogger(__name__)

UPLOAD_NAME = "upload"
RESULT_STEM = "model"
PREVIEW_NAME = "preview.png"
# How long an idle worker sleeps before looking at the queue again without being told;
# a fallback only, since submitting a job wakes the workers at once.
IDLE_POLL_S = 2.0


class _Stopped(Exception):
    """Raised inside a conversion when the server is stopping: the job goes back in the queue."""


class _Deleted(Exception):
    """Raised inside a conversion when its job was deleted: the work is thrown away."""


def job_dir(jobs_dir: Path, job_id: str) -> Path:
    return jobs_dir / job_id


def remove_job_files(jobs_dir: Path, job_id: str) -> None:
    shutil.rmtree(job_dir(jobs_dir, job_id), ignore_errors=True)


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
    ) -> None:
        self.store = store
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

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def notify(self) -> None:
        """Wake idle workers: a job was queued."""
        with self._wake:
            self._wake_count += 1
            self._wake.notify_all()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop taking jobs; running ones stop at their next stage and go back in the queue."""
        self._stopping.set()
        self.notify()
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
        options = ConvertOptions(**job.options["convert"])
        formats = list(job.options["formats"])
        total = stage_count(options.variants)
        started = 0

        def on_stage(name: str) -> None:
            nonlocal started
            if self._stopping.is_set():
                raise _Stopped
            if not self.store.set_progress(job.id, started / total, name):
                raise _Deleted
            started += 1

        on_stage("read")
        picture = read_picture_bytes(
            (folder / UPLOAD_NAME).read_bytes(), job.source, max_pixels=self.max_pixels
        )
        converter = converters.get(options.generator)
        if converter is None:
            converter = converters[options.generator] = self.converter_factory(options.generator)
        timer = StageTimer(on_stage=lambda name: None if name == "read" else on_stage(name))
        assets = converter.convert(picture, options, timer)
        on_stage("save")
        return write_results(assets, folder, formats)


def write_results(assets: list[Asset], folder: Path, formats: list[str]) -> list[str]:
    """Write every asset in every format; return the file names written, relative to `folder`."""
    written: set[Path] = set()
    for index, asset in enumerate(assets):
        stem = folder / f"{RESULT_STEM}_{index}"
        for extension in ("glb", "obj", "stl", "ply"):
            if extension in formats:
                written.update(save(asset, stem.with_suffix(f".{extension}"), inputs=[folder / UPLOAD_NAME]))
        if "obj" in formats:
            written.add(_zip_obj(stem))
    if "preview" in formats:
        save_preview(assets, folder / PREVIEW_NAME)
        written.add(folder / PREVIEW_NAME)
    return sorted(path.name for path in written)


def _zip_obj(stem: Path) -> Path:
    """One download holding the .obj with the .mtl and texture it names."""
    target = stem.with_name(f"{stem.name}_obj.zip")
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in output_files(stem.with_suffix(".obj")):
            archive.write(file, file.name)
    return target

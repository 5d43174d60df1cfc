"""A running server's resources: the data folder lock, the job store and the workers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from lift3d.api import GENERATORS, Converter
from lift3d.errors import Lift3DError
from lift3d.serve.decode_budget import DecodeBudget
from lift3d.serve.settings import ServerSettings
from lift3d.serve.store import JobStore
from lift3d.serve.worker import WorkerPool, remove_job_files, remove_leftover_temporaries

logger = logging.getLogger(__name__)


@dataclass
class StudioService:
    """What a running server holds: the data folder lock, the job store and the workers."""

    settings: ServerSettings
    store: JobStore
    pool: WorkerPool
    lock: DataDirLock
    decode_limiter: anyio.CapacityLimiter
    decode_budget: DecodeBudget
    generators: list[str]  # what this installation can run, found once at start

    def close(self) -> None:
        self.pool.stop()
        self.store.close()
        self.lock.release()


class DataDirLock:
    """An exclusive lock on the data folder.

    Two servers on one folder would re-queue each other's running jobs and convert them twice.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "server.lock"
        self._file: Any = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform; one server per folder is then on the user
            return
        handle = self.path.open("a")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise Lift3DError(f"{self.path.parent} is in use by another lift3d server") from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def open_service(
    settings: ServerSettings, converter_factory: Callable[[str], Converter] = Converter
) -> StudioService:
    """Lock the data folder, recover jobs left by the last server and start the workers.

    This is everything a server does before it answers its first request.
    """
    try:
        settings.jobs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Lift3DError(f"cannot create {settings.jobs_dir}: {error.strerror}") from None
    lock = DataDirLock(settings.data_dir)
    lock.acquire()
    try:
        store = JobStore(settings.database_path)
        recovery = store.recover()
        for job_id in recovery.removed:
            remove_job_files(settings.jobs_dir, job_id)
            store.remove(job_id)
        known = store.ids()
        for folder in settings.jobs_dir.iterdir():
            if folder.name not in known:  # left by a crash between saving an upload and queueing it
                remove_job_files(settings.jobs_dir, folder.name)
        leftovers = remove_leftover_temporaries(settings.jobs_dir)
        if leftovers:
            logger.info("removed %d temporary file(s) left by an interrupted save", leftovers)
        enforce_retention(settings, store)
        if recovery.requeued:
            logger.info("re-queued %d job(s) interrupted by the last shutdown", len(recovery.requeued))
        # Finding the installed generators imports the model code (seconds); do it before serving.
        generators = available_generators()
        budget = DecodeBudget(settings.decode_memory_mb * 1024 * 1024)
        pool = WorkerPool(
            store,
            settings.jobs_dir,
            settings.workers,
            settings.max_pixels,
            converter_factory,
            on_finished=lambda: enforce_retention(settings, store),
            decode_budget=budget,
        )
        pool.start()
    except BaseException:
        lock.release()
        raise
    return StudioService(
        settings, store, pool, lock, anyio.CapacityLimiter(settings.decode_concurrency), budget, generators
    )


def available_generators() -> list[str]:
    """Generators this installation can run: the diffusion one only with its weights."""
    from lift3d.generate.diffusion.weights import shipped_model_dir

    return [name for name in GENERATORS if name != "diffusion" or shipped_model_dir() is not None]


def enforce_retention(settings: ServerSettings, store: JobStore, now: float | None = None) -> list[str]:
    """Remove finished jobs past `keep_days`, then the oldest finished ones while over `max_disk_gb`.

    Queued and running jobs are never removed; returns the ids removed.
    """
    now = time.time() if now is None else now
    finished = store.finished_oldest_first()
    removed = []
    if settings.keep_days > 0:
        cutoff = now - settings.keep_days * 86400
        for job in finished:
            if (job.finished_at or job.created_at) < cutoff and store.mark_deleting(job.id) is not None:
                remove_job_files(settings.jobs_dir, job.id)
                store.remove(job.id)
                removed.append(job.id)
    if settings.max_disk_gb > 0:
        quota = settings.max_disk_gb * 2**30
        used = folder_bytes(settings.jobs_dir)
        for job in finished:
            if used <= quota:
                break
            if job.id in removed or store.mark_deleting(job.id) is None:
                continue
            size = folder_bytes(settings.jobs_dir / job.id)
            remove_job_files(settings.jobs_dir, job.id)
            store.remove(job.id)
            removed.append(job.id)
            used -= size
    if removed:
        logger.info("retention removed %d finished job(s)", len(removed))
    return removed


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder` (links not followed)."""
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:  # removed meanwhile
            continue
    return total

"""Jobs kept in SQLite (WAL), so queued work and finished results survive a server restart."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 2  # 2 added the owner column
# A job whose conversion was cut short this many times by the server stopping (a crash,
# an out-of-memory kill) is failed rather than retried forever at every start.
MAX_ATTEMPTS = 3

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# Deleted while a worker was converting it: hidden at once, removed when the worker lets go.
DELETING = "deleting"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    options TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    stage TEXT NOT NULL DEFAULT '',
    error TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
"""


@dataclass(frozen=True)
class Job:
    """One conversion request and how far it got."""

    id: str
    status: str
    source: str  # sanitised upload name, for display and messages only
    options: dict
    progress: float = 0.0
    stage: str = ""
    error: str | None = None
    files: list[str] = field(default_factory=list)
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    owner: str = ""  # a hash of the bearer token that queued it; "" on a server without tokens


@dataclass(frozen=True)
class Recovery:
    """What starting on an existing data folder found and did."""

    requeued: list[str]
    failed: list[str]
    removed: list[str]  # deleted while running when the last server stopped


class JobStore:
    """Thread-safe access to the jobs table, which is also the queue.

    Workers claim the oldest queued row in one statement, so two never take the same job.
    Uploads and results live in a folder per job beside the database; the row records
    which result files exist, and only those names are ever served. One connection
    guarded by a lock: SQLite serialises writers anyway and conversions take seconds.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self._connection.row_factory = sqlite3.Row
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)
            columns = {row["name"] for row in self._connection.execute("PRAGMA table_info(jobs)")}
            if "owner" not in columns:  # a data folder from a version-1 server
                self._connection.execute("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
            self._connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def add(
        self, job_id: str, source: str, options: dict, owner: str = "", max_queued: int | None = None
    ) -> Job | None:
        """Queue a job; None when `max_queued` jobs are already waiting.

        Counting and inserting are one statement, so concurrent submissions cannot
        overshoot the limit (counting first, then inserting, let 112 in against 100).
        """
        limit = -1 if max_queued is None else max_queued
        with self._lock:
            cursor = self._connection.execute(
                "INSERT INTO jobs (id, status, source, options, created_at, owner) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE ? < 0 OR (SELECT COUNT(*) FROM jobs WHERE status = ?) < ?",
                (job_id, QUEUED, source, json.dumps(options), time.time(), owner, limit, QUEUED, limit),
            )
        if cursor.rowcount != 1:
            return None
        return self.get(job_id)

    def get(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job, or None when it does not exist, is being deleted or (given `owner`) is another's."""
        with self._lock:
            row = self._connection.execute(
                "SELECT * FROM jobs WHERE id = ? AND status != ? AND (? IS NULL OR owner = ?)",
                (job_id, DELETING, owner, owner),
            ).fetchone()
        return _job(row) if row else None

    def recent(self, limit: int = 50, owner: str | None = None) -> list[Job]:
        """Newest first; only `owner`'s when given."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT * FROM jobs WHERE status != ? AND (? IS NULL OR owner = ?) "
                "ORDER BY created_at DESC, id DESC LIMIT ?",
                (DELETING, owner, owner, limit),
            ).fetchall()
        return [_job(row) for row in rows]

    def finished_oldest_first(self) -> list[Job]:
        """Done and failed jobs, the longest finished first: what retention removes."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT * FROM jobs WHERE status IN (?, ?) ORDER BY finished_at, id", (DONE, FAILED)
            ).fetchall()
        return [_job(row) for row in rows]

    def ids(self) -> set[str]:
        """Every job id, deleting ones included: what the jobs folder may hold."""
        with self._lock:
            return {row["id"] for row in self._connection.execute("SELECT id FROM jobs").fetchall()}

    def count_queued(self) -> int:
        with self._lock:
            return int(
                self._connection.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (QUEUED,)).fetchone()[
                    0
                ]
            )

    def queue_position(self, job: Job) -> int:
        """How many queued jobs will start before this one."""
        with self._lock:
            row = self._connection.execute(
                "SELECT COUNT(*) FROM jobs "
                "WHERE status = ? AND (created_at < ? OR (created_at = ? AND id < ?))",
                (QUEUED, job.created_at, job.created_at, job.id),
            ).fetchone()
        return int(row[0])

    def claim_next(self) -> Job | None:
        """Mark the oldest queued job running and return it; None when the queue is empty."""
        with self._lock:
            row = self._connection.execute(
                "UPDATE jobs SET status = ?, started_at = ?, progress = 0, stage = '', "
                "attempts = attempts + 1 "
                "WHERE id = (SELECT id FROM jobs WHERE status = ? ORDER BY created_at, id LIMIT 1) "
                "RETURNING *",
                (RUNNING, time.time(), QUEUED),
            ).fetchone()
        return _job(row) if row else None

    def set_progress(self, job_id: str, progress: float, stage: str) -> bool:
        """Record progress; False when the job was deleted meanwhile, so the worker can stop."""
        return self._update_running(job_id, "progress = ?, stage = ?", (progress, stage))

    def finish(self, job_id: str, files: list[str]) -> bool:
        return self._update_running(
            job_id,
            "status = ?, progress = 1, stage = 'done', files = ?, finished_at = ?",
            (DONE, json.dumps(files), time.time()),
        )

    def fail(self, job_id: str, message: str) -> bool:
        return self._update_running(
            job_id, "status = ?, error = ?, finished_at = ?", (FAILED, message, time.time())
        )

    def release(self, job_id: str) -> bool:
        """Put a job cut short by a server shutdown back in the queue; that try does not count."""
        return self._update_running(
            job_id,
            "status = ?, progress = 0, stage = '', started_at = NULL, attempts = MAX(attempts - 1, 0)",
            (QUEUED,),
        )

    def mark_deleting(self, job_id: str, owner: str | None = None) -> str | None:
        """Hide a job from the API; return the status it had (None if unknown or another's).

        A running job keeps its row as `deleting` until its worker stops; any other job is
        ready to be removed by the caller.
        """
        with self._lock:
            row = self._connection.execute(
                "SELECT status FROM jobs WHERE id = ? AND status != ? AND (? IS NULL OR owner = ?)",
                (job_id, DELETING, owner, owner),
            ).fetchone()
            if row is None:
                return None
            self._connection.execute("UPDATE jobs SET status = ? WHERE id = ?", (DELETING, job_id))
        return str(row["status"])

    def remove(self, job_id: str) -> None:
        with self._lock:
            self._connection.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def recover(self) -> Recovery:
        """Run at start: jobs that were running when the last server stopped go back in the queue."""
        now = time.time()
        with self._lock:
            connection = self._connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                failed = [
                    row["id"]
                    for row in connection.execute(
                        "UPDATE jobs SET status = ?, finished_at = ?, error = ? "
                        "WHERE status = ? AND attempts >= ? RETURNING id",
                        (
                            FAILED,
                            now,
                            f"the server stopped {MAX_ATTEMPTS} times while converting this picture",
                            RUNNING,
                            MAX_ATTEMPTS,
                        ),
                    ).fetchall()
                ]
                requeued = [
                    row["id"]
                    for row in connection.execute(
                        "UPDATE jobs SET status = ?, progress = 0, stage = '', started_at = NULL "
                        "WHERE status = ? RETURNING id",
                        (QUEUED, RUNNING),
                    ).fetchall()
                ]
                removed = [
                    row["id"]
                    for row in connection.execute(
                        "SELECT id FROM jobs WHERE status = ?", (DELETING,)
                    ).fetchall()
                ]
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return Recovery(requeued=requeued, failed=failed, removed=removed)

    def _update_running(self, job_id: str, assignments: str, values: tuple) -> bool:
        with self._lock:
            cursor = self._connection.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND status = ?", (*values, job_id, RUNNING)
            )
        return cursor.rowcount == 1


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        status=row["status"],
        source=row["source"],
        options=json.loads(row["options"]),
        progress=float(row["progress"]),
        stage=row["stage"],
        error=row["error"],
        files=json.loads(row["files"]),
        created_at=float(row["created_at"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempts=int(row["attempts"]),
        owner=row["owner"],
    )

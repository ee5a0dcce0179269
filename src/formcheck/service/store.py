"""The job queue: one SQLite table in WAL mode, shared by the web server and the worker processes.

A job goes queued -> running -> done | failed. A worker claims the oldest queued job in one transaction and gets a
claim token; every later write for that job (progress, done, failed) names the token and is ignored once the job was
claimed again (requeued after a crash, a kill -9 or a restart), so a worker left over from a killed server can
never overwrite the attempt that replaced it. Times are Unix seconds (UTC). Pure: no cv2, no mediapipe.
"""
from __future__ import annotations

import contextlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

STATUSES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")
# A job whose worker process died this many times (a video that crashes the decoder or the pose model) fails.
MAX_CRASHES = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id           TEXT PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    exercise     TEXT NOT NULL,
    filename     TEXT NOT NULL,            -- the client's file name, shown to people, never used as a path
    input_name   TEXT NOT NULL,            -- the upload's file name in the job's folder, chosen by the server
    media_type   TEXT NOT NULL,            -- from the file's first bytes, not its name
    created_at   REAL NOT NULL,
    started_at   REAL,
    finished_at  REAL,
    frames_done  INTEGER NOT NULL DEFAULT 0,
    frames_total INTEGER NOT NULL DEFAULT 0,  -- 0 while unknown
    stage        TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,  -- claims so far
    crashes      INTEGER NOT NULL DEFAULT 0,  -- claims whose worker process died
    claim        TEXT,                        -- the running attempt's token
    worker       TEXT,
    result_dir   TEXT,                        -- the finished attempt's folder in the job's folder
    error        TEXT,
    headline     TEXT,
    summary      TEXT,
    bytes        INTEGER NOT NULL DEFAULT 0   -- on disk: the upload, then everything in the job's folder
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at);
"""


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    exercise: str
    filename: str
    input_name: str
    media_type: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    frames_done: int
    frames_total: int
    stage: str
    attempts: int
    crashes: int
    claim: str | None
    worker: str | None
    result_dir: str | None
    error: str | None
    headline: str | None
    summary: str | None
    bytes: int


def new_job_id() -> str:
    """128 random bits, URL-safe (22 characters): unguessable, and safe as a folder name."""
    return secrets.token_urlsafe(16)


def is_job_id(text: str) -> bool:
    """The shape of new_job_id(); anything else is no job (and never reaches the file system)."""
    return len(text) == 22 and all(c.isascii() and (c.isalnum() or c in "-_") for c in text)


class JobStore:
    """The jobs table in `path` (created with its folder when missing). Safe to share between threads and processes:
    each call opens its own connection; writes that must not interleave run in BEGIN IMMEDIATE transactions."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt on a crash
        try:
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ---- reading ---------------------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        if not is_job_id(job_id):
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**row) if row else None

    def recent(self, limit: int = 50) -> list[Job]:
        """The newest jobs first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at DESC, id LIMIT ?", (limit,)).fetchall()
        return [Job(**row) for row in rows]

    def queue_position(self, job: Job) -> int:
        """1 for the next queued job to be claimed."""
        with self._connect() as db:
            (ahead,) = db.execute(
                "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND (created_at < ? OR (created_at = ? AND id < ?))",
                (job.created_at, job.created_at, job.id),
            ).fetchone()
        return int(ahead) + 1

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {status: 0 for status in STATUSES} | {status: int(n) for status, n in rows}

    def disk_bytes(self) -> int:
        with self._connect() as db:
            (total,) = db.execute("SELECT COALESCE(SUM(bytes), 0) FROM jobs").fetchone()
        return int(total)

    def finished_oldest_first(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE status IN ('done', 'failed') ORDER BY finished_at, created_at"
            ).fetchall()
        return [Job(**row) for row in rows]

    def ids(self) -> set[str]:
        with self._connect() as db:
            return {row[0] for row in db.execute("SELECT id FROM jobs")}

    # ---- writing ---------------------------------------------------------------------------------------------------

    def create(self, job_id: str, *, exercise: str, filename: str, input_name: str, media_type: str,
               size_bytes: int) -> Job:
        with self._connect() as db:
            db.execute(
                "INSERT INTO jobs (id, status, exercise, filename, input_name, media_type, created_at, bytes) "
                "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                (job_id, exercise, filename, input_name, media_type, time.time(), size_bytes),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def claim(self, worker: str) -> Job | None:
        """Take the oldest queued job for `worker`: it becomes running with a new claim token (Job.claim)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', claim = ?, worker = ?, started_at = ?, attempts = attempts + 1, "
                "frames_done = 0, frames_total = 0, stage = 'starting', error = NULL WHERE id = ?",
                (secrets.token_hex(8), worker, time.time(), row["id"]),
            )
        return self.get(row["id"])

    def progress(self, job_id: str, claim: str, *, frames_done: int, frames_total: int, stage: str) -> bool:
        """Record progress; False when the job is no longer this claim's (requeued or deleted): stop working on it."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET frames_done = ?, frames_total = ?, stage = ? "
                "WHERE id = ? AND claim = ? AND status = 'running'",
                (frames_done, frames_total, stage, job_id, claim),
            )
        return cursor.rowcount == 1

    def finish(self, job_id: str, claim: str, *, result_dir: str, headline: str, summary: str,
               size_bytes: int) -> bool:
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'done', finished_at = ?, result_dir = ?, headline = ?, summary = ?, "
                "bytes = ?, stage = 'done', claim = NULL WHERE id = ? AND claim = ? AND status = 'running'",
                (time.time(), result_dir, headline, summary, size_bytes, job_id, claim),
            )
        return cursor.rowcount == 1

    def fail(self, job_id: str, claim: str, error: str, *, size_bytes: int | None = None) -> bool:
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE jobs SET status = 'failed', finished_at = ?, error = ?, stage = 'failed', claim = NULL, "
                "bytes = COALESCE(?, bytes) WHERE id = ? AND claim = ? AND status = 'running'",
                (time.time(), error, size_bytes, job_id, claim),
            )
        return cursor.rowcount == 1

    def requeue_running(self, *, worker: str | None = None, crashed: bool = False) -> list[str]:
        """Put running jobs back in the queue (all of them, or only `worker`'s), keeping their place (created_at).

        crashed: the worker process died on the job; after MAX_CRASHES such deaths the job fails instead, so one
        video that kills the decoder cannot keep a worker busy forever. Returns the ids requeued or failed.
        """
        where, args = ("status = 'running'", ()) if worker is None else ("status = 'running' AND worker = ?", (worker,))
        with self._transaction() as db:
            rows = db.execute(f"SELECT id, crashes FROM jobs WHERE {where}", args).fetchall()
            for row in rows:
                crashes = row["crashes"] + (1 if crashed else 0)
                if crashes >= MAX_CRASHES:
                    db.execute(
                        "UPDATE jobs SET status = 'failed', crashes = ?, finished_at = ?, claim = NULL, stage = 'failed', "
                        "error = ? WHERE id = ?",
                        (crashes, time.time(),
                         f"the analysis stopped the worker process {crashes} times; this video cannot be analysed",
                         row["id"]),
                    )
                else:
                    db.execute(
                        "UPDATE jobs SET status = 'queued', crashes = ?, claim = NULL, worker = NULL, started_at = NULL, "
                        "frames_done = 0, frames_total = 0, stage = '' WHERE id = ?",
                        (crashes, row["id"]),
                    )
        return [row["id"] for row in rows]

    def delete(self, job_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

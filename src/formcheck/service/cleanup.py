"""Deleting old jobs: finished ones older than --keep-days, then the oldest finished ones while the jobs take more
than --max-disk-gb. Queued and running jobs are never deleted. Also removes what a crash can leave behind: a job
folder without a row (the server died between storing an upload and recording it) and stale partial uploads."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from formcheck.service.config import ServiceConfig
from formcheck.service.store import JobStore

log = logging.getLogger("formcheck.service")

STALE_S = 3600.0  # a folder or partial upload untouched this long without a row is debris


def clean_up(store: JobStore, config: ServiceConfig, *, now: float | None = None) -> list[str]:
    """Delete what the limits say (module docstring); returns the ids of the jobs deleted."""
    now = time.time() if now is None else now
    deleted: list[str] = []
    finished = store.finished_oldest_first()
    if config.keep_days:
        cutoff = now - config.keep_days * 86400.0
        for job in [j for j in finished if (j.finished_at or j.created_at) < cutoff]:
            _delete(store, config, job.id)
            deleted.append(job.id)
        finished = [j for j in finished if j.id not in deleted]
    limit = config.max_disk_bytes
    if limit is not None:
        used = store.disk_bytes()
        for job in finished:
            if used <= limit:
                break
            _delete(store, config, job.id)
            deleted.append(job.id)
            used -= job.bytes
    _remove_debris(store, config, now)
    if deleted:
        log.info("deleted %d old job(s)", len(deleted))
    return deleted


def room_for(store: JobStore, config: ServiceConfig, size_bytes: int) -> bool:
    """Whether an upload of size_bytes fits under --max-disk-gb, deleting the oldest finished jobs if needed."""
    limit = config.max_disk_bytes
    if limit is None or store.disk_bytes() + size_bytes <= limit:
        return True
    for job in store.finished_oldest_first():
        _delete(store, config, job.id)
        if store.disk_bytes() + size_bytes <= limit:
            return True
    return False


def _delete(store: JobStore, config: ServiceConfig, job_id: str) -> None:
    store.delete(job_id)  # the row first: a crash in between leaves a folder that _remove_debris takes later
    shutil.rmtree(config.jobs_dir / job_id, ignore_errors=True)


def _remove_debris(store: JobStore, config: ServiceConfig, now: float) -> None:
    known = store.ids()
    for folder in _children(config.jobs_dir):
        if folder.is_dir() and folder.name not in known and _age(folder, now) > STALE_S:
            shutil.rmtree(folder, ignore_errors=True)
    for part in _children(config.incoming_dir):
        if part.suffix == ".part" and _age(part, now) > STALE_S:
            part.unlink(missing_ok=True)


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0

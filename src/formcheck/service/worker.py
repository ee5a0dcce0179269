"""A worker process: holds one PoseEstimator and takes jobs from the database one at a time, oldest first.

Each job runs through formcheck.analyze (the one pipeline) and formcheck.report.outputs.write_outputs, into a folder
of its own attempt (run-N) in the job's folder, so an attempt left running by a killed server never writes into the
files of the attempt that replaced it; the job's claim token decides whose result counts (store module docstring).
The errors a user can cause (not a video, too short, too few frames a second, ...) fail the job with their one-line
message, the server's own paths replaced by the uploaded file's name.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

from formcheck.service.store import Job, JobStore

log = logging.getLogger("formcheck.service.worker")

POLL_S = 0.25           # how often an idle worker looks for a queued job
PROGRESS_EVERY_S = 0.5  # how often a running job's progress is written
STAGE_POSE = "finding the pose"
STAGE_REPORT = "writing the report and annotated video"
TRACK_NAME = "track.npz"


class Abandoned(Exception):
    """The job is no longer this attempt's (requeued after the server restarted, or deleted), or the server died."""


def job_dir(data_dir: Path, job_id: str) -> Path:
    return data_dir / "jobs" / job_id


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def process_job(store: JobStore, job: Job, data_dir: Path, estimator, *, alive=lambda: True) -> str:
    """Analyse a claimed job and record its end (done or failed); returns the status it ended with.

    estimator: a formcheck.pose.PoseEstimator, reused (it resets per video). alive(): False once the server that
    started this worker is gone; the work then stops (Abandoned) and the job waits for the next server.
    """
    from formcheck.pipeline import analyze
    from formcheck.pose import ModelError
    from formcheck.report.outputs import write_outputs
    from formcheck.track import TrackFileError
    from formcheck.video import VideoError

    folder = job_dir(data_dir, job.id)
    source = folder / job.input_name
    run = f"run-{job.attempts}"
    out = folder / run
    last = [0.0]

    def progress(done: int, total: int, stage: str = STAGE_POSE, *, force: bool = False) -> None:
        if not alive():
            raise Abandoned("the server stopped")
        now = time.monotonic()
        if force or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            if not store.progress(job.id, job.claim, frames_done=done, frames_total=total, stage=stage):
                raise Abandoned("the job was claimed again")

    try:
        progress(0, 0, force=True)
        analysis = analyze(source, exercise=job.exercise, estimator=estimator, progress=progress)
        analysis = replace(analysis, report=replace(analysis.report, source=job.filename),
                           track=replace(analysis.track, source=job.filename))
        frames = len(analysis.track)
        progress(frames, frames, STAGE_REPORT, force=True)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        analysis.track.save(out / TRACK_NAME)
        write_outputs(analysis, out, video_path=source, make_video=True)
    except Abandoned:
        shutil.rmtree(out, ignore_errors=True)
        raise
    except (VideoError, ModelError, TrackFileError, ValueError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        store.fail(job.id, job.claim, _reason(exc, source, job.filename), size_bytes=folder_bytes(folder))
        return "failed"
    except Exception as exc:  # a bug or the machine (disk full, out of memory): the job fails, the worker goes on
        log.exception("job %s failed unexpectedly", job.id)
        shutil.rmtree(out, ignore_errors=True)
        store.fail(job.id, job.claim, f"internal error ({type(exc).__name__}): {_reason(exc, source, job.filename)}",
                   size_bytes=folder_bytes(folder))
        return "failed"
    from formcheck.report.words import verdict_parts

    headline, detail = verdict_parts(analysis.report)
    if not store.finish(job.id, job.claim, result_dir=run, headline=" ".join(p for p in (headline, detail) if p),
                        summary=analysis.report.summary, size_bytes=folder_bytes(folder)):
        raise Abandoned("the job was claimed again")
    for older in folder.glob("run-*"):
        if older.name != run:
            shutil.rmtree(older, ignore_errors=True)
    return "done"


def _reason(exc: BaseException, source: Path, filename: str) -> str:
    """The exception as one line, naming the uploaded file as the user called it, not the server's path."""
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    for server_path in (str(source), str(source.resolve())):
        text = text.replace(server_path, filename)
    return " ".join(text.split())


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when the server that started it dies (even by kill -9)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the worker notices within a frame (os.getppid changes) and stops


def worker_main(db_path: str, data_dir: str, model_path: str, name: str, parent_pid: int) -> None:
    """Entry point of a worker process (multiprocessing, spawn): claim and run jobs until the server goes away."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server stops us
    _die_with_parent()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name}: %(message)s")

    def alive() -> bool:
        return os.getppid() == parent_pid

    from formcheck.pose import PoseEstimator, resolve_model

    store = JobStore(db_path)
    root = Path(data_dir)
    with PoseEstimator(resolve_model(model_path)) as estimator:
        while alive():
            job = store.claim(name)
            if job is None:
                time.sleep(POLL_S)
                continue
            started = time.monotonic()
            log.info("job %s: started (attempt %d)", job.id, job.attempts)
            try:
                status = process_job(store, job, root, estimator, alive=alive)
            except Abandoned as exc:
                log.info("job %s: left to the next attempt (%s)", job.id, exc)
                continue
            log.info("job %s: %s in %.1f s", job.id, status, time.monotonic() - started)

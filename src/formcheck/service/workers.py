"""The worker processes of one server, watched by a thread: a worker that dies (a crash in the decoder or the pose
model, the out-of-memory killer) has its job put back in the queue and is started again; every few minutes old jobs
are cleaned up. Workers are started with `spawn` (MediaPipe and threads do not survive fork) and die with the server,
even a server killed with SIGKILL (worker._die_with_parent)."""
from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import threading
import time

from formcheck.service.cleanup import clean_up
from formcheck.service.config import ServiceConfig
from formcheck.service.store import JobStore
from formcheck.service.worker import worker_main

log = logging.getLogger("formcheck.service")

WATCH_EVERY_S = 1.0
CLEAN_EVERY_S = 600.0
STOP_WAIT_S = 10.0


class Workers:
    """config.workers worker processes over `store`, using the pose model at model_path."""

    def __init__(self, config: ServiceConfig, store: JobStore, model_path: str):
        self.config = config
        self.store = store
        self.model_path = model_path
        self.instance = secrets.token_hex(3)
        self._context = multiprocessing.get_context("spawn")
        self._procs: dict[str, multiprocessing.Process] = {}
        self._started_at: dict[str, float] = {}
        self._quick_deaths: dict[str, int] = {}
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formcheck-workers", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def stop(self) -> None:
        """Stop the workers; the jobs they were running go back to the queue for the next start."""
        self._stop.set()
        self._thread.join()

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values() if p.pid is not None]

    def _spawn(self, name: str) -> None:
        # Spawned from this long-lived thread: Linux's parent-death signal follows the thread that forked.
        proc = self._context.Process(target=worker_main, name=name, daemon=True,
                                     args=(str(self.store.path), str(self.config.data_dir), self.model_path, name,
                                           os.getpid()))
        proc.start()
        self._procs[name] = proc
        self._started_at[name] = time.monotonic()

    def _run(self) -> None:
        try:
            for i in range(self.config.workers):
                self._spawn(f"worker-{i + 1}.{self.instance}")
        finally:
            self._ready.set()
        next_clean = time.monotonic() + CLEAN_EVERY_S
        while not self._stop.wait(WATCH_EVERY_S):
            try:
                self._watch()
                if time.monotonic() >= next_clean:
                    next_clean = time.monotonic() + CLEAN_EVERY_S
                    clean_up(self.store, self.config)
            except Exception:  # the watcher must outlive a locked database or a full disk
                log.exception("worker watch")
        self._stop_all()

    def _watch(self) -> None:
        for name, proc in list(self._procs.items()):
            if proc.is_alive():
                continue
            jobs = self.store.requeue_running(worker=name, crashed=True)
            log.warning("%s stopped (exit code %s)%s", name, proc.exitcode,
                        f"; its job {', '.join(jobs)} goes back to the queue" if jobs else "")
            quick = time.monotonic() - self._started_at[name] < 30.0
            self._quick_deaths[name] = self._quick_deaths.get(name, 0) + 1 if quick else 0
            del self._procs[name]
            backoff = min(60.0, 2.0 ** self._quick_deaths[name]) if quick else 0.0
            if self._stop.wait(backoff):
                return
            self._spawn(name)

    def _stop_all(self) -> None:
        for proc in self._procs.values():
            proc.terminate()
        deadline = time.monotonic() + STOP_WAIT_S
        for proc in self._procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
        requeued = self.store.requeue_running()
        if requeued:
            log.info("%d running job(s) back in the queue for the next start", len(requeued))

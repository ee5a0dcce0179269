"""`formcheck serve`: one data folder, one server (a lock file says so), its workers, and uvicorn."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Iterator

from formcheck.service.config import ServiceConfig

log = logging.getLogger("formcheck.service")


@contextlib.contextmanager
def _data_dir_lock(data_dir: Path) -> Iterator[None]:
    """Hold data_dir/server.lock: a second server on the same folder fails with one line. The kernel lets go of it
    when this process ends, however it ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / "server.lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        owner = lock.read().strip() or "another process"
        lock.close()
        raise ValueError(f"--data-dir {data_dir}: in use by another formcheck serve ({owner}); stop it or choose "
                         "another folder") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()}")
    lock.flush()
    try:
        yield
    finally:
        lock.close()


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is one line (OSError) and port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(config: ServiceConfig) -> None:
    """Run the service until Ctrl-C or SIGTERM: requeue the jobs a previous run left running, clean up old jobs,
    start the workers and the web server. Prints the address on the first line of stdout."""
    from formcheck.service import require_web_extra

    require_web_extra()
    import uvicorn

    from formcheck.pose import resolve_model
    from formcheck.service.app import create_app
    from formcheck.service.cleanup import clean_up
    from formcheck.service.store import JobStore
    from formcheck.service.workers import Workers

    if not log.handlers:  # the command line's logging shows errors only; the service says what it does
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    data_dir = Path(config.data_dir)
    with _data_dir_lock(data_dir):
        store = JobStore(config.db_path)
        requeued = store.requeue_running()
        if requeued:
            log.info("%d job(s) left running by the last run are back in the queue", len(requeued))
        clean_up(store, config)
        model = resolve_model(None)  # built once here, not raced by the workers
        sock = _listen(config.host, config.port)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"formcheck serve: http://{shown}:{port}/ (data in {data_dir}, {config.workers} worker"
              f"{'s' if config.workers != 1 else ''})", flush=True)
        if config.token is None and host not in ("127.0.0.1", "::1", "localhost"):
            print("warning: no --token, and listening beyond this machine: anyone who can reach it can upload",
                  file=sys.stderr, flush=True)
        workers = Workers(config, store, str(model.path))
        workers.start()
        try:
            app = create_app(config, store)
            server = uvicorn.Server(uvicorn.Config(app, log_level="info", access_log=False, timeout_keep_alive=30))
            server.run(sockets=[sock])
        finally:
            workers.stop()
            sock.close()

"""Nothing half-written: partial files and new empty folders removed when the work writing them stops early.

Work can stop early three ways: Ctrl-C (KeyboardInterrupt), SIGTERM (a `kill`, a closing terminal session, a CI
timeout; by default it ends the process on the spot, running no clean-up), or an error such as a full disk.
``partial_files`` covers all three:

>>> created = missing_folders(out.parent)
>>> part = out.with_name(out.name + ".part")
>>> with partial_files(part, folders=created, target=out):
...     out.parent.mkdir(parents=True, exist_ok=True)
...     write(part)
...     part.replace(out)          # only a finished file gets the real name

Within the block SIGTERM raises ``Terminated``, a KeyboardInterrupt, so the CLI reports both signals alike
("interrupted", exit code 130). Pure: no cv2, no mediapipe.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Iterator

__all__ = ["Terminated", "sigterm_as_interrupt", "partial_files", "missing_folders"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised in the main thread like Ctrl-C's KeyboardInterrupt, so the same clean-up runs."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = int(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises Terminated instead of ending the process at once; the previous handler is
    restored after. Outside the main thread (where Python cannot set signal handlers) it changes nothing."""
    if not _in_main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def missing_folders(folder: str | Path) -> list[Path]:
    """The folders that creating `folder` (mkdir parents=True) would make: `folder` and its missing ancestors,
    deepest first; [] when it exists. Take it before creating them, to hand to partial_files(folders=...)."""
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


@contextlib.contextmanager
def partial_files(*paths: str | Path, folders: list[Path] | tuple[Path, ...] = (),
                  target: str | Path | None = None) -> Iterator[None]:
    """Remove `paths` (files being written, where they exist) and then `folders` (deepest first, only while empty:
    never a file of the user's) when the block ends with any exception, then re-raise it. A finished block removes
    nothing: rename the partial files into place inside it.

    SIGTERM within the block raises Terminated (sigterm_as_interrupt). A second Ctrl-C or SIGTERM during the
    removal waits until it is done. An OSError without a file name (a write failing on a full disk says only
    "No space left on device") is given `target`'s, so its one-line message says where.
    """
    with sigterm_as_interrupt():
        try:
            yield
        except BaseException as exc:
            if isinstance(exc, OSError) and exc.filename is None and target is not None:
                exc.filename = str(target)
            with _signals_held():
                for path in paths:
                    with contextlib.suppress(OSError):
                        Path(path).unlink(missing_ok=True)
                for folder in folders:
                    try:
                        Path(folder).rmdir()
                    except OSError:  # not empty (or gone): keep it and its parents
                        break
            raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back during the block (delivered after it), where the platform allows."""
    if not (_in_main_thread() and hasattr(signal, "pthread_sigmask")):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

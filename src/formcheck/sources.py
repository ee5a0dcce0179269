"""Frame sources: a video file, an uploaded file-like object, or a camera or stream, as upright RGB Frames with
real timestamps; decoding ahead on a thread so the pose model never waits for the decoder; and, for live mode, a
file played at its own pace (real_time) and a capture thread that keeps only the newest frame (LatestFrame).

    with open_source("clip.mp4") as frames:        # or open_source(upload_fileobj), open_source(0), "rtsp://..."
        for frame in decoded_ahead(frames): ...

Every source has `.info` (VideoInfo: size, fps, frame count when known), iterates Frames once, collects
`.warnings`, and closes as a context manager. Files and uploads go through video.VideoReader (PyAV); cameras,
device paths and stream URLs through OpenCV's VideoCapture, time-stamped by the clock when they arrive.
"""
from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Union

from formcheck.video import Frame, VideoError, VideoInfo, VideoReader, _rotate

Source = Union[str, Path, int, BinaryIO]
_STREAM_URL = re.compile(r"^(rtsp|rtmp|http|https|udp|tcp)://", re.IGNORECASE)
# A camera gives its first frame within this time or is taken as absent or busy.
CAMERA_FIRST_FRAME_TIMEOUT_S = 5.0


def is_camera(source: Source) -> bool:
    """A camera index (0, "1"), a device path (/dev/video0) or a stream URL, as opposed to a file or an upload."""
    if isinstance(source, int):
        return True
    if isinstance(source, (str, Path)):
        text = str(source)
        return text.isdigit() or text.startswith("/dev/video") or bool(_STREAM_URL.match(text))
    return False


def open_source(source: Source, *, rotate_deg: int = 0):
    """A frame source for a video path, a binary file-like object, a camera index, a device path or a stream URL."""
    if is_camera(source):
        return CameraReader(source, rotate_deg=rotate_deg)
    return VideoReader(source, rotate_deg=rotate_deg)


class CameraReader:
    """Frames from a camera or a live stream (OpenCV VideoCapture), time-stamped on arrival (seconds from the first
    frame). It ends when the camera stops giving frames (unplugged, end of stream)."""

    def __init__(self, source: Source, *, rotate_deg: int = 0, buffer_frames: int | None = None):
        """buffer_frames: frames the driver may queue (1 for live: the newest picture, not one from seconds ago);
        None leaves the driver's default. Not every backend honours it."""
        import cv2

        self.path = Path(str(source))
        self.warnings: list[str] = []
        self._quarter_turns = (-(rotate_deg // 90)) % 4
        target = int(source) if str(source).isdigit() else str(source)
        self._capture = cv2.VideoCapture(target)
        if buffer_frames is not None:
            self._capture.set(cv2.CAP_PROP_BUFFERSIZE, buffer_frames)
        if not self._capture.isOpened():
            self._capture.release()
            raise VideoError(f"{source}: cannot open this camera or stream (no such device, busy, or unreachable)")
        started = time.monotonic()
        ok, bgr = self._capture.read()
        while not ok and time.monotonic() - started < CAMERA_FIRST_FRAME_TIMEOUT_S:
            time.sleep(0.05)
            ok, bgr = self._capture.read()
        if not ok:
            self._capture.release()
            raise VideoError(f"{source}: the camera or stream opened but gave no frame (busy or unplugged?)")
        self._first = bgr
        fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        height, width = _rotate(bgr, 90 * self._quarter_turns).shape[:2]
        self.info = VideoInfo(path=self.path, width=width, height=height, fps=fps if 0 < fps < 1000 else 30.0,
                              frame_count=0, duration_s=0.0, rotation_deg=90 * self._quarter_turns, codec="camera")

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        started = time.monotonic()
        index = 0
        bgr = self._first
        while bgr is not None:
            rgb = _rotate(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), 90 * self._quarter_turns)
            yield Frame(index=index, timestamp_s=time.monotonic() - started, rgb=rgb)
            index += 1
            ok, bgr = self._capture.read()
            if not ok:
                bgr = None

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> "CameraReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_END = object()


def decoded_ahead(frames: Iterable[Frame], depth: int = 4) -> Iterator[Frame]:
    """The same frames, decoded on a worker thread up to `depth` frames ahead (bounded memory), so decoding overlaps
    the pose model. Errors from the decoder are raised here, in order; stopping early stops the worker."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put((_END, exc))
            return
        put((_END, None))

    worker = threading.Thread(target=work, name="formcheck-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if isinstance(item, tuple) and len(item) == 2 and item[0] is _END:
                if item[1] is not None:
                    raise item[1]
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=5.0)



# ---- live: frames at the source's own pace, and only the newest one kept ----------------------------------------

def real_time(frames: Iterable[Frame], stop: threading.Event | None = None, *, speed: float = 1.0) -> Iterator[Frame]:
    """The frames of a file at their own pace: each one given when the wall clock reaches its timestamp (seconds
    since the first; divided by ``speed``, 1 = real time), as a camera would give it. A decoder that falls behind
    gives the frame late, never waits to catch up. ``stop`` set ends the iteration early."""
    if not speed > 0:
        raise ValueError(f"speed must be > 0, got {speed}")
    stop = stop or threading.Event()
    started: float | None = None
    first_t = 0.0
    for frame in frames:
        if started is None:
            started, first_t = time.monotonic(), frame.timestamp_s
        wait = started + (frame.timestamp_s - first_t) / speed - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        if stop.is_set():
            return
        yield frame


@dataclass(frozen=True)
class Captured:
    """A frame from a live source and ``arrived_s``, the ``time.monotonic()`` at which it became the newest."""

    frame: Frame
    arrived_s: float


class LatestFrame:
    """Reads a frame source on its own thread and keeps only the newest frame: a reader slower than the source
    gets the latest picture and the ones in between are dropped (counted), never queued.

        with LatestFrame(real_time(video)) as latest:
            while (item := latest.get(timeout=1.0)) is not None: ...

    ``get(timeout)`` -> the newest frame not yet taken (waits for one), or None once the source has ended and
    every frame was taken or dropped (``ended``; ``error``: what stopped it, if it raised). Counters: ``captured``
    (frames read), ``dropped`` (replaced before anyone took them).
    """

    def __init__(self, frames: Iterable[Frame], *, stop: threading.Event | None = None) -> None:
        self._frames = frames
        self._stop = stop or threading.Event()
        self._lock = threading.Condition()
        self._newest: Captured | None = None
        self.captured = 0
        self.dropped = 0
        self.ended = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="formcheck-capture", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for frame in self._frames:
                if self._stop.is_set():
                    break
                with self._lock:
                    if self._newest is not None:
                        self.dropped += 1
                    self._newest = Captured(frame, time.monotonic())
                    self.captured += 1
                    self._lock.notify_all()
        except BaseException as exc:  # handed to the reader through `error`
            self.error = exc
        finally:
            with self._lock:
                self.ended = True
                self._lock.notify_all()

    def get(self, timeout: float | None = None) -> Captured | None:
        """The newest frame not yet taken; None when the source has ended (or after `timeout` s with nothing new)."""
        with self._lock:
            self._lock.wait_for(lambda: self._newest is not None or self.ended, timeout=timeout)
            item, self._newest = self._newest, None
            return item

    @property
    def drop_rate(self) -> float:
        """Share of captured frames dropped, 0..1."""
        return self.dropped / self.captured if self.captured else 0.0

    def close(self, timeout: float = 2.0) -> None:
        """Stop reading (a camera read in progress finishes first)."""
        self._stop.set()
        self._thread.join(timeout=timeout)

    def __enter__(self) -> "LatestFrame":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Live sources: open a camera, device, stream or video file with a one-line error a person can act on, and list
the cameras that can be opened (``formcheck cameras``)."""
from __future__ import annotations

import glob
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from formcheck.live.overlay import LiveError
from formcheck.sources import _STREAM_URL, CameraReader, is_camera
from formcheck.video import VideoError, VideoReader

LIST_HINT = "`formcheck cameras` lists the cameras found"
# Indices tried where there is no /dev/video* to look at (macOS, Windows).
MAX_INDEX = 6


def open_live_source(source: str):
    """(a frame source, is_file): a CameraReader keeping one frame in the driver (cameras, devices, stream URLs),
    or a VideoReader (a video file, to be played at its own pace). LiveError / VideoError in one line."""
    if not is_camera(source):
        return VideoReader(source), True
    text = str(source)
    if text.isdigit() and sys.platform.startswith("linux") and not Path(f"/dev/video{text}").exists():
        raise LiveError(f"no camera at index {text} (no /dev/video{text}); {LIST_HINT}")
    if text.startswith("/dev/") and not Path(text).exists():
        raise LiveError(f"{text}: no such camera device; {LIST_HINT}")
    from formcheck.pose import quiet_native_logs

    try:
        with quiet_native_logs():  # FFmpeg's and V4L2's own complaints on stderr; the one line below says it
            return CameraReader(text, buffer_frames=1), False
    except VideoError:
        if _STREAM_URL.match(text):
            raise LiveError(f"{text}: cannot read this stream (unreachable, wrong address, or not a video stream)") from None
        raise LiveError(f"camera {text} is busy or gives no picture (another program using it? close it and try "
                        f"again; {LIST_HINT})") from None


@dataclass(frozen=True)
class CameraInfo:
    source: str       # what to pass to --camera
    opened: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    note: str = ""    # why it cannot be used, when it cannot


def _candidates() -> list[str]:
    if sys.platform.startswith("linux"):
        devices = glob.glob("/dev/video*")
        return sorted(devices, key=lambda d: int(re.sub(r"\D", "", d) or 0))
    return [str(i) for i in range(MAX_INDEX)]


def list_cameras() -> list[CameraInfo]:
    """Every camera that answers, with its picture size and frame rate; devices that do not (metadata nodes,
    busy cameras) with a note. Linux: the /dev/video* devices; elsewhere: indices 0-5."""
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:  # pragma: no cover - older OpenCV
        pass
    found = []
    for candidate in _candidates():
        target = int(candidate) if candidate.isdigit() else candidate
        capture = cv2.VideoCapture(target)
        try:
            if not capture.isOpened():
                found.append(CameraInfo(candidate, False, note="cannot be opened (busy, or not a capture device)"))
                continue
            ok, frame = capture.read()
            if not ok or frame is None:
                found.append(CameraInfo(candidate, False, note="opened but gave no picture (busy, or a metadata node)"))
                continue
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
            found.append(CameraInfo(candidate, True, frame.shape[1], frame.shape[0], fps))
        finally:
            capture.release()
    if not sys.platform.startswith("linux"):
        found = [c for c in found if c.opened]  # indices that answer nothing are not cameras
    return found

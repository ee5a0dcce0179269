"""Pictures of a few frames, kept from the one decode of a video for what needs pixels after the analysis: the
person masks for the back's outline at the tops of reps, and the key frames of the report.

    cache = FrameCache()
    picker = ExtremaPicker(cache, fps=30)
    for frame, landmarks in ...: picker.observe(frame, landmarks)    # tops, bottoms, a frame every 0.25 s
    picker.finish()
    cache.nearest(index, max_distance=3)                              # (index, rgb) or None

The cache holds at most `capacity` frames and `max_bytes`, JPEG-compressed (quality 95: a 720p frame ~0.2 MB, a 1080p
one ~0.8 MB, ~3.5 ms to encode at 720p, on a thread of its own), so its memory does not grow with the video's length; when full, the lowest-priority frame goes (among equals,
the one closest in time to another kept frame, so what stays is spread evenly).
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from formcheck.track import LANDMARK_INDEX
from formcheck.video import Frame

DEFAULT_CAPACITY = 160  # frames: 40 s at PERIOD_S
DEFAULT_MAX_BYTES = 48 << 20  # and at most this much JPEG: ~240 frames of 720p, ~60 of 1080p
# One frame every PERIOD_S besides the turning points: a key frame then shows a picture at most 0.125 s from the worst
# moment of a finding (rules' worst moments need not be a top or bottom); 4 JPEGs a second cost ~2% of the pose pass.
PERIOD_S = 0.25
# At quality 90 the person masks made from the kept frames lost the back's edge: a rendered hip thrust's outline read
# 18-19 deg of lumbar extension for 25 (within 6 at 95; tests/test_contour.py).
JPEG_QUALITY = 95
# Priorities: a top or bottom of the hips' travel outranks its neighbours, which outrank the once-a-second frames.
PRIORITY_EXTREMUM = 2.0
PRIORITY_NEIGHBOUR = 1.5
PRIORITY_PERIODIC = 0.1


@dataclass
class _Entry:
    index: int
    timestamp_s: float
    priority: float
    jpeg: bytes | Future  # a Future while the encoder thread is still at it
    nbytes: int  # the JPEG's size, estimated until it is encoded
    pixels: int


class FrameCache:
    """At most `capacity` frames (index -> RGB picture), JPEG-compressed, kept by priority (module docstring).

    Encoding runs on a thread of its own (OpenCV releases the GIL), beside the pose model: call `finish()` when no
    more frames come. Frames go to JPEG as BGR, the order its colour transform is made for."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, quality: int = JPEG_QUALITY,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.capacity = capacity
        self.quality = quality
        self.max_bytes = max_bytes
        self._entries: dict[int, _Entry] = {}
        self._bytes = 0
        self._bytes_per_pixel = 0.25  # updated from each finished JPEG; quality 95 gives ~0.2-0.4 on video frames
        self._encoder: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def indices(self) -> list[int]:
        return sorted(self._entries)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def offer(self, frame: Frame, priority: float) -> bool:
        """Keep `frame` if there is room or it outranks the weakest kept frame; True when it is kept."""
        kept = self._entries.get(frame.index)
        if kept is not None:
            kept.priority = max(kept.priority, priority)
            return True
        if len(self._entries) >= self.capacity and not self._make_room(priority):
            return False
        if self._encoder is None:
            self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcheck-jpeg")
        pixels = frame.rgb.shape[0] * frame.rgb.shape[1]
        estimate = int(self._bytes_per_pixel * pixels)
        job = self._encoder.submit(_encode, frame.rgb, self.quality)
        self._entries[frame.index] = _Entry(frame.index, frame.timestamp_s, priority, job, estimate, pixels)
        self._bytes += estimate
        while self._bytes > self.max_bytes and len(self._entries) > 1:
            self._evict(self._weakest())
        return frame.index in self._entries

    def forget_before(self, index: int) -> None:
        """Drop every kept frame before frame `index` (live mode keeps only the recent past: an endless session
        would otherwise fill the cache with old tops and refuse new ones)."""
        for entry in [e for e in self._entries.values() if e.index < index]:
            self._evict(entry)

    def finish(self) -> None:
        """Wait for the frames still being encoded and stop the encoder thread."""
        for entry in list(self._entries.values()):
            self._jpeg(entry)
        if self._encoder is not None:
            self._encoder.shutdown(wait=True)
            self._encoder = None

    def _jpeg(self, entry: _Entry) -> bytes:
        if isinstance(entry.jpeg, Future):
            entry.jpeg = entry.jpeg.result()
            self._bytes += len(entry.jpeg) - entry.nbytes
            entry.nbytes = len(entry.jpeg)
            self._bytes_per_pixel = 0.8 * self._bytes_per_pixel + 0.2 * entry.nbytes / max(1, entry.pixels)
        return entry.jpeg

    def _make_room(self, priority: float) -> bool:
        """Evict the weakest kept frame for a new one of `priority`; False when the new one is the weaker."""
        weakest = self._weakest()
        if weakest.priority > priority or (weakest.priority == priority and priority > PRIORITY_PERIODIC):
            return False
        self._evict(weakest)
        return True

    def _evict(self, entry: _Entry) -> None:
        if isinstance(entry.jpeg, Future):
            entry.jpeg.cancel()
        self._bytes -= entry.nbytes
        del self._entries[entry.index]

    def _weakest(self) -> _Entry:
        lowest = min(e.priority for e in self._entries.values())
        candidates = sorted((e for e in self._entries.values() if e.priority == lowest), key=lambda e: e.timestamp_s)
        if len(candidates) <= 2:
            return candidates[0]
        times = np.array([e.timestamp_s for e in candidates])
        gaps = np.minimum(np.diff(times, prepend=-np.inf), np.diff(times, append=np.inf))
        return candidates[int(np.argmin(gaps[1:-1])) + 1]  # never the first or last: keep the span covered

    def get(self, index: int) -> np.ndarray | None:
        """The RGB picture of frame `index`, or None when it was not kept."""
        entry = self._entries.get(index)
        if entry is None:
            return None
        import cv2

        bgr = cv2.imdecode(np.frombuffer(self._jpeg(entry), np.uint8), cv2.IMREAD_COLOR)
        return np.ascontiguousarray(bgr[:, :, ::-1])

    def nearest(self, index: int, max_distance: int) -> tuple[int, np.ndarray] | None:
        """(kept index, RGB) of the kept frame nearest to `index`, at most `max_distance` frames away, or None."""
        if not self._entries:
            return None
        kept = np.array(self.indices)
        best = int(kept[np.argmin(np.abs(kept - index))])
        if abs(best - index) > max_distance:
            return None
        return best, self.get(best)


class FrameWindow:
    """Part of a cache (anything with FrameCache.nearest) seen with its own frame numbers: index 0 is the cache's
    `first_frame`, and only frames within `frames` of it are served (one shot of an edited clip; live mode's recent
    track)."""

    def __init__(self, cache, first_frame: int, frames: int):
        self.cache, self.first_frame, self.frames = cache, first_frame, frames

    def nearest(self, index: int, max_distance: int) -> tuple[int, np.ndarray] | None:
        kept = self.cache.nearest(index + self.first_frame, max_distance)
        if kept is None or not 0 <= kept[0] - self.first_frame < self.frames:
            return None
        return kept[0] - self.first_frame, kept[1]


def _hip_height_torso(landmarks: np.ndarray) -> tuple[float, float]:
    """(mid-hip height in the picture, in torso lengths (up = +); torso length in normalised units) of one frame's
    (33, 4) landmarks; NaN when the hips or shoulders are missing."""
    hips = landmarks[[LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]], :2].mean(axis=0)
    shoulders = landmarks[[LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]], :2].mean(axis=0)
    torso = float(np.hypot(*(shoulders - hips)))
    if not np.isfinite(torso) or torso <= 0:
        return np.nan, np.nan
    return float(-hips[1] / torso), torso


def _encode(rgb: np.ndarray, quality: int) -> bytes:
    import cv2

    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a frame as JPEG")
    return jpeg.tobytes()


class ExtremaPicker:
    """Offers the cache the frames a later look may need, from the landmarks as they come (no look-ahead needed):
    each top and bottom of the hips' travel (turning points at least `hysteresis_torso` torso lengths apart, a
    zig-zag detector), the frames `spread_s` either side of each, and one frame every `period_s`."""

    def __init__(self, cache: FrameCache, fps: float, *, hysteresis_torso: float = 0.05, spread_s: float = 0.12,
                 period_s: float = PERIOD_S):
        self.cache = cache
        self.hysteresis = hysteresis_torso
        self.spread = max(1, int(round(spread_s * fps)))
        self.period_s = period_s
        self._recent: deque[Frame] = deque(maxlen=self.spread + 1)
        self._direction = 0  # +1 looking for a top, -1 for a bottom, 0 not yet known
        self._first_height = np.nan
        # The turning point so far: its height, its frame, and the frames `spread` before and after it.
        self._best_height = np.nan
        self._best: list[Frame | None] = [None, None, None]
        self._last_periodic_s = -np.inf

    def observe(self, frame: Frame, landmarks: np.ndarray | None) -> None:
        """Look at one frame and its subject's (33, 4) landmarks (None when nobody was found)."""
        self._recent.append(frame)
        best = self._best[1]
        if best is not None and frame.index == best.index + self.spread:
            self._best[2] = frame
        if frame.timestamp_s - self._last_periodic_s >= self.period_s and self.cache.offer(frame, PRIORITY_PERIODIC):
            self._last_periodic_s = frame.timestamp_s
        if landmarks is None:
            return
        height, _ = _hip_height_torso(landmarks)
        if not np.isfinite(height):
            return
        if not np.isfinite(self._first_height):
            self._first_height = height
            self._take(height, frame)
            return
        if self._direction == 0:  # the first clear move decides whether a top or a bottom comes first
            if abs(height - self._first_height) >= self.hysteresis:
                self._direction = 1 if height > self._first_height else -1
                self._take(height, frame)
            return
        if (height - self._best_height) * self._direction > 0:
            self._take(height, frame)
        elif abs(self._best_height - height) >= self.hysteresis:
            self._keep_turning_point()
            self._direction = -self._direction
            self._take(height, frame)

    def _take(self, height: float, frame: Frame) -> None:
        before = self._recent[0] if len(self._recent) > self.spread else None
        self._best_height = height
        self._best = [before, frame, None]

    def _keep_turning_point(self) -> None:
        before, frame, after = self._best
        if frame is not None:
            self.cache.offer(frame, PRIORITY_EXTREMUM)
        for neighbour in (before, after):
            if neighbour is not None:
                self.cache.offer(neighbour, PRIORITY_NEIGHBOUR)

    def finish(self) -> None:
        """Keep the last top or bottom, which no later move confirmed."""
        if self._direction != 0:
            self._keep_turning_point()

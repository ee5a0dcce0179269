"""The body's outline in live mode, so a bridge's arch is judged as `formcheck analyze` judges it.

    outlines = LiveOutlines(estimator.person_mask, fps=30)
    outlines.observe(row, frame, landmarks)            # each frame, on the capture loop (row: the session track's)
    analyzer = StreamingAnalyzer(..., outline=partial(outlines.trace, "bridge", "side"))  # each rep's top, at its end
    analyze(session_track, frame_cache=outlines.cache, estimator=estimator)   # the session's report, the same way

The frames are kept as the one decode keeps them (frame_cache: the tops and bottoms of the hips' travel and a frame
every 0.25 s, JPEG, bounded), and person masks are made only at the frames a rep's top needs (three a rep: the peak
and contour_pass.TOP_SPREAD_S either side), on the analysis thread, never on the capture loop. Without the outline a
floor bridge is judged by the shoulder-hip-knee landmark line, which read 18-21 deg "past straight" on a correct
real bridge filmed obliquely (a lumbar_arch fault) where the outline reads a rib flare of -0.4 and -2.6 deg.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from formcheck.contour_pass import trace_outlines
from formcheck.frame_cache import DEFAULT_CAPACITY, ExtremaPicker, FrameCache, FrameWindow
from formcheck.track import PoseTrack
from formcheck.video import Frame

Masks = Callable[[np.ndarray, "np.ndarray | None"], "np.ndarray | None"]


class LiveOutlines:
    """Frames kept from a live session (index: the session track's row) and the outline traced from them.

    observe() runs on the capture loop, trace() on the analysis thread: a lock keeps the cache whole between them.
    """

    def __init__(self, masks: Masks, fps: float, *, capacity: int = DEFAULT_CAPACITY):
        self.cache = FrameCache(capacity)
        self._picker = ExtremaPicker(self.cache, fps)
        self._masks = masks
        self._lock = threading.Lock()

    def observe(self, row: int, frame: Frame, landmarks: np.ndarray) -> None:
        """The session's frame `row` and its subject's raw (33, 4) landmarks (NaN rows when nobody was found)."""
        found = landmarks if np.isfinite(landmarks[:, :2]).all(axis=1).any() else None
        with self._lock:
            self._picker.observe(Frame(row, frame.timestamp_s, frame.rgb), found)

    def nearest(self, index: int, max_distance: int) -> tuple[int, np.ndarray] | None:
        """FrameCache.nearest, safe beside observe()."""
        with self._lock:
            return self.cache.nearest(index, max_distance)

    def trace(self, exercise: str, view: str, track: PoseTrack, first_row: int, frames: list[int]) -> PoseTrack:
        """StreamingAnalyzer's `outline` (with the set's exercise and view bound): `track` (row 0 is the session's
        row `first_row`) with the body's outline at the kept frames nearest to `frames` (contour_pass.trace_outlines).
        """
        window = FrameWindow(self, first_row, len(track))
        return trace_outlines(track, exercise, view, frames=window, masks=self._masks, wanted=frames)

    def finish(self) -> FrameCache:
        """The session is over: the last top or bottom kept, every JPEG encoded. The cache, for the session's report."""
        with self._lock:
            self._picker.finish()
            self.cache.finish()
        return self.cache

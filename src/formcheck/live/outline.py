"""The body's outline in live mode, so a bridge's arch is judged as `formcheck analyze` judges it.

    outlines = LiveOutlines(estimator.person_mask, fps=30)
    outlines.observe(row, frame, landmarks)            # each frame, on the main loop (row: the session track's)
    analyzer = StreamingAnalyzer(..., outline=partial(outlines.trace, "bridge", "side"))  # each rep's top, at its end
    cache = outlines.finish()                          # the session is over
    analysis = analyze(session_track, frame_cache=cache, estimator=estimator)   # the session's report, the same way
    analysis = outlines.with_live_traces(analysis, judge_again)   # tops whose frames were forgotten: as traced live

The frames are kept as the one decode keeps them (frame_cache: the tops and bottoms of the hips' travel and a frame
every 0.25 s, JPEG, bounded), but only the last KEEP_S seconds of them: a long session would otherwise fill the
cache with old tops and refuse new ones. Person masks are made only at the frames a rep's top needs (three a rep:
the peak and contour_pass.TOP_SPREAD_S either side; two in a hold), on the analysis thread, never on the main loop;
what they traced is kept (a few numbers a frame) for the session's report. Without the outline a floor bridge is
judged by the shoulder-hip-knee landmark line, which read 18-21 deg "past straight" on a correct real bridge filmed
obliquely (a lumbar_arch fault) where the outline reads a rib flare of -0.4 and -2.6 deg.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from formcheck.contour import traced_dorsal_sign
from formcheck.contour_pass import trace_outlines
from formcheck.frame_cache import DEFAULT_CAPACITY, ExtremaPicker, FrameCache, FrameWindow
from formcheck.results import Analysis
from formcheck.track import PoseTrack
from formcheck.video import Frame

Masks = Callable[[np.ndarray, "np.ndarray | None"], "np.ndarray | None"]
# Seconds of frames kept: a rep's top is traced as the rep ends (a few seconds later) and a hold's middle at its
# end, so a minute covers any rep and a two-minute hold. At a rep every 3 s that is ~120 kept tops and bottoms with
# their neighbours, within DEFAULT_CAPACITY.
KEEP_S = 60.0
OUTLINES = ("dorsal_contour", "ventral_contour")  # the PoseTrack arrays of the back's and the front's outline


class LiveOutlines:
    """Frames kept from a live session (index: the session track's row) and the outlines traced from them.

    observe() runs on the main loop, trace() on the analysis thread: a lock keeps the cache whole between them.
    """

    def __init__(self, masks: Masks, fps: float, *, capacity: int = DEFAULT_CAPACITY, keep_s: float = KEEP_S):
        self.cache = FrameCache(capacity)
        self._picker = ExtremaPicker(self.cache, fps)
        self._masks = masks
        self._keep_frames = max(1, int(round(keep_s * fps)))
        self._lock = threading.Lock()
        self._finished = False
        # what the masks traced: outline name (OUTLINES) -> session row -> that row's points
        self._traced: dict[str, dict[int, np.ndarray]] = {name: {} for name in OUTLINES}
        self._sign = 0
        self.failures: list[str] = []

    def observe(self, row: int, frame: Frame, landmarks: np.ndarray) -> None:
        """The session's frame `row` and its subject's raw (33, 4) landmarks (NaN rows when nobody was found)."""
        found = landmarks if np.isfinite(landmarks[:, :2]).all(axis=1).any() else None
        with self._lock:
            if self._finished:
                return
            self._picker.observe(Frame(row, frame.timestamp_s, frame.rgb), found)
            if row % self._keep_frames == 0:
                self.cache.forget_before(row - self._keep_frames)

    def nearest(self, index: int, max_distance: int) -> tuple[int, np.ndarray] | None:
        """FrameCache.nearest, safe beside observe()."""
        with self._lock:
            return self.cache.nearest(index, max_distance)

    def trace(self, exercise: str, view: str, track: PoseTrack, first_row: int, frames: list[int]) -> PoseTrack:
        """StreamingAnalyzer's `outline` (with the set's exercise and view bound): `track` (row 0 is the session's
        row `first_row`) with the body's outline at the kept frames nearest to `frames` (contour_pass.trace_outlines).
        A failure (a mask the model could not make) is noted in `failures` and the track is judged without it."""
        window = FrameWindow(self, first_row, len(track))
        try:
            traced = trace_outlines(track, exercise, view, frames=window, masks=self._masks, wanted=frames)
        except Exception as exc:  # noqa: BLE001 - the set goes on, judged by the landmark line
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return track.with_dorsal_contour(None, dorsal_contour={"status": f"the outline failed ({exc})"})
        self._keep(traced, first_row)
        return traced

    def _keep(self, traced: PoseTrack, first_row: int) -> None:
        sign = traced_dorsal_sign(traced)
        for name in OUTLINES:
            points = getattr(traced, name)
            if points is None or not sign:
                continue
            self._sign = sign
            for row in np.flatnonzero(np.isfinite(points[:, :, 0]).any(axis=1)):
                self._traced[name][first_row + int(row)] = points[row]

    def finish(self) -> FrameCache:
        """The session is over: the last top or bottom kept, every JPEG encoded. The cache, for the session's report.
        Safe to call more than once."""
        with self._lock:
            if not self._finished:
                self._finished = True
                self._picker.finish()
                self.cache.finish()
        return self.cache

    def with_live_traces(self, analysis: Analysis, judge: Callable[[PoseTrack], Analysis]) -> Analysis:
        """The session's analysis with the outlines traced live filled in where its own pass found none (their
        frames were forgotten after KEEP_S), judged again with judge(track); unchanged when there is nothing to add
        or the two were traced from opposite sides of the body."""
        track = analysis.track
        own_sign = traced_dorsal_sign(track)
        if not self._sign or (own_sign and own_sign != self._sign):
            return analysis
        arrays = {}
        added = 0
        for name in OUTLINES:
            own = getattr(track, name)
            rows = {row: points for row, points in self._traced[name].items() if row < len(track)}
            if not rows:
                arrays[name] = own
                continue
            shape = next(iter(rows.values())).shape
            merged = own.copy() if own is not None else np.full((len(track),) + shape, np.nan)
            for row, points in rows.items():
                if not np.isfinite(merged[row, :, 0]).any():
                    merged[row] = points
                    added += 1
            arrays[name] = merged
        if not added:
            return analysis
        info = {**track.meta.get("dorsal_contour", {}), "dorsal_sign": self._sign, "status": "traced",
                "live_frames_added": added}
        return judge(track.with_dorsal_contour(arrays["dorsal_contour"], arrays["ventral_contour"],
                                               dorsal_contour=info))

"""How far the picture moves under the person: a hand-held camera's shake or pan, read from the background as the
frames are decoded.

    shift = CameraShift()
    for frame in frames: shift.observe(frame, landmarks)      # landmarks: the subject's (33, 4) or None
    track = shift.attach(track)                                 # track.camera_shift: (T, 2) px since the first frame

Every SAMPLE_EVERY-th frame with the subject standing (upright; lying exercises need no camera shift) is shrunk to
grey ANALYSIS_WIDTH pixels wide. In it and in the previous frame read, the subject's boxes of both frames (from the
landmarks, widened by PERSON_MARGIN) are filled with the picture's mean, so neither the moving body nor a patch
following it pulls the estimate. The shift from the previous
frame read is the peak of their phase correlation (cv2.phaseCorrelate, with a Hann window), in full-frame pixels; the
frames between are interpolated. A step whose correlation peak is weaker than MIN_RESPONSE (a plain wall, a cut,
motion blur) is unknown and counts as no move when summed. The filled box, still in both frames of a pair, pulls each
step toward no move: a little sideways, more up and down (its long top and bottom edges). Rules read the sideways
sum: hip_sway measures sideways sway in a frame that stays with the ground, so the camera's wander at the walker's
stride rhythm is not read as the pelvis swaying.
"""
from __future__ import annotations

import numpy as np

from formcheck.kinematics import elevation_2d
from formcheck.track import LANDMARK_INDEX, PoseTrack
from formcheck.video import Frame

ANALYSIS_WIDTH = 160
PERSON_MARGIN = 0.15  # of the box's size, on each side: loose clothes, hair, the arms' swing
# Every other frame is read (15 a second at 30 fps): a hand's shake wanders over half a second or more, and reading
# half the frames halves the cost (a 1080p frame: ~1.6 ms to shrink and correlate, mostly the shrinking).
SAMPLE_EVERY = 2
UPRIGHT_MAX_DEG = 45.0
_LH, _RH = LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]
_LS, _RS = LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]
# cv2.phaseCorrelate's response: ~1 for two identical textured pictures. Measured frame to frame on real walks in
# ../shared/videos and their shaken copies (scripts/real_variants.py `shake`): textured backgrounds (a street, a gym,
# a corridor) 0.80-1.0 at their 10th percentile; a plain white studio behind a treadmill 0.21-0.28 at its 90th, where
# the peak lands anywhere (steps of 200+ px). Below this the step is not trusted.
MIN_RESPONSE = 0.5


def _grey_small(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """(h, ANALYSIS_WIDTH) float32 grey picture and the scale from it back to the frame's pixels."""
    import cv2

    h, w = rgb.shape[:2]
    scale = w / ANALYSIS_WIDTH
    step = max(1, int(scale // 2))  # every step-th pixel first (a third of the time at 1080p), then an area average
    small = cv2.resize(np.ascontiguousarray(rgb[::step, ::step]), (ANALYSIS_WIDTH, max(8, int(round(h / scale)))),
                       interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32), scale


def person_box(landmarks: np.ndarray | None, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) pixels of the subject's landmarks' box, widened by PERSON_MARGIN, in a picture of `shape`
    (h, w); None without landmarks (normalised (33, 4))."""
    if landmarks is None:
        return None
    xy = np.asarray(landmarks, float)[:, :2]
    if not np.isfinite(xy).any():
        return None
    h, w = shape
    lo, hi = np.nanmin(xy, axis=0), np.nanmax(xy, axis=0)
    pad = PERSON_MARGIN * (hi - lo)
    x0, y0 = np.floor((lo - pad) * [w, h]).astype(int)
    x1, y1 = np.ceil((hi + pad) * [w, h]).astype(int)
    return max(x0, 0), max(y0, 0), max(x1, 0), max(y1, 0)


def _hide(grey: np.ndarray, boxes: list) -> np.ndarray:
    """The picture with every box filled with the picture's mean. Both pictures of a pair get the same boxes (the
    person's in either frame), so the filled patch's edges stay put and add no motion of their own."""
    out = grey.copy()
    fill = float(grey.mean())
    for box in boxes:
        if box is not None:
            x0, y0, x1, y1 = box
            out[y0:y1, x0:x1] = fill
    return out


def upright(landmarks: np.ndarray | None, width: int, height: int) -> bool:
    """Whether the subject stands: the mid-hip -> mid-shoulder line within UPRIGHT_MAX_DEG of straight up in a picture
    of width x height pixels (landmarks normalised (33, 4)). Only then does a rule read the camera's shift (hip_sway on
    walks), so lying exercises skip the cost."""
    if landmarks is None:
        return False
    px = np.asarray(landmarks, float)[:, :2] * (width, height)
    hips, shoulders = (px[_LH] + px[_RH]) / 2, (px[_LS] + px[_RS]) / 2
    return bool(elevation_2d(hips, shoulders) > 90.0 - UPRIGHT_MAX_DEG)


class CameraShift:
    """The picture's frame-to-frame shift, one frame at a time (module docstring)."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None
        self._previous_box: tuple[int, int, int, int] | None = None
        self._window: np.ndarray | None = None
        self._steps: list[tuple[float, float]] = []  # px, from the previous frame read; NaN: unknown or not read
        self._read: list[bool] = []  # per frame: was it read (every SAMPLE_EVERY-th)

    def observe(self, frame: Frame, landmarks: np.ndarray | None) -> None:
        import cv2

        standing = upright(landmarks, frame.rgb.shape[1], frame.rgb.shape[0])
        if not standing:
            self._previous = None  # the chain of reads breaks: the next read's step is unknown, taken as no move
        if not standing or len(self._steps) % SAMPLE_EVERY:  # nobody standing, or between two read frames
            self._steps.append((np.nan, np.nan))
            self._read.append(False)
            return
        self._read.append(True)
        grey, scale = _grey_small(frame.rgb)
        box = person_box(landmarks, grey.shape)
        if self._previous is None or self._previous.shape != grey.shape:
            self._steps.append((0.0, 0.0))  # a chain's first read: nothing to step from
        else:
            if self._window is None or self._window.shape != grey.shape:
                self._window = cv2.createHanningWindow(grey.shape[::-1], cv2.CV_32F)
            boxes = [self._previous_box, box]
            (dx, dy), response = cv2.phaseCorrelate(_hide(self._previous, boxes), _hide(grey, boxes), self._window)
            self._steps.append((dx * scale, dy * scale) if response >= MIN_RESPONSE else (np.nan, np.nan))
        self._previous, self._previous_box = grey, box

    def attach(self, track: PoseTrack) -> PoseTrack:
        """The track with camera_shift: the steps between read frames summed from the first frame (unknown steps as
        no move), linearly between the read frames; meta["camera_shift"] = {frames_read, steps_unknown}."""
        n = min(len(track), len(self._steps))
        read = np.flatnonzero(np.array(self._read[:n], dtype=bool))
        if read.size == 0:
            return track.with_camera_shift(None, camera_shift={"frames_read": 0, "steps_unknown": 0})
        steps = np.array(self._steps[:n], dtype=float).reshape(-1, 2)[read]
        unknown = int((~np.isfinite(steps[1:, 0])).sum())
        at_read = np.cumsum(np.nan_to_num(steps), axis=0)
        frames = np.arange(len(track))
        shift = np.column_stack([np.interp(frames, read, at_read[:, k]) for k in range(2)])
        return track.with_camera_shift(shift, camera_shift={"frames_read": int(read.size), "steps_unknown": unknown})

"""The waistband's tilt (formcheck.waistline) measured on the frames of a frontal single-leg stance or walk while
the video is decoded for the pose, into PoseTrack.waistline (stance_asymmetry reads the frames on one leg, hip_sway
the steps of a walk).

    reader = WaistlineReader(fps, always=False, walking=True)
    for frame, landmarks in ...: reader.observe(frame, landmarks)
    track = reader.attach(track)

The search costs ~5 ms a 720p frame (a third of the pose model's time), so it runs only where a rule can use it:
on every frame where the person stands upright facing the camera (or away) with one foot held up for at least
MIN_LIFT_S (a walking step's swing is shorter), and on the frames of that lift already seen (kept for
LOOK_BACK_S); with `walking=True` (the exercise may be a walk) also on upright frontal frames at WALK_RATE_HZ (every
3rd frame at 30 fps: a tenth of the pose model's time). `always=True` (the exercise is known to be a single-leg
stance) measures every upright frontal frame.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from formcheck.kinematics import elevation_2d
from formcheck.track import LANDMARK_INDEX, PoseTrack
from formcheck.video import Frame
from formcheck.waistline import waistline_tilt

MIN_LIFT_S = 0.5  # a walking step's swing lasts ~0.4 s (Perry & Burnfield, Gait Analysis, 2010: 40% of a 1 s cycle)
LOOK_BACK_S = 0.6
# A walk's pelvic tilt, low-passed at 3 Hz by hip_sway (rules.hip_sway.OBLIQUITY_CUTOFF_HZ; gait's frontal pelvic
# motion lies below it), needs samples at more than twice that: 10 a second, interpolated between by the rule.
WALK_RATE_HZ = 10.0
# One ankle this many torso lengths above the other: a foot off the ground. Looser than stance_asymmetry's 0.15 on
# cleaned landmarks, so that the raw landmarks' jitter does not cut a stance short.
LIFT_TORSO = 0.12
MAX_TRUNK_LEAN_DEG = 35.0  # upright: the trunk within this of vertical
MIN_HIP_WIDTH_TORSO = 0.15  # frontal: the hips this far apart in the picture (side views: ~0)
_LH, _RH = LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]
_LS, _RS = LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]
_LA, _RA = LANDMARK_INDEX["left_ankle"], LANDMARK_INDEX["right_ankle"]


class WaistlineReader:
    """Measures the waistband on the frames that need it as they are decoded (module docstring)."""

    def __init__(self, fps: float, *, always: bool = False, walking: bool = True):
        self.always = always
        self._walk_every = max(1, round(fps / WALK_RATE_HZ)) if walking else 0  # frames between walk samples
        self._min_lift_frames = max(1, math.ceil(MIN_LIFT_S * fps))
        self._recent: deque[tuple[Frame, np.ndarray, int]] = deque(maxlen=max(2, math.ceil(LOOK_BACK_S * fps)))
        self._lift_run = 0  # consecutive frames with the same foot up
        self._lift_side = 0
        self._torso_px: deque[float] = deque(maxlen=31)
        self._edges: dict[int, tuple[float, float, float, float]] = {}

    def observe(self, frame: Frame, landmarks: np.ndarray | None) -> None:
        """Look at one frame and its subject's (33, 4) landmarks (None when nobody was found)."""
        if landmarks is None:
            self._lift_run, self._lift_side = 0, 0
            return
        height, width = frame.rgb.shape[:2]
        px = landmarks[:, :2] * (width, height)
        hips, shoulders = (px[_LH] + px[_RH]) / 2, (px[_LS] + px[_RS]) / 2
        trunk = shoulders - hips
        torso = float(np.hypot(*trunk))
        if not (np.isfinite(torso) and torso > 0 and np.isfinite(px[[_LH, _RH]]).all()):
            self._lift_run, self._lift_side = 0, 0
            return
        self._torso_px.append(torso)
        upright = elevation_2d(hips, shoulders) >= 90.0 - MAX_TRUNK_LEAN_DEG
        frontal = abs(px[_LH, 0] - px[_RH, 0]) / torso >= MIN_HIP_WIDTH_TORSO
        lift = (px[_RA, 1] - px[_LA, 1]) / torso  # + = left ankle higher (image y down)
        side = 0 if not np.isfinite(lift) or abs(lift) < LIFT_TORSO else int(np.sign(lift))
        self._lift_run = self._lift_run + 1 if side != 0 and side == self._lift_side else (1 if side else 0)
        self._lift_side = side
        if not (upright and frontal):
            self._lift_run = 0
            return
        if side:  # only frames with a foot up are ever measured later
            self._recent.append((frame, landmarks, side))
        if self.always:
            self._measure(frame, landmarks)
        elif self._lift_run >= self._min_lift_frames:
            for earlier, earlier_landmarks, earlier_side in self._recent:  # this lift's frames already seen
                if earlier_side == side:
                    self._measure(earlier, earlier_landmarks)
        elif self._walk_every and frame.index % self._walk_every == 0:
            self._measure(frame, landmarks)

    def _measure(self, frame: Frame, landmarks: np.ndarray) -> None:
        if frame.index in self._edges:
            return
        height, width = frame.rgb.shape[:2]
        px = landmarks[:, :2] * (width, height)
        edge = waistline_tilt(frame.rgb, px[_LH], px[_RH], float(np.median(self._torso_px)))
        self._edges[frame.index] = (*edge[:3], edge.centre_y_px / height)

    def attach(self, track: PoseTrack) -> PoseTrack:
        """The track with `waistline` edges on the measured frames (NaN elsewhere), or without any when none was
        measured; meta["waistline"] = {status, frames_measured}."""
        if not self._edges:
            status = ("no frame had both hips and a band large enough to search" if self.always else
                      "not measured: no frame showed a person "
                      + ("upright" if self._walk_every else "standing on one leg") + ", facing the camera or away")
            return track.with_waistline(None, waistline={"status": status, "frames_measured": 0})
        edges = np.full((len(track), 4), np.nan)
        for index, edge in self._edges.items():
            if index < len(track):
                edges[index] = edge
        measured = int(np.isfinite(edges[:, 0]).sum())
        return track.with_waistline(edges, waistline={"status": "measured", "frames_measured": measured})

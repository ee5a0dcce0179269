"""Cuts in an edited video (a hard cut or a dissolve to another shot), found from the frames as they are decoded.

    cuts = CutDetector(fps)
    for frame in frames: cuts.observe(frame)
    cuts.cuts_s                                     # the times (s) where a new shot starts

Each frame's colours are summarised as an 8x8x8 RGB histogram of every 12th pixel (~0.1 ms at 1080p). A new shot
changes the colour distribution of the whole picture; a person moving, even a camera panning along a corridor,
changes little of it. So a cut is where the histogram half a second back differs from the present one by more than
CUT_DISTANCE (total variation, 0..1), placed at the largest frame-to-frame step in that half second. Measured on the
real clips in ../shared/videos: within a shot the half-second distance has medians of 0.015-0.11 and reached at
most 0.19 (a hand-held follow camera; a bench hip thrust filmed from three angles in one room, 0.16: changes of angle
that keep the colours are left to views.view_changes); a dissolve from a side view to a front view reached 0.88, a cut
to an end card 0.94.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from formcheck.video import Frame

CUT_DISTANCE = 0.5
LAG_S = 0.5
_BINS = 8


def colour_histogram(rgb: np.ndarray) -> np.ndarray:
    """(512,) normalised 8x8x8 RGB histogram of every 12th pixel of an (H, W, 3) uint8 picture."""
    import cv2

    sample = np.ascontiguousarray(rgb[::12, ::12])
    hist = cv2.calcHist([sample], [0, 1, 2], None, [_BINS] * 3, [0, 256] * 3).ravel()
    return hist / max(float(hist.sum()), 1.0)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance of two normalised histograms, 0 (same colours) .. 1 (no colour in common)."""
    return 0.5 * float(np.abs(a - b).sum())


class CutDetector:
    """The times where a new shot starts (module docstring), one frame at a time."""

    def __init__(self, fps: float):
        self.lag = max(1, math.ceil(LAG_S * fps))
        self._recent: deque[tuple[float, np.ndarray, float]] = deque(maxlen=self.lag + 1)  # (t, hist, step)
        self._armed = True  # after a cut, until the picture has settled into its new shot (a dissolve takes a while)
        self.cuts_s: list[float] = []

    def observe(self, frame: Frame) -> None:
        hist = colour_histogram(frame.rgb)
        step = _distance(hist, self._recent[-1][1]) if self._recent else 0.0
        self._recent.append((frame.timestamp_s, hist, step))
        if len(self._recent) <= self.lag:
            return
        distance = _distance(hist, self._recent[0][1])
        if self._armed and distance > CUT_DISTANCE:
            cut_t = max(list(self._recent)[1:], key=lambda item: item[2])[0]
            self.cuts_s.append(round(cut_t, 4))
            self._armed = False
        elif distance < CUT_DISTANCE / 2:
            self._armed = True

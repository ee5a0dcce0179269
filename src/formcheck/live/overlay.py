"""The live picture: skeleton, the key angle beside its threshold, rep count and hold time in large type, the
current cue (or the setup advice), fps, latency and drop rate; and the window that shows it (OpenCV highgui).

Drawn with the report's annotators (formcheck.report.annotators), sized for a person a few metres from the screen:
text scales with the frame height and never drops below a size readable at 640x480.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.live.coach import KeyAngle
from formcheck.report.annotators import AngleAnnotator, CueAnnotator, ReadoutAnnotator, SkeletonAnnotator
from formcheck.report.draw import OK_RGB, SEVERITY_RGB, blend_rect, put_text, scale_for, text_size

# Text is drawn at least this much larger than the annotated video's on frames under 720 px tall (a 640x480 webcam
# picture seen from the floor), since cv2's Hershey font at the video's 0.45 scale is ~8 px tall.
SMALL_FRAME_TEXT_GAIN = 1.6


class LiveError(ValueError):
    """Live mode cannot start or go on (no camera, no display, ...): one line for the user."""


@dataclass(frozen=True)
class LiveState:
    """Everything drawn on one live frame, already decided."""

    landmarks: np.ndarray | None = None   # (33, 4), x, y normalised to the frame
    key: KeyAngle | None = None
    reps: int = 0
    rep_word: str = "REPS"                 # "STEPS" for a walk
    hold_s: float = 0.0
    cue: tuple[str, str] | None = None     # (severity, text) of the cue on screen
    fps: float = float("nan")
    latency_ms: float = float("nan")
    drop_rate: float = 0.0
    started: bool = True                   # False during the setup check


def _text_gain(img: np.ndarray) -> float:
    return SMALL_FRAME_TEXT_GAIN if img.shape[0] < 720 else 1.0


@dataclass(frozen=True)
class LiveOverlay:
    skeleton: SkeletonAnnotator = SkeletonAnnotator()
    angle: AngleAnnotator = AngleAnnotator()

    def annotate(self, frame_rgb: np.ndarray, state: LiveState) -> np.ndarray:
        gain = _text_gain(frame_rgb)
        img = frame_rgb
        if state.landmarks is not None:
            img = self.skeleton.annotate(img, state.landmarks)
        key = state.key
        lines: list[tuple[str, tuple[int, int, int]]] = []
        if key is not None and np.isfinite(key.value):
            colour = SEVERITY_RGB[key.severity] if key.severity else OK_RGB
            if key.points and state.landmarks is not None:
                img = AngleAnnotator(font_scale=gain).annotate(img, state.landmarks, key.points,
                                                                f"{key.value:.0f} deg", colour)
            limit = f"  (limit {key.limit:.0f})" if key.limit is not None else ""
            lines.append((f"{key.label}: {key.value:.0f} deg{limit}", colour))
        elif key is not None:
            lines.append((f"{key.label}: --", (150, 150, 150)))
        speed = f"{state.fps:.0f} fps" if np.isfinite(state.fps) else "-- fps"
        latency = f"{state.latency_ms:.0f} ms" if np.isfinite(state.latency_ms) else "-- ms"
        lines.append((f"{speed}  latency {latency}  dropped {state.drop_rate:.0%}", (160, 200, 160)))
        img = ReadoutAnnotator(font_scale=gain).annotate(img, lines)
        if state.started:
            img = self._counters(img, state, gain)
        if state.cue is not None:
            img = CueAnnotator(font_scale=1.15 * gain, max_cues=1).annotate(img, [state.cue])
        return img

    def _counters(self, img: np.ndarray, state: LiveState, gain: float) -> np.ndarray:
        """Rep count and hold time, large, in the top-right corner."""
        img = img.copy()
        s = scale_for(img) * gain
        fs, thick = 1.1 * s, max(2, int(round(2.2 * s)))
        rows = [f"{state.rep_word} {state.reps}"]
        if state.hold_s > 0:
            rows.append(f"HOLD {state.hold_s:.0f} s")
        sizes = [text_size(r, fs, thick) for r in rows]
        pad = int(10 * s)
        width = max(w for w, _, _ in sizes) + 2 * pad
        line_h = max(h + b for _, h, b in sizes) + pad
        x0 = img.shape[1] - width - pad
        blend_rect(img, x0, pad, x0 + width, pad + line_h * len(rows) + pad // 2, (0, 0, 0), 0.65)
        y = pad
        for row, (_, h, _) in zip(rows, sizes):
            y += line_h
            colour = (120, 230, 140) if row.startswith("HOLD") else (245, 245, 245)
            put_text(img, row, (x0 + pad, y - pad // 2 - (line_h - pad - h) // 2), fs, colour, thick, outline=False)
        return img


def display_problem() -> str | None:
    """Why no window can open here (no display), or None. Checked before OpenCV's Qt backend, which would end the
    process rather than raise."""
    if not sys.platform.startswith("linux"):
        return None
    if os.environ.get("WAYLAND_DISPLAY"):
        return None
    display = os.environ.get("DISPLAY", "")
    if not display:
        return "no display for a window (DISPLAY is not set); run with --no-window"
    host, _, number = display.partition(":")
    number = number.split(".")[0]
    if host in ("", "unix") and number.isdigit() and not Path(f"/tmp/.X11-unix/X{number}").exists():
        return f"no display for a window (nothing listens on DISPLAY={display}); run with --no-window"
    return None


class Window:
    """An OpenCV window showing RGB frames; ``show`` returns "q" when q or Esc is pressed, "window closed" when the
    window was closed, else None."""

    TITLE = "formcheck live (q to stop)"

    def __init__(self) -> None:
        problem = display_problem()
        if problem:
            raise LiveError(problem)
        try:
            cv2.namedWindow(self.TITLE, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)  # no toolbar
        except cv2.error as exc:
            raise LiveError(f"cannot open a window ({str(exc).strip().splitlines()[-1]}); run with --no-window") from None
        self._shown = False

    def show(self, img_rgb: np.ndarray) -> str | None:
        if not self._shown:
            cv2.resizeWindow(self.TITLE, img_rgb.shape[1], img_rgb.shape[0])
        cv2.imshow(self.TITLE, cv2.cvtColor(img_rgb, cv2.COLOR_RGB2BGR))
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), ord("Q"), 27):
            return "q"
        if self._shown and cv2.getWindowProperty(self.TITLE, cv2.WND_PROP_VISIBLE) < 1:
            return "window closed"
        self._shown = True
        return None

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.TITLE)
            cv2.waitKey(1)
        except cv2.error:
            pass

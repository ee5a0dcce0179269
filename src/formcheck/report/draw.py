"""Drawing primitives shared by the annotators, the overlay and the key frames (cv2 only, no analysis): colours,
ASCII text for cv2's Hershey fonts ("°" -> " deg", dashes -> "-"), text placement, translucent panels, resizing.

Frames are RGB uint8 (H, W, 3); landmarks are one frame's (33, 4) rows, x, y normalised to the frame [0, 1].
"""
from __future__ import annotations

import cv2
import numpy as np

from formcheck.formats import format_value
from formcheck.track import LANDMARK_INDEX

RGB = tuple[int, int, int]

SEVERITY_RGB: dict[str, RGB] = {"fault": (230, 57, 53), "warning": (245, 190, 30), "info": (60, 190, 220)}
LEFT_RGB: RGB = (255, 150, 50)  # the person's left side: orange
RIGHT_RGB: RGB = (70, 160, 255)  # the person's right side: blue
CENTRE_RGB: RGB = (235, 235, 235)
OK_RGB: RGB = (235, 235, 235)
CANVAS_RGB: RGB = (28, 30, 36)

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_ASCII = {"°": " deg", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x", "≥": ">=", "≤": "<=",
          "·": "-", "…": "...", "→": "->", "±": "+/-"}


def ascii_text(text: str) -> str:
    """Text cv2 can draw: common typographic characters spelled out, anything else non-ASCII dropped."""
    out = "".join(_ASCII.get(ch, ch) for ch in text)
    out = out.replace("  deg", " deg").replace(" deg deg", " deg")
    return out.encode("ascii", "ignore").decode("ascii")


def format_number(value: float | None, unit: str) -> str:
    """A value as frames show it: whole degrees, '--' when missing (formats.format_value; drawn through ascii_text,
    so '14°' reads '14 deg')."""
    return format_value(value, unit, degree_digits=0, missing="--")


MIN_SCALE = 0.7  # the smallest drawing scale: its smallest text (0.6 x 0.7 Hershey) is 8 px tall, legible on a phone


def scale_for(frame: np.ndarray) -> float:
    """Drawing scale (text size, line widths): 1.0 for a 1280x720 frame; by the height, or by the width where the
    frame is narrower than 16:9 (a portrait phone clip); never below MIN_SCALE. Text that is then too wide for the
    frame is wrapped or moved inside it by the annotators."""
    h, w = frame.shape[:2]
    return max(MIN_SCALE, min(h / 720.0, w / 1280.0))


def side_colour(name: str) -> RGB:
    if name.startswith("left"):
        return LEFT_RGB
    if name.startswith("right"):
        return RIGHT_RGB
    return CENTRE_RGB


def landmark_px(landmarks: np.ndarray, name: str, width: int, height: int) -> tuple[int, int] | None:
    row = landmarks[LANDMARK_INDEX[name]]
    if not (np.isfinite(row[0]) and np.isfinite(row[1])):
        return None
    return int(round(row[0] * width)), int(round(row[1] * height))


def text_size(text: str, scale: float, thickness: int) -> tuple[int, int, int]:
    (w, h), base = cv2.getTextSize(text, _FONT, scale, thickness)
    return w, h, base


def put_text(
    img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: RGB, thickness: int, *, outline: bool = True
) -> None:
    """Text; with a dark outline (for text drawn straight on the picture) so it reads on any background."""
    if outline:
        cv2.putText(img, text, org, _FONT, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, colour, thickness, cv2.LINE_AA)


def wrap_text(text: str, max_width: int, scale: float, thickness: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and text_size(candidate, scale, thickness)[0] > max_width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def blend_rect(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: RGB, alpha: float) -> None:
    h, w = img.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1].astype(np.float32)
    roi = roi * (1.0 - alpha) + np.array(colour, np.float32) * alpha
    img[y0:y1, x0:x1] = np.clip(roi, 0, 255).astype(np.uint8)


def resize_to_height(frame: np.ndarray, height: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if h == height:
        return frame
    width = int(round(w * height / h))
    width -= width % 2
    interp = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
    return cv2.resize(frame, (width, height), interpolation=interp)


def fit_into(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """The frame scaled to fit width x height with its aspect kept, centred on black bars (letterbox)."""
    h, w = frame.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    out = np.zeros((height, width) + frame.shape[2:], dtype=frame.dtype)
    y, x = (height - size[1]) // 2, (width - size[0]) // 2
    out[y:y + size[1], x:x + size[0]] = small
    return out

"""Annotators: style in the constructor, one `annotate(frame_rgb, ...) -> frame_rgb` that draws what it is given
into a copy (STYLE.md pattern 10): skeleton, angle arcs, the body's outline, readouts, cue banners, and the waistband
line. cv2 only, no analysis; which values belong to a frame is looked up in report/lookups.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import cv2
import numpy as np

from formcheck.report.draw import (
    CENTRE_RGB,
    OK_RGB,
    RGB,
    SEVERITY_RGB,
    ascii_text,
    blend_rect,
    landmark_px,
    put_text,
    scale_for,
    side_colour,
    text_size,
    wrap_text,
)
from formcheck.report.words import SEVERITY_WORD
from formcheck.track import LANDMARK_INDEX, SKELETON_EDGES


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Draws SKELETON_EDGES and joints of one frame's landmarks; left side orange, right side blue.

    Landmarks with visibility below `min_visibility` are drawn grey and thin (MediaPipe is guessing there).
    """

    thickness: int | None = None  # px; None scales with the frame height
    min_visibility: float = 0.5

    def annotate(self, frame_rgb: np.ndarray, landmarks: np.ndarray, *, highlight: Iterable[str] = ()) -> np.ndarray:
        img = frame_rgb.copy()
        if landmarks is None or not np.isfinite(landmarks[:, :2]).any():
            return img
        h, w = img.shape[:2]
        s = scale_for(img)
        thick = self.thickness or max(2, int(round(4 * s)))
        highlight = set(highlight)
        for a, b in SKELETON_EDGES:
            pa, pb = landmark_px(landmarks, a, w, h), landmark_px(landmarks, b, w, h)
            if pa is None or pb is None:
                continue
            vis = min(landmarks[LANDMARK_INDEX[a], 3], landmarks[LANDMARK_INDEX[b], 3])
            confident = not (np.isfinite(vis) and vis < self.min_visibility)
            if a.split("_")[0] == b.split("_")[0]:
                colour = side_colour(a)
            else:
                colour = CENTRE_RGB
            if not confident:
                colour = (130, 130, 130)
            cv2.line(img, pa, pb, (0, 0, 0), thick + 2, cv2.LINE_AA)
            cv2.line(img, pa, pb, colour, thick if confident else max(1, thick // 2), cv2.LINE_AA)
        used = {n for edge in SKELETON_EDGES for n in edge}
        for name in used:
            p = landmark_px(landmarks, name, w, h)
            if p is None:
                continue
            radius = max(2, int(round(5 * s)))
            if name in highlight:
                cv2.circle(img, p, radius + max(3, int(4 * s)), SEVERITY_RGB["fault"], max(2, thick // 2), cv2.LINE_AA)
            cv2.circle(img, p, radius, (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(img, p, max(1, radius - 1), side_colour(name), -1, cv2.LINE_AA)
        return img


@dataclass(frozen=True)
class AngleAnnotator:
    """Draws the arc between the rays vertex->a and vertex->c at the middle of three landmarks, and a value label."""

    radius_frac: float = 0.06  # arc radius as a share of the frame height
    font_scale: float = 1.0  # multiplier on the label size that scales with the frame height

    def annotate(
        self,
        frame_rgb: np.ndarray,
        landmarks: np.ndarray,
        points: Sequence[str],
        text: str,
        colour: RGB = OK_RGB,
    ) -> np.ndarray:
        img = frame_rgb.copy()
        if len(points) != 3:
            return img
        h, w = img.shape[:2]
        pa, pv, pc = (landmark_px(landmarks, n, w, h) for n in points)
        if pa is None or pv is None or pc is None:
            return img
        s = scale_for(img)
        radius = max(12, int(round(self.radius_frac * h)))
        a1 = np.degrees(np.arctan2(pa[1] - pv[1], pa[0] - pv[0]))
        a2 = np.degrees(np.arctan2(pc[1] - pv[1], pc[0] - pv[0]))
        sweep = (a2 - a1) % 360.0
        start, end = (a1, a1 + sweep) if sweep <= 180 else (a2, a2 + (360.0 - sweep))
        thick = max(2, int(round(3 * s)))
        for ray_end in (pa, pc):  # the measured rays, dashed look via a thin bright line
            cv2.line(img, pv, ray_end, colour, max(1, thick // 2), cv2.LINE_AA)
        overlay = img.copy()
        cv2.ellipse(overlay, pv, (radius, radius), 0, start, end, colour, -1, cv2.LINE_AA)
        img = cv2.addWeighted(overlay, 0.35, img, 0.65, 0)
        cv2.ellipse(img, pv, (radius, radius), 0, start, end, colour, thick, cv2.LINE_AA)
        # label outside the arc, along its bisector
        mid = np.radians((start + end) / 2.0)
        text = ascii_text(text)
        fs = 0.6 * s * self.font_scale
        tw, th, _ = text_size(text, fs, max(1, int(s * 1.5 * self.font_scale)))
        lx = int(pv[0] + np.cos(mid) * (radius + 8 * s) - (tw / 2 if abs(np.cos(mid)) < 0.4 else (0 if np.cos(mid) > 0 else tw)))
        ly = int(pv[1] + np.sin(mid) * (radius + 8 * s) + th / 2 + (th / 2 if np.sin(mid) > 0.4 else 0))
        lx = int(np.clip(lx, 2, max(2, w - tw - 2)))
        ly = int(np.clip(ly, th + 2, h - 4))
        put_text(img, text, (lx, ly), fs, colour, max(1, int(s * 1.5 * self.font_scale)))
        return img


@dataclass(frozen=True)
class ContourAnnotator:
    """Draws a traced body outline (contour_at's points: (K, 3) x, y normalised, confidence) with its two tangent
    lines extended towards each other and its angle label: the back's (5 points: upper trunk and pelvis tangents,
    the lumbar apex between) or the front's (4 points: chest and belly tangents)."""

    thickness: int | None = None

    def annotate(self, frame_rgb: np.ndarray, points: np.ndarray, text: str = "", colour: RGB = OK_RGB) -> np.ndarray:
        img = frame_rgb.copy()
        if points is None or not np.isfinite(points[:, :2]).all():
            return img
        h, w = img.shape[:2]
        s = scale_for(img)
        thick = self.thickness or max(2, int(round(3 * s)))
        p = points[:, :2] * np.array([w, h], float)
        if len(p) == 5:  # the back: thoracic_upper, thoracic_lower, lumbar_apex, sacral_upper, sacral_lower
            upper, lower, apex = (p[0], p[1]), (p[4], p[3]), p[2]
        else:  # the front: chest_upper, chest_lower, belly_upper, belly_lower
            upper, lower, apex = (p[0], p[1]), (p[3], p[2]), None
        # tangents, extended a little past their points so the angle between them reads
        for a, b in (upper, lower):
            d = b - a
            b2 = b + 0.35 * d
            cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b2).astype(int)), (0, 0, 0), thick + 2, cv2.LINE_AA)
            cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b2).astype(int)), colour, thick, cv2.LINE_AA)
        outline = np.round(p).astype(np.int32)
        cv2.polylines(img, [outline], False, (60, 230, 120), max(1, thick // 2), cv2.LINE_AA)
        for q in outline:
            cv2.circle(img, tuple(q), max(3, thick + 1), (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(img, tuple(q), max(2, thick), (60, 230, 120), -1, cv2.LINE_AA)
        if text:
            text = ascii_text(text)
            fs = 0.6 * s
            tw, th, _ = text_size(text, fs, max(1, int(s * 1.5)))
            # off the chord's middle: away from the apex (outside the body when arched); the front's label goes
            # up the picture (a floor bridge's front faces up)
            mid = 0.5 * (upper[1] + lower[1])
            chord = lower[0] - upper[0]
            away = np.array([-chord[1], chord[0]]) / max(np.hypot(*chord), 1e-6)
            if (apex is not None and (apex - mid) @ away > 0) or (apex is None and away[1] > 0):
                away = -away
            off = (28 if apex is not None else 40) * s  # the front's label clears its lines, which lie on the edge
            lx = int(np.clip(mid[0] + away[0] * off - tw / 2, 2, max(2, w - tw - 2)))
            ly = int(np.clip(mid[1] + away[1] * off + th / 2, th + 2, h - 4))
            put_text(img, text, (lx, ly), fs, colour, max(1, int(s * 1.5)))
        return img


def draw_waistline(img: np.ndarray, landmarks: np.ndarray, edge: np.ndarray, text: str, colour: RGB) -> np.ndarray:
    """The waistband's edge as formcheck.waistline found it (PoseTrack.waistline row: tilt deg, contrast, coverage,
    height normalised to `img`), drawn across the hips beside a dashed level line, with `text` at its end. landmarks:
    (33, 4) normalised to `img`."""
    h, w = img.shape[:2]
    hips = landmarks[[LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]], :2] * np.array([w, h], float)
    if not (np.isfinite(hips).all() and np.isfinite(edge[[0, 3]]).all()):
        return img
    img = img.copy()
    s = scale_for(img)
    centre = np.array([hips[:, 0].mean(), edge[3] * h])
    half = 2.0 * abs(hips[0, 0] - hips[1, 0])  # past the body's outline on both sides, so it reads
    along = np.array([np.cos(np.radians(edge[0])), np.sin(np.radians(edge[0]))]) * half
    for x in np.arange(-half, half, 8 * s):  # the level reference, dashed
        a, b = centre + [x, 0], centre + [min(x + 4 * s, half), 0]
        cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), (240, 240, 240), max(1, int(s)), cv2.LINE_AA)
    a, b = tuple(np.round(centre - along).astype(int)), tuple(np.round(centre + along).astype(int))
    thick = max(3, int(round(4 * s)))
    cv2.line(img, a, b, (255, 255, 255), thick + 4, cv2.LINE_AA)
    cv2.line(img, a, b, colour, thick, cv2.LINE_AA)
    if text:
        fs = 0.6 * s * 1.6
        tw, th, _ = text_size(ascii_text(text), fs, max(1, int(s * 2)))
        right_end = max(a, b)  # the label goes under the line's right end, clear of the line itself
        org = (int(np.clip(right_end[0] - tw / 2, 2, max(2, w - tw - 2))), int(np.clip(right_end[1] + 2.2 * th, th + 2, h - 4)))
        put_text(img, ascii_text(text), org, fs, colour, max(1, int(s * 2)))
    return img


@dataclass(frozen=True)
class ReadoutAnnotator:
    """A semi-transparent dark panel in the top-left corner: per readout a coloured dot and the text, lightened
    towards white so it stays readable on the panel."""

    alpha: float = 0.7
    font_scale: float = 1.0  # multiplier on the size that scales with the frame height

    def annotate(self, frame_rgb: np.ndarray, lines: Sequence[tuple[str, RGB]], *, title: str = "") -> np.ndarray:
        img = frame_rgb.copy()
        rows = ([(ascii_text(title), None)] if title else []) + [(ascii_text(t), c) for t, c in lines]
        if not rows:
            return img
        s = scale_for(img) * self.font_scale
        fs, thick = 0.55 * s, max(1, int(round(1.4 * s)))
        pad, gap = int(10 * s), int(8 * s)
        dot = max(3, int(5 * s))
        text_x = 2 * pad + 2 * dot + pad // 2
        room = img.shape[1] - text_x - 2 * pad  # wrap what would run past the frame's right edge
        wrapped: list[tuple[str, RGB | None]] = []
        for text, colour in rows:
            for i, part in enumerate(wrap_text(text, room, fs, thick)):
                wrapped.append((part, colour if i == 0 else ()))  # () = a continued line: no dot
        rows = wrapped
        sizes = [text_size(t, fs, thick) for t, _ in rows]
        line_h = max(h + b for _, h, b in sizes) + gap
        width = min(img.shape[1] - 2 * pad, max(w for w, _, _ in sizes) + text_x)
        height = line_h * len(rows) + pad
        blend_rect(img, pad, pad, pad + width, pad + height, (0, 0, 0), self.alpha)
        y = pad + pad // 2
        last: RGB = OK_RGB
        for (text, colour), (_, th, _) in zip(rows, sizes):
            y += line_h
            if colour is None:  # title
                put_text(img, text, (2 * pad, y - gap), fs, (200, 200, 200), thick, outline=False)
                continue
            if colour == ():  # continued: the colour of the line above
                colour = last
            else:
                cv2.circle(img, (2 * pad + dot, y - gap - th // 2), dot, colour, -1, cv2.LINE_AA)
            last = colour
            light = tuple(int(c + (255 - c) * 0.45) for c in colour)
            put_text(img, text, (text_x, y - gap), fs, light, thick, outline=False)
        return img


@dataclass(frozen=True)
class CueAnnotator:
    """A dark banner (bottom or top): per cue a severity-coloured stripe, the severity word in colour, the text white."""

    alpha: float = 0.72
    max_cues: int = 3
    font_scale: float = 1.0  # multiplier on the size that scales with the frame height

    def annotate(self, frame_rgb: np.ndarray, cues: Sequence[tuple[str, str]], *, position: str = "bottom") -> np.ndarray:
        """cues: (severity, text) pairs, most severe first; severity is fault, warning or info."""
        img = frame_rgb.copy()
        if not cues:
            return img
        h, w = img.shape[:2]
        s = scale_for(img) * self.font_scale
        fs, thick = 0.62 * s, max(1, int(round(1.5 * s)))
        pad = int(10 * s)
        stripe = max(4, int(7 * s))
        text_x = pad + stripe + pad
        blocks: list[tuple[RGB, str, list[str]]] = []
        for severity, text in list(cues)[: self.max_cues]:
            word = SEVERITY_WORD.get(severity, severity.upper())
            lines = wrap_text(f"{word}  {ascii_text(text)}", w - text_x - pad, fs, thick)
            blocks.append((SEVERITY_RGB.get(severity, OK_RGB), word, lines))
        _, th, base = text_size("Ag", fs, thick)
        line_h = th + base + int(6 * s)
        height = sum(len(lines) for _, _, lines in blocks) * line_h + pad * (len(blocks) + 1)
        height = min(height, h)
        y0 = h - height if position == "bottom" else 0
        blend_rect(img, 0, y0, w, y0 + height, (0, 0, 0), self.alpha)
        y = y0 + pad
        for colour, word, lines in blocks:
            block_h = len(lines) * line_h
            cv2.rectangle(img, (pad, y), (pad + stripe, y + block_h - int(4 * s)), colour, -1)
            for i, line in enumerate(lines):
                baseline = y + i * line_h + th + int(2 * s)
                x = text_x
                if i == 0 and line.startswith(word):
                    put_text(img, word, (x, baseline), fs, colour, thick + 1, outline=False)
                    x += text_size(word + "  ", fs, thick)[0]
                    line = line[len(word):].lstrip()
                put_text(img, line, (x, baseline), fs, (245, 245, 245), thick, outline=False)
            y += block_h + pad
        return img

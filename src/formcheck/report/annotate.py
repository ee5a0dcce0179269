"""Drawing on frames at the edge: skeleton, angle arcs, live readouts and cue banners (cv2 only, no analysis).

Every annotator takes only style in its constructor and has one `annotate(frame_rgb, ...) -> frame_rgb` that draws
what it is given (STYLE.md pattern 10). Which values and findings belong to a frame is looked up by the small
functions below (`frame_overlay`), from an `Analysis` that is already computed.

Coordinates: landmarks are one frame's (33, 4) rows, x, y normalised to the frame [0, 1], so a frame may be drawn
at any size. Frames are RGB uint8 (H, W, 3); annotate draws into a copy and returns it.
cv2's Hershey fonts are ASCII only: text is transliterated ("°" -> " deg", dashes -> "-").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from formcheck.formats import format_value
from formcheck.report.words import SEVERITY_WORD, sorted_findings
from formcheck.results import Analysis, Finding, KeySeries
from formcheck.track import LANDMARK_INDEX, SKELETON_EDGES, PoseTrack

log = logging.getLogger(__name__)

RGB = tuple[int, int, int]

SEVERITY_RGB: dict[str, RGB] = {"fault": (230, 57, 53), "warning": (245, 190, 30), "info": (60, 190, 220)}
LEFT_RGB: RGB = (255, 150, 50)  # the person's left side: orange
RIGHT_RGB: RGB = (70, 160, 255)  # the person's right side: blue
CENTRE_RGB: RGB = (235, 235, 235)
OK_RGB: RGB = (235, 235, 235)
CANVAS_RGB: RGB = (28, 30, 36)
MAX_VIDEO_HEIGHT = 720

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


def _scale_for(frame: np.ndarray) -> float:
    """Drawing scale: 1.0 for a 720 px tall frame, never below 0.45."""
    return max(0.45, frame.shape[0] / 720.0)


def _side_colour(name: str) -> RGB:
    if name.startswith("left"):
        return LEFT_RGB
    if name.startswith("right"):
        return RIGHT_RGB
    return CENTRE_RGB


def _px(landmarks: np.ndarray, name: str, width: int, height: int) -> tuple[int, int] | None:
    row = landmarks[LANDMARK_INDEX[name]]
    if not (np.isfinite(row[0]) and np.isfinite(row[1])):
        return None
    return int(round(row[0] * width)), int(round(row[1] * height))


def _text_size(text: str, scale: float, thickness: int) -> tuple[int, int, int]:
    (w, h), base = cv2.getTextSize(text, _FONT, scale, thickness)
    return w, h, base


def _put_text(
    img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour: RGB, thickness: int, *, outline: bool = True
) -> None:
    """Text; with a dark outline (for text drawn straight on the picture) so it reads on any background."""
    if outline:
        cv2.putText(img, text, org, _FONT, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _wrap(text: str, max_width: int, scale: float, thickness: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and _text_size(candidate, scale, thickness)[0] > max_width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _blend_rect(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: RGB, alpha: float) -> None:
    h, w = img.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1].astype(np.float32)
    roi = roi * (1.0 - alpha) + np.array(colour, np.float32) * alpha
    img[y0:y1, x0:x1] = np.clip(roi, 0, 255).astype(np.uint8)


# ---- annotators (style in, drawing out) ----------------------------------------------------------------------------


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
        s = _scale_for(img)
        thick = self.thickness or max(2, int(round(4 * s)))
        highlight = set(highlight)
        for a, b in SKELETON_EDGES:
            pa, pb = _px(landmarks, a, w, h), _px(landmarks, b, w, h)
            if pa is None or pb is None:
                continue
            vis = min(landmarks[LANDMARK_INDEX[a], 3], landmarks[LANDMARK_INDEX[b], 3])
            confident = not (np.isfinite(vis) and vis < self.min_visibility)
            if a.split("_")[0] == b.split("_")[0]:
                colour = _side_colour(a)
            else:
                colour = CENTRE_RGB
            if not confident:
                colour = (130, 130, 130)
            cv2.line(img, pa, pb, (0, 0, 0), thick + 2, cv2.LINE_AA)
            cv2.line(img, pa, pb, colour, thick if confident else max(1, thick // 2), cv2.LINE_AA)
        used = {n for edge in SKELETON_EDGES for n in edge}
        for name in used:
            p = _px(landmarks, name, w, h)
            if p is None:
                continue
            radius = max(2, int(round(5 * s)))
            if name in highlight:
                cv2.circle(img, p, radius + max(3, int(4 * s)), SEVERITY_RGB["fault"], max(2, thick // 2), cv2.LINE_AA)
            cv2.circle(img, p, radius, (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(img, p, max(1, radius - 1), _side_colour(name), -1, cv2.LINE_AA)
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
        pa, pv, pc = (_px(landmarks, n, w, h) for n in points)
        if pa is None or pv is None or pc is None:
            return img
        s = _scale_for(img)
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
        tw, th, _ = _text_size(text, fs, max(1, int(s * 1.5 * self.font_scale)))
        lx = int(pv[0] + np.cos(mid) * (radius + 8 * s) - (tw / 2 if abs(np.cos(mid)) < 0.4 else (0 if np.cos(mid) > 0 else tw)))
        ly = int(pv[1] + np.sin(mid) * (radius + 8 * s) + th / 2 + (th / 2 if np.sin(mid) > 0.4 else 0))
        lx = int(np.clip(lx, 2, max(2, w - tw - 2)))
        ly = int(np.clip(ly, th + 2, h - 4))
        _put_text(img, text, (lx, ly), fs, colour, max(1, int(s * 1.5 * self.font_scale)))
        return img


@dataclass(frozen=True)
class ContourAnnotator:
    """Draws the back's outline points (PoseTrack.dorsal_contour row: (K, 3) x, y normalised, confidence), the
    upper-trunk and pelvis tangent lines extended towards each other, and the lumbar angle label at the apex."""

    thickness: int | None = None

    def annotate(self, frame_rgb: np.ndarray, points: np.ndarray, text: str = "", colour: RGB = OK_RGB) -> np.ndarray:
        img = frame_rgb.copy()
        if points is None or not np.isfinite(points[:, :2]).all():
            return img
        h, w = img.shape[:2]
        s = _scale_for(img)
        thick = self.thickness or max(2, int(round(3 * s)))
        p = points[:, :2] * np.array([w, h], float)
        tu, tl, apex, su, sl = p
        # tangents, extended a little past their points so the angle between them reads
        for a, b in ((tu, tl), (sl, su)):
            d = b - a
            b2 = b + 0.35 * d
            cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b2).astype(int)), (0, 0, 0), thick + 2, cv2.LINE_AA)
            cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b2).astype(int)), colour, thick, cv2.LINE_AA)
        outline = np.round(np.stack([tu, tl, apex, su, sl])).astype(np.int32)
        cv2.polylines(img, [outline], False, (60, 230, 120), max(1, thick // 2), cv2.LINE_AA)
        for q in outline:
            cv2.circle(img, tuple(q), max(3, thick + 1), (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(img, tuple(q), max(2, thick), (60, 230, 120), -1, cv2.LINE_AA)
        if text:
            text = ascii_text(text)
            fs = 0.6 * s
            tw, th, _ = _text_size(text, fs, max(1, int(s * 1.5)))
            # put the label off the chord's middle on the side away from the apex (outside the body when arched)
            mid = 0.5 * (tl + su)
            chord = sl - tu
            away = np.array([-chord[1], chord[0]]) / max(np.hypot(*chord), 1e-6)
            if (apex - mid) @ away > 0:
                away = -away
            lx = int(np.clip(mid[0] + away[0] * 28 * s - tw / 2, 2, max(2, w - tw - 2)))
            ly = int(np.clip(mid[1] + away[1] * 28 * s + th / 2, th + 2, h - 4))
            _put_text(img, text, (lx, ly), fs, colour, max(1, int(s * 1.5)))
        return img


def contour_at(track: PoseTrack, index: int, *, hold_s: float = 0.15) -> tuple[int, np.ndarray] | None:
    """(frame, (K, 3) points) of the traced back outline at `index`, or at the nearest traced frame within hold_s
    seconds (the outline is only traced on some frames); None when there is none."""
    dc = track.dorsal_contour
    if dc is None or not 0 <= index < len(track):
        return None
    traced = np.flatnonzero(np.isfinite(dc[:, :, :2]).all(axis=(1, 2)))
    if traced.size == 0:
        return None
    j = int(traced[np.argmin(np.abs(traced - index))])
    if abs(track.timestamps_s[j] - track.timestamps_s[index]) > hold_s:
        return None
    return j, dc[j]


def draw_waistline(img: np.ndarray, landmarks: np.ndarray, edge: np.ndarray, text: str, colour: RGB) -> np.ndarray:
    """The waistband's edge as formcheck.waistline found it (PoseTrack.waistline row: tilt deg, contrast, coverage,
    height normalised to `img`), drawn across the hips beside a dashed level line, with `text` at its end. landmarks:
    (33, 4) normalised to `img`."""
    h, w = img.shape[:2]
    hips = landmarks[[LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]], :2] * np.array([w, h], float)
    if not (np.isfinite(hips).all() and np.isfinite(edge[[0, 3]]).all()):
        return img
    img = img.copy()
    s = _scale_for(img)
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
        tw, th, _ = _text_size(ascii_text(text), fs, max(1, int(s * 2)))
        right_end = max(a, b)  # the label goes under the line's right end, clear of the line itself
        org = (int(np.clip(right_end[0] - tw / 2, 2, max(2, w - tw - 2))), int(np.clip(right_end[1] + 2.2 * th, th + 2, h - 4)))
        _put_text(img, ascii_text(text), org, fs, colour, max(1, int(s * 2)))
    return img


def _lumbar_text(analysis: Analysis, j: int) -> tuple[str, RGB]:
    try:
        s = analysis.series("lumbar_angle")
    except KeyError:
        return "", OK_RGB
    v = float(s.values[j]) if j < len(s.values) else float("nan")
    return (f"lumbar {format_number(v, 'deg')}" if np.isfinite(v) else ""), (60, 230, 120)


@dataclass(frozen=True)
class ReadoutAnnotator:
    """A semi-transparent dark panel in the top-left corner: per readout a coloured dot and the text, lightened
    towards white so it stays readable on the panel."""

    alpha: float = 0.7

    def annotate(self, frame_rgb: np.ndarray, lines: Sequence[tuple[str, RGB]], *, title: str = "") -> np.ndarray:
        img = frame_rgb.copy()
        rows = ([(ascii_text(title), None)] if title else []) + [(ascii_text(t), c) for t, c in lines]
        if not rows:
            return img
        s = _scale_for(img)
        fs, thick = 0.55 * s, max(1, int(round(1.4 * s)))
        pad, gap = int(10 * s), int(8 * s)
        dot = max(3, int(5 * s))
        text_x = 2 * pad + 2 * dot + pad // 2
        sizes = [_text_size(t, fs, thick) for t, _ in rows]
        line_h = max(h + b for _, h, b in sizes) + gap
        width = min(img.shape[1] - 2 * pad, max(w for w, _, _ in sizes) + text_x)
        height = line_h * len(rows) + pad
        _blend_rect(img, pad, pad, pad + width, pad + height, (0, 0, 0), self.alpha)
        y = pad + pad // 2
        for (text, colour), (_, th, _) in zip(rows, sizes):
            y += line_h
            if colour is None:  # title
                _put_text(img, text, (2 * pad, y - gap), fs, (200, 200, 200), thick, outline=False)
                continue
            cv2.circle(img, (2 * pad + dot, y - gap - th // 2), dot, colour, -1, cv2.LINE_AA)
            light = tuple(int(c + (255 - c) * 0.45) for c in colour)
            _put_text(img, text, (text_x, y - gap), fs, light, thick, outline=False)
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
        s = _scale_for(img) * self.font_scale
        fs, thick = 0.62 * s, max(1, int(round(1.5 * s)))
        pad = int(10 * s)
        stripe = max(4, int(7 * s))
        text_x = pad + stripe + pad
        blocks: list[tuple[RGB, str, list[str]]] = []
        for severity, text in list(cues)[: self.max_cues]:
            word = SEVERITY_WORD.get(severity, severity.upper())
            lines = _wrap(f"{word}  {ascii_text(text)}", w - text_x - pad, fs, thick)
            blocks.append((SEVERITY_RGB.get(severity, OK_RGB), word, lines))
        _, th, base = _text_size("Ag", fs, thick)
        line_h = th + base + int(6 * s)
        height = sum(len(lines) for _, _, lines in blocks) * line_h + pad * (len(blocks) + 1)
        height = min(height, h)
        y0 = h - height if position == "bottom" else 0
        _blend_rect(img, 0, y0, w, y0 + height, (0, 0, 0), self.alpha)
        y = y0 + pad
        for colour, word, lines in blocks:
            block_h = len(lines) * line_h
            cv2.rectangle(img, (pad, y), (pad + stripe, y + block_h - int(4 * s)), colour, -1)
            for i, line in enumerate(lines):
                baseline = y + i * line_h + th + int(2 * s)
                x = text_x
                if i == 0 and line.startswith(word):
                    _put_text(img, word, (x, baseline), fs, colour, thick + 1, outline=False)
                    x += _text_size(word + "  ", fs, thick)[0]
                    line = line[len(word):].lstrip()
                _put_text(img, line, (x, baseline), fs, (245, 245, 245), thick, outline=False)
            y += block_h + pad
        return img


# ---- what belongs on frame i (look-ups into a finished Analysis, no measuring) --------------------------------------


def band_colour(series: KeySeries, value: float) -> RGB:
    """Colour of a value against the series' own thresholds: red in the fault band, yellow in the warning band."""
    if not np.isfinite(value):
        return (150, 150, 150)
    if (series.fault_above is not None and value >= series.fault_above) or (
        series.fault_below is not None and value <= series.fault_below
    ):
        return SEVERITY_RGB["fault"]
    if (series.warn_above is not None and value >= series.warn_above) or (
        series.warn_below is not None and value <= series.warn_below
    ):
        return SEVERITY_RGB["warning"]
    return OK_RGB


def active_findings(findings: Sequence[Finding], t: float, *, slack_s: float = 0.0) -> list[Finding]:
    """Findings whose span holds time t (seconds), faults first."""
    return sorted_findings([f for f in findings if f.start_s - slack_s <= t <= f.end_s + slack_s])


def nearest_frame(track: PoseTrack, t: float) -> int:
    """Index of the track frame nearest to time t (seconds); 0 for an empty track."""
    if len(track) == 0:
        return 0
    return int(np.argmin(np.abs(track.timestamps_s - t)))


def _finding_text(f: Finding) -> str:
    side = f"({f.side}) " if f.side else ""
    return f"{side}{f.cue}"


def _angle_series(analysis: Analysis, rules: Iterable[str] | None = None, side: str | None = None) -> list[KeySeries]:
    series = [s for s in analysis.key_series if len(s.angle_points) == 3]
    if rules is not None:
        wanted = set(rules)
        series = [s for s in series if wanted & set(s.rules)]
    if side:
        sided = [s for s in series if all(not p.startswith(("left", "right")) or p.startswith(side) for p in s.angle_points)]
        series = sided or series
    return series


@dataclass(frozen=True)
class FrameOverlay:
    """Everything drawn on one frame, already chosen: the style objects draw it."""

    skeleton: SkeletonAnnotator = SkeletonAnnotator()
    angle: AngleAnnotator = AngleAnnotator()
    contour: ContourAnnotator = ContourAnnotator()
    readout: ReadoutAnnotator = ReadoutAnnotator()
    cue: CueAnnotator = CueAnnotator()

    def annotate(self, frame_rgb: np.ndarray, analysis: Analysis, index: int, t: float) -> np.ndarray:
        track = analysis.track
        img = frame_rgb
        in_track = 0 <= index < len(track)
        if in_track:
            lm = track.landmarks[index]
            img = self.skeleton.annotate(img, lm)
            traced = contour_at(track, index)
            if traced is not None:
                img = self.contour.annotate(img, traced[1], *_lumbar_text(analysis, traced[0]))
            for s in _angle_series(analysis):
                v = float(s.values[index]) if index < len(s.values) else float("nan")
                if np.isfinite(v):
                    img = self.angle.annotate(img, lm, s.angle_points, format_number(v, s.unit), band_colour(s, v))
            lines = []
            for s in analysis.key_series:
                v = float(s.values[index]) if index < len(s.values) else float("nan")
                lines.append((f"{s.label}: {format_number(v, s.unit)}", band_colour(s, v)))
            img = self.readout.annotate(img, lines, title=f"t = {format_value(t, 's')}")
        cues = [(f.severity, _finding_text(f)) for f in active_findings(analysis.report.findings, t)]
        return self.cue.annotate(img, cues)


# ---- video and key frames --------------------------------------------------------------------------------------------


def _resize_to(frame: np.ndarray, height: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if h == height:
        return frame
    width = int(round(w * height / h))
    width -= width % 2
    interp = cv2.INTER_AREA if height < h else cv2.INTER_CUBIC
    return cv2.resize(frame, (width, height), interpolation=interp)


def _video_height(h: int) -> int:
    """Output height: at most MAX_VIDEO_HEIGHT, even."""
    out = min(h, MAX_VIDEO_HEIGHT)
    return out - out % 2


def write_annotated_video(video_path: str | Path, analysis: Analysis, out_path: str | Path) -> Path:
    """Re-read the source video, draw skeleton, angles, readouts and active cues on every frame, write H.264.

    Frame i of the video is drawn with track frame i (the track was extracted from this video in order).
    Frames are scaled down to at most 720 px tall. Returns out_path.
    """
    from formcheck.video import VideoReader, write_h264

    overlay = FrameOverlay()

    with VideoReader(video_path) as video:
        fps = video.info.fps
        track = analysis.track
        if len(track) and abs(video.info.fps - track.fps) > 0.5:
            log.warning("video fps %.2f differs from the track's %.2f; drawing by frame index", video.info.fps, track.fps)

        def frames() -> Iterator[np.ndarray]:
            for frame in video:
                rgb = _resize_to(frame.rgb, _video_height(frame.rgb.shape[0]))
                i = frame.index
                t = float(track.timestamps_s[i]) if i < len(track) else frame.timestamp_s
                yield overlay.annotate(rgb, analysis, i, t)

        return write_h264(out_path, frames(), fps)


KEY_FRAME_HEIGHT = 540


def person_crop(landmarks: np.ndarray, width: int, height: int, *, margin: float = 0.25) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) pixels: the person's landmark box with a margin, widened to 4:3 (3:4 for a tall person),
    at least half the frame each way, kept inside the frame. The whole frame when there are no landmarks."""
    xy = landmarks[:, :2] * np.array([width, height], float) if landmarks is not None else np.empty((0, 2))
    xy = xy[np.isfinite(xy).all(axis=1)] if len(xy) else xy
    if len(xy) < 3:
        return 0, 0, width, height
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    size = hi - lo
    cx, cy = (lo + hi) / 2
    bw = max(size[0] * (1 + 2 * margin), 0.5 * width)
    bh = max(size[1] * (1 + 2 * margin) + 0.12 * height, 0.5 * height)  # room for the caption on top
    aspect = 4 / 3 if bw >= bh else 3 / 4
    if bw / bh < aspect:
        bw = bh * aspect
    else:
        bh = bw / aspect
    bw, bh = min(bw, width), min(bh, height)
    x0 = int(np.clip(cx - bw / 2, 0, width - bw))
    y0 = int(np.clip(cy - bh / 2 - 0.06 * height, 0, height - bh))
    return x0, y0, int(x0 + bw), int(y0 + bh)


def _crop_landmarks(landmarks: np.ndarray, box: tuple[int, int, int, int], width: int, height: int) -> np.ndarray:
    """Landmarks re-normalised to a crop box of a width x height frame."""
    x0, y0, x1, y1 = box
    out = landmarks.copy()
    out[:, 0] = (landmarks[:, 0] * width - x0) / (x1 - x0)
    out[:, 1] = (landmarks[:, 1] * height - y0) / (y1 - y0)
    return out


def blank_canvas(track: PoseTrack) -> np.ndarray:
    """A plain dark frame of the track's frame size (640x480 when the track does not say)."""
    w, h = (track.frame_width, track.frame_height) if track.frame_width > 0 and track.frame_height > 0 else (640, 480)
    return np.full((h, w, 3), CANVAS_RGB, np.uint8)


def _read_frames(video_path: str | Path | None, indices: set[int]) -> dict[int, np.ndarray]:
    """The requested frames of a video by index; {} when there is no readable video."""
    if video_path is None or not Path(video_path).is_file() or not indices:
        return {}
    from formcheck.video import VideoError, VideoReader

    found: dict[int, np.ndarray] = {}
    last = max(indices)
    try:
        with VideoReader(video_path) as video:
            for frame in video:
                if frame.index in indices:
                    found[frame.index] = frame.rgb
                if frame.index >= last:
                    break
    except VideoError as exc:
        log.warning("key frames drawn without the video: %s", exc)
    return found


def finding_time(finding: Finding) -> float:
    """The finding's worst moment (peak_s), else the middle of its span, in seconds."""
    return float(finding.peak_s) if finding.peak_s is not None else 0.5 * (finding.start_s + finding.end_s)


def _caption(finding: Finding) -> str:
    side = f" ({finding.side})" if finding.side else ""
    return (
        f"{format_number(finding.value, finding.unit)} (limit {format_number(finding.threshold, finding.unit)})"
        f"  {finding.rule}{side}, {format_value(finding_time(finding), 's')}"
    )


def key_frames(video_path: str | Path | None, analysis: Analysis, findings: Sequence[Finding]) -> list[np.ndarray]:
    """One RGB image per finding at its worst moment: skeleton, the rule's angles, and a caption banner on top.

    Each picture is cropped around the person (person_crop) and scaled to KEY_FRAME_HEIGHT px. The video is read once. Without a readable video (None, missing, or the frame is past its end) the skeleton
    is drawn on a dark canvas of the track's frame size.
    """
    track = analysis.track
    idx = [nearest_frame(track, finding_time(f)) for f in findings]
    frames = _read_frames(video_path, set(idx)) if len(track) else {}
    skeleton, angle = SkeletonAnnotator(), AngleAnnotator(radius_frac=0.07, font_scale=1.6)
    cue = CueAnnotator(max_cues=1, font_scale=1.8)
    images = []
    for f, i in zip(findings, idx):
        img = frames.get(i)
        if img is None:
            img = blank_canvas(track)
        h, w = img.shape[:2]
        lm = track.landmarks[i] if len(track) else None
        box = person_crop(lm, w, h) if lm is not None else (0, 0, w, h)
        img = _resize_to(img[box[1] : box[3], box[0] : box[2]], KEY_FRAME_HEIGHT)
        if lm is not None:
            lm = _crop_landmarks(lm, box, w, h)
            series = _angle_series(analysis, rules=[f.rule], side=f.side)
            img = skeleton.annotate(img, lm, highlight=[s.angle_points[1] for s in series])
            traced = contour_at(track, i) if f.rule == "lumbar_arch" else None
            if traced is not None:
                pts = traced[1].copy()
                pts[:, 0] = (pts[:, 0] * w - box[0]) / (box[2] - box[0])
                pts[:, 1] = (pts[:, 1] * h - box[1]) / (box[3] - box[1])
                img = ContourAnnotator().annotate(img, pts, *_lumbar_text(analysis, traced[0]))
            for s in series:
                v = float(s.values[i]) if i < len(s.values) else float("nan")
                if np.isfinite(v):
                    img = angle.annotate(img, lm, s.angle_points, format_number(v, s.unit), band_colour(s, v))
            waist = _waistline_in_crop(analysis, f, i, box, h)
            if waist is not None:
                img = draw_waistline(img, lm, *waist)
        img = cue.annotate(img, [(f.severity, _caption(f))], position="top")
        images.append(img)
    return images


def _waistline_in_crop(analysis: Analysis, finding: Finding, i: int, box: tuple[int, int, int, int],
                       frame_height: int) -> tuple[np.ndarray, str, RGB] | None:
    """(edge row with its height re-normalised to the crop box, label, colour) when the finding's rule read its side's
    value from the waistband (KeySeries.waistband_sides) and frame i has one; else None."""
    edges = analysis.track.waistline
    series = [s for s in analysis.series_for_rule(finding.rule) if finding.side in s.waistband_sides]
    if edges is None or i >= len(edges) or not series:
        return None
    edge = edges[i].copy()
    edge[3] = (edge[3] * frame_height - box[1]) / (box[3] - box[1])
    v = float(series[0].values[i])
    if not np.isfinite(v):  # a frame outside the stances (the left-right comparison's time)
        return None
    return edge, f"waistband {format_number(v, series[0].unit)}", band_colour(series[0], v)


def key_frame(video_path: str | Path | None, analysis: Analysis, finding: Finding) -> np.ndarray:
    """RGB image at the finding's peak_s (nearest frame) with skeleton, the measured angle and a caption."""
    return key_frames(video_path, analysis, [finding])[0]

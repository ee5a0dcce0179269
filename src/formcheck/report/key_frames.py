"""Key frames: one picture per finding at its worst moment, cropped around the person, with the skeleton, the
rule's angles, the body's outline or the waistband where the rule read them, and a caption banner.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from formcheck.formats import format_value
from formcheck.report.annotators import (
    AngleAnnotator,
    ContourAnnotator,
    CueAnnotator,
    SkeletonAnnotator,
    draw_waistline,
)
from formcheck.report.draw import CANVAS_RGB, RGB, format_number, resize_to_height
from formcheck.report.lookups import (angle_landmarks, angle_series, band_colour, contour_at, finding_time,
                                      front_was_read, lumbar_text,
                                      nearest_frame)
from formcheck.results import Analysis, Finding
from formcheck.track import PoseTrack

log = logging.getLogger(__name__)

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


def _read_frames(video_path: str | Path | None, indices: set[int], rotate_deg: int = 0) -> dict[int, np.ndarray]:
    """The requested frames of a video by index; {} when there is no readable video."""
    if video_path is None or not Path(video_path).is_file() or not indices:
        return {}
    from formcheck.video import VideoError, read_frames

    try:
        return read_frames(video_path, indices, rotate_deg=rotate_deg)
    except VideoError as exc:
        log.warning("key frames drawn without the video: %s", exc)
        return {}


def _draws_as_at(analysis: Analysis, finding: Finding, kept: int, worst: int) -> bool:
    """Whether every angle drawn for `finding` reads the same number, as printed, on frame `kept` as on its worst frame
    `worst` (so a kept picture a frame or so off shows what the finding measured); True when it draws none."""
    for s in angle_series(analysis, rules=[finding.rule], side=finding.side):
        at = [float(s.values[i]) if 0 <= i < len(s.values) else float("nan") for i in (kept, worst)]
        if np.isfinite(at[1]) and format_number(at[0], s.unit) != format_number(at[1], s.unit):
            return False
    return True


def _caption(finding: Finding) -> str:
    side = f" ({finding.side})" if finding.side else ""
    return (
        f"{format_number(finding.value, finding.unit)} (limit {format_number(finding.threshold, finding.unit)})"
        f"  {finding.rule}{side}, {format_value(finding_time(finding), 's')}"
    )


# A key frame may show a kept picture this far (seconds) from the finding's worst moment instead of reading the video
# again (the frame cache keeps one every 0.25 s).
KEPT_FRAME_OFFSET_S = 0.2


def key_frames(video_path: str | Path | None, analysis: Analysis, findings: Sequence[Finding]) -> list[np.ndarray]:
    """One RGB image per finding at its worst moment: skeleton, the rule's angles, and a caption banner on top.

    Each picture is cropped around the person (person_crop) and scaled to KEY_FRAME_HEIGHT px. The pictures come
    from the frames the analysis kept (analysis.frames) when one within KEPT_FRAME_OFFSET_S draws the finding's angles
    as they read at its worst moment (_draws_as_at); the video is read for the others (a kept picture stands in when
    it cannot be). Without a readable video (None, missing, or the frame is past its end) and no kept picture, the
    skeleton is drawn on a dark canvas of the frame size.
    """
    track = analysis.track
    idx = [nearest_frame(track, finding_time(f)) for f in findings]
    frames: dict[int, np.ndarray] = {}
    fallback: dict[int, tuple[int, np.ndarray]] = {}  # finding -> a kept picture whose drawn angle differs
    if analysis.frames is not None and len(track):  # pictures kept from the analysis's decode, a frame or so off
        for k, (f, i) in enumerate(zip(findings, idx)):
            kept = analysis.frames.nearest(i, max(1, int(round(KEPT_FRAME_OFFSET_S * track.fps))))
            if kept is None:
                continue
            if _draws_as_at(analysis, f, kept[0], i):
                idx[k] = kept[0]
                frames[kept[0]] = kept[1]
            else:  # the angle drawn there would read another number than at the worst moment: read that frame
                fallback[k] = kept
    missing = {i for i in idx if i not in frames}
    frames.update(_read_frames(video_path, missing, int(track.meta.get("rotate_deg", 0))) if len(track) and missing else {})
    for k, kept in fallback.items():  # no video to read (a camera, a deleted upload): the kept picture after all
        if idx[k] not in frames:
            idx[k] = kept[0]
            frames[kept[0]] = kept[1]
    skeleton, angle = SkeletonAnnotator(), AngleAnnotator(radius_frac=0.07, font_scale=1.6)
    cue = CueAnnotator(max_cues=1, font_scale=1.8)
    images = []
    for f, i in zip(findings, idx):
        img = frames.get(i)
        if img is None:
            img = blank_canvas(track)
        h, w = img.shape[:2]
        row = track.landmarks[i] if len(track) else None
        box = person_crop(row, w, h) if row is not None else (0, 0, w, h)
        img = resize_to_height(img[box[1] : box[3], box[0] : box[2]], KEY_FRAME_HEIGHT)
        if row is not None:
            lm = _crop_landmarks(row, box, w, h)
            series = angle_series(analysis, rules=[f.rule], side=f.side)
            img = skeleton.annotate(img, lm, highlight=[s.angle_points[1] for s in series])
            traced = contour_at(track, i, front=front_was_read(analysis)) if f.rule == "lumbar_arch" else None
            if traced is not None:
                pts = traced[1].copy()
                pts[:, 0] = (pts[:, 0] * w - box[0]) / (box[2] - box[0])
                pts[:, 1] = (pts[:, 1] * h - box[1]) / (box[3] - box[1])
                img = ContourAnnotator().annotate(img, pts, *lumbar_text(analysis, *traced))
            for s in series:
                v = float(s.values[i]) if i < len(s.values) else float("nan")
                if np.isfinite(v):
                    drawn = _crop_landmarks(angle_landmarks(s, row, i), box, w, h)
                    img = angle.annotate(img, drawn, s.angle_points, format_number(v, s.unit), band_colour(s, v))
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

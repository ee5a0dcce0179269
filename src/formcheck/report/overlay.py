"""The annotated video: every frame of the source with the skeleton, the measured angles, the readouts and the
active cues (FrameOverlay), re-encoded to H.264 by the video layer.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from formcheck.formats import format_value
from formcheck.report.annotators import (
    AngleAnnotator,
    ContourAnnotator,
    CueAnnotator,
    ReadoutAnnotator,
    SkeletonAnnotator,
)
from formcheck.report.draw import format_number, resize_to_height
from formcheck.report.lookups import (
    active_findings,
    angle_landmarks,
    angle_series,
    band_colour,
    contour_at,
    front_was_read,
    finding_text,
    limits_text,
    lumbar_text,
    rep_text,
    value_at,
)
from formcheck.results import Analysis

log = logging.getLogger(__name__)

MAX_VIDEO_HEIGHT = 720


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
            traced = contour_at(track, index, front=front_was_read(analysis))
            if traced is not None:
                img = self.contour.annotate(img, traced[1], *lumbar_text(analysis, *traced))
            for s in angle_series(analysis):
                v = value_at(s, index, traced)
                if np.isfinite(v):
                    drawn = angle_landmarks(s, lm, index)
                    img = self.angle.annotate(img, drawn, s.angle_points, format_number(v, s.unit), band_colour(s, v))
            lines = []
            for s in analysis.key_series:
                v = value_at(s, index, traced)
                limits = limits_text(s)
                lines.append((f"{s.label}: {format_number(v, s.unit)}" + (f"  ({limits})" if limits else ""),
                              band_colour(s, v)))
            reps = rep_text(analysis.report, t)
            img = self.readout.annotate(img, lines, title=f"t = {format_value(t, 's')}" + (f" | {reps}" if reps else ""))
        cues = [(f.severity, finding_text(f)) for f in active_findings(analysis.report.findings, t)]
        return self.cue.annotate(img, cues)


def _video_height(h: int) -> int:
    """Output height: at most MAX_VIDEO_HEIGHT, even."""
    out = min(h, MAX_VIDEO_HEIGHT)
    return out - out % 2


def write_annotated_video(video_path: str | Path, analysis: Analysis, out_path: str | Path) -> Path:
    """Re-read the source video, draw skeleton, angles, readouts and active cues on every frame, write H.264.

    Frame i of the video is drawn with track frame i (the track was extracted from this video in order).
    Frames are scaled down to at most 720 px tall. Returns out_path.
    """
    from formcheck.video import Frame, VideoInfo, rewrite_h264

    overlay = FrameOverlay()
    track = analysis.track

    def draw(frame: Frame, info: VideoInfo) -> np.ndarray:
        if frame.index == 0 and len(track) and abs(info.fps - track.fps) > 0.5:
            log.warning("video fps %.2f differs from the track's %.2f; drawing by frame index", info.fps, track.fps)
        rgb = resize_to_height(frame.rgb, _video_height(frame.rgb.shape[0]))
        i = frame.index
        t = float(track.timestamps_s[i]) if i < len(track) else frame.timestamp_s
        return overlay.annotate(rgb, analysis, i, t)

    return rewrite_h264(video_path, out_path, draw, rotate_deg=int(track.meta.get("rotate_deg", 0)))

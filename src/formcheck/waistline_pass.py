"""The waistline pass: read the video once more and measure the waistband's tilt (formcheck.waistline) on every frame
with both hips, into PoseTrack.waistline (stance_asymmetry reads the frames on one leg).

    analysis = analyze_track(track)                                  # exercise and view known
    track2 = add_waistline(track, video, analysis.report)            # single-leg stance, front or back view only
    analysis = analyze_track(track2)                                 # stance_asymmetry may now read the waistband

No model runs here: the frames are decoded again and a small band above the hips is searched: 2.7-5.5 ms a frame
with decoding, 9-18% of the pose pass's time (`python benchmarks/waistline_cost.py`: a rendered 640x360 stance and
two real clips, 628x628 and 1280x720). Other exercises and views get the track back with
meta["waistline"]["status"] saying why it was not measured.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from formcheck.kinematics import torso_length_px
from formcheck.report.schema import Report
from formcheck.track import PoseTrack
from formcheck.waistline import waistline_tilt

WAISTLINE_EXERCISES = ("single_leg_stance",)
WAISTLINE_VIEWS = ("front", "back")


def needs_waistline(report: Report) -> bool:
    """Whether the analysis in `report` reads the waistline (a single-leg stance seen from the front or back)."""
    return report.exercise in WAISTLINE_EXERCISES and report.view in WAISTLINE_VIEWS


def add_waistline(track: PoseTrack, video_path: str | Path | None, report: Report) -> PoseTrack:
    """The track with `waistline` edges on every frame where both hips are found (see module docstring).

    meta["waistline"]: {status, frames_measured}; status is "measured", or a sentence saying why not.
    """
    def skipped(status: str) -> PoseTrack:
        return track.with_waistline(None, waistline={"status": status})

    if video_path is None or not Path(video_path).is_file():
        if track.waistline is not None:  # a saved track that already carries its waistline
            return track
        return skipped("no video to read the waistband from (a pose track alone has no image)")
    if not needs_waistline(report):
        return skipped(f"not used for a {report.exercise} in a {report.view} view: only single-leg stances are read, "
                       "from the front or back")
    from formcheck.video import VideoReader

    torso = torso_length_px(track)
    left_hip, right_hip = track.xy_px("left_hip"), track.xy_px("right_hip")
    edges = np.full((len(track), 4), np.nan)
    with VideoReader(video_path) as video:
        for frame in video:
            if frame.index >= len(track):
                break
            if np.isfinite(left_hip[frame.index]).all() and np.isfinite(right_hip[frame.index]).all():
                edge = waistline_tilt(frame.rgb, left_hip[frame.index], right_hip[frame.index], torso)
                edges[frame.index] = (*edge[:3], edge.centre_y_px / track.frame_height)
    measured = int(np.isfinite(edges[:, 0]).sum())
    status = "measured" if measured else "no frame had both hips and a band large enough to search"
    return track.with_waistline(edges, waistline={"status": status, "frames_measured": measured})

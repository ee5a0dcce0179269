"""Live mode's body outline (formcheck.live.outline.LiveOutlines): the frames it keeps, the masks it asks for, and
the outlines traced live reaching the session's report. Fast: synthetic tracks, frames that carry their row number
in their pixels, and stand-in masks."""
from __future__ import annotations

from functools import partial

import numpy as np
from test_front_outline import _fake_front

import formcheck.live.outline as live_outline
from formcheck.analysis import analyze_track
from formcheck.contour_pass import MAX_FRAME_OFFSET_S
from formcheck.live.outline import LiveOutlines
from formcheck.rules.lumbar_arch import FRONT_EVIDENCE, GEOMETRY_EVIDENCE
from formcheck.streaming import StreamingAnalyzer
from formcheck.synth import exact_track
from formcheck.video import Frame


def _picture(row: int) -> np.ndarray:
    """A small frame whose pixels spell its row number (JPEG keeps flat colours within a level or two)."""
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = (row % 64) * 4, (row // 64) * 4  # rows up to 4095
    return rgb


def _row_of(rgb: np.ndarray) -> int:
    return int(round(rgb[..., 1].mean() / 4)) * 64 + int(round(rgb[..., 0].mean() / 4))


def _session(track, outlines: LiveOutlines, calls: list, **analyzer) -> list:
    """Stream `track` as live mode does: each frame observed under its row, then pushed to the analyzer."""
    def outline(exercise, view, piece, first, frames):
        calls.append((first, len(piece), list(frames)))
        return outlines.trace(exercise, view, piece, first, frames)

    stream = StreamingAnalyzer("bridge", "side", frame_width=track.frame_width, frame_height=track.frame_height,
                               fps=track.fps, model_name=track.model_name, outline=partial(outline, "bridge", "side"),
                               **analyzer)
    events = []
    for row, (lm, world, t) in enumerate(zip(track.landmarks, track.world_landmarks, track.timestamps_s)):
        outlines.observe(row, Frame(row, float(t), _picture(row)), lm)
        events += stream.push(lm, world, float(t))
    return events + stream.finish()


def test_masks_are_made_on_the_frames_each_top_asked_for_and_old_frames_are_forgotten():
    """With a short history (the analyzer's rows shifted from the session's) every mask is made on a kept frame
    within MAX_FRAME_OFFSET_S of a frame the top asked for, in session rows; frames older than keep_s are dropped."""
    track = exact_track("bridge", {"hold_s": 3.0}, view="side", seconds=40.0)
    served: list[int] = []

    def masks(rgb, landmarks):
        served.append(_row_of(rgb))
        return None  # no person: nothing traced, only where the masks were asked for matters here

    outlines = LiveOutlines(masks, track.fps, keep_s=10.0)
    calls: list = []
    events = _session(track, outlines, calls, history_s=6.0)
    assert sum(e.kind == "rep_completed" for e in events) >= 5
    assert any(first > 0 for first, _, _ in calls)  # the analyzer had forgotten rows: the offset was used
    asked = [first + f for first, n, frames in calls for f in frames if 0 <= f < n]
    slack = int(round(MAX_FRAME_OFFSET_S * track.fps))
    assert served and all(min(abs(row - a) for a in asked) <= slack for row in served)
    kept = outlines.finish().indices
    assert kept and min(kept) >= len(track) - 1 - 2 * int(10.0 * track.fps)


def test_tops_traced_live_reach_the_session_report(monkeypatch):
    """Outlines traced live are kept; the session's report fills them in where its own pass found none (the frames
    were forgotten), and judges those tops by them, as the live cues did."""
    track = exact_track("bridge", {"back_butt": 30.0}, view="side", seconds=8.0)

    def traced_front(piece, exercise, view, *, frames, masks, wanted):
        return _fake_front(piece, 16.0)

    monkeypatch.setattr(live_outline, "trace_outlines", traced_front)
    outlines = LiveOutlines(lambda rgb, lm: None, track.fps)
    rep_events = [e for e in _session(track, outlines, []) if e.kind == "rep_completed"]
    assert rep_events and all(f.severity == "fault" and FRONT_EVIDENCE in f.evidence
                              for e in rep_events for f in e.findings if f.rule == "lumbar_arch")
    plain = analyze_track(track, exercise="bridge", view="side")  # the report's own pass found no outline
    assert {GEOMETRY_EVIDENCE in f.evidence for f in plain.report.findings if f.rule == "lumbar_arch"} == {True}
    judged = outlines.with_live_traces(plain, lambda t: analyze_track(t, exercise="bridge", view="side"))
    arch = [f for f in judged.report.findings if f.rule == "lumbar_arch"]
    assert len(arch) == len(plain.report.reps) and all(FRONT_EVIDENCE in f.evidence for f in arch)
    assert judged.track.meta["dorsal_contour"]["live_frames_added"] > 0


def test_a_failing_mask_is_noted_and_the_top_judged_by_the_line():
    track = exact_track("bridge", {"back_butt": 30.0}, view="side", seconds=8.0)

    def broken(rgb, landmarks):
        raise RuntimeError("graph failed")

    outlines = LiveOutlines(broken, track.fps)
    reps = [e for e in _session(track, outlines, []) if e.kind == "rep_completed"]
    assert reps and all(GEOMETRY_EVIDENCE in f.evidence for e in reps for f in e.findings if f.rule == "lumbar_arch")
    assert outlines.failures and "graph failed" in outlines.failures[0]

"""The one pipeline: source -> frames -> pose -> PoseTrack -> clean -> analysis, the only place that wires them.

    import formcheck
    analysis = formcheck.analyze("clip.mp4")                        # a path, an upload's file object, or a .npz
    analysis = formcheck.analyze(fileobj, exercise="bridge")
    with PoseEstimator() as estimator:                               # one model for many videos (batch workers)
        for path in paths:
            analysis = formcheck.analyze(path, estimator=estimator)

A video is decoded once, on a thread ahead of the pose model. Everything that needs pixels happens in that one pass:
the pose (PoseEstimator: one tracked person, with multi-person checks), the waistband of a frontal stance or walk
(waistline_pass.WaistlineReader, on the frames that need it), scene cuts (scene_cuts: an edited clip is judged shot
by shot, each with its own view; a camera moved without a cut is found from the pose afterwards, views.view_changes),
and a bounded cache of a few frames (frame_cache: the tops and bottoms of the hips' travel, a frame every 0.25 s)
from which the back's outline is traced after the reps are known (contour_pass) and the report's key frames are
drawn. Memory does not grow with the video's length: the track is a few hundred bytes a frame, and the cache holds
at most its capacity.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Callable, Sequence, Union

import numpy as np

from formcheck.analysis import analyze_track
from formcheck.camera_motion import CameraShift
from formcheck.clean import MIN_SAMPLE_RATE_HZ, clean
from formcheck.contour_pass import add_dorsal_contour, join_shot_outlines, needs_contour
from formcheck.exercises import LYING, MIN_FRAMES, check_exercise, check_view
from formcheck.formats import format_span
from formcheck.frame_cache import (
    DEFAULT_CAPACITY,
    PRIORITY_EXTREMUM,
    ExtremaPicker,
    FrameCache,
    FrameWindow,
)
from formcheck.pose import MAX_PEOPLE, PoseEstimator, resolve_model
from formcheck.report.words import summarise
from formcheck.results import Analysis, KeySeries, NotJudged, Report, SegmentSpan
from formcheck.rules.thresholds import Thresholds
from formcheck.scene_cuts import CutDetector
from formcheck.sources import decoded_ahead, is_camera, open_source
from formcheck.track import NUM_LANDMARKS, PoseTrack, empty_arrays, landmarks_xy
from formcheck.views import view_changes
from formcheck.waistline_pass import WaistlineReader

Source = Union[str, Path, int, BinaryIO, PoseTrack]
Progress = Callable[[int, int], None]  # (frames done, frames expected or 0 when unknown)


def check_long_enough(track: PoseTrack, name: str) -> None:
    """ValueError when a track has too few frames to judge anything."""
    if len(track) < MIN_FRAMES:
        frames = f"{len(track)} frame" + ("" if len(track) == 1 else "s")
        raise ValueError(
            f"{name}: only {frames}, too short to judge; formcheck needs at least {MIN_FRAMES} frames "
            "(a whole rep or a few steps, a few seconds of video)"
        )


def is_track_file(source: Source) -> bool:
    return isinstance(source, (str, Path)) and not is_camera(source) and Path(source).suffix.lower() == ".npz"


def analyze(
    source: Source,
    *,
    exercise: str = "auto",
    view: str = "auto",
    thresholds: Thresholds | None = None,
    estimator: PoseEstimator | None = None,
    progress: Progress | None = None,
    contour: bool = True,
    rotate_deg: int = 0,
    model: str | Path | None = None,
    max_people: int = MAX_PEOPLE,
    frame_cache: FrameCache | None = None,
    keep_frame: Callable[[int], bool] | None = None,
    on_tracked: Callable[[PoseTrack], None] | None = None,
) -> Analysis:
    """Judge one source: a video (path, file-like object, camera or stream URL), a pose track (.npz) or a PoseTrack.

    exercise, view: "auto" or a name (formcheck.exercises.EXERCISES, VIEWS). estimator: a PoseEstimator to reuse (reset
    here); else one is built from `model` (default: the bundled full model) with `max_people`. progress(done, total)
    after each frame. contour: trace the body's outline for bridges and hip thrusts from the side. frame_cache,
    keep_frame: a cache of another size, and frames it must keep whatever their priority (evaluation scripts).
    A PoseTrack given with the frame_cache its frames were kept in (index = track row) and an estimator has its
    outline traced from them as a video's would (live mode's session); else a track is judged as it is.
    on_tracked(track): called with the cleaned track as soon as the pose pass is done (to save the costly part first).
    Returns the Analysis: the cleaned track, report, key series and the kept frames.
    """
    check_exercise(exercise, label="--exercise")
    check_view(view, label="--view")
    th = thresholds or Thresholds.load()
    if isinstance(source, PoseTrack) or is_track_file(source):
        track = source if isinstance(source, PoseTrack) else PoseTrack.load(source)
        check_long_enough(track, track.source or str(source))
        track = track if "cleaning" in track.meta else clean(track)
        traced = contour and frame_cache is not None and estimator is not None
        judge = shot_judge(exercise, view, th, frames=frame_cache if traced else None,
                           masks=estimator.person_mask if traced else None)
        return replace(judge_track(track, judge, split_views=view == "auto"), frames=frame_cache)
    own_estimator = estimator is None
    if own_estimator:
        estimator = PoseEstimator(resolve_model(model), max_people=max_people)
    try:
        raw, cache = track_video(source, estimator=estimator, progress=progress, rotate_deg=rotate_deg,
                                 waistline_always=(exercise == "single_leg_stance"),
                                 waistline_walking=exercise in ("auto", "walk"), frame_cache=frame_cache,
                                 keep_frame=keep_frame)
        check_long_enough(raw, raw.source)
        track = clean(raw)
        if on_tracked is not None:
            on_tracked(track)

        judge = shot_judge(exercise, view, th, frames=cache if contour else None,
                           masks=estimator.person_mask if contour else None)
        analysis = judge_track(track, judge, split_views=view == "auto")
    finally:
        if own_estimator:
            estimator.close()
    return replace(analysis, frames=cache)


def shot_judge(exercise: str, view: str, th: Thresholds, *, frames: FrameCache | None = None,
               masks: Callable[[np.ndarray, np.ndarray | None], np.ndarray | None] | None = None,
               ) -> Callable[[PoseTrack, int], Analysis]:
    """judge(shot, first_frame) for judge_track: one shot's view, exercise, phases and rules; for a bridge or hip
    thrust from the side, the body's outline traced (contour_pass) on the frames kept in `frames` (indexed by track
    row) with masks(rgb, landmarks), then judged again. Without frames or masks, the shot is judged as it is (a saved
    track keeps the outline it carries)."""
    def judge(shot: PoseTrack, first_frame: int) -> Analysis:
        shot_analysis = analyze_track(shot, exercise=exercise, view=view, thresholds=th)
        if frames is not None and masks is not None and needs_contour(shot_analysis.report):
            kept = FrameWindow(frames, first_frame, len(shot))
            shot = add_dorsal_contour(shot, shot_analysis.report, frames=kept, masks=masks)
            shot_analysis = analyze_track(shot, exercise=exercise, view=view, thresholds=th)
        return shot_analysis

    return judge


def judge_track(track: PoseTrack, judge: Callable[[PoseTrack, int], Analysis], *, split_views: bool = True) -> Analysis:
    """judge(track, 0) for a clip of one view; segment by segment (analyze_shots) where the decode found scene cuts or,
    with split_views (the view is not forced), the pose shows the camera's view changing within a shot
    (views.view_changes)."""
    cuts = [float(c) for c in track.meta.get("scene_cuts_s") or []]
    changes = shot_view_changes(track, cuts) if split_views else []
    return analyze_shots(track, cuts, judge, view_changes_s=changes) if cuts or changes else judge(track, 0)


def shot_view_changes(track: PoseTrack, cuts_s: Sequence[float]) -> list[float]:
    """Times (s) where the view changes without a cut: views.view_changes within each shot between the cuts."""
    edges = [0] + frames_at(track.timestamps_s, cuts_s) + [len(track)]
    changes: list[float] = []
    for first, end in zip(edges[:-1], edges[1:]):
        if end - first >= MIN_FRAMES:
            changes += view_changes(track[first:end])
    return changes


def frames_at(t: np.ndarray, times_s: Sequence[float]) -> list[int]:
    """The first frame at or after each time (s) inside the track's span (t[0], t[-1]]: where a segment starts."""
    return [int(np.searchsorted(t, time)) for time in times_s if t[0] < time <= t[-1]]


MIN_SHOT_S = 1.0  # a shot shorter than this holds no whole rep or step: it is listed, not judged


_NUMBERED = re.compile(r"\b(reps?|holds?) (\d+)(?:([–-])(\d+))?", re.IGNORECASE)


def renumbered(text: str, rep_offset: int, hold_offset: int) -> str:
    """A segment's words with its rep and hold numbers ("rep 1", "reps 1–2", "Hold 2") counted over the whole clip:
    the segment's first rep is the clip's rep rep_offset + 1."""
    def shift(match: re.Match) -> str:
        offset = rep_offset if match.group(1).lower().startswith("rep") else hold_offset
        text = f"{match.group(1)} {int(match.group(2)) + offset}"
        return text + (f"{match.group(3)}{int(match.group(4)) + offset}" if match.group(4) else "")

    return _NUMBERED.sub(shift, text) if rep_offset or hold_offset else text


def analyze_shots(track: PoseTrack, cuts_s: Sequence[float], judge: Callable[[PoseTrack, int], Analysis], *,
                  view_changes_s: Sequence[float] = ()) -> Analysis:
    """A clip judged segment by segment, as one Analysis: segments start at scene cuts (scene_cuts: a new view or a
    new scene) and where the camera's view changes within a shot (view_changes_s, views.view_changes).

    judge(segment_track, first_frame) analyses one segment. Each keeps its own view and exercise (Report.segments);
    findings carry their segment's index; a rule is "not judged" only where no segment could judge it; reps, holds and
    findings are in clip time; the key series are the segments' series side by side over the whole clip.
    """
    t = track.timestamps_s
    kinds: dict[int, str] = {}  # first frame of a segment -> "cut" or "view"
    for kind, times in (("cut", cuts_s), ("view", view_changes_s)):
        for first in frames_at(t, times):
            kinds.setdefault(first, kind)
    starts = sorted(kinds)
    edges = [0] + starts + [len(track)]
    shots: list[tuple[int, int, Analysis | None]] = []
    for first, end in zip(edges[:-1], edges[1:]):
        shot = track[first:end]
        long_enough = end - first >= MIN_FRAMES and t[end - 1] - t[first] >= MIN_SHOT_S
        shot_analysis = judge(shot, first) if long_enough and shot.detected.sum() >= MIN_FRAMES else None
        shots.append((first, end, shot_analysis))
    analysed = [a for _, _, a in shots if a is not None]
    longest = lambda analyses: max(analyses, key=lambda a: a.report.duration_s, default=None)  # noqa: E731
    main = longest([a for a in analysed if a.report.judged]) or longest(analysed)  # names the clip's exercise/view

    def named(analysis: Analysis) -> Report:
        """A segment's report, named with the clip's exercise where nothing was judged in it and its own guess is the
        other lying exercise (no rule of that guess ran; the clip's longest judged segment is the better evidence:
        the oblique middle of a real hip thrust was called a glute bridge)."""
        shown = analysis.report
        if shown.judged or main is None or {shown.exercise, main.report.exercise} - set(LYING):
            return shown
        return replace(shown, exercise=main.report.exercise)

    segments, findings, reps, holds, judged, metrics = [], [], [], [], [], {}
    offsets: dict[int, tuple[int, int]] = {}  # segment -> reps and holds in the segments before it
    series: dict[str, KeySeries] = {}
    for index, (first, end, shot_analysis) in enumerate(shots):
        start_s, end_s = float(t[first]), float(t[end - 1])
        if shot_analysis is None:
            segments.append(SegmentSpan(start_s, end_s, "unknown", "", judged=False))
            continue
        report = named(shot_analysis)
        segments.append(SegmentSpan(start_s, end_s, report.view, report.exercise, judged=bool(report.judged)))
        offsets[index] = (len(reps), len(holds))
        findings += [replace(f, segment=index, cue=renumbered(f.cue, *offsets[index]),
                             evidence=renumbered(f.evidence, *offsets[index])) for f in report.findings]
        reps += report.reps
        holds += report.holds
        judged += [rule for rule in report.judged if rule not in judged]
        for name, value in report.metrics.items():
            metrics[name] = metrics.get(name, 0.0) + value if name in ("reps", "strides") else metrics.get(name, value)
        for s in shot_analysis.key_series:
            values = series[s.name].values.copy() if s.name in series else np.full(len(track), np.nan)
            values[first:end] = s.values
            angle_xy = series[s.name].angle_xy if s.name in series else None
            if s.angle_xy is not None:  # the judged points of this shot; the track's own elsewhere
                if angle_xy is None:
                    angle_xy = landmarks_xy(track, s.angle_points)
                angle_xy = angle_xy.copy()
                angle_xy[first:end] = s.angle_xy
            series[s.name] = replace(series.get(s.name, s), values=values, angle_xy=angle_xy)
    parts = []
    noun = "Shot" if "view" not in kinds.values() else "Segment"
    for index, ((_, _, shot_analysis), segment) in enumerate(zip(shots, segments)):
        when = f"{noun} {index + 1} ({format_span(segment.start_s, segment.end_s, instant_s=0)}"
        if shot_analysis is None:
            parts.append(f"{when}): too short or nobody in it, not judged.")
        else:  # the shot's own words, without "not judged" for what another shot judged
            shown = named(shot_analysis)
            parts.append(f"{when}, {segment.view} view): " + renumbered(summarise(
                replace(shown, not_judged=[n for n in shown.not_judged if n.rule not in judged])), *offsets[index]))
    not_judged: list[NotJudged] = []
    for _, _, shot_analysis in shots:
        for item in [] if shot_analysis is None else shot_analysis.report.not_judged:
            if item.rule not in judged and item.rule not in {n.rule for n in not_judged}:
                not_judged.append(item)
    at = lambda kind: ", ".join(f"{float(t[e]):.1f} s" for e in starts if kinds[e] == kind)  # noqa: E731
    if noun == "Shot":
        opening = f"An edited clip of {len(shots)} shots (cuts at {at('cut')}), each judged from its own view. "
    else:
        why = ([f"cuts at {at('cut')}"] if "cut" in kinds.values() else []) + [f"the view changes at {at('view')}"]
        opening = f"A clip of {len(shots)} segments ({'; '.join(why)}), each judged from its own view. "
    base = None if main is None else main.report
    report = Report(
        source=track.source, duration_s=track.duration_s, fps=track.fps, frames=len(track),
        detection_rate=track.detection_rate,
        exercise=base.exercise if base else "unknown", exercise_source=base.exercise_source if base else "auto",
        exercise_confidence=base.exercise_confidence if base else None,
        exercise_alternatives=list(base.exercise_alternatives) if base else [],
        view=base.view if base else "unknown", view_source=base.view_source if base else "auto",
        posture=base.posture if base else "unknown",
        reps=reps, holds=holds, findings=sorted(findings, key=lambda f: (f.start_s, f.rule)),
        not_judged=not_judged, judged=judged, metrics=metrics, segments=segments,
        summary=opening + " ".join(parts),
    )
    outlined = join_shot_outlines(track, [(first, a.track) for first, _, a in shots if a is not None])
    return Analysis(track=outlined, report=report, key_series=list(series.values()))


def track_video(
    source: Union[str, Path, int, BinaryIO],
    *,
    estimator: PoseEstimator,
    progress: Progress | None = None,
    rotate_deg: int = 0,
    waistline_always: bool = False,
    waistline_walking: bool = True,
    frame_cache: FrameCache | None = None,
    keep_frame: Callable[[int], bool] | None = None,
) -> tuple[PoseTrack, FrameCache]:
    """The one decode: the raw (uncleaned) PoseTrack of a video, NaN where nobody was found, with the waistband
    where a frontal walk or one-leg stance needs it, and the frames kept for later looks (module docstring)."""
    estimator.reset()
    with open_source(source, rotate_deg=rotate_deg) as video:
        info = video.info
        if not is_camera(source) and info.fps < MIN_SAMPLE_RATE_HZ:
            raise ValueError(f"{info.path}: {info.fps:.3g} frames a second is too few; formcheck needs at least "
                             f"{MIN_SAMPLE_RATE_HZ:g} (see formcheck.clean.MIN_SAMPLE_RATE_HZ); film at 24 or more")
        cache = frame_cache if frame_cache is not None else FrameCache(DEFAULT_CAPACITY)
        picker = ExtremaPicker(cache, info.fps)
        waistline = WaistlineReader(info.fps, always=waistline_always, walking=waistline_walking)
        cuts = CutDetector(info.fps)
        camera = CameraShift()
        missing_image, missing_world = empty_arrays(1)
        image_rows: list[np.ndarray] = []
        world_rows: list[np.ndarray] = []
        times: list[float] = []
        for frame in decoded_ahead(video):
            found = estimator.detect(frame)
            landmarks = None if found is None else found[0]
            image_rows.append(missing_image[0] if found is None else found[0])
            world_rows.append(missing_world[0] if found is None else found[1])
            times.append(frame.timestamp_s)
            picker.observe(frame, landmarks)
            waistline.observe(frame, landmarks)
            cuts.observe(frame)
            camera.observe(frame, landmarks)
            if keep_frame is not None and keep_frame(frame.index):
                cache.offer(frame, PRIORITY_EXTREMUM)
            if progress is not None:
                progress(frame.index + 1, info.frame_count)
        picker.finish()
        cache.finish()
        warnings = list(video.warnings)
    model = estimator.model
    track = PoseTrack(
        landmarks=np.stack(image_rows) if image_rows else np.empty((0, NUM_LANDMARKS, 4)),
        world_landmarks=np.stack(world_rows) if world_rows else np.empty((0, NUM_LANDMARKS, 3)),
        timestamps_s=np.array(times),
        fps=info.fps,
        frame_width=info.width,
        frame_height=info.height,
        source=str(info.path),
        model_name=model.name,
        model_sha256=model.sha256,
        meta={
            "frames_with_several_people": estimator.checks_with_several_people,
            "subject_checks": estimator.checks,
            "tracker_restarts": estimator.tracker_restarts,
            "contested_from_frame": estimator.contested_from_frame,
            "max_people_looked_for": estimator.max_people,
            "video_warnings": warnings,
            "rotation_deg": info.rotation_deg,
            "scene_cuts_s": cuts.cuts_s,
            "rotate_deg": int(rotate_deg) % 360,  # the user's extra clockwise turn (--rotate): re-reads repeat it
        },
    )
    return camera.attach(waistline.attach(track)), cache


def extract_track(source: Union[str, Path, int, BinaryIO], *, model: str | Path | None = None,
                  max_people: int = MAX_PEOPLE, progress: Progress | None = None,
                  estimator: PoseEstimator | None = None, rotate_deg: int = 0) -> PoseTrack:
    """The raw pose track of a video (what `formcheck extract` saves before cleaning), through the one decode;
    rotate_deg: a further clockwise turn of every frame (0, 90, 180, 270)."""
    if estimator is not None:
        return track_video(source, estimator=estimator, progress=progress, rotate_deg=rotate_deg)[0]
    with PoseEstimator(resolve_model(model), max_people=max_people) as own:
        return track_video(source, estimator=own, progress=progress, rotate_deg=rotate_deg)[0]

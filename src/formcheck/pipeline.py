"""The one pipeline: source -> frames -> pose -> PoseTrack -> clean -> analysis, the only place that wires them.

    import formcheck
    analysis = formcheck.analyze("clip.mp4")                        # a path, an upload's file object, or a .npz
    analysis = formcheck.analyze(fileobj, exercise="bridge")
    with PoseEstimator() as estimator:                               # one model for many videos (batch workers)
        for path in paths:
            analysis = formcheck.analyze(path, estimator=estimator)

A video is decoded once, on a thread ahead of the pose model. Everything that needs pixels happens in that one pass:
the pose (PoseEstimator: one tracked person, with multi-person checks), the waistband of a frontal single-leg stance
(waistline_pass.WaistlineReader, on the frames that need it), and a bounded cache of a few frames (frame_cache:
the tops and bottoms of the hips' travel, a frame every 0.25 s) from which the back's outline is traced after the
reps are known (contour_pass) and the report's key frames are drawn. Memory does not grow with the video's length:
the track is a few hundred bytes a frame, and the cache holds at most its capacity.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Callable, Union

import numpy as np

from formcheck.analysis import analyze_track
from formcheck.results import Analysis
from formcheck.clean import MIN_SAMPLE_RATE_HZ, clean
from formcheck.contour_pass import add_dorsal_contour, needs_contour
from formcheck.frame_cache import DEFAULT_CAPACITY, ExtremaPicker, FrameCache
from formcheck.pose import MAX_PEOPLE, PoseEstimator, resolve_model
from formcheck.exercises import MIN_FRAMES, check_exercise, check_view
from formcheck.rules.thresholds import Thresholds
from formcheck.sources import decoded_ahead, is_camera, open_source
from formcheck.track import NUM_LANDMARKS, PoseTrack, empty_arrays

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

    exercise, view: "auto" or a name (formcheck.rules.EXERCISES, VIEWS). estimator: a PoseEstimator to reuse (reset
    here); else one is built from `model` (default: the bundled full model) with `max_people`. progress(done, total)
    after each frame. contour: trace the back's outline for bridges and hip thrusts from the side. frame_cache,
    keep_frame: a cache of another size, and frames it must keep whatever their priority (evaluation scripts).
    on_tracked(track): called with the cleaned track as soon as the pose pass is done (to save the costly part first).
    Returns the Analysis: the cleaned track, report, key series and the kept frames.
    """
    check_exercise(exercise, label="--exercise")
    check_view(view, label="--view")
    th = thresholds or Thresholds.load()
    if isinstance(source, PoseTrack) or is_track_file(source):
        track = source if isinstance(source, PoseTrack) else PoseTrack.load(source)
        check_long_enough(track, str(getattr(source, "source", "") or source) if not isinstance(source, PoseTrack)
                          else track.source or "track")
        track = track if "cleaning" in track.meta else clean(track)
        return analyze_track(track, exercise=exercise, view=view, thresholds=th)
    own_estimator = estimator is None
    if own_estimator:
        estimator = PoseEstimator(resolve_model(model), max_people=max_people)
    try:
        raw, cache = track_video(source, estimator=estimator, progress=progress, rotate_deg=rotate_deg,
                                 waistline_always=(exercise == "single_leg_stance"), frame_cache=frame_cache,
                                 keep_frame=keep_frame)
        check_long_enough(raw, raw.source)
        track = clean(raw)
        if on_tracked is not None:
            on_tracked(track)
        analysis = analyze_track(track, exercise=exercise, view=view, thresholds=th)
        if contour and needs_contour(analysis.report):
            track = add_dorsal_contour(track, analysis.report, frames=cache, masks=estimator.person_mask)
            analysis = analyze_track(track, exercise=exercise, view=view, thresholds=th)
    finally:
        if own_estimator:
            estimator.close()
    return replace(analysis, frames=cache)


def track_video(
    source: Union[str, Path, int, BinaryIO],
    *,
    estimator: PoseEstimator,
    progress: Progress | None = None,
    rotate_deg: int = 0,
    waistline_always: bool = False,
    frame_cache: FrameCache | None = None,
    keep_frame: Callable[[int], bool] | None = None,
) -> tuple[PoseTrack, FrameCache]:
    """The one decode: the raw (uncleaned) PoseTrack of a video, NaN where nobody was found, with the waistband
    where a frontal single-leg stance needs it, and the frames kept for later looks (module docstring)."""
    from formcheck.frame_cache import PRIORITY_EXTREMUM
    from formcheck.waistline_pass import WaistlineReader

    estimator.reset()
    with open_source(source, rotate_deg=rotate_deg) as video:
        info = video.info
        if not is_camera(source) and info.fps < MIN_SAMPLE_RATE_HZ:
            raise ValueError(f"{info.path}: {info.fps:.3g} frames a second is too few; formcheck needs at least "
                             f"{MIN_SAMPLE_RATE_HZ:g} (see formcheck.clean.MIN_SAMPLE_RATE_HZ); film at 24 or more")
        cache = frame_cache if frame_cache is not None else FrameCache(DEFAULT_CAPACITY)
        picker = ExtremaPicker(cache, info.fps)
        waistline = WaistlineReader(info.fps, always=waistline_always)
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
            if keep_frame is not None and keep_frame(frame.index):
                cache.offer(frame, PRIORITY_EXTREMUM)
            if progress is not None:
                progress(frame.index + 1, info.frame_count)
        picker.finish()
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
            "contested_from_frame": estimator.contested_from_frame,
            "max_people_looked_for": estimator.max_people,
            "video_warnings": warnings,
            "rotation_deg": info.rotation_deg,
            "rotate_deg": int(rotate_deg) % 360,  # the user's extra clockwise turn (--rotate): re-reads repeat it
        },
    )
    return waistline.attach(track), cache


def extract_track(source: Union[str, Path, int, BinaryIO], *, model: str | Path | None = None,
                  max_people: int = MAX_PEOPLE, progress: Progress | None = None,
                  estimator: PoseEstimator | None = None, rotate_deg: int = 0) -> PoseTrack:
    """The raw pose track of a video (what `formcheck extract` saves before cleaning), through the one decode;
    rotate_deg: a further clockwise turn of every frame (0, 90, 180, 270)."""
    if estimator is not None:
        return track_video(source, estimator=estimator, progress=progress, rotate_deg=rotate_deg)[0]
    with PoseEstimator(resolve_model(model), max_people=max_people) as own:
        return track_video(source, estimator=own, progress=progress, rotate_deg=rotate_deg)[0]

"""The one pipeline: one decode per analysis, frame sources, a reusable estimator, the bounded frame cache."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from formcheck.frame_cache import ExtremaPicker, FrameCache
from formcheck.sources import CameraReader, decoded_ahead, is_camera, open_source
from formcheck.track import LANDMARK_INDEX
from formcheck.video import Frame, VideoReader

SAMPLE_VIDEOS = Path(__file__).resolve().parents[1] / "sample_videos"


def _frame(index: int, fps: float = 30.0, value: int = 0) -> Frame:
    return Frame(index=index, timestamp_s=index / fps, rgb=np.full((48, 64, 3), value % 256, np.uint8))


def _hips_at(height: float) -> np.ndarray:
    """(33, 4) landmarks with shoulders 0.2 above the hips and the hips at image y = 0.6 - height * 0.2."""
    lm = np.full((33, 4), np.nan)
    y = 0.6 - 0.2 * height
    for name, (x, dy) in {"left_hip": (0.45, 0.0), "right_hip": (0.55, 0.0),
                          "left_shoulder": (0.45, -0.2), "right_shoulder": (0.55, -0.2)}.items():
        lm[LANDMARK_INDEX[name]] = (x, y + dy, 0.0, 1.0)
    return lm


def test_cache_keeps_at_most_its_capacity_by_priority():
    cache = FrameCache(capacity=3)
    for i in range(10):
        cache.offer(_frame(i), 0.1)
    assert len(cache) == 3 and cache.indices[0] == 0 and cache.indices[-1] == 9  # spread over the span kept
    assert cache.offer(_frame(20, value=200), 2.0)
    assert 20 in cache.indices and len(cache) == 3
    assert not cache.offer(_frame(21), 0.05)  # below everything kept
    index, rgb = cache.nearest(19, max_distance=2)
    assert index == 20 and abs(int(rgb.mean()) - 200) <= 2  # JPEG round trip
    assert cache.nearest(30, max_distance=2) is None


def test_picker_keeps_the_tops_and_bottoms_of_the_hips_travel():
    """Three reps of a hip rise (a sine, 1 torso length high, 2 s each at 30 fps): its tops and bottoms are kept, with
    the frames 0.12 s either side of each."""
    cache = FrameCache(capacity=64)
    picker = ExtremaPicker(cache, fps=30.0, period_s=100.0)
    t = np.arange(180) / 30.0
    height = 0.5 - 0.5 * np.cos(2 * np.pi * t / 2.0)  # bottoms at 0, 2, 4 s; tops at 1, 3, 5 s
    for i in range(len(t)):
        picker.observe(_frame(i), _hips_at(height[i]))
    picker.finish()
    kept = set(cache.indices)
    for top in (30, 90, 150):
        assert {top - 4, top, top + 4} <= kept, sorted(kept)
    for bottom in (60, 120):
        assert bottom in kept


def test_decoded_ahead_gives_every_frame_in_order_and_raises_the_decoders_error():
    frames = [_frame(i) for i in range(50)]
    assert [f.index for f in decoded_ahead(iter(frames), depth=3)] == list(range(50))

    def broken():
        yield _frame(0)
        raise ValueError("damaged")

    got = []
    with pytest.raises(ValueError, match="damaged"):
        for frame in decoded_ahead(broken()):
            got.append(frame.index)
    assert got == [0]
    ahead = decoded_ahead(iter(frames))  # stopping early ends the worker
    assert next(ahead).index == 0
    ahead.close()


def test_sources_tell_cameras_from_files():
    assert is_camera(0) and is_camera("1") and is_camera("/dev/video0") and is_camera("rtsp://cam.local/stream")
    assert not is_camera("clip.mp4") and not is_camera(Path("1.mp4")) and not is_camera(io.BytesIO(b""))


def test_file_object_and_path_give_the_same_frames():
    clip = SAMPLE_VIDEOS / "walk_front_good.mp4"
    with open(clip, "rb") as fh, open_source(fh) as from_upload, open_source(clip) as from_path:
        a = [(f.timestamp_s, f.rgb[::40, ::40].copy()) for f in from_upload]
        b = [(f.timestamp_s, f.rgb[::40, ::40].copy()) for f in from_path]
    assert len(a) == len(b) > 10
    assert all(ta == tb and np.array_equal(ra, rb) for (ta, ra), (tb, rb) in zip(a, b))


def test_camera_reader_stamps_frames_with_the_clock():
    """OpenCV's capture (what a camera index or stream URL opens), here on a file: frames in order, time rising."""
    clip = SAMPLE_VIDEOS / "walk_front_good.mp4"
    with CameraReader(str(clip)) as camera:
        frames = [f for _, f in zip(range(10), camera)]
    assert [f.index for f in frames] == list(range(10))
    assert all(np.diff([f.timestamp_s for f in frames]) > 0)
    assert frames[0].rgb.shape == (camera.info.height, camera.info.width, 3)


def test_camera_that_does_not_exist_is_one_line():
    from formcheck.video import VideoError

    with pytest.raises(VideoError, match="cannot open this camera"):
        open_source(97)


@pytest.mark.slow
@pytest.mark.parametrize("name, exercise", [("bridge_side_back_butt", "auto"),
                                            ("single_leg_stance_front_left_drop", "auto"),
                                            ("squat_front_knee_valgus", "auto")])
def test_one_decode_per_analysis(tmp_path, monkeypatch, name, exercise):
    """formcheck.analyze opens and decodes the video once, whatever it adds (the back's outline of a bridge, the
    waistband of a stance), and `formcheck analyze --no-video` (report.html's key frames included) does too."""
    import av

    import formcheck
    from formcheck.report.outputs import write_outputs

    opened = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    clip = SAMPLE_VIDEOS / f"{name}.mp4"
    passes = VideoReader.passes_started
    analysis = formcheck.analyze(clip)
    write_outputs(analysis, tmp_path, video_path=clip, make_video=False)
    assert VideoReader.passes_started - passes == 1
    assert len(opened) == 1
    if name.startswith("bridge"):
        assert analysis.track.meta["dorsal_contour"]["frames_masked"] >= 2
    if name.startswith("single_leg_stance"):
        assert analysis.track.meta["waistline"]["status"] == "measured"
    # the camera's shift is read in the same decode where someone stands (a still camera: under a pixel), not lying
    shift = analysis.track.camera_shift
    if name.startswith("bridge"):
        assert shift is None and analysis.track.meta["camera_shift"]["frames_read"] == 0
    else:
        assert shift is not None and np.nanmax(np.abs(shift[:, 0])) < 1.0


@pytest.mark.slow
def test_one_estimator_serves_many_videos_as_a_fresh_one_would():
    from formcheck.pipeline import extract_track
    from formcheck.pose import PoseEstimator

    first, second = SAMPLE_VIDEOS / "walk_front_good.mp4", SAMPLE_VIDEOS / "bridge_side_good.mp4"
    with PoseEstimator() as estimator:
        extract_track(first, estimator=estimator)
        reused = extract_track(second, estimator=estimator)
    fresh = extract_track(second)
    assert np.array_equal(reused.landmarks, fresh.landmarks, equal_nan=True)


def test_cut_detector_finds_a_new_shot_not_a_moving_person():
    from formcheck.scene_cuts import CutDetector

    fps = 30.0
    detector = CutDetector(fps)
    for i in range(90):  # a dark square walking across a grey room, then at 2 s a cut to a green scene
        rgb = np.full((72, 128, 3), (120, 120, 120) if i < 60 else (40, 160, 60), np.uint8)
        x = 10 + i
        rgb[20:60, x % 100: x % 100 + 20] = 30
        detector.observe(Frame(i, i / fps, rgb))
    assert detector.cuts_s == [pytest.approx(2.0)]


@pytest.mark.slow
def test_a_clip_spliced_from_two_views_is_judged_shot_by_shot(tmp_path):
    """A feet view of a bridge with caving knees, cut to a side view of a bridge with back butt: two segments, each
    judged by its own view (knee_valgus in the first, lumbar_arch in the second), and neither "not judged"."""
    import formcheck
    from formcheck.video import write_h264

    def frames():
        for name in ("bridge_feet_knee_valgus", "bridge_side_back_butt"):
            with VideoReader(SAMPLE_VIDEOS / f"{name}.mp4") as video:
                for frame in video:
                    yield frame.rgb

    report = formcheck.analyze(write_h264(tmp_path / "spliced.mp4", frames(), 30.0)).report
    assert [(g.view, g.exercise) for g in report.segments] == [("feet", "bridge"), ("side", "bridge")]
    assert report.segments[0].end_s < 10.0 <= report.segments[1].start_s
    faults = {(f.rule, f.segment) for f in report.findings if f.severity == "fault"}
    assert ("knee_valgus", 0) in faults and ("lumbar_arch", 1) in faults
    assert not {"knee_valgus", "lumbar_arch"} & {n.rule for n in report.not_judged}
    assert report.to_dict()["segments"][1]["view"] == "side"


def test_a_track_spliced_from_a_feet_and_a_side_view_without_a_cut_is_judged_view_by_view():
    """A bridge with caving knees filmed from the feet, then one arching the back filmed from the side (exact synthetic
    tracks with detector noise), joined with no scene cut: two segments, split within half a second of the join,
    knee_valgus judged in the first and lumbar_arch in the second. A forced view judges the clip as one."""
    from test_views import splice

    import formcheck
    from formcheck.synth import exact_track

    feet = exact_track("bridge", {"knee_valgus": 15.0}, view="feet", seconds=8, noise=True)
    side = exact_track("bridge", {"back_butt": 25.0}, view="side", seconds=8, noise=True, seed=1)
    track = splice(feet, side)
    report = formcheck.analyze(track).report
    assert [(g.view, g.exercise) for g in report.segments] == [("feet", "bridge"), ("side", "bridge")]
    assert report.segments[1].start_s == pytest.approx(8.0, abs=0.5)
    faults = {(f.rule, f.segment) for f in report.findings if f.severity == "fault"}
    assert ("knee_valgus", 0) in faults and ("lumbar_arch", 1) in faults
    assert not {"knee_valgus", "lumbar_arch"} & {n.rule for n in report.not_judged}
    assert "the view changes at 8." in report.summary
    assert formcheck.analyze(track, view="side").report.segments == []
    # the side segment's words count reps over the whole clip: its first rep is the clip's rep after the feet reps
    feet_reps = sum(1 for r in report.reps if r.end_s <= report.segments[1].start_s)
    arch = [f for f in report.findings if f.rule == "lumbar_arch" and f.segment == 1]
    assert feet_reps >= 1 and arch and f"rep {feet_reps + 1}" in arch[0].cue, (feet_reps, arch[0].cue)


def test_renumbered_counts_a_segments_reps_and_holds_over_the_clip():
    from formcheck.pipeline import renumbered

    text = "Fault: 2 times (reps 1–2), worst at rep 2. Hold 1: 2.0 s. 2 reps found."
    assert renumbered(text, 3, 1) == "Fault: 2 times (reps 4–5), worst at rep 5. Hold 2: 2.0 s. 2 reps found."
    assert renumbered(text, 0, 0) == text


def test_the_oblique_part_of_a_turning_camera_declines_the_side_view_rules():
    """A hip thrust arching the back filmed from the feet, then 45 deg off the side, then from the side, no cut: three
    segments, and the hip line (hip_lockout, lumbar_arch) is judged only in the side one."""
    from test_views import oblique_track, splice

    import formcheck
    from formcheck.synth import exact_track

    arch = {"back_butt": 25.0}
    track = splice(exact_track("hip_thrust", arch, view="feet", seconds=8, noise=True),
                   oblique_track("hip_thrust", 45, arch),
                   exact_track("hip_thrust", arch, view="side", seconds=8, noise=True, seed=2))
    report = formcheck.analyze(track).report
    assert [g.view for g in report.segments] == ["feet", "oblique", "side"]
    hip_line = {f.segment for f in report.findings if f.rule in ("hip_lockout", "lumbar_arch")}
    assert hip_line == {2}


def test_real_three_angle_hip_thrust_is_judged_in_three_views():
    """The bench hip thrust filmed from the feet (0-2 s), obliquely (2-5 s) and from the near side (5-9.6 s) without a
    cut (tests/fixtures; the colour histogram changes by 0.16, under scene_cuts.CUT_DISTANCE): three segments with
    those views, and no side-view rule judged outside the side one."""
    import formcheck

    report = formcheck.analyze(Path(__file__).parent / "fixtures"
                               / "queenworkout_hip_thrust_band_bench_multiangle.track.npz").report
    assert [g.view for g in report.segments] == ["feet", "oblique", "side"]
    assert [g.start_s for g in report.segments[1:]] == [pytest.approx(2.0, abs=1.0), pytest.approx(5.0, abs=1.0)]
    assert {f.segment for f in report.findings if f.rule in ("hip_lockout", "lumbar_arch", "neck_flexion")} <= {2}


def test_a_turning_clips_report_names_its_segments_and_keeps_the_detection_confidence():
    """The real three-angle hip thrust as a user reads it: report.json keeps the detected exercise's confidence (the
    judged side segment's), every segment carries the clip's exercise (the oblique middle, where nothing is judged,
    is not called a glute bridge), the page lists the segments and says which one each finding came from."""
    import formcheck
    from formcheck.report.html import render_html
    from formcheck.report.words import segment_lines

    analysis = formcheck.analyze(Path(__file__).parent / "fixtures"
                                 / "queenworkout_hip_thrust_band_bench_multiangle.track.npz")
    report = analysis.report
    data = report.to_dict()
    assert data["exercise"] == "hip_thrust" and 0 < data["exercise_confidence"] <= 1
    assert [g["exercise"] for g in data["segments"]] == ["hip_thrust"] * 3
    lines = segment_lines(report)
    assert len(lines) == 3 and "not judged" in lines[1] and "glute bridge" not in " ".join(lines)
    page = render_html(analysis)
    assert "<h2>Segments</h2>" in page and all(line in page for line in lines)
    side = [f for f in report.form_findings if f.segment == 2]
    assert side and "segment 3 (side view" in page
    assert "Glute bridge" not in report.summary

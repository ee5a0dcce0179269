"""Renderers at the edge (terminal, HTML, plots, key frames, annotated video) on a hand-built Analysis: no MediaPipe."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from rich.console import Console

from formcheck.results import Analysis, Finding, HoldSpan, KeySeries, NotJudged, RepSpan, Report
from formcheck.track import LANDMARK_INDEX, NUM_LANDMARKS, PoseTrack

FPS = 30.0
T = 60
W, H = 320, 240
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

FAULT_CUE = "Your hips rise past straight: that is your lower back, not your glutes."
WARN_CUE = "Your left knee drifts inwards as you push up."
NOT_JUDGED_REASON = "hip sway is side to side, which a side view cannot see"


def _bridge_track() -> PoseTrack:
    """A stick figure lying on its back, side view (head left, feet right), hips rising twice in 2 s."""
    t = np.arange(T) / FPS
    lift = np.sin(np.pi * t) ** 2  # 0 at 0 s, 1 at 0.5 s, 0 at 1 s, 1 at 1.5 s
    lm = np.full((T, NUM_LANDMARKS, 4), np.nan)
    base = {
        "nose": (0.12, 0.72), "left_eye": (0.13, 0.70), "right_eye": (0.13, 0.70),
        "left_ear": (0.15, 0.71), "right_ear": (0.15, 0.71),
        "left_shoulder": (0.25, 0.76), "right_shoulder": (0.25, 0.77),
        "left_elbow": (0.33, 0.82), "right_elbow": (0.33, 0.83),
        "left_wrist": (0.42, 0.84), "right_wrist": (0.42, 0.85),
        "left_knee": (0.68, 0.50), "right_knee": (0.68, 0.51),
        "left_ankle": (0.76, 0.80), "right_ankle": (0.76, 0.81),
        "left_heel": (0.75, 0.83), "right_heel": (0.75, 0.84),
        "left_foot_index": (0.82, 0.83), "right_foot_index": (0.82, 0.84),
    }
    for name, (x, y) in base.items():
        lm[:, LANDMARK_INDEX[name], 0] = x
        lm[:, LANDMARK_INDEX[name], 1] = y
    for name, dy in (("left_hip", 0.0), ("right_hip", 0.01)):
        lm[:, LANDMARK_INDEX[name], 0] = 0.50
        lm[:, LANDMARK_INDEX[name], 1] = 0.78 - 0.30 * lift + dy
    lm[:, :, 2] = 0.0
    lm[:, :, 3] = 0.95
    lm[:, LANDMARK_INDEX["right_elbow"], 3] = 0.2  # hidden side: drawn grey
    world = np.zeros((T, NUM_LANDMARKS, 3))
    return PoseTrack(lm, world, t, FPS, W, H, source="synthetic_bridge.mp4")


def _angle_deg(track: PoseTrack, a: str, b: str, c: str) -> np.ndarray:
    pa, pb, pc = track.xy_px(a), track.xy_px(b), track.xy_px(c)
    u, v = pa - pb, pc - pb
    cos = (u * v).sum(1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


@pytest.fixture
def analysis() -> Analysis:
    track = _bridge_track()
    hip_angle = _angle_deg(track, "left_shoulder", "left_hip", "left_knee")
    extension = 180.0 - hip_angle  # how far past straight, signed by construction here (always positive)
    valgus = 5.0 + 6.0 * np.sin(np.pi * track.timestamps_s) ** 2
    fault = Finding(
        rule="bridge.lumbar_extension", severity="fault", side=None, start_s=0.3, end_s=0.7,
        value=14.2, threshold=10.0, unit="deg", cue=FAULT_CUE, evidence="hip angle past straight", peak_s=0.5,
    )
    warning = Finding(
        rule="bridge.knee_valgus", severity="warning", side="left", start_s=1.3, end_s=1.7,
        value=0.82, threshold=0.9, unit="ratio", cue=WARN_CUE, evidence="knee/ankle separation ratio", peak_s=1.5,
    )
    report = Report(
        source="synthetic_bridge.mp4", exercise="bridge", exercise_source="auto", view="side", view_source="auto",
        posture="lying", duration_s=track.duration_s, fps=FPS, frames=T, detection_rate=1.0,
        reps=[RepSpan(0.0, 0.5, 1.0), RepSpan(1.0, 1.5, 1.95)],
        holds=[HoldSpan(0.4, 0.6, 0.2)],
        findings=[warning, fault],
        not_judged=[NotJudged("bridge.hip_sway", NOT_JUDGED_REASON, "front")],
        metrics={"peak_hip_extension_deg": 14.2, "rep_duration_s": 1.0, "knee_separation_ratio": 0.82},
        summary="Two reps. Your hips go too high at the top: stop when shoulders, hips and knees make a straight line.",
    )
    series = [
        KeySeries("hip_extension", "Hip past straight", "deg", extension, rules=("bridge.lumbar_extension",),
                  warn_above=5.0, fault_above=10.0, angle_points=("left_shoulder", "left_hip", "left_knee")),
        KeySeries("left_knee_valgus", "Left knee inward", "deg", valgus, rules=("bridge.knee_valgus",),
                  warn_above=8.0, fault_above=12.0),
    ]
    return Analysis(track=track, report=report, key_series=series)


# ---- terminal -----------------------------------------------------------------------------------------------------------


def test_terminal_summary_has_cues_times_and_not_judged(analysis):
    from formcheck.report.terminal import print_summary

    console = Console(record=True, width=100, color_system=None)
    print_summary(analysis.report, console)
    text = " ".join(console.export_text().split())  # undo wrapping at 100 columns
    assert "Glute bridge (auto-detected)" in text
    assert "side view (auto-detected)" in text
    assert "2 reps" in text and "1 hold" in text
    assert FAULT_CUE in text and WARN_CUE in text
    assert "0.3–0.7 s (rep 1)" in text  # the fault's span and the rep it falls in
    assert "1.3–1.7 s (rep 2)" in text
    assert "14.2°" in text and "10.0°" in text  # value vs threshold with unit
    assert "FAULT" in text and "WARNING" in text  # severity in words, readable without colour
    assert text.index("FAULT") < text.index("WARNING")  # worst first
    assert NOT_JUDGED_REASON in text and "Film a front view to judge this." in text
    assert "stop when shoulders, hips and knees make a straight line" in text


def test_terminal_colours_by_severity(analysis):
    from formcheck.report.terminal import print_summary

    console = Console(record=True, width=100, force_terminal=True, color_system="truecolor")
    print_summary(analysis.report, console)
    styled = console.export_text(styles=True)
    assert "\x1b[" in styled  # coloured when the console supports it
    assert re.search(r"\x1b\[[0-9;]*31m[^\x1b]*FAULT", styled)  # red fault


def test_verdict_words():
    from formcheck.report.words import rep_words, verdict

    assert rep_words([2, 3, 4]) == "reps 2–4"
    assert rep_words([1, 3]) == "reps 1, 3"
    silent = Report("x", "squat", "user", "front", "user", "standing", 1.0, 30.0, 30, 1.0, judged=["knee_valgus"])
    assert verdict(silent).startswith("No faults seen in this clip")
    nothing_judged = Report("x", "squat", "user", "front", "user", "standing", 1.0, 30.0, 30, 1.0)
    assert verdict(nothing_judged).startswith("Nothing about the form could be judged")


# ---- plots --------------------------------------------------------------------------------------------------------------


def test_plots_are_pngs_one_per_series(analysis):
    from formcheck.report.plots import plot_series

    plots = plot_series(analysis)
    assert [s.name for s, _ in plots] == ["hip_extension", "left_knee_valgus"]
    for _, png in plots:
        assert png.startswith(PNG_MAGIC)
        assert len(png) > 5_000  # a real chart, not an empty canvas


# ---- key frames ---------------------------------------------------------------------------------------------------------


def test_key_frame_without_video_draws_skeleton_on_canvas(analysis, tmp_path):
    from formcheck.report.key_frames import blank_canvas, key_frame, person_crop

    fault = analysis.report.faults[0]
    i = int(np.argmin(np.abs(analysis.track.timestamps_s - fault.peak_s)))
    x0, y0, x1, y1 = person_crop(analysis.track.landmarks[i], W, H)
    for video_path in (None, tmp_path / "missing.mp4"):
        img = key_frame(video_path, analysis, fault)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        scale = img.shape[0] / (y1 - y0)
        assert img.shape[1] == pytest.approx((x1 - x0) * scale, abs=2)
        canvas = np.asarray(blank_canvas(analysis.track)[0, 0], dtype=np.int16)
        # the hip at the peak frame (0.5 s: hips up), in the cropped, scaled picture
        hx, hy = (analysis.track.xy_px("left_hip")[i] - (x0, y0)) * scale
        patch = img[int(hy) - 6 : int(hy) + 7, int(hx) - 6 : int(hx) + 7].astype(np.int16)
        assert np.abs(patch - canvas).max() > 60, "no skeleton drawn at the hip"
        corner = img[-20:, -20:].astype(np.int16)  # far from the body: still the plain canvas
        assert np.abs(corner - canvas).max() < 5
        top = img[: int(0.08 * img.shape[0])].astype(np.int16)  # the caption banner
        assert np.abs(top - canvas).max() > 60


# ---- HTML ---------------------------------------------------------------------------------------------------------------


def test_html_is_self_contained_and_complete(analysis, tmp_path):
    from formcheck.report.html import write_html

    path = write_html(analysis, tmp_path / "report.html", annotated_video_name="annotated.mp4")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text), "external resource"
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "data:image/png;base64," in text  # plots
    assert text.count("data:image/jpeg;base64,") == 2  # one key frame per finding
    assert 'src="annotated.mp4"' in text
    assert "Your hips rise past straight: that is your lower back, not your glutes." in text
    assert "Your left knee drifts inwards as you push up." in text
    assert NOT_JUDGED_REASON in text and "front view" in text
    assert "14.2°" in text and "10.0°" in text
    assert "What formcheck cannot see" in text
    assert "Rep 2" in text and "<h2>Holds</h2>" in text
    assert "peak hip extension" in text  # metrics table
    # the verdict names the fault first, with the rep it was seen at
    h1 = re.search(r"<h1>(.*?)</h1>", text).group(1)
    assert "lower back" in h1
    assert "Seen at rep 1 of 2. Plus 1 more thing to look at below." in text


def test_html_without_video_link(analysis, tmp_path):
    from formcheck.report.html import write_html

    text = write_html(analysis, tmp_path / "r.html", annotated_video_name=None).read_text()
    assert "<video" not in text
    assert "plain background" in text  # says why key frames have no picture


def test_html_escapes_report_text(analysis, tmp_path):
    from dataclasses import replace

    from formcheck.report.html import write_html

    evil = replace(analysis, report=replace(analysis.report, summary="<script>alert(1)</script>"))
    text = write_html(evil, tmp_path / "r.html").read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text


# ---- annotated video ----------------------------------------------------------------------------------------------------


def test_annotated_video_and_write_outputs(analysis, tmp_path):
    from formcheck.report.outputs import write_outputs
    from formcheck.video import VideoReader, write_h264

    rng = np.random.default_rng(0)
    background = (rng.integers(60, 120, (H, W, 3))).astype(np.uint8)
    source = write_h264(tmp_path / "src.mp4", (background.copy() for _ in range(T)), FPS)

    paths = write_outputs(analysis, tmp_path / "out", video_path=source, make_video=True)
    assert set(paths) == {"json", "html", "video"}
    assert Report.from_dict(json.loads(paths["json"].read_text())).findings
    assert 'src="annotated.mp4"' in paths["html"].read_text()

    with VideoReader(source) as video:
        src_frames = [f.rgb for f in video]
    with VideoReader(paths["video"]) as video:
        assert video.info.codec == "h264"
        out_frames = [f.rgb for f in video]
    assert len(out_frames) == len(src_frames) == T
    assert out_frames[0].shape == src_frames[0].shape  # 240 px tall: not rescaled

    fault = analysis.report.faults[0]
    active = int(round(fault.peak_s * FPS))
    quiet = int(round(0.1 * FPS))  # no finding active at 0.1 s
    banner = slice(int(H * 0.8), H)
    diff_active = np.abs(out_frames[active][banner].astype(int) - src_frames[active][banner].astype(int)).mean()
    diff_quiet = np.abs(out_frames[quiet][banner, W // 2 :].astype(int) - src_frames[quiet][banner, W // 2 :].astype(int)).mean()
    assert diff_active > 20, "no cue banner while the fault is active"
    assert diff_quiet < diff_active / 2
    # a red severity stripe at the banner's left edge
    red = out_frames[active][banner, :20].reshape(-1, 3).astype(int)
    assert ((red[:, 0] > 150) & (red[:, 1] < 110) & (red[:, 2] < 110)).any()


def test_write_outputs_without_video(analysis, tmp_path):
    from formcheck.report.outputs import write_outputs

    paths = write_outputs(analysis, tmp_path / "out", video_path=None, make_video=True)
    assert set(paths) == {"json", "html"}
    assert "<video" not in paths["html"].read_text()


def test_annotated_video_scaled_to_720(analysis, tmp_path):
    from formcheck.report.overlay import write_annotated_video
    from formcheck.video import VideoReader, write_h264

    frames = (np.full((1080, 1440, 3), 90, np.uint8) for _ in range(3))
    source = write_h264(tmp_path / "big.mp4", frames, FPS)
    out = write_annotated_video(source, analysis, tmp_path / "a.mp4")
    with VideoReader(out) as video:
        assert (video.info.height, video.info.width) == (720, 960)


def test_renders_a_clip_with_nothing_found(tmp_path):
    """No person in half the frames, no findings, no series, unknown frame size: everything still renders."""
    from formcheck.report.key_frames import key_frame
    from formcheck.report.overlay import FrameOverlay
    from formcheck.report.html import write_html
    from formcheck.report.plots import plot_series
    from formcheck.report.terminal import print_summary

    track = _bridge_track()
    lm = np.array(track.landmarks)
    lm[::2] = np.nan
    track = PoseTrack(lm, track.world_landmarks, track.timestamps_s, FPS, 0, 0)
    report = Report("clip.mp4", "squat", "user", "front", "auto", "standing", 2.0, FPS, T, 0.5, judged=["knee_valgus"])
    analysis = Analysis(track, report, [KeySeries("x", "Nothing", "deg", np.full(T, np.nan))])
    console = Console(record=True, width=60, color_system=None)
    print_summary(report, console)
    text = console.export_text()
    assert "No faults seen in this clip." in text and "no reps or holds" in text
    assert "(as given)" in text
    assert plot_series(analysis) == []  # a series with no value is not drawn as a blank plot ...
    html_text = write_html(analysis, tmp_path / "r.html", annotated_video_name=None).read_text()
    assert "No findings" in html_text and "No reps or holds" in html_text
    assert "Not plotted, as no frame of this clip gave a value: Nothing." in html_text  # ... but named
    finding = Finding("r", "info", None, 0.0, 0.1, 1.0, 2.0, "deg", "cue")
    assert key_frame(None, analysis, finding).shape[:2] == (540, 720)  # 640x480 canvas, at key-frame height
    frame = np.zeros((H, W, 3), np.uint8)
    assert FrameOverlay().annotate(frame, analysis, 0, 0.0).shape == frame.shape  # a frame with no person
    assert FrameOverlay().annotate(frame, analysis, T + 5, 9.0).shape == frame.shape  # past the track's end


# ---- the same clip framed differently reads the same ---------------------------------------------------------------

def _write_anamorphic(path, frames, fps, sample_aspect_ratio, *, display_rotation_deg=0):
    """frames (already squeezed to stored pixels) written with a pixel aspect ratio in the stream, and a display
    rotation tag (degrees counter-clockwise, as PyAV's set_display_rotation takes it) when given."""
    from fractions import Fraction

    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.sample_aspect_ratio = Fraction(sample_aspect_ratio)
        if display_rotation_deg:
            stream.set_display_rotation(display_rotation_deg)
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_non_square_pixels_are_shown_square(tmp_path):
    """A 2:1 pixel aspect ratio (an anamorphic or a squeezed-then-tagged video): frames come stretched to the shape
    they are displayed at, so angles are not skewed."""
    from formcheck.video import VideoReader

    img = np.zeros((120, 80, 3), np.uint8)
    img[:, 40:] = 255
    path = _write_anamorphic(tmp_path / "sar.mp4", [img] * 3, 25, "2")
    with VideoReader(path) as video:
        assert (video.info.width, video.info.height) == (160, 120)
        frame = next(iter(video)).rgb
    assert frame.shape == (120, 160, 3) and frame[:, :70].mean() < 30 and frame[:, 90:].mean() > 225


# Tolerance for the same clip in another frame: the shoulder-hip-knee angle at each rep's top. The pose model sees the
# person from a different detector input each time; on the real bridge below the tops moved 0.3-1.3 deg (landscape
# 181.4/181.8, letterboxed 180.2-180.9, portrait with a rotation tag 180.7/180.6), so 3 deg, under the 5 deg between
# hip_lockout's warning and no finding.
FRAMING_TOLERANCE_DEG = 3.0


@pytest.mark.slow
def test_padding_or_letterboxing_a_clip_keeps_its_angles(tmp_path):
    """A real side-view bridge (960x540), padded into a portrait frame (960x1706), letterboxed small (406x720),
    stored squeezed at half width with a 2:1 pixel aspect ratio, and padded into the portrait frame stored turned a
    quarter with a rotation tag (as a phone writes a portrait video; issue 15 read a hip_lockout warning, 170 deg, on
    such a copy of a bridge that reads 178 deg in landscape): the same reps, the same findings, and each rep top's
    shoulder-hip-knee angle within FRAMING_TOLERANCE_DEG of the landscape clip's."""
    import cv2

    from conftest import shared_video
    from formcheck import analyze, kinematics
    from formcheck.video import VideoReader, write_h264

    source = shared_video("bridge/bubbadk_pexels_glute_bridge_band_side.mp4")
    with VideoReader(source) as video:
        fps, frames = video.info.fps, [frame.rgb for frame in video]
    h, w = frames[0].shape[:2]

    def pad(rgb, size):
        width, height = size
        scaled = cv2.resize(rgb, (width, round(h * width / w) // 2 * 2), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((height, width, 3), np.uint8)
        top = (height - scaled.shape[0]) // 2
        canvas[top: top + scaled.shape[0]] = scaled
        return canvas

    portrait = [pad(f, (w, 1706)) for f in frames]
    clips = {
        "padded": write_h264(tmp_path / "padded.mp4", iter(portrait), fps),
        "letterboxed": write_h264(tmp_path / "letterboxed.mp4", (pad(f, (406, 720)) for f in frames), fps),
        "anamorphic": _write_anamorphic(tmp_path / "anamorphic.mp4",
                                        [cv2.resize(p, (w // 2, 1706), interpolation=cv2.INTER_AREA) for p in portrait],
                                        fps, "2"),
        "portrait, rotation tag": _write_anamorphic(tmp_path / "tagged.mp4",  # stored landscape, shown upright
                                                    [np.ascontiguousarray(np.rot90(p, -1)) for p in portrait], fps, "1",
                                                    display_rotation_deg=90),
    }

    def tops(analysis):
        angle = kinematics.compute(analysis.track)["trunk_thigh_signed_near"]
        return [float(np.nanmax(angle[round(r.start_s * fps): round(r.end_s * fps) + 1])) for r in analysis.report.reps]

    def verdicts(report):
        return sorted((f.rule, f.severity) for f in report.findings)

    reference = analyze(source, contour=False)
    assert len(reference.report.reps) == 2  # two dips in the plot: two reps
    with VideoReader(clips["portrait, rotation tag"]) as video:
        assert (video.info.rotation_deg, video.info.width, video.info.height) == (90, w, 1706)
    for name, clip in clips.items():
        analysis = analyze(clip, contour=False)
        assert len(analysis.report.reps) == 2, name
        assert verdicts(analysis.report) == verdicts(reference.report), name
        assert tops(analysis) == pytest.approx(tops(reference), abs=FRAMING_TOLERANCE_DEG), name


# ---- the overlay on any frame size ----------------------------------------------------------------------------------

MIN_TEXT_PX = 8  # cap height of the smallest overlay text (Hershey simplex): legible on a phone


@pytest.mark.parametrize("size", [(360, 640), (406, 720), (640, 360), (1280, 720), (1920, 1080)])
def test_overlay_text_is_legible_and_inside_the_frame(analysis, monkeypatch, size):
    """Every piece of text the overlay draws, on frames 360 to 1920 px wide (portrait phone clips included), lies
    inside the frame and is at least MIN_TEXT_PX tall; the readout carries the rep count and each value's limits."""
    from dataclasses import replace

    from formcheck.report import annotators
    from formcheck.report.draw import text_size
    from formcheck.report.overlay import FrameOverlay

    long_label = replace(analysis.key_series[1], label="Knee angle in the frontal plane, left (FPPA, + = inward)")
    analysis = replace(analysis, key_series=[analysis.key_series[0], long_label])
    drawn = []

    def record(img, text, org, scale, colour, thickness, *, outline=True):
        width, height, _ = text_size(text, scale, thickness)
        drawn.append((text, org[0], org[1] - height, org[0] + width, org[1], height))

    monkeypatch.setattr(annotators, "put_text", record)
    w, h = size
    for t in (0.5, 1.5, 1.99):  # a fault cue, a warning cue, between reps
        index = int(t * FPS)
        FrameOverlay().annotate(np.zeros((h, w, 3), np.uint8), analysis, min(index, T - 1), t)
    assert drawn
    for text, x0, y0, x1, y1, height in drawn:
        assert 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h, (size, text, (x0, y0, x1, y1))
        assert height >= MIN_TEXT_PX, (size, text, height)
    texts = " ".join(d[0] for d in drawn)
    assert "rep 1 of 2" in texts and "rep 2 of 2" in texts
    assert "warn >= 5 deg, fault >= 10 deg" in texts.replace("  ", " ") or "fault >=" in texts


def test_overlay_readout_and_outline_label_show_one_lumbar_value(analysis, monkeypatch):
    """The back's outline is traced on a few frames and drawn on the frames near them: the readout shows the value of
    the outline drawn (never '--' beside an outline labelled with a number)."""
    from dataclasses import replace

    from formcheck.report import annotators
    from formcheck.report.overlay import FrameOverlay

    track = analysis.track
    contour = np.full((len(track), 5, 3), np.nan)
    contour[20] = [[0.25, 0.7, 1], [0.35, 0.68, 1], [0.42, 0.66, 1], [0.47, 0.64, 1], [0.52, 0.62, 1]]
    lumbar = np.full(len(track), np.nan)
    lumbar[20] = -11.0
    track = replace(track, dorsal_contour=contour)
    series = KeySeries("lumbar_angle", "Lumbar angle from the back's outline (+ = arched)", "deg", lumbar,
                       rules=("lumbar_arch",), warn_above=20.0, fault_above=30.0)
    analysis = replace(analysis, track=track, key_series=[series])
    drawn = []
    monkeypatch.setattr(annotators, "put_text", lambda img, text, *a, **k: drawn.append(text))
    FrameOverlay().annotate(np.zeros((H, W, 3), np.uint8), analysis, 21, float(track.timestamps_s[21]))
    joined = " ".join(drawn)
    assert "lumbar -11 deg" in joined and "outline (+ = arched): -11 deg" in joined and "--" not in joined


# ---- the report's words and sections (issue 15) ---------------------------------------------------------------------

def _report(**changes) -> Report:
    base = dict(source="clip.mp4", exercise="bridge", exercise_source="auto", view="side", view_source="auto",
                posture="lying", duration_s=8.0, fps=30.0, frames=240, detection_rate=1.0)
    return Report(**{**base, **changes})


def _finding(rule, severity, start, value, unit="deg short of straight", threshold=10.0, cue="Squeeze at the top."):
    return Finding(rule=rule, severity=severity, side=None, start_s=start, end_s=start + 0.5, value=value,
                   threshold=threshold, unit=unit, cue=cue, evidence="shoulder-hip-knee angle", peak_s=start + 0.2)


def test_counts_agree_between_headline_and_summary():
    """One fault at rep 1 and one warning at rep 2: the headline says rep 1 of 2, the summary 1 time (rep 1) and the
    warning apart, never '2 times'."""
    from formcheck.report.words import summarise, verdict_parts

    report = _report(reps=[RepSpan(0.5, 1.5, 2.5), RepSpan(4.0, 5.0, 6.0)], judged=["hip_lockout"],
                     findings=[_finding("hip_lockout", "fault", 1.0, 16.0), _finding("hip_lockout", "warning", 4.5, 7.0)])
    headline, detail = verdict_parts(report)
    assert detail.startswith("Seen at rep 1 of 2.")
    summary = summarise(report)
    assert "1 time (rep 1)" in summary and "1 warning besides" in summary and "2 times" not in summary


def test_holds_are_a_measurement_not_a_finding(analysis, tmp_path):
    """A hold's time goes in its own Holds section (terminal and HTML), not among the findings, the key frames
    ('worst moment') or the verdict's notes."""
    from dataclasses import replace

    from formcheck.report.html import render_html
    from formcheck.report.terminal import print_summary
    from formcheck.report.words import verdict_parts

    hold = Finding(rule="hold_timer", severity="info", side=None, start_s=0.4, end_s=0.6, value=0.2, threshold=20.0,
                   unit="s held", cue="Hold 1: 0.2 s with shoulders, hips and knees within 12° of a straight line.",
                   evidence="time at the top (phases)", peak_s=0.5)
    report = replace(analysis.report, findings=[hold], judged=["hip_lockout"])
    html_text = render_html(replace(analysis, report=report), annotated_video_name=None)
    holds = html_text.split("<h2>Holds</h2>")[1].split("</section>")[0]
    assert "Hold 1: 0.2 s with shoulders" in holds and "0.2 s</b> from 0.4–0.6 s" in holds
    assert "No findings in what this clip lets formcheck judge." in html_text
    assert "worst moment" not in html_text and "limit 20" not in html_text and "20.00 s" not in html_text
    assert verdict_parts(report)[1] == ""  # no "1 note below" pointing at nothing
    console = Console(record=True, width=200, color_system=None)
    print_summary(report, console)
    text = console.export_text()
    assert "hold 1: 0.4–0.6 s (0.2 s): Hold 1: 0.2 s with" in text and "What formcheck saw" not in text


def test_findings_table_fits_its_box_with_one_unit():
    """Four columns (severity, what and why, when, measured) in a fixed layout that wraps long words; the unit once,
    beside the value; no separate unit column repeating 'measured vs threshold'."""
    from formcheck.report.html import CSS, _findings_table

    report = _report(reps=[RepSpan(0.5, 1.5, 2.5)], findings=[
        _finding("lumbar_arch", "fault", 1.0, 14.2, unit="deg past straight", threshold=10.0)])
    table = _findings_table(report)
    assert table.count("<th>") == 4 and "Unit" not in table and "vs threshold" not in table.lower()
    assert "<b>14.2° past straight</b>" in table and "limit 10.0° past straight" in table
    assert "table-layout: fixed" in CSS and "overflow-wrap: anywhere" in CSS


def test_walks_show_steps_and_strides(tmp_path):
    from formcheck.analysis import analyze_track
    from formcheck.report.html import render_html
    from formcheck.report.terminal import print_summary
    from formcheck.synth import exact_track

    analysis = analyze_track(exact_track("walk", {}, view="front", seconds=8.0), exercise="walk")
    m = analysis.report.metrics
    assert m["steps"] == m["steps_left"] + m["steps_right"] >= 12 and m["strides"] >= 10
    assert 0.9 < m["stride_median_s"] < 1.3 and 90 < m["cadence_steps_per_min"] < 130
    html_text = render_html(analysis, annotated_video_name=None)
    assert "<h2>Steps and strides</h2>" in html_text and "no reps or holds" not in html_text.lower()
    console = Console(record=True, width=200, color_system=None)
    print_summary(analysis.report, console)
    text = console.export_text()
    assert f"{m['steps']:.0f} steps (left" in text and "no reps or holds" not in text


def test_unknown_view_and_exercise_read_as_words():
    from formcheck.report.html import render_html
    from formcheck.report.words import summarise

    report = _report(exercise="unknown", view="unknown", posture="standing")
    analysis = Analysis(track=_bridge_track(), report=report)
    html_text = render_html(analysis, annotated_video_name=None)
    assert "from a unknown" not in html_text and "Unknown (detected)" not in html_text
    assert "Exercise not recognised" in html_text and "from a view formcheck could not tell" in html_text
    assert "filmed from the unknown" not in summarise(report)


def test_synth_help_lists_every_motion():
    from typer.testing import CliRunner

    from formcheck.cli import SYNTH_MOTIONS, app
    from formcheck.synth import MOTIONS

    assert tuple(SYNTH_MOTIONS) == tuple(MOTIONS)
    text = CliRunner().invoke(app, ["synth", "--help"], env={"COLUMNS": "200"}).output
    assert all(name in text for name in MOTIONS) and "..." not in text and "…" not in text


class _Kept:
    """A stand-in for the analysis's FrameCache: one kept picture, `offset` frames after any frame asked for."""

    def __init__(self, offset: int, colour: int):
        self.offset, self.colour = offset, colour

    def nearest(self, index: int, max_distance: int):
        if self.offset > max_distance:
            return None
        return index + self.offset, np.full((H, W, 3), self.colour, np.uint8)


@pytest.mark.parametrize("angle_moves, readable, picture", [
    (False, True, "kept"),  # the angle reads the same a frame later: the kept picture, no second read
    (True, True, "read"),  # it reads another number there: the worst frame itself, read from the video
    (True, False, "kept"),  # ... unless the video cannot be read (a camera): the kept picture after all
])
def test_a_key_frame_shows_the_angle_as_it_read_at_the_worst_moment(monkeypatch, angle_moves, readable, picture):
    from formcheck.report import key_frames as kf

    track = _bridge_track()
    worst = 30
    values = np.full(T, 10.0)
    if angle_moves:
        values[worst + 2:] = 14.0
    series = KeySeries("fppa_left", "FPPA", "deg", values, rules=("knee_valgus",),
                       angle_points=("left_hip", "left_knee", "left_ankle"))
    report = Report("clip.mp4", "squat", "user", "front", "user", "standing", T / FPS, FPS, T, 1.0)
    analysis = Analysis(track, report, [series], frames=_Kept(offset=2, colour=40))
    finding = Finding("knee_valgus", "warning", "left", worst / FPS, worst / FPS, 10.0, 10.0, "deg FPPA", "cue",
                      peak_s=worst / FPS)
    asked: list[set[int]] = []

    def read(path, indices, rotate_deg=0):
        asked.append(set(indices))
        return {i: np.full((H, W, 3), 220, np.uint8) for i in indices} if readable else {}

    monkeypatch.setattr(kf, "_read_frames", read)
    image = kf.key_frames("clip.mp4", analysis, [finding])[0]
    corner = int(np.median(image[-5:, :5]))  # below the banner, away from the skeleton: the picture's own grey
    assert (asked == []) == (not angle_moves)
    assert abs(corner - (40 if picture == "kept" else 220)) < 25, corner


def test_html_sets_commands_as_code_and_names_the_annotated_video_only_when_there_is_one():
    """The summary's `--exercise squat` (backticks, as the terminal writes it) reads as code in the page, not as
    literal backticks; the footer's "keep them together" names the annotated video only when one was written."""
    from dataclasses import replace

    from formcheck.report.html import render_html

    report = _report(exercise="unknown", summary="Could not tell a squat from a single-leg squat: run again with "
                                                 "`--exercise squat` or `--exercise single_leg_squat`.")
    analysis = Analysis(track=_bridge_track(), report=report)
    without = render_html(analysis, annotated_video_name=None)
    assert "<code>--exercise squat</code> or <code>--exercise single_leg_squat</code>" in without
    assert "`" not in without.split("<footer>")[0].split("</header>")[0]
    assert "annotated.mp4" not in without and "keep them together" not in without
    with_video = render_html(replace(analysis, report=report), annotated_video_name="annotated.mp4")
    assert "(annotated.mp4): keep them together" in with_video

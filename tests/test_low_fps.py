"""Low frame rates (10-12 fps: phones in low light, GIFs): the landmark-steadiness gate of knee_valgus and hip_sway
reads the same movement the same at any frame rate, so clear faults are judged and flagged, correct form stays
silent, and genuinely noisy tracks are still not judged. Synthetic tracks only (no video decoding)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.analysis import analyze_track
from formcheck.clean import clean
from formcheck.rules.base import JITTER_SMOOTH_HZ, body_size_px, landmark_jitter
from formcheck.synth import exact_track
from formcheck.synth.clip import add_noise
from formcheck.track import LANDMARK_INDEX, PoseTrack

LEGS = ["left_knee", "right_knee", "left_ankle", "right_ankle"]


def every(track: PoseTrack, step: int) -> PoseTrack:
    """Every step-th frame, with the fps to match (the clip a camera at fps / step would have filmed)."""
    return dataclasses.replace(track[::step], fps=track.fps / step)


def at_fps(motion: str, faults: dict, view: str, fps: float, *, noise_px: float = 0.0, seconds: float = 10.0):
    """The exact synthetic track at fps: 30 as rendered, 10 as every third frame of 30, others rendered at that rate;
    with noise_px, add_noise's landmark jitter (px) on the frames kept."""
    track = every(exact_track(motion, faults, view, seconds), 3) if fps == 10 else exact_track(
        motion, faults, view, seconds, fps=fps)
    return add_noise(track, seed=1, jitter_px=noise_px) if noise_px else track


def verdict(report, rule: str) -> str:
    """'not judged: REASON', the worst severity of the rule's findings, or 'silent' (judged, nothing found)."""
    reasons = [n.reason for n in report.not_judged if n.rule == rule]
    if reasons:
        return "not judged: " + reasons[0]
    severities = {f.severity for f in report.findings if f.rule == rule}
    assert rule in report.judged
    return "fault" if "fault" in severities else "warning" if severities else "silent"


def swing(track: PoseTrack, names, amplitude_body: float, hz: float) -> PoseTrack:
    """The named landmarks moved sideways by amplitude_body body sizes x sin(2 pi hz t)."""
    landmarks = track.landmarks.copy()
    shift = amplitude_body * body_size_px(track) / track.frame_width * np.sin(2 * np.pi * hz * track.timestamps_s)
    for name in names:
        landmarks[:, LANDMARK_INDEX[name], 0] += shift
    return dataclasses.replace(track, landmarks=landmarks)


# ---- the measure --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fps", [30, 12, 10])
def test_the_same_movement_reads_the_same_jitter_at_any_frame_rate(fps):
    """Knees swinging 0.05 body sizes at 0.95 Hz (a rate no frame rate here samples at a few repeating phases): the
    residual around the 1.5 Hz path is the part of the swing the zero-phase filter does not follow, 0.05 x (1 - gain),
    times the median of |sin|, sin(45 deg). The digital Butterworth's gain is
    1 / (1 + (tan(pi f / fs) / tan(pi fc / fs))^4): 0.86 at 30 fps (as the analogue 1 / (1 + (0.95 / 1.5)^4)), 0.88
    at 10. So 0.0048 body sizes at 30 fps, 0.0041 at 10; a per-frame second difference reads
    0.05 x (2 pi 0.95 / fps)^2 x 0.71: 0.0014 at 30 fps and nine times that at 10."""
    ratio = np.tan(np.pi * 0.95 / fps) / np.tan(np.pi * JITTER_SMOOTH_HZ / fps)
    expected = 0.05 * (1 - 1 / (1 + ratio ** 4)) * np.sin(np.pi / 4)
    squat = at_fps("squat", {}, "front", fps, seconds=20.0)
    standing = np.repeat(squat.landmarks[:1], len(squat), axis=0)  # the first frame held: standing still
    track = swing(dataclasses.replace(squat, landmarks=standing), ["left_knee", "right_knee"], 0.05, 0.95)
    assert landmark_jitter(track, ["left_knee", "right_knee"]) == pytest.approx(expected, rel=0.03)


def test_too_short_a_track_to_filter_reads_nan():
    track = exact_track("squat", {}, "front", 1.0, fps=8.0)  # 8 frames: fewer than the filter's padding needs
    assert np.isnan(landmark_jitter(track, LEGS))
    assert np.isfinite(landmark_jitter(exact_track("squat", {}, "front", 2.0, fps=8.0), LEGS))


# ---- the rules at 10 and 12 fps -----------------------------------------------------------------------------------

CLEAR_FAULTS = {
    # case: (motion, faults, the rule that must flag it)
    "knee valgus squat": ("squat", {"knee_valgus": 25}, "knee_valgus"),
    "hip drop walk": ("walk", {"pelvic_drop": 8}, "hip_sway"),
}
CORRECT_FORM = {"squat": ("squat", "knee_valgus"), "walk": ("walk", "hip_sway")}
JITTER_REASON = "not judged: the pose model is unsure"


@pytest.mark.parametrize("fps", [30, 12, 10])
def test_a_clear_valgus_squat_is_judged_and_flagged_at_low_frame_rates(fps):
    motion, faults, rule = CLEAR_FAULTS["knee valgus squat"]
    for noise_px in (0.0, 1.5):  # exact, and add_noise's default (MediaPipe-like) jitter
        report = analyze_track(clean(at_fps(motion, faults, "front", fps, noise_px=noise_px))).report
        assert (report.exercise, report.view) == (motion, "front")
        assert verdict(report, rule) in ("warning", "fault"), (noise_px, report.summary)


@pytest.mark.parametrize("fps", [30, 12, 10])
def test_a_correct_squat_stays_silent_at_low_frame_rates(fps):
    for noise_px in (0.0, 1.5):  # exact, and add_noise's default (MediaPipe-like) jitter
        report = analyze_track(clean(at_fps("squat", {}, "front", fps, noise_px=noise_px))).report
        assert verdict(report, "knee_valgus") == "silent", (noise_px, report.summary)


@pytest.mark.parametrize("fps", [30, 12, 10])
@pytest.mark.parametrize("drop", [0, 8])
def test_walks_pass_the_steadiness_gate_at_low_frame_rates(drop, fps):
    """A track alone has no waistband, so hip_sway reads the pelvic drop from the hip points with the range of what
    they can mean and may say "not judged" for that reason (tests/test_hip_sway_walk.py); what must not happen at 10-12
    fps is the steadiness gate refusing the walk. The sideways sway is judged whatever the drop."""
    for noise_px in (0.0, 1.5):
        report = analyze_track(clean(at_fps("walk", {"pelvic_drop": drop} if drop else {}, "front", fps,
                                            noise_px=noise_px))).report
        assert (report.exercise, report.view) == ("walk", "front")
        outcome = verdict(report, "hip_sway")
        assert not outcome.startswith(JITTER_REASON), (noise_px, outcome)
        if outcome.startswith("not judged"):
            assert "sideways sway was" in outcome and "within normal" in outcome, outcome
        elif drop:
            assert outcome in ("warning", "fault"), (noise_px, report.summary)
        else:
            assert outcome == "silent", (noise_px, report.summary)


# Far past the landmark noise of real clips: 1.5 px is add_noise's default, MediaPipe-like on the 640x360 renders.
NOISY_PX = {"knee valgus squat": 12.0, "hip drop walk": 16.0}


@pytest.mark.parametrize("fps", [30, 10])
@pytest.mark.parametrize("case", list(CLEAR_FAULTS))
def test_noisy_tracks_are_still_not_judged_at_30_and_10_fps(case, fps):
    motion, faults, rule = CLEAR_FAULTS[case]
    report = analyze_track(clean(at_fps(motion, faults, "front", fps, noise_px=NOISY_PX[case])),
                           exercise=motion, view="front").report
    assert verdict(report, rule).startswith(JITTER_REASON)
    assert rule not in {f.rule for f in report.findings}


@pytest.mark.slow
def test_rendered_walks_filmed_at_10_fps_are_judged(tmp_path):
    """The bundled rendered walks (30 fps) re-encoded at every third frame, through the pose model: the hip-drop walk
    gets its hip_sway fault, the correct walk is judged and silent (both were 'not judged' under the per-frame
    second difference)."""
    from conftest import SAMPLE_VIDEOS

    from formcheck import analyze
    from formcheck.video import VideoReader, write_h264

    for name, expected in (("walk_front_hip_sway", "fault"), ("walk_front_good", "silent")):
        with VideoReader(SAMPLE_VIDEOS / f"{name}.mp4") as video:
            fps, frames = video.info.fps, [frame.rgb for i, frame in enumerate(video) if i % 3 == 0]
        clip = write_h264(tmp_path / f"{name}_10fps.mp4", iter(frames), fps / 3)
        report = analyze(clip, contour=False).report
        assert (report.fps, report.exercise, report.view) == (pytest.approx(10.0), "walk", "front"), name
        assert verdict(report, "hip_sway") == expected, (name, report.summary)

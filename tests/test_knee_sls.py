"""knee_valgus on single-leg squats: the standing foot read where it stood (planted_ankles).

Exact synthetic tracks, with the pose model's failure drawn in by hand: MediaPipe, once the free leg hangs in front
of the standing shin, slides the standing ankle's point up and inward onto the free foot and then loses it
(rendered single-leg squats through MediaPipe, issue 14).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck import kinematics
from formcheck.analysis import analyze_track, find_phases
from formcheck.phases import Rep
from formcheck.rules.knee_valgus import planted_ankles
from formcheck.rules.thresholds import Thresholds
from formcheck.synth import exact_track
from formcheck.track import landmark_index

LEFT_ANKLE, RIGHT_ANKLE = landmark_index("left_ankle"), landmark_index("right_ankle")


def _single_leg_squat(valgus: float):
    """Standing on the left leg, 55 deg of knee flexion (the preset's depth), 6 s."""
    return exact_track("single_leg_squat", {"depth_deg": 55, "side": 0, "knee_valgus": valgus}, view="front",
                       seconds=6.0)


def _drifting_standing_ankle(track):
    """The left (standing) ankle's point pulled toward the free (right) ankle as the left knee bends, up to 80% of
    the way at the bottom, and missing where it is more than 60% of the way there."""
    flexion = kinematics.compute(track, ["knee_flexion_3d_left"])["knee_flexion_3d_left"]
    pull = 0.8 * np.clip(flexion / np.nanmax(flexion), 0.0, 1.0)
    landmarks = np.array(track.landmarks)
    left, right = landmarks[:, LEFT_ANKLE, :2], landmarks[:, RIGHT_ANKLE, :2]
    landmarks[:, LEFT_ANKLE, :2] = (1 - pull[:, None]) * left + pull[:, None] * right
    landmarks[pull > 0.6, LEFT_ANKLE, :] = np.nan
    return replace(track, landmarks=landmarks)


def _valgus(report, severity=None):
    return [f for f in report.findings if f.rule == "knee_valgus" and severity in (None, f.severity)]


def test_a_standing_ankle_that_drifts_onto_the_free_foot_still_shows_the_knee_caving_in():
    """Issue 14's silent miss: 28 deg of FPPA at the bottom, the ankle point gone there and pulled onto the free foot
    on the way down. Read where the foot stood, it is a fault of the standing knee."""
    exact = _single_leg_squat(20)
    assert not np.isnan(exact.xy("left_ankle")).any()
    drifted = _drifting_standing_ankle(exact)
    assert np.isnan(drifted.xy("left_ankle")).any()
    report = analyze_track(drifted, exercise="single_leg_squat", view="front").report
    faults = _valgus(report, "fault")
    assert faults and {f.side for f in faults} == {"left"}, report.findings


def test_pictures_draw_the_angle_at_the_planted_ankle():
    """The key frames and the annotated video draw the FPPA that was judged: its ankle point is where the foot stood
    (KeySeries.angle_xy, report.lookups.angle_landmarks), not the pose model's drifted one."""
    from formcheck.report.lookups import angle_landmarks

    drifted = _drifting_standing_ankle(_single_leg_squat(20))
    analysis = analyze_track(drifted, exercise="single_leg_squat", view="front")
    series = analysis.series("fppa_left")
    reps = find_phases(drifted, kinematics.compute(drifted), "single_leg_squat", "front", Thresholds.load())[0]
    planted = planted_ankles(drifted, reps, kinematics.torso_length_px(drifted))
    judged = np.flatnonzero(np.isfinite(series.values))
    moved = judged[~np.isclose(planted.landmarks[judged, LEFT_ANKLE, 1], drifted.landmarks[judged, LEFT_ANKLE, 1])]
    assert moved.size, "the drift should move the ankle on judged frames"
    for i in (int(moved[0]), int(judged[np.nanargmax(series.values[judged])])):
        drawn = angle_landmarks(series, drifted.landmarks[i], i)
        np.testing.assert_allclose(drawn[LEFT_ANKLE, :2], planted.landmarks[i, LEFT_ANKLE, :2])
    assert not np.allclose(angle_landmarks(series, drifted.landmarks[moved[0]], int(moved[0]))[LEFT_ANKLE, :2],
                           drifted.landmarks[moved[0], LEFT_ANKLE, :2])


def test_correct_form_with_the_same_drift_stays_silent():
    report = analyze_track(_drifting_standing_ankle(_single_leg_squat(0)), exercise="single_leg_squat",
                           view="front").report
    assert "knee_valgus" in report.judged
    assert not _valgus(report), report.findings


def _rep(start: int, end: int) -> Rep:
    return Rep(start_s=start / 30, peak_s=(start + end) / 60, end_s=end / 30, start_idx=start,
               peak_idx=(start + end) // 2, end_idx=end, peak_value=1.0)


def test_planted_ankles_holds_the_foot_where_it_stood_before_the_rep():
    track = _drifting_standing_ankle(_single_leg_squat(0))
    reps = find_phases(track, kinematics.compute(track), "single_leg_squat", "front", Thresholds.load())[0]
    assert reps
    planted = planted_ankles(track, reps, torso_length_px=100.0)
    for rep in reps:
        during = slice(rep.start_idx, rep.end_idx + 1)
        spot = np.nanmedian(track.xy("left_ankle")[max(rep.start_idx - 8, 0) : rep.start_idx + 1], axis=0)
        assert np.allclose(planted.xy("left_ankle")[during], spot)
    outside = np.ones(len(track), bool)
    for rep in reps:
        outside[rep.start_idx : rep.end_idx + 1] = False
    assert np.array_equal(planted.landmarks[outside], track.landmarks[outside], equal_nan=True)
    assert np.array_equal(planted.landmarks[:, :, 2:], track.landmarks[:, :, 2:], equal_nan=True)  # z, visibility


def _two_ankles(left_y: np.ndarray, right_y: np.ndarray):
    """A 60-frame track with only the ankles, at image x 0.4 (right) and 0.6 (left), y in pixels."""
    track = exact_track("single_leg_squat", {"depth_deg": 55}, view="front", seconds=2.0)[:60]
    landmarks = np.array(track.landmarks)
    landmarks[:, LEFT_ANKLE, :2] = np.stack([np.full(60, 0.6), left_y / track.frame_height], axis=-1)
    landmarks[:, RIGHT_ANKLE, :2] = np.stack([np.full(60, 0.4), right_y / track.frame_height], axis=-1)
    return replace(track, landmarks=landmarks)


@pytest.mark.parametrize("case", ["lifted at the start", "brought forward"])
def test_a_foot_that_is_not_planted_keeps_its_points(case):
    """torso 100 px: a foot 20 px (0.2 torso) above the other as the rep begins, or going 30 px below its spot in the
    rep (a pistol squat's free leg held out toward the camera), is not planted; the standing foot, level and still,
    is held (its point drifts 15 px up in the rep)."""
    standing = np.full(60, 300.0)
    standing[30:45] -= 15.0
    free = np.full(60, 280.0 if case == "lifted at the start" else 300.0)
    if case == "brought forward":
        free[30:50] += 30.0
    track = _two_ankles(standing, free)
    planted = planted_ankles(track, [_rep(20, 55)], torso_length_px=100.0)
    assert np.array_equal(planted.xy("right_ankle"), track.xy("right_ankle"))
    assert np.allclose(planted.xy_px("left_ankle")[20:56, 1], 300.0)

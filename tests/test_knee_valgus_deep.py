"""knee_valgus past 60 deg of knee flexion (deep single-leg squats) and over completed reps only.

Exact synthetic tracks (noise added, cleaned), no video decoding. The knee's offset from the standing leg's hip-ankle
line (leg lengths) takes over from FPPA where the shank points at the camera.
"""
from __future__ import annotations

import numpy as np
import pytest

from formcheck import kinematics
from formcheck.analysis import analyze_track
from formcheck.clean import clean
from formcheck.rules.knee_valgus import knee_offset
from formcheck.synth import exact_track


def _track(faults, *, seconds=8.0, seed=0):
    return clean(exact_track("single_leg_squat", faults, view="front", seconds=seconds, noise=True, seed=seed))


def _valgus(report):
    return [f for f in report.findings if f.rule == "knee_valgus"]


def test_the_rendered_single_leg_squat_goes_down_on_its_standing_leg():
    """The mannequin's hips drop as the standing knee bends (a rep is found) and the free foot stays off the floor;
    with the free leg held at a fixed angle it hung below the bent standing leg and the body rose onto it."""
    track = exact_track("single_leg_squat", {"depth_deg": 90}, view="front", seconds=8.0)
    assert np.nanmin(kinematics.compute(track)["hip_rise"]) < -0.3  # torso lengths down at the bottom
    # world y points down: the standing heel is the lowest point of the feet throughout
    assert np.all(track.world("left_heel")[:, 1] > track.world("right_heel")[:, 1])


@pytest.mark.parametrize("depth", [75, 100])
@pytest.mark.parametrize("side", [0, 1])
def test_deep_single_leg_squat_is_judged_and_correct_form_is_silent(depth, side):
    report = analyze_track(_track({"depth_deg": depth, "side": side}), exercise="single_leg_squat",
                           view="front").report
    assert len(report.reps) >= 2
    assert "knee_valgus" in report.judged and "knee_valgus" not in {n.rule for n in report.not_judged}
    assert report.metrics["knee_valgus_judged_share"] > 0.9
    assert not _valgus(report), _valgus(report)


@pytest.mark.parametrize("depth", [75, 100])
@pytest.mark.parametrize("side, name", [(0, "left"), (1, "right")])
def test_deep_single_leg_squat_caving_in_is_a_fault_of_the_standing_knee_only(depth, side, name):
    report = analyze_track(_track({"depth_deg": depth, "side": side, "knee_valgus": 12}),
                           exercise="single_leg_squat", view="front").report
    faults = [f for f in _valgus(report) if f.severity == "fault"]
    deep = [f for f in faults if f.unit == "leg lengths inside the hip-ankle line"]
    assert deep, report.findings
    assert {f.side for f in _valgus(report)} == {name}  # the free leg, judged too, stays silent
    assert all(f.value >= f.threshold for f in deep)
    assert all("one knee" in f.evidence and "unreliable" in f.evidence for f in deep)


def test_the_pose_models_gain_is_used_on_detected_tracks_only(tmp_path):
    """A detected track's one-knee offset is divided by offset_landmark_gain (MediaPipe shows ~0.9 of it); an exact
    projection is read as it is. With the gain set to 0.5 a borderline caving doubles to a fault."""
    import dataclasses

    from formcheck.rules.thresholds import Thresholds

    track = _track({"depth_deg": 90, "knee_valgus": 3})
    exact = analyze_track(track, exercise="single_leg_squat", view="front").report
    assert not [f for f in _valgus(exact) if f.severity == "fault"]
    detected = dataclasses.replace(track, model_name="pose_landmarker_full")
    override = tmp_path / "gain.toml"
    override.write_text("[knee_valgus]\noffset_landmark_gain = 0.5\n")
    halved = analyze_track(detected, exercise="single_leg_squat", view="front",
                           thresholds=Thresholds.load(override)).report
    assert [f for f in _valgus(halved) if f.severity == "fault" and f.unit.startswith("leg lengths")]


def test_the_knee_offset_holds_where_fppa_explodes():
    """Past 60 deg of flexion FPPA inflates with depth at the same caving; the offset grows only with the caving."""
    straight = exact_track("single_leg_squat", {"depth_deg": 100}, view="front", seconds=5.0)
    caved = exact_track("single_leg_squat", {"depth_deg": 100, "knee_valgus": 12}, view="front", seconds=5.0)
    assert np.nanmax(kinematics.fppa(straight, "left")) > 10.0  # FPPA warns on a knee that does not cave
    assert np.nanmax(knee_offset(straight, "left")) < 0.044  # the offset's warning
    assert np.nanmax(knee_offset(caved, "left")) > 0.065  # the offset's fault


def test_a_squat_with_no_completed_rep_is_not_judged():
    """Knees are judged over completed reps only: the first 2 s of a squat (standing, then going down as the clip
    ends) say 'not judged', not 'no valgus' and not a verdict on the setup."""
    track = clean(exact_track("squat", {"knee_valgus": 25}, view="front", seconds=8.0, noise=True))
    cut = track[track.timestamps_s < 2.0]
    report = analyze_track(cut, exercise="squat", view="front").report
    assert not report.reps
    reason = {n.rule: n.reason for n in report.not_judged}.get("knee_valgus", "")
    assert "no completed rep" in reason
    assert not _valgus(report)
    whole = analyze_track(track, exercise="squat", view="front").report
    assert whole.reps and "knee_valgus" in {f.rule for f in whole.findings if f.severity == "fault"}

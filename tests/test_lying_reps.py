"""Reps of bridges and hip thrusts (analysis.lying_reps): the hip's rise, and from the side the hip's opening too."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck import kinematics
from formcheck.analysis import (
    REP_MIN_OPENING_DEG,
    REP_MIN_RISE_TORSO,
    REP_MIN_RISE_WITH_OPENING_TORSO,
    analyze_track,
    find_phases,
    lying_reps,
)
from formcheck.rules.thresholds import Thresholds
from formcheck.synth import exact_track

FPS = 30.0
REST_DEG = 142.0  # the rendered bridge's shoulder-hip-knee angle lying at rest


def one_lift(seconds: float = 6.0, *, rise: float, opening_deg: float, start_s: float = 1.0, top_s: float = 2.0,
             hold_s: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t s, hip_rise torso lengths, shoulder-hip-knee deg) of one lift: up over top_s seconds (half a cosine), held
    hold_s, down as it went up."""
    t = np.arange(round(seconds * FPS)) / FPS
    up = np.clip((t - start_s) / top_s, 0, 1)
    down = np.clip((t - start_s - top_s - hold_s) / top_s, 0, 1)
    shape = 0.5 * (1 - np.cos(np.pi * up)) - 0.5 * (1 - np.cos(np.pi * down))
    return t, rise * shape, REST_DEG + opening_deg * shape


def test_a_short_lift_under_the_rise_minimum_is_a_rep_by_the_hips_opening_from_the_side_only():
    """The rendered heavy body's bridge stopping 25 deg short of straight, as MediaPipe read it: the hips rose 0.117
    torso lengths (under REP_MIN_RISE_TORSO) and the hip opened 13 deg."""
    t, rise, angle = one_lift(rise=0.117, opening_deg=13.0)
    assert lying_reps(rise, t) == []
    reps = lying_reps(rise, t, angle)
    assert len(reps) == 1
    assert 1.0 < reps[0].start_s < 1.7 and 2.9 < reps[0].peak_s < 4.1 and 5.0 < reps[0].end_s < 6.0
    assert reps[0].prominence == pytest.approx(13.0, abs=0.1)  # the angle's: this rep was found by the opening


@pytest.mark.parametrize("opening_deg, reps", [(REP_MIN_OPENING_DEG - 0.5, 0), (REP_MIN_OPENING_DEG + 0.5, 1)])
def test_the_opening_must_reach_its_minimum(opening_deg, reps):
    t, rise, angle = one_lift(rise=0.1, opening_deg=opening_deg)
    assert len(lying_reps(rise, t, angle)) == reps


@pytest.mark.parametrize("rise, reps", [(REP_MIN_RISE_WITH_OPENING_TORSO - 0.005, 0),
                                        (REP_MIN_RISE_WITH_OPENING_TORSO + 0.005, 1)])
def test_an_opening_without_the_hips_going_up_is_no_rep(rise, reps):
    """A thigh raised alone (a marching bridge) or a knee landmark that flickers opens the angle, not the hips."""
    t, hips, angle = one_lift(rise=rise, opening_deg=40.0)
    assert len(lying_reps(hips, t, angle)) == reps


def test_a_full_lift_is_one_rep_as_the_hips_alone_give_it():
    t, rise, angle = one_lift(rise=0.35, opening_deg=41.0)
    by_hips = lying_reps(rise, t)
    assert len(by_hips) == 1 and lying_reps(rise, t, angle) == by_hips


def test_a_full_and_a_short_lift_are_two_reps_in_time_order():
    t, rise_a, angle_a = one_lift(12.0, rise=0.35, opening_deg=41.0, start_s=1.0)
    _, rise_b, angle_b = one_lift(12.0, rise=0.1, opening_deg=13.0, start_s=6.5)
    rise, angle = rise_a + rise_b, angle_a + angle_b - REST_DEG
    assert len(lying_reps(rise, t)) == 1
    reps = lying_reps(rise, t, angle)
    assert len(reps) == 2 and 3.0 <= reps[0].peak_s <= 4.0 and 8.5 <= reps[1].peak_s <= 9.5
    assert reps[0].prominence == pytest.approx(0.35, abs=0.01) and reps[1].prominence == pytest.approx(13.0, abs=0.1)


def test_a_lift_the_clip_begins_in_is_not_a_rep_by_either_signal():
    t, rise, angle = one_lift(rise=0.1, opening_deg=13.0, start_s=-2.5)  # already going up at the first frame
    assert lying_reps(rise, t, angle) == []


@pytest.mark.parametrize("seed", range(5))
def test_landmark_noise_at_rest_makes_no_rep(seed):
    """Lying still, 20 s: hip height jitter 0.01 torso lengths and angle jitter 1.5 deg (frame to frame, smoothed as
    the cleaned track is) count nothing."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(20 * FPS)) / FPS
    kernel = np.ones(5) / 5
    rise = np.convolve(rng.normal(0, 0.01, t.size), kernel, "same")
    angle = REST_DEG + np.convolve(rng.normal(0, 1.5, t.size), kernel, "same")
    assert lying_reps(rise, t, angle) == []


def test_nan_angle_falls_back_to_the_hips():
    t, rise, _ = one_lift(rise=0.35, opening_deg=41.0)
    assert len(lying_reps(rise, t, np.full(t.size, np.nan))) == 1


# ---- dose-response on the exact rendered tracks --------------------------------------------------------------------

@pytest.mark.parametrize("body", ["default", "heavy", "wide_pelvis", "long_trunk"])
def test_a_bridge_stopping_26_deg_short_is_judged_on_every_body(body):
    """incomplete_lockout 30: the hips rise 0.10-0.12 torso lengths (under REP_MIN_RISE_TORSO on every body shape)
    and open 11-13 deg: one rep, and hip_lockout faults it; correct form stays one rep with no fault. At 35 the exact
    track opens 7-8 deg and rises 0.06-0.07: under REP_MIN_OPENING_DEG, still no lift to judge."""
    th = Thresholds.load()

    def report(magnitude: float):
        track = exact_track("bridge", {"incomplete_lockout": magnitude}, view="side", seconds=6.0, body=body)
        return track, analyze_track(track, exercise="bridge", view="side", thresholds=th).report

    track, short = report(30)
    rise = kinematics.compute(track)["hip_rise"]
    assert np.nanmax(rise) - np.nanmin(rise) < REP_MIN_RISE_TORSO
    assert len(short.reps) == 1
    assert [(f.severity, round(f.value)) for f in short.findings if f.rule == "hip_lockout"] in (
        [("fault", 26)], [("fault", 27)])
    _, correct = report(0)
    assert len(correct.reps) == 1 and not [f for f in correct.findings if f.rule == "hip_lockout"]
    _, shallow = report(35)
    assert shallow.reps == [] and "hip_lockout" in [n.rule for n in shallow.not_judged]


def test_the_feet_view_counts_by_the_hips_alone():
    """From the feet the shoulder-hip-knee angle is foreshortened (a full rendered lift opens 15 deg there, 41 from
    the side), so a degree minimum means nothing there: find_phases counts by the hip's opening from the side only."""
    opening = {}
    for view in ("feet", "side"):
        angle = kinematics.compute(exact_track("bridge", view=view, seconds=6.0))["trunk_thigh_signed_near"]
        opening[view] = np.nanmax(angle) - np.nanmin(angle)
    assert opening["feet"] < 0.5 * opening["side"]
    t, rise, angle = one_lift(rise=0.117, opening_deg=13.0)
    track = exact_track("bridge", view="side", seconds=t.size / FPS, fps=FPS)
    assert np.allclose(track.timestamps_s, t)
    kin = kinematics.Kinematics(t, {"hip_rise": rise, "trunk_thigh_signed_near": angle}, "left", 100.0)
    th = Thresholds.load()
    counted = {view: len(find_phases(track, kin, "bridge", view, th)[0]) for view in ("side", "feet")}
    assert counted == {"side": 1, "feet": 0}

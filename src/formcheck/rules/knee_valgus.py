"""knee_valgus: knees caving inward relative to hips and feet.

Evidence (front, back or feet view), chosen per frame:
- frontal-plane projection angle (FPPA, + = knee medial of the hip-ankle line) while the knee is bent no more
  than `fppa_max_knee_flexion_deg` (the larger of MediaPipe's 3D knee flexion and the flexion read from the thigh's
  and shank's image shortening: both fall short in a deep bend seen from the front, the 3D one by ~20 deg): beyond
  that the shank points at the camera and the 2D angle inflates (DESIGN.md, "Knee angle from the front");
- wherever FPPA is unreliable (deeper flexion, or a thigh or shank foreshortened toward the camera): how far the
  knee sits medial of its hip-ankle line in the image, over the leg's standing length (``knee_offset``). The knee's
  sideways position does not foreshorten when the shank points at the camera, and, unlike the knee/ankle
  separation ratio, it does not change with stance width (feet wider than the hips pull the ankles apart while the
  knees stay over the hip-ankle lines). Both feet down: the mean of both knees (a body turned a little from the
  camera moves one knee inward in the image by what it moves the other outward). A single-leg squat: each knee
  alone, so a deep pistol squat is judged, against its own limits (`one_knee_offset_*`: a correct deep single-leg
  squat already brings the knee in a little), over the pose model's measured gain (`offset_landmark_gain`). The
  free leg is judged too: held straight its knee sits on its own hip-ankle line, and the pose model, when the
  standing knee caves in across the other leg, can swap which foot moves (so "the foot that stays put" would
  pick the wrong leg). In a single-leg squat both readings take each planted foot's ankle where it stood as the rep
  began (``planted_ankles``): the pose model's point for the standing ankle slides onto the free foot.
Only completed reps (and, lying, holds) are judged: with none, the rule says so. Knees pushed wider than the feet on
purpose (frog pumps, a band pushed apart: knee/ankle separation >= `wide_knees_ratio`, both feet down) are not
valgus. Thresholds: thresholds.toml [knee_valgus].
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from formcheck import kinematics
from formcheck.results import KeySeries, NotJudged
from formcheck.rules.base import (RuleContext, RuleOutcome, a_view, findings_from_series, landmark_gain, register,
                                  unsteady_landmarks)
from formcheck.phases import Rep
from formcheck.signal_filters import running_median
from formcheck.track import PoseTrack, landmark_index, landmarks_xy

NAME = "knee_valgus"
FRONTAL_VIEWS = ("front", "back", "feet")
ONE_LEG = ("single_leg_squat",)
LEG_POINTS = ("left_knee", "right_knee", "left_ankle", "right_ankle")
# Side-on, the far hip is about a hip width (~1.2-1.5 torso lengths in MediaPipe's z scale, measured on the real
# side-view bridges) behind the near one; facing the camera, 0.05-0.6 (front squats) and up to ~0.9 (feet views).
MAX_HIP_DEPTH_GAP_TORSO = 1.0
HIP_DEPTH_WINDOW_S = 0.5
FACE_ON_SHARE = 0.8  # cos 37 deg: a segment tilted more than ~37 deg toward the camera is too foreshortened
MIN_ANKLE_GAP_TORSO = 0.4  # ankles at least this far apart (torso lengths) for the separation ratio to be read;
# side views put them at 0.1-0.3 (measured on the real side-view bridge clips), frontal views at 0.5-2.5


def _during_reps(ctx: RuleContext) -> np.ndarray:
    """(T,) bool: inside a completed rep (start to end) or a hold; all False when there is neither. Setting up,
    resting between sets (sitting down, knees together) or a rep cut off by the clip is not the movement judged."""
    inside = np.zeros(len(ctx.track), bool)
    for rep in ctx.reps:
        inside[rep.start_idx : rep.end_idx + 1] = True
    for hold in ctx.holds:
        inside[hold.start_idx : hold.end_idx] = True
    return inside


# One knee's offset (a single-leg squat; two knees' mean is steadier) is read through a running median over this
# long: a pose model's knee point jumps by ~0.02 leg lengths from frame to frame in a deep bend (exact tracks with
# formcheck.synth's landmark noise: a straight knee read 0.053 against a true 0.032 at 100 deg), which would
# otherwise pass the 0.1 s minimum duration; a knee caving in stays in for half a rep or more.
OFFSET_MEDIAN_S = 0.25


def _hips_level_in_depth(ctx: RuleContext) -> np.ndarray:
    """(T,) bool: this stretch of the clip faces the camera: both hips at a similar depth (MediaPipe z, running
    median over HIP_DEPTH_WINDOW_S) within MAX_HIP_DEPTH_GAP_TORSO torso lengths. Catches side-on stretches of an
    edited or turning clip whose overall view is frontal."""
    track = ctx.track
    gap = np.abs(track.joint("left_hip")[:, 2] - track.joint("right_hip")[:, 2]) * track.frame_width
    gap = gap / ctx.kin.torso_length_px
    width = max(1, int(round(HIP_DEPTH_WINDOW_S * track.fps)))
    with np.errstate(invalid="ignore"):  # all NaN (fewer than 2 depths): not facing the camera
        return running_median(gap, width, keep_nan=False) < MAX_HIP_DEPTH_GAP_TORSO


def _segments_face_on(ctx: RuleContext, side: str) -> np.ndarray:
    """(T,) bool: thigh and shank both at least FACE_ON_SHARE of their usual (90th percentile) image length.

    A limb pointing at the camera shrinks in the image; there the 2D knee angle is a projection artefact.
    MediaPipe's 3D knee flexion alone misses this (it underestimates deep flexion seen from the front).
    """
    track = ctx.track
    ok = np.ones(len(track), bool)
    for a, b in ((f"{side}_hip", f"{side}_knee"), (f"{side}_knee", f"{side}_ankle")):
        length = np.linalg.norm(track.xy_px(a) - track.xy_px(b), axis=-1)
        if not np.isfinite(length).any():
            return np.zeros(len(track), bool)
        ok &= np.nan_to_num(length, nan=0.0) >= FACE_ON_SHARE * np.nanpercentile(length, 90)
    return ok


def knee_offset(track, side: str) -> np.ndarray:
    """(T,) ratio: the knee's distance from the hip-ankle line in the image, + = medial (toward the other hip), over
    the leg's length (the 90th percentile over the clip of image hip-knee plus knee-ankle length, the least
    foreshortened). 0 = the knee straight over the line whatever the stance width; NaN where a point is missing."""
    h, k, a = (track.xy_px(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
    medial = track.xy_px(f"{'right' if side == 'left' else 'left'}_hip") - h
    line = a - h
    with np.errstate(invalid="ignore", divide="ignore"):
        normal = np.stack([-line[:, 1], line[:, 0]], axis=-1) / np.linalg.norm(line, axis=-1, keepdims=True)
        normal *= np.sign(np.sum(normal * medial, axis=-1))[:, None]  # point it toward the other hip
        distance = np.sum((k - h) * normal, axis=-1)
    leg = np.linalg.norm(k - h, axis=-1) + np.linalg.norm(a - k, axis=-1)
    length = np.nanpercentile(leg, 90) if np.isfinite(leg).any() else np.nan
    return distance / length if length > 0 else np.full(len(track), np.nan)


# A single-leg squat's standing foot stays where it was at the start of the rep. MediaPipe's ankle point for it does
# not: once the free leg hangs across in front of the standing shin, the ankle (and heel and toe) points slide up and
# inward onto the free foot, and then lose visibility (rendered single-leg squats through MediaPipe 0.10.21, the
# long_trunk body, 20 deg of valgus: the standing ankle read 30 px, 0.25 leg lengths, too high at the bottom, then
# fell below the 0.5 visibility gate for 1.1 s, longer than the cleaning bridges, so FPPA had no ankle there). An
# ankle pulled inward moves the hip-ankle line toward the knee: valgus reads low; pulled up, the shank reads
# foreshortened and FPPA is switched off. So the one-leg reading takes each ankle where it stood over this long
# before the rep began (9 frames at 30 fps: a median over the still foot, short enough that it stood there; over the
# 0.3 s before a rep starts the rendered sweeps' ankle points stay within 0.065 leg lengths of that median, median
# 0.025, 124 rep starts and sides).
PLANT_WINDOW_S = 0.3
# A foot is not planted when its ankle is this many torso lengths off its spot: above the other ankle as the rep
# begins, or below its spot during the rep (90th percentile). Calibration: the rendered single-leg squats
# (formcheck.synth through MediaPipe; default, wide_pelvis, long_trunk and sls_cal sweeps) start with both feet level
# (-0.01-0.01) and neither goes more than 0.04 below its spot; the real shallow single-leg squat
# (../shared/videos/squat/slsquat_front_good_*) starts with the free foot 0.45 above the standing one, which stays
# within 0.03 of its spot. The second test was added on seeing the report clip (slsquat_front_goodandbad_*, pistol
# squats): a free foot level at a rep's start, then brought forward toward the camera, 0.18-0.84 below its spot
# (its standing foot within 0.05 but one rep, 0.41, where the man stepped), read as a caving free knee. Below
# stance_asymmetry's 0.15 "foot off the ground" (a held stance, not a rep's start).
FOOT_OFF_SPOT_TORSO = 0.1


def planted_ankles(track: PoseTrack, reps: Sequence[Rep], torso_length_px: float) -> PoseTrack:
    """The track (PoseTrack) with each planted ankle's image point, from each rep's start to its end, held at its
    median over PLANT_WINDOW_S (s) up to the rep's start: where the foot stood. A foot that stays planted (a
    single-leg squat's standing foot) is then read where it is, not where the pose model's point drifts. A foot
    that is not planted keeps its measured points: already off the ground as the rep begins (its ankle more than
    FOOT_OFF_SPOT_TORSO torso lengths above the other's), or going more than that below its spot in the image
    during the rep (90th percentile; a planted foot cannot sink into the floor: a pistol squat's free leg brought
    forward, toward the camera, or a person who moved). So do frames outside reps, a side with no ankle seen in
    that window and frames without the person. torso_length_px: pixels."""
    landmarks = np.array(track.landmarks)
    width = max(1, int(round(PLANT_WINDOW_S * track.fps)))
    detected = track.detected
    limit = FOOT_OFF_SPOT_TORSO * torso_length_px / track.frame_height  # normalised image units
    index = {side: landmark_index(f"{side}_ankle") for side in ("left", "right")}
    for rep in reps:
        window = slice(max(rep.start_idx - width + 1, 0), rep.start_idx + 1)
        spot = {}
        for side, i in index.items():
            before = landmarks[window, i, :2]
            seen = np.isfinite(before).all(axis=1)
            spot[side] = np.median(before[seen], axis=0) if seen.any() else None
        during = np.arange(rep.start_idx, rep.end_idx + 1)
        during = during[detected[during]]
        for side, other in (("left", "right"), ("right", "left")):
            if spot[side] is None:
                continue
            if spot[other] is not None and spot[other][1] - spot[side][1] > limit:
                continue  # this foot is the one held up
            below = landmarks[during, index[side], 1] - spot[side][1]
            if np.isfinite(below).any() and np.nanpercentile(below, 90) > limit:
                continue  # brought forward, toward the camera (or the person moved): not where it stood
            landmarks[during, index[side], :2] = spot[side]
    return replace(track, landmarks=landmarks)


def with_planted_ankles(ctx: RuleContext) -> RuleContext:
    """ctx with planted_ankles' track, and the image series that read the ankle (FPPA, knee flexion from
    foreshortening) recomputed on it against the same body reference (full segment lengths)."""
    track = planted_ankles(ctx.track, ctx.reps, ctx.kin.torso_length_px)
    names = [f"{series}_{side}" for series in ("fppa", "knee_flexion_foreshortening") for side in ("left", "right")]
    again = kinematics.compute(track, names, body=ctx.kin.body)
    return replace(ctx, track=track, kin=replace(ctx.kin, series={**ctx.kin.series, **again.series}))


WORDS = "knees caving in"
THRESHOLDS = tuple(f"knee_valgus.{key}" for key in (
    "fppa_warn_deg", "fppa_fault_deg", "fppa_max_knee_flexion_deg", "offset_warn_leg", "offset_fault_leg",
    "one_knee_offset_warn_leg", "one_knee_offset_fault_leg", "offset_landmark_gain", "wide_knees_ratio",
    "min_duration_s", "min_judged_share", "max_landmark_jitter",
))


def _fppa_reliable(ctx: RuleContext, side: str, gate: float) -> np.ndarray:
    """(T,) bool: the 2D knee angle of `side` can be trusted: not a feet view, knee flexion <= gate (deg; the larger
    of two estimates that both fall short in a deep bend seen from the front), thigh and shank face-on."""
    if ctx.view == "feet":  # from the feet a lying person's shank always points at the camera
        return np.zeros(len(ctx.track), bool)
    flexion = np.fmax(ctx.kin[f"knee_flexion_3d_{side}"], ctx.kin[f"knee_flexion_foreshortening_{side}"])
    return (np.nan_to_num(flexion, nan=np.inf) <= gate) & _segments_face_on(ctx, side)


@register(NAME, exercises=("bridge", "hip_thrust", "squat", "single_leg_squat"), words=WORDS, thresholds=THRESHOLDS)
def knee_valgus(ctx: RuleContext) -> RuleOutcome:
    """Knees caving in: FPPA in shallow knee bends, the knee's offset from the hip-ankle line in deep ones."""
    if ctx.view not in FRONTAL_VIEWS:
        better = "feet" if ctx.exercise in ("bridge", "hip_thrust") else "front"
        return RuleOutcome.cannot_judge(
            NAME, f"{a_view(ctx.view)} cannot show the knees moving in or out", better_view=better
        )
    during_reps = _during_reps(ctx)
    if not during_reps.any():
        return RuleOutcome.cannot_judge(
            NAME, "no completed rep in this clip: the knees are judged over whole reps (a rep cut off by the clip's "
            "end, setting up or resting is not the movement). Film at least one whole rep, down and back up",
            better_view=None)
    unsteady = unsteady_landmarks(ctx, NAME, LEG_POINTS, "knees and ankles")
    if unsteady is not None:
        return unsteady
    th = lambda name: ctx.th[NAME, name]  # noqa: E731
    gate = th("fppa_max_knee_flexion_deg")
    one_leg = ctx.exercise in ONE_LEG
    if one_leg:  # each ankle where its foot stood when the rep began (planted_ankles)
        ctx = with_planted_ankles(ctx)
    frontal = _hips_level_in_depth(ctx) & during_reps
    if one_leg:
        # knees against feet means nothing with the free foot in the air
        ratio = np.full(len(ctx.track), np.nan)
    else:
        # The ratio means something only while the feet are seen apart (a frontal view of both legs): where the
        # ankles overlap in the image (a side-on stretch of an edited or turning clip) it divides by ~0.
        ankle_gap = np.linalg.norm(ctx.track.xy_px("left_ankle") - ctx.track.xy_px("right_ankle"), axis=-1)
        feet_apart = np.nan_to_num(ankle_gap / ctx.kin.torso_length_px, nan=0.0) >= MIN_ANKLE_GAP_TORSO
        ratio = np.where(feet_apart & frontal, ctx.kin["knee_ankle_ratio"], np.nan)
    wide_on_purpose = np.nan_to_num(ratio, nan=0.0) >= th("wide_knees_ratio")
    findings = []
    metrics: dict[str, float] = {}
    series = []
    fppa_frames = 0
    reliable = {side: _fppa_reliable(ctx, side, gate) for side in ("left", "right")}
    for side in ("left", "right"):
        fppa = np.where(reliable[side] & frontal & ~wide_on_purpose, ctx.kin[f"fppa_{side}"], np.nan)
        fppa_frames += int(np.isfinite(fppa).sum())
        findings += findings_from_series(
            ctx, rule=NAME, values=fppa, warn=th("fppa_warn_deg"), fault=th("fppa_fault_deg"), above=True,
            min_duration_s=th("min_duration_s"), unit="deg FPPA", side=side,
            evidence=f"frontal-plane projection angle, knee flexion <= {gate:.0f}°",
            cue=lambda v, when, side=side: (
                f"Your {side} knee caves in ({v:.0f}° inward of the hip–ankle line) at {when}. "
                "Push the knee out over your toes."
            ),
        )
        if np.isfinite(fppa).any():
            metrics[f"knee_valgus_max_fppa_{side}_deg"] = float(np.nanmax(fppa))
        series.append(
            KeySeries(
                name=f"fppa_{side}", label=f"Knee angle in the frontal plane, {side} (FPPA, + = inward)", unit="deg",
                values=fppa, rules=(NAME,), warn_above=th("fppa_warn_deg"), fault_above=th("fppa_fault_deg"),
                angle_points=(f"{side}_hip", f"{side}_knee", f"{side}_ankle"),
                # a single-leg squat's FPPA is read at the planted ankle: pictures draw that angle
                angle_xy=landmarks_xy(ctx.track, (f"{side}_hip", f"{side}_knee", f"{side}_ankle")) if one_leg else None,
            )
        )
    where = ("feet view: FPPA unreliable" if ctx.view == "feet" else
             f"where FPPA is unreliable (knee flexion > {gate:.0f}° or a thigh or shank pointing at the camera)")
    offsets: list[np.ndarray] = []
    if one_leg:
        # Each knee alone (no second foot down to average with), over what the pose model shows of the offset.
        gain = landmark_gain(ctx, NAME, "offset_landmark_gain")
        width = max(1, int(round(OFFSET_MEDIAN_S * ctx.track.fps)))
        for side in ("left", "right"):
            smooth = running_median(knee_offset(ctx.track, side), width) / gain
            offset = np.where(frontal & ~reliable[side], smooth, np.nan)
            offsets.append(offset)
            findings += findings_from_series(
                ctx, rule=NAME, values=offset, warn=th("one_knee_offset_warn_leg"),
                fault=th("one_knee_offset_fault_leg"), above=True, min_duration_s=th("min_duration_s"),
                unit="leg lengths inside the hip-ankle line", side=side,
                evidence=f"one knee medial of its hip-ankle line, over leg length, {where}",
                cue=lambda v, when, side=side: (
                    f"Your {side} knee moves inside the line from hip to ankle ({v:.0%} of your leg length) at "
                    f"{when}. Keep it over your foot: push it out."
                ),
            )
            series.append(
                KeySeries(
                    name=f"knee_offset_{side}",
                    label=f"Knee inside the hip-ankle line, {side} (share of leg length)",
                    unit="leg lengths", values=offset, rules=(NAME,), warn_above=th("one_knee_offset_warn_leg"),
                    fault_above=th("one_knee_offset_fault_leg"),
                )
            )
    else:
        # Both knees' offsets, averaged: valgus moves both knees inward, while a body turned a little from the camera
        # moves both the same way in the image (one reads inward by what the other reads outward).
        either_unreliable = ~(reliable["left"] & reliable["right"])
        both = 0.5 * (knee_offset(ctx.track, "left") + knee_offset(ctx.track, "right"))
        offset = np.where(either_unreliable & ~wide_on_purpose & np.isfinite(ratio), both, np.nan)
        offsets.append(offset)
        findings += findings_from_series(
            ctx, rule=NAME, values=offset, warn=th("offset_warn_leg"), fault=th("offset_fault_leg"), above=True,
            min_duration_s=th("min_duration_s"), unit="leg lengths inside the hip-ankle line", side=None,
            evidence=f"knees medial of the hip-ankle lines, over leg length, both knees' mean, {where}",
            cue=lambda v, when: (
                f"Your knees move inside the line from hip to ankle ({v:.0%} of your leg length) at {when}. "
                "Keep them over your feet: push them out."
            ),
        )
        series.append(
            KeySeries(
                name="knee_offset", label="Knees inside the hip-ankle lines (mean of both, share of leg length)",
                unit="leg lengths", values=offset, rules=(NAME,), warn_above=th("offset_warn_leg"),
                fault_above=th("offset_fault_leg"),
            )
        )
    if any(np.isfinite(o).any() for o in offsets):
        metrics["knee_valgus_max_offset_leg"] = float(max(np.nanmax(o) for o in offsets if np.isfinite(o).any()))
    metrics["knee_valgus_fppa_share"] = fppa_frames / (2 * max(int(ctx.track.detected.sum()), 1))
    judged = wide_on_purpose.copy()  # knees wider than the feet: judged, not valgus
    for s in series:
        judged |= np.isfinite(s.values)
    in_reps = during_reps & ctx.track.detected
    judged_share = float(judged[in_reps].mean()) if in_reps.any() else 0.0
    metrics["knee_valgus_judged_share"] = judged_share
    metrics["knee_valgus_wide_knees_share"] = float(wide_on_purpose.mean()) if len(wide_on_purpose) else 0.0
    flagged = any(f.severity in ("warning", "fault") for f in findings)
    if not flagged and judged_share < th("min_judged_share"):
        # "no valgus" would be a claim about frames the rule could not read
        return RuleOutcome(
            metrics=metrics, key_series=series,
            not_judged=NotJudged(
                rule=NAME, better_view=None,
                reason=(
                    f"the knees could be read on only {judged_share:.0%} of the movement (the hips turned from the "
                    "camera, or the knees and ankles not seen); "
                    "film from the front with the whole body in view"
                ),
            ),
        )
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)

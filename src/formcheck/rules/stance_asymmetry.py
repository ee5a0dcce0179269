"""stance_asymmetry: single-leg stance, left vs right: does the pelvis drop on the lifted side (Trendelenburg sign)?

Evidence (front or back view): which foot is lifted (its ankle clearly above the other, in torso lengths), and
during each side's stance the median pelvic drop toward the lifted side, in degrees. It is read from the waistband's
tilt (PoseTrack.waistline, formcheck.waistline) when a clear waistband was found on most of the stance, held steady
and agrees with the hip landmarks; otherwise from the hip landmarks' tilt after the offset and gain MediaPipe shows
in this pose (measured on rendered stances). The finding says which. A stance whose clear, steady waistband and hip
landmarks disagree beyond the landmarks' worst error is not judged: one of them misreads the pelvis (a stripe or a
loose hem; or hip points off on an unusual build: a broad-shouldered, narrow-hipped mannequin read 4.8 deg of drop
from its hip points on a level pelvis its waistband read as level). Thresholds: [stance_asymmetry].
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from formcheck.kinematics import other_side, torso_length_px
from formcheck.results import Finding, KeySeries
from formcheck.rules.base import (RuleContext, RuleOutcome, a_view, landmark_gain, landmark_offset, register, spans_over,
                                  waistband_tilt)

NAME = "stance_asymmetry"
FRONTAL_VIEWS = ("front", "back")
LIFTED_FOOT_TORSO = 0.15  # ankle this many torso lengths above the other = foot off the ground
MIN_STANCE_S = 1.0  # a stance shorter than this is a step, not a single-leg stance


def pelvic_drop_from_hip_line(ctx: RuleContext, tilt_toward_lifted_deg: np.ndarray) -> np.ndarray:
    """True-scale pelvic drop on the lifted side (deg, + = dropped) from the hip landmarks' tilt toward it (deg):
    MediaPipe reads the lifted leg's hip high and follows only part of the tilt ([stance_asymmetry] landmark offset
    and gain; exact synthetic tracks need neither)."""
    offset = landmark_offset(ctx, NAME, "landmark_drop_offset_deg")
    return (tilt_toward_lifted_deg - offset) / landmark_gain(ctx, NAME, "landmark_drop_gain")


def _drop_words(drop_deg: float) -> str:
    """'a 5 deg drop', 'a 1 deg rise' or 'no drop' for a pelvic drop on the lifted side (deg, + = dropped)."""
    whole = round(drop_deg)
    if whole == 0:
        return "no drop"
    article = "an" if str(abs(whole)).startswith("8") or abs(whole) in (11, 18) else "a"  # an 8, an 11, an 18
    return f"{article} {abs(whole)} deg {'drop' if whole > 0 else 'rise'}"


class WaistbandRead(NamedTuple):
    """One stance's waistband reading: `drop` (deg per frame, + = dropped on the lifted side) when trusted, else None
    and `why_not`; `conflict` when a clear, steady band and the hip landmarks disagree (then neither is trusted)."""

    drop: np.ndarray | None
    why_not: str = ""
    conflict: bool = False


def pelvic_drop_from_waistline(ctx: RuleContext, frames: np.ndarray, stance_side: str,
                               from_landmarks: np.ndarray) -> WaistbandRead:
    """Pelvic drop on the lifted side (deg, + = dropped) from the waistband's tilt on one stance's frames, or None and
    the reason it is not used: no waistline measured, too few frames with a clear full-width edge, an edge that does
    not hold steady (a hand, a fold), or one that disagrees with the hip landmarks' reading `from_landmarks` (deg,
    same frames) by more than their own worst error (a stripe or a loose shirt's hem, or hip points that read this
    build's pelvis wrong: `conflict`)."""
    read = waistband_tilt(ctx, frames)
    if read is None:
        return WaistbandRead(None, "no waistline measured: a pose track alone has no image")
    tilt, clear = read
    if clear.mean() < ctx.th[NAME, "waistline_min_share"]:
        return WaistbandRead(None, f"no clear waistband: one was found on {clear.mean():.0%} of the stance")
    stance_x = ctx.track.xy_px(stance_side + "_hip")[frames, 0]
    lifted_x = ctx.track.xy_px(other_side(stance_side) + "_hip")[frames, 0]
    drop = np.where(clear, tilt * np.sign(lifted_x - stance_x), np.nan)  # image tilt + = image-right end lower
    q25, q75 = np.nanpercentile(drop, [25, 75])
    if q75 - q25 > ctx.th[NAME, "waistline_max_spread_deg"]:
        return WaistbandRead(None, f"the waistband did not hold steady: its tilt spread {q75 - q25:.1f} deg")
    waist, landmarks = float(np.nanmedian(drop)), float(np.nanmedian(from_landmarks))
    if abs(waist - landmarks) > ctx.th[NAME, "waistline_max_disagreement_deg"]:
        return WaistbandRead(None, f"a clear waistband reads {_drop_words(waist)} on the lifted side and the hip "
                             f"landmarks {_drop_words(landmarks)}", conflict=True)
    return WaistbandRead(drop)


WORDS = "pelvis dropping in single-leg stance"
THRESHOLDS = tuple(f"stance_asymmetry.{key}" for key in (
    "drop_warn_deg", "drop_fault_deg", "side_difference_warn_deg", "landmark_drop_offset_deg", "landmark_drop_gain",
    "waistline_min_contrast", "waistline_min_coverage", "waistline_min_share", "waistline_max_spread_deg",
    "waistline_max_disagreement_deg",
))


@register(NAME, exercises=("single_leg_stance",), words=WORDS, thresholds=THRESHOLDS)
def stance_asymmetry(ctx: RuleContext) -> RuleOutcome:
    """Pelvic drop on the lifted side in single-leg stance, each side (deg), and the difference between sides."""
    if ctx.view not in FRONTAL_VIEWS:
        return RuleOutcome.cannot_judge(NAME, f"{a_view(ctx.view)} cannot show the pelvis tilting", better_view="front")
    track = ctx.track
    lift = (track.xy_px("right_ankle")[:, 1] - track.xy_px("left_ankle")[:, 1]) / torso_length_px(track)
    hip_tilt = ctx.kin["pelvic_obliquity"]  # deg, + = left hip lower, as the landmarks show it
    drop_warn, drop_fault = ctx.th[NAME, "drop_warn_deg"], ctx.th[NAME, "drop_fault_deg"]
    diff_warn = ctx.th[NAME, "side_difference_warn_deg"]
    drop_series = np.full(len(ctx.t), np.nan)
    findings: list[Finding] = []
    medians: dict[str, float] = {}
    metrics: dict[str, float] = {}
    waistband_sides: list[str] = []
    conflicts: dict[str, str] = {}  # stance side -> why neither reading is trusted
    for stance_side, lifted_mask, toward_lifted in (
        ("right", lift > LIFTED_FOOT_TORSO, 1.0),  # left foot up: standing on the right; left hip lower = +
        ("left", lift < -LIFTED_FOOT_TORSO, -1.0),
    ):
        runs = spans_over(np.nan_to_num(lifted_mask, nan=0).astype(bool), ctx.t, min_duration_s=MIN_STANCE_S)
        if not runs:
            continue
        frames = np.concatenate([np.arange(a, b) for a, b in runs])
        lifted = other_side(stance_side)
        from_landmarks = pelvic_drop_from_hip_line(ctx, toward_lifted * hip_tilt[frames])
        from_waist, why_not, conflict = pelvic_drop_from_waistline(ctx, frames, stance_side, from_landmarks)
        if conflict:  # one of them is wrong and nothing tells which: not judged (the plot leaves this stance empty)
            conflicts[stance_side] = why_not
            continue
        drop_series[frames] = from_landmarks if from_waist is None else from_waist
        drop = float(np.nanmedian(drop_series[frames]))
        medians[stance_side] = drop
        metrics[f"stance_drop_from_waistband_{stance_side}"] = float(from_waist is not None)
        if from_waist is not None:
            waistband_sides.append(stance_side)
        source = "the waistband's tilt" if from_waist is not None else f"the hip landmarks ({why_not})"
        if drop < drop_warn:
            continue
        severity, threshold = ("fault", drop_fault) if drop >= drop_fault else ("warning", drop_warn)
        findings.append(
            Finding(
                rule=NAME, severity=severity, side=stance_side,
                start_s=ctx.time_at(runs[0][0]), end_s=ctx.end_time_at(runs[-1][1] - 1), value=drop,
                threshold=threshold, unit="deg pelvic drop",
                cue=(
                    f"Standing on your {stance_side} leg, your pelvis drops {drop:.0f}° on the {lifted} side: "
                    f"the {stance_side} glute medius is not holding it level."
                ),
                evidence=f"pelvic drop toward the lifted foot during single-leg stance (front/back view), from {source}",
                peak_s=ctx.time_at(frames[np.nanargmax(drop_series[frames])]),
            )
        )
    metrics.update({f"stance_drop_standing_{side}_deg": value for side, value in medians.items()})
    if len(medians) == 2:
        difference = medians["left"] - medians["right"]
        metrics["stance_drop_difference_deg"] = difference
        if abs(difference) >= diff_warn:
            weaker = "left" if difference > 0 else "right"
            findings.append(
                Finding(
                    rule=NAME, severity="warning", side=weaker, start_s=float(ctx.t[0]),
                    end_s=ctx.end_time_at(len(ctx.t) - 1), value=abs(difference), threshold=diff_warn,
                    unit="deg difference",
                    cue=(
                        f"Your pelvis drops {abs(difference):.0f}° more when you stand on your {weaker} leg: "
                        f"the {weaker} side is the weaker one."
                    ),
                    evidence="median pelvic drop, left stance vs right stance",
                )
            )
    elif medians:
        only = next(iter(medians))
        other = other_side(only)
        cue = (f"Standing on the {other} leg was not judged: {conflicts[other]}, so neither can be trusted; the "
               "sides are not compared." if other in conflicts else
               f"Only the {only} leg was filmed standing: film both sides to compare them.")
        findings.append(
            Finding(
                rule=NAME, severity="info", side=only, start_s=float(ctx.t[0]), end_s=ctx.end_time_at(len(ctx.t) - 1),
                value=medians[only], threshold=diff_warn, unit="deg pelvic drop", cue=cue,
                evidence="single-leg stance judged on one side only",
            )
        )
    series = KeySeries(
        name="stance_pelvic_drop", label="Pelvic drop, lifted side", unit="deg",
        values=drop_series, rules=(NAME,), warn_above=drop_warn, fault_above=drop_fault,
        angle_points=("left_hip", "right_hip"), waistband_sides=tuple(waistband_sides),
    )
    if conflicts and not medians:
        reasons = "; ".join(f"standing on the {side} leg, {why}" for side, why in conflicts.items())
        outcome = RuleOutcome.cannot_judge(
            NAME, f"the waistband and the hip landmarks disagree about the pelvis's tilt ({reasons}): a stripe or "
            "a loose hem, or hip points that misread this build; neither is trusted", better_view=None)
        return RuleOutcome(not_judged=outcome.not_judged, metrics=metrics, key_series=[series])
    return RuleOutcome(findings=findings, metrics=metrics, key_series=[series])

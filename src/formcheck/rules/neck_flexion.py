"""neck_flexion: in a hip thrust, the head thrown back at the top instead of the chin staying tucked.

Evidence (side view): how far the face turns up from square to the trunk (the face's direction, mid-ear -> the
centroid of the nose, eyes and mouth, against the trunk's, mid-hip -> mid-shoulder), from the bottom of each rep to
its top; + = head extended back, - = chin tucked. Contreras et al. 2011 coach a tucked chin and forward gaze.
Thresholds: thresholds.toml [neck_flexion].
"""
from __future__ import annotations

import numpy as np

from formcheck.kinematics import angle_2d, mid_hip_px, mid_shoulder_px
from formcheck.results import KeySeries
from formcheck.rules.base import RuleContext, RuleOutcome, a_view, register
from formcheck.signal_filters import running_median
from formcheck.rules._sagittal import SIDE_VIEWS, judge_top, lift_tops, no_lift_to_judge

NAME = "neck_flexion"


FACE_POINTS = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
               "right_eye_outer", "mouth_left", "mouth_right")


def head_back_angle(ctx: RuleContext) -> np.ndarray:
    """(T,) deg: how far the face is turned up from square to the trunk, + = head extended back, - = chin tucked.

    90 - the image angle between the trunk's direction (mid-hip -> mid-shoulder) and the face's (mid-ear -> the
    centroid of FACE_POINTS): 0 = the face points straight out of the chest side. Unsigned in the image, so it holds
    whichever way the person faces; valid while the face is less than 90 deg from square. NaN where a point is
    missing.

    The head's own orientation, not where the nose sits from the shoulder point: on the heavy body MediaPipe's
    shoulder point moves ~(10, 6) px as the hips rise (toward the head and the floor; the exact shoulder stays on the
    bench), which turned the ~35 px shoulder -> nose line by about as much as the head moved (rendered hip thrust,
    neck knob 30 read 1.4 deg), while the ~120 px hip -> shoulder line turns by ~3 deg. The face's centroid rather
    than the nose alone: the ear -> nose line is ~22 px in the 640x360 renders, and formcheck.synth's 1.5 px landmark
    noise turned it by ~5 deg per frame (correct form read up to 7.5 deg on exact tracks with noise).
    """
    track = ctx.track
    hip, shoulder = mid_hip_px(track), mid_shoulder_px(track)
    ear = 0.5 * (track.xy_px("left_ear") + track.xy_px("right_ear"))
    face = np.mean([track.xy_px(name) for name in FACE_POINTS], axis=0)
    return 90.0 - angle_2d(ear + (shoulder - hip), ear, face)


def _rep_baselines(ctx: RuleContext, angle: np.ndarray) -> list[float]:
    """Head angle as each lift leaves the bottom (deg): median over BOTTOM_S either side of the rep's start (the
    clip's start where the rep starts sooner); the clip's 10th percentile where those frames have no value.

    Around the start, not after it: a rep starts once the hips have risen a fifth of the way (analysis.find_phases,
    base_fraction 0.2) and the head goes back as they rise, so the frames after the start already hold part of the
    head's movement. Measured from them, the exact neck-15 hip thrust read 11.1 deg of the face's 17.6 deg turn from
    rest to top, and the pose model's reading swung with when in the rise its head points moved (rendered neck 15:
    5.8 on the wide pelvis, 10.2 on the default body). Not only before it: a real lifter may tuck the chin as the
    hips leave the bench (queenworkout: -26 deg before the start, -33 after), which a window ending at the start
    would miss (its head-back fault read 6.3 instead of 10.8).
    """
    fallback = float(np.nanpercentile(angle, 10)) if np.isfinite(angle).any() else float("nan")
    frames = max(1, int(round(BOTTOM_S * ctx.track.fps)))
    baselines = []
    for rep in ctx.reps:
        bottom = angle[max(0, rep.start_idx - frames) : rep.start_idx + frames + 1]
        baselines.append(float(np.nanmedian(bottom)) if np.isfinite(bottom).any() else fallback)
    baselines += [fallback] * (len(lift_tops(ctx)) - len(baselines))
    return baselines


# s: each side of a rep's start: 19 frames at 30 fps, for the median to drop the jitter the running median leaves,
# and short beside the rendered hip thrust's rise (about 0.8 s from the bench to the top).
BOTTOM_S = 0.3
# s: shorter than the top of a rep (the synthetic hip thrust holds 1.0 s; its top quarter of hip rise lasts longer);
# on exact tracks with formcheck.synth's landmark noise (seeds 0-2, 4 bodies) correct form read up to 5.8 deg with it.
HEAD_MEDIAN_S = 0.5
WORDS = "head thrown back"
THRESHOLDS = ("neck_flexion.head_back_warn_deg", "neck_flexion.head_back_fault_deg")


@register(NAME, exercises=("hip_thrust",), words=WORDS, thresholds=THRESHOLDS)
def neck_flexion(ctx: RuleContext) -> RuleOutcome:
    """Head thrown back at the top of a hip thrust (keep the chin tucked)."""
    if ctx.view not in SIDE_VIEWS:
        return RuleOutcome.cannot_judge(NAME, f"{a_view(ctx.view)} cannot show the chin–chest angle", better_view="side")
    if not lift_tops(ctx):
        return no_lift_to_judge(ctx, NAME)
    warn = ctx.th[NAME, "head_back_warn_deg"]
    fault = ctx.th[NAME, "head_back_fault_deg"]
    # The head's pose at the top is held through the squeeze: a running median over HEAD_MEDIAN_S keeps it and drops
    # the face points' frame-to-frame jitter, which the worst frame of a top would otherwise read.
    angle = running_median(head_back_angle(ctx), max(1, int(round(HEAD_MEDIAN_S * ctx.track.fps))))
    baseline = _rep_baselines(ctx, angle)
    findings = []
    peaks = []
    for (label, frames), base in zip(lift_tops(ctx), baseline):
        peak, finding = judge_top(
            ctx, rule=NAME, frames=frames, values=angle - base, warn=warn, fault=fault, unit="deg head back",
            evidence="face direction (ears to face) vs trunk line, top of the rep vs its bottom (side view)",
            cue=lambda v, label=label: (
                f"At the top of {label} your head drops back {v:.0f}° more than at the bottom. Keep your "
                "chin tucked and look forward, over your knees, as the hips rise."
            ),
        )
        if peak is not None:
            peaks.append(peak)
        if finding is not None:
            findings.append(finding)
    metrics = {"neck_max_head_back_deg": float(np.max(peaks))} if peaks else {}
    series = KeySeries(
        name="head_back", label="Face turned up from square to the trunk (+ = head back, - = chin tucked)", unit="deg",
        values=angle,
        # not an angle at one landmark (the face's direction against the trunk's): no arc is drawn on key frames
        rules=(NAME,), angle_points=(),
    )
    return RuleOutcome(findings=findings, metrics=metrics, key_series=[series])

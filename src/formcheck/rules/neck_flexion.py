"""neck_flexion: in a hip thrust, the head thrown back at the top instead of the chin staying tucked.

Evidence (side view): the signed angle between the trunk line (mid-hip -> mid-shoulder) and the head line
(mid-shoulder -> nose) at the top of each rep; + = head extended back (ears below the trunk line's extension, toward
the floor), - = chin tucked. Contreras et al. 2011 coach a tucked chin and forward gaze. Thresholds:
thresholds.toml [neck_flexion].
"""
from __future__ import annotations

import numpy as np

from formcheck.kinematics import angle_2d, mid_hip_px, mid_shoulder_px, signed_distance_above_line
from formcheck.results import KeySeries
from formcheck.rules.base import RuleContext, RuleOutcome, a_view, register
from formcheck.rules._sagittal import SIDE_VIEWS, judge_top, lift_tops, no_lift_to_judge

NAME = "neck_flexion"


def head_back_angle(ctx: RuleContext) -> np.ndarray:
    """(T,) deg: head line (mid-shoulder -> nose) vs trunk line, + = head extended back (toward the floor),
    - = chin tucked. Image plane. The nose, not the ears: the nose is MediaPipe's most reliably placed face point
    in a profile (on the first, faceless mannequin its ears barely followed head extension)."""
    track = ctx.track
    head = track.xy_px("nose")
    hip, shoulder = mid_hip_px(track), mid_shoulder_px(track)
    magnitude = 180.0 - angle_2d(hip, shoulder, head)
    above = signed_distance_above_line(head, hip, shoulder)
    return np.where(np.isfinite(above), np.where(above < 0, magnitude, -magnitude), np.nan)


def _rep_baselines(ctx: RuleContext, angle: np.ndarray) -> list[float]:
    """Head angle at the bottom of each lift (deg): median over its first 0.3 s; the clip's 10th percentile otherwise."""
    fallback = float(np.nanpercentile(angle, 10)) if np.isfinite(angle).any() else float("nan")
    frames_03s = max(1, int(round(0.3 * ctx.track.fps)))
    baselines = []
    for rep in ctx.reps:
        start = angle[rep.start_idx : rep.start_idx + frames_03s]
        baselines.append(float(np.nanmedian(start)) if np.isfinite(start).any() else fallback)
    baselines += [fallback] * (len(lift_tops(ctx)) - len(baselines))
    return baselines


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
    angle = head_back_angle(ctx)
    baseline = _rep_baselines(ctx, angle)
    findings = []
    peaks = []
    for (label, frames), base in zip(lift_tops(ctx), baseline):
        peak, finding = judge_top(
            ctx, rule=NAME, frames=frames, values=angle - base, warn=warn, fault=fault, unit="deg head back",
            evidence="head line (shoulders to nose) vs trunk line, top of the rep vs its bottom (side view)",
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
        name="head_back", label="Head vs trunk line (+ = head back, - = chin tucked)", unit="deg", values=angle,
        rules=(NAME,), angle_points=("left_hip", "left_shoulder", "nose"),
    )
    return RuleOutcome(findings=findings, metrics=metrics, key_series=[series])

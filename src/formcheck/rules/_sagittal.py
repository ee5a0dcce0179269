"""Shared side-view helpers for the bridge/hip-thrust rules: where the tops of the lifts are."""
from __future__ import annotations

import numpy as np

from typing import Callable

from formcheck.kinematics import near_side
from formcheck.results import Finding
from formcheck.rules.base import RuleContext, RuleOutcome, rep_top_frames, severity_for

SIDE_VIEWS = ("side",)
# Square to the side, the far hip hides behind the near one, and the near thigh and shank show their own lengths.
# Turned off the side, the hips separate in the image (hip width / torso length: real side-view bridges and hip
# thrusts 0.08-0.16, rendered 0.06-0.10; exact projection 30 deg off the side 0.18-0.22, 45 deg 0.29-0.37, 60 deg
# 0.45-0.71), and toward the feet the thigh, which runs along the body, shortens while the upright shin does not
# (shank / thigh: real 0.83-1.0, rendered 0.95-1.0; 45 deg toward the feet 1.65). Past either limit the
# shoulder-hip-knee angle is foreshortened (exact projection: 12-25 deg "past straight" at 45-60 deg off the side on
# a correct bridge) and is not judged. At 30 deg off it reads 3-7 deg past straight, under the warning.
MAX_HIP_WIDTH_TORSO = 0.25
MAX_SHANK_THIGH_RATIO = 1.3


def off_side_reason(ctx: RuleContext) -> str | None:
    """Why the sagittal angles cannot be read although the view is 'side', or None: the hips apart in the image by
    more than MAX_HIP_WIDTH_TORSO torso lengths, or the near shank / thigh image length past MAX_SHANK_THIGH_RATIO
    (medians over the clip): a camera well off square to the side."""
    track = ctx.track
    side = near_side(track)
    length = lambda a, b: np.linalg.norm(track.xy_px(a) - track.xy_px(b), axis=-1)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        shank_thigh = length(f"{side}_knee", f"{side}_ankle") / length(f"{side}_hip", f"{side}_knee")
        hips = length("left_hip", "right_hip") / length(f"{side}_shoulder", f"{side}_hip")
    hips_apart = float(np.nanmedian(hips)) if np.isfinite(hips).any() else 0.0
    ratio = float(np.nanmedian(shank_thigh)) if np.isfinite(shank_thigh).any() else 0.0
    if hips_apart > MAX_HIP_WIDTH_TORSO:
        return (f"the camera is well off square to the side: the two hips are {hips_apart:.2f} torso lengths apart in "
                "the picture (they overlap from the side), so the shoulder–hip–knee angle is foreshortened")
    if ratio > MAX_SHANK_THIGH_RATIO:
        return (f"the camera is well off square to the side: the thigh looks {ratio:.1f} times shorter than the shin "
                "(about equal from the side), so the shoulder–hip–knee angle is foreshortened")
    return None


def lift_tops(ctx: RuleContext) -> list[tuple[str, np.ndarray]]:
    """(label, frame indices) for the top of each completed rep and of each hold outside a rep; empty if neither
    (a clip that ends mid-lift, or lying flat, has no top to judge: see no_lift_to_judge).

    The top of a rep: frames within the top quarter of its hip rise (kinematics `hip_rise`, torso lengths).
    """
    rise = ctx.kin["hip_rise"]
    tops: list[tuple[str, np.ndarray]] = []
    for number, rep in enumerate(ctx.reps, start=1):
        frames = rep_top_frames(rep, rise)
        if frames.size:
            tops.append((f"rep {number}", frames))
    in_reps = {int(i) for _, frames in tops for i in frames}
    for number, hold in enumerate(ctx.holds, start=1):
        frames = np.arange(hold.start_idx, hold.end_idx)
        if not in_reps.intersection(frames.tolist()):  # a pause at the top of a rep is that rep's top, judged once
            tops.append((f"hold {number}", frames))
    return tops


def no_lift_to_judge(ctx: RuleContext, rule: str) -> RuleOutcome:
    """Not judged: the clip has no completed rep and no hold (verdicts come from whole lifts only)."""
    return RuleOutcome.cannot_judge(
        rule, "no completed rep or hold in this clip: a lift cut off by the clip's end, or no lift at all, has no "
        "top to judge. Film at least one whole rep, hips up and back down", better_view=None)


def trunk_thigh_near(ctx: RuleContext) -> np.ndarray:
    """(T,) deg: shoulder-hip-knee angle on the side nearer the camera, > 180 = hip past the shoulder-knee line.

    The near shoulder sits farther out from the midline than the near hip, so a camera looking down reads this angle
    larger than the body's (exact projection of a correct bridge: +0.2 deg from 1 deg down, +2.5 from 9 deg, +3.9
    from 13 deg; thresholds.toml [lumbar_arch]). The midline does not carry that, but the far side is hidden from
    the side (gated or ~10 deg off on rendered video), so it is not used."""
    return ctx.kin["trunk_thigh_signed_near"]


def judge_top(
    ctx: RuleContext,
    *,
    rule: str,
    frames: np.ndarray,
    values: np.ndarray,
    warn: float,
    fault: float,
    unit: str,
    evidence: str,
    cue: Callable[[float], str],
) -> tuple[float | None, Finding | None]:
    """The worst (largest) value of `values` over one top's frames, and a Finding when it passes `warn`.

    The finding spans the top's frames that pass `warn`; its moment is the worst frame. (None, None) when the series
    has no value in those frames.
    """
    finite = frames[np.isfinite(values[frames])]
    if not finite.size:
        return None, None
    worst = int(finite[np.argmax(values[finite])])
    value = float(values[worst])
    severity = severity_for(value, warn, fault)
    if severity is None:
        return value, None
    over = finite[values[finite] >= warn]
    return value, Finding(
        rule=rule, severity=severity, side=None,
        start_s=ctx.time_at(over.min()), end_s=ctx.end_time_at(over.max()),
        value=value, threshold=fault if severity == "fault" else warn, unit=unit,
        cue=cue(value), evidence=evidence, peak_s=ctx.time_at(worst),
    )

"""Shared side-view helpers for the bridge/hip-thrust rules: where the tops of the lifts are."""
from __future__ import annotations

import numpy as np

from typing import Callable

from formcheck.results import Finding
from formcheck.rules.base import RuleContext, RuleOutcome, rep_top_frames, severity_for

SIDE_VIEWS = ("side",)


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
    """(T,) deg: shoulder-hip-knee angle on the side nearer the camera, > 180 = hip past the shoulder-knee line."""
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

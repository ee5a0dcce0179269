"""hip_lockout: the hips stop short of full extension at the top of a bridge or hip thrust ("squeeze at the top").

Evidence (side view): the best shoulder-hip-knee angle reached in each rep, short of 180 deg. Height itself does
not matter; the straight line does. Thresholds: thresholds.toml [hip_lockout].
"""
from __future__ import annotations

import numpy as np

from formcheck.results import Finding
from formcheck.rules.base import RuleContext, RuleOutcome, a_view, register, severity_for
from formcheck.rules._sagittal import SIDE_VIEWS, lift_tops, no_lift_to_judge, off_side_reason, trunk_thigh_near

NAME = "hip_lockout"


WORDS = "hips stopping short of full extension"
THRESHOLDS = ("hip_lockout.short_of_straight_warn_deg", "hip_lockout.short_of_straight_fault_deg")


@register(NAME, exercises=("bridge", "hip_thrust"), words=WORDS, thresholds=THRESHOLDS)
def hip_lockout(ctx: RuleContext) -> RuleOutcome:
    """Hips short of a straight shoulder-hip-knee line at the top: incomplete hip extension."""
    if ctx.view not in SIDE_VIEWS:
        return RuleOutcome.cannot_judge(NAME, f"{a_view(ctx.view)} cannot show the hip line", better_view="side")
    off_side = off_side_reason(ctx)
    if off_side:
        return RuleOutcome.cannot_judge(NAME, off_side, better_view="side")
    if not lift_tops(ctx):
        return no_lift_to_judge(ctx, NAME)
    warn = ctx.th["hip_lockout", "short_of_straight_warn_deg"]
    fault = ctx.th["hip_lockout", "short_of_straight_fault_deg"]
    angle = trunk_thigh_near(ctx)
    findings: list[Finding] = []
    shorts: list[float] = []
    for label, frames in lift_tops(ctx):
        values = angle[frames]
        if not np.isfinite(values).any():
            continue
        best = int(frames[np.nanargmax(values)])
        short = 180.0 - float(angle[best])
        shorts.append(short)
        severity = severity_for(short, warn, fault)
        if severity is None:
            continue
        findings.append(
            Finding(
                rule=NAME,
                severity=severity,
                side=None,
                start_s=ctx.time_at(frames.min()),
                end_s=ctx.end_time_at(frames.max()),
                value=short,
                threshold=fault if severity == "fault" else warn,
                unit="deg short of straight",
                cue=(
                    f"At the top of {label} your hips stop {short:.0f}° short of straight. Squeeze your glutes "
                    "and push the hips up until shoulders, hips and knees line up; height itself does not matter."
                ),
                evidence="shoulder–hip–knee angle (side view)",
                peak_s=ctx.time_at(best),
            )
        )
    metrics = {"hip_lockout_max_short_deg": float(np.max(shorts))} if shorts else {}
    return RuleOutcome(findings=findings, metrics=metrics)

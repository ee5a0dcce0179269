"""lumbar_arch ("back butt"): the lower back, not the glutes, pushes the hips up in a bridge or hip thrust.

Evidence (side view): at the top of each rep or hold, the shoulder-hip-knee angle past straight (> 180 deg: the
hips rise above the shoulder-knee line; the hip joint itself cannot extend much past neutral with the knees bent,
so the excess comes from the lumbar spine and an anterior pelvic tilt). Thresholds: thresholds.toml [lumbar_arch].
"""
from __future__ import annotations

import numpy as np

from formcheck.analysis_types import KeySeries
from formcheck.report.schema import Finding
from formcheck.rules.base import RuleContext, RuleOutcome, register, severity_for
from formcheck.rules._sagittal import SIDE_VIEWS, lift_tops, trunk_thigh_near

NAME = "lumbar_arch"


@register(NAME, exercises=("bridge", "hip_thrust"))
def lumbar_arch(ctx: RuleContext) -> RuleOutcome:
    """Hips pushed past straight at the top: arching the lower back instead of extending the hips."""
    if ctx.view not in SIDE_VIEWS:
        return RuleOutcome.cannot_judge(
            NAME, f"a {ctx.view} view cannot show the lower back's arch or the hip line", better_view="side"
        )
    warn = ctx.th["lumbar_arch", "past_straight_warn_deg"]
    fault = ctx.th["lumbar_arch", "past_straight_fault_deg"]
    angle = trunk_thigh_near(ctx)
    past_straight = angle - 180.0
    findings: list[Finding] = []
    peaks: list[float] = []
    for label, frames in lift_tops(ctx):
        values = past_straight[frames]
        if not np.isfinite(values).any():
            continue
        worst = int(frames[np.nanargmax(values)])
        peak = float(past_straight[worst])
        peaks.append(peak)
        severity = severity_for(peak, warn, fault)
        if severity is None:
            continue
        over = frames[past_straight[frames] >= warn]
        findings.append(
            Finding(
                rule=NAME,
                severity=severity,
                side=None,
                start_s=ctx.time_at(over.min()),
                end_s=ctx.end_time_at(over.max()),
                value=peak,
                threshold=fault if severity == "fault" else warn,
                unit="deg past straight",
                cue=(
                    f"At the top of {label} your hips go {peak:.0f}° past a straight shoulder–hip–knee line: "
                    "that is your lower back arching, not your glutes. Tuck your ribs down, tilt the pelvis back "
                    "and stop when shoulders, hips and knees form a straight line."
                ),
                evidence="shoulder–hip–knee angle (side view)",
                peak_s=ctx.time_at(worst),
            )
        )
    metrics = {}
    if peaks:
        metrics["lumbar_arch_max_past_straight_deg"] = float(np.max(peaks))
        metrics["lumbar_arch_median_past_straight_deg"] = float(np.median(peaks))
    series = KeySeries(
        name="trunk_thigh_near",
        label="Shoulder–hip–knee angle (180° = straight line)",
        unit="deg",
        values=angle,
        rules=(NAME, "hip_lockout", "hold_timer"),
        warn_above=180.0 + warn,
        fault_above=180.0 + fault,
        angle_points=(f"{ctx.kin.near_side}_shoulder", f"{ctx.kin.near_side}_hip", f"{ctx.kin.near_side}_knee"),
    )
    return RuleOutcome(findings=findings, metrics=metrics, key_series=[series])

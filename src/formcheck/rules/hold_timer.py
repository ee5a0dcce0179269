"""hold_timer: how long a correct bridge was held (hips up, shoulders-hips-knees within a tolerance of straight).

A bridge hold is a baseline glute endurance test (Freckleton et al. 2014: single-leg bridge, < 20 s weak). The
holds themselves come from the phases step (see analysis.find_phases); this rule reports them in plain words.
"""
from __future__ import annotations

from formcheck.results import Finding
from formcheck.rules.base import RuleContext, RuleOutcome, register

NAME = "hold_timer"


WORDS = "bridge hold time"
THRESHOLDS = ("hold.within_straight_deg", "hold.baseline_s")


@register(NAME, exercises=("bridge", "hip_thrust"), words=WORDS, thresholds=THRESHOLDS)
def hold_timer(ctx: RuleContext) -> RuleOutcome:
    """Bridge hold timer: time held at the top with a straight body line."""
    tolerance = ctx.th["hold", "within_straight_deg"]
    baseline = ctx.th["hold", "baseline_s"]
    straight_checked = ctx.view == "side"
    findings = []
    for number, hold in enumerate(ctx.holds, start=1):
        quality = (
            f"with shoulders, hips and knees within {tolerance:.0f}° of a straight line"
            if straight_checked
            else f"with the hips up (a {ctx.view} view cannot check the straight line; film from the side)"
        )
        note = "" if hold.duration_s >= baseline else f" A {baseline:.0f} s hold is a common baseline to work toward."
        findings.append(
            Finding(
                rule=NAME, severity="info", side=None, start_s=hold.start_s, end_s=hold.end_s,
                value=hold.duration_s, threshold=baseline, unit="s held",
                cue=f"Hold {number}: {hold.duration_s:.1f} s {quality}.{note}",
                evidence="time at the top (phases)",
                peak_s=(hold.start_s + hold.end_s) / 2,
            )
        )
    longest = max((h.duration_s for h in ctx.holds), default=0.0)
    return RuleOutcome(findings=findings, metrics={"hold_longest_s": longest, "holds": float(len(ctx.holds))})

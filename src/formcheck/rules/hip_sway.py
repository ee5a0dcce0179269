"""hip_sway: in walking, the pelvis drops on the swing side or swings side to side (weak gluteus medius).

Evidence (front or back view): pelvic obliquity during each stance phase, relative to the clip's median (camera
roll and a constant tilt removed), signed as the drop of the swing side, and divided by the measured gain of
MediaPipe's hip landmarks ([pelvis] landmark_obliquity_gain, times [hip_sway] landmark_drop_gain for the per-step
peaks); and the lateral displacement of the mid-hip, peak to peak per stride, in hip widths (running hip width, so
walking toward the camera does not inflate it), divided by [hip_sway] landmark_sway_gain. The gains are 1 on an
exact synthetic projection. Thresholds: thresholds.toml [hip_sway].
"""
from __future__ import annotations

import numpy as np

from formcheck.formats import format_span
from formcheck.kinematics import mid_hip_px, other_side
from formcheck.results import Finding, KeySeries
from formcheck.rules.base import (
    RuleContext,
    RuleOutcome,
    a_view,
    findings_from_series,
    landmark_gain,
    pelvic_obliquity_gain,
    register,
    severity_for,
    unsteady_landmarks,
)
from formcheck.signal_filters import butterworth_bridging_gaps, running_median

NAME = "hip_sway"
HIP_POINTS = ("left_hip", "right_hip")  # the landmarks whose steadiness decides whether it is judged
FRONTAL_VIEWS = ("front", "back")


# Pelvic obliquity in gait moves at the step frequency (~1-2 Hz); landmark jitter on a hip line a few dozen pixels
# wide is much faster. A 3 Hz zero-phase low-pass keeps the gait pattern (Winter 2009, ch. 3: gait kinematics
# content mostly below 6 Hz; pelvic frontal-plane motion below 3 Hz).
OBLIQUITY_CUTOFF_HZ = 3.0


def lateral_sway_hipw(ctx: RuleContext, *, window_s: float = 2.0) -> np.ndarray:
    """(T,) hip widths: mid-hip image x minus its running median over window_s seconds, / running hip width."""
    frames = max(3, int(round(window_s * ctx.track.fps)))
    x = mid_hip_px(ctx.track)[:, 0]
    hip_width = np.linalg.norm(ctx.track.xy_px("left_hip") - ctx.track.xy_px("right_hip"), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x - running_median(x, frames)) / running_median(hip_width, frames)


WORDS = "pelvis dropping or swaying sideways"
THRESHOLDS = (*(f"hip_sway.{key}" for key in (
    "obliquity_warn_deg", "obliquity_fault_deg", "sway_warn_hipw", "sway_fault_hipw", "landmark_drop_gain",
    "landmark_sway_gain", "max_landmark_jitter",
)), "pelvis.landmark_obliquity_gain")


@register(NAME, exercises=("walk",), words=WORDS, thresholds=THRESHOLDS)
def hip_sway(ctx: RuleContext) -> RuleOutcome:
    """Pelvis dropping on the swing side or swaying side to side while walking."""
    if ctx.view not in FRONTAL_VIEWS:
        return RuleOutcome.cannot_judge(
            NAME, f"{a_view(ctx.view)} cannot show the pelvis tilting or swaying sideways", better_view="front"
        )
    unsteady = unsteady_landmarks(ctx, NAME, HIP_POINTS, "hips")
    if unsteady is not None:
        return unsteady
    th = lambda name: ctx.th[NAME, name]  # noqa: E731
    gain = pelvic_obliquity_gain(ctx) * landmark_gain(ctx, NAME, "landmark_drop_gain")
    obliquity = butterworth_bridging_gaps(ctx.kin["pelvic_obliquity"], fs=ctx.track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ)
    obliquity = obliquity / gain
    obliquity = obliquity - np.nanmedian(obliquity) if np.isfinite(obliquity).any() else obliquity
    sway = lateral_sway_hipw(ctx) / landmark_gain(ctx, NAME, "landmark_sway_gain")
    findings: list[Finding] = []
    metrics: dict[str, float] = {}
    # Per stance: the largest drop of the swing side. Per stance leg: the median of those (a Trendelenburg-like
    # drop repeats every step; one noisy step is not a verdict), reported with the worst step as its moment.
    drops: dict[str, list[tuple[float, int, float, float]]] = {"left": [], "right": []}
    stances = ctx.gait.stances if ctx.gait else {}
    for stance_side, spans in stances.items():
        sign = 1.0 if stance_side == "right" else -1.0  # obliquity + = left hip lower = left (swing) side dropped
        for span in spans:
            segment = sign * obliquity[span.start_idx : span.end_idx]
            if np.isfinite(segment).any():
                worst = span.start_idx + int(np.nanargmax(segment))
                drops[stance_side].append((float(sign * obliquity[worst]), worst, span.start_s, span.end_s))
    for stance_side, steps in drops.items():
        if not steps:
            continue
        swing_side = other_side(stance_side)
        typical = float(np.median([d[0] for d in steps]))
        metrics[f"hip_sway_drop_standing_{stance_side}_deg"] = typical
        severity = severity_for(typical, th("obliquity_warn_deg"), th("obliquity_fault_deg"))
        if severity:
            worst = max(steps)
            over = [d for d in steps if d[0] >= th("obliquity_warn_deg")]
            findings.append(
                Finding(
                    rule=NAME, severity=severity, side=stance_side,
                    start_s=min(d[2] for d in over), end_s=max(d[3] for d in over), value=typical,
                    threshold=th("obliquity_fault_deg") if severity == "fault" else th("obliquity_warn_deg"),
                    unit="deg pelvic drop",
                    cue=(
                        f"Each time you stand on your {stance_side} leg your pelvis drops about {typical:.0f}° on the "
                        f"{swing_side} ({len(over)} of {len(steps)} steps, worst {worst[0]:.0f}° at "
                        f"{ctx.time_at(worst[1]):.1f} s): your {stance_side} glute medius is not holding it level. "
                        "Keep the hips level as you step."
                    ),
                    evidence=(
                        f"pelvic obliquity in stance, median over steps (front/back view); hip-landmark tilt "
                        f"/ {gain:.2f} (MediaPipe's hips show about {gain:.0%} of the true tilt)"
                    ),
                    peak_s=ctx.time_at(worst[1]),
                )
            )
    if not any(drops.values()):  # no gait events found: judge the whole clip
        for side, sign in (("left", 1.0), ("right", -1.0)):
            findings += findings_from_series(
                ctx, rule=NAME, values=sign * obliquity, warn=th("obliquity_warn_deg"),
                fault=th("obliquity_fault_deg"), above=True, min_duration_s=0.1, unit="deg pelvic drop",
                side=None, evidence="pelvic obliquity (no steps detected; whole clip)",
                cue=lambda v, when, side=side: f"Your pelvis drops {v:.0f}° on the {side} at {when}. Keep the hips level.",
            )
    strides = [s for spans in (ctx.gait.strides.values() if ctx.gait else []) for s in spans]
    windows = [(s.start_idx, s.end_idx) for s in strides] or _one_second_windows(ctx)
    excursions = []
    for start, end in windows:
        segment = sway[start:end]
        if np.isfinite(segment).sum() >= 3:
            excursions.append((float(np.nanmax(segment) - np.nanmin(segment)), start, end))
    if excursions:
        metrics["hip_sway_max_lateral_hipw"] = max(e[0] for e in excursions)
        metrics["hip_sway_median_lateral_hipw"] = float(np.median([e[0] for e in excursions]))
        worst_value, start, end = max(excursions)
        severity = severity_for(float(np.median([e[0] for e in excursions])), th("sway_warn_hipw"), th("sway_fault_hipw"))
        if severity:
            median_value = metrics["hip_sway_median_lateral_hipw"]
            findings.append(
                Finding(
                    rule=NAME, severity=severity, side=None,
                    start_s=ctx.time_at(windows[0][0]), end_s=ctx.end_time_at(windows[-1][1] - 1),
                    value=median_value,
                    threshold=th("sway_fault_hipw") if severity == "fault" else th("sway_warn_hipw"),
                    unit="hip widths side to side per stride",
                    cue=(
                        f"Your hips swing {median_value:.2f} hip widths side to side each stride (largest at "
                        f"{format_span(ctx.time_at(start), ctx.end_time_at(end - 1), instant_s=0)}). "
                        "Walk with the pelvis steady over your feet; strengthen the glute medius (side-lying leg raises, "
                        "band walks)."
                    ),
                    evidence="lateral pelvic displacement per stride (front/back view)",
                    peak_s=ctx.time_at(start + int(np.nanargmax(np.abs(sway[start:end])))),
                )
            )
    series = [
        KeySeries(
            name="pelvic_obliquity_rel", label="Pelvic obliquity vs its median (+ = left hip lower)", unit="deg",
            values=obliquity, rules=(NAME,), warn_above=th("obliquity_warn_deg"), fault_above=th("obliquity_fault_deg"),
            warn_below=-th("obliquity_warn_deg"), fault_below=-th("obliquity_fault_deg"),
            angle_points=("left_hip", "right_hip"),
        ),
        KeySeries(
            name="lateral_sway", label="Sideways hip position vs its running median", unit="hip widths",
            values=sway, rules=(NAME,),
        ),
    ]
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)


def _one_second_windows(ctx: RuleContext) -> list[tuple[int, int]]:
    step = max(2, int(round(ctx.track.fps)))
    return [(i, min(i + step, len(ctx.track))) for i in range(0, len(ctx.track), step)]

"""hip_sway: in walking, the pelvis drops on the swing side or swings side to side (weak gluteus medius).

Evidence (front or back view), two measures:

- **Pelvic drop** per stance: the largest tilt of the hip line toward the swing side during each stance, relative to
  the clip's median (camera roll and a constant tilt removed), median over the steps on each stance leg. A pose
  model's hip points follow only part of the pelvis's tilt, by an amount known for the rendered mannequin ([pelvis]
  landmark_obliquity_gain x [hip_sway] landmark_drop_gain, ~0.26) and not for real people (at most all of it,
  [hip_sway] landmark_drop_gain_max). The drop is judged only where the verdict is the same under both: a warning or
  fault when the tilt is past the limit even if the hip points showed all of it, silent when it is under the warning
  even if they showed only the rendered share; otherwise "not judged" (dividing a noisy tilt by a small gain
  would multiply its noise about four times). Steps whose tilt is beyond [hip_sway] max_step_tilt_deg are landmark
  errors (hips swapped or lost) and are left out.
- **Sideways sway** per stride: the mid-hip's sideways position, low-passed, less the straight line through the
  stride (the walker's own path: walking toward the camera, a drifting path or a panning camera move that line, not
  the sway around it), peak to peak, in hip widths measured over the same stride, divided by the pose model's
  measured gain ([hip_sway] landmark_sway_gain, 0.84); median over strides, judged on at least two strides.

An exact synthetic projection (gain 1) is judged with its exact tilt. Thresholds: thresholds.toml [hip_sway].
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
    landmark_gain,
    pelvic_obliquity_gain,
    register,
    severity_for,
    unsteady_landmarks,
)
from formcheck.signal_filters import butterworth_bridging_gaps

NAME = "hip_sway"
HIP_POINTS = ("left_hip", "right_hip")  # the landmarks whose steadiness decides whether it is judged
FRONTAL_VIEWS = ("front", "back")
MIN_STRIDES = 2


# Pelvic obliquity and sideways pelvic travel in gait move at the step frequency (~1-2 Hz); landmark jitter on a hip
# line a few dozen pixels wide is much faster. A 3 Hz zero-phase low-pass keeps the gait pattern (Winter 2009, ch. 3:
# gait kinematics content mostly below 6 Hz; pelvic frontal-plane motion below 3 Hz).
OBLIQUITY_CUTOFF_HZ = 3.0


def sway_per_stride(ctx: RuleContext) -> tuple[np.ndarray, list[tuple[float, int, int]]]:
    """((T,) hip widths, [(peak to peak, start_idx, end_idx)] per stride): the low-passed mid-hip image x less the
    straight line fitted through each stride, over the median hip width in that stride and the pose model's sway gain
    (1 for an exact projection). NaN outside strides."""
    track = ctx.track
    x = butterworth_bridging_gaps(mid_hip_px(track)[:, 0], fs=track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ)
    hip_width = np.linalg.norm(track.xy_px("left_hip") - track.xy_px("right_hip"), axis=-1)
    gain = landmark_gain(ctx, NAME, "landmark_sway_gain")
    series = np.full(len(track), np.nan)
    strides = [s for spans in (ctx.gait.strides.values() if ctx.gait else []) for s in spans]
    out = []
    for s in sorted(strides, key=lambda s: s.start_idx):
        seg = x[s.start_idx : s.end_idx]
        ok = np.isfinite(seg)
        width = np.nanmedian(hip_width[s.start_idx : s.end_idx]) if np.isfinite(hip_width[s.start_idx : s.end_idx]).any() else np.nan
        if ok.sum() < 5 or not width > 0:
            continue
        i = np.arange(len(seg))
        residual = (seg - np.polyval(np.polyfit(i[ok], seg[ok], 1), i)) / width / gain
        series[s.start_idx : s.end_idx] = residual
        out.append((float(np.nanmax(residual) - np.nanmin(residual)), s.start_idx, s.end_idx))
    return series, out


WORDS = "pelvis dropping or swaying sideways"
THRESHOLDS = (*(f"hip_sway.{key}" for key in (
    "obliquity_warn_deg", "obliquity_fault_deg", "sway_warn_hipw", "sway_fault_hipw", "landmark_drop_gain",
    "landmark_drop_gain_max", "landmark_sway_gain", "max_step_tilt_deg", "max_landmark_jitter",
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
    gain_low = pelvic_obliquity_gain(ctx) * landmark_gain(ctx, NAME, "landmark_drop_gain")
    gain_high = max(gain_low, landmark_gain(ctx, NAME, "landmark_drop_gain_max"))
    tilt = butterworth_bridging_gaps(ctx.kin["pelvic_obliquity"], fs=ctx.track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ)
    tilt = tilt - np.nanmedian(tilt) if np.isfinite(tilt).any() else tilt
    findings: list[Finding] = []
    metrics: dict[str, float] = {}
    undecided: list[str] = []
    # Per stance: the largest tilt toward the swing side. Per stance leg: the median of those (a Trendelenburg-like
    # drop repeats every step; one noisy step is not a verdict), reported with the worst step as its moment.
    drops: dict[str, list[tuple[float, int, float, float]]] = {"left": [], "right": []}
    stances = ctx.gait.stances if ctx.gait else {}
    for stance_side, spans in stances.items():
        sign = 1.0 if stance_side == "right" else -1.0  # tilt + = left hip lower = left (swing) side dropped
        for span in spans:
            segment = sign * tilt[span.start_idx : span.end_idx]
            if np.isfinite(segment).any() and np.nanmax(np.abs(segment)) <= th("max_step_tilt_deg"):
                worst = span.start_idx + int(np.nanargmax(segment))
                drops[stance_side].append((float(sign * tilt[worst]), worst, span.start_s, span.end_s))
    for stance_side, steps in drops.items():
        if not steps:
            continue
        swing_side = other_side(stance_side)
        raw = float(np.median([d[0] for d in steps]))
        low, high = raw / gain_high, raw / gain_low  # the true drop if the hip points showed all / the rendered share
        metrics[f"hip_sway_tilt_standing_{stance_side}_deg"] = raw
        metrics[f"hip_sway_drop_standing_{stance_side}_low_deg"] = low
        metrics[f"hip_sway_drop_standing_{stance_side}_high_deg"] = high
        severity = severity_for(low, th("obliquity_warn_deg"), th("obliquity_fault_deg"))
        if severity is None and high >= th("obliquity_warn_deg"):
            undecided.append(f"standing on the {stance_side} leg the hip line tilts {raw:.1f}° toward the {swing_side} "
                             f"per step, a pelvic drop of {low:.0f}-{high:.0f}°")
            continue
        if severity:
            worst = max(steps)
            over = [d for d in steps if d[0] / gain_high >= th("obliquity_warn_deg")]
            exact = gain_low == gain_high
            findings.append(
                Finding(
                    rule=NAME, severity=severity, side=stance_side,
                    start_s=min(d[2] for d in over), end_s=max(d[3] for d in over), value=low,
                    threshold=th("obliquity_fault_deg") if severity == "fault" else th("obliquity_warn_deg"),
                    unit="deg pelvic drop",
                    cue=(
                        f"Each time you stand on your {stance_side} leg your pelvis drops {'about' if exact else 'at least'} "
                        f"{low:.0f}° on the {swing_side} ({len(over)} of {len(steps)} steps, worst at "
                        f"{ctx.time_at(worst[1]):.1f} s): your {stance_side} glute medius is not holding it level. "
                        "Keep the hips level as you step."
                    ),
                    evidence=(
                        "hip-line tilt in stance, median over steps (front/back view)" if exact else
                        f"hip-line tilt in stance, median over steps (front/back view): {raw:.1f}°, taken as the "
                        "whole pelvic tilt (the least drop it can mean)"
                    ),
                    peak_s=ctx.time_at(worst[1]),
                )
            )
    sway, excursions = sway_per_stride(ctx)
    if len(excursions) >= MIN_STRIDES:
        values = [e[0] for e in excursions]
        metrics["hip_sway_max_lateral_hipw"] = max(values)
        metrics["hip_sway_median_lateral_hipw"] = median_value = float(np.median(values))
        severity = severity_for(median_value, th("sway_warn_hipw"), th("sway_fault_hipw"))
        if severity:
            worst_value, start, end = max(excursions)
            findings.append(
                Finding(
                    rule=NAME, severity=severity, side=None,
                    start_s=ctx.time_at(excursions[0][1]), end_s=ctx.end_time_at(excursions[-1][2] - 1),
                    value=median_value,
                    threshold=th("sway_fault_hipw") if severity == "fault" else th("sway_warn_hipw"),
                    unit="hip widths side to side per stride",
                    cue=(
                        f"Your hips swing {median_value:.2f} hip widths side to side each stride (largest at "
                        f"{format_span(ctx.time_at(start), ctx.end_time_at(end - 1), instant_s=0)}). "
                        "Walk with the pelvis steady over your feet; strengthen the glute medius (side-lying leg raises, "
                        "band walks)."
                    ),
                    evidence="sideways pelvic travel per stride around the walking path (front/back view)",
                    peak_s=ctx.time_at(start + int(np.nanargmax(np.abs(sway[start:end])))),
                )
            )
    elif not findings:
        undecided.append(f"sideways sway needs {MIN_STRIDES} strides, {len(excursions)} were found")
    series = [
        KeySeries(
            name="pelvic_obliquity_rel", label="Hip-line tilt vs its median, as measured (+ = left hip lower)",
            unit="deg", values=tilt, rules=(NAME,), warn_above=th("obliquity_warn_deg") * gain_high,
            fault_above=th("obliquity_fault_deg") * gain_high, warn_below=-th("obliquity_warn_deg") * gain_high,
            fault_below=-th("obliquity_fault_deg") * gain_high, angle_points=("left_hip", "right_hip"),
        ),
        KeySeries(
            name="lateral_sway", label="Sideways hip position around the walking path, per stride", unit="hip widths",
            values=sway, rules=(NAME,),
        ),
    ]
    if undecided and not findings:
        sway_words = (f"; sideways sway was {metrics['hip_sway_median_lateral_hipw']:.2f} hip widths per stride, "
                      "within normal" if "hip_sway_median_lateral_hipw" in metrics else "")
        outcome = RuleOutcome.cannot_judge(
            NAME,
            "the hip points cannot tell a pelvic drop from normal walking here: " + "; ".join(undecided)
            + f" (the pose model's hip points show between {gain_low:.0%} and {gain_high:.0%} of the true tilt)"
            + sway_words,
            better_view=None,
        )
        return RuleOutcome(not_judged=outcome.not_judged, metrics=metrics, key_series=series)
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)

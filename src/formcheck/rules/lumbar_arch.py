"""lumbar_arch ("back butt"): the lower back, not the glutes, pushes the hips up in a bridge or hip thrust.

Evidence (side view), per rep or hold:
1. primary, where the back's outline was traced at the top (PoseTrack.dorsal_contour, from the person mask;
   formcheck.contour): the lumbar angle at the top (deg, angle between the upper-trunk and pelvis tangents of the
   back's outline, + = extension, 0 = the two parallel: a straight back line). The change from the bottom of the
   rep (contour.lumbar_change) is not used: on the synthetic sweep the bottoms' outlines were bent by a hand or an
   arm lying against the pelvis (hip thrust bottoms read -30 deg on a neutral back), so it is not trustworthy yet.
2. otherwise, in a floor bridge whose front outline was traced at the top (PoseTrack.ventral_contour, same masks):
   the rib flare at the top (deg, the chest tangent's turn towards the back from the belly tangent,
   contour.rib_flare_deg). With the arms on the floor the near arm hides the upper back, never the front. Not for
   hip thrusts: the hands on the bar or the weight bend the front outline (rendered correct hip thrusts read 17 deg).
3. otherwise: at the top, the shoulder-hip-knee angle past straight (> 180 deg: the hips rise above the shoulder-knee
   line; the hip joint cannot extend much past neutral with the knees bent, so the excess comes from the lumbar
   spine and an anterior pelvic tilt).
Either outline's angle flags a top only where the hips are at or above the shoulder-knee line there (HIP_LINE_GATE_DEG):
the fault is the lower back pushing the hips up past the line the glutes would stop at. The absolute outline angle
carries the body's shape (the buttock's curve slopes the pelvis tangent): on real people with correct form it reads
12-20 deg at the top (the mannequin's straight back reads about 0).
Each finding's `evidence` names the measure used; metrics lumbar_arch_contour_reps / lumbar_arch_geometry_reps count
the reps judged each way (lumbar_arch_front_reps those judged by the rib flare),
lumbar_arch_rep<N>_lumbar_angle_deg gives the outline's angle at each traced top, lumbar_arch_rep<N>_rib_flare_deg
the rib flare at each top judged by the front, and
lumbar_arch_rep<N>_outline_visible_from_u, at an untraced top, where the back's outline began on its masks (0 at the
shoulder, 1 at the hip; the geometry finding's evidence says it in words).
Thresholds: thresholds.toml [lumbar_arch].
"""
from __future__ import annotations

import numpy as np

from formcheck.contour import (
    FRONT_OUTLINE_EXERCISES,
    OUTLINE_NOT_FOUND,
    track_apex_depth,
    track_lumbar_angle,
    track_rib_flare,
)
from formcheck.results import Finding, KeySeries
from formcheck.rules.base import RuleContext, RuleOutcome, a_view, register
from formcheck.rules._sagittal import (
    SIDE_VIEWS,
    judge_top,
    lift_tops,
    no_lift_to_judge,
    off_side_reason,
    trunk_thigh_near,
)

NAME = "lumbar_arch"
CONTOUR_EVIDENCE = "lumbar angle at the top, from the back's outline (person mask)"
FRONT_EVIDENCE = "rib flare at the top, from the front's outline (person mask)"
GEOMETRY_EVIDENCE = "shoulder–hip–knee angle (side view)"
# The straight shoulder-hip-knee line (deg past straight): an outline reading past its threshold is a fault only when
# the hips reach this line at that top. Not a fitted number: the fault's definition (DESIGN: "at the top the hips rise
# above the knee-shoulder line"). Measured margins: the mannequin's back_butt tops read +3.5..+13.5 deg past straight
# (thresholds.toml), real correct floor bridges -4..+6.3, and a real correct hip thrust whose outline read 15-20 deg
# at the top had its hips 11-12 deg short of straight.
HIP_LINE_GATE_DEG = 0.0


# A top's untraced masks are searched this far either side of the top's frames (s): the masks are planned at the
# rep's peak and contour_pass.TOP_SPREAD_S around it, which can fall just outside the top quarter of the rise.
NOTE_TOP_MARGIN_S = 0.15


def top_visible_from_u(ctx: RuleContext, frames: np.ndarray) -> float:
    """Where the back's outline began (u: 0 at the shoulder, 1 at the hip) on the untraced masks at one top: the
    median over the masked frames within NOTE_TOP_MARGIN_S of `frames` (contour_pass meta
    untraced_visible_from_u_at_s, keyed by time so a slice of the track reads it too);
    NaN when none was masked there or the outline reached no part of the pelvis."""
    info = ctx.track.meta.get("dorsal_contour", {})
    seen = info.get("untraced_visible_from_u_at_s", {}) if isinstance(info, dict) else {}
    if not seen or len(frames) == 0:
        return float("nan")
    t = ctx.track.timestamps_s
    lo, hi = t[int(np.min(frames))] - NOTE_TOP_MARGIN_S, t[int(np.max(frames))] + NOTE_TOP_MARGIN_S
    near = [float(u) for time_s, u in seen.items() if lo <= float(time_s) <= hi]
    return float(np.median(near)) if near else float("nan")


def _contour_note(ctx: RuleContext, visible_from_u: float = float("nan")) -> str:
    """Why the outline was not used at one top; visible_from_u: top_visible_from_u of that top."""
    info = ctx.track.meta.get("dorsal_contour", {})
    status = info.get("status") if isinstance(info, dict) else None
    if ctx.track.dorsal_contour is None and status != OUTLINE_NOT_FOUND:
        return status or "no body outline in this track (analysed without the video)"
    if np.isfinite(visible_from_u):
        # The lumbar angle needs the upper back's tangent (u 0.05-0.38, formcheck.contour.THORACIC_U). With the arms
        # on the floor of a bridge the near arm lies in front of the upper back in a side view, so the mask's edge
        # there is the arm's: measured on the real side-view bridges and the rendered one, the back's own edge began
        # 0.4-0.9 of the way down. A bridge reads the front's outline instead (FRONT_OUTLINE_EXERCISES).
        where = f"from {100 * max(visible_from_u, 0.0):.0f}% of the way from the shoulder to the hip"
        cause = (" (in a floor bridge the arm lying on the floor is in front of the upper back; with the arms raised "
                 "to the ceiling it stays in view)" if ctx.exercise == "bridge" else "")
        return f"at this rep's top the back's outline showed only {where}: too little of the upper back for the lumbar angle{cause}"
    if ctx.exercise == "bridge":
        return ("the upper part of the back's outline was hidden at this rep's top (in a floor bridge the arms lying "
                "on the floor cover it; with the arms raised to the ceiling it stays in view)")
    return "the back's outline was hidden at this rep's top or bottom"


WORDS = "lower back arching to lift the hips (\"back butt\")"
THRESHOLDS = tuple(f"lumbar_arch.{key}" for key in (
    "past_straight_warn_deg", "past_straight_fault_deg", "lumbar_top_warn_deg", "lumbar_top_fault_deg",
    "rib_flare_warn_deg", "rib_flare_fault_deg",
))


@register(NAME, exercises=("bridge", "hip_thrust"), words=WORDS, thresholds=THRESHOLDS)
def lumbar_arch(ctx: RuleContext) -> RuleOutcome:
    """Hips pushed up by the lower back: lumbar angle at the top (back outline), rib flare (a bridge's front outline)
    or hips past straight (landmarks)."""
    if ctx.view not in SIDE_VIEWS:
        return RuleOutcome.cannot_judge(
            NAME,
            f"{a_view(ctx.view)} cannot show the lower back's arch or the hip line (the back's outline is not used "
            "either: it is only seen from the side)",
            better_view="side",
        )
    off_side = off_side_reason(ctx)
    if off_side:
        return RuleOutcome.cannot_judge(NAME, off_side, better_view="side")
    if not lift_tops(ctx):
        return no_lift_to_judge(ctx, NAME)
    warn = ctx.th["lumbar_arch", "past_straight_warn_deg"]
    fault = ctx.th["lumbar_arch", "past_straight_fault_deg"]
    top_warn = ctx.th["lumbar_arch", "lumbar_top_warn_deg"]
    top_fault = ctx.th["lumbar_arch", "lumbar_top_fault_deg"]
    angle = trunk_thigh_near(ctx)
    past_straight = angle - 180.0
    lumbar = track_lumbar_angle(ctx.track)
    flare = track_rib_flare(ctx.track)
    flare_warn = ctx.th["lumbar_arch", "rib_flare_warn_deg"]
    flare_fault = ctx.th["lumbar_arch", "rib_flare_fault_deg"]
    findings: list[Finding] = []
    peaks: list[float] = []
    top_angles: list[float] = []
    flares: list[float] = []
    contour_reps = front_reps = geometry_reps = below_line_reps = 0
    per_top: dict[str, float] = {}
    for label, frames in lift_tops(ctx):
        hip_line = float(np.nanmax(past_straight[frames])) if np.isfinite(past_straight[frames]).any() else np.nan
        if np.isfinite(hip_line):
            peaks.append(hip_line)
        value, finding = judge_top(
            ctx, rule=NAME, frames=frames, values=lumbar, warn=top_warn, fault=top_fault,
            unit="deg lumbar extension", evidence=f"{CONTOUR_EVIDENCE} (side view)",
            cue=lambda v, label=label: (
                f"At the top of {label} your lower back is arched {v:.0f}° (outline of your back): "
                "the lower back, not the glutes, is lifting. Tuck your ribs down, tilt the pelvis back and keep "
                "the lower back flat as the hips rise."
            ),
        )
        key = label.replace(' ', '')
        from_outline = value is not None
        if from_outline:
            contour_reps += 1
            top_angles.append(value)
            per_top[f"lumbar_arch_{key}_lumbar_angle_deg"] = value
        else:
            seen_from = top_visible_from_u(ctx, frames)
            if np.isfinite(seen_from):
                per_top[f"lumbar_arch_{key}_outline_visible_from_u"] = seen_from
            note = _contour_note(ctx, seen_from)
            if ctx.exercise in FRONT_OUTLINE_EXERCISES:
                value, finding = judge_top(
                    ctx, rule=NAME, frames=frames, values=flare, warn=flare_warn, fault=flare_fault,
                    unit="deg rib flare", evidence=f"{FRONT_EVIDENCE} (side view); back outline not used: {note}",
                    cue=lambda v, label=label: (
                        f"At the top of {label} your ribs flare {v:.0f}° up off your belly line (outline of your "
                        "front): the lower back is arching to lift the hips, not the glutes. Tuck your ribs down, "
                        "tilt the pelvis back and keep the lower back flat as the hips rise."
                    ),
                )
                from_outline = value is not None
                if from_outline:
                    front_reps += 1
                    flares.append(value)
                    per_top[f"lumbar_arch_{key}_rib_flare_deg"] = value
            if not from_outline:
                if ctx.exercise in FRONT_OUTLINE_EXERCISES:
                    note += "; the front's outline was not traced at this top either"
                value, finding = judge_top(
                    ctx, rule=NAME, frames=frames, values=past_straight, warn=warn, fault=fault,
                    unit="deg past straight", evidence=f"{GEOMETRY_EVIDENCE}; back outline not used: {note}",
                    cue=lambda v, label=label: (
                        f"At the top of {label} your hips go {v:.0f}° past a straight shoulder–hip–knee line: "
                        "that is your lower back arching, not your glutes. Tuck your ribs down, tilt the pelvis back "
                        "and stop when shoulders, hips and knees form a straight line."
                    ),
                )
                geometry_reps += value is not None
        if from_outline and finding is not None and not hip_line >= HIP_LINE_GATE_DEG:
            finding = None  # the hips stayed below the shoulder-knee line: the outline's curve is the body's shape
            below_line_reps += 1
        if finding is not None:
            findings.append(finding)
    metrics = {
        "lumbar_arch_contour_reps": float(contour_reps),
        "lumbar_arch_front_reps": float(front_reps),
        "lumbar_arch_geometry_reps": float(geometry_reps),
        "lumbar_arch_contour_frames": float(np.isfinite(lumbar).sum()),
        "lumbar_arch_outline_below_hip_line_reps": float(below_line_reps),
        **per_top,
    }
    if peaks:
        metrics["lumbar_arch_max_past_straight_deg"] = float(np.max(peaks))
        metrics["lumbar_arch_median_past_straight_deg"] = float(np.median(peaks))
    if flares:
        metrics["lumbar_arch_max_top_rib_flare_deg"] = float(np.max(flares))
    if top_angles:
        metrics["lumbar_arch_max_top_lumbar_angle_deg"] = float(np.max(top_angles))
        metrics["lumbar_arch_median_top_lumbar_angle_deg"] = float(np.median(top_angles))
    # the hip line's bands only where a top was judged by it; otherwise the angle is context for the outline's verdict
    by_line = geometry_reps > 0 or not (contour_reps or front_reps)
    series = [KeySeries(
        name="trunk_thigh_near",
        label="Shoulder–hip–knee angle (180° = straight line)" + (
            "" if by_line else "; the arch was judged from the body's outline"),
        unit="deg",
        values=angle,
        rules=(NAME, "hip_lockout", "hold_timer"),
        warn_above=180.0 + warn if by_line else None,
        fault_above=180.0 + fault if by_line else None,
        angle_points=(f"{ctx.kin.near_side}_shoulder", f"{ctx.kin.near_side}_hip", f"{ctx.kin.near_side}_knee"),
    )]
    if np.isfinite(lumbar).any():
        series.append(KeySeries(
            name="lumbar_angle",
            label="Lumbar angle from the back's outline (+ = arched)",
            unit="deg",
            values=lumbar,
            rules=(NAME,),
            warn_above=top_warn,
            fault_above=top_fault,
        ))
        series.append(KeySeries(
            name="lumbar_apex_depth",
            label="Lumbar apex depth (+ = hollow back)",
            unit="torso lengths",
            values=track_apex_depth(ctx.track),
            rules=(NAME,),
        ))
    if front_reps:
        series.append(KeySeries(
            name="rib_flare",
            label="Rib flare from the front's outline (+ = ribs up off the belly line)",
            unit="deg",
            values=flare,
            rules=(NAME,),
            warn_above=flare_warn,
            fault_above=flare_fault,
        ))
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)

"""knee_valgus: knees caving inward relative to hips and feet.

Evidence (front, back or feet view), chosen per frame:
- frontal-plane projection angle (FPPA, + = knee medial of the hip-ankle line) while the knee is bent no more
  than `fppa_max_knee_flexion_deg` (3D knee flexion from world landmarks): beyond that the shank points at the
  camera and the 2D angle inflates (DESIGN.md, "Knee angle from the front");
- the knee separation / ankle separation ratio in deeper flexion (both feet down only).
Knees pushed wider than the feet on purpose (frog pumps, a band pushed apart: ratio >= `wide_knees_ratio`) are not
valgus. Thresholds: thresholds.toml [knee_valgus].
"""
from __future__ import annotations

import numpy as np

from formcheck.analysis_types import KeySeries
from formcheck.rules.base import RuleContext, RuleOutcome, findings_from_series, register

NAME = "knee_valgus"
FRONTAL_VIEWS = ("front", "back", "feet")
ONE_LEG = ("single_leg_squat",)
FACE_ON_SHARE = 0.8  # cos 37 deg: a segment tilted more than ~37 deg toward the camera is too foreshortened
MIN_ANKLE_GAP_TORSO = 0.4  # ankles at least this far apart (torso lengths) for the separation ratio to be read;
# side views put them at 0.1-0.3 (measured on the real side-view bridge clips), frontal views at 0.5-2.5


def _segments_face_on(ctx: RuleContext, side: str) -> np.ndarray:
    """(T,) bool: thigh and shank both at least FACE_ON_SHARE of their usual (90th percentile) image length.

    A limb pointing at the camera shrinks in the image; there the 2D knee angle is a projection artefact.
    MediaPipe's 3D knee flexion alone misses this (it underestimates deep flexion seen from the front).
    """
    track = ctx.track
    ok = np.ones(len(track), bool)
    for a, b in ((f"{side}_hip", f"{side}_knee"), (f"{side}_knee", f"{side}_ankle")):
        length = np.linalg.norm(track.xy_px(a) - track.xy_px(b), axis=-1)
        if not np.isfinite(length).any():
            return np.zeros(len(track), bool)
        ok &= np.nan_to_num(length, nan=0.0) >= FACE_ON_SHARE * np.nanpercentile(length, 90)
    return ok


@register(NAME, exercises=("bridge", "hip_thrust", "squat", "single_leg_squat"))
def knee_valgus(ctx: RuleContext) -> RuleOutcome:
    """Knees caving in: FPPA in shallow knee bends, knee/ankle separation in deep ones."""
    if ctx.view not in FRONTAL_VIEWS:
        better = "feet" if ctx.exercise in ("bridge", "hip_thrust") else "front"
        return RuleOutcome.cannot_judge(
            NAME, f"a {ctx.view} view cannot show the knees moving in or out", better_view=better
        )
    th = lambda name: ctx.th[NAME, name]  # noqa: E731
    gate = th("fppa_max_knee_flexion_deg")
    ratio = ctx.kin["knee_ankle_ratio"]
    # The ratio means something only while the feet are seen apart (a frontal view of both legs): where the
    # ankles overlap in the image (a side-on stretch of an edited or turning clip) it divides by ~0.
    ankle_gap = np.linalg.norm(ctx.track.xy_px("left_ankle") - ctx.track.xy_px("right_ankle"), axis=-1)
    feet_apart = np.nan_to_num(ankle_gap / ctx.kin.torso_length_px, nan=0.0) >= MIN_ANKLE_GAP_TORSO
    ratio = np.where(feet_apart, ratio, np.nan)
    wide_on_purpose = np.nan_to_num(ratio, nan=0.0) >= th("wide_knees_ratio")
    findings = []
    metrics: dict[str, float] = {}
    series = []
    fppa_frames = 0
    # From the feet, a lying person's shank always points at the camera (feet flat, knees bent): no FPPA there,
    # and MediaPipe's 3D knee flexion is unreliable in that foreshortened view, so it cannot gate it either.
    fppa_usable = ctx.view != "feet"
    for side in ("left", "right"):
        flexion = ctx.kin[f"knee_flexion_3d_{side}"]
        usable = (flexion <= gate) & ~wide_on_purpose & fppa_usable & _segments_face_on(ctx, side)
        fppa = np.where(usable, ctx.kin[f"fppa_{side}"], np.nan)
        fppa_frames += int(np.isfinite(fppa).sum())
        findings += findings_from_series(
            ctx, rule=NAME, values=fppa, warn=th("fppa_warn_deg"), fault=th("fppa_fault_deg"), above=True,
            min_duration_s=th("min_duration_s"), unit="deg FPPA", side=side,
            evidence=f"frontal-plane projection angle, knee flexion <= {gate:.0f}°",
            cue=lambda v, when, side=side: (
                f"Your {side} knee caves in ({v:.0f}° inward of the hip–ankle line) at {when}. "
                "Push the knee out over your toes."
            ),
        )
        if np.isfinite(fppa).any():
            metrics[f"knee_valgus_max_fppa_{side}_deg"] = float(np.nanmax(fppa))
        series.append(
            KeySeries(
                name=f"fppa_{side}", label=f"Knee angle in the frontal plane, {side} (FPPA, + = inward)", unit="deg",
                values=fppa, rules=(NAME,), warn_above=th("fppa_warn_deg"), fault_above=th("fppa_fault_deg"),
                angle_points=(f"{side}_hip", f"{side}_knee", f"{side}_ankle"),
            )
        )
    deep = np.full(len(ctx.track), not fppa_usable)
    for side in ("left", "right"):
        deep |= np.nan_to_num(ctx.kin[f"knee_flexion_3d_{side}"], nan=0.0) > gate
    ratio_used = ctx.exercise not in ONE_LEG
    if ratio_used:
        deep_ratio = np.where(deep & ~wide_on_purpose, ratio, np.nan)
        findings += findings_from_series(
            ctx, rule=NAME, values=deep_ratio, warn=th("separation_ratio_warn"), fault=th("separation_ratio_fault"),
            above=False, min_duration_s=th("min_duration_s"), unit="knee/ankle separation", side=None,
            evidence=(
                "knee/ankle separation ratio (feet view: FPPA unreliable)" if not fppa_usable
                else f"knee/ankle separation ratio, knee flexion > {gate:.0f}° (FPPA unreliable there)"
            ),
            cue=lambda v, when: (
                f"Your knees come together ({v:.2f} of your foot width apart) at {when}. "
                "Keep them over your feet: push them out."
            ),
        )
        if np.isfinite(deep_ratio).any():
            metrics["knee_valgus_min_separation_ratio"] = float(np.nanmin(deep_ratio))
        series.append(
            KeySeries(
                name="knee_ankle_ratio", label="Knee separation / ankle separation (< 1 = knees closer)",
                unit="ratio", values=deep_ratio, rules=(NAME,), warn_below=th("separation_ratio_warn"),
                fault_below=th("separation_ratio_fault"),
            )
        )
    metrics["knee_valgus_fppa_share"] = fppa_frames / (2 * max(int(ctx.track.detected.sum()), 1))
    metrics["knee_valgus_wide_knees_share"] = float(wide_on_purpose.mean()) if len(wide_on_purpose) else 0.0
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)

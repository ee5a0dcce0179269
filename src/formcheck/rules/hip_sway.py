"""hip_sway: in walking, the pelvis drops on the swing side or swings side to side (weak gluteus medius).

Evidence (front or back view), two measures:

- **Pelvic drop** per step: the peak tilt of the pelvis toward the swing side in each stance (the lobe of tilt that
  the stance overlaps most, so that gait events found a little early or late still read the step's peak), relative
  to the clip's median (camera roll and a constant tilt removed), median over the steps on each stance leg.
  It is read from the **waistband** (PoseTrack.waistline, formcheck.waistline: it sits on the pelvis and tilts with
  it one to one) where a clear one was found on most steps of that leg, its steps' median is steady, it agrees with
  the hip landmarks and, for a finding, the hip landmarks tilt with it; the drop is then compared with the limits as
  it is. Otherwise from the **hip landmarks**, which follow only part of the tilt: a share known for the rendered
  mannequin ([pelvis] landmark_obliquity_gain x [hip_sway] landmark_drop_gain, ~0.26) and not for real people (at
  most all of it, [hip_sway] landmark_drop_gain_max). Their reading is judged with an honest uncertainty
  (drop_verdict): a finding, as severe as the least drop the steps' median can mean (taken as the whole tilt), when
  even that less NOISE_Z standard errors is past the warning; silent when even the most (at the rendered share)
  plus the noise is under it; otherwise "not judged" (dividing a noisy tilt by a small gain would multiply its
  noise about four times). Steps whose tilt is beyond [hip_sway] max_step_tilt_deg are landmark errors (hips
  swapped or lost) and are left out.
- **Sideways sway** per stride: the mid-hip's sideways position, low-passed, less the picture's own sideways shift
  where the decode read it from the background (PoseTrack.camera_shift, formcheck.camera_motion: a hand-held
  camera's wander at the stride rhythm is not sway), less the straight line through the stride (the walker's own
  path: walking toward the camera, a drifting path or a panning camera move that line, not the sway around it),
  peak to peak, in hip widths, divided by the pose model's measured gain ([hip_sway] landmark_sway_gain_front or
  _back); median over strides, judged on at least two strides. The hip width is the
  hip-joint separation that goes with the leg length seen over the same stride ([hip_sway] hip_width_per_leg x the
  image hip -> knee -> ankle length), not the distance between the hip points: the pose model puts those on the
  body's outline rather than on the hip joints, so they sit further apart on a heavier build (rendered: 1.11 of the
  joints' separation on the default body, 1.24 on a heavy one, from the front) and the same sway read as less,
  while the leg's image length follows the skeleton alike on every rendered build (0.97-1.05 of the exact one).

An exact synthetic projection (gain 1) is judged with its exact tilt. Thresholds: thresholds.toml [hip_sway]; the
waistband's clarity limits are [stance_asymmetry]'s (the same edge, the same detector).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.interpolate import CubicSpline

from formcheck.formats import format_span
from formcheck.kinematics import mid_hip_px, other_side, segment_length_series_px
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
    waistband_tilt,
)
from formcheck.signal_filters import butterworth_bridging_gaps

NAME = "hip_sway"
HIP_POINTS = ("left_hip", "right_hip")  # the landmarks whose steadiness decides whether it is judged
FRONTAL_VIEWS = ("front", "back")
MIN_STRIDES = 2
MIN_STEPS = 2  # steps on one leg before its drop is judged (a Trendelenburg-like drop repeats every step)


# Pelvic obliquity and sideways pelvic travel in gait move at the step frequency (~1-2 Hz); landmark jitter on a hip
# line a few dozen pixels wide is much faster. A 3 Hz zero-phase low-pass keeps the gait pattern (Winter 2009, ch. 3:
# gait kinematics content mostly below 6 Hz; pelvic frontal-plane motion below 3 Hz).
OBLIQUITY_CUTOFF_HZ = 3.0
# The waistband is searched on a few frames a second while walking (waistline_pass.WALK_RATE_HZ, 10); the tilt is
# interpolated across gaps up to this long (a missed sample or two), not across a hand or a turn hiding the band.
MAX_BRIDGE_S = 0.35
MIN_STANCE_COVER = 0.8  # a stance is read from the waistband when the bridged waistband covers this share of it
# One-sided 95% (1.645 standard errors): the hip landmarks' reading is judged only where the verdict holds with
# the steps' noise as well as the unknown gain.
NOISE_Z = 1.645
MEDIAN_SE_FACTOR = 1.2533  # the standard error of a median is ~sqrt(pi/2) that of a mean (normal steps)


def waistband_obliquity(ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
    """((T,) deg, (T,) deg): the waistband's tilt as the pelvic obliquity (+ = the person's left side lower, as
    kinematics.pelvic_obliquity) on the frames where a clear edge was found (NaN elsewhere), and the same bridged
    across gaps up to MAX_BRIDGE_S and low-passed at OBLIQUITY_CUTOFF_HZ (NaN where not bridged). All NaN without
    a waistline. Clear: [stance_asymmetry] waistline_min_contrast and waistline_min_coverage."""
    track = ctx.track
    nothing = np.full(len(track), np.nan)
    read = waistband_tilt(ctx)
    if read is None:
        return nothing, nothing
    tilt, clear = read
    # image tilt + = image-right end lower; the person's left hip is on the image right in a front view
    order = np.nanmedian(np.sign(track.xy_px("left_hip")[:, 0] - track.xy_px("right_hip")[:, 0]))
    if not order:
        return nothing, nothing
    samples = np.where(clear & np.isfinite(tilt), tilt * np.sign(order), np.nan)
    seen = np.flatnonzero(np.isfinite(samples))
    if seen.size < 2:
        return samples, nothing
    t = track.timestamps_s
    # per run of samples no further apart than MAX_BRIDGE_S, a cubic spline through them: linear interpolation
    # would cut each stance's peak by up to 4% (a 1 Hz tilt read 10 times a second, its peak midway between two)
    dense = np.full(len(t), np.nan)
    breaks = np.flatnonzero(np.diff(t[seen]) > MAX_BRIDGE_S) + 1
    for run in np.split(seen, breaks):
        if run.size >= 2:
            dense[run[0] : run[-1] + 1] = CubicSpline(t[run], samples[run])(t[run[0] : run[-1] + 1])
        else:
            dense[run] = samples[run]
    return samples, butterworth_bridging_gaps(dense, fs=track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ, min_finite=5)


def stance_windows(ctx: RuleContext) -> list[tuple[str, int, int, float, float]]:
    """(stance side, first frame, end frame exclusive, start s, end s) of each stance, from its heel strike until
    the other foot's next heel strike or its own toe off, whichever comes first: the loading response and single
    support, where a Trendelenburg-like drop peaks (Perry & Burnfield 2010, ch. 8); the double support that ends a
    stance starts the next one. In time order."""
    stances = ctx.gait.stances if ctx.gait else {}
    starts = sorted(span.start_idx for spans in stances.values() for span in spans)
    windows = []
    for stance_side, spans in stances.items():
        for span in spans:
            later = [i for i in starts if i > span.start_idx]
            end = min(span.end_idx, later[0]) if later else span.end_idx
            windows.append((stance_side, span.start_idx, end, span.start_s, span.end_s))
    return sorted(windows, key=lambda w: w[1])


def positive_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first, end exclusive) of each run of frames where values > 0 (NaN ends a run)."""
    above = np.nan_to_num(values, nan=-1.0) > 0
    edges = np.diff(np.r_[0, above.astype(int), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


class Step(NamedTuple):
    drop_deg: float  # the largest tilt toward the swing side in the step (+ = swing side lower)
    worst_idx: int
    start_s: float
    end_s: float
    first: int  # the frames the drop was read on (the step's lobe, or its stance window)
    end: int


def stance_drops(ctx: RuleContext, tilt: np.ndarray, *, min_cover: float = 0.0) -> dict[str, list[Step]]:
    """Per stance leg, one Step per stance window (stance_windows) where `tilt` ((T,) deg, + = left side lower)
    covers at least min_cover of the frames: the peak of the lobe of tilt toward the swing side that overlaps the
    window most (the drop rises and falls within the step; a window found a little early or late by the gait
    events, as from behind where the swinging foot's perspective shifts them, still reads the same peak), or the
    window's largest value where no lobe overlaps it. Steps whose tilt passes [hip_sway] max_step_tilt_deg are
    left out."""
    drops: dict[str, list[Step]] = {"left": [], "right": []}
    lobes = {1.0: positive_runs(tilt), -1.0: positive_runs(-tilt)}
    for stance_side, first, end, start_s, end_s in stance_windows(ctx):
        sign = 1.0 if stance_side == "right" else -1.0  # tilt + = left hip lower = left (swing) side dropped
        finite = np.isfinite(tilt[first:end])
        if not finite.any() or finite.mean() < min_cover:
            continue
        overlaps = [(min(end, b) - max(first, a), a, b) for a, b in lobes[sign] if a < end and b > first]
        a, b = (max(overlaps)[1:] if overlaps else (first, end))
        segment = sign * tilt[a:b]
        if np.nanmax(np.abs(segment)) <= ctx.th[NAME, "max_step_tilt_deg"]:
            worst = a + int(np.nanargmax(segment))
            drops[stance_side].append(Step(float(sign * tilt[worst]), worst, start_s, end_s, int(a), int(b)))
    return drops


def median_and_error(values: list[float]) -> tuple[float, float]:
    """(median, its standard error) of the steps' drops, deg; the error is NaN for one step."""
    v = np.asarray(values, float)
    se = MEDIAN_SE_FACTOR * float(np.std(v, ddof=1)) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return float(np.median(v)), se


def stance_series(ctx: RuleContext, tilt: np.ndarray, sides: tuple[str, ...] = ("left", "right")) -> np.ndarray:
    """(T,) deg, for plots: `tilt` turned into the drop toward the swing side (+ = the swing side lower) in each
    stance window (stance_windows) of the given stance legs, NaN outside them. Between windows the line stays
    continuous: the pelvis passes level as the weight moves to the other foot."""
    out = np.full(len(tilt), np.nan)
    for stance_side, first, end, _, _ in stance_windows(ctx):
        if stance_side in sides:
            out[first:end] = (1.0 if stance_side == "right" else -1.0) * tilt[first:end]
    return out


def leg_length_px(track) -> np.ndarray:
    """(T,) px: the image length of the leg, hip -> knee -> ankle, the mean of the two legs (NaN where a point of
    either leg is missing)."""
    return 0.5 * sum(segment_length_series_px(track, side, segment)
                     for side in ("left", "right") for segment in ("thigh", "shank"))


def sway_per_stride(ctx: RuleContext) -> tuple[np.ndarray, list[tuple[float, int, int]]]:
    """((T,) hip widths, [(peak to peak, start_idx, end_idx)] per stride): the low-passed mid-hip image x (less
    the low-passed camera shift when the track has one) less the straight line fitted through each stride, from its
    lowest point in the stride (so each stride's peak is its peak to peak), over the hip width in that stride
    ([hip_sway] hip_width_per_leg x the median leg_length_px over the stride; a stride needs the feet, so the legs
    are seen) and the pose model's sway gain (1 for an exact projection). NaN outside strides."""
    track = ctx.track
    x = butterworth_bridging_gaps(mid_hip_px(track)[:, 0], fs=track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ)
    if track.camera_shift is not None:  # in a frame that stays with the ground: a hand-held camera's wander is not sway
        x = x - butterworth_bridging_gaps(track.camera_shift[:, 0], fs=track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ)
    hip_width = ctx.th[NAME, "hip_width_per_leg"] * leg_length_px(track)
    gain = landmark_gain(ctx, NAME, "landmark_sway_gain_back" if ctx.view == "back" else "landmark_sway_gain_front")
    series = np.full(len(track), np.nan)
    strides = [s for spans in (ctx.gait.strides.values() if ctx.gait else []) for s in spans]
    out = []
    for s in sorted(strides, key=lambda s: s.start_idx):
        seg = x[s.start_idx : s.end_idx]
        ok = np.isfinite(seg)
        widths = hip_width[s.start_idx : s.end_idx]
        width = np.nanmedian(widths) if np.isfinite(widths).any() else np.nan
        if ok.sum() < 5 or not width > 0:
            continue
        i = np.arange(len(seg))
        residual = (seg - np.polyval(np.polyfit(i[ok], seg[ok], 1), i)) / width / gain
        residual = residual - np.nanmin(residual)
        series[s.start_idx : s.end_idx] = np.fmax(series[s.start_idx : s.end_idx], residual)  # overlapping strides
        out.append((float(np.nanmax(residual)), s.start_idx, s.end_idx))
    return series, out


WORDS = "pelvis dropping or swaying sideways"
THRESHOLDS = (*(f"hip_sway.{key}" for key in (
    "obliquity_warn_deg", "obliquity_fault_deg", "sway_warn_hipw", "sway_fault_hipw", "hip_width_per_leg",
    "landmark_drop_gain",
    "landmark_drop_gain_max", "landmark_sway_gain_front", "landmark_sway_gain_back", "max_step_tilt_deg",
    "max_landmark_jitter",
    "waistline_max_step_error_deg", "waistline_max_disagreement_deg", "waistline_min_correlation",
)), "pelvis.landmark_obliquity_gain", "stance_asymmetry.waistline_min_contrast",
    "stance_asymmetry.waistline_min_coverage")


class LegDrop(NamedTuple):
    """One stance leg's pelvic drop, as judged (deg, + = the swing side lower)."""

    side: str
    steps: list[Step]
    low: float  # the least true drop the reading can mean (deg): all of the tilt shown
    high: float  # the most (deg): the rendered share shown
    least: float  # the least less the steps' noise (NOISE_Z standard errors of their median)
    most: float  # the most plus the steps' noise
    source: str  # "waistband" or "hip landmarks"
    why_not_waistband: str


def tilt_correlation(hip_tilt: np.ndarray, waist_samples: np.ndarray) -> float:
    """Pearson correlation, over the frames where both are known, of the hip landmarks' tilt and the waistband's
    (each (T,) deg); NaN on fewer than 5 such frames or a constant series."""
    both = np.isfinite(hip_tilt) & np.isfinite(waist_samples)
    if both.sum() < 5 or np.std(hip_tilt[both]) == 0 or np.std(waist_samples[both]) == 0:
        return float("nan")
    return float(np.corrcoef(hip_tilt[both], waist_samples[both])[0, 1])


def leg_drops(ctx: RuleContext, hip_tilt: np.ndarray, waist_tilt: np.ndarray,
              waist_samples: np.ndarray | None = None) -> list[LegDrop]:
    """Each stance leg's drop from the waistband where it can be trusted (module docstring), else from the hip
    landmarks' tilt with its uncertainty. hip_tilt, waist_tilt: (T,) deg relative to their medians, + = left lower;
    waist_samples: the waistband's tilt on the frames it was read (waistband_obliquity), for the correlation check."""
    th = lambda name: ctx.th[NAME, name]  # noqa: E731
    correlation = tilt_correlation(hip_tilt, waist_tilt if waist_samples is None else waist_samples)
    gain_low, gain_high = drop_gains(ctx)
    from_hips = stance_drops(ctx, hip_tilt)
    from_waist = stance_drops(ctx, waist_tilt, min_cover=MIN_STANCE_COVER)
    legs = []
    for side in ("left", "right"):
        hip_steps, waist_steps = from_hips[side], from_waist[side]
        if not hip_steps and not waist_steps:
            continue
        why_not = ""
        if ctx.track.waistline is None:
            why_not = "no waistband measured"
        elif len(waist_steps) < max(MIN_STEPS, len(hip_steps) // 2 + 1):
            why_not = f"a clear waistband on {len(waist_steps)} of {max(len(hip_steps), len(waist_steps))} steps"
        else:
            waist, waist_se = median_and_error([s.drop_deg for s in waist_steps])
            hips = float(np.median([s.drop_deg for s in hip_steps])) if hip_steps else float("nan")
            # the hip points show between gain_low and gain_high of the tilt the waistband shows
            expected_low, expected_high = sorted((gain_low * waist, gain_high * waist))
            off = max(expected_low - hips, hips - expected_high, 0.0) if np.isfinite(hips) else 0.0
            if not waist_se <= th("waistline_max_step_error_deg"):
                why_not = f"the waistband's drop varied from step to step (standard error {waist_se:.1f}°)"
            elif off > th("waistline_max_disagreement_deg"):
                why_not = (f"the waistband's drop, {waist:.0f}°, disagrees with the hip landmarks' tilt, "
                           f"{hips:.0f}°")
            elif waist >= ctx.th[NAME, "obliquity_warn_deg"] and not correlation >= th("waistline_min_correlation"):
                why_not = (f"the waistband tilts {waist:.0f}° per step but the hip landmarks do not tilt with it "
                           f"(correlation {correlation:.2f}): a loose hem, not the pelvis")
            else:
                legs.append(LegDrop(side, waist_steps, waist, waist, waist, waist, "waistband", ""))
                continue
        legs.append(hip_leg_drop(side, hip_steps, gain_low, gain_high, why_not))
    return legs


def drop_gains(ctx: RuleContext) -> tuple[float, float]:
    """(least, most) share of the pelvis's tilt the hip landmarks show: the rendered mannequin's ([pelvis]
    landmark_obliquity_gain x [hip_sway] landmark_drop_gain) and at most all of it ([hip_sway] landmark_drop_gain_max);
    1 and 1 for an exact projection."""
    gain_low = pelvic_obliquity_gain(ctx) * landmark_gain(ctx, NAME, "landmark_drop_gain")
    return gain_low, max(gain_low, landmark_gain(ctx, NAME, "landmark_drop_gain_max"))


def hip_leg_drop(side: str, steps: list[Step], gain_low: float, gain_high: float, why_not: str) -> LegDrop:
    """One leg's drop from the hip landmarks' steps: the steps' median over the largest share of the tilt the hip
    points may show (gain_high: the least drop) and over the smallest (gain_low: the most), and those widened by
    NOISE_Z standard errors of the median; NaN under MIN_STEPS steps."""
    if len(steps) < MIN_STEPS:
        return LegDrop(side, steps, *[float("nan")] * 4, "hip landmarks", why_not)
    raw, se = median_and_error([s.drop_deg for s in steps])
    return LegDrop(side, steps, raw / gain_high, raw / gain_low, (raw - NOISE_Z * se) / gain_high,
                   (raw + NOISE_Z * se) / gain_low, "hip landmarks", why_not)


def drop_verdict(leg: LegDrop, warn: float, fault: float) -> str | None:
    """'fault' or 'warning' (as severe as the least drop) when even the least drop less the noise is past the
    warning; None (normal) when even the most plus the noise is under it; else 'undecided'. NaN: 'undecided'."""
    if leg.least >= warn:
        return severity_for(leg.low, warn, fault)
    if leg.most < warn:
        return None
    return "undecided"


def relative_to_median(values: np.ndarray) -> np.ndarray:
    return values - np.nanmedian(values) if np.isfinite(values).any() else values


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
    warn, fault = th("obliquity_warn_deg"), th("obliquity_fault_deg")
    hip_tilt = relative_to_median(
        butterworth_bridging_gaps(ctx.kin["pelvic_obliquity"], fs=ctx.track.fps, cutoff_hz=OBLIQUITY_CUTOFF_HZ))
    waist_samples, waist_dense = waistband_obliquity(ctx)
    waist_tilt = relative_to_median(waist_dense)
    gain_high = drop_gains(ctx)[1]
    findings: list[Finding] = []
    metrics: dict[str, float] = {}
    undecided: list[str] = []
    judged_drop = np.full(len(ctx.track), np.nan)  # the drop each stance's verdict reads, on its own scale
    step_peaks = np.full(len(ctx.track), np.nan)  # each stance's largest drop, at its frame: what the medians take
    waistband_sides = []
    for leg in leg_drops(ctx, hip_tilt, waist_tilt, waist_samples):
        side, swing_side = leg.side, other_side(leg.side)
        from_waist = leg.source == "waistband"
        if from_waist:
            waistband_sides.append(side)
        read = waist_tilt if from_waist else hip_tilt / gain_high
        sign = 1.0 if side == "right" else -1.0
        for step in leg.steps:  # each step's lobe (or window) and its peak, on the scale the verdict reads
            judged_drop[step.first : step.end] = sign * read[step.first : step.end]
            step_peaks[step.worst_idx] = step.drop_deg if from_waist else step.drop_deg / gain_high
        metrics[f"hip_sway_drop_from_waistband_{side}"] = float(from_waist)
        hip_steps = [s.drop_deg for s in leg.steps] if not from_waist else []
        if hip_steps:
            metrics[f"hip_sway_tilt_standing_{side}_deg"] = float(np.median(hip_steps))
        if not np.isfinite(leg.low):
            undecided.append(f"standing on the {side} leg: {len(leg.steps)} step read, {MIN_STEPS} needed")
            continue
        metrics[f"hip_sway_drop_standing_{side}_low_deg"] = leg.low
        metrics[f"hip_sway_drop_standing_{side}_high_deg"] = leg.high
        metrics[f"hip_sway_drop_standing_{side}_least_deg"] = leg.least
        metrics[f"hip_sway_drop_standing_{side}_most_deg"] = leg.most
        severity = drop_verdict(leg, warn, fault)
        if severity == "undecided":
            undecided.append(f"standing on the {side} leg the hip line tilts toward the {swing_side} per step by "
                             f"an amount that means a pelvic drop of {max(leg.least, 0):.0f}-{leg.most:.0f}°"
                             + (f" ({leg.why_not_waistband})" if leg.why_not_waistband else ""))
            continue
        if severity:
            threshold_low = warn if from_waist else warn * gain_high
            over = [s for s in leg.steps if s.drop_deg >= threshold_low]
            over = over or leg.steps
            worst = max(leg.steps)
            source = ("the waistband's tilt (it tilts with the pelvis), median over steps" if from_waist else
                      "the hip landmarks' tilt, median over steps, taken as the whole pelvic tilt (the least drop it "
                      f"can mean), past the warning beyond its step-to-step noise ({leg.why_not_waistband})")
            findings.append(
                Finding(
                    rule=NAME, severity=severity, side=side,
                    start_s=min(s.start_s for s in over), end_s=max(s.end_s for s in over), value=leg.low,
                    threshold=fault if severity == "fault" else warn,
                    unit="deg pelvic drop",
                    cue=(
                        f"Each time you stand on your {side} leg your pelvis drops "
                        f"{'about' if from_waist else 'at least'} {leg.low:.0f}° on the {swing_side} "
                        f"({len(over)} of {len(leg.steps)} steps, worst at {ctx.time_at(worst.worst_idx):.1f} s): "
                        f"your {side} glute medius is not holding it level. Keep the hips level as you step."
                    ),
                    evidence=f"pelvic drop toward the swing side in stance (front/back view), from {source}",
                    peak_s=ctx.time_at(worst.worst_idx),
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
                    peak_s=ctx.time_at(start + int(np.nanargmax(sway[start:end]))),
                )
            )
    elif not findings:
        undecided.append(f"sideways sway needs {MIN_STRIDES} strides, {len(excursions)} were found")
    series = [
        KeySeries(
            name="pelvic_drop",
            label="Pelvic drop toward the swing side in each stance (judged: median of the step peaks)"
            + (" from the waistband" if waistband_sides else ""),
            unit="deg", values=judged_drop, rules=(NAME,), warn_above=warn, fault_above=fault,
            angle_points=("left_hip", "right_hip"), waistband_sides=tuple(waistband_sides),
        ),
        KeySeries(
            name="pelvic_drop_steps", label="Peak of each stance (the verdict takes their median on each leg)",
            unit="deg", values=step_peaks, rules=(NAME,),
        ),
        KeySeries(
            name="pelvic_tilt_raw", label="Hip landmarks' tilt toward the swing side, as measured (context)",
            unit="deg", values=stance_series(ctx, relative_to_median(ctx.kin["pelvic_obliquity"])), rules=(NAME,),
        ),
        KeySeries(
            name="lateral_sway", label="Sideways hip travel within each stride, around the walking path"
            + (", the camera's own shift taken out" if ctx.track.camera_shift is not None else ""),
            unit="hip widths", values=sway, rules=(NAME,), warn_above=th("sway_warn_hipw"),
            fault_above=th("sway_fault_hipw"),
        ),
    ]
    if undecided and not findings:
        sway_words = (f"; sideways sway was {metrics['hip_sway_median_lateral_hipw']:.2f} hip widths per stride, "
                      "within normal" if "hip_sway_median_lateral_hipw" in metrics else "")
        outcome = RuleOutcome.cannot_judge(
            NAME,
            "the hip points cannot tell a pelvic drop from normal walking here: " + "; ".join(undecided)
            + " (the pose model's hip points show only part of the pelvis's tilt, how much is not known for a real "
            "body; a clear waistband, e.g. a top of another colour tucked into shorts, is read instead)" + sway_words,
            better_view=None,
        )
        return RuleOutcome(not_judged=outcome.not_judged, metrics=metrics, key_series=series)
    return RuleOutcome(findings=findings, metrics=metrics, key_series=series)

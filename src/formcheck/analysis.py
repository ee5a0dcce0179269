"""From a cleaned PoseTrack to a Report: view and exercise, phases, rules, summary. Pure (no cv2, no mediapipe).

    analyze_track(track, exercise="auto", view="auto", thresholds=None) -> Analysis
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from formcheck import kinematics
from formcheck.exercises import EXERCISE_WORDS, EXERCISES, MIN_FRAMES, check_exercise, check_view
from formcheck.phases import Gait, Hold, Rep, find_holds, find_reps, find_strides
from formcheck.results import Analysis, Finding, HoldSpan, KeySeries, NotJudged, RepSpan, Report
from formcheck.rules import RuleContext, run_rules
from formcheck.rules.thresholds import Thresholds
from formcheck.track import PoseTrack
from formcheck.views import detect_exercise, detect_view

LYING = ("bridge", "hip_thrust")
NOT_FORM_CHECKS = ("hold_timer",)  # reports time at the top, not a fault
# A rep must lift the hips at least this much (torso lengths) and last this long; squats dip the hips.
REP_MIN_RISE_TORSO = 0.12  # bridges: the hip rises ~0.3-0.6 torso lengths per rep on the synthetic and real clips
SQUAT_MIN_DIP_TORSO = 0.2
REP_MIN_PERIOD_S = 1.0
HOLD_MIN_RISE_TOLERANCE_TORSO = 0.08  # non-side views: "hips up" = within this of the top


def choose_view(track: PoseTrack, view: str) -> tuple[str, str, str]:
    """(view, posture, 'auto'|'user'); ValueError for an unknown view name."""
    guess = detect_view(track)
    if check_view(view) == "auto":
        return guess.view, guess.posture, "auto"
    return view, guess.posture, "user"


def choose_exercise(track: PoseTrack, exercise: str, view: str, posture: str) -> tuple[str, str]:
    if check_exercise(exercise) == "auto":
        from formcheck.views import ViewGuess

        return detect_exercise(track, ViewGuess(view, posture, 1.0)).exercise, "auto"
    return exercise, "user"


def find_phases(
    track: PoseTrack, kin: kinematics.Kinematics, exercise: str, view: str, th: Thresholds
) -> tuple[list[Rep], list[Hold], Gait | None]:
    """Reps, holds and gait events for the exercise (seconds; see formcheck.phases)."""
    t = track.timestamps_s
    rise = kin["hip_rise"]
    reps: list[Rep] = []
    holds: list[Hold] = []
    gait = None
    if not np.isfinite(rise).sum() >= 3:
        return reps, holds, gait
    if exercise in LYING:
        reps = find_reps(rise, t, min_prominence=REP_MIN_RISE_TORSO, min_period_s=REP_MIN_PERIOD_S, base_fraction=0.2)
        min_hold = th["hold", "min_duration_s"]
        if view == "side":
            off_straight = -np.abs(kin["trunk_thigh_signed_near"] - 180.0)
            holds = find_holds(off_straight, t, tolerance=th["hold", "within_straight_deg"], level=0.0,
                               min_duration_s=min_hold)
        else:
            holds = find_holds(rise, t, tolerance=HOLD_MIN_RISE_TOLERANCE_TORSO, min_duration_s=min_hold)
    elif exercise in ("squat", "single_leg_squat"):
        reps = find_reps(-rise, t, min_prominence=SQUAT_MIN_DIP_TORSO, min_period_s=REP_MIN_PERIOD_S, base_fraction=0.2)
    elif exercise == "walk":
        gait = find_strides(track)
    return reps, holds, gait


def analyze_track(
    track: PoseTrack,
    *,
    exercise: str = "auto",
    view: str = "auto",
    thresholds: Thresholds | None = None,
) -> Analysis:
    """Judge one cleaned track: view, exercise, phases, every applicable rule -> Analysis (report + key series)."""
    th = thresholds or Thresholds.load()
    check_exercise(exercise)
    check_view(view)
    base = dict(
        source=track.source, duration_s=track.duration_s, fps=track.fps, frames=len(track),
        detection_rate=track.detection_rate,
    )
    if track.detected.sum() < MIN_FRAMES:
        return Analysis(track=track, report=Report(
            exercise=exercise if exercise != "auto" else "unknown", exercise_source="user" if exercise != "auto" else "auto",
            view=view if view != "auto" else "unknown", view_source="user" if view != "auto" else "auto",
            posture="unknown", **base,
            summary=f"No person was found in the video (or in fewer than {MIN_FRAMES} frames), so nothing could be "
                    "judged. Film the whole body, well lit, from the side (bridges) or the front (walking, squats).",
        ))
    chosen_view, posture, view_source = choose_view(track, view)
    chosen_exercise, exercise_source = choose_exercise(track, exercise, chosen_view, posture)
    kin = kinematics.compute(track)
    if chosen_exercise not in EXERCISES:
        return Analysis(track=track, report=Report(
            exercise=chosen_exercise, exercise_source=exercise_source, view=chosen_view, view_source=view_source,
            posture=posture, **base,
            summary=f"Could not tell which exercise this is ({posture}, {chosen_view} view). "
                    f"Say it with --exercise ({', '.join(EXERCISES)}).",
        ))
    reps, holds, gait = find_phases(track, kin, chosen_exercise, chosen_view, th)
    ctx = RuleContext(track=track, kin=kin, exercise=chosen_exercise, view=chosen_view, posture=posture,
                      reps=reps, holds=holds, gait=gait, th=th)
    findings: list[Finding] = []
    not_judged: list[NotJudged] = []
    metrics: dict[str, float] = {"reps": float(len(reps))}
    key_series: list[KeySeries] = []
    judged: list[str] = []
    for spec, outcome in run_rules(ctx):
        findings += outcome.findings
        if outcome.not_judged:
            not_judged.append(outcome.not_judged)
        elif spec.name not in NOT_FORM_CHECKS:
            judged.append(spec.name)
        metrics.update(outcome.metrics)
        key_series += [s for s in outcome.key_series if s.name not in {k.name for k in key_series}]
    if gait is not None:
        metrics["strides"] = float(gait.stride_count())
    findings.sort(key=lambda f: (f.start_s, f.rule))
    report = Report(
        exercise=chosen_exercise, exercise_source=exercise_source, view=chosen_view, view_source=view_source,
        posture=posture, **base,
        reps=[RepSpan(r.start_s, r.peak_s, r.end_s) for r in reps],
        holds=[HoldSpan(h.start_s, h.end_s, h.duration_s) for h in holds],
        findings=findings, not_judged=not_judged, judged=judged, metrics=metrics,
        summary=summarise(chosen_exercise, chosen_view, reps, holds, findings, not_judged, judged,
                          track.detection_rate),
    )
    return Analysis(track=track, report=report, key_series=key_series)


RULE_WORDS = {
    "lumbar_arch": "lower back arching to lift the hips (\"back butt\")",
    "hip_lockout": "hips stopping short of full extension",
    "knee_valgus": "knees caving in",
    "hip_sway": "pelvis dropping or swaying sideways",
    "neck_flexion": "head thrown back",
    "stance_asymmetry": "pelvis dropping in single-leg stance",
    "hold_timer": "bridge hold time",
}


def summarise(
    exercise: str,
    view: str,
    reps: Sequence[Rep],
    holds: Sequence[Hold],
    findings: Sequence[Finding],
    not_judged: Sequence[NotJudged],
    judged: Sequence[str],
    detection_rate: float,
) -> str:
    """A plain-words paragraph: what was seen, the verdicts, and what could not be judged."""
    parts = [f"{EXERCISE_WORDS.get(exercise, 'unrecognised movement').capitalize()}, filmed from the {view}."]
    if reps:
        parts.append(f"{len(reps)} rep{'s' if len(reps) != 1 else ''} found.")
    if holds:
        parts.append(f"Longest hold {max(h.duration_s for h in holds):.1f} s.")
    if detection_rate < 0.8:
        parts.append(f"The person was found in only {detection_rate:.0%} of frames, so these results are less sure.")
    problems = [f for f in findings if f.severity in ("fault", "warning")]
    by_rule: dict[str, list[Finding]] = {}
    for finding in problems:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule, items in by_rule.items():
        worst = max(items, key=lambda f: (f.severity == "fault", abs(f.value)))
        label = "Fault" if any(f.severity == "fault" for f in items) else "Watch"
        times = sum(f.unit == worst.unit for f in items)  # a rule's other measures (a side difference) apart
        parts.append(
            f"{label}: {RULE_WORDS.get(rule, rule)}, {times} time{'s' if times != 1 else ''} "
            f"(worst {worst.value:.2f} {worst.unit} at {worst.peak_s if worst.peak_s is not None else worst.start_s:.1f} s)."
        )
    if not judged:
        parts.append("No part of the form could be judged from this clip.")
    elif not problems:
        checked = ", ".join(RULE_WORDS.get(rule, rule) for rule in judged)
        parts.append(f"No form faults seen in what this clip could judge ({checked})."
                     + (" The glutes look like they do the work." if exercise in LYING and
                        {"lumbar_arch", "hip_lockout"} & set(judged) else ""))
    for item in not_judged:
        better = f" Film from the {item.better_view} to check it." if item.better_view else ""
        parts.append(f"Not judged: {RULE_WORDS.get(item.rule, item.rule)} ({item.reason}).{better}")
    return " ".join(parts)

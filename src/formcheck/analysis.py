"""From a cleaned PoseTrack to a Report: view and exercise, phases, rules, summary. Pure (no cv2, no mediapipe).

    analyze_track(track, exercise="auto", view="auto", thresholds=None) -> Analysis
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from formcheck import kinematics
from formcheck.exercises import EXERCISE_WORDS, EXERCISES, LYING, MIN_FRAMES, check_exercise, check_view
from formcheck.orientation import check_orientation
from formcheck.phases import Gait, Hold, Rep, find_holds, find_reps, find_strides, rep_cut_off_at_end
from formcheck.report.words import summarise
from formcheck.results import (MEASUREMENT_RULES, TURNED_METRIC, Analysis, Finding, HoldSpan, KeySeries, NotJudged,
                               RepSpan, Report)
from formcheck.rules import RuleContext, run_rules
from formcheck.rules.thresholds import Thresholds
from formcheck.track import PoseTrack
from formcheck.views import ExerciseGuess, ViewGuess, detect_exercise, detect_view

NOT_FORM_CHECKS = MEASUREMENT_RULES  # report time at the top, not a fault
# A rep must lift the hips at least this much (torso lengths) and last this long; squats dip the hips.
REP_MIN_RISE_TORSO = 0.12  # bridges: the hip rises ~0.3-0.6 torso lengths per rep on the synthetic and real clips
SQUAT_MIN_DIP_TORSO = 0.2
# A single-leg squat may be shallow on purpose: clinical single-leg squat tests go to 45-60 deg of knee flexion, and the
# rendered one to 55 deg dips the hips only 0.18 torso lengths, so with the two-leg squat's 0.2 no rep was found and
# nothing was judged. The bridges' lift minimum (REP_MIN_RISE_TORSO) serves: the real pistol squats dip 0.9-1.2.
SINGLE_LEG_SQUAT_MIN_DIP_TORSO = REP_MIN_RISE_TORSO
MIN_DIP_TORSO = {"squat": SQUAT_MIN_DIP_TORSO, "single_leg_squat": SINGLE_LEG_SQUAT_MIN_DIP_TORSO}
REP_MIN_PERIOD_S = 1.0
REP_BASE_FRACTION = 0.2  # a rep starts and ends where the signal is within this share of its rise from the rest
# Side views: a lift is also counted by the hip's opening, the shoulder-hip-knee angle (deg), which does not depend on
# body build or on how far the camera sees the pelvis move. The short lift that hip_lockout must judge is the one that
# rises least: a rendered bridge stopping 26 deg short of straight rises 0.10-0.12 torso lengths on every body shape
# (under REP_MIN_RISE_TORSO, so it was "no lift") and opens 12 deg from the lying rest (141-142 deg).
REP_MIN_OPENING_DEG = 10.0  # > 3x the angle's largest swing outside reps (< 3 deg on the rendered side-view bridges and
#                             hip thrusts and the real calibration ones); from a ~140 deg rest, a top 30 deg short of
#                             straight, twice the hip_lockout fault limit
REP_MIN_RISE_WITH_OPENING_TORSO = 0.5 * REP_MIN_RISE_TORSO  # the hips must go up with the opening (half a rep's rise,
#                             the "lift under way" of rep_cut_off_at_end): a thigh raised alone (a marching bridge) or a
#                             knee landmark's flicker opens the angle without lifting the hips
# ... and only once the angle has been read this long (s) before the opening starts: a clip that begins mid-lift has no
# rest before its first opening (find_reps' whole_only drops a rep starting at the first frame, but the stream's
# causal filter settles over its first frames, so a rep there started 2 frames in: bubbadk's real bridge, 0.08 s).
REP_MIN_SEEN_BEFORE_OPENING_S = 0.25
REP_END_HOLD_S = 0.5  # bridges: a last lift held this long at the top as the clip ends is a rep (its top is seen)
# find_reps' / RepSegmenter's settings for a bridge or hip thrust's reps, by the rise or by the opening (lying_reps)
LYING_REP_PARAMS = {"min_period_s": REP_MIN_PERIOD_S, "base_fraction": REP_BASE_FRACTION, "end_hold_s": REP_END_HOLD_S,
                    "whole_only": True}
# ... and for a squat or single-leg squat's dips (with MIN_DIP_TORSO by exercise)
DIP_REP_PARAMS = {"min_period_s": REP_MIN_PERIOD_S, "base_fraction": REP_BASE_FRACTION, "whole_only": True}
HOLD_MIN_RISE_TOLERANCE_TORSO = 0.08  # non-side views: "hips up" = within this of the top


def choose_view(track: PoseTrack, view: str) -> tuple[str, str, str]:
    """(view, posture, 'auto'|'user'); ValueError for an unknown view name."""
    guess = detect_view(track)
    if check_view(view) == "auto":
        return guess.view, guess.posture, "auto"
    return view, guess.posture, "user"


def choose_exercise(track: PoseTrack, exercise: str, view: str, posture: str) -> tuple[ExerciseGuess, str]:
    """(the guess, 'auto'|'user'); a user's exercise is taken as it is (confidence 1)."""
    if check_exercise(exercise) == "auto":
        return detect_exercise(track, ViewGuess(view, posture, 1.0)), "auto"
    return ExerciseGuess(exercise, 1.0), "user"


def undecided_summary(guess: ExerciseGuess, posture: str, view: str) -> str:
    """The summary of a clip whose exercise was not decided: unsure between some, declined, or not recognised."""
    flags = " or ".join(f"`--exercise {e}`" for e in guess.alternatives)
    if len(guess.alternatives) >= 2:
        first, *others = (f"a {EXERCISE_WORDS[e]}" for e in guess.alternatives)
        return (f"Could not tell {first} from {' or '.join(others)}: run again with {flags}. "
                "Nothing was judged, so that no exercise's rules run on the wrong movement.")
    if guess.declined and guess.declined_for_recording:
        return f"Nothing was judged: {guess.declined}."
    if guess.declined:
        return (f"This is not one of the exercises formcheck judges: {guess.declined}. Nothing was judged. "
                f"formcheck judges {', '.join(EXERCISE_WORDS[e] for e in EXERCISES)}; if it is one of them, say "
                "which with --exercise.")
    return (f"Could not tell which exercise this is ({posture}, {view} view). "
            f"Say it with --exercise ({', '.join(EXERCISES)}).")


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
        reps = lying_reps(rise, t, kin["trunk_thigh_signed_near"] if view == "side" else None)
        min_hold = th["hold", "min_duration_s"]
        if view == "side":
            off_straight = -np.abs(kin["trunk_thigh_signed_near"] - 180.0)
            holds = find_holds(off_straight, t, tolerance=th["hold", "within_straight_deg"], level=0.0,
                               min_duration_s=min_hold)
        else:
            holds = find_holds(rise, t, tolerance=HOLD_MIN_RISE_TOLERANCE_TORSO, min_duration_s=min_hold)
    elif exercise in ("squat", "single_leg_squat"):
        reps = find_reps(-rise, t, min_prominence=MIN_DIP_TORSO[exercise], **DIP_REP_PARAMS)
    elif exercise == "walk":
        gait = find_strides(track)
    return reps, holds, gait


def lying_reps(rise: np.ndarray, t: np.ndarray, opening: np.ndarray | None = None) -> list[Rep]:
    """Reps of a bridge or hip thrust, sorted by start: peaks of the hip's rise (``hip_rise``, torso lengths) of at
    least REP_MIN_RISE_TORSO; with ``opening`` (side views: ``trunk_thigh_signed_near``, deg), also its peaks of at
    least REP_MIN_OPENING_DEG that overlap no rise rep and over which the hips rose at least
    REP_MIN_RISE_WITH_OPENING_TORSO (from their lowest since the previous opening's end to their highest in the rep),
    starting at least REP_MIN_SEEN_BEFORE_OPENING_S after the angle is first read.
    Both signals (T,) on timestamps ``t`` (s); NaN = unmeasured. The feet view's angle is foreshortened: pass None."""
    reps = find_reps(rise, t, min_prominence=REP_MIN_RISE_TORSO, **LYING_REP_PARAMS)
    if opening is None or np.isfinite(opening).sum() < 3:
        return reps
    openings = find_reps(opening, t, min_prominence=REP_MIN_OPENING_DEG, **LYING_REP_PARAMS)
    first_read_s = float(t[np.flatnonzero(np.isfinite(opening))[0]])
    extra = [rep for before, rep in zip([None, *openings], openings)
             if rep.start_s - first_read_s >= REP_MIN_SEEN_BEFORE_OPENING_S
             and not any(rep.overlaps(other) for other in reps)
             and hips_rose(rise, rep, since=before.end_idx if before else 0) >= REP_MIN_RISE_WITH_OPENING_TORSO]
    return sorted(reps + extra, key=lambda rep: rep.start_idx)


def hips_rose(rise: np.ndarray, rep: Rep, *, since: int) -> float:
    """How far the hips rose in a rep (rise's units): their highest in the rep less their lowest from frame ``since``
    to the rep's peak (the rest before it); NaN if unmeasured."""
    before, whole = rise[since: rep.peak_idx + 1], rise[rep.start_idx: rep.end_idx + 1]
    if not (np.isfinite(before).any() and np.isfinite(whole).any()):
        return float("nan")
    return float(np.nanmax(whole) - np.nanmin(before))


def phase_notes(kin: kinematics.Kinematics, t: np.ndarray, exercise: str, reps: list[Rep]) -> list[str]:
    """Plain-words notes on the phases: a rep that the clip cuts off is neither counted nor judged."""
    if exercise in LYING:
        signal, prominence, moving = kin["hip_rise"], REP_MIN_RISE_TORSO, "the hips were rising or still up"
    elif exercise in ("squat", "single_leg_squat"):
        signal, prominence, moving = -kin["hip_rise"], MIN_DIP_TORSO[exercise], "the hips were going down or still down"
    else:
        return []
    start_s = rep_cut_off_at_end(signal, t, reps, min_prominence=prominence)
    if start_s is None:
        return []
    return [f"The clip ends mid-rep ({moving} from {start_s:.1f} s to the end): that rep is not counted or judged."]


# A finding's unit -> its plausibility limit in thresholds.toml [plausible] (absolute value, the unit's degrees).
PLAUSIBLE_MAX = {
    "deg pelvic drop": "pelvic_drop_max_deg",
    "deg lumbar extension": "lumbar_extension_max_deg",
    "deg rib flare": "lumbar_extension_max_deg",  # the chest turns on the pelvis through the lumbar spine: no further
    "deg past straight": "past_straight_max_deg",
    "deg head back": "head_back_max_deg",
    "deg FPPA": "fppa_max_deg",
}


def implausible(findings: list[Finding], th: Thresholds) -> dict[str, tuple[Finding, float]]:
    """rule -> (its finding with the largest value past its [plausible] limit, that limit): values no body can
    produce."""
    worst: dict[str, tuple[Finding, float]] = {}
    for finding in findings:
        key = PLAUSIBLE_MAX.get(finding.unit)
        if key is None or not abs(finding.value) > th["plausible", key]:
            continue
        if finding.rule not in worst or abs(finding.value) > abs(worst[finding.rule][0].value):
            worst[finding.rule] = (finding, th["plausible", key])
    return worst


def gait_metrics(gait: Gait) -> dict[str, float]:
    """Steps (heel strikes) per side and in all, strides, the median stride time (s) and the cadence (steps a
    minute, from the first heel strike to the last)."""
    strikes = {side: np.sort(np.asarray(times, float)) for side, times in gait.heel_strikes.items()}
    metrics = {f"steps_{side}": float(len(times)) for side, times in sorted(strikes.items())}
    every = np.sort(np.concatenate(list(strikes.values()))) if strikes else np.array([])
    metrics["steps"] = float(len(every))
    metrics["strides"] = float(gait.stride_count())
    durations = [span.duration_s for spans in gait.strides.values() for span in spans]
    if durations:
        metrics["stride_median_s"] = float(np.median(durations))
    if len(every) >= 3 and every[-1] > every[0]:
        metrics["cadence_steps_per_min"] = float(60.0 * (len(every) - 1) / (every[-1] - every[0]))
    return metrics


@dataclass(frozen=True)
class RuleVerdicts:
    """What the rules said on one context: findings (sorted by start time, then rule), not-judged notes, the form
    rules that gave a verdict, their metrics and the series worth plotting."""

    findings: list[Finding]
    not_judged: list[NotJudged]
    judged: list[str]
    metrics: dict[str, float]
    key_series: list[KeySeries]


def judge_rules(ctx: RuleContext, *, exercise_source: str = "user", view_source: str = "user") -> RuleVerdicts:
    """Every registered rule that applies to ctx (run_rules), its outcomes gathered; a rule whose value no body can
    produce (implausible) is turned into "not judged", naming the exercise and view (given or detected, per the
    sources) as the likely cause. Offline (analyze_track) and per rep (streaming.judge_phase) alike."""
    findings: list[Finding] = []
    not_judged: list[NotJudged] = []
    metrics: dict[str, float] = {}
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
    for rule, (finding, limit) in implausible(findings, ctx.th).items():  # the wrong exercise or view, or a broken track
        findings = [f for f in findings if f.rule != rule]
        judged = [name for name in judged if name != rule]
        not_judged = [n for n in not_judged if n.rule != rule] + [NotJudged(
            rule=rule, reason=f"it read {finding.value:.0f} {finding.unit}, which no body can produce (at most "
            f"{limit:.0f}°): the exercise ({ctx.exercise.replace('_', ' ')}, {_how(exercise_source)}) or the view "
            f"({ctx.view}, {_how(view_source)}) is probably wrong for this clip, or the pose track is broken. "
            "Check --exercise and --view", better_view=None)]
    findings.sort(key=lambda f: (f.start_s, f.rule))
    return RuleVerdicts(findings, not_judged, judged, metrics, key_series)


def _how(source: str) -> str:
    return "as given" if source == "user" else "detected"


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
    guess, exercise_source = choose_exercise(track, exercise, chosen_view, posture)
    chosen_exercise = guess.exercise
    base |= dict(exercise_confidence=guess.confidence if exercise_source == "auto" else None,
                 exercise_alternatives=list(guess.alternatives))
    kin = kinematics.compute(track)
    turned = check_orientation(track, chosen_exercise, chosen_view)
    if turned is not None:  # judging a turned picture gives confident nonsense (an all-clear upside down)
        hint = summary = turned.hint()
        if chosen_exercise not in EXERCISES and turned.pointing != "down":  # lying along the frame: maybe lying down
            why = guess.declined or "formcheck did not recognise the movement as one it judges"
            summary += f" If the person does lie down, nothing is judged either: {why}."
        return Analysis(track=track, report=Report(
            exercise=chosen_exercise, exercise_source=exercise_source, view=chosen_view, view_source=view_source,
            posture=posture, **base, notes=[hint],
            metrics={TURNED_METRIC: float(turned.rotate_deg)}, summary=summary,
        ))
    if chosen_exercise not in EXERCISES:
        return Analysis(track=track, report=Report(
            exercise="unknown", exercise_source=exercise_source, view=chosen_view, view_source=view_source,
            posture=posture, **base, summary=undecided_summary(guess, posture, chosen_view),
        ))
    reps, holds, gait = find_phases(track, kin, chosen_exercise, chosen_view, th)
    ctx = RuleContext(track=track, kin=kin, exercise=chosen_exercise, view=chosen_view, posture=posture,
                      reps=reps, holds=holds, gait=gait, th=th)
    verdicts = judge_rules(ctx, exercise_source=exercise_source, view_source=view_source)
    findings, not_judged, judged, key_series = verdicts.findings, verdicts.not_judged, verdicts.judged, verdicts.key_series
    metrics: dict[str, float] = {"reps": float(len(reps)), **verdicts.metrics}
    if gait is not None:
        metrics.update(gait_metrics(gait))
    report = Report(
        exercise=chosen_exercise, exercise_source=exercise_source, view=chosen_view, view_source=view_source,
        posture=posture, **base,
        reps=[RepSpan(r.start_s, r.peak_s, r.end_s) for r in reps],
        holds=[HoldSpan(h.start_s, h.end_s, h.duration_s) for h in holds],
        findings=findings, not_judged=not_judged, judged=judged, metrics=metrics,
        notes=phase_notes(kin, track.timestamps_s, chosen_exercise, reps),
    )
    report = replace(report, summary=summarise(report))
    return Analysis(track=track, report=report, key_series=key_series)


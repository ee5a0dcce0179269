"""What live mode says, and when: cues from the rules' verdict on each finished rep, hold, stride or stance, instant
checks on the current frame (a knee caving now, hips sagging in a hold), the hold timer counted aloud, and the key
angle for the exercise beside its threshold. Pure (no cv2, no mediapipe): values in, Cues out.

Every cue names its rule id (formcheck.rules), so a spoken "Knees out" traces back to ``knee_valgus``'s verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.analysis import REP_MIN_RISE_TORSO, REP_MIN_RISE_WITH_OPENING_TORSO
from formcheck.exercises import LYING
from formcheck.report.words import PROBLEMS, SEVERITY_ORDER
from formcheck.results import Finding
from formcheck.rules.thresholds import Thresholds
from formcheck.streaming import Event

# Short coaching words per rule, said aloud and shown; the rule's own sentence goes along as the cue's detail.
SPOKEN: dict[str, str] = {
    "lumbar_arch": "Ribs down, squeeze your glutes",
    "hip_lockout": "Push your hips all the way up",
    "knee_valgus": "Knees out",
    "hip_sway": "Keep your hips level",
    "neck_flexion": "Tuck your chin",
    "stance_asymmetry": "Keep your pelvis level",
}
SAGGING_WORDS = "Hips up, don't let them sag"
# The same rule (and side) is not cued again within this many seconds: one cue per rep at a bridge's pace (a rep
# every 3-4 s), never one a second.
CUE_REPEAT_S = 3.0
# Verdicts over the walk or the stances so far (hip_sway, stance_asymmetry) come with every step: said again only
# after this long.
RUNNING_REPEAT_S = 10.0
RUNNING_SOURCES = ("stride", "stance")
# Instant checks: a value past its fault threshold for this long (seconds) is a cue; shorter is a landmark glitch.
INSTANT_MIN_S = 0.3
SAG_MIN_S = 0.5
# A hold is over once the body has been off straight this long (shorter: a landmark glitch, or a wobble).
HOLD_BREAK_S = 0.3
HOLD_BREAK_FRAMES = 3  # ...and this many frames (a loop dropping frames sees few of them)
# A knee bent less than this (degrees) is near straight: its FPPA says nothing about caving in.
INSTANT_MIN_KNEE_FLEXION_DEG = 15.0
# The hold timer says the time every this many seconds ("Hold: 10 seconds").
HOLD_COUNT_EVERY_S = 10.0

# The kinematic series the instant checks and the key angle read, one frame at a time.
FRAME_SERIES = ("hip_rise", "trunk_thigh_signed_near", "fppa_left", "fppa_right", "knee_flexion_left",
                "knee_flexion_right", "knee_flexion_near", "pelvic_obliquity")


@dataclass(frozen=True)
class Cue:
    """One cue: at ``t_s`` seconds (session time), from rule ``rule``, in plain ``words``.

    source: rep | hold | stride | stance (the rules' verdict on what just finished), instant (the current frames),
    hold_timer (the count). detail: the rule's own sentence, with the measured value.
    """

    t_s: float
    rule: str
    words: str
    severity: str
    source: str
    side: str | None = None
    detail: str = ""
    value: float | None = None
    threshold: float | None = None
    unit: str = ""

    def event(self) -> dict[str, Any]:
        """The cue as an --events line (type "cue")."""
        return {"t_s": round(self.t_s, 3), "type": "cue", "rule": self.rule, "words": self.words,
                "severity": self.severity, "side": self.side, "source": self.source, "detail": self.detail,
                "value": _rounded(self.value), "threshold": _rounded(self.threshold), "unit": self.unit}


def _rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 2)


def sided(words: str, side: str | None) -> str:
    """'Knees out' with the side named when there is one: 'Knees out (left)'."""
    return f"{words} ({side})" if side else words


class CueGate:
    """Rate limit: a cue from the same rule passes once per CUE_REPEAT_S (RUNNING_REPEAT_S for verdicts on the
    walk or stances so far), whichever side it names: "Knees out (right)" and the rep's "Knees out" a moment later
    are one cue. The hold count always passes (each count is said once)."""

    def __init__(self, repeat_s: float = CUE_REPEAT_S, running_repeat_s: float = RUNNING_REPEAT_S) -> None:
        self.repeat_s, self.running_repeat_s = repeat_s, running_repeat_s
        self._last: dict[str, float] = {}
        self.held_back = 0

    def allow(self, cue: Cue) -> bool:
        if cue.source == "hold_timer":
            return True
        key = cue.rule
        wait = self.running_repeat_s if cue.source in RUNNING_SOURCES else self.repeat_s
        last = self._last.get(key)
        if last is not None and cue.t_s - last < wait:
            self.held_back += 1
            return False
        self._last[key] = cue.t_s
        return True


_SOURCE_OF_KIND = {"rep_completed": "rep", "hold_ended": "hold", "stride_completed": "stride",
                   "stance_ended": "stance"}


def cues_from_event(event: Event) -> list[Cue]:
    """The rules' problems (faults and warnings) on what the event finished, the worst per rule and side,
    most severe first. hold_timer's notes are the hold count's business, not a cue."""
    worst: dict[tuple[str, str | None], Finding] = {}
    for f in event.findings:
        if f.severity not in PROBLEMS or f.rule not in SPOKEN:
            continue
        key = (f.rule, f.side)
        if key not in worst or SEVERITY_ORDER[f.severity] < SEVERITY_ORDER[worst[key].severity]:
            worst[key] = f
    source = _SOURCE_OF_KIND.get(event.kind, event.kind)
    cues = [Cue(event.t_s, f.rule, sided(SPOKEN[f.rule], f.side), f.severity, source, f.side, f.cue, f.value,
                f.threshold, f.unit) for f in worst.values()]
    return sorted(cues, key=lambda c: SEVERITY_ORDER[c.severity])


@dataclass(frozen=True)
class KeyAngle:
    """The exercise's key angle on the current frame, for the overlay: ``label`` and ``value`` in ``unit``, judged
    against ``limit`` by rule ``rule`` (``above``: a fault at or over the limit), drawn at the landmarks ``points``
    (three names, the middle one the vertex; () for a value that is not a joint angle)."""

    label: str
    value: float
    unit: str
    limit: float | None
    warn: float | None
    rule: str
    points: tuple[str, ...] = ()

    @property
    def severity(self) -> str | None:
        """fault / warning / None (within the limits, or unmeasured)."""
        if not np.isfinite(self.value):
            return None
        if self.limit is not None and self.value >= self.limit:
            return "fault"
        if self.warn is not None and self.value >= self.warn:
            return "warning"
        return None


def key_angle(exercise: str, view: str, values: dict[str, float], near_side: str, th: Thresholds) -> KeyAngle | None:
    """The key angle for the exercise seen from the view (None where there is none worth showing).

    Bridges and hip thrusts from the side: the shoulder-hip-knee angle (180 = straight) against lumbar_arch's limit
    past straight. Front, back or feet views of squats and bridges: the worse knee's FPPA against knee_valgus's
    limit. Walks and single-leg stances from the front or back: the hip line's tilt against hip_sway's or
    stance_asymmetry's limit (MediaPipe's hip points show less than the pelvis's tilt: the rules correct that).
    Squats from the side: the near knee's bend, no limit.
    """
    frontal = view in ("front", "back", "feet", "oblique")
    if exercise in LYING and view == "side":
        return KeyAngle("hip", values["trunk_thigh_signed_near"], "deg",
                        180.0 + th["lumbar_arch", "past_straight_fault_deg"],
                        180.0 + th["lumbar_arch", "past_straight_warn_deg"], "lumbar_arch",
                        (f"{near_side}_shoulder", f"{near_side}_hip", f"{near_side}_knee"))
    if frontal and exercise in LYING + ("squat", "single_leg_squat"):
        fppa = {s: values[f"fppa_{s}"] for s in ("left", "right")}
        finite = {s: v for s, v in fppa.items() if np.isfinite(v)}
        side = max(finite, key=finite.get) if finite else "left"
        return KeyAngle(f"{side} knee FPPA", fppa[side], "deg", th["knee_valgus", "fppa_fault_deg"],
                        th["knee_valgus", "fppa_warn_deg"], "knee_valgus",
                        (f"{side}_hip", f"{side}_knee", f"{side}_ankle"))
    if frontal and exercise in ("walk", "single_leg_stance"):
        rule, warn, fault = (("hip_sway", "obliquity_warn_deg", "obliquity_fault_deg") if exercise == "walk"
                             else ("stance_asymmetry", "drop_warn_deg", "drop_fault_deg"))
        return KeyAngle("hip line tilt", abs(values["pelvic_obliquity"]), "deg", th[rule, fault], th[rule, warn], rule)
    if exercise in ("squat", "single_leg_squat"):
        return KeyAngle("knee bend", values["knee_flexion_near"], "deg", None, None, "knee_valgus",
                        (f"{near_side}_hip", f"{near_side}_knee", f"{near_side}_ankle"))
    return None


class InstantChecks:
    """Checks on the current frames between verdicts, and the hold timer.

    push(t_s, values) with one frame's FRAME_SERIES values (cleaned, causal) -> the cues due now. ``hold_s``: the
    hold in progress (seconds; 0 when none). A knee caving now: standing exercises from the front or back, FPPA at or
    past knee_valgus's fault limit with the knee bent INSTANT_MIN_KNEE_FLEXION_DEG to fppa_max_knee_flexion_deg, for
    INSTANT_MIN_S. A hold (bridges and hip thrusts): from the side, shoulder-hip-knee within hold.within_straight_deg
    of straight (as analysis.find_phases); from elsewhere, hips up (hip_rise >= the rep rise); for at least
    hold.min_duration_s; counted aloud every HOLD_COUNT_EVERY_S.
    Sagging: from the side, in a hold, the hips bend below straight by more than within_straight_deg while still
    up as far as a lift under way (REP_MIN_RISE_WITH_OPENING_TORSO, as offline a rep by the hip's opening), for
    SAG_MIN_S (hip_lockout).
    """

    def __init__(self, exercise: str, view: str, th: Thresholds) -> None:
        self.exercise, self.view, self.th = exercise, view, th
        self._knee_check = exercise in ("squat", "single_leg_squat") and view in ("front", "back")
        self._hold_check = exercise in LYING
        self._caving_since: dict[str, float | None] = {"left": None, "right": None}
        self._straight_since: float | None = None
        self._break_since: float | None = None
        self._break_frames = 0
        self._sag_since: float | None = None
        self._holding = False
        self._counted = 0
        self.hold_s = 0.0

    def push(self, t_s: float, values: dict[str, float]) -> list[Cue]:
        cues: list[Cue] = []
        if self._knee_check:
            cues += self._knees(t_s, values)
        if self._hold_check:
            cues += self._hold(t_s, values)
        return cues

    def _knees(self, t_s: float, values: dict[str, float]) -> list[Cue]:
        limit = self.th["knee_valgus", "fppa_fault_deg"]
        max_flexion = self.th["knee_valgus", "fppa_max_knee_flexion_deg"]
        cues = []
        for side in ("left", "right"):
            fppa, flexion = values[f"fppa_{side}"], values[f"knee_flexion_{side}"]
            caving = (np.isfinite(fppa) and np.isfinite(flexion) and fppa >= limit
                      and INSTANT_MIN_KNEE_FLEXION_DEG <= flexion <= max_flexion)
            if not caving:
                self._caving_since[side] = None
                continue
            since = self._caving_since[side]
            if since is None:
                self._caving_since[side] = t_s
            elif t_s - since >= INSTANT_MIN_S:
                cues.append(Cue(t_s, "knee_valgus", sided(SPOKEN["knee_valgus"], side), "fault", "instant", side,
                                f"Your {side} knee caves in now: FPPA {fppa:.0f}° (limit {limit:.0f}°).", fppa,
                                limit, "deg FPPA"))
                self._caving_since[side] = t_s  # the gate decides whether it is said again
        return cues

    def _hold(self, t_s: float, values: dict[str, float]) -> list[Cue]:
        rise, angle = values["hip_rise"], values["trunk_thigh_signed_near"]
        tolerance = self.th["hold", "within_straight_deg"]
        if self.view == "side":  # as the offline hold finder: lying with knees bent, straight means hips up
            if not np.isfinite(angle):
                return []  # unseen for a frame: the hold goes on
            straight = abs(angle - 180.0) <= tolerance
        else:  # hips up against the body reference's level (measured over the first seconds)
            if not np.isfinite(rise):
                return []
            straight = rise >= REP_MIN_RISE_TORSO
        cues: list[Cue] = []
        if straight:
            self._break_since = self._sag_since = None
            if self._straight_since is None:
                self._straight_since = t_s
            held = t_s - self._straight_since
            if held >= self.th["hold", "min_duration_s"]:
                self._holding = True
                self.hold_s = held
                count = int(held // HOLD_COUNT_EVERY_S)
                if count > self._counted:
                    self._counted = count
                    seconds = int(count * HOLD_COUNT_EVERY_S)
                    cues.append(Cue(t_s, "hold_timer", f"Hold: {seconds} seconds", "info", "hold_timer",
                                    detail=f"Held for {seconds} s so far.", value=float(seconds), unit="s"))
            return cues
        if self._break_since is None:
            self._break_since, self._break_frames = t_s, 0
        sagging = (self._holding and self.view == "side" and np.isfinite(rise)
                   and angle < 180.0 - tolerance and rise >= REP_MIN_RISE_WITH_OPENING_TORSO)
        if sagging:
            if self._sag_since is None:
                self._sag_since = t_s
            if t_s - self._sag_since >= SAG_MIN_S:
                cues.append(Cue(t_s, "hip_lockout", SAGGING_WORDS, "warning", "instant",
                                detail=f"Your hips sag {180.0 - angle:.0f}° below straight in the hold.",
                                value=180.0 - angle, threshold=tolerance, unit="deg short of straight"))
                self._end_hold()
            return cues
        self._break_frames += 1
        if t_s - self._break_since >= HOLD_BREAK_S and self._break_frames >= HOLD_BREAK_FRAMES:
            self._end_hold()
        return cues

    def _end_hold(self) -> None:
        self._straight_since = None
        self._break_since = None
        self._sag_since = None
        self._holding = False
        self._counted = 0
        self.hold_s = 0.0

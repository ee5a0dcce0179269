"""The rule framework: RuleContext, RuleOutcome, the registry and helpers shared by rules.

Form rules: one small module per fault, each a pure function (RuleContext) -> RuleOutcome, registered here.

A new rule is one new file with a function decorated by `@register(name, exercises=..., words=..., thresholds=...)`
plus its name in RULE_MODULES (rules/__init__.py). A rule that the camera view cannot judge returns
`RuleOutcome.cannot_judge(...)` naming the view that would.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from formcheck.exercises import EXERCISES
from formcheck.formats import format_span
from formcheck.kinematics import Kinematics
from formcheck.phases import Gait, Hold, Rep, true_runs
from formcheck.results import Finding, KeySeries, NotJudged
from formcheck.rules.thresholds import Thresholds
from formcheck.signal_filters import butterworth_bridging_gaps, butterworth_padlen
from formcheck.track import EXACT_PROJECTION_MODEL, PoseTrack

@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may read: the cleaned track, its kinematics, phases, view, exercise and thresholds."""

    track: PoseTrack
    kin: Kinematics
    exercise: str
    view: str
    posture: str
    reps: Sequence[Rep]
    holds: Sequence[Hold]
    gait: Gait | None
    th: Thresholds

    @property
    def t(self) -> np.ndarray:
        return self.track.timestamps_s

    def time_at(self, index: int) -> float:
        return float(self.track.timestamps_s[int(np.clip(index, 0, len(self.track) - 1))])

    def end_time_at(self, index: int) -> float:
        """End of frame `index` (its timestamp plus one frame period), seconds."""
        return self.time_at(index) + 1.0 / self.track.fps


@dataclass(frozen=True)
class RuleOutcome:
    findings: list[Finding] = field(default_factory=list)
    not_judged: NotJudged | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    key_series: list[KeySeries] = field(default_factory=list)

    @classmethod
    def cannot_judge(cls, rule: str, reason: str, better_view: str | None) -> "RuleOutcome":
        return cls(not_judged=NotJudged(rule=rule, reason=reason, better_view=better_view))


RuleFunc = Callable[[RuleContext], RuleOutcome]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    func: RuleFunc
    exercises: tuple[str, ...]
    description: str
    words: str  # what it checks in plain words, for summaries: "knees caving in"
    thresholds: tuple[str, ...]  # the "section.key" entries of thresholds.toml it reads


RULES: dict[str, RuleSpec] = {}


def register(name: str, *, exercises: Sequence[str], words: str,
             thresholds: Sequence[str] = ()) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule under `name` for the exercises it applies to, with its plain words and the thresholds.toml
    entries ("section.key") it reads. ValueError for an unknown exercise or a name already registered."""
    unknown = set(exercises) - set(EXERCISES)
    if unknown:
        raise ValueError(f"rule {name}: unknown exercises {sorted(unknown)}; valid: {', '.join(EXERCISES)}")

    def decorate(func: RuleFunc) -> RuleFunc:
        if name in RULES:
            other = RULES[name].func
            raise ValueError(f"rule {name} is registered twice: by {other.__module__}.{other.__qualname__} and by "
                             f"{func.__module__}.{func.__qualname__}; give each rule its own name")
        RULES[name] = RuleSpec(name, func, tuple(exercises), (func.__doc__ or "").strip().splitlines()[0], words,
                               tuple(thresholds))
        return func

    return decorate


def rule_words(name: str) -> str:
    """A rule's words ("knees caving in"); the name itself for a rule not registered."""
    spec = RULES.get(name)
    return spec.words if spec else name


def rules_for(exercise: str) -> list[RuleSpec]:
    return [spec for spec in RULES.values() if exercise in spec.exercises]


def run_rules(ctx: RuleContext) -> list[tuple[RuleSpec, RuleOutcome]]:
    """Run every rule registered for the context's exercise, in registry order."""
    return [(spec, spec.func(ctx)) for spec in rules_for(ctx.exercise)]


# ---- helpers shared by rules -------------------------------------------------------------------------------

def landmark_gain(ctx: RuleContext, section: str, key: str) -> float:
    """How much of a true quantity the pose model's landmarks show (ratio): the measured gain in thresholds.toml
    [section] key for detected landmarks, 1 for an exact synthetic projection."""
    if ctx.track.model_name == EXACT_PROJECTION_MODEL:
        return 1.0
    return ctx.th[section, key]


def landmark_offset(ctx: RuleContext, section: str, key: str) -> float:
    """What the pose model's landmarks read when the true quantity is zero (the quantity's unit): the measured offset
    in thresholds.toml [section] key for detected landmarks, 0 for an exact synthetic projection."""
    if ctx.track.model_name == EXACT_PROJECTION_MODEL:
        return 0.0
    return ctx.th[section, key]


def pelvic_obliquity_gain(ctx: RuleContext) -> float:
    """How much of the true pelvic tilt the track's hip landmarks show ([pelvis] landmark_obliquity_gain)."""
    return landmark_gain(ctx, "pelvis", "landmark_obliquity_gain")


def waistband_tilt(ctx: RuleContext, frames=slice(None)) -> tuple[np.ndarray, np.ndarray] | None:
    """(image tilt, deg, + = the image-right end lower; clear: bool) of the waistband on `frames`, from
    PoseTrack.waistline; None when the track has none. Clear: contrast and coverage at or above [stance_asymmetry]
    waistline_min_contrast and waistline_min_coverage (the one edge detector, whichever rule reads it)."""
    edges = ctx.track.waistline
    if edges is None:
        return None
    tilt, contrast, coverage = edges[frames, :3].T
    clear = (contrast >= ctx.th["stance_asymmetry", "waistline_min_contrast"]) & (
        coverage >= ctx.th["stance_asymmetry", "waistline_min_coverage"])
    return tilt, clear


def a_view(view: str) -> str:
    """'a side view', 'an oblique view': the view named for a sentence."""
    return f"{'an' if view[:1] in 'aeiou' else 'a'} {view} view"


def body_size_px(track: PoseTrack) -> float:
    """The person's size in the image: median over frames of the diagonal of the box around all 33 landmarks (px).
    Unlike the torso length it does not shrink when the trunk points at the camera (a bridge filmed from the feet)."""
    xy = track.landmarks[..., :2] * np.array([track.frame_width, track.frame_height])
    seen = np.isfinite(xy).all(axis=2).sum(axis=1) >= xy.shape[1] // 2  # frames with most landmarks (some gated)
    if not seen.any():
        return float("nan")
    span = np.nanmax(xy[seen], axis=1) - np.nanmin(xy[seen], axis=1)
    return float(np.median(np.linalg.norm(span, axis=-1)))


# The smooth path landmark_jitter measures each point around: the point's own track low-passed at this cutoff (zero
# phase, order 2: the path follows 1.5 Hz at half amplitude, 0.5 Hz at 99%). It lies below the lowest cleaning cutoff
# (clean.clean: min(6 Hz, 0.4 x fps), 3.2 Hz at the 8 fps the pipeline accepts), so at every frame rate the residual
# holds the same band of movement (the part of it faster than ~1.5 Hz) and the noise between 1.5 Hz and the cleaning
# cutoff. A per-frame second difference instead grows with (1 / fps)^2 for the same movement, so that a clear walk at
# 10 fps reads as jumpy as a track that follows the wrong person at 30.
JITTER_SMOOTH_HZ = 1.5
JITTER_SMOOTH_ORDER = 2


def landmark_jitter(track: PoseTrack, names: Sequence[str]) -> float:
    """How much the named landmarks jump about around their own smooth path, in body sizes (body_size_px).

    For each landmark, the 2D distance (px) between its position and its track low-passed at JITTER_SMOOTH_HZ (a
    time constant in seconds, not frames); the median over frames and landmarks, divided by the body size. Steady
    tracking of real movement reads a few thousandths at most, at any frame rate; a pose model unsure of a body part
    (a foreshortened limb, another person) moves its point by a hundredth or more. NaN where no landmark has a run
    long enough to filter (more than butterworth_padlen samples)."""
    shortest = butterworth_padlen(JITTER_SMOOTH_ORDER) + 1
    if track.fps <= 2 * JITTER_SMOOTH_HZ:
        return float("nan")
    distances = []
    for name in names:
        xy = track.xy_px(name)
        if np.isfinite(xy).all(axis=1).sum() < shortest:
            continue
        smooth = np.stack([butterworth_bridging_gaps(xy[:, k], fs=track.fps, cutoff_hz=JITTER_SMOOTH_HZ,
                                                     order=JITTER_SMOOTH_ORDER, min_finite=shortest)
                           for k in range(2)], axis=-1)
        distances.append(np.linalg.norm(xy - smooth, axis=-1))
    steps = np.concatenate(distances) if distances else np.empty(0)
    steps = steps[np.isfinite(steps)]
    if steps.size == 0:
        return float("nan")
    return float(np.median(steps) / body_size_px(track))


def unsteady_landmarks(ctx: RuleContext, rule: str, names: Sequence[str], what: str) -> RuleOutcome | None:
    """A not-judged outcome when the landmarks a rule reads jump about more than the rule's
    `max_landmark_jitter` (thresholds.toml; see landmark_jitter); None when steady enough to judge."""
    jitter = landmark_jitter(ctx.track, names)
    limit = ctx.th[rule, "max_landmark_jitter"]
    if not jitter > limit:
        return None
    return RuleOutcome.cannot_judge(
        rule, f"the pose model is unsure of the {what} in this clip: its points jump about "
        f"({jitter:.4f} of the body size off their smooth path; steady tracking stays under {limit:g}), so this "
        "cannot be read reliably. Film with the whole body in frame, well lit, the camera steady, one person in view",
        better_view=None,  # no other view shows it better: the advice is in the reason
    )


def spans_over(mask: np.ndarray, timestamps_s: np.ndarray, *, min_duration_s: float = 0.0) -> list[tuple[int, int]]:
    """(start, end_exclusive) frame index runs where mask is True lasting at least min_duration_s seconds."""
    period = float(np.median(np.diff(timestamps_s))) if len(mask) > 1 else 0.0
    return [(i, j) for i, j in true_runs(mask) if timestamps_s[j - 1] - timestamps_s[i] + period >= min_duration_s]


def severity_for(value: float, warn: float | None, fault: float | None, *, above: bool = True) -> str | None:
    """'fault', 'warning' or None for a value against thresholds (above=True: bigger is worse)."""
    if not np.isfinite(value):
        return None
    worse = (lambda v, th: v >= th) if above else (lambda v, th: v <= th)
    if fault is not None and worse(value, fault):
        return "fault"
    if warn is not None and worse(value, warn):
        return "warning"
    return None


def rep_top_frames(rep: Rep, signal: np.ndarray, *, top_share: float = 0.25) -> np.ndarray:
    """Frame indices of one rep where `signal` is within the top `top_share` of the rep's rise."""
    idx = np.arange(rep.start_idx, rep.end_idx + 1)
    values = signal[idx]
    finite = np.isfinite(values)
    if not finite.any():
        return idx[:0]
    low, high = np.nanmin(values), np.nanmax(values)
    return idx[finite & (values >= high - top_share * (high - low))]


def findings_from_series(
    ctx: RuleContext,
    *,
    rule: str,
    values: np.ndarray,
    warn: float,
    fault: float,
    above: bool,
    min_duration_s: float,
    unit: str,
    side: str | None,
    evidence: str,
    cue: Callable[[float, str], str],
) -> list[Finding]:
    """One finding per run of frames past `warn` (lasting >= min_duration_s), severity from the run's worst value.

    cue(worst_value, time_text) -> the plain-words message.
    """
    values = np.asarray(values, float)
    with np.errstate(invalid="ignore"):
        past_warn = values >= warn if above else values <= warn
    findings = []
    for start, end in spans_over(past_warn, ctx.t, min_duration_s=min_duration_s):
        segment = values[start:end]
        worst = start + int(np.nanargmax(segment) if above else np.nanargmin(segment))
        value = float(values[worst])
        severity = severity_for(value, warn, fault, above=above) or "warning"
        start_s, end_s = ctx.time_at(start), ctx.end_time_at(end - 1)
        findings.append(
            Finding(
                rule=rule,
                severity=severity,
                side=side,
                start_s=start_s,
                end_s=end_s,
                value=value,
                threshold=fault if severity == "fault" else warn,
                unit=unit,
                cue=cue(value, format_span(start_s, end_s, instant_s=0)),
                evidence=evidence,
                peak_s=ctx.time_at(worst),
            )
        )
    return findings

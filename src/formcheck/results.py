"""What one analysis produces, as plain data, below both the rules and the report renderers: Finding, NotJudged,
RepSpan, HoldSpan, KeySeries, Report and its stable JSON form (REPORT_SCHEMA_VERSION), and Analysis (the cleaned
track, the report and the key series, for the renderers at the edge).

report.json fields (version 1):
    schema_version     int
    source             str: the analysed video or track
    exercise           bridge | hip_thrust | squat | single_leg_squat | walk | single_leg_stance
    exercise           ... | unknown (not recognised, not one formcheck judges, or unsure: see exercise_alternatives)
    exercise_source    "auto" (detected) or "user"
    exercise_confidence  0..1, how clearly the detected exercise's deciding measures clear their thresholds (not a
                       calibrated probability); null when the user named the exercise
    exercise_alternatives  the exercises it could be, best first, when detection was unsure ([] otherwise); then
                       exercise is "unknown" and nothing exercise-specific is judged
    view               side | front | back | feet | oblique
    view_source        "auto" or "user"
    posture            lying | standing
    duration_s, fps, frames, detection_rate (share of frames with a person, 0..1)
    reps[]             {start_s, peak_s, end_s}
    holds[]            {start_s, end_s, duration_s}
    findings[]         {rule, severity: info|warning|fault, side: left|right|null, start_s, end_s,
                        value, threshold, unit, cue, evidence, peak_s}
    not_judged[]       {rule, reason, better_view}
    judged[]           names of the form rules that gave a verdict (silent ones included; added in 1, optional
                       when read)
    segments[]         the shots of an edited clip, {start_s, end_s, view, exercise, judged}, each analysed with its
                       own view; a finding's `segment` is its shot's index ([] and null for a clip of one shot)
    notes[]            plain-words remarks on the clip itself (a rep cut off at the end, the person upside down, a
                       value no body can produce); optional when read
    metrics{}          name -> number (units in the name: _deg, _s, _torso, _hipw, _ratio; counts and 1/0 flags
                       such as stance_drop_from_waistband_left carry none)
    summary            plain-words paragraph
Pure: no cv2, no mediapipe.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from formcheck.track import PoseTrack

REPORT_SCHEMA_VERSION = 1
MEASUREMENT_RULES = ("hold_timer",)  # rules that report a measurement (time held), not a form finding
# metrics key of a report whose picture looked turned (formcheck.orientation): the clockwise --rotate suggested
TURNED_METRIC = "orientation_suggested_rotate_deg"

Severity = Literal["info", "warning", "fault"]
SEVERITIES: tuple[str, ...] = ("info", "warning", "fault")


@dataclass(frozen=True)
class Finding:
    """One thing a rule saw, over a time span, with the measured value against its threshold."""

    rule: str
    severity: Severity
    side: str | None
    start_s: float
    end_s: float
    value: float
    threshold: float
    unit: str
    cue: str
    evidence: str = ""  # which measure the value is (e.g. "FPPA", "knee/ankle separation ratio")
    peak_s: float | None = None  # the worst moment, for key frames
    segment: int | None = None  # index into Report.segments of the shot it was seen in (edited clips)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"side must be left, right or None, got {self.side!r}")


@dataclass(frozen=True)
class NotJudged:
    """A rule that this clip cannot judge, and the camera view that would let it."""

    rule: str
    reason: str
    better_view: str | None


@dataclass(frozen=True)
class SegmentSpan:
    """One segment of a clip (between scene cuts, or where the camera's view of the person changes), analysed with the
    view and exercise seen in it."""

    start_s: float
    end_s: float
    view: str
    exercise: str = ""
    judged: bool = True  # False: too short or nobody in it, so nothing was judged there


@dataclass(frozen=True)
class RepSpan:
    start_s: float
    peak_s: float
    end_s: float


@dataclass(frozen=True)
class HoldSpan:
    start_s: float
    end_s: float
    duration_s: float


@dataclass(frozen=True)
class KeySeries:
    """A measured series worth plotting, with the band the rules judge it against.

    warn_above/fault_above (or warn_below/fault_below) are thresholds in the series' unit; None where unused.
    angle_points names the three landmarks whose angle this is (drawn on key frames), or () if not an angle.
    angle_xy: (T, 3, 2) normalised image (x, y) of those three points where the rule read them somewhere other than
    the track's landmarks (a single-leg squat's planted ankle), so that pictures draw the angle that was judged; None
    when the rule read the track's own points.
    waistband_sides names the sides (left, right) whose findings' values were read from the waistband's edge
    (PoseTrack.waistline) rather than from landmarks: key frames of those findings draw the waistband.
    """

    name: str
    label: str
    unit: str
    values: np.ndarray  # (T,) aligned with the track's frames, NaN where unmeasured
    rules: tuple[str, ...] = ()
    warn_above: float | None = None
    fault_above: float | None = None
    warn_below: float | None = None
    fault_below: float | None = None
    angle_points: tuple[str, ...] = ()
    angle_xy: np.ndarray | None = None
    waistband_sides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    source: str
    exercise: str
    exercise_source: str
    view: str
    view_source: str
    posture: str
    duration_s: float
    fps: float
    frames: int
    detection_rate: float
    reps: list[RepSpan] = field(default_factory=list)
    holds: list[HoldSpan] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    not_judged: list[NotJudged] = field(default_factory=list)
    judged: list[str] = field(default_factory=list)  # form rules that gave a verdict (silent ones included)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # remarks on the clip: a rep cut off, upside down, impossible values
    summary: str = ""
    exercise_confidence: float | None = None
    exercise_alternatives: list[str] = field(default_factory=list)
    segments: list[SegmentSpan] = field(default_factory=list)  # the shots of an edited clip; [] for one shot

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"schema_version": REPORT_SCHEMA_VERSION, **_finite(data)}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        data = dict(data)
        version = data.pop("schema_version", None)
        if version != REPORT_SCHEMA_VERSION:
            raise ValueError(f"report schema version {version!r} is not {REPORT_SCHEMA_VERSION}")
        return cls(
            **{k: v for k, v in data.items() if k not in ("reps", "holds", "findings", "not_judged", "segments")},
            reps=[RepSpan(**r) for r in data.get("reps", [])],
            holds=[HoldSpan(**h) for h in data.get("holds", [])],
            findings=[Finding(**f) for f in data.get("findings", [])],
            not_judged=[NotJudged(**n) for n in data.get("not_judged", [])],
            segments=[SegmentSpan(**g) for g in data.get("segments", [])],
        )

    @property
    def turned(self) -> bool:
        """Whether the picture looked turned (orientation check): nothing judged, a --rotate suggested in the notes."""
        return TURNED_METRIC in self.metrics

    @property
    def faults(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "fault"]

    @property
    def form_findings(self) -> list[Finding]:
        """The findings about form: all but the measurements (MEASUREMENT_RULES, e.g. a hold's time)."""
        return [f for f in self.findings if f.rule not in MEASUREMENT_RULES]

    @property
    def measurements(self) -> list[Finding]:
        """The measurement rules' findings (a hold's time against a baseline): shown apart from the form findings."""
        return [f for f in self.findings if f.rule in MEASUREMENT_RULES]


@dataclass(frozen=True)
class Analysis:
    """The cleaned track, the key series, and the report: everything a renderer needs."""

    track: PoseTrack
    report: Report
    key_series: list[KeySeries] = field(default_factory=list)
    frames: Any = None  # a formcheck.frame_cache.FrameCache of pictures kept from the decode (None for a track)

    def series(self, name: str) -> KeySeries:
        for s in self.key_series:
            if s.name == name:
                return s
        raise KeyError(f"no key series {name!r}; have {', '.join(s.name for s in self.key_series)}")

    def series_for_rule(self, rule: str) -> list[KeySeries]:
        return [s for s in self.key_series if rule in s.rules]


def _finite(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None, floats rounded to 4 decimals."""
    if isinstance(value, float):
        return None if value != value or value in (float("inf"), float("-inf")) else round(value, 4)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return _finite(value.item())
    return value

"""Score formcheck on a labelled set: per-rule precision/recall, and angle error against synthetic truth.

Manifest: a CSV with columns `path, exercise, view, expected_faults` (paths relative to the manifest; exercise and
view may be `auto` or empty; expected_faults = rule names or synthetic fault knobs separated by `;`, or `none`).
Optional columns: `truth` (a formcheck.synth truth JSON), `magnitude`, `split` (e.g. calibration | report), `our_read`.
Exercise `none` labels a clip of a movement formcheck does not judge (a lunge, a deadlift, running): it is analysed with
`--exercise auto`, it should come out `unknown` (declined or unsure), and any fault on it counts as a false positive.
`exercise_confusion` tabulates labelled against detected exercises for clips analysed with `auto` or `none`; with
`detect=True` every clip is analysed as a new user would run it (exercise and view `auto`), the manifest's columns
serving only as labels, so the table covers every clip and `wrong_exercise_judged` counts the clips where another
exercise's rules ran (not a clip whose picture looked turned: no rule runs, the report says which --rotate; its
rules count as not judged). `false_alarms` counts correct-form clips with any warning or fault, per split.

A clip counts as flagged for a rule when the rule reports a finding of severity `fault` (warnings are "watch" cues,
not verdicts). Rules that could not judge the clip (not_judged) count in neither precision nor recall.
For synthetic clips with a truth file, the expected verdict is the same rule applied to the clip's exact, noise-free
projected track (what a perfect pose model would give), so "expected" means "the true geometry is past the
threshold". Angle error compares the measured series with the truth file's per-frame angles.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from formcheck.analysis_types import Analysis
from formcheck.exercises import check_exercise, check_view
from formcheck.rules import RULES
from formcheck.rules.thresholds import Thresholds
from formcheck.track import PoseTrack

# Synthetic fault knobs and the rule that should catch each.
KNOB_RULES = {
    "back_butt": "lumbar_arch",
    "incomplete_lockout": "hip_lockout",
    "knee_valgus": "knee_valgus",
    "pelvic_drop": "hip_sway",
    "pelvic_sway": "hip_sway",
    "neck": "neck_flexion",
}
# Where a knob means another rule's fault in one exercise: a pelvic drop in single-leg stance is stance_asymmetry's.
KNOB_RULES_BY_EXERCISE = {("pelvic_drop", "single_leg_stance"): "stance_asymmetry"}


def rule_for_knob(name: str, exercise: str = "auto") -> str:
    """The rule that should catch a synthetic fault knob in an exercise (a rule name is returned unchanged)."""
    return KNOB_RULES_BY_EXERCISE.get((name, exercise), KNOB_RULES.get(name, name))


REQUIRED_COLUMNS = ("path", "exercise", "view", "expected_faults")
NOT_JUDGED = "none"  # the exercise label of a movement formcheck does not judge


@dataclass
class ClipResult:
    path: str
    exercise: str
    view: str
    expected: set[str]
    flagged: set[str]
    warned: set[str]
    not_judged: set[str]
    angle_errors: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (median, p95) deg
    magnitude: float | None = None
    error: str | None = None
    detection_rate: float = float("nan")
    detected: str = ""  # the report's exercise (unknown when declined or unsure)
    alternatives: tuple[str, ...] = ()  # the report's exercise_alternatives
    split: str = ""
    turned: bool = False  # the picture looked turned (orientation check): nothing judged, a --rotate suggested


@dataclass(frozen=True)
class RuleScore:
    rule: str
    tp: int
    fp: int
    fn: int
    tn: int
    not_judged: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def specificity(self) -> float:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else float("nan")


def read_manifest(path: str | Path) -> list[dict[str, str]]:
    """Rows of a manifest CSV; ValueError naming the file and the problem."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory; give a manifest .csv file")
    if not path.is_file():
        raise ValueError(f"{path}: no such manifest file")
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: not a CSV manifest ({exc})") from None
    if not rows:
        raise ValueError(f"{path}: manifest has no rows")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise ValueError(f"{path}: manifest lacks columns {', '.join(missing)} (needs {', '.join(REQUIRED_COLUMNS)})")
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            _check_row(row)
        except ValueError as exc:
            raise ValueError(f"{path} line {line}: {exc}") from None
    return rows


def _row_choice(row: dict[str, str], column: str) -> str:
    return (row.get(column) or "auto").strip() or "auto"


def _check_row(row: dict[str, str]) -> None:
    """ValueError (one line) for a manifest row whose labels cannot be used, before any clip is analysed."""
    if None in row or any(row.get(c) is None for c in REQUIRED_COLUMNS):
        raise ValueError(f"expected {len(row) - (None in row)} comma-separated cells, like the header")
    if not row["path"].strip():
        raise ValueError("empty path")
    exercise = _row_choice(row, "exercise")
    if exercise != NOT_JUDGED:
        check_exercise(exercise)
    view = _row_choice(row, "view")
    if view not in ("side_left", "side_right"):  # the synthetic cameras' names for the side view are taken too
        check_view(view)
    parse_expected(row.get("expected_faults") or "", exercise)
    magnitude = (row.get("magnitude") or "").strip()
    if magnitude:
        try:
            float(magnitude)
        except ValueError:
            raise ValueError(f"magnitude {magnitude!r} is not a number") from None


def parse_expected(text: str, exercise: str = "auto") -> set[str]:
    """Rule names from a manifest cell: rule names or synthetic knobs (for the row's exercise), separated by ; or
    spaces."""
    names = {n.strip() for n in text.replace(",", ";").replace(" ", ";").split(";")}
    names -= {"", "none", "-"}
    rules = set()
    for name in names:
        rule = rule_for_knob(name, exercise)
        if rule not in RULES:
            raise ValueError(f"unknown fault {name!r}; rules: {', '.join(RULES)}; synthetic knobs: {', '.join(KNOB_RULES)}")
        rules.add(rule)
    return rules


def verdicts(analysis: Analysis) -> tuple[set[str], set[str], set[str]]:
    """(rules with a fault, rules with a warning or fault, rules not judged)."""
    report = analysis.report
    flagged = {f.rule for f in report.findings if f.severity == "fault"}
    warned = {f.rule for f in report.findings if f.severity in ("fault", "warning")}
    return flagged, warned, {n.rule for n in report.not_judged}


def truth_track(truth: dict) -> PoseTrack:
    """A synthetic clip's exact (noise-free) projected track, rebuilt from its truth file: motion, knobs, body shape
    (absent = "default") and the clip's own camera."""
    from formcheck.synth import exact_track

    knobs = {**(truth.get("params") or {}), **(truth.get("faults") or {})}
    camera = None
    if "camera" in truth:  # the clip's own camera (presets may have changed since it was rendered)
        position, target = np.asarray(truth["camera"]["position_m"]), np.asarray(truth["camera"]["target_m"])
        camera = {"vfov_deg": truth["camera"]["vfov_deg"], "cam_height": float(position[2]),
                  "distance": float(np.hypot(*(position - target)[:2]))}
    return exact_track(truth["motion"], knobs, view=truth["view"], seconds=truth["seconds"],
                       seed=truth.get("seed", 0), fps=truth["fps"], width=truth["width"], height=truth["height"],
                       camera=camera, body=truth.get("body", "default"))


def truth_expected(truth: dict, exercise: str, view: str, th: Thresholds) -> set[str]:
    """The rules that flag a fault on the clip's exact (noise-free) projected track."""
    from formcheck.pipeline import analyze

    analysis = analyze(truth_track(truth), exercise=exercise, view=view, thresholds=th)
    return verdicts(analysis)[0]


def angle_errors(analysis: Analysis, truth: dict) -> dict[str, tuple[float, float]]:
    """Median and 95th percentile of |measured - true| (deg) for the angles both sides have."""
    per_frame = truth.get("per_frame", {})
    report = analysis.report
    t_truth = np.asarray(per_frame.get("t", []), float)
    if t_truth.size == 0:
        return {}
    t = analysis.track.timestamps_s
    pairs: list[tuple[str, np.ndarray, np.ndarray]] = []

    def truth_at(name: str) -> np.ndarray | None:
        if name not in per_frame:
            return None
        return np.interp(t, t_truth, np.asarray(per_frame[name], float))

    from formcheck import kinematics

    kin = kinematics.compute(analysis.track, ["trunk_thigh_signed_near", "fppa_left", "fppa_right", "pelvic_obliquity"])
    if report.view == "side":
        true = truth_at("shoulder_hip_knee")  # the body's midline angle in 3D, the quantity the rules target
        if true is not None:
            pairs.append(("shoulder_hip_knee", kin["trunk_thigh_signed_near"], true))
    if report.view in ("front", "back", "feet"):
        for side, key in (("left", "fppa_l"), ("right", "fppa_r")):
            true = truth_at(key)
            if true is not None:
                pairs.append((f"fppa_{side}", kin[f"fppa_{side}"], true))
    if report.view in ("front", "back"):
        true = truth_at("pelvic_obliquity")
        if true is not None:  # truth: + = left hip higher; kinematics: + = left hip lower
            pairs.append(("pelvic_obliquity", kin["pelvic_obliquity"], -true))
    lifted_right, obliquity = truth_at("free_leg_lift_r"), truth_at("pelvic_obliquity")
    if lifted_right is not None and obliquity is not None and any(s.name == "stance_pelvic_drop" for s in analysis.key_series):
        # the rule's own measure: drop on the lifted side (+ = lower); truth obliquity + = left hip higher
        toward_lifted = np.where(lifted_right > truth_at("free_leg_lift_l"), obliquity, -obliquity)
        pairs.append(("stance_pelvic_drop", analysis.series("stance_pelvic_drop").values, toward_lifted))
    errors = {}
    for name, measured, true in pairs:
        diff = np.abs(measured - true)
        diff = diff[np.isfinite(diff)]
        if diff.size:
            errors[name] = (float(np.median(diff)), float(np.percentile(diff, 95)))
    return errors


def evaluate(
    manifest: str | Path,
    *,
    thresholds: Thresholds | None = None,
    analyze_clip: Callable[[Path, str, str], Analysis],
    on_clip: Callable[[ClipResult], None] | None = None,
    detect: bool = False,
) -> list[ClipResult]:
    """Analyse every clip of a manifest. analyze_clip(path, exercise, view) -> Analysis (formcheck.pipeline.analyze
    on a video or an .npz track, as `formcheck analyze` does). detect: analyse with exercise and view `auto` and keep
    the manifest's exercise and view as labels only."""
    th = thresholds or Thresholds.load()
    manifest = Path(manifest)
    results = []
    for row in read_manifest(manifest):
        path = (manifest.parent / row["path"]).resolve() if not Path(row["path"]).is_absolute() else Path(row["path"])
        exercise = _row_choice(row, "exercise")
        view = _row_choice(row, "view")
        if view.startswith("side_"):
            view = "side"
        magnitude = float(row["magnitude"]) if (row.get("magnitude") or "").strip() else None
        result = ClipResult(str(row["path"]), exercise, view, parse_expected(row.get("expected_faults", ""), exercise),
                            set(), set(), set(), magnitude=magnitude, split=(row.get("split") or "").strip())
        try:
            if detect:
                analysis = analyze_clip(path, "auto", "auto")
            else:
                analysis = analyze_clip(path, "auto" if exercise == NOT_JUDGED else exercise, view)
            result.flagged, result.warned, result.not_judged = verdicts(analysis)
            result.detection_rate = analysis.report.detection_rate
            result.detected = analysis.report.exercise
            result.alternatives = tuple(analysis.report.exercise_alternatives)
            result.turned = analysis.report.turned
            truth_name = row.get("truth") or ""
            truth_path = manifest.parent / truth_name if truth_name else path.with_suffix(".truth.json")
            if truth_path.is_file():
                truth = _read_truth(truth_path)
                try:
                    result.expected = truth_expected(truth, exercise, view, th)
                    result.angle_errors = angle_errors(analysis, truth)
                except (KeyError, TypeError, AttributeError) as exc:
                    raise ValueError(f"{truth_path}: not a formcheck synth truth file (bad or missing {exc})") from None
        except (ValueError, OSError) as exc:
            result.error = str(exc).splitlines()[0]
        results.append(result)
        if on_clip:
            on_clip(result)
    return results


def _read_truth(path: Path) -> dict:
    """A synthetic clip's truth JSON; ValueError naming the file when it is not one."""
    try:
        truth = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(truth, dict):
        raise ValueError(f"{path}: not a formcheck synth truth file (expected a JSON object)")
    return truth


def score(results: Iterable[ClipResult]) -> list[RuleScore]:
    """Per-rule confusion counts over the clips the rule applies to and could judge."""
    results = [r for r in results if r.error is None]
    scores = []
    for rule, spec in RULES.items():
        tp = fp = fn = tn = nj = 0
        for r in results:
            if r.exercise not in ("auto", NOT_JUDGED) and r.exercise not in spec.exercises:
                continue
            if rule in r.not_judged or r.turned:  # a turned picture: nothing judged
                nj += 1 if rule in r.expected else 0
                continue
            expected, flagged = rule in r.expected, rule in r.flagged
            if r.exercise in ("auto", NOT_JUDGED) and not expected and not flagged:
                continue
            tp += expected and flagged
            fp += (not expected) and flagged
            fn += expected and not flagged
            tn += (not expected) and not flagged
        if tp + fp + fn + tn + nj:
            scores.append(RuleScore(rule, tp, fp, fn, tn, nj))
    return scores


def exercise_confusion(results: Iterable[ClipResult], labels: dict[str, str]) -> dict[tuple[str, str], int]:
    """(labelled exercise, outcome) -> clips, for clips analysed with detection. labels: path -> labelled exercise
    (`none` for a movement formcheck does not judge). Outcome: the detected exercise, `unsure` when the report named
    alternatives, `declined` (unknown without alternatives), or `turned` when the picture looked turned (nothing
    judged, a --rotate suggested)."""
    table: dict[tuple[str, str], int] = {}
    for r in results:
        if r.error is not None or r.path not in labels:
            continue
        outcome = "turned" if r.turned else r.detected if r.detected != "unknown" else (
            "unsure" if r.alternatives else "declined")
        key = (labels[r.path], outcome)
        table[key] = table.get(key, 0) + 1
    return table


def wrong_exercise_judged(results: Iterable[ClipResult]) -> list[ClipResult]:
    """Clips whose report ran another exercise's rules: detected (not unknown) and not the labelled exercise. Only
    meaningful for clips analysed with detection (labels `none` or `auto` are never wrong unless something was
    detected for a `none` clip)."""
    return [r for r in results if r.error is None and r.detected not in ("", "unknown") and not r.turned
            and r.exercise != "auto" and r.detected != r.exercise]


def false_alarms(results: Iterable[ClipResult]) -> tuple[list[ClipResult], int]:
    """(correct-form clips with any warning or fault, number of correct-form clips scored). Correct form: no expected
    fault."""
    correct = [r for r in results if r.error is None and not r.expected]
    alarmed = [r for r in correct if r.flagged | r.warned]
    return alarmed, len(correct)


def by_split(results: Iterable[ClipResult]) -> dict[str, list[ClipResult]]:
    """Results grouped by the manifest's `split` column ("" when absent), plus "all"."""
    results = list(results)
    groups: dict[str, list[ClipResult]] = {}
    for r in results:
        groups.setdefault(r.split, []).append(r)
    if set(groups) != {""}:
        groups["all"] = results
    return groups


def pooled_angle_errors(results: Iterable[ClipResult]) -> dict[str, tuple[float, float, int]]:
    """Per angle: median of clip medians, max of clip p95s, and the number of clips."""
    pooled: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        for name, pair in r.angle_errors.items():
            pooled.setdefault(name, []).append(pair)
    return {n: (float(np.median([p[0] for p in v])), float(np.max([p[1] for p in v])), len(v)) for n, v in pooled.items()}

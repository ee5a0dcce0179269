"""The report in plain words, for every rendering (terminal, HTML, key frames) and for report.json's summary: one
summary paragraph (summarise), one verdict (verdict_parts), and the words they share. Pure text: no cv2, no
mediapipe.

Numbers, units and times are written by formcheck.formats; each rule's words sit with the rule (rules.rule_words).
"""
from __future__ import annotations

from typing import Sequence

from formcheck.exercises import EXERCISE_WORDS, LYING, VIEW_WORDS
from formcheck.formats import format_span, format_value, plural
from formcheck.results import Finding, Report, RepSpan
from formcheck.rules import rule_words

SEVERITY_WORD = {"fault": "FAULT", "warning": "WARNING", "info": "NOTE"}
SEVERITY_ORDER = {"fault": 0, "warning": 1, "info": 2}
PROBLEMS = ("fault", "warning")  # severities a person must act on; "info" is a note
METRIC_UNITS = {"_deg": "°", "_s": "s", "_torso": "torso lengths", "_hipw": "hip widths", "_ratio": ""}


def exercise_words(report: Report) -> str:
    """'glute bridge'; 'exercise not recognised' for an exercise formcheck could not tell."""
    if report.exercise == "unknown":
        return "exercise not recognised"
    return EXERCISE_WORDS.get(report.exercise, report.exercise.replace("_", " "))


def view_words(view: str | None) -> str:
    """'side view'; 'view not recognised' for a view formcheck could not tell."""
    if not view:
        return ""
    if view == "unknown":
        return "view not recognised"
    return VIEW_WORDS.get(view, f"{view.replace('_', ' ')} view")


def a_view_words(view: str | None) -> str:
    """'a side view', 'an oblique view', 'a view formcheck could not tell'."""
    if not view or view == "unknown":
        return "a view formcheck could not tell"
    words = view_words(view)
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def segment_words(report: Report, index: int | None) -> str:
    """'segment 3 (side view, 4.0–9.5 s)' for a finding of an edited or turning clip's segment; '' otherwise."""
    if index is None or not 0 <= index < len(report.segments) or len(report.segments) < 2:
        return ""
    g = report.segments[index]
    return f"segment {index + 1} ({view_words(g.view)}, {format_span(g.start_s, g.end_s, instant_s=0)})"


def segment_lines(report: Report) -> list[str]:
    """One line per segment of a clip judged in parts: 'Segment 2: 2.4–4.0 s, oblique view, glute bridge, not
    judged (...)'; [] for a clip of one view."""
    if len(report.segments) < 2:
        return []
    lines = []
    for i, g in enumerate(report.segments, 1):
        when = f"Segment {i}: {format_span(g.start_s, g.end_s, instant_s=0)}"
        if g.view == "unknown":
            lines.append(f"{when}: too short or nobody in it: not judged")
            continue
        exercise = EXERCISE_WORDS.get(g.exercise, g.exercise.replace("_", " ")) if g.exercise else ""
        found = sum(1 for f in report.form_findings if f.segment == i - 1)
        said = (plural(found, "finding") if found else "no findings") if g.judged else "not judged from this view"
        lines.append(f"{when}, " + ", ".join(x for x in (view_words(g.view), exercise) if x) + f": {said}")
    return lines


def reps_in(start_s: float, end_s: float, reps: Sequence[RepSpan]) -> list[int]:
    """1-based numbers of the reps that overlap a time span."""
    return [i + 1 for i, r in enumerate(reps) if r.start_s <= end_s and r.end_s >= start_s]


def rep_words(numbers: Sequence[int]) -> str:
    """'rep 2', 'reps 2–4', 'reps 1, 3'."""
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"rep {numbers[0]}"
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"reps {numbers[0]}–{numbers[-1]}"
    return "reps " + ", ".join(str(n) for n in numbers)


def when_words(finding: Finding, reps: Sequence[RepSpan]) -> str:
    """The finding's time span, with the reps it falls in: '2.1–6.0 s (reps 2–4)'."""
    span = format_span(finding.start_s, finding.end_s)
    rw = rep_words(reps_in(finding.start_s, finding.end_s, reps))
    return f"{span} ({rw})" if rw else span


def sorted_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Faults first, then warnings, then notes; by time within each."""
    return sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.start_s))


def metric_label(name: str) -> tuple[str, str]:
    """('knee angle at depth', '°') from 'knee_angle_at_depth_deg'."""
    for suffix, unit in METRIC_UNITS.items():
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " "), unit
    return name.replace("_", " "), ""


def summarise(report: Report) -> str:
    """A plain-words paragraph (report.json's summary): what was seen, the verdicts, and what could not be judged."""
    exercise = EXERCISE_WORDS.get(report.exercise, "unrecognised movement")
    if report.view == "oblique":
        filmed = "filmed from an oblique (three-quarter) angle"
    else:
        filmed = f"filmed from the {report.view}" if report.view in VIEW_WORDS else "from a view formcheck could not tell"
    parts = [f"{exercise.capitalize()}, {filmed}."]
    if report.reps:
        parts.append(f"{plural(len(report.reps), 'rep')} found.")
    if report.holds:
        parts.append(f"Longest hold {format_value(max(h.duration_s for h in report.holds), 's')}.")
    if report.detection_rate < 0.8:
        parts.append(
            f"The person was found in only {report.detection_rate:.0%} of frames, so these results are less sure."
        )
    problems = [f for f in report.findings if f.severity in PROBLEMS]
    by_rule: dict[str, list[Finding]] = {}
    for finding in problems:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule, items in by_rule.items():
        worst = max(items, key=lambda f: (f.severity == "fault", abs(f.value)))
        label = "Fault" if worst.severity == "fault" else "Watch"
        same = [f for f in items if f.unit == worst.unit]  # a rule's other measures (a side difference) apart
        counted = [f for f in same if f.severity == worst.severity]  # as the headline counts: faults, or warnings
        at = format_value(worst.peak_s if worst.peak_s is not None else worst.start_s, "s")
        worst_value = format_value(worst.value, worst.unit)
        where = rep_words(sorted({n for f in counted for n in reps_in(f.start_s, f.end_s, report.reps)}))
        also = len(same) - len(counted)
        parts.append(f"{label}: {rule_words(rule)}, {plural(len(counted), 'time')}"
                     + (f" ({where})" if where else "") + f", worst {worst_value} at {at}"
                     + (f"; {plural(also, 'warning')} besides" if also else "") + ".")
    if not report.judged:
        parts.append("No part of the form could be judged from this clip.")
    elif not problems:
        checked = ", ".join(rule_words(rule) for rule in report.judged)
        parts.append(f"No form faults seen in what this clip could judge ({checked})."
                     + (" The glutes look like they do the work." if report.exercise in LYING and
                        {"lumbar_arch", "hip_lockout"} & set(report.judged) else ""))
    parts += list(report.notes)
    for item in report.not_judged:
        better = f" Film from the {item.better_view} to check it." if item.better_view else ""
        parts.append(f"Not judged: {rule_words(item.rule)} ({item.reason}).{better}")
    return " ".join(parts)


def verdict_parts(report: Report) -> tuple[str, str]:
    """(headline, detail) in plain words: the worst finding's cue, then where it was seen and what else there is.

    Findings of the same rule as the worst one are counted together ("seen at reps 2–4").
    """
    ordered = sorted_findings(report.form_findings)
    serious = [f for f in ordered if f.severity in PROBLEMS]
    if not serious:
        notes = f"{plural(len(ordered), 'note')} below." if ordered else ""
        if not report.judged:
            return "Nothing about the form could be judged from this clip (see below why).", notes
        return f"No faults seen in {'what this clip could judge' if report.not_judged else 'this clip'}.", notes
    top = serious[0]
    headline = top.cue.strip() or top.rule
    if headline[-1] not in ".!?":
        headline += "."
    same = [f for f in serious if f.rule == top.rule and f.severity == top.severity]
    reps = sorted({n for f in same for n in reps_in(f.start_s, f.end_s, report.reps)})
    if reps:
        where = f"Seen at {rep_words(reps)}"
    else:
        where = "Seen at " + ", ".join(format_span(f.start_s, f.end_s) for f in same)
    if len(report.reps) > 1 and reps:
        where += f" of {len(report.reps)}"
    detail = where + "."
    others = len({(f.rule, f.side) for f in serious}) - 1
    if others:
        detail += f" Plus {plural(others, 'more thing')} to look at below."
    return headline, detail


def verdict(report: Report) -> str:
    """The verdict as one paragraph (see verdict_parts)."""
    headline, detail = verdict_parts(report)
    return f"{headline} {detail}".strip()

"""The report in a terminal (rich), and the plain words shared with the HTML report.

Severity is always spelled out (FAULT / WARNING / NOTE) so the summary reads the same without colour.
Pure text: no cv2, no mediapipe.
"""
from __future__ import annotations

import math
from typing import Sequence

from rich.console import Console
from rich.text import Text

from formcheck.exercises import EXERCISE_WORDS, VIEW_WORDS
from formcheck.results import Finding, Report, RepSpan

SEVERITY_WORD = {"fault": "FAULT", "warning": "WARNING", "info": "NOTE"}
SEVERITY_STYLE = {"fault": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_ORDER = {"fault": 0, "warning": 1, "info": 2}
METRIC_UNITS = {"_deg": "°", "_s": "s", "_torso": "torso lengths", "_hipw": "hip widths", "_ratio": ""}


# ---- plain words (shared with report/html.py) ------------------------------------------------------------------------


def exercise_words(report: Report) -> str:
    return EXERCISE_WORDS.get(report.exercise, report.exercise.replace("_", " "))


def view_words(view: str | None) -> str:
    if not view:
        return ""
    return VIEW_WORDS.get(view, f"{view.replace('_', ' ')} view")


def format_value(value: float | None, unit: str) -> str:
    """A measured value with its unit, e.g. '14.2°', '0.85', '0.12 torso lengths'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    u = (unit or "").strip()
    if u.lower() in ("deg", "degrees", "°"):
        return f"{value:.1f}°"
    if u.lower() in ("", "ratio", "-"):
        return f"{value:.2f}"
    if u == "s":
        return f"{value:.1f} s"
    if u == "%":
        return f"{value:.0f}%"
    words = {"torso": "torso lengths", "hipw": "hip widths"}
    return f"{value:.2f} {words.get(u, u)}"


def format_span(start_s: float, end_s: float) -> str:
    """'2.1–4.0 s', or '2.1 s' for an instant."""
    if abs(end_s - start_s) < 0.05:
        return f"{start_s:.1f} s"
    return f"{start_s:.1f}–{end_s:.1f} s"


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


def verdict_parts(report: Report) -> tuple[str, str]:
    """(headline, detail) in plain words: the worst finding's cue, then where it was seen and what else there is.

    Findings of the same rule as the worst one are counted together ("seen at reps 2–4").
    """
    ordered = sorted_findings(report.findings)
    serious = [f for f in ordered if f.severity in ("fault", "warning")]
    if not serious:
        notes = f"{len(ordered)} note{'s' if len(ordered) != 1 else ''} below." if ordered else ""
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
        detail += f" Plus {others} more thing{'s' if others != 1 else ''} to look at below."
    return headline, detail


def verdict(report: Report) -> str:
    """The verdict as one paragraph (see verdict_parts)."""
    headline, detail = verdict_parts(report)
    return f"{headline} {detail}".strip()


def metric_label(name: str) -> tuple[str, str]:
    """('knee angle at depth', '°') from 'knee_angle_at_depth_deg'."""
    for suffix, unit in METRIC_UNITS.items():
        if name.endswith(suffix):
            return name[: -len(suffix)].replace("_", " "), unit
    return name.replace("_", " "), ""


def format_metric(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if unit == "°":
        return f"{value:.1f}°"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return f"{text} {unit}".strip()


# ---- terminal ---------------------------------------------------------------------------------------------------------


def _source_note(source: str) -> str:
    return "auto-detected" if source == "auto" else "as given"


def print_summary(report: Report, console: Console) -> None:
    """Print the report for a person: what was analysed, reps/holds, findings as cues, what was not judged, summary."""
    p = console.print
    title = Text()
    title.append(exercise_words(report).capitalize(), style="bold")
    title.append(f" ({_source_note(report.exercise_source)}), ")
    title.append(view_words(report.view), style="bold")
    title.append(f" ({_source_note(report.view_source)})")
    p(title)
    p(
        f"{report.duration_s:.1f} s, {report.frames} frames at {report.fps:.0f} fps; "
        f"person found in {report.detection_rate:.0%} of frames.",
        style="dim",
        markup=False,
        highlight=False,
    )

    reps, holds = report.reps, report.holds
    parts = []
    if reps:
        parts.append(f"{len(reps)} rep{'s' if len(reps) != 1 else ''}")
    if holds:
        total = sum(h.duration_s for h in holds)
        parts.append(f"{len(holds)} hold{'s' if len(holds) != 1 else ''} ({total:.1f} s in total)")
    p("Counted: " + (", ".join(parts) if parts else "no reps or holds"), markup=False, highlight=False)
    if reps:
        rep_text = "; ".join(
            f"{i}: {r.start_s:.1f}–{r.end_s:.1f} s (top at {r.peak_s:.1f} s)" for i, r in enumerate(reps, 1)
        )
        p(Text("  reps " + rep_text, style="dim"))
    for i, h in enumerate(holds, 1):
        p(Text(f"  hold {i}: {h.start_s:.1f}–{h.end_s:.1f} s ({h.duration_s:.1f} s)", style="dim"))

    p()
    p(Text(verdict(report), style="bold"))
    p()
    if report.findings:
        p(Text("What formcheck saw", style="bold underline"))
        for f in sorted_findings(report.findings):
            style = SEVERITY_STYLE.get(f.severity, "")
            line = Text()
            line.append(f"{SEVERITY_WORD.get(f.severity, f.severity.upper()):<8}", style=style)
            line.append(f" {when_words(f, report.reps)}", style="bold")
            if f.side:
                line.append(f", {f.side} side")
            p(line)
            p(Text(f"  {f.cue}", style=style), soft_wrap=False)
            measure = f"  measured {format_value(f.value, f.unit)}"
            if f.evidence:
                measure += f" ({f.evidence})"
            measure += f" against a threshold of {format_value(f.threshold, f.unit)}"
            p(Text(measure + f"  [{f.rule}]", style="dim"))
    else:
        p(Text("No findings.", style="green"))

    if report.not_judged:
        p()
        p(Text("Not judged from this clip", style="bold underline"))
        for n in report.not_judged:
            line = Text()
            line.append("not judged ", style="magenta")
            line.append(f"{n.rule}: ", style="bold")
            line.append(n.reason.rstrip("."))
            line.append(".")
            if n.better_view:
                line.append(f" Film a {view_words(n.better_view)} to judge this.", style="italic")
            p(line)

    if report.summary:
        p()
        p(Text("Summary", style="bold underline"))
        p(Text(report.summary))

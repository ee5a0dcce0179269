"""The report in a terminal (rich); its words come from report/words.py, shared with the HTML report.

Severity is always spelled out (FAULT / WARNING / NOTE) so the summary reads the same without colour.
Pure text: no cv2, no mediapipe.
"""
from __future__ import annotations

from rich.console import Console
from rich.text import Text

from formcheck.formats import format_span, format_value, plural
from formcheck.report.words import (
    SEVERITY_WORD,
    exercise_words,
    segment_lines,
    segment_words,
    sorted_findings,
    verdict,
    view_words,
    when_words,
)
from formcheck.results import Report

SEVERITY_STYLE = {"fault": "bold red", "warning": "yellow", "info": "cyan"}


# ---- terminal ---------------------------------------------------------------------------------------------------------


def _source_note(source: str) -> str:
    return "auto-detected" if source == "auto" else "as given"


def print_summary(report: Report, console: Console) -> None:
    """Print the report for a person: what was analysed, reps/holds, findings as cues, what was not judged, summary."""
    p = console.print
    title = Text()
    title.append(exercise_words(report).capitalize(), style="bold")
    title.append("" if report.exercise == "unknown" else f" ({_source_note(report.exercise_source)}"
                 + (", not judged: the picture looks turned)" if report.turned else ")"))
    title.append(", ")
    title.append(view_words(report.view), style="bold")
    title.append("" if report.view == "unknown" else f" ({_source_note(report.view_source)})")
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
        parts.append(plural(len(reps), "rep"))
    if holds:
        total = sum(h.duration_s for h in holds)
        parts.append(f"{plural(len(holds), 'hold')} ({format_value(total, 's')} in total)")
    m = report.metrics
    if report.exercise == "walk" and m.get("steps"):
        parts.append(f"{plural(int(m['steps']), 'step')} (left {m.get('steps_left', 0):.0f}, right "
                     f"{m.get('steps_right', 0):.0f}), {plural(int(m.get('strides', 0)), 'stride')}"
                     + (f", median stride {format_value(m['stride_median_s'], 's')}" if "stride_median_s" in m else "")
                     + (f", {m['cadence_steps_per_min']:.0f} steps a minute" if "cadence_steps_per_min" in m else ""))
    empty = "no steps" if report.exercise == "walk" else "no reps or holds"
    p("Counted: " + (", ".join(parts) if parts else empty), markup=False, highlight=False)
    if reps:
        rep_text = "; ".join(
            f"{i}: {format_span(r.start_s, r.end_s, instant_s=0)} (top at {format_value(r.peak_s, 's')})"
            for i, r in enumerate(reps, 1)
        )
        p(Text("  reps " + rep_text, style="dim"))
    said = {round(f.start_s, 3): f.cue for f in report.measurements}
    for i, h in enumerate(holds, 1):
        cue = said.get(round(h.start_s, 3), "")
        p(Text(f"  hold {i}: {format_span(h.start_s, h.end_s, instant_s=0)} ({format_value(h.duration_s, 's')})"
               + (f": {cue}" if cue else ""), style="dim"))

    for line in segment_lines(report):
        p(Text("  " + line, style="dim"))

    p()
    p(Text(verdict(report), style="bold"))
    p()
    if report.form_findings:
        p(Text("What formcheck saw", style="bold underline"))
        for f in sorted_findings(report.form_findings):
            style = SEVERITY_STYLE.get(f.severity, "")
            line = Text()
            line.append(f"{SEVERITY_WORD.get(f.severity, f.severity.upper()):<8}", style=style)
            line.append(f" {when_words(f, report.reps)}", style="bold")
            if f.side:
                line.append(f", {f.side} side")
            if segment_words(report, f.segment):
                line.append(f", {segment_words(report, f.segment)}")
            p(line)
            p(Text(f"  {f.cue}", style=style), soft_wrap=False)
            measure = f"  measured {format_value(f.value, f.unit)}"
            if f.evidence:
                measure += f" ({f.evidence})"
            measure += f", limit {format_value(f.threshold, f.unit)}"
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

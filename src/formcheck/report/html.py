"""The HTML report: one file with inline CSS and its pictures as data URIs, no scripts, no external resources.

The annotated video is not inside it: it is a separate file beside the report (annotated.mp4, a plain <video> tag),
so keep the two together when moving or sending the report.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from formcheck.report.key_frames import key_frames
from formcheck.report.lookups import finding_time
from formcheck.formats import format_span, format_value
from formcheck.report.plots import plot_series, unmeasured_series
from formcheck.report.words import (
    SEVERITY_WORD,
    a_view_words,
    exercise_words,
    metric_label,
    segment_lines,
    segment_words,
    sorted_findings,
    verdict_parts,
    view_words,
    when_words,
)
from formcheck.results import Analysis, Finding, Report

CSS = """
:root { --fault:#c62828; --warn:#b07d00; --info:#0b7a95; --ink:#1d2330; --muted:#5b6473; --line:#e3e6eb;
        --bg:#f6f7f9; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 16px; }
header.top { background: var(--card); border-radius: 12px; padding: 20px 22px; border-left: 8px solid var(--ok, #2e7d32);
             box-shadow: 0 1px 3px rgba(0,0,0,.08); }
header.top.fault { border-left-color: var(--fault); } header.top.warning { border-left-color: #f5be1e; }
header.top.unjudged { border-left-color: var(--muted); }
header.top .what { color: var(--muted); font-size: 14px; margin: 0 0 6px; overflow-wrap: anywhere; }
main { overflow-wrap: break-word; } td code { overflow-wrap: anywhere; }
header.top h1 { font-size: 24px; line-height: 1.3; margin: 0 0 8px; }
header.top p.detail { margin: 0; font-weight: 600; color: var(--muted); }
header.top p.summary { margin: 10px 0 0; }
section { background: var(--card); border-radius: 12px; padding: 16px 22px; margin-top: 16px;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 19px; margin: 0 0 10px; }
.facts { display:flex; flex-wrap:wrap; gap:8px 18px; margin:10px 0 0; padding:0; list-style:none; font-size:14px; color:var(--muted); }
.facts b { color: var(--ink); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 7px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); white-space: nowrap; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.findings { table-layout: fixed; } table.findings col.sev { width: 86px; }
table.findings th:nth-child(1) { width: 86px; } table.findings th:nth-child(3) { width: 150px; }
table.findings th:nth-child(4) { width: 150px; }
td.cue, td.when, td.measured { overflow-wrap: anywhere; }
.about { font-size: 13px; font-weight: 400; color: var(--muted); margin-top: 3px; }
tr.fault td.cue .about, tr.warning td.cue .about { color: var(--muted); font-weight: 400; }
code { font: 13px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:#f0f2f5; padding:1px 4px; border-radius:4px; }
.sev { display:inline-block; font-size:12px; font-weight:700; padding:2px 8px; border-radius:10px; color:#fff; white-space:nowrap; }
.sev.fault { background: var(--fault); } .sev.warning { background: #f5be1e; color:#3a2c00; } .sev.info { background: var(--info); }
tr.fault td.cue { color: var(--fault); font-weight: 600; } tr.warning td.cue { color: #7a5600; font-weight: 600; }
.notjudged li { margin-bottom: 6px; }
.better { color: var(--muted); font-style: italic; }
.grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; }
figure { margin: 0; } figure img, .plot img, video { width: 100%; height: auto; border-radius: 8px; display:block; }
figcaption { font-size: 14px; margin-top: 6px; }
figcaption .when { color: var(--muted); }
.plot { margin-bottom: 14px; }
video { background: #000; max-height: 80vh; }
footer { color: var(--muted); font-size: 13px; padding: 16px 22px 40px; }
footer ul { padding-left: 18px; }
.empty { color: var(--muted); }
@media (max-width: 600px) {
  main { padding: 8px; } header.top, section { padding: 14px; border-radius: 8px; }
  header.top h1 { font-size: 20px; } body { font-size: 15px; }
  table.findings thead { display: none; }
  table.findings tr { display: block; padding: 10px 0; border-bottom: 1px solid var(--line); }
  table.findings { table-layout: auto; }
  table.findings td { display: block; border: none; padding: 2px 0; min-width: 0; white-space: normal; width: auto; }
  table.findings td.sevcell { padding-bottom: 4px; }
  table.findings td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 13px; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _prose(text: object) -> str:
    """Escaped text whose `backticked` parts (commands and options, as the terminal report writes them) are set as
    <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def rgb_data_uri(rgb: np.ndarray, *, quality: int = 85) -> str:
    """A JPEG data URI of an RGB image (photos compress far better as JPEG than PNG)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode key frame")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _header(report: Report) -> str:
    worst = "fault" if report.faults else ("warning" if any(f.severity == "warning" for f in report.findings)
                                          else "ok" if report.judged else "unjudged")
    ex_note = "" if report.exercise == "unknown" else " (detected)" if report.exercise_source == "auto" else " (as given)"
    if report.turned and report.exercise != "unknown":
        ex_note += ", not judged: the picture looks turned"
    view_note = "" if report.view == "unknown" else " (detected)" if report.view_source == "auto" else " (as given)"
    if report.exercise == "walk":
        counts = [f"<li><b>{report.metrics.get('steps', 0):.0f}</b> steps</li>",
                  f"<li><b>{report.metrics.get('strides', 0):.0f}</b> strides</li>"]
    else:
        counts = [f"<li><b>{len(report.reps)}</b> rep{'s' if len(report.reps) != 1 else ''}</li>"]
        if report.holds:
            counts.append(f"<li><b>{len(report.holds)}</b> hold{'s' if len(report.holds) != 1 else ''}</li>")
    facts = [
        f"<li><b>{_e(exercise_words(report).capitalize())}</b>{ex_note}</li>",
        f"<li><b>{_e(view_words(report.view).capitalize())}</b>{view_note}</li>",
        *counts,
        f"<li><b>{format_value(report.duration_s, 's')}</b> at {report.fps:.0f} fps</li>",
        f"<li>person found in <b>{report.detection_rate:.0%}</b> of frames</li>",
    ]
    summary = f'<p class="summary">{_prose(report.summary)}</p>' if report.summary else ""
    headline, detail = verdict_parts(report)
    detail_html = f'<p class="detail">{_e(detail)}</p>' if detail else ""
    return (
        f'<header class="top {worst}"><p class="what">formcheck report · {_e(Path(report.source).name or report.source)}</p>'
        f"<h1>{_e(headline)}</h1>{detail_html}{summary}<ul class=\"facts\">{''.join(facts)}</ul></header>"
    )


def _findings_table(report: Report) -> str:
    findings = report.form_findings
    if not findings:
        return '<section><h2>Findings</h2><p class="empty">No findings in what this clip lets formcheck judge.</p></section>'
    rows = []
    for f in sorted_findings(findings):
        about = " · ".join(x for x in (f.rule, f"{f.side} side" if f.side else "", segment_words(report, f.segment),
                                      f.evidence) if x)
        rows.append(
            f'<tr class="{_e(f.severity)}">'
            f'<td class="sevcell"><span class="sev {_e(f.severity)}">{_e(SEVERITY_WORD.get(f.severity, f.severity))}</span></td>'
            f'<td class="cue">{_e(f.cue)}<div class="about">{_e(about)}</div></td>'
            f'<td class="when" data-label="When">{_e(when_words(f, report.reps))}</td>'
            f'<td class="measured" data-label="Measured"><b>{_e(format_value(f.value, f.unit))}</b>'
            f'<div class="about">limit {_e(format_value(f.threshold, f.unit))}</div></td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("", "What and why", "When", "Measured"))
    return (
        f'<section><h2>Findings</h2><table class="findings"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _segments(report: Report) -> str:
    """The parts of an edited or turning clip, each judged from its own view (segment_lines); '' for one view."""
    lines = segment_lines(report)
    if not lines:
        return ""
    items = "".join(f"<li>{_e(line)}</li>" for line in lines)
    return ('<section class="segments"><h2>Segments</h2><p class="better">The view changes in this clip: each part '
            f"is judged with the rules its own view supports.</p><ul>{items}</ul></section>")


def _not_judged(report: Report) -> str:
    if not report.not_judged:
        return ""
    items = []
    for n in report.not_judged:
        better = f' <span class="better">Film a {_e(view_words(n.better_view))} to judge this.</span>' if n.better_view else ""
        reason = n.reason.strip()
        if reason and reason[-1] not in ".!?":
            reason += "."
        items.append(f"<li><code>{_e(n.rule)}</code>: {_prose(reason)}{better}</li>")
    return f'<section class="notjudged"><h2>Not judged from this clip</h2><ul>{"".join(items)}</ul></section>'


def _reps_holds(report: Report) -> str:
    """Reps (a table), holds (a measurement: time held, against a common baseline) and, for walks, steps and strides."""
    parts = []
    if report.reps:
        rows = [
            f"<tr><td>Rep {i}</td><td class=\"num\">{format_value(r.start_s, 's')}</td>"
            f"<td class=\"num\">{format_value(r.peak_s, 's')}</td><td class=\"num\">{format_value(r.end_s, 's')}</td>"
            f"<td class=\"num\">{format_value(r.end_s - r.start_s, 's')}</td></tr>"
            for i, r in enumerate(report.reps, 1)
        ]
        head = "".join(f"<th>{h}</th>" for h in ("", "Start", "Top", "End", "Duration"))
        parts.append(f'<section><h2>Reps</h2><div class="scroll"><table><thead><tr>{head}</tr></thead>'
                     f"<tbody>{''.join(rows)}</tbody></table></div></section>")
    if report.holds:
        said = {round(m.start_s, 3): m.cue for m in report.measurements}
        items = [
            f"<li><b>{format_value(h.duration_s, 's')}</b> from {format_span(h.start_s, h.end_s, instant_s=0)}"
            + (f" — {_e(said[round(h.start_s, 3)])}" if round(h.start_s, 3) in said else "") + "</li>"
            for h in report.holds
        ]
        parts.append('<section class="holds"><h2>Holds</h2><p class="better">Time held at the top: a measurement, not '
                     f'a fault.</p><ul>{"".join(items)}</ul></section>')
    if report.exercise == "walk":
        m = report.metrics
        if m.get("steps"):
            facts = [f"<li><b>{m['steps']:.0f}</b> steps (left {m.get('steps_left', 0):.0f}, "
                     f"right {m.get('steps_right', 0):.0f})</li>", f"<li><b>{m.get('strides', 0):.0f}</b> strides</li>"]
            if "stride_median_s" in m:
                facts.append(f"<li>median stride <b>{format_value(m['stride_median_s'], 's')}</b></li>")
            if "cadence_steps_per_min" in m:
                facts.append(f"<li>cadence <b>{m['cadence_steps_per_min']:.0f}</b> steps a minute</li>")
            parts.append(f'<section><h2>Steps and strides</h2><ul class="facts">{"".join(facts)}</ul></section>')
        else:
            parts.append('<section><h2>Steps and strides</h2><p class="empty">No steps were found.</p></section>')
    if not parts:
        return '<section><h2>Reps and holds</h2><p class="empty">No reps or holds were found.</p></section>'
    return "".join(parts)


def _plots(analysis: Analysis) -> str:
    if not analysis.key_series:
        return ""
    parts = []
    missing = unmeasured_series(analysis)
    if missing:
        names = "; ".join(s.label for s in missing)
        parts.append(f'<p class="better">Not plotted, as no frame of this clip gave a value: {_e(names)}.</p>')
    for series, png in plot_series(analysis):
        parts.append(
            f'<div class="plot"><img alt="{_e(series.label)} over time" src="{png_data_uri(png)}"></div>'
        )
    note = (
        '<p class="better">Shaded bands: yellow is the warning zone, red the fault zone. '
        "Coloured strips along the bottom mark when a finding was seen; dotted lines mark the top of each rep.</p>"
    )
    return f"<section><h2>Measurements over time</h2>{note}{''.join(parts)}</section>"


def _key_frames(analysis: Analysis, video_path: str | Path | None) -> str:
    findings: Sequence[Finding] = sorted_findings(analysis.report.form_findings)
    if not findings:
        return ""
    images = key_frames(video_path, analysis, findings)
    figures = []
    for f, img in zip(findings, images):
        figures.append(
            f'<figure><img alt="{_e(f.rule)} at {format_value(finding_time(f), "s")}" src="{rgb_data_uri(img)}">'
            f'<figcaption><span class="sev {_e(f.severity)}">{_e(SEVERITY_WORD.get(f.severity, f.severity))}</span> '
            f"{_e(f.cue)} <span class=\"when\">— {format_value(finding_time(f), 's')}, "
            f"{_e(format_value(f.value, f.unit))} vs {_e(format_value(f.threshold, f.unit))}</span></figcaption></figure>"
        )
    pictures = (video_path and Path(video_path).is_file()) or (analysis.frames is not None and len(analysis.frames))
    no_video = "" if pictures else (
        '<p class="better">No video was given, so the pose is drawn on a plain background.</p>'
    )
    return (
        f"<section><h2>The worst moment of each finding</h2>{no_video}"
        f'<div class="grid">{"".join(figures)}</div></section>'
    )


def _video(name: str | None) -> str:
    if not name:
        return ""
    src = _e(name)
    return (
        f'<section><h2>Annotated video</h2><video controls preload="metadata" playsinline src="{src}"></video>'
        f'<p class="better">If it does not play here, open <a href="{src}">{src}</a> (it sits next to this report).</p></section>'
    )


def _metrics(report: Report) -> str:
    if not report.metrics:
        return ""
    rows = []
    for name, value in report.metrics.items():
        label, unit = metric_label(name)
        value_text = format_value(value, unit, significant=3)
        rows.append(f"<tr><td>{_e(label)}</td><td class=\"num\">{_e(value_text)}</td><td><code>{_e(name)}</code></td></tr>")
    head = "<th>Measure</th><th>Value</th><th>Key in report.json</th>"
    return (
        f'<section><h2>Metrics</h2><div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _footer(report: Report, annotated_video_name: str | None) -> str:
    video = (f"<li>The annotated video is a separate file beside this report ({_e(annotated_video_name)}): keep them "
             "together.</li>" if annotated_video_name else "")
    return (
        "<footer><b>What formcheck cannot see.</b><ul>"
        "<li>It sees one flat (2D) picture from one camera. Angles that point towards or away from the camera look "
        "smaller than they are, so a rule is only judged from a view where its movement is side-on to the lens.</li>"
        f"<li>It judged this clip from {_e(a_view_words(report.view))} only; the rules listed as not judged need "
        "another view.</li>"
        f"{video}"
        "<li>The body landmarks are a model's estimate (MediaPipe Pose). They are typically off by a few centimetres, "
        "more with loose clothing, poor light, or limbs hidden behind the body, so values near a threshold are uncertain.</li>"
        "<li>It cannot see your spine, pelvis or muscles directly, pain, or why a movement looks the way it does. "
        "This is feedback on form, not a medical assessment.</li>"
        "</ul></footer>"
    )


def render_html(analysis: Analysis, *, video_path: str | Path | None = None,
                annotated_video_name: str | None = "annotated.mp4") -> str:
    """The whole report as one HTML string (see write_html)."""
    report = analysis.report
    title = f"formcheck: {exercise_words(report)} — {Path(report.source).name or report.source}"
    body = "".join(
        [
            _header(report),
            _findings_table(report),
            _segments(report),
            _not_judged(report),
            _key_frames(analysis, video_path),
            _video(annotated_video_name),
            _plots(analysis),
            _reps_holds(report),
            _metrics(report),
        ]
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}{_footer(report, annotated_video_name)}</main></body></html>\n"
    )


def write_html(
    analysis: Analysis,
    out_path: str | Path,
    *,
    video_path: str | Path | None = None,
    annotated_video_name: str | None = "annotated.mp4",
) -> Path:
    """Write the HTML report (one file; the annotated video stays a separate file beside it). video_path (optional) supplies key-frame pictures; annotated_video_name
    (relative to the HTML file, or None) is embedded as a <video>. Returns out_path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    text = render_html(analysis, video_path=video_path, annotated_video_name=annotated_video_name)
    tmp = out_path.with_name(out_path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out_path)
    return out_path

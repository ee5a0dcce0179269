"""One PNG chart per key series: value over time, threshold bands, finding spans, rep peaks.

Uses matplotlib's object API with the Agg canvas directly (no pyplot, no global backend switch), so it is safe
in threads and headless.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from formcheck.results import MEASUREMENT_RULES, Analysis, Finding, KeySeries

WARN_COLOUR = "#f5be1e"
FAULT_COLOUR = "#e63935"
INFO_COLOUR = "#3cbedc"
LINE_COLOUR = "#1f3b57"
SPAN_COLOUR = {"fault": FAULT_COLOUR, "warning": WARN_COLOUR, "info": INFO_COLOUR}
UNIT_WORDS = {"deg": "degrees", "°": "degrees", "ratio": "ratio", "torso": "torso lengths", "hipw": "hip widths", "s": "s"}
CONTEXT_COLOUR = "#9aa5b1"
# Series drawn in another's plot, not on their own: raw signals as context (a faint line), the values a verdict
# takes a median of (markers).
CONTEXT_SERIES = {"pelvic_drop": "pelvic_tilt_raw"}
MARKER_SERIES = {"pelvic_drop": "pelvic_drop_steps"}
# What a verdict compares with the threshold where it is not the curve itself but a median over steps or strides:
# (metric of the least value it can mean, metric of the most, words). Equal metrics: one line; else the range.
VERDICT_METRICS = {
    "pelvic_drop": tuple((f"hip_sway_drop_standing_{side}_least_deg", f"hip_sway_drop_standing_{side}_most_deg",
                          f"standing on the {side} leg") for side in ("left", "right")),
    "lateral_sway": (("hip_sway_median_lateral_hipw", "hip_sway_median_lateral_hipw", "median over strides"),),
}
VERDICT_COLOURS = ("#7b3fa0", "#2a9d8f")


def _axis_unit(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def _limits(series: KeySeries, values: np.ndarray) -> tuple[float, float]:
    """y range covering the data and every threshold, with a margin."""
    pts = [v for v in values[np.isfinite(values)]]
    thresholds = [t for t in (series.warn_above, series.fault_above, series.warn_below, series.fault_below) if t is not None]
    everything = pts + thresholds
    if not everything:
        return 0.0, 1.0
    lo, hi = float(min(everything)), float(max(everything))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - 0.12 * span, hi + 0.12 * span


def _shade_bands(ax, series: KeySeries, lo: float, hi: float) -> list[Patch]:
    handles: list[Patch] = []
    drew_warn = drew_fault = False
    if series.warn_above is not None or series.fault_above is not None:
        warn = series.warn_above if series.warn_above is not None else series.fault_above
        fault = series.fault_above
        if series.warn_above is not None:
            ax.axhspan(warn, fault if fault is not None else hi, color=WARN_COLOUR, alpha=0.22, lw=0)
            drew_warn = True
        if fault is not None:
            ax.axhspan(fault, hi, color=FAULT_COLOUR, alpha=0.18, lw=0)
            drew_fault = True
    if series.warn_below is not None or series.fault_below is not None:
        fault = series.fault_below
        if series.warn_below is not None:
            ax.axhspan(fault if fault is not None else lo, series.warn_below, color=WARN_COLOUR, alpha=0.22, lw=0)
            drew_warn = True
        if fault is not None:
            ax.axhspan(lo, fault, color=FAULT_COLOUR, alpha=0.18, lw=0)
            drew_fault = True
    for value in (series.warn_above, series.warn_below):
        if value is not None:
            ax.axhline(value, color="#b08600", lw=0.9, ls="--")
    for value in (series.fault_above, series.fault_below):
        if value is not None:
            ax.axhline(value, color="#b0231f", lw=0.9, ls="--")
    if drew_warn:
        handles.append(Patch(color=WARN_COLOUR, alpha=0.45, label="warning zone"))
    if drew_fault:
        handles.append(Patch(color=FAULT_COLOUR, alpha=0.4, label="fault zone"))
    return handles


def _findings_for(series: KeySeries, findings: list[Finding]) -> list[Finding]:
    """Findings of the rules this series feeds; for a sided series, only that side's (or unsided) findings. A
    measurement (a hold's time) is not a finding here: holds are shaded on their own."""
    mine = [f for f in findings if f.rule in series.rules and f.rule not in MEASUREMENT_RULES]
    sides = {p.split("_")[0] for p in series.angle_points if p.startswith(("left", "right"))}
    if not sides:
        sides = {w for w in ("left", "right") if series.name.startswith(w) or f"_{w}" in series.name}
    if len(sides) == 1:
        mine = [f for f in mine if f.side is None or f.side in sides]
    return mine


def _verdict_values(analysis: Analysis, series: KeySeries, ax, unit: str) -> list:
    """Draw what the verdict compares with the threshold (VERDICT_METRICS): a line at each judged median, or the
    range between the least and the most it can mean; the legend handles."""
    handles = []
    metrics = analysis.report.metrics
    for (low_key, high_key, words), colour in zip(VERDICT_METRICS.get(series.name, ()), VERDICT_COLOURS):
        low, high = metrics.get(low_key), metrics.get(high_key)
        if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
            continue
        if abs(high - low) < 1e-9:
            handles.append(ax.axhline(low, color=colour, lw=1.6, ls="-.",
                                      label=f"judged, {words}: {low:.2f} {unit}".replace(".00 ", " ")))
        else:
            handles.append(ax.axhspan(low, high, color=colour, alpha=0.12, hatch="//", lw=0,
                                      label=f"judged, {words}: {low:.1f} to {high:.1f} {unit} (uncertain)"))
    return handles


def plot_one(analysis: Analysis, series: KeySeries) -> bytes:
    """PNG bytes of one series over time (see module docstring)."""
    track = analysis.track
    report = analysis.report
    t = np.asarray(track.timestamps_s, dtype=float)
    values = np.asarray(series.values, dtype=float)
    n = min(len(t), len(values))
    t, values = t[:n], values[:n]

    fig = Figure(figsize=(9.0, 3.4), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    judged = [analysis.report.metrics.get(key) for keys in VERDICT_METRICS.get(series.name, ()) for key in keys[:2]]
    lo, hi = _limits(series, np.r_[values, [v for v in judged if v is not None]])
    ax.set_ylim(lo, hi)
    if n:
        ax.set_xlim(float(t[0]), float(t[-1]) if t[-1] > t[0] else float(t[0]) + 1.0)
    handles = _shade_bands(ax, series, lo, hi)

    for hold in report.holds:
        ax.axvspan(hold.start_s, hold.end_s, color="#8a94a6", alpha=0.10, lw=0)
    if report.holds:
        handles.append(Patch(color="#8a94a6", alpha=0.25, label="hold"))

    t_end = float(t[-1]) if n else 1.0
    seen: set[str] = set()
    for f in _findings_for(series, list(report.findings)):
        colour = SPAN_COLOUR.get(f.severity, INFO_COLOUR)
        ax.axvspan(f.start_s, f.end_s, ymin=0.0, ymax=0.05, color=colour, alpha=0.9, lw=0)
        ax.axvspan(f.start_s, f.end_s, color=colour, alpha=0.08, lw=0)
        seen.add(f.severity)
        label = f.rule + (f" ({f.side})" if f.side else "")
        near_end = f.start_s > t_end - 0.25 * (t_end - (float(t[0]) if n else 0.0))
        ax.text(f.end_s if near_end else f.start_s, 0.075, label, transform=ax.get_xaxis_transform(), fontsize=8,
                color="#222", va="bottom", ha="right" if near_end else "left", clip_on=True,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75))
    for severity in ("fault", "warning", "info"):
        if severity in seen:
            handles.append(Patch(color=SPAN_COLOUR[severity], alpha=0.9, label=f"{severity} seen"))

    context = next((s for s in analysis.key_series if s.name == CONTEXT_SERIES.get(series.name)), None)
    if context is not None:
        raw = np.asarray(context.values, dtype=float)[:n]
        handles.append(ax.plot(t[: len(raw)], raw, color=CONTEXT_COLOUR, lw=1.0, label=context.label)[0])
    ax.plot(t, values, color=LINE_COLOUR, lw=1.8, label=series.label)
    markers = next((s for s in analysis.key_series if s.name == MARKER_SERIES.get(series.name)), None)
    if markers is not None:
        points = np.asarray(markers.values, dtype=float)[:n]
        shown = np.isfinite(points)
        handles.append(ax.plot(t[: len(points)][shown], points[shown], ls="", marker="v", ms=6, color=LINE_COLOUR,
                               mec="white", label=markers.label)[0])
    handles += _verdict_values(analysis, series, ax, _axis_unit(series.unit))
    finite = np.isfinite(values)
    isolated = finite & ~np.r_[False, finite[:-1]] & ~np.r_[finite[1:], False]  # no neighbour: a line cannot show it
    if isolated.any():  # measured on a few frames only (the back's outline: tops and bottoms of reps)
        ax.plot(t[isolated], values[isolated], ls="", marker="o", ms=5, color=LINE_COLOUR, mec="white", mew=0.8)
        ax.text(0.99, 0.02, f"measured on {int(finite.sum())} of {n} frames", transform=ax.transAxes, ha="right",
                va="bottom", fontsize=8, color="#555")
    if not finite.any():
        ax.text(0.5, 0.5, "not measured in this clip", transform=ax.transAxes, ha="center", va="center", color="#666")

    peaks_drawn = False
    for i, rep in enumerate(report.reps, 1):
        ax.axvline(rep.peak_s, color="#555", lw=0.8, ls=":")
        if n:
            k = int(np.argmin(np.abs(t - rep.peak_s)))
            if np.isfinite(values[k]):
                ax.plot([t[k]], [values[k]], marker="o", ms=6, color=LINE_COLOUR, mec="white", mew=1.2, zorder=5)
                peaks_drawn = True
        ax.text(rep.peak_s, 0.985, f"rep {i}", transform=ax.get_xaxis_transform(), fontsize=8, color="#444",
                ha="center", va="top", clip_on=True)
    if peaks_drawn:
        handles.append(ax.plot([], [], marker="o", ls="", color=LINE_COLOUR, mec="white", label="rep top")[0])

    ax.set_title(series.label, fontsize=12, loc="left")
    ax.set_xlabel("time (s)")
    unit = _axis_unit(series.unit)
    ax.set_ylabel(unit or "value")  # the title names the series; a cut label would only repeat it
    ax.grid(True, color="#ddd", lw=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")  # nothing cut off: title, axis labels, legend
    return buf.getvalue()


def _own_plots(analysis: Analysis) -> list[KeySeries]:
    """The key series that get a plot of their own: all but those drawn as another's context (CONTEXT_SERIES)."""
    present = {s.name for s in analysis.key_series}
    context = {other for table in (CONTEXT_SERIES, MARKER_SERIES) for main, other in table.items() if main in present}
    return [s for s in analysis.key_series if s.name not in context]


def plot_series(analysis: Analysis) -> list[tuple[KeySeries, bytes]]:
    """One PNG per key series that has a value on some frame, in the analysis' order (see unmeasured_series)."""
    return [(s, plot_one(analysis, s)) for s in _own_plots(analysis) if np.isfinite(np.asarray(s.values, float)).any()]


def unmeasured_series(analysis: Analysis) -> list[KeySeries]:
    """The key series with no value on any frame: left out of the plots (a blank plot says nothing)."""
    return [s for s in _own_plots(analysis) if not np.isfinite(np.asarray(s.values, float)).any()]

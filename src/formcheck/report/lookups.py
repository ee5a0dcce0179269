"""What belongs on frame i: look-ups into a finished Analysis (no measuring), shared by the overlay and the key
frames: the traced back outline near a frame, a value's colour against its series' bands, the findings active at a
time, the angle series worth drawing.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from formcheck.report.draw import OK_RGB, RGB, SEVERITY_RGB, format_number
from formcheck.report.words import sorted_findings
from formcheck.results import Analysis, Finding, KeySeries, Report
from formcheck.track import DORSAL_POINT_NAMES, PoseTrack, landmark_index


def contour_at(track: PoseTrack, index: int, *, front: bool = True, hold_s: float = 0.15
               ) -> tuple[int, np.ndarray] | None:
    """(frame, (K, 3) points) of the traced body outline at `index`, or at the nearest traced frame within hold_s
    seconds (the outline is only traced on some frames): the back's (5 DORSAL_POINT_NAMES rows), else, with `front`,
    the front's (4 VENTRAL_POINT_NAMES rows); None when neither was traced there."""
    if not 0 <= index < len(track):
        return None
    for points in (track.dorsal_contour, track.ventral_contour if front else None):
        if points is None:
            continue
        traced = np.flatnonzero(np.isfinite(points[:, :, :2]).all(axis=(1, 2)))
        if traced.size == 0:
            continue
        j = int(traced[np.argmin(np.abs(traced - index))])
        if abs(track.timestamps_s[j] - track.timestamps_s[index]) <= hold_s:
            return j, points[j]
    return None


def front_was_read(analysis: Analysis) -> bool:
    """Whether lumbar_arch judged a top by the front's outline (its rib flare series is there): only then is the
    front drawn (contour_at's `front`)."""
    return any(s.name == "rib_flare" for s in analysis.key_series)


def lumbar_text(analysis: Analysis, j: int, points: np.ndarray) -> tuple[str, RGB]:
    """The label drawn on an outline (contour_at's points at frame j): the lumbar angle on the back's, the rib flare
    on the front's."""
    name, word = ("lumbar_angle", "lumbar") if len(points) == len(DORSAL_POINT_NAMES) else ("rib_flare", "rib flare")
    try:
        s = analysis.series(name)
    except KeyError:
        return "", OK_RGB
    v = float(s.values[j]) if j < len(s.values) else float("nan")
    return (f"{word} {format_number(v, 'deg')}" if np.isfinite(v) else ""), (60, 230, 120)


def band_colour(series: KeySeries, value: float) -> RGB:
    """Colour of a value against the series' own thresholds: red in the fault band, yellow in the warning band."""
    if not np.isfinite(value):
        return (150, 150, 150)
    if (series.fault_above is not None and value >= series.fault_above) or (
        series.fault_below is not None and value <= series.fault_below
    ):
        return SEVERITY_RGB["fault"]
    if (series.warn_above is not None and value >= series.warn_above) or (
        series.warn_below is not None and value <= series.warn_below
    ):
        return SEVERITY_RGB["warning"]
    return OK_RGB


def active_findings(findings: Sequence[Finding], t: float, *, slack_s: float = 0.0) -> list[Finding]:
    """Findings whose span holds time t (seconds), faults first."""
    return sorted_findings([f for f in findings if f.start_s - slack_s <= t <= f.end_s + slack_s])


def nearest_frame(track: PoseTrack, t: float) -> int:
    """Index of the track frame nearest to time t (seconds); 0 for an empty track."""
    if len(track) == 0:
        return 0
    return int(np.argmin(np.abs(track.timestamps_s - t)))


def finding_time(finding: Finding) -> float:
    """The finding's worst moment (peak_s), else the middle of its span, in seconds."""
    return float(finding.peak_s) if finding.peak_s is not None else 0.5 * (finding.start_s + finding.end_s)


def finding_text(f: Finding) -> str:
    side = f"({f.side}) " if f.side else ""
    return f"{side}{f.cue}"


def angle_series(analysis: Analysis, rules: Iterable[str] | None = None, side: str | None = None) -> list[KeySeries]:
    series = [s for s in analysis.key_series if len(s.angle_points) == 3]
    if rules is not None:
        wanted = set(rules)
        series = [s for s in series if wanted & set(s.rules)]
    if side:
        sided = [s for s in series if all(not p.startswith(("left", "right")) or p.startswith(side) for p in s.angle_points)]
        series = sided or series
    return series


def angle_landmarks(series: KeySeries, landmarks: np.ndarray, index: int) -> np.ndarray:
    """One frame's landmarks (the track's row `index`) with the series' three angle points moved to where its rule
    read them (KeySeries.angle_xy), so the angle drawn is the angle judged; the row itself when the rule read the
    track's own points."""
    if series.angle_xy is None or not 0 <= index < len(series.angle_xy):
        return landmarks
    moved = np.array(landmarks, dtype=float)
    for name, xy in zip(series.angle_points, series.angle_xy[index]):
        moved[landmark_index(name), :2] = xy
    return moved


def limits_text(series: KeySeries) -> str:
    """The series' thresholds as frames show them: 'warn >= 190 deg, fault >= 200 deg', or 'warn beyond +-6 deg,
    fault beyond +-8 deg' for a band symmetric about zero; '' without any."""
    if (series.warn_above is not None and series.warn_below == -series.warn_above
            and series.fault_above is not None and series.fault_below == -series.fault_above):
        return (f"warn beyond +-{format_number(series.warn_above, series.unit)}, "
                f"fault beyond +-{format_number(series.fault_above, series.unit)}")
    parts = [f"{word} {sign} {format_number(value, series.unit)}" for word, sign, value in (
        ("warn", ">=", series.warn_above), ("fault", ">=", series.fault_above),
        ("warn", "<=", series.warn_below), ("fault", "<=", series.fault_below)) if value is not None]
    return ", ".join(parts)


def rep_text(report: Report, t: float) -> str:
    """Where time t is among the reps: 'rep 2 of 5', '2 of 5 reps done', or '' for a clip without reps."""
    reps = report.reps
    if not reps:
        return ""
    for number, rep in enumerate(reps, start=1):
        if rep.start_s <= t <= rep.end_s:
            return f"rep {number} of {len(reps)}"
    done = sum(rep.end_s < t for rep in reps)
    return f"{done} of {len(reps)} reps done"


def value_at(series: KeySeries, index: int, traced: tuple[int, np.ndarray] | None) -> float:
    """The series' value for frame `index`; for the back outline's series, at the traced frame that is drawn
    (contour_at), so the readout and the outline's label show one number."""
    j = traced[0] if traced is not None and series.name in OUTLINE_SERIES else index
    return float(series.values[j]) if 0 <= j < len(series.values) else float("nan")


OUTLINE_SERIES = ("lumbar_angle", "lumbar_apex_depth", "rib_flare")  # measured on a traced outline (lumbar_arch)

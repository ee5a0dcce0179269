"""Reps, holds and strides: pure functions of a (T,) signal and its timestamps (scipy.signal).

Every parameter is in seconds or in the signal's own unit, never in frames, so results do not depend
on the frame rate. Index fields are frame indices into the track; ``frames`` gives a slice for them.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import find_peaks

from formcheck.track import PoseTrack


@dataclass(frozen=True)
class Rep:
    """One repetition: rise from ``start`` to ``peak``, return to ``end`` (indices inclusive)."""

    start_s: float
    peak_s: float
    end_s: float
    start_idx: int
    peak_idx: int
    end_idx: int
    peak_value: float
    prominence: float = float("nan")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def frames(self) -> slice:
        return slice(self.start_idx, self.end_idx + 1)


@dataclass(frozen=True)
class Hold:
    """A span where the signal stays near its top. ``end_idx`` is exclusive; ``end_s`` is the end of
    the last held frame (its timestamp plus one frame period), so ``duration_s`` counts whole frames."""

    start_s: float
    end_s: float
    duration_s: float
    start_idx: int
    end_idx: int
    level: float

    @property
    def frames(self) -> slice:
        return slice(self.start_idx, self.end_idx)


def _frame_period(timestamps_s: np.ndarray) -> float:
    if len(timestamps_s) < 2:
        return float("nan")
    return float(np.median(np.diff(timestamps_s)))


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[(start, stop)) frame index pairs of the runs of True in a 1-D bool array."""
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _check(signal, timestamps_s) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(signal, dtype=float)
    t = np.asarray(timestamps_s, dtype=float)
    if x.ndim != 1 or t.shape != x.shape:
        raise ValueError(f"signal and timestamps_s must be matching 1-D arrays, got {x.shape} and {t.shape}")
    return x, t


def interpolate_nans(signal, timestamps_s, *, max_gap_s: float | None = None) -> np.ndarray:
    """Linearly fill NaN runs in time; edge runs take the nearest finite value.

    Runs longer than ``max_gap_s`` seconds (gap between the finite neighbours) stay NaN; ``None`` fills
    all. All-NaN input is returned unchanged.
    """
    x, t = _check(signal, timestamps_s)
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x.copy()
    filled = np.interp(t, t[ok], x[ok])
    if max_gap_s is not None:
        idx = np.flatnonzero(ok)
        prev_ok = np.searchsorted(idx, np.arange(len(x)), side="right") - 1
        next_ok = prev_ok + 1
        t_prev = np.where(prev_ok >= 0, t[idx[np.clip(prev_ok, 0, len(idx) - 1)]], -np.inf)
        t_next = np.where(next_ok < len(idx), t[idx[np.clip(next_ok, 0, len(idx) - 1)]], np.inf)
        too_long = ~ok & ((t_next - t_prev) > max_gap_s)
        filled[too_long] = np.nan
    return filled


def find_reps(
    signal,
    timestamps_s,
    *,
    min_prominence: float,
    min_period_s: float = 0.8,
    base_fraction: float = 0.0,
) -> list[Rep]:
    """Repetitions as peaks of ``signal`` (e.g. ``hip_rise`` or ``hip_height`` for bridges, ``-knee_flexion``
    or ``hip_rise`` for squats).

    NaNs are interpolated first (linear interpolation cannot create a peak). Peaks come from
    ``scipy.signal.find_peaks`` with ``prominence >= min_prominence`` (signal units) and at least
    ``min_period_s`` seconds apart. Each rep starts at the lowest point between the previous peak (or
    the start) and its peak and ends at the lowest point before the next peak (or the end). With
    ``base_fraction`` f > 0 the start is instead the *last* frame before the peak within
    f * (peak - trough) of that trough, and the end the *first* frame after it: the moment the signal
    leaves / regains its resting level, which is better when reps are separated by noisy rests.
    Ties at f = 0 go to the frame nearest the peak. A flat or all-NaN signal gives no reps.
    """
    x, t = _check(signal, timestamps_s)
    if not 0.0 <= base_fraction < 1.0:
        raise ValueError(f"base_fraction must be in [0, 1), got {base_fraction}")
    if min_prominence <= 0:
        raise ValueError(f"min_prominence must be positive (signal units), got {min_prominence}")
    if np.isfinite(x).sum() < 3:
        return []
    x = interpolate_nans(x, t)
    dt = _frame_period(t)
    distance = max(1, int(np.floor(min_period_s / dt + 1e-9))) if min_period_s > 0 else 1
    peaks, props = find_peaks(x, prominence=min_prominence, distance=distance)
    reps: list[Rep] = []
    for i, p in enumerate(peaks):
        lo = peaks[i - 1] if i > 0 else 0
        hi = peaks[i + 1] if i + 1 < len(peaks) else len(x) - 1
        # before the peak: latest index in [lo, p] that is at the bottom
        seg = x[lo: p + 1]
        m = seg.min()
        thr = m + base_fraction * (x[p] - m)
        start = lo + int(np.flatnonzero(seg <= thr)[-1])
        seg = x[p: hi + 1]
        m = seg.min()
        thr = m + base_fraction * (x[p] - m)
        end = p + int(np.flatnonzero(seg <= thr)[0])
        reps.append(
            Rep(
                start_s=float(t[start]), peak_s=float(t[p]), end_s=float(t[end]),
                start_idx=start, peak_idx=int(p), end_idx=end,
                peak_value=float(x[p]), prominence=float(props["prominences"][i]),
            )
        )
    return reps


def _running_median(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return x.copy()
    half = width // 2
    padded = np.pad(x, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(windows, axis=-1)


def find_holds(
    signal,
    timestamps_s,
    *,
    tolerance: float,
    min_duration_s: float = 1.0,
    level: float | None = None,
    smooth_s: float = 0.2,
    max_gap_s: float = 0.5,
) -> list[Hold]:
    """Spans where the signal stays within ``tolerance`` (signal units) of its top for >= ``min_duration_s``.

    The signal is first NaN-filled across gaps up to ``max_gap_s`` seconds (longer gaps break a hold)
    and smoothed with a running median over ``smooth_s`` seconds (so a one-frame glitch neither ends a
    hold nor sets the level). The top ``level`` defaults to the maximum of that smoothed signal; pass
    a number (e.g. 0 for "hip on the shoulder-knee line") to hold near a fixed level instead. A frame
    holds when smoothed >= level - tolerance. Durations count whole frames (see ``Hold``).
    """
    x, t = _check(signal, timestamps_s)
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0 (signal units), got {tolerance}")
    if np.isfinite(x).sum() < 2:
        return []
    dt = _frame_period(t)
    x = interpolate_nans(x, t, max_gap_s=max_gap_s)
    width = max(1, int(round(smooth_s / dt)))
    if width % 2 == 0:
        width += 1
    sm = _running_median(x, width)
    sm[~np.isfinite(x)] = np.nan
    top = float(np.nanmax(sm)) if level is None else float(level)
    with np.errstate(invalid="ignore"):
        held = sm >= top - tolerance
    holds: list[Hold] = []
    for s, e in true_runs(held):
        start_s = float(t[s])
        end_s = float(t[e - 1] + dt)
        if end_s - start_s + 1e-9 >= min_duration_s:
            holds.append(Hold(start_s, end_s, end_s - start_s, int(s), int(e), top))
    return holds


# --------------------------------------------------------------------------------------------------
# walking
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """A time span of one side. ``end_idx`` is exclusive."""

    side: str
    start_s: float
    end_s: float
    start_idx: int
    end_idx: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def frames(self) -> slice:
        return slice(self.start_idx, self.end_idx)


@dataclass(frozen=True)
class Gait:
    """Walking events per side ('left', 'right').

    heel_strikes / toe_offs: times (s) of foot-down / foot-up events; swings: foot-off spans;
    stances: foot-down spans from a heel strike to the next toe off of the same foot; strides: heel
    strike to the next heel strike of the same foot. ``leg_extent`` is the per-side signal used
    (hip-to-ankle image height in torso lengths).
    """

    heel_strikes: dict[str, np.ndarray] = field(default_factory=dict)
    toe_offs: dict[str, np.ndarray] = field(default_factory=dict)
    swings: dict[str, list[Span]] = field(default_factory=dict)
    stances: dict[str, list[Span]] = field(default_factory=dict)
    strides: dict[str, list[Span]] = field(default_factory=dict)
    leg_extent: dict[str, np.ndarray] = field(default_factory=dict)

    def stride_count(self) -> int:
        return sum(len(v) for v in self.strides.values())


def leg_extent(track: PoseTrack, side: str, *, smooth_s: float = 0.5) -> np.ndarray:
    """(T,) torso lengths: image height of the ankle below the same-side hip (y_ankle - y_hip), divided
    by the per-frame torso length (running median over ``smooth_s`` s, so walking toward the camera
    does not change the scale). Shrinks when the knee and hip flex to lift the foot (swing)."""
    from formcheck.kinematics import torso_length_series_px

    hip = track.xy_px(f"{side}_hip")
    ankle = track.xy_px(f"{side}_ankle")
    torso = torso_length_series_px(track)
    width = max(1, int(round(smooth_s * track.fps)))
    torso = _running_median(torso, width | 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ankle[:, 1] - hip[:, 1]) / torso


def find_strides(
    track: PoseTrack,
    *,
    min_prominence: float = 0.08,
    min_period_s: float = 0.6,
    foot_down_fraction: float = 0.25,
) -> Gait:
    """Walking events per side from the vertical hip-to-ankle extent (``leg_extent``).

    Heuristic: in any upright view (front, back or side) the leg is longest in the image while its foot
    is on the ground and shortens while the knee and hip flex to carry the foot forward. Each dip of
    the extent deeper than ``min_prominence`` torso lengths (at most one per ``min_period_s``) is a
    swing (``find_reps`` on the negated extent). Toe off = the last frame before the dip within
    ``foot_down_fraction`` of the dip depth from the standing level; heel strike = the first such frame
    after it. Stances run from a heel strike to the next toe off of the same foot, strides from a heel
    strike to the next. Weak points: a shuffling gait with little knee flexion shows no dips; a camera
    looking down steeply shortens every leg alike; landmark swaps between legs break it (clean first).
    """
    gait = Gait()
    t = track.timestamps_s
    for side in ("left", "right"):
        ext = leg_extent(track, side)
        gait.leg_extent[side] = ext
        reps = find_reps(
            -ext, t, min_prominence=min_prominence, min_period_s=min_period_s, base_fraction=foot_down_fraction
        ) if np.isfinite(ext).sum() >= 3 else []
        swings = [Span(side, r.start_s, float(t[r.end_idx]), r.start_idx, r.end_idx) for r in reps]
        hs_idx = [r.end_idx for r in reps if r.end_idx < len(t) - 1]
        to_idx = [r.start_idx for r in reps if r.start_idx > 0]
        gait.swings[side] = swings
        gait.heel_strikes[side] = t[hs_idx].astype(float) if hs_idx else np.array([], dtype=float)
        gait.toe_offs[side] = t[to_idx].astype(float) if to_idx else np.array([], dtype=float)
        stances = []
        for h in hs_idx:
            nxt = [o for o in to_idx if o > h]
            if nxt:
                stances.append(Span(side, float(t[h]), float(t[nxt[0]]), h, nxt[0]))
        gait.stances[side] = stances
        gait.strides[side] = [
            Span(side, float(t[a]), float(t[b]), a, b) for a, b in zip(hs_idx[:-1], hs_idx[1:])
        ]
    return gait

"""Reps, holds and strides: pure functions of a (T,) signal and its timestamps (scipy.signal).

Every parameter is in seconds or in the signal's own unit, never in frames, so results do not depend
on the frame rate. Index fields are frame indices into the track; ``frames`` gives a slice for them.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

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

    def overlaps(self, other: "Rep") -> bool:
        """Whether the two reps share a frame span (start to end, an end frame shared with a start not counted)."""
        return self.start_idx < other.end_idx and other.start_idx < self.end_idx


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
    end_hold_s: float = 0.0,
    whole_only: bool = False,
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

    With ``end_hold_s`` > 0, a last lift that the clip ends on also counts, once it is held: risen at least
    ``min_prominence`` from the lowest point since the previous peak and then within END_TOP_TOLERANCE of that rise
    of the last value for ``end_hold_s`` seconds or more (a bridge held at the top as the clip ends: its top is
    seen). Its peak is where that held top begins and its end the last frame. A lift still under way at the end
    does not count (see rep_cut_off_at_end).

    With ``whole_only``, a first rep that starts at the first measured frame is left out: the clip began mid-lift,
    so neither its start nor its rise was seen (it still bounds the next rep's start).
    """
    x, t = _check(signal, timestamps_s)
    if not 0.0 <= base_fraction < 1.0:
        raise ValueError(f"base_fraction must be in [0, 1), got {base_fraction}")
    if min_prominence <= 0:
        raise ValueError(f"min_prominence must be positive (signal units), got {min_prominence}")
    if np.isfinite(x).sum() < 3:
        return []
    first_seen = int(np.flatnonzero(np.isfinite(x))[0])
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
    if end_hold_s > 0:
        lo = int(peaks[-1]) if len(peaks) else 0
        last = held_top_at_end(np.arange(len(x)), t, x, lo=lo, previous_peak_s=float(t[lo]) if len(peaks) else -np.inf,
                               min_prominence=min_prominence, min_period_s=min_period_s,
                               base_fraction=base_fraction, end_hold_s=end_hold_s)
        if last is not None:
            reps.append(last)
    if whole_only and reps and reps[0].start_idx <= first_seen:
        reps = reps[1:]
    return reps


END_TOP_TOLERANCE = 0.2  # a held top: within this share of the lift's height of the last value


def held_top_at_end(idx: np.ndarray, t: np.ndarray, x: np.ndarray, *, lo: int, previous_peak_s: float,
                    min_prominence: float, min_period_s: float, base_fraction: float,
                    end_hold_s: float) -> Rep | None:
    """The rep of a lift held at the top when the samples end (find_reps' end_hold_s), or None. idx, t, x: frame
    indices, seconds and finite values; lo: the position of the previous peak (0 without one)."""
    if len(x) - lo < 3:
        return None
    top = float(x[-1])
    seg = x[lo:]
    base = float(seg.min())
    height = top - base
    if height < min_prominence:
        return None
    away = np.flatnonzero(np.abs(seg - top) > END_TOP_TOLERANCE * height)
    peak = lo + (int(away[-1]) + 1 if away.size else 0)  # where the held top begins
    if t[-1] - t[peak] < end_hold_s - 1e-9 or t[peak] - previous_peak_s < min_period_s - 1e-9:
        return None
    before = x[lo: peak + 1]
    low = float(before.min())
    if x[peak] - low < min_prominence:
        return None
    start = lo + int(np.flatnonzero(before <= low + base_fraction * (x[peak] - low))[-1])
    return Rep(start_s=float(t[start]), peak_s=float(t[peak]), end_s=float(t[-1]), start_idx=int(idx[start]),
               peak_idx=int(idx[peak]), end_idx=int(idx[-1]), peak_value=float(x[peak]),
               prominence=float(x[peak] - low))


def rep_cut_off_at_end(signal, timestamps_s, reps: Sequence[Rep], *, min_prominence: float) -> float | None:
    """Start (s) of a rep that the clip cuts off, or None.

    After the last rep found by find_reps (or from the clip's start), the signal rose at least half of
    ``min_prominence`` (signal units) from its lowest point and is still there at the last frame: a lift under way
    when the clip ended, which find_peaks cannot count (a peak needs a way down after it).
    """
    x, t = _check(signal, timestamps_s)
    if np.isfinite(x).sum() < 3:
        return None
    x = interpolate_nans(x, t)
    after = reps[-1].end_idx if reps else 0
    seg = x[after:]
    if seg.size < 2 or not np.isfinite(seg).all():
        return None
    low = int(np.argmin(seg))
    risen = seg[-1] - seg[low]
    if risen < 0.5 * min_prominence:
        return None
    start = low + int(np.flatnonzero(seg[low:] <= seg[low] + 0.2 * risen)[-1])  # where it left the bottom
    return float(t[after + start])


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


# --------------------------------------------------------------------------------------------------
# incremental: one sample at a time (live analysis)
# --------------------------------------------------------------------------------------------------
# A rep's start is the last frame near the lowest point of the rest before it; in a long rest the lowest point of
# its last minute serves as well as the whole rest's (a person settles within seconds), and memory stays bounded.
MAX_REST_LOOKBACK_S = 60.0


class RepSegmenter:
    """``find_reps`` one sample at a time: each rep is returned as soon as it ends.

    ``push(index, t_s, value)`` takes the next sample (frame index, seconds, signal units; NaN = unmeasured,
    skipped as ``find_reps``' linear interpolation would skip it) and returns the reps that ended with it.
    ``finish()`` returns the rep still open when the stream ends. The parameters mean what they mean in
    ``find_reps``:

    * a peak counts once the signal has risen ``min_prominence`` above the lowest point since the previous peak
      and then fallen ``min_prominence`` below it. This is scipy's prominence test decided causally: a peak
      higher than the previous one cannot rise less than ``min_prominence`` from their trough, since the
      previous peak fell more than that into it;
    * ``min_period_s``: of two peaks closer than that, the lower is dropped, as ``find_peaks(distance=...)``
      does, except when the earlier one's rep has already been returned (then a higher later peak is kept too);
    * start: the last frame before the peak within ``base_fraction`` of the rise above the lowest point since the
      previous peak, as offline (the rest before the first rep is looked at over its last MAX_REST_LOOKBACK_S);
    * end: offline, the first frame after the peak within ``base_fraction`` of the fall to the lowest point
      before the *next* peak. Here that lowest point is taken as known (and the rep returned) at the first of:
      the signal back at the level the rep started from (within ``base_fraction`` of the height: the same frame
      offline when both rests are level); the signal rising again from its low by ``base_fraction`` of the
      height, at least ``min_prominence`` / 2; no new low for ``min_period_s`` (at rest after the last rep).
    """

    def __init__(self, *, min_prominence: float, min_period_s: float = 0.8, base_fraction: float = 0.0,
                 end_hold_s: float = 0.0, whole_only: bool = False) -> None:
        if not 0.0 <= base_fraction < 1.0:
            raise ValueError(f"base_fraction must be in [0, 1), got {base_fraction}")
        if min_prominence <= 0:
            raise ValueError(f"min_prominence must be positive (signal units), got {min_prominence}")
        self.min_prominence = float(min_prominence)
        self.min_period_s = float(min_period_s)
        self.base_fraction = float(base_fraction)
        self.end_hold_s = float(end_hold_s)
        self.whole_only = bool(whole_only)
        self._first_seen: int | None = None  # the first measured frame's index
        self._produced_any = False
        # samples since the last kept peak (or the start): where the next rep's start and this rep's end lie
        self._idx: list[int] = []
        self._t: list[float] = []
        self._x: list[float] = []
        self._rising = False              # False: looking for a trough (at the start, or after a peak)
        self._low = (np.inf, -1)          # (value, buffer position): lowest since the last peak
        self._high = (-np.inf, -1)        # highest since that trough: the peak candidate
        self._last_peak_t = -np.inf       # the last kept peak, seconds
        self._last_peak_pos = 0           # its buffer position (0: the buffer starts there, or at the start)
        self._open: dict | None = None    # a kept peak whose rep has not ended yet

    def _finite(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(buffer positions, values) of the finite samples in [lo, hi)."""
        x = np.asarray(self._x[lo:hi], float)
        pos = np.flatnonzero(np.isfinite(x))
        return pos + lo, x[pos]

    def _close(self, stop: int, *, back_at_start: bool = False) -> Rep:
        """End the open rep at the offline end within [peak, stop): the first frame within base_fraction of its
        low; with back_at_start, at stop - 1, the first frame back at the level the rep started from."""
        peak = self._open
        assert peak is not None
        pos, x = self._finite(peak["pos"], stop)
        low = float(x.min())
        end = stop - 1 if back_at_start else int(
            pos[np.flatnonzero(x <= low + self.base_fraction * (peak["x"] - low))[0]])
        self._open = None
        return Rep(
            start_s=peak["start_t"], peak_s=peak["t"], end_s=self._t[end],
            start_idx=peak["start_idx"], peak_idx=peak["idx"], end_idx=self._idx[end],
            peak_value=peak["x"], prominence=peak["x"] - max(peak["base"], low),
        )

    def _open_peak(self, peak_pos: int) -> None:
        """Keep the peak at peak_pos: its start from the samples since the previous kept peak, as offline."""
        pos, x = self._finite(0, peak_pos + 1)
        peak_x = float(self._x[peak_pos])
        base = float(x.min())
        start = int(pos[np.flatnonzero(x <= base + self.base_fraction * (peak_x - base))[-1]])
        self._open = dict(pos=peak_pos, idx=self._idx[peak_pos], t=self._t[peak_pos], x=peak_x,
                          start_idx=self._idx[start], start_t=self._t[start], base=base)
        self._last_peak_t = self._t[peak_pos]
        self._last_peak_pos = peak_pos

    def _drop_before(self, cut: int) -> None:
        """Forget the first `cut` buffered samples (buffer positions shift down by `cut`)."""
        if cut <= 0:
            return
        del self._idx[:cut], self._t[:cut], self._x[:cut]
        self._low = (self._low[0], self._low[1] - cut)
        self._high = (self._high[0], self._high[1] - cut)
        self._last_peak_pos = max(0, self._last_peak_pos - cut)
        if self._open is not None:
            self._open["pos"] -= cut

    def _peak_confirmed(self, peak_pos: int) -> list[Rep]:
        done: list[Rep] = []
        peak_t, peak_x = self._t[peak_pos], self._x[peak_pos]
        close = peak_t - self._last_peak_t < self.min_period_s - 1e-9
        if self._open is not None:
            if close:
                if peak_x > self._open["x"]:
                    self._open_peak(peak_pos)  # the higher of two close peaks stays, as find_peaks keeps it
                return done
            last_kept = self._open["pos"]
            done.append(self._close(peak_pos))
        elif close:
            return done  # the earlier peak, already returned, stays
        else:
            last_kept = self._last_peak_pos
        self._drop_before(last_kept)  # this rep's start looks back to the previous kept peak only
        self._open_peak(peak_pos - last_kept)
        return done

    def _whole(self, reps: list[Rep]) -> list[Rep]:
        """whole_only: the first rep left out when it starts at the first measured frame (as find_reps)."""
        first = not self._produced_any
        self._produced_any = self._produced_any or bool(reps)
        if self.whole_only and first and reps and reps[0].start_idx <= self._first_seen:
            return reps[1:]
        return reps

    def push(self, index: int, t_s: float, value: float) -> list[Rep]:
        if self._first_seen is None and np.isfinite(value):
            self._first_seen = int(index)
        return self._whole(self._push(index, t_s, value))

    def _push(self, index: int, t_s: float, value: float) -> list[Rep]:
        self._idx.append(int(index))
        self._t.append(float(t_s))
        self._x.append(float(value))
        done: list[Rep] = []
        if not np.isfinite(value):
            return done
        here = len(self._x) - 1
        if self._rising:
            if value > self._high[0]:
                self._high = (value, here)
            elif value <= self._high[0] - self.min_prominence:
                done += self._peak_confirmed(self._high[1])
                here = len(self._x) - 1
                self._rising = False
                self._low = (value, here)
        else:
            if value < self._low[0]:
                self._low = (value, here)
            elif value >= self._low[0] + self.min_prominence:
                self._rising = True
                self._high = (value, here)
        done += self._maybe_end(value, here)
        self._forget_old_rest()
        return done

    def _maybe_end(self, value: float, here: int) -> list[Rep]:
        """Return the open rep once the low after its peak is known (see the class docstring)."""
        peak = self._open
        if peak is None or here <= peak["pos"]:
            return []
        f = self.base_fraction
        if value <= peak["base"] + f * (peak["x"] - peak["base"]):
            return [self._close(here + 1, back_at_start=True)]
        pos, x = self._finite(peak["pos"], here + 1)
        low_at = int(np.argmin(x))
        low = float(x[low_at])
        turned = value - low >= max(f * (peak["x"] - low), self.min_prominence / 2)
        settled = self._t[here] - self._t[int(pos[low_at])] >= self.min_period_s
        return [self._close(here + 1)] if turned or settled else []

    def _forget_old_rest(self) -> None:
        """Between reps, keep at most MAX_REST_LOOKBACK_S of samples; a low or high that falls out of that
        window is replaced by the lowest or highest sample kept."""
        if self._open is not None or len(self._t) < 2:
            return
        cut = int(np.searchsorted(self._t, self._t[-1] - MAX_REST_LOOKBACK_S))
        if cut <= 0:
            return
        self._drop_before(cut)
        pos, x = self._finite(0, len(self._x))
        if self._low[1] < 0 and x.size:
            self._low = (float(x.min()), int(pos[np.argmin(x)]))
        if self._high[1] < 0 and x.size:
            self._high = (float(x.max()), int(pos[np.argmax(x)]))

    def finish(self) -> list[Rep]:
        """The rep still open at the end of the stream, ended as ``find_reps`` ends its last rep; with end_hold_s,
        then a last lift held at the top, as ``find_reps`` counts it."""
        return self._whole(self._finish())

    def _finish(self) -> list[Rep]:
        done: list[Rep] = []
        lo = self._last_peak_pos
        if self._open is not None:
            lo = self._open["pos"]
            done.append(self._close(len(self._x)))
        if self.end_hold_s > 0:
            pos, x = self._finite(0, len(self._x))
            start = int(np.searchsorted(pos, lo))
            held = held_top_at_end(np.asarray(self._idx)[pos], np.asarray(self._t)[pos], x, lo=start,
                                   previous_peak_s=self._last_peak_t, min_prominence=self.min_prominence,
                                   min_period_s=self.min_period_s, base_fraction=self.base_fraction,
                                   end_hold_s=self.end_hold_s)
            if held is not None:
                done.append(held)
        return done


class HoldSegmenter:
    """``find_holds`` one sample at a time: each hold is returned when it ends.

    ``push(index, t_s, value)`` takes the next sample (frame index, seconds, signal units, NaN = unmeasured) and
    returns the holds that ended by then; ``finish()`` those open when the stream ends. As offline, NaN gaps up to
    ``max_gap_s`` are filled linearly (longer ones break a hold), the signal is smoothed by a centred running
    median over ``smooth_s`` seconds and a frame holds when that is >= level - ``tolerance``; so each frame is
    decided half a window late (0.1 s with the defaults), once the samples after it are in.

    With a fixed ``level`` the holds are those of ``find_holds``. With ``level=None`` offline takes the top of
    the whole signal; here it is the top so far, and a hold starts where the signal came within ``tolerance`` of
    the top reached by its end (a higher top later does not undo an earlier hold). ``frame_period_s``: the
    sample spacing in seconds (default: the spacing of the first two samples).
    """

    def __init__(self, *, tolerance: float, min_duration_s: float = 1.0, level: float | None = None,
                 smooth_s: float = 0.2, max_gap_s: float = 0.5, frame_period_s: float | None = None) -> None:
        if tolerance < 0:
            raise ValueError(f"tolerance must be >= 0 (signal units), got {tolerance}")
        self.tolerance = float(tolerance)
        self.min_duration_s = float(min_duration_s)
        self.level = None if level is None else float(level)
        self.smooth_s = float(smooth_s)
        self.max_gap_s = float(max_gap_s)
        self._dt = frame_period_s
        self._last_t: float | None = None
        self._gap: list[tuple[int, float]] = []            # (index, t) of NaN samples not yet resolved
        self._last_finite: tuple[float, float] | None = None  # (t, value)
        self._samples: list[tuple[int, float, float]] = []  # gap-resolved (index, t, value), from position _base
        self._base = 0                                      # stream position of _samples[0]
        self._next = 0                                      # stream position of the next frame to judge
        self._first_value = float("nan")                    # the edge padding before the first sample
        self._top = -np.inf
        self._run: list[tuple[int, float, float]] = []      # (index, t, smoothed) of the open run of held frames

    def _resolve(self, index: int, t_s: float, value: float) -> list[tuple[int, float, float]]:
        """interpolate_nans(max_gap_s) as samples come: those whose value is now final, in order."""
        if np.isfinite(value):
            gap, self._gap = self._gap, []
            if gap and self._last_finite is not None and t_s - self._last_finite[0] <= self.max_gap_s:
                t0, v0 = self._last_finite
                done = [(i, t, v0 + (value - v0) * (t - t0) / (t_s - t0)) for i, t in gap]
            else:
                done = [(i, t, float("nan")) for i, t in gap]  # leading NaN, or a gap too long: stays NaN
            self._last_finite = (t_s, value)
            return done + [(index, t_s, value)]
        self._gap.append((index, t_s))
        if self._last_finite is None or t_s - self._last_finite[0] > self.max_gap_s:
            gap, self._gap = self._gap, []
            return [(i, t, float("nan")) for i, t in gap]
        return []

    def push(self, index: int, t_s: float, value: float) -> list[Hold]:
        if self._dt is None and self._last_t is not None:
            self._dt = t_s - self._last_t
        self._last_t = float(t_s)
        resolved = self._resolve(int(index), float(t_s), float(value))
        if resolved and self._base == 0 and not self._samples:
            self._first_value = resolved[0][2]
        self._samples += resolved
        return self._judge_ready(final=False)

    def finish(self) -> list[Hold]:
        """Judge the last frames (the window padded with the last value, as offline) and close an open hold."""
        self._samples += [(i, t, float("nan")) for i, t in self._gap]  # a trailing gap stays NaN
        self._gap = []
        return self._judge_ready(final=True) + self._close_run()

    def _judge_ready(self, *, final: bool) -> list[Hold]:
        """Smooth and judge each frame whose window of samples is complete (every frame left when final)."""
        if self._dt is None:
            if not final:
                return []
            self._dt = 1.0
        width = max(1, int(round(self.smooth_s / self._dt)))
        half = (width | 1) // 2
        end = self._base + len(self._samples)
        done: list[Hold] = []
        while self._next < end and (final or self._next + half < end):
            window = []
            for pos in range(self._next - half, self._next + half + 1):
                if pos < 0:
                    window.append(self._first_value)
                else:
                    window.append(self._samples[min(pos, end - 1) - self._base][2])
            index, t_s, x = self._samples[self._next - self._base]
            smoothed = float("nan")
            if np.isfinite(x):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    smoothed = float(np.nanmedian(window))
            done += self._judge(index, t_s, smoothed)
            self._next += 1
        drop = self._next - half - self._base
        if drop > 0:
            del self._samples[:drop]
            self._base += drop
        return done

    def _judge(self, index: int, t_s: float, smoothed: float) -> list[Hold]:
        if self.level is None and np.isfinite(smoothed):
            self._top = max(self._top, smoothed)
        top = self.level if self.level is not None else self._top
        if np.isfinite(smoothed) and smoothed >= top - self.tolerance:
            self._run.append((index, t_s, smoothed))
            return []
        return self._close_run()

    def _close_run(self) -> list[Hold]:
        run, self._run = self._run, []
        if not run:
            return []
        top = self.level if self.level is not None else self._top
        smoothed = np.array([sm for _, _, sm in run])
        holds = []
        # with a moving top, the frames of the run within tolerance of the top reached by its end
        for a, b in true_runs(smoothed >= top - self.tolerance):
            start_s, end_s = run[a][1], run[b - 1][1] + self._dt
            if end_s - start_s + 1e-9 >= self.min_duration_s:
                holds.append(Hold(start_s, end_s, end_s - start_s, run[a][0], run[b - 1][0] + 1, top))
        return holds

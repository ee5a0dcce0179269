"""Cleaning a PoseTrack: visibility gating, left/right swap repair, outliers, gaps, smoothing.

Every function is pure: it takes a PoseTrack and returns a new one (the input is never modified),
takes keyword parameters in real units (seconds, hertz; never frames), and appends one record
``{"step": name, "params": {...}, ...}`` to ``meta["cleaning"]`` so a result says how it was made.

Time is taken from ``track.timestamps_s``: the sample rate used for window lengths and filter design
is ``1 / median(diff(timestamps_s))`` (``track.fps`` only when there are fewer than two frames).

Coordinates cleaned: image x, y, z (``landmarks[..., :3]``) and world x, y, z (``world_landmarks``).
The visibility channel (``landmarks[..., 3]``) is the detector's raw confidence and is never
smoothed, interpolated or set to NaN here (repair_swaps moves it with its landmark); so after
fill_gaps a filled coordinate can sit next to a low visibility, which is how a reader can tell
it was interpolated.

Pure module: imports neither cv2 nor mediapipe.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.interpolate import CubicSpline

from formcheck.phases import true_runs
from formcheck.signal_filters import butterworth as lowpass, butterworth_padlen
from formcheck.track import LANDMARK_INDEX, MIRROR_INDEX, NUM_LANDMARKS, PoseTrack

__all__ = [
    "gate_visibility",
    "fill_gaps",
    "repair_swaps",
    "hampel",
    "butterworth",
    "OneEuroFilter",
    "one_euro",
    "CausalCleaner",
    "clean",
    "DEFAULT_MIN_VISIBILITY",
    "DEFAULT_MAX_GAP_S",
    "DEFAULT_HAMPEL_WINDOW_S",
    "DEFAULT_HAMPEL_N_SIGMAS",
    "DEFAULT_CUTOFF_HZ",
    "DEFAULT_ORDER",
    "DEFAULT_MIN_CUTOFF_HZ",
    "DEFAULT_BETA",
    "DEFAULT_D_CUTOFF_HZ",
]

# ---- defaults (one place; clean() reuses them) ----------------------------------------------

# MediaPipe's own solutions draw / keep a landmark when visibility >= 0.5
# (mediapipe/python/solutions/drawing_utils.py, _VISIBILITY_THRESHOLD = 0.5).
DEFAULT_MIN_VISIBILITY = 0.5
# Pose2Sim Config.toml `interp_if_gap_smaller_than = 10` (frames), expressed at 30 fps = 1/3 s.
# An engineering default, not a measured optimum: longer gaps cross a movement phase.
DEFAULT_MAX_GAP_S = 1.0 / 3.0
# Hampel window: 0.25 s centred (engineering choice: removes isolated spikes up to ~0.1 s long
# while being shorter than a squat / bridge phase, ~0.5-1 s).
DEFAULT_HAMPEL_WINDOW_S = 0.25
# The "3-sigma edit rule": Hampel (1974) JASA 69:383-393; Pearson, Neuvo, Astola & Gabbouj (2016),
# "Generalized Hampel filters", EURASIP J. Adv. Signal Process. 2016:87 (t = 3).
DEFAULT_HAMPEL_N_SIGMAS = 3.0
# Winter, Biomechanics and Motor Control of Human Movement, 4th ed. (2009), ch. 3: most of the
# power of gross human movement is below ~6 Hz; 6 Hz is also Pose2Sim's `cut_off_frequency = 6`.
DEFAULT_CUTOFF_HZ = 6.0
# Pose2Sim Config.toml `order = 4` (single-pass order; filtfilt doubles the effective order).
DEFAULT_ORDER = 4
# Casiez, Roussel & Vogel (2012), "1 Euro Filter: a simple speed-based low-pass filter for noisy
# input in interactive systems", CHI '12, pp. 2527-2530: the reference implementation's values.
DEFAULT_MIN_CUTOFF_HZ = 1.0
DEFAULT_BETA = 0.007
DEFAULT_D_CUTOFF_HZ = 1.0
# One Euro state is reset for a coordinate that has been NaN for longer than this (engineering
# choice: after ~half a second the old position says little about the new one).
DEFAULT_ONE_EURO_RESET_S = 0.5

# ---- landmark groups for swap repair --------------------------------------------------------

_LEG_NAMES = ("knee", "ankle", "heel", "foot_index")
_LEGS_IDX = np.array(
    [i for n, i in LANDMARK_INDEX.items() if n.split("_", 1)[-1] in _LEG_NAMES], dtype=int
)
_UPPER_IDX = np.array([i for i in range(NUM_LANDMARKS) if i not in set(_LEGS_IDX)], dtype=int)
# Landmarks compared between frames to decide a swap (stable, big, rarely occluded all at once).
_UPPER_KEY = np.array([LANDMARK_INDEX[f"{s}_{p}"] for p in ("shoulder", "hip") for s in ("left", "right")])
_LEGS_KEY = np.array([LANDMARK_INDEX[f"{s}_{p}"] for p in ("knee", "ankle") for s in ("left", "right")])


# ---- small helpers ------------------------------------------------------------------------


def _sample_rate_hz(track: PoseTrack) -> float:
    """Samples per second from the real timestamps (median spacing); track.fps if < 2 frames."""
    if len(track) < 2:
        return float(track.fps)
    return float(1.0 / np.median(np.diff(track.timestamps_s)))


def _record(track: PoseTrack, landmarks: np.ndarray, world: np.ndarray, step: str,
            params: dict[str, Any], **extra: Any) -> PoseTrack:
    """New track with these arrays and one more entry in meta['cleaning']."""
    entry: dict[str, Any] = {"step": step, "params": dict(params)}
    entry.update(extra)
    history = list(track.meta.get("cleaning", []))
    history.append(entry)
    return track.with_arrays(landmarks=landmarks, world_landmarks=world, cleaning=history)


def _coords(track: PoseTrack) -> np.ndarray:
    """(T, 33*3 + 33*3) float copy of image xyz then world xyz, one column per coordinate series."""
    T = len(track)
    return np.concatenate(
        [track.landmarks[:, :, :3].reshape(T, NUM_LANDMARKS * 3),
         track.world_landmarks.reshape(T, NUM_LANDMARKS * 3)],
        axis=1,
    ).copy()


def _with_coords(track: PoseTrack, series: np.ndarray, step: str, params: dict[str, Any],
                 **extra: Any) -> PoseTrack:
    """Put (T, 198) coordinate series back (visibility untouched) and record the step."""
    T = len(track)
    n = NUM_LANDMARKS * 3
    lm = np.array(track.landmarks, dtype=np.float64)  # writable copy
    lm[:, :, :3] = series[:, :n].reshape(T, NUM_LANDMARKS, 3)
    wl = series[:, n:].reshape(T, NUM_LANDMARKS, 3).copy()
    return _record(track, lm, wl, step, params, **extra)


def _group_columns_by_mask(finite: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group columns of a (T, N) bool array that share the same pattern: [(mask (T,), cols)]."""
    if finite.shape[1] == 0:
        return []
    patterns, inverse = np.unique(finite.T, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    return [(patterns[g], np.flatnonzero(inverse == g)) for g in range(len(patterns))]


# ---- gate_visibility ------------------------------------------------------------------------


def gate_visibility(track: PoseTrack, *, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> PoseTrack:
    """Set image and world x, y, z to NaN where the landmark's visibility is below a threshold.

    Parameters
    ----------
    min_visibility : float in [0, 1]
        MediaPipe visibility (the detector's probability that the landmark is visible in the
        frame). Landmarks with visibility < min_visibility lose their coordinates. Default 0.5,
        MediaPipe's own drawing threshold. A NaN visibility gates nothing.

    Returns a new PoseTrack; visibility values are kept unchanged.
    """
    if not 0.0 <= min_visibility <= 1.0:
        raise ValueError(f"min_visibility must be in [0, 1], got {min_visibility}")
    lm = np.array(track.landmarks, dtype=np.float64)
    wl = np.array(track.world_landmarks, dtype=np.float64)
    low = lm[:, :, 3] < min_visibility  # NaN compares False: no person is already NaN
    lm[:, :, :3][low] = np.nan
    wl[low] = np.nan
    return _record(track, lm, wl, "gate_visibility", {"min_visibility": float(min_visibility)},
                   landmarks_gated=int(low.sum()))


# ---- fill_gaps ------------------------------------------------------------------------------


def fill_gaps(track: PoseTrack, *, max_gap_s: float = DEFAULT_MAX_GAP_S) -> PoseTrack:
    """Interpolate short interior NaN gaps of each coordinate (image and world) with a cubic spline.

    Parameters
    ----------
    max_gap_s : float, seconds
        Longest gap filled, measured as the time spanned by the missing samples
        (last missing timestamp - first missing timestamp + one frame period; at 30 fps a
        6-frame gap is 0.2 s). Longer gaps, and NaN at the start or end of the track, stay NaN.

    Method: scipy.interpolate.CubicSpline (not-a-knot) through all finite samples of the series,
    against the real timestamps. Chosen over linear / PCHIP because those are monotone between the
    two samples bracketing a gap, so an extremum hidden in the gap (the bottom of a squat) is cut
    off: for a 1 Hz unit sine and a 0.2 s gap PCHIP errs by up to 0.25, the spline by 0.015. The
    price: the spline follows noise at the gap edges (with 0.005 white noise, errors up to ~0.05-0.09
    at 30-60 fps), so smooth afterwards. Visibility is not filled (stays raw).
    """
    if max_gap_s < 0:
        raise ValueError(f"max_gap_s must be >= 0 seconds, got {max_gap_s}")
    series = _coords(track)
    t = track.timestamps_s
    period = 1.0 / _sample_rate_hz(track)
    filled = 0
    for finite, cols in _group_columns_by_mask(np.isfinite(series)):
        if finite.sum() < 2 or finite.all():
            continue
        to_fill = np.zeros_like(finite)
        for start, stop in true_runs(~finite):
            if start == 0 or stop == len(t):
                continue  # leading / trailing: nothing on one side
            if t[stop - 1] - t[start] + period <= max_gap_s + 1e-9:
                to_fill[start:stop] = True
        if not to_fill.any():
            continue
        interp = CubicSpline(t[finite], series[np.ix_(finite, cols)], axis=0, extrapolate=False)
        series[np.ix_(to_fill, cols)] = interp(t[to_fill])
        filled += int(to_fill.sum()) * len(cols)
    return _with_coords(track, series, "fill_gaps", {"max_gap_s": float(max_gap_s), "method": "cubic_spline"},
                        values_filled=filled)


# ---- repair_swaps ---------------------------------------------------------------------------


class _SwapDecider:
    """Frame-by-frame left/right labelling decision for one landmark group (see ``_swap_states``).

    ``step(t_s, raw, mirrored)`` takes one frame's key positions as labelled and as mirrored ((K, 2), all
    finite) and returns True when the frame's labels must be mirrored. Compared with the position predicted
    from the two previous corrected frames (constant velocity; one frame: constant position); a gap longer
    than ``max_gap_s`` starts a new stretch whose first frame's labelling is taken as correct.
    """

    def __init__(self, *, ratio: float, min_jump: float, max_gap_s: float) -> None:
        self.ratio = ratio
        self.min_jump = min_jump
        self.max_gap_s = max_gap_s
        self.flipped = False
        self.stretch = 0
        self._hist: list[tuple[float, np.ndarray]] = []  # (time, corrected key positions), last two

    def step(self, t_s: float, raw: np.ndarray, mirrored: np.ndarray) -> bool:
        hist = self._hist
        if hist and t_s - hist[-1][0] > self.max_gap_s:
            self.stretch += 1
            self.flipped = False
            hist = []
        if hist:
            t1, p1 = hist[-1]
            pred = p1
            if len(hist) == 2:
                t0, p0 = hist[0]
                pred = p1 + (p1 - p0) * (t_s - t1) / (t1 - t0)
            same = mirrored if self.flipped else raw
            other = raw if self.flipped else mirrored
            cost_same = float(np.linalg.norm(same - pred, axis=1).mean())
            cost_other = float(np.linalg.norm(other - pred, axis=1).mean())
            if cost_other < self.ratio * cost_same and cost_same - cost_other > self.min_jump:
                self.flipped = not self.flipped
        corrected = mirrored if self.flipped else raw
        self._hist = (hist + [(float(t_s), corrected)])[-2:]
        return self.flipped


def _swap_states(xy: np.ndarray, t: np.ndarray, key: np.ndarray, *, ratio: float, min_jump: float,
                 max_gap_s: float, causal: bool) -> np.ndarray:
    """(T,) bool: frames whose `key` group must be mirrored to be continuous with the track.

    Walks the frames where every key landmark is finite, keeping a corrected history. Each frame
    is compared, as labelled and mirrored, with the position predicted from the two previous
    corrected frames (constant velocity; one frame: constant position). The labelling flips when
    the mirrored one is much closer (cost_mirror < ratio * cost_identity and the saving per
    landmark > min_jump). Constant velocity keeps legs that cross (side view) from looking swapped.
    Within each stretch (split at gaps > max_gap_s) the labelling held by most frames is taken as
    correct (causal: the stretch's first frame's) and the frames in the other one are flagged.
    """
    T = len(t)
    valid = np.flatnonzero(np.isfinite(xy[:, key]).all(axis=(1, 2)))
    flags = np.zeros(T, dtype=bool)
    if len(valid) == 0:
        return flags
    raw_all = xy[:, key]
    mir_all = xy[:, MIRROR_INDEX[key]]
    decider = _SwapDecider(ratio=ratio, min_jump=min_jump, max_gap_s=max_gap_s)
    state = np.zeros(len(valid), dtype=bool)   # mirrored relative to the stretch's first frame
    segment = np.zeros(len(valid), dtype=int)
    for j, i in enumerate(valid):
        state[j] = decider.step(float(t[i]), raw_all[i], mir_all[i])
        segment[j] = decider.stretch
    wrong = np.zeros(len(valid), dtype=bool)
    for s in range(decider.stretch + 1):
        members = segment == s
        share = state[members].mean()
        reference = state[members][0] if (causal or share == 0.5) else share > 0.5
        wrong[members] = state[members] != reference
    # frames without the key landmarks take the state of the last valid frame (first for leading)
    pos = np.clip(np.searchsorted(valid, np.arange(T), side="right") - 1, 0, len(valid) - 1)
    flags[:] = wrong[pos]
    return flags


def repair_swaps(track: PoseTrack, *, ratio: float = 0.5, min_jump_torso: float = 0.1,
                 max_gap_s: float = 0.5, causal: bool = False) -> PoseTrack:
    """Undo BlazePose left/right label swaps, for the whole body and for the legs alone.

    BlazePose sometimes labels the left limbs as the right ones for a few frames (worst when the
    person is seen from behind or lying down); most often only knees/ankles/heels/feet swap while
    the hips stay right. Two groups are repaired independently: legs (knees, ankles, heels, foot
    indices; decided on knees + ankles) and the rest (face, arms, shoulders, hips; decided on
    shoulders + hips). A whole-body swap is both at once. Decisions use image x, y (normalised).

    Parameters
    ----------
    ratio : float, unitless in (0, 1)
        A label swap is declared when the mirrored labels' mean distance to the position
        predicted from the two previous frames (constant velocity) is below ratio x the
        unmirrored one. 0.5: engineering choice; when the two
        sides overlap in the image (side view) the two costs are similar and no swap is declared.
    min_jump_torso : float, torso lengths
        ...and the mirrored labels must also be closer by more than this, per landmark, in units of
        the track's median torso length (shoulder-midpoint to hip-midpoint, image). Guards against
        noise when the left and right landmarks nearly coincide.
    max_gap_s : float, seconds
        Frames further apart than this (after missing frames) are not compared; each stretch is
        judged on its own.
    causal : bool
        False (offline): in each stretch the labelling held by most frames is taken as correct,
        so a swap at the very start is repaired too. True (streaming): the first frame's labelling
        is correct and each decision uses only earlier frames.

    Returns a new PoseTrack; landmark rows (x, y, z, visibility) and world rows are permuted with
    track.MIRROR_INDEX, never altered. meta["cleaning"][-1] records frames_repaired (frames with
    any group swapped back), frames_upper_swapped and frames_legs_swapped.
    """
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"ratio must be in (0, 1), got {ratio}")
    lm = np.array(track.landmarks, dtype=np.float64)
    wl = np.array(track.world_landmarks, dtype=np.float64)
    xy = lm[:, :, :2]
    t = track.timestamps_s
    sh = xy[:, [LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]]].mean(axis=1)
    hp = xy[:, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]].mean(axis=1)
    torso = np.linalg.norm(sh - hp, axis=1)
    torso = float(np.nanmedian(torso)) if np.isfinite(torso).any() else 0.0
    min_jump = min_jump_torso * torso
    params = dict(ratio=float(ratio), min_jump_torso=float(min_jump_torso),
                  max_gap_s=float(max_gap_s), causal=bool(causal))
    upper = _swap_states(xy, t, _UPPER_KEY, ratio=ratio, min_jump=min_jump, max_gap_s=max_gap_s, causal=causal)
    legs = _swap_states(xy, t, _LEGS_KEY, ratio=ratio, min_jump=min_jump, max_gap_s=max_gap_s, causal=causal)
    out_lm, out_wl = lm.copy(), wl.copy()
    for flags, idx in ((upper, _UPPER_IDX), (legs, _LEGS_IDX)):
        rows = np.flatnonzero(flags)
        if len(rows):
            out_lm[np.ix_(rows, idx)] = lm[np.ix_(rows, MIRROR_INDEX[idx])]
            out_wl[np.ix_(rows, idx)] = wl[np.ix_(rows, MIRROR_INDEX[idx])]
    return _record(track, out_lm, out_wl, "repair_swaps", params,
                   frames_repaired=int((upper | legs).sum()),
                   frames_upper_swapped=int(upper.sum()), frames_legs_swapped=int(legs.sum()))


# ---- hampel ---------------------------------------------------------------------------------


# Coordinates filtered at a time: the windowed medians' temporaries are T x columns x window samples, so a 10 min
# track at 30 fps takes ~20 MB at a time instead of ~500 MB for all 198 coordinates at once.
HAMPEL_COLUMNS_AT_ONCE = 8


def hampel(track: PoseTrack, *, window_s: float = DEFAULT_HAMPEL_WINDOW_S,
           n_sigmas: float = DEFAULT_HAMPEL_N_SIGMAS) -> PoseTrack:
    """Hampel outlier filter on each image and world coordinate (Hampel 1974; Pearson et al. 2016).

    A sample is an outlier when |x - m| > n_sigmas * 1.4826 * MAD, with m the median and MAD the
    median absolute deviation of the finite samples in a centred window (the textbook rule).
    Outliers are replaced by the median of the window's samples that are not outliers themselves
    (the textbook filter uses m, which a spike inside the window shifts by one rank: an error of
    one sample's movement, 0.05 on a 0.25 Hz unit sine at 30 fps). No NaN is introduced; NaN
    samples are ignored and kept.

    Parameters
    ----------
    window_s : float, seconds
        Centred window length; half-width k = max(1, round(window_s * rate / 2)) samples, so the
        window is 2k+1 samples (at 30 fps, 0.25 s gives 9 samples = 0.3 s). Spikes up to about k
        samples long are removed. Windows with fewer than 3 finite samples judge nothing.
    n_sigmas : float, robust standard deviations (1.4826 * MAD estimates sigma for Gaussian noise)

    Limits: the MAD includes the movement within the window, so while a coordinate moves at speed v
    (units/s) only deviations above about n_sigmas * 1.4826 * (k / 2) * v / rate (~0.3 s * v with
    the defaults) are caught; the replacement, a running median, is biased near a peak of a fast
    curve (up to 0.09 for a 1 Hz unit sine at 30 fps) -- but only outliers are replaced.
    """
    if window_s <= 0:
        raise ValueError(f"window_s must be > 0 seconds, got {window_s}")
    if n_sigmas <= 0:
        raise ValueError(f"n_sigmas must be > 0, got {n_sigmas}")
    rate = _sample_rate_hz(track)
    k = max(1, int(round(window_s * rate / 2.0)))
    series = _coords(track)
    T = series.shape[0]
    replaced = 0
    if T >= 3:
        padded = np.pad(series, ((k, k), (0, 0)), constant_values=np.nan)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * k + 1, axis=0)  # (T, N, 2k+1)
        enough = np.isfinite(windows).sum(axis=2) >= 3
        med, mad = np.empty_like(series), np.empty_like(series)
        for lo in range(0, series.shape[1], HAMPEL_COLUMNS_AT_ONCE):  # bounded temporaries on long tracks
            part = windows[:, lo : lo + HAMPEL_COLUMNS_AT_ONCE]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN: judged nothing
                med[:, lo : lo + HAMPEL_COLUMNS_AT_ONCE] = np.nanmedian(part, axis=2)
                mad[:, lo : lo + HAMPEL_COLUMNS_AT_ONCE] = 1.4826 * np.nanmedian(
                    np.abs(part - med[:, lo : lo + HAMPEL_COLUMNS_AT_ONCE, None]), axis=2)
        outlier = enough & np.isfinite(series) & (np.abs(series - med) > n_sigmas * mad)
        if outlier.any():
            # replacement: median of the window's samples not flagged (an included spike would
            # shift the median by one rank, i.e. by one sample's worth of movement)
            rows, cols = np.nonzero(outlier)
            flagged = np.pad(outlier, ((k, k), (0, 0)))
            neighbours = windows[rows, cols].copy()                         # (n, 2k+1)
            neighbours[np.lib.stride_tricks.sliding_window_view(flagged, 2 * k + 1, axis=0)[rows, cols]] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                repl = np.nanmedian(neighbours, axis=1)
            series[rows, cols] = np.where(np.isfinite(repl), repl, med[rows, cols])
        replaced = int(outlier.sum())
    return _with_coords(track, series, "hampel",
                        {"window_s": float(window_s), "n_sigmas": float(n_sigmas), "replace": "median"},
                        values_replaced=replaced, window_samples=2 * k + 1)


# ---- butterworth ----------------------------------------------------------------------------


def butterworth(track: PoseTrack, *, cutoff_hz: float = DEFAULT_CUTOFF_HZ,
                order: int = DEFAULT_ORDER) -> PoseTrack:
    """Zero-phase low-pass Butterworth filter (scipy sosfiltfilt) on each image and world coordinate.

    Parameters
    ----------
    cutoff_hz : float, Hz
        -3 dB frequency of one pass; the forward-backward result has gain 0.5 (-6 dB) there and
        no phase lag. Must be in (0, rate/2) where rate is the timestamps' sample rate; a
        ValueError says so otherwise. Default 6 Hz (Winter 2009, ch. 3).
    order : int
        Order of one pass; forward-backward doubles it (4 -> 8th-order magnitude response).

    Only NaN-free runs longer than the filter's pad length (3 * (2 * n_sections + 1) samples,
    15 for order 4) are filtered; shorter runs are left as they are, NaN stays NaN. Assumes
    roughly uniform sampling.
    """
    rate = _sample_rate_hz(track)
    nyquist = rate / 2.0
    if not 0.0 < cutoff_hz < nyquist * (1.0 - 1e-6):  # tolerance: rate comes from float timestamps
        raise ValueError(
            f"cutoff_hz must be in (0, {nyquist:g}) Hz (the Nyquist frequency of this "
            f"{rate:g} samples/s track), got {cutoff_hz}"
        )
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order}")
    padlen = butterworth_padlen(order)
    series = _coords(track)
    filtered_samples = 0
    for finite, cols in _group_columns_by_mask(np.isfinite(series)):
        for start, stop in true_runs(finite):
            if stop - start > padlen:
                series[start:stop, cols] = lowpass(series[start:stop, cols], fs=rate, cutoff_hz=cutoff_hz, order=order)
                filtered_samples += (stop - start) * len(cols)
    return _with_coords(track, series, "butterworth",
                        {"cutoff_hz": float(cutoff_hz), "order": int(order), "zero_phase": True},
                        sample_rate_hz=rate, padlen_samples=padlen, values_filtered=filtered_samples)


# ---- One Euro -------------------------------------------------------------------------------


class OneEuroFilter:
    """Streaming One Euro filter (Casiez, Roussel & Vogel, CHI 2012), element-wise on an array.

    An exponential low-pass whose cutoff rises with speed: cutoff = min_cutoff_hz + beta * |dx/dt|,
    dx/dt itself low-passed at d_cutoff_hz. Slow: heavy smoothing; fast: little lag.

    Parameters
    ----------
    min_cutoff_hz : float, Hz. Cutoff when still (lower: less jitter, more lag).
    beta : float, Hz per (unit of x / s). The speed gain; its scale depends on the unit of x
        (0.007 was tuned by Casiez et al. on pixel-scale input: on normalised image coordinates or
        metres it makes the filter nearly a fixed 1 Hz low-pass; raise it for less lag).
    d_cutoff_hz : float, Hz. Cutoff of the speed estimate.
    reset_after_s : float, seconds. An element NaN for longer than this restarts from its next
        finite value (no memory of the old position).

    ``f(t_s, x)`` takes a time in seconds (strictly increasing) and one frame's array of any fixed
    shape, e.g. (33, 3); returns the filtered array. NaN elements pass through as NaN and leave
    that element's state untouched.
    """

    def __init__(self, *, min_cutoff_hz: float = DEFAULT_MIN_CUTOFF_HZ, beta: float = DEFAULT_BETA,
                 d_cutoff_hz: float = DEFAULT_D_CUTOFF_HZ,
                 reset_after_s: float = DEFAULT_ONE_EURO_RESET_S) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0:
            raise ValueError("min_cutoff_hz and d_cutoff_hz must be > 0 Hz")
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.min_cutoff_hz = float(min_cutoff_hz)
        self.beta = float(beta)
        self.d_cutoff_hz = float(d_cutoff_hz)
        self.reset_after_s = float(reset_after_s)
        self._x: np.ndarray | None = None     # last filtered value per element (NaN: no state)
        self._raw: np.ndarray | None = None   # last raw input per element (for the speed)
        self._dx: np.ndarray | None = None    # last filtered speed per element
        self._t: np.ndarray | None = None     # time of each element's last finite input
        self._last_call_s: float | None = None

    @staticmethod
    def _alpha(cutoff_hz: np.ndarray | float, dt_s: np.ndarray) -> np.ndarray:
        # Casiez et al.'s smoothing factor 1 / (1 + tau / dt). Its one-pole is rate-dependent at
        # first order: a 1 Hz sine filtered at 30 and at 60 fps differs by up to 0.025 (of 1).
        tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
        return 1.0 / (1.0 + tau / dt_s)

    def reset(self) -> None:
        """Forget all state."""
        self._x = self._raw = self._dx = self._t = None
        self._last_call_s = None

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._last_call_s is not None and not t_s > self._last_call_s:
            raise ValueError(f"timestamps must increase: got {t_s} s after {self._last_call_s} s")
        self._last_call_s = float(t_s)
        if self._x is None or self._x.shape != x.shape:
            self._x = np.full(x.shape, np.nan)
            self._raw = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        assert self._raw is not None and self._dx is not None and self._t is not None
        finite = np.isfinite(x)
        dt = t_s - self._t
        fresh = finite & (~np.isfinite(self._x) | ~(dt <= self.reset_after_s))
        update = finite & ~fresh
        out = np.full(x.shape, np.nan)
        # (re)start: output the input, speed 0
        out[fresh] = x[fresh]
        self._dx[fresh] = 0.0
        if update.any():
            d = dt[update]
            # speed from the raw previous input, as in Casiez's reference code (lastRawValue);
            # using the filtered one would make the speed ~ lag / dt, i.e. depend on the frame rate
            dx = (x[update] - self._raw[update]) / d
            a_d = self._alpha(self.d_cutoff_hz, d)
            dx_hat = a_d * dx + (1.0 - a_d) * self._dx[update]
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            a = self._alpha(cutoff, d)
            out[update] = a * x[update] + (1.0 - a) * self._x[update]
            self._dx[update] = dx_hat
        self._x[finite] = out[finite]
        self._raw[finite] = x[finite]
        self._t[finite] = t_s
        return out


def one_euro(track: PoseTrack, *, min_cutoff_hz: float = DEFAULT_MIN_CUTOFF_HZ, beta: float = DEFAULT_BETA,
             d_cutoff_hz: float = DEFAULT_D_CUTOFF_HZ,
             reset_after_s: float = DEFAULT_ONE_EURO_RESET_S) -> PoseTrack:
    """Causal One Euro filtering of a whole track, frame by frame (see OneEuroFilter for parameters).

    Image x, y, z (normalised units) and world x, y, z (metres) each get their own filter, in
    their own units; visibility is not filtered. Output at frame i depends only on frames <= i.
    """
    params = dict(min_cutoff_hz=float(min_cutoff_hz), beta=float(beta), d_cutoff_hz=float(d_cutoff_hz),
                  reset_after_s=float(reset_after_s))
    f_img, f_world = OneEuroFilter(**params), OneEuroFilter(**params)
    lm = np.array(track.landmarks, dtype=np.float64)
    wl = np.array(track.world_landmarks, dtype=np.float64)
    for i, t in enumerate(track.timestamps_s):
        lm[i, :, :3] = f_img(float(t), lm[i, :, :3])
        wl[i] = f_world(float(t), wl[i])
    return _record(track, lm, wl, "one_euro", params)


# ---- causal, frame by frame ----------------------------------------------------------------

_SHOULDER_IDX = [LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]]
_HIP_IDX = [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]
# Without a given torso length, the swap guard's scale is the median torso of the first frames; it only has to
# be the right order of magnitude (min_jump_torso = 0.1 of it), and a few seconds of frames give that.
TORSO_SCALE_SETTLES_S = 5.0


class CausalCleaner:
    """The causal cleaning chain, one frame at a time: gate_visibility -> repair_swaps(causal=True) -> One Euro.

    ``push(t_s, landmarks, world_landmarks)`` takes one frame, image landmarks (33, 4) (x, y normalised, z,
    visibility; NaN rows when nobody was found) and world landmarks (33, 3) metres, at strictly increasing
    ``t_s`` seconds, and returns that frame cleaned, (33, 4) and (33, 3), using only frames pushed so far.
    Visibility passes through untouched, as in ``clean``.

    torso_length : normalised image units (mid-shoulder to mid-hip, as ``repair_swaps`` measures it), or None
        The scale of the swap guard (``min_jump_torso`` x it). Given the whole track's median, the output equals
        ``clean(track, offline=False)`` with the same parameters frame for frame. None: the median over the
        first ``TORSO_SCALE_SETTLES_S`` seconds of frames with shoulders and hips (running until then).
    Other parameters: as ``gate_visibility``, ``repair_swaps`` and ``OneEuroFilter`` (units there).
    """

    def __init__(self, *, torso_length: float | None = None,
                 min_visibility: float = DEFAULT_MIN_VISIBILITY,
                 ratio: float = 0.5, min_jump_torso: float = 0.1, max_gap_s: float = 0.5,
                 min_cutoff_hz: float = DEFAULT_MIN_CUTOFF_HZ, beta: float = DEFAULT_BETA,
                 d_cutoff_hz: float = DEFAULT_D_CUTOFF_HZ,
                 reset_after_s: float = DEFAULT_ONE_EURO_RESET_S) -> None:
        if not 0.0 <= min_visibility <= 1.0:
            raise ValueError(f"min_visibility must be in [0, 1], got {min_visibility}")
        if not 0.0 < ratio < 1.0:
            raise ValueError(f"ratio must be in (0, 1), got {ratio}")
        self.min_visibility = float(min_visibility)
        self.min_jump_torso = float(min_jump_torso)
        self._torso_given = torso_length
        self._torso_seen: list[float] = []
        self._first_t: float | None = None
        self._deciders = [
            (_SwapDecider(ratio=ratio, min_jump=0.0, max_gap_s=max_gap_s), key, idx)
            for key, idx in ((_UPPER_KEY, _UPPER_IDX), (_LEGS_KEY, _LEGS_IDX))
        ]
        euro = dict(min_cutoff_hz=min_cutoff_hz, beta=beta, d_cutoff_hz=d_cutoff_hz, reset_after_s=reset_after_s)
        self._euro_image = OneEuroFilter(**euro)
        self._euro_world = OneEuroFilter(**euro)

    def _torso_scale(self, t_s: float, xy: np.ndarray) -> float:
        """Normalised image units: the given torso length, else the running median of the first seconds."""
        if self._torso_given is not None:
            return float(self._torso_given)
        if self._first_t is None:
            self._first_t = t_s
        torso = float(np.linalg.norm(xy[_SHOULDER_IDX].mean(axis=0) - xy[_HIP_IDX].mean(axis=0)))
        if np.isfinite(torso) and t_s - self._first_t <= TORSO_SCALE_SETTLES_S:
            self._torso_seen.append(torso)
        return float(np.median(self._torso_seen)) if self._torso_seen else 0.0

    def push(self, t_s: float, landmarks: np.ndarray, world_landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lm = np.array(landmarks, dtype=np.float64)
        wl = np.array(world_landmarks, dtype=np.float64)
        if lm.shape != (NUM_LANDMARKS, 4) or wl.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"one frame is (33, 4) image and (33, 3) world landmarks, got {lm.shape} and {wl.shape}")
        low = lm[:, 3] < self.min_visibility
        lm[low, :3] = np.nan
        wl[low] = np.nan
        xy = lm[:, :2]
        min_jump = self.min_jump_torso * self._torso_scale(float(t_s), xy)
        out_lm, out_wl = lm.copy(), wl.copy()
        for decider, key, idx in self._deciders:
            if not np.isfinite(xy[key]).all():
                flipped = decider.flipped  # frames without the key landmarks keep the last decision
            else:
                decider.min_jump = min_jump
                flipped = decider.step(float(t_s), xy[key], xy[MIRROR_INDEX[key]])
            if flipped:
                out_lm[idx] = lm[MIRROR_INDEX[idx]]
                out_wl[idx] = wl[MIRROR_INDEX[idx]]
        out_lm[:, :3] = self._euro_image(float(t_s), out_lm[:, :3])
        out_wl = self._euro_world(float(t_s), out_wl)
        return out_lm, out_wl


# ---- the default chain ----------------------------------------------------------------------

# clean() refuses tracks sampled more slowly: below 8 frames a second a walking step (about 0.5 s) spans fewer than 4
# frames, and the smoothing would have to cut below 3.2 Hz, where gross movement still has power (Winter 2009, ch. 3:
# up to about 6 Hz), so reps, steps and their angles could no longer be timed or measured.
MIN_SAMPLE_RATE_HZ = 8.0
# clean()'s Butterworth cutoff is at most this share of the sample rate (0.8 of its Nyquist frequency, where a cutoff
# must lie below): 6 Hz from 15 frames a second up, 4 Hz at 10.
MAX_CUTOFF_SHARE_OF_RATE = 0.4


def clean(track: PoseTrack, *, offline: bool = True,
          min_visibility: float = DEFAULT_MIN_VISIBILITY,
          max_gap_s: float = DEFAULT_MAX_GAP_S,
          hampel_window_s: float = DEFAULT_HAMPEL_WINDOW_S,
          hampel_n_sigmas: float = DEFAULT_HAMPEL_N_SIGMAS,
          cutoff_hz: float = DEFAULT_CUTOFF_HZ,
          order: int = DEFAULT_ORDER,
          min_cutoff_hz: float = DEFAULT_MIN_CUTOFF_HZ,
          beta: float = DEFAULT_BETA,
          d_cutoff_hz: float = DEFAULT_D_CUTOFF_HZ) -> PoseTrack:
    """The default cleaning chain; meta["cleaning"] lists the steps run with their parameters.

    offline=True (whole recording known):
        gate_visibility -> repair_swaps -> hampel -> fill_gaps -> butterworth
    offline=False (causal: frame i uses only frames <= i, as a live view would):
        gate_visibility -> repair_swaps(causal=True) -> one_euro
        (no Hampel or gap filling: both need future samples).

    Parameters are those of the individual steps (units: see each function), except that the Butterworth cutoff
    is lowered to MAX_CUTOFF_SHARE_OF_RATE x the sample rate when it lies above (low frame rates; the butterworth
    entry of meta["cleaning"] then records the requested cutoff and why). ValueError (one line) for a track sampled
    at fewer than MIN_SAMPLE_RATE_HZ frames a second (the reason is at the constant).
    """
    rate = _sample_rate_hz(track)
    if len(track) > 1 and not rate >= MIN_SAMPLE_RATE_HZ * (1.0 - 1e-6):  # tolerance: rate from float timestamps
        raise ValueError(
            f"{track.source or 'this track'}: {rate:.3g} frames a second is too few; formcheck needs at least "
            f"{MIN_SAMPLE_RATE_HZ:g} (below that a walking step spans under 4 frames and smoothing would cut into "
            "the movement); film at 24 frames a second or more"
        )
    out = gate_visibility(track, min_visibility=min_visibility)
    if offline:
        out = repair_swaps(out)
        out = hampel(out, window_s=hampel_window_s, n_sigmas=hampel_n_sigmas)
        out = fill_gaps(out, max_gap_s=max_gap_s)
        low_pass_hz = min(float(cutoff_hz), MAX_CUTOFF_SHARE_OF_RATE * rate)
        out = butterworth(out, cutoff_hz=low_pass_hz, order=order)
        if low_pass_hz < cutoff_hz:
            history = [dict(entry) for entry in out.meta["cleaning"]]
            history[-1].update(requested_cutoff_hz=float(cutoff_hz), cutoff_lowered_because=(
                f"{MAX_CUTOFF_SHARE_OF_RATE:g} x the {rate:.3g} Hz sample rate: a cutoff must lie below the Nyquist "
                f"frequency ({rate / 2:.3g} Hz)"))
            out = out.with_arrays(cleaning=history)
    else:
        out = repair_swaps(out, causal=True)
        out = one_euro(out, min_cutoff_hz=min_cutoff_hz, beta=beta, d_cutoff_hz=d_cutoff_hz)
    return out

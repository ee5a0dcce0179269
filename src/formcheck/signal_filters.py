"""The shared filters for 1-D and (T, ...) series sampled in time: one zero-phase Butterworth low-pass and one
running median. Pure numpy/scipy: arrays in, arrays out, NaN where the input says nothing.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt


def butterworth_padlen(order: int) -> int:
    """Samples the zero-phase filter pads each end with: 3 * (2 * sections + 1), 15 for order 4, 9 for order 2.
    A run must be longer than this to be filtered."""
    return 3 * (2 * ((int(order) + 1) // 2) + 1)


def butterworth(values: np.ndarray, *, fs: float, cutoff_hz: float, order: int, axis: int = 0) -> np.ndarray:
    """Zero-phase low-pass Butterworth (scipy sosfiltfilt, forward and backward) of NaN-free `values` along `axis`.

    fs: samples per second; cutoff_hz: -3 dB frequency of one pass (the forward-backward result has gain 0.5 there),
    in (0, fs/2); order: of one pass (forward-backward doubles it). The run must be longer than
    butterworth_padlen(order) samples.
    """
    sos = butter(int(order), cutoff_hz, btype="low", fs=fs, output="sos")
    return sosfiltfilt(sos, values, axis=axis, padlen=butterworth_padlen(order))


def _bridged(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(values with NaN gaps linearly interpolated and ends held, finite mask), or None with fewer than 2 finite."""
    x = np.asarray(values, float)
    finite = np.isfinite(x)
    if finite.sum() < 2:
        return None
    return np.interp(np.arange(len(x)), np.flatnonzero(finite), x[finite]), finite


def butterworth_bridging_gaps(values: np.ndarray, *, fs: float, cutoff_hz: float, order: int = 2,
                              min_finite: int = 13) -> np.ndarray:
    """butterworth of a 1-D series with NaN gaps: the gaps are bridged by linear interpolation for filtering and stay
    NaN in the result. Returned unfiltered with fewer than `min_finite` finite samples or a cutoff at or above
    fs/2."""
    x = np.asarray(values, float)
    finite = np.isfinite(x)
    if finite.sum() < min_finite or cutoff_hz >= fs / 2:
        return x
    filled, finite = _bridged(x)
    return np.where(finite, butterworth(filled, fs=fs, cutoff_hz=cutoff_hz, order=order), np.nan)


def running_median(values: np.ndarray, width: int, *, keep_nan: bool = True) -> np.ndarray:
    """Centred running median of a 1-D series over `width` samples (made odd; edges repeat the end values).

    NaN gaps are bridged by linear interpolation first; with keep_nan they stay NaN in the result, else they take
    the median of the bridged series. All NaN with fewer than 2 finite samples.
    """
    bridged = _bridged(values)
    if bridged is None:
        return np.full(len(values), np.nan)
    filled, finite = bridged
    smooth = median_filter(filled, size=max(1, int(width)) | 1, mode="nearest")
    return np.where(finite, smooth, np.nan) if keep_nan else smooth

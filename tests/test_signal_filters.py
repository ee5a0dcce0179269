"""The shared Butterworth low-pass and running median (formcheck.signal_filters): hand-computed cases."""
import numpy as np
import pytest

from formcheck.signal_filters import butterworth, butterworth_bridging_gaps, butterworth_padlen, running_median


def test_running_median_bridges_gaps_and_keeps_them_nan_unless_asked():
    x = np.array([1.0, 9.0, 1.0, np.nan, 1.0, 1.0])
    np.testing.assert_array_equal(running_median(x, 3), [1.0, 1.0, 1.0, np.nan, 1.0, 1.0])
    np.testing.assert_array_equal(running_median(x, 3, keep_nan=False), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert running_median(x, 2).tolist()[:3] == [1.0, 1.0, 1.0]  # an even width is made odd (3)
    assert np.isnan(running_median(np.array([np.nan, 2.0, np.nan]), 3)).all()  # fewer than 2 finite


@pytest.mark.parametrize("order, padlen", [(1, 9), (2, 9), (3, 15), (4, 15)])
def test_butterworth_padlen(order, padlen):
    assert butterworth_padlen(order) == padlen


def test_butterworth_keeps_slow_motion_and_removes_fast_jitter():
    t = np.arange(300) / 30.0
    slow, fast = np.sin(2 * np.pi * 0.5 * t), 0.3 * np.sin(2 * np.pi * 12.0 * t)
    out = butterworth(slow + fast, fs=30.0, cutoff_hz=3.0, order=2)
    assert np.abs(out - slow)[30:-30].max() < 0.02


def test_butterworth_bridging_gaps_keeps_nan_and_leaves_short_series_alone():
    x = np.sin(np.arange(60) / 5.0)
    x[10] = np.nan
    out = butterworth_bridging_gaps(x, fs=30.0, cutoff_hz=3.0)
    assert np.isnan(out[10]) and np.isfinite(np.delete(out, 10)).all()
    short = x[:12]
    np.testing.assert_array_equal(butterworth_bridging_gaps(short, fs=30.0, cutoff_hz=3.0), short)

"""Reps, holds and strides on synthetic signals with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck.phases import find_holds, find_reps, find_strides, interpolate_nans
from formcheck.track import LANDMARK_INDEX, NUM_LANDMARKS, PoseTrack

FPS = 30.0


def timeline(seconds: float, fps: float = FPS) -> np.ndarray:
    return np.arange(int(round(seconds * fps))) / fps


def three_peaks(t: np.ndarray) -> np.ndarray:
    """-cos with period 2 s: troughs at 0, 2, 4, 6 s, peaks at 1, 3, 5 s."""
    return -np.cos(2 * np.pi * t / 2.0)


def test_sine_with_three_peaks_gives_three_reps_at_known_times():
    t = timeline(6.0 + 1 / FPS)
    reps = find_reps(three_peaks(t), t, min_prominence=0.5)
    assert len(reps) == 3
    for rep, k in zip(reps, range(3)):
        assert rep.peak_s == pytest.approx(1.0 + 2 * k, abs=1 / FPS)
        assert rep.start_s == pytest.approx(2 * k, abs=1 / FPS)
        assert rep.end_s == pytest.approx(2 * k + 2, abs=1 / FPS)
        assert rep.peak_value == pytest.approx(1.0, abs=1e-2)
        assert rep.frames == slice(rep.start_idx, rep.end_idx + 1)
    assert reps[0].end_idx == reps[1].start_idx  # back-to-back reps share the trough


@pytest.mark.parametrize("fps", [24.0, 60.0])
def test_rep_times_do_not_depend_on_frame_rate(fps):
    t = timeline(6.0 + 1 / fps, fps)
    reps = find_reps(three_peaks(t), t, min_prominence=0.5, min_period_s=1.5)
    assert [r.peak_s for r in reps] == pytest.approx([1.0, 3.0, 5.0], abs=1 / fps)


def test_noisy_sine_still_three_reps():
    t = timeline(6.0)
    rng = np.random.default_rng(1)
    x = three_peaks(t) + rng.normal(0, 0.1, t.size)
    reps = find_reps(x, t, min_prominence=0.8, min_period_s=1.0)
    assert len(reps) == 3
    assert [r.peak_s for r in reps] == pytest.approx([1.0, 3.0, 5.0], abs=0.25)


def test_nan_gaps_are_bridged():
    t = timeline(6.0)
    x = three_peaks(t)
    x[20:26] = np.nan  # a gap in the first rise
    x[::17] = np.nan
    reps = find_reps(x, t, min_prominence=0.5)
    assert len(reps) == 3


@pytest.mark.parametrize("x", [np.zeros(90), np.full(90, np.nan), np.full(90, 3.0) + 1e-3 * np.sin(np.arange(90))])
def test_flat_signal_has_no_reps(x):
    assert find_reps(x, timeline(3.0), min_prominence=0.1) == []


def test_small_wiggles_below_prominence_are_not_reps():
    t = timeline(6.0)
    assert find_reps(0.05 * three_peaks(t), t, min_prominence=0.2) == []


def test_base_fraction_marks_leaving_and_regaining_the_rest_level():
    # Rest at 0 for 1 s, a 1 s raised-cosine lift to 1, rest 1 s, lift, rest.
    t = timeline(5.0)
    x = np.zeros_like(t)
    for start in (1.0, 3.0):
        m = (t >= start) & (t < start + 1.0)
        x[m] = 0.5 - 0.5 * np.cos(2 * np.pi * (t[m] - start))
    reps = find_reps(x, t, min_prominence=0.5, base_fraction=0.1)
    assert len(reps) == 2
    for rep, start in zip(reps, (1.0, 3.0)):
        # 10% of the lift is reached 0.1 s after it starts (0.5 - 0.5cos(2 pi 0.1) = 0.095)
        assert rep.start_s == pytest.approx(start + 0.1, abs=1.5 / FPS)
        assert rep.end_s == pytest.approx(start + 0.9, abs=1.5 / FPS)


def test_parameters_validated():
    t = timeline(1.0)
    with pytest.raises(ValueError, match="min_prominence"):
        find_reps(np.zeros_like(t), t, min_prominence=0)
    with pytest.raises(ValueError, match="matching"):
        find_reps(np.zeros(5), t, min_prominence=1)


def plateau(t: np.ndarray, start: float, length: float, top: float = 1.0) -> np.ndarray:
    """Ramp up over 0.5 s, hold ``length`` s at ``top``, ramp down over 0.5 s."""
    up = np.clip((t - (start - 0.5)) / 0.5, 0, 1)
    down = np.clip(((start + length + 0.5) - t) / 0.5, 0, 1)
    return top * np.minimum(up, down)


@pytest.mark.parametrize("length", [1.5, 4.0, 10.0])
def test_plateau_gives_one_hold_of_its_length(length):
    t = timeline(length + 4.0)
    holds = find_holds(plateau(t, 1.5, length), t, tolerance=0.02, min_duration_s=1.0)
    assert len(holds) == 1
    h = holds[0]
    assert h.duration_s == pytest.approx(length, abs=1.5 / FPS)
    assert h.start_s == pytest.approx(1.5, abs=1.5 / FPS)
    assert h.end_s - h.start_s == pytest.approx(h.duration_s)
    assert h.frames.stop - h.frames.start == pytest.approx(length * FPS, abs=1.5)


def test_noisy_plateau_with_glitches_stays_one_hold():
    t = timeline(9.0)
    rng = np.random.default_rng(2)
    x = plateau(t, 2.0, 5.0) + rng.normal(0, 0.01, t.size)
    x[100] = 0.0      # a one-frame tracking glitch mid-hold
    x[130:135] = np.nan  # a short dropout
    holds = find_holds(x, t, tolerance=0.05, min_duration_s=1.0)
    assert len(holds) == 1
    assert holds[0].duration_s == pytest.approx(5.0, abs=0.15)


def test_short_plateaus_are_not_holds_and_long_gaps_break_holds():
    t = timeline(10.0)
    assert find_holds(plateau(t, 2.0, 0.5), t, tolerance=0.02, min_duration_s=1.0) == []
    x = plateau(t, 1.0, 8.0)
    x[120:180] = np.nan  # 2 s without a person
    holds = find_holds(x, t, tolerance=0.02, min_duration_s=1.0)
    assert len(holds) == 2


def test_hold_near_a_fixed_level():
    t = timeline(6.0)
    x = plateau(t, 1.0, 3.0, top=0.3)  # hips 0.3 above the line at most
    assert find_holds(x, t, tolerance=0.05, level=1.0) == []
    assert len(find_holds(x, t, tolerance=0.05, level=0.3)) == 1


def test_interpolate_nans_respects_max_gap():
    t = timeline(1.0)
    x = np.arange(t.size, dtype=float)
    x[3:5] = np.nan
    x[10:25] = np.nan
    y = interpolate_nans(x, t, max_gap_s=0.2)
    assert y[3] == pytest.approx(3.0) and y[4] == pytest.approx(4.0)
    assert np.isnan(y[10:25]).all()
    assert np.isfinite(interpolate_nans(x, t)).all()


# ---------------------------------------------------------------------------------------------
# strides
# ---------------------------------------------------------------------------------------------
STRIDE_S = 1.2
SWING_S = 0.45


def walking_front_track(seconds: float = 6.0, fps: float = FPS) -> tuple[PoseTrack, dict[str, list[float]]]:
    """A front-view walker (pixels, 640x480): each ankle lifts toward its hip during its swing.

    Left swing starts at 0.3 + k*STRIDE_S, right half a stride later; heel strike = swing start + SWING_S.
    """
    t = np.arange(int(seconds * fps)) / fps
    lm = np.full((t.size, NUM_LANDMARKS, 4), np.nan)
    lm[..., 2] = 0.0
    lm[..., 3] = 0.9
    strikes: dict[str, list[float]] = {}

    def put(name, x, y):
        lm[:, LANDMARK_INDEX[name], 0] = x / 640
        lm[:, LANDMARK_INDEX[name], 1] = y / 480

    for side, x0, offset in (("left", 360.0, 0.3), ("right", 280.0, 0.3 + STRIDE_S / 2)):
        phase = (t - offset) % STRIDE_S
        in_swing = (t >= offset) & (phase < SWING_S)
        lift = np.where(in_swing, np.sin(np.pi * phase / SWING_S) ** 2, 0.0)  # 0..1
        put(f"{side}_shoulder", x0 + np.zeros_like(t), 100.0)
        put(f"{side}_hip", x0 + np.zeros_like(t), 220.0)
        put(f"{side}_knee", x0 + np.zeros_like(t), 320.0 - 20 * lift)
        put(f"{side}_ankle", x0 + np.zeros_like(t), 420.0 - 60 * lift)  # leg 200 px, 140 px mid-swing
        starts = np.arange(offset, seconds, STRIDE_S)
        strikes[side] = [s + SWING_S for s in starts if s + SWING_S < seconds - 0.1]
    return PoseTrack(lm, np.zeros((t.size, NUM_LANDMARKS, 3)), t, fps, 640, 480), strikes


def test_strides_from_alternating_leg_lifts():
    track, strikes = walking_front_track()
    gait = find_strides(track)
    for side in ("left", "right"):
        hs = gait.heel_strikes[side]
        assert len(hs) == len(strikes[side])
        # foot down when sin^2 lift falls below 25% of its depth: SWING_S / 6 before the nominal end
        np.testing.assert_allclose(hs, np.array(strikes[side]) - SWING_S / 6, atol=2 / FPS)
        assert len(gait.strides[side]) == len(hs) - 1
        for stride in gait.strides[side]:
            assert stride.duration_s == pytest.approx(STRIDE_S, abs=1.5 / FPS)
        for stance in gait.stances[side]:
            # stance = stride minus the foot-off part of the swing
            assert stance.duration_s == pytest.approx(STRIDE_S - 2 * SWING_S / 3, abs=2.5 / FPS)
    # left and right alternate
    assert abs(gait.heel_strikes["right"][0] - gait.heel_strikes["left"][0]) == pytest.approx(STRIDE_S / 2, abs=2 / FPS)


def test_standing_still_has_no_strides():
    track, _ = walking_front_track()
    lm = np.array(track.landmarks)
    for side in ("left", "right"):
        lm[:, LANDMARK_INDEX[f"{side}_ankle"], 1] = 420 / 480
        lm[:, LANDMARK_INDEX[f"{side}_knee"], 1] = 320 / 480
    gait = find_strides(track.with_arrays(landmarks=lm))
    assert gait.stride_count() == 0
    assert all(len(v) == 0 for v in gait.heel_strikes.values())


def _bridge_signal(t: np.ndarray, tops: list[tuple[float, float]], *, low: float = -0.3) -> np.ndarray:
    """Hip rise (torso lengths): at `low` between lifts, at 0 on each top (start_s, end_s), 0.3 s ramps between."""
    x = np.full_like(t, low)
    for start, end in tops:
        up = np.clip((t - (start - 0.3)) / 0.3, 0, 1)
        down = np.clip(((end + 0.3) - t) / 0.3, 0, 1)
        x = np.maximum(x, low + (0 - low) * np.minimum(up, down))
    return x


# The real bridge (bubbadk, 6.7 s) in miniature: it begins at the top, dips twice, and ends held at the top.
BUBBADK_LIKE = [(-1.0, 1.3), (2.8, 4.2), (5.9, 9.0)]


@pytest.mark.parametrize("tops, end_hold_s, whole_only, peaks_s", [
    (BUBBADK_LIKE, 0.0, False, [3.5]),             # before: one rep, though the plot shows two dips
    (BUBBADK_LIKE, 0.5, True, [3.5, 5.9]),          # the last lift, held 0.8 s at the end, counts
    (BUBBADK_LIKE, 1.0, True, [3.5]),              # ... unless held shorter than end_hold_s
    ([(1.5, 2.5), (4.0, 5.0), (6.6, 9.0)], 0.5, True, [2.0, 4.5]),  # still rising at 6.7 s: not a rep
    ([(1.5, 2.5), (4.0, 5.0)], 0.5, True, [2.0, 4.5]),               # ends at rest: unchanged
])
def test_reps_count_a_last_lift_held_at_the_end(tops, end_hold_s, whole_only, peaks_s):
    t = timeline(6.7)
    reps = find_reps(_bridge_signal(t, tops), t, min_prominence=0.12, min_period_s=1.0, base_fraction=0.2,
                     end_hold_s=end_hold_s, whole_only=whole_only)
    assert [r.peak_s for r in reps] == pytest.approx(peaks_s, abs=0.35)  # a flat top: its middle or its start
    if end_hold_s == 0.5 and len(peaks_s) == 2 and tops is BUBBADK_LIKE:
        assert reps[-1].end_idx == len(t) - 1 and reps[-1].start_s == pytest.approx(5.6, abs=0.1)


def test_whole_only_leaves_out_a_first_rep_the_clip_began_in():
    """A one-frame dip at frame 0 (a detector's first guess) makes the top the clip begins on a peak; whole_only
    leaves that rep out, as its lift was not seen."""
    t = timeline(6.7)
    x = _bridge_signal(t, BUBBADK_LIKE)
    x[0] = -0.15
    assert [round(r.peak_s) for r in find_reps(x, t, min_prominence=0.12, min_period_s=1.0, base_fraction=0.2)] \
        == [1, 4]
    reps = find_reps(x, t, min_prominence=0.12, min_period_s=1.0, base_fraction=0.2, whole_only=True)
    assert [round(r.peak_s) for r in reps] == [4]

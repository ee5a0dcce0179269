"""Tests for formcheck.clean on synthetic tracks with known answers.

Every error bound below was measured on these signals and is stated next to its assert; each was
checked to fail when the step it guards is disabled or mis-tuned (see the comments)."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck import clean as C
from formcheck.track import LANDMARK_INDEX, LANDMARK_NAMES, MIRROR_INDEX, NUM_LANDMARKS, PoseTrack

LI = LANDMARK_INDEX


# ---- builders -------------------------------------------------------------------------------


def signal_track(signal: np.ndarray, fps: float, *, visibility: float = 1.0) -> PoseTrack:
    """Every coordinate of every landmark = landmark offset + signal (image and world)."""
    T = len(signal)
    offsets = np.arange(NUM_LANDMARKS, dtype=float)[None, :, None] * 0.01
    lm = np.empty((T, NUM_LANDMARKS, 4))
    lm[..., :3] = signal[:, None, None] + offsets
    lm[..., 3] = visibility
    wl = signal[:, None, None] + offsets + np.zeros((T, NUM_LANDMARKS, 3))
    return PoseTrack(lm, wl, np.arange(T) / fps, fps, 640, 480, source="synthetic")


def series(track: PoseTrack, name: str = "left_knee", coord: int = 1) -> np.ndarray:
    """One image coordinate series with the landmark offset removed."""
    return track.landmarks[:, LI[name], coord] - LI[name] * 0.01


def sine(fps: float, duration_s: float, freq_hz: float, amp: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(int(round(duration_s * fps))) / fps
    return t, amp * np.sin(2 * np.pi * freq_hz * t)


# Standing-person skeleton, image coords (x, y), facing camera: the person's left is image right.
_BODY = {
    "nose": (0.50, 0.20), "left_eye_inner": (0.51, 0.19), "left_eye": (0.52, 0.19),
    "left_eye_outer": (0.53, 0.19), "right_eye_inner": (0.49, 0.19), "right_eye": (0.48, 0.19),
    "right_eye_outer": (0.47, 0.19), "left_ear": (0.54, 0.20), "right_ear": (0.46, 0.20),
    "mouth_left": (0.51, 0.22), "mouth_right": (0.49, 0.22),
    "left_shoulder": (0.58, 0.30), "right_shoulder": (0.42, 0.30),
    "left_elbow": (0.61, 0.42), "right_elbow": (0.39, 0.42),
    "left_wrist": (0.62, 0.53), "right_wrist": (0.38, 0.53),
    "left_pinky": (0.63, 0.55), "right_pinky": (0.37, 0.55),
    "left_index": (0.625, 0.56), "right_index": (0.375, 0.56),
    "left_thumb": (0.615, 0.55), "right_thumb": (0.385, 0.55),
    "left_hip": (0.55, 0.55), "right_hip": (0.45, 0.55),  # hips 0.1 apart, torso 0.25
    "left_knee": (0.555, 0.72), "right_knee": (0.445, 0.72),
    "left_ankle": (0.56, 0.90), "right_ankle": (0.44, 0.90),
    "left_heel": (0.565, 0.92), "right_heel": (0.435, 0.92),
    "left_foot_index": (0.55, 0.94), "right_foot_index": (0.45, 0.94),
}
_LEG_PARTS = ("knee", "ankle", "heel", "foot_index")


def marching_track(fps: float = 30.0, duration_s: float = 4.0, noise: float = 0.002, seed: int = 0) -> PoseTrack:
    """A person marching on the spot: knees/feet lift alternately by up to 0.08 at 1 Hz, arms swing."""
    rng = np.random.default_rng(seed)
    T = int(round(duration_s * fps))
    t = np.arange(T) / fps
    base = np.array([_BODY[n] for n in LANDMARK_NAMES])  # (33, 2)
    xy = np.repeat(base[None], T, axis=0)
    lift = {"left": 0.08 * np.clip(np.sin(2 * np.pi * t), 0, None),
            "right": 0.08 * np.clip(-np.sin(2 * np.pi * t), 0, None)}
    for side in ("left", "right"):
        for part in _LEG_PARTS:
            xy[:, LI[f"{side}_{part}"], 1] -= lift[side]
        for part in ("wrist", "pinky", "index", "thumb"):
            xy[:, LI[f"{side}_{part}"], 1] -= lift["right" if side == "left" else "left"] * 0.5
    xy += noise * rng.standard_normal(xy.shape)
    lm = np.concatenate([xy, np.zeros((T, NUM_LANDMARKS, 1)), np.full((T, NUM_LANDMARKS, 1), 0.9)], axis=2)
    lm[..., 2] = 0.1 * xy[..., 0]  # some z
    wl = np.concatenate([(xy - [0.5, 0.55]) * 1.8, 0.05 * xy[..., :1]], axis=2)
    return PoseTrack(lm, wl, t, fps, 640, 480)


def swap(track: PoseTrack, frames: list[int], *, legs_only: bool) -> PoseTrack:
    """Inject BlazePose-like label swaps on the given frames (image and world, all 4 channels)."""
    lm = np.array(track.landmarks)
    wl = np.array(track.world_landmarks)
    if legs_only:
        idx = np.array([LI[f"{s}_{p}"] for s in ("left", "right") for p in _LEG_PARTS])
    else:
        idx = np.arange(NUM_LANDMARKS)
    for f in frames:
        lm[f, idx] = track.landmarks[f, MIRROR_INDEX[idx]]
        wl[f, idx] = track.world_landmarks[f, MIRROR_INDEX[idx]]
    return track.with_arrays(landmarks=lm, world_landmarks=wl)


# ---- gate_visibility ------------------------------------------------------------------------


def test_gate_visibility_nans_low_visibility_landmarks_and_keeps_visibility():
    tr = signal_track(np.zeros(10), 30.0)
    lm = np.array(tr.landmarks)
    lm[3, LI["left_knee"], 3] = 0.49
    lm[4, LI["left_knee"], 3] = 0.50  # exactly at threshold: kept
    tr = tr.with_arrays(landmarks=lm)
    out = C.gate_visibility(tr, min_visibility=0.5)
    assert np.isnan(out.landmarks[3, LI["left_knee"], :3]).all()
    assert np.isnan(out.world_landmarks[3, LI["left_knee"]]).all()
    assert out.landmarks[3, LI["left_knee"], 3] == 0.49
    assert np.isfinite(out.landmarks[4, LI["left_knee"]]).all()
    assert np.isfinite(out.landmarks[3, LI["right_knee"]]).all()
    assert np.isnan(out.landmarks).sum() == 3 and np.isnan(out.world_landmarks).sum() == 3
    assert out.meta["cleaning"][-1] == {"step": "gate_visibility", "params": {"min_visibility": 0.5},
                                        "landmarks_gated": 1}
    with pytest.raises(ValueError, match="min_visibility"):
        C.gate_visibility(tr, min_visibility=1.5)


# ---- hampel ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_hampel_removes_spikes_from_slow_sine(fps):
    # 0.25 Hz unit sine (a 4 s squat cycle) with +1 / -1.5 spikes every 0.37 s.
    t, s = sine(fps, 6.0, 0.25)
    x = s.copy()
    spikes = np.arange(int(0.3 * fps), len(t) - int(0.3 * fps), int(0.37 * fps))  # not within a window of the ends
    x[spikes] += np.where(np.arange(len(spikes)) % 2, 1.0, -1.5)
    out = C.hampel(signal_track(x, fps))
    err = np.abs(series(out) - s)
    # Measured: 0.0055 at 30 fps (running-median bias at the sine's peaks), 0 elsewhere.
    # Without the filter the error is 1.5.
    assert err.max() < 0.01
    assert err[spikes].max() < 0.01
    # Non-spike samples are never touched (a too-small n_sigmas would replace peaks too).
    others = np.setdiff1d(np.arange(len(t)), spikes)
    np.testing.assert_allclose(series(out)[others], s[others], atol=1e-12)
    assert out.meta["cleaning"][-1]["values_replaced"] == len(spikes) * 33 * 6


def test_hampel_window_is_seconds_and_ignores_nan():
    t, s = sine(30.0, 3.0, 0.25)
    x = s.copy()
    x[40:43] = 3.0  # a 0.1 s (3-sample) burst: removable with half-width k = 4 samples
    x[60:70] = np.nan
    out = series(C.hampel(signal_track(x, 30.0), window_s=0.25))
    # Burst samples are replaced by the median of the unflagged window samples, which for the
    # burst's outer samples is off-centre by ~1.5 samples: measured error 0.036 / 0.005 / 0.049
    # (slope 0.79 units/s here); without the filter: 2.2.
    assert np.abs(out[40:43] - s[40:43]).max() < 0.06
    assert np.isnan(out[60:70]).all() and np.isfinite(out[:60]).all()
    # A 0.1 s window (k = 2) cannot outvote a 3-sample burst: it stays (shows the unit is seconds).
    short = series(C.hampel(signal_track(x, 30.0), window_s=0.1))
    assert np.abs(short[40:43] - 3.0).max() < 1e-9


# ---- fill_gaps ------------------------------------------------------------------------------


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_fill_gaps_fills_short_gaps_and_keeps_long_ones(fps):
    t, s = sine(fps, 5.0, 1.0)
    x = s.copy()
    n02 = int(round(0.2 * fps))
    trough = int(round(0.65 * fps))  # gap over the trough at 0.75 s: t in [0.65, 0.85)
    x[trough:trough + n02] = np.nan
    ramp = int(round(1.9 * fps))  # gap across the zero crossing at 2.0 s
    x[ramp:ramp + n02] = np.nan
    long_gap = slice(int(round(3.0 * fps)), int(round(4.0 * fps)))  # 1 s
    x[long_gap] = np.nan
    x[:3] = np.nan  # leading
    x[-2:] = np.nan  # trailing
    out = series(C.fill_gaps(signal_track(x, fps)))
    filled = np.r_[trough:trough + n02, ramp:ramp + n02]
    # Measured max error: 0.0145 at 30 fps, 0.0100 at 60 fps (cubic spline; PCHIP/linear: 0.25).
    assert np.abs(out[filled] - s[filled]).max() < 0.02
    assert np.isnan(out[long_gap]).all()
    assert np.isnan(out[:3]).all() and np.isnan(out[-2:]).all()
    finite = np.isfinite(x)
    np.testing.assert_allclose(out[finite], s[finite], atol=1e-12)  # known samples untouched


def test_fill_gaps_threshold_is_inclusive_in_seconds():
    t, s = sine(30.0, 3.0, 0.5)
    x = s.copy()
    x[30:40] = np.nan  # exactly 10 frames = 1/3 s: filled by default
    x[60:71] = np.nan  # 11 frames = 0.367 s: not
    out = series(C.fill_gaps(signal_track(x, 30.0)))
    assert np.isfinite(out[30:40]).all() and np.isnan(out[60:71]).all()
    out = series(C.fill_gaps(signal_track(x, 30.0), max_gap_s=0.3))
    assert np.isnan(out[30:40]).all()


# ---- repair_swaps ---------------------------------------------------------------------------


def test_repair_swaps_restores_exactly_the_swapped_frames():
    clean_track = marching_track()
    whole = [20, 21, 22, 23, 24]
    legs = [50, 51, 52, 90]
    start_legs = [0, 1]  # a swap at the very start: the majority labelling wins
    bad = swap(swap(clean_track, whole, legs_only=False), legs + start_legs, legs_only=True)
    out = C.repair_swaps(bad)
    np.testing.assert_array_equal(out.landmarks, clean_track.landmarks)
    np.testing.assert_array_equal(out.world_landmarks, clean_track.world_landmarks)
    rec = out.meta["cleaning"][-1]
    assert rec["step"] == "repair_swaps"
    assert rec["frames_repaired"] == len(whole) + len(legs) + len(start_legs)
    assert rec["frames_upper_swapped"] == len(whole)
    assert rec["frames_legs_swapped"] == len(whole) + len(legs) + len(start_legs)


def test_repair_swaps_across_missing_frames_and_causal_mode():
    clean_track = marching_track()
    lm = np.array(clean_track.landmarks)
    lm[30:33] = np.nan  # 0.1 s without a person
    clean_track = clean_track.with_arrays(landmarks=lm)
    bad = swap(clean_track, list(range(33, 40)), legs_only=True)
    out = C.repair_swaps(bad)
    np.testing.assert_array_equal(out.landmarks, clean_track.landmarks)
    # causal: the first frame's labelling is right; here it is, so the same answer.
    out = C.repair_swaps(bad, causal=True)
    np.testing.assert_array_equal(out.landmarks, clean_track.landmarks)


def test_repair_swaps_leaves_unswapped_tracks_alone():
    # Marching (legs move 0.08, hips 0.1 apart) with noise: nothing to repair.
    for seed in range(3):
        tr = marching_track(noise=0.004, seed=seed)
        out = C.repair_swaps(tr)
        np.testing.assert_array_equal(out.landmarks, tr.landmarks)
        assert out.meta["cleaning"][-1]["frames_repaired"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_repair_swaps_does_not_swap_crossing_legs_in_side_view(seed):
    # Side view walking: left/right shoulders and hips overlap (0.001 apart, noise 0.003), knees
    # (amplitude 0.12) and ankles (0.22) cross twice a second, the crossings half-way between
    # samples. Comparing with the last position instead of a constant-velocity prediction
    # "repairs" ~every crossing; dropping the min_jump guard swaps the overlapping hips on noise.
    fps, T = 30.0, 120
    t = np.arange(T) / fps
    rng = np.random.default_rng(seed)
    tr = marching_track(fps=fps, duration_s=T / fps, noise=0.0)
    lm = np.array(tr.landmarks)
    phase = np.pi / fps  # half a sample at 1 Hz
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for part in ("shoulder", "hip"):
            lm[:, LI[f"{side}_{part}"], 0] = 0.5 + sign * 0.0005
        for part, amp in (("knee", 0.12), ("ankle", 0.22), ("heel", 0.23), ("foot_index", 0.24)):
            lm[:, LI[f"{side}_{part}"], 0] = 0.5 + sign * amp * np.sin(2 * np.pi * 1.0 * t + phase)
    lm[..., :2] += 0.003 * rng.standard_normal(lm[..., :2].shape)
    tr = tr.with_arrays(landmarks=lm)
    out = C.repair_swaps(tr)
    assert out.meta["cleaning"][-1]["frames_repaired"] == 0
    np.testing.assert_array_equal(out.landmarks, tr.landmarks)


# ---- butterworth ----------------------------------------------------------------------------


def test_butterworth_removes_12hz_noise_without_phase_lag_and_keeps_nan():
    fps = 30.0
    t, s = sine(fps, 6.0, 1.0)
    x = s + 0.3 * np.sin(2 * np.pi * 12.0 * t + 0.4)
    x[100:105] = np.nan  # splits the series: runs [0,100) and [105,180) both > padlen 15
    x[170:172] = np.nan  # leaves a 8-sample run [172,180): too short, left as is
    out = series(C.butterworth(signal_track(x, fps), cutoff_hz=6.0, order=4))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))
    # Interior (> padlen = 15 samples from a run's ends): measured RMS error 7.5e-5 (noise RMS
    # before: 0.21; with cutoff_hz=13 it is ~0.1).
    interior = np.r_[15:85, 120:155]
    assert np.sqrt(np.mean((out[interior] - s[interior]) ** 2)) < 1e-3
    # Ends of runs keep their raw value (odd-extension padding): measured whole-run RMS 0.033,
    # max 0.26 at the sample next to the NaN run -- the known edge transient, bounded here.
    core = np.r_[0:100, 105:170]
    assert np.sqrt(np.mean((out[core] - s[core]) ** 2)) < 0.05
    np.testing.assert_array_equal(out[172:], x[172:])  # short run untouched
    # Zero phase: least-squares 1 Hz phase of the interior output vs the input's (0 rad).
    # Measured |phase| < 1e-4 rad; a causal (one-pass) 6 Hz order-4 filter lags ~0.45 rad.
    basis = np.column_stack([np.sin(2 * np.pi * t[interior]), np.cos(2 * np.pi * t[interior])])
    (a, b), *_ = np.linalg.lstsq(basis, out[interior], rcond=None)
    assert abs(np.arctan2(b, a)) < 0.01
    assert a == pytest.approx(1.0, abs=0.01)  # gain at 1 Hz: 1


def test_butterworth_rejects_cutoff_at_or_above_nyquist():
    tr = signal_track(np.zeros(60), 30.0)
    with pytest.raises(ValueError, match="Nyquist"):
        C.butterworth(tr, cutoff_hz=15.0)
    with pytest.raises(ValueError, match="Nyquist"):
        C.butterworth(tr, cutoff_hz=0.0)
    C.butterworth(tr, cutoff_hz=14.9)


# ---- One Euro -------------------------------------------------------------------------------


def test_one_euro_reduces_jitter_on_still_signal():
    rng = np.random.default_rng(2)
    fps, T = 30.0, 300
    x = 0.5 + 0.01 * rng.standard_normal(T)
    out = series(C.one_euro(signal_track(x, fps)))
    ratio = np.var(out[30:]) / np.var(x[30:])
    # Theory for a 1 Hz one-pole at 30 fps: alpha / (2 - alpha) = 0.095; measured ~0.09.
    assert ratio < 1 / 6


def test_one_euro_lag_on_moving_signal_and_beta_shortens_it():
    fps = 30.0
    t = np.arange(120) / fps
    x = 0.5 * t  # ramp, 0.5 units/s
    lag_default = (x[60:] - series(C.one_euro(signal_track(x, fps)))[60:]) / 0.5
    # One-pole at ~1 Hz: steady lag tau = 1 / (2 pi) = 0.159 s; measured ~0.159 s.
    assert lag_default.max() < 0.17
    lag_fast = (x[60:] - series(C.one_euro(signal_track(x, fps), beta=10.0))[60:]) / 0.5
    # beta = 10 Hz per unit/s raises the cutoff to ~6 Hz: lag ~ 0.027 s.
    assert lag_fast.max() < 0.05


def test_one_euro_nan_passes_through_and_does_not_poison_state():
    f = C.OneEuroFilter()
    outs = []
    for i in range(60):
        v = np.array([[1.0, 2.0]]) if i not in (20, 21) else np.array([[np.nan, 2.0]])
        outs.append(f(i / 30.0, v))
    outs = np.concatenate(outs)
    assert np.isnan(outs[20:22, 0]).all()
    assert np.isfinite(np.delete(outs[:, 0], [20, 21])).all()
    np.testing.assert_allclose(outs[22:, 0], 1.0)  # constant input: state unchanged by the NaNs
    with pytest.raises(ValueError, match="increase"):
        f(1.0, np.array([[1.0, 2.0]]))


def test_one_euro_resets_after_long_gap():
    f = C.OneEuroFilter(reset_after_s=0.5)
    for i in range(30):
        f(i / 30.0, np.array([0.0]))
    # 0.23 s since the last sample: one step of a ~1 Hz one-pole, alpha = 1 / (1 + 0.159 / 0.233) = 0.59.
    assert f(1.2, np.array([1.0]))[0] == pytest.approx(0.597, abs=0.01)
    g = C.OneEuroFilter(reset_after_s=0.5)
    for i in range(30):
        g(i / 30.0, np.array([0.0]))
    assert g(2.0, np.array([1.0]))[0] == 1.0  # 1 s gap: restarts at the new value


# ---- clean, frozen-ness, units --------------------------------------------------------------


def test_clean_chain_records_steps_and_repairs():
    rng = np.random.default_rng(3)
    truth = marching_track(noise=0.0)
    noisy = truth.with_arrays(landmarks=np.array(truth.landmarks) + np.r_[0.003, 0.003, 0, 0]
                              * rng.standard_normal(truth.landmarks.shape))
    bad = swap(noisy, [40, 41, 42], legs_only=True)
    lm = np.array(bad.landmarks)
    lm[70:74, LI["left_knee"], 3] = 0.2  # occluded for 0.13 s
    lm[80, LI["left_ankle"], 1] += 0.3  # a spike
    bad = bad.with_arrays(landmarks=lm)
    out = C.clean(bad)
    steps = [r["step"] for r in out.meta["cleaning"]]
    assert steps == ["gate_visibility", "repair_swaps", "hampel", "fill_gaps", "butterworth"]
    assert out.meta["cleaning"][0]["params"] == {"min_visibility": 0.5}
    assert out.meta["cleaning"][-1]["params"]["cutoff_hz"] == 6.0
    assert out.meta["cleaning"][1]["frames_repaired"] == 3
    err = np.abs(out.landmarks[..., :2] - truth.landmarks[..., :2])
    # Measured max 0.026 over all landmarks and frames, at the occluded knee (the spline follows
    # the 0.003 noise at the gap's edges); elsewhere <= 0.009. Without swap repair: ~0.2.
    assert np.isfinite(err).all() and err.max() < 0.04
    assert np.delete(err, np.s_[68:77], axis=0).max() < 0.03  # measured 0.020 (last frame)
    np.testing.assert_array_equal(out.landmarks[..., 3], bad.landmarks[..., 3])  # visibility raw

    live = C.clean(bad, offline=False)
    assert [r["step"] for r in live.meta["cleaning"]] == ["gate_visibility", "repair_swaps", "one_euro"]
    assert live.meta["cleaning"][1]["params"]["causal"] is True


def test_inputs_are_never_modified():
    tr = swap(marching_track(), [10, 11], legs_only=True)
    lm = np.array(tr.landmarks)
    lm[5, 3, 3] = 0.1
    lm[50:55, 7, :3] = np.nan
    tr = tr.with_arrays(landmarks=lm)
    before = (tr.landmarks.copy(), tr.world_landmarks.copy(), dict(tr.meta))
    for fn in (C.gate_visibility, C.fill_gaps, C.repair_swaps, C.hampel, C.butterworth, C.one_euro, C.clean):
        out = fn(tr)
        assert out is not tr
        np.testing.assert_array_equal(tr.landmarks, before[0])
        np.testing.assert_array_equal(tr.world_landmarks, before[1])
        assert tr.meta == before[2]
        assert not out.landmarks.flags.writeable


# Measured max difference between rates: butterworth 0.0030, one_euro 0.025 (the 1/(1+tau/dt)
# smoothing factor of Casiez et al. is a first-order discretisation), fill_gaps 0.0007,
# hampel 0.079 (burst replacement bias, same size at both rates but on different samples).
# With a parameter in frames (Hampel window of 9 frames, cutoff as a fraction of the sample rate)
# the 60 fps result differs by > 0.1 (the 0.1 s burst survives, the 9 Hz ripple passes).
@pytest.mark.parametrize("step,tol", [("butterworth", 0.01), ("one_euro", 0.035), ("fill_gaps", 0.005),
                                      ("hampel", 0.1)])
def test_parameters_are_seconds_same_result_at_30_and_60_fps(step, tol):
    results = {}
    for fps in (30.0, 60.0):
        t, s = sine(fps, 4.0, 1.0)
        x = s + 0.2 * np.sin(2 * np.pi * 9.0 * t)  # below 15 Hz Nyquist at 30 fps
        if step == "one_euro":
            x = s.copy()
        if step == "fill_gaps":
            x = s.copy()
            x[(t >= 1.5) & (t < 1.7)] = np.nan
        if step == "hampel":
            x = np.sin(2 * np.pi * 0.25 * t)
            x[(t >= 2.0) & (t < 2.1)] += 2.0  # 0.1 s burst
        out = series(getattr(C, step)(signal_track(x, fps)))
        results[fps] = (t, out)
    t30, y30 = results[30.0]
    t60, y60 = results[60.0]
    y60_at_30 = y60[::2]
    np.testing.assert_array_equal(t60[::2], t30)
    core = (t30 > 0.3) & (t30 < 3.7)
    assert np.abs(y30[core] - y60_at_30[core]).max() < tol


@pytest.mark.parametrize("T", [0, 1, 2])
def test_tiny_tracks_pass_through(T):
    tr = PoseTrack(np.full((T, 33, 4), 0.5), np.zeros((T, 33, 3)), np.arange(T) / 30.0, 30.0, 640, 480)
    for offline in (True, False):
        out = C.clean(tr, offline=offline)
        np.testing.assert_allclose(out.landmarks, tr.landmarks)

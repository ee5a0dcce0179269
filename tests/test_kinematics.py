"""Kinematics: hand-computed tables, geometric properties (hypothesis), mirroring, NaN propagation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formcheck import kinematics as kin
from formcheck.track import LANDMARK_INDEX, MIRROR_INDEX, NUM_LANDMARKS, PoseTrack

W, H = 1024, 512  # powers of two: pixel -> normalised -> pixel is exact


def make_track(points: dict[str, object], frames: int = 1, width: int = W, height: int = H,
               visibility: dict[str, float] | None = None) -> PoseTrack:
    """A track from pixel positions: name -> (x, y) or (T, 2). Unnamed landmarks are NaN."""
    lm = np.full((frames, NUM_LANDMARKS, 4), np.nan)
    for name, p in points.items():
        p = np.broadcast_to(np.asarray(p, dtype=float), (frames, 2))
        i = LANDMARK_INDEX[name]
        lm[:, i, 0] = p[:, 0] / width
        lm[:, i, 1] = p[:, 1] / height
        lm[:, i, 2] = 0.0
        lm[:, i, 3] = (visibility or {}).get(name, 0.9)
    return PoseTrack(lm, np.full((frames, NUM_LANDMARKS, 3), np.nan), np.arange(frames) / 30.0, 30.0, width, height)


def both(pair: str, p) -> dict[str, object]:
    """The same point for left_<pair> and right_<pair> (a perfect side view)."""
    return {f"left_{pair}": p, f"right_{pair}": p}


def lying_side(hip, shoulder=(100, 400), knee=(500, 200), ankle=(560, 400)) -> PoseTrack:
    return make_track({**both("shoulder", shoulder), **both("hip", hip), **both("knee", knee), **both("ankle", ankle)})


# ---------------------------------------------------------------------------------------------
# primitives, hand-computed
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ((1, 0), (0, 0), (0, 1), 90.0),           # right angle
        ((-1, 0), (0, 0), (1, 0), 180.0),         # straight line through b
        ((1, 0), (0, 0), (2, 0), 0.0),            # both rays the same way
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((3, 4), (0, 0), (-4, 3), 90.0),          # rotated right angle
        ((5, 5), (2, 2), (2, 7), 45.0),           # translated
    ],
)
def test_angle_2d_table(a, b, c, expected):
    assert kin.angle_2d(a, b, c) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "a, b, c, expected",
    [
        ((1, 0, 0), (0, 0, 0), (0, 0, 1), 90.0),
        ((-1, -1, -1), (0, 0, 0), (2, 2, 2), 180.0),
        ((1, 0, 0), (0, 0, 0), (1, 0, 1), 45.0),
    ],
)
def test_angle_3d_table(a, b, c, expected):
    assert kin.angle_3d(a, b, c) == pytest.approx(expected, abs=1e-9)


def test_signed_angle_2d_is_counter_clockwise_on_screen():
    right, up_on_screen = (1, 0), (0, -1)  # image y points down
    assert kin.signed_angle_2d(right, (0, 0), up_on_screen) == pytest.approx(90.0)
    assert kin.signed_angle_2d(up_on_screen, (0, 0), right) == pytest.approx(-90.0)
    assert kin.signed_angle_2d((1, 0), (0, 0), (-1, 0)) == pytest.approx(180.0)


def test_degenerate_and_nan_inputs_give_nan():
    assert np.isnan(kin.angle_2d((0, 0), (0, 0), (1, 0)))          # zero-length ray
    assert np.isnan(kin.angle_2d((np.nan, 0), (0, 0), (1, 0)))
    assert np.isnan(kin.angle_3d((1, 0, 0), (0, 0, 0), (0, np.nan, 0)))
    assert np.isnan(kin.signed_angle_2d((1, 0), (1, 0), (0, 1)))
    with pytest.raises(ValueError, match="last dimension 2"):
        kin.angle_2d((1, 0, 0), (0, 0, 0), (0, 1, 0))


def test_angles_use_pixels_so_aspect_ratio_is_right():
    # In pixels a right angle; in normalised units (1024 x 512 frame) it would not be.
    t = make_track({"left_hip": (200, 100), "left_knee": (200, 300), "left_ankle": (400, 300)})
    assert kin.knee_flexion(t, "left")[0] == pytest.approx(90.0)


# ---------------------------------------------------------------------------------------------
# bridge (side view) measures, hand-computed
# ---------------------------------------------------------------------------------------------
def test_hip_on_the_line_is_straight():
    t = lying_side(hip=(300, 300))  # midpoint of shoulder (100,400) and knee (500,200)
    assert kin.trunk_thigh_angle(t, "left")[0] == pytest.approx(180.0)
    assert kin.trunk_thigh_signed(t, "left")[0] == pytest.approx(180.0)
    assert kin.hip_height(t, "left")[0] == pytest.approx(0.0, abs=1e-12)


def test_hip_raised_above_the_line_is_past_straight_and_positive():
    t = lying_side(hip=(300, 250))  # 50 px above the line vertically
    unsigned = math.degrees(math.atan2(150, -200) - math.atan2(-50, 200))  # 157.17 deg
    assert kin.trunk_thigh_angle(t, "right")[0] == pytest.approx(unsigned)
    assert kin.trunk_thigh_signed(t, "right")[0] == pytest.approx(360.0 - unsigned)
    assert kin.trunk_thigh_signed(t, "right")[0] > 180.0
    perpendicular = 50 * 2 / math.sqrt(5)  # 44.72 px
    torso = math.hypot(200, 150)  # mid-shoulder (100,400) to mid-hip (300,250)
    assert kin.hip_height_px(t, "left")[0] == pytest.approx(perpendicular)
    assert kin.hip_height(t, "left")[0] == pytest.approx(perpendicular / torso)


def test_hip_sagging_below_the_line_is_flexed_and_negative():
    t = lying_side(hip=(300, 350))
    assert kin.trunk_thigh_signed(t, "left")[0] < 180.0
    assert kin.trunk_thigh_signed(t, "left")[0] == pytest.approx(kin.trunk_thigh_angle(t, "left")[0])
    assert kin.hip_height(t, "left")[0] < 0


def test_sign_is_the_same_whichever_way_the_person_lies():
    # Mirror the scene horizontally (head on the right): above the line is still above.
    t = lying_side(hip=(W - 300, 250), shoulder=(W - 100, 400), knee=(W - 500, 200))
    assert kin.hip_height(t, "left")[0] > 0
    assert kin.trunk_thigh_signed(t, "left")[0] > 180


def test_vertical_shoulder_knee_line_gives_nan_signed_measures():
    t = lying_side(hip=(310, 300), shoulder=(300, 100), knee=(300, 500))
    assert np.isnan(kin.hip_height(t, "left")[0])
    assert np.isnan(kin.trunk_thigh_signed(t, "left")[0])
    assert kin.trunk_thigh_angle(t, "left")[0] < 180  # the unsigned angle still exists


@pytest.mark.parametrize(
    "shoulder, hip, expected",
    [((300, 100), (300, 400), 90.0),     # upright
     ((100, 400), (300, 400), 0.0),      # lying flat, head left
     ((500, 400), (300, 400), 0.0),      # lying flat, head right
     ((100, 400), (300, 200), -45.0)],   # bridge top: shoulders below hips
)
def test_trunk_angle_table(shoulder, hip, expected):
    t = make_track({**both("shoulder", shoulder), **both("hip", hip)})
    assert kin.trunk_angle(t)[0] == pytest.approx(expected)


def test_thigh_angle_and_knee_flexion():
    standing = make_track({"left_hip": (300, 100), "left_knee": (300, 300), "left_ankle": (300, 500)})
    assert kin.thigh_angle(standing, "left")[0] == pytest.approx(-90.0)
    assert kin.knee_flexion(standing, "left")[0] == pytest.approx(0.0)
    bridge = make_track({"left_hip": (300, 400), "left_knee": (500, 200), "left_ankle": (500, 400)})
    assert kin.thigh_angle(bridge, "left")[0] == pytest.approx(45.0)
    assert kin.knee_flexion(bridge, "left")[0] == pytest.approx(135.0)


# ---------------------------------------------------------------------------------------------
# frontal measures, hand-computed
# ---------------------------------------------------------------------------------------------
def front_legs(left_knee_x: float, *, facing_camera: bool = True) -> PoseTrack:
    """Person's left leg: hip, knee, ankle. Facing the camera the left hip is on the image right."""
    lx, rx = (600, 400) if facing_camera else (400, 600)
    kx = left_knee_x if facing_camera else 2 * 500 - left_knee_x
    return make_track({
        "left_hip": (lx, 100), "right_hip": (rx, 100),
        "left_knee": (kx, 300), "right_knee": (rx, 300),
        "left_ankle": (lx, 500), "right_ankle": (rx, 500),
    })


def test_fppa_valgus_positive_varus_negative():
    expected = 2 * math.degrees(math.atan2(20, 200))  # 11.42 deg between thigh and shank
    assert kin.fppa(front_legs(580), "left")[0] == pytest.approx(expected)   # knee toward the midline
    assert kin.fppa(front_legs(620), "left")[0] == pytest.approx(-expected)  # knee outward
    assert kin.fppa(front_legs(600), "left")[0] == pytest.approx(0.0)
    assert kin.fppa(front_legs(580), "right")[0] == pytest.approx(0.0)


def test_fppa_sign_holds_from_behind():
    expected = 2 * math.degrees(math.atan2(20, 200))
    assert kin.fppa(front_legs(580, facing_camera=False), "left")[0] == pytest.approx(expected)
    assert kin.fppa(front_legs(620, facing_camera=False), "left")[0] == pytest.approx(-expected)


def test_knee_ankle_ratio():
    t = make_track({"left_knee": (575, 300), "right_knee": (425, 300), "left_ankle": (600, 500), "right_ankle": (400, 500)})
    assert kin.knee_ankle_separation_ratio(t)[0] == pytest.approx(0.75)


def test_pelvic_obliquity_and_trunk_lean():
    # Facing the camera: left hip on the image right, 20 px lower than the right hip.
    t = make_track({"left_hip": (600, 320), "right_hip": (400, 300),
                    "left_shoulder": (650, 0), "right_shoulder": (450, 0)})
    assert kin.pelvic_obliquity(t)[0] == pytest.approx(math.degrees(math.atan2(20, 200)))
    # Mid-shoulder (550, 0) vs mid-hip (500, 310): shoulders toward the image right = the person's left.
    assert kin.trunk_lean(t)[0] == pytest.approx(math.degrees(math.atan2(50, 310)))
    # Same body seen from behind (image mirrored, labels kept): same anatomical signs.
    back = make_track({"left_hip": (400, 320), "right_hip": (600, 300),
                       "left_shoulder": (350, 0), "right_shoulder": (550, 0)})
    assert kin.pelvic_obliquity(back)[0] == pytest.approx(kin.pelvic_obliquity(t)[0])
    assert kin.trunk_lean(back)[0] == pytest.approx(kin.trunk_lean(t)[0])


def test_pelvic_displacement_in_hip_widths():
    x = np.array([500.0, 550.0, 450.0, 500.0, 500.0])  # mid-hip x; median 500, hip width 200
    pts = {"left_hip": np.stack([x + 100, np.full(5, 300.0)], 1), "right_hip": np.stack([x - 100, np.full(5, 300.0)], 1)}
    t = make_track(pts, frames=5)
    np.testing.assert_allclose(kin.pelvic_displacement(t), [0.0, 0.25, -0.25, 0.0, 0.0])
    np.testing.assert_allclose(kin.pelvic_displacement(t, window_s=10.0), [0.0, 0.25, -0.25, 0.0, 0.0])


def test_neck_angle_and_chin_chest():
    base = {**both("hip", (300, 400)), **both("shoulder", (100, 400))}
    aligned = make_track({**base, **both("ear", (50, 400)), "nose": (50, 380)})
    assert kin.neck_angle(aligned)[0] == pytest.approx(0.0)
    bent = make_track({**base, **both("ear", (50, 350)), "nose": (100, 350)})
    assert kin.neck_angle(bent)[0] == pytest.approx(45.0)
    assert kin.chin_chest(bent)[0] == pytest.approx(50 / 200)


def test_near_side_by_visibility_then_z():
    pts = {f"{s}_{j}": (100, 100) for s in ("left", "right") for j in ("shoulder", "hip", "knee", "ankle")}
    t = make_track(pts, visibility={f"right_{j}": 0.3 for j in ("shoulder", "hip", "knee", "ankle")})
    assert kin.near_side(t) == "left"
    lm = np.array(make_track(pts).landmarks)
    for j in ("shoulder", "hip", "knee", "ankle"):
        lm[:, LANDMARK_INDEX[f"right_{j}"], 2] = -0.1  # smaller z = nearer the camera
    t2 = make_track(pts).with_arrays(landmarks=lm)
    assert kin.near_side(t2) == "right"


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------
coords = st.floats(-1000, 1000, allow_nan=False)
pts2 = arrays(np.float64, (3, 2), elements=coords)


def _well_formed(p: np.ndarray) -> bool:
    return np.linalg.norm(p[0] - p[1]) > 1e-2 and np.linalg.norm(p[2] - p[1]) > 1e-2


@settings(max_examples=200, deadline=None)
@given(pts2, st.floats(-math.pi, math.pi), st.floats(0.01, 100), arrays(np.float64, 2, elements=coords))
def test_angle_2d_invariant_to_rotation_translation_scale(p, theta, scale, shift):
    assume(_well_formed(p))
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    q = scale * p @ rot.T + shift
    assume(_well_formed(q))
    a = kin.angle_2d(*p)
    assert 0.0 <= a <= 180.0
    assert kin.angle_2d(*q) == pytest.approx(a, abs=1e-5)
    assert kin.angle_2d(p[2], p[1], p[0]) == a  # symmetric in a and c
    s = kin.signed_angle_2d(*p)
    assert abs(s) == pytest.approx(a, abs=1e-9)
    if 1e-6 < abs(s) < 180 - 1e-6:
        assert kin.signed_angle_2d(p[2], p[1], p[0]) == pytest.approx(-s, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, (3, 3), elements=coords), st.floats(0.01, 100))
def test_angle_3d_invariant_and_symmetric(p, scale):
    assume(np.linalg.norm(p[0] - p[1]) > 1e-2 and np.linalg.norm(p[2] - p[1]) > 1e-2)
    q, _ = np.linalg.qr(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [2.0, 0.0, -1.0]]))  # fixed rotation
    a = kin.angle_3d(*p)
    assert 0.0 <= a <= 180.0
    assert kin.angle_3d(*(scale * p @ q.T + 7.0)) == pytest.approx(a, abs=1e-5)
    assert kin.angle_3d(p[2], p[1], p[0]) == a


def mirrored(track: PoseTrack) -> PoseTrack:
    """What a horizontally mirrored video gives: x -> 1 - x and every left label swapped with its right."""
    lm = np.array(track.landmarks)[:, MIRROR_INDEX]
    lm[..., 0] = 1.0 - lm[..., 0]
    return track.with_arrays(landmarks=lm)


pixel_tracks = arrays(np.int64, (4, NUM_LANDMARKS, 2), elements=st.integers(0, W // 2)).map(
    lambda a: make_track({n: a[:, i] * np.array([2, 1]) for n, i in LANDMARK_INDEX.items()}, frames=4)
)


@settings(max_examples=100, deadline=None)
@given(pixel_tracks)
def test_mirroring_swaps_left_right_and_flips_lateral_signs(track):
    m = mirrored(track)
    close = dict(atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(kin.fppa(m, "left"), kin.fppa(track, "right"), **close)
    np.testing.assert_allclose(kin.fppa(m, "right"), kin.fppa(track, "left"), **close)
    np.testing.assert_allclose(kin.pelvic_obliquity(m), -kin.pelvic_obliquity(track), **close)
    np.testing.assert_allclose(kin.pelvic_displacement(m), -kin.pelvic_displacement(track), **close)
    lean, lean_m = kin.trunk_lean(track), kin.trunk_lean(m)
    ok = np.abs(np.abs(lean) - 180) > 1e-9  # +180 and -180 are the same lean
    np.testing.assert_allclose(lean_m[ok], -lean[ok], **close)
    np.testing.assert_allclose(kin.knee_flexion(m, "left"), kin.knee_flexion(track, "right"), **close)
    np.testing.assert_allclose(kin.knee_ankle_separation_ratio(m), kin.knee_ankle_separation_ratio(track), **close)


@settings(max_examples=50, deadline=None)
@given(pixel_tracks)
def test_fppa_and_angles_in_range(track):
    for s in kin.SIDES:
        f = kin.fppa(track, s)
        assert np.all((np.abs(f[np.isfinite(f)]) <= 180.0))
        a = kin.trunk_thigh_angle(track, s)
        assert np.all((a[np.isfinite(a)] >= 0) & (a[np.isfinite(a)] <= 180))
        sg = kin.trunk_thigh_signed(track, s)
        assert np.all((sg[np.isfinite(sg)] >= 0) & (sg[np.isfinite(sg)] < 360))


# ---------------------------------------------------------------------------------------------
# registry, compute(), NaN propagation
# ---------------------------------------------------------------------------------------------
def full_track(frames: int = 5) -> PoseTrack:
    rng = np.random.default_rng(0)
    lm = np.concatenate([rng.uniform(0.1, 0.9, (frames, NUM_LANDMARKS, 3)), np.full((frames, NUM_LANDMARKS, 1), 0.9)], axis=2)
    wl = rng.uniform(-0.5, 0.5, (frames, NUM_LANDMARKS, 3))
    return PoseTrack(lm, wl, np.arange(frames) / 30.0, 30.0, 640, 480)


def test_compute_all_series_with_units_and_nan_frame():
    lm = np.array(full_track().landmarks)
    wl = np.array(full_track().world_landmarks)
    lm[2] = np.nan
    wl[2] = np.nan
    t = full_track().with_arrays(landmarks=lm, world_landmarks=wl)
    k = kin.compute(t)
    assert set(k.names) == set(kin.SERIES)
    for name in k.names:
        s = k[name]
        assert s.shape == (5,), name
        assert np.isnan(s[2]), f"{name} should be NaN on a frame without a person"
        assert np.isfinite(s[[0, 1, 3, 4]]).all(), name
        assert k.unit(name) and k.description(name)
    assert k.near_side in ("left", "right")


def test_nan_landmark_propagates_only_to_its_measures():
    lm = np.array(full_track().landmarks)
    lm[1, LANDMARK_INDEX["left_knee"], :2] = np.nan
    t = full_track().with_arrays(landmarks=lm)
    assert np.isnan(kin.knee_flexion(t, "left")[1]) and np.isfinite(kin.knee_flexion(t, "left")[0])
    assert np.isnan(kin.fppa(t, "left")[1])
    assert np.isfinite(kin.knee_flexion(t, "right")[1])
    assert np.isfinite(kin.pelvic_obliquity(t)[1])


def test_unknown_series_name_lists_valid_ones():
    with pytest.raises(ValueError, match="valid names: .*hip_height_left"):
        kin.compute(full_track(), ["hip_hieght_left"])
    k = kin.compute(full_track(), ["trunk_angle"])
    with pytest.raises(ValueError, match="trunk_angle"):
        k["knee"]


def test_bad_side_rejected():
    with pytest.raises(ValueError, match="'left' or 'right'"):
        kin.knee_flexion(full_track(), "middle")


def test_knee_flexion_from_foreshortening_hand_table():
    """Thigh and shank 100 px standing; shrunk to cos 30 and cos 45 of that: 30 + 45 = 75 deg of knee flexion."""
    c30, c45 = 100 * math.cos(math.radians(30)), 100 * math.cos(math.radians(45))
    hip = np.array([[500.0, 100.0]] * 3)
    knee = hip + [[0, 100], [0, 100], [0, c30]]
    ankle = knee + [[0, 100], [0, 100], [0, c45]]
    track = make_track({"left_hip": hip, "left_knee": knee, "left_ankle": ankle}, frames=3)
    np.testing.assert_allclose(kin.knee_flexion_foreshortening(track, "left"), [0.0, 0.0, 75.0], atol=1e-6)


def test_knee_flexion_from_foreshortening_follows_a_squat_seen_from_the_front():
    """On the synthetic squat (exact projection, front camera) it tracks the true 3D knee flexion."""
    from formcheck.synth import exact_track

    track = exact_track("squat", view="front", seconds=6.0)
    true = kin.knee_flexion_3d(track, "left")
    band = (true > 40) & (true < 80)
    assert band.sum() > 20
    assert np.median(np.abs(kin.knee_flexion_foreshortening(track, "left")[band] - true[band])) < 5.0

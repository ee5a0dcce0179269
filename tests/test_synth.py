"""Synthetic ground truth: the body reproduces its commanded angles, faults move the right measures, outputs are
deterministic and bad input fails clearly.  Fast: no video decoding (one tiny clip is encoded)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.synth import (FAULTS, MOTIONS, PARAMS, VIEWS, add_noise, build, exact_track, generate, make_motion,
                             sweep, sweep_clip_name)
from formcheck.synth.body import (forward_kinematics, measured_joint_angles,
                                  zero_angles)
from formcheck.track import LANDMARK_INDEX, PoseTrack

TOL_DEG = 0.5
CHECKED = ("hip_flexion_l", "hip_flexion_r", "hip_abduction_l", "hip_abduction_r", "knee_flexion_l",
           "knee_flexion_r", "lumbar_extension")
SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"

FAULTY = {
    "bridge": {"back_butt": 20, "knee_valgus": 10},
    "bridge_hold": {"incomplete_lockout": 10},
    "single_leg_bridge": {"back_butt": 15},
    "hip_thrust": {"back_butt": 20, "neck": 20},
    "squat": {"knee_valgus": 15},
    "single_leg_squat": {"knee_valgus": 12},
    "walk": {"pelvic_drop": 8, "pelvic_sway": 4, "trunk_lean": 5},
    "single_leg_stance": {"pelvic_drop": 8},
}


def _max_err(motion: str, knobs: dict) -> dict[str, float]:
    m = make_motion(motion, knobs, 6.0, 30.0)
    meas = measured_joint_angles(m.body())
    return {k: float(np.max(np.abs(meas[k] - m.angles[k]))) for k in CHECKED}


@pytest.mark.parametrize("motion", MOTIONS)
@pytest.mark.parametrize("faulty", [False, True])
def test_angles_recovered_from_landmarks(motion, faulty):
    errs = _max_err(motion, FAULTY[motion] if faulty else {})
    assert max(errs.values()) < TOL_DEG, errs


def test_random_poses_recovered():
    rng = np.random.default_rng(1)
    T = 200
    ang = zero_angles(T)
    ranges = {"pelvis_tilt": 30, "pelvis_obliquity": 15, "pelvis_rotation": 30, "lumbar_extension": 30,
              "hip_flexion_l": 100, "hip_flexion_r": 100, "hip_abduction_l": 30, "hip_abduction_r": 30,
              "hip_internal_rotation_l": 30, "hip_internal_rotation_r": 30, "knee_flexion_l": 120,
              "knee_flexion_r": 120, "ankle_dorsiflexion_l": 20, "neck_flexion": 30}
    for k, r in ranges.items():
        ang[k] = rng.uniform(-r if "knee" not in k else 0, r, T)
    body = forward_kinematics(ang, np.tile([0.0, 0.0, 1.0], (T, 1)))
    meas = measured_joint_angles(body)
    for k in CHECKED:
        assert np.max(np.abs(meas[k] - ang[k])) < TOL_DEG, k
    # pelvic obliquity with no pelvic rotation: the hip line's slope
    ang2 = zero_angles(T)
    ang2["pelvis_obliquity"] = rng.uniform(-15, 15, T)
    ang2["pelvis_tilt"] = rng.uniform(-20, 20, T)
    b2 = forward_kinematics(ang2, np.tile([0.0, 0.0, 1.0], (T, 1)))
    d = b2.lm("left_hip") - b2.lm("right_hip")
    obl = np.degrees(np.arcsin(d[:, 2] / np.linalg.norm(d, axis=1)))
    assert np.max(np.abs(obl - ang2["pelvis_obliquity"])) < TOL_DEG


def test_segment_lengths_follow_height():
    for h in (1.6, 1.9):
        m = make_motion("squat", {"height_m": h}, 2.0, 30.0)
        b = m.body()
        thigh = np.linalg.norm(b.lm("left_knee") - b.lm("left_hip"), axis=1)
        shank = np.linalg.norm(b.lm("left_ankle") - b.lm("left_knee"), axis=1)
        np.testing.assert_allclose(thigh, 0.245 * h, rtol=1e-9)
        np.testing.assert_allclose(shank, 0.246 * h, rtol=1e-9)
    # standing upright: head top near body height, feet on the floor
    ang = zero_angles(1)
    b = forward_kinematics(ang, np.array([[0, 0, 0.0]]))
    lowest = min(b.lm(n)[0, 2] for n in ("left_heel", "left_foot_index"))
    stature = b.extras["head_center"][0, 2] + 0.112 - lowest
    assert abs(stature - 1.75) < 0.08


def _truth_series(motion, knobs, view="side", seconds=8.0):
    from formcheck.synth.clip import truth_dict

    m, body, cam = build(motion, knobs, view, seconds)
    tr = exact_track(motion, knobs, view, seconds)
    return m, truth_dict(m, body, cam, tr, view, 0)["per_frame"]


def test_bridge_good_is_straight_back_butt_is_above_line():
    m, good = _truth_series("bridge", {})
    top = m.extra["lift_fraction"] > 0.99
    assert np.all(np.abs(np.array(good["shoulder_hip_knee"])[top] - 180) < 0.5)
    m, bad = _truth_series("bridge", {"back_butt": 25})
    shk = np.array(bad["shoulder_hip_knee"])[m.extra["lift_fraction"] > 0.99]
    assert np.all(shk > 185)
    assert np.all(np.array(bad["hip_above_line_torso"])[m.extra["lift_fraction"] > 0.99] > 0.02)
    m, inc = _truth_series("bridge", {"incomplete_lockout": 15})
    shk = np.array(inc["shoulder_hip_knee"])[m.extra["lift_fraction"] > 0.99]
    np.testing.assert_allclose(shk, 165, atol=0.5)


def test_bridge_feet_and_shoulders_stay_put():
    for motion in ("bridge", "hip_thrust"):
        m = make_motion(motion, {}, 8.0, 30.0)
        b = m.body()
        assert np.ptp(b.lm("left_ankle")[:, [0, 2]], axis=0).max() < 0.01
        sh = (b.lm("left_shoulder") + b.lm("right_shoulder")) / 2
        assert np.ptp(sh[:, [0, 2]], axis=0).max() < 1e-6
        assert np.ptp(b.lm("left_hip")[:, 2]) > 0.15  # the hips rise


def test_bridge_arms_on_the_floor_or_raised():
    """arms=0 (default): hands on the floor beside the hips; arms=1: hands up above the shoulders; legs unchanged."""
    floor, raised = make_motion("bridge", {}, 6.0, 30.0).body(), make_motion("bridge", {"arms": 1}, 6.0, 30.0).body()
    for side in ("left", "right"):
        assert np.all(floor.lm(f"{side}_wrist")[:, 2] < 0.12)
        assert np.all(raised.lm(f"{side}_wrist")[:, 2] - raised.lm(f"{side}_shoulder")[:, 2] > 0.45)
        np.testing.assert_allclose(raised.lm(f"{side}_knee"), floor.lm(f"{side}_knee"))
    with pytest.raises(ValueError, match="arms"):
        make_motion("squat", {"arms": 1}, 2.0, 30.0)


def test_knee_valgus_raises_fppa():
    m, good = _truth_series("squat", {}, "front")
    _, bad = _truth_series("squat", {"knee_valgus": 15}, "front")
    deep = m.extra["depth_fraction"] > 0.99
    for s in ("l", "r"):
        assert np.max(np.array(bad[f"fppa_{s}"])[deep]) > np.max(np.array(good[f"fppa_{s}"])[deep]) + 10
    mb, bg = _truth_series("bridge", {}, "feet")
    _, bb = _truth_series("bridge", {"knee_valgus": 15}, "feet")
    top = mb.extra["lift_fraction"] > 0.99
    assert np.mean(np.array(bb["knee_to_ankle_separation"])[top]) < np.mean(
        np.array(bg["knee_to_ankle_separation"])[top]) - 0.2


def test_walk_pelvic_drop_and_sway():
    _, good = _truth_series("walk", {}, "front")
    _, bad = _truth_series("walk", {"pelvic_drop": 8, "pelvic_sway": 4}, "front")
    assert np.ptp(bad["pelvic_obliquity"]) > np.ptp(good["pelvic_obliquity"]) + 12
    assert np.ptp(bad["pelvis_lateral_m"]) == pytest.approx(np.ptp(good["pelvis_lateral_m"]) + 0.08, abs=0.01)


def test_single_leg_stance_drop_each_side():
    m, tr = _truth_series("single_leg_stance", {"pelvic_drop": 8}, "front", 10.0)
    obl = np.array(tr["pelvic_obliquity"])
    holds = m.events["holds"]
    assert [h["side"] for h in holds] == ["left", "right"]
    t = np.array(tr["t"])
    left = (t > holds[0]["start_s"]) & (t < holds[0]["end_s"])
    right = (t > holds[1]["start_s"]) & (t < holds[1]["end_s"])
    np.testing.assert_allclose(obl[left], 8, atol=0.5)  # right (free) side dropped: left hip higher
    np.testing.assert_allclose(obl[right], -8, atol=0.5)
    # drop_side=1: the drop only while standing on the left leg; the right stance stays level
    m1, tr1 = _truth_series("single_leg_stance", {"pelvic_drop": 8, "drop_side": 1}, "front", 10.0)
    obl1 = np.array(tr1["pelvic_obliquity"])
    np.testing.assert_allclose(obl1[left], 8, atol=0.5)
    np.testing.assert_allclose(obl1[right], 0, atol=0.5)
    active = m1.fault_active["pelvic_drop"]
    assert active[left].all() and not active[right].any()


def test_projection_conventions():
    tr = exact_track("squat", {}, "front", 2.0)
    assert isinstance(tr, PoseTrack) and tr.landmarks.shape[1:] == (33, 4)
    lh, rh = LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]
    mid = (tr.world_landmarks[:, lh] + tr.world_landmarks[:, rh]) / 2
    np.testing.assert_allclose(mid, 0, atol=1e-12)  # hip-centred
    zmid = (tr.landmarks[:, lh, 2] + tr.landmarks[:, rh, 2]) / 2
    assert np.max(np.abs(zmid)) < 1e-3
    # y down: the head is above (smaller y than) the ankles, in the image and in world landmarks
    assert np.all(tr.xy("nose")[:, 1] < tr.xy("left_ankle")[:, 1])
    assert np.all(tr.world("nose")[:, 1] < tr.world("left_ankle")[:, 1])
    # facing the camera: the subject's left appears on the image right
    assert np.all(tr.xy("left_hip")[:, 0] > tr.xy("right_hip")[:, 0])
    assert np.all((tr.landmarks[..., :2] > 0) & (tr.landmarks[..., :2] < 1))
    side = exact_track("bridge", {}, "side", 2.0)
    # filmed from the left: the left knee is nearer (smaller z) than the right
    assert np.all(side.landmarks[:, LANDMARK_INDEX["left_knee"], 2] < side.landmarks[:, LANDMARK_INDEX["right_knee"], 2])


@pytest.mark.parametrize("view", VIEWS)
def test_every_view_keeps_the_body_in_frame(view):
    for motion in ("bridge", "hip_thrust", "squat", "walk", "single_leg_stance"):
        tr = exact_track(motion, {}, view, 4.0)
        xy = tr.landmarks[..., :2]
        assert np.all((xy > 0) & (xy < 1)), (motion, view)


def test_noise_is_seeded_and_realistic():
    a = exact_track("walk", {}, "front", 4.0, seed=3, noise=True)
    b = exact_track("walk", {}, "front", 4.0, seed=3, noise=True)
    c = exact_track("walk", {}, "front", 4.0, seed=4, noise=True)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    assert not np.array_equal(np.nan_to_num(a.landmarks), np.nan_to_num(c.landmarks))
    assert 0.9 < a.detection_rate < 1.0
    clean = exact_track("walk", {}, "front", 4.0)
    n = add_noise(clean, seed=1, dropout_rate=0, swap_rate=0, visibility_dip_rate=0, jitter_px=2.0)
    err_px = (n.landmarks[..., :2] - clean.landmarks[..., :2]) * [clean.frame_width, clean.frame_height]
    assert 1.0 < np.std(err_px) < 3.0
    s = add_noise(clean, seed=1, dropout_rate=0, swap_rate=0.05, visibility_dip_rate=0, jitter_px=0)
    swapped = s.meta["noise"]["swapped_frames"]
    assert swapped and np.allclose(s.xy("left_knee")[swapped], clean.xy("right_knee")[swapped])


def test_bad_input_errors_list_choices():
    with pytest.raises(ValueError, match="valid motions: .*bridge.*walk") as e:
        make_motion("plank", {}, 2.0, 30.0)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="valid: .*back_butt.*knee_valgus") as e:
        make_motion("bridge", {"pelvic_drop": 5}, 2.0, 30.0)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="valid views: .*side.*feet"):
        exact_track("bridge", {}, "top", 2.0)
    with pytest.raises(ValueError, match="number"):
        make_motion("bridge", {"back_butt": "lots"}, 2.0, 30.0)
    with pytest.raises(ValueError, match=r"between 0 and 40 \(deg\), got -20"):
        make_motion("bridge", {"back_butt": -20}, 2.0, 30.0)
    with pytest.raises(ValueError, match="between -15 and 15 \\(cm\\)"):
        make_motion("walk", {"pelvic_sway": 1e9}, 2.0, 30.0)
    with pytest.raises(ValueError, match="valid motions"):
        generate("plank", {}, "side", 1.0, 0, Path("/nonexistent/x.mp4"))
    with pytest.raises(ValueError, match="valid views"):
        generate("bridge", {}, "ceiling", 1.0, 0, Path("/nonexistent/x.mp4"))
    with pytest.raises(ValueError, match=".mp4"):
        generate("bridge", {}, "side", 1.0, 0, Path("/nonexistent/x.avi"))


def test_fault_and_param_tables():
    assert set(MOTIONS) >= {"bridge", "hip_thrust", "squat", "single_leg_squat", "walk", "single_leg_stance"}
    assert {"back_butt", "incomplete_lockout", "knee_valgus"} <= set(FAULTS["bridge"])
    assert "neck" in FAULTS["hip_thrust"]
    assert {"pelvic_drop", "pelvic_sway", "trunk_lean"} <= set(FAULTS["walk"])
    assert {"cadence", "step_length"} <= set(PARAMS["walk"])
    for motion in MOTIONS:
        for name, unit in FAULTS[motion].items():
            assert unit.split(":")[0] in ("deg", "cm"), (motion, name)


def _decoded(path: Path) -> list[np.ndarray]:
    from formcheck.video import VideoReader

    return [frame.rgb.copy() for frame in VideoReader(path)]


def test_generate_is_deterministic_and_truth_schema(tmp_path):
    kw = dict(width=160, height=96, fps=15.0)
    v1, t1 = generate("bridge", {"back_butt": 20}, "side", 1.5, 7, tmp_path / "a.mp4", **kw)
    v2, t2 = generate("bridge", {"back_butt": 20}, "side", 1.5, 7, tmp_path / "b.mp4", **kw)
    assert v1.stat().st_size > 0 and t1.name == "a.truth.json"
    pixels1, pixels2 = _decoded(v1), _decoded(v2)
    assert len(pixels1) == len(pixels2) == 22
    differing = [i for i, (a, b) in enumerate(zip(pixels1, pixels2)) if not np.array_equal(a, b)]
    assert not differing, f"same arguments gave different pictures in frames {differing}"
    assert hashlib.sha256(v1.read_bytes()).digest() == hashlib.sha256(v2.read_bytes()).digest(), \
        "pictures identical but the mp4 bytes differ (container metadata)"
    truth = json.loads(t1.read_text())
    assert truth == json.loads(t2.read_text())
    for key in ("motion", "view", "camera", "fps", "seed", "faults", "fault_units", "per_frame", "fault_labels",
                "events", "frames", "width", "height"):
        assert key in truth, key
    assert truth["motion"] == "bridge" and truth["view"] == "side" and truth["seed"] == 7
    assert truth["faults"] == {"back_butt": 20.0} and truth["fault_units"] == {"back_butt": "deg"}
    n = truth["frames"]
    assert n == 22
    for k, v in truth["per_frame"].items():
        assert len(v) == n, k
    for k in ("t", "hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r", "lumbar_extension",
              "pelvis_tilt", "pelvic_obliquity", "shoulder_hip_knee"):
        assert k in truth["per_frame"], k
    assert set(truth["fault_labels"]) == {"back_butt"} and len(truth["fault_labels"]["back_butt"]) == n


def test_truth_events():
    m = make_motion("bridge", {}, 10.0, 30.0)
    reps = m.events["reps"]
    assert len(reps) >= 2
    for r in reps:
        assert r["start_s"] < r["peak_s"] < r["end_s"] <= 10.0
    assert len(m.events["holds"]) == len(reps)
    w = make_motion("walk", {"cadence": 120}, 8.0, 30.0)
    strides = w.events["strides"]
    assert {s["side"] for s in strides} == {"left", "right"}
    assert all(abs(s["end_s"] - s["start_s"] - 1.0) < 1e-6 for s in strides)  # 120 steps/min = 1 s strides


def test_sweep_specs():
    specs = list(sweep("knee_valgus", [0, 5, 10]))
    assert {(s["motion"], s["view"]) for s in specs} >= {("bridge", "feet"), ("squat", "front")}
    assert [s["faults"] for s in specs[:3]] == [{}, {"knee_valgus": 5.0}, {"knee_valgus": 10.0}]
    with pytest.raises(ValueError, match="valid"):
        list(sweep("wobble"))


def test_stance_sweep_drops_the_pelvis_on_both_sides_or_one():
    specs = [s for s in sweep("pelvic_drop", [0, 8]) if s["motion"] == "single_leg_stance"]
    assert [(s["magnitude"], s["settings"]) for s in specs] == [
        (0.0, {}), (8.0, {}), (8.0, {"drop_side": 1.0}), (8.0, {"drop_side": 2.0})]
    assert [sweep_clip_name(s, 3) for s in specs[1:]] == [
        "single_leg_stance_front_pelvic_drop_8_s3", "single_leg_stance_front_pelvic_drop_8_standleft_s3",
        "single_leg_stance_front_pelvic_drop_8_standright_s3"]


@pytest.mark.skipif(not SAMPLES.is_dir() or not list(SAMPLES.glob("*.mp4")), reason="sample_videos not generated")
def test_sample_videos_present_and_small():
    names = ["bridge_side_good", "bridge_side_back_butt", "bridge_feet_knee_valgus", "hip_thrust_side_good",
             "walk_front_hip_sway", "walk_front_good", "squat_front_knee_valgus"]
    for n in names:
        v, t = SAMPLES / f"{n}.mp4", SAMPLES / f"{n}.truth.json"
        assert v.is_file() and t.is_file(), n
        assert v.stat().st_size < 1_000_000
        truth = json.loads(t.read_text())
        assert 5 <= truth["seconds"] <= 15


# ---------------------------------------------------------------------------------------------------------
# body shapes and camera placements the rules were not calibrated on


def _dims(body: str, motion: str = "squat") -> dict[str, float]:
    """Segment lengths (m) measured on the posed landmarks and extras of the first frame of a motion."""
    b = make_motion(motion, {}, 1.0, 30.0, body).body()
    d = lambda p, q: float(np.linalg.norm(p[0] - q[0]))  # noqa: E731
    return {"hip_sep": d(b.lm("left_hip"), b.lm("right_hip")),
            "thigh": d(b.lm("left_hip"), b.lm("left_knee")), "shank": d(b.lm("left_knee"), b.lm("left_ankle")),
            "trunk_l5_t12": d(b.extras["l5s1"], b.extras["t12"]),
            "shoulder_sep": d(b.lm("left_shoulder"), b.lm("right_shoulder"))}


@pytest.mark.parametrize("body, changed", [
    ("wide_pelvis", {"hip_sep": 1.28}),
    ("long_trunk", {"trunk_l5_t12": 1.12, "thigh": 0.93, "shank": 0.93}),
    ("long_legs", {"thigh": 1.08, "shank": 1.08}),
    ("heavy", {}),
    ("short_legs", {"thigh": 0.92, "shank": 0.92}),
    ("broad_shoulders", {"hip_sep": 0.88, "shoulder_sep": 1.15}),
])
def test_body_shapes_change_the_declared_proportions_only(body, changed):
    base, shaped = _dims("default"), _dims(body)
    for name, value in base.items():
        assert shaped[name] == pytest.approx(value * changed.get(name, 1.0), rel=1e-9), name
    # the whole trunk (hip joint to shoulder joint, standing upright) follows the trunk multiplier
    up = {b: make_motion("single_leg_stance", {}, 1.0, 30.0, b).body() for b in ("default", body)}
    trunk = {b: float(up[b].extras["mid_shoulder"][0, 2] - up[b].extras["mid_hip"][0, 2]) for b in up}
    assert trunk[body] == pytest.approx(trunk["default"] * (1.12 if body == "long_trunk" else 1.0), rel=1e-3)


def test_default_body_is_winters_and_unnamed():
    from formcheck.synth.body import _FRACTIONS, Anthropometry

    assert Anthropometry() == Anthropometry(1.75, "default")
    assert Anthropometry(1.8).segments() == {k: round(f * 1.8, 4) for k, f in _FRACTIONS.items()}
    tr = exact_track("squat", {}, "front", 1.0)
    assert "body" not in tr.meta
    with pytest.raises(ValueError, match="valid bodies: default, wide_pelvis"):
        make_motion("squat", {}, 1.0, 30.0, "stocky")
    with pytest.raises(ValueError, match="valid bodies"):
        list(sweep("knee_valgus", [0], body="stocky"))


@pytest.mark.skipif(not SAMPLES.is_dir() or not list(SAMPLES.glob("*.truth.json")), reason="sample_videos not generated")
def test_default_body_reproduces_the_sample_clips_truth():
    """The sample clips were rendered before body shapes existed: the default body gives their truth exactly."""
    import sys

    from formcheck.synth.clip import _track, truth_dict

    sys.path.insert(0, str(SAMPLES.parent / "scripts"))
    try:
        from make_sample_videos import SAMPLES as SAMPLE_SPECS
    finally:
        sys.path.pop(0)
    for name, (motion, faults, view, seconds) in SAMPLE_SPECS.items():
        ref = SAMPLES / f"{name}.truth.json"
        if not ref.is_file():
            continue
        m, body, cam = build(motion, faults, view, seconds)
        truth = truth_dict(m, body, cam, _track(body, cam, m.t, 30.0, "x", {}), view, 0)
        assert json.loads(json.dumps(truth, separators=(",", ":"))) == json.loads(ref.read_text()), name


def _silhouette(motion: str, view: str, body: str, frame: int) -> np.ndarray:
    """Pixels (bool mask) the body covers in one rendered frame (background and bench differ from the body)."""
    from formcheck.synth.render import BENCH, Box, Renderer, body_ellipsoids

    m, b, cam = build(motion, {}, view, 3.0, width=320, height=180, body=body)
    boxes = [Box(np.array(p["lo"], float), np.array(p["hi"], float), BENCH) for p in m.props]
    rend = Renderer(cam)
    empty = rend.render([], boxes)
    return np.any(rend.render(body_ellipsoids(b, frame), boxes) != empty, axis=-1)


def test_each_body_shape_renders_its_build():
    """Every shape renders; heavy covers more pixels than the default with the same skeleton; the wide pelvis is
    wider across the hips seen from the front; the long trunk is longer from the side."""
    from formcheck.synth import BODY_SHAPES

    area = {b: int(_silhouette("squat", "front", b, 0).sum()) for b in BODY_SHAPES}
    assert all(a > 2000 for a in area.values()), area
    assert area["heavy"] > 1.15 * area["default"], area

    def width_at(body: str, landmark: str, shift_px: int = 0) -> int:
        row = int(round(exact_track("squat", {}, "front", 3.0, width=320, height=180, body=body).xy_px(
            landmark)[0, 1])) + shift_px
        return int(_silhouette("squat", "front", body, 0)[row].sum())

    assert width_at("wide_pelvis", "left_hip") > width_at("default", "left_hip") + 3
    assert width_at("broad_shoulders", "left_hip") < width_at("default", "left_hip")
    # across the chest, a little below the shoulder joints (the arms hang beside it)
    assert width_at("broad_shoulders", "left_shoulder", 6) > width_at("default", "left_shoulder", 6) + 3
    lying = {b: _silhouette("bridge", "side", b, 0) for b in ("default", "long_trunk", "heavy")}
    cols = {b: np.flatnonzero(mask.any(axis=0)) for b, mask in lying.items()}
    rows = {b: np.flatnonzero(mask.any(axis=1)) for b, mask in lying.items()}
    assert np.ptp(cols["long_trunk"]) >= np.ptp(cols["default"])  # trunk longer, legs shorter: same stature
    assert np.ptp(rows["heavy"]) > np.ptp(rows["default"])  # a deeper body lying on its back


@pytest.mark.parametrize("camera", ["far_high", "low"])
@pytest.mark.parametrize("body", ["wide_pelvis", "long_trunk", "long_legs", "heavy", "short_legs", "broad_shoulders"])
def test_shapes_and_camera_variants_keep_the_body_in_frame(body, camera):
    from formcheck.synth import BEST_VIEWS, CAMERA_VARIANTS

    for motion, view in sorted({pair for pairs in BEST_VIEWS.values() for pair in pairs}):
        tr = exact_track(motion, {}, view, 4.0, camera=CAMERA_VARIANTS[camera], body=body)
        xy = tr.landmarks[..., :2]
        assert np.all((xy > 0) & (xy < 1)), (motion, view)


def test_body_and_camera_reach_the_truth_and_the_clip_name(tmp_path):
    from formcheck.cli import SYNTH_BODIES, SYNTH_CAMERAS
    from formcheck.synth import BODY_SHAPES, CAMERA_VARIANTS

    assert SYNTH_BODIES == tuple(BODY_SHAPES) and SYNTH_CAMERAS == tuple(CAMERA_VARIANTS)
    spec = next(sweep("knee_valgus", [12], motions=["squat"], body="wide_pelvis"))
    assert spec["body"] == "wide_pelvis"
    assert sweep_clip_name(spec, 0) == "squat_front_knee_valgus_12_wide_pelvis_s0"
    assert sweep_clip_name({**spec, "camera": "far_high"}) == "squat_front_knee_valgus_12_wide_pelvis_far_high"
    assert sweep_clip_name({**spec, "body": "default"}, 0) == "squat_front_knee_valgus_12_s0"
    _, truth = generate("squat", {"knee_valgus": 12}, "front", 0.5, 0, tmp_path / "w.mp4", width=96, height=64,
                        fps=10.0, body="wide_pelvis", camera=CAMERA_VARIANTS["far_high"])
    t = json.loads(truth.read_text())
    assert t["body"] == "wide_pelvis" and t["segments_m"]["hip_sep"] == pytest.approx(0.1 * 1.75 * 1.28, abs=1e-4)
    assert t["camera_overrides"] == {"distance_scale": 1.3, "height_shift": 0.35}
    assert t["camera"]["position_m"][2] == pytest.approx(1.35, abs=1e-3)
    # the evaluation rebuilds the clip's exact track on the same body
    from formcheck.evaluate import truth_track

    rebuilt = truth_track(t)
    direct = exact_track("squat", {"knee_valgus": 12}, "front", 0.5, fps=10.0, width=96, height=64,
                         camera=CAMERA_VARIANTS["far_high"], body="wide_pelvis")
    np.testing.assert_allclose(rebuilt.landmarks, direct.landmarks, atol=1e-3)  # truth positions are in mm
    assert rebuilt.meta["body"] == "wide_pelvis"


def test_synth_cli_rejects_an_unknown_body(tmp_path):
    from typer.testing import CliRunner

    from formcheck.cli import app

    result = CliRunner().invoke(app, ["synth", "squat", "-o", str(tmp_path / "x.mp4"), "--body", "stocky"])
    assert result.exit_code != 0 and "valid bodies" in result.output
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("motion", MOTIONS)
def test_truth_params_rebuild_the_same_motion(motion):
    """The truth file's params are the knobs in effect: rebuilding from them (as the evaluation does for a clip's
    expected verdict) gives the same angles (the single-leg squat's shallow default depth included)."""
    m = make_motion(motion, {}, 4.0, 30.0)
    params = {k: v for k, v in m.knobs.items() if k in PARAMS[motion]}
    again = make_motion(motion, params, 4.0, 30.0)
    for name, values in m.angles.items():
        np.testing.assert_array_equal(again.angles[name], values, err_msg=name)
    assert make_motion("single_leg_squat", {}, 1.0, 30.0).knobs["depth_deg"] == 55.0

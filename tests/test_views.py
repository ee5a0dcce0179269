"""View, posture and exercise detection on hand-built 3D stick figures seen by an orthographic camera."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from formcheck.track import LANDMARK_NAMES, NUM_LANDMARKS, PoseTrack
from formcheck.views import detect_exercise, detect_view, first_guess

FPS = 30.0
THIGH = SHANK = 0.425


# ---------------------------------------------------------------------------------------------
# a tiny body: name -> 3D point, world frame X, Y up, Z. Standing people face +Z with their left at +X.
# ---------------------------------------------------------------------------------------------
def _knee(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee by two-link IK in the sagittal (Y-Z) plane, bending forward (+Z); straight if out of reach."""
    d = hip - ankle
    L = np.linalg.norm(d)
    h = math.sqrt(max(THIGH**2 - (L / 2) ** 2, 0.0))
    perp = np.array([0.0, -d[2], d[1]]) / max(math.hypot(d[1], d[2]), 1e-9)  # +Z-ish for an upright leg
    return ankle + d / 2 + h * perp


def _head(put, base, up, fwd, left):
    """Face points around a head base (neck top) given unit vectors."""
    put("nose", base + 0.20 * up + 0.10 * fwd)
    for s, sg in (("left", 1), ("right", -1)):
        put(f"{s}_ear", base + 0.20 * up + sg * 0.075 * left)
        put(f"{s}_eye_inner", base + 0.23 * up + 0.09 * fwd + sg * 0.02 * left)
        put(f"{s}_eye", base + 0.23 * up + 0.085 * fwd + sg * 0.035 * left)
        put(f"{s}_eye_outer", base + 0.23 * up + 0.08 * fwd + sg * 0.05 * left)
        put(f"mouth_{s}", base + 0.15 * up + 0.09 * fwd + sg * 0.025 * left)


def standing(hip_drop: float = 0.0, lifted: str | None = None, swing: dict | None = None) -> dict[str, np.ndarray]:
    """Upright body. hip_drop (m) squats (hips back, knees forward, trunk leaning up to ~40 deg);
    lifted = 'left'/'right' holds that foot up behind; swing = {side: (forward_m, lift_m)} moves feet."""
    P: dict[str, np.ndarray] = {}
    put = lambda n, p: P.__setitem__(n, np.asarray(p, dtype=float))  # noqa: E731
    hip_c = np.array([0.0, 0.92 - hip_drop, -0.5 * hip_drop])
    lean = math.radians(90 * hip_drop)  # forward lean of the trunk, radians
    up = np.array([0.0, math.cos(lean), math.sin(lean)])
    fwd = np.array([0.0, -math.sin(lean), math.cos(lean)])
    left = np.array([1.0, 0.0, 0.0])
    sh_c = hip_c + 0.5 * up
    for s, sg in (("left", 1), ("right", -1)):
        hip = hip_c + sg * 0.10 * left
        put(f"{s}_hip", hip)
        put(f"{s}_shoulder", sh_c + sg * 0.18 * left)
        put(f"{s}_elbow", sh_c + sg * 0.20 * left - 0.30 * up)
        for n in ("wrist", "pinky", "index", "thumb"):
            put(f"{s}_{n}", sh_c + sg * 0.21 * left - 0.56 * up + 0.02 * fwd)
        if lifted == s:
            ankle = hip + np.array([0.0, -0.48, -0.28])
        else:
            ankle = np.array([sg * 0.10, 0.08, 0.0])
            if swing and s in swing:
                ankle = ankle + np.array([0.0, swing[s][1], swing[s][0]])
        put(f"{s}_ankle", ankle)
        put(f"{s}_knee", _knee(hip, ankle))
        put(f"{s}_heel", ankle + np.array([0.0, -0.05, -0.05]))
        put(f"{s}_foot_index", ankle + np.array([0.0, -0.06, 0.15]))
    _head(put, sh_c, up, fwd, left)
    return P


def lying(hip_lift: float = 0.0, thrust: bool = False) -> dict[str, np.ndarray]:
    """Supine, head toward -X, knees bent, feet on the floor (+X). ``thrust`` puts the shoulders on a
    0.42 m bench. hip_lift (m) raises the hips from the floor (0.10 m) by that much."""
    P: dict[str, np.ndarray] = {}
    head_dir, up, left = np.array([-1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, -1.0])

    def at(a, h, lat=0.0):
        return a * head_dir + h * up + lat * left

    put = lambda n, p: P.__setitem__(n, p)  # noqa: E731
    sh_a, sh_h = (0.40, 0.42) if thrust else (0.48, 0.10)
    knee_h = 0.50 if thrust else 0.45
    for s, sg in (("left", 1), ("right", -1)):
        put(f"{s}_hip", at(0.0, 0.10 + hip_lift, sg * 0.10))
        put(f"{s}_shoulder", at(sh_a, sh_h, sg * 0.18))
        put(f"{s}_elbow", at(sh_a - 0.25, 0.05 + (sh_h - 0.10) / 2, sg * 0.24))
        for n in ("wrist", "pinky", "index", "thumb"):
            put(f"{s}_{n}", at(sh_a - 0.50, 0.05, sg * 0.26))
        put(f"{s}_knee", at(-0.38, knee_h, sg * 0.11))
        put(f"{s}_ankle", at(-0.50, 0.08, sg * 0.12))
        put(f"{s}_heel", at(-0.48, 0.03, sg * 0.12))
        put(f"{s}_foot_index", at(-0.66, 0.05, sg * 0.12))
    _head(put, at(sh_a, sh_h), head_dir, up, left)
    return P


def camera_track(frames: list[dict[str, np.ndarray]], azimuth_deg: float, pitch_deg: float = 0.0,
                 noise: float = 0.002, seed: int = 0, width: int = 640, height: int = 480) -> PoseTrack:
    """Orthographic camera on a circle around the body: azimuth 0 = at +Z (in front of a standing person),
    90 = at +X (their left side), 180 = behind; pitch looks down. 200 px per metre. Landmark z and world
    landmarks are camera-aligned (MediaPipe-like: smaller z = nearer; world y down, hip-centred)."""
    th, ph = math.radians(azimuth_deg), math.radians(pitch_deg)
    d = np.array([math.sin(th), 0.0, math.cos(th)])
    f = -d * math.cos(ph) - np.array([0.0, math.sin(ph), 0.0])
    r = np.cross(f, [0.0, 1.0, 0.0])
    r /= np.linalg.norm(r)
    u = np.cross(r, f)
    k = 200.0
    rng = np.random.default_rng(seed)
    T = len(frames)
    lm = np.zeros((T, NUM_LANDMARKS, 4))
    wl = np.zeros((T, NUM_LANDMARKS, 3))
    centre = 0.5 * (frames[0]["left_hip"] + frames[0]["right_hip"])
    face = [i for i, n in enumerate(LANDMARK_NAMES) if i <= 10]
    for i, P in enumerate(frames):
        pts = np.stack([P[n] for n in LANDMARK_NAMES])
        hip = 0.5 * (P["left_hip"] + P["right_hip"])
        rel = pts - hip
        depth = rel @ f
        lm[i, :, 0] = 0.5 + ((pts - centre) @ r) * k / width
        lm[i, :, 1] = 0.5 - ((pts - centre) @ u) * k / height
        lm[i, :, 2] = depth * k / width
        vis = np.clip(0.9 - 1.5 * depth, 0.2, 0.99)
        ears = 0.5 * (depth[7] + depth[8])
        vis[face] = np.clip(0.8 - 4.0 * (depth[face] - ears), 0.2, 0.99)
        lm[i, :, 3] = vis
        wl[i] = np.stack([rel @ r, -(rel @ u), depth], axis=1)
    lm[..., :2] += rng.normal(0, noise, (T, NUM_LANDMARKS, 2))
    return PoseTrack(lm, wl, np.arange(T) / FPS, FPS, width, height)


def cycle(seconds: float = 6.0, period: float = 2.0) -> np.ndarray:
    """0..1 raised cosine, starting at 0, ``period`` seconds per cycle."""
    t = np.arange(int(seconds * FPS)) / FPS
    return 0.5 - 0.5 * np.cos(2 * np.pi * t / period)


def walking_frames(seconds: float = 6.0, stride_s: float = 1.1, swing_frac: float = 0.4) -> list[dict]:
    t = np.arange(int(seconds * FPS)) / FPS
    out = []
    for ti in t:
        sw = {}
        for s, off in (("left", 0.0), ("right", 0.5)):
            p = ((ti / stride_s) + off) % 1.0
            if p < swing_frac:  # swing: foot lifts and travels back -> front
                q = p / swing_frac
                sw[s] = (-0.3 + 0.6 * q, 0.15 * math.sin(math.pi * q) ** 2)
            else:  # stance: foot on the floor moving front -> back under the body
                q = (p - swing_frac) / (1 - swing_frac)
                sw[s] = (0.3 - 0.6 * q, 0.0)
        out.append(standing(swing=sw))
    return out


# ---------------------------------------------------------------------------------------------
# view and posture
# ---------------------------------------------------------------------------------------------
STILL = 45  # frames


@pytest.mark.parametrize(
    "frames, azimuth, pitch, view, posture",
    [
        ([standing()] * STILL, 0, 0, "front", "standing"),
        ([standing()] * STILL, 180, 0, "back", "standing"),
        ([standing()] * STILL, 90, 0, "side", "standing"),
        ([standing()] * STILL, -90, 0, "side", "standing"),
        ([standing()] * STILL, 55, 0, "oblique", "standing"),
        ([standing()] * STILL, 20, 10, "front", "standing"),
        ([lying()] * STILL, 0, 0, "side", "lying"),
        ([lying()] * STILL, 180, 5, "side", "lying"),
        ([lying()] * STILL, 90, 20, "feet", "lying"),
        ([lying(0.3 * c) for c in cycle()], 90, 25, "feet", "lying"),
        ([lying(0.3 * c) for c in cycle()], 90, 45, "feet", "lying"),     # camera high at the feet
        ([lying(0.32 * c, thrust=True) for c in cycle()], 90, 35, "feet", "lying"),
        ([lying(0.32 * c, thrust=True) for c in cycle()], 0, 0, "side", "lying"),
        ([standing(0.35 * c) for c in cycle()], 90, 0, "side", "standing"),
    ],
)
def test_detect_view_table(frames, azimuth, pitch, view, posture):
    g = detect_view(camera_track(frames, azimuth, pitch))
    assert (g.view, g.posture) == (view, posture), g.evidence
    assert 0.5 <= g.confidence <= 1.0


def test_side_view_names_the_near_side():
    assert detect_view(camera_track([standing()] * STILL, 90)).evidence["near_side"] == "left"
    assert detect_view(camera_track([standing()] * STILL, -90)).evidence["near_side"] == "right"


def test_no_person_is_unknown():
    lm = np.full((10, NUM_LANDMARKS, 4), np.nan)
    t = PoseTrack(lm, np.full((10, NUM_LANDMARKS, 3), np.nan), np.arange(10) / FPS, FPS, 640, 480)
    g = detect_view(t)
    assert (g.view, g.posture, g.confidence) == ("unknown", "unknown", 0.0)
    assert detect_exercise(t, g).exercise == "unknown"


# ---------------------------------------------------------------------------------------------
# exercise
# ---------------------------------------------------------------------------------------------
def single_leg(side: str, drop: float) -> list[dict]:
    return [standing(drop * c, lifted=side) for c in cycle()]


@pytest.mark.parametrize(
    "frames, azimuth, pitch, exercise",
    [
        ([lying(0.30 * c) for c in cycle()], 0, 0, "bridge"),
        ([lying(0.30 * c) for c in cycle()], 180, 10, "bridge"),
        ([lying(0.30 * c) for c in cycle()], 90, 20, "bridge"),             # camera at the feet
        ([lying(0.32 * c, thrust=True) for c in cycle()], 0, 0, "hip_thrust"),
        ([lying(0.32 * c, thrust=True) for c in cycle()], 90, 20, "hip_thrust"),
        ([lying(0.32 * c, thrust=True) for c in cycle()], 90, 35, "hip_thrust"),
        ([lying(0.30 * c) for c in cycle()], 90, 45, "bridge"),
        ([standing(0.35 * c) for c in cycle()], 0, 0, "squat"),
        ([standing(0.35 * c) for c in cycle()], 90, 0, "squat"),
        (single_leg("right", 0.25), 0, 0, "single_leg_squat"),
        # side on, a raised far foot and a lifted foot look alike (real side-view squats read a foot off on 27-100%
        # of frames): unsure between the two, see test_side_view_single_leg_squat_is_unsure
        (single_leg("left", 0.0), 0, 0, "single_leg_stance"),
        # the lifted foot read as down at the bottom of each rep (MediaPipe does this): off the floor 37% of the time
        ([standing(0.25 * c, lifted="right" if c < 0.3 else None) for c in cycle()], 0, 0, "single_leg_squat"),
        (walking_frames(), 0, 0, "walk"),
        (walking_frames(), 180, 0, "walk"),
        (walking_frames(), 90, 0, "walk"),
    ],
)
def test_detect_exercise_table(frames, azimuth, pitch, exercise):
    track = camera_track(frames, azimuth, pitch)
    g = detect_exercise(track)
    assert g.exercise == exercise, g.evidence
    assert 0.0 < g.confidence <= 1.0


def test_side_view_single_leg_squat_is_unsure():
    g = detect_exercise(camera_track(single_leg("left", 0.25), 90))
    assert g.exercise == "unknown"
    assert set(g.alternatives) == {"single_leg_squat", "squat"}, g.evidence


def test_lifted_foot_is_named():
    g = detect_exercise(camera_track(single_leg("right", 0.0), 0))
    assert g.evidence["lifted_foot"] == "right"


@pytest.mark.parametrize("frames, azimuth", [([lying()] * STILL, 0), ([standing()] * STILL, 0)])
def test_no_movement_is_unknown(frames, azimuth):
    assert detect_exercise(camera_track(frames, azimuth)).exercise == "unknown"


def test_bridge_needs_a_real_lift_not_noise():
    track = camera_track([lying()] * 90, 0, noise=0.004)
    assert detect_exercise(track).exercise == "unknown"


# ---------------------------------------------------------------------------------------------
# cross-check on the project's synthetic body (formcheck.synth), when it is present
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "motion, view, expected_view, exercise",
    [
        ("bridge", "side", "side", "bridge"),
        ("bridge", "feet", "feet", "bridge"),
        ("single_leg_bridge", "side", "side", "bridge"),
        ("hip_thrust", "side", "side", "hip_thrust"),
        ("hip_thrust", "feet", "feet", "hip_thrust"),
        ("squat", "front", "front", "squat"),
        ("squat", "side", "side", "squat"),
        ("walk", "front", "front", "walk"),
        ("walk", "back", "back", "walk"),
        ("single_leg_stance", "front", "front", "single_leg_stance"),  # changes legs halfway: still a stance
        ("single_leg_stance", "back", "back", "single_leg_stance"),
    ],
)
def test_synthetic_body_clips(motion, view, expected_view, exercise):
    synth = pytest.importorskip("formcheck.synth")
    if not hasattr(synth, "exact_track"):
        pytest.skip("formcheck.synth has no exact_track")
    track = synth.exact_track(motion, view=view, seconds=6, noise=True)
    g = detect_view(track)
    assert g.view == expected_view, g.evidence
    assert detect_exercise(track, g).exercise == exercise


@pytest.mark.parametrize("view", ["front", "side", "back"])
def test_walking_is_told_from_squatting_by_feet_alternation(view):
    from formcheck.synth import exact_track
    from formcheck.views import WALK_MIN_FEET_AMPLITUDE_TORSO, feet_alternation

    walk = exact_track("walk", {}, view=view, seconds=8.0, noise=True)
    amplitude, rhythm = feet_alternation(walk)
    assert amplitude >= WALK_MIN_FEET_AMPLITUDE_TORSO and rhythm > 0.5
    assert detect_exercise(walk).exercise == "walk"
    squat = exact_track("squat", {}, view=view, seconds=8.0, noise=True)
    assert feet_alternation(squat)[0] < WALK_MIN_FEET_AMPLITUDE_TORSO


# ---------------------------------------------------------------------------------------------
# unsure or declined: the report names the candidates and judges nothing
# ---------------------------------------------------------------------------------------------
def test_unsure_exercise_report_names_both_and_judges_nothing():
    import json

    from formcheck.analysis import analyze_track

    report = analyze_track(camera_track(single_leg("left", 0.25), 90)).report
    assert report.exercise == "unknown"
    assert set(report.exercise_alternatives) == {"single_leg_squat", "squat"}
    assert 0.0 < report.exercise_confidence <= 0.5
    assert report.findings == [] and report.judged == []
    assert "Could not tell a " in report.summary
    assert "`--exercise single_leg_squat`" in report.summary and "`--exercise squat`" in report.summary
    data = json.loads(report.to_json())
    assert data["exercise_alternatives"] == report.exercise_alternatives
    assert data["exercise_confidence"] == pytest.approx(report.exercise_confidence, abs=1e-4)


def test_sure_exercise_report_has_a_confidence_and_no_alternatives():
    from formcheck.analysis import analyze_track

    report = analyze_track(camera_track([standing(0.35 * c) for c in cycle()], 0)).report
    assert report.exercise == "squat" and report.exercise_alternatives == []
    assert report.exercise_confidence > 0.5
    user = analyze_track(camera_track([standing(0.35 * c) for c in cycle()], 0), exercise="squat").report
    assert user.exercise_confidence is None and user.exercise_source == "user"


def test_feet_a_leg_length_below_the_hips_is_a_hinge_not_a_bridge():
    """Side view, trunk level at the bottom (as a lying body) but standing on the feet: a deadlift or RDL."""
    from formcheck.analysis import analyze_track

    hinge = []
    for c in cycle():
        body = standing(0.2 * c)  # the hips drop and rise as the trunk tips: a deadlift
        hip = 0.5 * (body["left_hip"] + body["right_hip"])
        bend = math.radians(80 * c)  # trunk pitches forward about the hips, up to level
        for name, p in body.items():
            if p[1] > hip[1] and "hip" not in name:  # above the hips: rotate about the hip axis (X)
                y, z = p[1] - hip[1], p[2] - hip[2]
                body[name] = np.array([p[0], hip[1] + y * math.cos(bend) - z * math.sin(bend),
                                       hip[2] + y * math.sin(bend) + z * math.cos(bend)])
        hinge.append(body)
    track = camera_track(hinge, 90)
    assert first_guess(track).exercise == "bridge"  # level trunk, hips rising: what the first guess sees
    g = detect_exercise(track)
    assert g.exercise == "unknown" and "hip hinge" in g.declined, g.evidence
    report = analyze_track(track).report
    assert report.findings == [] and report.exercise == "unknown"



# ---------------------------------------------------------------------------------------------
# real pose-model tracks (tests/fixtures, see its README): right, unsure or declined, never a wrong exercise judged
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, outcome", [
    ("kaiakol_barbell_squat_rear_correct004", {"squat", "hip_thrust"}),  # from behind it looked lying from the feet
    ("kaiakol_bw_squat_side_incorrect002", {"squat", "single_leg_squat"}),  # side on, the far foot looks raised
    ("jrplatin_barbell_deadlift_side", "declined"),  # a hip hinge, first taken for a bridge
    ("marvindeng_gait_rear_P3_E3T4", "walk"),
    # at half size: a foot read up between two hip dips, but the hips cross the picture (views.hip_travel_torso)
    ("irfan_labwalk_side_p1s1_half", "walk"),
    # at half size: a foot read up, but both stay down wide apart (views.ONE_LEG_MAX_FEET_APART_TORSO)
    ("tuxotiikeri_lateral_lunge_reach_front_hyva3_half", {"single_leg_squat", "squat"}),
    # camera rolled 7 deg: the rear foot, on a bench behind the body, is read on 1% of the frames, all "up"
    # (views.ONE_LEG_MIN_ANKLES_READ_SHARE; now declined first: views.STANDING_MIN_ANKLES_READ_SHARE)
    ("wongfit_bulgarian_split_squat_front_tilt7", "feet unseen"),
    # portrait crop of the same clip: both ankles on 7% of the frames, taken for a walk before
    ("wongfit_bulgarian_split_squat_front_portrait", "feet unseen"),
    # letterboxed into a portrait frame: side on, the far foot drawn higher reads "up" on 68% of the frames, and this
    # bodyweight squat was taken for a single-leg stance; its hips dip (views.STANCE_MAX_HIP_DIPS)
    ("pooja_bw_squat_side_studio_letterbox", {"single_leg_stance", "squat"}),
    # played at twice the speed: single-leg squats on alternate legs take turns at a walker's rhythm and were taken for
    # a walk; the hips rise and fall 0.53 leg lengths (interquartile) within two seconds (views.WALK_MAX_HIP_BOB_LEGS)
    ("slsquat_front_goodandbad_tuxotiikeri_hyva_ja_paha2_fast", {"walk", "single_leg_squat"}),
])
def test_real_tracks_are_right_unsure_or_declined(name, outcome):
    from pathlib import Path

    from formcheck.analysis import analyze_track

    track = PoseTrack.load(Path(__file__).parent / "fixtures" / f"{name}.track.npz")
    report = analyze_track(track).report
    if isinstance(outcome, set):
        assert report.exercise == "unknown" and set(report.exercise_alternatives) == outcome
        assert "Could not tell" in report.summary
    elif outcome == "declined":
        assert report.exercise == "unknown" and report.exercise_alternatives == []
        assert "not one of the exercises formcheck judges" in report.summary
    elif outcome == "feet unseen":
        assert report.exercise == "unknown" and report.exercise_alternatives == []
        assert report.summary.startswith("Nothing was judged: both feet were seen on only"), report.summary
    else:
        assert report.exercise == outcome
    assert not [f for f in report.findings if f.severity in ("warning", "fault")], report.findings


# ---------------------------------------------------------------------------------------------
# the camera's view changing within one shot (no scene cut)
# ---------------------------------------------------------------------------------------------
def splice(*tracks: PoseTrack) -> PoseTrack:
    """Tracks one after another as one shot: time runs on, nothing marks the joins."""
    times, offset = [], 0.0
    for tr in tracks:
        times.append(tr.timestamps_s - tr.timestamps_s[0] + offset)
        offset = times[-1][-1] + 1.0 / tr.fps
    first = tracks[0]
    return PoseTrack(np.concatenate([tr.landmarks for tr in tracks]),
                     np.concatenate([tr.world_landmarks for tr in tracks]), np.concatenate(times), first.fps,
                     first.frame_width, first.frame_height)


def turned(body: dict[str, np.ndarray], deg: float, upper_deg: float = 0.0) -> dict[str, np.ndarray]:
    """A standing body turned ``deg`` about the vertical through its hips, the shoulders, arms and head ``upper_deg``
    more (a twisted trunk)."""
    hip = 0.5 * (body["left_hip"] + body["right_hip"])
    out = {}
    for name, p in body.items():
        upper = not any(part in name for part in ("hip", "knee", "ankle", "heel", "foot"))
        a = math.radians(deg + (upper_deg if upper else 0.0))
        x, z = p[0] - hip[0], p[2] - hip[2]
        out[name] = np.array([hip[0] + x * math.cos(a) + z * math.sin(a), p[1],
                              hip[2] - x * math.sin(a) + z * math.cos(a)])
    return out


@pytest.mark.parametrize("azimuth, expected", [(90, 0), (-90, 0), (0, 90), (180, 90), (45, 45), (60, 30), (20, 70)])
def test_view_angle_is_the_camera_turn_from_the_side(azimuth, expected):
    """camera_track's azimuth 90 films the left side: the view angle is 90 - |azimuth| folded into [0, 90]."""
    from formcheck.views import view_angle

    angle = view_angle(camera_track([standing()] * STILL, azimuth, pitch_deg=15))
    assert np.allclose(angle, expected, atol=0.5)


def test_a_camera_moved_from_the_feet_to_the_side_without_a_cut_gives_three_views():
    """A bridge filmed from the feet, then 45 deg off the side, then from the side, 4 s each: two changes, each within
    half a second of the join, and the whole-track view detector names each part as its camera."""
    from formcheck.views import view_changes

    bridge = [lying(0.3 * c) for c in cycle(4.0)]
    track = splice(camera_track(bridge, 90, 20), camera_track(bridge, 45, 10, seed=1),
                   camera_track(bridge, 0, 0, seed=2))
    changes = view_changes(track)
    assert changes == [pytest.approx(4.0, abs=0.5), pytest.approx(8.0, abs=0.5)]
    t = track.timestamps_s
    parts = [track[t < changes[0]], track[(t >= changes[0]) & (t < changes[1])], track[t >= changes[1]]]
    assert [detect_view(p).view for p in parts] == ["feet", "oblique", "side"]


@pytest.mark.parametrize("case", ["brief turn", "small turn", "twisted trunk", "named alike", "one view"])
def test_view_changes_that_are_not_a_new_view(case):
    """Each gate once: a turn held 0.8 s (VIEW_MIN_HOLD_S), a turn from 10 to 32 deg off the side across the band edge
    (VIEW_MIN_CHANGE_DEG), a trunk twisted 40 deg on hips turned 30 (VIEW_MAX_TWIST_DEG), a turn from 46 to 75 deg
    that detect_view calls 'front' either way: no change, as for one view."""
    from formcheck.views import view_changes

    side = camera_track([standing()] * 90, 90)
    if case == "brief turn":
        track = splice(side, camera_track([standing()] * 24, 45), side)
    elif case == "small turn":
        track = splice(camera_track([standing()] * 90, 80), camera_track([standing()] * 90, 58))
    elif case == "twisted trunk":
        track = splice(side, camera_track([turned(standing(), 30, 40)] * 90, 90))
        # the same turn without the twist (hips and shoulders 50 deg) is a new view
        untwisted = splice(side, camera_track([turned(standing(), 50)] * 90, 90))
        assert view_changes(untwisted) == [pytest.approx(3.0, abs=0.5)]
    elif case == "named alike":
        track = splice(camera_track([standing()] * 90, 44), camera_track([standing()] * 90, 15))
        assert [detect_view(track[:90]).view, detect_view(track[90:]).view] == ["front", "front"]
    else:
        track = splice(side, side)
    assert view_changes(track) == []


@pytest.mark.parametrize("motion, view", [
    ("walk", "front"), ("walk", "back"), ("walk", "side"), ("squat", "front"), ("squat", "side"), ("bridge", "side"),
    ("bridge", "feet"), ("bridge", "oblique"), ("hip_thrust", "side"), ("hip_thrust", "feet"),
    ("single_leg_stance", "front"),
])
def test_one_view_clips_are_not_split(motion, view):
    from formcheck.synth import exact_track
    from formcheck.views import view_changes

    assert view_changes(exact_track(motion, view=view, seconds=8, noise=True)) == []


def test_real_three_angle_hip_thrust_changes_view_where_the_camera_moved():
    """The bench hip thrust filmed from the feet (0-2 s), obliquely (2-5 s) and from the near side (5-9.6 s) in one
    room, without a cut (tests/fixtures): two changes, within a second of those times."""
    from pathlib import Path

    from formcheck.views import view_changes

    fixtures = Path(__file__).parent / "fixtures"
    track = PoseTrack.load(fixtures / "queenworkout_hip_thrust_band_bench_multiangle.track.npz")
    assert view_changes(track) == [pytest.approx(2.0, abs=1.0), pytest.approx(5.0, abs=1.0)]


@pytest.mark.parametrize("motion", ["bridge", "hip_thrust"])
@pytest.mark.parametrize("azimuth", [30, 45, 60, -30, -60])
def test_oblique_camera_gives_no_hip_line_fault(motion, azimuth):
    """A correct bridge or hip thrust filmed 30-60 deg off the side (+ toward the feet, - toward the head), exact
    projection with detector noise: hip_lockout and lumbar_arch are declined or silent, never a fault."""
    from formcheck.analysis import analyze_track

    report = analyze_track(oblique_track(motion, azimuth)).report
    assert not [f for f in report.findings if f.rule in ("hip_lockout", "lumbar_arch") and f.severity == "fault"]


@pytest.mark.parametrize("motion, azimuth", [("bridge", 30), ("bridge", 45), ("hip_thrust", 30), ("hip_thrust", 45)])
def test_oblique_from_the_feet_end_is_oblique_and_keeps_its_exercise(motion, azimuth):
    """Seen 30-45 deg off the side from the feet end, a lying body is 'oblique' (not 'feet': view_angle under
    VIEW_FRONTAL_MIN_DEG), and its feet sitting low in the picture (nearer the camera) do not make it a standing hip
    hinge."""
    from formcheck.analysis import analyze_track

    report = analyze_track(oblique_track(motion, azimuth)).report
    assert (report.view, report.exercise) == ("oblique", motion)


def swung_camera(side, facing_deg: float, azimuth_deg: float, height_m: float | None = None):
    """The preset side camera `side` swung `azimuth_deg` about the body's centre toward the feet (+) or the head (-),
    at its distance, and at its height unless `height_m` is given (formcheck.synth.camera.Camera)."""
    from formcheck.synth.camera import Camera

    centre, position = np.asarray(side.target, float), np.asarray(side.position, float)
    radial = position[:2] - centre[:2]
    distance = float(np.linalg.norm(radial))
    yaw = math.radians(facing_deg)
    direction = (math.cos(math.radians(azimuth_deg)) * radial / distance
                 + math.sin(math.radians(azimuth_deg)) * np.array([math.cos(yaw), math.sin(yaw)]))
    return Camera((centre[0] + distance * direction[0], centre[1] + distance * direction[1],
                   position[2] if height_m is None else height_m),
                  tuple(centre), side.width, side.height, side.vfov_deg, f"{azimuth_deg:+g} deg off the side")


def oblique_track(motion: str, azimuth_deg: float, faults: dict | None = None, seconds: float = 8.0) -> PoseTrack:
    """A synthetic motion (formcheck.synth) filmed by the preset side camera swung ``azimuth_deg`` about the body's
    centre toward the feet (+) or the head (-), at the side camera's distance and height; detector noise added."""
    from formcheck.synth.clip import _track, add_noise, build

    m, body, side = build(motion, faults or {}, "side", seconds)
    camera = swung_camera(side, m.facing_deg, azimuth_deg)
    return add_noise(_track(body, camera, m.t, 30.0, f"synth:{motion}:{camera.name}", {"synthetic": True}), seed=0)


def test_a_walk_with_one_foot_held_up_is_a_walk(monkeypatch):
    """A walk seen from the side with the right foot carried 12 cm higher throughout (one foot off the floor on every
    frame, never switching, as in an acted circumduction gait): the feet still alternate at the stride rhythm, so it
    is a walk, not a one-leg exercise (ONE_LEG_MAX_STRIDE_BAND_SHARE decides: without it, a one-leg guess)."""
    from formcheck import views

    hiked = [{name: p + np.array([0.0, 0.12, 0.0]) if name.startswith("right_") and
              any(j in name for j in ("ankle", "heel", "foot")) else p for name, p in body.items()}
             for body in walking_frames(seconds=8.0)]
    track = camera_track(hiked, 90)
    guess = first_guess(track)
    assert guess.exercise == "walk" and guess.evidence["foot_off_share"] >= 0.4, guess.evidence
    monkeypatch.setattr(views, "ONE_LEG_MAX_STRIDE_BAND_SHARE", 1.01)
    assert first_guess(track).exercise in ("single_leg_stance", "single_leg_squat")


@pytest.mark.parametrize("azimuth", [0, 60, -60])
def test_a_person_on_one_side_is_not_a_bridge(azimuth):
    """A rendered bridge with the body's right-side points lifted half a torso length in the picture, shoulders and hips
    stacked one above the other as when lying on one side (a clamshell, a side-lying leg raise): declined. The same
    bridge on its back, filmed from the side or 60 deg off it, is still a bridge (views.SIDE_LYING_MIN_STACK_TORSO)."""
    from formcheck.kinematics import torso_length_px
    from formcheck.views import SIDE_LYING_MIN_STACK_TORSO, side_lying_stack

    supine = oblique_track("bridge", azimuth)
    assert side_lying_stack(supine) < SIDE_LYING_MIN_STACK_TORSO
    assert detect_exercise(supine).exercise == "bridge"
    landmarks = supine.landmarks.copy()
    lift = 0.5 * torso_length_px(supine) / supine.frame_height
    for i, name in enumerate(LANDMARK_NAMES):
        if name.startswith("right_"):
            landmarks[:, i, 1] -= lift
    on_side = dataclasses.replace(supine, landmarks=landmarks)
    assert side_lying_stack(on_side) > SIDE_LYING_MIN_STACK_TORSO
    guess = detect_exercise(on_side)
    assert guess.exercise == "unknown" and "lies on one side" in guess.declined, guess.evidence


@pytest.mark.parametrize("fault, size, rule", [("back_butt", 30.0, "lumbar_arch"),
                                               ("incomplete_lockout", 25.0, "hip_lockout")])
def test_an_oblique_view_declines_the_hip_line_rules(fault, size, rule):
    """The hip-line rules judge only a side view: the same faulty bridge that faults when its view is 'side' is not
    judged, with a reason naming the oblique view and 'side' as the better view, when its view is 'oblique'. A view
    cue that tells an oblique camera from the side (detect_view) relies on this gate to decline."""
    from formcheck.analysis import analyze_track
    from formcheck.clean import clean
    from formcheck.synth import exact_track

    track = clean(exact_track("bridge", {fault: size}, view="side", seconds=8.0, noise=True, seed=0))
    side = analyze_track(track).report
    assert side.view == "side" and rule in {f.rule for f in side.findings if f.severity == "fault"}
    oblique = analyze_track(track, view="oblique").report
    assert rule not in {f.rule for f in oblique.findings}
    declined = {n.rule: n for n in oblique.not_judged}
    assert rule in declined and declined[rule].better_view == "side", declined
    assert "oblique" in declined[rule].reason, declined[rule].reason


@pytest.mark.slow
@pytest.mark.parametrize("azimuth, height_m", [(20.0, 1.2), (30.0, 0.6)])
def test_a_rendered_bridge_a_little_off_the_side_reads_under_the_hip_line_fault(tmp_path, azimuth, height_m):
    """A correct rendered bridge filmed 20-30 deg off the side toward the feet (the camera raised to 1.2 m, or at the
    preset 0.6 m), read by the pose model: the shoulder-hip-knee line at the tops stays under lumbar_arch's fault
    threshold (measured: at most 8.7 and 2.8 deg past straight; square to the side 6.7). A moderate oblique camera
    alone does not make a correct bridge read far past straight (a real one reading 18-21 deg is not explained by it).
    """
    from formcheck import kinematics
    from formcheck.pipeline import analyze
    from formcheck.rules.thresholds import Thresholds
    from formcheck.synth.clip import build
    from formcheck.synth.render import BENCH, Box, Renderer, body_ellipsoids
    from formcheck.video import write_h264

    m, body, side = build("bridge", {}, "side", 8.0)
    renderer = Renderer(swung_camera(side, m.facing_deg, azimuth, height_m))
    boxes = [Box(np.array(p["lo"], float), np.array(p["hi"], float), BENCH) for p in m.props]
    video = tmp_path / "bridge.mp4"
    write_h264(video, (renderer.render(body_ellipsoids(body, i), boxes) for i in range(len(m.t))), 30.0, crf=23)
    analysis = analyze(video, contour=False)
    assert analysis.report.exercise == "bridge" and len(analysis.report.reps) >= 2
    series = kinematics.compute(analysis.track)
    rise = series["hip_rise"]
    tops = rise > np.nanpercentile(rise, 85)
    past_straight = float(np.nanmax(series["trunk_thigh_signed_near"][tops])) - 180.0
    assert past_straight < Thresholds.load()["lumbar_arch", "past_straight_fault_deg"], past_straight


def test_a_standing_guess_needs_both_feet_seen():
    """views.STANDING_MIN_ANKLES_READ_SHARE: the rendered good walk stays a walk with its feet hidden on 60% of the
    frames and is declined, saying why, with them hidden on 80% (the feet out of the picture)."""
    from pathlib import Path

    from formcheck.analysis import analyze_track
    from formcheck.track import LANDMARK_INDEX
    from formcheck.views import ankles_read_share

    track = PoseTrack.load(Path(__file__).parent / "fixtures" / "walk_front_good.track.npz")

    def feet_hidden(share: float) -> PoseTrack:
        landmarks = track.landmarks.copy()
        rows = (np.arange(len(track)) % 20) < round(20 * share)
        for part in ("ankle", "heel", "foot_index"):
            for side in ("left", "right"):
                landmarks[rows, LANDMARK_INDEX[f"{side}_{part}"], :] = np.nan
        return PoseTrack(landmarks, track.world_landmarks, track.timestamps_s, track.fps, track.frame_width,
                         track.frame_height)

    assert ankles_read_share(feet_hidden(0.6)) == pytest.approx(0.4)
    assert detect_exercise(feet_hidden(0.6)).exercise == "walk"
    guess = detect_exercise(feet_hidden(0.8))
    assert guess.exercise == "unknown" and guess.declined_for_recording and guess.alternatives == ()
    report = analyze_track(feet_hidden(0.8)).report
    assert report.summary == ("Nothing was judged: both feet were seen on only 20% of the frames with a person (out "
                              "of the picture or hidden); a standing exercise is told by its feet, so film the whole "
                              "body, head to feet.")
    assert report.findings == []

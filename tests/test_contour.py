"""The back's outline from a person mask (formcheck.contour) and the lumbar measures.

Fast tests draw bent bands with numpy (a known bend between the upper part and the pelvis part) and recover the
angle; slow ones run MediaPipe's masks on a rendered synthetic hip thrust.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree

from formcheck.contour import (
    DORSAL_POINT_NAMES,
    OUTLINE_NOT_FOUND,
    contour_points,
    dorsal_sign,
    lumbar_angle_deg,
    lumbar_apex_depth,
    lumbar_change,
    trace_dorsal_contour,
)
from formcheck.synth import exact_track
from formcheck.track import PoseTrack


def bent_band(theta_deg: float, *, H=360, W=640, torso=220.0, thick=40.0, rot_deg=0.0, back_down=True):
    """Mask of a band from the hip (right) to the shoulder (left), the upper part turned by theta towards the back
    (+ = extension) over the lumbar part of the trunk (u 0.45..0.78). Returns mask, shoulder, hip, back direction."""
    th = np.radians(theta_deg)
    facing = 1.0 if back_down else -1.0
    s = np.linspace(0, torso, 400)
    frac = np.clip((s - 0.22 * torso) / (0.33 * torso), 0, 1)
    ang = np.pi - facing * th * frac
    d = np.stack([np.cos(ang), np.sin(ang)], -1)
    pts = np.concatenate([[[0.0, 0.0]], np.cumsum(d[:-1] * (s[1] - s[0]), 0)])
    r = np.radians(rot_deg)
    R = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
    pts = pts @ R.T + np.array([W * 0.7, H * 0.5])
    yy, xx = np.mgrid[0:H, 0:W]
    dist, _ = cKDTree(pts).query(np.stack([xx.ravel(), yy.ravel()], -1))
    mask = ndimage.gaussian_filter((dist.reshape(H, W) <= thick).astype(np.float32), 1.0)
    back = R @ np.array([0.0, facing])
    return mask, pts[-1], pts[0], back


def _sign(shoulder, hip, back) -> int:
    t = shoulder - hip
    return 1 if np.array([-t[1], t[0]]) @ back > 0 else -1


@pytest.mark.parametrize("theta", [-10.0, 0.0, 5.0, 10.0, 20.0, 30.0])
@pytest.mark.parametrize("rot", [0.0, 30.0, -20.0])
def test_bent_band_angle_recovered(theta, rot):
    mask, sh, hip, back = bent_band(theta, rot_deg=rot)
    c = trace_dorsal_contour(mask, sh, hip, back)
    assert c.reason == "" and c.confidence > 0.8
    angle = lumbar_angle_deg(c.points[None], _sign(sh, hip, back))[0]
    # the tangent windows see a little of the bend: within 12% + 1.5 deg
    assert abs(angle - theta) <= 0.12 * abs(theta) + 1.5


def test_sign_follows_the_back_not_the_image():
    """Mirroring which side the back is on (and the bend with it) gives the same signed angle."""
    for back_down in (True, False):
        mask, sh, hip, back = bent_band(15.0, back_down=back_down)
        c = trace_dorsal_contour(mask, sh, hip, back)
        assert lumbar_angle_deg(c.points[None], _sign(sh, hip, back))[0] == pytest.approx(15.0, abs=3.0)


def test_apex_depth_positive_when_arched():
    flat = bent_band(0.0)
    arched = bent_band(25.0)
    depths = []
    for mask, sh, hip, back in (flat, arched):
        c = trace_dorsal_contour(mask, sh, hip, back)
        depths.append(lumbar_apex_depth(c.points[None], np.hypot(*(sh - hip)), _sign(sh, hip, back))[0])
    assert abs(depths[0]) < 0.01
    assert depths[1] > 0.02


def test_hidden_outline_is_nan():
    mask, sh, hip, back = bent_band(10.0)
    mask[:, :] = 0.0
    c = trace_dorsal_contour(mask, sh, hip, back)
    assert c.reason and np.isnan(c.points[:, :2]).all()
    # the outline cut off by the frame edge is hidden too
    mask, sh, hip, back = bent_band(10.0)
    shift = int(sh[1]) + 10
    cut = mask.copy()
    cut[shift:, :] = 1.0  # the body merges with something filling the rest of the frame below it
    c = trace_dorsal_contour(cut, sh, hip, back)
    assert c.reason


def test_arm_along_the_back_does_not_pass_for_the_back():
    """A second body part merged along the thoracic back (an arm lying on the floor) makes that part hidden."""
    mask, sh, hip, back = bent_band(10.0)
    yy, xx = np.mgrid[0: mask.shape[0], 0: mask.shape[1]]
    arm = (np.abs(yy - (sh[1] + 70)) < 14) & (xx > sh[0] - 10) & (xx < sh[0] + 120)
    bridge = (np.abs(xx - (sh[0] + 60)) < 60) & (yy > sh[1]) & (yy < sh[1] + 70)
    merged = np.maximum(mask, (arm | bridge).astype(np.float32))
    c = trace_dorsal_contour(merged, sh, hip, back)
    assert c.reason  # not silently measured on the arm


def _with_hand_blob(mask, hip, along_px, depth_px, radius_px):
    """The band's mask plus a round hand blob whose landmark is `depth_px` below the hip (the back is down) and
    `along_px` towards the shoulder (left); returns the new mask and the hand landmark (px)."""
    hand = np.array([hip[0] - along_px, hip[1] + depth_px])
    yy, xx = np.mgrid[0: mask.shape[0], 0: mask.shape[1]]
    blob = ((xx - hand[0]) ** 2 + (yy - hand[1]) ** 2 <= radius_px ** 2).astype(np.float32)
    return np.maximum(mask, ndimage.gaussian_filter(blob, 1.0)), hand


def test_hand_on_the_floor_below_a_lifted_back_hides_nothing():
    """A hand lying apart from the lifted back (background between them), 0.08 torso lengths beyond the pelvis
    outline: the pelvis window is still traced with the occluder rule on (the old rule hid every sample within 0.10
    torso lengths of a hand, so the pelvis window was lost)."""
    mask, sh, hip, back = bent_band(10.0)
    torso = float(np.hypot(*(sh - hip)))
    # the back's outline is 40 px below the axis at the hip; the hand's landmark 0.08 torso lengths further down
    floor_mask, hand = _with_hand_blob(mask, hip, 0.05 * torso, 40.0 + 0.08 * torso, 8.0)
    c = trace_dorsal_contour(floor_mask, sh, hip, back, occluders_px=hand[None])
    assert c.reason == "" and np.isfinite(c.points).all()
    plain = trace_dorsal_contour(mask, sh, hip, back)
    angle = lumbar_angle_deg(np.stack([c.points, plain.points]), _sign(sh, hip, back))
    assert angle[0] == pytest.approx(angle[1], abs=0.5)


def test_hand_merged_with_the_pelvis_outline_hides_it():
    """The same hand, big enough that its mask merges with the back's edge: the pelvis outline there is the hand's,
    so with the occluder rule on nothing is measured there (the pelvis run is hidden, the frame is not traced)."""
    mask, sh, hip, back = bent_band(10.0)
    torso = float(np.hypot(*(sh - hip)))
    merged, hand = _with_hand_blob(mask, hip, 0.05 * torso, 40.0 + 0.08 * torso, 30.0)
    c = trace_dorsal_contour(merged, sh, hip, back, occluders_px=hand[None])
    assert c.reason and np.isnan(c.points[:, :2]).all()


def test_lumbar_change():
    values = np.array([2.0, 1.0, np.nan, 20.0, 25.0, 3.0])
    assert lumbar_change(values, np.array([0, 1, 5]), np.array([2, 3, 4])) == pytest.approx(25.0 - 2.0)
    assert np.isnan(lumbar_change(values, np.array([2]), np.array([3])))


def test_dorsal_sign_synthetic_bridge_and_mirror():
    tr = exact_track("bridge", view="side", seconds=3.0)
    s = dorsal_sign(tr)
    assert s in (-1, 1)
    mirrored = tr.with_arrays(landmarks=np.array(tr.landmarks) * np.array([-1, 1, 1, 1]) + np.array([1, 0, 0, 0]))
    assert dorsal_sign(mirrored) == -s


def straight_band(tr: PoseTrack, i: int) -> np.ndarray:
    """A mask of frame i: a straight band along the track's own shoulder -> hip, thick enough to hold both."""
    sh = 0.5 * (tr.xy_px("left_shoulder")[i] + tr.xy_px("right_shoulder")[i])
    hp = 0.5 * (tr.xy_px("left_hip")[i] + tr.xy_px("right_hip")[i])
    yy, xx = np.mgrid[0:tr.frame_height, 0:tr.frame_width]
    rel = np.stack([xx, yy], -1).astype(float) - sh
    L = np.linalg.norm(hp - sh)
    a = (hp - sh) / L
    along, across = rel @ a, rel @ np.array([-a[1], a[0]])
    band = (along > -0.2 * L) & (along < 1.25 * L) & (np.abs(across) < 0.2 * L)
    return ndimage.gaussian_filter(band.astype(np.float32), 1.0)


def test_contour_points_on_a_track_and_save_load(tmp_path):
    """Masks drawn from the synthetic track's own shoulder and hip: points land in the track, NaN elsewhere."""
    tr = exact_track("bridge", view="side", seconds=2.0)
    W, H = tr.frame_width, tr.frame_height
    i = 10
    s = dorsal_sign(tr)
    points, reasons = contour_points(tr, {i: straight_band(tr, i)}, sign=s)
    assert points.shape == (len(tr), len(DORSAL_POINT_NAMES), 3)
    assert np.isfinite(points[i]).all() and reasons == {}
    assert np.isnan(points[np.arange(len(tr)) != i]).all()
    angle = lumbar_angle_deg(points, s, W, H)
    assert abs(angle[i]) < 2.0
    t2 = tr.with_dorsal_contour(points, dorsal_contour={"dorsal_sign": s, "status": "traced"})
    path = t2.save(tmp_path / "t.npz")
    back = PoseTrack.load(path)
    np.testing.assert_allclose(back.dorsal_contour, points.astype(np.float32), equal_nan=True)
    assert back[5:15].dorsal_contour.shape == (10, len(DORSAL_POINT_NAMES), 3)
    assert PoseTrack.load(tr.save(tmp_path / "plain.npz")).dorsal_contour is None


def test_dorsal_contour_shape_checked():
    tr = exact_track("bridge", view="side", seconds=1.0)
    with pytest.raises(ValueError, match="dorsal_contour"):
        tr.with_dorsal_contour(np.zeros((len(tr), 3, 3)))


def test_plan_mask_frames_budget():
    from formcheck.contour_pass import plan_mask_frames
    from formcheck.results import Report, RepSpan

    tr = exact_track("bridge", view="side", seconds=10.0)
    reps = [RepSpan(1.0, 2.0, 3.0), RepSpan(3.5, 4.5, 5.5), RepSpan(6.0, 7.0, 8.0)]
    report = Report(exercise="bridge", exercise_source="user", view="side", view_source="user", posture="lying",
                    source="", duration_s=10.0, fps=30.0, frames=len(tr), detection_rate=1.0, reps=reps)
    frames = plan_mask_frames(tr, report, max_share=0.04)
    assert len(frames) <= max(6, int(np.ceil(0.04 * len(tr))))
    peaks = {int(round(r.peak_s * 30)) for r in reps}
    assert peaks <= set(frames)


def _fake_outline(tr: PoseTrack, arch_deg: float) -> PoseTrack:
    """The track with outline points every 3rd frame whose thoracic tangent turns `arch_deg` towards the back at the
    tops (rise^2 of it on the way up): a lumbar angle of arch_deg at each top, whatever the landmarks' hip line."""
    s = dorsal_sign(tr)
    W, H = tr.frame_width, tr.frame_height
    sh = 0.5 * (tr.xy_px("left_shoulder") + tr.xy_px("right_shoulder"))
    hp = 0.5 * (tr.xy_px("left_hip") + tr.xy_px("right_hip"))
    rise = (hp[:, 1].max() - hp[:, 1]) / (hp[:, 1].max() - hp[:, 1].min())
    pts = np.full((len(tr), 5, 3), np.nan)
    for i in range(0, len(tr), 3):
        t = (sh[i] - hp[i]) / np.linalg.norm(sh[i] - hp[i])
        n = s * np.array([-t[1], t[0]])
        L = np.linalg.norm(sh[i] - hp[i])
        base = hp[i] + 0.2 * L * n
        th = np.radians(arch_deg * rise[i] ** 2)
        t_up = np.cos(th) * t + np.sin(th) * n
        lower = base + 0.6 * L * t
        rows = [lower + 0.3 * L * t_up, lower, base + 0.4 * L * t, base + 0.18 * L * t, base]
        pts[i, :, :2] = np.array(rows) / np.array([W, H])
        pts[i, :, 2] = 0.9
    return tr.with_dorsal_contour(pts, dorsal_contour={"dorsal_sign": s, "status": "traced"})


def test_rule_uses_contour_when_present_and_says_so():
    """lumbar_arch: with outline points the finding's evidence is the outline; without, the landmark geometry."""
    from formcheck.analysis import analyze_track

    tr = exact_track("bridge", {"back_butt": 25.0}, view="side", seconds=8.0)
    plain = analyze_track(tr, exercise="bridge", view="side").report
    assert plain.metrics["lumbar_arch_contour_reps"] == 0
    assert all("outline not used" in f.evidence for f in plain.findings if f.rule == "lumbar_arch")
    report = analyze_track(_fake_outline(tr, 20.0), exercise="bridge", view="side").report
    assert report.metrics["lumbar_arch_contour_reps"] >= 1
    arch = [f for f in report.findings if f.rule == "lumbar_arch"]
    assert arch and all("outline" in f.evidence and "not used" not in f.evidence for f in arch)
    assert max(f.value for f in arch) == pytest.approx(20.0, abs=3.0)
    # the outline's angle at each traced top is in the metrics, one per rep
    per_rep = {k: v for k, v in report.metrics.items() if k.startswith("lumbar_arch_rep")}
    assert len(per_rep) == report.metrics["lumbar_arch_contour_reps"]
    assert all(v == pytest.approx(20.0, abs=3.0) for v in per_rep.values())


def test_outline_arch_with_hips_below_the_line_is_no_fault():
    """An outline reading 20 deg at the top of reps whose hips stop 20 deg short of the shoulder-knee line (a body
    whose buttock curve slopes the outline, not a lower back lifting the hips): no lumbar_arch finding, the reps
    are counted as outline-judged and below the hip line, and the angle is still reported per rep."""
    from formcheck.analysis import analyze_track

    tr = exact_track("bridge", {"incomplete_lockout": 20.0}, view="side", seconds=8.0)
    report = analyze_track(_fake_outline(tr, 20.0), exercise="bridge", view="side").report
    assert report.metrics["lumbar_arch_max_past_straight_deg"] < 0
    assert report.metrics["lumbar_arch_contour_reps"] >= 1
    assert report.metrics["lumbar_arch_outline_below_hip_line_reps"] == report.metrics["lumbar_arch_contour_reps"]
    assert not [f for f in report.findings if f.rule == "lumbar_arch"]
    assert report.metrics["lumbar_arch_max_top_lumbar_angle_deg"] == pytest.approx(20.0, abs=3.0)


def test_front_view_says_contour_not_used():
    from formcheck.analysis import analyze_track

    tr = exact_track("bridge", view="feet", seconds=6.0)
    report = analyze_track(tr, exercise="bridge", view="front").report
    nj = [n for n in report.not_judged if n.rule == "lumbar_arch"]
    assert nj and "outline" in nj[0].reason


@pytest.mark.slow
def test_mediapipe_masks_on_rendered_hip_thrust(tmp_path):
    """Rendered synthetic hip thrust with 25 deg of lumbar extension: the outline is traced at the tops and the
    lumbar angle there reads within 6 deg of the commanded extension (the straight mannequin back reads ~0)."""
    import json

    import formcheck
    from formcheck.contour import track_lumbar_angle
    from formcheck.contour_pass import add_dorsal_contour
    from formcheck.frame_cache import FrameCache
    from formcheck.pose import PoseEstimator
    from formcheck.synth import generate

    video, truth_path = generate("hip_thrust", {"back_butt": 25.0}, "side", 5.0, 0, tmp_path / "ht.mp4")
    truth = json.loads(truth_path.read_text())["per_frame"]
    with PoseEstimator() as estimator:
        analysis = formcheck.analyze(video, exercise="hip_thrust", view="side", estimator=estimator,
                                     frame_cache=FrameCache(capacity=1000), keep_frame=lambda i: i % 3 == 0)
        track, report = analysis.track, analysis.report
        traced = add_dorsal_contour(track.with_dorsal_contour(None), report, frames=analysis.frames,
                                    masks=estimator.person_mask, only=list(range(0, len(track), 3)))
    angle = track_lumbar_angle(traced)
    lift = np.array(truth["lift_fraction"])
    ext = np.array(truth["lumbar_extension"])
    top = np.isfinite(angle) & (lift > 0.95)
    assert top.sum() >= 2
    assert np.median(angle[top]) == pytest.approx(np.median(ext[top]), abs=6.0)
    assert report.metrics["lumbar_arch_contour_reps"] >= 1


def test_arm_on_the_floor_hides_the_upper_back_and_says_from_where():
    """A band whose upper half (shoulder to u 0.45) is merged with a wide block on the back's side, as an arm lying on
    the floor under a bridge's upper back merges with it in the mask: the outline is not traced (no upper-back
    tangent), and visible_from_u says the back showed only from about u 0.45 to the hip."""
    mask, sh, hip, back = bent_band(0.0)
    axis = hip - sh
    L = np.hypot(*axis)
    yy, xx = np.mgrid[0:mask.shape[0], 0:mask.shape[1]]
    rel = np.stack([xx - sh[0], yy - sh[1]], -1)
    along = rel @ (axis / L)
    across = rel @ (back / np.hypot(*back))
    arm = (along > -0.1 * L) & (along < 0.45 * L) & (across > 0) & (across < 0.9 * L)
    merged = np.maximum(mask, arm.astype(np.float32))
    c = trace_dorsal_contour(merged, sh, hip, back)
    assert "thoracic" in c.reason
    assert c.visible_from_u == pytest.approx(0.45, abs=0.06)
    clear = trace_dorsal_contour(mask, sh, hip, back)
    assert clear.reason == "" and clear.visible_from_u < 0.0


def _untraced_outline(tr: PoseTrack, visible_from: dict[int, float]) -> PoseTrack:
    """The track as contour_pass leaves it when masks were made but no frame was traced: NaN points and, per masked
    frame, where the back's outline began (u)."""
    pts = np.full((len(tr), len(DORSAL_POINT_NAMES), 3), np.nan)
    info = {"status": OUTLINE_NOT_FOUND, "dorsal_sign": dorsal_sign(tr),
            "untraced_visible_from_u_at_s": {f"{tr.timestamps_s[i]:.3f}": u for i, u in visible_from.items()}}
    return tr.with_dorsal_contour(pts, dorsal_contour=info)


def test_untraced_top_says_how_much_of_the_back_showed():
    """A floor bridge whose masks at each rep's top showed the back only from 60% of the way down (arm on the floor):
    lumbar_arch falls back to the landmarks, reports per rep where the outline began, and the geometry finding's
    evidence says so with the number. A mask far from any top says nothing about the tops."""
    from formcheck.analysis import analyze_track

    tr = exact_track("bridge", {"back_butt": 30.0}, view="side", seconds=8.0)
    plain = analyze_track(tr, exercise="bridge", view="side").report
    t = tr.timestamps_s
    peaks = [int(np.argmin(np.abs(t - rep.peak_s))) for rep in plain.reps]
    assert len(peaks) >= 2
    seen = {peaks[0]: 0.6, peaks[0] + 2: 0.62, peaks[1]: 0.9}
    report = analyze_track(_untraced_outline(tr, seen), exercise="bridge", view="side").report
    assert report.metrics["lumbar_arch_contour_reps"] == 0
    assert report.metrics["lumbar_arch_rep1_outline_visible_from_u"] == pytest.approx(0.61)
    assert report.metrics["lumbar_arch_rep2_outline_visible_from_u"] == pytest.approx(0.9)
    arch = [f for f in report.findings if f.rule == "lumbar_arch"]
    assert arch, "30 deg of commanded arch faults on the landmark geometry"
    assert any("showed only from 61% of the way from the shoulder to the hip" in f.evidence for f in arch)
    assert all("arm lying on the floor" in f.evidence for f in arch)
    # a slice of the track (a shot of a longer clip, or a saved track re-read shot by shot) reads its own tops' notes
    later = _untraced_outline(tr, seen)[peaks[0] + 10:]
    sliced = analyze_track(later, exercise="bridge", view="side").report
    assert sliced.metrics["lumbar_arch_rep1_outline_visible_from_u"] == pytest.approx(0.9)
    # a mask 1.5 s before the first top belongs to no top
    early = max(0, peaks[0] - int(1.5 * tr.fps))
    lone = analyze_track(_untraced_outline(tr, {early: 0.5}), exercise="bridge", view="side").report
    assert not any(k.endswith("_outline_visible_from_u") for k in lone.metrics)


@pytest.mark.slow
def test_rendered_floor_bridge_arms_down_traced_only_when_right(tmp_path):
    """Rendered side-view bridge, arms on the floor (the synth default), 30 deg of lumbar extension at the top: each
    rep top either reads an outline angle within 8 deg of the commanded extension or is not traced, and then says from
    where the outline showed and still faults on the landmark geometry. A wrong outline angle fails."""
    import json

    import formcheck
    from formcheck.synth import generate

    video, truth_path = generate("bridge", {"back_butt": 30.0}, "side", 5.0, 0, tmp_path / "bridge.mp4")
    truth = json.loads(truth_path.read_text())["per_frame"]
    report = formcheck.analyze(video, exercise="bridge", view="side").report
    assert report.reps
    commanded = float(np.max(truth["lumbar_extension"]))
    arch = [f for f in report.findings if f.rule == "lumbar_arch"]
    for number in range(1, len(report.reps) + 1):
        angle = report.metrics.get(f"lumbar_arch_rep{number}_lumbar_angle_deg")
        if angle is not None:
            assert angle == pytest.approx(commanded, abs=8.0)
        else:
            assert 0.0 <= report.metrics[f"lumbar_arch_rep{number}_outline_visible_from_u"] <= 1.0
    assert arch and all(f.severity == "fault" for f in arch)

"""The waistline: the waistband's tilt read from the frame (formcheck.waistline), the pass that measures it over a
video (formcheck.waistline_pass), and stance_asymmetry's choice between it and the hip landmarks."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from formcheck.analysis import analyze_track
from formcheck.clean import clean
from formcheck.synth import exact_track
from formcheck.track import LANDMARK_INDEX
from formcheck.waistline import NOT_MEASURED, waist_band, waistline_tilt

HIPS = (np.array([350.0, 200.0]), np.array([290.0, 200.0]))  # left hip on the image right (a front view)
TORSO = 150.0


def two_colour_frame(tilt_deg: float, *, top=(30, 40, 140), bottom=(170, 30, 30), seed=0) -> np.ndarray:
    """A shirt over shorts: the boundary crosses the hips' midpoint 0.2 torso above them at tilt_deg (+ = image-right
    end lower), with mild noise."""
    h, w = 360, 640
    y, x = np.mgrid[0:h, 0:w].astype(float)
    boundary = (200 - 0.2 * TORSO) + np.tan(np.radians(tilt_deg)) * (x - 320)
    frame = np.where((y < boundary)[..., None], np.array(top, float), np.array(bottom, float))
    frame += np.random.default_rng(seed).normal(0, 4, frame.shape)
    return cv2.GaussianBlur(np.clip(frame, 0, 255).astype(np.uint8), (3, 3), 0)


@pytest.mark.parametrize("tilt", [-12.0, -5.0, -1.5, 0.0, 3.0, 8.0, 15.0])
def test_waistband_tilt_recovered(tilt):
    edge = waistline_tilt(two_colour_frame(tilt), *HIPS, TORSO)
    assert edge.tilt_deg == pytest.approx(tilt, abs=0.4)
    assert edge.contrast > 3 and edge.coverage > 0.9
    boundary_at_hips_centre = (200 - 0.2 * TORSO) + np.tan(np.radians(tilt)) * (320 - 320)
    assert edge.centre_y_px == pytest.approx(boundary_at_hips_centre, abs=1.5)


def test_no_waistband_reads_no_clear_edge():
    plain = two_colour_frame(0.0, top=(40, 40, 40), bottom=(40, 40, 40))
    edge = waistline_tilt(plain, *HIPS, TORSO)
    assert edge.contrast < 3 or edge.coverage < 0.8


def test_a_hand_in_front_of_the_waist_is_not_a_waistband():
    frame = two_colour_frame(0.0, top=(40, 40, 40), bottom=(40, 40, 40))
    cv2.circle(frame, (300, 180), 14, (220, 180, 150), -1)  # a hand resting on one side of the belly
    assert waistline_tilt(frame, *HIPS, TORSO).coverage < 0.8


def test_band_too_small_or_hips_unknown_is_not_measured():
    frame = two_colour_frame(0.0)
    assert waist_band(np.array([320.0, 200.0]), np.array([322.0, 200.0]), TORSO, frame.shape) is None
    assert all(math.isnan(v) for v in waistline_tilt(frame, np.array([np.nan, 1.0]), HIPS[1], TORSO))
    assert waistline_tilt(frame, HIPS[0], HIPS[1], 10.0) == NOT_MEASURED or math.isnan(
        waistline_tilt(frame, HIPS[0], HIPS[1], 10.0).tilt_deg)


def test_track_carries_the_waistline_through_save_load_and_slicing(tmp_path):
    track = exact_track("single_leg_stance", {}, view="front", seconds=2.0)
    edges = np.column_stack([np.linspace(-3, 3, len(track)), np.full(len(track), 5.0), np.ones(len(track)),
                             np.full(len(track), 0.5)])
    with_edges = track.with_waistline(edges, waistline={"status": "measured"})
    loaded = type(track).load(with_edges.save(tmp_path / "t.npz"))
    assert np.allclose(loaded.waistline, edges, atol=1e-5) and loaded.meta["waistline"]["status"] == "measured"
    assert np.allclose(loaded[10:20].waistline, edges[10:20], atol=1e-5)
    with pytest.raises(ValueError, match="waistline must be"):
        track.with_waistline(np.zeros((len(track), 3)))


# --- the rule's choice ---------------------------------------------------------------------------------------------

def stance_on_the_left_dropping(drop: float = 8.0):
    """An exact single-leg stance, the pelvis dropping `drop` deg on the lifted side while standing on the left only;
    its hip landmarks read the true drop."""
    return clean(exact_track("single_leg_stance", {"pelvic_drop": drop, "drop_side": 1}, view="front", seconds=8.0))


def waistband_reading(track, extra_drop_deg: float = 0.0, *, contrast: float = 6.0, jitter_deg: float = 0.0):
    """Waistline edges (T, 3) as a clear waistband would give them on this exact track: the hip line's image tilt,
    with extra_drop_deg more drop toward the right side (the lifted one while standing on the left)."""
    left, right = track.xy_px("left_hip"), track.xy_px("right_hip")
    toward_right = np.sign(right[:, 0] - left[:, 0])  # image tilt + = image-right end lower
    a, b = (left, right) if left[0, 0] < right[0, 0] else (right, left)
    tilt = np.degrees(np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0])) + extra_drop_deg * toward_right
    tilt = tilt + np.random.default_rng(0).normal(0, jitter_deg, len(track)) if jitter_deg else tilt
    return np.column_stack([tilt, np.full(len(track), contrast), np.ones(len(track)), np.full(len(track), 0.5)])


def left_stance_drop(report):
    return next(f for f in report.findings if f.rule == "stance_asymmetry" and f.side == "left"
                and f.unit == "deg pelvic drop")


def test_stance_asymmetry_reads_a_clear_waistband_and_says_so():
    track = stance_on_the_left_dropping(8.0)
    landmarks_only = left_stance_drop(analyze_track(track, exercise="single_leg_stance").report)
    assert landmarks_only.value == pytest.approx(8.0, abs=0.3) and "hip landmarks" in landmarks_only.evidence
    # the waistband reads 2 deg more than the landmarks (within the agreement limit): its reading is the one used
    analysis = analyze_track(track.with_waistline(waistband_reading(track, 2.0)), exercise="single_leg_stance")
    report = analysis.report
    finding = left_stance_drop(report)
    assert finding.value == pytest.approx(10.0, abs=0.3) and finding.severity == "fault"
    assert "waistband" in finding.evidence and report.metrics["stance_drop_from_waistband_left"] == 1.0
    assert "left" in analysis.series("stance_pelvic_drop").waistband_sides  # what the key frame reads


@pytest.mark.parametrize(
    "edges, why",
    [
        (dict(contrast=1.5), "no clear waistband"),
        (dict(jitter_deg=6.0), "did not hold steady"),
    ],
)
def test_stance_asymmetry_falls_back_to_the_hip_landmarks(edges, why):
    track = stance_on_the_left_dropping(8.0)
    analysis = analyze_track(track.with_waistline(waistband_reading(track, **edges)), exercise="single_leg_stance")
    report = analysis.report
    landmarks_only = analyze_track(track, exercise="single_leg_stance").report
    assert left_stance_drop(report).value == pytest.approx(left_stance_drop(landmarks_only).value)
    assert why in left_stance_drop(report).evidence
    assert report.metrics["stance_drop_from_waistband_left"] == 0.0
    assert "left" not in analysis.series("stance_pelvic_drop").waistband_sides


def test_stance_asymmetry_trusts_neither_when_a_clear_waistband_and_the_hip_landmarks_disagree():
    """A clear, steady band 9 deg off the hip landmarks' reading: a stripe across a loose shirt, or hip points that
    misread an unusual build (a broad-shouldered rendered body read 4.8 deg of drop on a level pelvis). Nothing tells
    which is wrong, so that stance is not judged, and with no other stance the rule says why."""
    track = stance_on_the_left_dropping(8.0)
    assert left_stance_drop(analyze_track(track, exercise="single_leg_stance").report).severity == "fault"
    analysis = analyze_track(track.with_waistline(waistband_reading(track, extra_drop_deg=-9.0)),
                             exercise="single_leg_stance")
    report = analysis.report
    assert not [f for f in report.findings if f.rule == "stance_asymmetry"]
    reason = next(n.reason for n in report.not_judged if n.rule == "stance_asymmetry")
    assert "disagree" in reason, reason
    assert "a clear waistband reads a 1 deg rise on the lifted side and the hip landmarks an 8 deg drop" in reason
    assert np.isnan(analysis.series("stance_pelvic_drop").values).all()  # the plot shows no verdict's reading


# --- the pass over a video ------------------------------------------------------------------------------------------

def _standing_landmarks(left_ankle_up_torso: float) -> np.ndarray:
    """(33, 4) landmarks of a person standing upright facing the camera, one ankle raised by the given torso lengths."""
    lm = np.full((33, 4), np.nan)
    points = {"left_shoulder": (0.6, 0.3), "right_shoulder": (0.4, 0.3), "left_hip": (0.57, 0.5),
              "right_hip": (0.43, 0.5), "left_ankle": (0.57, 0.9 - 0.2 * left_ankle_up_torso),
              "right_ankle": (0.43, 0.9)}
    for name, (x, y) in points.items():
        lm[LANDMARK_INDEX[name]] = (x, y, 0.0, 1.0)
    return lm


def _measured_frames(lifts: list[float], fps: float = 30.0, always: bool = False, walking: bool = False,
                     upright: bool = True) -> set[int]:
    from formcheck.video import Frame
    from formcheck.waistline_pass import WaistlineReader

    reader = WaistlineReader(fps, always=always, walking=walking)
    rgb = np.full((200, 200, 3), 120, np.uint8)
    rgb[95:, :] = 30  # a dark band below the waist
    for i, lift in enumerate(lifts):
        landmarks = _standing_landmarks(lift)
        if not upright:  # lying on the side: shoulders level with the hips
            landmarks[[LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]], 1] = 0.5
            landmarks[LANDMARK_INDEX["left_shoulder"], 0], landmarks[LANDMARK_INDEX["right_shoulder"], 0] = 0.9, 0.85
        reader.observe(Frame(i, i / fps, rgb), landmarks)
    track = exact_track("single_leg_stance", {}, view="front", seconds=len(lifts) / fps + 0.5)[: len(lifts)]
    attached = reader.attach(track)
    return set() if attached.waistline is None else set(np.flatnonzero(np.isfinite(attached.waistline[:, 0])))


def test_waistband_read_only_on_a_held_single_leg_stance():
    """Without walks in view (walking=False: the exercise is known to be neither a walk nor a stance), the search
    runs on frames of a foot held up >= 0.5 s (and the lift's first frames, looked back at), never on a walking
    step's ~0.4 s swing nor on two feet down, unless the exercise is known to be a stance."""
    held = [0.0] * 10 + [0.5] * 30 + [0.0] * 10  # 1 s on one leg at 30 fps
    assert _measured_frames(held) == set(range(10, 40))
    steps = ([0.5] * 11 + [0.0] * 4 + [-0.5] * 11 + [0.0] * 4) * 3  # swings of 0.37 s
    assert _measured_frames(steps) == set()
    assert _measured_frames([0.0] * 20) == set()
    assert _measured_frames([0.0] * 20, always=True) == set(range(20))


def test_waistband_sampled_ten_times_a_second_on_an_upright_frontal_walk():
    """With walks possible (the default), upright frontal frames are searched at WALK_RATE_HZ (every 3rd frame at
    30 fps, every 2nd at 25), a held lift on every frame as before; a person not upright is never searched."""
    steps = ([0.5] * 11 + [0.0] * 4 + [-0.5] * 11 + [0.0] * 4) * 3
    assert _measured_frames(steps, walking=True) == set(range(0, len(steps), 3))
    assert _measured_frames(steps, fps=25.0, walking=True) == set(range(0, len(steps), 2))
    held = [0.0] * 10 + [0.5] * 30 + [0.0] * 10
    assert _measured_frames(held, walking=True) == set(range(10, 40)) | set(range(0, 50, 3))
    assert _measured_frames(steps, walking=True, upright=False) == set()


@pytest.mark.slow
def test_pass_on_a_rendered_stance_reads_the_true_drop(tmp_path):
    """A rendered single-leg stance with an 8 deg drop standing on the left only: the waistband's tilt on the held
    stance matches the true pelvic drop (exact landmarks locate the band; no pose model needed)."""
    import json

    from formcheck.synth import generate
    from formcheck.video import VideoReader
    from formcheck.waistline_pass import WaistlineReader

    faults = {"pelvic_drop": 8.0, "drop_side": 1}
    video, truth_path = generate("single_leg_stance", faults, "front", 8.0, 0, tmp_path / "stance.mp4")
    track = clean(exact_track("single_leg_stance", faults, view="front", seconds=8.0))
    reader = WaistlineReader(track.fps)
    with VideoReader(video) as frames:
        for frame in frames:
            if frame.index < len(track):
                reader.observe(frame, track.landmarks[frame.index])
    measured = reader.attach(track)
    assert measured.meta["waistline"]["status"] == "measured"
    truth = json.loads(truth_path.read_text())["per_frame"]
    lift_right = np.array(truth["free_leg_lift_r"]) > 0.99  # standing on the left, the right foot up
    tilt_toward_right = measured.waistline[lift_right, 0] * np.sign(
        track.xy_px("right_hip")[lift_right, 0] - track.xy_px("left_hip")[lift_right, 0])
    assert np.median(tilt_toward_right) == pytest.approx(8.0, abs=1.0)
    final = analyze_track(measured, exercise="single_leg_stance", view="front").report
    assert final.metrics["stance_drop_from_waistband_left"] == 1.0


def test_key_frame_draws_the_waistband_it_read():
    from formcheck.report.key_frames import key_frames

    track = stance_on_the_left_dropping(8.0)
    edges = waistband_reading(track, 2.0)
    hips_y = 0.5 * (track.xy_px("left_hip")[:, 1] + track.xy_px("right_hip")[:, 1])
    edges[:, 3] = (hips_y - 20) / track.frame_height  # the band's edge 20 px above the hip points
    with_band = analyze_track(track.with_waistline(edges), exercise="single_leg_stance")
    plain = analyze_track(track, exercise="single_leg_stance")
    finding = left_stance_drop(with_band.report)
    drawn = key_frames(None, with_band, [finding])[0].astype(int)
    bare = key_frames(None, plain, [left_stance_drop(plain.report)])[0].astype(int)
    assert drawn.shape == bare.shape
    changed = np.abs(drawn - bare).sum(axis=2) > 60
    assert changed[drawn.shape[0] // 3:].sum() > 200  # the line and its label, below the caption banner


@pytest.mark.parametrize("where", ["flat", "top_edge"])
def test_flat_or_cut_off_bands_do_not_break(where):
    """A band of one flat colour (no gradient at all), or hips at the frame's top edge (the band cut off): no
    exception, and nothing that passes for a clear waistband."""
    frame = np.full((360, 640, 3), 90, np.uint8)
    hips = HIPS if where == "flat" else (np.array([350.0, 12.0]), np.array([290.0, 12.0]))
    if where == "top_edge":
        frame[:20] = (200, 40, 40)
    edge = waistline_tilt(frame, *hips, TORSO)
    assert not (edge.contrast >= 3 and edge.coverage >= 0.8)

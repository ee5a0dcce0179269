"""PoseTrack: validation, named access, slicing, save/load round trip, clear load errors."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck.track import LANDMARK_NAMES, MIRROR_INDEX, PoseTrack, TrackFileError, landmark_index


def make_track(frames: int = 10, fps: float = 10.0) -> PoseTrack:
    rng = np.random.default_rng(0)
    landmarks = rng.random((frames, 33, 4))
    landmarks[3] = np.nan  # a frame with nobody
    return PoseTrack(
        landmarks=landmarks,
        world_landmarks=rng.random((frames, 33, 3)),
        timestamps_s=np.arange(frames) / fps,
        fps=fps,
        frame_width=640,
        frame_height=480,
        source="unit",
        meta={"note": "x"},
    )


def test_named_access_matches_mediapipe_layout():
    track = make_track()
    assert landmark_index("left_hip") == 23 and landmark_index("right_knee") == 26
    assert np.array_equal(track.xy("left_hip"), track.landmarks[:, 23, :2], equal_nan=True)
    assert np.allclose(track.xy_px("left_hip"), track.landmarks[:, 23, :2] * [640, 480], equal_nan=True)
    assert np.array_equal(track.world("right_ankle"), track.world_landmarks[:, 28], equal_nan=True)
    with pytest.raises(ValueError, match="unknown landmark 'left_hipp'"):
        track.xy("left_hipp")


def test_mirror_index_swaps_every_left_right_pair():
    for i, name in enumerate(LANDMARK_NAMES):
        twin = LANDMARK_NAMES[MIRROR_INDEX[i]]
        assert twin == name.replace("left", "#").replace("right", "left").replace("#", "right")
    assert np.array_equal(MIRROR_INDEX[MIRROR_INDEX], np.arange(33))


def test_missing_frames_are_nan_not_dropped():
    track = make_track()
    assert len(track) == 10
    assert not track.detected[3] and track.detected.sum() == 9
    assert track.detection_rate == pytest.approx(0.9)


def test_slicing_by_frame_and_time_returns_tracks():
    track = make_track()
    assert isinstance(track[2:5], PoseTrack) and len(track[2:5]) == 3
    assert len(track[4]) == 1 and track[4].timestamps_s[0] == pytest.approx(0.4)
    assert len(track[track.timestamps_s >= 0.5]) == 5
    part = track.between(0.2, 0.6)
    assert np.allclose(part.timestamps_s, [0.2, 0.3, 0.4, 0.5])


def test_is_frozen_and_validated():
    track = make_track()
    with pytest.raises(ValueError):
        track.landmarks[0, 0, 0] = 1.0
    with pytest.raises(ValueError, match=r"\(T, 33, 4\)"):
        PoseTrack(np.zeros((5, 17, 4)), np.zeros((5, 33, 3)), np.arange(5.0), 10.0, 1, 1)
    with pytest.raises(ValueError, match="increasing"):
        PoseTrack(np.zeros((3, 33, 4)), np.zeros((3, 33, 3)), np.array([0, 0.1, 0.1]), 10.0, 1, 1)


def test_save_load_round_trip_with_exact_array_names(tmp_path):
    track = make_track()
    path = track.save(tmp_path / "t.npz")
    with np.load(path) as data:
        assert {"landmarks", "world_landmarks", "timestamps_s"} <= set(data.files)
    back = PoseTrack.load(path)
    assert np.allclose(back.landmarks, track.landmarks, equal_nan=True, atol=1e-6)
    assert np.allclose(back.timestamps_s, track.timestamps_s)
    assert (back.fps, back.frame_width, back.source, back.meta) == (10.0, 640, "unit", {"note": "x"})


def test_load_errors_name_the_file(tmp_path):
    bogus = tmp_path / "bogus.npz"
    bogus.write_text("hello")
    with pytest.raises(TrackFileError, match="bogus.npz: not a formcheck pose track"):
        PoseTrack.load(bogus)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(TrackFileError, match="other.npz.*missing arrays"):
        PoseTrack.load(other)
    with pytest.raises(TrackFileError, match="no such file"):
        PoseTrack.load(tmp_path / "nope.npz")

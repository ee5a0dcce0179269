"""Offline pose model: bundle built from the wheel, idempotent, no network; subject selection."""
from __future__ import annotations

import socket
import zipfile

import numpy as np
import pytest

from conftest import SAMPLE_VIDEOS, shared_video
from formcheck.pipeline import extract_track
from formcheck.pose import BUNDLE_NAME, ModelError, build_model, choose_subject, resolve_model


def test_bundle_is_built_from_the_wheel_and_idempotent(tmp_path):
    first = build_model(tmp_path)
    mtime = first.path.stat().st_mtime_ns
    second = build_model(tmp_path)
    assert first.path == tmp_path / BUNDLE_NAME and first.sha256 == second.sha256
    assert second.path.stat().st_mtime_ns == mtime  # untouched when up to date
    with zipfile.ZipFile(first.path) as zf:
        assert sorted(zf.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        for info in zf.infolist():  # members are stored and aligned so TFLite can map them
            data_offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
            assert info.compress_type == zipfile.ZIP_STORED and data_offset % 16 == 0


@pytest.mark.parametrize(
    "content, message",
    [(None, "no such model file"), (b"hello", "not a MediaPipe .task bundle")],
)
def test_bad_model_paths(tmp_path, content, message):
    path = tmp_path / "m.task"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        resolve_model(path)
    other = tmp_path / "other.task"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("x.tflite", b"x")
    with pytest.raises(ModelError, match="not a pose landmarker bundle"):
        resolve_model(other)


def _person(x0: float, y0: float, size: float) -> np.ndarray:
    person = np.zeros((33, 4))
    person[:, 0] = np.linspace(x0, x0 + size / 2, 33)
    person[:, 1] = np.linspace(y0, y0 + size, 33)
    person[:, 3] = 1.0
    return person


def test_subject_is_largest_central_then_followed():
    big_centre = _person(0.4, 0.2, 0.6)
    small_corner = _person(0.0, 0.0, 0.2)
    assert choose_subject([small_corner, big_centre], None) == 1
    previous = np.array([0.0, 0.0, 0.1, 0.2])  # the subject was the small one: keep following it
    assert choose_subject([big_centre, small_corner], previous) == 1


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open an internet socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("formcheck tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.slow
def test_extraction_runs_offline_on_a_bundled_clip(tmp_path, no_network, monkeypatch):
    clip = SAMPLE_VIDEOS / "bridge_side_good.mp4"
    if not clip.is_file():
        pytest.skip("sample_videos/bridge_side_good.mp4 not generated yet")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    track = extract_track(clip)
    assert len(track) > 50
    assert track.detection_rate >= 0.95
    assert track.model_sha256 and track.model_name == BUNDLE_NAME


@pytest.mark.slow
def test_extraction_on_a_real_bridge_clip(no_network):
    clip = shared_video("bridge/bubbadk_pexels_glute_bridge_band_side.mp4")
    track = extract_track(clip)
    assert len(track) == 167 and (track.frame_width, track.frame_height) == (960, 540)
    assert track.detection_rate >= 0.95
    hips = np.concatenate([track.visibility("left_hip"), track.visibility("right_hip")])
    assert np.nanmean(hips) > 0.8
    assert np.allclose(np.diff(track.timestamps_s), 0.04, atol=1e-3)


@pytest.mark.slow
def test_subject_selection_with_bystanders():
    clip = shared_video("walk/walk_front_cane_assemblyai.mp4")
    track = extract_track(clip)
    # the walker with the cane (centre of the frame), never a seated bystander at the edges
    hips = (track.xy("left_hip") + track.xy("right_hip")) / 2
    assert np.nanmin(hips[:, 0]) > 0.3 and np.nanmax(hips[:, 0]) < 0.75
    steps = np.linalg.norm(np.diff(hips, axis=0), axis=1)
    assert np.nanmax(steps) < 0.05  # no jump between people


@pytest.mark.slow
def test_two_people_are_counted_and_the_larger_followed(tmp_path):
    """A composite: the same walker twice, large on the left, at 80% size on the right."""
    import cv2

    from formcheck.video import VideoReader, write_h264

    clip = shared_video("walk/walk_front_treadmill_adrielzarate.mp4")

    def composite():
        with VideoReader(clip) as video:
            for frame in video:
                if frame.index >= 40:
                    break
                big = frame.rgb  # 628 x 628
                small = np.full_like(big, 255)
                shrunk = cv2.resize(big, None, fx=0.8, fy=0.8)
                offset = (big.shape[0] - shrunk.shape[0]) // 2
                small[offset : offset + shrunk.shape[0], offset : offset + shrunk.shape[1]] = shrunk
                yield np.concatenate([big, small], axis=1)

    path = write_h264(tmp_path / "two.mp4", composite(), fps=25)
    track = extract_track(path)
    # two people at the first subject check (one every 2 s and on jumps), the larger one followed throughout
    assert track.meta["subject_checks"] >= 1 and track.meta["frames_with_several_people"] >= 1
    hips_x = (track.xy("left_hip")[:, 0] + track.xy("right_hip")[:, 0]) / 2
    assert np.nanmax(hips_x) < 0.5  # always the large walker on the left half

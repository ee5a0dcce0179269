"""formcheck.camera_motion: the picture's shift read from the background, the subject's box left out."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck.camera_motion import CameraShift
from formcheck.synth import exact_track
from formcheck.video import Frame


def _frames(shifts_px, *, textured: bool = True, size=(640, 360)):
    """RGB frames of a background moved by shifts_px[i] (x, y) and a 'person' (a bright box whose own motion differs),
    with that person's landmarks (normalised)."""
    w, h = size
    rng = np.random.default_rng(3)
    big = rng.integers(0, 255, (h + 200, w + 200, 3), dtype=np.uint8) if textured else \
        np.full((h + 200, w + 200, 3), 200, np.uint8)
    if textured:
        import cv2

        big = cv2.GaussianBlur(big, (0, 0), 3)  # a background's texture, not pixel noise
    for i, (dx, dy) in enumerate(shifts_px):
        x0, y0 = 100 - int(round(dx)), 100 - int(round(dy))
        rgb = np.ascontiguousarray(big[y0: y0 + h, x0: x0 + w])
        px = 300 + 40 * np.sin(i / 3)  # the person moves on their own
        rgb[150:290, int(px) - 30: int(px) + 30] = 250
        landmarks = np.full((33, 4), np.nan)  # a standing person's shoulders at the top of the box, hips lower
        landmarks[[11, 12, 23, 24]] = [[(px + 30) / w, 150 / h, 0, 1], [(px - 30) / w, 150 / h, 0, 1],
                                       [(px + 20) / w, 230 / h, 0, 1], [(px - 20) / w, 290 / h, 0, 1]]
        yield Frame(rgb=rgb, index=i, timestamp_s=i / 30.0), landmarks


def test_the_background_shift_is_read_with_the_person_left_out():
    shifts = np.column_stack([30 * np.sin(np.arange(20) / 8), 10 * np.cos(np.arange(20) / 10) - 10])
    reader = CameraShift()
    for frame, landmarks in _frames(shifts):
        reader.observe(frame, landmarks)
    track = reader.attach(exact_track("walk", {}, view="front", seconds=20 / 30, fps=30.0))
    assert len(track) == 20 and track.meta["camera_shift"] == {"frames_read": 10, "steps_unknown": 0}
    moved = np.round(shifts) - np.round(shifts[0])  # the frames move by whole pixels
    read = track.camera_shift
    # the filled box, still in both frames of a pair, pulls each step toward no move: a little sideways (what hip_sway
    # reads: within a few pixels, read at a quarter of the size, every other frame, from whole-pixel moves), more up
    # and down, where the box's long top and bottom edges hold (no rule reads that)
    gain = lambda axis: float(np.sum(read[:, axis] * moved[:, axis]) / np.sum(moved[:, axis] ** 2))  # noqa: E731
    assert 0.9 <= gain(0) <= 1.05 and np.abs(read[:, 0] - moved[:, 0]).max() < 4.0, (gain(0), read[:, 0])  # of 30 px
    assert 0.4 <= gain(1) <= 1.05, gain(1)


def test_a_plain_background_with_a_moving_person_reads_no_move():
    """Nothing to correlate but the person, who is left out: the picture did not move (a rendered walk's plain floor
    and wall; the person's own sway must not become the camera's)."""
    reader = CameraShift()
    for frame, landmarks in _frames(np.zeros((10, 2)), textured=False):
        reader.observe(frame, landmarks)
    track = reader.attach(exact_track("walk", {}, view="front", seconds=10 / 30, fps=30.0))
    assert np.abs(track.camera_shift).max() < 1.0


def test_camera_shift_survives_save_load_and_slicing(tmp_path):
    track = exact_track("walk", {}, view="front", seconds=1.0)
    shift = np.column_stack([np.linspace(0, 12, len(track)), np.zeros(len(track))])
    moved = track.with_camera_shift(shift, camera_shift={"frames_read": len(track), "steps_unknown": 0})
    loaded = type(track).load(moved.save(tmp_path / "t.npz"))
    np.testing.assert_allclose(loaded.camera_shift, shift, atol=1e-4)
    assert loaded[5:9].camera_shift.shape == (4, 2)
    with pytest.raises(ValueError, match="camera_shift must be"):
        track.with_camera_shift(np.zeros((len(track), 3)))


def test_nothing_is_read_while_nobody_stands():
    """Lying exercises need no camera shift: with the subject lying along the picture (or nobody found) no frame is
    read and the track carries none."""
    reader = CameraShift()
    lying = np.full((33, 4), np.nan)
    lying[[11, 12, 23, 24]] = [[0.2, 0.6, 0, 1], [0.2, 0.62, 0, 1], [0.6, 0.6, 0, 1], [0.6, 0.62, 0, 1]]
    for i, (frame, _) in enumerate(_frames(np.zeros((6, 2)))):
        reader.observe(frame, lying if i % 2 else None)
    track = reader.attach(exact_track("bridge", {}, view="side", seconds=6 / 30, fps=30.0))
    assert track.camera_shift is None and track.meta["camera_shift"]["frames_read"] == 0

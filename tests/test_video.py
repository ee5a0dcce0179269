"""Streaming reader: timestamps, rotation, constant memory, and one-line errors for bad inputs."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import write_test_video
from formcheck.video import VideoError, VideoReader, write_h264


def test_reads_frames_with_container_timestamps(tiny_video):
    with VideoReader(tiny_video) as video:
        assert (video.info.width, video.info.height, video.info.fps, video.info.frame_count) == (64, 48, 10.0, 20)
        frames = list(video)
    assert len(frames) == 20
    assert np.allclose([f.timestamp_s for f in frames], np.arange(20) / 10)
    assert frames[0].rgb.shape == (48, 64, 3) and frames[0].rgb.dtype == np.uint8


def test_rotation_metadata_is_applied(tmp_path):
    import av
    from fractions import Fraction

    path = tmp_path / "rotated.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)  # display: turn 90 degrees counter-clockwise
        img = np.zeros((32, 64, 3), np.uint8)
        img[:, 48:] = 255  # bright right edge
        for _ in range(3):
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with VideoReader(path) as video:
        assert (video.info.width, video.info.height, video.info.rotation_deg) == (32, 64, 90)
        frame = next(iter(video)).rgb
    assert frame.shape == (64, 32, 3)
    # counter-clockwise: the stored right edge is now the top
    assert frame[:10].mean() > 200 and frame[-10:].mean() < 50


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.mp4", "no such file"),
        (lambda p: p, "is a directory"),
        (lambda p: (p / "empty.mp4").write_bytes(b"") and p / "empty.mp4" or p / "empty.mp4", "file is empty"),
        (lambda p: (p / "notes.mp4").write_text("not a video at all\n" * 50) and p / "notes.mp4", "not a readable video"),
    ],
    ids=["missing", "directory", "empty", "text-file"],
)
def test_bad_paths_give_one_line_errors(tmp_path, make, message):
    with pytest.raises(VideoError, match=message) as info:
        VideoReader(make(tmp_path))
    assert "\n" not in str(info.value)


def test_truncated_video_keeps_what_decoded_and_warns(tmp_path):
    from conftest import truncated_copy, write_noise_video

    cut = truncated_copy(write_noise_video(tmp_path / "full.mkv", 60))
    with VideoReader(cut) as video:
        frames = list(video)
    assert 10 < len(frames) < 60
    assert video.warnings and "kept" in video.warnings[0]


def test_no_decodable_frames(tmp_path):
    good = write_test_video(tmp_path / "good.mp4", frames=30)
    data = bytearray(good.read_bytes())
    # keep the container header, wipe the coded picture data
    moov = data.find(b"mdat")
    for i in range(moov + 8, len(data) - 2000 if len(data) > 4000 else len(data)):
        data[i] = 0
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    with pytest.raises(VideoError):
        with VideoReader(broken) as video:
            frames = list(video)
            assert frames  # unreachable when the reader is right


def test_memory_does_not_hold_frames(tiny_video):
    # Iteration is a generator: frames are produced one at a time, not collected.
    with VideoReader(tiny_video) as video:
        iterator = iter(video)
        first = next(iterator)
        assert first.index == 0
        assert not hasattr(video, "frames")


def test_write_h264_round_trip(tmp_path):
    frames = [np.full((48, 64, 3), i * 10, np.uint8) for i in range(12)]
    path = write_h264(tmp_path / "out.mp4", iter(frames), fps=12)
    with VideoReader(path) as video:
        assert video.info.codec == "h264"
        assert sum(1 for _ in video) == 12

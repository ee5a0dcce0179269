"""Shared fixtures. Tests that need ../shared/videos skip with a reason when it is absent."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO.parent / "shared" / "videos"
SAMPLE_VIDEOS = REPO / "sample_videos"


def shared_video(relative: str) -> Path:
    """Path of a real clip in ../shared/videos, or skip the test saying why."""
    path = SHARED_VIDEOS / relative
    if not path.is_file():
        pytest.skip(f"real clip {relative} not available: ../shared/videos is absent beside this checkout")
    return path


def write_test_video(path: Path, frames: int = 20, size=(64, 48), fps: int = 10, rotation: int = 0) -> Path:
    """A tiny H.264 mp4 of moving grey squares (no person)."""
    import av

    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for i in range(frames):
            img = np.full((height, width, 3), 40, np.uint8)
            img[:, : (i * 3) % width] = 200
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_noise_video(path: Path, frames: int, *, seed: int = 1) -> Path:
    """An H.264 video of random pixels (incompressible: cutting its bytes in half cuts its frames)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(10))
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(seed)
        for _ in range(frames):
            img = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def truncated_copy(path: Path) -> Path:
    """The first half of a file's bytes, beside it as cut_NAME."""
    cut = path.with_name("cut_" + path.name)
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return cut


@pytest.fixture
def tiny_video(tmp_path: Path) -> Path:
    return write_test_video(tmp_path / "tiny.mp4")

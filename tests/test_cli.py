"""The command line: help, version, one-line errors with exit 1, and extract end to end."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import shared_video
from formcheck import __version__
from formcheck.cli import app
from formcheck.track import PoseTrack

runner = CliRunner()


def test_python_dash_m_runs_the_same_command_line():
    result = subprocess.run([sys.executable, "-m", "formcheck", "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and __version__ in result.stdout


def test_version_and_help():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("extract", "models"):
        assert command in result.output
    result = runner.invoke(app, ["extract", "--help"])
    assert result.exit_code == 0 and "--model" in result.output and "--raw" in result.output


def test_models_prints_path_and_hash(tmp_path):
    result = runner.invoke(app, ["models", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.split()
    assert str(tmp_path / "pose_landmarker_full.task") in result.output
    assert any(len(word) == 64 for word in lines)


def _bad_inputs(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("definitely not a video\n" * 40)
    return {
        "missing": (tmp_path / "nope.mp4", "no such file"),
        "directory": (tmp_path, "is a directory"),
        "empty": (empty, "file is empty"),
        "not a video": (text, "not a readable video"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "not a video"])
def test_extract_bad_inputs_one_line_no_traceback(tmp_path, case):
    path, message = _bad_inputs(tmp_path)[case]
    result = runner.invoke(app, ["extract", str(path), "-o", str(tmp_path / "t.npz")])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output


def test_extract_bad_model_path(tmp_path, tiny_video):
    result = runner.invoke(app, ["extract", str(tiny_video), "-o", str(tmp_path / "t.npz"), "--model", str(tmp_path / "x.task")])
    assert result.exit_code == 1 and "no such model file" in result.output and "Traceback" not in result.output


def test_extract_video_without_person_gives_nan_track(tmp_path, tiny_video):
    out = tmp_path / "t.npz"
    result = runner.invoke(app, ["extract", str(tiny_video), "-o", str(out), "--raw"])
    assert result.exit_code == 0, result.output
    track = PoseTrack.load(out)
    assert len(track) == 20 and track.detection_rate == 0.0
    assert np.isnan(track.landmarks).all()
    assert "0.0% of frames" in result.output


@pytest.mark.slow
def test_extract_real_clip_summary(tmp_path):
    clip = shared_video("bridge/bubbadk_pexels_glute_bridge_band_side.mp4")
    out = tmp_path / "bridge.npz"
    result = runner.invoke(app, ["extract", str(clip), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for words in ("frames", "person found", "hip visibility", "knee visibility", "processing"):
        assert words in result.output
    track = PoseTrack.load(out)
    assert len(track) == 167 and track.detection_rate > 0.95
    assert "cleaning" in track.meta


def test_extract_truncated_video_warns_and_keeps_frames(tmp_path):
    from conftest import truncated_copy, write_noise_video

    cut = truncated_copy(write_noise_video(tmp_path / "full.mkv", 40))
    out = tmp_path / "t.npz"
    result = runner.invoke(app, ["extract", str(cut), "-o", str(out), "--raw"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "kept" in result.output
    assert 5 < len(PoseTrack.load(out)) < 40

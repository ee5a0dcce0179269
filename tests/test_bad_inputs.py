"""Bad input is refused with one line and exit code 1, or handled; nothing is left half-written (issue 15).

Each table case names what is wrong; the CLI cases assert exit code 1, one line starting "error:" with the words
that say what is wrong, no traceback, no RuntimeWarning, and no partial file left behind.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from formcheck.cli import app
from formcheck.synth import exact_track
from formcheck.track import PoseTrack, TrackFileError

runner = CliRunner()


def assert_one_line_error(result, *words: str) -> None:
    """Exit code 1, a single 'error: ...' line containing every word, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    for word in words:
        assert word in lines[0], (word, lines[0])


def leftovers(folder: Path) -> list[str]:
    """Partial files anywhere under folder."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".part" in p.name)


# ---- 1. damaged track files ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def track_arrays(tmp_path_factory) -> dict[str, np.ndarray]:
    """The arrays of a saved 4 s squat track (exact projection with detector noise), as np.load gives them."""
    path = exact_track("squat", {"knee_valgus": 12}, view="front", seconds=4.0, noise=True).save(
        tmp_path_factory.mktemp("track") / "squat.npz")
    with np.load(path) as data:
        return dict(data)


def _metadata(arrays, **changes) -> np.ndarray:
    meta = json.loads(str(arrays["metadata"]))
    meta.update(changes)
    return np.array(json.dumps(meta))


def _with(arrays, name, index, value):
    changed = np.array(arrays[name])
    changed[index] = value
    return {**arrays, name: changed}


DAMAGED_TRACKS = {
    # case: (how to damage the arrays, words of the one-line error)
    "no metadata": (lambda a: {k: v for k, v in a.items() if k != "metadata"}, ["no `metadata`", "frame size"]),
    "frame size 0x0": (lambda a: {**a, "metadata": _metadata(a, frame_width=0, frame_height=0)},
                       ["no frame size", "0x0"]),
    "frame size missing": (lambda a: {**a, "metadata": _metadata(a, frame_width=None, frame_height=None)},
                           ["no frame size", "?x?"]),
    "frame width negative": (lambda a: {**a, "metadata": _metadata(a, frame_width=-640)}, ["no frame size", "-640x"]),
    "metadata a JSON list": (lambda a: {**a, "metadata": np.array("[1, 2, 3]")}, ["`metadata` is a JSON list"]),
    "metadata a JSON string": (lambda a: {**a, "metadata": np.array('"fps"')}, ["`metadata` is a JSON str"]),
    "metadata not JSON": (lambda a: {**a, "metadata": np.array("{fps: 30")}, ["not a formcheck pose track"]),
    "meta a list": (lambda a: {**a, "metadata": _metadata(a, meta=[1, 2])}, ["'meta' must be a JSON object"]),
    "fps a string": (lambda a: {**a, "metadata": _metadata(a, fps="thirty")}, ["fps must be a positive number"]),
    "fps zero": (lambda a: {**a, "metadata": _metadata(a, fps=0)}, ["fps must be a positive number"]),
    "NaN timestamp": (lambda a: _with(a, "timestamps_s", 5, np.nan), ["timestamps_s must be finite", "frame 5"]),
    "inf timestamp": (lambda a: _with(a, "timestamps_s", -1, np.inf), ["timestamps_s must be finite", "inf"]),
    "timestamps going back": (lambda a: _with(a, "timestamps_s", 3, 0.0), ["strictly increasing"]),
    "one inf landmark": (lambda a: _with(a, "landmarks", (10, 23, 0), np.inf), ["landmarks must be finite", "1 infinite value"]),
    "inf hips and knees": (lambda a: _with(a, "landmarks", (slice(None), slice(23, 27), slice(0, 2)), np.inf),
                           ["landmarks must be finite"]),
    "inf world landmarks": (lambda a: _with(a, "world_landmarks", slice(None), -np.inf), ["world_landmarks must be finite"]),
}


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("case", list(DAMAGED_TRACKS))
def test_damaged_track_is_refused_in_one_line(tmp_path, track_arrays, case):
    damage, words = DAMAGED_TRACKS[case]
    path = tmp_path / "damaged.npz"
    np.savez(path, **damage(track_arrays))
    with pytest.raises(TrackFileError, match="damaged.npz: not a"):
        PoseTrack.load(path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(path), "--out", str(out)])
    assert_one_line_error(result, "damaged.npz", *words)
    assert not out.exists()  # refused before anything is written


def test_undamaged_track_still_loads_and_older_tracks_without_fps_take_it_from_the_timestamps(tmp_path, track_arrays):
    np.savez(tmp_path / "ok.npz", **track_arrays)
    assert PoseTrack.load(tmp_path / "ok.npz").frame_width == 640
    meta = json.loads(str(track_arrays["metadata"]))
    del meta["fps"]
    np.savez(tmp_path / "no_fps.npz", **{**track_arrays, "metadata": np.array(json.dumps(meta))})
    assert PoseTrack.load(tmp_path / "no_fps.npz").fps == pytest.approx(30.0)


# ---- 3. thresholds overrides with a warning past the fault --------------------------------------------------------------

@pytest.fixture(scope="module")
def bridge_track(tmp_path_factory) -> Path:
    return exact_track("bridge", {"back_butt": 30}, view="side", seconds=6.0, noise=True).save(
        tmp_path_factory.mktemp("bridge") / "bb.npz")


THRESHOLD_OVERRIDES = {
    # case: (TOML text, words of the one-line error; None: accepted and analysed)
    "lumbar warn above fault (was: zero-size array to reduction)": (
        "[lumbar_arch]\npast_straight_warn_deg = 30.0\n",
        ["lumbar_arch.past_straight_warn_deg = 30 deg", "past_straight_fault_deg = 11 deg"]),
    "fault moved below the default warning": (
        "[hip_lockout]\nshort_of_straight_fault_deg = 5.0\n",
        ["hip_lockout.short_of_straight_warn_deg = 10 deg", "short_of_straight_fault_deg = 5 deg"]),
    "ratio: lower is worse, warning below the fault": (
        "[knee_valgus]\nseparation_ratio_warn = 0.7\n",
        ["knee_valgus.separation_ratio_warn = 0.7 ratio", "separation_ratio_fault = 0.75 ratio", "at or above"]),
    "warning in a {value = ...} table": (
        '[neck_flexion]\nhead_back_warn_deg = { value = 9.0, source = "mine" }\n',
        ["neck_flexion.head_back_warn_deg = 9 deg"]),
    "warning equal to the fault: no warning band": ("[lumbar_arch]\npast_straight_warn_deg = 11.0\n", None),
    "both moved, still in order": ("[knee_valgus]\nfppa_warn_deg = 20.0\nfppa_fault_deg = 25.0\n", None),
}


@pytest.mark.parametrize("case", list(THRESHOLD_OVERRIDES))
def test_thresholds_warning_past_fault_is_refused_naming_key_and_unit(tmp_path, bridge_track, case):
    text, words = THRESHOLD_OVERRIDES[case]
    toml = tmp_path / "limits.toml"
    toml.write_text(text)
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(bridge_track), "--thresholds", str(toml), "--out", str(out), "--json"])
    if words is None:
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["exercise"] == "bridge"
    else:
        assert_one_line_error(result, "limits.toml", "lies past", *words)
        assert not out.exists()


# ---- 6. symlinks -------------------------------------------------------------------------------------------------------

def _loop(tmp_path):
    (tmp_path / "a.mp4").symlink_to(tmp_path / "b.mp4")
    (tmp_path / "b.mp4").symlink_to(tmp_path / "a.mp4")
    return tmp_path / "a.mp4"


def _loop_in_folder(tmp_path):
    (tmp_path / "d").symlink_to(tmp_path / "d")
    return tmp_path / "d" / "clip.mp4"


def _dangling(tmp_path):
    (tmp_path / "gone.mp4").symlink_to(tmp_path / "deleted.mp4")
    return tmp_path / "gone.mp4"


SYMLINKS = {
    "a symlink loop": (_loop, "is a symlink loop"),
    "a folder in the path is a symlink loop": (_loop_in_folder, "is a symlink loop"),
    "a symlink to a missing file": (_dangling, "no such file (a symlink to a missing file)"),
}


@pytest.mark.parametrize("case", list(SYMLINKS))
def test_symlink_input_says_what_it_is(tmp_path, case):
    make, words = SYMLINKS[case]
    video = make(tmp_path)
    result = runner.invoke(app, ["extract", str(video), "-o", str(tmp_path / "t.npz")])
    assert_one_line_error(result, str(video), words)

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
    "knee offset: warning past the fault": (
        "[knee_valgus]\noffset_warn_leg = 0.08\n",
        ["knee_valgus.offset_warn_leg = 0.08 leg lengths", "offset_fault_leg = 0.065 leg lengths", "at or below"]),
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


# ---- 2. a full disk (or Ctrl-C) while saving ---------------------------------------------------------------------------

class _FillingFile:
    """A file whose writes fail once the shared byte budget is spent (what is left of it is written first)."""

    def __init__(self, fh, budget: list[int], failure: BaseException):
        self._fh, self._budget, self._failure = fh, budget, failure

    def write(self, data):
        size = len(data.encode() if isinstance(data, str) else memoryview(data).cast("B"))
        if size > self._budget[0]:
            self._fh.write(data[: self._budget[0]])
            self._budget[0] = 0
            raise self._failure
        self._budget[0] -= size
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.fixture
def filling_disk(monkeypatch):
    """fill(folder, budget_bytes, failure): writes under folder fail with `failure` (default: OSError ENOSPC, no file
    name, as a write(2) on a full disk gives) after budget_bytes in all."""
    import errno
    import io
    import os

    real_open = io.open

    def fill(folder: Path, budget: int, failure: BaseException | None = None) -> None:
        failure = failure or OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        left = [budget]

        def open_(file, mode="r", *args, **kwargs):
            fh = real_open(file, mode, *args, **kwargs)
            writing = any(c in mode for c in "wax+") and isinstance(file, (str, os.PathLike))
            return _FillingFile(fh, left, failure) if writing and Path(file).is_relative_to(folder) else fh

        monkeypatch.setattr(io, "open", open_)
        monkeypatch.setattr("builtins.open", open_)

    return fill


def test_track_save_on_a_full_disk_leaves_no_part_file_nor_new_folder(tmp_path, bridge_track, filling_disk):
    track = PoseTrack.load(bridge_track)
    target = tmp_path / "new" / "deeper" / "t.npz"
    filling_disk(tmp_path, 1000)
    with pytest.raises(OSError, match="No space left on device") as raised:
        track.save(target)
    assert raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []  # no t.npz.part, and the folders made for it removed again


FULL_DISK_CASES = {
    # case: (bytes that fit, failure, exit code, words of the one line, files left in --out)
    "report.json does not fit": (100, None, 1, ["report.json: No space left on device"], []),
    "report.html does not fit": (20_000, None, 1, ["report.html: No space left on device"], ["report.json"]),
    "Ctrl-C while writing report.html": (20_000, KeyboardInterrupt(), 130, ["interrupted"], ["report.json"]),
    "everything fits": (10_000_000, None, 0, [], ["report.html", "report.json"]),
}


@pytest.mark.parametrize("case", list(FULL_DISK_CASES))
def test_analyze_outputs_on_a_full_disk_are_whole_or_absent(tmp_path, bridge_track, filling_disk, case):
    budget, failure, code, words, kept = FULL_DISK_CASES[case]
    out = tmp_path / "out"
    filling_disk(out, budget, failure)
    result = runner.invoke(app, ["analyze", str(bridge_track), "--out", str(out), "--no-video"])
    assert result.exit_code == code, result.output
    if code == 1:
        assert_one_line_error(result, str(out), *words)
    else:
        assert "Traceback" not in result.output and all(w in result.output for w in words)
    assert sorted(p.name for p in out.iterdir()) == kept
    for name in kept:
        if name.endswith(".json"):
            json.loads((out / name).read_text())  # whole


@pytest.fixture
def small_disk(tmp_path):
    """A 200 KiB tmpfs at tmp_path/disk (root only; skips otherwise), unmounted after the test."""
    import os
    import subprocess

    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def _fill(disk: Path, leave: int) -> None:
    """Fill the tmpfs up to `leave` bytes free."""
    import os

    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def _run(*args: str):
    import subprocess
    import sys

    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)


def test_track_save_on_a_real_full_disk_says_one_thing(small_disk, bridge_track):
    _fill(small_disk, 20_000)  # the track is ~100 kB
    done = _run("-c", f"from formcheck.track import PoseTrack; PoseTrack.load({str(bridge_track)!r})"
                      f".save({str(small_disk / 'sub' / 't.npz')!r})")
    assert done.returncode == 1
    assert "Exception ignored" not in done.stderr and "seek of closed file" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("OSError: [Errno 28] No space left on device")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_analyze_on_a_real_full_disk_one_line_and_no_part_files(small_disk, bridge_track):
    _fill(small_disk, 40_000)  # report.json fits, report.html (~150 kB) does not
    out = small_disk / "out"
    done = _run("-m", "formcheck.cli", "analyze", str(bridge_track), "--out", str(out), "--no-video")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"error: {out / 'report.html'}: No space left on device"
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_annotated_video_on_a_real_full_disk_leaves_no_part_file(small_disk, bridge_track):
    from conftest import SAMPLE_VIDEOS
    from formcheck.analysis import analyze_track
    from formcheck.report.outputs import write_outputs

    analysis = analyze_track(PoseTrack.load(bridge_track))
    _fill(small_disk, 60_000)  # report.json fits, the annotated video (~300 kB) does not
    out = small_disk / "out"
    with pytest.raises(OSError, match="No space left on device"):
        write_outputs(analysis, out, video_path=SAMPLE_VIDEOS / "bridge_side_back_butt.mp4", make_video=True)
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


# ---- 4. synth stopped by Ctrl-C or SIGTERM -----------------------------------------------------------------------------

@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["synth", "analyze"])
def test_command_stopped_by_a_signal_leaves_no_partial_file_nor_new_folder(tmp_path, command, signum):
    """synth stopped while rendering, analyze stopped in its pose pass: exit 130 (Ctrl-C) or 143 (SIGTERM), the word
    "interrupted", and nothing left: no partial file, and the folders made for the output removed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    repo = Path(__file__).resolve().parents[1]
    if command == "synth":
        out = tmp_path / "new" / "deeper" / "clip.mp4"
        started = out.with_name(out.name + ".part.mp4")  # frames are going into the partial file
        argv = ["synth", "squat", "-o", str(out), "--seconds", "60"]
    else:
        clip = repo / "sample_videos" / "walk_front_good.mp4"
        out = tmp_path / "new" / "report"
        started = out  # the output folder is checked (made) just before the pose pass starts
        argv = ["analyze", str(clip), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(repo / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck.cli", *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell may ignore SIGINT
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the rendering or the pose pass
        proc.send_signal(getattr(signal, signum))
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == (130 if signum == "SIGINT" else 143), stderr
    assert stderr.strip().endswith("interrupted") and "Traceback" not in stderr, stderr
    assert list(tmp_path.iterdir()) == []  # no partial file, no truth, and the folders made for it gone


@pytest.mark.parametrize("error", ["disk full", "Ctrl-C"])
def test_synth_generate_stopped_while_writing_the_truth_leaves_neither_file(tmp_path, monkeypatch, filling_disk, error):
    """The clip and its truth appear together: a failure writing the truth (after the video) leaves neither."""
    from formcheck.synth import generate

    out = tmp_path / "clips" / "b.mp4"
    filling_disk(tmp_path, 0, None if error == "disk full" else KeyboardInterrupt())  # Python writes: the truth only
    with pytest.raises(OSError if error == "disk full" else KeyboardInterrupt):
        generate("bridge", {}, "side", 1.0, 0, out, width=128, height=96)
    assert list(tmp_path.iterdir()) == []


# ---- 5. synth --seconds and empty --out / --output ---------------------------------------------------------------------

BAD_OPTIONS = {
    # case: (command line after `formcheck`, words of the one line)
    "synth --seconds nan": (["synth", "squat", "-o", "{tmp}/s.mp4", "--seconds", "nan"],
                            ["--seconds", "'nan' is not a number of seconds from 1 to 120"]),
    "synth --seconds inf": (["synth", "squat", "-o", "{tmp}/s.mp4", "--seconds", "inf"], ["'inf' is not a number"]),
    "synth --seconds a word": (["synth", "squat", "-o", "{tmp}/s.mp4", "--seconds", "ten"], ["'ten' is not a number"]),
    "synth --seconds too short": (["synth", "squat", "-o", "{tmp}/s.mp4", "--seconds", "0.5"], ["from 1 to 120"]),
    "synth --seconds too long": (["synth", "squat", "-o", "{tmp}/s.mp4", "--seconds", "121"], ["from 1 to 120"]),
    "synth -o empty": (["synth", "squat", "-o", ""], ["'--output' / '-o': is empty"]),
    "synth -o blank": (["synth", "squat", "-o", "  "], ["'--output' / '-o': is empty"]),
    "analyze --out empty": (["analyze", "{track}", "--out", ""], ["'--out': is empty"]),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_option_values_one_line(tmp_path, bridge_track, monkeypatch, case):
    args, words = BAD_OPTIONS[case]
    monkeypatch.chdir(tmp_path)  # an empty --out must not write into the current folder
    result = runner.invoke(app, [a.format(tmp=tmp_path, track=bridge_track) for a in args])
    assert_one_line_error(result, *words)
    assert list(tmp_path.iterdir()) == []


def test_synth_seconds_in_range_still_accepted(tmp_path):
    from formcheck.cli import _clip_seconds

    assert [_clip_seconds(s) for s in ("1", "8", "120", "2.5")] == [1.0, 8.0, 120.0, 2.5]


# ---- 7. low frame rates -------------------------------------------------------------------------------------------------

def _every(track: PoseTrack, step: int) -> PoseTrack:
    """Every step-th frame, with the fps to match (a clip filmed at fps / step)."""
    from dataclasses import replace

    return replace(track[::step], fps=track.fps / step)


LOW_FRAME_RATES = {
    # case: (raw track, the cutoff clean() should use in Hz)
    "30 fps: 6 Hz as before": (lambda: exact_track("bridge", {"back_butt": 30}, "side", 8.0, noise=True), 6.0),
    "15 fps: 6 Hz still": (lambda: _every(exact_track("bridge", {"back_butt": 30}, "side", 8.0, noise=True), 2), 6.0),
    "12 fps rendered": (lambda: exact_track("bridge", {"back_butt": 30}, "side", 8.0, noise=True, fps=12.0), 4.8),
    "10 fps: every third frame of 30": (
        lambda: _every(exact_track("bridge", {"back_butt": 30}, "side", 8.0, noise=True), 3), 4.0),
}


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("case", list(LOW_FRAME_RATES))
def test_low_frame_rate_tracks_clean_and_analyse(case):
    from formcheck.analysis import analyze_track
    from formcheck.clean import clean

    make, cutoff = LOW_FRAME_RATES[case]
    cleaned = clean(make())
    butterworth = cleaned.meta["cleaning"][-1]
    assert butterworth["step"] == "butterworth"
    assert butterworth["params"]["cutoff_hz"] == pytest.approx(cutoff)
    if cutoff < 6.0:
        assert butterworth["requested_cutoff_hz"] == 6.0 and "Nyquist" in butterworth["cutoff_lowered_because"]
    else:
        assert "requested_cutoff_hz" not in butterworth
    report = analyze_track(cleaned).report
    assert (report.exercise, report.view, len(report.reps)) == ("bridge", "side", 2)
    assert [(f.rule, f.severity) for f in report.findings] == [("lumbar_arch", "fault")] * 2


@pytest.mark.parametrize("fps", [7.5, 5.0, 1.0])
def test_too_low_a_frame_rate_is_refused_in_one_line(tmp_path, fps):
    raw = exact_track("squat", {}, "front", 10.0, fps=fps)
    path = raw.save(tmp_path / "slow.npz")  # not cleaned: analyze cleans it
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "out")])
    assert_one_line_error(result, f"{fps:g} frames a second is too few", "at least 8")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_real_10_fps_clip_analyses(tmp_path):
    from conftest import shared_video

    video = shared_video("squat/vishalpatill_prisoner_squat_front_possible_valgus.mp4")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(video), "--out", str(out), "--json", "--no-video", "--exercise", "squat"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the exercise given: detection may call a 10 fps squat unsure, not the point here
    assert report["fps"] == pytest.approx(10.0) and report["view"] == "front" and len(report["reps"]) >= 2
    butterworth = PoseTrack.load(out / "track.npz").meta["cleaning"][-1]
    assert butterworth["params"]["cutoff_hz"] == pytest.approx(4.0) and butterworth["requested_cutoff_hz"] == 6.0


# ---- formcheck.interrupts itself ---------------------------------------------------------------------------------------

def test_partial_files_removes_partials_and_only_empty_new_folders(tmp_path):
    import os
    import signal

    from formcheck.interrupts import Terminated, missing_folders, partial_files

    target = tmp_path / "a" / "b" / "clip.mp4"
    created = missing_folders(target.parent)
    assert created == [tmp_path / "a" / "b", tmp_path / "a"]
    part = target.with_name("clip.part.mp4")
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):  # SIGTERM inside the block: an exception, so the clean-up runs
        with partial_files(part, folders=created, target=target):
            target.parent.mkdir(parents=True)
            part.write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGTERM)
    assert list(tmp_path.iterdir()) == [] and signal.getsignal(signal.SIGTERM) is before
    assert issubclass(Terminated, KeyboardInterrupt)

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_text("a file of the user's")
    created = missing_folders(target.parent)
    with pytest.raises(OSError) as raised:
        with partial_files(part, folders=created, target=target):
            target.parent.mkdir(parents=True)
            part.write_bytes(b"half")
            raise OSError(28, "No space left on device")
    assert raised.value.filename == str(target)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["mine.txt"]  # b removed, a and its file kept

    with partial_files(part, folders=missing_folders(target.parent)):  # finished: nothing removed
        target.parent.mkdir(parents=True)
        part.write_bytes(b"whole")
        part.replace(target)
    assert target.read_bytes() == b"whole"


# ---- progress without a terminal --------------------------------------------------------------------------------------

def test_progress_without_a_terminal_is_plain_lines(capsys):
    """stderr not a terminal (a log file, a pipe): one plain line per tenth of the frames, no bar characters."""
    from formcheck import cli

    assert not cli.err.is_terminal  # pytest captures stderr
    with cli._frame_progress("clip.mp4") as advance:
        for done in range(1, 201):
            advance(done, 200)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 11, lines  # the first frame, then each tenth
    assert lines[0].startswith("pose clip.mp4: 1/200 frames (0%)")
    assert lines[1].startswith("pose clip.mp4: 20/200 frames (10%)")
    assert lines[-1].startswith("pose clip.mp4: 200/200 frames (100%)")
    assert not any(ch in "".join(lines) for ch in "━…\r\x1b")
    with cli._frame_progress("live.mp4") as advance:  # a stream: no frame count
        for done in range(1, 50):
            advance(done, 0)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("pose live.mp4: 1 frames")


# ---- verdicts from completed reps only -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exact_bridges() -> PoseTrack:
    """8 s of exact synthetic bridges: reps at 0.87-3.33 s and 4.57-7.03 s, tops at 2.1 s and 5.8 s."""
    return exact_track("bridge", {}, view="side", seconds=8.0)


@pytest.mark.parametrize("end_s, reps, cut_off", [
    (1.5, 0, True),   # ends mid-lift of the first rep: nothing judged, "ends mid-rep" said
    (0.8, 0, False),  # 0.8 s lying flat, --exercise bridge: no lift, nothing judged
    (5.2, 1, True),   # one whole rep, then the second cut off: the first judged, the second only mentioned
    (8.0, 2, False),  # both whole
])
def test_verdicts_come_from_completed_reps_only(exact_bridges, end_s, reps, cut_off):
    from formcheck.analysis import analyze_track

    part = exact_bridges[exact_bridges.timestamps_s < end_s]
    report = analyze_track(part, exercise="bridge").report
    assert len(report.reps) == reps
    form = [f for f in report.findings if f.rule != "hold_timer"]
    assert form == []  # a correct bridge: nothing from a cut-off or absent lift either
    not_judged = {n.rule for n in report.not_judged}
    if reps == 0:
        assert {"hip_lockout", "lumbar_arch"} <= not_judged and not report.judged
        assert "no completed rep or hold" in report.summary
    else:
        assert {"hip_lockout", "lumbar_arch"} <= set(report.judged)
    assert any("ends mid-rep" in note for note in report.notes) == cut_off
    assert ("ends mid-rep" in report.summary) == cut_off


# ---- values no body can produce ---------------------------------------------------------------------------------------

def test_a_value_no_body_can_produce_is_not_a_finding(tmp_path):
    """Past its measure's [plausible] limit a value is named as the wrong exercise or view (or a broken track), not
    reported as a fault: a walk with a real pelvic drop, judged against a limit set below it."""
    from formcheck.analysis import analyze_track, implausible
    from formcheck.rules.thresholds import Thresholds

    walk = exact_track("walk", {"pelvic_drop": 8}, view="front", seconds=8.0)  # reads 10.6-11.2 deg
    th = Thresholds.load()
    report = analyze_track(walk, exercise="walk", view="front", thresholds=th).report
    drops = [f for f in report.findings if f.unit == "deg pelvic drop"]
    assert drops and max(f.value for f in drops) < th["plausible", "pelvic_drop_max_deg"]  # plausible: a finding
    strict = tmp_path / "strict.toml"
    strict.write_text("[plausible]\npelvic_drop_max_deg = 5.0\n")  # now the same value is past what a body can do
    report = analyze_track(walk, exercise="walk", view="front", thresholds=Thresholds.load(strict)).report
    assert not [f for f in report.findings if f.rule == "hip_sway"] and "hip_sway" not in report.judged
    (reason,) = [n.reason for n in report.not_judged if n.rule == "hip_sway"]
    assert "no body can produce" in reason and "walk, as given" in reason and "front, as given" in reason
    assert "Fault" not in report.summary and "no body can produce" in report.summary
    assert "at most 5°" in reason

    def finding(value, unit):
        from formcheck.results import Finding
        return Finding(rule="r", severity="fault", side=None, start_s=0, end_s=1, value=value, threshold=1, unit=unit,
                       cue="")
    assert implausible([finding(29.0, "deg pelvic drop")], th) == {}
    assert implausible([finding(402.0, "deg pelvic drop"), finding(31.0, "deg pelvic drop")], th)["r"][0].value == 402
    assert implausible([finding(402.0, "hip widths side to side per stride")], th) == {}  # no limit for that measure


# ---- a picture the wrong way up -------------------------------------------------------------------------------------

def turned(track: PoseTrack, clockwise_deg: int) -> PoseTrack:
    """The track as a video turned clockwise_deg (90, 180, 270) would give it: landmarks moved, frame size swapped."""
    from dataclasses import replace

    w, h = track.frame_width, track.frame_height
    x, y = track.landmarks[..., 0] * w, track.landmarks[..., 1] * h
    for _ in range(clockwise_deg // 90):  # one clockwise quarter turn: (x, y) in w x h -> (h - y, x) in h x w
        x, y, w, h = h - y, x, h, w
    landmarks = track.landmarks.copy()
    landmarks[..., 0], landmarks[..., 1] = x / w, y / h
    return replace(track, landmarks=landmarks, frame_width=w, frame_height=h)


@pytest.mark.parametrize("motion, view, exercise", [
    ("squat", "front", "auto"), ("squat", "front", "squat"), ("walk", "front", "walk"),
    ("bridge", "side", "auto"), ("bridge", "side", "bridge"), ("hip_thrust", "side", "hip_thrust"),
    # a side-on squat turned a quarter lies along the frame with its knees bent: detection takes it for a hip thrust,
    # and its shins, pointing across the picture, give the turn (orientation.shins_up)
    ("squat", "side", "auto"),
])
@pytest.mark.parametrize("clockwise_deg, fix", [(0, None), (90, 270), (180, 180), (270, 90)])
def test_a_person_the_wrong_way_up_gets_the_turn_that_fixes_it(motion, view, exercise, clockwise_deg, fix):
    """Upside down, or a standing person lying along the frame (a bridge standing along it): nothing judged, and the
    --rotate that turns it upright named; upright clips are judged as before."""
    from formcheck.analysis import analyze_track

    track = turned(exact_track(motion, {}, view=view, seconds=6.0, noise=True), clockwise_deg)
    report = analyze_track(track, exercise=exercise).report
    if fix is None:
        assert "--rotate" not in " ".join(report.notes) and "orientation_suggested_rotate_deg" not in report.metrics
        return
    (note,) = report.notes
    sideways = ("lying along the frame, head to the" if "ankles to the shoulders" in note else
                "turned on its side (the person's up points to its")  # the body line names the head; else only up
    assert f"--rotate {fix}." in note and ("upside down" if clockwise_deg == 180 else sideways) in note
    assert report.findings == [] and report.judged == [] and note in report.summary
    assert report.metrics["orientation_suggested_rotate_deg"] == fix
    upright = turned(track, fix)
    assert "--rotate" not in " ".join(analyze_track(upright, exercise=exercise).report.notes)


def test_a_person_along_the_frame_in_no_judged_exercise_hears_both_readings():
    """A front-on walk turned a quarter is not recognised as any exercise: the report names the --rotate and also says
    what holds if the person really lies down (a prone stretch read as turned got only the --rotate before)."""
    from formcheck.analysis import analyze_track

    report = analyze_track(turned(exact_track("walk", {}, view="front", seconds=6.0, noise=True), 90)).report
    assert report.exercise == "unknown" and "--rotate 270." in report.summary
    assert "If the person does lie down, nothing is judged either:" in report.summary
    assert report.notes == [report.summary.split(" If the person does lie down")[0]]


def test_a_turned_clips_header_says_its_detected_exercise_was_not_judged(tmp_path):
    """A side-on squat turned a quarter is detected as a hip thrust; the terminal and HTML headers name that guess
    only with 'not judged: the picture looks turned', so nobody reads it as a hip thrust judged."""
    from rich.console import Console

    from formcheck.analysis import analyze_track
    from formcheck.report.html import render_html
    from formcheck.report.terminal import print_summary

    analysis = analyze_track(turned(exact_track("squat", {}, view="side", seconds=6.0, noise=True), 90))
    assert analysis.report.turned and analysis.report.exercise == "hip_thrust"
    console = Console(record=True, width=200, color_system=None)
    print_summary(analysis.report, console)
    assert "Hip thrust (auto-detected, not judged: the picture looks turned)" in console.export_text()
    assert "(detected), not judged: the picture looks turned" in render_html(analysis)


def test_the_shins_give_the_turn_with_one_leg_unseen_and_unseen_ankles_do_not_count():
    """A side-on squat turned a quarter clockwise: its shins point across the picture, so --rotate 270, also with one
    ankle missing from the track; ankles the pose model rates unseen (say, below the picture) are not taken as
    pointing anywhere, so they turn nothing."""
    from dataclasses import replace

    from formcheck.orientation import check_orientation
    from formcheck.track import landmark_index

    track = turned(exact_track("squat", {}, view="side", seconds=6.0, noise=True), 90)
    assert check_orientation(track, "hip_thrust", "side").rotate_deg == 270
    one_leg = track.landmarks.copy()
    one_leg[:, landmark_index("right_ankle"), :] = np.nan
    found = check_orientation(replace(track, landmarks=one_leg), "hip_thrust", "side")
    assert found is not None and found.rotate_deg == 270 and found.cue == "the way the shins point"
    unseen = track.landmarks.copy()
    for side in ("left", "right"):
        unseen[:, landmark_index(f"{side}_ankle"), 3] = 0.1
    found = check_orientation(replace(track, landmarks=unseen), "hip_thrust", "side")
    assert found is None or found.cue != "the way the shins point"


@pytest.mark.slow
def test_a_turned_sample_video_gets_the_hint_and_rotate_fixes_it(tmp_path):
    """A sample clip written turned a quarter (its rotation tag lost) or half turn: the report names the --rotate that
    fixes it; analysed with that --rotate it reads as the upright clip does."""
    from conftest import SAMPLE_VIDEOS

    from formcheck.video import VideoReader, write_h264

    with VideoReader(SAMPLE_VIDEOS / "squat_front_knee_valgus.mp4") as video:
        fps, frames = video.info.fps, [frame.rgb for frame in video]
    upright = runner.invoke(app, ["analyze", str(SAMPLE_VIDEOS / "squat_front_knee_valgus.mp4"), "--out",
                                  str(tmp_path / "upright"), "--json", "--no-video"])
    expected = json.loads(upright.stdout)
    for quarter_turns, fix in ((1, 90), (2, 180)):  # np.rot90 turns counter-clockwise
        clip = write_h264(tmp_path / f"turned{quarter_turns}.mp4",
                          (np.ascontiguousarray(np.rot90(f, quarter_turns)) for f in frames), fps)
        hinted = runner.invoke(app, ["analyze", str(clip), "--out", str(tmp_path / f"a{fix}"), "--json"])
        assert hinted.exit_code == 0, hinted.output
        report = json.loads(hinted.stdout)
        assert report["findings"] == [] and f"--rotate {fix}." in report["notes"][0]
        fixed = runner.invoke(app, ["analyze", str(clip), "--rotate", str(fix), "--out", str(tmp_path / f"b{fix}"),
                                    "--json"])
        report = json.loads(fixed.stdout)
        assert report["notes"] == [] and (report["exercise"], report["view"]) == ("squat", "front")
        assert len(report["reps"]) == len(expected["reps"])
        assert {f["rule"] for f in report["findings"]} == {f["rule"] for f in expected["findings"]} == {"knee_valgus"}
        assert (tmp_path / f"b{fix}" / "annotated.mp4").is_file()
        with VideoReader(tmp_path / f"b{fix}" / "annotated.mp4") as video:  # drawn on the turned frames
            assert video.info.width > video.info.height


def test_rotate_is_a_quarter_turn_and_only_for_videos(tmp_path, tiny_video):
    assert_one_line_error(runner.invoke(app, ["analyze", str(tiny_video), "--rotate", "45"]), "--rotate", "0, 90")
    track = exact_track("squat", {}, view="front", seconds=2.0).save(tmp_path / "t.npz")
    assert_one_line_error(runner.invoke(app, ["analyze", str(track), "--rotate", "90", "--out", str(tmp_path / "o")]),
                          "--rotate 90", "pose track")
    assert not (tmp_path / "o").exists()


def test_a_value_no_body_can_produce_is_not_a_finding_per_rep_either(tmp_path):
    """The per-rep judgement of live mode (streaming.judge_phase) applies the same [plausible] limits as the offline
    analysis: the walk above, its strides judged with the limit set below its drop, gets no hip_sway finding."""
    from formcheck.phases import find_strides
    from formcheck.rules.thresholds import Thresholds
    from formcheck.streaming import judge_phase

    walk = exact_track("walk", {"pelvic_drop": 8}, view="front", seconds=8.0)
    gait = find_strides(walk)
    findings, _ = judge_phase(walk, "walk", "front", Thresholds.load(), gait=gait)
    assert [f for f in findings if f.unit == "deg pelvic drop"]
    strict = tmp_path / "strict.toml"
    strict.write_text("[plausible]\npelvic_drop_max_deg = 5.0\n")
    findings, not_judged = judge_phase(walk, "walk", "front", Thresholds.load(strict), gait=gait)
    assert not [f for f in findings if f.rule == "hip_sway"]
    assert any(n.rule == "hip_sway" and "no body can produce" in n.reason for n in not_judged)

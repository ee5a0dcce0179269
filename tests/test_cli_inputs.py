"""Odd inputs a user can give the command line: each gets one clear line and exit code 1, never a traceback, and
nothing already there is lost."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import shared_video, write_test_video
from formcheck.cli import app

runner = CliRunner()


def one_line_error(result, *words: str) -> None:
    """Exit 1, one line of output naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output
    assert result.output.startswith("error: "), result.output
    for word in words:
        assert word in result.output, result.output


def last_line_error(result, *words: str) -> None:
    """Exit 1 after printed tables (eval), the error on the last line, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("error: "), result.output
    for word in words:
        assert word in last, result.output


# ---------------------------------------------------------------------------------------------------------------
# inputs that are not videos

def cut_short_mp4(tmp_path: Path) -> Path:
    """The first 30% of an mp4 whose index ('moov') is at the end, as phones and PyAV write it."""
    full = write_test_video(tmp_path / "full.mp4", frames=30)
    data = full.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")  # the premise: the index comes last
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    return cut


def still_image(tmp_path: Path, suffix: str) -> Path:
    import cv2

    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (0, 128, 255)
    path = tmp_path / f"photo{suffix}"
    assert cv2.imwrite(str(path), img)
    return path


def audio_only(tmp_path: Path) -> Path:
    """Two seconds of a 440 Hz sine as AAC in an .m4a."""
    import av

    path = tmp_path / "sine.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        t = np.arange(2 * 44100) / 44100
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


NOT_VIDEOS = {
    "cut-short mp4": (cut_short_mp4, "incomplete MP4: the file is cut short"),
    "png": (lambda p: still_image(p, ".png"), "is a still image (PNG), not a video"),
    "jpg": (lambda p: still_image(p, ".jpg"), "is a still image (JPEG), not a video"),
    "png renamed .mp4": (lambda p: still_image(p, ".png").rename(p / "photo.mp4"), "is a still image (PNG)"),
    "audio only": (audio_only, "contains no video stream (it has only audio)"),
}


@pytest.mark.parametrize("command", ["extract", "analyze"])
@pytest.mark.parametrize("case", list(NOT_VIDEOS))
def test_not_a_video_one_line(tmp_path, command, case):
    make, message = NOT_VIDEOS[case]
    path = make(tmp_path)
    out = ["-o", str(tmp_path / "t.npz")] if command == "extract" else ["--out", str(tmp_path / "report")]
    result = runner.invoke(app, [command, str(path), *out])
    one_line_error(result, str(path), message)
    assert not (tmp_path / "report").exists() and not (tmp_path / "t.npz").exists()


def test_ffmpeg_errors_without_errno_noise(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("definitely not a video\n" * 40)
    result = runner.invoke(app, ["extract", str(text), "-o", str(tmp_path / "t.npz")])
    one_line_error(result, "not a readable video (Invalid data found when processing input)")
    assert "Errno" not in result.output and result.output.count(str(text)) == 1


def test_extract_given_a_pose_track_says_to_analyze_it(tmp_path):
    track = tmp_path / "track.npz"
    np.savez(track, a=np.arange(3))
    result = runner.invoke(app, ["extract", str(track), "-o", str(tmp_path / "t.npz")])
    one_line_error(result, "is a pose track (.npz), not a video", "formcheck analyze")


@pytest.mark.parametrize("content", [b"", b"hello, not a track\n"], ids=["empty", "text"])
def test_npz_that_is_not_an_archive(tmp_path, content):
    path = tmp_path / "track.npz"
    path.write_bytes(content)
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    one_line_error(result, "not a formcheck pose track (not an .npz archive")
    assert "pickle" not in result.output


def test_cut_short_real_clip(tmp_path):
    # the kaiakol clips keep their index at the end, like most phone recordings
    clip = shared_video("squat/squat_front_correct_bodyweight_kaiakol_015.mp4")
    data = clip.read_bytes()
    cut = tmp_path / "squat cut é.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])
    result = runner.invoke(app, ["analyze", str(cut), "--out", str(tmp_path / "o")])
    one_line_error(result, str(cut), "incomplete MP4")


# ---------------------------------------------------------------------------------------------------------------
# too short to judge

def test_analyze_one_frame_video_says_too_short_and_leaves_no_folder(tmp_path):
    video = write_test_video(tmp_path / "one.mp4", frames=1)
    out = tmp_path / "new" / "report"
    result = runner.invoke(app, ["analyze", str(video), "--out", str(out)])
    assert result.exit_code == 1, result.output
    last = result.output.strip().splitlines()[-1]  # after the progress bar
    assert last.startswith("error: ") and "only 1 frame, too short to judge" in last, result.output
    assert "No person was found" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "new").exists()  # the folders made for the report are removed again


def test_analyze_two_frame_track_says_too_short(tmp_path):
    from formcheck.synth import exact_track

    path = exact_track("bridge", {}, view="side", seconds=6.0)[:2].save(tmp_path / "two.npz")
    result = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    one_line_error(result, "only 2 frames, too short to judge")


# ---------------------------------------------------------------------------------------------------------------
# output places

@pytest.fixture
def track_file(tmp_path):
    from formcheck.synth import exact_track

    return exact_track("bridge", {}, view="side", seconds=4.0, noise=True).save(tmp_path / "bridge.npz")


def test_analyze_unwritable_out_fails_before_pose_extraction(tmp_path, tiny_video, monkeypatch):
    import formcheck.pipeline

    def no_extraction(*args, **kwargs):
        raise AssertionError("the pose model ran before --out was checked")

    monkeypatch.setattr(formcheck.pipeline, "track_video", no_extraction)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = runner.invoke(app, ["analyze", str(tiny_video), "--out", str(blocker / "report")])
    one_line_error(result, "--out", "cannot write there", "is not a folder")
    assert blocker.read_text() == "mine"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_analyze_out_in_proc(track_file):
    result = runner.invoke(app, ["analyze", str(track_file), "--out", "/proc/formcheck-test/x"])
    one_line_error(result, "--out /proc/formcheck-test/x: cannot write there")


def test_analyze_keeps_other_files_in_an_existing_out_folder(tmp_path, track_file):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["analyze", str(track_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text() == "keep me"
    assert (out / "report.json").is_file()


def test_extract_unwritable_output_fails_before_pose_extraction(tmp_path, tiny_video, monkeypatch):
    import formcheck.pipeline

    monkeypatch.setattr(formcheck.pipeline, "track_video", lambda *a, **k: pytest.fail("pose ran first"))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = runner.invoke(app, ["extract", str(tiny_video), "-o", str(blocker / "t.npz")])
    one_line_error(result, "--output", "is not a folder")


def test_paths_with_brackets_are_printed_as_they_are(tmp_path):
    # rich markup would swallow "[bob]" and show "x/.npz"
    path = tmp_path / "[bob] set.npz"
    result = runner.invoke(app, ["analyze", str(path)])
    one_line_error(result, f"{path}: no such file")


# ---------------------------------------------------------------------------------------------------------------
# thresholds files

TOML_CASES = {
    "nan": ("[knee_valgus]\nfppa_fault_deg = nan\n", "knee_valgus.fppa_fault_deg must be a finite number"),
    "inf": ("[knee_valgus]\nfppa_fault_deg = inf\n", "must be a finite number"),
    "negative": ("[knee_valgus]\nfppa_fault_deg = -5\n", "knee_valgus.fppa_fault_deg cannot be negative"),
    "string": ("[knee_valgus]\nfppa_fault_deg = 'ten'\n", "must be a number (deg), got 'ten'"),
    "unknown section": ("[nosuchrule]\nx = 1\n", "unknown rule table '[nosuchrule]'"),
    "unknown key": ("[knee_valgus]\nnosuchkey = 1\n", "unknown threshold knee_valgus.nosuchkey"),
    "key outside a table": ("fppa_fault_deg = 5\n", "'fppa_fault_deg = ...' is outside any rule table"),
    "rule not a table": ("knee_valgus = [1, 2]\n", "knee_valgus must be a table"),
    "malformed": ("[knee_valgus\nfoo = 1", "not valid TOML"),
}


@pytest.mark.parametrize("case", list(TOML_CASES))
def test_thresholds_file_problems_one_line(tmp_path, case):
    text, message = TOML_CASES[case]
    toml = tmp_path / "mine.toml"
    toml.write_text(text)
    result = runner.invoke(app, ["analyze", str(tmp_path / "x.npz"), "--thresholds", str(toml)])
    one_line_error(result, str(toml), message)


def test_thresholds_directory(tmp_path):
    result = runner.invoke(app, ["analyze", str(tmp_path / "x.npz"), "--thresholds", str(tmp_path)])
    one_line_error(result, "is a directory; give a thresholds .toml file")


def test_thresholds_zero_and_override_source_still_accepted(tmp_path):
    from formcheck.rules.thresholds import Thresholds

    toml = tmp_path / "ok.toml"
    toml.write_text("[knee_valgus]\nfppa_warn_deg = 0\nfppa_fault_deg = { value = 20, source = 'my physio' }\n")
    th = Thresholds.load(toml)
    assert th["knee_valgus", "fppa_warn_deg"] == 0.0
    assert th.entry("knee_valgus", "fppa_fault_deg").source == "my physio"


# ---------------------------------------------------------------------------------------------------------------
# usage errors (typer): one line and exit 1 like the rest

@pytest.mark.parametrize(
    "args, message",
    [
        (["synth", "bridge", "-o", "x.mp4", "--seconds", "-3"], "Invalid value for '--seconds'"),
        (["extract", "x.mp4", "-o", "t.npz", "--max-people", "0"], "Invalid value for '--max-people'"),
        (["synth"], "Missing argument"),
        (["analyze", "x.npz", "--frobnicate"], "No such option: --frobnicate"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
    ids=["negative seconds", "max-people 0", "missing argument", "unknown option", "unknown command"],
)
def test_usage_errors_one_line_exit_1(args, message):
    result = runner.invoke(app, args)
    one_line_error(result, message, "--help")


def test_no_arguments_still_prints_help():
    result = runner.invoke(app, [])
    assert "Usage" in result.output and "analyze" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------------------------
# synth output places

def test_synth_output_is_a_folder(tmp_path):
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    result = runner.invoke(app, ["synth", "bridge", "-o", str(folder), "--seconds", "1"])
    one_line_error(result, "is a folder; give a file name ending in .mp4")
    assert list(folder.iterdir()) == []  # no half-written .part file beside or inside


def test_synth_output_under_a_file(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    result = runner.invoke(app, ["synth", "bridge", "-o", str(blocker / "clip.mp4"), "--seconds", "1"])
    one_line_error(result, "--output", "is not a folder")


def test_synth_bad_faults(tmp_path):
    out = str(tmp_path / "s.mp4")
    one_line_error(runner.invoke(app, ["synth", "bridge", "-o", out, "--fault", "back_butt"]), "expected NAME=VALUE")
    one_line_error(runner.invoke(app, ["synth", "bridge", "-o", out, "--fault", "back_butt=lots"]), "is not a number")
    one_line_error(runner.invoke(app, ["synth", "bridge", "-o", out, "--fault", "wobble=3"]), "unknown fault 'wobble'")
    one_line_error(runner.invoke(app, ["synth", "deadlift", "-o", out]), "unknown motion 'deadlift'")


# ---------------------------------------------------------------------------------------------------------------
# eval manifests

@pytest.fixture
def scored_folder(tmp_path):
    """A folder with one good pose track, good.npz."""
    from formcheck.synth import exact_track

    exact_track("bridge", {}, view="side", seconds=4.0, noise=True).save(tmp_path / "good.npz")
    return tmp_path


def manifest(folder: Path, *rows: str, header: str = "path,exercise,view,expected_faults") -> Path:
    path = folder / "manifest.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    "row, message",
    [
        ("good.npz,deadlift,side,none", "line 3: exercise 'deadlift': choose one of auto"),
        ("good.npz,bridge,top,none", "line 3: view 'top': choose one of auto"),
        ("good.npz,bridge,side,wobble", "line 3: unknown fault 'wobble'"),
        (",bridge,side,none", "line 3: empty path"),
    ],
)
def test_eval_bad_labels_are_found_before_any_clip_runs(scored_folder, row, message):
    path = manifest(scored_folder, "good.npz,bridge,side,none", row)
    one_line_error(runner.invoke(app, ["eval", str(path)]), str(path), message)


def test_eval_bad_magnitude(scored_folder):
    path = manifest(scored_folder, "good.npz,bridge,side,none,big", header="path,exercise,view,expected_faults,magnitude")
    one_line_error(runner.invoke(app, ["eval", str(path)]), "line 2: magnitude 'big' is not a number")


def test_eval_manifest_is_a_directory(tmp_path):
    one_line_error(runner.invoke(app, ["eval", str(tmp_path)]), "is a directory; give a manifest .csv file")


def test_eval_missing_clips_do_not_stop_the_others(scored_folder):
    path = manifest(scored_folder, "good.npz,bridge,side,none", "gone.mp4,bridge,side,none", "gone.npz,bridge,side,none")
    out = scored_folder / "eval.json"
    result = runner.invoke(app, ["eval", str(path), "--json-out", str(out)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "2 of the 3 clips could not be scored" in result.output
    clips = {c["path"]: c for c in json.loads(out.read_text())["clips"]}
    assert clips["good.npz"]["error"] is None
    assert "no such file" in clips["gone.mp4"]["error"] and "no such file" in clips["gone.npz"]["error"]


def test_eval_with_cache_and_a_missing_clip(scored_folder):
    path = manifest(scored_folder, "good.npz,bridge,side,none", "gone.mp4,bridge,side,none")
    result = runner.invoke(app, ["eval", str(path), "--cache", str(scored_folder / "cache")], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "gone.mp4: no such file" in result.output and "Errno" not in result.output


def test_eval_every_clip_failing_is_an_error(scored_folder):
    path = manifest(scored_folder, "gone.mp4,bridge,side,none")
    last_line_error(runner.invoke(app, ["eval", str(path)]), "none of the 1 clips could be scored")


def test_eval_broken_truth_file_names_it(scored_folder):
    (scored_folder / "good.truth.json").write_text('{"motion": ')
    path = manifest(scored_folder, "good.npz,bridge,side,none")
    result = runner.invoke(app, ["eval", str(path)], env={"COLUMNS": "250"})
    last_line_error(result, "none of the 1 clips could be scored")
    assert "good.truth.json: not valid JSON" in result.output

    (scored_folder / "good.truth.json").write_text('{"motion": "bridge"}')
    result = runner.invoke(app, ["eval", str(path)], env={"COLUMNS": "250"})
    last_line_error(result, "none of the 1 clips could be scored")
    assert "good.truth.json: not a formcheck synth truth file" in result.output


def test_eval_unwritable_cache_and_json_out_fail_first(scored_folder):
    path = manifest(scored_folder, "good.npz,bridge,side,none")
    blocker = scored_folder / "notes.txt"
    blocker.write_text("mine")
    one_line_error(runner.invoke(app, ["eval", str(path), "--cache", str(blocker)]), "--cache", "exists and is not a folder")
    one_line_error(runner.invoke(app, ["eval", str(path), "--json-out", str(scored_folder)]),
                   "--json-out", "is a folder; give a file name ending in .json")
    one_line_error(runner.invoke(app, ["eval", str(path), "--json-out", str(blocker / "e.json")]),
                   "--json-out", "is not a folder")

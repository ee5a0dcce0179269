"""Live mode: the newest-frame capture, cues and their rate limit, instant checks and the hold timer, the setup
check, speech off the loop, the overlay's legibility, one-line errors; whole sessions on a synthetic body through a
stand-in pose model (fast) and on the bundled clips through MediaPipe, headless and in a real window (slow)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_video

from formcheck.live.coach import (
    CUE_REPEAT_S,
    HOLD_COUNT_EVERY_S,
    SPOKEN,
    Cue,
    CueGate,
    InstantChecks,
    cues_from_event,
    key_angle,
)
from formcheck.results import Finding
from formcheck.rules.thresholds import Thresholds
from formcheck.sources import LatestFrame, real_time
from formcheck.video import Frame

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_videos"
PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


# ---- capture: only the newest frame --------------------------------------------------------------------------

def _frames(n: int, fps: float = 100.0, size=(8, 8)):
    for i in range(n):
        yield Frame(index=i, timestamp_s=i / fps, rgb=np.full(size + (3,), i % 255, np.uint8))


def test_latest_frame_gives_the_newest_and_drops_the_rest():
    """A reader 5x slower than the source gets ever newer frames, never a backlog; every frame is either taken or
    counted as dropped; None once the source has ended."""
    with LatestFrame(real_time(_frames(60, fps=100.0))) as latest:
        taken = []
        while (item := latest.get(timeout=2.0)) is not None:
            taken.append(item.frame.index)
            time.sleep(0.05)
    assert taken == sorted(taken) and len(set(taken)) == len(taken)
    assert latest.captured == 60
    assert latest.dropped + len(taken) == 60
    assert latest.dropped >= 30  # 0.6 s of frames read in ~0.05 s steps
    assert latest.ended and latest.error is None


def test_latest_frame_hands_on_the_source_error():
    def broken():
        yield from _frames(2)
        raise OSError("unplugged")

    with LatestFrame(broken()) as latest:
        while latest.get(timeout=2.0) is not None:
            pass
    assert isinstance(latest.error, OSError)


def test_real_time_plays_a_file_at_its_own_pace():
    """30 frames at 100 fps take ~0.29 s (at speed 2, half that), not the time it takes to read them."""
    for speed, expected in ((1.0, 0.29), (2.0, 0.145)):
        started = time.monotonic()
        assert len(list(real_time(_frames(30), speed=speed))) == 30
        # the lower bound is the pacing; the upper one only rules out a stall (a busy shared machine adds delay)
        assert expected - 0.02 <= time.monotonic() - started <= expected + 0.6


# ---- cues --------------------------------------------------------------------------------------------------------

def _cue(t: float, rule: str = "knee_valgus", source: str = "rep", side=None) -> Cue:
    return Cue(t, rule, SPOKEN.get(rule, rule), "fault", source, side)


@pytest.mark.parametrize("cues, passed", [
    ([_cue(0.0), _cue(1.0)], [True, False]),                                           # same rule within 3 s: once
    ([_cue(0.0), _cue(CUE_REPEAT_S + 0.01)], [True, True]),                            # after 3 s: again
    ([_cue(0.0, side="right"), _cue(0.7)], [True, False]),                             # the side does not matter
    ([_cue(0.0), _cue(0.5, "lumbar_arch")], [True, True]),                             # another rule passes
    ([_cue(0.0, "hip_sway", "stride"), _cue(5.0, "hip_sway", "stride")], [True, False]),  # running verdict: 10 s
    ([_cue(0.0, "hold_timer", "hold_timer"), _cue(0.1, "hold_timer", "hold_timer")], [True, True]),  # counts pass
])
def test_cue_gate(cues, passed):
    gate = CueGate()
    assert [gate.allow(c) for c in cues] == passed


def _finding(rule: str, severity: str, side=None, value=14.0) -> Finding:
    return Finding(rule, severity, side, 1.0, 2.0, value, 11.0, "deg", f"{rule} sentence", "", 1.5)


def test_cues_from_a_rep_name_the_rule_and_skip_notes():
    from formcheck.streaming import Event

    event = Event("rep_completed", 3.4, findings=(
        _finding("lumbar_arch", "warning", value=9.0), _finding("lumbar_arch", "fault"),
        _finding("hold_timer", "info"), _finding("knee_valgus", "warning", "left"),
    ))
    cues = cues_from_event(event)
    assert [(c.rule, c.severity, c.side, c.words) for c in cues] == [
        ("lumbar_arch", "fault", None, "Ribs down, squeeze your glutes"),
        ("knee_valgus", "warning", "left", "Knees out (left)"),
    ]
    line = cues[0].event()
    assert (line["t_s"], line["type"], line["rule"], line["words"], line["source"]) == (
        3.4, "cue", "lumbar_arch", "Ribs down, squeeze your glutes", "rep")
    assert line["detail"] == "lumbar_arch sentence" and line["value"] == 14.0


def _values(**overrides) -> dict:
    base = {"hip_rise": 0.0, "trunk_thigh_signed_near": 150.0, "fppa_left": 0.0, "fppa_right": 0.0,
            "knee_flexion_left": 40.0, "knee_flexion_right": 40.0, "knee_flexion_near": 40.0,
            "pelvic_obliquity": 0.0}
    return {**base, **overrides}


def test_instant_knee_check_needs_the_caving_to_last():
    """FPPA past 15 deg with the knee bent: a cue after 0.3 s, not before; a straight leg or a brief spike none."""
    th = Thresholds.load()
    checks = InstantChecks("squat", "front", th)
    fps = 30.0
    out = []
    for i in range(30):
        out += checks.push(i / fps, _values(fppa_right=20.0 if 5 <= i < 12 else 0.0))  # 0.23 s spike
    assert out == []
    for i in range(30, 60):
        out += checks.push(i / fps, _values(fppa_right=20.0))
    assert out and out[0].rule == "knee_valgus" and out[0].side == "right" and out[0].source == "instant"
    assert 30 / fps + 0.3 - 1e-9 <= out[0].t_s <= 30 / fps + 0.3 + 1.5 / fps
    straight = InstantChecks("squat", "front", th)
    assert sum((straight.push(i / fps, _values(fppa_left=25.0, knee_flexion_left=5.0)) for i in range(60)), []) == []
    side = InstantChecks("squat", "side", th)  # no knee check from the side
    assert sum((side.push(i / fps, _values(fppa_left=25.0)) for i in range(60)), []) == []


def test_hold_timer_counts_aloud_and_sagging_is_cued():
    """Hips up and straight: the hold counts from the moment it began, said every 10 s; hips sagging below
    straight while still up ends it with a hip_lockout cue."""
    th = Thresholds.load()
    checks = InstantChecks("bridge", "side", th)
    fps = 10.0
    cues = []
    for i in range(int(25 * fps)):
        cues += checks.push(i / fps, _values(hip_rise=0.4, trunk_thigh_signed_near=182.0))
    counts = [c for c in cues if c.source == "hold_timer"]
    assert [c.words for c in counts] == ["Hold: 10 seconds", "Hold: 20 seconds"]
    assert [round(c.t_s, 1) for c in counts] == [HOLD_COUNT_EVERY_S, 2 * HOLD_COUNT_EVERY_S]
    assert checks.hold_s == pytest.approx(24.9)
    sag = []
    for i in range(int(25 * fps), int(27 * fps)):
        sag += checks.push(i / fps, _values(hip_rise=0.3, trunk_thigh_signed_near=160.0))
    assert [(c.rule, c.source) for c in sag] == [("hip_lockout", "instant")]
    assert checks.hold_s == 0.0


def test_key_angle_per_exercise_and_view():
    th = Thresholds.load()
    hip = key_angle("bridge", "side", _values(trunk_thigh_signed_near=194.0), "left", th)
    assert (hip.rule, hip.points, hip.severity) == ("lumbar_arch", ("left_shoulder", "left_hip", "left_knee"), "fault")
    assert hip.limit == 180.0 + th["lumbar_arch", "past_straight_fault_deg"]
    knee = key_angle("squat", "front", _values(fppa_left=3.0, fppa_right=12.0), "left", th)
    assert (knee.label, knee.severity) == ("right knee FPPA", "warning")
    assert key_angle("walk", "front", _values(pelvic_obliquity=-9.0), "left", th).severity == "fault"
    assert key_angle("walk", "side", _values(), "left", th) is None


# ---- setup check -------------------------------------------------------------------------------------------------

def _setup(exercise: str, view: str, *, given_view: str = "auto", shift_y: float = 0.0, seconds: float = 3.0):
    from formcheck.live.setup import SetupCheck
    from formcheck.synth import exact_track

    track = exact_track(exercise, {}, view=view, seconds=seconds, noise=True)
    check = SetupCheck(exercise, given_view, frame_width=track.frame_width, frame_height=track.frame_height,
                       fps=track.fps, timeout_s=2.0)
    statuses = []
    for lm, world, t in zip(track.landmarks, track.world_landmarks, track.timestamps_s):
        lm = lm.copy()
        lm[:, 1] += shift_y
        status = check.push(lm, world, float(t))
        if status is not None:
            statuses.append(status)
    return statuses


@pytest.mark.parametrize("exercise, view, ready, words", [
    ("bridge", "side", True, "Ready: side view"),
    ("bridge", "front", False, "Turn the camera to your side so I can see your lower back"),
    ("squat", "side", False, "Face the camera so I can see your knees"),
    ("squat", "front", True, "Ready: front view"),
])
def test_setup_check_says_what_to_change_for_the_exercise(exercise, view, ready, words):
    first = _setup(exercise, view)[0]
    assert first.ready is ready and first.words.startswith(words)
    assert first.t_s == pytest.approx(1.0 - 1 / 30, abs=0.05)


@pytest.mark.parametrize("body", ["default", "heavy", "long_trunk", "short_legs"])
@pytest.mark.parametrize("view", ["side", "feet"])
def test_lying_still_with_the_shoulders_on_a_bench_is_a_hip_thrust(body, view):
    """The setup check's look at a person lying still (no lift to find the bottom by): shoulders resting raised above
    the floor line are a hip thrust, flat on the floor a bridge (views.lying_at_rest), on several bodies."""
    from formcheck.synth import exact_track
    from formcheck.views import detect_view, lying_at_rest

    for motion in ("bridge", "hip_thrust"):
        still = exact_track(motion, {}, view=view, seconds=3.0, noise=True, body=body)[:30]  # the first second
        assert lying_at_rest(still, detect_view(still)) == motion


def test_setup_check_sees_feet_out_of_the_picture_and_starts_after_the_timeout():
    statuses = _setup("squat", "front", shift_y=0.2)
    assert statuses[0].words == "Step back, your feet are out of the picture" and not statuses[0].started
    last = statuses[-1]
    assert last.started and not last.ready and last.words.startswith("Starting anyway")


def test_setup_check_at_timeout_names_what_cannot_be_judged():
    last = _setup("bridge", "front")[-1]
    assert last.started and last.not_judged == ("lumbar_arch", "hip_lockout")
    assert "I cannot judge lumbar_arch" in last.words


def test_setup_check_with_the_view_given_starts_and_says_what_it_loses():
    first = _setup("bridge", "feet", given_view="feet")[0]
    assert first.ready and first.started and first.view == "feet" and first.view_source == "user"
    assert first.not_judged == ("lumbar_arch", "hip_lockout")
    assert first.notes == ("from the feet view I cannot judge lumbar_arch, hip_lockout: turn the camera to your side so "
                           "I can see your lower back",)


# ---- speech ------------------------------------------------------------------------------------------------------

class _SlowEngine:
    name = "slow"

    def __init__(self, seconds: float = 0.3):
        self.seconds, self.lines = seconds, []

    def speak(self, text: str) -> None:
        time.sleep(self.seconds)
        self.lines.append(text)


def test_speaking_returns_at_once_and_drops_the_oldest_backlog():
    from formcheck.live.speech import MAX_WAITING, Speaker

    engine = _SlowEngine()
    with Speaker(engine) as speaker:
        started = time.monotonic()
        for i in range(6):
            speaker.say(f"line {i}")
        assert time.monotonic() - started < engine.seconds  # six lines queued in less than one takes to say
        speaker.wait_idle(5.0)
    assert engine.lines[-1] == "line 5" and len(engine.lines) <= 1 + MAX_WAITING
    assert speaker.dropped == 6 - len(engine.lines)


def test_no_speech_engine_is_said_once_and_a_failing_one_goes_silent(monkeypatch):
    from formcheck.live import speech

    notes = []
    monkeypatch.setattr(speech, "find_engine", lambda: (None, "espeak-ng is not installed"))
    quiet = speech.Speaker("auto", notes=notes.append)
    quiet.say("Knees out")
    quiet.close()
    assert notes == ["no speech engine (espeak-ng is not installed): cues are shown and written, not spoken"]

    class Broken:
        name = "broken"

        def speak(self, text):
            raise speech.SpeechError("no sound device")

    notes.clear()
    with speech.Speaker(Broken(), notes=notes.append) as speaker:
        speaker.say("a")
        speaker.wait_idle(2.0)
        speaker.say("b")
    assert len(notes) == 1 and "no sound device" in notes[0] and not speaker.enabled


needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                                  reason="espeak-ng and sox are not installed (CI installs them: .ci/run)")


@needs_espeak
def test_spoken_cue_renders_to_a_non_empty_wav(tmp_path):
    from formcheck.live.speech import render_wav

    path = render_wav(SPOKEN["lumbar_arch"], tmp_path / "cue.wav")
    duration = float(subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True,
                                    check=True).stdout)
    assert duration > 0.8
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    rms = float(next(line for line in stat.splitlines() if line.startswith("RMS     amplitude")).split()[-1])
    assert rms > 0.01  # sound, not silence


# ---- the overlay -------------------------------------------------------------------------------------------------

def _pose(width: int, height: int) -> np.ndarray:
    from formcheck.synth import exact_track

    track = exact_track("bridge", {"back_butt": 25}, view="side", seconds=2.5, width=width, height=height)
    return track.landmarks[60]


@pytest.mark.parametrize("width, height", [(640, 480), (1920, 1080)])
def test_overlay_text_is_large_enough_at_both_sizes(width, height):
    """The rep counter's letters are at least 2.5% of the frame height tall (12 px at 480, 27 at 1080), the hold
    time is under it, the cue is drawn, and the key angle's colour is the fault red past its limit."""
    from formcheck.live.coach import KeyAngle
    from formcheck.live.overlay import LiveOverlay, LiveState
    from formcheck.report.draw import SEVERITY_RGB

    blank = np.full((height, width, 3), 90, np.uint8)
    key = KeyAngle("hip", 194.0, "deg", 191.0, 188.0, "lumbar_arch", ("left_shoulder", "left_hip", "left_knee"))
    state = LiveState(landmarks=_pose(width, height), key=key, reps=3, hold_s=12.0,
                      cue=("fault", "Ribs down, squeeze your glutes"), fps=29.0, latency_ms=31.0, drop_rate=0.02)
    img = LiveOverlay().annotate(blank, state)
    corner = img[: height // 5, width * 3 // 4:]
    bright_rows = np.flatnonzero((corner.min(axis=2) > 200).any(axis=1))  # "REPS 3", white
    assert bright_rows.size and bright_rows[-1] - bright_rows[0] >= 0.025 * height
    green_rows = np.flatnonzero((np.abs(corner.astype(int) - (120, 230, 140)).sum(axis=2) < 30).any(axis=1))
    assert green_rows.size and green_rows[0] > bright_rows[-1]  # "HOLD 12 s" below it
    assert (np.abs(img.astype(int) - SEVERITY_RGB["fault"]).sum(axis=2) < 30).sum() > 50  # red: arc, label, FAULT
    bottom = img[-height // 6:]
    assert (bottom.min(axis=2) > 200).sum() > 100  # the cue's white text


# ---- whole sessions through a stand-in pose model (the synthetic body's exact projection) -------------------------

class _TrackEstimator:
    """Gives a PoseTrack's landmarks for each frame (by the frame's time), as PoseEstimator.detect does."""

    def __init__(self, track):
        from formcheck.pose import ModelInfo

        self.track = track
        self.model = ModelInfo(Path("exact"), "0" * 64, track.model_name)

    def detect(self, frame):
        i = int(np.argmin(np.abs(self.track.timestamps_s - frame.timestamp_s)))
        lm = self.track.landmarks[i]
        return None if not np.isfinite(lm[:, 0]).any() else (lm, self.track.world_landmarks[i])

    def close(self):
        pass


def _blank_video(path: Path, seconds: float, fps: int = 30, size=(160, 90)) -> Path:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        img = np.full((size[1], size[0], 3), 80, np.uint8)
        for _ in range(int(seconds * fps)):
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _synthetic_session(tmp_path, motion, faults, view, body="default", **options):
    from formcheck.analysis import analyze_track
    from formcheck.clean import clean
    from formcheck.live import LiveOptions, run_live
    from formcheck.synth import exact_track

    track = exact_track(motion, faults, view=view, seconds=8.0, noise=True, body=body)  # normalised: any 16:9 fits
    video = _blank_video(tmp_path / "camera.mp4", 8.0)
    opts = LiveOptions(camera=str(video), exercise=motion, view="auto", window=False, speak=False,
                       events_path=tmp_path / "events.jsonl", out_dir=tmp_path / "out", file_speed=3.0, **options)
    result = run_live(opts, estimator=_TrackEstimator(track))
    offline = analyze_track(clean(track), exercise=motion, view=view).report
    return result, offline


def _cue_times(events, rule):
    return [e["t_s"] for e in events if e["type"] == "cue" and e["rule"] == rule]


def _cued_reps(times, reps, *, lag_s: float = 2.0) -> list[bool]:
    """Per rep: a cue between its start and the next rep's start (the last: its end + lag_s)."""
    out = []
    for i, rep in enumerate(reps):
        stop = reps[i + 1].start_s if i + 1 < len(reps) else rep.end_s + lag_s
        out.append(any(rep.start_s <= t < stop for t in times))
    return out


def test_session_cues_lumbar_arch_at_each_faulty_rep_and_writes_everything(tmp_path):
    from formcheck.results import Report

    result, offline = _synthetic_session(tmp_path, "bridge", {"back_butt": 30}, "side")
    times = _cue_times(result.events, "lumbar_arch")
    assert len(offline.reps) == 2 and _cued_reps(times, offline.reps) == [True, True]
    assert len(times) == 2
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert lines == json.loads(json.dumps(result.events))
    types = [l["type"] for l in lines]
    assert types[0] == "setup" and types.index("start") < types.index("rep") and types[-1] == "end"
    assert sum(l["type"] == "rep" for l in lines) == 2
    assert all({"t_s", "type", "rule", "words"} <= set(l) for l in lines)
    report = Report.from_dict(json.loads((tmp_path / "out" / "report.json").read_text()))
    assert (report.exercise, report.view, len(report.reps)) == ("bridge", "side", 2)
    assert {f.rule for f in report.faults} == {"lumbar_arch"}
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "out" / "track.npz").is_file()
    assert result.stats.end_reason == "end of file"


def test_session_counts_the_heavy_bodys_short_lifts_and_cues_the_lockout(tmp_path):
    """Bridges stopping 26 deg short of straight on the heavy body rise under REP_MIN_RISE_TORSO: offline counts them
    by the hip's opening, and so does live mode, cueing hip_lockout at each."""
    result, offline = _synthetic_session(tmp_path, "bridge", {"incomplete_lockout": 30}, "side", body="heavy")
    assert len(offline.reps) == 2 and {f.rule for f in offline.faults} == {"hip_lockout"}
    assert sum(e["type"] == "rep" for e in result.events) == 2
    assert _cued_reps(_cue_times(result.events, "hip_lockout"), offline.reps) == [True, True]


def test_session_on_good_form_says_nothing(tmp_path):
    result, offline = _synthetic_session(tmp_path, "bridge", {}, "side")
    assert len(offline.reps) == 2 and not offline.faults
    assert [e for e in result.events if e["type"] == "cue"] == []
    assert sum(e["type"] == "rep" for e in result.events) == 2


def test_session_counts_a_long_hold_aloud(tmp_path):
    """A 12 s bridge hold: "Hold: 10 seconds" said during it, and the hold event at its end."""
    from formcheck.live import LiveOptions, run_live
    from formcheck.synth import exact_track

    track = exact_track("bridge", {"hold_s": 12.0}, view="side", seconds=16.0, noise=True)
    video = _blank_video(tmp_path / "camera.mp4", 16.0)
    result = run_live(LiveOptions(camera=str(video), exercise="bridge", window=False, speak=False, file_speed=4.0),
                      estimator=_TrackEstimator(track))
    counts = [e for e in result.events if e["type"] == "cue" and e["rule"] == "hold_timer"]
    holds = [e for e in result.events if e["type"] == "hold"]
    assert [c["words"] for c in counts] == ["Hold: 10 seconds"]
    assert len(holds) == 1 and holds[0]["duration_s"] >= 11.0
    assert holds[0]["start_s"] + 10.0 <= counts[0]["t_s"] <= holds[0]["end_s"]


def test_session_ends_cleanly_on_ctrl_c_and_at_max_seconds(tmp_path):
    from formcheck.live import LiveOptions
    from formcheck.live.session import LiveSession
    from formcheck.synth import exact_track

    track = exact_track("squat", {}, view="front", seconds=8.0, width=160, height=90)
    video = _blank_video(tmp_path / "camera.mp4", 8.0)
    opts = LiveOptions(camera=str(video), exercise="squat", window=False, speak=False, out_dir=tmp_path / "out")
    frames = []

    def interrupt_at_frame_40(img, state):
        frames.append(img.shape)
        if len(frames) == 40:
            raise KeyboardInterrupt

    session = LiveSession(opts, estimator=_TrackEstimator(track), on_frame=interrupt_at_frame_40)
    result = session.run()
    assert result.stats.end_reason == "interrupted (Ctrl-C)" and (tmp_path / "out" / "report.json").is_file()
    assert result.events[-1]["type"] == "end" and frames[0] == (90, 160, 3)
    from dataclasses import replace

    short = LiveSession(replace(opts, max_seconds=1.0, out_dir=None), estimator=_TrackEstimator(track)).run()
    assert short.stats.end_reason == "max-seconds" and 0.9 <= short.stats.wall_s <= 2.0


# ---- one-line errors ---------------------------------------------------------------------------------------------

def _cli(*args, env=None, timeout=120):
    return subprocess.run([PYTHON, "-m", "formcheck.cli", *args], capture_output=True, text=True,
                          env=env or ENV, timeout=timeout, cwd=REPO)


def _invoke(*args) -> tuple[int, str]:
    """The CLI in this process: (exit code, what it printed)."""
    from typer.testing import CliRunner

    from formcheck.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_no_display_says_use_no_window(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    code, output = _invoke("live", "--camera", str(SAMPLES / "bridge_side_good.mp4"))
    assert (code, output.strip()) == (1, "error: no display for a window (DISPLAY is not set); run with --no-window")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="camera devices are /dev/video* on Linux")
def test_no_camera_at_that_index_is_one_line():
    index = next(i for i in range(50, 100) if not Path(f"/dev/video{i}").exists())
    code, output = _invoke("live", "--camera", str(index), "--no-window")
    assert (code, output.strip()) == (1, f"error: no camera at index {index} (no /dev/video{index}); "
                                         "`formcheck cameras` lists the cameras found")


@pytest.mark.parametrize("args, message", [
    (("--camera", "rtsp://127.0.0.1:9/none"),
     "error: rtsp://127.0.0.1:9/none: cannot read this stream (unreachable, wrong address, or not a video stream)"),
    (("--camera", "no_such_clip.mp4"), "error: no_such_clip.mp4: no such file"),
    (("--record", "x.avi"), "error: --record x.avi: the recording must be an .mp4 file"),
    (("--exercise", "plank"), "error: --exercise 'plank': choose one of auto, bridge, hip_thrust, squat, "
                              "single_leg_squat, walk, single_leg_stance"),
])
def test_bad_sources_and_options_are_one_line(args, message):
    code, output = _invoke("live", *args, "--no-window")
    assert (code, output.strip()) == (1, message)


def test_cameras_lists_or_says_none():
    code, output = _invoke("cameras")
    assert code == 0 and output.strip()


# ---- the bundled clips through MediaPipe, as a camera (slow) -------------------------------------------------------

def _truth_reps(name: str):
    from formcheck.results import RepSpan

    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    return [RepSpan(r["start_s"], r["peak_s"], r["end_s"]) for r in truth["events"]["reps"]]


def _live_cli(tmp_path, name: str, *extra: str):
    events = tmp_path / f"{name}.jsonl"
    done = _cli("live", "--camera", str(SAMPLES / f"{name}.mp4"), "--no-window", "--no-speak", "--events",
                str(events), *extra)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in events.read_text().splitlines()], done


@pytest.mark.slow
def test_live_cli_cues_lumbar_arch_at_each_back_butt_rep(tmp_path):
    """Headless, the faulty bridge clip as the camera: a lumbar_arch cue at each rep (by the truth file's reps, the
    cue within that rep or before the next), and the session's report, in analyze's schema, and H.264 recording."""
    from formcheck.results import Report

    events, done = _live_cli(tmp_path, "bridge_side_back_butt", "--record", str(tmp_path / "rec.mp4"),
                             "--out", str(tmp_path / "out"))
    reps = _truth_reps("bridge_side_back_butt")
    times = _cue_times(events, "lumbar_arch")
    assert _cued_reps(times, reps) == [True, True] and len(times) == len(reps)
    # judged by the body's outline at each top (the arm on the floor hides the back: the front's), as analyze does
    assert all("(outline of your front)" in e["detail"] for e in events if e["type"] == "cue")
    report = Report.from_dict(json.loads((tmp_path / "out" / "report.json").read_text()))
    assert {f.rule for f in report.faults} == {"lumbar_arch"} and len(report.reps) == 2
    assert report.metrics["lumbar_arch_front_reps"] == 2
    import av

    with av.open(str(tmp_path / "rec.mp4")) as video:
        stream = video.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert abs(float(stream.duration * stream.time_base) - 10.0) < 0.5
    assert "latency p50" in done.stderr


@pytest.mark.slow
def test_live_reads_a_real_oblique_bridge_by_its_outline_not_the_hip_line(tmp_path):
    """A correct real bridge filmed 30-45 deg off the side: the shoulder-hip-knee line reads 18-21 deg past straight
    (a lumbar_arch fault by the line); live mode, like analyze, judges its tops by the front's outline: no finding."""
    from formcheck.live import LiveOptions, run_live

    clip = shared_video("bridge/wongfit_musclewiki_glute_bridge_oblique.mp4")
    result = run_live(LiveOptions(camera=str(clip), exercise="bridge", window=False, speak=False, file_speed=1.0))
    report = result.analysis.report
    assert (report.exercise, report.view, len(report.reps)) == ("bridge", "side", 2)
    assert report.metrics["lumbar_arch_front_reps"] == 2 and report.metrics["lumbar_arch_geometry_reps"] == 0
    assert not [f for f in report.findings if f.rule == "lumbar_arch"]
    assert result.analysis.frames is not None and len(result.analysis.frames)  # the report's key frames have pictures
    line = run_live(LiveOptions(camera=str(clip), exercise="bridge", window=False, speak=False, contour=False))
    assert [f.severity for f in line.analysis.report.findings if f.rule == "lumbar_arch"] == ["fault", "fault"]


@pytest.mark.slow
def test_live_cli_without_an_exercise_tells_the_hip_thrust_from_a_bridge(tmp_path):
    """No --exercise: the setup check's first look at the person lying still names the exercise the set is judged
    as; the shoulders resting on the bench make it a hip thrust (before: every lying start was a bridge)."""
    for name, exercise in (("hip_thrust_side_good", "hip_thrust"), ("bridge_side_good", "bridge")):
        events, _ = _live_cli(tmp_path, name)
        start = next(e for e in events if e["type"] == "start")
        assert (start["exercise"], start["view"]) == (exercise, "side"), name
        assert [e for e in events if e["type"] == "cue"] == [] and sum(e["type"] == "rep" for e in events) == 2


@pytest.mark.slow
def test_live_cli_good_bridge_gives_no_cue(tmp_path):
    events, _ = _live_cli(tmp_path, "bridge_side_good")
    said = [(e["t_s"], e["rule"], e["detail"]) for e in events if e["type"] == "cue"]
    assert said == [], events[-1]
    assert sum(e["type"] == "rep" for e in events) == 2, [e for e in events if e["type"] in ("rep", "end")]


@pytest.mark.slow
def test_live_cli_cues_knee_valgus_in_each_squat_rep(tmp_path):
    events, _ = _live_cli(tmp_path, "squat_front_knee_valgus", "--exercise", "squat")
    times = _cue_times(events, "knee_valgus")
    assert _cued_reps(times, _truth_reps("squat_front_knee_valgus")) == [True, True]
    assert {e["rule"] for e in events if e["type"] == "cue"} == {"knee_valgus"}


@pytest.mark.slow
def test_live_cli_cues_hip_sway_on_the_swaying_walk(tmp_path):
    events, _ = _live_cli(tmp_path, "walk_front_hip_sway", "--exercise", "walk")
    times = _cue_times(events, "hip_sway")
    assert times and times[0] < 4.0  # within the first few steps
    assert sum(e["type"] == "stride" for e in events) >= 8


@pytest.mark.slow
def test_sigterm_ends_the_session_cleanly(tmp_path):
    events = tmp_path / "ev.jsonl"
    proc = subprocess.Popen([PYTHON, "-m", "formcheck.cli", "live", "--camera", str(SAMPLES / "bridge_side_good.mp4"),
                             "--no-window", "--no-speak", "--events", str(events), "--out", str(tmp_path / "out")],
                            env=ENV, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (events.exists() and '"start"' in events.read_text()):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    last = json.loads(events.read_text().splitlines()[-1])
    assert last["type"] == "end" and last["end_reason"] == "terminated by SIGTERM"
    assert (tmp_path / "out" / "report.json").is_file()


@pytest.mark.slow
@needs_espeak
def test_speaking_does_not_stall_the_loop(tmp_path):
    """Cues spoken (to WAV files, by espeak-ng on the speech thread) while the faulty bridge plays: the WAVs are
    sound, and the loop's frame times while speech was being made are those of the frames without."""
    from formcheck.live import LiveOptions, run_live
    from formcheck.live.speech import EspeakEngine, Speaker

    class Playing(EspeakEngine):
        """Writes the WAV, then takes as long as playing it would (a sound device blocks for the utterance)."""

        def speak(self, text: str) -> None:
            super().speak(text)
            wav = self.wav_dir / f"cue-{self.count - 1:03d}.wav"
            time.sleep(float(subprocess.run(["sox", "--i", "-D", str(wav)], capture_output=True, text=True).stdout))

    speaker = Speaker(Playing(wav_dir=tmp_path / "said"))
    result = run_live(LiveOptions(camera=str(SAMPLES / "bridge_side_back_butt.mp4"), exercise="bridge",
                                  window=False, speak=True), speaker=speaker)
    speaker.wait_idle(10.0)
    speaker.close()
    wavs = sorted((tmp_path / "said").glob("*.wav"))
    assert len(wavs) >= 3  # the setup line and a cue per rep
    for wav in wavs:
        assert float(subprocess.run(["sox", "--i", "-D", str(wav)], capture_output=True, text=True).stdout) > 0.5
    loop = np.array(result.stats.loop_ms)
    speaking = np.array(result.stats.speaking)
    assert speaking.sum() >= 10
    print(f"loop ms while speaking p50 {np.median(loop[speaking]):.1f} p95 {np.percentile(loop[speaking], 95):.1f}; "
          f"otherwise p50 {np.median(loop[~speaking]):.1f} p95 {np.percentile(loop[~speaking], 95):.1f}")
    assert np.median(loop[speaking]) <= 1.5 * np.median(loop[~speaking]) + 10.0
    assert np.percentile(loop[speaking], 90) <= 2.0 * np.percentile(loop[~speaking], 90) + 20.0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed (CI installs it: .ci/run)")
def test_window_under_xvfb_shows_the_overlay(tmp_path):
    """A real window on a virtual X display, screenshotted mid-set: the picture with the skeleton (orange and blue
    joints), the rep counter and a cue banner. The PNG is kept at tmp_path/window.png."""
    from PIL import ImageGrab

    from formcheck.report.draw import LEFT_RGB, RIGHT_RGB

    display = next(n for n in range(90, 140) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    live = None
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{display}").exists():
                break
            time.sleep(0.1)
        events = tmp_path / "ev.jsonl"
        live = subprocess.Popen([PYTHON, "-m", "formcheck.cli", "live", "--camera",
                                 str(SAMPLES / "bridge_side_back_butt.mp4"), "--no-speak", "--events", str(events)],
                                env={**ENV, "DISPLAY": f":{display}"}, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (events.exists() and '"cue"' in events.read_text()):
            time.sleep(0.1)
        time.sleep(0.5)
        shot = ImageGrab.grab(xdisplay=f":{display}")
        shot.crop(shot.getbbox()).save(tmp_path / "window.png")
        _, stderr = live.communicate(timeout=60)
        assert live.returncode == 0, stderr
    finally:
        for proc in (live, xvfb):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
    img = np.asarray(shot.convert("RGB"))[: 360, : 640].astype(int)
    assert img.std() > 20
    for colour in (LEFT_RGB, RIGHT_RGB):
        assert (np.abs(img - colour).sum(axis=2) < 40).sum() > 30
    white = img.min(axis=2) > 200
    assert white[:80, 440:].sum() > 200  # "REPS n" top right
    assert white[-70:].sum() > 200  # the cue's words along the bottom

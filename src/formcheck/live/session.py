"""One live session: newest frame -> pose -> setup check, then the streaming analysis -> cues (spoken, shown,
written) and the overlay, until q, Ctrl-C, SIGTERM, --max-seconds, the end of a file or a camera that stops.

Threads, so that nothing waits on anything slow:
  capture   sources.LatestFrame: reads the camera (or plays a file at its own pace) and keeps only the newest
            frame; frames the loop had no time for are dropped and counted, never queued.
  main      pose (VIDEO mode, real timestamps), causal cleaning, instant checks, overlay, window.
  analysis  streaming.StreamingAnalyzer: the rules on each finished rep, hold or stride (judging a rep reads the
            track so far: tens of milliseconds the picture must not wait for), and for a bridge or hip thrust
            from the side the person masks at each top (live.outline: three masks a rep, ~50 ms each).
  jpeg      frame_cache.FrameCache: the frames kept for those masks and the report's pictures, compressed.
  speech    live.speech.Speaker: one line at a time, never blocking.
  recorder  the annotated frames to H.264 (--record), a bounded queue; frames it cannot take are left out.

At the end the whole session's track goes through the offline analysis (formcheck.pipeline.analyze, the
exercise and view of the set; the body's outline traced from the kept frames as analyze traces it) into --out:
report.json in analyze's schema, report.html and track.npz.
"""
from __future__ import annotations

import json
import queue
import re
import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np

from formcheck import kinematics
from formcheck.clean import CausalCleaner, clean
from formcheck.contour_pass import CONTOUR_EXERCISES, CONTOUR_VIEWS, outline_is_read
from formcheck.exercises import MIN_FRAMES
from formcheck.live.cameras import open_live_source
from formcheck.live.coach import FRAME_SERIES, Cue, CueGate, InstantChecks, cues_from_event, key_angle
from formcheck.live.outline import LiveOutlines
from formcheck.live.overlay import LiveOverlay, LiveState, Window
from formcheck.live.setup import SETUP_TIMEOUT_S, SetupCheck, SetupStatus
from formcheck.live.speech import Speaker
from formcheck.pipeline import analyze
from formcheck.results import Analysis
from formcheck.rules.thresholds import Thresholds
from formcheck.sources import LatestFrame, real_time
from formcheck.streaming import STREAM_BETA, STREAM_MIN_CUTOFF_HZ, Event, StreamingAnalyzer
from formcheck.track import NUM_LANDMARKS, PoseTrack, empty_arrays

# Frames taller than this go to the pose model scaled down (landmarks are normalised, so nothing else changes): the
# model looks at a 256 px crop of the person, and copying and resizing a 1080p picture costs more than it brings.
POSE_MAX_HEIGHT = 540
# A cue stays on screen this long (seconds).
CUE_SHOW_S = 4.0
# fps and latency on screen: averaged over the last this many frames.
READOUT_FRAMES = 30
# Setup advice that has not changed is said again after this many seconds.
SETUP_REPEAT_S = 6.0
# Speech still going at the end is given this long to finish (seconds).
SPEECH_DRAIN_S = 3.0
# The recorder's queue of annotated frames (each a whole picture): beyond it, frames are left out of the recording.
RECORD_QUEUE = 16


@dataclass(frozen=True)
class LiveOptions:
    """What `formcheck live` was asked for (see its --help). camera: index, device path, stream URL or video file."""

    camera: str = "0"
    exercise: str = "auto"
    view: str = "auto"
    window: bool = True
    speak: bool = True
    max_seconds: float | None = None
    events_path: Path | None = None
    record_path: Path | None = None
    out_dir: Path | None = None
    model: Path | None = None
    thresholds: Thresholds | None = None
    setup_timeout_s: float = SETUP_TIMEOUT_S
    file_speed: float = 1.0  # a video file as the camera plays at this many times real time (tests)
    contour: bool = True  # bridges and hip thrusts from the side: the body's outline at each top (live.outline)


@dataclass
class LiveStats:
    """Per processed frame: capture-to-overlay latency (ms), loop time (ms), whether speech was playing."""

    captured: int = 0
    dropped: int = 0
    processed: int = 0
    wall_s: float = 0.0
    latency_ms: list[float] = field(default_factory=list)
    loop_ms: list[float] = field(default_factory=list)
    speaking: list[bool] = field(default_factory=list)
    recorded_dropped: int = 0
    end_reason: str = ""

    @property
    def fps(self) -> float:
        return self.processed / self.wall_s if self.wall_s > 0 else float("nan")

    @property
    def drop_rate(self) -> float:
        return self.dropped / self.captured if self.captured else 0.0

    def latency_percentile(self, q: float) -> float:
        return float(np.percentile(self.latency_ms, q)) if self.latency_ms else float("nan")

    def summary(self) -> dict[str, Any]:
        return {"frames_captured": self.captured, "frames_processed": self.processed, "frames_dropped": self.dropped,
                "drop_rate": round(self.drop_rate, 4), "fps": round(self.fps, 2),
                "latency_p50_ms": round(self.latency_percentile(50), 1),
                "latency_p95_ms": round(self.latency_percentile(95), 1), "end_reason": self.end_reason}


@dataclass(frozen=True)
class LiveResult:
    events: list[dict[str, Any]]
    stats: LiveStats
    analysis: Analysis | None
    paths: dict[str, Path]
    setup: SetupStatus | None


class EventLog:
    """--events: one JSON object a line (t_s seconds, type, rule, words, ...), flushed as written so a session
    that dies keeps what it had; every line is also kept in ``lines``."""

    def __init__(self, path: Path | None) -> None:
        self.lines: list[dict[str, Any]] = []
        self._file = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "w", encoding="utf-8")

    def write(self, line: dict[str, Any]) -> None:
        self.lines.append(line)
        if self._file is not None:
            self._file.write(json.dumps(line, allow_nan=False, default=_json_default) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None  # a note made after the end (the session's report) is kept in `lines` only
            self._file = None


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {value!r}")


class AnalysisWorker:
    """The StreamingAnalyzer on its own thread: frames in (in order, never dropped: each is three small arrays),
    events out when they are ready. An error in the analysis is raised from ``poll``."""

    def __init__(self, analyzer: StreamingAnalyzer) -> None:
        self.analyzer = analyzer
        self._in: queue.Queue = queue.Queue()
        self._out: list[Event] = []
        self._lock = threading.Lock()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="formcheck-analysis", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._in.get()
            try:
                events = self.analyzer.finish() if item is None else self.analyzer.push(*item)
            except BaseException as exc:
                self.error = exc
                return
            if events:
                with self._lock:
                    self._out += events
            if item is None:
                return

    def push(self, landmarks: np.ndarray, world: np.ndarray, t_s: float) -> None:
        self._in.put((landmarks, world, t_s))

    def poll(self) -> list[Event]:
        if self.error is not None:
            raise self.error
        with self._lock:
            events, self._out = self._out, []
        return events

    def finish(self, timeout: float = 30.0) -> list[Event]:
        """The frames still queued, then the end of the stream; every event not yet polled."""
        self._in.put(None)
        self._thread.join(timeout=timeout)
        return self.poll()

    @property
    def busy(self) -> bool:
        """Still working after finish() gave up waiting (it may be using the pose model)."""
        return self._thread.is_alive()


class Recorder:
    """--record: annotated frames to H.264 on a thread (video.write_h264), written to a partial file renamed into
    place when whole. ``add(rgb, repeats)`` writes a frame `repeats` times (frames dropped before it keep the
    recording's clock); a full queue leaves the frame out (``dropped``)."""

    def __init__(self, path: Path, fps: float) -> None:
        from formcheck.video import write_h264

        self.path = Path(path)
        self.part = self.path.with_name(f"{self.path.stem}.part{self.path.suffix or '.mp4'}")
        self.dropped = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=RECORD_QUEUE)

        def frames():
            while (item := self._queue.get()) is not None:
                rgb, repeats = item
                for _ in range(repeats):
                    yield rgb

        def run():
            try:
                write_h264(self.part, frames(), fps)
            except BaseException as exc:
                self.error = exc
                while self._queue.get() is not None:  # let add() and close() go on
                    pass

        self._thread = threading.Thread(target=run, name="formcheck-record", daemon=True)
        self._thread.start()

    def add(self, rgb: np.ndarray, repeats: int = 1) -> None:
        try:
            self._queue.put_nowait((rgb, max(1, repeats)))
        except queue.Full:
            self.dropped += 1

    def close(self) -> Path | None:
        """Finish the file; the path, or None when nothing was recorded."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            self.part.unlink(missing_ok=True)
            raise self.error
        if not self.part.exists():
            return None
        return self.part.replace(self.path)


class LiveSession:
    """One session (see the module docstring): ``run()`` -> LiveResult. Built by ``run_live``."""

    def __init__(self, options: LiveOptions, *, speaker: Speaker | None = None,
                 echo: Callable[[str], None] | None = None,
                 on_frame: Callable[[np.ndarray, LiveState], None] | None = None, estimator=None) -> None:
        """speaker: a Speaker to use (default: one per options.speak, closed at the end); echo(line): progress
        lines; on_frame(picture, state) after each overlay; estimator: a pose estimator with ``detect(frame)``,
        ``model`` and ``close()`` (default: a PoseEstimator of options.model, one person)."""
        from formcheck.pose import PoseEstimator, resolve_model

        self.options = options
        self.echo = echo or (lambda line: None)
        self.on_frame = on_frame
        self.th = options.thresholds or Thresholds.load()
        self.window = Window() if options.window else None  # no display: one line before the camera opens
        try:
            self.source, self.is_file = open_live_source(options.camera)
            try:
                self.estimator = estimator or PoseEstimator(resolve_model(options.model), max_people=1)
            except BaseException:
                self.source.close()
                raise
        except BaseException:
            if self.window is not None:
                self.window.close()
            raise
        info = self.info = self.source.info
        self.events = EventLog(options.events_path)
        self._own_speaker = speaker is None
        self.speaker = speaker if speaker is not None else Speaker("auto" if options.speak else None,
                                                                   notes=self._note)
        self.setup = SetupCheck(options.exercise, options.view, frame_width=info.width, frame_height=info.height,
                                fps=info.fps, timeout_s=options.setup_timeout_s)
        self.setup_status: SetupStatus | None = None
        self.recorder = Recorder(options.record_path, info.fps) if options.record_path else None
        self.stats = LiveStats()
        self.overlay = LiveOverlay()
        self.gate = CueGate()
        self.cleaner = CausalCleaner(min_cutoff_hz=STREAM_MIN_CUTOFF_HZ, beta=STREAM_BETA)
        self.worker: AnalysisWorker | None = None
        # The frames a bridge's or hip thrust's outline may need, kept from the first frame (a set can begin during
        # the setup check); dropped at the start when the set is anything else.
        masks = getattr(self.estimator, "person_mask", None)
        self.outlines = LiveOutlines(masks, info.fps) if (
            options.contour and masks is not None and options.exercise in ("auto", *CONTOUR_EXERCISES)
            and options.view in ("auto", *CONTOUR_VIEWS)) else None
        if self.outlines is not None and hasattr(self.estimator, "prepare_masks"):
            self.estimator.prepare_masks()  # now, not at the first rep's end on the analysis thread
        self.instant: InstantChecks | None = None
        self.body: kinematics.BodyReference | None = None
        self._pending: list[tuple[np.ndarray, np.ndarray, float]] = []  # frames seen during the setup check
        self._rows: tuple[list, list, list] = ([], [], [])  # raw landmarks, world, times: the session's track
        self._cue: tuple[str, str] | None = ("info", "Checking the setup: is your whole body in the picture?")
        self._cue_until = np.inf
        self.reps = 0
        self._last_index = -1
        self._now = 0.0  # session time of the frame being processed (s)
        self._setup_said_s = -np.inf

    # ---- things said, shown and written ----------------------------------------------------------------------
    def _note(self, line: str) -> None:
        self.echo(line)
        self.events.write({"t_s": self._now, "type": "note", "rule": None, "words": line})

    def _show(self, severity: str, words: str, t_s: float) -> None:
        self._cue = (severity, words)
        self._cue_until = t_s + CUE_SHOW_S

    def _cue_out(self, cue: Cue) -> None:
        if not self.gate.allow(cue):
            return
        self.events.write(cue.event())
        self.speaker.say(cue.words)
        self._show(cue.severity, cue.words, cue.t_s)
        self.echo(f"{cue.t_s:7.2f} s  {cue.rule:<16} {cue.words}")

    def _setup_out(self, status: SetupStatus) -> None:
        """Said, shown and written when the advice changes (said again every SETUP_REPEAT_S while it does not)."""
        previous = self.setup_status
        self.setup_status = status
        for note in status.notes:
            if previous is None or note not in previous.notes:
                self._note(note)
        changed = previous is None or previous.words != status.words
        if changed or status.started:
            self.events.write(status.event())
            self.echo(f"{status.t_s:7.2f} s  setup            {status.words}")
        if changed or status.started or status.t_s - self._setup_said_s >= SETUP_REPEAT_S:
            self.speaker.say(status.words)
            self._setup_said_s = status.t_s
        self._show("info" if status.ready else "warning", status.words, status.t_s)

    def _event_out(self, event: Event) -> None:
        if event.kind == "calibrated":
            self.body = event.body
            return
        if event.kind == "rep_completed":
            self.reps += 1
            rep = event.rep
            self.events.write({"t_s": round(event.t_s, 3), "type": "rep", "rule": None, "words": f"rep {self.reps}",
                               "rep": self.reps, "start_s": round(rep.start_s, 3), "peak_s": round(rep.peak_s, 3),
                               "end_s": round(rep.end_s, 3), "findings": _findings(event, self.reps)})
        elif event.kind == "hold_ended":
            hold = event.hold
            self.events.write({"t_s": round(event.t_s, 3), "type": "hold", "rule": "hold_timer",
                               "words": f"hold: {hold.duration_s:.0f} seconds", "start_s": round(hold.start_s, 3),
                               "end_s": round(hold.end_s, 3), "duration_s": round(hold.duration_s, 2),
                               "findings": _findings(event)})
        elif event.kind in ("stride_completed", "stance_ended"):
            span = event.stride
            kind = "stride" if event.kind == "stride_completed" else "stance"
            if kind == "stride":
                self.reps += 1
            self.events.write({"t_s": round(event.t_s, 3), "type": kind, "rule": None,
                               "words": f"{span.side} {kind}", "side": span.side, "start_s": round(span.start_s, 3),
                               "end_s": round(span.end_s, 3), "findings": _findings(event)})
        for cue in cues_from_event(event):
            if event.kind == "rep_completed":  # judged alone, the rep is the rules' "rep 1": give its number
                cue = replace(cue, detail=_renumbered(cue.detail, self.reps))
            self._cue_out(cue)

    # ---- the loop --------------------------------------------------------------------------------------------
    def _start(self, status: SetupStatus) -> None:
        if self.outlines is not None and not outline_is_read(status.exercise, status.view):
            self.outlines.finish()
            self.outlines = None
        analyzer = StreamingAnalyzer(status.exercise, status.view, self.th, frame_width=self.info.width,
                                     frame_height=self.info.height, fps=self.info.fps,
                                     model_name=self.estimator.model.name,
                                     outline=partial(self.outlines.trace, status.exercise, status.view)
                                     if self.outlines is not None else None)
        self.worker = AnalysisWorker(analyzer)
        self.instant = InstantChecks(status.exercise, status.view, self.th)
        for row in self._pending:  # the frames of the setup check: a set begun at once loses nothing
            self.worker.push(*row)
        self._pending = []
        self.events.write({"t_s": round(status.t_s, 3), "type": "start", "rule": None,
                           "words": f"set started: {status.exercise}, {status.view} view",
                           "exercise": status.exercise, "view": status.view, "not_judged": list(status.not_judged)})

    def _frame(self, captured) -> str | None:
        frame = captured.frame
        t = self._now = float(frame.timestamp_s)
        found = self.estimator.detect(_for_pose(frame))
        landmarks, world = found if found is not None else (self._missing[0][0], self._missing[1][0])
        for rows, value in zip(self._rows, (landmarks, world, t)):
            rows.append(value)
        if self.outlines is not None:
            self.outlines.observe(len(self._rows[2]) - 1, frame, landmarks)
        started = self.setup_status is not None and self.setup_status.started
        if not started:
            self._pending.append((landmarks, world, t))
            status = self.setup.push(landmarks, world, t)
            if status is not None:
                self._setup_out(status)
                if status.started:
                    self._start(status)
        else:
            self.worker.push(landmarks, world, t)
        if self.worker is not None:
            for event in self.worker.poll():
                self._event_out(event)
        clean_lm, clean_world = self.cleaner.push(t, landmarks, world)
        key = None
        if self.body is not None and self.instant is not None and np.isfinite(clean_lm[:, 0]).any():
            one = PoseTrack(landmarks=clean_lm[None], world_landmarks=clean_world[None], timestamps_s=np.array([t]),
                            fps=self.info.fps, frame_width=self.info.width, frame_height=self.info.height)
            kin = kinematics.compute(one, FRAME_SERIES, body=self.body)
            values = {name: float(kin[name][0]) for name in FRAME_SERIES}
            for cue in self.instant.push(t, values):
                self._cue_out(cue)
            key = key_angle(self.setup_status.exercise, self.setup_status.view, values, self.body.near_side, self.th)
        if t > self._cue_until:
            self._cue = None
        recent = self.stats.latency_ms[-READOUT_FRAMES:]
        state = LiveState(
            landmarks=clean_lm if np.isfinite(clean_lm[:, 0]).any() else None, key=key, reps=self.reps,
            rep_word="STEPS" if self.setup_status and self.setup_status.exercise == "walk" else "REPS",
            hold_s=self.instant.hold_s if self.instant is not None else 0.0, cue=self._cue,
            fps=self._recent_fps(), latency_ms=float(np.mean(recent)) if recent else float("nan"),
            drop_rate=self._latest.drop_rate, started=self.worker is not None,
        )
        img = self.overlay.annotate(frame.rgb, state)
        self.stats.latency_ms.append((time.monotonic() - captured.arrived_s) * 1000.0)
        if self.on_frame is not None:
            self.on_frame(img, state)
        if self.recorder is not None:
            self.recorder.add(img, frame.index - self._last_index if self._last_index >= 0 else 1)
        self._last_index = frame.index
        if self.window is not None:
            return self.window.show(img)
        return None

    def _recent_fps(self) -> float:
        times = self._loop_ends[-READOUT_FRAMES:]
        if len(times) < 2 or times[-1] <= times[0]:
            return float("nan")
        return (len(times) - 1) / (times[-1] - times[0])

    def run(self) -> LiveResult:
        self._missing = empty_arrays(1)
        self._loop_ends: list[float] = []
        stop = threading.Event()
        frames = real_time(self.source, stop, speed=self.options.file_speed) if self.is_file else iter(self.source)
        started = time.monotonic()
        reason = ""
        self._latest = latest = LatestFrame(frames, stop=stop)
        try:
            while not reason:
                if self.options.max_seconds is not None and time.monotonic() - started >= self.options.max_seconds:
                    reason = "max-seconds"
                    break
                captured = latest.get(timeout=0.5)
                if captured is None:
                    if latest.ended:
                        if latest.error is not None:
                            reason = f"the source failed ({latest.error})"
                        else:
                            reason = "end of file" if self.is_file else "the camera stopped giving frames (unplugged?)"
                    continue
                begun = time.monotonic()
                reason = self._frame(captured) or ""
                now = time.monotonic()
                self._loop_ends.append(now)
                self.stats.loop_ms.append((now - begun) * 1000.0)
                self.stats.speaking.append(self.speaker.speaking)
                self.stats.processed += 1
        except KeyboardInterrupt as exc:
            reason = str(exc) if str(exc).startswith("terminated") else "interrupted (Ctrl-C)"
        finally:
            stop.set()
            latest.close()
            self.stats.wall_s = time.monotonic() - started
            self.stats.captured, self.stats.dropped = latest.captured, latest.dropped
        self.stats.end_reason = reason
        return self._finish(reason)

    def _finish(self, reason: str) -> LiveResult:
        """Everything written, whatever ended the session."""
        paths: dict[str, Path] = {}
        try:
            analysis = self._finish_session(reason, paths)
        finally:
            if not (self.worker is not None and self.worker.busy):  # else it may still be masking a frame with it
                self.estimator.close()  # after the session's report: it masks the kept frames for the body's outline
        if analysis is not None and self.options.out_dir is not None:
            from formcheck.report.outputs import write_outputs

            out = Path(self.options.out_dir)
            paths.update(write_outputs(analysis, out, video_path=None, make_video=False))
            paths["track"] = analysis.track.save(out / "track.npz")
        if self.options.events_path is not None:
            paths["events"] = Path(self.options.events_path)
        return LiveResult(self.events.lines, self.stats, analysis, paths, self.setup_status)

    def _finish_session(self, reason: str, paths: dict[str, Path]) -> Analysis | None:
        """The events still due, everything closed but the pose model, and the session's analysis."""
        try:
            if self.outlines is not None:
                self.outlines.finish()  # the last top, which no later move confirmed, kept for the last rep's verdict
            if self.worker is not None:
                for event in self.worker.finish():
                    self._event_out(event)
            if self.outlines is not None and self.outlines.failures:
                self._note(f"the body's outline failed at {len(self.outlines.failures)} top(s), judged by the "
                           f"landmark line there: {self.outlines.failures[0]}")
            t_end = self._rows[2][-1] if self._rows[2] else 0.0
            self.events.write({"t_s": round(t_end, 3), "type": "end", "rule": None, "words": f"session ended: {reason}",
                               **self.stats.summary()})
            self.echo(f"{t_end:7.2f} s  end              {reason}")
            if self._own_speaker:
                self.speaker.wait_idle(SPEECH_DRAIN_S)
        finally:
            if self._own_speaker:
                self.speaker.close(timeout=1.0)
            if self.window is not None:
                self.window.close()
            self.source.close()
            self.events.close()
            if self.recorder is not None:
                recorded = self.recorder.close()
                self.stats.recorded_dropped = self.recorder.dropped
                if recorded is not None:
                    paths["video"] = recorded
        return self._analysis()

    def _analysis(self) -> Analysis | None:
        """The whole session through the offline analysis, with the set's exercise and view; None with too few
        frames."""
        landmarks, world, times = self._rows
        frames = self.outlines.finish() if self.outlines is not None else None  # the outline traced as analyze does
        if self.worker is not None and self.worker.busy:
            frames = None  # the analysis thread is still masking: the pose model is not free for more
        if len(times) < MIN_FRAMES:
            return None
        span = times[-1] - times[0]
        fps = (len(times) - 1) / span if span > 0 else self.info.fps
        model = self.estimator.model
        raw = PoseTrack(landmarks=np.stack(landmarks).reshape(-1, NUM_LANDMARKS, 4),
                        world_landmarks=np.stack(world).reshape(-1, NUM_LANDMARKS, 3), timestamps_s=np.array(times),
                        fps=fps, frame_width=self.info.width, frame_height=self.info.height,
                        source=str(self.options.camera), model_name=model.name, model_sha256=model.sha256,
                        meta={"live": self.stats.summary()})
        try:
            track = clean(raw)
        except ValueError as exc:  # too few frames a second got through
            self._note(f"session track left uncleaned: {exc}")
            track = raw.with_arrays(cleaning=[])  # an empty cleaning record: judged as it is, not cleaned again
        status = self.setup_status
        exercise = status.exercise if status is not None and status.started else self.options.exercise
        view = status.view if status is not None and status.started else self.options.view
        analysis = analyze(track, exercise=exercise, view=view, thresholds=self.th, frame_cache=frames,
                           estimator=self.estimator if frames is not None else None)
        if frames is not None:  # tops whose frames were forgotten (live.outline.KEEP_S) keep the outline traced live
            analysis = self.outlines.with_live_traces(analysis, lambda traced: replace(
                analyze(traced, exercise=exercise, view=view, thresholds=self.th), frames=frames))
        report = analysis.report
        if status is not None and status.started:  # the set's exercise and view came from the setup check
            report = replace(report, exercise_source="user" if self.options.exercise != "auto" else "auto",
                             view_source=status.view_source)
        cues = sum(1 for line in self.events.lines if line["type"] == "cue")
        report = replace(report, metrics={**report.metrics, "live_cues": float(cues),
                                          "live_frames_dropped_ratio": round(self.stats.drop_rate, 4)})
        return replace(analysis, report=report)


def _for_pose(frame):
    """The frame the pose model gets: at most POSE_MAX_HEIGHT tall."""
    height = frame.rgb.shape[0]
    if height <= POSE_MAX_HEIGHT:
        return frame
    from formcheck.report.draw import resize_to_height

    return replace(frame, rgb=resize_to_height(frame.rgb, POSE_MAX_HEIGHT))


def _renumbered(text: str, rep: int) -> str:
    """A rule's sentence about a rep judged alone ("At the top of rep 1 ...") with the rep's number in the set."""
    return re.sub(r"\brep 1\b", f"rep {rep}", text)


def _findings(event: Event, rep: int | None = None) -> list[dict[str, Any]]:
    return [{"rule": f.rule, "severity": f.severity, "side": f.side, "value": _num(f.value),
             "threshold": _num(f.threshold), "unit": f.unit, "cue": f.cue if rep is None else _renumbered(f.cue, rep)}
            for f in event.findings]


def _num(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 3)


def run_live(options: LiveOptions, **kwargs) -> LiveResult:
    """Run one live session (LiveSession) and return its events, stats and the session's analysis."""
    return LiveSession(options, **kwargs).run()

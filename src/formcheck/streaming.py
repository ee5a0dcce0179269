"""Streaming analysis: frames in one at a time, each rep judged as soon as it ends. Pure (no cv2, no mediapipe).

    analyzer = StreamingAnalyzer("bridge", "side")
    for image_landmarks, world_landmarks, t_s in frames:      # (33, 4), (33, 3), seconds
        for event in analyzer.push(image_landmarks, world_landmarks, t_s):
            ...                                                # calibrated, rep_completed, hold_ended, stride_completed
    events = analyzer.finish()                                 # what was still open at the end

The same steps as the offline ``analysis.analyze_track``, each in its causal form:

* clean: ``clean.CausalCleaner`` (visibility gating, causal swap repair, One Euro; no look-ahead; world
  landmarks, metres, get the same One Euro settings as the normalised image ones);
* body reference: ``kinematics.measure_body`` over the first ``calibration_s`` seconds with the person found
  (or one given), so every kinematic series at a frame depends only on that window and the frame;
* phases: ``phases.RepSegmenter`` / ``HoldSegmenter`` on the signals and with the parameters of
  ``analysis.find_phases`` (bridges and hip thrusts: ``_LyingReps``, as ``analysis.lying_reps``), and per-foot swing
  segmenters for walking as ``phases.find_strides``;
* rules: the registered rules (``analysis.judge_rules``, as offline) on the track so far (short gaps that have closed filled, as
  offline) with that one rep or hold as the only phase (``judge_phase``); for walking with the strides so far
  (hip_sway's verdict is a median over steps), for single-leg stances with the stances so far (stance_asymmetry
  compares the sides). Rules that read whole-clip statistics (landmark jitter, usual segment lengths) read them
  over the track so far (at most ``history_s``).

The view and the exercise are given: detecting them needs the whole clip.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from formcheck import kinematics
from formcheck.analysis import (
    HOLD_MIN_RISE_TOLERANCE_TORSO,
    LYING,
    DIP_REP_PARAMS,
    LYING_REP_PARAMS,
    REP_MIN_OPENING_DEG,
    REP_MIN_RISE_TORSO,
    REP_MIN_RISE_WITH_OPENING_TORSO,
    REP_MIN_SEEN_BEFORE_OPENING_S,
    MIN_DIP_TORSO,
    hips_rose,
    judge_rules,
)
from formcheck.clean import CausalCleaner, fill_gaps
from formcheck.contour_pass import hold_frames, outline_is_read, rep_top_frames
from formcheck.kinematics import BodyReference
from formcheck.phases import MAX_REST_LOOKBACK_S, Gait, Hold, HoldSegmenter, Rep, RepSegmenter, Span
from formcheck.report.schema import Finding, NotJudged
from formcheck.rules import EXERCISES, VIEWS, RuleContext
from formcheck.rules.stance_asymmetry import LIFTED_FOOT_TORSO, MIN_STANCE_S
from formcheck.rules.thresholds import Thresholds
from formcheck.track import PoseTrack

# Seconds with the person found over which the body reference is measured: its medians (torso length, hip width)
# need a few dozen frames. With 2 s the torso length came within 3% of the whole clip's on the bundled and real
# clips, and reps and verdicts matched the offline ones on every clip in tests/test_streaming.py.
CALIBRATION_S = 2.0
# The track kept for judging: the rules' clip-wide statistics (landmark jitter, a segment's usual length) settle
# within a minute or two of movement, and the time to judge a rep stays bounded in a long live session.
HISTORY_S = 120.0
# find_strides' defaults (phases.find_strides): a swing dips the leg extent >= 0.08 torso lengths, >= 0.6 s apart;
# foot down within 0.25 of the dip depth; torso length a running median over 0.5 s (here trailing).
STRIDE_MIN_DIP_TORSO = 0.08
STRIDE_MIN_PERIOD_S = 0.6
STRIDE_FOOT_DOWN_FRACTION = 0.25
STRIDE_TORSO_SMOOTH_S = 0.5
# The causal smoothing (One Euro, clean.OneEuroFilter): on the sample and real tracks these values leave the
# landmarks about as steady as the offline 6 Hz Butterworth chain does, with half the lag of Casiez et al.'s
# reference values (1 Hz, 0.007): rep starts +0.07 s, ends +0.10 s late (median) instead of +0.13 s and +0.20 s.
# The rules' jitter gate (rules.base.landmark_jitter, the residual around a 1.5 Hz low-pass) reads these causal tracks
# 40-50% lower than the offline ones (measured on the sample and real tracks when that measure replaced the per-frame
# second difference), so live mode's "not judged" for jumpy landmarks is more lenient than offline's.
STREAM_MIN_CUTOFF_HZ = 2.0
STREAM_BETA = 1.0  # Hz per (normalised image unit / s)


@dataclass(frozen=True)
class Event:
    """Something that finished at time ``t_s`` (seconds, the timestamp of the frame that revealed it).

    kind: "calibrated" (``body`` measured), "rep_completed" (``rep``), "hold_ended" (``hold``),
    "stride_completed" (``stride``: heel strike to the next heel strike of the same foot), "stance_ended"
    (``stride``: a single-leg stance, side = the standing leg). ``findings`` and ``not_judged`` are the rules'
    verdicts on that rep or hold alone; for a stride or a stance, on the walk or the stances so far.
    """

    kind: str
    t_s: float
    rep: Rep | None = None
    hold: Hold | None = None
    stride: Span | None = None
    body: BodyReference | None = None
    findings: tuple[Finding, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()


def posture_of(exercise: str) -> str:
    """'lying' for bridges and hip thrusts, else 'standing' (what view detection would say for them)."""
    return "lying" if exercise in LYING else "standing"


def judge_phase(
    track: PoseTrack,
    exercise: str,
    view: str,
    thresholds: Thresholds,
    *,
    body: BodyReference | None = None,
    reps: Sequence[Rep] = (),
    holds: Sequence[Hold] = (),
    gait: Gait | None = None,
) -> tuple[list[Finding], list[NotJudged]]:
    """The registered rules' findings and not-judged notes on ``track`` with only the given phases.

    Pass one completed rep (or one hold, or a gait holding one stride) to judge it alone; indices in the phases
    are frame indices into ``track``. ``body``: the body reference for the kinematics (None: measured over the
    whole track, as offline). Findings come sorted by start time, then rule.
    """
    kin = kinematics.compute(track, body=body)
    ctx = RuleContext(track=track, kin=kin, exercise=exercise, view=view, posture=posture_of(exercise),
                      reps=list(reps), holds=list(holds), gait=gait, th=thresholds)
    verdicts = judge_rules(ctx)
    return verdicts.findings, verdicts.not_judged


# Phases carry stream frame indices; the track kept for judging starts at stream frame `offset`. The part of a
# phase older than the kept track (a hold longer than history_s) is left out of its judgement.
def _shift_rep(rep: Rep, offset: int) -> Rep:
    return Rep(rep.start_s, rep.peak_s, rep.end_s, max(0, rep.start_idx - offset), max(0, rep.peak_idx - offset),
               rep.end_idx - offset, rep.peak_value, rep.prominence)


def _shift_span(span: Span, offset: int) -> Span:
    return Span(span.side, span.start_s, span.end_s, max(0, span.start_idx - offset), span.end_idx - offset)


class _Strides:
    """Per-foot swings as ``find_strides`` finds them, one frame at a time: a swing is a dip of the hip-to-ankle
    image height (torso lengths, trailing running-median torso); its end is a heel strike, its start a toe off."""

    def __init__(self, fps: float) -> None:
        self._torso: deque[float] = deque(maxlen=max(1, int(round(STRIDE_TORSO_SMOOTH_S * fps))))
        self._swings = {side: RepSegmenter(min_prominence=STRIDE_MIN_DIP_TORSO, min_period_s=STRIDE_MIN_PERIOD_S,
                                           base_fraction=STRIDE_FOOT_DOWN_FRACTION) for side in ("left", "right")}
        self.heel_strikes: dict[str, list[tuple[int, float]]] = {"left": [], "right": []}
        self.toe_offs: dict[str, list[tuple[int, float]]] = {"left": [], "right": []}

    def push(self, index: int, t_s: float, frame: PoseTrack) -> list[Span]:
        """Strides (heel strike to heel strike, one foot) completed by this frame."""
        torso = float(kinematics.torso_length_series_px(frame)[0])
        if np.isfinite(torso):
            self._torso.append(torso)
        scale = float(np.median(self._torso)) if self._torso else float("nan")
        strides = []
        for side, segmenter in self._swings.items():
            extent = (frame.xy_px(f"{side}_ankle")[0, 1] - frame.xy_px(f"{side}_hip")[0, 1]) / scale
            for swing in segmenter.push(index, t_s, -extent):
                strides += self._swing_done(side, swing)
        return strides

    def finish(self) -> list[Span]:
        return [span for side, segmenter in self._swings.items() for swing in segmenter.finish()
                for span in self._swing_done(side, swing)]

    def _swing_done(self, side: str, swing: Rep) -> list[Span]:
        self.toe_offs[side].append((swing.start_idx, swing.start_s))
        strikes = self.heel_strikes[side]
        strikes.append((swing.end_idx, swing.end_s))
        if len(strikes) < 2:
            return []
        (a, ta), (b, tb) = strikes[-2], strikes[-1]
        return [Span(side, ta, tb, a, b)]

    def gait_so_far(self, first_index: int) -> Gait:
        """The walk so far as ``find_strides`` builds it (stances: heel strike to the same foot's next toe off;
        strides: heel strike to heel strike), from stream frame ``first_index`` on."""
        gait = Gait()
        for side in ("left", "right"):
            strikes = [(i, t) for i, t in self.heel_strikes[side] if i >= first_index]
            offs = [(j, u) for j, u in self.toe_offs[side] if j >= first_index]
            stances = []
            for i, t in strikes:
                later = [(j, u) for j, u in offs if j > i]
                if later:
                    stances.append(Span(side, t, later[0][1], i, later[0][0]))
            gait.stances[side] = stances
            gait.strides[side] = [Span(side, ta, tb, a, b) for (a, ta), (b, tb) in zip(strikes[:-1], strikes[1:])]
            gait.heel_strikes[side] = np.array([t for _, t in strikes], dtype=float)
            gait.toe_offs[side] = np.array([u for _, u in offs], dtype=float)
        return gait


class _Stances:
    """Single-leg stances as the stance_asymmetry rule finds them, one frame at a time: one ankle more than
    LIFTED_FOOT_TORSO torso lengths above the other for at least MIN_STANCE_S seconds. A stance ends when the
    foot comes down (or the other one goes up)."""

    def __init__(self, body: BodyReference) -> None:
        self.torso_px = body.torso_length_px
        self._side: str | None = None   # the standing side of the run in progress
        self._start: tuple[int, float] | None = None
        self._last: tuple[int, float] | None = None

    def push(self, index: int, t_s: float, frame: PoseTrack) -> list[Span]:
        lift = (frame.xy_px("right_ankle")[0, 1] - frame.xy_px("left_ankle")[0, 1]) / self.torso_px
        if not np.isfinite(lift):
            return []  # an ankle unseen for a frame: the stance goes on (offline, short gaps are filled first)
        side = "right" if lift > LIFTED_FOOT_TORSO else "left" if lift < -LIFTED_FOOT_TORSO else None
        done = self.finish() if side != self._side else []
        if side is not None and side != self._side:
            self._start = (index, t_s)
        self._side = side
        self._last = (index, t_s)
        return done

    def finish(self) -> list[Span]:
        """The stance in progress, if it lasted MIN_STANCE_S (ended at the last frame pushed)."""
        if self._side is None or self._start is None or self._last is None:
            return []
        (a, ta), (b, tb) = self._start, self._last
        side, self._side = self._side, None
        return [Span(side, ta, tb, a, b + 1)] if tb - ta + 1e-9 >= MIN_STANCE_S else []


class _LyingReps:
    """``analysis.lying_reps`` one frame at a time, each rep returned as it ends: the reps of the hip's rise
    (``hip_rise``, torso lengths); with ``opening`` (side views), also the reps of the hip's opening
    (``trunk_thigh_signed_near``, deg) that overlap no rise rep and over which the hips rose
    REP_MIN_RISE_WITH_OPENING_TORSO (``analysis.hips_rose``), starting REP_MIN_SEEN_BEFORE_OPENING_S after the angle
    was first read.

    Offline every rise rep is known before the openings are matched; here a rise rep is known only once the hips have
    fallen REP_MIN_RISE_TORSO from its top, which can be after the opening has ended (a lift just over the rise
    minimum). Then the lift has been counted by its opening, and the rise rep that overlaps it is not returned again:
    the same count as offline, with the opening's span where offline has the rise's.

    ``push(index, t_s, rise, opening) -> list[Rep]`` (stream frame index, s, torso lengths, deg; NaN = unmeasured);
    ``finish() -> list[Rep]``.
    """

    def __init__(self, opening: bool) -> None:
        self._rise = RepSegmenter(min_prominence=REP_MIN_RISE_TORSO, **LYING_REP_PARAMS)
        self._opening = RepSegmenter(min_prominence=REP_MIN_OPENING_DEG, **LYING_REP_PARAMS) if opening else None
        self._x: list[float] = []  # hip_rise from stream frame self._offset on (side views)
        self._t: list[float] = []
        self._offset = 0
        self._rise_reps: list[Rep] = []      # rise reps a later opening rep may overlap (returned or not)
        self._opening_reps: list[Rep] = []   # opening reps returned, that a later rise rep may overlap
        self._last_opening = (0, 0)          # (peak, end) stream indices of the last opening rep
        self._last_rise_peak = 0             # stream index of the last rise rep's peak
        self._first_opening_s: float | None = None  # when the angle was first read (s)

    def push(self, index: int, t_s: float, rise: float, opening: float) -> list[Rep]:
        if self._opening is None:
            return self._rise.push(index, t_s, rise)
        self._x.append(rise)
        self._t.append(t_s)
        if self._first_opening_s is None and np.isfinite(opening):
            self._first_opening_s = t_s
        return self._merge(self._rise.push(index, t_s, rise), self._opening.push(index, t_s, opening))

    def finish(self) -> list[Rep]:
        if self._opening is None:
            return self._rise.finish()
        return self._merge(self._rise.finish(), self._opening.finish())

    def _merge(self, risen: list[Rep], opened: list[Rep]) -> list[Rep]:
        done = []
        for rep in risen:
            self._rise_reps.append(rep)
            self._last_rise_peak = rep.peak_idx
            if not any(rep.overlaps(other) for other in self._opening_reps):
                done.append(rep)
        for rep in opened:
            since = self._last_opening[1]
            self._last_opening = (rep.peak_idx, rep.end_idx)
            first = rep.start_s if self._first_opening_s is None else self._first_opening_s
            seen_before = rep.start_s - first >= REP_MIN_SEEN_BEFORE_OPENING_S
            if seen_before and not any(rep.overlaps(other) for other in self._rise_reps) \
                    and self._hips_rose(rep, since) >= REP_MIN_RISE_WITH_OPENING_TORSO:
                self._opening_reps.append(rep)
                done.append(rep)
        self._forget()
        return sorted(done, key=lambda rep: rep.start_idx)

    def _hips_rose(self, rep: Rep, since: int) -> float:
        o = self._offset
        local = Rep(rep.start_s, rep.peak_s, rep.end_s, max(0, rep.start_idx - o), rep.peak_idx - o,
                    rep.end_idx - o, rep.peak_value, rep.prominence)
        return hips_rose(np.asarray(self._x, float), local, since=max(0, since - o))

    def _forget(self) -> None:
        """Keep what a later rep needs: an opening rep starts after the last one's peak, and the rest before it runs
        from the last one's end (read over its last MAX_REST_LOOKBACK_S at most, as RepSegmenter reads a rest); a
        rise rep starts after the last one's peak."""
        keep_from = min(self._last_opening)
        if self._t:
            keep_from = max(keep_from, self._offset + int(np.searchsorted(self._t, self._t[-1] - MAX_REST_LOOKBACK_S)))
        self._rise_reps = [rep for rep in self._rise_reps if rep.end_idx > self._last_opening[0]]
        self._opening_reps = [rep for rep in self._opening_reps if rep.end_idx > self._last_rise_peak]
        if keep_from > self._offset:
            del self._x[:keep_from - self._offset], self._t[:keep_from - self._offset]
            self._offset = keep_from


@dataclass
class _History:
    """The cleaned frames so far (at most history_s seconds), for judging: stream frame index = offset + row."""

    landmarks: list[np.ndarray] = field(default_factory=list)
    world: list[np.ndarray] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    offset: int = 0

    def append(self, landmarks: np.ndarray, world: np.ndarray, t_s: float) -> None:
        self.landmarks.append(landmarks)
        self.world.append(world)
        self.times.append(t_s)

    def forget_before(self, t_s: float) -> None:
        """Drop the frames older than t_s seconds."""
        cut = int(np.searchsorted(self.times, t_s))
        if cut > 0:
            del self.landmarks[:cut], self.world[:cut], self.times[:cut]
            self.offset += cut


class StreamingAnalyzer:
    """Frame-by-frame analysis of one exercise seen from one view: events as reps, holds and strides finish.

    exercise : one of rules.EXERCISES; view : one of rules.VIEWS (both given: detecting them needs the whole clip).
    frame_width, frame_height : pixels; the image landmarks are normalised to them and every angle is measured in
        pixels (kinematics).
    thresholds : the rules' thresholds (default: thresholds.toml).
    body_ref : a body reference to use from the first frame (e.g. from an earlier session); None measures one over
        the first ``calibration_s`` seconds with the person found (those frames are analysed once it is measured).
    fps : frames per second: the frame period for hold durations, the length of the stride torso window, and the
        time a frame with the person counts for toward ``calibration_s``.
    history_s : seconds of cleaned track kept for judging (None: all).
    cleaner : the causal cleaning chain (default: ``CausalCleaner`` with STREAM_MIN_CUTOFF_HZ and STREAM_BETA).
    model_name : what made the landmarks, as ``PoseTrack.model_name``: rules correct MediaPipe's measured landmark
        gains and offsets unless it is ``track.EXACT_PROJECTION_MODEL`` (a synthetic body's exact projection).
    outline : ``outline(track, first_index, frames) -> track`` adds the body's outline (contour_pass) at the given
        rows of a track whose row 0 is stream frame ``first_index``; called, for a bridge or hip thrust from the side,
        with each finished rep's top frames and each hold's, so lumbar_arch judges them by the outline as offline
        (live.outline.LiveOutlines.trace). None: judged without one (the landmark line).

    ``push(image_landmarks (33, 4), world_landmarks (33, 3), t_s) -> list[Event]``: one frame (NaN rows when
    nobody was found) at strictly increasing ``t_s`` seconds. ``finish() -> list[Event]``: the end of the stream.
    """

    def __init__(self, exercise: str, view: str, thresholds: Thresholds | None = None,
                 body_ref: BodyReference | None = None, *, frame_width: int, frame_height: int, fps: float = 30.0,
                 calibration_s: float = CALIBRATION_S, history_s: float | None = HISTORY_S,
                 cleaner: CausalCleaner | None = None, model_name: str = "",
                 outline: Callable[[PoseTrack, int, list[int]], PoseTrack] | None = None) -> None:
        if exercise not in EXERCISES:
            raise ValueError(f"unknown exercise {exercise!r}; valid: {', '.join(EXERCISES)}")
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; valid: {', '.join(VIEWS)}")
        self.exercise, self.view = exercise, view
        self.th = thresholds or Thresholds.load()
        self.body = body_ref
        self.fps = float(fps)
        self.frame_size = (int(frame_width), int(frame_height))
        self.calibration_s = float(calibration_s)
        self.history_s = history_s
        self.model_name = model_name
        self.outline = outline if outline_is_read(exercise, view) else None
        self._cleaner = cleaner or CausalCleaner(min_cutoff_hz=STREAM_MIN_CUTOFF_HZ, beta=STREAM_BETA)
        self._history = _History()
        self._next_index = 0        # stream index of the next frame pushed
        self._analysed = 0          # stream index of the next frame to feed the segmenters
        self._filled_to = 0         # stream index up to which the kept track's closed gaps are filled
        self._seen_s = 0.0          # seconds with the person found
        self._reps: RepSegmenter | _LyingReps | None = None
        self._rep_sign = 1.0
        self._holds: HoldSegmenter | None = None
        self._hold_signal = ""
        self._strides: _Strides | None = None
        self._stances: _Stances | None = None
        self._make_segmenters()

    # ---- phases for the exercise, as analysis.find_phases ------------------------------------------------------
    def _make_segmenters(self) -> None:
        th, period = self.th, 1.0 / self.fps
        if self.exercise in LYING:
            self._reps = _LyingReps(opening=self.view == "side")
            min_hold = th["hold", "min_duration_s"]
            if self.view == "side":
                self._hold_signal = "off_straight"
                self._holds = HoldSegmenter(tolerance=th["hold", "within_straight_deg"], level=0.0,
                                            min_duration_s=min_hold, frame_period_s=period)
            else:
                self._hold_signal = "hip_rise"
                self._holds = HoldSegmenter(tolerance=HOLD_MIN_RISE_TOLERANCE_TORSO, min_duration_s=min_hold,
                                            frame_period_s=period)
        elif self.exercise in ("squat", "single_leg_squat"):
            self._reps = RepSegmenter(min_prominence=MIN_DIP_TORSO[self.exercise], **DIP_REP_PARAMS)
            self._rep_sign = -1.0
        elif self.exercise == "walk":
            self._strides = _Strides(self.fps)

    # ---- frames in ---------------------------------------------------------------------------------------------
    def push(self, image_landmarks: np.ndarray, world_landmarks: np.ndarray, t_s: float) -> list[Event]:
        """One frame in; the events it completes out (see the class docstring)."""
        landmarks, world = self._cleaner.push(float(t_s), image_landmarks, world_landmarks)
        self._history.append(landmarks, world, float(t_s))
        self._next_index += 1
        if np.isfinite(landmarks[:, 0]).any():
            self._seen_s += 1.0 / self.fps
        events: list[Event] = []
        if self.body is None and self._seen_s + 1e-9 >= self.calibration_s:
            self.body = kinematics.measure_body(self._track())
            events.append(Event("calibrated", float(t_s), body=self.body))
        if self.body is not None:
            while self._analysed < self._next_index:
                events += self._analyse(self._analysed, float(t_s))
                self._analysed += 1
        if self.history_s is not None:
            self._history.forget_before(float(t_s) - self.history_s)
            self._analysed = max(self._analysed, self._history.offset)  # frames forgotten before calibration
        return events

    def finish(self) -> list[Event]:
        """The end of the stream: reps, holds and strides still open, ended as offline ends them."""
        events: list[Event] = []
        if self._next_index == 0:
            return events
        t_end = self._history.times[-1]
        if self.body is None:  # never calibrated: measure over what there is
            self.body = kinematics.measure_body(self._track())
            events.append(Event("calibrated", t_end, body=self.body))
            while self._analysed < self._next_index:
                events += self._analyse(self._analysed, t_end)
                self._analysed += 1
        if self._reps is not None:
            events += [self._rep_event(rep, t_end) for rep in self._reps.finish()]
        if self._holds is not None:
            events += [self._hold_event(hold, t_end) for hold in self._holds.finish()]
        if self._strides is not None:
            events += [self._stride_event(span, t_end) for span in self._strides.finish()]
        if self._stances is not None:
            events += [self._stance_event(span, t_end) for span in self._stances.finish()]
        return events

    def _track(self) -> PoseTrack:
        h = self._history
        return PoseTrack(
            landmarks=np.stack(h.landmarks), world_landmarks=np.stack(h.world), timestamps_s=np.asarray(h.times),
            fps=self.fps, frame_width=self.frame_size[0], frame_height=self.frame_size[1], source="stream",
            model_name=self.model_name,
        )

    def _frame(self, index: int) -> PoseTrack:
        row = index - self._history.offset
        h = self._history
        return PoseTrack(
            landmarks=h.landmarks[row][None], world_landmarks=h.world[row][None],
            timestamps_s=np.asarray([h.times[row]]), fps=self.fps,
            frame_width=self.frame_size[0], frame_height=self.frame_size[1],
        )

    def _analyse(self, index: int, now_s: float) -> list[Event]:
        """Feed one cleaned frame's signals to the segmenters; events for the phases that ended."""
        frame = self._frame(index)
        t_s = float(frame.timestamps_s[0])
        events: list[Event] = []
        if self.exercise == "single_leg_stance":
            if self._stances is None:
                self._stances = _Stances(self.body)
            return [self._stance_event(span, now_s) for span in self._stances.push(index, t_s, frame)]
        if self._reps is None and self._strides is None:
            return events
        if self._strides is not None:
            return [self._stride_event(span, now_s) for span in self._strides.push(index, t_s, frame)]
        kin = kinematics.compute(frame, ["hip_rise", "trunk_thigh_signed_near"], body=self.body)
        rise, angle = float(kin["hip_rise"][0]), float(kin["trunk_thigh_signed_near"][0])
        signals = (rise, angle) if isinstance(self._reps, _LyingReps) else (self._rep_sign * rise,)
        for rep in self._reps.push(index, t_s, *signals):
            events.append(self._rep_event(rep, now_s))
        if self._holds is not None:
            off_straight = -abs(angle - 180.0)
            value = off_straight if self._hold_signal == "off_straight" else rise
            for hold in self._holds.push(index, t_s, value):
                events.append(self._hold_event(hold, now_s))
        return events

    # ---- judging -----------------------------------------------------------------------------------------------
    def _judged_track(self) -> PoseTrack:
        """The track so far for the rules, its short gaps filled as offline (``clean.fill_gaps``) once they have
        closed, so no frame after now is read. Filled frames are kept: each call fills only the frames since the
        last one (and one second before them, for a gap that was still open then)."""
        track = self._track()
        lo = max(0, self._filled_to - self._history.offset - int(np.ceil(self.fps)))
        tail = fill_gaps(track[lo:])
        h = self._history
        for row in range(lo, len(track)):
            h.landmarks[row] = tail.landmarks[row - lo]
            h.world[row] = tail.world_landmarks[row - lo]
        self._filled_to = h.offset + len(track)
        return track.with_arrays(landmarks=np.concatenate([track.landmarks[:lo], tail.landmarks]),
                                 world_landmarks=np.concatenate([track.world_landmarks[:lo], tail.world_landmarks]))

    def _judge(self, track: PoseTrack, **phases) -> tuple[tuple[Finding, ...], tuple[NotJudged, ...]]:
        findings, not_judged = judge_phase(track, self.exercise, self.view, self.th, body=self.body, **phases)
        return tuple(findings), tuple(not_judged)

    def _rep_event(self, rep: Rep, now_s: float) -> Event:
        local = _shift_rep(rep, self._history.offset)
        track = self._judged_track()
        if self.outline is not None:
            track = self.outline(track, self._history.offset, rep_top_frames(local.peak_idx, self.fps))
        findings, not_judged = self._judge(track, reps=[local])
        return Event("rep_completed", now_s, rep=rep, findings=findings, not_judged=not_judged)

    def _hold_event(self, hold: Hold, now_s: float) -> Event:
        """A hold is judged on its own frames: with no rep in view, rules such as knee_valgus read every frame."""
        start = max(0, hold.start_idx - self._history.offset)
        stop = hold.end_idx - self._history.offset
        local = Hold(hold.start_s, hold.end_s, hold.duration_s, 0, stop - start, hold.level)
        track = self._judged_track()[start:stop]
        if self.outline is not None:
            track = self.outline(track, self._history.offset + start, hold_frames(stop - start))
        findings, not_judged = self._judge(track, holds=[local])
        return Event("hold_ended", now_s, hold=hold, findings=findings, not_judged=not_judged)

    def _stride_event(self, stride: Span, now_s: float) -> Event:
        """A stride is judged with every stride so far in the kept track: hip_sway's verdict is a median over
        steps (one noisy step is not a verdict), so the running verdict is the one the whole walk converges to."""
        assert self._strides is not None
        offset = self._history.offset
        gait = self._strides.gait_so_far(offset)
        local = Gait(
            heel_strikes=gait.heel_strikes, toe_offs=gait.toe_offs,
            stances={s: [_shift_span(x, offset) for x in v] for s, v in gait.stances.items()},
            strides={s: [_shift_span(x, offset) for x in v] for s, v in gait.strides.items()},
        )
        findings, not_judged = self._judge(self._judged_track(), gait=local)
        return Event("stride_completed", now_s, stride=stride, findings=findings, not_judged=not_judged)

    def _stance_event(self, stance: Span, now_s: float) -> Event:
        """A single-leg stance is judged with the stances so far: stance_asymmetry finds them in the track itself
        and compares the two sides."""
        findings, not_judged = self._judge(self._judged_track())
        return Event("stance_ended", now_s, stride=stance, findings=findings, not_judged=not_judged)

"""The setup check before a live set: is the whole body in the picture, which view does the camera have, and what
should change for the exercise ("turn the camera to your side so I can see your lower back", "step back, your feet
are out of the picture"). Pure (no cv2, no mediapipe): landmarks in, a SetupStatus out every ``window_s``.

The set starts when the setup is right, or after ``timeout_s`` with a note of what cannot be judged from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.exercises import EXERCISE_WORDS, EXERCISES, LYING, VIEW_WORDS
from formcheck.track import LANDMARK_INDEX, PoseTrack
from formcheck.views import detect_exercise, detect_view, lying_at_rest

# Seconds of frames judged at a time (the view needs a few dozen frames), and the most a setup may take.
SETUP_WINDOW_S = 1.0
SETUP_TIMEOUT_S = 20.0
# ...and at least this many frames (a loop dropping most frames waits for more before judging).
MIN_WINDOW_FRAMES = 10
# A body part is in the picture when its landmark lies this far inside the frame edges (share of the frame)
# with MediaPipe's visibility at least MIN_VISIBILITY, on at least IN_VIEW_SHARE of the frames with the person.
EDGE_MARGIN = 0.01
MIN_VISIBILITY = 0.5
IN_VIEW_SHARE = 0.8
# The person must be found on this share of the window's frames.
FOUND_SHARE = 0.8

# The views each exercise is best judged from, what to say when the camera has another, and what would go unjudged.
GOOD_VIEWS: dict[str, tuple[str, ...]] = {
    "bridge": ("side",), "hip_thrust": ("side",), "squat": ("front", "back"), "single_leg_squat": ("front", "back"),
    "walk": ("front", "back"), "single_leg_stance": ("front", "back"),
}
TURN_WORDS: dict[str, str] = {
    "bridge": "Turn the camera to your side so I can see your lower back",
    "hip_thrust": "Turn the camera to your side so I can see your lower back",
    "squat": "Face the camera so I can see your knees",
    "single_leg_squat": "Face the camera so I can see your knees",
    "walk": "Walk toward or away from the camera so I can see your hips",
    "single_leg_stance": "Face the camera so I can see your hips",
}
UNJUDGED_ELSEWHERE: dict[str, tuple[str, ...]] = {  # rules the exercise loses away from its good views
    "bridge": ("lumbar_arch", "hip_lockout"), "hip_thrust": ("lumbar_arch", "hip_lockout", "neck_flexion"),
    "squat": ("knee_valgus",), "single_leg_squat": ("knee_valgus",), "walk": ("hip_sway",),
    "single_leg_stance": ("stance_asymmetry",),
}
POSTURE_WORDS = {"lying": "Lie on your back, knees bent, to start", "standing": "Stand up to start"}
# Body parts that must be in the picture, and what to say when one is not.
PARTS: dict[str, tuple[str, ...]] = {
    "head": ("nose",),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "feet": ("left_ankle", "right_ankle"),
}


@dataclass(frozen=True)
class SetupStatus:
    """One judgement of the setup at ``t_s`` seconds.

    ready: the whole body is in view and the view suits the exercise. started: ready, or timed out (the set starts
    either way). words: what to say and show. exercise, view: what the set will be judged as (``view_source``
    "user" or "auto"). not_judged: rule ids the view cannot judge (when starting from a view that does not suit).
    """

    t_s: float
    ready: bool
    started: bool
    words: str
    exercise: str
    view: str
    view_source: str
    posture: str = "unknown"
    problems: tuple[str, ...] = ()
    not_judged: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def event(self) -> dict:
        return {"t_s": round(self.t_s, 3), "type": "setup", "rule": None, "words": self.words, "ready": self.ready,
                "started": self.started, "exercise": self.exercise, "view": self.view,
                "view_source": self.view_source, "not_judged": list(self.not_judged)}


def out_of_view(landmarks: np.ndarray) -> list[str]:
    """Body parts not in the picture, for one window's frames with the person ((T, 33, 4) image landmarks)."""
    missing = []
    for part, names in PARTS.items():
        rows = landmarks[:, [LANDMARK_INDEX[n] for n in names]]
        x, y, vis = rows[..., 0], rows[..., 1], rows[..., 3]
        inside = (np.isfinite(x) & (x >= EDGE_MARGIN) & (x <= 1 - EDGE_MARGIN) & (y >= EDGE_MARGIN)
                  & (y <= 1 - EDGE_MARGIN) & ~(np.isfinite(vis) & (vis < MIN_VISIBILITY)))
        if inside.all(axis=1).mean() < IN_VIEW_SHARE:
            missing.append(part)
    return missing


def framing_words(missing: list[str]) -> str:
    """What to say about the parts out of the picture."""
    if not missing:
        return ""
    if len(missing) >= 4:
        return "Step back, I can only see part of you"
    names = " and ".join(missing)
    verb = "are" if len(missing) > 1 or missing[0] not in ("head",) else "is"
    return f"Step back, your {names} {verb} out of the picture"


class SetupCheck:
    """push(image_landmarks (33, 4), world_landmarks (33, 3), t_s) -> a SetupStatus every ``window_s`` seconds
    (None in between), until one has ``started``. exercise, view: names or "auto"."""

    def __init__(self, exercise: str, view: str, *, frame_width: int, frame_height: int, fps: float,
                 window_s: float = SETUP_WINDOW_S, timeout_s: float = SETUP_TIMEOUT_S) -> None:
        self.exercise, self.view = exercise, view
        self.frame_size = (int(frame_width), int(frame_height))
        self.fps = float(fps)
        self.window_s, self.timeout_s = float(window_s), float(timeout_s)
        self._rows: list[tuple[np.ndarray, np.ndarray, float]] = []
        self._first_t: float | None = None
        self.status: SetupStatus | None = None

    def push(self, landmarks: np.ndarray, world: np.ndarray, t_s: float) -> SetupStatus | None:
        if self.status is not None and self.status.started:
            return None
        if self._first_t is None:
            self._first_t = t_s
        self._rows.append((landmarks, world, t_s))
        if t_s - self._rows[0][2] + 1.0 / self.fps < self.window_s - 1e-9 or len(self._rows) < MIN_WINDOW_FRAMES:
            return None
        rows, self._rows = self._rows, []
        self.status = self._judge(rows, t_s, timed_out=t_s - self._first_t >= self.timeout_s)
        return self.status

    def _judge(self, rows, t_s: float, *, timed_out: bool) -> SetupStatus:
        track = PoseTrack(landmarks=np.stack([r[0] for r in rows]), world_landmarks=np.stack([r[1] for r in rows]),
                          timestamps_s=np.array([r[2] for r in rows]), fps=self.fps, frame_width=self.frame_size[0],
                          frame_height=self.frame_size[1], source="setup")
        found = track.detected
        exercise = self.exercise if self.exercise in EXERCISES else "unknown"
        view = self.view if self.view in VIEW_WORDS else "unknown"
        source = "user" if self.view in VIEW_WORDS else "auto"
        if found.mean() < FOUND_SHARE:
            return self._status(t_s, ["nobody"], "I can't see you: step into the picture", exercise, view, source,
                                "unknown", timed_out)
        seen = track[found]
        guess = detect_view(seen)
        posture = guess.posture
        if source == "auto":
            view = guess.view
        notes: list[str] = []
        if exercise == "unknown":
            detected = detect_exercise(seen, guess).exercise
            if detected not in EXERCISES:  # no movement in this look: lying still on the floor or on a bench
                detected = lying_at_rest(seen, guess) if posture == "lying" else "squat"
            exercise = detected
            notes.append(f"exercise not given: taken for a {EXERCISE_WORDS[exercise]} (give --exercise to choose)")
        problems: list[str] = []
        words: list[str] = []
        missing = out_of_view(seen.landmarks)
        if missing:
            problems.append("framing")
            words.append(framing_words(missing))
        wanted_posture = "lying" if exercise in LYING else "standing"
        if posture in ("lying", "standing") and posture != wanted_posture:
            problems.append("posture")
            words.append(POSTURE_WORDS[wanted_posture])
        elif view not in GOOD_VIEWS[exercise]:
            if source == "auto":
                problems.append("view")
                words.append(TURN_WORDS[exercise])
            else:  # the view was chosen (--view): say what it loses, do not hold the set back for it
                turn = TURN_WORDS[exercise]
                notes.append(f"from the {VIEW_WORDS[view]} I cannot judge {', '.join(UNJUDGED_ELSEWHERE[exercise])}: "
                             f"{turn[0].lower()}{turn[1:]}")
        return self._status(t_s, problems, ". ".join(words), exercise, view, source, posture, timed_out,
                            tuple(notes))

    def _status(self, t_s, problems, words, exercise, view, source, posture, timed_out, notes=()) -> SetupStatus:
        ready = not problems
        timed_out = timed_out and exercise in EXERCISES and view in VIEW_WORDS  # nobody seen yet: keep looking
        not_judged: tuple[str, ...] = ()
        if exercise in GOOD_VIEWS and view in VIEW_WORDS and view not in GOOD_VIEWS[exercise] and (ready or timed_out):
            not_judged = UNJUDGED_ELSEWHERE[exercise]
        if ready:
            words = (f"Ready: {VIEW_WORDS.get(view, view)}, whole body in the picture. "
                     f"Start your {EXERCISE_WORDS.get(exercise, 'set')}")
        elif timed_out:
            cannot = f"; from here I cannot judge {', '.join(not_judged)}" if not_judged else ""
            words = f"Starting anyway{cannot}. {words}".strip()
        return SetupStatus(t_s, ready, ready or timed_out, words, exercise, view, source, posture,
                           tuple(problems), not_judged, tuple(notes))

"""What formcheck judges: the exercises, the camera views, how each reads in a sentence, and the least footage it
needs. Pure data: the rules, the analysis, the report and the command line all read these names from here.
"""
from __future__ import annotations

EXERCISES: tuple[str, ...] = ("bridge", "hip_thrust", "squat", "single_leg_squat", "walk", "single_leg_stance")
VIEWS: tuple[str, ...] = ("side", "front", "back", "feet", "oblique")
AUTO = "auto"  # detect it from the track
LYING: tuple[str, ...] = ("bridge", "hip_thrust")  # done lying on the back

# Names in plain words, for summaries.
EXERCISE_WORDS: dict[str, str] = {
    "bridge": "glute bridge",
    "hip_thrust": "hip thrust",
    "squat": "squat",
    "single_leg_squat": "single-leg squat",
    "walk": "walk",
    "single_leg_stance": "single-leg stance",
}
VIEW_WORDS: dict[str, str] = {
    "side": "side view",
    "front": "front view",
    "back": "back view",
    "feet": "feet view",
    "oblique": "oblique (three-quarter) view",
}

MIN_FRAMES = 3  # frames with a person: fewer and nothing is judged


def _check(name: str, valid: tuple[str, ...], label: str) -> str:
    if name != AUTO and name not in valid:
        raise ValueError(f"{label} {name!r}: choose one of {', '.join((AUTO, *valid))}")
    return name


def check_exercise(name: str, *, label: str = "exercise") -> str:
    """`name` when it is 'auto' or one of EXERCISES; else a ValueError, '<label> 'x': choose one of auto, ...'."""
    return _check(name, EXERCISES, label)


def check_view(name: str, *, label: str = "view") -> str:
    """`name` when it is 'auto' or one of VIEWS; else a ValueError, '<label> 'x': choose one of auto, ...'."""
    return _check(name, VIEWS, label)

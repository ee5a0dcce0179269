"""How numbers, units, times and counts are written for a person: one formatter each, shared by the rules' cues, the
summary, the terminal, the HTML report and the key frames. Pure text.
"""
from __future__ import annotations

import math

DEGREE_UNITS = ("deg", "degrees", "°")
RATIO_UNITS = ("", "ratio", "-")
UNIT_WORDS = {"torso": "torso lengths", "hipw": "hip widths"}


def format_value(value: float | None, unit: str, *, degree_digits: int = 1, significant: int | None = None,
                 missing: str = "n/a") -> str:
    """A measured value with its unit: '14.2°', '0.85', '1.2 s', '0.12 torso lengths', '9.6° pelvic drop'.

    Degrees (deg, degrees, °) get `degree_digits` decimals and a degree sign; with `significant` set, any other unit
    gets that many significant digits (whole numbers from 1000 up) instead of the fixed decimals (ratios and units
    with words: 2, seconds: 1, percent: 0). `missing` stands for None, NaN and infinities.
    """
    if value is None or not math.isfinite(value):
        return missing
    u = (unit or "").strip()
    if u.lower() in DEGREE_UNITS:
        return f"{_fixed(value, degree_digits)}°"
    first, _, words = u.partition(" ")
    if words and first.lower() in DEGREE_UNITS:  # 'deg past straight' -> '14.2° past straight'
        return f"{_fixed(value, degree_digits)}° {words}"
    if words and first == "s" and significant is None:  # 's held' -> '1.7 s held'
        return f"{_fixed(value, 1)} s {words}"
    if significant is not None:
        text = f"{value:.{significant}g}" if abs(value) < 1000 else f"{value:.0f}"
        return f"{text} {UNIT_WORDS.get(u, u)}".strip()
    if u.lower() in RATIO_UNITS:
        return _fixed(value, 2)
    if u == "s":
        return f"{_fixed(value, 1)} s"
    if u == "%":
        return f"{_fixed(value, 0)}%"
    return f"{_fixed(value, 2)} {UNIT_WORDS.get(u, u)}"


def _fixed(value: float, digits: int) -> str:
    """value with `digits` decimals; never '-0' (a value that rounds to zero has no sign)."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def format_span(start_s: float, end_s: float, *, instant_s: float = 0.05) -> str:
    """'2.1–4.0 s', or '2.1 s' for a span shorter than instant_s seconds (0: always a span)."""
    if abs(end_s - start_s) < instant_s:
        return f"{start_s:.1f} s"
    return f"{start_s:.1f}–{end_s:.1f} s"


def plural(count: int, noun: str) -> str:
    """'1 rep', '3 reps'."""
    return f"{count} {noun}{'s' if count != 1 else ''}"

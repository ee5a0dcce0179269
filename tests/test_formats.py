"""The one number, time and count formatter (formcheck.formats): hand-computed table."""
import math

import pytest

from formcheck.formats import format_span, format_value, plural


@pytest.mark.parametrize(
    "value, unit, kwargs, text",
    [
        (14.24, "deg", {}, "14.2°"),
        (14.24, "°", {"degree_digits": 0}, "14°"),
        (0.853, "ratio", {}, "0.85"),
        (0.853, "", {}, "0.85"),
        (1.26, "s", {}, "1.3 s"),
        (12.4, "%", {}, "12%"),
        (0.123, "torso", {}, "0.12 torso lengths"),
        (9.5637, "deg pelvic drop", {}, "9.6° pelvic drop"),
        (9.5637, "deg pelvic drop", {"degree_digits": 0}, "10° pelvic drop"),
        (1.72, "s held", {}, "1.7 s held"),
        (-0.04, "deg", {"degree_digits": 0}, "0°"),  # never "-0°"
        (-0.4, "deg", {"degree_digits": 0}, "0°"),
        (-0.6, "deg", {"degree_digits": 0}, "-1°"),
        (-0.001, "ratio", {}, "0.00"),
        (0.01234, "s", {"significant": 3}, "0.0123 s"),
        (1234.5, "", {"significant": 3}, "1234"),
        (5.0, "°", {"significant": 3}, "5.0°"),
        (None, "deg", {}, "n/a"),
        (math.nan, "deg", {"missing": "--"}, "--"),
        (math.inf, "s", {}, "n/a"),
    ],
)
def test_format_value(value, unit, kwargs, text):
    assert format_value(value, unit, **kwargs) == text


def test_format_span_and_plural():
    assert format_span(2.1, 4.04) == "2.1–4.0 s"
    assert format_span(2.1, 2.13) == "2.1 s"  # an instant
    assert format_span(2.1, 2.13, instant_s=0) == "2.1–2.1 s"
    assert (plural(1, "rep"), plural(0, "rep"), plural(3, "hold")) == ("1 rep", "0 reps", "3 holds")

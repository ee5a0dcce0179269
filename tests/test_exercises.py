"""One list of exercises and views, one validation of their names (formcheck.exercises)."""
import pytest

from formcheck import exercises, rules, views
from formcheck.exercises import check_exercise, check_view


def test_every_list_of_names_is_the_one_list():
    assert rules.EXERCISES == exercises.EXERCISES and rules.VIEWS == exercises.VIEWS
    assert views.EXERCISES == (*exercises.EXERCISES, "unknown") and views.VIEWS == (*exercises.VIEWS, "unknown")
    assert set(exercises.EXERCISE_WORDS) == set(exercises.EXERCISES)
    assert set(exercises.VIEW_WORDS) == set(exercises.VIEWS)


@pytest.mark.parametrize(
    "check, name, label, message",
    [
        (check_exercise, "deadlift", "--exercise", "--exercise 'deadlift': choose one of auto, bridge, hip_thrust, "),
        (check_view, "top", "--view", "--view 'top': choose one of auto, side, front, back, feet, oblique"),
        (check_exercise, "deadlift", "exercise", "exercise 'deadlift': choose one of auto, bridge"),
    ],
)
def test_an_unknown_name_is_refused_naming_the_valid_ones(check, name, label, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        check(name, label=label)


@pytest.mark.parametrize("name", ["auto", "bridge", "single_leg_stance"])
def test_known_exercise_names_pass(name):
    assert check_exercise(name) == name

"""Manifest exercise `none` (a movement formcheck does not judge) and the exercise confusion table."""
from __future__ import annotations

import pytest

from formcheck.evaluate import NOT_JUDGED, evaluate, exercise_confusion, read_manifest, score
from formcheck.pipeline import analyze
from formcheck.synth import exact_track


def test_none_rows_are_analysed_with_detection_and_tabulated(tmp_path):
    exact_track("squat", {}, view="front", seconds=6.0, noise=True).save(tmp_path / "squat.npz")
    exact_track("squat", {"knee_valgus": 25}, view="front", seconds=6.0, noise=True).save(tmp_path / "valgus.npz")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults,split\n"
                        "squat.npz,none,auto,none,calibration\n"       # labelled as not judged: should be declined
                        "valgus.npz,auto,auto,knee_valgus,report\n")
    assert [r["exercise"] for r in read_manifest(manifest)] == [NOT_JUDGED, "auto"]
    seen = []
    results = evaluate(manifest, analyze_clip=lambda p, e, v: seen.append(e) or analyze(p, exercise=e, view=v))
    assert seen == ["auto", "auto"]  # `none` is analysed as a new user would: formcheck detects the exercise
    assert [r.split for r in results] == ["calibration", "report"]
    assert {r.detected for r in results} == {"squat"}
    table = exercise_confusion(results, {"squat.npz": NOT_JUDGED, "valgus.npz": "squat"})
    assert table == {(NOT_JUDGED, "squat"): 1, ("squat", "squat"): 1}
    knee = {s.rule: s for s in score(results)}["knee_valgus"]
    assert (knee.tp, knee.fn) == (1, 0)


def test_an_unknown_exercise_label_is_still_refused(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults\nx.npz,lunge,auto,none\n")
    with pytest.raises(ValueError, match="lunge"):
        read_manifest(manifest)


def test_detect_mode_labels_every_clip_and_counts_false_alarms_per_split(tmp_path):
    from formcheck.evaluate import by_split, false_alarms, wrong_exercise_judged

    exact_track("squat", {}, view="front", seconds=6.0, noise=True).save(tmp_path / "squat.npz")
    exact_track("squat", {"knee_valgus": 25}, view="front", seconds=6.0, noise=True).save(tmp_path / "valgus.npz")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults,split\n"
                        "squat.npz,bridge,side,none,calibration\n"     # a wrong label: detection says squat
                        "valgus.npz,squat,front,knee_valgus,report\n")
    seen = []
    results = evaluate(manifest, detect=True,
                       analyze_clip=lambda p, e, v: seen.append((e, v)) or analyze(p, exercise=e, view=v))
    assert seen == [("auto", "auto"), ("auto", "auto")]  # the labels are not given to the analysis
    assert [r.exercise for r in results] == ["bridge", "squat"]  # ... but kept for scoring
    assert [r.path for r in wrong_exercise_judged(results)] == ["squat.npz"]
    assert exercise_confusion(results, {r.path: r.exercise for r in results}) == {("bridge", "squat"): 1,
                                                                                  ("squat", "squat"): 1}
    groups = by_split(results)
    assert set(groups) == {"calibration", "report", "all"} and len(groups["all"]) == 2
    alarmed, correct = false_alarms(results)
    assert correct == 1 and alarmed == []  # the valgus clip is not correct form; the correct squat is silent


def test_eval_cli_prints_split_false_alarms_and_the_confusion_matrix(tmp_path):
    import json

    from typer.testing import CliRunner

    from formcheck.cli import app

    exact_track("squat", {}, view="front", seconds=6.0, noise=True).save(tmp_path / "squat.npz")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults,split\nsquat.npz,squat,front,none,report\n")
    result = CliRunner().invoke(app, ["eval", str(manifest), "--detect", "--json-out", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    assert "false alarms — report clips (1): 0 of 1 correct-form clips" in result.output
    assert "wrong exercise judged: 0 of 1 clips" in result.output
    data = json.loads((tmp_path / "e.json").read_text())
    assert data["splits"]["report"]["false_alarms"]["correct_form_clips"] == 1
    assert data["exercise_confusion"] == [{"labelled": "squat", "detected": "squat", "clips": 1}]


def test_a_turned_clip_is_counted_as_turned_not_as_a_wrong_exercise(tmp_path):
    """A side-on squat whose video lost its rotation tag is detected as a hip thrust, but the report judges nothing and
    names the --rotate: eval counts it `turned`, not as another exercise's rules run."""
    from test_bad_inputs import turned

    from formcheck.evaluate import wrong_exercise_judged

    turned(exact_track("squat", {}, view="side", seconds=6.0, noise=True), 90).save(tmp_path / "turned.npz")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,exercise,view,expected_faults\nturned.npz,squat,side,none\n")
    results = evaluate(manifest, detect=True, analyze_clip=lambda p, e, v: analyze(p, exercise=e, view=v))
    assert results[0].turned and results[0].detected == "hip_thrust"
    assert exercise_confusion(results, {"turned.npz": "squat"}) == {("squat", "turned"): 1}
    assert wrong_exercise_judged(results) == []

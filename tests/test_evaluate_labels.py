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

"""Dose-response per rule across several sweep folders (one per body shape or camera), as a markdown table.

    python scripts/sweep_table.py DIR [DIR ...]

Each DIR is a scripts/sweep_eval.py output (manifest.csv and eval.json, e.g. after `sweep_eval.py DIR --score-only`).
A cell is "flagged / faulty, silent / correct": clips whose exact track faults (the truth past the threshold) and that
the rule faulted on the video, then correct-form clips (magnitude 0; for the neck knob, <= 0) with no fault. In-between
clips are not scored. A second table counts any finding: flagged = a warning or a fault on a clip whose exact track
faults; silent = neither a warning nor a fault on correct form. Every strict miss is listed after the tables, with
"(warned)" or "(not judged)" when the rule said so, and every warning on correct form.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

from formcheck.evaluate import rule_for_knob


def is_correct_form(fault: str, magnitude: float) -> bool:
    """No fault in the clip: knob at 0, or for the neck knob a tucked chin (negative = flexion, the cue), as in
    scripts/sweep_eval.py."""
    return magnitude <= 0 if fault == "neck" else magnitude == 0


def tally(folder: Path) -> tuple[dict[str, list[int]], list[str]]:
    """rule -> [flagged, faulty, silent, correct, flagged_any, silent_any] for one sweep folder, and its misses.

    flagged/silent count faults only; flagged_any/silent_any count a warning as a finding too."""
    rows = {r["path"]: r for r in csv.DictReader(open(folder / "manifest.csv"))}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    misses = []
    for clip in json.loads((folder / "eval.json").read_text())["clips"]:
        row = rows[clip["path"]]
        rule = rule_for_knob(row["fault"], row["exercise"])
        if clip.get("error"):
            misses.append(f"{folder.name} {clip['path']}: error {clip['error']}")
            continue
        count = counts[rule]
        warned = rule in clip.get("warned", [])
        if is_correct_form(row["fault"], float(row["magnitude"] or 0)):
            count[3] += 1
            if rule in clip["flagged"]:
                misses.append(f"{folder.name} {clip['path']}: fault on correct form")
            else:
                count[2] += 1
                if warned:
                    misses.append(f"{folder.name} {clip['path']}: warning on correct form")
                else:
                    count[5] += 1
        elif rule in clip["expected"]:
            count[1] += 1
            if rule in clip["flagged"] or warned:
                count[4] += 1
            if rule in clip["flagged"]:
                count[0] += 1
            else:
                said = " (not judged)" if rule in clip["not_judged"] else " (warned)" if rule in clip["warned"] else ""
                misses.append(f"{folder.name} {clip['path']}: missed{said}")
    return counts, misses


def main() -> None:
    folders = [Path(a) for a in sys.argv[1:]]
    if not folders:
        sys.exit(__doc__)
    tallies = {f.name: tally(f) for f in folders}
    rules = sorted({rule for counts, _ in tallies.values() for rule in counts})
    share = lambda a, b: f"{100 * a / b:.0f}%" if b else "–"  # noqa: E731
    for title, hit, silent in (("strict: a fault counts", 0, 2), ("any finding: a warning or a fault counts", 4, 5)):
        print(f"{title}\n")
        print("| rule | " + " | ".join(tallies) + " | all |")
        print("|---|" + "---|" * (len(tallies) + 1))
        for rule in rules:
            total = [0] * 6
            cells = []
            for counts, _ in tallies.values():
                c = counts.get(rule)
                cells.append(f"{c[hit]}/{c[1]}, {c[silent]}/{c[3]}" if c else "–")
                for i in range(6):
                    total[i] += c[i] if c else 0
            cells.append(f"{total[hit]}/{total[1]} ({share(total[hit], total[1])}), {total[silent]}/{total[3]} "
                         f"({share(total[silent], total[3])})")
            print(f"| {rule} | " + " | ".join(cells) + " |")
        print()
    for _, misses in tallies.values():
        for miss in misses:
            print(miss)


if __name__ == "__main__":
    main()

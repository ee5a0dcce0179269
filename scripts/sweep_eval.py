"""Dose-response of every rule through the whole pipeline: render synthetic sweeps, run `formcheck eval` on them.

    python scripts/sweep_eval.py OUT_DIR [--faults back_butt knee_valgus ...] [--seeds 2] [--first-seed 0] [--seconds 8]

For each fault (formcheck.synth.DEFAULT_MAGNITUDES, the fault's best views) and each seed, renders a clip (body height,
walking cadence and step, squat depth and camera zoom vary with the seed) into OUT_DIR/clips, writes
OUT_DIR/manifest.csv, then runs the same scoring as `formcheck eval` (MediaPipe on the rendered video, the expected
verdict from the rule on the exact noise-free track) and prints, per fault and magnitude, the share of clips flagged,
plus per-rule precision/recall and angle error. Results also go to OUT_DIR/eval.json.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from formcheck.synth import DEFAULT_MAGNITUDES, generate, sweep, sweep_clip_name

VARIED_PARAMS = {  # knob -> (low, high), drawn per seed where the motion has the knob
    "height_m": (1.55, 1.90),
    "cadence": (95.0, 120.0),
    "step_length": (0.6, 0.75),
    "depth_deg": (70.0, 100.0),
}


def variation(motion: str, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """(motion params, camera overrides) for a seed; seed 0 is the preset body and camera."""
    from formcheck.synth import PARAMS

    if seed == 0:
        return {}, {}
    rng = np.random.default_rng(1000 + seed)
    params = {k: float(rng.uniform(*span)) for k, span in VARIED_PARAMS.items() if k in PARAMS.get(motion, {})}
    return params, {"vfov_deg": float(rng.uniform(34.0, 46.0))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--faults", nargs="*", default=["back_butt", "incomplete_lockout", "neck", "knee_valgus",
                                                        "pelvic_drop", "pelvic_sway"])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds first-seed .. first-seed+seeds-1 (e.g. 2 for a held-out set beside seeds 0-1)")
    parser.add_argument("--motions", nargs="*", default=None,
                        help="only these motions (e.g. single_leg_stance); default: each fault's best motions")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--score-only", action="store_true",
                        help="re-score OUT_DIR/manifest.csv with the current rules (cached tracks), no rendering")
    args = parser.parse_args()
    if args.score_only:
        score_existing(args.out)
        return
    clips = args.out / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    rows = []
    for fault in args.faults:
        for spec in sweep(fault, DEFAULT_MAGNITUDES[fault]):
            if args.motions and spec["motion"] not in args.motions:
                continue
            if spec["view"] == "feet" and spec["motion"] != "bridge" and spec["motion"] != "hip_thrust":
                continue
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                params, camera = variation(spec["motion"], seed)
                name = sweep_clip_name(spec, seed)
                video = clips / f"{name}.mp4"
                truth = clips / f"{name}.truth.json"
                if not (video.is_file() and truth.is_file()):
                    generate(spec["motion"], {**params, **spec["faults"], **spec["settings"]}, spec["view"],
                             args.seconds, seed, video, camera=camera or None)
                view = "side" if spec["view"].startswith("side") else spec["view"]
                rows.append({"path": f"clips/{video.name}", "exercise": spec["motion"], "view": view,
                             "expected_faults": ";".join(spec["faults"]) or "none", "truth": f"clips/{truth.name}",
                             "magnitude": spec["magnitude"], "fault": fault})
                print(f"rendered {video.name}", flush=True)
    manifest = args.out / "manifest.csv"
    with open(manifest, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eval_json = args.out / "eval.json"
    subprocess.run([sys.executable, "-m", "formcheck.cli", "eval", str(manifest), "--cache", str(args.out / "tracks"),
                    "--json-out", str(eval_json)], check=True)
    print_dose_response(rows, json.loads(eval_json.read_text()))


def score_existing(out: Path) -> None:
    """Re-run the scoring on an earlier sweep (its manifest and cached tracks) with the current rules."""
    manifest = out / "manifest.csv"
    with open(manifest, newline="") as fh:
        rows = list(csv.DictReader(fh))
    eval_json = out / "eval.json"
    subprocess.run([sys.executable, "-m", "formcheck.cli", "eval", str(manifest), "--cache", str(out / "tracks"),
                    "--json-out", str(eval_json)], check=True, stdout=subprocess.DEVNULL)
    print_dose_response(rows, json.loads(eval_json.read_text()))


def is_correct_form(fault: str, magnitude: float) -> bool:
    """A clip without the fault: knob at 0, or for the neck knob a tucked chin (negative = flexion, the cue)."""
    return magnitude <= 0 if fault == "neck" else magnitude == 0


def print_dose_response(rows: list[dict], results: dict) -> None:
    """Per fault knob and magnitude: clips flagged (fault) / clips, and how many were expected (true geometry)."""
    from formcheck.evaluate import rule_for_knob

    by_path = {c["path"]: c for c in results["clips"]}
    print("\ndose-response (flagged = the rule reported a fault; expected = the rule on the exact track)")
    print(f"{'fault':<20}{'motion/view':<26}{'magnitude':>10}{'flagged':>10}{'expected':>10}")
    for row in rows:
        clip = by_path.get(row["path"])
        if clip is None or clip.get("error"):
            continue
        rule = rule_for_knob(row["fault"], row["exercise"])
        row["_flag"] = rule in clip["flagged"]
        row["_exp"] = rule in clip["expected"]
        row["_not_judged"] = rule in clip.get("not_judged", [])
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if "_flag" in row:
            groups.setdefault((row["fault"], f"{row['exercise']}/{row['view']}", float(row["magnitude"])), []).append(row)
    for (fault, where, magnitude), items in sorted(groups.items()):
        flagged = sum(r["_flag"] for r in items)
        expected = sum(r["_exp"] for r in items)
        print(f"{fault:<20}{where:<26}{magnitude:>10g}{flagged:>6}/{len(items):<3}{expected:>6}/{len(items):<3}")
    print_issue_score([row for row in rows if "_flag" in row])


def print_issue_score(rows: list[dict]) -> None:
    """The dose-response criterion per rule: flagged on clips whose fault is at or above the rule's threshold (the
    rule flags the exact, noise-free track), silent on clips with correct form (is_correct_form). Clips with a
    fault below the threshold are in between and not scored. Clips where the rule said "not judged" (the view, or
    landmarks too unsteady to read) are counted apart."""
    from formcheck.evaluate import rule_for_knob

    print("\nper rule: faulty = at/above threshold on the exact track; correct = no fault; in between not scored")
    print(f"{'rule':<16}{'flagged faulty':>16}{'silent correct':>16}{'in between flagged':>20}{'not judged':>12}")
    for rule in sorted({rule_for_knob(r["fault"], r["exercise"]) for r in rows}):
        everything = [r for r in rows if rule_for_knob(r["fault"], r["exercise"]) == rule]
        mine = [r for r in everything if not r["_not_judged"]]
        faulty = [r for r in mine if r["_exp"]]
        correct = [r for r in mine if not r["_exp"] and is_correct_form(r["fault"], float(r["magnitude"]))]
        between = [r for r in mine if not r["_exp"] and not is_correct_form(r["fault"], float(r["magnitude"]))]

        def share(items: list[dict], want_flag: bool) -> str:
            hits = sum(r["_flag"] == want_flag for r in items)
            return f"{hits}/{len(items)} ({100 * hits / len(items):.0f}%)" if items else "-"

        print(f"{rule:<16}{share(faulty, True):>16}{share(correct, False):>16}{share(between, True):>20}"
              f"{len(everything) - len(mine):>6}/{len(everything):<5}")


if __name__ == "__main__":
    main()

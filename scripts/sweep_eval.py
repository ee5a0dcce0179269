"""Dose-response of every rule through the whole pipeline: render synthetic sweeps, run `formcheck eval` on them.

    python scripts/sweep_eval.py OUT_DIR [--faults back_butt knee_valgus ...] [--seeds 2] [--first-seed 0] [--seconds 8]
                                 [--body wide_pelvis] [--camera far_high]
    python scripts/sweep_eval.py OUT_DIR --score-only      # re-score the cached tracks with the current rules

For each fault (formcheck.synth.DEFAULT_MAGNITUDES, the fault's best views) and each seed, renders a clip (body height,
walking cadence and step, squat depth and camera zoom vary with the seed) into OUT_DIR/clips, writes
OUT_DIR/manifest.csv, then runs the same scoring as `formcheck eval` (MediaPipe on the rendered video, the expected
verdict from the rule on the exact noise-free track) and prints, per fault and magnitude, the share of clips flagged,
plus per-rule precision/recall and angle error, and per rule the share flagged at or above threshold and silent on
correct form, with each miss and its measured values. Results also go to OUT_DIR/eval.json. A run adds its clips to
an existing OUT_DIR/manifest.csv (e.g. one fault per run), and scores them all.

--body renders a body shape the rules were not calibrated on (formcheck.synth.BODY_SHAPES), --camera a camera
placement beside the presets (formcheck.synth.CAMERA_VARIANTS); both go into the clip names, the manifest and the
truth files, and the expected verdict is taken on that body's exact track.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from formcheck.synth import BODY_SHAPES, CAMERA_VARIANTS, DEFAULT_MAGNITUDES, generate, sweep, sweep_clip_name

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
    parser.add_argument("--body", default="default", choices=list(BODY_SHAPES),
                        help="body shape to render (default: the one the thresholds were calibrated on)")
    parser.add_argument("--camera", default="preset", choices=list(CAMERA_VARIANTS),
                        help="camera placement: the presets, farther and higher, or lower")
    parser.add_argument("--skip-below", action="store_true",
                        help="render only correct form and the two smallest magnitudes the rule flags on the exact "
                             "track, without sweep variants (the clips the per-rule score counts)")
    parser.add_argument("--score-only", action="store_true",
                        help="re-score OUT_DIR/manifest.csv with the current rules (cached tracks), no rendering")
    args = parser.parse_args()
    if args.score_only:
        score_existing(args.out)
        return
    clips = args.out / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    plan = []
    for fault in args.faults:
        for spec in sweep(fault, DEFAULT_MAGNITUDES[fault], body=args.body):
            spec["camera"] = args.camera
            if args.motions and spec["motion"] not in args.motions:
                continue
            if spec["view"] == "feet" and spec["motion"] != "bridge" and spec["motion"] != "hip_thrust":
                continue
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                params, camera = variation(spec["motion"], seed)
                plan.append((spec, seed, params, {**camera, **CAMERA_VARIANTS[args.camera]}))
    if args.skip_below:
        plan = skip_below(plan, args.seconds, args.body)
    rows = []
    same: dict[tuple, tuple[Path, Path]] = {}  # a correct-form clip serves every fault of its motion and view
    for spec, seed, params, camera in plan:
        fault = spec["fault"]
        name = sweep_clip_name(spec, seed)
        video = clips / f"{name}.mp4"
        truth = clips / f"{name}.truth.json"
        key = (spec["motion"], spec["view"], seed, json.dumps({**spec["faults"], **spec["settings"]}, sort_keys=True))
        if not spec["faults"] and key in same and not video.is_file():
            video, truth = same[key]
        same.setdefault(key, (video, truth))
        if not (video.is_file() and truth.is_file()):
            generate(spec["motion"], {**params, **spec["faults"], **spec["settings"]}, spec["view"],
                     args.seconds, seed, video, camera=camera or None, body=args.body)
        view = "side" if spec["view"].startswith("side") else spec["view"]
        rows.append({"path": f"clips/{video.name}", "exercise": spec["motion"], "view": view,
                     "expected_faults": ";".join(spec["faults"]) or "none", "truth": f"clips/{truth.name}",
                     "magnitude": spec["magnitude"], "fault": fault, "body": args.body, "camera": args.camera})
        print(f"rendered {video.name}", flush=True)
    manifest = args.out / "manifest.csv"
    rows = merge_rows(manifest, rows)
    with open(manifest, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    eval_json = args.out / "eval.json"
    subprocess.run([sys.executable, "-m", "formcheck.cli", "eval", str(manifest), "--cache", str(args.out / "tracks"),
                    "--json-out", str(eval_json)], check=True)
    print_dose_response(rows, json.loads(eval_json.read_text()), args.out)


def skip_below(plan: list[tuple], seconds: float, body: str) -> list[tuple]:
    """The clips the per-rule score counts, and few others: per (fault, motion, view, seed), the correct-form clips
    and the two smallest magnitudes that the rule flags on the exact track (the ones nearest the threshold; the
    largest magnitude when none is flagged). Sweep variants (e.g. the single-leg stance dropping only on one side)
    are left out. Saves rendering and MediaPipe time on a shared machine."""
    from formcheck.evaluate import rule_for_knob, verdicts
    from formcheck.pipeline import analyze
    from formcheck.synth import exact_track

    groups: dict[tuple, list[tuple]] = {}
    for item in plan:
        spec, seed = item[0], item[1]
        if not spec["variant"]:
            groups.setdefault((spec["fault"], spec["motion"], spec["view"], seed), []).append(item)
    kept = []
    for (fault, motion, view, _), items in groups.items():
        rule = rule_for_knob(fault, motion)
        kept += [it for it in items if is_correct_form(fault, it[0]["magnitude"])]
        faulty = [it for it in items if not is_correct_form(fault, it[0]["magnitude"])]
        flagged = []
        for item in faulty:
            spec, seed, params, camera = item
            exact = exact_track(motion, {**params, **spec["faults"], **spec["settings"]}, view, seconds, seed,
                                camera=camera or None, body=body)
            if rule in verdicts(analyze(exact, exercise=motion, view="side" if view.startswith("side") else view))[0]:
                flagged.append(item)
            if len(flagged) == 2:
                break
        kept += flagged[:2] if flagged else faulty[-1:]
    order = {id(it): i for i, it in enumerate(plan)}
    return sorted(kept, key=lambda it: order[id(it)])


def merge_rows(manifest: Path, rows: list[dict]) -> list[dict]:
    """The manifest's earlier rows (other faults rendered by earlier runs into the same folder) followed by these;
    a clip in both keeps the new row."""
    if not manifest.is_file():
        return rows
    with open(manifest, newline="") as fh:
        earlier = list(csv.DictReader(fh))
    new = {r["path"] for r in rows}
    return [r for r in earlier if r["path"] not in new] + rows


def score_existing(out: Path) -> None:
    """Re-run the scoring on an earlier sweep (its manifest and cached tracks) with the current rules."""
    manifest = out / "manifest.csv"
    with open(manifest, newline="") as fh:
        rows = list(csv.DictReader(fh))
    eval_json = out / "eval.json"
    subprocess.run([sys.executable, "-m", "formcheck.cli", "eval", str(manifest), "--cache", str(out / "tracks"),
                    "--json-out", str(eval_json)], check=True, stdout=subprocess.DEVNULL)
    print_dose_response(rows, json.loads(eval_json.read_text()), out)


def is_correct_form(fault: str, magnitude: float) -> bool:
    """A clip without the fault: knob at 0, or for the neck knob a tucked chin (negative = flexion, the cue)."""
    return magnitude <= 0 if fault == "neck" else magnitude == 0


def print_dose_response(rows: list[dict], results: dict, out: Path) -> None:
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
    print_issue_score([row for row in rows if "_flag" in row], out)


def print_issue_score(rows: list[dict], out: Path) -> None:
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
        misses = [(r, "missed") for r in faulty if not r["_flag"]] + [(r, "false alarm") for r in correct if r["_flag"]]
        misses += [(r, "not judged") for r in everything if r["_not_judged"]]
        for r, kind in misses:
            print(f"    {kind:<12}{Path(r['path']).stem:<58}{describe(out, r, rule)}")


def describe(out: Path, row: dict, rule: str) -> str:
    """What the rule read on a clip, from its cached track: findings (severity value/threshold unit), the rule's
    metrics, or why it did not judge; then the same on the exact track (the expected verdict)."""
    from formcheck.evaluate import truth_track
    from formcheck.pipeline import analyze

    def read(analysis) -> str:
        rep = analysis.report
        found = [f"{f.severity} {f.value:.3g}/{f.threshold:.3g} {f.unit}" for f in rep.findings if f.rule == rule]
        skipped = [n.reason[:90] + ("..." if len(n.reason) > 90 else "") for n in rep.not_judged if n.rule == rule]
        metrics = [f"{k.removeprefix(rule + '_')}={v:.3g}" for k, v in rep.metrics.items() if k.startswith(rule)]
        return "; ".join(found + skipped[:1] + metrics[:4]) or "(nothing)"

    stem = Path(row["path"]).stem
    cached = sorted((out / "tracks").glob(f"{stem}-*.npz"))
    view = row["view"]
    measured = read(analyze(cached[-1], exercise=row["exercise"], view=view)) if cached else "(no cached track)"
    exact = truth_track(json.loads((out / row["truth"]).read_text()))
    return f"video: {measured} | exact: {read(analyze(exact, exercise=row['exercise'], view=view))}"


if __name__ == "__main__":
    main()

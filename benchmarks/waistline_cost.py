"""Benchmark: what the waistline pass adds to the pose pass, side by side in one run.

    python benchmarks/waistline_cost.py [VIDEO ...] [--rounds 2]

For each clip (default: a rendered 8 s single-leg stance, made in a temporary folder, and the real front-view clips in
../shared/videos when present), alternately (rounds times, best of each kept), in this process:
- pose:      formcheck.pose.extract_track (MediaPipe on every frame), the part of `formcheck analyze` it sits beside;
- waistline: formcheck.waistline_pass.add_waistline (decode again, search the waist band on every frame with hips).
Prints seconds, ms per frame of each and the ratio waistline/pose (target <= 0.25: a single-leg stance analysis
costs at most a quarter more).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "videos"
REAL_FRONT_CLIPS = [
    SHARED / "walk" / "walk_front_treadmill_adrielzarate.mp4",
    SHARED / "squat" / "slsquat_front_good_tuxotiikeri_hyva2.mp4",
]


def main() -> None:
    from formcheck.analysis import analyze_track
    from formcheck.clean import clean
    from formcheck.pose import extract_track
    from formcheck.synth import generate
    from formcheck.waistline_pass import add_waistline

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = args.videos
        if not clips:
            rendered, _ = generate("single_leg_stance", {"pelvic_drop": 8.0}, "front", 8.0, 0, Path(tmp) / "stance.mp4")
            clips = [rendered] + [p for p in REAL_FRONT_CLIPS if p.is_file()]
        print(f"{'clip':<44} {'frames':>6} {'pose s':>7} {'waist s':>8} {'pose ms/f':>9} {'waist ms/f':>10} {'ratio':>6}")
        for video in clips:
            pose_s, waist_s = float("inf"), float("inf")
            for _ in range(args.rounds):
                started = time.perf_counter()
                track = clean(extract_track(video))
                pose_s = min(pose_s, time.perf_counter() - started)
                # the pass only runs for a single-leg stance seen from the front; time it on every clip as if it were
                report = analyze_track(track, exercise="single_leg_stance", view="front").report
                started = time.perf_counter()
                measured = add_waistline(track, video, report)
                waist_s = min(waist_s, time.perf_counter() - started)
            n = len(track)
            print(f"{video.name[:44]:<44} {n:>6} {pose_s:>7.1f} {waist_s:>8.2f} {1000 * pose_s / n:>9.1f} "
                  f"{1000 * waist_s / n:>10.1f} {waist_s / pose_s:>6.2f}   "
                  f"({measured.meta['waistline'].get('frames_measured', 0)} frames measured)")


if __name__ == "__main__":
    main()

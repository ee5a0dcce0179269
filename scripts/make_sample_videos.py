#!/usr/bin/env python
"""Make the project's synthetic sample clips in sample_videos/ (each with NAME.truth.json beside it).

    python scripts/make_sample_videos.py [--out sample_videos] [--check-determinism]

Clips are 640x360, 30 fps, H.264 (libx264, yuv420p, crf 28, preset slow), rendered by formcheck.synth.
Output is deterministic: the renderer has no randomness and the encoder runs single-threaded with
``+bitexact`` flags, so a second run writes byte-identical files (``--check-determinism`` verifies this for the
first clip by rendering it twice into a temporary directory and comparing SHA-256 hashes).
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from formcheck.synth import generate

ROOT = Path(__file__).resolve().parents[1]

# name -> (motion, faults, view, seconds); fault magnitudes chosen to be clearly faulty
SAMPLES: dict[str, tuple[str, dict[str, float], str, float]] = {
    "bridge_side_good": ("bridge", {}, "side", 10.0),
    "bridge_side_back_butt": ("bridge", {"back_butt": 25.0}, "side", 10.0),
    "bridge_feet_knee_valgus": ("bridge", {"knee_valgus": 15.0}, "feet", 10.0),
    "hip_thrust_side_good": ("hip_thrust", {}, "side", 10.0),
    "walk_front_hip_sway": ("walk", {"pelvic_drop": 10.0, "pelvic_sway": 5.0}, "front", 8.0),
    "walk_front_good": ("walk", {}, "front", 8.0),
    "squat_front_knee_valgus": ("squat", {"knee_valgus": 18.0}, "front", 10.0),
    # the pelvis drops 9 deg on the lifted side only while standing on the left leg (drop_side 1)
    "single_leg_stance_front_left_drop": ("single_leg_stance", {"pelvic_drop": 9.0, "drop_side": 1.0}, "front", 8.0),
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "sample_videos")
    ap.add_argument("--only", nargs="*", help="names to (re)make; default all")
    ap.add_argument("--check-determinism", action="store_true")
    args = ap.parse_args(argv)
    names = args.only or list(SAMPLES)
    for name in names:
        if name not in SAMPLES:
            print(f"unknown sample {name!r}; valid: {', '.join(SAMPLES)}", file=sys.stderr)
            return 2
    for name in names:
        motion, faults, view, seconds = SAMPLES[name]
        t0 = time.perf_counter()
        video, truth = generate(motion, faults, view, seconds, 0, args.out / f"{name}.mp4")
        size = video.stat().st_size
        print(f"{video.relative_to(args.out.parent) if args.out.parent in video.parents else video}: "
              f"{size / 1e6:.2f} MB, {time.perf_counter() - t0:.1f} s")
        if size >= 1_000_000:
            print(f"  warning: {video.name} is over 1 MB", file=sys.stderr)
    if args.check_determinism:
        name = names[0]
        motion, faults, view, seconds = SAMPLES[name]
        with tempfile.TemporaryDirectory() as tmp:
            a, ta = generate(motion, faults, view, seconds, 0, Path(tmp) / "a.mp4")
            b, tb = generate(motion, faults, view, seconds, 0, Path(tmp) / "b.mp4")
            same = sha256(a) == sha256(b) and ta.read_bytes() == tb.read_bytes()
            print(f"determinism ({name}): {'byte-identical' if same else 'DIFFERENT'}")
            if not same:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

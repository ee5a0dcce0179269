"""Landmark steadiness of pose tracks: the numbers behind thresholds.toml `max_landmark_jitter`.

    python scripts/landmark_jitter.py TRACK.npz [TRACK.npz ...]

For each track (as written by `formcheck extract` or the `--cache` of `formcheck eval`), cleaned as `analyze` cleans
it, prints formcheck.rules.base.landmark_jitter of the knees+ankles (knee_valgus) and of the hips (hip_sway), in body
sizes (the median distance from each point's own 1.5 Hz low-passed path).
"""
from __future__ import annotations

import sys
import warnings

import formcheck
from formcheck.rules.base import landmark_jitter
from formcheck.rules.hip_sway import HIP_POINTS
from formcheck.rules.knee_valgus import LEG_POINTS


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    print(f"{'track':<70}{'knees+ankles':>14}{'hips':>10}")
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            track = formcheck.analyze(path).track  # cleaned as `analyze` cleans it (once)
            print(f"{path[-70:]:<70}{landmark_jitter(track, LEG_POINTS):>14.4f}{landmark_jitter(track, HIP_POINTS):>10.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])

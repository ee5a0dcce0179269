"""MediaPipe on the rendered mannequin: detection rate and hip/knee/ankle 2D error against the true projection.

    python benchmarks/synth_landmark_accuracy.py [OUT_DIR] [--seconds 8]

For every motion and camera view below, renders a clip (formcheck.synth.generate), runs formcheck's own pose
extraction on it (raw, no cleaning), and compares each detected hip, knee and ankle with the exact projection of the
synthetic body. Errors are in % of torso length, where torso length is the 3D mid-shoulder-to-mid-hip distance
projected at the hip's depth (so a view that foreshortens the trunk, like the feet view, is not inflated). Left and
right are compared as labelled (a left/right swap counts as an error).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from formcheck.pipeline import extract_track
from formcheck.synth import build, exact_track, generate

CASES = [
    ("bridge", {}, "side"), ("bridge", {"back_butt": 25}, "side"), ("bridge", {}, "side_right"),
    ("bridge", {}, "oblique"), ("bridge", {"knee_valgus": 15}, "feet"), ("bridge", {}, "feet"), ("bridge", {}, "front"),
    ("bridge", {}, "back"), ("bridge_hold", {}, "side"), ("single_leg_bridge", {}, "side"),
    ("single_leg_bridge", {}, "feet"),
    ("hip_thrust", {}, "side"), ("hip_thrust", {"neck": 25}, "side"), ("hip_thrust", {}, "feet"),
    ("hip_thrust", {}, "front"), ("hip_thrust", {}, "back"), ("hip_thrust", {}, "oblique"),
    ("squat", {}, "front"), ("squat", {"knee_valgus": 15}, "front"), ("squat", {}, "side"), ("squat", {}, "oblique"),
    ("single_leg_squat", {"knee_valgus": 12}, "front"), ("single_leg_squat", {}, "side"),
    ("walk", {}, "front"), ("walk", {"pelvic_drop": 8, "pelvic_sway": 4}, "front"), ("walk", {}, "back"),
    ("walk", {}, "side"), ("walk", {}, "oblique"),
    ("single_leg_stance", {"pelvic_drop": 8}, "front"), ("single_leg_stance", {}, "back"),
]
JOINTS = {"hip": ("left_hip", "right_hip"), "knee": ("left_knee", "right_knee"), "ankle": ("left_ankle", "right_ankle")}


def measure(motion: str, faults: dict, view: str, seconds: float, out_dir: Path) -> dict:
    name = f"{motion}_{view}_" + ("_".join(f"{k}{v:g}" for k, v in faults.items()) or "good")
    video, _ = generate(motion, faults, view, seconds, 0, out_dir / f"{name}.mp4")
    truth = exact_track(motion, faults, view=view, seconds=seconds)
    found = extract_track(video)
    _, body, camera = build(motion, faults, view, seconds)
    world = truth.world_landmarks
    torso_m = np.linalg.norm((world[:, 11] + world[:, 12]) / 2 - (world[:, 23] + world[:, 24]) / 2, axis=-1)
    depth = camera.to_camera(body.extras["mid_hip"])[:, 2]
    torso_px = camera.focal_px * torso_m / depth
    n = min(len(truth), len(found))
    detected = found.detected[:n]
    row = {"clip": name, "frames": n, "detected_pct": round(100 * float(detected.mean()), 1)}
    for joint, names in JOINTS.items():
        errors = np.concatenate([
            np.linalg.norm(found.xy_px(j)[:n] - truth.xy_px(j)[:n], axis=-1)[detected] / torso_px[:n][detected]
            for j in names
        ]) * 100
        errors = errors[np.isfinite(errors)]
        row[joint] = (round(float(np.median(errors)), 1), round(float(np.percentile(errors, 95)), 1)) if errors.size else None
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="formcheck-synth-acc-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"{'clip':<52}{'detected':>9}  {'hip med/p95':>13}{'knee med/p95':>14}{'ankle med/p95':>15}  (% torso length)")
    rows = []
    for motion, faults, view in CASES:
        row = measure(motion, faults, view, args.seconds, out_dir)
        rows.append(row)
        cells = "".join(f"{'%.1f/%.1f' % row[j] if row[j] else 'n/a':>14}" for j in JOINTS)
        print(f"{row['clip']:<52}{row['detected_pct']:>8}% {cells}", flush=True)
    (out_dir / "landmark_accuracy.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

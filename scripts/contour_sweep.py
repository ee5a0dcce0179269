#!/usr/bin/env python
"""Lumbar angle from the back's outline vs synthetic truth, and lumbar_arch's dose-response with and without it.

    python scripts/contour_sweep.py OUT_DIR [--magnitudes 0 5 10 15 20 25 30] [--motions bridge hip_thrust]
                                    [--param NAME=VALUE ...]   (e.g. --param arms=1: a bridge with the arms raised)

Renders side-view back_butt clips (formcheck.synth, new continuous torso) into OUT_DIR (kept: re-runs reuse them),
runs formcheck.analyze on the video (the one pipeline), then
- error: masks on every 2nd frame; lumbar angle minus the truth's commanded lumbar_extension, over frames with a
  traced outline (all, and the tops: lift_fraction > 0.95); median and p95 of |error|. Also the angle relative to
  the clip's bottom frames (lift_fraction < 0.05; "offset" = the bottom reading);
- dose-response: lumbar_arch's verdict (severity, value, evidence) from the landmarks alone, and with the outline
  on the frames `formcheck analyze` samples (contour_pass.plan_mask_frames): evidence `contour` (the back's
  outline), `front` (the rib flare from the front's outline, bridges whose arms hide the back) or `geometry`;
- the rib flare (front outline) at the tops, on the every-2nd-frame masks.
Prints a table; writes OUT_DIR/contour_sweep.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import formcheck
from formcheck.analysis import analyze_track
from formcheck.contour import track_lumbar_angle, track_rib_flare
from formcheck.contour_pass import add_dorsal_contour
from formcheck.frame_cache import FrameCache
from formcheck.pose import PoseEstimator
from formcheck.synth import generate


def verdict(report) -> tuple[str, float, str]:
    fs = [f for f in report.findings if f.rule == "lumbar_arch"]
    if not fs:
        return "none", float("nan"), ""
    worst = max(fs, key=lambda f: (f.severity == "fault", f.value))
    kind = ("contour" if worst.evidence.startswith("lumbar angle") else
            "front" if worst.evidence.startswith("rib flare") else "geometry")
    return worst.severity, worst.value, kind


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--magnitudes", nargs="*", type=float, default=[0, 5, 10, 15, 20, 25, 30])
    ap.add_argument("--motions", nargs="*", default=["bridge", "hip_thrust"])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--param", nargs="*", default=[], metavar="NAME=VALUE",
                    help="motion settings for every clip (formcheck.synth PARAMS), e.g. arms=1")
    args = ap.parse_args()
    params = {k: float(v) for k, v in (p.split("=", 1) for p in args.param)}
    suffix = "".join(f"_{k}{v:g}" for k, v in params.items())
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    estimator = PoseEstimator()
    for motion in args.motions:
        for mag in args.magnitudes:
            video = args.out / f"{motion}_{mag:g}{suffix}.mp4"
            if not video.exists():
                generate(motion, {**params, **({"back_butt": mag} if mag else {})}, "side", args.seconds, 0, video)
            truth = json.loads(video.with_name(video.stem + ".truth.json").read_text())["per_frame"]
            every_other = formcheck.analyze(video, exercise=motion, view="side", estimator=estimator,
                                            frame_cache=FrameCache(capacity=100_000), keep_frame=lambda i: i % 2 == 0)
            track = every_other.track.with_dorsal_contour(None)
            base = analyze_track(track, exercise=motion, view="side")
            dense = add_dorsal_contour(track, base.report, frames=every_other.frames, masks=estimator.person_mask,
                                       only=list(range(0, len(track), 2)))
            angle = track_lumbar_angle(dense)
            flare = track_rib_flare(dense)
            ext = np.array(truth["lumbar_extension"])
            lift = np.array(truth["lift_fraction"])
            bottom = np.isfinite(angle) & (lift < 0.05)
            offset = float(np.nanmedian(angle[bottom])) if bottom.any() else float("nan")
            rel_err = (angle - offset) - ext
            err = angle - ext
            ok = np.isfinite(err)
            top = ok & (lift > 0.95)
            with_contour = formcheck.analyze(video, exercise=motion, view="side", estimator=estimator)
            row = {
                "motion": motion, "magnitude": mag, "params": params,
                "traced_share": float(np.isfinite(angle).sum() / max(1, len(range(0, len(track), 2)))),
                "neutral_offset_deg": offset,
                "err_median_deg": float(np.median(np.abs(err[ok]))) if ok.any() else float("nan"),
                "err_p95_deg": float(np.percentile(np.abs(err[ok]), 95)) if ok.any() else float("nan"),
                "top_change_deg": float(np.median(angle[top] - offset)) if top.any() else float("nan"),
                "top_angle_deg": float(np.median(angle[top])) if top.any() else float("nan"),
                "top_err_median_deg": float(np.median(np.abs(err[top]))) if top.any() else float("nan"),
                "top_err_p95_deg": float(np.percentile(np.abs(err[top]), 95)) if top.any() else float("nan"),
                "rel_err_median_deg": float(np.nanmedian(np.abs(rel_err))) if np.isfinite(rel_err).any() else float("nan"),
                "traced_top_share": float(top.sum() / max(1, ((lift > 0.95)[::2]).sum())),
                # where the outline joined to the pelvis began on untraced frames (u: 0 shoulder, 1 hip)
                "untraced_visible_from_u": dense.meta["dorsal_contour"].get("untraced_visible_from_u_median",
                                                                            float("nan")),
                "geometry": verdict(base.report),
                "with_contour": verdict(with_contour.report),
                "contour_reps": with_contour.report.metrics.get("lumbar_arch_contour_reps", 0.0),
                "front_reps": with_contour.report.metrics.get("lumbar_arch_front_reps", 0.0),
                # the front's outline (rib flare, deg) at the tops, where it was traced
                "top_rib_flare_deg": (float(np.nanmedian(flare[lift > 0.95]))
                                      if np.isfinite(flare[lift > 0.95]).any() else float("nan")),
                "past_straight_deg": base.report.metrics.get("lumbar_arch_max_past_straight_deg", float("nan")),
            }
            rows.append(row)
            print(f"{motion:10s} {mag:4g}  traced {row['traced_share']:.0%} (tops {row['traced_top_share']:.0%})  "
                  f"|err| med {row['err_median_deg']:5.1f} p95 {row['err_p95_deg']:5.1f}  tops: angle "
                  f"{row['top_angle_deg']:5.1f} |err| med {row['top_err_median_deg']:5.1f} p95 {row['top_err_p95_deg']:5.1f}"
                  f"  bottom {offset:6.1f} change {row['top_change_deg']:5.1f} | geometry {row['geometry'][0]:7s} {row['geometry'][1]:5.1f} "
                  f"(past straight {row['past_straight_deg']:5.1f}) | with contour {row['with_contour'][0]:7s} "
                  f"{row['with_contour'][1]:5.1f} [{row['with_contour'][2]}] reps {row['contour_reps']:.0f} "
                  f"(front {row['front_reps']:.0f}, rib flare at the tops {row['top_rib_flare_deg']:5.1f}) "
                  f"| untraced frames: outline from u {row['untraced_visible_from_u']:.2f}", flush=True)
    estimator.close()
    (args.out / "contour_sweep.json").write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()

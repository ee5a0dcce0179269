"""Benchmark: what the back-outline pass costs `formcheck analyze`, with and without it, side by side in one run.

    python benchmarks/contour_cost.py [VIDEO ...] [--rounds 2] [--no-video]

For each clip, alternately (rounds times, best of each kept), in this process:
- without: `formcheck analyze VIDEO --no-contour` (pose pass, clean, analysis, report, annotated video);
- with:    `formcheck analyze VIDEO --contour` (the same plus person masks on the frames contour_pass plans:
           tops and bottoms of reps, at most DEFAULT_MAX_SHARE of the frames).
Prints seconds and frames/s of each, the ratio with/without (target <= 1.10) and how many frames got a mask.
Both go through typer's CliRunner so the measured path is the command's own.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIPS = [
    REPO / "sample_videos" / "bridge_side_back_butt.mp4",
    REPO / "sample_videos" / "hip_thrust_side_good.mp4",
    Path("/work/shared/videos/bridge/bubbadk_pexels_glute_bridge_band_side.mp4"),
    Path("/work/shared/videos/bridge/wanshape_glute_bridge_outdoor_side.mp4"),
]


def run(video: Path, contour: bool, no_video: bool) -> tuple[float, dict]:
    from typer.testing import CliRunner

    from formcheck.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        args = ["analyze", str(video), "--out", tmp, "--json", "--contour" if contour else "--no-contour"]
        if no_video:
            args.append("--no-video")
        started = time.perf_counter()
        result = CliRunner().invoke(app, args)
        seconds = time.perf_counter() - started
        if result.exit_code != 0:
            raise SystemExit(f"analyze failed on {video}: {result.output[-500:]}")
        report = json.loads(result.stdout[result.stdout.index("{"):])
        from formcheck.track import PoseTrack

        track = PoseTrack.load(Path(tmp) / "track.npz")
        info = track.meta.get("dorsal_contour", {})
    return seconds, {"frames": report["frames"], "masked": info.get("frames_masked", 0),
                     "traced": info.get("frames_traced", 0), "status": info.get("status", "-")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*", type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-video", action="store_true", help="pass --no-video to analyze (no annotated video)")
    args = ap.parse_args()
    clips = [v for v in (args.videos or DEFAULT_CLIPS) if v.exists()]
    run(clips[0], False, True)  # warm-up: model bundle, imports
    print(f"{'clip':48s} {'frames':>6s} {'without s':>9s} {'fps':>6s} {'with s':>8s} {'fps':>6s} {'ratio':>6s}  masks")
    total = [0.0, 0.0]
    for video in clips:
        best = {False: float("inf"), True: float("inf")}
        info = {}
        for _ in range(args.rounds):
            for contour in (False, True):
                seconds, meta = run(video, contour, args.no_video)
                best[contour] = min(best[contour], seconds)
                if contour:
                    info = meta
        total[0] += best[False]
        total[1] += best[True]
        n = info["frames"]
        print(f"{video.name[:48]:48s} {n:6d} {best[False]:9.2f} {n / best[False]:6.1f} {best[True]:8.2f} "
              f"{n / best[True]:6.1f} {best[True] / best[False]:6.3f}  {info['masked']} masked, {info['traced']} "
              f"traced ({info['status']})", flush=True)
    print(f"{'all clips':48s} {'':6s} {total[0]:9.2f} {'':6s} {total[1]:8.2f} {'':6s} {total[1] / total[0]:6.3f}")


if __name__ == "__main__":
    main()

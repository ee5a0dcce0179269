"""Benchmark: `formcheck analyze` against the bare MediaPipe PoseLandmarker loop, side by side in one run.

    python benchmarks/analyze_speed.py [CLIP ...] [--rounds 2] [--memory-loops 10]

For each clip, in this process, alternating rounds (machine noise hits every path alike; the best round of each
is kept):
- bare:      cv2.VideoCapture decode + BGR->RGB + PoseLandmarker.detect_for_video (VIDEO mode, num_poses=1, the
             bundle `formcheck models` builds), nothing else;
- no-video:  what `formcheck analyze --no-video` does: formcheck.analyze (one decode, pose, cleaning, analysis, the
             back's outline or the waistband where they apply) + report.json + report.html (plots, key frames);
- video:     the same plus the annotated video (`formcheck analyze` without --no-video).
Each landmarker is built before its timer starts (as a batch worker holds one). Prints fps, the ratios to the bare
loop (target >= 0.90 for no-video), and the peak RSS of `formcheck analyze --no-video` in a fresh process on the
clip and on the clip looped --memory-loops times (target: within 10%).

Default clips (real, from ../shared/videos): a side-view bridge, a front-view clip of >= 20 s at 720p, and a clip
with bystanders.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "videos"
DEFAULT_CLIPS = (
    SHARED / "bridge" / "wanshape_glute_bridge_outdoor_side.mp4",
    SHARED / "squat" / "rjsong_air_squats_front_workoutvideo.mp4",
    SHARED / "walk" / "walk_front_cane_assemblyai.mp4",
)


def bare_loop(video: Path, model_path: Path) -> tuple[int, float]:
    """Frames and seconds of the plain decode + detect loop (landmarker built before the timer)."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    options = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_path)),
                                    running_mode=RunningMode.VIDEO, num_poses=1)
    with PoseLandmarker.create_from_options(options) as landmarker:
        capture = cv2.VideoCapture(str(video))
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        frames = 0
        started = time.perf_counter()
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(frames * 1000 / fps))
            frames += 1
        seconds = time.perf_counter() - started
        capture.release()
    return frames, seconds


def formcheck_analyze(video: Path, out: Path, *, make_video: bool) -> tuple[int, float]:
    """Frames and seconds of `formcheck analyze [--no-video]` in this process (estimator built before the timer)."""
    import formcheck
    from formcheck.pose import PoseEstimator
    from formcheck.report.outputs import write_outputs

    with PoseEstimator() as estimator:
        started = time.perf_counter()
        analysis = formcheck.analyze(video, estimator=estimator)
        analysis.track.save(out / "track.npz")
        write_outputs(analysis, out, video_path=video, make_video=make_video)
        seconds = time.perf_counter() - started
    return len(analysis.track), seconds


def peak_rss_mib(video: Path, out: Path) -> float:
    """Peak resident memory (MiB) of a fresh `formcheck analyze --no-video` process."""
    code = (
        "import resource\n"
        "from formcheck.cli import app\n"
        "try:\n"
        f"    app(['analyze', {str(video)!r}, '--no-video', '--json', '--out', {str(out)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('PEAK_RSS_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = [l for l in result.stdout.splitlines() if l.startswith("PEAK_RSS_KIB")][-1]
    return int(line.split()[1]) / 1024


def looped_copy(video: Path, times: int, out: Path) -> Path:
    """The clip played `times` times in a row, re-encoded (H.264)."""
    from formcheck.video import VideoReader, write_h264

    with VideoReader(video) as first:
        fps = first.info.fps

    def frames():
        for _ in range(times):
            with VideoReader(video) as reader:
                for frame in reader:
                    yield frame.rgb

    return write_h264(out, frames(), fps=fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clips", nargs="*", type=Path, default=list(DEFAULT_CLIPS))
    parser.add_argument("--rounds", type=int, default=2, help="alternating timing rounds (best of each is kept)")
    parser.add_argument("--memory-loops", type=int, default=10, help="0 skips the memory check")
    args = parser.parse_args()
    missing = [str(c) for c in args.clips if not c.is_file()]
    if missing:
        sys.exit(f"clips not found: {', '.join(missing)} (the default clips need ../shared/videos)")

    from formcheck.pose import resolve_model

    model = resolve_model(None)
    summary = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for clip in args.clips:
            fps: dict[str, list[float]] = {"bare": [], "no_video": [], "video": []}
            frames = 0
            for round_ in range(args.rounds):
                frames, seconds = bare_loop(clip, model.path)
                fps["bare"].append(frames / seconds)
                n, seconds = formcheck_analyze(clip, tmp_path / f"nv{round_}", make_video=False)
                fps["no_video"].append(n / seconds)
                n, seconds = formcheck_analyze(clip, tmp_path / f"v{round_}", make_video=True)
                fps["video"].append(n / seconds)
            best = {k: max(v) for k, v in fps.items()}
            row = {"frames": frames, "fps": best,
                   "ratio_no_video": best["no_video"] / best["bare"], "ratio_video": best["video"] / best["bare"]}
            print(f"\n{clip.name} ({frames} frames), best of {args.rounds} alternating rounds")
            print(f"  bare MediaPipe loop (num_poses=1):  {best['bare']:6.1f} fps")
            print(f"  formcheck analyze --no-video:       {best['no_video']:6.1f} fps   ratio {row['ratio_no_video']:.3f}"
                  "  (target >= 0.90)")
            print(f"  formcheck analyze (annotated video): {best['video']:5.1f} fps   ratio {row['ratio_video']:.3f}")
            if args.memory_loops:
                long_clip = looped_copy(clip, args.memory_loops, tmp_path / f"long_{clip.stem}.mp4")
                rss_short = peak_rss_mib(clip, tmp_path / "rss1")
                rss_long = peak_rss_mib(long_clip, tmp_path / "rss10")
                row["rss_mib"] = [rss_short, rss_long]
                print(f"  peak RSS x1 {rss_short:6.1f} MiB, x{args.memory_loops} {rss_long:6.1f} MiB, "
                      f"ratio {rss_long / rss_short:.3f}  (target within 10%)")
            summary[clip.name] = row
    print(json.dumps(summary))


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    main()

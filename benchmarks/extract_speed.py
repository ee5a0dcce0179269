"""Benchmark: formcheck extract's path against the bare MediaPipe PoseLandmarker loop, side by side in one run.

    python benchmarks/extract_speed.py [VIDEO] [--repeat-for-memory 10]

1. Speed: on the same clip, in this process, alternately
   - bare: cv2.VideoCapture decode + BGR->RGB + PoseLandmarker.detect_for_video, nothing else;
   - formcheck: formcheck.pose.extract_track (streaming reader, subject selection, PoseTrack) + clean + save.
   Both use the same landmarker options (formcheck's: num_poses=2 so a second person is seen and counted).
   The bare loop is also timed with MediaPipe's default num_poses=1, to show what the second-person search costs.
   Prints fps of each and the ratio formcheck / bare (target >= 0.90).
2. Memory: peak RSS of `formcheck extract` on the clip and on the clip looped 10x (a fresh process each);
   prints both and their ratio (target: ~1, i.e. memory does not grow with video length).
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
DEFAULT_CLIP = REPO / "sample_videos" / "bridge_side_good.mp4"


def bare_loop(video: Path, model_path: Path, num_poses: int) -> tuple[int, float]:
    """Frames and seconds for the plain decode + detect loop."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=RunningMode.VIDEO,
        num_poses=num_poses,
    )
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


def formcheck_path(video: Path, model_path: Path, out: Path) -> tuple[int, float]:
    """Frames and seconds for what `formcheck extract` does (without the progress bar)."""
    from formcheck.clean import clean
    from formcheck.pose import extract_track

    started = time.perf_counter()
    track = extract_track(video, model_path=model_path)
    clean(track).save(out)
    return len(track), time.perf_counter() - started


def peak_rss_of_extract(video: Path, out: Path) -> float:
    """Peak resident memory (MiB) of a fresh `formcheck extract` process on video."""
    code = (
        "import resource, sys\n"
        "from formcheck.cli import app\n"
        "try:\n"
        f"    app([ 'extract', {str(video)!r}, '-o', {str(out)!r} ])\n"
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

    with VideoReader(video) as probe:
        fps = probe.info.fps

    def frames():
        for _ in range(times):
            with VideoReader(video) as reader:
                for frame in reader:
                    yield frame.rgb

    return write_h264(out, frames(), fps=fps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timing rounds (best of each is kept)")
    parser.add_argument("--repeat-for-memory", type=int, default=10)
    args = parser.parse_args()

    from formcheck.pose import MAX_PEOPLE, resolve_model

    model = resolve_model(None)
    results: dict[str, list[float]] = {"bare": [], "bare_1pose": [], "formcheck": []}
    frames = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for _ in range(args.rounds):  # alternate so machine noise hits both alike
            frames, seconds = bare_loop(args.video, model.path, MAX_PEOPLE)
            results["bare"].append(frames / seconds)
            n, seconds = formcheck_path(args.video, model.path, tmp_path / "t.npz")
            results["formcheck"].append(n / seconds)
            n1, seconds = bare_loop(args.video, model.path, 1)
            results["bare_1pose"].append(n1 / seconds)
        best = {k: max(v) for k, v in results.items()}
        print(f"clip: {args.video} ({frames} frames), {args.rounds} alternating rounds, best of each")
        print(f"bare MediaPipe loop, num_poses={MAX_PEOPLE} (same options): {best['bare']:6.1f} fps")
        print(f"formcheck extract path:                           {best['formcheck']:6.1f} fps")
        print(f"ratio formcheck / bare (same options):            {best['formcheck'] / best['bare']:.3f}  (target >= 0.90)")
        print(f"bare MediaPipe loop, num_poses=1 (its default):   {best['bare_1pose']:6.1f} fps")
        print(f"ratio formcheck / bare num_poses=1:               {best['formcheck'] / best['bare_1pose']:.3f}"
              "  (the rest is the cost of looking for a second person)")

        long_clip = looped_copy(args.video, args.repeat_for_memory, tmp_path / "long.mp4")
        rss_short = peak_rss_of_extract(args.video, tmp_path / "short.npz")
        rss_long = peak_rss_of_extract(long_clip, tmp_path / "long.npz")
        print(f"peak RSS, clip x1:  {rss_short:7.1f} MiB")
        print(f"peak RSS, clip x{args.repeat_for_memory}: {rss_long:7.1f} MiB")
        print(f"ratio x{args.repeat_for_memory} / x1:       {rss_long / rss_short:.3f}  (target ~1.0: memory does not grow with length)")
        print(json.dumps({"fps": best, "ratio": best["formcheck"] / best["bare"],
                          "rss_mib": [rss_short, rss_long]}))


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    main()

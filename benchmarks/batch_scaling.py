"""Benchmark: `formcheck batch` throughput with 1 and 2 workers, on the local executor and on Ray, in one run.

    python benchmarks/batch_scaling.py [--clips 8] [--seconds 4] [--rounds 2] [--executors local,ray]

The same clips for every configuration: the first --seconds of each bundled sample clip (sample_videos/, 8 clips),
re-encoded into a temporary folder. Each configuration is formcheck.batch.run_batch into a fresh CSV (no report
folders), timed from the call to the last row: worker start-up (spawning processes or creating actors, each loading
its pose model) is inside that time, as it is for a user; the time from the first video handed to a ready worker
to the last row ("after start-up", what a long batch approaches) is printed beside it. Ray is started once before its runs (`ray.init`, 2 CPUs,
no dashboard; its start-up time is printed apart) so that the runs measure Ray's scheduling and actors, not the
cluster's start. Configurations alternate within a round; the best round of each is kept.

Prints videos/min per configuration, the 2-worker / 1-worker speedup per executor (target >= 1.8x on 2 cores) and
Ray's overhead against local (time on Ray / time local - 1) at each worker count, with the load average before and
after, and for local runs the workers' CPU seconds: the work itself, which a second worker should not grow. Other
processes slow every configuration; on Linux with sched_autogroup_enabled=1 all of one session's processes share
one session's slice of the CPU, so on a busy shared machine a second worker in the same session gains little.
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from formcheck.batch import Video, run_batch  # noqa: E402


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    """The first `seconds` of the first `count` sample clips (cycling through them when asked for more)."""
    from formcheck.video import write_excerpt

    samples = sorted((REPO / "sample_videos").glob("*.mp4"))
    clips = []
    for i in range(count):
        source = samples[i % len(samples)]
        target = folder / f"{i:02d}_{source.stem}.mp4"
        clips.append(write_excerpt(source, target, seconds=seconds))
    return clips


def timed_batch(clips: list[Path], folder: Path, *, executor: str, jobs: int) -> tuple[float, float, float, int]:
    """Seconds for one batch of `clips` (whole, and from the first video handed to a ready worker), the workers' CPU
    seconds (local only: Ray's actors are not our children), and how many rows came out ok."""
    out = folder / f"{executor}-{jobs}-{time.monotonic_ns()}.csv"
    first: list[float] = []
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    summary = run_batch([Video(c) for c in clips], out, jobs=jobs, executor=executor,
                        on_start=lambda video: first.append(time.perf_counter()))
    ended = time.perf_counter()
    return ended - started, ended - first[0], _children_cpu_s() - cpu_before, summary.ok


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of this process's ended child processes: the local workers, once joined."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--executors", default="local,ray")
    args = parser.parse_args()
    executors = args.executors.split(",")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="formcheck-batch-bench-") as tmp:
        folder = Path(tmp)
        clips = make_clips(folder, args.clips, args.seconds)
        print(f"{len(clips)} clips of {args.seconds:g} s (sample_videos/, re-encoded)")
        if "ray" in executors:
            import ray

            started = time.perf_counter()
            ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
            print(f"ray.init (local, 2 CPUs): {time.perf_counter() - started:.1f} s, not counted below")
        best: dict[tuple[str, int], tuple[float, float]] = {}
        try:
            for round_index in range(args.rounds):
                for executor in executors:
                    for jobs in (1, 2):
                        seconds, working, cpu, ok = timed_batch(clips, folder, executor=executor, jobs=jobs)
                        if ok != len(clips):
                            print(f"  warning: {executor} x{jobs}: only {ok} of {len(clips)} clips ok")
                        cpu_words = f", workers' CPU {cpu:5.1f} s" if executor == "local" else ""
                        print(f"  round {round_index + 1}: {executor:5s} x{jobs}: {seconds:6.1f} s, {working:6.1f} s "
                              f"after start-up{cpu_words}; load {os.getloadavg()[0]:.2f}")
                        key = (executor, jobs)
                        previous = best.get(key, (float("inf"), float("inf")))
                        best[key] = (min(previous[0], seconds), min(previous[1], working))
        finally:
            if "ray" in executors:
                ray.shutdown()
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    n = len(clips)
    print(f"{'executor':8s} {'workers':>7s} {'seconds':>8s} {'videos/min':>10s} {'after start-up: s':>18s} "
          f"{'videos/min':>10s}")
    for (executor, jobs), (seconds, working) in best.items():
        print(f"{executor:8s} {jobs:7d} {seconds:8.1f} {n / seconds * 60:10.1f} {working:18.1f} {n / working * 60:10.1f}")
    for executor in executors:
        one, two = best[(executor, 1)], best[(executor, 2)]
        print(f"speedup {executor}, 2 workers / 1: {one[0] / two[0]:.2f}x whole, {one[1] / two[1]:.2f}x after start-up "
              "(target >= 1.8x)")
    if {"local", "ray"} <= set(executors):
        for jobs in (1, 2):
            ray_s, local_s = best[("ray", jobs)], best[("local", jobs)]
            print(f"Ray overhead vs local, {jobs} worker(s): {(ray_s[0] / local_s[0] - 1) * 100:+.0f}% whole, "
                  f"{(ray_s[1] / local_s[1] - 1) * 100:+.0f}% after start-up")


if __name__ == "__main__":
    main()

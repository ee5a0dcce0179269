"""Benchmark: `formcheck batch` throughput with 1 and 2 workers, on the local executor and on Ray, in one run.

    python benchmarks/batch_scaling.py [--clips 16] [--seconds 8] [--rounds 2] [--executors local,ray]

The same clips for every configuration: the first --seconds of each bundled sample clip (sample_videos/, 8 clips,
8-10 s long), re-encoded into a temporary folder, the list repeated (copies) up to --clips. 16 clips of 8 s, about a
minute of work for one worker (3.5-3.9 CPU s a clip, measured), so that worker start-up (~2 s: spawning, imports, the
pose model, paid by every worker at once) weighs on the ratio about as little as in a real batch; with 8 clips of
4 s (15 s of work) it took the speedup from 1.69x (local) and 1.87x (Ray) after start-up to 1.60x and 1.69x whole
(load 1.4-3.1). About 6-7 minutes on an idle 2-core machine (from the CPU figures: ~3 minutes a round).

Each configuration is formcheck.batch.run_batch into a fresh CSV (no report folders), timed from the call to the
last row ("whole": start-up included, as a user sees it) and from the moment every worker has its first video to the
last row ("after start-up": what a long batch approaches). Ray is started before its runs in each round (`ray.init`, 2 CPUs,
no dashboard; its start-up time is printed apart) so that the runs measure Ray's scheduling and actors, not the
cluster's start, and shut down after them: its idle processes (raylet, GCS: about 0.03 of a core, measured) would
otherwise run beside the local runs and take from the 2-worker run the share of a core that it needs. Configurations alternate within a round; the best time of each over the rounds is kept.

Prints videos/min per configuration, the 2-worker / 1-worker speedup per executor (target >= 1.8x on 2 cores) and
Ray's overhead against local (time on Ray / time local - 1) at each worker count, with the load average before and
after. Besides the times, the workers' own CPU seconds (Summary.video_cpu_s, startup_cpu_s: user + system of all
their threads, measured in each worker): the work per video, which a second worker should not grow, and which other
processes on the machine barely change, unlike the times. On a busy shared machine the times (and so the speedups)
are pessimistic: other sessions take the cores a second worker would use. On an idle machine the speedup after
start-up is at most 2 / (cores one worker keeps busy) / (CPU a video with 2 workers / 1): both are printed.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
# Ray's worker processes take their import path from the environment, not from this process's sys.path: without
# this they would import whichever formcheck the interpreter has installed, not this checkout's.
os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])

from formcheck.batch import Video, run_batch  # noqa: E402


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    """The first `seconds` of each sample clip, then copies of them up to `count` clips."""
    from formcheck.video import write_excerpt

    samples = sorted((REPO / "sample_videos").glob("*.mp4"))
    clips: list[Path] = []
    for i in range(count):
        source = samples[i % len(samples)]
        target = folder / f"{i:02d}_{source.stem}.mp4"
        if i < len(samples):
            clips.append(write_excerpt(source, target, seconds=seconds))
        else:
            clips.append(Path(shutil.copyfile(clips[i % len(samples)], target)))
    return clips


@dataclass
class Run:
    """One configuration's batch: seconds whole and after start-up, the workers' CPU, rows ok."""

    seconds: float
    working: float
    video_cpu_s: float  # per video
    startup_cpu_s: float  # per worker
    ok: int
    cores: float  # the workers' CPU on videos / seconds after start-up: cores kept busy (one worker: above 1 by
    # what its decode-ahead and JPEG threads overlap with the pose model, which 2 workers on 2 cores cannot)


def timed_batch(clips: list[Path], folder: Path, *, executor: str, jobs: int) -> Run:
    out = folder / f"{executor}-{jobs}-{time.monotonic_ns()}.csv"
    handed: list[float] = []
    started = time.perf_counter()
    summary = run_batch([Video(c) for c in clips], out, jobs=jobs, executor=executor,
                        on_start=lambda video: handed.append(time.perf_counter()))
    ended = time.perf_counter()
    every_worker_busy = handed[min(jobs, len(handed)) - 1]  # the jobs-th video handed out: every worker is ready
    return Run(ended - started, ended - every_worker_busy, summary.video_cpu_s / max(summary.scored, 1),
               summary.startup_cpu_s / max(summary.workers, 1), summary.ok,
               summary.video_cpu_s / max(ended - every_worker_busy, 1e-9))


_ray_started = False


def start_ray() -> None:
    """A local Ray (2 CPUs, no dashboard) for the Ray runs of one round; its start-up time is printed apart."""
    global _ray_started
    import ray

    started = time.perf_counter()
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    _ray_started = True
    print(f"  ray.init (local, 2 CPUs): {time.perf_counter() - started:.1f} s, not counted")


def stop_ray() -> None:
    """Shut Ray down so that its idle processes (about 0.03 of a core, measured) do not run beside the local runs."""
    global _ray_started
    if _ray_started:
        import ray

        ray.shutdown()
        _ray_started = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--executors", default="local,ray")
    args = parser.parse_args()
    executors = args.executors.split(",")
    began = time.perf_counter()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    runs: dict[tuple[str, int], list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="formcheck-batch-bench-") as tmp:
        folder = Path(tmp)
        clips = make_clips(folder, args.clips, args.seconds)
        print(f"{len(clips)} clips of {args.seconds:g} s (sample_videos/, re-encoded)")
        try:
            for round_index in range(args.rounds):
                for executor in executors:
                    if executor == "ray":
                        start_ray()
                    for jobs in (1, 2):
                        run = timed_batch(clips, folder, executor=executor, jobs=jobs)
                        if run.ok != len(clips):
                            print(f"  warning: {executor} x{jobs}: only {run.ok} of {len(clips)} clips ok")
                        print(f"  round {round_index + 1}: {executor:5s} x{jobs}: {run.seconds:6.1f} s, "
                              f"{run.working:6.1f} s after start-up; workers' CPU {run.video_cpu_s:.2f} s a "
                              f"video, {run.startup_cpu_s:.1f} s start-up a worker, {run.cores:.2f} cores busy; "
                              f"load {os.getloadavg()[0]:.2f}", flush=True)
                        runs.setdefault((executor, jobs), []).append(run)
                    if executor == "ray":
                        stop_ray()
        finally:
            stop_ray()
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    n = len(clips)
    best = {key: (min(r.seconds for r in rs), min(r.working for r in rs)) for key, rs in runs.items()}
    cpu = {key: sum(r.video_cpu_s for r in rs) / len(rs) for key, rs in runs.items()}
    cores = {key: max(r.cores for r in rs) for key, rs in runs.items()}
    print(f"{'executor':8s} {'workers':>7s} {'seconds':>8s} {'videos/min':>10s} {'after start-up: s':>18s} "
          f"{'videos/min':>10s} {'CPU s/video':>11s} {'cores busy':>10s}")
    for (executor, jobs), (seconds, working) in best.items():
        print(f"{executor:8s} {jobs:7d} {seconds:8.1f} {n / seconds * 60:10.1f} {working:18.1f} "
              f"{n / working * 60:10.1f} {cpu[(executor, jobs)]:11.2f} {cores[(executor, jobs)]:10.2f}")
    for executor in executors:
        one, two = best[(executor, 1)], best[(executor, 2)]
        print(f"speedup {executor}, 2 workers / 1: {one[0] / two[0]:.2f}x whole, {one[1] / two[1]:.2f}x after start-up "
              f"(target >= 1.8x); CPU a video with 2 workers / 1: {cpu[(executor, 2)] / cpu[(executor, 1)]:.3f}")
        # the two runs of one round ran minutes apart at most, under much the same load: their ratio, round by round
        pairs = list(zip(runs[(executor, 1)], runs[(executor, 2)]))
        whole = sorted(a.seconds / b.seconds for a, b in pairs)
        working = sorted(a.working / b.working for a, b in pairs)
        print(f"  round by round: {', '.join(f'{x:.2f}' for x in whole)}x whole (median {median(whole):.2f}x), "
              f"{', '.join(f'{x:.2f}' for x in working)}x after start-up (median {median(working):.2f}x); ceiling "
              f"2 / cores one worker keeps busy: {2 / cores[(executor, 1)]:.2f}x")
    if {"local", "ray"} <= set(executors):
        for jobs in (1, 2):
            ray_s, local_s = best[("ray", jobs)], best[("local", jobs)]
            print(f"Ray overhead vs local, {jobs} worker(s): {(ray_s[0] / local_s[0] - 1) * 100:+.0f}% whole, "
                  f"{(ray_s[1] / local_s[1] - 1) * 100:+.0f}% after start-up")
    print(f"benchmark took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()

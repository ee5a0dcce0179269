"""Benchmark: jobs a minute through `formcheck serve` with 1 and with 2 workers, on this machine.

    python benchmarks/service_throughput.py [--jobs 12] [--seconds 1] [--workers 1 2] [--clip CLIP]

For each worker count: a fresh data folder, `formcheck serve --port 0` in a subprocess on 127.0.0.1, workers
given time to load their pose model (a warm-up job each), then --jobs uploads of the first --seconds of CLIP
(default sample_videos/bridge_side_back_butt.mp4, cut with formcheck.video.write_h264) sent at once; the clock runs
from the first upload to the last job done. Each job is the whole analysis a user gets: pose, report.json,
report.html with plots and key frames, annotated.mp4 and track.npz. Prints jobs/min and seconds a job per worker
count, and the speed-up.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from formcheck.video import write_excerpt

REPO = Path(__file__).resolve().parents[1]


def wait_done(client: httpx.Client, ids: list[str], timeout_s: float = 1800) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} jobs not finished")
        for job_id in list(pending):
            status = client.get(f"/api/jobs/{job_id}").json()
            if status["status"] == "failed":
                raise RuntimeError(f"job {job_id} failed: {status['error']}")
            if status["status"] == "done":
                pending.discard(job_id)
        time.sleep(0.2)


async def upload_all(url: str, clip: bytes, n: int) -> list[str]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        answers = await asyncio.gather(*(client.post("/api/jobs", files={"file": (f"clip-{i}.mp4", clip)})
                                         for i in range(n)))
    return [a.json()["id"] for a in answers]


def run(workers: int, clip: bytes, jobs: int, folder: Path) -> float:
    """Seconds from the first upload to the last job done."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = open(folder / f"server-{workers}.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "formcheck.cli", "serve", "--port", "0", "--data-dir",
                               str(folder / f"data-{workers}"), "--workers", str(workers)],
                              stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    try:
        url = server.stdout.readline().split()[2].rstrip("/")
        with httpx.Client(base_url=url, timeout=60) as client:
            wait_done(client, asyncio.run(upload_all(url, clip, workers)))  # warm-up: every worker has its model
            started = time.monotonic()
            ids = asyncio.run(upload_all(url, clip, jobs))
            wait_done(client, ids)
            return time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of the clip cut from --clip")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clip", type=Path, default=REPO / "sample_videos" / "bridge_side_back_butt.mp4")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    with tempfile.TemporaryDirectory(prefix="formcheck-serve-bench-") as tmp:
        folder = Path(tmp)
        clip = write_excerpt(args.clip, folder / "clip.mp4", seconds=args.seconds).read_bytes()
        print(f"{args.jobs} jobs of a {args.seconds:g} s clip ({args.clip.name}, {len(clip) / 1e3:.0f} kB), "
              f"{os.cpu_count()} CPUs")
        results = {}
        for workers in args.workers:
            seconds = run(workers, clip, args.jobs, folder)
            results[workers] = seconds
            print(f"--workers {workers}: {seconds:6.1f} s for {args.jobs} jobs = {args.jobs / seconds * 60:5.1f} jobs/min "
                  f"({seconds / args.jobs:.2f} s a job)", flush=True)
        if len(results) > 1:
            first = min(results)
            for workers, seconds in results.items():
                if workers != first:
                    print(f"speed-up with {workers} workers over {first}: {results[first] / seconds:.2f}x")


if __name__ == "__main__":
    main()

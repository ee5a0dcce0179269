"""Batch scoring: many videos, one CSV row each, on every local core (one process per job) or on a Ray cluster.

    videos = find_videos(["clips/", "more/*.mov", "known.csv"], exercise="auto")
    summary = run_batch(videos, Path("results.csv"), jobs=2, executor="local", resume=True)

Each video goes through `score_video`: the one pipeline (formcheck.analyze) with the worker's own PoseEstimator,
then one flat row (`columns()`). A worker is a process (local) or a Ray actor; each builds its pose model once and
keeps it for every video it is given. Rows are appended to the CSV and flushed as each video finishes, so a crash
or a kill loses nothing already done; `resume=True` keeps the `ok` rows, skips the videos whose sha256 has one and
scores the rest again (their old error rows are dropped first, so no video ever has two rows).

A worker runs the pipeline exactly as `formcheck analyze` does, threads included (decoding ahead, the frame cache's
JPEG encoder, FFmpeg's and OpenCV's pools): decoding and encoding inline, one FFmpeg and one OpenCV thread, measured
no less CPU a video with two workers side by side (1.90 vs 1.88 s a 4 s clip, 2 x 8 clips, twice each, load ~30)
and 25% more wall time on a busy machine, so the batch keeps the defaults. MediaPipe's inference itself is one
thread on desktop. With one worker per core (the default) each worker keeps to a core of its own (worker_cores);
videos are handed out largest first (largest_first). Each worker measures its own CPU seconds, all threads (time.process_time): Summary.startup_cpu_s
(imports and model: ~1.3 s a local worker, ~2 s a Ray actor) and video_cpu_s (the videos), which
benchmarks/batch_scaling.py compares between one and two workers.

Bad input never stops a batch: it is an `error` row with a one-line message. A video that takes longer than
`timeout_s` has its worker killed (only that video's work) and replaced. Memory: the main process holds the list
of paths and counters, never the analyses; each worker holds one video's analysis at a time (the pipeline's own
bound: the track and a frame cache of at most 48 MB).
"""
from __future__ import annotations

import csv
import glob
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from formcheck.exercises import AUTO, EXERCISES, MIN_FRAMES, check_exercise
from formcheck.rules import RULE_MODULES

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp",
                            ".mts"})
EXECUTORS = ("local", "ray")
VERDICTS = ("fault", "warning", "ok", "not_judged")  # a rule's cell; empty when the rule does not apply
RULE_NAMES: tuple[str, ...] = RULE_MODULES
BASE_COLUMNS = ("path", "sha256", "status", "error", "warnings", "exercise", "view", "duration_s", "reps")


def columns() -> list[str]:
    """The CSV header: BASE_COLUMNS, then per rule its verdict (`lumbar_arch`) and worst value (`lumbar_arch_worst`,
    in the unit of the rule's findings in report.json), then `processing_s`."""
    per_rule = [name for rule in RULE_NAMES for name in (rule, f"{rule}_worst")]
    return [*BASE_COLUMNS, *per_rule, "processing_s"]


@dataclass(frozen=True)
class Video:
    """One input: a path and the exercise to judge it as ("auto": detected)."""

    path: Path
    exercise: str = AUTO


@dataclass(frozen=True)
class Task:
    """One video for a worker: where it is, its content hash, and where its report folder goes (or None)."""

    path: str
    sha256: str
    exercise: str
    report_dir: str | None = None


@dataclass(frozen=True)
class Options:
    """What every worker needs: the pose model file, and whether report folders get the annotated video."""

    model_path: str | None = None
    make_video: bool = True


# ---- inputs -----------------------------------------------------------------------------------------------------------


def find_videos(inputs: Iterable[str | Path], *, exercise: str = AUTO) -> list[Video]:
    """The videos named by `inputs`, in order, each once (by resolved path).

    An input is a file (taken as a video whatever its name; a .csv is a list, below), a folder (searched
    recursively for VIDEO_SUFFIXES), or a glob (`clips/**/*.mp4`; quoted so the shell leaves it). A .csv has columns
    `path, exercise` (a header row naming them, or none), paths relative to the CSV, an empty exercise meaning
    `exercise`. A path that does not exist is kept: it becomes an error row. ValueError for an unknown exercise, a
    glob that matches nothing, or no video at all.
    """
    check_exercise(exercise, label="--exercise")
    inputs = list(inputs)
    found: list[Video] = []
    seen: set[Path] = set()

    def add(path: Path, video_exercise: str) -> None:
        key = path.resolve() if path.exists() else path.absolute()
        if key not in seen:
            seen.add(key)
            found.append(Video(path, video_exercise))

    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()):
                add(child, exercise)
        elif path.suffix.lower() == ".csv" and path.is_file():
            for video in read_video_list(path, exercise=exercise):
                add(video.path, video.exercise)
        elif not path.exists() and any(c in text for c in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise ValueError(f"{text}: no file matches this pattern")
            for match in matches:
                match_path = Path(match)
                if match_path.is_file() and (match_path.suffix.lower() in VIDEO_SUFFIXES):
                    add(match_path, exercise)
        else:
            add(path, exercise)
    if not found:
        raise ValueError(f"no video found in {', '.join(map(str, inputs)) or 'the inputs'} "
                         f"(folders are searched for {', '.join(sorted(VIDEO_SUFFIXES))})")
    return found


def read_video_list(path: Path, *, exercise: str = AUTO) -> list[Video]:
    """A CSV of `path, exercise` rows (header optional); ValueError naming the line for a bad exercise or no path."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    path_at, exercise_at = 0, 1
    if rows and rows[0][1][0].strip().lower() == "path":
        header = [cell.strip().lower() for cell in rows.pop(0)[1]]
        exercise_at = header.index("exercise") if "exercise" in header else None
    videos = []
    for line, row in rows:
        name = row[path_at].strip()
        if not name:
            raise ValueError(f"{path} line {line}: no path")
        given = row[exercise_at].strip() if exercise_at is not None and len(row) > exercise_at else ""
        video_exercise = check_exercise(given, label=f"{path} line {line}: exercise") if given else exercise
        video_path = Path(name) if Path(name).is_absolute() else path.parent / name
        videos.append(Video(video_path, video_exercise))
    return videos


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---- one video -> one row -------------------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or value != value:
        return ""
    return f"{round(float(value), digits):g}"


def report_row(report) -> dict[str, str]:
    """The CSV cells a Report gives (formcheck.results.Report): exercise, view, duration, reps, and per rule
    `fault` / `warning` (its worst finding's severity), `not_judged`, `ok` (judged, nothing found; an `info`
    finding such as a hold's length is also `ok`) or empty (the rule does not apply to this exercise), with the
    worst finding's value (the largest magnitude among the findings of the worst severity)."""
    row = {"exercise": report.exercise, "view": report.view, "duration_s": _number(report.duration_s, 2),
           "reps": str(len(report.reps))}
    rank = {"info": 0, "warning": 1, "fault": 2}
    not_judged = {n.rule for n in report.not_judged}
    for rule in RULE_NAMES:
        findings = [f for f in report.findings if f.rule == rule]
        worst = max(findings, key=lambda f: (rank[f.severity], abs(f.value) if f.value == f.value else -1.0),
                    default=None)
        if worst is not None and worst.severity in ("fault", "warning"):
            verdict = worst.severity
        elif rule in not_judged:
            verdict = "not_judged"
        elif rule in report.judged or worst is not None:
            verdict = "ok"
        else:
            verdict = ""
        row[rule] = verdict
        row[f"{rule}_worst"] = _number(worst.value) if worst is not None else ""
    return row


def error_row(task: Task, message: str, seconds: float = 0.0) -> dict[str, str]:
    return {"path": task.path, "sha256": task.sha256, "status": "error", "error": " ".join(message.split()),
            "processing_s": _number(seconds, 2)}


def one_line(exc: BaseException) -> str:
    """An exception as one line; an unexpected kind keeps its class name (it is not one of formcheck's messages)."""
    from formcheck.pose import ModelError
    from formcheck.track import TrackFileError
    from formcheck.video import VideoError

    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        text = str(exc).strip() or exc.__class__.__name__
        if not isinstance(exc, (VideoError, ModelError, TrackFileError, ValueError, OSError)):
            text = f"{exc.__class__.__name__}: {text}"
    return " ".join(text.split())


def score_video(task: Task, estimator, options: Options) -> dict[str, str]:
    """The per-video function of every executor: analyse `task` with `estimator` (a formcheck.pose.PoseEstimator),
    write its report folder when `task.report_dir` is set, and return its CSV row (`columns()`).

    Never raises for a bad video: unreadable, not a video, cut short before any frame, too short, no person, or an
    exercise that cannot be told all give an `error` row with a one-line message.
    """
    from formcheck.pipeline import analyze
    from formcheck.video import check_video_path

    started = time.perf_counter()
    try:
        check_video_path(task.path)
        analysis = analyze(task.path, exercise=task.exercise, estimator=estimator)
        track, report = analysis.track, analysis.report
        detected = int(track.detected.sum())
        if detected < MIN_FRAMES:
            raise ValueError(f"{task.path}: no person found (in {detected} of {len(track)} frames)")
        if report.exercise not in EXERCISES:
            raise ValueError(f"{task.path}: could not tell which exercise this is ({report.posture}, {report.view} "
                             "view); give it with --exercise or in a CSV of path, exercise")
        if task.report_dir is not None:
            _write_report(analysis, Path(task.report_dir), task.path, options)
    except Exception as exc:  # a bad video is a row, never the end of the batch
        return error_row(task, one_line(exc), time.perf_counter() - started)
    warnings = track.meta.get("video_warnings", [])
    return {"path": task.path, "sha256": task.sha256, "status": "ok", "error": "",
            "warnings": " | ".join(" ".join(w.split()) for w in warnings), **report_row(report),
            "processing_s": _number(time.perf_counter() - started, 2)}


def _write_report(analysis, folder: Path, video_path: str, options: Options) -> None:
    """The same folder as `formcheck analyze --out folder`: report.json, report.html, annotated.mp4, track.npz."""
    from formcheck.pipeline import is_track_file
    from formcheck.report.outputs import write_outputs

    folder.mkdir(parents=True, exist_ok=True)
    if is_track_file(video_path):  # a pose track given as input: no video to draw on, as with `analyze TRACK.npz`
        write_outputs(analysis, folder, video_path=None, make_video=False)
        return
    analysis.track.save(folder / "track.npz")
    write_outputs(analysis, folder, video_path=video_path, make_video=options.make_video)


def report_folder(reports: Path, video: Video, sha256: str) -> Path:
    """A video's report folder: NAME-HASH8, so two clip.mp4 in different folders never share one."""
    return reports / f"{video.path.stem}-{sha256[:8]}"


def _new_estimator(options: Options):
    from formcheck.pose import PoseEstimator, resolve_model

    return PoseEstimator(resolve_model(options.model_path))


# ---- the results file -----------------------------------------------------------------------------------------------


class ResultsFile:
    """The CSV, appended a row at a time, each flushed and synced to disk as it is written.

    `resume=False` needs a new file (an existing one is refused: it may be hours of work). `resume=True` reads the
    existing file, keeps its `ok` rows (`done`: their sha256) and rewrites it without the rest (error rows, to be
    retried, and a last line cut short by a kill), so the file never holds two rows for one video.
    """

    def __init__(self, path: Path, *, resume: bool, on_kept: Callable[[dict[str, str]], None] | None = None):
        self.path = Path(path)
        self.header = columns()
        self.done: set[str] = set()  # sha256 of the ok rows kept
        if self.path.is_dir():
            raise ValueError(f"--out {self.path}: is a folder; give a file name ending in .csv")
        if self.path.exists() and not resume:
            raise ValueError(f"--out {self.path}: exists; add --resume to go on with it, or give another name")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        part = self.path.with_name(self.path.name + ".part")
        with open(part, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, self.header)
            writer.writeheader()
            for row in self._ok_rows() if self.path.exists() else ():
                writer.writerow(row)
                if on_kept is not None:
                    on_kept(row)
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(self.path)
        self._fh = open(self.path, "a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._fh, self.header, extrasaction="ignore")

    def _ok_rows(self) -> Iterator[dict[str, str]]:
        """The existing file's ok rows, one per sha256, read a line at a time; a last line without its newline (a
        row cut short by a kill) is not a result."""
        with open(self.path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size:
                fh.seek(size - 1)
            whole = not size or fh.read(1) == b"\n"
        with open(self.path, newline="", encoding="utf-8") as fh:
            lines = iter(fh)
            if not whole:
                lines = _all_but_last(lines)
            reader = csv.reader(lines)
            header = next(reader, None)
            if header is None:
                return
            if header != self.header:
                raise ValueError(f"--out {self.path}: its columns are not this formcheck's batch columns; "
                                 "give another file name")
            for cells in reader:
                if len(cells) != len(header):
                    continue
                row = dict(zip(header, cells))
                if row["status"] == "ok" and row["sha256"] and row["sha256"] not in self.done:
                    self.done.add(row["sha256"])
                    yield row

    def append(self, row: dict[str, str]) -> None:
        self._writer.writerow({name: row.get(name, "") for name in self.header})
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def _all_but_last(items: Iterator[str]) -> Iterator[str]:
    previous = None
    for item in items:
        if previous is not None:
            yield previous
        previous = item


# ---- local executor: one process per job ----------------------------------------------------------------------------


def score_video_with_cpu(task: Task, estimator, options: Options) -> tuple[dict[str, str], float]:
    """(score_video's row, the CPU seconds this process spent on it: time.process_time, user + system, every
    thread), as both executors' workers report it."""
    before = time.process_time()
    row = score_video(task, estimator, options)
    return row, time.process_time() - before


def worker_cores(jobs: int) -> list[set[int] | None]:
    """The CPU cores each of `jobs` local workers keeps to: one core each when there is exactly one worker per core
    this process may use (the default --jobs), else None (the OS places them). A worker on its own core keeps its
    threads (the pose model's two, decoding, JPEG) and their caches there instead of trading places with the other
    workers': measured on 2 cores (16 clips x 8 s, 3 rounds alternating with the unpinned run), 30.9, 31.5, 33.2 s
    against 30.8, 34.7, 34.6 s unpinned (4.5% less on average). Ray actors do the same on a Ray of one node (this
    machine). Linux only (os.sched_setaffinity); elsewhere None."""
    try:
        cores = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return [None] * jobs
    if jobs < 2 or jobs != len(cores):
        return [None] * jobs
    return [{core} for core in cores]


def _worker_main(conn, options: Options, parent_pid: int, core: set[int] | None = None) -> None:
    """A local worker: keep to `core` (worker_cores), build the pose model, then score each task sent until None (or
    the main process is gone).

    Messages: ("ready", CPU seconds since the process started: imports and model), ("row", row, CPU seconds of
    that video), or ("fatal", why the model did not load). CPU: time.process_time, user + system, every thread."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the main process stops us
    keep_to(core)
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    _exit_with_parent(parent_pid)
    try:
        estimator = _new_estimator(options)
    except Exception as exc:
        conn.send(("fatal", one_line(exc)))
        return
    conn.send(("ready", time.process_time()))
    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                return
            if task is None:
                return
            conn.send(("row", *score_video_with_cpu(task, estimator, options)))
    finally:
        estimator.close()


def keep_to(core: set[int] | None) -> None:
    """Keep this process to `core` (worker_cores): the threads it has (imports make some) and, as they inherit it,
    those it makes later (the pose model's). Call before the model is built. None: leave it to the OS."""
    if not core:
        return
    try:
        threads = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        threads = []
    for thread in [0, *threads]:
        try:
            os.sched_setaffinity(thread, core)
        except (AttributeError, OSError):
            pass


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker within a second of its parent's death (a kill -9 runs no clean-up in the parent)."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


@dataclass
class _Worker:
    process: object
    conn: object
    ready: bool = False
    task: Task | None = None
    started: float = 0.0


def _local_rows(tasks: Iterator[Task], *, jobs: int, timeout_s: float | None, options: Options,
                on_start: Callable[[Task], None],
                on_ready: Callable[[float], None]) -> Iterator[tuple[Task, dict[str, str], float | None]]:
    """(task, row, worker CPU seconds on it) for every task, as each finishes, from `jobs` worker processes
    (spawned: no state shared with this process); on_ready(start-up CPU seconds) as each worker has its model. A
    worker past `timeout_s` on one video, or one that dies, is killed and replaced; its video gets an error row
    (CPU None: unknown)."""
    import multiprocessing
    from multiprocessing.connection import wait

    from formcheck.pose import ModelError

    context = multiprocessing.get_context("spawn")

    cores = worker_cores(jobs)

    def spawn(slot: int) -> _Worker:
        ours, theirs = context.Pipe()
        process = context.Process(target=_worker_main, args=(theirs, options, os.getpid(), cores[slot]),
                                  daemon=True, name="formcheck-batch-worker")
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    workers = [spawn(slot) for slot in range(jobs)]
    queue = iter(tasks)
    exhausted = False
    try:
        while True:
            for worker in workers:
                if worker.ready and worker.task is None and not exhausted:
                    task = next(queue, None)
                    if task is None:
                        exhausted = True
                        break
                    worker.task, worker.started = task, time.monotonic()
                    on_start(task)
                    try:
                        worker.conn.send(task)
                    except OSError:  # it has just died: its sentinel says so below, and the video gets an error row
                        pass
            busy = [w for w in workers if w.task is not None]
            if exhausted and not busy:
                return
            deadlines = [w.started + timeout_s - time.monotonic() for w in busy] if timeout_s else []
            waiting = min(deadlines, default=None)
            ready = set(wait([h for w in workers for h in (w.conn, w.process.sentinel)],
                             timeout=None if waiting is None else max(waiting, 0.0)))
            for index, worker in enumerate(list(workers)):
                message, dead = None, False
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                    except (EOFError, OSError):
                        dead = True
                elif worker.process.sentinel in ready:
                    dead = True
                if message is not None and message[0] == "ready":
                    worker.ready = True
                    on_ready(message[1])
                elif message is not None and message[0] == "fatal":
                    raise ModelError(message[1])
                elif message is not None:  # ("row", row, cpu_s)
                    task, worker.task = worker.task, None
                    yield task, message[1], message[2]
                elif dead:
                    worker.process.join(5)
                    task, code = worker.task, worker.process.exitcode
                    stop(worker)
                    if not worker.ready:
                        raise ModelError(f"a batch worker ended while loading the pose model ({_exit_words(code)})")
                    workers[index] = spawn(index)
                    if task is not None:
                        yield task, error_row(task, f"{task.path}: the worker process died on this video "
                                                    f"({_exit_words(code)})", time.monotonic() - worker.started), None
                elif timeout_s and worker.task is not None and time.monotonic() - worker.started > timeout_s:
                    task, seconds = worker.task, time.monotonic() - worker.started
                    stop(worker)
                    workers[index] = spawn(index)
                    yield task, error_row(task, f"{task.path}: stopped after {seconds:.0f} s (--timeout-s "
                                                f"{timeout_s:g})", seconds), None
    finally:
        for worker in workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in workers:
            worker.process.join(2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()


def _exit_words(code: int | None) -> str:
    if code is not None and code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


# ---- Ray executor: one actor per job ---------------------------------------------------------------------------------


class RayWorker:
    """A Ray actor's class: one pose model, kept for every video the actor is given (score_video)."""

    def __init__(self, options: Options, core: set[int] | None = None):
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        keep_to(core)
        self.options = options
        self.error = None
        try:
            self.estimator = _new_estimator(options)
        except Exception as exc:
            self.estimator, self.error = None, one_line(exc)
        self.startup_cpu_s = time.process_time()  # the actor process's CPU so far: Ray's worker, imports, model

    def ready(self) -> tuple[str | None, float]:
        """(None when the pose model loaded, else why not; CPU seconds the actor's process took to get there)."""
        return self.error, self.startup_cpu_s

    def score(self, task: Task) -> tuple[dict[str, str], float]:
        """(the video's row, CPU seconds the actor's process spent on it: user + system, every thread)."""
        return score_video_with_cpu(task, self.estimator, self.options)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray: Ray is not installed; install it with pip install -e '.[ray]' "
                         "(or pip install 'ray>=2.9')") from None
    return ray


def _ray_rows(tasks: Iterator[Task], *, jobs: int | None, timeout_s: float | None, options: Options,
              address: str | None, on_start: Callable[[Task], None],
              on_ready: Callable[[float], None]) -> Iterator[tuple[Task, dict[str, str], float | None]]:
    """(task, row, CPU seconds) as each finishes, from Ray actors (RayWorker) each holding a pose model, as
    _local_rows (on_ready likewise). `address`: join that
    cluster (the videos' paths must be readable on its nodes); None: start a local Ray with `jobs` CPUs, stopped at
    the end. `jobs` actors (None: one per CPU of the cluster). A video past `timeout_s`, or whose actor dies, gets an
    error row and a fresh actor."""
    import logging

    ray = _import_ray()
    from formcheck.pose import ModelError

    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        else:  # "local": a new Ray of our own, never a cluster that someone else started on this machine
            ray.init(address="local", num_cpus=jobs or os.cpu_count() or 1, include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
    actor_class = ray.remote(num_cpus=1)(RayWorker)
    actors: list = []
    try:
        count = jobs or max(int(ray.cluster_resources().get("CPU", 1)), 1)
        # a Ray of one node is this machine: its actors keep to a core each as local workers do
        cores = worker_cores(count) if sum(1 for n in ray.nodes() if n.get("Alive")) == 1 else [None] * count
        actors = [actor_class.remote(options, cores[index]) for index in range(count)]
        problems = []
        for problem, startup_cpu_s in ray.get([a.ready.remote() for a in actors]):
            if problem:
                problems.append(problem)
            else:
                on_ready(startup_cpu_s)
        if problems:
            raise ModelError(problems[0])
        running: dict = {}  # object ref -> (actor index, task, started)
        starting: dict = {}  # a replaced actor's ready() ref -> actor index: given work once its model is loaded
        idle = list(range(count))
        queue = iter(tasks)
        exhausted = False

        def replace(index: int) -> None:
            actors[index] = actor_class.remote(options, cores[index])
            starting[actors[index].ready.remote()] = index

        while True:
            while idle and not exhausted:
                task = next(queue, None)
                if task is None:
                    exhausted = True
                    break
                index = idle.pop()
                on_start(task)
                running[actors[index].score.remote(task)] = (index, task, time.monotonic())
            if not running and (exhausted or not starting):
                return
            waiting = None
            if timeout_s and running:
                waiting = max(min(s + timeout_s for _, _, s in running.values()) - time.monotonic(), 0.0)
            done, _ = ray.wait([*running, *starting], num_returns=1, timeout=waiting)
            for ref in done:
                if ref in starting:
                    index = starting.pop(ref)
                    try:
                        problem, startup_cpu_s = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        problem = one_line(exc)
                    if problem:
                        raise ModelError(problem)
                    on_ready(startup_cpu_s)
                    idle.append(index)
                    continue
                index, task, began = running.pop(ref)
                cpu_s = None
                try:
                    row, cpu_s = ray.get(ref)
                    idle.append(index)
                except ray.exceptions.RayActorError as exc:
                    replace(index)
                    row = error_row(task, f"{task.path}: the Ray worker died on this video "
                                          f"({one_line(exc)[:200]})", time.monotonic() - began)
                except ray.exceptions.RayError as exc:
                    idle.append(index)
                    row = error_row(task, f"{task.path}: {one_line(exc)[:300]}", time.monotonic() - began)
                yield task, row, cpu_s
            if timeout_s:
                now = time.monotonic()
                for ref, (index, task, began) in list(running.items()):
                    if now - began > timeout_s:
                        running.pop(ref)
                        ray.kill(actors[index])
                        replace(index)
                        yield task, error_row(task, f"{task.path}: stopped after {now - began:.0f} s (--timeout-s "
                                                    f"{timeout_s:g})", now - began), None
    finally:
        for actor in actors:
            try:
                ray.kill(actor)
            except Exception:  # already gone
                pass
        if started_here:
            ray.shutdown()


# ---- the batch ------------------------------------------------------------------------------------------------------


@dataclass
class Summary:
    """Counts over the rows of the CSV at the end: those written in this run and the ok rows --resume kept (`kept`,
    of which `skipped` were videos of this run); and the workers' CPU seconds (user + system, all their threads:
    what the work costs whatever else the machine runs): `startup_cpu_s` over the `workers` that loaded a model
    (from their process's start: imports and model), `video_cpu_s` over the `scored` videos whose row a worker
    returned (not those stopped by --timeout-s or whose worker died)."""

    total: int = 0
    kept: int = 0
    ok: int = 0
    error: int = 0
    skipped: int = 0
    verdicts: dict[str, dict[str, int]] = field(default_factory=lambda: {r: dict.fromkeys(VERDICTS, 0)
                                                                          for r in RULE_NAMES})
    seconds: float = 0.0
    workers: int = 0
    startup_cpu_s: float = 0.0
    scored: int = 0
    video_cpu_s: float = 0.0

    def worker_ready(self, startup_cpu_s: float) -> None:
        self.workers += 1
        self.startup_cpu_s += startup_cpu_s

    def count(self, row: dict[str, str]) -> None:
        if row["status"] == "ok":
            self.ok += 1
            for rule in RULE_NAMES:
                if row.get(rule):
                    self.verdicts[rule][row[rule]] += 1
        else:
            self.error += 1


def largest_first(videos: list[Video]) -> list[Video]:
    """The videos in the order workers take them: the largest files first (ties, and files that cannot be read, in
    the given order), so that a long video does not start last while the other workers run out of work (longest
    processing time first: the batch ends at most about one short video after the last worker frees up, instead of
    one long video). File size stands for the work a video needs; it costs a stat, not a decode."""
    def size(video: Video) -> int:
        try:
            return video.path.stat().st_size
        except OSError:
            return -1
    sizes = {id(video): size(video) for video in videos}
    return sorted(videos, key=lambda video: -sizes[id(video)])


def run_batch(videos: list[Video], out: Path, *, reports: Path | None = None, jobs: int | None = None,
              executor: str = "local", ray_address: str | None = None, resume: bool = False,
              timeout_s: float | None = None, options: Options | None = None,
              on_start: Callable[[Video], None] | None = None,
              on_row: Callable[[Video, dict[str, str] | None], None] | None = None) -> Summary:
    """Score `videos` into the CSV `out` (ResultsFile), a row as each finishes; returns the counts.

    jobs: workers (default: one per core; with `ray_address`, one per CPU of the cluster). on_start(video) when a
    worker takes it; on_row(video, row) when its row is written, or row=None when --resume skips it.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"--executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"--jobs {jobs}: give 1 or more")
    if timeout_s is not None and not timeout_s > 0:
        raise ValueError(f"--timeout-s {timeout_s:g}: give a number of seconds above 0")
    if ray_address and executor != "ray":
        raise ValueError("--ray-address needs --executor ray")
    options = options or Options()
    if executor == "ray":
        _import_ray()  # a missing Ray is one line before anything is written
    if executor == "local" or not ray_address:  # workers on this machine: the model is built (once) or checked here
        from formcheck.pose import resolve_model

        options = Options(model_path=str(resolve_model(options.model_path).path), make_video=options.make_video)
    summary = Summary(total=len(videos))

    def kept(row: dict[str, str]) -> None:
        summary.kept += 1
        summary.count(row)

    results = ResultsFile(out, resume=resume, on_kept=kept)
    by_path: dict[str, Video] = {}
    started = time.monotonic()

    def write(video: Video, row: dict[str, str]) -> None:
        results.append(row)
        summary.count(row)
        if on_row is not None:
            on_row(video, row)

    def tasks() -> Iterator[Task]:
        for video in largest_first(videos):
            try:
                digest = sha256_file(video.path) if video.path.is_file() else ""
            except OSError as exc:
                digest = ""
                write(video, error_row(Task(str(video.path), "", video.exercise), one_line(exc)))
                continue
            if digest and digest in results.done:
                summary.skipped += 1
                if on_row is not None:
                    on_row(video, None)
                continue
            folder = report_folder(Path(reports), video, digest) if reports is not None and digest else None
            task = Task(str(video.path), digest, video.exercise, str(folder) if folder else None)
            by_path[task.path] = video
            yield task

    def started_task(task: Task) -> None:
        if on_start is not None:
            on_start(by_path[task.path])

    try:
        if executor == "ray":
            rows = _ray_rows(tasks(), jobs=jobs, timeout_s=timeout_s, options=options, address=ray_address,
                             on_start=started_task, on_ready=summary.worker_ready)
        else:
            count = max(min(jobs or os.cpu_count() or 1, len(videos)), 1)
            rows = _local_rows(tasks(), jobs=count, timeout_s=timeout_s, options=options, on_start=started_task,
                               on_ready=summary.worker_ready)
        for task, row, cpu_s in rows:
            if cpu_s is not None:
                summary.scored += 1
                summary.video_cpu_s += cpu_s
            write(by_path.pop(task.path), row)
    finally:
        results.close()
    summary.seconds = time.monotonic() - started
    return summary


# ---- progress and the summary table (the command's display) --------------------------------------------------------


class BatchDisplay:
    """Progress on stderr: a rich bar with the files being scored, each file's status as it ends, and the ETA on a
    terminal; one plain line per file otherwise (a log, a CI job). print_summary for the end."""

    def __init__(self, console, total: int):
        self.console = console
        self.total = total
        self.done = 0
        self.running: list[str] = []
        self.started = time.monotonic()
        self.progress = None
        if console.is_terminal:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)

            self.progress = Progress(TextColumn("[bold]videos"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                     TextColumn("{task.description}"), console=console, transient=False)
            self.task = self.progress.add_task("", total=total)

    def __enter__(self) -> "BatchDisplay":
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def start(self, video: Video) -> None:
        self.running.append(video.path.name)
        self._describe()

    def row(self, video: Video, row: dict[str, str] | None) -> None:
        from rich.markup import escape

        from formcheck.formats import plural

        if video.path.name in self.running:
            self.running.remove(video.path.name)
        self.done += 1
        if row is None:
            status, detail = "[dim]skip[/]", "already ok in the CSV"
        elif row["status"] == "ok":
            faults = [r for r in RULE_NAMES if row.get(r) == "fault"]
            status = "[green]ok[/]   "
            detail = f"{row['exercise']}, {row['view']}, {plural(int(row['reps'] or 0), 'rep')}" + (
                f", fault: {', '.join(faults)}" if faults else "") + f" ({row['processing_s']} s)"
        else:
            status, detail = "[red]error[/]", row["error"]
        line = f"{status} {escape(str(video.path))}  [dim]{escape(detail)}[/]"
        if self.progress is not None:
            self.progress.console.print(line, highlight=False, soft_wrap=True)
            self.progress.update(self.task, completed=self.done)
            self._describe()
        else:
            self.console.print(f"[{self.done}/{self.total}, ETA {self._eta()}] {line}", highlight=False,
                               soft_wrap=True)

    def _eta(self) -> str:
        elapsed = time.monotonic() - self.started
        if not self.done:
            return "?"
        left = elapsed / self.done * (self.total - self.done)
        return f"{int(left // 60)}:{int(left % 60):02d}"

    def _describe(self) -> None:
        if self.progress is not None:
            from rich.markup import escape

            shown = ", ".join(self.running[:3]) + (f" +{len(self.running) - 3}" if len(self.running) > 3 else "")
            self.progress.update(self.task, description=escape(shown))


def print_summary(summary: Summary, out: Path, console) -> None:
    """A line of counts (videos ok / error, ok rows kept by --resume) and a table: per rule, how many ok videos got
    each verdict."""
    from rich.markup import escape
    from rich.table import Table

    kept = f" ({summary.kept} ok rows kept from before)" if summary.kept else ""
    line = (f"[bold]{escape(str(out))}[/]: [green]{summary.ok} ok[/], [red]{summary.error} error[/]{kept}; "
            f"{summary.seconds:.0f} s")
    table = Table(title="verdicts per rule (ok videos)", title_justify="left")
    table.add_column("rule")
    for verdict in VERDICTS:
        table.add_column(verdict, justify="right")
    for rule in RULE_NAMES:
        counts = summary.verdicts[rule]
        if any(counts.values()):
            table.add_row(rule, *(str(counts[v]) for v in VERDICTS))
    console.print(line, highlight=False, soft_wrap=True)
    if table.row_count:
        console.print(table)


def run_command(inputs: list[str], out: Path, *, reports: Path | None, jobs: int | None, executor: str,
                ray_address: str | None, exercise: str, resume: bool, timeout_s: float | None,
                model: Path | None, err_console, out_console) -> Summary:
    """`formcheck batch`: find the videos, score them with progress on `err_console`, print the summary table on
    `out_console`."""
    videos = find_videos(inputs, exercise=exercise)
    options = Options(model_path=str(model) if model else None)
    if reports is not None:
        Path(reports).mkdir(parents=True, exist_ok=True)
    with BatchDisplay(err_console, len(videos)) as display:
        summary = run_batch(videos, out, reports=reports, jobs=jobs, executor=executor, ray_address=ray_address,
                            resume=resume, timeout_s=timeout_s, options=options, on_start=display.start,
                            on_row=display.row)
    print_summary(summary, out, out_console)
    return summary


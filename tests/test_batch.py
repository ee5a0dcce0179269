"""`formcheck batch` (issue 17): inputs, CSV rows, --resume, and, on both executors, a mixed folder of good and bad
videos and a kill -9 in the middle of a batch followed by --resume.

The fast tests build reports and CSV files by hand. The slow ones run MediaPipe on clips of 2-3 s cut from
sample_videos/ and run the command as a subprocess (as a user would: spawned workers, a kill -9). The Ray tests
start a local Ray in this process and stop it at the end; outside CI they skip when Ray is not installed.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import SAMPLE_VIDEOS, truncated_copy, write_test_video
from formcheck.batch import (
    ResultsFile,
    Video,
    columns,
    find_videos,
    largest_first,
    report_row,
    run_batch,
)
from formcheck.cli import app
from formcheck.results import Finding, NotJudged, RepSpan, Report

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


# ---- inputs -----------------------------------------------------------------------------------------------------------


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folders_are_searched_recursively_for_videos_only(tmp_path):
    a = _touch(tmp_path / "clips" / "a.mp4")
    b = _touch(tmp_path / "clips" / "deeper" / "b.MOV")
    _touch(tmp_path / "clips" / "notes.txt")
    _touch(tmp_path / "clips" / "track.npz")
    assert [v.path for v in find_videos([tmp_path / "clips"])] == [a, b]


def test_globs_files_and_duplicates(tmp_path):
    a = _touch(tmp_path / "a.mp4")
    b = _touch(tmp_path / "sub" / "b.mp4")
    _touch(tmp_path / "sub" / "c.txt")
    videos = find_videos([str(tmp_path / "**" / "*.mp4"), a, tmp_path / "sub"])
    assert [v.path for v in videos] == [a, b]  # each once, in the order first named
    assert [v.exercise for v in videos] == ["auto", "auto"]


def test_workers_take_the_largest_files_first(tmp_path):
    """Longest processing time first: a long video handed out last would keep one worker busy while the others idle.
    Ties keep the given order; a file that cannot be read goes last (it becomes an error row at once)."""
    small, big, also_small, middle = (_touch(tmp_path / f"{n}.mp4", b"x" * size)
                                      for n, size in (("a", 10), ("b", 1000), ("c", 10), ("d", 100)))
    missing = tmp_path / "gone.mp4"
    order = largest_first([Video(p) for p in (small, missing, big, also_small, middle)])
    assert [v.path for v in order] == [big, middle, small, also_small, missing]


def test_a_missing_file_is_kept_to_become_an_error_row(tmp_path):
    assert [v.path for v in find_videos([tmp_path / "gone.mp4"])] == [tmp_path / "gone.mp4"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("path,exercise\nx.mp4,squat\ny.mp4,\n", [("x.mp4", "squat"), ("y.mp4", "bridge")]),  # header; empty: --exercise
        ("x.mp4,walk\n", [("x.mp4", "walk")]),  # no header
        ("path\nx.mp4\n", [("x.mp4", "bridge")]),  # no exercise column
    ],
)
def test_a_csv_names_videos_relative_to_itself(tmp_path, text, expected):
    listing = _touch(tmp_path / "lists" / "videos.csv", text.encode())
    videos = find_videos([listing], exercise="bridge")
    assert [(v.path, v.exercise) for v in videos] == [(tmp_path / "lists" / p, e) for p, e in expected]


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda d: [str(d / "*.mp4")], "no file matches"),
        (lambda d: [_touch(d / "v.csv", b"path,exercise\nx.mp4,jumping\n")], "line 2: exercise 'jumping'"),
        (lambda d: [_touch(d / "v.csv", b"path,exercise\n\nx.mp4,\n,squat\n")], "line 4: no path"),
        (lambda d: [d], "no video found"),
    ],
    ids=["glob matching nothing", "unknown exercise in the CSV", "a CSV row without a path", "empty folder"],
)
def test_bad_inputs_are_one_line_errors(tmp_path, make, words):
    with pytest.raises(ValueError, match=words):
        find_videos(make(tmp_path))


# ---- one report -> one row ------------------------------------------------------------------------------------------


def _finding(rule, severity, value):
    return Finding(rule=rule, severity=severity, side=None, start_s=0.0, end_s=1.0, value=value, threshold=10.0,
                   unit="deg", cue="")


def test_report_row_verdicts_and_worst_values():
    report = Report(
        source="x.mp4", exercise="bridge", exercise_source="auto", view="side", view_source="auto", posture="lying",
        duration_s=8.04, fps=30.0, frames=241, detection_rate=1.0,
        reps=[RepSpan(1, 2, 3), RepSpan(4, 5, 6)],
        findings=[_finding("lumbar_arch", "warning", 9.0), _finding("lumbar_arch", "fault", 12.5),
                  _finding("lumbar_arch", "fault", -14.0), _finding("lumbar_arch", "warning", 20.0),
                  _finding("hip_lockout", "warning", 7.25), _finding("hold_timer", "info", 3.5)],
        not_judged=[NotJudged("knee_valgus", "side view", "feet")],
        judged=["lumbar_arch", "hip_lockout", "neck_flexion"],
    )
    row = report_row(report)
    assert (row["exercise"], row["view"], row["duration_s"], row["reps"]) == ("bridge", "side", "8.04", "2")
    assert (row["lumbar_arch"], row["lumbar_arch_worst"]) == ("fault", "-14")  # worst: the largest fault
    assert (row["hip_lockout"], row["hip_lockout_worst"]) == ("warning", "7.25")
    assert (row["knee_valgus"], row["knee_valgus_worst"]) == ("not_judged", "")
    assert (row["neck_flexion"], row["neck_flexion_worst"]) == ("ok", "")  # judged, nothing found
    assert (row["hold_timer"], row["hold_timer_worst"]) == ("ok", "3.5")  # an info finding is not a fault
    assert (row["hip_sway"], row["stance_asymmetry"]) == ("", "")  # not rules of a bridge
    assert set(row) <= set(columns())


# ---- the results file and --resume ----------------------------------------------------------------------------------


def _row(path, sha, status, error=""):
    return {"path": path, "sha256": sha, "status": status, "error": error, "processing_s": "1.5"}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_rows_are_on_disk_as_each_is_appended(tmp_path):
    out = tmp_path / "results.csv"
    results = ResultsFile(out, resume=False)
    results.append(_row("a.mp4", "aa", "ok"))
    assert [r["path"] for r in _read(out)] == ["a.mp4"]  # before close: flushed
    results.close()


def test_resume_keeps_ok_rows_once_and_drops_errors_and_a_cut_line(tmp_path):
    out = tmp_path / "results.csv"
    results = ResultsFile(out, resume=False)
    for row in (_row("a.mp4", "aa", "ok"), _row("b.mp4", "bb", "error", "b.mp4: file is empty"),
                _row("a copy.mp4", "aa", "ok"), _row("c.mp4", "cc", "ok")):
        results.append(row)
    results.close()
    with open(out, "a") as fh:
        fh.write("d.mp4,dd,ok,,")  # a kill in the middle of a row
    kept: list[str] = []
    resumed = ResultsFile(out, resume=True, on_kept=lambda row: kept.append(row["path"]))
    resumed.close()
    assert resumed.done == {"aa", "cc"}
    assert kept == ["a.mp4", "c.mp4"]
    assert [(r["path"], r["status"]) for r in _read(out)] == [("a.mp4", "ok"), ("c.mp4", "ok")]


def test_an_existing_csv_needs_resume_and_the_same_columns(tmp_path):
    out = _touch(tmp_path / "results.csv", b"path,status\n")
    with pytest.raises(ValueError, match="exists; add --resume"):
        ResultsFile(out, resume=False)
    with pytest.raises(ValueError, match="not this formcheck's batch columns"):
        ResultsFile(out, resume=True)
    assert out.read_bytes() == b"path,status\n"  # untouched


@pytest.mark.parametrize(
    "args, words",
    [
        (["--executor", "spark"], "--executor 'spark': choose one of local, ray"),
        (["--exercise", "jumping"], "--exercise 'jumping'"),
        (["--ray-address", "127.0.0.1:6379"], "--ray-address needs --executor ray"),
        (["--timeout-s", "0"], "--timeout-s 0"),
    ],
)
def test_cli_option_errors_are_one_line(tmp_path, args, words):
    video = _touch(tmp_path / "a.mp4")
    result = runner.invoke(app, ["batch", str(video), "--out", str(tmp_path / "r.csv"), *args])
    assert result.exit_code == 1, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.csv").exists()


# ---- slow: the command on real clips, both executors -----------------------------------------------------------------


def _cut(source: Path, target: Path, *, start_s: float, seconds: float) -> Path:
    """A short clip of a sample video, re-encoded (bit-exact, index at the end: cutting its bytes loses the index)."""
    from formcheck.video import write_excerpt

    return write_excerpt(source, target, start_s=start_s, seconds=seconds, bitexact=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "bridge": _cut(SAMPLE_VIDEOS / "bridge_side_good.mp4", folder / "bridge.mp4", start_s=0.5, seconds=3.0),
        "squat": _cut(SAMPLE_VIDEOS / "squat_front_knee_valgus.mp4", folder / "squat.mp4", start_s=0.0, seconds=3.0),
    }


def _ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed in CI: .ci/run installs formcheck with the [ray] extra")
        return False
    return True


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray started by this test process (2 CPUs, no dashboard), stopped when the module's tests are done;
    yields the address `--ray-address` joins."""
    if not _ray_available():
        pytest.skip("Ray is not installed: pip install -e '.[ray]'")
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _executor_args(executor: str, request) -> list[str]:
    if executor == "local":
        return []
    if not _ray_available():
        pytest.skip("Ray is not installed: pip install -e '.[ray]'")
    if request is None:
        return ["--executor", "ray"]  # the command starts a local Ray of its own and stops it
    return ["--executor", "ray", "--ray-address", request.getfixturevalue("ray_cluster")]


def _batch_command(*args) -> list[str]:
    return [sys.executable, "-m", "formcheck.cli", "batch", *map(str, args)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_mixed_folder_gives_ok_and_error_rows(tmp_path, clips, executor):
    args = _executor_args(executor, None)
    folder = tmp_path / "uploads"
    (folder / "day2").mkdir(parents=True)
    good = {"bridge": folder / "bridge.mp4", "squat": folder / "day2" / "squat.mp4"}
    for name, path in good.items():
        path.write_bytes(clips[name].read_bytes())
    truncated_copy(good["squat"])  # uploads/day2/cut_squat.mp4: half its bytes, no index
    # corrupt: random bytes, seeded (unseeded, FFmpeg once read a draw as a file with only a subtitle stream)
    _touch(folder / "noise.mp4", np.random.default_rng(4000).bytes(4000))
    _touch(folder / "notes.mp4", b"Remember to film from the side.\n")  # a text file renamed .mp4
    _touch(folder / "empty.mov", b"")
    write_test_video(folder / "day2" / "nobody.mp4", frames=30)  # a video without a person
    _touch(folder / "readme.txt", b"not a video")  # not picked up
    out = tmp_path / "results.csv"

    reports = tmp_path / "reports"
    done = subprocess.run(_batch_command(folder, "--out", out, "--jobs", 2, "--reports", reports, *args), env=_env(),
                          capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr
    rows = {Path(r["path"]).relative_to(folder).as_posix(): r for r in _read(out)}
    assert sorted(rows) == ["bridge.mp4", "day2/cut_squat.mp4", "day2/nobody.mp4", "day2/squat.mp4", "empty.mov",
                            "noise.mp4", "notes.mp4"]
    expected_errors = {
        "day2/cut_squat.mp4": "cut short",
        "day2/nobody.mp4": "no person found",
        "empty.mov": "file is empty",
        "noise.mp4": "not a readable video",
        "notes.mp4": "not a readable video",
    }
    for name, words in expected_errors.items():
        assert rows[name]["status"] == "error" and words in rows[name]["error"], rows[name]
        assert "\n" not in rows[name]["error"]
    bridge, squat = rows["bridge.mp4"], rows["day2/squat.mp4"]
    assert (bridge["status"], bridge["exercise"], bridge["view"], bridge["error"]) == ("ok", "bridge", "side", "")
    assert bridge["lumbar_arch"] in ("ok", "warning") and bridge["knee_valgus"] == "not_judged"
    assert (squat["status"], squat["exercise"], squat["view"]) == ("ok", "squat", "front")
    assert squat["knee_valgus"] in ("fault", "warning") and float(squat["knee_valgus_worst"]) > 0  # knob 18: a warning
    for row in (bridge, squat):
        assert row["sha256"] == __import__("hashlib").sha256(clips["bridge" if row is bridge else "squat"]
                                                             .read_bytes()).hexdigest()
        assert float(row["duration_s"]) == pytest.approx(3.0, abs=0.1) and float(row["processing_s"]) > 0
    folders = {p.name: p for p in reports.iterdir()}  # a report folder per ok video, none for the errors
    assert sorted(folders) == sorted(f"{name}-{rows[key]['sha256'][:8]}" for name, key in
                                     (("bridge", "bridge.mp4"), ("squat", "day2/squat.mp4")))
    for folder_of_one in folders.values():
        assert {"report.json", "report.html", "annotated.mp4", "track.npz"} <= {p.name for p in folder_of_one.iterdir()}
    assert "2 ok, 5 error" in done.stdout and "knee_valgus" in done.stdout  # the summary table
    assert done.stderr.count("\n") >= 7 and "ETA" in done.stderr  # plain progress lines when stderr is a pipe


@pytest.fixture(scope="module")
def bridge_clips(tmp_path_factory) -> list[Path]:
    """Four different 2 s bridge clips (different hashes)."""
    folder = tmp_path_factory.mktemp("bridges")
    return [_cut(SAMPLE_VIDEOS / "bridge_side_good.mp4", folder / f"bridge_{i}.mp4", start_s=0.5 + 0.5 * i,
                 seconds=2.0) for i in range(4)]


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path, bridge_clips, executor, request):
    args = _executor_args(executor, request)
    out = tmp_path / "results.csv"
    command = _batch_command(*bridge_clips, "--out", out, "--jobs", 1, "--exercise", "bridge", *args)
    batch = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and batch.poll() is None:
            if out.exists() and len(_read(out)) >= 1:
                break
            time.sleep(0.1)
        assert batch.poll() is None, f"the batch ended before it could be killed: {batch.stderr.read()}"
        os.kill(batch.pid, signal.SIGKILL)
        batch.wait(10)
    finally:
        if batch.poll() is None:
            batch.kill()
    before = _read(out)
    assert 1 <= len(before) < len(bridge_clips), before
    assert all(r["status"] == "ok" for r in before)

    resumed = subprocess.run([*command, "--resume"], env=_env(), capture_output=True, text=True, timeout=600)

    assert resumed.returncode == 0, resumed.stderr
    after = _read(out)
    assert sorted(r["path"] for r in after) == sorted(map(str, bridge_clips))  # none lost, none twice
    assert len({r["sha256"] for r in after}) == len(bridge_clips)
    assert all(r["status"] == "ok" and r["exercise"] == "bridge" for r in after), after
    assert after[: len(before)] == before  # the rows written before the kill, kept as they were
    assert resumed.stderr.count("already ok in the CSV") == len(before)


@pytest.mark.slow
def test_a_video_past_its_time_is_stopped_and_the_batch_goes_on(tmp_path):
    slow = SAMPLE_VIDEOS / "bridge_side_good.mp4"  # 10 s of video: more than 1.5 s of work on any machine
    empty = _touch(tmp_path / "empty.mp4", b"")
    summary = run_batch([Video(slow), Video(empty)], tmp_path / "r.csv", jobs=1, timeout_s=1.5)
    rows = {Path(r["path"]).name: r for r in _read(tmp_path / "r.csv")}
    assert "stopped after" in rows["bridge_side_good.mp4"]["error"], rows
    assert "--timeout-s 1.5" in rows["bridge_side_good.mp4"]["error"]
    assert "file is empty" in rows["empty.mp4"]["error"]  # the next video, on a fresh worker
    assert (summary.ok, summary.error) == (0, 2)


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_batch_row_is_what_analyze_gives_and_the_workers_cpu_is_counted(tmp_path, clips, executor, request):
    """Two workers, each with its own model kept across videos, give the rows and the very landmarks of
    `formcheck analyze` on each clip (the default path: a model of its own); the summary counts the workers'
    start-up and per-video CPU seconds."""
    import numpy as np

    from formcheck.batch import Options, report_folder
    from formcheck.pipeline import analyze
    from formcheck.track import PoseTrack

    address = request.getfixturevalue("ray_cluster") if executor == "ray" else None  # skips without Ray
    videos = [Video(clips["bridge"]), Video(clips["squat"]), Video(clips["bridge"].with_name("bridge_again.mp4"))]
    videos[2].path.write_bytes(clips["bridge"].read_bytes())  # a second video for the worker that did the first

    summary = run_batch(videos, tmp_path / "r.csv", reports=tmp_path / "reports", jobs=2, executor=executor,
                        ray_address=address, options=Options(make_video=False))

    rows = {Path(r["path"]).name: r for r in _read(tmp_path / "r.csv")}
    for video in videos:
        analysis = analyze(video.path)
        got = rows[video.path.name]
        assert (got["status"], got["error"], got["warnings"]) == ("ok", "", "")
        expected = report_row(analysis.report)
        assert {name: got[name] for name in expected} == expected, video.path.name
        saved = PoseTrack.load(report_folder(tmp_path / "reports", video, got["sha256"]) / "track.npz")
        alone = PoseTrack.load(analysis.track.save(tmp_path / f"{video.path.stem}.npz"))  # the same storage rounding
        assert np.array_equal(saved.landmarks, alone.landmarks, equal_nan=True), video.path.name
    assert (summary.ok, summary.workers, summary.scored) == (3, 2, 3)
    assert 0.2 < summary.startup_cpu_s / 2 < 60  # imports and the pose model: ~2 s on a 2-core EPYC
    assert 0.1 < summary.video_cpu_s / 3 < 60  # a 3 s clip: ~1.5 s


def test_one_worker_per_core_keeps_each_to_its_own_core(monkeypatch):
    """With exactly one worker per usable core each keeps to its own; any other count leaves placement to the OS."""
    import formcheck.batch as batch

    monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert batch.worker_cores(4) == [{0}, {1}, {2}, {3}]
    assert batch.worker_cores(2) == [None, None] and batch.worker_cores(1) == [None]
    monkeypatch.delattr(batch.os, "sched_getaffinity", raising=False)
    assert batch.worker_cores(4) == [None] * 4


@pytest.mark.slow
def test_workers_run_on_their_own_cores(tmp_path, bridge_clips):
    """A batch with one worker per core (the default) runs each worker, all its threads, on a core of its own."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cores) < 2:
        pytest.skip("needs Linux and at least 2 usable cores")
    seen: dict[int, set[frozenset[int]]] = {}

    def workers_affinity(video) -> None:
        for pid in (int(d) for d in os.listdir("/proc") if d.isdigit()):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
            except OSError:
                continue
            if f"\nPPid:\t{os.getpid()}\n" in status and b"spawn_main" in cmdline:
                affinities = set()
                for thread in threads:
                    try:
                        affinities.add(frozenset(os.sched_getaffinity(thread)))
                    except OSError:  # the thread ended after it was listed
                        continue
                if affinities:
                    seen[pid] = affinities

    summary = run_batch([Video(p) for p in bridge_clips], tmp_path / "out.csv", jobs=len(cores),
                        options=None, on_start=workers_affinity)
    assert summary.ok == len(bridge_clips)
    per_worker = [affinities for affinities in seen.values()]
    assert len(per_worker) == len(cores), seen
    assert all(len(a) == 1 and len(next(iter(a))) == 1 for a in per_worker), seen  # every thread on one core
    assert {next(iter(next(iter(a)))) for a in per_worker} == set(cores), seen

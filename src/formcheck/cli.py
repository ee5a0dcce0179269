"""formcheck's command line: thin typer commands over the library. Domain errors become one line and exit 1."""
from __future__ import annotations

import os

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: errors only
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import contextlib
import functools
import logging
import tempfile
import time
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from rich.table import Table
from typer.core import TyperGroup

from formcheck import __version__
from formcheck.exercises import check_exercise, check_view

try:  # typer >= 0.16 vendors click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover
    from click.exceptions import NoArgsIsHelpError, UsageError


@contextlib.contextmanager
def _usage_errors_in_one_line() -> Iterator[None]:
    """A usage error (bad option value, missing argument, unknown command or option) -> one red line, exit 1."""
    try:
        yield
    except NoArgsIsHelpError:
        raise  # `formcheck` alone prints the help
    except UsageError as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        err.print(f"[bold red]error:[/] {escape(exc.format_message())}{escape(where)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


class _OneLineUsageErrors(TyperGroup):
    """The command group, with usage errors reported like every other user error: one line and exit code 1."""

    def make_context(self, *args, **kwargs):
        with _usage_errors_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _usage_errors_in_one_line():
            return super().invoke(ctx)


app = typer.Typer(
    name="formcheck",
    cls=_OneLineUsageErrors,
    help="Checks glute bridge, hip thrust, squat and walking form from video, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

ModelOption = Annotated[
    Optional[Path],
    typer.Option(
        "--model",
        help="A MediaPipe pose_landmarker .task file (lite/full/heavy). Default: the full model built from the "
        "installed mediapipe wheel (offline).",
        show_default=False,
    ),
]


def _quarter_turn(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value not in (0, 90, 180, 270):
        raise typer.BadParameter(f"{text!r}: give 0, 90, 180 or 270 (degrees clockwise)")
    return value


RotateOption = Annotated[
    int,
    typer.Option(
        "--rotate", parser=_quarter_turn, metavar="0|90|180|270",
        help="Turn every frame this many degrees clockwise first, for a video that plays sideways or upside down "
        "(its rotation tag lost). The report says which turn when it sees a person the wrong way up.",
    ),
]


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"formcheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version_callback, is_eager=True)
    ] = False,
) -> None:
    """formcheck: is it your glutes, or your lower back? Video in, verdicts with evidence out."""
    logging.basicConfig(level=logging.ERROR, format="%(message)s")


def user_errors(command: Callable) -> Callable:
    """Turn the errors a user can cause into one red line on stderr and exit code 1 (no traceback)."""
    from formcheck.pose import ModelError
    from formcheck.track import TrackFileError
    from formcheck.video import VideoError

    from formcheck.interrupts import Terminated, sigterm_as_interrupt

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with sigterm_as_interrupt():  # SIGTERM runs the same clean-up as Ctrl-C
                return command(*args, **kwargs)
        except (VideoError, ModelError, TrackFileError, ValueError, OSError) as exc:  # OSError: permission, disk full...
            err.print(f"[bold red]error:[/] {escape(_one_line(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt as exc:
            err.print("[yellow]interrupted[/]")
            raise typer.Exit(code=128 + exc.signum if isinstance(exc, Terminated) else 130) from None

    return wrapper


def _one_line(exc: BaseException) -> str:
    """An exception as one line; OSErrors as 'PATH: reason' without Python's [Errno N]."""
    if isinstance(exc, OSError) and exc.strerror:
        target = f"{exc.filename}: " if exc.filename else ""
        text = f"{target}{exc.strerror}"
    else:
        text = str(exc).strip() or exc.__class__.__name__
    return " ".join(text.split())


def _writable_folder(folder: Path, option: str, target: Optional[Path] = None) -> list[Path]:
    """Make sure files can be written in `folder` before any slow work: created if missing, then a test file.

    Returns the folders created here (deepest first). ValueError naming the option (and `target`, the file to be
    written there) when the folder cannot be written; then nothing is left behind.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option} {target or folder}: {folder} exists and is not a folder")
    created = []
    ancestor = folder
    while not ancestor.exists() and ancestor != ancestor.parent:
        created.append(ancestor)
        ancestor = ancestor.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".formcheck-write-test-"):
            pass
    except OSError as exc:
        _remove_if_empty(created)
        where = f"{option} {target}: cannot write in {folder}" if target is not None else f"{option} {folder}: cannot write there"
        blocker = f"{ancestor} is not a folder" if ancestor.exists() and not ancestor.is_dir() else exc.strerror or exc
        raise ValueError(f"{where} ({blocker})") from None
    return created


def _remove_if_empty(folders: list[Path]) -> None:
    """rmdir each folder, deepest first, stopping at the first that is not empty: never deletes a file."""
    for path in folders:
        try:
            path.rmdir()
        except OSError:
            return


@contextlib.contextmanager
def _output_folder(folder: Path, option: str, target: Optional[Path] = None) -> Iterator[Path]:
    """_writable_folder, and the folders it created removed again if the enclosed work fails before writing in them."""
    created = _writable_folder(folder, option, target)
    try:
        yield Path(folder)
    except BaseException:
        _remove_if_empty(created)
        raise


def _path_given(text: str) -> Path:
    """A path option's value as typed; one line for an empty one (Path("") would quietly be the current folder)."""
    if not str(text).strip():
        raise typer.BadParameter("is empty; give a path")
    return Path(text)


def _clip_seconds(text: str) -> float:
    """synth's --seconds: a number from 1 to 120; one line for anything else (nan, inf, words)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 1.0 <= seconds <= 120.0:
        raise typer.BadParameter(f"{str(text)!r} is not a number of seconds from 1 to 120")
    return seconds


def _output_file(path: Path, option: str, suffix: str) -> Path:
    """One-line error when an output file name is a folder."""
    if path.is_dir():
        raise ValueError(f"{option} {path}: is a folder; give a file name ending in {suffix}")
    return path


@app.command()
@user_errors
def models(
    model_dir: Annotated[
        Optional[Path], typer.Option("--dir", help="Where to write the bundle (default: models/ or a user cache dir).")
    ] = None,
) -> None:
    """Build the offline pose model (pose_landmarker_full.task) from the installed mediapipe wheel.

    Idempotent: an up-to-date bundle is left as it is. Prints its path and sha256.
    """
    from formcheck.pose import build_model

    info = build_model(model_dir)
    typer.echo(str(info.path))
    typer.echo(f"sha256 {info.sha256}")


@app.command()
@user_errors
def extract(
    video: Annotated[Path, typer.Argument(help="Video file (mp4, mov, avi, ...).", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the pose track (.npz).")],
    model: ModelOption = None,
    raw: Annotated[bool, typer.Option("--raw", help="Save MediaPipe's landmarks as they came, without cleaning.")] = False,
    max_people: Annotated[
        int,
        typer.Option(
            "--max-people",
            min=1,
            max=6,
            help="People to look for per frame. The largest, most central one is followed and the rest counted; "
            "1 is about 1.6x faster but cannot tell a bystander from the subject.",
        ),
    ] = 2,
    rotate: RotateOption = 0,
) -> None:
    """Find the person's pose in every frame of VIDEO and save it as a pose track (.npz)."""
    from formcheck.clean import clean
    from formcheck.pipeline import extract_track
    from formcheck.pose import resolve_model
    from formcheck.video import check_video_path

    check_video_path(video)
    if video.suffix.lower() == ".npz":
        raise ValueError(f"{video}: is a pose track (.npz), not a video; `formcheck analyze {video}` reads it as it is")
    _output_file(output, "--output", ".npz")
    model_info = resolve_model(model)
    with _output_folder(output.parent, "--output", output):
        started = time.perf_counter()
        with _frame_progress(video.name) as advance:
            track = extract_track(video, model=model_info.path, max_people=max_people, progress=advance,
                                  rotate_deg=rotate)
        seconds = time.perf_counter() - started
        for warning in track.meta.get("video_warnings", []):
            err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        if not raw:
            track = clean(track)
        path = track.save(output)
    _print_track_summary(track, seconds, path)


class _FpsColumn(ProgressColumn):
    """Frames per second of the running task."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:5.1f} fps" if task.speed else "  ... fps")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("frames"),
        _FpsColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


@contextlib.contextmanager
def _frame_progress(name: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for the pose pass, shown from the first decoded frame on (a bad input's one-line error
    comes without a bar); yields progress(frames_done, frames_expected)."""
    bar: dict[str, object] = {}
    if not err.is_terminal:  # a log file or a pipe: plain lines (a live bar would garble it), about one per 10%
        yield _plain_progress(name)
        return

    def advance(done: int, total: int) -> None:
        if not bar:
            bar["progress"] = progress = _progress()
            progress.start()
            bar["task"] = progress.add_task(f"pose {escape(name)}", total=total or None)
        bar["progress"].update(bar["task"], completed=done, total=total or None)

    try:
        yield advance
    finally:
        if bar:
            bar["progress"].stop()


PLAIN_PROGRESS_EVERY_S = 10.0  # without a frame count, a plain progress line this often


def _plain_progress(name: str) -> Callable[[int, int], None]:
    """progress(frames_done, frames_expected) that prints a plain line to stderr at each further tenth of the frames
    (or every PLAIN_PROGRESS_EVERY_S seconds when the count is unknown), e.g. `pose clip.mp4: 120/600 frames (20%),
    31.2 fps, 3.8 s`."""
    started = time.perf_counter()
    state = {"tenth": -1, "last": started}

    def advance(done: int, total: int) -> None:
        now = time.perf_counter()
        elapsed = now - started
        fps = f", {done / elapsed:.1f} fps" if elapsed > 0 and done else ""
        if total:
            tenth = min(10, done * 10 // total)
            if tenth <= state["tenth"]:
                return
            state["tenth"] = tenth
            line = f"pose {name}: {done}/{total} frames ({done / total:.0%}){fps}, {elapsed:.1f} s"
        else:
            if done > 1 and now - state["last"] < PLAIN_PROGRESS_EVERY_S:
                return
            line = f"pose {name}: {done} frames{fps}, {elapsed:.1f} s"
        state["last"] = now
        err.print(line, markup=False, highlight=False, soft_wrap=True)

    return advance


_SUMMARY_JOINTS = ("hip", "knee", "ankle", "shoulder")


def _print_track_summary(track, seconds: float, path: Path) -> None:
    import numpy as np

    table = Table(title=f"pose track: {escape(str(path))}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("frames", f"{len(track)} ({track.duration_s:.1f} s at {track.fps:.2f} fps)")
    table.add_row("frame size", f"{track.frame_width}x{track.frame_height}")
    table.add_row("person found", f"{track.detection_rate:.1%} of frames")
    several = track.meta.get("frames_with_several_people", 0)
    if several:
        checks = track.meta.get("subject_checks", several)
        table.add_row("more than one person", f"in {several} of {checks} subject checks (followed the main subject)")
    for joint in _SUMMARY_JOINTS:
        vis = np.concatenate([track.visibility(f"left_{joint}"), track.visibility(f"right_{joint}")])
        vis = vis[np.isfinite(vis)]
        table.add_row(f"{joint} visibility", f"{vis.mean():.2f}" if vis.size else "n/a")
    table.add_row("processing", f"{len(track) / seconds:.1f} frames/s" if seconds > 0 else "n/a")
    table.add_row("model", f"{track.model_name} (sha256 {track.model_sha256[:12]})")
    out.print(table)




@app.command()
@user_errors
def analyze(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="A video, or a pose track (.npz) from `formcheck extract`.", show_default=False)
    ],
    exercise: Annotated[
        str, typer.Option("--exercise", help="auto, bridge, hip_thrust, squat, single_leg_squat, walk, single_leg_stance.")
    ] = "auto",
    view: Annotated[str, typer.Option("--view", help="Camera view: auto, side, front, back, feet, oblique.")] = "auto",
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", parser=_path_given, help="Folder for report.json, report.html, annotated.mp4 (default: out/NAME).")
    ] = None,
    json_only: Annotated[bool, typer.Option("--json", help="Print only the report JSON on stdout (progress on stderr).")] = False,
    thresholds: Annotated[
        Optional[Path], typer.Option("--thresholds", help="A TOML file overriding thresholds (see rules/thresholds.toml).")
    ] = None,
    no_video: Annotated[bool, typer.Option("--no-video", help="Skip the annotated video (faster).")] = False,
    contour: Annotated[
        bool,
        typer.Option(
            "--contour/--no-contour",
            help="Bridges and hip thrusts from the side: trace the body's outline (the back's; a bridge's front where "
            "the arms hide the back) from person masks on a few frames (tops and bottoms of reps) for the lumbar "
            "arch check. Needs the video.",
        ),
    ] = True,
    model: ModelOption = None,
    rotate: RotateOption = 0,
) -> None:
    """Judge the form in INPUT: findings in plain words with times, angles and pictures.

    Writes report.json, report.html (one file, pictures inside) and annotated.mp4 (a separate file the report plays: keep it beside the report) into --out, and prints a summary.
    Exits 0 whenever the analysis ran, whatever it found.
    """
    from formcheck.pipeline import analyze as run_pipeline
    from formcheck.pipeline import is_track_file
    from formcheck.report.outputs import write_outputs
    from formcheck.report.terminal import print_summary
    from formcheck.rules.thresholds import Thresholds
    from formcheck.video import check_video_path

    check_exercise(exercise, label="--exercise")
    check_view(view, label="--view")
    limits = Thresholds.load(thresholds)
    is_video = not is_track_file(input_path)
    if is_video:
        check_video_path(input_path)  # missing, a folder, empty, a symlink loop: one line before anything is written
    elif not input_path.exists():
        raise FileNotFoundError(f"{input_path}: no such file")
    elif rotate:
        raise ValueError(f"--rotate {rotate}: turns a video's frames before the pose pass; {input_path} is a pose "
                         "track, so extract it again from the video with --rotate")
    out_dir = out_dir or Path("out") / input_path.stem
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {out_dir}: exists and is not a folder")
    with _output_folder(out_dir, "--out"):  # an unwritable --out fails before minutes of pose extraction
        with _frame_progress(input_path.name) as advance:
            analysis = run_pipeline(
                input_path, exercise=exercise, view=view, thresholds=limits, contour=contour, model=model,
                rotate_deg=rotate,
                progress=advance if is_video else None,
                on_tracked=(lambda track: track.save(out_dir / "track.npz")) if is_video else None,
            )
        for warning in analysis.track.meta.get("video_warnings", []) if is_video else []:
            err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        if is_video:
            analysis.track.save(out_dir / "track.npz")
    with err.status("writing report" + ("" if no_video or not is_video else " and annotated video")):
        paths = write_outputs(analysis, out_dir, video_path=input_path if is_video else None, make_video=not no_video)
    if json_only:
        typer.echo(analysis.report.to_json())
        return
    print_summary(analysis.report, out)
    for kind, path in paths.items():
        out.print(f"[dim]{kind:>5}[/]  {escape(str(path))}", highlight=False, soft_wrap=True)


@app.command(name="eval")
@user_errors
def eval_command(
    manifest: Annotated[
        Path, typer.Argument(help="CSV with columns path, exercise, view, expected_faults (+ optional truth, magnitude).")
    ],
    thresholds: Annotated[Optional[Path], typer.Option("--thresholds", help="A TOML file overriding thresholds.")] = None,
    cache: Annotated[
        Optional[Path], typer.Option("--cache", help="Folder to keep extracted pose tracks, so a re-run skips MediaPipe.")
    ] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json-out", help="Also write per-clip results and scores as JSON.")] = None,
    detect: Annotated[bool, typer.Option(
        "--detect", help="Analyse every clip with exercise and view auto, as a new user would; the manifest's exercise "
                         "and view become labels only, scored in a confusion matrix.")] = False,
    model: ModelOption = None,
) -> None:
    """Score formcheck on a labelled set: per-rule precision/recall and angle error against synthetic truth,
    false alarms on correct form and, with --detect, exercise detection; per `split` when the manifest has one."""
    import hashlib
    import json

    from formcheck.evaluate import (
        by_split,
        evaluate,
        exercise_confusion,
        false_alarms,
        pooled_angle_errors,
        read_manifest,
        score,
        wrong_exercise_judged,
    )
    from formcheck.pipeline import analyze as run_pipeline
    from formcheck.pipeline import is_track_file
    from formcheck.pose import PoseEstimator, resolve_model
    from formcheck.rules.thresholds import Thresholds
    from formcheck.video import check_video_path

    limits = Thresholds.load(thresholds)
    rows = read_manifest(manifest)
    model_info = resolve_model(model)
    if json_out is not None:  # an unwritable --cache or --json-out fails now, not after every clip
        _output_file(json_out, "--json-out", ".json")
        _writable_folder(json_out.parent, "--json-out", json_out)
    if cache is not None:
        _writable_folder(cache, "--cache")
    estimator: Optional[PoseEstimator] = None

    def analyze_clip(path: Path, exercise: str, view: str):
        nonlocal estimator
        if is_track_file(path):
            return run_pipeline(path, exercise=exercise, view=view, thresholds=limits)
        check_video_path(path)
        cached = None
        if cache is not None:  # the cleaned track with what the decode added (waistband, outlines, camera shift: v4)
            stat = path.stat()
            key = hashlib.sha1(
                f"v4|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{model_info.sha256}|{exercise}|{view}".encode()
            ).hexdigest()[:16]
            cached = cache / f"{path.stem}-{key}.npz"
            if cached.is_file():
                return run_pipeline(cached, exercise=exercise, view=view, thresholds=limits)
        if estimator is None:
            estimator = PoseEstimator(model_info)
        analysis = run_pipeline(path, exercise=exercise, view=view, thresholds=limits, estimator=estimator)
        if cached is not None:
            analysis.track.save(cached)
        return analysis

    table = Table(title=f"clips in {escape(str(manifest))}", title_justify="left")
    for column in ("clip", "exercise", "view", "expected", "flagged (fault)", "warned", "not judged"):
        table.add_column(column)
    with _progress() as progress:
        task = progress.add_task("clips", total=len(rows))
        try:
            results = evaluate(manifest, thresholds=limits, analyze_clip=analyze_clip,
                               on_clip=lambda r: progress.advance(task), detect=detect)
        finally:
            if estimator is not None:
                estimator.close()
    if detect:
        table.add_column("detected")
    prefix = os.path.commonpath([r.path for r in results]) if len(results) > 1 else ""
    shown_out = out if out.is_terminal else Console(width=max(out.width, 160))  # a file or pipe: whole names

    def shown(path: str) -> str:
        return escape(os.path.relpath(path, prefix) if prefix else path)

    for r in results:
        detected = [(r.detected + (f" (unsure: {', '.join(r.alternatives)})" if r.alternatives else ""))] if detect else []
        if r.error:
            table.add_row(shown(r.path), r.exercise, r.view, "", f"[red]error: {escape(r.error)}[/]", "", "", *detected)
            continue
        table.add_row(shown(r.path), r.exercise, r.view, ", ".join(sorted(r.expected)) or "none",
                      ", ".join(sorted(r.flagged)) or "none", ", ".join(sorted(r.warned - r.flagged)) or "",
                      ", ".join(sorted(r.not_judged)), *detected)
    if prefix:
        table.caption = f"paths under {escape(prefix)}"
    shown_out.print(table)
    scores = score(results)

    def score_rows(rule_scores) -> list[dict]:
        """Each rule's score for the JSON: its counts and the rates derived from them."""
        return [{**vars(s), "precision": s.precision, "recall": s.recall, "specificity": s.specificity}
                for s in rule_scores]

    split_summaries = {}
    for split, group in by_split(results).items():
        group_scores = score(group)
        alarmed, correct = false_alarms(group)
        split_summaries[split] = {
            "clips": len(group),
            "false_alarms": {"clips_with_warning_or_fault": len(alarmed), "correct_form_clips": correct,
                             "paths": [r.path for r in alarmed]},
            "scores": score_rows(group_scores),
        }
        label = f" — {split} clips ({len(group)})" if split else ""
        summary = Table(title=f"per rule{label} (a clip is flagged when the rule reports a fault)", title_justify="left")
        for column in ("rule", "TP", "FP", "FN", "TN", "precision", "recall", "silent on correct",
                       "not judged (expected)"):
            summary.add_column(column)
        for s in group_scores:
            summary.add_row(s.rule, str(s.tp), str(s.fp), str(s.fn), str(s.tn), f"{s.precision:.2f}", f"{s.recall:.2f}",
                            f"{s.specificity:.2f}", str(s.not_judged))
        shown_out.print(summary)
        names = "".join(f"\n  {shown(r.path)}: {', '.join(sorted(r.warned))}" for r in alarmed)
        out.print(f"false alarms{label}: {len(alarmed)} of {correct} correct-form clips got a warning or fault{names}",
                  highlight=False, soft_wrap=True)
    confusion, wrong = {}, []
    if detect:
        confusion = exercise_confusion(results, {r.path: r.exercise for r in results})
        outcomes = sorted({o for _, o in confusion}, key=lambda o: (o in ("unsure", "declined", "turned"), o))
        matrix = Table(title="exercise detection: labelled (rows) vs detected (columns)", title_justify="left")
        matrix.add_column("labelled")
        for outcome in outcomes:
            matrix.add_column(outcome)
        for label in sorted({lab for lab, _ in confusion}):
            matrix.add_row(label, *[str(confusion.get((label, o), "")) for o in outcomes])
        shown_out.print(matrix)
        wrong = wrong_exercise_judged(results)
        names = "".join(f"\n  {shown(r.path)}: labelled {r.exercise}, judged as {r.detected}" for r in wrong)
        out.print(f"wrong exercise judged: {len(wrong)} of {sum(r.error is None for r in results)} clips{names}",
                  highlight=False, soft_wrap=True)
    errors = pooled_angle_errors(results)
    if errors:
        angles = Table(title="angle error vs synthetic truth (deg)", title_justify="left")
        for column in ("angle", "clips", "median of clip medians", "worst clip p95"):
            angles.add_column(column)
        for name, (median, p95, n) in errors.items():
            angles.add_row(name, str(n), f"{median:.1f}", f"{p95:.1f}")
        out.print(angles)
    if json_out is not None:
        json_out.write_text(json.dumps({
            "clips": [
                {**{k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(r).items()}} for r in results
            ],
            "scores": score_rows(scores),
            "angle_errors": {k: {"median_deg": v[0], "worst_p95_deg": v[1], "clips": v[2]} for k, v in errors.items()},
            "splits": split_summaries,
            **({"exercise_confusion": [{"labelled": lab, "detected": o, "clips": n} for (lab, o), n in confusion.items()],
                "wrong_exercise_judged": [r.path for r in wrong]} if detect else {}),
        }, indent=2, default=float))
        out.print(f"json  {escape(str(json_out))}", highlight=False, soft_wrap=True)
    failed = sum(1 for r in results if r.error)
    if failed == len(results):
        raise ValueError(f"{manifest}: none of the {len(results)} clips could be scored (see the errors in the table)")
    if failed:
        err.print(f"[yellow]warning:[/] {failed} of the {len(results)} clips could not be scored (see the errors in "
                  "the table); the scores count the others", highlight=False, soft_wrap=True)


@app.command()
@user_errors
def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(metavar="INPUTS...", help="Videos, folders (searched recursively), quoted globs, or a CSV of "
                       "path, exercise.", show_default=False),
    ],
    out_csv: Annotated[Path, typer.Option("--out", parser=_path_given, help="The results CSV, one row per video.")],
    reports: Annotated[
        Optional[Path], typer.Option("--reports", parser=_path_given, help="Also write a report folder per video "
                                     "here (as `analyze` writes), named NAME-HASH8.")
    ] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", min=1, help="Workers, each with its own pose model "
                                                "(default: one per core, or per CPU of a Ray cluster).",
                                                show_default=False)] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (processes on this machine) or ray.")] = "local",
    ray_address: Annotated[
        Optional[str], typer.Option("--ray-address", help="A Ray cluster to join (default: start a local Ray).")
    ] = None,
    exercise: Annotated[str, typer.Option("--exercise", help="The exercise of every video without one in a CSV "
                                          "(default: detected).")] = "auto",
    resume: Annotated[bool, typer.Option("--resume", help="Go on with an existing --out: skip videos whose sha256 "
                                         "has an ok row, retry the rest.")] = False,
    timeout_s: Annotated[
        Optional[float], typer.Option("--timeout-s", help="Stop a video after this many seconds (an error row).",
                                      show_default=False)
    ] = None,
    model: ModelOption = None,
) -> None:
    """Score many videos into one CSV (a row per video, written as each finishes), on every core or on Ray.

    Bad videos become error rows; exit code 0 once every video has a row.
    """
    from formcheck.batch import run_command

    check_exercise(exercise, label="--exercise")
    run_command(inputs, out_csv, reports=reports, jobs=jobs, executor=executor, ray_address=ray_address,
                exercise=exercise, resume=resume, timeout_s=timeout_s, model=model, err_console=err, out_console=out)


# formcheck.synth.MOTIONS, spelled out so that --help does not import the renderer (a test keeps the two equal)
SYNTH_MOTIONS = ("bridge", "bridge_hold", "single_leg_bridge", "hip_thrust", "squat", "single_leg_squat", "walk",
                 "single_leg_stance")
# formcheck.synth.BODY_SHAPES and CAMERA_VARIANTS, likewise (tests keep them equal)
SYNTH_BODIES = ("default", "wide_pelvis", "long_trunk", "long_legs", "heavy", "short_legs", "broad_shoulders")
SYNTH_CAMERAS = ("preset", "far_high", "low")


def _parse_faults(faults: list[str]) -> dict[str, float]:
    """NAME=VALUE pairs -> {name: value}; ValueError with the bad pair otherwise."""
    parsed: dict[str, float] = {}
    for item in faults:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--fault {item!r}: expected NAME=VALUE, e.g. --fault back_butt=20")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--fault {item!r}: {value!r} is not a number") from None
    return parsed


@app.command()
@user_errors
def synth(
    motion: Annotated[str, typer.Argument(help="One of: " + ", ".join(SYNTH_MOTIONS) + ".")],
    output: Annotated[Path, typer.Option("--output", "-o", parser=_path_given, help="Video to write (.mp4); OUT.truth.json goes beside it.")],
    fault: Annotated[
        Optional[list[str]],
        typer.Option("--fault", help="A fault and its size in real units, NAME=VALUE (repeatable), e.g. back_butt=20."),
    ] = None,
    view: Annotated[str, typer.Option("--view", help="Camera: side, side_left, side_right, front, back, feet, oblique.")] = "side",
    seconds: Annotated[float, typer.Option("--seconds", parser=_clip_seconds, help="Clip length in seconds, 1 to 120.")] = 8.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same clip.")] = 0,
    body: Annotated[str, typer.Option("--body", help="Body shape: " + ", ".join(SYNTH_BODIES) + ".")] = "default",
    camera: Annotated[
        str, typer.Option("--camera", help="Camera placement: " + ", ".join(SYNTH_CAMERAS) + " (farther and higher, "
                          "or lower, than the preset).")
    ] = "preset",
) -> None:
    """Render the synthetic mannequin doing MOTION with known faults; writes the video and OUT.truth.json."""
    from formcheck import synth as synthetic

    synthetic.body_shape(body)  # ValueError listing the bodies
    if camera not in synthetic.CAMERA_VARIANTS:
        raise ValueError(f"unknown camera {camera!r}; valid cameras: {', '.join(synthetic.CAMERA_VARIANTS)}")
    faults = _parse_faults(fault or [])
    _output_file(output, "--output", ".mp4")
    if output.suffix.lower() != ".mp4":
        raise ValueError(f"{output}: the output must be an .mp4 file")
    with _output_folder(output.parent, "--output", output):
        with err.status(escape(f"rendering {motion} ({view}, {seconds:g} s)")):
            video_path, truth_path = synthetic.generate(
                motion, faults, view=view, seconds=seconds, seed=seed, out=output, body=body,
                camera=synthetic.CAMERA_VARIANTS[camera] or None,
            )
    out.print(f"video  {escape(str(video_path))}", highlight=False, soft_wrap=True)
    out.print(f"truth  {escape(str(truth_path))}", highlight=False, soft_wrap=True)


@app.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 0.0.0.0 for the network (then use --token).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one, printed).")] = 8000,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", parser=_path_given, help="Folder for the jobs database and the files.")
    ] = Path("formcheck-data"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes, one pose model each.")] = 1,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", min=0.001, help="Largest video accepted, MB.")] = 500.0,
    token: Annotated[
        Optional[str], typer.Option("--token", envvar="FORMCHECK_TOKEN", help="Bearer token wanted by the API and pages.")
    ] = None,
    keep_days: Annotated[float, typer.Option("--keep-days", min=0, help="Delete finished jobs older than this (0: keep).")] = 7.0,
    max_disk_gb: Annotated[
        float, typer.Option("--max-disk-gb", min=0, help="Delete the oldest finished jobs past this much disk (0: no limit).")
    ] = 20.0,
) -> None:
    """Run the web service: upload page, job pages and a JSON API (docs at /docs) over a queue of jobs."""
    from formcheck.service import ServiceConfig, serve as run_service

    run_service(ServiceConfig(data_dir=data_dir, host=host, port=port, workers=workers, max_upload_mb=max_upload_mb,
                              token=token, keep_days=keep_days, max_disk_gb=max_disk_gb))


@app.command()
@user_errors
def live(
    camera: Annotated[
        str, typer.Option("--camera", help="A camera index (0), a device (/dev/video0), a stream URL, or a video file "
                          "(played at its own pace, frames dropped as a camera would).")
    ] = "0",
    exercise: Annotated[
        str, typer.Option("--exercise", help="auto, bridge, hip_thrust, squat, single_leg_squat, walk, single_leg_stance.")
    ] = "auto",
    view: Annotated[str, typer.Option("--view", help="Camera view: auto (from the setup check), side, front, back, feet, oblique.")] = "auto",
    no_window: Annotated[bool, typer.Option("--no-window", help="No window: cues are spoken, printed and written only.")] = False,
    speak: Annotated[bool, typer.Option("--speak/--no-speak", help="Say the cues aloud (espeak-ng or pyttsx3).")] = True,
    max_seconds: Annotated[
        Optional[float], typer.Option("--max-seconds", min=0.1, help="Stop after this many seconds.", show_default=False)
    ] = None,
    events: Annotated[
        Optional[Path], typer.Option("--events", parser=_path_given, help="Write every cue, rep and hold as JSON lines (FILE.jsonl).")
    ] = None,
    record: Annotated[
        Optional[Path], typer.Option("--record", parser=_path_given, help="Save the annotated session as H.264 (OUT.mp4).")
    ] = None,
    out_dir: Annotated[
        Optional[Path], typer.Option("--out", parser=_path_given, help="Folder for the session's report.json, report.html and track.npz.")
    ] = None,
    contour: Annotated[
        bool,
        typer.Option(
            "--contour/--no-contour",
            help="Bridges and hip thrusts from the side: trace the body's outline from person masks at each rep's "
            "top (three masks a rep, two a hold, off the main loop) for the lumbar arch check, as analyze does.",
        ),
    ] = True,
    model: ModelOption = None,
) -> None:
    """Watch a set through a webcam: setup check, then spoken and on-screen cues from the rules on each rep or hold.

    Stops on q, Ctrl-C, --max-seconds, the end of a file or a camera that stops; always writes what it has.
    """
    from formcheck.live import LiveOptions, run_live
    from formcheck.report.terminal import print_summary

    check_exercise(exercise, label="--exercise")
    check_view(view, label="--view")
    if record is not None:
        _output_file(record, "--record", ".mp4")
        if record.suffix.lower() != ".mp4":
            raise ValueError(f"--record {record}: the recording must be an .mp4 file")
        _writable_folder(record.parent, "--record", record)
    if events is not None:
        _output_file(events, "--events", ".jsonl")
        _writable_folder(events.parent, "--events", events)
    if out_dir is not None:
        _writable_folder(out_dir, "--out")
    options = LiveOptions(camera=camera, exercise=exercise, view=view, window=not no_window, speak=speak,
                          max_seconds=max_seconds, events_path=events, record_path=record, out_dir=out_dir, model=model,
                          contour=contour)
    result = run_live(options, echo=lambda line: err.print(escape(line), highlight=False, soft_wrap=True))
    stats = result.stats.summary()
    err.print(f"[dim]{stats['frames_processed']} frames at {stats['fps']:.1f} fps, {stats['drop_rate']:.1%} dropped, "
              f"latency p50 {stats['latency_p50_ms']:.0f} ms, p95 {stats['latency_p95_ms']:.0f} ms[/]", highlight=False)
    if result.analysis is not None:
        print_summary(result.analysis.report, out)
    for kind, path in result.paths.items():
        out.print(f"[dim]{kind:>5}[/]  {escape(str(path))}", highlight=False, soft_wrap=True)


@app.command()
@user_errors
def cameras() -> None:
    """List the cameras that can be opened, with their picture size and frame rate (for `formcheck live --camera`)."""
    from formcheck.live import list_cameras

    found = list_cameras()
    if not any(c.opened for c in found):
        out.print("no camera found" + (f" ({len(found)} video devices, none gives a picture)" if found else ""))
    for c in found:
        if c.opened:
            out.print(f"{escape(c.source)}  {c.width}x{c.height}" + (f" at {c.fps:.0f} fps" if c.fps else ""), highlight=False)
        else:
            out.print(f"[dim]{escape(c.source)}  {escape(c.note)}[/]", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()

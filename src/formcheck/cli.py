"""formcheck's command line: thin typer commands over the library. Domain errors become one line and exit 1."""
from __future__ import annotations

import os

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging: errors only
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import functools
import logging
import time
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
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

from formcheck import __version__

app = typer.Typer(
    name="formcheck",
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

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (VideoError, ModelError, TrackFileError, ValueError, FileNotFoundError, PermissionError,
                IsADirectoryError, NotADirectoryError) as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]")
            raise typer.Exit(code=130) from None

    return wrapper


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
) -> None:
    """Find the person's pose in every frame of VIDEO and save it as a pose track (.npz)."""
    from formcheck.clean import clean
    from formcheck.pose import extract_track, resolve_model
    from formcheck.video import probe

    info = probe(video)
    if output.exists() and output.is_dir():
        raise ValueError(f"{output}: is a directory; give a file name ending in .npz")
    model_info = resolve_model(model)
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(f"pose {video.name}", total=info.frame_count or None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done)

        track = extract_track(video, model_path=model_info.path, on_frame=advance, max_people=max_people)
    seconds = time.perf_counter() - started
    for warning in track.meta.get("video_warnings", []):
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
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


_SUMMARY_JOINTS = ("hip", "knee", "ankle", "shoulder")


def _print_track_summary(track, seconds: float, path: Path) -> None:
    import numpy as np

    table = Table(title=f"pose track: {path}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("frames", f"{len(track)} ({track.duration_s:.1f} s at {track.fps:.2f} fps)")
    table.add_row("frame size", f"{track.frame_width}x{track.frame_height}")
    table.add_row("person found", f"{track.detection_rate:.1%} of frames")
    several = track.meta.get("frames_with_several_people", 0)
    if several:
        table.add_row("more than one person", f"{several} frames (followed the main subject)")
    for joint in _SUMMARY_JOINTS:
        vis = np.concatenate([track.visibility(f"left_{joint}"), track.visibility(f"right_{joint}")])
        vis = vis[np.isfinite(vis)]
        table.add_row(f"{joint} visibility", f"{vis.mean():.2f}" if vis.size else "n/a")
    table.add_row("processing", f"{len(track) / seconds:.1f} frames/s" if seconds > 0 else "n/a")
    table.add_row("model", f"{track.model_name} (sha256 {track.model_sha256[:12]})")
    out.print(table)


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
    motion: Annotated[str, typer.Argument(help="bridge, hip_thrust, squat, single_leg_squat, walk, single_leg_stance, ...")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Video to write (.mp4); OUT.truth.json goes beside it.")],
    fault: Annotated[
        Optional[list[str]],
        typer.Option("--fault", help="A fault and its size in real units, NAME=VALUE (repeatable), e.g. back_butt=20."),
    ] = None,
    view: Annotated[str, typer.Option("--view", help="Camera: side, side_left, side_right, front, back, feet, oblique.")] = "side",
    seconds: Annotated[float, typer.Option("--seconds", min=1.0, max=120.0, help="Clip length in seconds.")] = 8.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same clip.")] = 0,
) -> None:
    """Render the synthetic mannequin doing MOTION with known faults; writes the video and OUT.truth.json."""
    from formcheck import synth as synthetic

    faults = _parse_faults(fault or [])
    if output.suffix.lower() != ".mp4":
        raise ValueError(f"{output}: the output must be an .mp4 file")
    with err.status(f"rendering {motion} ({view}, {seconds:g} s)"):
        video_path, truth_path = synthetic.generate(
            motion, faults, view=view, seconds=seconds, seed=seed, out=output
        )
    out.print(f"video  {video_path}", highlight=False, soft_wrap=True)
    out.print(f"truth  {truth_path}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    app()

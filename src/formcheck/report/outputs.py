"""Write every output of one analysis into a folder: report.json, report.html, and annotated.mp4."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from formcheck.interrupts import partial_files
from formcheck.report.overlay import write_annotated_video
from formcheck.report.html import write_html
from formcheck.results import Analysis

log = logging.getLogger(__name__)

JSON_NAME = "report.json"
HTML_NAME = "report.html"
VIDEO_NAME = "annotated.mp4"


def write_outputs(analysis: Analysis, out_dir: str | Path, *, video_path: str | Path | None, make_video: bool) -> dict[str, Path]:
    """Write report.json, annotated.mp4 (when make_video and the source video exists) and report.html.

    Returns {"json": path, "html": path, "video": path (only when written)}. A source video that cannot be read
    leaves out the annotated video (logged as a warning); the JSON and HTML are still written.
    """
    from formcheck.video import VideoError

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {"json": _whole(out_dir / JSON_NAME, analysis.report.save)}
    video = Path(video_path) if video_path is not None and Path(video_path).is_file() else None
    if make_video and video is not None:
        try:
            paths["video"] = _whole(out_dir / VIDEO_NAME, lambda part: write_annotated_video(video, analysis, part))
        except VideoError as exc:
            log.warning("annotated video not written: %s", exc)
    paths["html"] = _whole(out_dir / HTML_NAME, lambda part: write_html(
        analysis,
        part,
        video_path=video,
        annotated_video_name=VIDEO_NAME if "video" in paths else None,
    ))
    return paths


def _whole(path: Path, write: Callable[[Path], Path]) -> Path:
    """write(partial name), renamed to path once whole: stopped early (a full disk, Ctrl-C) it leaves no partial file."""
    part = path.with_name(f"{path.stem}.part{path.suffix}")  # suffix kept: the video writer picks its format by it
    with partial_files(part, part.with_name(part.name + ".part"), target=path):
        return write(part).replace(path)

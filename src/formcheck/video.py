"""Streaming video reader: frames one at a time (constant memory), real container timestamps, rotation applied.

Errors a user can cause (missing path, a directory, an empty file, not a video, no decodable frames) raise
VideoError with a one-line message naming the file. A video that breaks off mid-stream yields what decoded and
records a warning in `VideoReader.warnings`.
"""
from __future__ import annotations

import errno
import itertools
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Iterator

import av
import numpy as np

log = logging.getLogger(__name__)


class VideoError(ValueError):
    """A video path that cannot be read; the message is one line and names the file."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the video stream (after rotation: width/height as displayed)."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int  # from the container; 0 when it does not say
    duration_s: float
    rotation_deg: int
    codec: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame: RGB uint8 (H, W, 3), upright; its presentation time in seconds; its index."""

    index: int
    timestamp_s: float
    rgb: np.ndarray


def check_video_path(path: str | Path) -> Path:
    """Fail early with one line for paths that cannot be a video: missing, a directory, empty."""
    path = Path(path)
    if not path.exists():
        try:
            path.stat()
        except OSError as exc:  # exists() hides why: ELOOP is a loop of links, not a missing file
            if exc.errno == errno.ELOOP:
                raise VideoError(f"{path}: is a symlink loop (links leading back to themselves), not a video") from None
        raise VideoError(f"{path}: no such file" + (" (a symlink to a missing file)" if path.is_symlink() else ""))
    if path.is_dir():
        raise VideoError(f"{path}: is a directory; give a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: file is empty")
    return path


def _rotate(rgb: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Turn a frame upright. rotation_deg is the display rotation (counter-clockwise, as PyAV reports it)."""
    quarter_turns = (rotation_deg // 90) % 4
    if quarter_turns == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k=quarter_turns))


class VideoReader:
    """Iterate upright RGB frames of a video file with their container timestamps.

    >>> with VideoReader("clip.mp4") as video:
    ...     for frame in video: ...
    """

    def __init__(self, path: str | Path | BinaryIO, *, threads: int = 0, rotate_deg: int = 0):
        """path: a video file, or a binary file-like object (an upload) that supports read and seek.
        rotate_deg: a further clockwise turn (0, 90, 180, 270) for videos whose rotation tag was lost."""
        if rotate_deg % 90:
            raise VideoError(f"rotation must be 0, 90, 180 or 270 degrees, got {rotate_deg}")
        self._extra_quarter_turns = (rotate_deg // 90) % 4
        self.warnings: list[str] = []
        if hasattr(path, "read"):
            self.path = Path(getattr(path, "name", None) or "<upload>")
            opened = path
        else:
            self.path = check_video_path(path)
            opened = str(self.path)
        try:
            self._container = av.open(opened, mode="r")
        except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            cut_short = _mp4_cut_short(self.path) if isinstance(opened, str) else None
            if cut_short:
                raise VideoError(f"{self.path}: {cut_short}") from None
            raise VideoError(f"{self.path}: not a readable video ({_short(exc)})") from None
        if not self._container.streams.video:
            kinds = sorted({s.type for s in self._container.streams if s.type})
            self._container.close()
            has = f" (it has only {' and '.join(kinds)})" if kinds else ""
            raise VideoError(f"{self.path}: contains no video stream{has}; give a video file")
        demuxer = self._container.format.name or ""
        if demuxer == "image2" or demuxer.endswith("_pipe"):  # png_pipe, jpeg_pipe, webp_pipe, ...
            codec = self._container.streams.video[0].codec_context.name or "image"
            kind = {"mjpeg": "JPEG"}.get(codec, codec.upper())
            self._container.close()
            raise VideoError(f"{self.path}: is a still image ({kind}), not a video; formcheck needs a video of the movement")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        if threads:
            self._stream.codec_context.thread_count = threads
        # The display rotation is only exposed on decoded frames: decode the first one now and keep it.
        self._decoded = self._container.decode(self._stream)
        try:
            self._first = next(self._decoded)
        except StopIteration:
            self._container.close()
            raise VideoError(f"{self.path}: no frame could be decoded (empty or damaged video stream)") from None
        except (av.error.FFmpegError, EOFError) as exc:
            self._container.close()
            raise VideoError(f"{self.path}: no frame could be decoded ({_short(exc)})") from None
        self.info = self._read_info()
        self.frames_decoded = 0

    def _read_info(self) -> VideoInfo:
        stream = self._stream
        ctx = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if stream.duration and stream.time_base:  # the video stream's own length, not the audio's
            duration_s = float(stream.duration * stream.time_base)
        elif self._container.duration:
            duration_s = self._container.duration / av.time_base
        else:
            duration_s = 0.0
        frame_count = int(stream.frames or 0)
        if not frame_count and fps and duration_s:
            frame_count = int(round(fps * duration_s))
        rotation = (int(round(self._first.rotation or 0)) - 90 * self._extra_quarter_turns) % 360
        width, height = self._first.width, self._first.height
        self._square_size = _square_pixels(width, height, stream.sample_aspect_ratio or ctx.sample_aspect_ratio)
        if self._square_size is not None:  # non-square pixels: frames are stretched to their displayed shape
            width, height = self._square_size
        if rotation % 180:
            width, height = height, width
        if not width or not height:
            raise VideoError(f"{self.path}: video stream has no frame size (damaged or not a video)")
        return VideoInfo(
            path=self.path,
            width=int(width),
            height=int(height),
            fps=fps if fps > 0 else 30.0,
            frame_count=frame_count,
            duration_s=float(duration_s),
            rotation_deg=rotation,
            codec=ctx.name or "",
        )

    def _av_frames(self) -> Iterator["av.VideoFrame"]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._decoded

    passes_started = 0  # decode passes begun in this process, across all readers (tests count them)

    def __iter__(self) -> Iterator[Frame]:
        VideoReader.passes_started += 1
        index = 0
        last_t = -np.inf
        period = 1.0 / self.info.fps
        start_time = None
        try:
            for av_frame in self._av_frames():
                if av_frame.time is not None:
                    if start_time is None:
                        start_time = av_frame.time
                    t = float(av_frame.time - start_time)
                else:
                    t = index * period
                if t <= last_t:  # missing or repeated pts: keep time strictly increasing
                    t = last_t + period
                last_t = t
                rgb = _to_rgb(av_frame)
                if self._square_size is not None:
                    import cv2

                    rgb = cv2.resize(rgb, self._square_size, interpolation=cv2.INTER_LINEAR)
                yield Frame(index=index, timestamp_s=t, rgb=_rotate(rgb, self.info.rotation_deg))
                index += 1
                self.frames_decoded = index
        except (av.error.FFmpegError, EOFError) as exc:
            if index == 0:
                raise VideoError(f"{self.path}: no frame could be decoded ({_short(exc)})") from None
            message = f"{self.path}: video breaks off after frame {index} ({_short(exc)}); kept the {index} frames that decoded"
            self.warnings.append(message)
            log.warning(message)
        expected = self.info.frame_count
        if expected and index < 0.9 * expected - 1 and not self.warnings:
            message = (
                f"{self.path}: decoded {index} of the {expected} frames the container announces "
                "(truncated file?); kept what decoded"
            )
            self.warnings.append(message)
            log.warning(message)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _square_pixels(width: int, height: int, sample_aspect_ratio) -> tuple[int, int] | None:
    """(width, height) that shows a frame with the given pixel aspect ratio (sample aspect ratio, a pixel's width over
    its height) in square pixels, by stretching one side (none is shrunk); None when the pixels are square or the
    ratio is unset. Angles measured in stored pixels of a 2:1 or 3:4 anamorphic video would be skewed."""
    try:
        ratio = float(sample_aspect_ratio) if sample_aspect_ratio else 0.0
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 0.1 < ratio < 10 or abs(ratio - 1.0) < 0.01:
        return None
    if ratio > 1:
        return int(round(width * ratio)), int(height)
    return int(width), int(round(height / ratio))


def _to_rgb(av_frame: "av.VideoFrame") -> np.ndarray:
    """(H, W, 3) uint8 RGB of a decoded frame. Limited-range 4:2:0 (most phone and camera H.264) with even sides goes
    through OpenCV's SIMD conversion (BT.601, as FFmpeg's default), ~2.5x faster than swscale's rgb24 here."""
    if av_frame.format.name == "yuv420p" and av_frame.width % 2 == 0 and av_frame.height % 2 == 0:
        import cv2

        return cv2.cvtColor(av_frame.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2RGB_I420)
    return av_frame.to_ndarray(format="rgb24")


def _short(exc: BaseException) -> str:
    """One short line for an exception: FFmpeg's own words, without its errno and the repeated file name."""
    strerror = getattr(exc, "strerror", None) if isinstance(exc, av.error.FFmpegError) else None
    text = str(strerror or exc).strip()
    text = text.splitlines()[0] if text else exc.__class__.__name__
    return text[:160]


def _mp4_cut_short(path: Path) -> str | None:
    """Why an MP4/MOV that FFmpeg cannot open is broken, when it is plainly cut short; None otherwise.

    An MP4 is a chain of boxes (4-byte size, 4-byte type). A file that starts with an `ftyp` box but has no `moov`
    box (the index FFmpeg needs), or whose last box runs past the end of the file, was cut short: an interrupted copy,
    download or recording (phones write `moov` last).
    """
    try:
        size_total = path.stat().st_size
        with open(path, "rb") as fh:
            offset, types, overrun = 0, [], False
            while offset + 8 <= size_total and len(types) < 10_000:
                fh.seek(offset)
                header = fh.read(16)
                size, kind = int.from_bytes(header[:4], "big"), header[4:8]
                if size == 1 and len(header) >= 16:
                    size = int.from_bytes(header[8:16], "big")
                elif size == 0:
                    size = size_total - offset
                if size < 8:
                    break
                types.append(kind)
                if offset + size > size_total:
                    overrun = True
                    break
                offset += size
    except OSError:
        return None
    if not types or types[0] != b"ftyp":
        return None
    if b"moov" not in types:
        return ("incomplete MP4: the file is cut short (no 'moov' index; an interrupted copy, download or "
                "recording?); copy the whole file again")
    if overrun:
        return "incomplete MP4: the file is cut short (an interrupted copy or download?); copy the whole file again"
    return None


def probe(path: str | Path) -> VideoInfo:
    """Container facts of a video without decoding it (VideoError when it is not one)."""
    with VideoReader(path) as video:
        return video.info


def write_h264(path: str | Path, frames_rgb: Iterator[np.ndarray], fps: float, *, crf: int = 23,
               preset: str = "veryfast", bitexact: bool = False) -> Path:
    """Encode RGB frames to a browser-playable H.264 mp4 (yuv420p) with PyAV; returns the path.

    Odd frame sizes lose their last row or column. bitexact: one encoder thread and FFmpeg's bit-exact flags, so the
    same frames give a byte-identical file on every run (synthetic clips); otherwise the index goes first in the file
    (faststart) for playback while downloading.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    container = None
    stream = None
    try:
        for rgb in frames_rgb:
            if container is None:
                height, width = rgb.shape[:2]
                container = av.open(str(path), mode="w", options={"fflags": "+bitexact"} if bitexact else {})
                stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                stream.width = width - width % 2
                stream.height = height - height % 2
                stream.pix_fmt = "yuv420p"
                if bitexact:
                    stream.thread_count = 1
                    stream.options = {"crf": str(crf), "preset": preset, "threads": "1", "flags": "+bitexact",
                                      "x264-params": "threads=1:lookahead-threads=1"}
                else:
                    stream.options = {"crf": str(crf), "preset": preset, "movflags": "+faststart"}
            rgb = np.ascontiguousarray(rgb[: stream.height, : stream.width])
            if bitexact:  # FFmpeg's own conversion: the same bytes on every machine
                frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            else:  # OpenCV's SIMD conversion to 4:2:0, ~3x faster than swscale's here
                import cv2

                frame = av.VideoFrame.from_ndarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
            for packet in stream.encode(frame):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    finally:
        if container is not None:
            container.close()
    return path


# ---- reading chosen frames, re-encoding a video (the report's key frames and annotated video) ------------------------

from collections.abc import Callable  # noqa: E402  (kept beside the functions below that use it)


def read_frames(path: str | Path, indices: set[int], *, rotate_deg: int = 0) -> dict[int, np.ndarray]:
    """The frames at `indices` (RGB uint8, upright, then turned rotate_deg clockwise as VideoReader does) by index,
    read in one pass that stops after the last of them; indices past the video's end are absent. VideoError when the
    video cannot be read."""
    found: dict[int, np.ndarray] = {}
    if not indices:
        return found
    last = max(indices)
    with VideoReader(path, rotate_deg=rotate_deg) as video:
        for frame in video:
            if frame.index in indices:
                found[frame.index] = frame.rgb
            if frame.index >= last:
                break
    return found


def rewrite_h264(path: str | Path, out_path: str | Path, draw: Callable[[Frame, VideoInfo], np.ndarray], *,
                 rotate_deg: int = 0) -> Path:
    """Re-encode a video frame by frame: each decoded frame (turned rotate_deg clockwise, as VideoReader does) through
    draw(frame, info) -> an RGB image (any even size), written by write_h264 at the source's frame rate. Returns
    out_path; VideoError when the video cannot be read. Decoding runs a few frames ahead on a thread; the encoder
    uses x264's superfast preset (a report's video: speed over file size)."""
    from formcheck.sources import decoded_ahead

    with VideoReader(path, rotate_deg=rotate_deg) as video:
        return write_h264(out_path, (draw(frame, video.info) for frame in decoded_ahead(video)), video.info.fps,
                          preset="superfast")


def write_excerpt(source: str | Path, out_path: str | Path, *, seconds: float, start_s: float = 0.0,
                  **encode) -> Path:
    """The frames of `source` from start_s (s) for `seconds`, re-encoded by write_h264 at its frame rate (encode:
    write_h264's crf, preset, bitexact). Decoding stops after the excerpt. Returns out_path."""
    with VideoReader(source) as video:
        shown = itertools.takewhile(lambda frame: frame.timestamp_s < start_s + seconds, video)
        return write_h264(out_path, (frame.rgb for frame in shown if frame.timestamp_s >= start_s), video.info.fps,
                          **encode)

"""The pose model, offline: build the PoseLandmarker bundle from the mediapipe wheel, run it on a video -> PoseTrack.

Nothing here downloads. mediapipe 0.10.21's wheel ships the BlazePose detector and the full landmark model as bare
.tflite files; the Tasks API needs them zipped as a `.task` bundle with image-normalisation metadata
(detector: mean 127.5, std 127.5; landmark model: mean 0, std 255), see DESIGN.md "The pose model, offline".
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from formcheck.track import NUM_LANDMARKS, PoseTrack, empty_arrays
from formcheck.video import Frame, VideoReader

BUNDLE_NAME = "pose_landmarker_full.task"
_WHEEL_FILES = {  # bundle member -> (path inside the mediapipe package, norm mean, norm std)
    "pose_detector.tflite": ("modules/pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": ("modules/pose_landmark/pose_landmark_full.tflite", 0.0, 255.0),
}
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed member dates: the same wheel always gives the same bytes and hash
_ZIP_ALIGNMENT = 16  # bytes; mediapipe's create_model_asset_bundle aligns members the same way (mmap-able)

# Up to this many people are looked for; extra ones are counted and ignored (see choose_subject).
MAX_PEOPLE = 2


class ModelError(RuntimeError):
    """The pose model cannot be built or loaded; one-line message."""


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    sha256: str
    name: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_model_dir() -> Path:
    """models/ of the source checkout when running from one (editable install), else a user cache dir."""
    checkout_models = Path(__file__).resolve().parents[2] / "models"
    if checkout_models.is_dir() and os.access(checkout_models, os.W_OK):
        return checkout_models
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "formcheck" / "models"


def _bundle_bytes() -> bytes:
    """The .task bundle built in memory from the installed wheel's weights plus normalisation metadata."""
    try:
        import mediapipe
        from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
    except ImportError as exc:
        raise ModelError(f"mediapipe is not installed ({exc}); install formcheck's requirements") from None
    package_dir = Path(mediapipe.__file__).parent
    members: dict[str, bytes] = {}
    for member, (relative, mean, std) in _WHEEL_FILES.items():
        source = package_dir / relative
        if not source.is_file():
            raise ModelError(
                f"{source} is missing: mediapipe {getattr(mediapipe, '__version__', '?')} ships no pose weights; "
                "install mediapipe==0.10.21 or pass --model PATH to an official pose_landmarker .task file"
            )
        writer = metadata_writer.MetadataWriter.create(bytearray(source.read_bytes()))
        writer.add_general_info(member.removesuffix(".tflite"), "BlazePose GHUM 3D, from the mediapipe wheel")
        writer.add_image_input(norm_mean=[mean], norm_std=[std])
        model_with_metadata, _ = writer.populate()
        members[member] = bytes(model_with_metadata)
    return _aligned_zip(members)


def _aligned_zip(members: dict[str, bytes]) -> bytes:
    """Uncompressed zip whose member data start on _ZIP_ALIGNMENT-byte boundaries, with fixed dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            header_end = buffer.tell() + 30 + len(name.encode())
            padding = (-header_end - 4) % _ZIP_ALIGNMENT
            info.extra = b"\xfe\xca" + padding.to_bytes(2, "little") + b"\0" * padding
            zf.writestr(info, data)
    return buffer.getvalue()


def build_model(model_dir: Path | None = None) -> ModelInfo:
    """Write pose_landmarker_full.task into model_dir (default: default_model_dir()); idempotent."""
    model_dir = Path(model_dir) if model_dir else default_model_dir()
    path = model_dir / BUNDLE_NAME
    data = _bundle_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not (path.is_file() and sha256_of(path) == digest):
        model_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return ModelInfo(path=path, sha256=digest, name=BUNDLE_NAME)


def resolve_model(model_path: str | Path | None = None) -> ModelInfo:
    """The model to use: the given .task file, or the bundle built from the wheel (built on first use)."""
    if model_path is None:
        path = default_model_dir() / BUNDLE_NAME
        if path.is_file():
            return ModelInfo(path=path, sha256=sha256_of(path), name=BUNDLE_NAME)
        return build_model()
    path = Path(model_path)
    if not path.exists():
        raise ModelError(f"{path}: no such model file")
    if path.is_dir():
        raise ModelError(f"{path}: is a directory; give a pose_landmarker .task file")
    if not zipfile.is_zipfile(path):
        raise ModelError(f"{path}: not a MediaPipe .task bundle (expected a zip with pose_detector.tflite)")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    if not {"pose_detector.tflite", "pose_landmarks_detector.tflite"} <= names:
        raise ModelError(f"{path}: not a pose landmarker bundle (members: {', '.join(sorted(names)) or 'none'})")
    return ModelInfo(path=path, sha256=sha256_of(path), name=path.name)


# ---------------------------------------------------------------------------------------------------------------
# Main subject: one person, never a jump to another mid-track.

def _person_box(image_xy: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) normalised bounding box of one person's (33, 2) image landmarks."""
    return np.concatenate([np.nanmin(image_xy, axis=0), np.nanmax(image_xy, axis=0)])


def choose_subject(candidates: list[np.ndarray], previous_box: np.ndarray | None) -> int:
    """Index of the main subject among candidate people ((33, 4) image landmarks each).

    Without history: the largest box, weighted toward the frame centre. With history (the subject's last box):
    the candidate whose box overlaps it most (IoU), so the track never jumps to a bystander.
    """
    boxes = [_person_box(c[:, :2]) for c in candidates]
    if previous_box is not None:
        ious = [_iou(b, previous_box) for b in boxes]
        best = int(np.argmax(ious))
        if ious[best] > 0.1:
            return best
    scores = []
    for box in boxes:
        area = max(box[2] - box[0], 0) * max(box[3] - box[1], 0)
        centre = (box[:2] + box[2:]) / 2
        off_centre = float(np.hypot(*(centre - 0.5)))  # 0 at the middle, ~0.7 in a corner
        scores.append(area * (1.0 - off_centre))
    return int(np.argmax(scores))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Landmarker

@contextlib.contextmanager
def quiet_native_logs():
    """Silence MediaPipe/TFLite's C++ start-up chatter on stderr (file descriptor 2) for the enclosed block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class PoseEstimator:
    """MediaPipe PoseLandmarker in VIDEO mode; `detect(frame)` -> (33,4) image and (33,3) world landmarks or None."""

    def __init__(self, model: ModelInfo, *, max_people: int = MAX_PEOPLE, min_confidence: float = 0.5):
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model.path)),
            running_mode=RunningMode.VIDEO,
            num_poses=max_people,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        try:
            with quiet_native_logs():
                self._landmarker = PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{model.path}: MediaPipe could not load this model ({str(exc).splitlines()[0]})") from None
        self.model = model
        self._previous_box: np.ndarray | None = None
        self._last_ms = -1
        self._warmed_up = False
        self.frames_with_several_people = 0

    def detect(self, frame: Frame) -> tuple[np.ndarray, np.ndarray] | None:
        import mediapipe as mp

        timestamp_ms = max(int(round(frame.timestamp_s * 1000)), self._last_ms + 1)
        self._last_ms = timestamp_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame.rgb))
        if not self._warmed_up:  # the first call logs native warnings
            with quiet_native_logs():
                result = self._landmarker.detect_for_video(image, timestamp_ms)
            self._warmed_up = True
        else:
            result = self._landmarker.detect_for_video(image, timestamp_ms)
        if not result.pose_landmarks:
            return None
        people = [
            np.array([[p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan] for p in person])
            for person in result.pose_landmarks
        ]
        if len(people) > 1:
            self.frames_with_several_people += 1
        chosen = choose_subject(people, self._previous_box)
        self._previous_box = _person_box(people[chosen][:, :2])
        world = np.array([[p.x, p.y, p.z] for p in result.pose_world_landmarks[chosen]])
        return people[chosen], world

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def extract_track(
    video_path: str | Path,
    *,
    model_path: str | Path | None = None,
    on_frame: Callable[[int, int], None] | None = None,
    max_people: int = MAX_PEOPLE,
) -> PoseTrack:
    """Run the pose model on every frame of a video; raw (uncleaned) PoseTrack, NaN where nobody was found.

    on_frame(frames_done, frames_expected) is called after each frame (for progress bars).
    """
    model = resolve_model(model_path)
    with VideoReader(video_path) as video, PoseEstimator(model, max_people=max_people) as estimator:
        info = video.info
        image_rows: list[np.ndarray] = []
        world_rows: list[np.ndarray] = []
        times: list[float] = []
        missing_image, missing_world = empty_arrays(1)
        for frame in video:
            found = estimator.detect(frame)
            if found is None:
                image_rows.append(missing_image[0])
                world_rows.append(missing_world[0])
            else:
                image_rows.append(found[0])
                world_rows.append(found[1])
            times.append(frame.timestamp_s)
            if on_frame is not None:
                on_frame(frame.index + 1, info.frame_count)
        warnings = list(video.warnings)
    landmarks = np.stack(image_rows) if image_rows else np.empty((0, NUM_LANDMARKS, 4))
    world = np.stack(world_rows) if world_rows else np.empty((0, NUM_LANDMARKS, 3))
    return PoseTrack(
        landmarks=landmarks,
        world_landmarks=world,
        timestamps_s=np.array(times),
        fps=info.fps,
        frame_width=info.width,
        frame_height=info.height,
        source=str(video_path),
        model_name=model.name,
        model_sha256=model.sha256,
        meta={
            "frames_with_several_people": estimator.frames_with_several_people,
            "max_people_looked_for": max_people,
            "video_warnings": warnings,
            "rotation_deg": info.rotation_deg,
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# Person masks on selected frames (the dorsal-contour pass; formcheck.contour_pass)

def masks_for_frames(
    video_path: str | Path,
    frame_indices: Iterable[int],
    *,
    model_path: str | Path | None = None,
    reference_landmarks: np.ndarray | None = None,
    max_people: int = MAX_PEOPLE,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(frame index, (H, W) float32 person mask in [0, 1], (33, 4) image landmarks) for the requested frames.

    A separate IMAGE-mode PoseLandmarker with `output_segmentation_masks=True` runs on those frames only; the
    video is decoded in order up to the last requested frame, and only requested frames are converted to RGB.
    Frame indices count decoded frames from 0, as in VideoReader (so they match a PoseTrack from extract_track).
    reference_landmarks: the track's (T, 33, 4) landmarks; when several people are found, the one whose box overlaps
    the track's box at that frame is taken (else choose_subject's rule). Frames where nobody is found are skipped.
    The main VIDEO-mode pass is untouched: masks cost ~25% more model time per frame, so they are only made here.
    """
    import av
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    from formcheck.video import _rotate, check_video_path

    wanted = sorted({int(i) for i in frame_indices if int(i) >= 0})
    if not wanted:
        return
    model = resolve_model(model_path)
    options = PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model.path)),
        running_mode=RunningMode.IMAGE,
        num_poses=max_people,
        output_segmentation_masks=True,
    )
    path = check_video_path(video_path)
    with quiet_native_logs():
        landmarker = PoseLandmarker.create_from_options(options)
    container = av.open(str(path))
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        want = set(wanted)
        last = wanted[-1]
        for index, av_frame in enumerate(container.decode(stream)):
            if index > last:
                break
            if index not in want:
                continue
            rgb = _rotate(av_frame.to_ndarray(format="rgb24"), int(round(av_frame.rotation or 0)) % 360)
            result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)))
            if not result.pose_landmarks or not result.segmentation_masks:
                continue
            people = [
                np.array([[p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan] for p in person])
                for person in result.pose_landmarks
            ]
            previous = None
            if reference_landmarks is not None and index < len(reference_landmarks):
                ref = reference_landmarks[index, :, :2]
                if np.isfinite(ref).all(axis=1).sum() >= 3:
                    previous = _person_box(ref)
            chosen = choose_subject(people, previous) if len(people) > 1 else 0
            mask = result.segmentation_masks[min(chosen, len(result.segmentation_masks) - 1)].numpy_view()
            yield index, np.array(mask, dtype=np.float32).reshape(mask.shape[:2]), people[chosen]
    except (av.error.FFmpegError, EOFError):
        return  # a video that breaks off: the masks made so far stand
    finally:
        container.close()
        landmarker.close()

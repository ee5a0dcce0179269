"""The pose model, offline: build the PoseLandmarker bundle from the mediapipe wheel; PoseEstimator finds the main
subject's landmarks frame by frame (formcheck.pipeline runs it over a video).

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

import numpy as np

from formcheck.video import Frame

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


def _visible_box(landmarks: np.ndarray) -> np.ndarray:
    """(x0, y0, x1, y1) box of the landmarks the model sees (visibility >= 0.5) inside the frame: two readings of one
    person agree on it even when they guess the hidden parts (a body cut off by the frame) differently."""
    seen = landmarks[landmarks[:, 3] >= 0.5, :2] if np.sum(landmarks[:, 3] >= 0.5) >= 4 else landmarks[:, :2]
    return np.clip(_person_box(seen), 0.0, 1.0)


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


# Subject checks: a multi-person look (IMAGE mode, up to max_people) costs ~3.3x a tracked single-pose frame
# (50 vs 15 ms at 720p on this machine), so it runs at the first frame, then every CHECK_INTERVAL_S, and whenever
# the tracked person's box or visibility jumps (a tracker taken over by someone else jumps; the periodic look catches
# a slow slide). Every 5 s costs ~1% of the pose pass.
CHECK_INTERVAL_S = 5.0
# Box overlap with the previous frame's subject below which the single-pose tracker is taken to have jumped:
# consecutive frames of one person overlap > 0.5 even in a brisk walk at 25 fps.
BOX_JUMP_IOU = 0.3
# Mean visibility of the body's large joints falling by more than this from one frame to the next is a jump too.
VISIBILITY_JUMP = 0.35
_LARGE_JOINTS = np.array([11, 12, 23, 24, 25, 26, 27, 28])  # shoulders, hips, knees, ankles


def _people(pose_landmarks) -> list[np.ndarray]:
    """MediaPipe's landmark lists -> (33, 4) arrays: x, y, z, visibility (NaN when not given)."""
    return [
        np.array([[p.x, p.y, p.z, p.visibility if p.visibility is not None else np.nan] for p in person])
        for person in pose_landmarks
    ]


def _world(pose_world_landmarks, index: int) -> np.ndarray:
    return np.array([[p.x, p.y, p.z] for p in pose_world_landmarks[index]])


class PoseEstimator:
    """The pose model for one video at a time, reusable across videos: `reset()` between them.

    `detect(frame)` -> ((33, 4) image landmarks, (33, 3) world landmarks) of the main subject, or None.
    A single-pose VIDEO-mode landmarker tracks the subject frame to frame. A multi-person look (IMAGE mode, up to
    `max_people`) picks the subject at the start (the largest, most central person), re-checks every
    CHECK_INTERVAL_S, and whenever the tracked box or visibility jumps; if the tracker has moved to someone else,
    the subject's landmarks come from the multi-person look and, for the rest of that video, from a multi-person
    VIDEO-mode landmarker that follows the subject by box overlap (choose_subject): never a jump to a bystander.
    `max_people=1` turns the checks off. `person_mask(rgb, box)` gives the subject's segmentation mask on demand.
    If the one person a look finds is placed elsewhere by the tracker (it drifted), the tracker starts afresh.
    Counters for the video: frames, checks, checks_with_several_people, tracker_restarts, contested_from_frame.
    """

    def __init__(self, model: ModelInfo | None = None, *, max_people: int = MAX_PEOPLE, min_confidence: float = 0.5,
                 check_interval_s: float = CHECK_INTERVAL_S):
        if max_people < 1:
            raise ValueError(f"max_people must be at least 1, got {max_people}")
        self.model = model or resolve_model(None)
        self.max_people = max_people
        self.min_confidence = min_confidence
        self.check_interval_s = check_interval_s
        self._tracker = self._create("VIDEO", num_poses=1)
        # IMAGE mode, max_people, with segmentation masks: the multi-person looks and the masks share one landmarker
        # (each costs ~200 MB of memory). Built now (every video's first frame is looked at), or on first need when
        # the checks are off.
        self._looker = self._create("IMAGE", num_poses=max_people, masks=True) if max_people > 1 else None
        self._follower = None  # VIDEO mode, max_people: created when a video turns out contested
        self._start_video()

    def _create(self, mode: str, *, num_poses: int, masks: bool = False):
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model.path)),
            running_mode=getattr(RunningMode, mode),
            num_poses=num_poses,
            min_pose_detection_confidence=self.min_confidence,
            min_pose_presence_confidence=self.min_confidence,
            min_tracking_confidence=self.min_confidence,
            output_segmentation_masks=masks,
        )
        try:
            with quiet_native_logs():
                return PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"{self.model.path}: MediaPipe could not load this model ({str(exc).splitlines()[0]})"
            ) from None

    def _start_video(self) -> None:
        self._previous_box: np.ndarray | None = None
        self._previous_visibility = np.nan
        self._last_ms = -1
        self._last_check_s = -np.inf
        self._warmed_up = False
        self.frames = 0
        self.checks = 0
        self.checks_with_several_people = 0
        self.tracker_restarts = 0
        self.contested_from_frame: int | None = None

    def reset(self) -> None:
        """Forget the previous video: a fresh tracker (a VIDEO-mode landmarker carries its last region of interest
        into the next frame, which would bias the first frames of another video)."""
        if self.frames:
            for name in ("_tracker", "_follower"):
                landmarker = getattr(self, name)
                if landmarker is not None:
                    landmarker.close()
                    setattr(self, name, None)
            self._tracker = self._create("VIDEO", num_poses=1)
        self._start_video()

    def _image(self, rgb: np.ndarray):
        import mediapipe as mp

        return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))

    def _timestamp_ms(self, timestamp_s: float) -> int:
        ms = max(int(round(timestamp_s * 1000)), self._last_ms + 1)
        self._last_ms = ms
        return ms

    def detect(self, frame: Frame) -> tuple[np.ndarray, np.ndarray] | None:
        """The subject's landmarks in this frame (see class docstring), or None when nobody is found."""
        image = self._image(frame.rgb)
        timestamp_ms = self._timestamp_ms(frame.timestamp_s)
        self.frames += 1
        if self.contested_from_frame is not None:
            return self._follow(image, timestamp_ms)
        with quiet_native_logs() if not self._warmed_up else contextlib.nullcontext():
            result = self._tracker.detect_for_video(image, timestamp_ms)
        self._warmed_up = True
        tracked = None
        if result.pose_landmarks:
            tracked = (_people(result.pose_landmarks)[0], _world(result.pose_world_landmarks, 0))
        if self.max_people > 1 and self._needs_check(frame.timestamp_s, tracked):
            return self._check(image, frame, tracked)
        return self._accept(tracked)

    def _needs_check(self, timestamp_s: float, tracked) -> bool:
        if timestamp_s - self._last_check_s >= self.check_interval_s:
            return True
        if tracked is None or self._previous_box is None:
            return False
        if _iou(_person_box(tracked[0][:, :2]), self._previous_box) < BOX_JUMP_IOU:
            return True
        visibility = float(np.nanmean(tracked[0][_LARGE_JOINTS, 3]))
        return bool(self._previous_visibility - visibility > VISIBILITY_JUMP)

    def _check(self, image, frame: Frame, tracked):
        """A multi-person look: who is the subject, and is the tracker on them?"""
        self._last_check_s = frame.timestamp_s
        self.checks += 1
        result = self._look(image)
        if not result.pose_landmarks:
            return self._accept(tracked)
        people = _people(result.pose_landmarks)
        if len(people) > 1:
            self.checks_with_several_people += 1
        chosen = choose_subject(people, self._previous_box)
        if tracked is not None and _iou(_visible_box(tracked[0]), _visible_box(people[chosen])) > BOX_JUMP_IOU:
            return self._accept(tracked)  # the tracker follows the subject: keep its (temporally smoothed) landmarks
        if len(people) > 1:  # the tracker is on a bystander or lost among several: follow the subject from now on
            self.contested_from_frame = frame.index
        elif tracked is not None:  # one person, whom the tracker places elsewhere: it drifted, so start it afresh
            self._tracker.close()
            self._tracker = self._create("VIDEO", num_poses=1)
            self.tracker_restarts += 1
        return self._accept((people[chosen], _world(result.pose_world_landmarks, chosen)))

    def _follow(self, image, timestamp_ms: int):
        """Contested video: several people tracked at once, the subject chosen by box overlap every frame."""
        if self._follower is None:
            self._follower = self._create("VIDEO", num_poses=self.max_people)
        result = self._follower.detect_for_video(image, timestamp_ms)
        if not result.pose_landmarks:
            return self._accept(None)
        people = _people(result.pose_landmarks)
        chosen = choose_subject(people, self._previous_box)
        return self._accept((people[chosen], _world(result.pose_world_landmarks, chosen)))

    def _accept(self, found):
        if found is not None:
            self._previous_box = _person_box(found[0][:, :2])
            self._previous_visibility = float(np.nanmean(found[0][_LARGE_JOINTS, 3]))
        return found

    def _look(self, image):
        """All the people in one picture (up to max_people), with their masks (IMAGE mode: no tracking)."""
        if self._looker is None:
            self._looker = self._create("IMAGE", num_poses=self.max_people, masks=True)
        return self._looker.detect(image)

    def prepare_masks(self) -> None:
        """Build the multi-person landmarker that makes the masks now, not at the first person_mask call (live mode:
        not in the middle of a set, on another thread)."""
        if self._looker is None:
            self._looker = self._create("IMAGE", num_poses=self.max_people, masks=True)

    def person_mask(self, rgb: np.ndarray, subject_landmarks: np.ndarray | None = None) -> np.ndarray | None:
        """(H, W) float32 segmentation mask in [0, 1] of the subject in one frame, or None when nobody is found.

        The multi-person look (~3x a tracked frame, so only for the few frames that need a mask).
        subject_landmarks: the subject's (33, 4) landmarks in this frame; with several people, the one whose box
        overlaps it most is taken (else choose_subject's rule).
        """
        result = self._look(self._image(rgb))
        if not result.pose_landmarks or not result.segmentation_masks:
            return None
        people = _people(result.pose_landmarks)
        previous = None
        if subject_landmarks is not None and np.isfinite(subject_landmarks[:, :2]).all(axis=1).sum() >= 3:
            previous = _person_box(subject_landmarks[:, :2])
        chosen = choose_subject(people, previous) if len(people) > 1 else 0
        mask = result.segmentation_masks[min(chosen, len(result.segmentation_masks) - 1)].numpy_view()
        return np.array(mask, dtype=np.float32).reshape(mask.shape[:2])

    def close(self) -> None:
        for name in ("_tracker", "_looker", "_follower"):
            landmarker = getattr(self, name, None)
            if landmarker is not None:
                landmarker.close()
                setattr(self, name, None)

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""PoseTrack: the one central type. A person's pose over time, as MediaPipe's 33 landmarks.

Arrays (T frames):
    landmarks        (T, 33, 4) float: x, y normalised to the frame [0, 1] (x right, y down), z (MediaPipe's
                     relative depth, same scale as x), visibility in [0, 1]. NaN rows: no person that frame.
    world_landmarks  (T, 33, 3) float, metres, hip-centred (MediaPipe world coordinates: y down).
    timestamps_s     (T,) float, seconds from the start of the source.
    dorsal_contour   optional (T, K, 3) float: the back's outline from a person segmentation mask, K named points
                     (DORSAL_POINT_NAMES) as x, y normalised like the landmarks and a confidence in [0, 1]; NaN rows
                     where no contour was traced (frame not sampled, contour hidden). None when never traced.
                     See formcheck.contour; meta["dorsal_contour"] says how it was made (dorsal_sign, frames).
    ventral_contour  optional (T, K, 3) float: the front's outline (chest and belly) from the same masks, K named points
                     (VENTRAL_POINT_NAMES), same layout and NaN rows; None when never traced (formcheck.contour).
    waistline        optional (T, 4) float: the waistband's edge in a frontal frame (formcheck.waistline): image tilt
                     (deg, + = image-right end lower), contrast, coverage, and its height where it crosses the hips'
                     midpoint (y normalised like the landmarks); NaN rows where not measured. None when never
                     measured; meta["waistline"] says how it was made.
    camera_shift     optional (T, 2) float: how far the picture's background has moved since the first frame (pixels,
                     x right, y down; formcheck.camera_motion), NaN where it could not be read. None when never read;
                     meta["camera_shift"] says how it was made.

Frames with no person are NaN, never dropped, so frame i is always timestamps_s[i].
Pure: this module imports neither cv2 nor mediapipe.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from formcheck.interrupts import missing_folders, partial_files

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

# Index permutation that swaps every left landmark with its right twin (nose stays).
def _mirror_name(name: str) -> str:
    swapped = name.replace("left", "\0").replace("right", "left").replace("\0", "right")
    return swapped


MIRROR_INDEX: np.ndarray = np.array([LANDMARK_INDEX[_mirror_name(n)] for n in LANDMARK_NAMES])

# Skeleton edges for drawing (pairs of landmark names).
SKELETON_EDGES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)

TRACK_FORMAT_VERSION = 1
# model_name of a track that is the exact projection of the synthetic body (formcheck.synth), not a pose model's output
EXACT_PROJECTION_MODEL = "synthetic-truth"

# The back's outline, head to pelvis (formcheck.contour): tangent points of the upper trunk, the lumbar apex, and
# tangent points of the pelvis.
DORSAL_POINT_NAMES: tuple[str, ...] = ("thoracic_upper", "thoracic_lower", "lumbar_apex", "sacral_upper", "sacral_lower")
VENTRAL_POINT_NAMES: tuple[str, ...] = ("chest_upper", "chest_lower", "belly_upper", "belly_lower")
# The measured arrays a track may carry besides the landmarks (module docstring), as saved in an .npz: name -> the
# shape of one frame's row (the array is (T, *row))
OPTIONAL_ARRAYS: dict[str, tuple[int, ...]] = {
    "dorsal_contour": (len(DORSAL_POINT_NAMES), 3),
    "ventral_contour": (len(VENTRAL_POINT_NAMES), 3),
    "waistline": (4,),
    "camera_shift": (2,),
}


class TrackFileError(ValueError):
    """A file that is not a formcheck pose track (or is damaged)."""


def landmarks_xy(track: "PoseTrack", names: Sequence[str]) -> np.ndarray:
    """(T, len(names), 2): the named landmarks' normalised image (x, y) on every frame (NaN where unseen)."""
    return np.asarray(track.landmarks)[:, [landmark_index(n) for n in names], :2].copy()


def landmark_index(name: str) -> int:
    """Index of a landmark by MediaPipe name; ValueError listing valid names when unknown."""
    try:
        return LANDMARK_INDEX[name]
    except KeyError:
        raise ValueError(
            f"unknown landmark {name!r}; valid names: {', '.join(LANDMARK_NAMES)}"
        ) from None


@dataclass(frozen=True, eq=False)
class PoseTrack:
    """A single person's landmarks over time (see module docstring for array layout and units)."""

    landmarks: np.ndarray
    world_landmarks: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    frame_width: int
    frame_height: int
    source: str = ""
    model_name: str = ""
    model_sha256: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    dorsal_contour: np.ndarray | None = None
    ventral_contour: np.ndarray | None = None
    waistline: np.ndarray | None = None
    camera_shift: np.ndarray | None = None

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, dtype=np.float64)
        wl = np.asarray(self.world_landmarks, dtype=np.float64)
        ts = np.asarray(self.timestamps_s, dtype=np.float64)
        if lm.ndim != 3 or lm.shape[1:] != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must be (T, 33, 4), got {lm.shape}")
        T = lm.shape[0]
        if wl.shape != (T, NUM_LANDMARKS, 3):
            raise ValueError(f"world_landmarks must be ({T}, 33, 3), got {wl.shape}")
        if ts.shape != (T,):
            raise ValueError(f"timestamps_s must be ({T},), got {ts.shape}")
        if not np.isfinite(ts).all():
            bad = int(np.flatnonzero(~np.isfinite(ts))[0])
            raise ValueError(f"timestamps_s must be finite seconds, got {ts[bad]} at frame {bad}")
        if T > 1 and np.any(np.diff(ts) <= 0):
            raise ValueError("timestamps_s must be strictly increasing")
        if not (self.fps > 0 and np.isfinite(self.fps)):
            raise ValueError(f"fps must be a positive finite number, got {self.fps}")
        for name, arr in (("landmarks", lm), ("world_landmarks", wl)):  # NaN means "no person"; inf means damage
            infinite = int(np.isinf(arr).sum())
            if infinite:
                raise ValueError(f"{name} must be finite numbers or NaN (no person), "
                                 f"got {infinite} infinite value{'s' if infinite > 1 else ''}")
        for name, arr in (("landmarks", lm), ("world_landmarks", wl), ("timestamps_s", ts)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        for name, row in OPTIONAL_ARRAYS.items():
            value = getattr(self, name)
            if value is None:
                continue
            shape = (T, *row)
            arr = np.array(value, dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"{name} must be ({', '.join(map(str, shape))}), got {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    # ---- size and time -------------------------------------------------
    def __len__(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def duration_s(self) -> float:
        """Seconds covered: last timestamp minus first plus one frame period; 0 for an empty track."""
        if len(self) == 0:
            return 0.0
        return float(self.timestamps_s[-1] - self.timestamps_s[0] + 1.0 / self.fps)

    @property
    def detected(self) -> np.ndarray:
        """(T,) bool: a person was found in the frame (any landmark coordinate finite)."""
        return np.isfinite(self.landmarks[:, :, 0]).any(axis=1)

    @property
    def detection_rate(self) -> float:
        """Share of frames with a person, in [0, 1]; 0 for an empty track."""
        return float(self.detected.mean()) if len(self) else 0.0

    # ---- named access --------------------------------------------------
    def xy(self, name: str) -> np.ndarray:
        """(T, 2) normalised image x, y of one landmark."""
        return self.landmarks[:, landmark_index(name), :2]

    def xy_px(self, name: str) -> np.ndarray:
        """(T, 2) image x, y of one landmark in pixels."""
        return self.xy(name) * np.array([self.frame_width, self.frame_height], dtype=float)

    def visibility(self, name: str) -> np.ndarray:
        """(T,) visibility of one landmark in [0, 1]."""
        return self.landmarks[:, landmark_index(name), 3]

    def world(self, name: str) -> np.ndarray:
        """(T, 3) world position of one landmark, metres."""
        return self.world_landmarks[:, landmark_index(name), :]

    def joint(self, name: str) -> np.ndarray:
        """(T, 4) image landmark row (x, y, z, visibility) of one landmark."""
        return self.landmarks[:, landmark_index(name), :]

    # ---- slicing ---------------------------------------------------------
    def __getitem__(self, key: int | slice | np.ndarray) -> "PoseTrack":
        """Frames by int, slice, index array or boolean mask; always returns a PoseTrack."""
        if isinstance(key, (int, np.integer)):
            key = slice(int(key), int(key) + 1 if int(key) != -1 else None)
        return replace(
            self,
            landmarks=self.landmarks[key],
            world_landmarks=self.world_landmarks[key],
            timestamps_s=self.timestamps_s[key],
            meta=dict(self.meta),
            **{name: None if getattr(self, name) is None else getattr(self, name)[key] for name in OPTIONAL_ARRAYS},
        )

    def between(self, start_s: float, end_s: float) -> "PoseTrack":
        """Frames with start_s <= t < end_s (seconds)."""
        return self[(self.timestamps_s >= start_s) & (self.timestamps_s < end_s)]

    def with_arrays(
        self,
        landmarks: np.ndarray | None = None,
        world_landmarks: np.ndarray | None = None,
        **meta_updates: Any,
    ) -> "PoseTrack":
        """A copy with new landmark arrays (same timing) and metadata entries added."""
        meta = dict(self.meta)
        meta.update(meta_updates)
        return replace(
            self,
            landmarks=self.landmarks if landmarks is None else landmarks,
            world_landmarks=self.world_landmarks if world_landmarks is None else world_landmarks,
            meta=meta,
        )

    def with_dorsal_contour(self, points: np.ndarray | None, ventral: np.ndarray | None = None,
                            **meta_updates: Any) -> "PoseTrack":
        """A copy carrying the body outline's points from the masks: dorsal (the back) and ventral (the front), each
        (T, K, 3) (see module docstring); None removes them."""
        meta = dict(self.meta)
        meta.update(meta_updates)
        return replace(self, dorsal_contour=points, ventral_contour=ventral, meta=meta)

    def with_waistline(self, edges: np.ndarray | None, **meta_updates: Any) -> "PoseTrack":
        """A copy carrying waistline edges ((T, 4), see module docstring; None removes them)."""
        meta = dict(self.meta)
        meta.update(meta_updates)
        return replace(self, waistline=edges, meta=meta)

    def with_camera_shift(self, shift: np.ndarray | None, **meta_updates: Any) -> "PoseTrack":
        """A copy carrying the picture's shift ((T, 2) px, see module docstring; None removes it)."""
        meta = dict(self.meta)
        meta.update(meta_updates)
        return replace(self, camera_shift=shift, meta=meta)

    # ---- persistence -----------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an .npz with arrays `landmarks`, `world_landmarks`, `timestamps_s` (+ `dorsal_contour`,
        `ventral_contour`, `waistline`, `camera_shift` when measured) and a JSON `metadata`."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        metadata = {
            "format": "formcheck.PoseTrack",
            "version": TRACK_FORMAT_VERSION,
            "fps": self.fps,
            "frame_width": self.frame_width,
            "frame_height": self.frame_height,
            "source": self.source,
            "model_name": self.model_name,
            "model_sha256": self.model_sha256,
            "meta": self.meta,
        }
        arrays = dict(
            landmarks=self.landmarks.astype(np.float32),
            world_landmarks=self.world_landmarks.astype(np.float32),
            timestamps_s=self.timestamps_s,
            metadata=np.array(json.dumps(metadata, default=_json_default)),
        )
        for optional in OPTIONAL_ARRAYS:
            if getattr(self, optional) is not None:
                arrays[optional] = getattr(self, optional).astype(np.float32)
        # Zipped in memory first: numpy's ZipFile on a disk that fills up fails half-closed ("Exception ignored in
        # ZipFile.__del__"); then one plain write, and a rename only once it is whole.
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        tmp = path.with_name(path.name + ".part")
        with partial_files(tmp, folders=missing_folders(path.parent), target=path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(buffer.getbuffer())
            tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "PoseTrack":
        """Read a track written by save(); TrackFileError naming the file when it is not one."""
        path = Path(path)
        if not path.exists():
            raise TrackFileError(f"{path}: no such file")
        if path.is_dir():
            raise TrackFileError(f"{path}: is a directory, not a pose track")
        if not zipfile.is_zipfile(path):  # else numpy's guess: "Cannot load file containing pickled data"
            raise TrackFileError(f"{path}: not a formcheck pose track (not an .npz archive; `formcheck extract` makes one)")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = {"landmarks", "world_landmarks", "timestamps_s"} - set(data.files)
                if missing:
                    raise TrackFileError(
                        f"{path}: not a formcheck pose track (missing arrays: {', '.join(sorted(missing))})"
                    )
                if "metadata" not in data.files:
                    raise TrackFileError(
                        f"{path}: not a formcheck pose track (no `metadata`: frame size and fps unknown; "
                        "`formcheck extract` makes one)"
                    )
                metadata = _check_metadata(path, json.loads(str(data["metadata"])))
                arrays = {k: np.array(data[k], dtype=np.float64) for k in ("landmarks", "world_landmarks", "timestamps_s")}
                for optional in OPTIONAL_ARRAYS:
                    if optional in data.files:
                        arrays[optional] = np.array(data[optional], dtype=np.float64)
        except TrackFileError:
            raise
        except Exception as exc:  # zip/npy/json damage: say which file
            raise TrackFileError(f"{path}: not a formcheck pose track ({exc.__class__.__name__}: {exc})") from None
        ts = arrays["timestamps_s"]
        fps = metadata.get("fps")
        if fps is None:  # older tracks: from the timestamps' median spacing
            spacing = float(np.median(np.diff(ts))) if len(ts) > 1 else 1.0 / 30.0
            fps = 1.0 / spacing if spacing > 0 else float("nan")  # NaN: refused below, with the timestamps
        try:
            return cls(
                **arrays,
                fps=float(fps),
                frame_width=int(metadata["frame_width"]),
                frame_height=int(metadata["frame_height"]),
                source=str(metadata.get("source", "")),
                model_name=str(metadata.get("model_name", "")),
                model_sha256=str(metadata.get("model_sha256", "")),
                meta=dict(metadata.get("meta", {})),
            )
        except ValueError as exc:
            raise TrackFileError(f"{path}: not a valid pose track ({exc})") from None


def _check_metadata(path: Path, metadata: Any) -> dict[str, Any]:
    """The track's JSON metadata as a dict, or TrackFileError (one line) naming what is missing or mistyped:
    a frame size of positive whole pixels, a positive finite fps when given, an object `meta`."""
    if not isinstance(metadata, dict):
        raise TrackFileError(
            f"{path}: not a formcheck pose track (`metadata` is a JSON {type(metadata).__name__}, not an object)"
        )
    size = [metadata.get("frame_width"), metadata.get("frame_height")]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 1 or v != int(v) for v in size):
        shown = "x".join("?" if v is None else str(v) for v in size)
        raise TrackFileError(
            f"{path}: not a usable pose track (`metadata` has no frame size: frame_width x frame_height = {shown}, "
            "need positive whole pixels)"
        )
    fps = metadata.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float)) or not 0 < fps < float("inf")):
        raise TrackFileError(f"{path}: not a usable pose track (`metadata` fps must be a positive number, got {fps!r})")
    if not isinstance(metadata.get("meta", {}), dict):
        raise TrackFileError(
            f"{path}: not a usable pose track (`metadata` key 'meta' must be a JSON object, "
            f"got {type(metadata['meta']).__name__})"
        )
    return metadata


def empty_arrays(num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """NaN-filled (landmarks, world_landmarks) arrays for num_frames frames."""
    return (
        np.full((num_frames, NUM_LANDMARKS, 4), np.nan),
        np.full((num_frames, NUM_LANDMARKS, 3), np.nan),
    )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

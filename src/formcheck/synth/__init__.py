"""Ground truth: a synthetic body with known joint angles and injected faults, projected and rendered to video.

    from formcheck.synth import generate, MOTIONS, FAULTS, VIEWS
    video, truth = generate("bridge", {"back_butt": 25}, view="side", seconds=10, seed=0, out=Path("b.mp4"))
    generate("squat", {"knee_valgus": 12}, view="front", body="wide_pelvis", camera=CAMERA_VARIANTS["far_high"], ...)

Modules: ``body`` (33 MediaPipe landmarks + extras from joint angles; named body shapes), ``motions`` (angles over
time, fault knobs in real units), ``camera`` (pinhole presets, MediaPipe-style projection), ``render`` (software ray-cast mannequin and
H.264 writer: the only module importing cv2/av), ``clip`` (exact tracks, noise, truth JSON, sweeps).
"""
from .body import BODY_SHAPES, BodyShape, body_shape
from .camera import VIEWS, Camera, make_camera, project_landmarks
from .clip import (BEST_VIEWS, CAMERA_VARIANTS, DEFAULT_MAGNITUDES, add_noise, build, camera_for, exact_track,
                   generate, sweep, sweep_clip_name, truth_dict, write_sweep)
from .motions import DEFAULTS, FAULTS, MOTIONS, PARAMS, make_motion

__all__ = [
    "MOTIONS", "FAULTS", "PARAMS", "DEFAULTS", "VIEWS", "BEST_VIEWS", "DEFAULT_MAGNITUDES", "BODY_SHAPES", "BodyShape",
    "body_shape", "CAMERA_VARIANTS",
    "generate", "exact_track", "add_noise", "build", "camera_for", "truth_dict", "sweep", "sweep_clip_name", "write_sweep",
    "make_motion", "make_camera", "project_landmarks", "Camera",
]

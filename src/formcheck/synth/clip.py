"""Clips: motion + camera -> exact PoseTrack, optional realistic noise, rendered video and ground-truth JSON.

Only ``generate`` / ``write_sweep`` touch cv2/av, and only through ``formcheck.synth.render`` (imported lazily).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from formcheck.interrupts import missing_folders, partial_files
from formcheck.track import EXACT_PROJECTION_MODEL, LANDMARK_INDEX, MIRROR_INDEX, PoseTrack

from .body import BodyFrames, body_shape, hip_height_above_line, measured_joint_angles, shoulder_hip_knee_angle
from .camera import VIEWS, Camera, make_camera, project_landmarks
from .motions import FAULTS, MOTIONS, PARAMS, Motion, make_motion

TRUTH_VERSION = 1
DEFAULT_SIZE = (640, 360)
DEFAULT_FPS = 30.0
# Cameras at either end of a lying body: view -> (horizontal distance from the body's centre m, height m, vertical
# fov deg). On the floor only a steep view down the body (a helper standing at the feet, phone at head height)
# shows the thighs apart from the trunk: on rendered bridges at 34-55 deg vfov MediaPipe's knees sit within 2.5-4 %
# of a torso length (median; p95 4.5-9) from 1.2 m / 2.0 m, but half a torso length off, sliding along the shins
# (median 53 %), from a low 2.6 m / 1.3 m feet camera; the front camera below reads 3 % (42 % from farther away).
# On a bench the trunk is inclined, so a steep camera makes a hip thrust look like a person standing (MediaPipe and
# the view detector both read "front, standing"); lower cameras at the feet read well. Behind the bench (head end)
# a camera at 1.6 m / 2.4 m finds the person on 100 % of frames (2.4 m / 2.1 m: 85 %).
# Camera placements beside the presets, for scoring the rules on cameras they were not calibrated with: name ->
# camera_for overrides. Farther and higher is a phone on a shelf across the room; low is a phone propped 30 cm lower
# (on the floor for a lying body), a little farther back so that the near feet of a bridge filmed from the feet stay
# in frame (nearer than the preset they leave it). Every best view keeps the body in frame on every shape: tested.
CAMERA_VARIANTS: dict[str, dict[str, float]] = {
    "preset": {},
    "far_high": {"distance_scale": 1.3, "height_shift": 0.35},
    "low": {"distance_scale": 1.2, "height_shift": -0.3},
}
FLOOR_END_CAMERAS = {"feet": (1.2, 2.0, 44.0), "front": (2.0, 2.8, 36.0), "back": (1.2, 2.0, 44.0)}
BENCH_END_CAMERAS = {"feet": (2.6, 1.5, 32.0), "front": (3.0, 2.3, 28.0), "back": (1.6, 2.4, 44.0)}


def camera_for(motion: Motion, view: str, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1],
               distance: float | None = None, cam_height: float | None = None, vfov_deg: float | None = None,
               distance_scale: float = 1.0, height_shift: float = 0.0) -> Camera:
    """The preset camera for a motion and view (ValueError listing views when unknown).

    distance (m, horizontal, from the subject centre), cam_height (m above the floor) and vfov_deg override the
    preset; distance_scale (dimensionless) and height_shift (m) then move the camera away and up from it (see
    ``CAMERA_VARIANTS``)."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; valid views: {', '.join(VIEWS)}")
    lying = motion.lying
    vfov = 40.0
    aspect = width / height
    if lying:
        dist, cam_h = (2.4, 1.0) if view == "oblique" else (2.3, 0.6)
        if motion.name == "hip_thrust":
            cam_h += 0.2  # above the bench
        end_cameras = BENCH_END_CAMERAS if motion.name == "hip_thrust" else FLOOR_END_CAMERAS
        if view in end_cameras:
            dist, cam_h, vfov = end_cameras[view]
        # fit the ~1.8 m long body across the frame
        dist = max(dist, 1.0 / (np.tan(np.radians(vfov) / 2) * aspect)) if view.startswith("side") else dist
    else:
        dist = 1.2 / np.tan(np.radians(vfov) / 2)  # fit ~2.4 m vertically
        cam_h = 1.0
    if vfov_deg is not None:
        vfov = float(vfov_deg)
    center = np.array(motion.center, float)
    if lying and view in ("feet", "front"):
        center[0] += 0.15  # frame the near feet too
    dist = (distance or dist) * distance_scale
    cam_h = (cam_h if cam_height is None else cam_height) + height_shift
    return make_camera(view, center, motion.facing_deg, distance=dist, height=cam_h, width_px=width,
                       height_px=height, vfov_deg=vfov, lying=lying)


def _track(body: BodyFrames, cam: Camera, t: np.ndarray, fps: float, source: str, meta: dict) -> PoseTrack:
    lm, wl = project_landmarks(cam, body.landmarks, body.extras["mid_hip"])
    return PoseTrack(landmarks=lm, world_landmarks=wl, timestamps_s=t, fps=fps, frame_width=cam.width,
                     frame_height=cam.height, source=source, model_name=EXACT_PROJECTION_MODEL, meta=meta)


def _check_common(motion: str, faults: Mapping[str, float] | None, view: str, seconds: float, fps: float) -> None:
    if motion not in MOTIONS:
        raise ValueError(f"unknown motion {motion!r}; valid motions: {', '.join(MOTIONS)}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; valid views: {', '.join(VIEWS)}")
    if not (seconds > 0) or not np.isfinite(seconds):
        raise ValueError(f"seconds must be a positive number, got {seconds!r}")
    if not (fps > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")


def build(motion: str, faults: Mapping[str, float] | None = None, view: str = "side", seconds: float = 8.0,
          fps: float = DEFAULT_FPS, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1],
          camera: Mapping[str, float] | None = None, body: str = "default") -> tuple[Motion, BodyFrames, Camera]:
    """Evaluate a motion and its camera (no rendering).  camera: overrides for ``camera_for`` (distance,
    cam_height, vfov_deg, distance_scale, height_shift); body: a ``BODY_SHAPES`` name."""
    _check_common(motion, faults, view, seconds, fps)
    m = make_motion(motion, dict(faults or {}), seconds, fps, body)
    return m, m.body(), camera_for(m, view, width, height, **dict(camera or {}))


def exact_track(motion: str, faults: Mapping[str, float] | None = None, view: str = "side", seconds: float = 8.0,
                seed: int = 0, fps: float = DEFAULT_FPS, width: int = DEFAULT_SIZE[0],
                height: int = DEFAULT_SIZE[1], noise: Mapping[str, float] | bool | None = None,
                camera: Mapping[str, float] | None = None, body: str = "default") -> PoseTrack:
    """The true projected track of a synthetic clip as a PoseTrack (optionally with seeded realistic noise).

    noise: None/False = exact; True = defaults of ``add_noise``; a dict = keyword arguments for ``add_noise``.
    body: a ``BODY_SHAPES`` name (recorded in meta["body"] when not the default).
    """
    m, frames, cam = build(motion, faults, view, seconds, fps, width, height, camera, body)
    meta = {"synthetic": True, "motion": motion, "view": view, "faults": _fault_dict(m), "seed": int(seed)}
    if body != "default":
        meta["body"] = body
    tr = _track(frames, cam, m.t, fps, f"synth:{motion}:{view}", meta)
    if noise:
        kw = {} if noise is True else dict(noise)
        tr = add_noise(tr, seed=seed, **kw)
    return tr


def add_noise(track: PoseTrack, seed: int = 0, *, jitter_px: float = 1.5, dropout_rate: float = 0.02,
              swap_rate: float = 0.01, visibility_dip_rate: float = 0.03) -> PoseTrack:
    """Realistic detector noise, seeded.

    jitter_px: std of temporally correlated (AR(1), rho 0.6) per-landmark noise in pixels (world noise scaled alike).
    dropout_rate: share of frames lost in bursts of 1-8 frames (rows become NaN).
    swap_rate: share of frames where left and right landmarks are swapped (bursts of 1-5 frames).
    visibility_dip_rate: share of (frame, landmark) samples whose visibility dips to 0.1-0.5.
    """
    rng = np.random.default_rng(seed)
    lm = np.array(track.landmarks, dtype=float)
    wl = np.array(track.world_landmarks, dtype=float)
    T, N = lm.shape[:2]
    e = rng.normal(size=(T, N, 2))
    for i in range(1, T):
        e[i] = 0.6 * e[i - 1] + np.sqrt(1 - 0.36) * e[i]
    lm[..., 0] += e[..., 0] * jitter_px / track.frame_width
    lm[..., 1] += e[..., 1] * jitter_px / track.frame_height
    # metres per pixel at the hips, roughly: torso ~ 0.5 m
    sh = (lm[:, LANDMARK_INDEX["left_shoulder"], :2] + lm[:, LANDMARK_INDEX["right_shoulder"], :2]) / 2
    hp = (lm[:, LANDMARK_INDEX["left_hip"], :2] + lm[:, LANDMARK_INDEX["right_hip"], :2]) / 2
    torso_px = np.nanmedian(np.hypot((sh - hp)[:, 0] * track.frame_width, (sh - hp)[:, 1] * track.frame_height))
    m_per_px = 0.5 / max(torso_px, 1.0)
    wl[..., :2] += e * jitter_px * m_per_px
    dip = rng.random((T, N)) < visibility_dip_rate
    lm[..., 3] = np.where(dip, rng.uniform(0.1, 0.5, (T, N)), lm[..., 3])

    def bursts(rate, maxlen):
        mask = np.zeros(T, bool)
        if rate <= 0:
            return mask
        target = int(round(rate * T))
        while mask.sum() < target:
            s = int(rng.integers(0, T))
            mask[s:s + int(rng.integers(1, maxlen + 1))] = True
        return mask

    swap = bursts(swap_rate, 5)
    lm[swap] = lm[swap][:, MIRROR_INDEX]
    wl[swap] = wl[swap][:, MIRROR_INDEX]
    drop = bursts(dropout_rate, 8)
    lm[drop] = np.nan
    wl[drop] = np.nan
    meta = dict(track.meta)
    meta["noise"] = {"seed": int(seed), "jitter_px": jitter_px, "dropout_rate": dropout_rate, "swap_rate": swap_rate,
                     "visibility_dip_rate": visibility_dip_rate, "dropped_frames": np.flatnonzero(drop).tolist(),
                     "swapped_frames": np.flatnonzero(swap).tolist()}
    return track.with_arrays(landmarks=lm, world_landmarks=wl, **{"noise": meta["noise"]})


def _fault_dict(m: Motion) -> dict[str, float]:
    return {k: float(v) for k, v in m.knobs.items() if k in FAULTS[m.name] and v != 0}


def _fppa(track: PoseTrack, side: str) -> np.ndarray:
    """Frontal-plane projection angle, degrees, + = knee medial of the hip-ankle line (valgus), from 2D pixels."""
    other = "right" if side == "left" else "left"
    H, K, A = (track.xy_px(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
    O = track.xy_px(f"{other}_hip")
    v1, v2 = K - H, A - K
    ang = np.degrees(np.arccos(np.clip((v1 * v2).sum(-1) / (np.linalg.norm(v1, axis=-1) *
                                                             np.linalg.norm(v2, axis=-1)), -1, 1)))
    ha = A - H
    ha_n = ha / np.linalg.norm(ha, axis=-1, keepdims=True)
    kv = K - H
    perp = kv - (kv * ha_n).sum(-1, keepdims=True) * ha_n
    sign = np.sign((perp * (O - H)).sum(-1))
    return ang * np.where(sign == 0, 1, sign)


def truth_dict(m: Motion, body: BodyFrames, cam: Camera, track: PoseTrack, view: str, seed: int,
               camera_opts: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Ground truth of a clip as a JSON-ready dict (schema: see README of sample_videos / tests)."""
    A = body.anthro
    r = lambda a: np.round(np.asarray(a, float), 3).tolist()  # noqa: E731
    L = body.lm
    sh = (L("left_shoulder") + L("right_shoulder")) / 2
    hp = (L("left_hip") + L("right_hip")) / 2
    kn = (L("left_knee") + L("right_knee")) / 2
    up = np.broadcast_to([0.0, 0.0, 1.0], sh.shape) if m.lying else body.frames["pelvis"][:, :, 0]
    torso = np.linalg.norm(sh - hp, axis=-1)
    lh, rh = L("left_hip"), L("right_hip")
    d = lh - rh
    obliq = np.degrees(np.arcsin(d[:, 2] / np.linalg.norm(d, axis=-1)))
    if m.lying:
        obliq = np.degrees(np.arctan2(d[:, 2], d[:, 1]))
    trunk = sh - hp
    lean = np.degrees(np.arctan2(trunk[:, 1], trunk[:, 2])) if not m.lying else np.zeros(len(m.t))
    meas = measured_joint_angles(body)
    per_frame: dict[str, Any] = {
        "t": r(m.t),
        "hip_flexion_l": r(m.angles["hip_flexion_l"]), "hip_flexion_r": r(m.angles["hip_flexion_r"]),
        "hip_abduction_l": r(m.angles["hip_abduction_l"]), "hip_abduction_r": r(m.angles["hip_abduction_r"]),
        "hip_internal_rotation_l": r(m.angles["hip_internal_rotation_l"]),
        "hip_internal_rotation_r": r(m.angles["hip_internal_rotation_r"]),
        "knee_flexion_l": r(m.angles["knee_flexion_l"]), "knee_flexion_r": r(m.angles["knee_flexion_r"]),
        "ankle_dorsiflexion_l": r(m.angles["ankle_dorsiflexion_l"]),
        "ankle_dorsiflexion_r": r(m.angles["ankle_dorsiflexion_r"]),
        "lumbar_extension": r(m.angles["lumbar_extension"]),
        "lumbar_lateral": r(m.angles["lumbar_lateral"]),
        "pelvis_tilt": r(m.angles["pelvis_tilt"]),
        "pelvis_obliquity_joint": r(m.angles["pelvis_obliquity"]),
        "pelvic_obliquity": r(obliq),
        "pelvis_rotation": r(m.angles["pelvis_rotation"]),
        "neck_flexion": r(m.angles["neck_flexion"]),
        "shoulder_hip_knee": r(shoulder_hip_knee_angle(sh, hp, kn, up)),
        "shoulder_hip_knee_l": r(shoulder_hip_knee_angle(L("left_shoulder"), lh, L("left_knee"), up)),
        "shoulder_hip_knee_r": r(shoulder_hip_knee_angle(L("right_shoulder"), rh, L("right_knee"), up)),
        "hip_above_line_torso": r(hip_height_above_line(sh, hp, kn, up) / torso),
        "hip_height_m": r(hp[:, 2]),
        "pelvis_lateral_m": r(hp[:, 1] - np.mean(hp[:, 1])),
        "trunk_lateral_lean": r(lean),
        "hip_flexion_measured_l": r(meas["hip_flexion_l"]), "hip_flexion_measured_r": r(meas["hip_flexion_r"]),
    }
    if view in ("front", "back", "feet"):
        per_frame["fppa_l"] = r(_fppa(track, "left"))
        per_frame["fppa_r"] = r(_fppa(track, "right"))
        ks = np.abs(track.xy_px("left_knee")[:, 0] - track.xy_px("right_knee")[:, 0])
        an = np.abs(track.xy_px("left_ankle")[:, 0] - track.xy_px("right_ankle")[:, 0])
        per_frame["knee_to_ankle_separation"] = r(ks / np.maximum(an, 1e-6))
    for k, v in m.extra.items():
        per_frame[k] = r(v)
    labels = {f: np.asarray(v, bool).astype(int).tolist() for f, v in m.fault_active.items()}
    # a body shape other than the default is recorded (absent = "default"; the default's truth stays as it was)
    body_fields = ({} if A.shape == "default" else
                   {"body": A.shape, "body_girth": A.girth, "segments_m": A.segments()})
    cam_info = {"name": cam.name, "position_m": r(cam.position), "target_m": r(cam.target),
                "vfov_deg": cam.vfov_deg, "focal_px": round(cam.focal_px, 3), "width": cam.width,
                "height": cam.height}
    return {
        "format": "formcheck.synth.truth", "version": TRUTH_VERSION,
        "motion": m.name, "view": view, "posture": "lying" if m.lying else "standing",
        "fps": float(track.fps), "frames": int(len(m.t)), "seconds": round(float(len(m.t) / track.fps), 4),
        "seed": int(seed), "width": cam.width, "height": cam.height, "camera": cam_info,
        "height_m": A.height_m, **body_fields, "props": m.props,
        "faults": _fault_dict(m),
        "fault_units": {k: FAULTS[m.name][k].split(":")[0] for k in _fault_dict(m)},
        "params": {k: float(v) for k, v in m.knobs.items() if k in PARAMS[m.name]},
        "events": m.events,
        "fault_labels": labels,
        "camera_overrides": {k: float(v) for k, v in dict(camera_opts or {}).items()},
        "conventions": {
            "angles": "degrees; joint angles relative to the parent segment (formcheck.synth.body); "
                      "pelvis_tilt relative to upright (standing) or to lying flat (lying); + anterior",
            "shoulder_hip_knee": "180 = straight; > 180 hips above the shoulder-knee line (lying: up = ceiling; "
                                 "standing: towards the front of the pelvis)",
            "pelvic_obliquity": "+ = left hip higher (standing: vertical; lying: towards the ceiling)",
            "fppa": "frontal-plane projection angle from the true 2D projection; + = valgus (knee medial)",
            "world": "x forward, y left, z up, metres (truth); PoseTrack world_landmarks use MediaPipe's "
                     "camera-aligned, hip-centred, y-down convention",
        },
        "per_frame": per_frame,
    }


def generate(motion: str, faults: Mapping[str, float] | None = None, view: str = "side", seconds: float = 8.0,
             seed: int = 0, out: Path | str = "synth.mp4", width: int = DEFAULT_SIZE[0],
             height: int = DEFAULT_SIZE[1], fps: float = DEFAULT_FPS, crf: int = 28,
             track_out: bool = False, camera: Mapping[str, float] | None = None, body: str = "default"
             ) -> tuple[Path, Path]:
    """Render a synthetic clip to ``out`` (H.264 mp4) and write ``OUT.truth.json`` beside it.

    motion: one of ``MOTIONS``; faults: knob name -> value (``FAULTS[motion]`` / ``PARAMS[motion]``, real units);
    view: one of ``VIEWS``; camera: overrides (distance, cam_height, vfov_deg, distance_scale, height_shift);
    body: a body shape (``formcheck.synth.body.BODY_SHAPES``), recorded in the truth.  Deterministic: the same arguments give byte-identical files.  ``seed`` is recorded in the
    truth and drives ``add_noise`` for noisy exact tracks; the rendered body itself has no randomness.
    Returns (video path, truth path).  ValueError (one line, listing valid choices) on bad input.
    """
    from formcheck.video import write_h264

    from .render import BENCH, Box, Renderer, body_ellipsoids

    out = Path(out)
    if out.suffix.lower() != ".mp4":
        raise ValueError(f"output must be an .mp4 file, got {str(out)!r}")
    if width % 2 or height % 2 or width < 64 or height < 64:
        raise ValueError(f"width and height must be even and >= 64, got {width}x{height}")
    m, frames, cam = build(motion, faults, view, seconds, fps, width, height, camera, body)
    track = _track(frames, cam, m.t, fps, str(out), {"synthetic": True})
    truth = truth_dict(m, frames, cam, track, view, seed, camera)
    rend = Renderer(cam)
    boxes = [Box(np.array(p["lo"], float), np.array(p["hi"], float), BENCH) for p in m.props]
    tmp = out.with_name(out.name + ".part.mp4")
    truth_path = out.with_name(out.stem + ".truth.json")
    truth_tmp = truth_path.with_name(truth_path.name + ".part")
    # Ctrl-C, SIGTERM or a full disk: the partial files and the folders made for them go; the clip and its truth
    # appear together, each whole.
    with partial_files(tmp, truth_tmp, folders=missing_folders(out.parent), target=out):
        pictures = (rend.render(body_ellipsoids(frames, i), boxes) for i in range(len(m.t)))
        write_h264(tmp, pictures, fps, crf=crf, preset="slow", bitexact=True)
        truth_tmp.write_text(json.dumps(truth, separators=(",", ":")))
        tmp.replace(out)
        truth_tmp.replace(truth_path)
    if track_out:
        track.save(out.with_name(out.stem + ".truth.npz"))
    return out, truth_path


# ---------------------------------------------------------------------------------------------------------
# sweeps

BEST_VIEWS: dict[str, list[tuple[str, str]]] = {
    "back_butt": [("bridge", "side"), ("hip_thrust", "side")],
    "incomplete_lockout": [("bridge", "side"), ("hip_thrust", "side")],
    "neck": [("hip_thrust", "side")],
    "knee_valgus": [("bridge", "feet"), ("squat", "front"), ("single_leg_squat", "front")],
    "pelvic_drop": [("walk", "front"), ("walk", "back"), ("single_leg_stance", "front")],
    "pelvic_sway": [("walk", "front"), ("walk", "back")],
    "trunk_lean": [("walk", "front"), ("single_leg_stance", "front")],
}
# Extra clips per faulty magnitude where the fault sits matters (name suffix -> non-fault settings): the
# single-leg stance drops the pelvis in both stances, or only while standing on the left, or only on the right.
SWEEP_VARIANTS: dict[tuple[str, str], dict[str, dict[str, float]]] = {
    ("single_leg_stance", "pelvic_drop"): {"": {}, "standleft": {"drop_side": 1.0}, "standright": {"drop_side": 2.0}},
}
DEFAULT_MAGNITUDES: dict[str, list[float]] = {
    "back_butt": [0, 5, 10, 15, 20, 25, 30], "incomplete_lockout": [0, 5, 10, 15, 20, 25],
    "neck": [-30, -15, 0, 15, 30], "knee_valgus": [0, 3, 6, 9, 12, 15, 20],
    "pelvic_drop": [0, 2, 4, 6, 8, 10], "pelvic_sway": [0, 1, 2, 3, 4, 6], "trunk_lean": [0, 3, 6, 9, 12],
}


def sweep(fault: str, magnitudes: Sequence[float] | None = None, motions: Sequence[str] | None = None,
          views: Sequence[str] | None = None, body: str = "default") -> Iterator[dict[str, Any]]:
    """Specs for one fault from none to clearly faulty: dicts (motion, view, faults, magnitude, settings, variant,
    body); ``settings`` are non-fault knobs of a ``SWEEP_VARIANTS`` variant, ``variant`` a name suffix ("" for none),
    ``body`` a ``BODY_SHAPES`` name.

    Defaults: the fault's best (motion, view) pairs (``BEST_VIEWS``) and ``DEFAULT_MAGNITUDES``.
    """
    if fault not in BEST_VIEWS:
        raise ValueError(f"unknown fault {fault!r}; valid: {', '.join(BEST_VIEWS)}")
    body_shape(body)
    mags = list(DEFAULT_MAGNITUDES[fault] if magnitudes is None else magnitudes)
    pairs = [(mo, v) for mo, v in BEST_VIEWS[fault] if motions is None or mo in motions]
    if motions is not None:
        for mo in motions:
            if mo not in MOTIONS or fault not in FAULTS[mo]:
                raise ValueError(f"motion {mo!r} has no fault {fault!r}; motions with it: "
                                 f"{', '.join(x for x in MOTIONS if fault in FAULTS[x])}")
            if not any(p[0] == mo for p in pairs):
                pairs.append((mo, BEST_VIEWS[fault][0][1]))
    if views is not None:
        pairs = [(mo, v) for mo in dict.fromkeys(p[0] for p in pairs) for v in views]
    for mo, v in pairs:
        for mag in mags:
            for variant, settings in (SWEEP_VARIANTS.get((mo, fault), {"": {}}).items() if mag else [("", {})]):
                yield {"motion": mo, "view": v, "faults": ({fault: float(mag)} if mag else {}), "fault": fault,
                       "magnitude": float(mag), "settings": dict(settings), "variant": variant, "body": body}


def sweep_clip_name(spec: dict[str, Any], seed: int | None = None) -> str:
    """A file stem for a sweep spec: motion_view_fault_magnitude[_variant][_BODY][_CAMERA][_sSEED] ("-" spelt "m");
    the default body and the preset camera add nothing."""
    name = f"{spec['motion']}_{spec['view']}_{spec['fault']}_{spec['magnitude']:g}".replace("-", "m")
    name += f"_{spec['variant']}" if spec.get("variant") else ""
    name += f"_{spec['body']}" if spec.get("body", "default") != "default" else ""
    name += f"_{spec['camera']}" if spec.get("camera", "preset") != "preset" else ""
    return name + (f"_s{seed}" if seed is not None else "")


def write_sweep(out_dir: Path | str, fault: str, magnitudes: Sequence[float] | None = None,
                motions: Sequence[str] | None = None, views: Sequence[str] | None = None, seconds: float = 8.0,
                seed: int = 0, body: str = "default", **kw: Any) -> Path:
    """Render every spec of ``sweep`` (for the body shape ``body``) into out_dir and write ``manifest.csv``
    (path, exercise, view, expected_faults, fault, magnitude, truth, body); returns the manifest path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for spec in sweep(fault, magnitudes, motions, views, body):
        name = sweep_clip_name(spec) + ".mp4"
        video, truth = generate(spec["motion"], {**spec["faults"], **spec["settings"]}, spec["view"], seconds, seed,
                                out_dir / name, body=body, **kw)
        rows.append({"path": video.name, "exercise": spec["motion"], "view": spec["view"],
                     "expected_faults": ";".join(spec["faults"]) or "none", "fault": fault,
                     "magnitude": spec["magnitude"], "truth": truth.name, "body": body})
    manifest = out_dir / "manifest.csv"
    with open(manifest, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["path"])
        w.writeheader()
        w.writerows(rows)
    return manifest

"""A 3D stick-and-volume body driven by joint angles (pure numpy; no cv2).

World frame (used by the whole synth package): right-handed, metres, **x forward, y left, z up**, floor at z = 0.
Segment frames are rotation matrices whose columns are the segment's anterior (a), left (l) and superior (s) axes
in world coordinates; in the anatomical standing pose every segment frame is the identity.

Joint-angle conventions (degrees, all relative to the parent segment):

* pelvis: ``pelvis_tilt`` (anterior tilt +, about the pelvis left axis), ``pelvis_obliquity`` (left side up +, about
  the anterior axis), ``pelvis_rotation`` (left side forward -, i.e. + turns the pelvis to the left, about the
  superior axis); applied to a *base* orientation (upright, or supine for lying motions), order Rz·Rx·Ry.
* lumbar: ``lumbar_extension`` (+ extends: thorax tips backwards relative to pelvis), ``lumbar_lateral``
  (+ bends towards the left), ``lumbar_rotation``; split equally over two joints (L5/S1 and T12/L1), so the
  mid-lumbar point lies on a curve.
* hip (per side): ``hip_flexion`` (+ thigh forward), ``hip_abduction`` (+ away from midline; negative = adduction),
  ``hip_internal_rotation`` (+ internal); order flexion (about pelvis left axis), then abduction, then axial rotation.
* knee: ``knee_flexion`` (+ shank backwards), ankle: ``ankle_dorsiflexion`` (+ toes up).
* shoulder: ``shoulder_flexion`` (+ arm forward), ``shoulder_abduction``; elbow: ``elbow_flexion``.
* neck: ``neck_flexion`` (+ chin to chest), ``neck_lateral``.

Segment lengths are fractions of body height H from Winter, D. A. *Biomechanics and Motor Control of Human
Movement*, 4th ed. (2009), Fig./Table 4.1 (after Drillis & Contini 1966): shoulder height 0.818 H, hip (greater
trochanter) 0.530 H, knee 0.285 H, ankle 0.039 H, upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, thigh 0.245 H,
shank 0.246 H, foot length 0.152 H, foot width 0.055 H, shoulder width 0.259 H, hip width 0.191 H, head (chin to
vertex) 0.130 H, eye height 0.936 H.  Hip-joint-centre separation is taken as ~0.52 of hip width (0.10 H), in line
with the Bell et al. (1990) hip-joint-centre regression (HJCs ~ 14 % of inter-ASIS width medial of each ASIS).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from formcheck.track import LANDMARK_INDEX, NUM_LANDMARKS

# ---------------------------------------------------------------------------------------------------------
# rotations (vectorised over leading axes; angles in radians)


def rot_x(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def rot_y(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def rot_z(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def _mv(R: np.ndarray, v) -> np.ndarray:
    """R (T,3,3) @ v (3,) or (T,3) -> (T,3)."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 1:
        return R @ v
    return np.einsum("tij,tj->ti", R, v)


# ---------------------------------------------------------------------------------------------------------
# anthropometry


@dataclass(frozen=True)
class BodyShape:
    """A named body build: multipliers on Winter's length fractions and on the rendered girth.

    scales: ``_FRACTIONS`` name -> multiplier (dimensionless; absent = 1).  girth: multiplier on the rendered radii of
    the limbs and on the trunk's depth and width (the skeleton is unchanged, except that a deeper chest lifts the
    shoulder joints of a lying body off the floor).  The rules' thresholds were calibrated on ``default`` only.
    """

    name: str
    description: str
    scales: Mapping[str, float] = field(default_factory=dict)
    girth: float = 1.0


# Sizes of the variations: a few standard deviations of adult proportions, so a rule that depends on proportions
# shows it. Bi-iliac / hip breadth runs about 0.16-0.21 of stature across adults (Winter 2009, Table 4.1 gives 0.191;
# female pelves are relatively wider), so +28 % is a wide but human pelvis; sitting height is 0.50-0.55 of stature
# across people and populations, so a trunk 12 % longer at the same stature (legs 7 % shorter) and legs 8 % longer
# are both within the human range, as are legs 8 % shorter; girth 1.3 is a heavy (BMI ~35) build's thigh and waist
# relative to an average one. broad_shoulders is a stress test beyond the usual: Winter's shoulder width (0.259 of
# stature) +15 % is 0.30, broader than most adults, on a pelvis 12 % narrower (0.17 of stature, within the range
# above). short_legs and broad_shoulders were added after every threshold was set and scored without retuning any;
# broad_shoulders' single-leg stance did change a rule's logic: its hip points read a 4.8 deg drop on a level pelvis
# that its waistband read as level, and stance_asymmetry now judges neither when the two disagree.
BODY_SHAPES: dict[str, BodyShape] = {
    s.name: s for s in (
        BodyShape("default", "Winter's average proportions (the body every threshold was calibrated on)"),
        BodyShape("wide_pelvis", "hip-joint separation and hip width +28 %",
                  {"hip_sep": 1.28, "hip_width": 1.28}),
        BodyShape("long_trunk", "trunk (hip to shoulder, pelvis and lumbar segments) +12 %, thigh and shank -7 % "
                  "(about the same stature)",
                  {"trunk": 1.12, "pelvis_seg": 1.12, "lumbar_seg": 1.12, "thigh": 0.93, "shank": 0.93}),
        BodyShape("long_legs", "thigh and shank +8 % (about 7 cm taller)", {"thigh": 1.08, "shank": 1.08}),
        BodyShape("heavy", "rendered limbs, trunk depth and width x1.3 (same skeleton)", girth=1.3),
        BodyShape("short_legs", "thigh and shank -8 % (about 7 cm shorter)", {"thigh": 0.92, "shank": 0.92}),
        BodyShape("broad_shoulders", "shoulders +15 %, pelvis -12 % (a narrow-hipped, broad-shouldered build)",
                  {"shoulder_sep": 1.15, "shoulder_width": 1.15, "hip_sep": 0.88, "hip_width": 0.88}),
    )
}


def body_shape(name: str) -> BodyShape:
    """The named shape; ValueError (one line, listing the names) when unknown."""
    shape = BODY_SHAPES.get(name)
    if shape is None:
        raise ValueError(f"unknown body {name!r}; valid bodies: {', '.join(BODY_SHAPES)}")
    return shape


@dataclass(frozen=True)
class Anthropometry:
    """Segment dimensions in metres for a body of height ``height_m`` (Winter 2009, Table 4.1; see module doc),
    times the multipliers of the body shape ``shape`` (``BODY_SHAPES``; "default" = Winter's fractions)."""

    height_m: float = 1.75
    shape: str = "default"

    def __post_init__(self) -> None:
        body_shape(self.shape)

    def __getattr__(self, name: str) -> float:  # fractions of H
        frac = _FRACTIONS.get(name)
        if frac is None or name.startswith("_"):
            raise AttributeError(name)
        scale = BODY_SHAPES[self.shape].scales.get(name)
        return frac * self.height_m if scale is None else frac * self.height_m * scale

    @property
    def girth(self) -> float:
        """Multiplier on rendered radii (limbs, trunk depth and width); 1 for the default body."""
        return BODY_SHAPES[self.shape].girth

    def scale(self, name: str) -> float:
        """The shape's multiplier on the ``_FRACTIONS`` entry ``name`` (1 when the shape leaves it)."""
        return BODY_SHAPES[self.shape].scales.get(name, 1.0)

    def segments(self) -> dict[str, float]:
        """Every dimension, metres (for truth files)."""
        return {name: round(getattr(self, name), 4) for name in _FRACTIONS}


_FRACTIONS = {
    "thigh": 0.245,
    "shank": 0.246,
    "ankle_height": 0.039,
    "foot_length": 0.152,
    "foot_width": 0.055,
    "upper_arm": 0.186,
    "forearm": 0.146,
    "hand": 0.108,
    "shoulder_sep": 0.200,  # shoulder joint centres (~0.77 of biacromial 0.259 H)
    "hip_sep": 0.100,  # hip joint centres (~0.52 of hip width 0.191 H)
    "hip_width": 0.191,
    "shoulder_width": 0.259,
    "trunk": 0.288,  # hip joint (0.530 H) to shoulder joint (0.818 H)
    "pelvis_seg": 0.060,  # hip-joint level to L5/S1
    "lumbar_seg": 0.100,  # L5/S1 to T12/L1
    "spine_back": 0.040,  # spine line posterior of the hip-joint / shoulder line
    "neck_up": 0.030,  # C7 above shoulder-joint level
    "head": 0.130,  # chin to vertex
}


# ---------------------------------------------------------------------------------------------------------
# pose (joint angles) and the forward kinematics

ANGLE_NAMES: tuple[str, ...] = (
    "pelvis_tilt", "pelvis_obliquity", "pelvis_rotation",
    "lumbar_extension", "lumbar_lateral", "lumbar_rotation",
    "neck_flexion", "neck_lateral",
    "hip_flexion_l", "hip_flexion_r", "hip_abduction_l", "hip_abduction_r",
    "hip_internal_rotation_l", "hip_internal_rotation_r",
    "knee_flexion_l", "knee_flexion_r", "ankle_dorsiflexion_l", "ankle_dorsiflexion_r",
    "shoulder_flexion_l", "shoulder_flexion_r", "shoulder_abduction_l", "shoulder_abduction_r",
    "elbow_flexion_l", "elbow_flexion_r",
)


def zero_angles(T: int) -> dict[str, np.ndarray]:
    """All joint angles zero (anatomical standing pose) for T frames, degrees."""
    return {k: np.zeros(T) for k in ANGLE_NAMES}


@dataclass
class BodyFrames:
    """Forward-kinematics result for T frames (world metres, z up).

    landmarks: (T, 33, 3) MediaPipe's 33 points.  extras: named (T, 3) points not in MediaPipe's layout.
    frames: named (T, 3, 3) segment rotations.  radii: body-part sizes the renderer uses.
    """

    landmarks: np.ndarray
    extras: dict[str, np.ndarray]
    frames: dict[str, np.ndarray]
    anthro: Anthropometry
    angles: dict[str, np.ndarray] = field(default_factory=dict)

    def lm(self, name: str) -> np.ndarray:
        return self.landmarks[:, LANDMARK_INDEX[name]]


def forward_kinematics(
    angles: Mapping[str, np.ndarray],
    root_position: np.ndarray,
    base: np.ndarray | None = None,
    anthro: Anthropometry | None = None,
) -> BodyFrames:
    """Place the body for T frames.

    angles: joint angles in degrees (see module doc; missing names are 0), each (T,).
    root_position: (T, 3) world position of the mid point between the hip joint centres.
    base: (3, 3) or (T, 3, 3) base orientation the pelvis angles are applied to (identity = upright, facing +x).
    """
    A = anthro or Anthropometry()
    root_position = np.asarray(root_position, dtype=float)
    T = root_position.shape[0]
    ang = {k: np.radians(np.broadcast_to(np.asarray(angles.get(k, 0.0), dtype=float), (T,))) for k in ANGLE_NAMES}
    if base is None:
        base = np.eye(3)
    base = np.broadcast_to(np.asarray(base, dtype=float), (T, 3, 3))

    R_pelvis = base @ rot_z(ang["pelvis_rotation"]) @ rot_x(ang["pelvis_obliquity"]) @ rot_y(ang["pelvis_tilt"])
    # lumbar: two equal joints; extension tips the thorax backwards = rot_y(-ext)
    half = (rot_z(ang["lumbar_rotation"] / 2) @ rot_x(ang["lumbar_lateral"] / 2) @ rot_y(-ang["lumbar_extension"] / 2))
    R_lumbar = R_pelvis @ half
    R_thorax = R_lumbar @ half
    R_head = R_thorax @ rot_x(ang["neck_lateral"]) @ rot_y(ang["neck_flexion"])

    H0 = root_position
    b = A.spine_back
    L5 = H0 + _mv(R_pelvis, [-b, 0.0, A.pelvis_seg])
    T12 = L5 + _mv(R_lumbar, [0.0, 0.0, A.lumbar_seg])
    thorax_len = A.trunk - A.pelvis_seg - A.lumbar_seg
    mid_lumbar = L5 + _mv(R_pelvis @ rot_y(-ang["lumbar_extension"] / 4), [0.0, 0.0, A.lumbar_seg / 2])
    C7 = T12 + _mv(R_thorax, [0.0, 0.0, thorax_len + A.neck_up])
    sh_mid = T12 + _mv(R_thorax, [b, 0.0, thorax_len])
    sh = {s: T12 + _mv(R_thorax, [b, sg * A.shoulder_sep / 2, thorax_len]) for s, sg in (("l", 1), ("r", -1))}
    hip = {s: H0 + _mv(R_pelvis, [0.0, sg * A.hip_sep / 2, 0.0]) for s, sg in (("l", 1), ("r", -1))}

    # head: an ellipsoid centred ahead of and above C7
    head_c = C7 + _mv(R_head, [0.07 * A.height_m / 1.75, 0.0, 0.095 * A.height_m / 1.75])
    k = A.height_m / 1.75
    def hp(x, y, z):
        return head_c + _mv(R_head, [x * k, y * k, z * k])

    pts: dict[str, np.ndarray] = {
        "nose": hp(0.105, 0.0, -0.005),
        "left_eye_inner": hp(0.088, 0.016, 0.022), "left_eye": hp(0.085, 0.032, 0.024),
        "left_eye_outer": hp(0.078, 0.048, 0.024),
        "right_eye_inner": hp(0.088, -0.016, 0.022), "right_eye": hp(0.085, -0.032, 0.024),
        "right_eye_outer": hp(0.078, -0.048, 0.024),
        "left_ear": hp(0.0, 0.078, 0.01), "right_ear": hp(0.0, -0.078, 0.01),
        "mouth_left": hp(0.09, 0.024, -0.045), "mouth_right": hp(0.09, -0.024, -0.045),
    }
    frames = {"pelvis": R_pelvis, "lumbar": R_lumbar, "thorax": R_thorax, "head": R_head}
    extras = {
        "mid_hip": H0, "l5s1": L5, "mid_lumbar": mid_lumbar, "t12": T12, "c7": C7,
        "mid_shoulder": sh_mid, "head_center": head_c,
        "sacrum": H0 + _mv(R_pelvis, [-1.6 * b, 0.0, 0.02]),
        "pubis": H0 + _mv(R_pelvis, [0.035, 0.0, -0.01]),
    }

    for s, sg, side in (("l", 1.0, "left"), ("r", -1.0, "right")):
        # arm
        R_ua = R_thorax @ rot_y(-ang[f"shoulder_flexion_{s}"]) @ rot_x(sg * ang[f"shoulder_abduction_{s}"])
        R_fa = R_ua @ rot_y(-ang[f"elbow_flexion_{s}"])
        elbow = sh[s] + _mv(R_ua, [0, 0, -A.upper_arm])
        wrist = elbow + _mv(R_fa, [0, 0, -A.forearm])
        pts[f"{side}_shoulder"] = sh[s]
        pts[f"{side}_elbow"] = elbow
        pts[f"{side}_wrist"] = wrist
        pts[f"{side}_index"] = wrist + _mv(R_fa, [0.022 * k, -sg * 0.005, -0.6 * A.hand])
        pts[f"{side}_pinky"] = wrist + _mv(R_fa, [-0.025 * k, -sg * 0.005, -0.55 * A.hand])
        pts[f"{side}_thumb"] = wrist + _mv(R_fa, [0.04 * k, 0.0, -0.3 * A.hand])
        extras[f"{side}_hand_center"] = wrist + _mv(R_fa, [0.0, 0.0, -0.42 * A.hand])
        frames[f"upper_arm_{s}"], frames[f"forearm_{s}"] = R_ua, R_fa
        # leg
        R_th = (R_pelvis @ rot_y(-ang[f"hip_flexion_{s}"]) @ rot_x(sg * ang[f"hip_abduction_{s}"])
                @ rot_z(-sg * ang[f"hip_internal_rotation_{s}"]))
        R_sh = R_th @ rot_y(ang[f"knee_flexion_{s}"])
        R_ft = R_sh @ rot_y(-ang[f"ankle_dorsiflexion_{s}"])
        knee = hip[s] + _mv(R_th, [0, 0, -A.thigh])
        ankle = knee + _mv(R_sh, [0, 0, -A.shank])
        pts[f"{side}_hip"] = hip[s]
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = ankle + _mv(R_ft, [-0.2 * A.foot_length, 0, -0.8 * A.ankle_height])
        pts[f"{side}_foot_index"] = ankle + _mv(R_ft, [0.72 * A.foot_length, 0, -0.85 * A.ankle_height])
        extras[f"{side}_knee_front"] = knee + _mv(R_th, [0.05, 0, 0])  # marks the knee axis orientation
        frames[f"thigh_{s}"], frames[f"shank_{s}"], frames[f"foot_{s}"] = R_th, R_sh, R_ft

    lms = np.zeros((T, NUM_LANDMARKS, 3))
    for name, idx in LANDMARK_INDEX.items():
        lms[:, idx] = pts[name]
    return BodyFrames(landmarks=lms, extras=extras, frames=frames, anthro=A,
                      angles={k: np.degrees(v).copy() for k, v in ang.items()})


# ---------------------------------------------------------------------------------------------------------
# angles measured back from points (used by the tests and by the truth files)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def measured_joint_angles(body: BodyFrames) -> dict[str, np.ndarray]:
    """Hip flexion/abduction, knee flexion, lumbar extension, pelvic obliquity and tilt recovered from points.

    Uses only the 33 landmarks plus extras ``l5s1``, ``t12`` (and the frame rotation of the base is not used).
    Returns degrees; used by tests to check the forward kinematics reproduces the commanded angles.
    """
    L = body.landmarks
    ix = LANDMARK_INDEX
    lhip, rhip = L[:, ix["left_hip"]], L[:, ix["right_hip"]]
    mid = (lhip + rhip) / 2
    left = _unit(lhip - rhip)
    # superior axis of the pelvis: the L5/S1 point is at (-b, 0, pelvis_seg) in the pelvis frame
    A = body.anthro
    v = body.extras["l5s1"] - mid
    v = v - (v * left).sum(-1, keepdims=True) * left
    off = np.arctan2(A.spine_back, A.pelvis_seg)  # angle of L5/S1 behind the superior axis
    # rotate v about `left` by -off to get the superior axis (Rodrigues)
    sup = _rodrigues(_unit(v), left, off)
    ant = np.cross(left, sup)
    Rp = np.stack([ant, left, sup], -1)
    out: dict[str, np.ndarray] = {}
    for s, side, sg in (("l", "left", 1), ("r", "right", -1)):
        th = _unit(L[:, ix[f"{side}_knee"]] - L[:, ix[f"{side}_hip"]])
        d = np.einsum("tji,tj->ti", Rp, th)  # in pelvis frame
        out[f"hip_flexion_{s}"] = np.degrees(np.arctan2(d[:, 0], -d[:, 2]))
        out[f"hip_abduction_{s}"] = np.degrees(np.arcsin(np.clip(sg * d[:, 1], -1, 1)))
        shk = _unit(L[:, ix[f"{side}_ankle"]] - L[:, ix[f"{side}_knee"]])
        out[f"knee_flexion_{s}"] = np.degrees(np.arccos(np.clip((th * shk).sum(-1), -1, 1)))
    # lumbar extension: angle between pelvis superior axis and thorax superior axis (T12->C7 direction)
    th_sup = _unit(body.extras["c7"] - body.extras["t12"])
    d = np.einsum("tji,tj->ti", Rp, th_sup)
    out["lumbar_extension"] = np.degrees(np.arctan2(-d[:, 0], d[:, 2]))
    out["_pelvis_frame"] = Rp
    return out


def _rodrigues(v: np.ndarray, k: np.ndarray, theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return v * c + np.cross(k, v) * s + k * (k * v).sum(-1, keepdims=True) * (1 - c)


def shoulder_hip_knee_angle(shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Signed shoulder-hip-knee angle, degrees: 180 = straight line, > 180 when the hip lies on the ``up`` side
    of the shoulder-knee line (hips pushed above the line, as in lumbar-driven bridges), < 180 when it sags."""
    a = _unit(shoulder - hip)
    c = _unit(knee - hip)
    inner = np.degrees(np.arccos(np.clip((a * c).sum(-1), -1, 1)))
    # offset of the hip from the shoulder-knee line
    sk = _unit(knee - shoulder)
    hv = hip - shoulder
    perp = hv - (hv * sk).sum(-1, keepdims=True) * sk
    sign = np.sign((perp * up).sum(-1))
    return np.where(sign > 0, 360.0 - inner, inner)


def hip_height_above_line(shoulder: np.ndarray, hip: np.ndarray, knee: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Signed distance (m) of the hip from the shoulder-knee line, + towards ``up``."""
    sk = _unit(knee - shoulder)
    hv = hip - shoulder
    perp = hv - (hv * sk).sum(-1, keepdims=True) * sk
    return np.linalg.norm(perp, axis=-1) * np.sign((perp * up).sum(-1))

"""Motions: joint angles over time, with fault knobs in real units (pure numpy).

Each motion is ``f(t, knobs, anthro) -> Motion`` where ``t`` is (T,) seconds and ``knobs`` maps knob names (see
``FAULTS`` and ``PARAMS``) to numbers.  A Motion holds the joint angles (degrees, see ``body`` for conventions),
the root (mid-hip) position and base orientation, per-frame fault activity and the rep / hold / stride times.

Lying motions (bridge, hip thrust) put the body supine with the head towards -x and the feet towards +x; standing
motions face +x.  The bridge and hip thrust are solved in the sagittal plane so that the shoulders stay on the
floor (bench) and the feet stay planted while the hips extend: the pelvis tilt that yields the commanded hip
flexion is found by bisection, the knee by two-link inverse kinematics.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from .body import Anthropometry, BodyFrames, body_shape, forward_kinematics, rot_y, zero_angles

# knob name -> unit / meaning
FAULTS: dict[str, dict[str, str]] = {
    "bridge": {
        "back_butt": "deg: lumbar extension at the top (plus 0.3x that of hip extension left undone: pelvis "
                     "tipped forward on the thigh); hips rise above the shoulder-knee line",
        "incomplete_lockout": "deg: hip extension short of a straight shoulder-hip-knee line at the top",
        "knee_valgus": "deg: hip adduction and the same internal rotation at the top; knees drift in",
    },
    "hip_thrust": {},
    "squat": {"knee_valgus": "deg: hip adduction and the same internal rotation at the bottom"},
    "single_leg_squat": {"knee_valgus": "deg: stance-hip adduction and internal rotation at the bottom"},
    "walk": {
        "pelvic_drop": "deg: extra drop of the swing-side pelvis during single stance",
        "pelvic_sway": "cm: extra lateral pelvis displacement towards the stance side",
        "trunk_lean": "deg: lateral trunk lean towards the stance side",
    },
    "single_leg_stance": {
        "pelvic_drop": "deg: drop of the free-leg side of the pelvis (Trendelenburg-like)",
        "trunk_lean": "deg: lateral trunk lean towards the stance side",
    },
}
FAULTS["hip_thrust"] = dict(FAULTS["bridge"])
FAULTS["hip_thrust"]["neck"] = "deg: + head thrown back (neck extension), - chin tucked, at the top"
FAULTS["single_leg_bridge"] = dict(FAULTS["bridge"])
FAULTS["bridge_hold"] = dict(FAULTS["bridge"])

# knob name -> (lowest, highest) value the body model renders as a human pose (joint ranges of motion: Roach & Miles
# 1991 for the hip, Neumann 2010 ch. 9-10 for the spine and neck; sway and drop a few times the gait norms of Perry &
# Burnfield 2010). Outside it the mannequin would bend through itself.
FAULT_RANGES: dict[str, tuple[float, float]] = {
    "back_butt": (0.0, 40.0), "incomplete_lockout": (0.0, 45.0), "knee_valgus": (-15.0, 30.0),
    "neck": (-45.0, 45.0), "pelvic_drop": (-10.0, 20.0), "pelvic_sway": (-15.0, 15.0), "trunk_lean": (-20.0, 30.0),
    "arms": (0.0, 1.0), "drop_side": (0.0, 2.0),  # choices, not sizes
}

# non-fault settings (same --fault NAME=VALUE syntax on the command line)
PARAMS: dict[str, dict[str, str]] = {
    "bridge": {"single_leg": "0 both feet, 1 on the left foot (right leg raised), 2 on the right foot",
               "hold_s": "s: pause at the top of each rep", "height_m": "m: body height",
               "arms": "0 on the floor beside the body, 1 raised to the ceiling (no push from the hands)"},
    "hip_thrust": {"hold_s": "s: pause at the top of each rep", "height_m": "m: body height",
                   "bench_m": "m: bench height"},
    "squat": {"depth_deg": "deg: knee flexion at the bottom", "height_m": "m: body height"},
    "single_leg_squat": {"depth_deg": "deg: knee flexion at the bottom (default 55)",
                         "side": "0 stand on left, 1 on right",
                         "height_m": "m: body height"},
    "walk": {"cadence": "steps/min", "step_length": "m", "height_m": "m: body height"},
    "single_leg_stance": {"height_m": "m: body height",
                          "drop_side": "0 pelvic_drop in both stances, 1 only standing on the left leg, 2 only on the right"},
}
PARAMS["single_leg_bridge"] = {k: v for k, v in PARAMS["bridge"].items() if k != "single_leg"}
PARAMS["bridge_hold"] = {k: v for k, v in PARAMS["bridge"].items() if k != "hold_s"}

DEFAULTS: dict[str, float] = {"hold_s": 1.0, "height_m": 1.75, "bench_m": 0.40, "depth_deg": 95.0, "side": 0.0,
                              "cadence": 108.0, "step_length": 0.68, "single_leg": 0.0, "arms": 0.0,
                              "drop_side": 0.0}

# defaults that differ by motion: single-leg squats are shallow by default
MOTION_DEFAULTS: dict[str, dict[str, float]] = {"single_leg_squat": {"depth_deg": 55.0}}

SUPINE = rot_y(np.radians(-90.0))  # lying on the back: anterior -> +z, superior -> -x, left -> +y


@dataclass
class Motion:
    name: str
    t: np.ndarray
    angles: dict[str, np.ndarray]
    root: np.ndarray  # (T, 3)
    base: np.ndarray  # (3, 3) or (T, 3, 3)
    lying: bool
    fault_active: dict[str, np.ndarray]  # fault -> (T,) bool
    events: dict[str, list]  # reps / holds / strides
    facing_deg: float = 0.0
    center: np.ndarray = field(default_factory=lambda: np.zeros(3))  # where cameras look
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # extra per-frame truth
    knobs: dict[str, float] = field(default_factory=dict)
    anthro: Anthropometry = field(default_factory=Anthropometry)
    props: list[dict] = field(default_factory=list)  # static scene objects: {"kind": "bench", "lo", "hi"} (m)

    def body(self) -> BodyFrames:
        return forward_kinematics(self.angles, self.root, self.base, self.anthro)


# ---------------------------------------------------------------------------------------------------------
# time profiles


def _anthro(knobs: Mapping[str, float]) -> Anthropometry:
    """The body of a motion: its height knob and the body shape ``make_motion`` put under "_body"."""
    return Anthropometry(knobs["height_m"], knobs.get("_body", "default"))  # type: ignore[arg-type]


def _ramp(x: np.ndarray) -> np.ndarray:
    """Smooth 0->1 (cosine) for x in [0, 1], clipped outside."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def rep_profile(t: np.ndarray, seconds: float, *, up_s: float, hold_s: float, down_s: float, rest_s: float,
                lead_s: float = 0.6) -> tuple[np.ndarray, list[dict]]:
    """Lift fraction u(t) in [0, 1] for repeated reps, and the reps (start_s, peak_s, end_s, top hold)."""
    period = up_s + hold_s + down_s + rest_s
    u = np.zeros_like(t)
    reps = []
    start = lead_s
    while start + up_s + hold_s + down_s <= seconds - 0.2 + 1e-9:
        top0, top1, end = start + up_s, start + up_s + hold_s, start + up_s + hold_s + down_s
        m = (t >= start) & (t < end)
        uu = np.where(t < top0, _ramp((t - start) / up_s), np.where(t < top1, 1.0, 1.0 - _ramp((t - top1) / down_s)))
        u = np.where(m, uu, u)
        reps.append({"start_s": round(start, 4), "peak_s": round((top0 + top1) / 2, 4), "end_s": round(end, 4),
                     "top_start_s": round(top0, 4), "top_end_s": round(top1, 4)})
        start += period
    return u, reps


# ---------------------------------------------------------------------------------------------------------
# lying motions: bridge and hip thrust


def _sag(gamma: np.ndarray, x, z) -> np.ndarray:
    """Sagittal-plane (world x, z) offset of segment point (x, 0, z) for a segment pitched by rot_y(gamma)."""
    c, s = np.cos(gamma), np.sin(gamma)
    return np.stack([x * c + z * s, -x * s + z * c], -1)


def _hip_from_shoulder(S: np.ndarray, tilt: np.ndarray, ext: np.ndarray, A: Anthropometry) -> np.ndarray:
    """Mid-hip (x, z) given the mid-shoulder point (x, z), pelvis tilt and lumbar extension (radians; supine)."""
    gp = np.radians(-90.0) + tilt
    gl, gt = gp - ext / 2, gp - ext
    b = A.spine_back
    tl = A.trunk - A.pelvis_seg - A.lumbar_seg
    return S - _sag(gt, b, tl) - _sag(gl, 0.0, A.lumbar_seg) - _sag(gp, -b, A.pelvis_seg)


def _knee_ik(H: np.ndarray, Ank: np.ndarray, A: Anthropometry) -> tuple[np.ndarray, np.ndarray]:
    """Knee (x, z) for hip H and ankle Ank (x, z), knee on the upper side; returns (knee, reach_ok)."""
    d = Ank - H
    L = np.linalg.norm(d, axis=-1)
    l1, l2 = A.thigh, A.shank
    ok = L <= l1 + l2 - 1e-6
    Lc = np.clip(L, abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    a = (l1 ** 2 - l2 ** 2 + Lc ** 2) / (2 * Lc)
    h = np.sqrt(np.maximum(l1 ** 2 - a ** 2, 0.0))
    e = d / L[:, None]
    n = np.stack([-e[:, 1], e[:, 0]], -1)
    n = np.where((n[:, 1] < 0)[:, None], -n, n)  # knee upwards
    return H + e * a[:, None] + n * h[:, None], ok


def _gamma_of(vec: np.ndarray) -> np.ndarray:
    """Pitch (rot_y angle) of a segment whose distal direction (-z local) is ``vec`` (x, z)."""
    return np.arctan2(-vec[:, 0], -vec[:, 1])


def _solve_lift(S, Ank, hipflex, ext, A, lo=-1.6, hi=1.2, iters=48):
    """Pelvis tilt (rad) so that the hip flexion equals ``hipflex`` (rad) with shoulders at S and ankles at Ank."""
    def hip_of(tilt):
        H = _hip_from_shoulder(S, tilt, ext, A)
        K, _ = _knee_ik(H, Ank, A)
        g_th = _gamma_of(K - H)
        gp = np.radians(-90.0) + tilt
        return gp - g_th, H, K

    T = hipflex.shape[0]
    lo_a, hi_a = np.full(T, lo), np.full(T, hi)
    for _ in range(iters):
        mid = (lo_a + hi_a) / 2
        hf, _, _ = hip_of(mid)
        # lifting the hips (smaller tilt) extends the hip: hip flexion increases with tilt
        go_lo = hf > hipflex
        hi_a = np.where(go_lo, mid, hi_a)
        lo_a = np.where(go_lo, lo_a, mid)
    tilt = (lo_a + hi_a) / 2
    hf, H, K = hip_of(tilt)
    return tilt, H, K


def _lying(name: str, t: np.ndarray, knobs: Mapping[str, float], seconds: float, thrust: bool,
           hold_only: bool = False) -> Motion:
    A = _anthro(knobs)
    T = t.shape[0]
    if hold_only:
        up, down = 1.2, 1.2
        hold = max(seconds - 0.6 - up - down - 0.6, 1.0)
        u, reps = rep_profile(t, seconds, up_s=up, hold_s=hold, down_s=down, rest_s=1.0)
    else:
        u, reps = rep_profile(t, seconds, up_s=1.0, hold_s=knobs["hold_s"], down_s=1.0, rest_s=0.7)
    bb = knobs.get("back_butt", 0.0)
    inc = knobs.get("incomplete_lockout", 0.0)
    valg = knobs.get("knee_valgus", 0.0)
    neck = knobs.get("neck", 0.0)
    single = int(round(knobs.get("single_leg", 0.0)))

    back_z = 0.09 * A.height_m / 1.75  # shoulder-joint height when lying (half chest depth)
    # a heavier build's deeper chest: the back surface lies girth x (0.036 m) behind the spine line (render.py)
    chest_lift = (A.girth - 1.0) * 0.036 * A.height_m / 1.75
    back_z += chest_lift
    if thrust:
        S = np.array([0.0, knobs["bench_m"] + 0.06 + chest_lift])
        # feet placed so that the knee is at 90 deg at the top with a horizontal trunk
        H_top = _hip_from_shoulder(S[None], np.zeros(1), np.zeros(1), A)[0]
        hip_bottom = 80.0
    else:
        S = np.array([0.0, back_z])
        H_top = _hip_from_shoulder(S[None], np.zeros(1), np.zeros(1), A)[0]  # hips on the floor, knee 90
        hip_bottom = None
    ank_z = A.ankle_height
    reach = np.hypot(A.thigh, A.shank)
    Ank = np.array([H_top[0] + np.sqrt(reach ** 2 - (H_top[1] - ank_z) ** 2), ank_z])
    if hip_bottom is None:
        K0, _ = _knee_ik(H_top[None], Ank[None], A)
        hip_bottom = np.degrees(np.radians(-90.0) - _gamma_of(K0 - H_top[None]))[0]
    hip_top = inc + 0.3 * bb
    hipflex = hip_bottom + (hip_top - hip_bottom) * u
    ext = bb * u ** 2
    tilt, H, K = _solve_lift(np.broadcast_to(S, (T, 2)), np.broadcast_to(Ank, (T, 2)), np.radians(hipflex),
                             np.radians(ext), A)
    g_th = _gamma_of(K - H)
    g_sh = _gamma_of(Ank[None] - K)
    knee = np.degrees(g_sh - g_th)
    g_pelvis = np.radians(-90.0) + tilt
    g_thorax = g_pelvis - np.radians(ext)

    ang = zero_angles(T)
    ang["pelvis_tilt"] = np.degrees(tilt)
    ang["lumbar_extension"] = ext
    ang["knee_flexion_l"] = knee.copy()
    ang["knee_flexion_r"] = knee.copy()
    ang["hip_flexion_l"] = hipflex.copy()
    ang["hip_flexion_r"] = hipflex.copy()
    dorsi = np.degrees(g_sh)  # foot flat: foot pitch 0
    ang["ankle_dorsiflexion_l"] = dorsi.copy()
    ang["ankle_dorsiflexion_r"] = dorsi.copy()
    v = valg * u
    stance_w = 8.0  # feet hip-width and a bit: slight hip abduction
    for s in ("l", "r"):
        ang[f"hip_abduction_{s}"] = stance_w - v
        ang[f"hip_internal_rotation_{s}"] = v.copy()
    # single-leg: the free leg straight, thigh parallel to the working thigh
    free = {1: "r", 2: "l"}.get(single)
    if free:
        ang[f"knee_flexion_{free}"] = np.zeros(T)
        ang[f"ankle_dorsiflexion_{free}"] = np.full(T, -10.0)
        ang[f"hip_abduction_{free}"] = np.full(T, 4.0)
        ang[f"hip_internal_rotation_{free}"] = np.zeros(T)
    if thrust:
        ang["neck_flexion"] = 10.0 - neck * u  # slight chin tuck, head in line with the trunk
        for s in ("l", "r"):
            ang[f"shoulder_flexion_{s}"] = np.full(T, -5.0)
            ang[f"shoulder_abduction_{s}"] = np.full(T, 62.0)
            ang[f"elbow_flexion_{s}"] = np.full(T, 15.0)
    else:
        # head stays on the floor; arms lie on the floor beside the body, pointing to the feet, or point up
        ang["neck_flexion"] = np.degrees(np.radians(-90.0) - g_thorax)
        raised = int(round(knobs.get("arms", 0.0))) == 1
        for s in ("l", "r"):
            ang[f"shoulder_flexion_{s}"] = np.full(T, 90.0) if raised else np.degrees(g_thorax) + 83.0
            ang[f"shoulder_abduction_{s}"] = np.full(T, 8.0 if raised else 14.0)
            ang[f"elbow_flexion_{s}"] = np.full(T, 4.0)

    root = np.stack([H[:, 0], np.zeros(T), H[:, 1]], -1)
    top = u >= 0.8
    active = {}
    if bb:
        active["back_butt"] = top.copy()
    if inc:
        active["incomplete_lockout"] = top.copy()
    if valg:
        active["knee_valgus"] = u >= 0.5
    if neck:
        active["neck"] = top.copy()
    holds = [{"start_s": r["top_start_s"], "end_s": r["top_end_s"]} for r in reps]
    center = np.array([(S[0] + Ank[0]) / 2 - 0.1, 0.0, 0.25 if not thrust else 0.35])
    extra = {"lift_fraction": u}
    props = []
    if thrust:  # bench: edge just below the shoulder blades, head end towards -x
        props.append({"kind": "bench", "lo": [-1.0, -0.28, 0.0], "hi": [0.04, 0.28, knobs["bench_m"]]})
    return Motion(name, t, ang, root, SUPINE, True, active, {"reps": reps, "holds": holds}, 0.0, center, extra,
                  props=props, knobs=dict(knobs), anthro=A)


def bridge(t, knobs, seconds):
    return _lying("bridge", t, knobs, seconds, thrust=False)


def bridge_hold(t, knobs, seconds):
    return _lying("bridge_hold", t, knobs, seconds, thrust=False, hold_only=True)


def single_leg_bridge(t, knobs, seconds):
    k = dict(knobs)
    k["single_leg"] = 1.0
    return _lying("single_leg_bridge", t, k, seconds, thrust=False)


def hip_thrust(t, knobs, seconds):
    return _lying("hip_thrust", t, knobs, seconds, thrust=True)


# ---------------------------------------------------------------------------------------------------------
# standing motions


def _place_standing(ang: dict, A: Anthropometry, weights: Mapping[str, np.ndarray], root_xy0: np.ndarray,
                    anchors: Mapping[str, np.ndarray] | None = None) -> tuple[np.ndarray, dict]:
    """Root positions so that the weighted stance ankles stay at their anchors and the lowest foot touches the floor.

    weights: side ('left'/'right') -> (T,) weight (summing to 1).  root_xy0: (T, 2) extra pelvis offset (sway).
    """
    T = root_xy0.shape[0]
    b0 = forward_kinematics(ang, np.zeros((T, 3)), None, A)
    if anchors is None:
        anchors = {s: _neutral_ankle(A, s) for s in ("left", "right")}
    xy = np.zeros((T, 2))
    for s, w in weights.items():
        xy += w[:, None] * (anchors[s] - b0.lm(f"{s}_ankle")[:, :2])
    xy += root_xy0
    low = np.minimum.reduce([b0.lm(n)[:, 2] for n in ("left_heel", "left_foot_index", "right_heel",
                                                          "right_foot_index")])
    return np.concatenate([xy, -low[:, None]], -1), dict(anchors)


def _neutral_ankle(A: Anthropometry, side: str) -> np.ndarray:
    return np.array([0.0, (1 if side == "left" else -1) * A.hip_sep / 2])


def _plant_feet_laterally(ang: dict, A: Anthropometry, stance: tuple[str, ...], iterations: int = 40) -> None:
    """Solve each stance hip's abduction (deg, per frame) so the ankle keeps its frame-0 sideways offset from the
    pelvis: the feet stay planted while the hips and knees flex and rotate (knee valgus then moves the knees in, not
    the feet). Bisection on hip_abduction within +/-45 deg; edits `ang` in place."""
    T = next(iter(ang.values())).shape[0]
    for s in stance:
        side = "left" if s == "l" else "right"
        key = f"hip_abduction_{s}"
        target = forward_kinematics(ang, np.zeros((T, 3)), None, A).lm(f"{side}_ankle")[0, 1]
        sign = 1.0 if side == "left" else -1.0  # abduction moves the left ankle to +y (left), the right to -y
        lo, hi = np.full(T, -45.0), np.full(T, 45.0)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            ang[key] = mid
            y = forward_kinematics(ang, np.zeros((T, 3)), None, A).lm(f"{side}_ankle")[:, 1]
            too_far_out = sign * (y - target) > 0
            hi = np.where(too_far_out, mid, hi)
            lo = np.where(too_far_out, lo, mid)
        ang[key] = (lo + hi) / 2


def squat(t, knobs, seconds, single=False):
    A = _anthro(knobs)
    T = t.shape[0]
    if single:
        u, reps = rep_profile(t, seconds, up_s=1.3, hold_s=0.3, down_s=1.3, rest_s=0.8)
    else:
        u, reps = rep_profile(t, seconds, up_s=1.4, hold_s=0.3, down_s=1.4, rest_s=0.8)
    # the "lift" of rep_profile is the descent here: u = depth fraction
    depth = knobs["depth_deg"]
    valg = knobs.get("knee_valgus", 0.0)
    ang = zero_angles(T)
    k = depth * u
    d = (0.28 if not single else 0.35) * k
    tilt = (0.32 if not single else 0.3) * k
    h = tilt + k - d
    sides = ("l", "r")
    stance = sides if not single else (("l",) if int(knobs.get("side", 0)) == 0 else ("r",))
    ang["pelvis_tilt"] = tilt
    for s in sides:
        if s in stance:
            ang[f"knee_flexion_{s}"] = k.copy()
            ang[f"hip_flexion_{s}"] = h.copy()
            ang[f"ankle_dorsiflexion_{s}"] = d.copy()
            ang[f"hip_abduction_{s}"] = (4.0 if not single else 0.0) - valg * u
            ang[f"hip_internal_rotation_{s}"] = valg * u - (8.0 if not single else 0.0)
        else:  # free leg held forward, raised as the body goes down (past the pelvis' forward tilt) to stay off the
            # floor: held at a fixed 35 deg it hung below the bent standing leg, and the body stood on it
            ang[f"hip_flexion_{s}"] = 35.0 + tilt + 0.6 * k
            ang[f"knee_flexion_{s}"] = np.full(T, 25.0)
            ang[f"ankle_dorsiflexion_{s}"] = np.full(T, -10.0)
            ang[f"hip_abduction_{s}"] = np.full(T, 3.0)
        ang[f"shoulder_flexion_{s}"] = (70.0 if not single else 60.0) * u + 5.0
        ang[f"shoulder_abduction_{s}"] = np.full(T, 8.0)
        ang[f"elbow_flexion_{s}"] = np.full(T, 10.0)
    if single:
        side = "left" if stance == ("l",) else "right"
        weights = {side: np.ones(T)}
        shift = np.zeros((T, 2))
        # pelvis over the stance foot: stance hip adducted so the foot sits under the body centre
        add = np.degrees(np.arcsin(A.hip_sep / 2 / (A.thigh + A.shank)))
        ang[f"hip_abduction_{stance[0]}"] = ang[f"hip_abduction_{stance[0]}"] - add
        anchors = {side: np.array([0.0, 0.0]), ("right" if side == "left" else "left"): np.zeros(2)}
        root, _ = _place_standing(ang, A, weights, shift, anchors)
    else:
        _plant_feet_laterally(ang, A, stance)
        weights = {"left": np.full(T, 0.5), "right": np.full(T, 0.5)}
        b0 = forward_kinematics(ang, np.zeros((T, 3)), None, A)
        anchors = {s: b0.lm(f"{s}_ankle")[0, :2] - (b0.lm("left_ankle")[0, :2] + b0.lm("right_ankle")[0, :2]) / 2
                   for s in ("left", "right")}
        root, _ = _place_standing(ang, A, weights, np.zeros((T, 2)), anchors)
    active = {"knee_valgus": u >= 0.5} if valg else {}
    name = "single_leg_squat" if single else "squat"
    center = np.array([0.0, 0.0, 0.85 * A.height_m / 1.75 - 0.05])
    return Motion(name, t, ang, root, np.eye(3), False, active, {"reps": reps}, 0.0, center,
                  {"depth_fraction": u}, dict(knobs), A)


def single_leg_squat(t, knobs, seconds):
    return squat(t, knobs, seconds, single=True)


def _g(x, mu, sd):
    """Periodic Gaussian bump on the unit circle (phase x in cycles)."""
    dx = (x - mu + 0.5) % 1.0 - 0.5
    return np.exp(-0.5 * (dx / sd) ** 2)


def walk(t, knobs, seconds):
    """Walking in place on a treadmill (the subject keeps its distance to the camera), facing +x.

    Joint curves are smooth approximations of normative sagittal gait kinematics (Winter 2009, ch. 4 / Perry & Burnfield
    2010): hip flexion +30 deg at heel strike to -10 deg at toe-off, knee stance bump ~15 deg and swing peak ~60 deg,
    ankle push-off plantarflexion ~15 deg.  Normal pelvic obliquity is +-3 deg and lateral sway +-2 cm.
    """
    A = _anthro(knobs)
    T = t.shape[0]
    cad = knobs["cadence"]
    stride_T = 120.0 / cad
    phi_l = (t / stride_T + 0.0) % 1.0
    phi_r = (phi_l + 0.5) % 1.0
    drop = knobs.get("pelvic_drop", 0.0)
    sway_cm = knobs.get("pelvic_sway", 0.0)
    lean = knobs.get("trunk_lean", 0.0)
    scale = knobs["step_length"] / 0.68
    ang = zero_angles(T)

    def hipf(p):
        return 10.0 + 20.0 * scale * np.cos(2 * np.pi * (p - 0.02))

    def kneef(p):
        return 3.0 + 14.0 * _g(p, 0.14, 0.06) + 58.0 * _g(p, 0.72, 0.11)

    def ankf(p):
        return -5.0 * _g(p, 0.06, 0.03) + 9.0 * _g(p, 0.42, 0.11) - 18.0 * _g(p, 0.63, 0.05)

    # single-stance shape: positive while the left foot is in stance and the right swings
    s_l = np.sin(2 * np.pi * phi_l)
    obliq = (3.0 + drop) * s_l  # left side up = right (swing) side dropped
    sway = (0.02 + sway_cm / 100.0) * np.sin(2 * np.pi * (phi_l - 0.03))
    leg = A.thigh + A.shank
    comp = np.degrees(np.arcsin(np.clip(sway / leg, -1, 1)))
    ang["pelvis_obliquity"] = obliq
    ang["pelvis_rotation"] = -4.0 * np.cos(2 * np.pi * phi_l)
    ang["lumbar_lateral"] = -obliq + lean * s_l
    ang["lumbar_rotation"] = 4.0 * np.cos(2 * np.pi * phi_l)
    for s, p, sg in (("l", phi_l, 1.0), ("r", phi_r, -1.0)):
        ang[f"hip_flexion_{s}"] = hipf(p)
        ang[f"knee_flexion_{s}"] = kneef(p)
        ang[f"ankle_dorsiflexion_{s}"] = ankf(p)
        ang[f"hip_abduction_{s}"] = 2.0 - sg * obliq - sg * comp
        ang[f"shoulder_flexion_{s}"] = -14.0 * np.cos(2 * np.pi * p)
        ang[f"shoulder_abduction_{s}"] = np.full(T, 7.0)
        ang[f"elbow_flexion_{s}"] = 18.0 - 8.0 * np.cos(2 * np.pi * p)
    ang["pelvis_tilt"] = np.full(T, 4.0) + 1.5 * np.cos(4 * np.pi * phi_l)
    ang["hip_flexion_l"] = ang["hip_flexion_l"] + 4.0
    ang["hip_flexion_r"] = ang["hip_flexion_r"] + 4.0
    b0 = forward_kinematics(ang, np.zeros((T, 3)), None, A)
    low = np.minimum.reduce([b0.lm(n)[:, 2] for n in ("left_heel", "left_foot_index", "right_heel",
                                                          "right_foot_index")])
    root = np.stack([np.zeros(T), sway, -low], -1)
    # events: heel strike at phase 0, toe-off at 0.6
    strides = []
    n0 = 0
    while n0 * stride_T < seconds + stride_T:
        for side, off in (("left", 0.0), ("right", 0.5)):
            hs = (n0 + off) * stride_T
            if hs + stride_T <= seconds and hs >= 0:
                strides.append({"side": side, "start_s": round(hs, 4), "end_s": round(hs + stride_T, 4),
                                "toe_off_s": round(hs + 0.6 * stride_T, 4),
                                "stance": [round(hs, 4), round(hs + 0.6 * stride_T, 4)]})
        n0 += 1
    strides.sort(key=lambda s: s["start_s"])
    active = {}
    single_stance = (np.abs(s_l) > 0.5)
    if drop:
        active["pelvic_drop"] = single_stance
    if sway_cm:
        active["pelvic_sway"] = single_stance
    if lean:
        active["trunk_lean"] = single_stance
    center = np.array([0.0, 0.0, 0.85 * A.height_m / 1.75])
    extra = {"pelvis_lateral_m": sway, "phase_left": phi_l}
    return Motion("walk", t, ang, root, np.eye(3), False, active,
                  {"strides": strides, "stride_time_s": stride_T, "speed_m_s": knobs["step_length"] * cad / 60,
                   "progression": "treadmill"}, 0.0, center, extra, dict(knobs), A)


def single_leg_stance(t, knobs, seconds):
    """Stand on the left leg, then on the right, each a hold with the free foot lifted behind."""
    A = _anthro(knobs)
    T = t.shape[0]
    drop = knobs.get("pelvic_drop", 0.0)
    lean = knobs.get("trunk_lean", 0.0)
    half = seconds / 2
    lift = 0.6
    holds = []
    w_lift = {"l": np.zeros(T), "r": np.zeros(T)}  # lift fraction of each free leg
    for i, (free, stance) in enumerate((("r", "left"), ("l", "right"))):
        t0, t1 = i * half + 0.5, (i + 1) * half - 0.4
        f = _ramp((t - t0) / lift) * (1 - _ramp((t - (t1 - lift)) / lift))
        w_lift[free] = np.maximum(w_lift[free], f)
        holds.append({"side": stance, "start_s": round(t0 + lift, 4), "end_s": round(t1 - lift, 4)})
    # obliquity: free side dropped (Trendelenburg); lateral weight shift over the stance foot
    only = int(round(knobs.get("drop_side", 0.0)))
    drop_l, drop_r = (drop if only != 2 else 0.0), (drop if only != 1 else 0.0)  # standing on the left / right
    ob = (drop_l * w_lift["r"] - drop_r * w_lift["l"])  # right free -> right side down -> left up (+)
    shift = (A.hip_sep / 2) * (w_lift["r"] - w_lift["l"])  # towards the stance foot (+y = left)
    ang = zero_angles(T)
    ang["pelvis_obliquity"] = ob
    ang["lumbar_lateral"] = -ob + lean * (w_lift["r"] - w_lift["l"])
    leg = A.thigh + A.shank
    comp = np.degrees(np.arcsin(shift / leg))
    for s, sg in (("l", 1.0), ("r", -1.0)):
        w = w_lift[s]
        ang[f"hip_flexion_{s}"] = 25.0 * w
        ang[f"knee_flexion_{s}"] = 75.0 * w
        ang[f"ankle_dorsiflexion_{s}"] = -15.0 * w
        ang[f"hip_abduction_{s}"] = 2.0 - sg * ob - sg * comp
        ang[f"shoulder_abduction_{s}"] = np.full(T, 10.0)
        ang[f"elbow_flexion_{s}"] = np.full(T, 10.0)
    wl = np.clip(0.5 + 0.5 * (w_lift["r"] - w_lift["l"]), 0, 1)
    weights = {"left": wl, "right": 1 - wl}
    root, _ = _place_standing(ang, A, weights, np.zeros((T, 2)))
    active = {}
    stance_any = (w_lift["l"] > 0.8) | (w_lift["r"] > 0.8)
    if drop:  # right foot free = standing on the left
        active["pelvic_drop"] = ((w_lift["r"] > 0.8) & (only != 2)) | ((w_lift["l"] > 0.8) & (only != 1))
    if lean:
        active["trunk_lean"] = stance_any
    center = np.array([0.0, 0.0, 0.85 * A.height_m / 1.75])
    return Motion("single_leg_stance", t, ang, root, np.eye(3), False, active, {"holds": holds}, 0.0, center,
                  {"free_leg_lift_l": w_lift["l"], "free_leg_lift_r": w_lift["r"]}, dict(knobs), A)


MOTION_FUNCS: dict[str, Callable] = {
    "bridge": bridge,
    "bridge_hold": bridge_hold,
    "single_leg_bridge": single_leg_bridge,
    "hip_thrust": hip_thrust,
    "squat": squat,
    "single_leg_squat": single_leg_squat,
    "walk": walk,
    "single_leg_stance": single_leg_stance,
}
MOTIONS: tuple[str, ...] = tuple(MOTION_FUNCS)
LYING_MOTIONS = frozenset({"bridge", "bridge_hold", "single_leg_bridge", "hip_thrust"})


def validate(motion: str, knobs: Mapping[str, float]) -> dict[str, float]:
    """Check names; return knobs with defaults filled in.  ValueError (one line, listing choices) otherwise."""
    if motion not in MOTION_FUNCS:
        raise ValueError(f"unknown motion {motion!r}; valid motions: {', '.join(MOTIONS)}")
    valid = {**FAULTS[motion], **PARAMS[motion]}
    out: dict[str, float] = {}
    for k, v in knobs.items():
        if k not in valid:
            raise ValueError(f"unknown fault {k!r} for {motion}; valid: {', '.join(valid) or '(none)'}")
        try:
            fv = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"fault {k!r} needs a number, got {v!r}") from None
        if not np.isfinite(fv):
            raise ValueError(f"fault {k!r} needs a finite number, got {v!r}")
        lo, hi = FAULT_RANGES.get(k, (-np.inf, np.inf))
        if not lo <= fv <= hi:
            raise ValueError(f"fault {k!r} must be between {lo:g} and {hi:g} ({valid[k].split(':')[0]}), got {fv:g}")
        out[k] = fv
    full = {k: DEFAULTS[k] for k in PARAMS[motion] if k in DEFAULTS}
    full.update(MOTION_DEFAULTS.get(motion, {}))
    full.update(out)
    return full


def make_motion(motion: str, knobs: Mapping[str, float], seconds: float, fps: float, body: str = "default"
                ) -> Motion:
    """Validate and evaluate a motion at frame times i / fps for ``seconds``, for the body shape ``body``
    (``formcheck.synth.body.BODY_SHAPES``)."""
    body_shape(body)
    full = validate(motion, knobs)
    full["_body"] = body  # type: ignore[assignment]
    n = int(round(seconds * fps))
    if n < 2:
        raise ValueError(f"seconds must give at least 2 frames, got {seconds} s at {fps} fps")
    t = np.arange(n) / fps
    m = MOTION_FUNCS[motion](t, full, seconds)
    m.knobs = {k: v for k, v in full.items() if k != "_body"}
    return m

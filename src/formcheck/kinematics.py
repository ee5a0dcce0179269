"""Named angle and distance series: pure functions of a PoseTrack (or of plain arrays).

Conventions used throughout (each function's docstring repeats the ones it uses):

* **Image plane, pixels.** View-dependent 2D measures use landmark x, y scaled by the frame size
  (``track.xy_px``), so a degree is a degree whatever the aspect ratio. Image x points right, image y
  points *down*; "up" below always means image up (-y).
* **World.** ``*_3d`` measures use MediaPipe world landmarks (metres, hip-centred, y down, axes aligned
  with the camera, not with gravity).
* **NaN in, NaN out.** A frame where any landmark a measure needs is NaN gives NaN for that measure, as
  does a degenerate geometry (zero-length segment). Nothing is filled or smoothed here (see ``clean``).
* **Left / right** are the person's anatomical sides as MediaPipe labels them. Signed lateral measures
  (pelvic obliquity, displacement, trunk lean, FPPA) are defined from the person's own hip line, so
  they mean the same thing from the front and from the back. Mirroring an image *and* swapping the
  left/right labels (what a mirrored video does to MediaPipe's output) swaps left and right FPPA and
  flips the sign of obliquity, displacement and lean.

The registry ``SERIES`` maps each series name to ``SeriesDef(func, unit, description)``; ``compute``
evaluates them into a frozen ``Kinematics``. Normalisers and reference levels (torso length, hip width,
facing, near side, resting hip position) come from a ``BodyReference``: by default measured over the whole
track (``measure_body``); a live analysis measures it over its first seconds and passes it in.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Iterable, Literal, Mapping, NamedTuple

import numpy as np

from formcheck.signal_filters import running_median
from formcheck.track import PoseTrack

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


def other_side(side: Side) -> Side:
    """The other side: "left" -> "right" and back."""
    return "right" if side == "left" else "left"


def _check_side(side: str) -> Side:
    if side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    return side  # type: ignore[return-value]


def _nanmedian(x: np.ndarray, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=axis)


def _nanmean(x: np.ndarray, axis=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


# --------------------------------------------------------------------------------------------------
# primitives: arrays in, degrees out
# --------------------------------------------------------------------------------------------------
def _points(a, b, c, dim: int) -> tuple[np.ndarray, np.ndarray]:
    a, b, c = (np.asarray(p, dtype=float) for p in (a, b, c))
    for p in (a, b, c):
        if p.shape[-1:] != (dim,):
            raise ValueError(f"points must have last dimension {dim}, got shape {p.shape}")
    return a - b, c - b


def _unsigned(u: np.ndarray, v: np.ndarray, cross_norm: np.ndarray) -> np.ndarray:
    dot = np.sum(u * v, axis=-1)
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    ang = np.degrees(np.arctan2(cross_norm, dot))
    return np.where((nu > 0) & (nv > 0), ang, np.nan)


def angle_2d(a, b, c) -> np.ndarray:
    """Unsigned angle at vertex ``b`` between rays b->a and b->c, in the plane.

    a, b, c : (..., 2) arrays, one consistent unit (use pixels for image measures).
    Returns (...,) deg in [0, 180]; 180 = a, b, c collinear with b between; NaN if any input is NaN
    or either ray has zero length. Symmetric in a and c; invariant to rotation, translation and
    uniform scale (not to anisotropic scale: hence pixels, not normalised coordinates).
    """
    u, v = _points(a, b, c, 2)
    cross = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    return _unsigned(u, v, np.abs(cross))


def angle_3d(a, b, c) -> np.ndarray:
    """Unsigned angle at vertex ``b`` between rays b->a and b->c in 3D.

    a, b, c : (..., 3) arrays (world landmarks, metres). Returns (...,) deg in [0, 180], NaN if any
    input is NaN or a ray has zero length. Symmetric in a and c.
    """
    u, v = _points(a, b, c, 3)
    return _unsigned(u, v, np.linalg.norm(np.cross(u, v), axis=-1))


def signed_angle_2d(a, b, c) -> np.ndarray:
    """Signed rotation at ``b`` from ray b->a to ray b->c, in image coordinates (y down).

    Returns (...,) deg in (-180, 180]; positive = counter-clockwise *as seen on screen* (so
    b->a pointing right and b->c pointing up on screen gives +90). abs() equals ``angle_2d``;
    swapping a and c negates it. NaN as in ``angle_2d``.
    """
    u, v = _points(a, b, c, 2)
    cross_img = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    dot = np.sum(u * v, axis=-1)
    ang = np.degrees(np.arctan2(-cross_img, dot))
    ang = np.where(ang == -180.0, 180.0, ang)
    ok = (np.linalg.norm(u, axis=-1) > 0) & (np.linalg.norm(v, axis=-1) > 0)
    return np.where(ok, ang, np.nan)


def signed_distance_above_line(p, s, k) -> np.ndarray:
    """Perpendicular distance of point ``p`` from the infinite line through ``s`` and ``k`` (image, y down).

    Positive = p lies on the image-up side of the line (toward -y). Unit: that of the inputs (pixels).
    NaN if any input is NaN, if s == k, or if the line is exactly vertical in the image (then "up" does
    not pick a side). The sign becomes unstable as the line approaches vertical, so use it for lines
    that are far from vertical (a lying body seen from the side).
    """
    p, s, k = (np.asarray(q, dtype=float) for q in (p, s, k))
    line = k - s
    length = np.linalg.norm(line, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # normal (ly, -lx) points up (ny < 0) when lx > 0; flip otherwise
        sign = np.sign(line[..., 0])
        nx = sign * line[..., 1] / length
        ny = -sign * line[..., 0] / length
        d = (p[..., 0] - s[..., 0]) * nx + (p[..., 1] - s[..., 1]) * ny
    return np.where((length > 0) & (line[..., 0] != 0), d, np.nan)


def elevation_2d(frm, to) -> np.ndarray:
    """Angle of the segment frm->to above the image horizontal, facing-independent.

    frm, to : (..., 2) pixels (y down). Returns deg in [-90, 90]: +90 = ``to`` straight above ``frm``,
    0 = level, -90 = straight below. Uses |dx|, so it does not depend on which way the person faces.
    NaN if any input is NaN or the points coincide.
    """
    frm, to = np.asarray(frm, dtype=float), np.asarray(to, dtype=float)
    dx = np.abs(to[..., 0] - frm[..., 0])
    up = -(to[..., 1] - frm[..., 1])
    ang = np.degrees(np.arctan2(up, dx))
    return np.where((dx > 0) | (up != 0), ang, np.nan)


# --------------------------------------------------------------------------------------------------
# track helpers
# --------------------------------------------------------------------------------------------------
def _px(track: PoseTrack, name: str) -> np.ndarray:
    return track.xy_px(name)


def _mid_px(track: PoseTrack, a: str, b: str) -> np.ndarray:
    return 0.5 * (_px(track, a) + _px(track, b))


def mid_shoulder_px(track: PoseTrack) -> np.ndarray:
    """(T, 2) pixels: midpoint of the two shoulders."""
    return _mid_px(track, "left_shoulder", "right_shoulder")


def mid_hip_px(track: PoseTrack) -> np.ndarray:
    """(T, 2) pixels: midpoint of the two hips."""
    return _mid_px(track, "left_hip", "right_hip")


def torso_length_series_px(track: PoseTrack) -> np.ndarray:
    """(T,) pixels: image distance mid-shoulder to mid-hip per frame (>= 0, NaN where undetected)."""
    return np.linalg.norm(mid_shoulder_px(track) - mid_hip_px(track), axis=-1)


def torso_length_px(track: PoseTrack) -> float:
    """Pixels: median over the track of the mid-shoulder to mid-hip image distance (NaN if never seen).

    The normaliser for "torso lengths". Foreshortened (small) when the trunk points at the camera.
    """
    return float(_nanmedian(torso_length_series_px(track)))


def hip_width_px(track: PoseTrack) -> float:
    """Pixels: median over the track of the left-hip to right-hip image distance (NaN if never seen)."""
    return float(_nanmedian(np.linalg.norm(_px(track, "left_hip") - _px(track, "right_hip"), axis=-1)))


def _person_left_sign(track: PoseTrack) -> float:
    """+1 if the person's left hip is usually at larger image x (facing the camera), -1 if smaller, else NaN."""
    dx = _px(track, "left_hip")[:, 0] - _px(track, "right_hip")[:, 0]
    med = _nanmedian(dx)
    if not np.isfinite(med) or med == 0:
        return float("nan")
    return float(np.sign(med))


_SIDE_JOINTS = ("shoulder", "hip", "knee", "ankle")


def near_side(track: PoseTrack, *, min_visibility_gap: float = 0.05) -> Side:
    """The side (``'left'``/``'right'``) nearer the camera, for a side view.

    Heuristic: the side whose shoulder, hip, knee and ankle have the higher mean visibility, when the
    means differ by at least ``min_visibility_gap``; otherwise the side with the smaller mean image z
    (MediaPipe: smaller z = closer to the camera). Falls back to ``'left'`` when nothing is known.
    """
    vis = {s: _nanmean(np.concatenate([track.visibility(f"{s}_{j}") for j in _SIDE_JOINTS])) for s in SIDES}
    if np.isfinite(vis["left"]) and np.isfinite(vis["right"]) and abs(vis["left"] - vis["right"]) >= min_visibility_gap:
        return "left" if vis["left"] > vis["right"] else "right"
    z = {
        s: _nanmean(np.concatenate([track.joint(f"{s}_{j}")[:, 2] for j in _SIDE_JOINTS]))
        for s in SIDES
    }
    if np.isfinite(z["left"]) and np.isfinite(z["right"]) and z["left"] != z["right"]:
        return "left" if z["left"] < z["right"] else "right"
    return "left"


_SEGMENTS = {"thigh": ("hip", "knee"), "shank": ("knee", "ankle")}


def segment_length_series_px(track: PoseTrack, side: Side, segment: str) -> np.ndarray:
    """(T,) pixels: image length of one leg segment ("thigh": hip-knee, "shank": knee-ankle), NaN where unseen."""
    _check_side(side)
    a, b = _SEGMENTS[segment]
    return np.linalg.norm(_px(track, f"{side}_{a}") - _px(track, f"{side}_{b}"), axis=-1)


def _full_segment_length_px(track: PoseTrack, side: Side, segment: str) -> float:
    """Pixels: a segment's usual full image length, the 90th percentile over the track (NaN if never seen)."""
    length = segment_length_series_px(track, side, segment)
    return float(np.nanpercentile(length, 90)) if np.isfinite(length).any() else float("nan")


@dataclass(frozen=True)
class BodyReference:
    """The person's size, facing and place in the image, measured once and held fixed: the normalisers and
    reference levels that the series below would otherwise take as medians over the whole track.

    Offline (``measure_body`` on the whole track, what ``compute`` does by default) every series comes out as
    before. A live analysis measures it over a calibration window (``measure_body(track, first_s=...)``) and
    passes it to ``compute``, so each frame's values depend only on that window and the frame itself.

    torso_length_px   pixels: median mid-shoulder to mid-hip image distance ("torso lengths" divide by it)
    hip_width_px      pixels: median left-hip to right-hip image distance ("hip widths")
    left_sign         +1 when the person's left hip is usually at larger image x (facing the camera), -1 when at
                      smaller x (back to the camera), NaN when unknown
    near_side         'left' | 'right': the side nearer the camera (``near_side``)
    mid_hip_px        (x, y) pixels: median mid-hip position, the zero of ``hip_rise`` and ``pelvic_displacement``
    full_segment_px   pixels: each leg segment's usual full image length, keys "left_thigh", "right_shank", ...
                      (90th percentile; ``knee_flexion_foreshortening``)
    start_s, end_s    seconds: the span it was measured over (end: the last frame's timestamp)
    frames_seen       frames with the person found in that span
    """

    torso_length_px: float
    hip_width_px: float
    left_sign: float
    near_side: Side
    mid_hip_px: tuple[float, float]
    full_segment_px: Mapping[str, float]
    start_s: float = float("nan")
    end_s: float = float("nan")
    frames_seen: int = 0


def calibration_frames(track: PoseTrack, first_s: float) -> slice:
    """Frames from the start through the one where the person has been found for ``first_s`` seconds in total
    (detected frames x the frame period; frames without the person do not count). The whole track when it never
    gets there. ``first_s`` in seconds, > 0."""
    if not first_s > 0:
        raise ValueError(f"first_s must be > 0 seconds, got {first_s}")
    seen_s = np.cumsum(track.detected) / track.fps
    enough = np.flatnonzero(seen_s >= first_s - 1e-9)
    return slice(0, int(enough[0]) + 1 if enough.size else len(track))


def measure_body(track: PoseTrack, *, first_s: float | None = None) -> BodyReference:
    """The ``BodyReference`` of ``track``: over the whole track (``first_s=None``, the offline default), or over
    its calibration window, the frames up to ``first_s`` seconds with the person found (``calibration_frames``)."""
    window = track if first_s is None else track[calibration_frames(track, first_s)]
    mid = mid_hip_px(window)
    t = window.timestamps_s
    return BodyReference(
        torso_length_px=torso_length_px(window),
        hip_width_px=hip_width_px(window),
        left_sign=_person_left_sign(window),
        near_side=near_side(window),
        mid_hip_px=(float(_nanmedian(mid[:, 0])), float(_nanmedian(mid[:, 1]))),
        full_segment_px={f"{s}_{g}": _full_segment_length_px(window, s, g) for s in SIDES for g in _SEGMENTS},
        start_s=float(t[0]) if len(t) else float("nan"),
        end_s=float(t[-1]) if len(t) else float("nan"),
        frames_seen=int(window.detected.sum()),
    )


# --------------------------------------------------------------------------------------------------
# sagittal (side view) measures
# --------------------------------------------------------------------------------------------------
def trunk_thigh_angle(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [0, 180]: image angle shoulder-hip-knee on one side (180 = straight line). 2D, pixels."""
    _check_side(side)
    return angle_2d(_px(track, f"{side}_shoulder"), _px(track, f"{side}_hip"), _px(track, f"{side}_knee"))


def hip_height_px(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) pixels, signed: distance of the hip from the shoulder-knee line, + = hip above it (image up).

    One side's shoulder, hip and knee. NaN where the line is vertical (see
    ``signed_distance_above_line``): a measure for lying poses.
    """
    _check_side(side)
    return signed_distance_above_line(
        _px(track, f"{side}_hip"), _px(track, f"{side}_shoulder"), _px(track, f"{side}_knee")
    )


def hip_height(track: PoseTrack, side: Side, body: BodyReference | None = None) -> np.ndarray:
    """(T,) torso lengths, signed: hip distance from the shoulder-knee line, + = above (image up).

    ``hip_height_px`` divided by the torso length (``body``'s, else the track median). 0 = hip on the line
    (straight bridge); > 0 = hips pushed past the line (in a supine bridge: arching). Typical range -1.5..0.5.
    """
    torso = body.torso_length_px if body is not None else torso_length_px(track)
    return hip_height_px(track, side) / torso


def trunk_thigh_signed(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [0, 360): shoulder-hip-knee angle measured on the floor side (below the body line).

    Equals ``trunk_thigh_angle`` while the hip is on or below the shoulder-knee line (a flexed hip,
    < 180) and ``360 - trunk_thigh_angle`` when the hip is above the line (toward image up), so
    > 180 = hip extended past straight (hips pushed above the line in a supine bridge). Image plane,
    pixels. NaN where ``hip_height_px`` is NaN (including a vertical shoulder-knee line: this is a
    lying-pose measure; for standing use ``trunk_thigh_angle``).
    """
    unsigned = trunk_thigh_angle(track, side)
    h = hip_height_px(track, side)
    return np.where(np.isnan(h), np.nan, np.where(h > 0, 360.0 - unsigned, unsigned))


def trunk_angle(track: PoseTrack) -> np.ndarray:
    """(T,) deg in [-90, 90]: elevation of mid-shoulder above mid-hip relative to the image horizontal.

    +90 = upright (shoulders straight above hips), 0 = trunk level (lying flat, or a hip thrust at the
    top), < 0 = shoulders below the hips (top of a floor bridge). Facing-independent (|dx|). 2D, pixels.
    """
    return elevation_2d(mid_hip_px(track), mid_shoulder_px(track))


def thigh_angle(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [-90, 90]: elevation of the knee above the hip relative to the image horizontal.

    -90 = thigh hanging straight down (standing), 0 = thigh level (parallel squat), > 0 = knee above
    the hip (a bridge; falls toward 0 as the hips rise). Facing-independent. 2D, pixels.
    """
    _check_side(side)
    return elevation_2d(_px(track, f"{side}_hip"), _px(track, f"{side}_knee"))


def knee_flexion(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [0, 180]: 180 - image angle hip-knee-ankle (0 = straight leg). 2D, pixels.

    View-dependent: true flexion only in a side view; see ``knee_flexion_3d``.
    """
    _check_side(side)
    return 180.0 - angle_2d(_px(track, f"{side}_hip"), _px(track, f"{side}_knee"), _px(track, f"{side}_ankle"))


def knee_flexion_3d(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [0, 180]: 180 - world angle hip-knee-ankle (0 = straight). World landmarks, any view."""
    _check_side(side)
    return 180.0 - angle_3d(track.world(f"{side}_hip"), track.world(f"{side}_knee"), track.world(f"{side}_ankle"))


def knee_flexion_foreshortening(track: PoseTrack, side: Side, body: BodyReference | None = None) -> np.ndarray:
    """(T,) deg, >= 0: knee flexion seen face-on (front or back view), from how much the thigh and shank shrink.

    A thigh tipped toward the camera by a shows at cos(a) of its full image length, a shank tipped by b at cos(b);
    knee flexion is about a + b. Full lengths = each segment's 90th-percentile image length in the track (a clip
    that starts or rests standing), or ``body.full_segment_px`` when a body reference is given. 2D, pixels:
    MediaPipe's world landmarks flatten a knee bend seen from the front (by ~20 deg at 40-80 deg of flexion on the
    rendered squats), this does less. Meaningless in a side view.
    """
    _check_side(side)
    total = np.zeros(len(track))
    for segment in _SEGMENTS:
        length = segment_length_series_px(track, side, segment)
        full = body.full_segment_px[f"{side}_{segment}"] if body is not None else _full_segment_length_px(
            track, side, segment)
        total = total + np.degrees(np.arccos(np.clip(length / full, 0.0, 1.0)))
    return total


def trunk_elevation_world(track: PoseTrack) -> np.ndarray:
    """(T,) deg in [-90, 90]: elevation of world mid-shoulder above world mid-hip.

    Horizontal = the world x-z plane (camera-aligned: equals gravity only for a level camera).
    +90 upright, 0 lying, < 0 shoulders lower than hips. Useful when the trunk points at the camera.
    """
    d = 0.5 * (track.world("left_shoulder") + track.world("right_shoulder")) - 0.5 * (
        track.world("left_hip") + track.world("right_hip")
    )
    horiz = np.hypot(d[:, 0], d[:, 2])
    up = -d[:, 1]
    ang = np.degrees(np.arctan2(up, horiz))
    return np.where((horiz > 0) | (up != 0), ang, np.nan)


def hip_rise(track: PoseTrack, body: BodyReference | None = None) -> np.ndarray:
    """(T,) torso lengths, signed: mid-hip height in the image relative to its track median, + = higher.

    -(y_midhip - median y_midhip) / torso_length_px; with a body reference, its ``mid_hip_px`` y and torso
    length instead of the track's. A view-independent rep signal (bridge lift, squat descent shows as
    negative). 2D, pixels.
    """
    y = mid_hip_px(track)[:, 1]
    if body is not None:
        return -(y - body.mid_hip_px[1]) / body.torso_length_px
    return -(y - _nanmedian(y)) / torso_length_px(track)


# --------------------------------------------------------------------------------------------------
# frontal (front / back / feet view) measures
# --------------------------------------------------------------------------------------------------
def fppa(track: PoseTrack, side: Side) -> np.ndarray:
    """(T,) deg in [-180, 180]: frontal-plane projection angle of one leg, signed.

    Magnitude = image angle between the thigh (hip->knee) and the shank (knee->ankle), i.e.
    180 - angle hip-knee-ankle (0 = straight). Sign: + when the knee lies medially of the hip-ankle
    line (toward the other hip: valgus), - when laterally (varus). Medial is taken from the hip line
    itself, so the sign holds from the front, the back or the feet. 2D, pixels; only meaningful in a
    front/back/feet view, and inflated when the shank points at the camera (deep knee flexion).
    """
    _check_side(side)
    h, k, a = _px(track, f"{side}_hip"), _px(track, f"{side}_knee"), _px(track, f"{side}_ankle")
    medial = _px(track, f"{other_side(side)}_hip") - h
    mag = 180.0 - angle_2d(h, k, a)
    ha = a - h
    hk = k - h
    with np.errstate(invalid="ignore", divide="ignore"):
        proj = np.sum(hk * ha, axis=-1) / np.sum(ha * ha, axis=-1)
    offset = hk - proj[:, None] * ha
    sign = np.sign(np.sum(offset * medial, axis=-1))
    return np.where(np.isnan(sign), np.nan, sign * mag)


def knee_ankle_separation_ratio(track: PoseTrack) -> np.ndarray:
    """(T,) ratio >= 0: image knee-to-knee distance / ankle-to-ankle distance.

    < 1 = knees closer together than the ankles (both caving in), 1 = aligned. NaN where the ankles
    coincide. 2D, pixels; front/back/feet views.
    """
    kd = np.linalg.norm(_px(track, "left_knee") - _px(track, "right_knee"), axis=-1)
    ad = np.linalg.norm(_px(track, "left_ankle") - _px(track, "right_ankle"), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ad > 0, kd / ad, np.nan)


def pelvic_obliquity(track: PoseTrack) -> np.ndarray:
    """(T,) deg in [-90, 90]: tilt of the hip-to-hip line from the image horizontal.

    + = the person's LEFT hip is lower in the image than the right hip, - = right hip lower.
    Facing-independent (|dx|), so the same from the front and the back. 2D, pixels; front/back views.
    """
    lh, rh = _px(track, "left_hip"), _px(track, "right_hip")
    dy = lh[:, 1] - rh[:, 1]
    dx = np.abs(lh[:, 0] - rh[:, 0])
    ang = np.degrees(np.arctan2(dy, dx))
    return np.where((dx > 0) | (dy != 0), ang, np.nan)


def pelvic_displacement(track: PoseTrack, *, window_s: float | None = None,
                        body: BodyReference | None = None) -> np.ndarray:
    """(T,) hip widths, signed: lateral (image x) position of the mid-hip relative to a reference.

    Reference = the track median of mid-hip x (``window_s=None``) or a centred running median (signal_filters) over
    ``window_s`` seconds (removes walking across the frame). + = displaced toward the person's LEFT
    (direction taken from the track's usual left/right hip order, so front and back views agree).
    Divided by ``hip_width_px`` (track median). With a body reference (and ``window_s=None``) its mid-hip x,
    facing and hip width replace the track's. 2D, pixels; front/back views.
    """
    x = mid_hip_px(track)[:, 0]
    if body is not None and window_s is None:
        return body.left_sign * (x - body.mid_hip_px[0]) / body.hip_width_px
    if window_s is None:
        ref = _nanmedian(x)
    else:
        ref = running_median(x, 2 * max(0, int(round(window_s * track.fps / 2))) + 1)
    return _person_left_sign(track) * (x - ref) / hip_width_px(track)


def trunk_lean(track: PoseTrack, body: BodyReference | None = None) -> np.ndarray:
    """(T,) deg in (-180, 180]: lateral lean of the trunk (mid-hip->mid-shoulder) from image vertical.

    0 = upright, + = shoulders displaced toward the person's LEFT, - = toward the right (direction
    from the track's usual hip order, or ``body.left_sign``, so front and back views agree). 2D, pixels;
    front/back views.
    """
    d = mid_shoulder_px(track) - mid_hip_px(track)
    s = body.left_sign if body is not None else _person_left_sign(track)
    ang = np.degrees(np.arctan2(s * d[:, 0], -d[:, 1]))
    return np.where(np.linalg.norm(d, axis=-1) > 0, ang, np.nan)


# --------------------------------------------------------------------------------------------------
# head and neck
# --------------------------------------------------------------------------------------------------
def neck_angle(track: PoseTrack) -> np.ndarray:
    """(T,) deg in [0, 180]: angle between the trunk line (mid-hip->mid-shoulder) and the neck line
    (mid-shoulder->ear midpoint). 0 = head in line with the trunk; grows with flexion or extension
    (unsigned). 2D, pixels; side view.
    """
    ears = _mid_px(track, "left_ear", "right_ear")
    return 180.0 - angle_2d(mid_hip_px(track), mid_shoulder_px(track), ears)


def chin_chest(track: PoseTrack, body: BodyReference | None = None) -> np.ndarray:
    """(T,) torso lengths >= 0: image distance nose to mid-shoulder / torso length (``body``'s, else the
    track median ``torso_length_px``).

    Small = chin tucked to the chest. 2D, pixels.
    """
    torso = body.torso_length_px if body is not None else torso_length_px(track)
    return np.linalg.norm(_px(track, "nose") - mid_shoulder_px(track), axis=-1) / torso


# --------------------------------------------------------------------------------------------------
# registry and compute()
# --------------------------------------------------------------------------------------------------
class SeriesDef(NamedTuple):
    """One named series: how to compute it from a track and its body reference, its unit, and what it means."""

    func: Callable[[PoseTrack, BodyReference], np.ndarray]
    unit: str
    description: str


SERIES: dict[str, SeriesDef] = {}


def _reg(name: str, func: Callable[..., np.ndarray], unit: str, description: str, *, body: bool = False) -> None:
    """Register ``func(track)``, or ``func(track, body)`` when it reads the body reference (``body=True``)."""
    call = func if body else (lambda t, b: func(t))
    SERIES[name] = SeriesDef(call, unit, description)


def _sided(name: str, func: Callable[..., np.ndarray], unit: str, description: str, *, body: bool = False) -> None:
    """Register ``func(track, side)`` (``func(track, side, body)`` with ``body=True``) for left, right and the
    body reference's near side."""
    def one(t: PoseTrack, b: BodyReference, s: Side) -> np.ndarray:
        return func(t, s, b) if body else func(t, s)

    for s in SIDES:
        _reg(f"{name}_{s}", (lambda t, b, s=s: one(t, b, s)), unit, f"{description} ({s} side)", body=True)
    _reg(f"{name}_near", (lambda t, b: one(t, b, b.near_side)), unit, f"{description} (side nearer the camera)",
         body=True)


_sided("trunk_thigh_angle", trunk_thigh_angle, "deg", "shoulder-hip-knee image angle, 180 = straight, [0, 180]")
_sided("trunk_thigh_signed", trunk_thigh_signed, "deg",
       "shoulder-hip-knee angle on the floor side, > 180 = hip past the shoulder-knee line, [0, 360)")
_sided("hip_height", hip_height, "torso lengths", "hip distance above the shoulder-knee line, + = above (image up)",
       body=True)
_reg("trunk_angle", trunk_angle, "deg", "elevation of mid-shoulder above mid-hip in the image, [-90, 90], 90 = upright")
_sided("thigh_angle", thigh_angle, "deg", "elevation of knee above hip in the image, [-90, 90], -90 = hanging")
_sided("knee_flexion", knee_flexion, "deg", "180 - image hip-knee-ankle angle, 0 = straight")
_sided("knee_flexion_3d", knee_flexion_3d, "deg", "180 - world hip-knee-ankle angle, 0 = straight")
_sided("knee_flexion_foreshortening", knee_flexion_foreshortening, "deg",
       "thigh + shank tilt toward the camera from their image shortening (front/back views), 0 = straight", body=True)
_reg("trunk_elevation_world", trunk_elevation_world, "deg", "elevation of world mid-shoulder above mid-hip, [-90, 90]")
_reg("hip_rise", hip_rise, "torso lengths", "mid-hip image height relative to its median, + = higher", body=True)
for _s in SIDES:
    _reg(f"fppa_{_s}", (lambda t, s=_s: fppa(t, s)), "deg",
         f"frontal-plane projection angle ({_s}), + = knee medial (valgus), - = varus")
_reg("knee_ankle_ratio", knee_ankle_separation_ratio, "ratio", "knee separation / ankle separation, < 1 = knees closer")
_reg("pelvic_obliquity", pelvic_obliquity, "deg", "hip line tilt from horizontal, + = left hip lower")
_reg("pelvic_displacement", (lambda t, b: pelvic_displacement(t, body=b)), "hip widths",
     "mid-hip x from its track median, + = toward the person's left", body=True)
_reg("trunk_lean", trunk_lean, "deg", "trunk from image vertical, + = shoulders toward the person's left", body=True)
_reg("neck_angle", neck_angle, "deg", "trunk line vs neck line (mid-shoulder->ears), 0 = aligned, unsigned")
_reg("chin_chest", chin_chest, "torso lengths", "nose to mid-shoulder distance, small = chin on chest", body=True)


@dataclass(frozen=True, eq=False)
class Kinematics:
    """Named (T,) series computed from one track, with their units (see ``SERIES``)."""

    timestamps_s: np.ndarray
    series: Mapping[str, np.ndarray]
    near_side: Side
    torso_length_px: float
    body: BodyReference | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.series[name]
        except KeyError:
            raise ValueError(f"unknown series {name!r}; valid names: {', '.join(self.series)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.series

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.series)

    def unit(self, name: str) -> str:
        self[name]
        return SERIES[name].unit

    def description(self, name: str) -> str:
        self[name]
        return SERIES[name].description


def compute(track: PoseTrack, names: Iterable[str] | None = None, *, body: BodyReference | None = None) -> Kinematics:
    """Evaluate the registered series (all, or ``names``) on ``track``; ValueError for an unknown name.

    ``body``: the normalisers, facing and near side to use (``measure_body``); None measures them over the whole
    track (offline). With a body reference every series at frame i depends only on frame i, except
    ``pelvic_displacement`` with a running window (not in the registry), so a growing track gives the same
    values for the frames it already had.
    """
    wanted = list(SERIES) if names is None else list(names)
    unknown = [n for n in wanted if n not in SERIES]
    if unknown:
        raise ValueError(f"unknown series {', '.join(map(repr, unknown))}; valid names: {', '.join(SERIES)}")
    body = body if body is not None else measure_body(track)
    out = {}
    for n in wanted:
        arr = np.asarray(SERIES[n].func(track, body), dtype=float)
        arr.setflags(write=False)
        out[n] = arr
    return Kinematics(
        timestamps_s=track.timestamps_s,
        series=out,
        near_side=body.near_side,
        torso_length_px=body.torso_length_px,
        body=body,
    )

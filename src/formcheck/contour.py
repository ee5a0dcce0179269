"""The back's outline from a person segmentation mask, and the lumbar measures it gives. Pure numpy/scipy.

MediaPipe's 33 landmarks have no lower-back point. In a side view the person mask (PoseLandmarker with
``output_segmentation_masks=True``) outlines the back; this module traces that outline between the shoulder and the
hip, keeps a small fixed set of named points per frame, and measures the lumbar curve from them.

Coordinates: image pixels in the tracing functions (x right, y down); the points kept in a PoseTrack
(``PoseTrack.dorsal_contour``, (T, K, 3)) are x, y normalised to the frame [0, 1] like the landmarks, plus a
confidence in [0, 1]; NaN rows where no contour was traced (frame not sampled, contour hidden or ambiguous).

Along the body we use ``u``, the position projected on the shoulder->hip axis: 0 at the shoulder landmark, 1 at the
hip landmark (on the synthetic body T12 is at u ~= 0.44 and L5/S1 at u ~= 0.79, Winter 2009 proportions).
The named points (DORSAL_POINT_NAMES):

    thoracic_upper, thoracic_lower   two points on the line fitted to the upper-trunk outline (u 0.08..0.40)
    lumbar_apex                      the outline point deepest (most ventral) below the chord from thoracic_lower
                                     to sacral_upper, searched in u 0.40..0.85
    sacral_upper, sacral_lower       two points on the line fitted to the pelvis outline (u 0.80..1.05)

The lumbar measures (``lumbar_angle_deg``, ``lumbar_apex_depth``) are pure functions of these points.

In a floor bridge the arm lying on the floor is in front of the upper back in a side view, so the back's outline is
hidden there; the front's outline (chest and belly) stays in view. ``trace_ventral_contour`` fits a line to the chest
(CHEST_U) and one to the belly (BELLY_U), kept as VENTRAL_POINT_NAMES in ``PoseTrack.ventral_contour``, and
``rib_flare_deg`` is the chest line's turn towards the back from the belly line: the ribs flaring up as the lumbar
spine extends.

    contour = trace_dorsal_contour(mask, shoulder_px, hip_px, dorsal_normal_px)   # one frame
    points = contour_points(track, masks)                                           # (T, K, 3) for a track
    angle = lumbar_angle_deg(points, dorsal_sign)                                   # (T,) deg, + = extension
    front = trace_ventral_contour(mask, shoulder_px, hip_px, dorsal_normal_px)      # chest and belly lines
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import ndimage

from formcheck.track import DORSAL_POINT_NAMES, VENTRAL_POINT_NAMES, PoseTrack

# u windows (see module docstring)
THORACIC_U = (0.05, 0.38)
PELVIS_U = (0.83, 1.03)
APEX_U = (0.40, 0.85)
TRACE_U = (-0.02, 1.08)
# Where the two points of each fitted tangent line are put (u)
THORACIC_POINT_U = (0.08, 0.38)
SACRAL_POINT_U = (0.83, 1.02)

# A back outline farther from the shoulder-hip axis than this (torso lengths) is not the back: an arm lying on the
# floor under a lifted back, a bench, or the floor itself merged into the mask. Nearer than MIN: the axis runs along
# the outline (landmarks off the body). The synthetic body's back is 0.15-0.30 torso lengths from the axis; real
# backs on the bridge clips 0.12-0.35.
MAX_BACK_DEPTH_TORSO = 0.55
MIN_BACK_DEPTH_TORSO = 0.03
# Hands and elbows (see _hidden_by_occluders): an outline sample is hidden when one lies within this distance
# (torso lengths) of its edge point AND the mask is unbroken between them (the hand's or elbow's own mask merges with
# the outline there, so the edge may be the hand's). A hand is ~0.2 torso lengths long, so its mask reaches about this
# far from its landmarks. A hand as near but apart from the outline (background between them: a hand on the floor
# beneath a lifted back) hides nothing.
OCCLUDER_RADIUS_TORSO = 0.10
OCCLUDER_LANDMARKS = tuple(f"{side}_{part}" for side in ("left", "right")
                           for part in ("elbow", "wrist", "pinky", "index", "thumb"))
# Below this share of traced samples in a window, the window is "hidden".
MIN_WINDOW_COVERAGE = 0.6
# Points with confidence below this are NaN in the track.
MIN_CONFIDENCE = 0.3
# meta["dorsal_contour"]["status"] when masks were made but none showed a usable outline (contour_pass); the
# lumbar rule then says, per top, how much of the back they showed
OUTLINE_NOT_FOUND = "back outline not found on any sampled frame"
MASK_LEVEL = 0.5


@dataclass(frozen=True)
class DorsalContour:
    """One frame's traced back outline.

    dense:       (N, 2) px, the smoothed outline resampled by arc length from shoulder to hip end (NaN if none)
    u:           (N,) position of each dense point along the shoulder->hip axis (0 shoulder, 1 hip)
    points:      (K, 3): x px, y px, confidence in [0, 1] of DORSAL_POINT_NAMES; NaN x/y where hidden
    confidence:  overall confidence in [0, 1] (0 = no usable contour)
    reason:      "" when traced, else why not (one line)
    visible_from_u: where the outline joined to the pelvis begins (u, 0 shoulder .. 1 hip; NaN when no such run):
                 with the arms on the floor of a bridge, about 0.45-0.9 (the upper back is behind the arms)
    """

    dense: np.ndarray
    u: np.ndarray
    points: np.ndarray
    confidence: float
    reason: str = ""
    visible_from_u: float = float("nan")


def _empty(reason: str, visible_from_u: float = float("nan")) -> DorsalContour:
    return DorsalContour(np.full((0, 2), np.nan), np.zeros(0), np.full((len(DORSAL_POINT_NAMES), 3), np.nan), 0.0,
                         reason, visible_from_u)


def _run_start_u(ok: np.ndarray, u: np.ndarray) -> float:
    """u where the unbroken run of traced positions that reaches the pelvis window begins (NaN if none does)."""
    inside = np.flatnonzero(ok & (u >= PELVIS_U[0]) & (u <= PELVIS_U[1]))
    if inside.size == 0:
        return float("nan")
    j = int(inside[0])
    while j > 0 and ok[j - 1]:
        j -= 1
    return float(u[j])


def _edge_along_rays(mask: np.ndarray, origins: np.ndarray, normal: np.ndarray, v_lo: float, v_hi: float,
                     step: float) -> tuple[np.ndarray, np.ndarray]:
    """Distance (px) along `normal` from each origin to where the mask first drops below MASK_LEVEL, walking from the
    inside run nearest the origin outwards, and the edge sharpness in [0, 1]. NaN where no edge is found inside the
    image and the sampled range."""
    h, w = mask.shape
    v = np.arange(v_lo, v_hi + step / 2, step)
    xs = origins[:, None, 0] + v[None, :] * normal[0]
    ys = origins[:, None, 1] + v[None, :] * normal[1]
    inside_img = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    vals = ndimage.map_coordinates(mask, [ys.ravel(), xs.ravel()], order=1, mode="nearest").reshape(xs.shape)
    vals = np.where(inside_img, vals, np.nan)
    zero = int(np.argmin(np.abs(v)))
    edge = np.full(len(origins), np.nan)
    sharp = np.zeros(len(origins))
    for r in range(len(origins)):
        row = vals[r]
        inside = row >= MASK_LEVEL
        cand = np.flatnonzero(inside[: zero + 1 + int(0.5 * zero)])  # an inside sample near or before the axis
        if cand.size == 0:
            continue
        # the inside sample nearest the axis point
        start = cand[np.argmin(np.abs(cand - zero))]
        j = start
        while j + 1 < len(row) and inside[j + 1]:
            j += 1
        if j + 1 >= len(row) or not np.isfinite(row[j + 1]):
            continue  # still inside at the end of the range, or the image border: hidden / ambiguous
        a, b = row[j], row[j + 1]
        frac = (a - MASK_LEVEL) / (a - b) if a != b else 0.5
        edge[r] = v[j] + frac * step
        # sharpness: how many px the mask takes to fall from 0.8 to 0.2 around the edge (MediaPipe: ~2-4 px)
        lo = max(j - int(8 / step), 0)
        hi = min(j + 1 + int(8 / step), len(row) - 1)
        seg = row[lo: hi + 1]
        seg = seg[np.isfinite(seg)]
        ramp = np.sum((seg > 0.2) & (seg < 0.8)) * step
        sharp[r] = float(np.clip(1.0 - (ramp - 3.0) / 10.0, 0.0, 1.0))
    return edge, sharp


def _fill_short_gaps(y: np.ndarray, max_gap: int) -> np.ndarray:
    y = y.copy()
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return y
    idx = np.arange(len(y))
    filled = np.interp(idx, idx[ok], y[ok])
    # only inside gaps no longer than max_gap, never extrapolate
    gap_id = np.cumsum(ok)
    for g in np.unique(gap_id[~ok]):
        members = np.flatnonzero((~ok) & (gap_id == g))
        if members.size <= max_gap and members[0] > 0 and members[-1] < len(y) - 1:
            y[members] = filled[members]
    return y


def _keep_pelvis_run(depth: np.ndarray, u: np.ndarray, max_step: float) -> np.ndarray:
    """Cut the outline where it steps by more than max_step px between neighbouring positions (the edge jumped to
    another body part: an arm lying along the back, a hand, the floor) and keep only the run that covers most of
    the pelvis window; the rest becomes NaN (hidden)."""
    idx = np.flatnonzero(np.isfinite(depth))
    if idx.size < 2:
        return depth
    run = np.concatenate([[0], np.cumsum(np.abs(np.diff(depth[idx])) > max_step)])
    in_pelvis = (u[idx] >= PELVIS_U[0]) & (u[idx] <= PELVIS_U[1])
    if not in_pelvis.any():
        return np.full_like(depth, np.nan)
    best = np.bincount(run[in_pelvis]).argmax()
    out = np.full_like(depth, np.nan)
    out[idx[run == best]] = depth[idx[run == best]]
    return out


def _hidden_by_occluders(mask: np.ndarray, edge_px: np.ndarray, occ_px: np.ndarray, radius_px: float) -> np.ndarray:
    """(N,) bool: outline samples a hand or elbow merges with.

    edge_px: (N, 2) traced edge points (NaN = no edge); occ_px: (M, 2) occluder landmarks (finite). A sample is hidden
    when an occluder lies within radius_px of its edge point and the mask stays >= MASK_LEVEL all along the straight
    segment from the landmark to (just inside) the edge point: the occluder's region and the outline are one blob
    there. Background anywhere on that segment (a hand lying apart from the back, a landmark off the body) = not
    merged. The last 2 px before the edge point are not checked (the mask's soft edge is ~2-4 px wide).
    """
    hidden = np.zeros(len(edge_px), dtype=bool)
    if len(occ_px) == 0:
        return hidden
    t = np.linspace(0.0, 1.0, 24)
    for k in np.flatnonzero(np.isfinite(edge_px).all(axis=1)):
        for o in occ_px:
            gap = edge_px[k] - o
            dist = float(np.hypot(*gap))
            if dist > radius_px:
                continue
            stop = max(0.0, 1.0 - 2.0 / dist) if dist > 0 else 0.0
            seg = o[None, :] + (t * stop)[:, None] * gap[None, :]
            vals = ndimage.map_coordinates(mask, [seg[:, 1], seg[:, 0]], order=1, mode="constant", cval=0.0)
            if np.all(vals >= MASK_LEVEL):
                hidden[k] = True
                break
    return hidden


def _fit_line(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Total-least-squares line through (n, 2) points: (centroid, unit direction, rms residual px)."""
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 3:
        return None
    c = pts.mean(axis=0)
    _, s, vt = np.linalg.svd(pts - c, full_matrices=False)
    rms = float(s[-1] / np.sqrt(len(pts))) if len(s) > 1 else 0.0
    return c, vt[0], rms


def _trunk_frame(mask: np.ndarray, shoulder_px: Sequence[float], hip_px: Sequence[float],
                 dorsal_normal_px: Sequence[float]) -> tuple[np.ndarray, np.ndarray, float, np.ndarray] | str:
    """(shoulder px, unit shoulder->hip axis, torso length px, unit normal towards the back), or why there is none."""
    S, P, d = (np.asarray(p, float) for p in (shoulder_px, hip_px, dorsal_normal_px))
    if mask.ndim != 2:
        raise ValueError(f"mask must be (H, W), got {mask.shape}")
    if not (np.isfinite(S).all() and np.isfinite(P).all() and np.isfinite(d).all()):
        return "no shoulder or hip landmark"
    axis = P - S
    L = float(np.hypot(*axis))
    if L < 10:
        return "torso shorter than 10 px"
    a = axis / L
    n = np.array([-a[1], a[0]])
    if n @ d < 0:
        n = -n
    if abs(n @ (d / max(np.hypot(*d), 1e-9))) < 0.2:
        return "dorsal direction along the trunk (not a side view)"
    return S, a, L, n


def _outline_depths(mask: np.ndarray, S: np.ndarray, a: np.ndarray, L: float, n: np.ndarray,
                    occluders_px: np.ndarray | None, samples: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The body's outline on one side of the shoulder->hip axis: (u, origins px, depth px, sharpness) per sample.

    S: shoulder px, a: unit axis to the hip, L: torso px, n: unit normal pointing to the side traced (the back, or
    the front). depth is NaN where the edge is cut by the frame, implausibly far from or near the axis, or merged with
    a hand or elbow on that side (occluders_px, optional)."""
    u = np.linspace(TRACE_U[0], TRACE_U[1], samples)
    origins = S[None, :] + (u * L)[:, None] * a[None, :]
    step = max(0.5, L / 200.0)
    depth, sharp = _edge_along_rays(mask, origins, n, -0.35 * L, (MAX_BACK_DEPTH_TORSO + 0.15) * L, step)
    plausible = (depth >= MIN_BACK_DEPTH_TORSO * L) & (depth <= MAX_BACK_DEPTH_TORSO * L)
    if occluders_px is not None and len(occluders_px):
        occ = np.asarray(occluders_px, float)
        occ = occ[np.isfinite(occ).all(axis=1)]
        # only hands and elbows on the traced side of the trunk (beyond half the outline's depth) can cover it
        occ_depth = (occ - S) @ n
        occ = occ[occ_depth > 0.5 * float(np.nanmedian(depth)) if np.isfinite(depth).any() else occ_depth > 0]
        if len(occ):
            plausible &= ~_hidden_by_occluders(mask, origins + depth[:, None] * n[None, :], occ,
                                               OCCLUDER_RADIUS_TORSO * L)
    return u, origins, np.where(plausible, depth, np.nan), sharp


def _drop_jumps(depth: np.ndarray, L: float) -> np.ndarray:
    """depth with isolated jumps (a hand or a fold) made NaN: a Hampel-like filter against the running median."""
    finite = np.isfinite(depth)
    med = ndimage.median_filter(np.where(finite, depth, np.nanmedian(depth)), size=7, mode="nearest")
    return np.where(np.abs(depth - med) > 0.06 * L, np.nan, depth)


def _line_point_at_u(fit: tuple[np.ndarray, np.ndarray, float], S: np.ndarray, a: np.ndarray, L: float,
                     target_u: float) -> np.ndarray:
    """The point (px) of a fitted line (_fit_line) whose projection on the shoulder->hip axis is at target_u."""
    c, direction, _ = fit
    along = (S + target_u * L * a - c) @ a / (direction @ a) if abs(direction @ a) > 1e-6 else 0.0
    return c + along * direction


def _window_confidence(ok: np.ndarray, sharp: np.ndarray, window: np.ndarray, rms: float, L: float) -> float:
    """One window of an outline: coverage x edge sharpness x straightness of its fitted line, in [0, 1]."""
    cov = float(ok[window].mean()) if window.any() else 0.0
    sh = float(np.mean(sharp[window & ok])) if (window & ok).any() else 0.0
    fit_q = float(np.clip(1.0 - rms / (0.03 * L), 0.0, 1.0))
    return float(np.clip(cov * (0.5 + 0.5 * sh) * (0.5 + 0.5 * fit_q), 0.0, 1.0))


def trace_dorsal_contour(
    mask: np.ndarray,
    shoulder_px: Sequence[float],
    hip_px: Sequence[float],
    dorsal_normal_px: Sequence[float],
    *,
    occluders_px: np.ndarray | None = None,
    samples: int = 72,
    smooth_sigma: float = 1.5,
) -> DorsalContour:
    """Trace the back's outline in one frame's person mask between the shoulder and the hip.

    mask:             (H, W) float in [0, 1] (or bool), the person segmentation, frame pixels.
    shoulder_px/hip_px: (2,) x, y pixels of the (mid-)shoulder and (mid-)hip landmarks.
    occluders_px:     optional (M, 2) pixels of hand and elbow landmarks; outline samples a hand or elbow merges
                      with are hidden (a hand on the hip is not the back; a hand on the floor beneath a lifted
                      back, apart from it, hides nothing): see _hidden_by_occluders.
    dorsal_normal_px: (2,) any vector pointing from the body's front to its back (only its side of the axis matters).
    For each of `samples` positions along the shoulder->hip axis the mask is sampled along the dorsal normal and the
    first exit from the body (walking outwards from the axis) is the outline; positions where the outline is cut by
    the frame edge, too far from the axis (an arm or the floor merged into the mask) or too near are dropped. The
    outline is smoothed (Gaussian, `smooth_sigma` samples), resampled by arc length, and the named points fitted.
    Returns a DorsalContour (px); `reason` says why nothing was traced.
    """
    mask = np.asarray(mask, dtype=np.float32)
    frame = _trunk_frame(mask, shoulder_px, hip_px, dorsal_normal_px)
    if isinstance(frame, str):
        return _empty(frame)
    S, a, L, n = frame
    u, origins, depth, sharp = _outline_depths(mask, S, a, L, n, occluders_px, samples)
    if np.isfinite(depth).sum() < samples * 0.4:
        return _empty("back outline hidden (too few positions with a plausible edge)")
    depth = _drop_jumps(depth, L)
    depth = _keep_pelvis_run(depth, u, 0.05 * L)
    depth = _fill_short_gaps(depth, max_gap=max(2, samples // 12))
    ok = np.isfinite(depth)
    coverage = {
        name: float(ok[(u >= lo) & (u <= hi)].mean())
        for name, (lo, hi) in (("thoracic", THORACIC_U), ("pelvis", PELVIS_U), ("apex", APEX_U))
    }
    if min(coverage.values()) < MIN_WINDOW_COVERAGE:
        worst = min(coverage, key=coverage.get)
        return _empty(f"back outline hidden at the {worst} part", _run_start_u(ok, u))
    # smooth the traced run(s); positions still NaN stay out
    filled = np.where(ok, depth, np.interp(u, u[ok], depth[ok]))
    smooth = ndimage.gaussian_filter1d(filled, smooth_sigma, mode="nearest")
    smooth = np.where(ok, smooth, np.nan)
    pts = origins + smooth[:, None] * n[None, :]
    # resample by arc length (over the traced positions, in order along the axis)
    good = np.isfinite(pts).all(axis=1)
    gp, gu = pts[good], u[good]
    seg = np.hypot(*np.diff(gp, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n_out = samples
    s_new = np.linspace(0.0, s[-1], n_out)
    dense = np.stack([np.interp(s_new, s, gp[:, 0]), np.interp(s_new, s, gp[:, 1])], -1)
    du = np.interp(s_new, s, gu)

    def window(lo: float, hi: float) -> np.ndarray:
        return (du >= lo) & (du <= hi)

    thor = _fit_line(dense[window(*THORACIC_U)])
    pelv = _fit_line(dense[window(*PELVIS_U)])
    if thor is None or pelv is None:
        return _empty("back outline too short")

    tu, tl = (_line_point_at_u(thor, S, a, L, target) for target in THORACIC_POINT_U)
    su, sl = (_line_point_at_u(pelv, S, a, L, target) for target in SACRAL_POINT_U)
    # lumbar apex: the deepest point (towards the front) below the chord thoracic_lower -> sacral_upper
    chord = su - tl
    chord_n = np.array([-chord[1], chord[0]]) / max(np.hypot(*chord), 1e-9)
    if chord_n @ n > 0:
        chord_n = -chord_n  # points ventral
    wa = window(*APEX_U)
    depth_below = (dense[wa] - tl) @ chord_n
    apex = dense[wa][int(np.argmax(depth_below))] if wa.any() else np.full(2, np.nan)

    c_thor = _window_confidence(ok, sharp, (u >= THORACIC_U[0]) & (u <= THORACIC_U[1]), thor[2], L)
    c_pelv = _window_confidence(ok, sharp, (u >= PELVIS_U[0]) & (u <= PELVIS_U[1]), pelv[2], L)
    c_apex = _window_confidence(ok, sharp, (u >= APEX_U[0]) & (u <= APEX_U[1]), 0.0, L)
    points = np.array([
        [*tu, c_thor], [*tl, c_thor], [*apex, c_apex], [*su, c_pelv], [*sl, c_pelv],
    ])
    return DorsalContour(dense=dense, u=du, points=points, confidence=float(min(c_thor, c_pelv, c_apex)),
                         visible_from_u=_run_start_u(ok, u))


# The front's outline (chest and belly), for a floor bridge whose arms hide the back: u windows of the two lines
# fitted. The chest window stops short of the neck and the shoulder's own bulge (u < 0.12) and of the lowest ribs;
# the belly window lies between the ribs and the hip crease (a thigh lifted towards the belly bends the outline past
# u ~ 0.9). Chosen on the synthetic body (scripts/contour_sweep.py prints the rib flare at the tops) and checked on
# the real floor bridges (their metrics lumbar_arch_rep<N>_rib_flare_deg; thresholds.toml [lumbar_arch]).
CHEST_U = (0.12, 0.45)
BELLY_U = (0.55, 0.85)
# Exercises whose front outline is traced and read where the back's is hidden: not hip thrusts, whose hands on the
# bar or the weight bend the front (rendered correct hip thrusts read a 17 deg rib flare).
FRONT_OUTLINE_EXERCISES = ("bridge",)


@dataclass(frozen=True)
class VentralContour:
    """One frame's front outline: points (K, 3) of VENTRAL_POINT_NAMES (x px, y px, confidence; NaN where hidden),
    the overall confidence in [0, 1] and, when nothing was traced, why (one line)."""

    points: np.ndarray
    confidence: float
    reason: str = ""


def trace_ventral_contour(
    mask: np.ndarray,
    shoulder_px: Sequence[float],
    hip_px: Sequence[float],
    dorsal_normal_px: Sequence[float],
    *,
    occluders_px: np.ndarray | None = None,
    samples: int = 72,
) -> VentralContour:
    """Trace the front of the trunk in one frame's person mask: a line along the chest (CHEST_U) and one along the
    belly (BELLY_U), as in trace_dorsal_contour but walking out of the body on the front side. Hands and elbows
    merged with the front outline (occluders_px) hide it there: a hand resting on the belly is not the belly.
    In a floor bridge the arms lie on the floor, on the back's side, so the front stays in view where the back is
    hidden. Returns a VentralContour (px)."""
    mask = np.asarray(mask, dtype=np.float32)
    none = np.full((len(VENTRAL_POINT_NAMES), 3), np.nan)
    frame = _trunk_frame(mask, shoulder_px, hip_px, dorsal_normal_px)
    if isinstance(frame, str):
        return VentralContour(none, 0.0, frame)
    S, a, L, dorsal = frame
    u, origins, depth, sharp = _outline_depths(mask, S, a, L, -dorsal, occluders_px, samples)
    if np.isfinite(depth).sum() < samples * 0.4:
        return VentralContour(none, 0.0, "front outline hidden (too few positions with a plausible edge)")
    depth = _fill_short_gaps(_drop_jumps(depth, L), max_gap=max(2, samples // 12))
    ok = np.isfinite(depth)
    pts = origins - depth[:, None] * dorsal[None, :]
    points, confidences = [], []
    for part, (lo, hi) in (("chest", CHEST_U), ("belly", BELLY_U)):
        window = (u >= lo) & (u <= hi)
        if ok[window].mean() < MIN_WINDOW_COVERAGE:
            return VentralContour(none, 0.0, f"front outline hidden at the {part}")
        fit = _fit_line(pts[window & ok])
        if fit is None:
            return VentralContour(none, 0.0, f"front outline too short at the {part}")
        confidence = _window_confidence(ok, sharp, window, fit[2], L)
        points += [_line_point_at_u(fit, S, a, L, lo), _line_point_at_u(fit, S, a, L, hi)]
        confidences += [confidence, confidence]
    return VentralContour(np.column_stack([np.array(points), confidences]), float(min(confidences)))


# ---- the dorsal side of a track ---------------------------------------------------------------------------------

def _mid_px(track: PoseTrack, a: str, b: str) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.stack([track.xy_px(a), track.xy_px(b)]), axis=0)


def dorsal_sign(track: PoseTrack) -> int:
    """Which side of the trunk the back is on, for the whole track: +1 or -1 (0 when it cannot be told).

    With the cranial direction t = mid-hip -> mid-shoulder (pixels) and r = (-t_y, t_x) (t turned 90 deg
    counter-clockwise on screen... in image coordinates with y down, clockwise as seen), the back lies on the
    +r side when the result is +1 and on the -r side when -1. Votes: the face (ears -> nose points to the front),
    and the knees (in front of the hip line while the hip is flexed). Median over frames.
    """
    sh, hp = _mid_px(track, "left_shoulder", "right_shoulder"), _mid_px(track, "left_hip", "right_hip")
    t = sh - hp
    tl = np.linalg.norm(t, axis=-1)
    r = np.stack([-t[:, 1], t[:, 0]], -1) / np.where(tl > 0, tl, np.nan)[:, None]
    face = track.xy_px("nose") - _mid_px(track, "left_ear", "right_ear")
    knee = _mid_px(track, "left_knee", "right_knee") - hp
    with np.errstate(invalid="ignore", divide="ignore"):
        face_vote = np.sum(face * r, axis=-1) / np.linalg.norm(face, axis=-1)
        knee_vote = np.sum(knee * r, axis=-1) / tl
    vote = np.nan_to_num(face_vote) + 0.5 * np.nan_to_num(np.clip(knee_vote, -1, 1))
    vote = vote[np.isfinite(tl) & (tl > 0)]
    if vote.size == 0:
        return 0
    m = float(np.median(vote))
    if abs(m) < 0.05:
        return 0
    return -1 if m > 0 else 1  # the front is on the side the votes point to; the back is opposite


def dorsal_normal_px(track: PoseTrack, index: int, sign: int) -> np.ndarray:
    """(2,) unit vector from the body's front to its back at frame `index` (pixels), from the trunk axis and `sign`."""
    sh = _mid_px(track, "left_shoulder", "right_shoulder")[index]
    hp = _mid_px(track, "left_hip", "right_hip")[index]
    t = sh - hp
    r = np.array([-t[1], t[0]]) / max(float(np.hypot(*t)), 1e-9)
    return sign * r


def contour_points(
    track: PoseTrack,
    masks: Mapping[int, np.ndarray],
    *,
    sign: int | None = None,
    hide_near_hands: bool = False,
    visible_from: dict[int, float] | None = None,
    ventral: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[int, str]]:
    """(T, K, 3) dorsal points of a track (x, y normalised, confidence) from masks of some of its frames.

    masks: frame index -> (H, W) mask of the track's frame size (other sizes are scaled by coordinates).
    sign: the dorsal side (see dorsal_sign); computed from the track when None.
    hide_near_hands: treat outline samples near hand/elbow landmarks on the back's side as hidden (off by default:
    on the synthetic sweep it hid most tops, whose hands rest near the outline, more than it removed errors).
    visible_from: when given, filled with each masked frame's DorsalContour.visible_from_u.
    ventral: when given ((T, len(VENTRAL_POINT_NAMES), 3)), filled with the front's outline on the same masks
    (trace_ventral_contour, hands and elbows always hiding what they merge with), same layout and NaN rows.
    Returns (points, reasons): NaN rows for frames without a mask or without a usable contour (reasons[i] says why).
    """
    K = len(DORSAL_POINT_NAMES)
    out = np.full((len(track), K, 3), np.nan)
    reasons: dict[int, str] = {}
    s = dorsal_sign(track) if sign is None else sign
    sh = _mid_px(track, "left_shoulder", "right_shoulder")
    hp = _mid_px(track, "left_hip", "right_hip")
    W, H = track.frame_width, track.frame_height
    for i, mask in masks.items():
        if not 0 <= i < len(track):
            continue
        if s == 0:
            reasons[i] = "cannot tell the back from the front"
            continue
        mh, mw = mask.shape[:2]
        scale = np.array([mw / W, mh / H]) if W and H else np.ones(2)
        occ = np.stack([track.xy_px(name)[i] for name in OCCLUDER_LANDMARKS]) * scale
        trunk = (sh[i] * scale, hp[i] * scale, dorsal_normal_px(track, i, s) * scale)  # shoulder, hip, to the back
        c = trace_dorsal_contour(mask, *trunk, occluders_px=occ if hide_near_hands else None)
        if visible_from is not None:
            visible_from[i] = c.visible_from_u
        if ventral is not None:
            front = trace_ventral_contour(mask, *trunk, occluders_px=occ)
            if not front.reason and front.confidence >= MIN_CONFIDENCE:
                ventral[i] = _normalised(front.points, mw, mh)
        if c.reason or c.confidence < MIN_CONFIDENCE:
            reasons[i] = c.reason or f"low confidence {c.confidence:.2f}"
            continue
        out[i] = _normalised(c.points, mw, mh)
    return out, reasons


def _normalised(points_px: np.ndarray, width: int, height: int) -> np.ndarray:
    """(K, 3) outline points in pixels -> x, y normalised to the frame, NaN where the confidence is under
    MIN_CONFIDENCE."""
    pts = points_px.copy()
    pts[:, 0] /= width
    pts[:, 1] /= height
    pts[pts[:, 2] < MIN_CONFIDENCE, :2] = np.nan
    return pts


# ---- lumbar measures (pure kinematics of the named points) ------------------------------------------------------

def _xy_px(points: np.ndarray, width: float, height: float) -> np.ndarray:
    return np.asarray(points, float)[..., :2] * np.array([width, height], float)


def lumbar_angle_deg(points: np.ndarray, sign: int, width: float = 1.0, height: float = 1.0) -> np.ndarray:
    """(T,) deg, signed: lumbar curvature angle from the dorsal contour points ((T, K, 3), normalised x, y).

    The angle between the pelvis tangent (sacral_lower -> sacral_upper) and the upper-trunk tangent
    (thoracic_lower -> thoracic_upper), both pointing to the head. + = the upper trunk turned towards the back
    relative to the pelvis: lumbar extension (the lower back arched, hollow); - = flexion (rounded). 0 = the two
    outline tangents parallel. Range (-180, 180]. Pixels (pass the frame width and height; an angle between
    directions needs a uniform scale). sign: the track's dorsal side (dorsal_sign). NaN where a point is NaN.
    Note: a neutral spine does not read 0 (the sacrum and the glutes slope the pelvis outline); compare with the
    bottom of the rep (lumbar_change).
    """
    p = _xy_px(points, width, height)
    idx = {n: i for i, n in enumerate(DORSAL_POINT_NAMES)}
    t_up = p[:, idx["thoracic_upper"]] - p[:, idx["thoracic_lower"]]
    t_pel = p[:, idx["sacral_upper"]] - p[:, idx["sacral_lower"]]
    return _turn_towards_back_deg(t_up, t_pel, sign)


def _turn_towards_back_deg(upper: np.ndarray, lower: np.ndarray, sign: int) -> np.ndarray:
    """(T,) deg: how far the direction `upper` ((T, 2) px, pointing to the head) is turned towards the back from
    `lower` (same); sign: the track's dorsal side (dorsal_sign). NaN where either is missing or zero."""
    # dorsal normal of the lower tangent: r = (-t_y, t_x) times sign (see dorsal_sign)
    n_low = sign * np.stack([-lower[:, 1], lower[:, 0]], -1)
    with np.errstate(invalid="ignore"):
        ang = np.degrees(np.arctan2(np.sum(upper * n_low, -1), np.sum(upper * lower, -1)))
    ok = (np.linalg.norm(upper, axis=-1) > 0) & (np.linalg.norm(lower, axis=-1) > 0)
    return np.where(ok, ang, np.nan) if sign else np.full(len(upper), np.nan)


def rib_flare_deg(points: np.ndarray, sign: int, width: float = 1.0, height: float = 1.0) -> np.ndarray:
    """(T,) deg, signed: the chest's turn towards the back relative to the belly, from the front outline's points
    ((T, K, 3) of VENTRAL_POINT_NAMES, normalised x, y). + = the ribs flared up off the belly line (the thorax
    extended on the pelvis through the lumbar spine), 0 = chest and belly lines parallel. Pixels (pass the frame's
    width and height). NaN where a point is NaN. The rendered body's straight back reads about 0 at a bridge's top
    and 30 deg of lumbar extension about 16 (thresholds.toml [lumbar_arch])."""
    p = _xy_px(points, width, height)
    idx = {n: i for i, n in enumerate(VENTRAL_POINT_NAMES)}
    chest = p[:, idx["chest_upper"]] - p[:, idx["chest_lower"]]
    belly = p[:, idx["belly_upper"]] - p[:, idx["belly_lower"]]
    return _turn_towards_back_deg(chest, belly, sign)


def lumbar_apex_depth(points: np.ndarray, torso_px: float, sign: int, width: float = 1.0,
                      height: float = 1.0) -> np.ndarray:
    """(T,) torso lengths, signed: distance of lumbar_apex from the chord thoracic_lower -> sacral_upper.

    + = the apex lies in front of the chord (towards the belly: a hollow, arched lower back), - = behind it
    (rounded). Divided by `torso_px` (shoulder-hip distance, pixels). NaN where a point is NaN.
    """
    p = _xy_px(points, width, height)
    idx = {n: i for i, n in enumerate(DORSAL_POINT_NAMES)}
    a, b, apex = p[:, idx["thoracic_lower"]], p[:, idx["sacral_upper"]], p[:, idx["lumbar_apex"]]
    chord = b - a
    r = np.stack([-chord[:, 1], chord[:, 0]], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = r / np.linalg.norm(r, axis=-1, keepdims=True)
        # the chord runs from head to pelvis here, so the back is on the -sign side of r
        ventral = sign * r
        return np.sum((apex - a) * ventral, -1) / torso_px if sign else np.full(len(p), np.nan)


def lumbar_change(values: np.ndarray, bottom_frames: np.ndarray, top_frames: np.ndarray) -> float:
    """Change of a lumbar measure from the bottom of a rep to its top: max over top frames minus median over
    bottom frames (same unit as values; + = more arched at the top). NaN when either side has no finite value."""
    values = np.asarray(values, float)
    top = values[np.asarray(top_frames, int)] if len(top_frames) else np.array([])
    bot = values[np.asarray(bottom_frames, int)] if len(bottom_frames) else np.array([])
    top, bot = top[np.isfinite(top)], bot[np.isfinite(bot)]
    if top.size == 0 or bot.size == 0:
        return float("nan")
    return float(np.max(top) - np.median(bot))


def traced_dorsal_sign(track: PoseTrack) -> int:
    """The dorsal side the outline pass traced with (meta["dorsal_contour"]["dorsal_sign"], see dorsal_sign); 0 when
    the track has none."""
    return int(track.meta.get("dorsal_contour", {}).get("dorsal_sign", 0))


def track_lumbar_angle(track: PoseTrack) -> np.ndarray:
    """(T,) deg: lumbar_angle_deg of a track's dorsal_contour (NaN throughout when it has none)."""
    if track.dorsal_contour is None:
        return np.full(len(track), np.nan)
    sign = traced_dorsal_sign(track)
    return lumbar_angle_deg(track.dorsal_contour, sign, track.frame_width or 1, track.frame_height or 1)


def track_rib_flare(track: PoseTrack) -> np.ndarray:
    """(T,) deg: rib_flare_deg of a track's ventral_contour (NaN throughout when it has none)."""
    if track.ventral_contour is None:
        return np.full(len(track), np.nan)
    sign = traced_dorsal_sign(track)
    return rib_flare_deg(track.ventral_contour, sign, track.frame_width or 1, track.frame_height or 1)


def track_apex_depth(track: PoseTrack) -> np.ndarray:
    """(T,) torso lengths: lumbar_apex_depth of a track's dorsal_contour (per-frame shoulder-hip length)."""
    if track.dorsal_contour is None:
        return np.full(len(track), np.nan)
    sign = traced_dorsal_sign(track)
    sh, hp = _mid_px(track, "left_shoulder", "right_shoulder"), _mid_px(track, "left_hip", "right_hip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        torso = float(np.nanmedian(np.linalg.norm(sh - hp, axis=-1)))
    return lumbar_apex_depth(track.dorsal_contour, torso, sign, track.frame_width or 1, track.frame_height or 1)

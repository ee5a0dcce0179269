"""Software renderer for the synthetic body (the only synth module that imports cv2; video.write_h264 encodes it).

Every body part is an ellipsoid (limbs, a continuous three-piece torso, head and face, hair, shoes), ray-cast
exactly per pixel with a depth buffer (a per-pixel painter's algorithm), Lambert-shaded by a key light and a
camera-side fill light, over a plain floor plane and wall.  Clothing contrasts: dark long-sleeve-less top,
red shorts, skin-coloured limbs, white shoes, dark hair, dark eyes and mouth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body import BodyFrames, rot_x, rot_y, rot_z
from .camera import Camera

# colours are RGB, 0-255
SKIN = (222, 172, 140)
SKIN_L = (214, 166, 134)  # right-side limbs a shade apart from left ones
TOP = (38, 48, 92)
SHORTS = (178, 38, 42)
SHOES = (238, 238, 232)
BENCH = (96, 70, 52)
HAIR = (48, 34, 26)
EYE = (25, 20, 20)
MOUTH = (120, 40, 40)
LIPS = (176, 96, 92)
SCLERA = (236, 234, 228)
BROW = (25, 20, 20)
NOSTRIL = (92, 52, 44)
EAR = (212, 160, 128)
EAR_HOLLOW = (170, 112, 92)
SOCKET = (150, 104, 84)
JAW_SHADOW = (168, 122, 98)
FLOOR = (118, 136, 152)
WALL = (214, 212, 204)


def _rows_times(vecs: np.ndarray, mat: np.ndarray) -> np.ndarray:
    """``vecs @ mat`` for (..., 3) rows and a (3, k) matrix (or (3,) vector), by elementwise arithmetic.

    numpy's ``@`` hands large products to the BLAS library, whose result can differ in the last bit with the
    number of threads it happens to use (e.g. when another thread is in BLAS at the same moment); that flipped
    edge pixels and broke byte-identical clips.  Elementwise multiply-adds give the same bits every time.
    """
    return vecs[..., 0, None] * mat[0] + vecs[..., 1, None] * mat[1] + vecs[..., 2, None] * mat[2] \
        if mat.ndim == 2 else vecs[..., 0] * mat[0] + vecs[..., 1] * mat[1] + vecs[..., 2] * mat[2]


@dataclass
class Ellipsoid:
    center: np.ndarray  # (3,) world
    axes: np.ndarray  # (3, 3) columns = semi-axis vectors, world
    color: tuple[int, int, int]


@dataclass
class Box:
    """Axis-aligned (world) box, e.g. the hip-thrust bench."""

    lo: np.ndarray
    hi: np.ndarray
    color: tuple[int, int, int]


def _seg_ellipsoid(p0, p1, r_a, r_l, R, color, extend=1.0, frac=(0.0, 1.0)):
    """Ellipsoid along segment p0->p1 (covering fraction `frac` of it); r_a / r_l radii along R's a / l axes."""
    q0 = p0 + (p1 - p0) * frac[0]
    q1 = p0 + (p1 - p0) * frac[1]
    c = (q0 + q1) / 2
    axis = (q1 - q0) / 2 * extend
    a = R[:, 0] - axis * (R[:, 0] @ axis) / max(axis @ axis, 1e-12)
    a = a / np.linalg.norm(a) * r_a
    l_ = np.cross(axis, a)
    l_ = l_ / np.linalg.norm(l_) * r_l
    return Ellipsoid(c, np.stack([a, l_, axis], 1), color)


def _local_ellipsoid(center, R, semi, color):
    return Ellipsoid(np.asarray(center, float), R * np.asarray(semi, float)[None, :], color)


def _sphere(c, r, color):
    return Ellipsoid(np.asarray(c, float), np.eye(3) * r, color)


# Torso profile along the spine (metres for a 1.75 m body; scaled with height), at distances z from the hip-joint
# level along the spine line (L5/S1 at 0.105 m, T12/L1 at 0.28 m, shoulder level at 0.504 m on the 1.75 m body):
# how far the back surface lies behind the spine line, the front surface in front of it, and the half-width.
# The back dips in at the waist (lumbar lordosis) between the sacrum/buttocks and the shoulder blades.
_TORSO_Z = np.array([-0.07, -0.03, 0.03, 0.105, 0.19, 0.28, 0.37, 0.45, 0.51, 0.54])
_TORSO_BACK = np.array([0.020, 0.044, 0.050, 0.034, 0.020, 0.026, 0.036, 0.034, 0.024, 0.010])
_TORSO_FRONT = np.array([0.115, 0.150, 0.163, 0.170, 0.172, 0.178, 0.190, 0.180, 0.150, 0.110])
_TORSO_HALF_WIDTH = np.array([0.130, 0.165, 0.172, 0.155, 0.145, 0.152, 0.165, 0.166, 0.150, 0.120])
_TORSO_SLICE_M = 0.018  # spacing of the slices along the spine
_WAIST_Z = 0.10  # shorts below, top above


def torso_ellipsoids(body: BodyFrames, i: int) -> list[Ellipsoid]:
    """A continuous torso for frame i: thin ellipsoid slices stacked along a smooth spine curve.

    The slice orientation turns continuously through the lumbar region (from the pelvis frame at L5/S1 to the
    thorax frame at T12/L1, by the commanded lumbar extension, lateral bend and rotation), so the silhouette of the
    back bends with lumbar extension like a real back (the outline the dorsal-contour tracer follows) instead of
    showing two rigid blocks. Slices overlap (half-height 2.5x the spacing) so the outline has no scallops.

    Body shapes: the profile stretches along the spine with the trunk's length multiplier, its depth and width grow
    with the girth, the width at the hips with the hip-width multiplier (blending back to 1 at the waist), and the chest's
    with the shoulder-width multiplier (from 1 at the waist).
    """
    A = body.anthro
    k = A.height_m / 1.75
    kz = k * A.scale("trunk")  # the profile's metres along the spine
    girth, pelvis_w, shoulder_w = A.girth, A.scale("hip_width"), A.scale("shoulder_width")
    b = A.spine_back
    Rp, Rt = body.frames["pelvis"][i], body.frames["thorax"][i]
    hip = body.extras["mid_hip"][i]
    l5, t12 = body.extras["l5s1"][i], body.extras["t12"][i]
    ext = np.radians(body.angles.get("lumbar_extension", np.zeros(i + 1))[i]) if body.angles else 0.0
    lat = np.radians(body.angles.get("lumbar_lateral", np.zeros(i + 1))[i]) if body.angles else 0.0
    rot = np.radians(body.angles.get("lumbar_rotation", np.zeros(i + 1))[i]) if body.angles else 0.0
    z_pel, z_lum = A.pelvis_seg, A.pelvis_seg + A.lumbar_seg

    def frame_at(f: float) -> np.ndarray:
        return Rp @ rot_z(rot * f) @ rot_x(lat * f) @ rot_y(-ext * f)

    # the lumbar arc: integrate the turning tangent, then spread the (tiny) chord error so it ends at T12
    fs = np.linspace(0.0, 1.0, 41)
    tang = np.stack([frame_at(f)[:, 2] for f in fs])
    seg = A.lumbar_seg / (len(fs) - 1)
    arc = np.concatenate([[np.zeros(3)], np.cumsum((tang[1:] + tang[:-1]) / 2 * seg, axis=0)])
    arc += np.outer(fs, (t12 - l5) - arc[-1])
    out: list[Ellipsoid] = []
    zs = np.arange(_TORSO_Z[0], _TORSO_Z[-1] + 1e-9, _TORSO_SLICE_M) * kz
    for z in zs:
        if z <= z_pel:
            R, p = Rp, hip + Rp @ np.array([-b, 0.0, z])
        elif z <= z_lum:
            f = (z - z_pel) / A.lumbar_seg
            R = frame_at(f)
            p = l5 + np.array([np.interp(f, fs, arc[:, j]) for j in range(3)])
        else:
            R, p = Rt, t12 + Rt @ np.array([0.0, 0.0, z - z_lum])
        zz = z / kz
        back = np.interp(zz, _TORSO_Z, _TORSO_BACK) * k * girth
        front = np.interp(zz, _TORSO_Z, _TORSO_FRONT) * k * girth
        widen = girth * (1.0 + (pelvis_w - 1.0) * np.interp(zz, [0.03, 0.19], [1.0, 0.0])
                         + (shoulder_w - 1.0) * np.interp(zz, [0.19, 0.37], [0.0, 1.0]))
        half_w = np.interp(zz, _TORSO_Z, _TORSO_HALF_WIDTH) * k * widen
        centre = p + R @ np.array([(front - back) / 2, 0.0, 0.0])
        colour = SHORTS if zz < _WAIST_Z else TOP
        out.append(_local_ellipsoid(centre, R, ((front + back) / 2, half_w, 2.5 * _TORSO_SLICE_M * kz), colour))
    return out


def _head_part(hc, Rh, k, centre, semi, color, pitch_deg=0.0):
    """An ellipsoid in the head frame (x forward, y left, z up; metres of the 1.75 m body), pitched about y."""
    R = Rh @ rot_y(np.radians(pitch_deg)) if pitch_deg else Rh
    return _local_ellipsoid(hc + Rh @ (np.asarray(centre, float) * k), R, np.asarray(semi, float) * k, color)


def head_ellipsoids(body: BodyFrames, i: int) -> list[Ellipsoid]:
    """Head and face for frame i (head frame: x forward, y left, z up; metres of the 1.75 m body, scaled with height).

    Cranium (raised, so the jaw and chin, not the skull, make the bottom of the head), forehead and brow, cheeks,
    upper and lower jaw sloping up to the neck, chin; hair; a nose with a ridge from between the eyes to the tip (just
    beyond the nose landmark) and nostrils; eyes in shaded sockets with whites and dark irises, thick dark eyebrows;
    flat, tall ears tilted back against the sides of the head, with a darker hollow; lips. The landmarks (body.py)
    are unchanged: the features are placed on them.
    """
    A = body.anthro
    k = A.height_m / 1.75
    Rh = body.frames["head"][i]
    hc = body.extras["head_center"][i]
    out: list[Ellipsoid] = []

    def part(centre, semi, color, pitch=0.0):
        out.append(_head_part(hc, Rh, k, centre, semi, color, pitch))

    part((-0.008, 0.0, 0.02), (0.092, 0.078, 0.10), SKIN)  # cranium
    part((0.02, 0.0, 0.045), (0.066, 0.064, 0.058), SKIN)  # forehead and brow
    for y in (0.03, -0.03):
        part((0.035, y, -0.012), (0.042, 0.03, 0.036), SKIN)  # cheeks
    part((0.06, 0.0, -0.04), (0.032, 0.04, 0.03), SKIN)  # upper jaw round the mouth
    part((0.04, 0.0, -0.058), (0.052, 0.05, 0.042), SKIN, pitch=15.0)  # lower jaw, sloping up to the neck
    part((0.076, 0.0, -0.092), (0.018, 0.024, 0.018), SKIN)  # chin
    part((-0.022, 0.0, 0.022), (0.092, 0.083, 0.108), HAIR)
    # nose: ridge from between the eyes to the tip, the tip just beyond the nose landmark (0.105, 0, -0.005)
    ridge_top, tip = (hc + Rh @ (np.array(p) * k) for p in ((0.082, 0.0, 0.024), (0.1, 0.0, -0.002)))
    out.append(_seg_ellipsoid(ridge_top, tip, 0.009 * k, 0.008 * k, Rh, SKIN))
    part((0.096, 0.0, -0.006), (0.012, 0.015, 0.011), SKIN)
    for y in (0.007, -0.007):
        part((0.097, y, -0.0155), (0.004, 0.004, 0.002), NOSTRIL)
    # the neck showing in the shirt's neckline, down to the top of the sternum
    Rt = body.frames["thorax"][i]
    out.append(_local_ellipsoid(body.extras["mid_shoulder"][i] + Rt @ np.array([0.08, 0.0, 0.024]) * k, Rt,
                                np.array([0.014, 0.042, 0.03]) * k, SKIN))
    for y in (0.032, -0.032):  # eyes (landmarks at y +-0.032, z 0.024): socket, white, iris; eyebrow above
        part((0.073, y, 0.026), (0.013, 0.021, 0.014), SOCKET)
        part((0.08, y, 0.024), (0.006, 0.014, 0.0065), SCLERA)
        part((0.0845, y, 0.024), (0.003, 0.008, 0.0075), EYE)
        part((0.083, y * 1.02, 0.042), (0.006, 0.023, 0.007), BROW)
    for sgn in (1.0, -1.0):  # ears (landmarks at y +-0.078): flat, tall, top tilted back; a darker hollow
        part((-0.004, sgn * 0.083, 0.012), (0.0175, 0.0075, 0.03), EAR, pitch=-15.0)
        part((-0.001, sgn * 0.0895, 0.01), (0.009, 0.002, 0.014), EAR_HOLLOW, pitch=-15.0)
    # lips (mouth corners at z -0.045) and the line between them; the shadow under the jaw
    part((0.092, 0.0, -0.04), (0.006, 0.022, 0.005), LIPS)
    part((0.091, 0.0, -0.051), (0.007, 0.02, 0.006), LIPS)
    part((0.0955, 0.0, -0.0455), (0.003, 0.021, 0.0015), MOUTH)
    part((0.03, 0.0, -0.088), (0.04, 0.044, 0.018), JAW_SHADOW, pitch=15.0)
    return out


def body_ellipsoids(body: BodyFrames, i: int) -> list[Ellipsoid]:
    """The mannequin for frame i as ellipsoids (limb radii scale with height and the body shape's girth)."""
    A = body.anthro
    k = A.height_m / 1.75
    g = k * A.girth  # limb radii
    F = {n: f[i] for n, f in body.frames.items()}
    X = {n: p[i] for n, p in body.extras.items()}

    def L(name):
        return body.lm(name)[i]

    out: list[Ellipsoid] = []
    out += torso_ellipsoids(body, i)
    # neck and head
    out.append(_seg_ellipsoid(X["c7"] + F["head"] @ np.array([0.035 * k, 0, -0.01]),
                              X["head_center"] + F["head"] @ np.array([-0.02 * k, 0, -0.04 * k]),
                              0.05 * k, 0.052 * k, F["head"], SKIN, extend=1.3))
    out += head_ellipsoids(body, i)

    for s, side in (("l", "left"), ("r", "right")):
        skin = SKIN if s == "l" else SKIN_L
        sh, el, wr = L(f"{side}_shoulder"), L(f"{side}_elbow"), L(f"{side}_wrist")
        hip, kn, an = L(f"{side}_hip"), L(f"{side}_knee"), L(f"{side}_ankle")
        heel, toe = L(f"{side}_heel"), L(f"{side}_foot_index")
        # arm: sleeve cap (top colour), upper arm, forearm, hand
        out.append(_sphere(sh, 0.062 * g, TOP))
        out.append(_seg_ellipsoid(sh, el, 0.052 * g, 0.05 * g, F[f"upper_arm_{s}"], TOP, frac=(0.0, 0.45)))
        out.append(_seg_ellipsoid(sh, el, 0.046 * g, 0.045 * g, F[f"upper_arm_{s}"], skin, extend=1.08))
        out.append(_sphere(el, 0.04 * g, skin))
        out.append(_seg_ellipsoid(el, wr, 0.04 * g, 0.038 * g, F[f"forearm_{s}"], skin, extend=1.06))
        out.append(_local_ellipsoid(X[f"{side}_hand_center"], F[f"forearm_{s}"], (0.022 * g, 0.043 * g,
                                                                                   0.5 * A.hand), skin))
        # leg: shorts leg, thigh, knee, shank, ankle, shoe
        out.append(_sphere(hip, 0.088 * g, SHORTS))
        out.append(_seg_ellipsoid(hip, kn, 0.09 * g, 0.088 * g, F[f"thigh_{s}"], SHORTS, frac=(0.0, 0.42),
                                  extend=1.15))
        out.append(_seg_ellipsoid(hip, kn, 0.072 * g, 0.07 * g, F[f"thigh_{s}"], skin, extend=1.05))
        out.append(_sphere(kn, 0.056 * g, skin))
        out.append(_seg_ellipsoid(kn, an, 0.056 * g, 0.05 * g, F[f"shank_{s}"], skin, extend=1.05))
        out.append(_sphere(an, 0.038 * g, skin))
        Rf = F[f"foot_{s}"]
        fc = (heel + toe) / 2 + Rf @ np.array([0, 0, 0.03 * k])
        out.append(_local_ellipsoid(fc, Rf, (np.linalg.norm(toe - heel) / 2 * 1.05, 0.047 * k, 0.048 * k), SHOES))
    return out


class Renderer:
    """Ray-casts ellipsoids for one camera (background precomputed)."""

    def __init__(self, cam: Camera, ss: int = 1, light_dir=(0.35, 0.45, 0.82)):
        self.cam = cam
        self.ss = ss
        W, H = cam.width * ss, cam.height * ss
        f = cam.focal_px * ss
        u = (np.arange(W) + 0.5 - W / 2) / f
        v = (np.arange(H) + 0.5 - H / 2) / f
        uu, vv = np.meshgrid(u, v)
        self.rays = np.stack([uu, vv, np.ones_like(uu)], -1)  # camera coords, z = 1
        Rc = cam.rotation
        self.Rc = Rc
        ld = np.asarray(light_dir, float)
        self.key = Rc @ (ld / np.linalg.norm(ld))  # towards the light, camera coords
        self.fill = np.array([0.0, -0.3, -1.0]) / np.linalg.norm([0.0, -0.3, -1.0])
        self.background = self._background()

    def _background(self) -> np.ndarray:
        cam = self.cam
        dw = _rows_times(self.rays, self.Rc)  # world directions (rows of Rc are camera axes)
        pz = cam.position[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = -pz / dw[..., 2]
        floor = (dw[..., 2] < -1e-6) & (s < 40)
        img = np.empty(dw.shape[:2] + (3,), np.float32)
        img[:] = WALL
        dist = np.where(floor, s * np.linalg.norm(dw, axis=-1), 0)
        fade = np.clip(1.0 - dist / 40.0, 0.75, 1.0)[..., None]
        img[floor] = (np.array(FLOOR, np.float32) * fade[floor])
        # gentle vertical gradient on the wall
        wallm = ~floor
        grad = np.linspace(1.04, 0.94, img.shape[0])[:, None, None] * np.ones((1, img.shape[1], 1))
        img[wallm] = img[wallm] * grad[wallm]
        return np.clip(img, 0, 255)

    def _shade(self, normals_cam: np.ndarray) -> np.ndarray:
        """Lambert brightness for (..., 3) unit normals in camera coordinates: ambient + key light + fill light."""
        return (0.34 + 0.52 * np.clip(_rows_times(normals_cam, self.key), 0, None)
                + 0.3 * np.clip(_rows_times(normals_cam, self.fill), 0, None))

    def _boxes(self, img: np.ndarray, zbuf: np.ndarray, boxes: list[Box]) -> None:
        pos = np.asarray(self.cam.position, float)
        dw = _rows_times(self.rays, self.Rc)  # world directions, camera-z = 1 so the ray parameter is the depth
        for bx in boxes:
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = (bx.lo - pos) / dw
                t1 = (bx.hi - pos) / dw
            tmin = np.minimum(t0, t1)
            tmax = np.maximum(t0, t1)
            tn = np.nanmax(tmin, -1)
            tf = np.nanmin(tmax, -1)
            axis = np.nanargmax(tmin, -1)
            hit = (tn <= tf) & (tf > 0) & (tn < zbuf)
            nrm = np.zeros(dw.shape)
            for a in range(3):
                m = axis == a
                nrm[m, a] = -np.sign(dw[m, a])
            n_cam = _rows_times(nrm, self.Rc.T)
            shade = self._shade(n_cam)
            img[hit] = np.asarray(bx.color, np.float32) * shade[hit, None]
            zbuf[hit] = tn[hit]

    def render(self, ells: list[Ellipsoid], boxes: list[Box] | None = None) -> np.ndarray:
        """RGB uint8 frame at the camera's resolution."""
        import cv2

        cam = self.cam
        Hh, Ww = self.rays.shape[:2]
        f = cam.focal_px * self.ss
        img = self.background.copy()
        zbuf = np.full((Hh, Ww), np.inf, np.float32)
        if boxes:  # static scene objects: ray-cast once per renderer
            key = tuple((tuple(b.lo), tuple(b.hi), b.color) for b in boxes)
            if getattr(self, "_box_key", None) != key:
                bimg, bz = self.background.copy(), np.full((Hh, Ww), np.inf, np.float32)
                self._boxes(bimg, bz, boxes)
                self._box_key, self._box_cache = key, (bimg, bz)
            img = self._box_cache[0].copy()
            zbuf = self._box_cache[1].copy()
        Rc, pos = self.Rc, np.asarray(cam.position, float)
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
        for e in ells:
            c = Rc @ (e.center - pos)
            M = Rc @ e.axes
            corners = c + signs @ M.T
            if np.any(corners[:, 2] < 0.05):
                continue
            u = f * corners[:, 0] / corners[:, 2] + Ww / 2
            v = f * corners[:, 1] / corners[:, 2] + Hh / 2
            x0, x1 = int(max(np.floor(u.min()), 0)), int(min(np.ceil(u.max()) + 1, Ww))
            y0, y1 = int(max(np.floor(v.min()), 0)), int(min(np.ceil(v.max()) + 1, Hh))
            if x0 >= x1 or y0 >= y1:
                continue
            Minv = np.linalg.inv(M)
            d = self.rays[y0:y1, x0:x1]
            a = _rows_times(d, Minv.T)
            o = Minv @ c
            aa = (a * a).sum(-1)
            ao = _rows_times(a, o)
            disc = ao * ao - aa * (o @ o - 1.0)
            hit = disc > 0
            if not hit.any():
                continue
            s = (ao - np.sqrt(np.maximum(disc, 0))) / aa
            zb = zbuf[y0:y1, x0:x1]
            hit &= (s > 0) & (s < zb)
            if not hit.any():
                continue
            q = s[hit, None] * a[hit] - o  # unit-sphere points
            n = _rows_times(q, Minv)  # = (Minv.T @ q.T).T : normal in camera coords
            n /= np.linalg.norm(n, axis=-1, keepdims=True)
            shade = self._shade(n)
            col = np.asarray(e.color, np.float32)[None, :] * shade[:, None].astype(np.float32)
            zb[hit] = s[hit]
            sub = img[y0:y1, x0:x1]
            sub[hit] = col
        img = np.clip(img, 0, 255).astype(np.uint8)
        if self.ss > 1:
            img = cv2.resize(img, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
        return img

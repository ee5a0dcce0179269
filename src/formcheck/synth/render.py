"""Software renderer for the synthetic body, and the H.264 writer (the only synth module that imports cv2/av).

Every body part is an ellipsoid (limbs, a continuous three-piece torso, head, hair, face dots, shoes), ray-cast
exactly per pixel with a depth buffer (a per-pixel painter's algorithm), Lambert-shaded by a key light and a
camera-side fill light, over a plain floor plane and wall.  Clothing contrasts: dark long-sleeve-less top,
red shorts, skin-coloured limbs, white shoes, dark hair, dark eyes and mouth.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .body import BodyFrames
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
FLOOR = (118, 136, 152)
WALL = (214, 212, 204)


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


def body_ellipsoids(body: BodyFrames, i: int) -> list[Ellipsoid]:
    """The mannequin for frame i as ellipsoids."""
    A = body.anthro
    k = A.height_m / 1.75
    F = {n: f[i] for n, f in body.frames.items()}
    X = {n: p[i] for n, p in body.extras.items()}

    def L(name):
        return body.lm(name)[i]

    out: list[Ellipsoid] = []
    tl = A.trunk - A.pelvis_seg - A.lumbar_seg
    b = A.spine_back
    # torso: chest (top colour), abdomen (top colour), pelvis (shorts)
    out.append(_local_ellipsoid(X["t12"] + F["thorax"] @ np.array([b * 1.1, 0, tl * 0.55]), F["thorax"],
                                (0.108 * k, 0.165 * k, 0.175 * k), TOP))
    out.append(_local_ellipsoid(X["mid_lumbar"] + F["lumbar"] @ np.array([b * 1.15, 0, 0.0]), F["lumbar"],
                                (0.098 * k, 0.145 * k, 0.13 * k), TOP))
    out.append(_local_ellipsoid(X["mid_hip"] + F["pelvis"] @ np.array([-0.012, 0, 0.035 * k]), F["pelvis"],
                                (0.105 * k, 0.172 * k, 0.115 * k), SHORTS))
    # neck and head
    out.append(_seg_ellipsoid(X["c7"] + F["head"] @ np.array([0.035 * k, 0, -0.01]),
                              X["head_center"] + F["head"] @ np.array([-0.02 * k, 0, -0.04 * k]),
                              0.05 * k, 0.052 * k, F["head"], SKIN, extend=1.3))
    hc = X["head_center"]
    out.append(_local_ellipsoid(hc, F["head"], (0.098 * k, 0.078 * k, 0.112 * k), SKIN))
    out.append(_local_ellipsoid(hc + F["head"] @ np.array([-0.022, 0, 0.022]) * k, F["head"],
                                (0.092 * k, 0.083 * k, 0.108 * k), HAIR))
    for side in ("left", "right"):
        e = L(f"{side}_eye")
        out.append(_sphere(e + (e - hc) * 0.08, 0.013 * k, EYE))
        out.append(_sphere(L(f"{side}_ear"), 0.022 * k, SKIN))
    out.append(_sphere(L("nose"), 0.02 * k, SKIN))
    mouth = (L("mouth_left") + L("mouth_right")) / 2
    out.append(_local_ellipsoid(mouth + (mouth - hc) * 0.05, F["head"], (0.01 * k, 0.024 * k, 0.008 * k), MOUTH))

    for s, side in (("l", "left"), ("r", "right")):
        skin = SKIN if s == "l" else SKIN_L
        sh, el, wr = L(f"{side}_shoulder"), L(f"{side}_elbow"), L(f"{side}_wrist")
        hip, kn, an = L(f"{side}_hip"), L(f"{side}_knee"), L(f"{side}_ankle")
        heel, toe = L(f"{side}_heel"), L(f"{side}_foot_index")
        # arm: sleeve cap (top colour), upper arm, forearm, hand
        out.append(_sphere(sh, 0.062 * k, TOP))
        out.append(_seg_ellipsoid(sh, el, 0.052 * k, 0.05 * k, F[f"upper_arm_{s}"], TOP, frac=(0.0, 0.45)))
        out.append(_seg_ellipsoid(sh, el, 0.046 * k, 0.045 * k, F[f"upper_arm_{s}"], skin, extend=1.08))
        out.append(_sphere(el, 0.04 * k, skin))
        out.append(_seg_ellipsoid(el, wr, 0.04 * k, 0.038 * k, F[f"forearm_{s}"], skin, extend=1.06))
        out.append(_local_ellipsoid(X[f"{side}_hand_center"], F[f"forearm_{s}"], (0.022 * k, 0.043 * k,
                                                                                   0.5 * A.hand), skin))
        # leg: shorts leg, thigh, knee, shank, ankle, shoe
        out.append(_sphere(hip, 0.088 * k, SHORTS))
        out.append(_seg_ellipsoid(hip, kn, 0.09 * k, 0.088 * k, F[f"thigh_{s}"], SHORTS, frac=(0.0, 0.42),
                                  extend=1.15))
        out.append(_seg_ellipsoid(hip, kn, 0.072 * k, 0.07 * k, F[f"thigh_{s}"], skin, extend=1.05))
        out.append(_sphere(kn, 0.056 * k, skin))
        out.append(_seg_ellipsoid(kn, an, 0.056 * k, 0.05 * k, F[f"shank_{s}"], skin, extend=1.05))
        out.append(_sphere(an, 0.038 * k, skin))
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
        dw = self.rays @ self.Rc  # world directions (rows of Rc are camera axes)
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

    def _boxes(self, img: np.ndarray, zbuf: np.ndarray, boxes: list[Box]) -> None:
        pos = np.asarray(self.cam.position, float)
        dw = self.rays @ self.Rc  # world directions, camera-z = 1 so the ray parameter is the depth
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
            n_cam = nrm @ self.Rc.T
            shade = 0.34 + 0.52 * np.clip(n_cam @ self.key, 0, None) + 0.3 * np.clip(n_cam @ self.fill, 0, None)
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
            a = d @ Minv.T
            o = Minv @ c
            aa = (a * a).sum(-1)
            ao = a @ o
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
            n = q @ Minv  # = (Minv.T @ q.T).T : normal in camera coords
            n /= np.linalg.norm(n, axis=-1, keepdims=True)
            shade = (0.34 + 0.52 * np.clip(n @ self.key, 0, None) + 0.3 * np.clip(n @ self.fill, 0, None))
            col = np.asarray(e.color, np.float32)[None, :] * shade[:, None].astype(np.float32)
            zb[hit] = s[hit]
            sub = img[y0:y1, x0:x1]
            sub[hit] = col
        img = np.clip(img, 0, 255).astype(np.uint8)
        if self.ss > 1:
            img = cv2.resize(img, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
        return img


class H264Writer:
    """Writes RGB frames to an H.264 (libx264, yuv420p) mp4 with PyAV; single-threaded for byte-identical output."""

    def __init__(self, path: Path, width: int, height: int, fps: float, crf: int = 28, preset: str = "slow"):
        import av
        from fractions import Fraction

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.container = av.open(str(self.path), mode="w", options={"fflags": "+bitexact"})
        rate = Fraction(fps).limit_denominator(1001)
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width = width
        self.stream.height = height
        self.stream.pix_fmt = "yuv420p"
        self.stream.thread_count = 1
        self.stream.options = {"crf": str(crf), "preset": preset, "threads": "1", "flags": "+bitexact",
                               "x264-params": "threads=1:lookahead-threads=1"}

    def write(self, rgb: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

"""Pinhole cameras for the synthetic body (pure numpy).

World frame: x forward (the way a standing subject faces), y to the subject's left, z up; floor z = 0.
Camera frame: x right, y down, z forward (optical axis), like OpenCV.  Projection gives MediaPipe-style normalised
image coordinates (x right, y down, in [0, 1] across the frame) and a MediaPipe-style z: depth relative to the
mid-hip point, in the same scale as x (metric depth offset * focal / hip depth / frame width), smaller = nearer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VIEWS: tuple[str, ...] = ("side_left", "side_right", "side", "front", "back", "feet", "oblique")


@dataclass(frozen=True)
class Camera:
    """A pinhole camera. position/target: world metres; vfov_deg: vertical field of view; width/height: pixels."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    width: int = 640
    height: int = 360
    vfov_deg: float = 50.0
    name: str = ""

    @property
    def focal_px(self) -> float:
        return 0.5 * self.height / np.tan(np.radians(self.vfov_deg) / 2)

    @property
    def rotation(self) -> np.ndarray:
        """(3,3) rows = camera x (right), y (down), z (forward) axes in world coordinates."""
        p, t = np.asarray(self.position, float), np.asarray(self.target, float)
        fwd = t - p
        fwd /= np.linalg.norm(fwd)
        up = np.array([0.0, 0.0, 1.0])
        right = np.cross(fwd, up)
        if np.linalg.norm(right) < 1e-6:  # looking straight down/up
            right = np.array([0.0, -1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> camera coordinates (..., 3)."""
        return (np.asarray(pts, float) - np.asarray(self.position, float)) @ self.rotation.T

    def project_px(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) -> (pixel uv (..., 2), camera depth (...,))."""
        c = self.to_camera(pts)
        f = self.focal_px
        z = c[..., 2]
        uv = np.stack([f * c[..., 0] / z + self.width / 2, f * c[..., 1] / z + self.height / 2], -1)
        return uv, z

    def shifted(self, offset) -> "Camera":
        """The same camera moved by a world offset (position and target)."""
        o = np.asarray(offset, float)
        return Camera(tuple(np.asarray(self.position) + o), tuple(np.asarray(self.target) + o), self.width,
                      self.height, self.vfov_deg, self.name)


def project_landmarks(cam: Camera, world_pts: np.ndarray, mid_hip: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe-style outputs for (T, N, 3) world points with (T, 3) mid-hip.

    Returns (landmarks (T, N, 4): x, y normalised, z relative depth, visibility 1 inside the frame / 0 outside;
    world_landmarks (T, N, 3): camera-aligned metres (x right, y down, z away), origin at mid-hip).
    """
    uv, z = cam.project_px(world_pts)
    hip_cam = cam.to_camera(mid_hip)  # (T, 3)
    f = cam.focal_px
    zn = (z - hip_cam[:, None, 2]) * f / hip_cam[:, None, 2] / cam.width
    x = uv[..., 0] / cam.width
    y = uv[..., 1] / cam.height
    inside = (x >= 0) & (x <= 1) & (y >= 0) & (y <= 1) & (z > 0)
    lm = np.stack([x, y, zn, inside.astype(float)], -1)
    wl = cam.to_camera(world_pts) - hip_cam[:, None, :]
    return lm, wl


def make_camera(view: str, subject_center, facing_deg: float = 0.0, *, distance: float | None = None,
                height: float | None = None, width_px: int = 640, height_px: int = 360,
                vfov_deg: float = 50.0, lying: bool = False, feet_dir=None) -> Camera:
    """A preset camera looking at ``subject_center`` (world xyz).

    view: one of ``VIEWS``.  ``side``/``side_left`` films the subject's left side, ``side_right`` the right side,
    ``front`` faces the subject, ``back`` is behind, ``oblique`` 45 deg between front and left side,
    ``feet`` (for lying motions) sits beyond the feet looking along the body towards the head.
    facing_deg: the direction the subject faces (standing) or the head-to-feet direction (lying), degrees about z
    from +x.  distance: metres from subject_center (horizontal); height: camera height above the floor (m).
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; valid views: {', '.join(VIEWS)}")
    c = np.asarray(subject_center, float)
    yaw = np.radians(facing_deg)
    fwd = np.array([np.cos(yaw), np.sin(yaw), 0.0])  # subject front (standing) / towards the feet (lying)
    left = np.array([-np.sin(yaw), np.cos(yaw), 0.0])
    if view == "side":
        view = "side_left"
    # lying supine the head is at -fwd and the feet at +fwd, and the subject's left stays on the `left` side,
    # so the same directions serve both postures ("front" of a lying body = at its feet)
    d = distance or (2.6 if lying else 3.2)
    h = height if height is not None else (0.55 if lying else 1.0)
    dirs = {"side_left": left, "side_right": -left, "front": fwd, "feet": fwd, "back": -fwd,
            "oblique": (fwd + left) / np.sqrt(2)}
    direction = dirs[view]
    pos = c + direction * d
    pos[2] = h
    target = c.copy()
    return Camera(tuple(pos), tuple(target), width_px, height_px, vfov_deg, view)

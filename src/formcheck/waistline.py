"""The waistline: the tilt of a clothing edge across the pelvis (a waistband, the top of shorts or leggings), read
from a frontal video frame in a band just above the hip landmarks.

Why: in single-leg stance MediaPipe's two hip points read the lifted leg's hip high and follow only about half of the
pelvis's tilt, with a body-to-body spread of 1.3 deg (rendered stances, formcheck.rules.stance_asymmetry). A
waistband sits on the pelvis and tilts with it one to one: on the same rendered stances (8 bodies, 256 stances,
true drop 0-10 deg) this module reads -0.31 + 1.00 x true drop, residual sd 0.56 deg, worst 2.7. It is not always there (one colour top to toe, a long
shirt hanging loose), so `waistline_tilt` also says how distinct the edge is, and the rule checks the edge against the
hip landmarks before trusting it.

Pure: numpy and OpenCV on an image array; no video I/O (formcheck.waistline_pass reads the frames).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

# The band searched, relative to the hip landmarks (a waistband sits on the iliac crests, above the hip joints that
# MediaPipe's hip points mark): from BAND_ABOVE_TORSO torso lengths above the hip line to BAND_BELOW_TORSO below it,
# and HALF_WIDTH_HIPS hip-point distances either side of their midpoint (inside the body's outline, so that the
# outline and the background, e.g. a wall meeting the floor at waist height, stay out of it). Chosen on rendered
# stances (seeds 0-1 of scripts/sweep_eval.py --motions single_leg_stance; of 0.6/0.40/0.0, 0.75/0.45/0.05 and
# 0.85/0.5/0.1 for half-width/above/below, the middle one; the other two read within 0.1 deg sd of it).
BAND_ABOVE_TORSO = 0.45
BAND_BELOW_TORSO = 0.05
HALF_WIDTH_HIPS = 0.75
MAX_TILT_DEG = 20.0  # edges steeper than this are not a waistline (a pelvis drops < 15 deg; Hardcastle & Nade 1985)
COARSE_STEP_DEG = 1.0  # the search runs in 1 deg steps, then in TILT_STEP_DEG steps around the best
TILT_STEP_DEG = 0.2
MAX_WORK_WIDTH_PX = 64  # a wider band is shrunk to this width first (cost; the edge spans it either way)
COVERAGE_SHARE = 0.5  # a column carries the edge when its gradient is at least half the edge's mean
MIN_BAND_PX = 8  # a band narrower or shorter than this (person too small in the frame) is not measured
REFINE_HALF_WINDOW_PX = 3  # rows either side of the found line searched for the edge's sub-pixel centre
REFINE_OUTLIER_PX = 1.5  # a column's edge centre this far off the fitted line is dropped from the fit
MIN_FIT_COLUMNS = 6  # fewer columns carrying the edge: keep the line search's answer


def waist_band(left_hip_px, right_hip_px, torso_px: float, frame_shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) pixel bounds of the band searched for the waistline, or None when it is too small or
    the hips are not both known."""
    left_hip_px, right_hip_px = np.asarray(left_hip_px, float), np.asarray(right_hip_px, float)
    if not (np.isfinite(left_hip_px).all() and np.isfinite(right_hip_px).all() and torso_px > 0):
        return None
    mid_x = 0.5 * (left_hip_px[0] + right_hip_px[0])
    mid_y = 0.5 * (left_hip_px[1] + right_hip_px[1])
    half = HALF_WIDTH_HIPS * abs(left_hip_px[0] - right_hip_px[0])
    height, width = frame_shape[:2]
    top, bottom = max(int(mid_y - BAND_ABOVE_TORSO * torso_px), 0), min(int(mid_y + BAND_BELOW_TORSO * torso_px), height)
    left, right = max(int(round(mid_x - half)), 0), min(int(round(mid_x + half)), width)
    if bottom - top < MIN_BAND_PX or right - left < MIN_BAND_PX:
        return None
    return top, bottom, left, right


class _LineSums(NamedTuple):
    tilts: np.ndarray  # (n,) deg
    along: np.ndarray  # (n, rows, cols): the gradient each column gives the line through row r at each tilt
    profiles: np.ndarray  # (n, rows): gradient collected by each line
    best: np.ndarray  # (n,): the best line's sum at each tilt


def _line_sums(gradient: np.ndarray, tilts: np.ndarray) -> _LineSums:
    """Sum the gradient along straight lines of each tilt through each row (a shear; linear interpolation between
    rows; outside the band counts 0)."""
    rows, cols = gradient.shape
    x = np.arange(cols) - (cols - 1) / 2
    y = np.arange(rows)[None, :, None] + np.tan(np.radians(tilts))[:, None, None] * x[None, None, :]
    y0 = np.floor(y).astype(int)
    frac = (y - y0).astype(np.float32)
    padded = np.vstack([gradient, np.zeros((1, cols), np.float32)])  # row `rows` = outside
    col = np.arange(cols)[None, None, :]
    low = padded[np.where((y0 >= 0) & (y0 < rows), y0, rows), col]
    high = padded[np.where((y0 + 1 >= 0) & (y0 + 1 < rows), y0 + 1, rows), col]
    along = (1 - frac) * low + frac * high
    profiles = along.sum(axis=2)
    return _LineSums(tilts, along, profiles, profiles.max(axis=1))


class WaistEdge(NamedTuple):
    """The waistline found in one frame (see waistline_tilt)."""

    tilt_deg: float
    contrast: float
    coverage: float
    centre_y_px: float  # the edge's image row where it crosses the hips' midpoint column


NOT_MEASURED = WaistEdge(math.nan, math.nan, math.nan, math.nan)


def waistline_tilt(frame_rgb: np.ndarray, left_hip_px, right_hip_px, torso_px: float) -> WaistEdge:
    """(tilt, contrast, coverage, centre row) of the most distinct straight, near-horizontal edge in the waist band
    of a frame.

    tilt: degrees, the edge's image slope, + = its image-right end lower (image y points down); within
    +-MAX_TILT_DEG. contrast: how much the edge stands out, the summed colour gradient along it over the band's median
    row (1 = no edge at all; a waistband between two colours reads 3 or more). coverage: the share of the band's
    columns where the edge is at least COVERAGE_SHARE of its mean strength (a waistband spans the band, about 1; a hand
    or a fold covers part of it). centre_y_px: the edge's image row at the hips' midpoint column. NOT_MEASURED
    (nans) when the band cannot be measured.

    Method: colour (CIE Lab) vertical gradient in the band (shrunk to MAX_WORK_WIDTH_PX wide first), summed along
    lines of every tilt (a shear search, COARSE_STEP_DEG then TILT_STEP_DEG steps); the line that collects the most
    gradient wins and is refined to a fraction of a pixel (_refine).
    """
    band = waist_band(left_hip_px, right_hip_px, torso_px, frame_rgb.shape)
    if band is None:
        return NOT_MEASURED
    top, bottom, left, right = band
    patch = np.ascontiguousarray(frame_rgb[top:bottom, left:right])
    scale = min(1.0, MAX_WORK_WIDTH_PX / patch.shape[1])  # the tilt does not depend on scale; the cost does
    if scale < 1.0:
        patch = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(patch, cv2.COLOR_RGB2LAB).astype(np.float32)
    gradient = np.sqrt((cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3) ** 2).sum(axis=2))
    coarse = _line_sums(gradient, np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 0.5, COARSE_STEP_DEG))
    start = coarse.tilts[int(np.argmax(coarse.best))]
    fine = _line_sums(gradient, np.arange(start - COARSE_STEP_DEG, start + COARSE_STEP_DEG + 1e-6, TILT_STEP_DEG))
    k = int(np.argmax(fine.best))
    if not fine.best[k] > 0:  # a band of one flat colour: no edge at all
        return NOT_MEASURED
    line = int(np.argmax(fine.profiles[k]))
    baseline = float(np.median(fine.profiles[k]))
    contrast = float(fine.best[k] / baseline) if baseline > 0 else math.inf
    along = fine.along[k, line]  # gradient per column on the edge
    coverage = float(np.mean(along >= COVERAGE_SHARE * along.mean())) if along.mean() > 0 else 0.0
    tilt, row_at_centre = _refine(gradient, line, float(fine.tilts[k]))
    centre_x = 0.5 * (left_hip_px[0] + right_hip_px[0]) - left  # pixels from the band's left edge
    centre_y = top + (row_at_centre + np.tan(np.radians(tilt)) * (centre_x * scale - (gradient.shape[1] - 1) / 2)) / scale
    return WaistEdge(tilt, contrast, coverage, float(centre_y))


def _refine(gradient: np.ndarray, row: int, tilt_deg: float) -> tuple[float, float]:
    """(tilt deg, row at the band's centre column) of the edge near the line (row, tilt_deg), to a fraction of a
    pixel: per column, the centroid of the gradient within REFINE_HALF_WINDOW_PX rows of the line, then a straight
    line fitted to those centroids (weighted by the gradient, columns off the line by more than REFINE_OUTLIER_PX
    dropped once). A line sum alone favours level lines on a pixel grid (an edge rising 2 px across the band is a
    staircase of level steps); the centroids follow the edge's anti-aliased rise. The line search's own answer is kept
    where too few columns carry the edge."""
    rows, cols = gradient.shape
    x = np.arange(cols) - (cols - 1) / 2
    near = np.round(row + np.tan(np.radians(tilt_deg)) * x)[None, :] + np.arange(-REFINE_HALF_WINDOW_PX, REFINE_HALF_WINDOW_PX + 1)[:, None]
    inside = (near >= 0) & (near < rows)
    g = np.where(inside, gradient[np.clip(near, 0, rows - 1).astype(int), np.arange(cols)[None, :]], 0.0)
    weight = g.sum(axis=0)
    use = (weight > 0) & (weight >= COVERAGE_SHARE * weight.mean())
    if use.sum() < MIN_FIT_COLUMNS:
        return tilt_deg, float(row)
    centroid = (g * near).sum(axis=0) / np.maximum(weight, 1e-9)
    for _ in range(2):
        try:
            slope, intercept = np.polyfit(x[use], centroid[use], 1, w=np.sqrt(weight[use]))
        except (np.linalg.LinAlgError, ValueError):  # degenerate columns: keep the line search's answer
            return tilt_deg, float(row)
        kept = use & (np.abs(centroid - (intercept + slope * x)) <= REFINE_OUTLIER_PX)
        if kept.sum() < MIN_FIT_COLUMNS or kept.sum() == use.sum():
            break
        use = kept
    return float(np.clip(np.degrees(np.arctan(slope)), -MAX_TILT_DEG, MAX_TILT_DEG)), float(intercept)
